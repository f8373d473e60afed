"""DOUBLE of a public download site for the lab (not the internet): a file server that misbehaves on request.

It serves the files of a directory as a plain web server does (GET and HEAD, one byte range per request with
206 and Content-Range, 416 past the end, strong ETags and Last-Modified, If-Range, If-None-Match and
If-Modified-Since), and can be told, per file, to fail the way real mirrors and flaky links fail:

    drop_every  N        every response is cut (TCP reset) after N body bytes; drop_times K: only K times
    change_after K       after K responses the file is replaced by <file>.v2 (new content, new ETag); the
                         checksum file is rewritten to match (a mirror updated between attempts)
    corrupt {offset, length}   those body bytes are inverted in every response (a bad mirror or disk)
    stall {after, seconds, times}   the body stops for that long after `after` bytes
    ignore_range true    200 with the whole file, whatever Range says
    rate_bps N           the body is sent at most this fast

    python3 http_source.py --root /srv/source --port 8080 [--sums SHA256SUMS] [--log /var/log/source.jsonl]

Faults are set over HTTP (the lab's own network only): POST /_control/faults with {"<file>": {...}} replaces
them; GET /_control/log returns every request (method, path, Range, If-Range, status, body bytes sent, the
fault applied, whether the body was complete) as a JSON list; POST /_control/reset clears the log.
Files without a fault go out with sendfile(2), so the double is not the bottleneck of bench/harvester.py.
"""

import argparse
import email.utils
import hashlib
import http.server
import json
import os
import re
import socket
import struct
import sys
import threading
import time

_RANGE = re.compile(r'^bytes=(\d*)-(\d*)$')


class Source:
    def __init__(self, root, sums, log_path):
        self.root = os.path.abspath(root)
        self.sums = sums
        self.log_path = log_path
        self.faults = {}
        self.served = {}  # path -> responses so far
        self.log = []
        self.lock = threading.Lock()
        self.digests = {}  # (name, size, mtime_ns) -> sha256: a change rehashes only the changed file
        if sums:
            self.write_sums()

    def write_sums(self):
        lines = []
        for name in sorted(os.listdir(self.root)):
            path = os.path.join(self.root, name)
            if name == self.sums or name.endswith('.v2') or name.startswith('.') or not os.path.isfile(path):
                continue
            stat = os.stat(path)
            key = (name, stat.st_size, stat.st_mtime_ns)
            if key not in self.digests:
                digest = hashlib.sha256()
                with open(path, 'rb') as handle:
                    for block in iter(lambda: handle.read(1 << 20), b''):
                        digest.update(block)
                self.digests[key] = digest.hexdigest()
            lines.append('%s  %s\n' % (self.digests[key], name))
        tmp = os.path.join(self.root, '.%s.tmp' % self.sums)
        with open(tmp, 'w') as handle:
            handle.writelines(lines)
        os.replace(tmp, os.path.join(self.root, self.sums))

    def record(self, entry):
        with self.lock:
            self.log.append(entry)
            if self.log_path:
                with open(self.log_path, 'a') as handle:
                    handle.write(json.dumps(entry, sort_keys=True) + '\n')

    def count(self, name):
        """The number of this response for the file; applies change_after before it is served."""
        with self.lock:
            self.served[name] = self.served.get(name, 0) + 1
            number = self.served[name]
            fault = self.faults.get(name, {})
            change = fault.get('change_after')
            if change and number == change + 1:
                path = os.path.join(self.root, name)
                if os.path.exists(path + '.v2'):
                    os.replace(path + '.v2', path)
                    if self.sums:
                        self.write_sums()
            return number, fault


