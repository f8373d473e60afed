"""Benchmark: the tiers inventory's live Proxmox VE source, requests and seconds for 3 nodes x {10, 100, 1000} guests.

Issue 16's target: without facts, 2 requests whatever the guest count; with facts, wall time grows no faster than
guests / concurrency. The API is the PVE API DOUBLE (lab/doubles/pve_api.py) on loopback; every request waits
--latency-ms at the double (default 100 ms, a PVE node answering over a LAN under load is 5-50 ms), chosen to
dominate the CPU both ends spend per request (TLS and JSON in Python), so that what concurrency buys is measured
and not the machine's CPU. For each size:

  facts off                 ansible-inventory --list with proxmox_facts [] (target: exactly 2 requests)
  facts on, concurrency 1   proxmox_facts [config, agent], one request at a time (the same-run baseline)
  facts on, concurrency K   the same with K in flight (--concurrency, default 8)

API time = wall time of the run - wall time of the facts-off run (ansible-inventory's start-up and the two list
calls taken out; the quickest of three facts-off runs). The latency bound is (requests - 2) x latency /
concurrency: what the API time would be if nothing but the injected latency counted. Printed per run: requests, the
most in flight at the double, wall and API seconds, the bound, and the CPU seconds spent by ansible-inventory and
the double (what is left of the API time above the bound on a busy machine). Then per size the speed-up (API time
at 1 / API time at K) against K, and between sizes what each added request cost against latency / concurrency: the
fixed costs (a TLS session per worker thread, the thread pool, the PCI and mapping calls) cancel out, and "grows no
faster than guests / concurrency" means a ratio near 1 (the run fails above 1.25 at the largest sizes).

    .venv/bin/python bench/proxmox_inventory.py [--latency-ms 100] [--sizes 10,100,1000] [--concurrency 8]
"""

import argparse
import json
import os
import resource
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable
TOKEN = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'  # noqa: S105 - the double's test token
TICKS = os.sysconf('SC_CLK_TCK')


def admin(port, path, post=False):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the double's counter endpoint, not the API under test
    request = urllib.request.Request('https://127.0.0.1:%d/__double/%s' % (port, path),  # noqa: S310 - https, loopback
                                     data=b'' if post else None, method='POST' if post else 'GET')
    with urllib.request.urlopen(request, context=context, timeout=30) as answer:  # noqa: S310 - https, loopback
        return json.load(answer)


def cpu_of(pid):
    """User + system CPU seconds of a running process (/proc/PID/stat fields 14 and 15)."""
    with open('/proc/%d/stat' % pid) as handle:
        fields = handle.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / float(TICKS)


