# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The edge harvest worker (homelab.cluster.harvester): fetch the sources assigned to this host inside its
window, resumably, in constant memory, then hand each file to the quarantine officer.

    harvest_worker.py --config /etc/homelab/harvester/worker.json

Started by harvester.timer at the window's opening (Persistent=true: a window missed while the host was off
starts at boot) and by harvester.service at boot (a transfer cut by a power loss resumes when the host is
back). Outside the window it reports ``waiting`` and exits; at the window's end it stops mid-file, keeping
what it has. Files (under the config's ``spool``): state.json (per source: status, validator, committed
bytes, attempts, ...), progress.json (what the central view shows; the same JSON is posted to the officer),
parts/<name>.part and done/<name>. README section "Edge harvesters" documents both JSON formats.
"""

import argparse
import contextlib
import fcntl
import hashlib
import http.client
import json
import os
import random
import signal
import sys
import threading
import time

import harvest_proto
from harvest_io import Officer
from harvest_io import Syncer
from harvest_io import TransferError
from harvest_io import fsync_dir
from harvest_io import lower_headers
from harvest_io import open_get
from harvest_io import read_json
from harvest_io import vm_hwm_kb
from harvest_io import write_atomic


class WindowClosed(Exception):
    pass


class Worker:
    def __init__(self, config, key):
        self.cfg = config
        self.items = {item['name']: item for item in config['items']}
        spool = config['spool']
        self.parts, self.done = os.path.join(spool, 'parts'), os.path.join(spool, 'done')
        self.state_file, self.progress_file = os.path.join(spool, 'state.json'), os.path.join(spool, 'progress.json')
        for path in (spool, self.parts, self.done):
            os.makedirs(path, mode=0o750, exist_ok=True)
        self.state = read_json(self.state_file, {'version': 1, 'items': {}})
        self.officer = Officer(config['officer_url'], config['host'], key, config['connect_timeout_s'],
                               config.get('ca_file'))
        self.deadline = None
        self.last_report = 0.0
        self.last_signal = self.state.get('last_signal')
        self.current = {}
        self.lock = threading.Lock()

    # ---------------------------------------------------------------------------------------- state

    def item_state(self, name):
        st = self.state['items'].setdefault(name, {'status': 'new', 'committed': 0, 'attempts': 0})
        if st.get('url') != self.items[name]['url']:  # a new URL is a new source
            st.clear()
            st.update({'status': 'new', 'committed': 0, 'attempts': 0, 'url': self.items[name]['url']})
        return st

    def save(self):
        with self.lock:  # the sync thread records progress too
            self.state['last_signal'] = self.last_signal
            write_atomic(self.state_file, json.dumps(self.state, sort_keys=True, indent=1).encode(), 0o640)

    def prune(self):
        """Sources no longer assigned to this host: their state and files go (another host may have them)."""
        for name in sorted(set(self.state['items']) - set(self.items)):
            del self.state['items'][name]
        for folder, suffix in ((self.parts, '.part'), (self.done, '')):
            for entry in os.listdir(folder):
                if entry[:len(entry) - len(suffix)] not in self.items:
                    os.unlink(os.path.join(folder, entry))

    # --------------------------------------------------------------------------------------- report

    def window(self):
        now = time.localtime()
        return harvest_proto.in_window(self.cfg['window'], now.tm_wday,
                                       now.tm_hour * 3600 + now.tm_min * 60 + now.tm_sec)

    def report(self, state, detail='', force=False, **extra):
        now = time.time()
        if not force and now - self.last_report < self.cfg['report_interval_s']:
            return
        self.last_report = now
        inside, to_end, to_start = self.window()
        items = []
        for name in sorted(self.items):
            st = self.state['items'].get(name, {})
            items.append({'name': name, 'status': st.get('status', 'new'), 'bytes': st.get('committed', 0),
                          'total': st.get('total') or self.items[name].get('size'),
                          'attempts': st.get('attempts', 0), 'last_error': st.get('last_error'),
                          'sha256': st.get('sha256'), 'archived_at': st.get('archived_at'),
                          'rss_peak_kb': st.get('rss_peak_kb')})
        progress = dict({'host': self.cfg['host'], 'state': state, 'detail': detail, 'at': int(now),
                         'pid': os.getpid(), 'worker': 'python', 'rss_peak_kb': vm_hwm_kb(),
                         'window': self.cfg['window'].get('text', 'always'), 'window_open': inside,
                         'window_closes_in_s': to_end, 'window_opens_in_s': to_start,
                         'rate_limit_bps': self.cfg['rate_bps'], 'items': items,
                         'last_signal': self.last_signal}, **self.current)
        progress.update(extra)
        write_atomic(self.progress_file, json.dumps(progress, sort_keys=True, indent=1).encode())
        with contextlib.suppress(TransferError):  # the view then shows this host as silent; the work goes on
            self.officer.post('/v1/status', progress)

    # ------------------------------------------------------------------------------------- fetching

    def fetch(self, name):
        item, st = self.items[name], self.item_state(name)
        part = os.path.join(self.parts, name + '.part')
        committed = min(st.get('committed', 0), os.path.getsize(part) if os.path.exists(part) else 0)
        digest = hashlib.sha256()
        with open(part, 'ab+') as handle:
            handle.truncate(committed)  # past the last fsync nothing is trusted
            handle.seek(0)
            view = memoryview(bytearray(self.cfg['buffer_bytes']))
            left = committed
            while left:
                count = handle.readinto(view[:min(left, len(view))])
                if not count:
                    break
                digest.update(view[:count])
                left -= count
        headers = harvest_proto.request_headers(committed, st.get('validator'))
        if not headers and item.get('refresh_s') and st.get('archived_validator'):
            key = 'If-None-Match' if st.get('archived_etag') else 'If-Modified-Since'
            headers = {key: st['archived_validator']}
        conn, resp, _url = open_get(item['url'], headers, self.cfg['stall_timeout_s'], self.cfg.get('ca_file'),
                                    self.cfg['user_agent'])
        try:
            meta = lower_headers(resp)
            action, total, reason = harvest_proto.plan_response(resp.status, meta, committed)
            if action == 'unchanged':
                st.update({'status': 'archived', 'archived_at': int(time.time()), 'last_error': None})
                return False
            if action in ('retry', 'fail'):
                raise TransferError('%s from %s' % (reason, item['url']), total, permanent=action == 'fail')
            if action == 'restart':
                if reason:
                    st['restarts'] = st.get('restarts', 0) + 1
                    st['last_restart'] = reason
                st.update({'committed': 0, 'validator': None, 'total': None})
                if resp.status != 200:  # this body starts elsewhere: ask again, from byte 0
                    raise TransferError(reason, 0)
                committed, digest = 0, hashlib.sha256()
                st['validator'] = harvest_proto.if_range_validator(meta.get('etag'), meta.get('last-modified'))
                st['etag'], st['last_modified'] = meta.get('etag'), meta.get('last-modified')
            st.update({'status': 'downloading', 'total': total})
            if action != 'complete':
                committed = self.stream(name, resp, part, committed, digest, st)
        finally:
            resp.close()
            conn.close()
        if st.get('total') is not None and committed != st['total']:
            raise TransferError('connection closed at byte %d of %d' % (committed, st['total']))
        final = os.path.join(self.done, name)
        os.replace(part, final)
        fsync_dir(self.done)
        st.update({'status': 'fetched', 'sha256': digest.hexdigest(), 'size': committed, 'committed': committed,
                   'fetched_at': int(time.time()), 'rss_peak_kb': vm_hwm_kb(), 'last_error': None})
        self.save()
        return True

    def stream(self, name, resp, part, committed, digest, st):
        """Body -> .part in fixed buffers: durable and recorded every half chunk (fdatasync on a thread, so the
        disk does not stall the network), paced, watching the window's end."""
        cfg = self.cfg
        view = memoryview(bytearray(cfg['buffer_bytes']))
        started, sent, since_sync, rate = time.monotonic(), 0, 0, None
        mark_t, mark_b = started, 0
        step = max(cfg['buffer_bytes'], cfg['chunk_bytes'] // 2)
        with open(part, 'r+b' if committed else 'wb', buffering=0) as handle:
            handle.seek(committed)
            handle.truncate(committed)

            def recorded(offset):
                st['committed'] = offset
                self.save()
            syncer = Syncer(handle.fileno(), recorded)
            try:
                while True:
                    if self.deadline is not None and time.time() >= self.deadline:
                        raise WindowClosed()
                    try:
                        count = resp.readinto(view)  # the socket's timeout is stall_timeout_s
                    except (OSError, http.client.HTTPException) as exc:
                        raise TransferError('connection lost at byte %d: %s'
                                            % (committed, exc or type(exc).__name__)) from None
                    if not count:
                        break
                    written = 0
                    try:
                        while written < count:
                            written += handle.write(view[written:count])
                    except OSError as exc:  # a full disk: say so, keep what is there, try again later
                        raise TransferError('writing %s at byte %d: %s' % (part, committed, exc)) from None
                    digest.update(view[:count])
                    committed += count
                    sent += count
                    since_sync += count
                    if since_sync >= step:
                        syncer.request(committed)
                        since_sync = 0
                    now = time.monotonic()
                    if now - mark_t >= 1.0:
                        rate = harvest_proto.ewma(rate, (sent - mark_b) / (now - mark_t))
                        mark_t, mark_b = now, sent
                        self.current = {'item': name, 'bytes': committed, 'total': st.get('total'),
                                        'rate_bps': int(rate),
                                        'eta_s': harvest_proto.eta_s(st.get('total'), committed, rate)}
                        self.report('downloading', 'fetching %s' % name)
                    delay = harvest_proto.pace_s(sent, now - started, cfg['rate_bps'])
                    if delay > 0:
                        time.sleep(delay)
            finally:
                # what arrived is kept: the next attempt resumes after it (the end, SIGTERM, the window, a drop)
                syncer.close()
                os.fdatasync(handle.fileno())
                recorded(committed)
        return committed

    # ----------------------------------------------------------------------------------- delivering

    def deliver(self, name):
        """Offer the fetched file to the officer; upload it when asked; record the verdict."""
        item, st = self.items[name], self.item_state(name)
        path = os.path.join(self.done, name)
        offer = {'name': name, 'sha256': st['sha256'], 'size': st['size'], 'fetched_at': st['fetched_at'],
                 'url': item['url'], 'filename': item['filename'], 'etag': st.get('etag'),
                 'last_modified': st.get('last_modified')}
        answer = self.officer.post('/v1/offer', offer)
        if answer.get('verdict') == 'send':
            self.current = {'item': name, 'bytes': answer.get('offset', 0), 'total': st['size']}
            self.report('uploading', 'handing %s to the officer' % name, force=True)
            rate = self.cfg.get('upload_rate_bps') or 0

            def pace(sent, started):
                time.sleep(harvest_proto.pace_s(sent, time.monotonic() - started, rate))
            answer = self.officer.upload(st['sha256'], path, int(answer.get('offset', 0)), st['size'],
                                         self.cfg['buffer_bytes'], pace if rate else None)
        verdict = answer.get('verdict')
        self.last_signal = {'at': int(time.time()), 'item': name, 'verdict': verdict,
                            'reason': answer.get('reason')}
        if verdict in ('promoted', 'duplicate'):
            st.update({'status': 'archived', 'archived_at': int(time.time()), 'archived_path': answer.get('path'),
                       'archived_validator': st.get('validator'), 'archived_etag': bool(st.get('etag')),
                       'validator': None, 'committed': 0, 'attempts': 0, 'last_error': None})
            if not self.cfg.get('keep_after_archive'):
                os.unlink(path)
        elif verdict == 'rejected':
            st.update({'status': 'rejected', 'rejections': st.get('rejections', 0) + 1, 'committed': 0,
                       'validator': None, 'last_error': 'rejected by the officer: %s' % answer.get('reason'),
                       'next_try': time.time() + self.cfg['rejected_retry_s']})
            os.unlink(path)
        elif verdict == 'pending':  # the officer holds it and proves it on its own; ask again on the next run
            st.update({'status': 'delivered', 'last_error': answer.get('reason'),
                       'next_try': time.time() + self.cfg['recheck_s'] + 1})
        else:
            raise TransferError('officer answered %r' % (answer,))
        self.save()

    # ----------------------------------------------------------------------------------------- loop

    def pending(self, now):
        out = []
        for name in sorted(self.items):
            st = self.item_state(name)
            if st.get('status') == 'rejected' and st.get('rejections', 0) >= self.cfg['max_rejections']:
                continue
            if st.get('status') == 'failed' and st.get('permanent'):
                continue
            if harvest_proto.due(st, self.items[name].get('refresh_s'), now):
                out.append((st.get('next_try', 0), name))
        return out

    def hello(self):
        """Which of this host's sources the archive already holds (a new SD card must not fetch them again)."""
        try:
            answer = self.officer.post('/v1/hello', {'items': sorted(self.items)})
        except TransferError as exc:
            self.report('in window', 'officer unreachable: %s' % exc.reason, force=True)
            return
        for name, record in (answer.get('archived') or {}).items():
            if (name in self.items and not self.items[name].get('refresh_s')
                    and record.get('url') == self.items[name]['url']):
                st = self.item_state(name)
                if st.get('status') != 'archived':
                    st.update({'status': 'archived', 'archived_at': record.get('promoted_at'),
                               'archived_path': record.get('path'), 'sha256': record.get('sha256')})

    def attempt(self, name):
        st = self.item_state(name)
        try:
            if st.get('status') not in ('fetched', 'delivered') and not self.fetch(name):
                self.save()
                return
            self.deliver(name)
        except TransferError as exc:
            st['attempts'] = st.get('attempts', 0) + 1
            st['last_error'] = exc.reason
            st['permanent'] = exc.permanent and st['attempts'] >= 3
            if st['permanent']:
                st['status'] = 'failed'
            wait = harvest_proto.backoff_s(st['attempts'], self.cfg['backoff_base_s'],
                                           self.cfg['backoff_max_s'] * (4 if exc.permanent else 1),
                                           random.random())  # noqa: S311 (jitter, not a secret)
            st['next_try'] = time.time() + max(wait, exc.retry_after or 0)
            self.save()
            self.current = {}
            self.report('backing off', '%s: %s; next try in %d s' % (name, exc.reason, wait), force=True)

    def run(self):
        self.prune()
        inside, to_end, to_start = self.window()
        if not inside:
            self.report('waiting', 'outside the window (%s)' % self.cfg['window'].get('text'), force=True)
            return 0
        self.deadline = time.time() + to_end if to_end is not None else None
        self.report('in window', 'starting', force=True)
        self.hello()
        while True:
            now = time.time()
            work = self.pending(now)
            ready = [name for when, name in work if when <= now]
            if not ready:
                later = [when for when, _n in work]
                # a retry soon is waited for; one later than recheck_s is left to the timer (OnUnitInactiveSec)
                if later and min(later) - now <= self.cfg['recheck_s'] and (self.deadline is None
                                                                            or min(later) < self.deadline):
                    self.current = {}
                    self.report('backing off', 'next try in %d s' % (min(later) - now), force=True,
                                quiet_s=int(min(later) - now) + 1)
                    time.sleep(max(0.1, min(later) - now))
                    continue
                break
            try:
                self.attempt(ready[0])
            except WindowClosed:
                self.current = {}
                self.save()
                self.report('waiting', 'the window closed mid-transfer; what was fetched is kept', force=True)
                return 0
        self.current = {}
        left = [n for _w, n in self.pending(time.time())]
        failed = [n for n in sorted(self.items)
                  if self.state['items'].get(n, {}).get('status') in ('failed', 'rejected')]
        if left:
            self.report('waiting', '%d left for the next window: %s' % (len(left), ', '.join(left)), force=True)
        elif failed:
            self.report('failed', 'gave up on %s' % ', '.join(
                '%s (%s)' % (n, self.state['items'][n].get('last_error')) for n in failed), force=True)
        else:
            self.report('idle', 'everything assigned is in the archive', force=True)
        return 0


def main():
    parser = argparse.ArgumentParser(description='homelab.cluster edge harvest worker')
    parser.add_argument('--config', default='/etc/homelab/harvester/worker.json')
    args = parser.parse_args()
    with open(args.config) as handle:
        config = json.load(handle)
    with open(config['key_file']) as handle:
        key = bytes.fromhex(handle.read().strip())
    os.makedirs(config['spool'], mode=0o750, exist_ok=True)
    lock = open(os.path.join(config['spool'], 'lock'), 'w')  # noqa: SIM115 (held until the process exits)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        print('harvest_worker: another worker runs on this spool', file=sys.stderr)
        return 0

    def stop(signum, _frame):
        raise SystemExit(128 + signum)  # unwinds through the commits: what was fsynced stays
    signal.signal(signal.SIGTERM, stop)
    return Worker(config, key).run()


if __name__ == '__main__':
    sys.exit(main())
