# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The house collector on the logic node: what the house knows beyond node-exporter, as textfile metrics
(homelab_house.prom), every few seconds from homelab-house-collector.timer.

    house_collector.py --config /etc/homelab/monitoring/house.json

Parts (each with homelab_collector_success{collector="house",part=...}; a part whose source is not configured
or not there yet - no guard log, no Slurm, no harvester - writes nothing and is not an error):
  hosts      every host's ready port probed as the wake relay does; asleep by design or not (house_sources.asleep)
  power      the power guard's last decision (guard.log) and shed actions (guard.json)
  ups        every UPS over NUT's network protocol (LIST VAR)
  slurm      scontrol show node -o, squeue
  openbao    /v1/sys/seal-status of every vault server (answers while sealed, without a token)
  inference  the inference tier's stored health
  harvest    the quarantine officer's status.json
"""

import argparse
import concurrent.futures
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request

from house_sources import asleep
from house_sources import guard_metrics
from house_sources import guard_shed
from house_sources import harvest_metrics
from house_sources import inference_metrics
from house_sources import last_decision
from house_sources import parse_nut_vars
from house_sources import parse_scontrol_nodes
from house_sources import slurm_node_metrics
from house_sources import slurm_queue_metrics
from house_sources import ups_metrics
from promtext import Metrics
from promtext import write_textfile


def probe(address, port, timeout):
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def read_json(path):
    """The parsed file, or None when it is not there (a source not set up yet); other errors raise."""
    try:
        with open(path) as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None


def wake_history(dirs, mac):
    """The wake relay's storm-guard history of a MAC (homelab.cluster.wake keeps one JSON file per MAC)."""
    if not mac:
        return None
    for directory in dirs:
        history = read_json(os.path.join(directory, '%s.json' % mac.lower().replace(':', '-')))
        if history is not None:
            return history
    return None


def nut(ups, timeout):
    """LIST VAR over upsd's protocol (port 3493); None when it does not answer."""
    name, _sep, where = ups.partition('@')
    host, _sep, port = (where or 'localhost').partition(':')
    try:
        with socket.create_connection((host, int(port or 3493)), timeout=timeout) as sock:
            sock.sendall(('LIST VAR %s\n' % name).encode())
            data = b''
            while b'END LIST VAR' not in data and b'ERR ' not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
            sock.sendall(b'LOGOUT\n')
    except OSError:
        return None
    text = data.decode('utf-8', 'replace')
    return None if text.startswith('ERR ') else parse_nut_vars(text)


def part_hosts(cfg, metrics, now, slurm_powered):
    seen_path = cfg['seen_file']
    seen = read_json(seen_path) or {}
    hosts = cfg['hosts']
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(32, len(hosts) or 1)) as pool:
        answers = list(pool.map(lambda h: probe(h['address'], h['port'], cfg['probe_timeout_s']), hosts))
    guard = read_json(cfg['guard_state']) if cfg.get('guard_state') else None
    if guard is not None:
        guard.setdefault('epoch', os.stat(cfg['guard_state']).st_mtime)
    shed = guard_shed(guard)
    for host, up in zip(hosts, answers):
        name = host['name']
        if up:
            seen[name] = now
        by = asleep(host, up, wake_history(cfg['wake_state_dirs'], host.get('mac')), seen.get(name),
                    name in slurm_powered, shed.get(name))
        metrics.add('homelab_host_reachable', int(up), 'The host answers on its ready port (probed like the wake '
                    'relay does).', host=name, scraped='true' if host['scraped'] else 'false')
        metrics.add('homelab_host_asleep', int(by is not None), 'The host is powered off by design (sleep_idle, the '
                    'power guard or Slurm power saving), not down.', host=name)
        if by:
            metrics.add('homelab_host_asleep_by', 1, 'Who put the host to sleep.', host=name, by=by)
        metrics.add('homelab_host_wakeable', int(host['wakeable']), 'The host can be woken (inventory).', host=name)
        metrics.add('homelab_host_quorum_votes', host.get('quorum_votes') or 0, 'The host\'s quorum votes.', host=name)
        metrics.add('homelab_host_last_seen_up_timestamp_seconds', seen.get(name), 'When the collector last saw it '
                    'answer.', host=name)
    directory = os.path.dirname(seen_path)
    os.makedirs(directory, exist_ok=True)
    write_textfile(directory, os.path.basename(seen_path), json.dumps(seen, sort_keys=True))