def etag_of(stat):
    return '"%x-%x"' % (stat.st_mtime_ns, stat.st_size)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'homelab-lab-http-source/1'
    source = None

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b'', ctype='application/json', extra=None):
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Connection', 'close')
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)
        self.close_connection = True

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        if self.path == '/_control/faults':
            faults = json.loads(body.decode() or '{}')
            with self.source.lock:
                self.source.faults = faults
                self.source.served = {}
            return self.reply(200, json.dumps({'faults': faults}).encode())
        if self.path == '/_control/reset':
            with self.source.lock:
                self.source.log = []
            return self.reply(200, b'{}')
        return self.reply(404, b'{"error": "no such control"}')

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        if self.path == '/_control/log':
            with self.source.lock:
                return self.reply(200, json.dumps(self.source.log).encode())
        name = self.path.split('?', 1)[0].lstrip('/')
        path = os.path.join(self.source.root, name)
        entry = {'at': round(time.time(), 3), 'client': self.client_address[0], 'method': self.command,
                 'path': '/' + name, 'range': self.headers.get('Range'), 'if_range': self.headers.get('If-Range'),
                 'if_none_match': self.headers.get('If-None-Match'), 'status': None, 'sent': 0, 'fault': None,
                 'complete': None}
        if '/' in name or name.startswith('.') or not os.path.isfile(path):
            entry['status'] = 404
            self.source.record(entry)
            return self.reply(404, b'{"error": "not found"}')
        number, fault = self.source.count(name)
        entry['response'] = number
        try:
            self.serve(path, fault, number, entry)
        finally:
            self.source.record(entry)

    def serve(self, path, fault, number, entry):
        # opened once: a change between attempts does not alter this response
        handle = open(path, 'rb')  # noqa: SIM115 (closed in the finally below, after the body)
        try:
            stat = os.fstat(handle.fileno())
            size, etag = stat.st_size, etag_of(stat)
            modified = email.utils.formatdate(stat.st_mtime, usegmt=True)
            validators = {'ETag': etag, 'Last-Modified': modified, 'Accept-Ranges': 'bytes'}
            inm = self.headers.get('If-None-Match')
            if inm and etag in [t.strip() for t in inm.split(',')]:
                entry['status'] = 304
                return self.reply(304, extra=validators)
            first, last = 0, size - 1
            status, wanted = 200, self.headers.get('Range')
            if_range = self.headers.get('If-Range')
            if wanted and not fault.get('ignore_range') and (not if_range or if_range in (etag, modified)):
                match = _RANGE.match(wanted.strip())
                if match and (match.group(1) or match.group(2)):
                    if match.group(1):
                        first = int(match.group(1))
                        last = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
                    else:
                        first = max(0, size - int(match.group(2)))
                    if first >= size:
                        entry['status'] = 416
                        return self.reply(416, extra=dict(validators, **{'Content-Range': 'bytes */%d' % size}))
                    status = 206
            length = last - first + 1
            entry['status'] = status
            self.send_response(status)
            self.send_header('Content-Type', 'application/octet-stream')
            self.send_header('Content-Length', str(length))
            self.send_header('Connection', 'close')
            for key, value in validators.items():
                self.send_header(key, value)
            if status == 206:
                self.send_header('Content-Range', 'bytes %d-%d/%d' % (first, last, size))
            self.end_headers()
            self.close_connection = True
            if self.command == 'HEAD':
                return None
            self.wfile.flush()
            return self.body(handle, first, length, fault, number, entry)
        finally:
            handle.close()

    def body(self, handle, first, length, fault, number, entry):
        limit = length
        drop = fault.get('drop_every')
        if drop and (not fault.get('drop_times') or number <= fault['drop_times']):
            limit = min(length, drop)
            entry['fault'] = 'drop after %d bytes' % drop if drop < length else None
        stall = fault.get('stall') or {}
        stall_at = stall.get('after') if stall and number <= stall.get('times', 1) else None
        corrupt = fault.get('corrupt')
        rate = fault.get('rate_bps')
        sock = self.connection
        sent, started = 0, time.monotonic()
        try:
            while sent < limit:
                block, pos = min(1 << 20, limit - sent), first + sent
                if stall_at is not None:
                    if pos >= stall_at:
                        entry['fault'] = 'stalled %s s at byte %d' % (stall['seconds'], pos)
                        time.sleep(stall['seconds'])
                        stall_at = None
                    elif pos + block > stall_at:
                        block = stall_at - pos
                if corrupt or rate:
                    handle.seek(first + sent)
                    data = bytearray(handle.read(block))
                    if corrupt:
                        lo, hi = corrupt['offset'], corrupt['offset'] + corrupt['length']
                        for i in range(max(lo, first + sent), min(hi, first + sent + len(data))):
                            data[i - first - sent] ^= 0xFF
                        entry['fault'] = 'corrupted bytes %d-%d' % (lo, hi - 1)
                    sock.sendall(data)
                    block = len(data)
                else:
                    block = os.sendfile(sock.fileno(), handle.fileno(), first + sent, block)
                    if not block:
                        break
                sent += block
                if rate:
                    time.sleep(max(0.0, sent / float(rate) - (time.monotonic() - started)))
        except OSError:
            entry['complete'] = False
            entry['sent'] = sent
            return
        entry['sent'] = sent
        entry['complete'] = sent == length
        if sent < length:
            # a reset, not a polite close: what a dropped link or a killed mirror process looks like
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            sock.close()
        return


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--root', required=True)
    parser.add_argument('--port', type=int, default=8080)
    parser.add_argument('--bind', default='0.0.0.0')  # noqa: S104 (a lab container's own network)
    parser.add_argument('--sums', help='checksum file to write into the root (sha256sum format)')
    parser.add_argument('--faults', help='a JSON file of faults to start with')
    parser.add_argument('--log', help='append every request to this JSON-lines file too')
    args = parser.parse_args()
    Handler.source = Source(args.root, args.sums, args.log)
    if args.faults:
        with open(args.faults) as handle:
            Handler.source.faults = json.load(handle)
    server = http.server.ThreadingHTTPServer((args.bind, args.port), Handler)
    server.daemon_threads = True
    print('http_source: serving %s on %s:%d' % (args.root, args.bind, args.port), flush=True)
    server.serve_forever()
    return 0


if __name__ == '__main__':
    sys.exit(main())
