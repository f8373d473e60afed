# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The I/O of homelab.cluster.wake: the sender's interfaces, the magic packet burst, the storm-guard state file
and the readiness probes (a TCP connect, an SSH banner or an HTTP status) with the loop that polls one until it
says ready or gone. Unlike the pure files here (_wol.py decides what to send where), this one talks to the
network and the disk.

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

import errno
import fcntl
import http.client
import json
import os
import socket
import ssl
import struct
import tempfile
import time
from urllib.parse import urlsplit

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.homelab.cluster.plugins.module_utils._wol import WakeError
from ansible_collections.homelab.cluster.plugins.module_utils._wol import format_mac
from ansible_collections.homelab.cluster.plugins.module_utils._wol import magic_packet
from ansible_collections.homelab.cluster.plugins.module_utils._wol import parse_mac
from ansible_collections.homelab.cluster.plugins.module_utils._wol import parse_secureon
from ansible_collections.homelab.cluster.plugins.module_utils._wol import poll_delays

try:
    import wakeonlan
    HAS_WAKEONLAN = True
except ImportError:  # relays need only Python: the built-in builder makes the same bytes
    HAS_WAKEONLAN = False


def wakeonlan_version():
    """The installed wakeonlan release ('4.0.0'); the library itself has no __version__."""
    version = getattr(wakeonlan, '__version__', None) if HAS_WAKEONLAN else None
    if not version:
        try:
            from importlib.metadata import version as dist_version
            version = dist_version('wakeonlan')
        except Exception:  # noqa: BLE001 - Python < 3.8, or installed without metadata
            version = 'unknown version'
    return version


SIOCGIFADDR = 0x8915
SIOCGIFNETMASK = 0x891B


def local_interfaces():
    """The sender's IPv4 interfaces: [{'name', 'address', 'netmask'}] (no iproute2 needed)."""
    found = []
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for _index, name in socket.if_nameindex():
            request = struct.pack('256s', name.encode()[:15])
            try:
                address = fcntl.ioctl(sock.fileno(), SIOCGIFADDR, request)[20:24]
                netmask = fcntl.ioctl(sock.fileno(), SIOCGIFNETMASK, request)[20:24]
            except OSError:
                continue  # no IPv4 address
            found.append({'name': name, 'address': socket.inet_ntoa(address), 'netmask': socket.inet_ntoa(netmask)})
    finally:
        sock.close()
    return found


def build_packet(mac, secureon):
    if HAS_WAKEONLAN:
        text = format_mac(parse_mac(mac))
        if secureon:
            text += '/' + format_mac(parse_secureon(secureon))
        try:
            return wakeonlan.create_magic_packet(text), 'wakeonlan %s' % wakeonlan_version()
        except (ValueError, TypeError):
            pass  # a wakeonlan release without SecureOn
    return magic_packet(mac, secureon), 'builtin'


def send_burst(packet, destination, source, port, count):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        if source:
            sock.bind((source, 0))
        for i in range(count):
            if i:
                time.sleep(0.02)
            sock.sendto(packet, (destination, port))
    finally:
        sock.close()
    return count


class StateFile:
    """The storm-guard history of one host on the sending host, locked while the module runs."""

    def __init__(self, directory, key):
        self.directory = directory  # type path: already expanded
        self.path = os.path.join(self.directory, '%s.json' % key.replace('/', '_').replace(':', '-'))
        self.lock = None

    def __enter__(self):
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        self.lock = open(self.path + '.lock', 'w')
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self.lock.close()

    def read(self):
        try:
            with open(self.path) as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return None

    def write(self, history):
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix='.wake-')
        with os.fdopen(fd, 'w') as handle:
            json.dump(history, handle, sort_keys=True)
        os.rename(tmp, self.path)


class Probe:
    """One readiness check; returns (ready, detail)."""

    def __init__(self, params):
        self.kind = params['ready_check'] or ('http' if params['url'] else
                                              'ssh' if params['ready_port'] == 22 else 'tcp')
        self.address = params['address']
        self.port = params['ready_port']
        self.url = params['url']
        self.status_code = params['status_code']
        self.validate_certs = params['validate_certs']
        if self.kind == 'http' and not self.url:
            raise WakeError('ready_check=http needs url')
        if self.kind != 'http' and not self.address:
            raise WakeError('ready_check=%s needs address (the host to probe)' % self.kind)

    def describe(self):
        if self.kind == 'http':
            return 'http %s answering %s' % (self.url, '/'.join(str(c) for c in self.status_code))
        return '%s on %s:%d' % (self.kind, self.address, self.port)

    def __call__(self, timeout):
        timeout = max(0.05, min(1.0, timeout))
        if self.kind == 'http':
            return self._http(timeout)
        try:
            with socket.create_connection((self.address, self.port), timeout=timeout) as sock:
                if self.kind == 'tcp':
                    return True, 'port open'
                sock.settimeout(max(timeout, 1.0))
                banner = sock.recv(64)
        except (OSError, socket.timeout) as exc:
            return False, _reason(exc)
        if banner.startswith(b'SSH-'):
            return True, banner.split(b'\r')[0].decode('ascii', 'replace')
        return False, 'no SSH banner (got %r)' % banner[:20]

    def _http(self, timeout):
        parts = urlsplit(self.url)
        if parts.scheme == 'https':
            context = ssl.create_default_context()
            if not self.validate_certs:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout, context=context)
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            conn.request('GET', (parts.path or '/') + ('?' + parts.query if parts.query else ''))
            status = conn.getresponse().status
        except (OSError, socket.timeout, http.client.HTTPException) as exc:
            return False, _reason(exc)
        finally:
            conn.close()
        return status in self.status_code, 'HTTP %d' % status


def _reason(exc):
    if isinstance(exc, socket.timeout):
        return 'timed out'
    if getattr(exc, 'errno', None) in (errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH):
        return os.strerror(exc.errno).lower()
    return to_native(exc)


def wait_for(probe, want_ready, deadline):
    """Poll until probe() says ready == want_ready or the deadline passes: (seen, time seen, last detail)."""
    detail = ''
    for delay in poll_delays():
        ready, detail = probe(deadline - time.time())
        if ready == want_ready:
            return True, time.time(), detail
        if time.time() + delay >= deadline:
            return False, None, detail
        time.sleep(delay)
    return False, None, detail  # pragma: no cover - poll_delays never ends
