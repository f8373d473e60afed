"""The TrueNAS double (lab/doubles/truenas.py) in this process, on a loopback port of 18410-18499."""

import os
import socket
import sys
import threading

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'lab', 'doubles'))

from truenas import Double  # noqa: E402
from truenas_ws import WebSocketServer  # noqa: E402

USER, KEY = 'homelab', '3-Double0Key0For0Unit0Tests'


def free_port(start=18410, stop=18500):
    for port in range(start, stop):
        with socket.socket() as probe:
            try:
                probe.bind(('127.0.0.1', port))
            except OSError:
                continue
            return port
    raise RuntimeError('no free port in %d-%d' % (start, stop - 1))


class Running:
    def __init__(self, release='25.10.5', users=None, ssl_context=None, cert_der=None, job_seconds=0.05):
        self.double = Double(release, users or [(USER, KEY), ('intruder', '9-NotTheRightKey')], job_seconds,
                             rate_sleep=(0.0, 0.01), cert_der=cert_der)
        self.port = free_port()
        self.server = WebSocketServer(('127.0.0.1', self.port), self.double.serve, ssl_context=ssl_context,
                                      admit=self.double.admit)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = '%s://127.0.0.1:%d/api/current' % ('wss' if ssl_context else 'ws', self.port)

    @property
    def counters(self):
        return self.double.counters

    @property
    def state(self):
        with self.double.lock:
            return self.double.nas.snapshot_state()

    def args(self, **extra):
        return dict({'api_url': self.url, 'api_username': USER, 'api_key': KEY}, **extra)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
