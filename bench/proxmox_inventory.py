"""Benchmark: the tiers inventory's live Proxmox VE source, requests and seconds for 3 nodes x {10, 100, 1000} guests.

The API is the PVE API DOUBLE (lab/doubles/pve_api.py) on loopback with a fixed latency added to every request
(--latency-ms, default 10), so that concurrency shows. Requests are counted at the double. For each size:

  facts off                 ansible-inventory --list with proxmox_facts [] (target: 2 requests whatever the size)
  facts on, concurrency 1   proxmox_facts [config, agent], one request at a time (the baseline)
  facts on, concurrency 8   the same with 8 in flight (target: the API time shrinks by about the concurrency)

The ratio printed is (facts time - facts-off time) at concurrency 1 over the same at concurrency 8: the time the
per-guest requests take, the ansible-inventory start-up (the facts-off run) taken out. Same-run baseline, no
absolute targets.

    .venv/bin/python bench/proxmox_inventory.py [--latency-ms 10] [--sizes 10,100,1000]
"""

import argparse
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable
PORT = 18640
TOKEN = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'  # noqa: S105 - the double's test token


def admin(path, post=False):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the double's counter endpoint, not the API under test
    request = urllib.request.Request('https://127.0.0.1:%d/__double/%s' % (PORT, path),  # noqa: S310 - https, loopback
                                     data=b'' if post else None, method='POST' if post else 'GET')
    with urllib.request.urlopen(request, context=context, timeout=30) as answer:  # noqa: S310 - https, loopback
        return json.load(answer)


def start_double(work, nodes, guests, latency_ms):
    state = os.path.join(work, 'state.json')
    subprocess.run([PY, os.path.join(ROOT, 'lab/doubles/pve_fixtures.py'), 'bench', state, str(nodes), str(guests)],
                   check=True)
    proc = subprocess.Popen([PY, os.path.join(ROOT, 'lab/doubles/pve_api.py'), state, '--port', str(PORT),
                             '--tls-dir', work, '--latency-ms', str(latency_ms)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            admin('stats')
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit('the PVE API double did not start')


def inventory(work, facts, concurrency):
    config = os.path.join(work, 'inv', 'bench.tiers.yml')
    os.makedirs(os.path.dirname(config), exist_ok=True)
    with open(config, 'w') as handle:
        handle.write('plugin: homelab.cluster.tiers\nhosts: {}\nproxmox_url: https://127.0.0.1:%d\n'
                     'proxmox_token_id: homelab@pve!automation\nproxmox_ca_path: %s\nproxmox_facts: %s\n'
                     'proxmox_concurrency: %d\n' % (PORT, os.path.join(work, 'pve-double.crt'), json.dumps(facts),
                                                    concurrency))
    env = dict(os.environ, PROXMOX_TOKEN_SECRET=TOKEN, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'))
    admin('reset', post=True)
    start = time.monotonic()
    out = subprocess.run([os.path.join(os.path.dirname(PY), 'ansible-inventory'), '-i', config, '--list'], env=env,
                         capture_output=True, text=True, check=True)
    seconds = time.monotonic() - start
    hosts = len(json.loads(out.stdout)['_meta']['hostvars'])
    return admin('stats')['requests'], seconds, hosts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--latency-ms', type=float, default=10.0)
    parser.add_argument('--sizes', default='10,100,1000')
    parser.add_argument('--nodes', type=int, default=3)
    args = parser.parse_args()
    print('proxmox inventory: %d nodes, %.0f ms added per API request (PVE API double on loopback)'
          % (args.nodes, args.latency_ms))
    print('%7s | %-22s | %8s | %8s | %6s' % ('guests', 'run', 'requests', 'seconds', 'hosts'))
    failed = []
    for guests in (int(s) for s in args.sizes.split(',')):
        with tempfile.TemporaryDirectory() as work:
            proc = start_double(work, args.nodes, guests, args.latency_ms)
            try:
                rows = [('facts off', inventory(work, [], 8)),
                        ('facts on, concurrency 1', inventory(work, ['config', 'agent'], 1)),
                        ('facts on, concurrency 8', inventory(work, ['config', 'agent'], 8))]
            finally:
                proc.kill()
                proc.wait()
        for label, (requests, seconds, hosts) in rows:
            print('%7d | %-22s | %8d | %8.2f | %6d' % (guests, label, requests, seconds, hosts))
        base = rows[0][1][1]
        serial, parallel = rows[1][1][1] - base, rows[2][1][1] - base
        ratio = serial / parallel if parallel > 0 else float('inf')
        print('%7s | per-guest API time: %.2f s at concurrency 1, %.2f s at 8: %.1fx faster' % ('', serial, parallel,
                                                                                              ratio))
        if rows[0][1][0] != 2:
            failed.append('%d guests: %d requests without facts, target 2' % (guests, rows[0][1][0]))
    for line in failed:
        print('TARGET MISSED: %s' % line)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
