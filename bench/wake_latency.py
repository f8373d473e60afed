"""Benchmark: how soon homelab.cluster.wake sees a woken host ready (issue 4).

In the running lab (`make lab`), it powers a wakeable host off from inside and wakes it through the relay
with the module, 10 times. For each wake it measures the time from sshd starting to listen to the module
reporting ready. The first time comes from the container's own journal ("Server listening on 0.0.0.0 port
22"). The second is the module's `ready_at`. Both clocks are the same kernel's. It prints each wake, the
median and the maximum. Target: median <= 1 s. Exit status 1 when the target is missed.

    python bench/wake_latency.py [--host desk] [--relay keeper] [--wakes 10]

The storm guard is disabled for these wakes (max_wakes=0 min_off_s=0): the benchmark power-cycles on purpose.
"""

import argparse
import json
import os
import statistics
import sys
import time

from benchlib import run

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
INVENTORY = os.path.join(ROOT, 'inventory', 'lab')
TARGET_S = 1.0
LISTENING = 'Server listening on 0.0.0.0 port 22'


def running(host):
    return run('podman', 'inspect', '-f', '{{.State.Running}}', host).stdout.strip() == 'true'


def power_off(host, timeout=60):
    """poweroff inside the container, as a user would; the container stops when systemd is done."""
    if running(host):
        run('podman', 'exec', host, 'systemctl', '--no-block', 'poweroff', check=False)
    deadline = time.time() + timeout
    while running(host):
        if time.time() > deadline:
            sys.exit('bench: %s did not power off within %d s' % (host, timeout))
        time.sleep(0.2)


def wake(host, relay):
    """homelab.cluster.wake on the relay, target=host; returns the module's result."""
    proc = run('ansible', '-i', INVENTORY, relay, '-o', '-m', 'homelab.cluster.wake',
               '-a', 'target=%s max_wakes=0 min_off_s=0' % host, check=False)
    line = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ''
    if '=>' not in line:
        sys.exit('bench: wake of %s gave no result: %s' % (host, (proc.stdout + proc.stderr)[-2000:]))
    result = json.loads(line.split('=>', 1)[1])
    if not result.get('ready'):
        sys.exit('bench: %s did not become ready: %s' % (host, result.get('msg')))
    return result


def sshd_listening_at(host, since):
    """Unix time of the last 'Server listening' line of the container's journal after `since`."""
    proc = run('podman', 'exec', host, 'journalctl', '-o', 'json', '--no-pager', '-u', 'ssh.service',
               '--since', '@%d' % int(since - 1))
    stamps = []
    for line in proc.stdout.splitlines():
        entry = json.loads(line)
        message = entry.get('MESSAGE')
        if isinstance(message, list):  # journald gives bytes as a list of ints
            message = bytes(message).decode('utf-8', 'replace')
        if message and LISTENING in message:
            stamps.append(int(entry['__REALTIME_TIMESTAMP']) / 1e6)
    stamps = [s for s in stamps if s >= since]
    if not stamps:
        sys.exit('bench: no "%s" in the journal of %s since the wake' % (LISTENING, host))
    return stamps[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--host', default='desk', help='a wakeable lab host (default desk)')
    parser.add_argument('--relay', default='keeper', help='the host that sends the packet (default keeper)')
    parser.add_argument('--wakes', type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault('CONTAINERS_CONF', os.path.join(ROOT, 'lab', 'containers.conf'))
    if not os.path.isdir(INVENTORY):
        sys.exit('bench: no lab inventory at %s; run `make lab` first' % INVENTORY)
    latencies = []
    print('wake  sshd listening -> module ready   (boot: packet -> ready)')
    for i in range(1, args.wakes + 1):
        power_off(args.host)
        started = time.time()
        result = wake(args.host, args.relay)
        listening = sshd_listening_at(args.host, started)
        latency = result['ready_at'] - listening
        latencies.append(latency)
        print('%4d  %8.3f s                      (%.1f s, %d packets)'
              % (i, latency, result['ready_at'] - started, result['packets_sent']))
    median = statistics.median(latencies)
    print('median %.3f s, max %.3f s over %d wakes of %s (target: median <= %.1f s): %s'
          % (median, max(latencies), len(latencies), args.host, TARGET_S, 'met' if median <= TARGET_S else 'MISSED'))
    return 0 if median <= TARGET_S else 1


if __name__ == '__main__':
    sys.exit(main())
