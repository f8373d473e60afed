# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Datasets: desired properties against pool.dataset.query entries -> create / update payloads (pure).

PRIVATE to the homelab.cluster collection; its API may change without notice.

Values are compared as ZFS has them (the entries' ``rawvalue``), so the same comparison holds on every release
however the ``value`` strings are spelled. A property left out (None) is not managed; ``inherit`` makes the
dataset inherit it again. ``share_type`` and ``encryption`` exist only at creation (the API excludes them from
pool.dataset.update): for an existing dataset that differs, the run stops before anything is written.
"""

from __future__ import annotations

import re

COMPRESSION = ('on', 'off', 'lz4', 'gzip', 'gzip-1', 'gzip-9', 'zstd', 'zstd-fast', 'zle', 'lzjb') + tuple(
    'zstd-%d' % n for n in range(1, 20)) + tuple('zstd-fast-%d' % n for n in list(range(1, 11)) + [
        20, 30, 40, 50, 60, 70, 80, 90, 100, 500, 1000])
CHOICES = {
    'compression': COMPRESSION,
    'sync': ('standard', 'always', 'disabled'),
    'snapdir': ('hidden', 'visible', 'disabled'),
    'deduplication': ('on', 'off', 'verify'),
    'checksum': ('on', 'off', 'fletcher2', 'fletcher4', 'sha256', 'sha512', 'skein', 'edonr', 'blake3'),
    'aclmode': ('passthrough', 'restricted', 'discard'),
    'acltype': ('off', 'nfsv4', 'posix'),
}
BOOLEANS = ('atime', 'exec', 'readonly')
SIZES = ('quota', 'refquota')
SHARE_TYPES = ('generic', 'smb', 'nfs', 'multiprotocol', 'apps')
MANAGED = ('comments',) + tuple(CHOICES) + BOOLEANS + SIZES + ('recordsize', 'copies')
# what pool.dataset.create sets for a share type (plugins/pool_/dataset.py do_create)
SHARE_TYPE_SETS = {
    'smb': {'casesensitivity': 'insensitive', 'acltype': 'nfsv4', 'aclmode': 'restricted'},
    'nfs': {'casesensitivity': 'sensitive', 'acltype': 'nfsv4', 'aclmode': 'passthrough', 'atime': 'off'},
    'multiprotocol': {'casesensitivity': 'sensitive', 'acltype': 'nfsv4', 'aclmode': 'passthrough', 'atime': 'off'},
    'apps': {'casesensitivity': 'sensitive', 'acltype': 'nfsv4', 'aclmode': 'passthrough', 'atime': 'off'},
}
UNITS = {'': 1, 'K': 1024, 'M': 1024 ** 2, 'G': 1024 ** 3, 'T': 1024 ** 4, 'P': 1024 ** 5}
RECORDSIZES = [512 * 2 ** n for n in range(16)]  # 512 .. 16M
INHERIT = 'inherit'


class DatasetError(ValueError):
    """A dataset setting that cannot be used; the message names the item and the field."""


def parse_size(value, where, minimum=None):
    """500G, 2T, 1.5T, 1TiB, 1099511627776 -> bytes (binary units, as ZFS reads them); 0/none/null -> 0."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise DatasetError('%s: expected a size like 500G or 2T, got %r' % (where, value))
    if isinstance(value, (int, float)):
        number = int(value)
    else:
        text = str(value).strip().upper().replace(' ', '')
        if text in ('0', 'NONE', 'NULL', 'OFF', ''):
            return 0
        match = re.match(r'^(\d+(?:\.\d+)?)([KMGTP]?)(I?B)?$', text)
        if not match:
            raise DatasetError('%s: expected a size like 500G or 2T, got %r' % (where, value))
        number = int(float(match.group(1)) * UNITS[match.group(2)])
    if number < 0:
        raise DatasetError('%s: a size cannot be negative (%r)' % (where, value))
    if number and minimum and number < minimum:
        raise DatasetError('%s: TrueNAS takes quotas of at least 1G (or 0 for none), got %r' % (where, value))
    return number


def recordsize_text(size):
    return '%dM' % (size // 1024 ** 2) if size >= 1024 ** 2 else '%dK' % (size // 1024) if size >= 1024 else '512'


def parse_recordsize(value, where):
    if value is None:
        return None
    if str(value).strip().lower() == INHERIT:
        return INHERIT
    size = parse_size(value, where)
    if size not in RECORDSIZES:
        raise DatasetError('%s: expected a power of two from 512 to 16M (128K, 1M, ...), got %r' % (where, value))
    return recordsize_text(size)


def _bool(value, where):
    if value is None:
        return None
    if isinstance(value, bool):
        return 'on' if value else 'off'
    text = str(value).strip().lower()
    if text in ('on', 'true', 'yes', '1'):
        return 'on'
    if text in ('off', 'false', 'no', '0'):
        return 'off'
    if text == INHERIT:
        return INHERIT
    raise DatasetError('%s: expected true, false or inherit, got %r' % (where, value))


def normalise(item, where='dataset'):
    """A dataset as the user gives it -> {name, props{...}, share_type, encryption, passphrase,
    create_ancestors} in ZFS terms (lower-case raw values)."""
    name = item.get('name')
    if not isinstance(name, str) or '/' not in name.strip('/') or name != name.strip() or '//' in name:
        raise DatasetError('%s.name: expected pool/dataset[/child], got %r' % (where, name))
    props = {}
    for key in CHOICES:
        value = item.get(key)
        if value is None:
            continue
        text = str(value).strip().lower()
        if text != INHERIT and text not in CHOICES[key]:
            raise DatasetError('%s.%s: expected one of %s or inherit, got %r'
                               % (where, key, ', '.join(CHOICES[key][:12]), value))
        props[key] = text
    for key in BOOLEANS:
        value = _bool(item.get(key), '%s.%s' % (where, key))
        if value is not None:
            props[key] = value
    for key in SIZES:
        if item.get(key) is not None:
            props[key] = parse_size(item[key], '%s.%s' % (where, key), minimum=UNITS['G'])
    if item.get('recordsize') is not None:
        props['recordsize'] = parse_recordsize(item['recordsize'], '%s.recordsize' % where)
    if item.get('copies') is not None:
        copies = item['copies']
        if str(copies).lower() == INHERIT:
            props['copies'] = INHERIT
        elif isinstance(copies, bool) or str(copies) not in ('1', '2', '3'):
            raise DatasetError('%s.copies: expected 1, 2, 3 or inherit, got %r' % (where, copies))
        else:
            props['copies'] = int(copies)
    if item.get('comments') is not None:
        props['comments'] = str(item['comments'])
    share_type = item.get('share_type')
    if share_type is not None:
        share_type = str(share_type).lower()
        if share_type not in SHARE_TYPES:
            raise DatasetError('%s.share_type: expected one of %s, got %r'
                               % (where, ', '.join(SHARE_TYPES), item['share_type']))
    passphrase = item.get('encryption_passphrase')
    if passphrase is not None and len(passphrase) < 8:
        raise DatasetError('%s.encryption_passphrase: TrueNAS needs at least 8 characters' % where)
    encryption = item.get('encryption')
    if passphrase and encryption is False:
        raise DatasetError('%s: encryption_passphrase given but encryption is false' % where)
    if passphrase:
        encryption = True
    return {'name': name, 'props': props, 'share_type': share_type,
            'encryption': None if encryption is None else bool(encryption),
            'passphrase': passphrase, 'create_ancestors': item.get('create_ancestors', True) is not False}


def current(entry):
    """A pool.dataset.query entry -> {property: (raw value, source)} for the managed properties."""
    result = {}
    for key in MANAGED + ('casesensitivity',):
        prop = entry.get(key)
        if not isinstance(prop, dict):
            continue
        raw = prop.get('rawvalue')
        if key in SIZES:
            raw = int(raw or 0)
        elif key == 'recordsize':
            raw = recordsize_text(int(raw)) if str(raw).isdigit() else raw
        elif key == 'copies':
            raw = int(raw) if str(raw).isdigit() else raw
        elif isinstance(raw, str) and key != 'comments':
            raw = raw.lower()
        result[key] = (raw, str(prop.get('source') or '').upper())
    return result


def _api(key, value):
    """ZFS term -> the API's spelling (upper-case enums, ON/OFF, sizes in bytes, recordsize '128K')."""
    if value == INHERIT:
        return 'INHERIT'
    if key in SIZES or key == 'copies' or key == 'comments':
        return value
    if key == 'recordsize':
        return value
    return str(value).upper()


def create_payload(desired):
    payload = {'name': desired['name'], 'type': 'FILESYSTEM', 'create_ancestors': desired['create_ancestors']}
    for key, value in desired['props'].items():
        if key in SIZES and not value:
            continue
        payload[key] = _api(key, value)
    if desired['share_type']:
        payload['share_type'] = desired['share_type'].upper()
    if desired['encryption']:
        payload['encryption'] = True
        payload['inherit_encryption'] = False
        if desired['passphrase']:
            payload['encryption_options'] = {'passphrase': desired['passphrase'], 'generate_key': False}
        else:
            payload['encryption_options'] = {'generate_key': True}
    return payload


def update_payload(desired, entry):
    """Only what differs: {api key: value}; a property to inherit changes only when it is set locally."""
    have = current(entry)
    payload = {}
    for key, want in desired['props'].items():
        value, source = have.get(key, (None, ''))
        if want == INHERIT:
            if source == 'LOCAL':
                payload[key] = 'INHERIT'
            continue
        if key in SIZES:
            if int(value or 0) != int(want or 0):
                payload[key] = int(want or 0)
            continue
        if value != want:
            payload[key] = _api(key, want)
    return payload


def conflicts(desired, entry):
    """Create-only settings an existing dataset does not match (the run refuses before writing)."""
    problems = []
    have = current(entry)
    share = desired['share_type']
    if share in SHARE_TYPE_SETS:
        sensitivity = SHARE_TYPE_SETS[share]['casesensitivity']
        if have.get('casesensitivity', (sensitivity,))[0] != sensitivity:
            problems.append('%s.share_type: %s needs casesensitivity %s, but the dataset was created %s; that is '
                            'fixed at creation (make a new dataset and move the data)'
                            % (desired['name'], share, sensitivity, have['casesensitivity'][0]))
    if desired['encryption'] is not None and bool(entry.get('encrypted')) != desired['encryption']:
        problems.append('%s.encryption: the dataset is %sencrypted; encryption is chosen at creation (TrueNAS '
                        'cannot encrypt or decrypt an existing dataset in place)'
                        % (desired['name'], '' if entry.get('encrypted') else 'not '))
    return problems


def public(desired):
    """The desired state as shown in results and diffs: no passphrase."""
    shown = dict(desired['props'])
    for key in SIZES:
        if key in shown:
            shown[key] = shown[key] or 0
    if desired['share_type']:
        shown['share_type'] = desired['share_type']
    if desired['encryption'] is not None:
        shown['encryption'] = desired['encryption']
    return shown


def shown(entry):
    """An existing dataset in the shape of public(): the managed properties' values."""
    values = {key: value for key, (value, _source) in current(entry).items() if key != 'casesensitivity'}
    values['encryption'] = bool(entry.get('encrypted'))
    return values


def order(items):
    """Parents before children (create order)."""
    return sorted(items, key=lambda item: (item['name'].count('/'), item['name']))