def part_power(cfg, metrics, _now):
    if not cfg.get('guard_log'):
        return
    try:
        with open(cfg['guard_log']) as handle:
            decision = last_decision(handle)
    except FileNotFoundError:
        return
    if decision:
        guard_metrics(metrics, decision, os.stat(cfg['guard_log']).st_mtime)


def part_ups(cfg, metrics, _now):
    for ups in cfg.get('ups') or []:
        ups_metrics(metrics, ups, nut(ups, cfg['probe_timeout_s']))


def part_slurm(cfg, metrics, _now):
    """Returns the names of the nodes power saving has off; raises when scontrol exists but fails."""
    scontrol = cfg.get('scontrol') or '/usr/bin/scontrol'
    if not os.path.exists(scontrol):
        return set()
    out = subprocess.run([scontrol, 'show', 'node', '-o'],  # noqa: S603 - fixed arguments
                         capture_output=True, text=True, timeout=20, check=True)
    powered = set()
    for node in parse_scontrol_nodes(out.stdout):
        name, off = slurm_node_metrics(metrics, node)
        if off:
            powered.add(name)
    squeue = os.path.join(os.path.dirname(scontrol), 'squeue')
    queue = subprocess.run([squeue, '-h', '-o', '%T'],  # noqa: S603 - fixed arguments
                           capture_output=True, text=True, timeout=20, check=True)
    slurm_queue_metrics(metrics, queue.stdout)
    metrics.add('homelab_slurm_up', 1, 'slurmctld answered.')
    return powered


def part_openbao(cfg, metrics, _now):
    for server in cfg.get('openbao') or []:
        context = ssl.create_default_context(cafile=server.get('ca_file') or None)
        try:
            with urllib.request.urlopen(server['url'].rstrip('/') + '/v1/sys/seal-status', timeout=5,  # noqa: S310
                                        context=context) as answer:
                status = json.load(answer)
        except (OSError, ValueError) as exc:
            print('openbao %s: %s' % (server['host'], exc), file=sys.stderr)
            metrics.add('homelab_openbao_up', 0, 'OpenBao answered /v1/sys/seal-status.', host=server['host'])
            continue
        metrics.add('homelab_openbao_up', 1, 'OpenBao answered /v1/sys/seal-status.', host=server['host'])
        metrics.add('homelab_openbao_sealed', int(bool(status.get('sealed'))), 'OpenBao is sealed.',
                    host=server['host'])
        metrics.add('homelab_openbao_initialized', int(bool(status.get('initialized'))), 'OpenBao is initialised.',
                    host=server['host'])


def part_inference(cfg, metrics, _now):
    state = read_json(cfg['inference_state']) if cfg.get('inference_state') else None
    if state is not None:
        inference_metrics(metrics, state)


def part_harvest(cfg, metrics, _now):
    status = read_json(cfg['harvest_status']) if cfg.get('harvest_status') else None
    if status is not None:
        harvest_metrics(metrics, status)


def collect(cfg, now):
    metrics = Metrics()

    def run(part, func, *args):
        try:
            result = func(cfg, metrics, now, *args)
            ok = 1
        except Exception as exc:  # noqa: BLE001 - one broken source must not hide the others
            print('%s: %s: %s' % (part, type(exc).__name__, exc), file=sys.stderr)
            result, ok = None, 0
        metrics.add('homelab_collector_success', ok, 'Whether a part of a collector read its source.',
                    collector='house', part=part)
        return result

    powered = run('slurm', part_slurm) or set()
    run('hosts', part_hosts, powered)
    for part, func in (('power', part_power), ('ups', part_ups), ('openbao', part_openbao),
                       ('inference', part_inference), ('harvest', part_harvest)):
        run(part, func)
    metrics.add('homelab_collector_last_run_timestamp_seconds', now, 'When the collector last ran.', collector='house')
    return metrics


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='/etc/homelab/monitoring/house.json')
    args = parser.parse_args()
    with open(args.config) as handle:
        cfg = json.load(handle)
    cfg.setdefault('probe_timeout_s', 1.0)
    cfg.setdefault('seen_file', '/var/lib/homelab/monitoring/seen.json')
    cfg.setdefault('wake_state_dirs', ['/root/.local/state/homelab/wake'])
    metrics = collect(cfg, time.time())
    write_textfile(cfg['textfile_dir'], 'homelab_house.prom', metrics.render())


if __name__ == '__main__':
    main()
