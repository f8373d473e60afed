# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The harvest worker's I/O helpers: durable files, the state file, HTTP connections, signed requests.

Installed by the homelab.cluster.harvester role next to harvest_worker.py; standard library only.
"""

import hashlib
import http.client
import json
import os
import threading
import time
from urllib.parse import urlsplit

import harvest_proto

REDIRECTS = (301, 302, 303, 307, 308)


class TransferError(Exception):
    """A failed attempt; ``retry_after`` seconds when the server said so, ``permanent`` for a 4xx."""

    def __init__(self, reason, retry_after=None, permanent=False):
        super(TransferError, self).__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.permanent = permanent


class Syncer:
    """fdatasync off the download loop: the loop asks for ``offset`` to be made durable and goes on reading; a
    thread syncs and then calls ``done(offset)`` (which records it in the state file). At most one sync is in
    flight: ``request`` waits for the previous one, so the data beyond the recorded offset stays under two
    requests' worth (the worker asks every half chunk: a power cut loses at most one chunk)."""

    def __init__(self, fd, done):
        self.fd, self.done = fd, done
        self.cond = threading.Condition()
        self.wanted, self.busy, self.closed, self.error = None, False, False, None
        self.thread = threading.Thread(target=self.run, name='harvest-sync', daemon=True)
        self.thread.start()

    def request(self, offset):
        with self.cond:
            while (self.busy or self.wanted is not None) and self.error is None:
                self.cond.wait()
            if self.error is not None:
                raise self.error
            self.wanted = offset
            self.cond.notify_all()

    def run(self):
        while True:
            with self.cond:
                while self.wanted is None and not self.closed:
                    self.cond.wait()
                if self.wanted is None:
                    return
                offset, self.wanted, self.busy = self.wanted, None, True
            try:
                os.fdatasync(self.fd)
                self.done(offset)
            except OSError as exc:
                with self.cond:
                    self.error = exc
            with self.cond:
                self.busy = False
                self.cond.notify_all()

    def close(self):
        with self.cond:
            self.closed = True
            self.cond.notify_all()
        self.thread.join()


def fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path, data, mode=0o644):
    """Write, fsync, rename over ``path``, fsync the directory: a power cut leaves the old or the new file."""
    tmp = '%s.tmp.%d' % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_dir(os.path.dirname(path) or '.')


def read_json(path, default):
    try:
        with open(path) as handle:
            return json.load(handle)
    except FileNotFoundError:
        return default
    except ValueError:
        # a torn or foreign file: keep it for a person, start from what the .part files say
        os.replace(path, '%s.corrupt.%d' % (path, int(time.time())))
        return default


def file_sha256(path, buffer_bytes=1 << 20):
    digest = hashlib.sha256()
    view = memoryview(bytearray(buffer_bytes))
    with open(path, 'rb') as handle:
        while True:
            count = handle.readinto(view)
            if not count:
                return digest.hexdigest()
            digest.update(view[:count])


def vm_hwm_kb():
    """Peak resident memory of this process (VmHWM), in KiB."""
    try:
        with open('/proc/self/status') as handle:
            for line in handle:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def connect(url, timeout, ca_file=None):
    parts = urlsplit(url)
    if parts.scheme == 'https':
        import ssl  # only where a source needs it: ssl costs memory on a 512 MB board
        context = ssl.create_default_context(cafile=ca_file or None)
        conn = http.client.HTTPSConnection(parts.hostname, parts.port or 443, timeout=timeout, context=context)
    elif parts.scheme == 'http':
        conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    else:
        raise TransferError('unsupported URL scheme in %s' % url, permanent=True)
    path = parts.path or '/'
    if parts.query:
        path += '?' + parts.query
    return conn, path


def open_get(url, headers, timeout, ca_file, user_agent):
    """GET following up to five redirects; returns (connection, response, final URL)."""
    for _hop in range(6):
        conn, path = connect(url, timeout, ca_file)
        try:
            conn.request('GET', path,
                         headers=dict(headers, **{'User-Agent': user_agent, 'Accept-Encoding': 'identity'}))
            resp = conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise TransferError('GET %s: %s' % (url, exc or type(exc).__name__)) from None
        if resp.status in REDIRECTS and resp.getheader('Location'):
            location = resp.getheader('Location')
            resp.close()
            conn.close()
            base = urlsplit(url)
            url = location if '://' in location else '%s://%s%s' % (base.scheme, base.netloc, location)
            continue
        return conn, resp, url
    raise TransferError('GET %s: more than five redirects' % url)


def lower_headers(resp):
    return {k.lower(): v for k, v in resp.getheaders()}


class Officer:
    """Signed requests to the quarantine officer (see harvest_proto for the wire format)."""

    def __init__(self, url, host, key, timeout, ca_file=None):
        self.url = url.rstrip('/')
        self.host = host
        self.key = key
        self.timeout = timeout
        self.ca_file = ca_file

    def _headers(self, method, path, content_sha256):
        return harvest_proto.signed_headers(self.key, method, path, self.host, int(time.time()),
                                            os.urandom(16).hex(), content_sha256)

    def _answer(self, conn, method, path):
        try:
            resp = conn.getresponse()
            body = resp.read(1 << 20)
        except (OSError, http.client.HTTPException) as exc:
            raise TransferError('%s %s%s: %s' % (method, self.url, path, exc or type(exc).__name__)) from None
        finally:
            conn.close()
        try:
            answer = json.loads(body.decode() or '{}')
        except ValueError:
            answer = {'error': body[:200].decode(errors='replace')}
        if resp.status >= 400:
            raise TransferError('officer answered %d to %s %s: %s' % (resp.status, method, path,
                                                                      answer.get('error', answer)),
                                permanent=resp.status in (400, 403, 404, 409))
        return answer

    def post(self, path, payload):
        body = json.dumps(payload, sort_keys=True).encode()
        conn, base = connect(self.url + path, self.timeout, self.ca_file)
        headers = self._headers('POST', base, harvest_proto.sha256_hex(body))
        headers['Content-Type'] = 'application/json'
        try:
            conn.request('POST', base, body=body, headers=headers)
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise TransferError('POST %s%s: %s' % (self.url, path, exc or type(exc).__name__)) from None
        return self._answer(conn, 'POST', base)

    def upload(self, sha256, path, offset, size, buffer_bytes, pace=None):
        """PUT the file from ``offset``; the officer hashes what it holds and answers its verdict."""
        conn, base = connect('%s/v1/upload/%s?offset=%d' % (self.url, sha256, offset), self.timeout, self.ca_file)
        headers = self._headers('PUT', base, sha256)
        headers['Content-Length'] = str(size - offset)
        headers['Content-Type'] = 'application/octet-stream'
        buf = bytearray(buffer_bytes)
        view = memoryview(buf)
        try:
            conn.putrequest('PUT', base, skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.endheaders()
            sent, started = 0, time.monotonic()
            with open(path, 'rb') as handle:
                handle.seek(offset)
                while True:
                    count = handle.readinto(view)
                    if not count:
                        break
                    conn.send(view[:count])
                    sent += count
                    if pace:
                        pace(sent, started)
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise TransferError('upload to %s: %s' % (self.url, exc or type(exc).__name__)) from None
        return self._answer(conn, 'PUT', base)
