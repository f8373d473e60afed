# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The quarantine officer (homelab.cluster.harvester, officer entry point) on the logic node.

    harvest_officer.py --config /etc/homelab/harvester/officer.json

Edges talk to it over HTTP with HMAC-signed requests (harvest_proto): POST /v1/hello (what the archive holds
already), /v1/status (progress), /v1/offer (a fetched file: duplicate by hash, or send it), PUT
/v1/upload/<sha256>?offset=N (the file, resumable). An upload goes to quarantine/, is hashed there, proved
against the catalogue's SHA-256 or the published checksum file (fetched by the officer itself, never
through the edge) and only then renamed into the archive with a manifest line; a mismatch goes to
rejected/ with a line in rejections.jsonl and never into the archive. GET / and /status.json serve the view
(harvest_view). Only this process writes the archive.
"""

import argparse
import http.server
import json
import os
import shutil
import sys
import threading
import time
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import harvest_ledger
import harvest_proto
import harvest_view
from harvest_io import TransferError
from harvest_io import file_sha256
from harvest_io import fsync_dir
from harvest_io import lower_headers
from harvest_io import open_get
from harvest_io import write_atomic

MAX_JSON = 1 << 20
CHECKSUM_MAX = 4 << 20


def append_line(path, record):
    with open(path, 'a') as handle:
        handle.write(json.dumps(record, sort_keys=True) + '\n')
        handle.flush()
        os.fsync(handle.fileno())


class Officer:
    def __init__(self, cfg):
        self.cfg = cfg
        self.catalogue = {e['name']: e for e in cfg['catalogue']}
        self.keys = {}
        for entry in sorted(os.listdir(cfg['keys_dir'])):
            if entry.endswith('.key'):
                with open(os.path.join(cfg['keys_dir'], entry)) as handle:
                    self.keys[entry[:-4]] = bytes.fromhex(handle.read().strip())
        for key in ('quarantine', 'rejected', 'archive', 'state_dir', 'view_dir'):
            os.makedirs(cfg[key], mode=0o750, exist_ok=True)
        os.makedirs(os.path.join(cfg['state_dir'], 'edges'), exist_ok=True)
        self.manifest = os.path.join(cfg['archive'], 'manifest.jsonl')
        self.rejections = os.path.join(cfg['state_dir'], 'rejections.jsonl')
        self.guard = harvest_proto.ReplayGuard(cfg['skew_s'], not_before=int(time.time()))
        self.lock = threading.RLock()  # quarantine, manifest, archive
        self.guard_lock = threading.Lock()  # the replay guard: never waits for a promotion
        self.uploading = set()
        self.rendered = 0.0

    # ------------------------------------------------------------------------------------- records

    def records(self, path):
        try:
            with open(path) as handle:
                return [json.loads(line) for line in handle if line.strip()]
        except FileNotFoundError:
            return []

    def meta_path(self, sha):
        return os.path.join(self.cfg['quarantine'], sha + '.json')

    def part_path(self, sha):
        return os.path.join(self.cfg['quarantine'], sha + '.part')

    def render(self, force=False):
        if not force and time.time() - self.rendered < 2:
            return
        self.rendered = time.time()
        harvest_view.write_view(self.cfg)

    # ------------------------------------------------------------------------------------ requests

    def hello(self, host, body):
        latest = harvest_ledger.latest_by_name(self.records(self.manifest))
        names = [n for n in body.get('items') or () if n in self.catalogue]
        return 200, {'archived': {n: latest[n] for n in names if n in latest}}

    def status(self, host, body):
        write_atomic(os.path.join(self.cfg['state_dir'], 'edges', host + '.json'),
                     json.dumps({'received_at': int(time.time()), 'report': body}, sort_keys=True).encode())
        self.render()
        return 200, {'ok': True}

    def offer(self, host, body):
        name, sha, size = body.get('name'), str(body.get('sha256') or '').lower(), body.get('size')
        entry = self.catalogue.get(name)
        if entry is None:  # any edge with a key may deliver any source: what counts is the proof, by hash
            return 403, {'error': '%s is not in the catalogue' % (name,)}
        if len(sha) != 64 or not isinstance(size, int) or size < 0:
            return 400, {'error': 'offer needs sha256 (64 hex digits) and size (bytes)'}
        with self.lock:
            known = harvest_ledger.by_hash(self.records(self.manifest)).get(sha)
            if known:
                return 200, {'verdict': 'duplicate', 'path': known['path'], 'reason': 'the archive holds this content'
                             ' (%s from %s)' % (known['path'], known['host'])}
            if entry.get('size') is not None and size != entry['size']:
                reason = 'size %d, the catalogue says %d' % (size, entry['size'])
                append_line(self.rejections, harvest_ledger.rejection_record(entry, host, size, sha, reason, None,
                                                                             time.time()))
                self.render(True)
                return 200, {'verdict': 'rejected', 'reason': reason}
            meta = self.read_meta(sha)
            if meta and meta.get('status') == 'pending':
                return self.decide(sha, meta)
            if not meta or meta.get('size') != size:
                meta = {'sha256': sha, 'name': name, 'host': host, 'size': size, 'status': 'receiving',
                        'fetched_at': int(body.get('fetched_at') or time.time()), 'offered_at': int(time.time())}
                write_atomic(self.meta_path(sha), json.dumps(meta, sort_keys=True).encode())
            part = self.part_path(sha)
            return 200, {'verdict': 'send', 'offset': os.path.getsize(part) if os.path.exists(part) else 0}

    def read_meta(self, sha):
        try:
            with open(self.meta_path(sha)) as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return None

    def upload(self, host, sha, offset, length, stream):
        meta = self.read_meta(sha)
        if not meta or meta['host'] != host or meta.get('status') != 'receiving':
            return 409, {'error': 'no offer of %s from %s waits for an upload' % (sha, host)}
        part = self.part_path(sha)
        with self.lock:
            if sha in self.uploading:
                return 409, {'error': 'an upload of %s is already running' % sha}
            held = os.path.getsize(part) if os.path.exists(part) else 0
            if offset != held:
                return 200, {'verdict': 'send', 'offset': held}
            if offset + length != meta['size']:
                return 400, {'error': 'offset %d + length %d is not the offered size %d'
                                      % (offset, length, meta['size'])}
            self.uploading.add(sha)
        left = length
        try:
            with open(part, 'ab') as handle:
                while left:
                    chunk = stream.read(min(left, 1 << 20))
                    if not chunk:
                        break
                    handle.write(chunk)
                    left -= len(chunk)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:  # a full quarantine: the edge keeps its copy and says why in the view
            return 507, {'error': 'quarantine on %s: %s' % (self.cfg['host'], exc)}
        finally:
            with self.lock:
                self.uploading.discard(sha)
        if left:
            return 200, {'verdict': 'send', 'offset': os.path.getsize(part), 'reason': 'upload cut short'}
        with self.lock:
            meta['received_at'] = int(time.time())
            return self.decide(sha, meta)

    # ------------------------------------------------------------------------------------- verdict

    def published(self, entry):
        if not entry.get('checksum_url'):
            return None
        try:
            conn, resp, _url = open_get(entry['checksum_url'], {}, self.cfg['checksum_timeout_s'],
                                        self.cfg.get('ca_file'), self.cfg['user_agent'])
        except TransferError:
            return None
        try:
            if resp.status != 200:
                return None
            length = lower_headers(resp).get('content-length', '0')
            if length.isdigit() and int(length) > CHECKSUM_MAX:
                return None
            return harvest_ledger.parse_checksums(resp.read(CHECKSUM_MAX).decode('utf-8', 'replace'))
        except OSError:
            return None
        finally:
            resp.close()
            conn.close()

    def decide(self, sha, meta):
        """Hash what is in quarantine, prove it, then promote or reject (called under the lock)."""
        entry, part = self.catalogue.get(meta['name']), self.part_path(sha)
        actual, size = file_sha256(part), os.path.getsize(part)
        if actual != sha:
            reason = 'arrived with SHA-256 %s, the edge announced %s' % (actual, sha)
            return self.reject(entry, meta, actual, size, reason)
        decision, reason, verified = harvest_ledger.verdict(entry, size, actual, self.published(entry))
        if decision == 'reject':
            return self.reject(entry, meta, actual, size, reason)
        if decision == 'wait':
            meta.update({'status': 'pending', 'reason': reason, 'checked_at': int(time.time())})
            write_atomic(self.meta_path(sha), json.dumps(meta, sort_keys=True).encode())
            self.render(True)
            return 200, {'verdict': 'pending', 'reason': reason}
        known = harvest_ledger.by_hash(self.records(self.manifest)).get(sha)
        if known:  # another edge delivered the same content meanwhile
            os.unlink(part)
            os.unlink(self.meta_path(sha))
            return 200, {'verdict': 'duplicate', 'path': known['path']}
        rel = harvest_ledger.archive_path(entry, time.gmtime(meta['fetched_at']))
        target = os.path.join(self.cfg['archive'], rel)
        if os.path.exists(target):  # never overwrite what the archive holds: a new version gets its own name
            target, rel = '%s.%s' % (target, sha[:12]), '%s.%s' % (rel, sha[:12])
        self.promote(part, target)
        now = time.time()
        record = harvest_ledger.manifest_record(entry, meta['host'], size, sha, rel, verified, meta['fetched_at'],
                                                meta.get('received_at', now), now)
        append_line(self.manifest, record)
        os.unlink(self.meta_path(sha))
        self.render(True)
        return 200, {'verdict': 'promoted', 'path': rel, 'verified': verified}

    def promote(self, part, target):
        """Atomic: the file appears in the archive complete or not at all (rename within one filesystem;
        across filesystems (an NFS archive) through a fsynced temporary file in the archive, then rename)."""
        folder = os.path.dirname(target)
        os.makedirs(folder, mode=0o755, exist_ok=True)
        os.chmod(part, 0o444)
        if os.stat(part).st_dev == os.stat(folder).st_dev:
            os.rename(part, target)
        else:
            incoming = os.path.join(self.cfg['archive'], '.incoming')
            os.makedirs(incoming, exist_ok=True)
            tmp = os.path.join(incoming, os.path.basename(part))
            with open(part, 'rb') as src, open(tmp, 'wb') as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
                dst.flush()
                os.fsync(dst.fileno())
            os.chmod(tmp, 0o444)
            os.rename(tmp, target)
            os.unlink(part)
        fsync_dir(folder)

    def reject(self, entry, meta, actual, size, reason):
        kept = os.path.join(self.cfg['rejected'], '%s-%s-%s-%s' % (
            time.strftime('%Y%m%dT%H%M%SZ', time.gmtime()), meta['host'], meta['name'], actual[:12]))
        os.rename(self.part_path(meta['sha256']), kept)
        os.chmod(kept, 0o400)
        os.unlink(self.meta_path(meta['sha256']))
        append_line(self.rejections, harvest_ledger.rejection_record(entry, meta['host'], size, actual, reason,
                                                                     kept, time.time()))
        self.render(True)
        return 200, {'verdict': 'rejected', 'reason': reason}

    def recheck(self):
        """Files waiting for their published checksum: try again (every check_interval_s)."""
        for entry in sorted(os.listdir(self.cfg['quarantine'])):
            if entry.endswith('.json'):
                meta = self.read_meta(entry[:-5])
                if meta and meta.get('status') == 'pending' and meta['name'] in self.catalogue:
                    with self.lock:
                        self.decide(meta['sha256'], meta)


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = 'homelab-harvest-officer'
    officer = None

    def log_message(self, fmt, *args):
        sys.stderr.write('%s %s\n' % (self.address_string(), fmt % args))

    def answer(self, status, payload, content_type='application/json'):
        body = payload if isinstance(payload, bytes) else json.dumps(payload, sort_keys=True).encode()
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        name = {'/': 'index.html', '/index.html': 'index.html', '/status.json': 'status.json'}.get(self.path)
        if name is None:
            return self.answer(404, {'error': 'not found'})
        try:
            with open(os.path.join(self.officer.cfg['view_dir'], name), 'rb') as handle:
                data = handle.read()
        except OSError:
            return self.answer(503, {'error': 'the view is not rendered yet'})
        return self.answer(200, data, 'text/html; charset=utf-8' if name.endswith('html') else 'application/json')

    def signed(self, content_sha256):
        headers = {k.lower(): v for k, v in self.headers.items()}
        with self.officer.guard_lock:
            return harvest_proto.verify(headers, self.command, self.path, content_sha256, self.officer.keys,
                                        self.officer.guard, time.time())

    def do_POST(self):
        length = int(self.headers.get('Content-Length') or 0)
        if length > MAX_JSON:
            return self.answer(413, {'error': 'body over %d bytes' % MAX_JSON})
        body = self.rfile.read(length)
        try:
            host = self.signed(harvest_proto.sha256_hex(body))
            payload = json.loads(body.decode() or '{}')
        except harvest_proto.SignalError as exc:
            return self.answer(exc.status, {'error': exc.reason})
        except ValueError:
            return self.answer(400, {'error': 'the body is not JSON'})
        route = {'/v1/hello': self.officer.hello, '/v1/status': self.officer.status,
                 '/v1/offer': self.officer.offer}.get(self.path)
        if route is None:
            return self.answer(404, {'error': 'no such endpoint'})
        return self.answer(*route(host, payload))

    def do_PUT(self):
        url = urlsplit(self.path)
        sha = url.path.rsplit('/', 1)[-1].lower()
        if not url.path.startswith('/v1/upload/') or len(sha) != 64:
            return self.answer(404, {'error': 'no such endpoint'})
        try:
            host = self.signed(None)
        except harvest_proto.SignalError as exc:
            return self.answer(exc.status, {'error': exc.reason})
        if self.headers.get('X-Harvest-Content-SHA256', '').lower() != sha:
            return self.answer(400, {'error': 'X-Harvest-Content-SHA256 is not the uploaded hash'})
        offset = parse_qs(url.query).get('offset', ['0'])[0]
        length = self.headers.get('Content-Length', '')
        if not offset.isdigit() or not length.isdigit():
            return self.answer(400, {'error': 'offset and Content-Length must be numbers'})
        return self.answer(*self.officer.upload(host, sha, int(offset), int(length), self.rfile))


def main():
    parser = argparse.ArgumentParser(description='homelab.cluster quarantine officer')
    parser.add_argument('--config', default='/etc/homelab/harvester/officer.json')
    args = parser.parse_args()
    with open(args.config) as handle:
        cfg = json.load(handle)
    officer = Officer(cfg)
    officer.render(True)
    Handler.officer = officer
    server = http.server.ThreadingHTTPServer((cfg['listen'], cfg['port']), Handler)
    server.daemon_threads = True

    def rechecks():
        while True:
            time.sleep(cfg['check_interval_s'])
            try:
                officer.recheck()
                officer.render(True)
            except Exception as exc:  # noqa: BLE001  (a bad file must not stop the officer)
                sys.stderr.write('recheck: %s\n' % exc)
    threading.Thread(target=rechecks, daemon=True).start()
    sys.stderr.write('harvest officer on %s:%d, %d edge keys, archive %s\n'
                     % (cfg['listen'], cfg['port'], len(officer.keys), cfg['archive']))
    server.serve_forever()
    return 0


if __name__ == '__main__':
    sys.exit(main())
