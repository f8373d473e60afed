# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The quarantine officer's rules, pure (no I/O): published checksums, the verdict on a quarantined file, the
archive path, manifest records, and each edge's state for the central view.

Installed by the homelab.cluster.harvester role (officer entry point) next to harvest_officer.py and
harvest_view.py. Unit tests: tests/unit/roles/harvester/test_harvest_ledger.py.

Manifest (``manifest.jsonl`` in the archive root, one JSON object a line, appended after the rename)::

    {"sha256": hex, "size": bytes, "name": catalogue name, "url": source, "dataset": "wiki",
     "path": "wiki/enwiki.zim" (relative to the archive root), "host": edge, "verified": "sha256" |
     "published" | "unverified", "fetched_at": unix, "received_at": unix, "promoted_at": unix}

Rejections (``rejections.jsonl`` beside it) have sha256 (of what arrived), size, name, host, reason, at and
``kept``: where the file waits for a person (the rejected/ directory, never the archive).
"""

import re

_GNU = re.compile(r'^([0-9a-fA-F]{64}) [ *]?(.+)$')
_BSD = re.compile(r'^SHA256 ?\((.+)\) ?= ?([0-9a-fA-F]{64})$')


def parse_checksums(text):
    """{file name: sha256} of a published checksum file, in sha256sum (``hex  name``, ``hex *name``) or BSD
    (``SHA256 (name) = hex``) format; comments, blank and other lines (other digests) are skipped."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        gnu = _GNU.match(line)
        if gnu:
            out[gnu.group(2).strip()] = gnu.group(1).lower()
            continue
        bsd = _BSD.match(line)
        if bsd:
            out[bsd.group(1).strip()] = bsd.group(2).lower()
    return out


def published_digest(checksums, name):
    """The digest a checksum file publishes for ``name`` (also when it lists ``./name`` or ``dir/name``)."""
    if name in checksums:
        return checksums[name]
    found = [d for n, d in checksums.items() if n.rsplit('/', 1)[-1] == name]
    return found[0] if len(set(found)) == 1 else None


def verdict(entry, size, sha256, published=None):
    """The officer's decision on a fully received file: ``(decision, reason, verified)``.

    ``promote``  size and SHA-256 match what the catalogue or the published checksum file says
    ``reject``   they do not (kept apart, reported, never promoted)
    ``wait``     the published checksum could not be read yet (the file stays in quarantine)
    ``published`` is the parsed checksum file (None: not fetched or unreadable).
    """
    if entry.get('size') is not None and size != entry['size']:
        return 'reject', 'size %d, the catalogue says %d' % (size, entry['size']), None
    if entry.get('sha256'):
        if sha256 != entry['sha256']:
            return 'reject', 'SHA-256 %s, the catalogue says %s' % (sha256, entry['sha256']), None
        return 'promote', None, 'sha256'
    if entry.get('checksum_url'):
        if published is None:
            return 'wait', 'the published checksum file %s could not be read yet' % entry['checksum_url'], None
        digest = published_digest(published, entry.get('checksum_name') or entry['filename'])
        if digest is None:
            name = entry.get('checksum_name') or entry['filename']
            return 'wait', '%s does not list %s yet' % (entry['checksum_url'], name), None
        if sha256 != digest:
            return 'reject', 'SHA-256 %s, %s publishes %s' % (sha256, entry['checksum_url'], digest), None
        return 'promote', None, 'published'
    if entry.get('allow_unverified'):
        return 'promote', None, 'unverified'
    return 'reject', 'no sha256 or checksum_url to prove it against', None


def archive_path(entry, fetched_at):
    """Where a file lands under the archive root: ``dataset/filename``; a refreshed source (a feed) keeps
    every version: ``dataset/name/YYYYmmddTHHMMSSZ-filename``. ``fetched_at`` is a UTC struct_time."""
    if not entry.get('refresh_s'):
        return '%s/%s' % (entry['dataset'], entry['filename'])
    stamp = '%04d%02d%02dT%02d%02d%02dZ' % tuple(fetched_at[:6])
    return '%s/%s/%s-%s' % (entry['dataset'], entry['name'], stamp, entry['filename'])


