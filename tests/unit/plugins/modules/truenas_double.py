"""The TrueNAS double (lab/doubles/truenas.py) in this process, on a loopback port of 18410-18499."""

import os
import socket
import sys
import threading

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'lab', 'doubles'))

from truenas import Double  # noqa: E402
from truenas_ws import WebSocketServer  # noqa: E402

USER = 'homelab'
KEY = '3-Double0Key0For0Unit0Tests'


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
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
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


def tls_files(directory):
    """A CA and a server certificate for 127.0.0.1 (cryptography); returns (ca.pem, server.pem, server.key)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'unit test CA')])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - datetime.timedelta(minutes=1))
          .not_valid_after(now + datetime.timedelta(hours=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'localhost')]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - datetime.timedelta(minutes=1)).not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]),
                           critical=False).sign(ca_key, hashes.SHA384()))
    paths = [os.path.join(str(directory), name) for name in ('ca.pem', 'server.pem', 'server.key')]
    for path, data in zip(paths, (ca.public_bytes(serialization.Encoding.PEM),
                                  cert.public_bytes(serialization.Encoding.PEM),
                                  key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))):
        with open(path, 'wb') as handle:
            handle.write(data)
    return paths
