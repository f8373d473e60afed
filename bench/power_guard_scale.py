"""Benchmark: one power-guard reading at 200 hosts, with 10 % of the plugs dead or hanging (issue 25).

Runs homelab.cluster.power_info in this process against 200 Shelly Gen2 plug doubles on loopback (one
HTTP server per plug, each on its own port, answering the documented Switch.GetStatus shape). Ten plugs are
dead (nothing listens on their port) and ten hang (they accept the connection and never answer). It times:

  (a) the module as the guard runs it: every source at once, one deadline (defaults: deadline 10 s, timeout 5 s);
  (b) the baseline, in the same run: one source after the other (concurrency 1, no deadline), as power_info read
      before, so ten hanging plugs cost ten 5 s timeouts.

Target: (a) within 15 s (a guard that runs every minute keeps its interval with room to act). It prints both
times and their ratio, and exits 1 when the target is missed.

    python bench/power_guard_scale.py [--hosts 200] [--bad 0.1]
"""

import argparse
import http.server
import json
import os
import socket
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, os.path.join(ROOT, '.build', 'collections'))
TARGET_S = 15.0
HUNG = threading.Event()


class Plug(http.server.BaseHTTPRequestHandler):
    """A Shelly Gen2 plug (a double): Switch.GetStatus in its documented shape."""

    def do_GET(self):
        body = json.dumps({'id': 0, 'source': 'init', 'output': True, 'apower': 42.5, 'voltage': 230.1}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class HangingPlug(Plug):
    def do_GET(self):
        HUNG.wait(3600)


def serve(handler):
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]  # closed again: a dead plug


def cycle(hosts, **options):
    from ansible.module_utils.testing import patch_module_args

    from ansible_collections.homelab.cluster.plugins.modules import power_info
    out = {}
    real_exit = power_info.AnsibleModule.exit_json

    def keep(module, **result):
        out.update(result)
        real_exit(module, **result)

    started = time.monotonic()
    power_info.AnsibleModule.exit_json = keep
    try:
        with patch_module_args(dict(options, hosts=hosts)), open(os.devnull, 'w') as null:
            stdout, sys.stdout = sys.stdout, null
            try:
                power_info.main()
            except SystemExit:
                pass
            finally:
                sys.stdout = stdout
    finally:
        power_info.AnsibleModule.exit_json = real_exit
    return time.monotonic() - started, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--hosts', type=int, default=200)
    parser.add_argument('--bad', type=float, default=0.1, help='share of plugs that are dead (half) or hang (half)')
    args = parser.parse_args()
    bad = int(args.hosts * args.bad)
    servers, hosts = [], {}
    for i in range(args.hosts):
        if i < bad // 2:
            port = free_port()
        elif i < bad:
            servers.append(serve(HangingPlug))
            port = servers[-1].server_address[1]
        else:
            servers.append(serve(Plug))
            port = servers[-1].server_address[1]
        hosts['h%03d' % i] = {'idle_w': 20, 'peak_w': 120,
                              'plug': {'kind': 'shelly_gen2', 'host': '127.0.0.1', 'port': port}}
    print('bench: %d plug doubles on loopback, %d dead and %d hanging' % (args.hosts, bad // 2, bad - bad // 2))
    concurrent_s, result = cycle(hosts)
    read = sum(1 for h in result['hosts'].values() if h['source'] == 'plug')
    print('(a) concurrent, one deadline (10 s):  %6.2f s  %d plugs read, %d unavailable'
          % (concurrent_s, read, len(result['unavailable'])))
    baseline_s, base = cycle(hosts, concurrency=1, deadline=3600)
    print('(b) one after the other (baseline):   %6.2f s  %d plugs read, %d unavailable'
          % (baseline_s, sum(1 for h in base['hosts'].values() if h['source'] == 'plug'), len(base['unavailable'])))
    print('a/b = %.3f; target: (a) <= %.0f s at %d hosts: %s'
          % (concurrent_s / baseline_s, TARGET_S, args.hosts, 'met' if concurrent_s <= TARGET_S else 'MISSED'))
    HUNG.set()
    return 0 if concurrent_s <= TARGET_S and read == args.hosts - bad else 1


if __name__ == '__main__':
    sys.exit(main())
