# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The harvest protocol, pure (no I/O): signing and replay guard, resume decisions, window, backoff, pacing.

Installed by the homelab.cluster.harvester role next to harvest_worker.py (edge hosts) and harvest_officer.py
(the logic node); both read it, nothing else. Python 3.8+, standard library only. Unit tests:
tests/unit/roles/harvester/test_harvest_proto.py. The shell worker (harvest-worker.sh) speaks the same wire
format; tests/unit/roles/harvester/test_shell_worker.py checks its signatures against ``sign`` here.

Signed requests (edge -> officer) carry four headers::

    X-Harvest-Host: pi5
    X-Harvest-Time: 1764547200            (unix seconds)
    X-Harvest-Nonce: 32 hex digits         (fresh per request)
    X-Harvest-Content-SHA256: <hex>        (SHA-256 of the JSON body; for an upload, of the whole file)
    X-Harvest-Signature: <hex>             HMAC-SHA256(key, canonical)

    canonical = "HARVEST1\\n" METHOD "\\n" PATH(with query) "\\n" HOST "\\n" TIME "\\n" NONCE "\\n" CONTENT-SHA256

The officer accepts a request only with a valid signature by that host's key, a time within ``skew_s`` of
its clock, not before the officer's own start (a restart forgets no accepted nonce that way) and a nonce it
has not seen in that window. A replayed request is refused; a repeated offer of the same content is
answered by content hash (idempotent), never archived twice.
"""

import hashlib
import hmac
import re

WIRE = 'HARVEST1'
HEADERS = ('X-Harvest-Host', 'X-Harvest-Time', 'X-Harvest-Nonce', 'X-Harvest-Content-SHA256',
           'X-Harvest-Signature')
_HEX = re.compile(r'^[0-9a-f]+$')
_CONTENT_RANGE = re.compile(r'^bytes\s+(\d+)-(\d+)/(\d+|\*)$')
_UNSATISFIED = re.compile(r'^bytes\s+\*/(\d+)$')


class SignalError(Exception):
    """A request the officer refuses: ``status`` is the HTTP status to answer with."""

    def __init__(self, reason, status=401):
        super(SignalError, self).__init__(reason)
        self.reason = reason
        self.status = status


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def canonical(method, path, host, stamp, nonce, content_sha256):
    return '\n'.join((WIRE, method.upper(), path, host, str(int(stamp)), nonce, content_sha256)).encode()


def sign(key, method, path, host, stamp, nonce, content_sha256):
    """The hex HMAC-SHA256 of the canonical request; ``key`` is bytes."""
    return hmac.new(key, canonical(method, path, host, stamp, nonce, content_sha256), hashlib.sha256).hexdigest()


def signed_headers(key, method, path, host, stamp, nonce, content_sha256):
    return {'X-Harvest-Host': host, 'X-Harvest-Time': str(int(stamp)), 'X-Harvest-Nonce': nonce,
            'X-Harvest-Content-SHA256': content_sha256,
            'X-Harvest-Signature': sign(key, method, path, host, stamp, nonce, content_sha256)}


class ReplayGuard:
    """Nonces seen within the accepted time window; ``not_before`` is the officer's start time."""

    def __init__(self, skew_s=300, not_before=0, seen=None):
        self.skew_s = skew_s
        self.not_before = not_before
        self.seen = dict(seen or {})  # "host nonce" -> time

    def check(self, host, stamp, nonce, now):
        if abs(now - stamp) > self.skew_s:
            raise SignalError('time %d is %d s from the officer\'s clock (more than %d s): stale or replayed'
                              % (stamp, stamp - now, self.skew_s))
        if stamp < self.not_before - 1:
            raise SignalError('time %d is before the officer started (%d): refused, sign a fresh request'
                              % (stamp, self.not_before))
        key = '%s %s' % (host, nonce)
        if key in self.seen:
            raise SignalError('nonce %s of %s was already used: replay refused' % (nonce, host))
        self.prune(now)
        self.seen[key] = stamp

    def prune(self, now):
        for key in [k for k, t in self.seen.items() if t < now - self.skew_s]:
            del self.seen[key]


def verify(headers, method, path, content_sha256, keys, guard, now):
    """The host that signed the request, or SignalError. ``headers`` maps lower-case names to values;
    ``content_sha256`` is what the officer computed over the body (None: take the header's claim, for an
    upload whose file is hashed after it arrived); ``keys`` maps hosts to key bytes."""
    values = {}
    for name in HEADERS:
        value = headers.get(name.lower())
        if not value:
            raise SignalError('missing header %s' % name)
        values[name] = value.strip()
    host = values['X-Harvest-Host']
    if host not in keys:
        raise SignalError('unknown host %r: no key for it' % host, 403)
    try:
        stamp = int(values['X-Harvest-Time'])
    except ValueError:
        raise SignalError('X-Harvest-Time: expected unix seconds, got %r' % values['X-Harvest-Time']) from None
    nonce = values['X-Harvest-Nonce'].lower()
    if len(nonce) < 16 or not _HEX.match(nonce):
        raise SignalError('X-Harvest-Nonce: expected at least 16 hex digits')
    claimed = values['X-Harvest-Content-SHA256'].lower()
    if content_sha256 is not None and claimed != content_sha256:
        raise SignalError('the body does not match X-Harvest-Content-SHA256', 400)
    expected = sign(keys[host], method, path, host, stamp, nonce, claimed)
    if not hmac.compare_digest(expected, values['X-Harvest-Signature'].lower()):
        raise SignalError('bad signature for %s' % host)
    guard.check(host, stamp, nonce, now)
    return host