def start_double(work, port, nodes, guests, latency_ms):
    state = os.path.join(work, 'state.json')
    subprocess.run([PY, os.path.join(ROOT, 'lab/doubles/pve_fixtures.py'), 'bench', state, str(nodes), str(guests)],
                   check=True)
    proc = subprocess.Popen([PY, os.path.join(ROOT, 'lab/doubles/pve_api.py'), state, '--port', str(port),
                             '--tls-dir', work, '--latency-ms', str(latency_ms)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _attempt in range(150):
        try:
            admin(port, 'stats')
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit('the PVE API double did not start')


def inventory(work, port, double, facts, concurrency):
    """One ansible-inventory --list: {requests, in_flight, wall, cpu_inventory, cpu_double, hosts}."""
    config = os.path.join(work, 'inv', 'bench.tiers.yml')
    os.makedirs(os.path.dirname(config), exist_ok=True)
    with open(config, 'w') as handle:
        handle.write('plugin: homelab.cluster.tiers\nhosts: {}\nproxmox_url: https://127.0.0.1:%d\n'
                     'proxmox_token_id: homelab@pve!automation\nproxmox_ca_path: %s\nproxmox_facts: %s\n'
                     'proxmox_concurrency: %d\nproxmox_timeout: 120\n'
                     % (port, os.path.join(work, 'pve-double.crt'), json.dumps(facts), concurrency))
    env = dict(os.environ, PROXMOX_TOKEN_SECRET=TOKEN, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'))
    admin(port, 'reset', post=True)
    double_cpu = cpu_of(double.pid)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    out = subprocess.run([os.path.join(os.path.dirname(PY), 'ansible-inventory'), '-i', config, '--list'], env=env,
                         capture_output=True, text=True, check=True)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stats = admin(port, 'stats')
    return {'requests': stats['requests'], 'in_flight': stats.get('max_in_flight', 0), 'wall': wall,
            'cpu_inventory': (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime),
            'cpu_double': cpu_of(double.pid) - double_cpu,
            'hosts': len(json.loads(out.stdout)['_meta']['hostvars'])}


def machine():
    cpus = os.cpu_count()
    load = os.getloadavg()
    model = ''
    try:
        with open('/proc/cpuinfo') as handle:
            model = next((line.split(':', 1)[1].strip() for line in handle if line.startswith('model name')), '')
    except OSError:
        pass
    return '%d CPUs (%s), load average %.1f %.1f %.1f at the start' % (cpus, model or 'unknown', *load)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--latency-ms', type=float, default=100.0)
    parser.add_argument('--sizes', default='10,100,1000')
    parser.add_argument('--nodes', type=int, default=3)
    parser.add_argument('--concurrency', type=int, default=8)
    parser.add_argument('--port', type=int, default=18640)
    args = parser.parse_args()
    k, latency = args.concurrency, args.latency_ms / 1000.0
    print('proxmox inventory: %d nodes, %.0f ms added per API request (PVE API double on loopback); %s'
          % (args.nodes, args.latency_ms, machine()))
    print('%6s | %-23s | %8s | %6s | %7s | %7s | %7s | %13s | %5s'
          % ('guests', 'run', 'requests', 'flight', 'wall s', 'API s', 'bound s', 'CPU inv+dbl s', 'hosts'))
    failed, summary, measured = [], [], {}
    for guests in (int(s) for s in args.sizes.split(',')):
        with tempfile.TemporaryDirectory() as work:
            double = start_double(work, args.port, args.nodes, guests, args.latency_ms)
            try:
                # the facts-off run is the start-up baseline: the quickest of three (it is 2 requests; a busy
                # machine's noise would otherwise land in every API time)
                offs = [inventory(work, args.port, double, [], 8) for _run in range(3)]
                runs = [('facts off', 8, min(offs, key=lambda run: run['wall'])),
                        ('facts on, concurrency 1', 1, inventory(work, args.port, double, ['config', 'agent'], 1)),
                        ('facts on, concurrency %d' % k, k, inventory(work, args.port, double, ['config', 'agent'], k))]
            finally:
                double.kill()
                double.wait()
        base = runs[0][2]['wall']
        for label, concurrency, run in runs:
            api = run['wall'] - base if label != 'facts off' else 0.0
            bound = max(run['requests'] - 2, 0) * latency / concurrency if label != 'facts off' else 0.0
            run['api'] = api
            print('%6d | %-23s | %8d | %6d | %7.2f | %7.2f | %7.2f | %6.1f+%-6.1f | %5d'
                  % (guests, label, run['requests'], run['in_flight'], run['wall'], api, bound, run['cpu_inventory'],
                     run['cpu_double'], run['hosts']))
        off, one, many = runs[0][2], runs[1][2], runs[2][2]
        if off['requests'] != 2:
            failed.append('%d guests: %d requests without facts, target 2' % (guests, off['requests']))
        speedup = one['api'] / many['api'] if many['api'] > 0 else float('inf')
        measured[guests] = {1: one, k: many}
        summary.append('%5d guests: concurrency %d is %.1fx faster than 1 (ideal %d, %d in flight at the double)'
                       % (guests, k, speedup, k, many['in_flight']))
    print()
    for line in summary:
        print(line)
    # growth: what each request added between two sizes costs, against latency / concurrency (the fixed costs --
    # a TLS session per worker thread, the thread pool, the PCI and mapping calls -- cancel out)
    sizes = sorted(measured)
    for small, large in zip(sizes, sizes[1:]):
        for concurrency in (1, k):
            a, b = measured[small][concurrency], measured[large][concurrency]
            added = b['requests'] - a['requests']
            cost = (b['api'] - a['api']) / added if added else 0.0
            bound = latency / concurrency
            ratio = cost / bound if bound else float('inf')
            print('%5d -> %d guests at concurrency %d: each added request cost %.1f ms, latency / concurrency is %.1f '
                  'ms: %.2fx' % (small, large, concurrency, cost * 1000, bound * 1000, ratio))
            if concurrency == k and large == sizes[-1] and latency and ratio > 1.25:
                failed.append('wall time grows %.2fx faster than guests / concurrency from %d to %d guests (more '
                              'than 1.25x)' % (ratio, small, large))
    for line in failed:
        print('TARGET MISSED: %s' % line)
    if not failed:
        print('TARGETS MET: 2 requests without facts at every size; with facts the time grows with guests / '
              'concurrency (within 1.25x)')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
