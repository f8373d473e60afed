# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The harvest catalogue and its assignment to edge hosts, without I/O.

PRIVATE to the homelab.cluster collection; its API may change without notice.

The catalogue (``harvester_catalogue`` in group_vars) is a list of sources::

    name          unique id: lowercase letters, digits, . _ - (required)
    url           http:// or https:// (required)
    filename      the file's name in the spool and the archive (default: the URL's last path segment)
    size          expected size in bytes (checked by the officer; also reserves disk on the edge)
    sha256        expected SHA-256 (64 hex digits)
    checksum_url  a published checksum file (sha256sum or BSD format) the officer fetches itself
    checksum_name the file's name in that checksum file (default: filename)
    allow_unverified  true: neither sha256 nor checksum_url (feeds); the manifest records it as unverified
    schedule      once (default), hourly, daily, weekly, monthly, or <N>h / <N>d: how often to refresh
    dataset       destination under the archive: path segments of [a-z0-9._-] (default 'misc')
    tiers         tiers of the edge hosts that may fetch it (default: the role's harvester_tiers)
    networks      CIDRs: only hosts whose address is in one of them (the source is reachable from there)
    hosts         only these hosts

``assign`` gives every source to exactly one edge host (so nothing is fetched twice): the eligible host with
the least weighted load that has room, ties broken by a stable hash of (source, host) so that adding a host
moves few sources. Heavy machines (inference, hypervisor, storage, ...) are never eligible: they do not touch
the public web.
"""

from __future__ import annotations

import difflib
import hashlib
import ipaddress
import posixpath
import re
from urllib.parse import unquote
from urllib.parse import urlsplit

KEYS = ('name', 'url', 'filename', 'size', 'sha256', 'checksum_url', 'checksum_name', 'allow_unverified',
        'schedule', 'dataset', 'tiers', 'networks', 'hosts')
SCHEDULES = {'once': 0, 'hourly': 3600, 'daily': 86400, 'weekly': 7 * 86400, 'monthly': 30 * 86400}
TIERS = ('ultralow', 'portable', 'modern', 'legacy')
# A Pentium II on 10 Mbit/s should not get as many bytes as a Raspberry Pi 5: load is bytes / weight.
TIER_WEIGHT = {'ultralow': 1, 'portable': 2, 'legacy': 4, 'modern': 4}
HEAVY_ROLES = ('inference', 'hypervisor', 'storage', 'firewall', 'volatile')
_NAME = re.compile(r'^[a-z0-9][a-z0-9._-]{0,63}$')
_FILE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$')
_SEGMENT = re.compile(r'^[a-z0-9][a-z0-9._-]{0,63}$')
_HEX64 = re.compile(r'^[0-9a-f]{64}$')
_EVERY = re.compile(r'^(\d+)([hd])$')


class CatalogueError(ValueError):
    """A catalogue entry that cannot be used: ``harvester_catalogue[i].field: expected ..., got ...``."""


def _url(where, value):
    if not isinstance(value, str):
        raise CatalogueError('%s: expected an http:// or https:// URL, got %r' % (where, value))
    parts = urlsplit(value)
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise CatalogueError('%s: expected an http:// or https:// URL, got %r' % (where, value))
    return value


def _schedule(where, value):
    text = str(value).strip().lower()
    if text in SCHEDULES:
        return text, SCHEDULES[text]
    match = _EVERY.match(text)
    if match and int(match.group(1)) > 0:
        return text, int(match.group(1)) * (3600 if match.group(2) == 'h' else 86400)
    raise CatalogueError('%s: expected once, hourly, daily, weekly, monthly or <N>h/<N>d, got %r' % (where, value))


def _strings(where, value, check=None, what='strings'):
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value:
        raise CatalogueError('%s: expected a non-empty list of %s, got %r' % (where, what, value))
    out = []
    for item in value:
        if not isinstance(item, str) or (check and not check(item)):
            raise CatalogueError('%s: expected a list of %s, got %r' % (where, what, item))
        out.append(item)
    return out


def _network(text):
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def _entry(where, raw):
    if not isinstance(raw, dict) and not hasattr(raw, 'items'):
        raise CatalogueError('%s: expected a mapping with name and url, got %r' % (where, raw))
    raw = dict(raw.items())
    for key in raw:
        if key not in KEYS:
            close = difflib.get_close_matches(str(key), KEYS, n=1)
            raise CatalogueError('%s.%s: unknown key%s; known keys: %s' % (
                where, key, " (did you mean '%s'?)" % close[0] if close else '', ', '.join(KEYS)))
    for key in ('name', 'url'):
        if raw.get(key) in (None, ''):
            raise CatalogueError('%s.%s: required' % (where, key))
    name = raw['name']
    if not isinstance(name, str) or not _NAME.match(name):
        raise CatalogueError('%s.name: expected lowercase letters, digits, . _ - (at most 64), got %r' % (where, name))
    url = _url('%s.url' % where, raw['url'])
    filename = raw.get('filename') or unquote(posixpath.basename(urlsplit(url).path))
    if not isinstance(filename, str) or not _FILE.match(filename):
        raise CatalogueError('%s.filename: expected a plain file name (letters, digits, . _ + -), got %r%s' % (
            where, filename, '' if raw.get('filename') else ' (from the URL; set filename)'))
    entry = {'name': name, 'url': url, 'filename': filename, 'size': None, 'sha256': None, 'checksum_url': None,
             'checksum_name': filename, 'allow_unverified': False, 'dataset': 'misc', 'tiers': None,
             'networks': None, 'hosts': None}
    size = raw.get('size')
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise CatalogueError('%s.size: expected a whole number of bytes above 0, got %r' % (where, size))
        entry['size'] = size
    if raw.get('sha256') is not None:
        digest = str(raw['sha256']).strip().lower()
        if digest.startswith('sha256:'):
            digest = digest[7:]
        if not _HEX64.match(digest):
            raise CatalogueError('%s.sha256: expected 64 hex digits, got %r' % (where, raw['sha256']))
        entry['sha256'] = digest
    if raw.get('checksum_url') is not None:
        entry['checksum_url'] = _url('%s.checksum_url' % where, raw['checksum_url'])
    if raw.get('checksum_name') is not None:
        if not isinstance(raw['checksum_name'], str) or not raw['checksum_name'].strip():
            raise CatalogueError('%s.checksum_name: expected a file name, got %r' % (where, raw['checksum_name']))
        entry['checksum_name'] = raw['checksum_name'].strip()
    unverified = raw.get('allow_unverified', False)
    if not isinstance(unverified, bool):
        raise CatalogueError('%s.allow_unverified: expected true or false, got %r' % (where, unverified))
    entry['allow_unverified'] = unverified
    if not entry['sha256'] and not entry['checksum_url'] and not unverified:
        raise CatalogueError('%s: expected sha256 or checksum_url (the officer proves every file against one), or '
                             'allow_unverified: true for a source that publishes none' % where)
    entry['schedule'], entry['refresh_s'] = _schedule('%s.schedule' % where, raw.get('schedule', 'once'))
    dataset = raw.get('dataset', 'misc')
    if not isinstance(dataset, str) or not all(_SEGMENT.match(s) for s in dataset.split('/')):
        raise CatalogueError('%s.dataset: expected path segments of lowercase letters, digits, . _ - '
                             '(like wiki or docs/python), got %r' % (where, dataset))
    entry['dataset'] = dataset
    if raw.get('tiers') is not None:
        entry['tiers'] = _strings('%s.tiers' % where, raw['tiers'], lambda t: t in TIERS,
                                  'tiers (%s)' % ', '.join(TIERS))
    if raw.get('networks') is not None:
        entry['networks'] = _strings('%s.networks' % where, raw['networks'], _network, 'CIDRs like 10.0.20.0/24')
    if raw.get('hosts') is not None:
        entry['hosts'] = _strings('%s.hosts' % where, raw['hosts'], None, 'host names')
    return entry


def parse_catalogue(raw, where='harvester_catalogue'):
    """Every entry validated and completed with its defaults; a duplicate name or file is an error."""
    if raw is None:
        return []
    if isinstance(raw, (str, dict)) or not isinstance(raw, (list, tuple)):
        raise CatalogueError('%s: expected a list of sources, got %r' % (where, raw))
    entries, names, targets = [], {}, {}
    for index, item in enumerate(raw):
        entry = _entry('%s[%d]' % (where, index), item)
        if entry['name'] in names:
            raise CatalogueError('%s[%d].name: %r is also the name of %s[%d]'
                                 % (where, index, entry['name'], where, names[entry['name']]))
        target = (entry['dataset'], entry['filename']) if not entry['refresh_s'] else None
        if target and target in targets:
            raise CatalogueError('%s[%d].filename: %s/%s is also where %s[%d] is archived'
                                 % (where, index, target[0], target[1], where, targets[target]))
        names[entry['name']] = index
        if target:
            targets[target] = index
        entries.append(entry)
    return entries


# ------------------------------------------------------------------------------------------- assignment

def _score(name, host):
    """A stable pseudo-random tie-break (rendezvous hashing)."""
    return hashlib.sha256(('%s\0%s' % (name, host)).encode()).hexdigest()


def _address_in(address, networks):
    try:
        ip = ipaddress.ip_address(str(address))
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in networks)


def edge_hosts(views, tiers=TIERS, heavy_roles=HEAVY_ROLES):
    """The views that may harvest, and the others with the reason."""
    eligible, excluded = [], {}
    for view in views:
        heavy = sorted(set(view.get('roles') or ()) & set(heavy_roles))
        if heavy:
            excluded[view['name']] = ('role %s: the heavy machines never touch the public web'
                                      % ', '.join(heavy))
        elif view.get('tier') not in tiers:
            excluded[view['name']] = 'tier %s is not one of the harvest tiers (%s)' % (
                view.get('tier'), ', '.join(tiers))
        else:
            eligible.append(view)
    return eligible, excluded


def _why_not(entry, view, free):
    if entry['hosts'] is not None and view['name'] not in entry['hosts']:
        return 'not in hosts'
    if entry['tiers'] is not None and view.get('tier') not in entry['tiers']:
        return 'tier %s not in %s' % (view.get('tier'), ', '.join(entry['tiers']))
    if entry['networks'] is not None and not _address_in(view.get('address'), entry['networks']):
        return 'address %s not in %s' % (view.get('address'), ', '.join(entry['networks']))
    if free is not None and (entry['size'] or 0) > free:
        return '%d bytes free, needs %d' % (free, entry['size'])
    return None


def assign(entries, views, capacity=None, tiers=TIERS, heavy_roles=HEAVY_ROLES):
    """Each entry to one host: ``{'hosts': {host: [entry, ...]}, 'unassigned': [{name, reason}],
    'excluded': {host: reason}, 'load': {host: bytes}, 'capacity': {host: bytes or None},
    'entries': [every entry, with its host or None]}``.

    ``capacity`` maps a host to the bytes its spool may still hold (free space plus what the spool already
    holds, less the reserve); a host without a number (unreachable now, not probed) is not limited.
    Entries are placed largest first, so the outcome does not depend on the catalogue's order.
    """
    capacity = dict(capacity or {})
    eligible, excluded = edge_hosts(views, tiers, heavy_roles)
    free = {v['name']: capacity.get(v['name']) for v in eligible}
    load = {v['name']: 0 for v in eligible}
    hosts = {v['name']: [] for v in eligible}
    unassigned = []
    for entry in sorted(entries, key=lambda e: (-(e['size'] or 0), e['name'])):
        candidates, reasons = [], []
        for view in eligible:
            why = _why_not(entry, view, free[view['name']])
            if why:
                reasons.append('%s: %s' % (view['name'], why))
                continue
            weight = TIER_WEIGHT.get(view.get('tier'), 1)
            candidates.append(((load[view['name']] + (entry['size'] or 0)) / float(weight),
                               _score(entry['name'], view['name']), view['name']))
        if not candidates:
            unassigned.append({'name': entry['name'],
                               'reason': '; '.join(reasons) if reasons else 'no edge host may harvest'})
            continue
        host = min(candidates)[2]
        hosts[host].append(dict(entry, host=host))
        load[host] += entry['size'] or 0
        if free[host] is not None:
            free[host] -= entry['size'] or 0
    placed = {}
    for host in hosts:
        hosts[host].sort(key=lambda e: e['name'])
        placed.update((e['name'], host) for e in hosts[host])
    return {'hosts': hosts, 'unassigned': unassigned, 'excluded': excluded, 'load': load,
            'capacity': {h: capacity.get(h) for h in hosts},
            'entries': [dict(e, host=placed.get(e['name'])) for e in sorted(entries, key=lambda e: e['name'])]}