def manifest_record(entry, host, size, sha256, path, verified, fetched_at, received_at, promoted_at):
    return {'sha256': sha256, 'size': size, 'name': entry['name'], 'url': entry['url'],
            'dataset': entry['dataset'], 'path': path, 'host': host, 'verified': verified,
            'fetched_at': int(fetched_at), 'received_at': int(received_at), 'promoted_at': int(promoted_at)}


def rejection_record(entry, host, size, sha256, reason, kept, at):
    return {'sha256': sha256, 'size': size, 'name': entry['name'] if entry else None, 'host': host,
            'reason': reason, 'kept': kept, 'at': int(at)}


def by_hash(records):
    """{sha256: first manifest record} (the archive holds each content once)."""
    out = {}
    for record in records:
        out.setdefault(record['sha256'], record)
    return out


def latest_by_name(records):
    """{name: the newest manifest record of that source}."""
    out = {}
    for record in records:
        if record['name'] not in out or record['promoted_at'] >= out[record['name']]['promoted_at']:
            out[record['name']] = record
    return out


# -------------------------------------------------------------------------------------- the view

STATES = ('idle', 'waiting', 'in window', 'downloading', 'uploading', 'backing off', 'failed', 'silent', 'unknown')


def edge_state(report, received_at, now, interval_s):
    """The state the central view shows for one edge: ``{state, detail, ...the report}``.

    A worker reports every ``interval_s`` while it runs and once when it stops. It is ``silent`` when it
    was working (downloading, uploading, backing off, in window) and nothing came for three intervals, or for
    the ``quiet_s`` it announced before a backoff sleep and two intervals more (powered off, crashed, cut
    off); ``waiting`` past its window's opening with no report is ``silent``
    too (it should have woken). ``unknown``: never reported.
    """
    if not report:
        return {'state': 'unknown', 'detail': 'no report from this host yet', 'age_s': None}
    out = dict(report)
    age = max(0, int(now - received_at))
    out['age_s'] = age
    state = report.get('state') or 'unknown'
    if state not in STATES:
        state = 'unknown'
    busy = state in ('downloading', 'uploading', 'backing off', 'in window')
    # a worker that said it sleeps (a backoff) is quiet that long on purpose
    if busy and age > max(3 * interval_s, (report.get('quiet_s') or 0) + 2 * interval_s):
        out['state'] = 'silent'
        out['detail'] = 'no report for %s while %s (powered off, crashed or cut off?)' % (duration(age), state)
        return out
    opens = report.get('window_opens_in_s')
    if state == 'waiting' and opens is not None and age > opens + 3 * interval_s:
        out['state'] = 'silent'
        out['detail'] = 'its window opened %s ago and it has not reported' % duration(age - opens)
        return out
    out['state'] = state
    out.setdefault('detail', '')
    return out


def duration(seconds):
    """12 s, 4 min 10 s, 3 h 05 min, 2 d 4 h."""
    seconds = int(seconds)
    if seconds < 60:
        return '%d s' % seconds
    if seconds < 3600:
        return '%d min %02d s' % (seconds // 60, seconds % 60)
    if seconds < 86400:
        return '%d h %02d min' % (seconds // 3600, seconds % 3600 // 60)
    return '%d d %d h' % (seconds // 86400, seconds % 86400 // 3600)


def human_bytes(count):
    if count is None:
        return '-'
    value = float(count)
    for unit in ('B', 'KiB', 'MiB', 'GiB', 'TiB'):
        if value < 1024 or unit == 'TiB':
            return ('%d %s' if unit == 'B' else '%.1f %s') % (value, unit)
        value /= 1024
    return '%d B' % count