# -------------------------------------------------------------------------------------- resuming

def if_range_validator(etag, last_modified):
    """What may go into If-Range: a strong ETag, else Last-Modified, else nothing (then no resume)."""
    if etag and not etag.startswith('W/'):
        return etag
    return last_modified or None


def request_headers(committed, validator):
    """Range + If-Range to resume after ``committed`` bytes; nothing when there is nothing to resume, or no
    validator that proves the source is unchanged (a resume without one could splice two versions)."""
    if committed > 0 and validator:
        return {'Range': 'bytes=%d-' % committed, 'If-Range': validator}
    return {}


def plan_response(status, headers, committed):
    """What to do with a response: ``(action, total, reason)``.

    ``append``   206 starting exactly at ``committed``: add the body to the .part
    ``restart``  200 (the source changed or ignores Range), or a 206 at another offset: start again from 0
    ``complete`` 416 with the size we already hold: nothing left to fetch
    ``unchanged`` 304 to a conditional refresh
    ``retry``    408/425/429/5xx: back off and try again (``total`` = Retry-After seconds, if any)
    ``fail``     any other status: back off for long (the URL is wrong, gone or forbidden)
    ``headers`` maps lower-case names to values.
    """
    length = headers.get('content-length')
    length = int(length) if length and length.isdigit() else None
    if status == 206:
        match = _CONTENT_RANGE.match(headers.get('content-range', '').strip())
        if not match:
            return 'restart', None, '206 without a usable Content-Range'
        first, total = int(match.group(1)), match.group(3)
        total = int(total) if total != '*' else None
        if first != committed:
            return 'restart', total, '206 from byte %d, expected %d' % (first, committed)
        return 'append', total, None
    if status == 200:
        reason = None
        if committed:
            reason = 'the source answered 200 to a resume from byte %d (%s): starting again from 0' % (
                committed, 'it changed' if headers.get('etag') or headers.get('last-modified') else 'no Range')
        return 'restart', length, reason
    if status == 416:
        match = _UNSATISFIED.match(headers.get('content-range', '').strip())
        if match and committed and int(match.group(1)) == committed:
            return 'complete', committed, None
        return 'restart', None, '416 at byte %d: the source is shorter now' % committed
    if status == 304:
        return 'unchanged', None, None
    if status in (408, 425, 429) or 500 <= status <= 599:
        after = headers.get('retry-after', '')
        return 'retry', int(after) if after.isdigit() else None, 'HTTP %d' % status
    return 'fail', None, 'HTTP %d' % status


def backoff_s(attempt, base_s, max_s, jitter):
    """Exponential backoff before attempt ``attempt + 1`` (1-based), with ``jitter`` in [0, 1) spreading hosts
    that failed together: base * 2^(attempt-1), at most max_s, plus up to a quarter more."""
    delay = min(float(max_s), float(base_s) * (2 ** max(0, attempt - 1)))
    return delay * (1 + 0.25 * jitter)


def pace_s(sent, elapsed_s, rate_bps):
    """Seconds to sleep so that ``sent`` bytes after ``elapsed_s`` stay under ``rate_bps`` (0: no limit)."""
    if not rate_bps:
        return 0.0
    return max(0.0, sent / float(rate_bps) - elapsed_s)


def ewma(previous, sample, alpha=0.3):
    return sample if previous is None else previous + alpha * (sample - previous)


def eta_s(total, done, rate_bps):
    if not total or not rate_bps or rate_bps <= 0 or done >= total:
        return None
    return int((total - done) / rate_bps) + 1


def in_window(window, weekday, second_of_day):
    """``(inside, seconds_to_end, seconds_to_next_start)`` for a window as the homelab.cluster.harvest_window
    filter normalised it (the config holds numbers only); ``weekday`` is 0 for Monday, in local time."""
    if window is None or window.get('always'):
        return True, None, None
    start, duration, days = window['start_s'], window['duration_s'], window['days']
    for back in (0, 1):
        if (weekday - back) % 7 in days:
            opened = second_of_day + back * 86400 - start
            if 0 <= opened < duration:
                return True, duration - opened, None
    for ahead in range(8):
        if (weekday + ahead) % 7 in days:
            wait = ahead * 86400 + start - second_of_day
            if wait > 0:
                return False, None, wait
    return False, None, None


def due(item_state, refresh_s, now):
    """Whether an item needs work: not archived yet, or archived and its refresh interval has passed."""
    if not item_state or item_state.get('status') != 'archived':
        return True
    return bool(refresh_s) and now - item_state.get('archived_at', 0) >= refresh_s
