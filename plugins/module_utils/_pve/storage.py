# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Storage entries (``/storage``): every declared entry checked before any request, then the changes (pure, no I/O).

PRIVATE to the homelab.cluster collection; its API may change without notice.

``check_storage(wanted)`` lists every problem of the whole ``storage`` input (``storage.ID.KEY: expected ..., got
...``): an id PVE would refuse, a missing or unknown ``type``, an option the type does not take (PVE answers
"unexpected property"), a required option missing, a value of the wrong kind, a content type the storage does not
support (PVE only warns and drops it, so the entry would never converge). The option tables follow pve-storage's
plugins (``src/PVE/Storage/*Plugin.pm``: ``options`` and ``plugindata``), PVE 9.

``storage_actions(current, wanted)`` compares checked entries with ``GET /storage``: create, update the changeable
options, refuse a fixed one that differs. Sensitive options (passwords, keys) are sent on create only: PVE keeps
them outside storage.cfg and never returns them, so they cannot be compared.
"""

from __future__ import annotations

import difflib
import re

_STORAGE_ID = re.compile(r'^[a-z][a-z0-9\-_.]*[a-z0-9]$')
_BOOL = ('create-base-path', 'create-subdirs', 'disable', 'fuse', 'is_mountpoint', 'krbd', 'mkdir', 'nocow',
         'nowritecache', 'saferemove', 'shared', 'skip-cert-verification', 'snapshot-as-volume-chain', 'sparse',
         'tagged_only')
_INT = {'max-protected-backups': (-1, None), 'port': (1, 65535)}
_ENUM = {'preallocation': ('off', 'metadata', 'falloc', 'full'),
         'smbversion': ('default', '2.0', '2.1', '3', '3.0', '3.11'),
         'saferemove-stepsize': (1, 2, 4, 8, 16, 32)}
_ALL_CONTENT = ('images', 'rootdir', 'vztmpl', 'iso', 'backup', 'snippets', 'import')
_FILES = ('path', 'content-dirs', 'prune-backups', 'max-protected-backups', 'format', 'mkdir', 'create-base-path',
          'create-subdirs', 'preallocation')
_COMMON = ('nodes', 'disable', 'content')


def _type(required=(), fixed=(), options=(), content=('images',), none=False, formats=(), sensitive=()):
    return {'required': tuple(required), 'fixed': tuple(fixed) + tuple(required),
            'options': frozenset(_COMMON + tuple(required) + tuple(fixed) + tuple(options)),
            'content': tuple(content) + (('none',) if none else ()), 'formats': tuple(formats),
            'sensitive': tuple(sensitive)}


# type -> what pve-storage's plugin takes; 'required' are the options without ``optional`` that PVE does not fill
# in itself (NFS, CIFS and CephFS get path /mnt/pve/ID on create)
TYPES = {
    'dir': _type(['path'], ['snapshot-as-volume-chain'], _FILES + ('shared', 'is_mountpoint', 'bwlimit'),
                 _ALL_CONTENT, True, ('raw', 'qcow2', 'vmdk', 'subvol')),
    'btrfs': _type(['path'], (), _FILES + ('shared', 'is_mountpoint', 'nocow'), _ALL_CONTENT, True,
                   ('raw', 'subvol')),
    'nfs': _type(['server', 'export'], ['path', 'snapshot-as-volume-chain'], _FILES + ('options', 'bwlimit'),
                 _ALL_CONTENT, False, ('raw', 'qcow2', 'vmdk')),
    'cifs': _type(['server', 'share'], ['path', 'snapshot-as-volume-chain'],
                  _FILES + ('subdir', 'username', 'password', 'domain', 'smbversion', 'bwlimit', 'options'),
                  _ALL_CONTENT, False, ('raw', 'qcow2', 'vmdk'), ['password']),
    'cephfs': _type((), ['path'], _FILES + ('monhost', 'subdir', 'options', 'username', 'fuse', 'bwlimit', 'keyring',
                                            'fs-name'),
                    ('vztmpl', 'iso', 'backup', 'snippets', 'import'), False, (), ['keyring']),
    'lvm': _type(['vgname'], ['base'], ('shared', 'saferemove', 'saferemove-stepsize', 'saferemove_throughput',
                                        'tagged_only', 'bwlimit', 'snapshot-as-volume-chain'),
                 ('images', 'rootdir')),
    'lvmthin': _type(['thinpool', 'vgname'], (), ('bwlimit',), ('images', 'rootdir')),
    'zfspool': _type(['pool'], (), ('blocksize', 'sparse', 'bwlimit', 'mountpoint'), ('images', 'rootdir')),
    'zfs': _type(['portal', 'target', 'pool', 'blocksize', 'iscsiprovider'], (),
                 ('nowritecache', 'sparse', 'comstar_hg', 'comstar_tg', 'lio_tpg', 'bwlimit', 'zfs-base-path')),
    'iscsi': _type(['portal', 'target'], (), ('bwlimit',), ('images',), True),
    'iscsidirect': _type(['portal', 'target'], (), ('bwlimit',), ('images',), True),
    'rbd': _type((), (), ('monhost', 'pool', 'data-pool', 'namespace', 'username', 'krbd', 'keyring', 'bwlimit'),
                 ('images', 'rootdir'), False, (), ['keyring']),
    'pbs': _type(['server', 'datastore'], (), ('namespace', 'port', 'username', 'password', 'encryption-key',
                                               'master-pubkey', 'prune-backups', 'max-protected-backups',
                                               'fingerprint'),
                 ('backup',), True, (), ['password', 'encryption-key', 'master-pubkey']),
    'esxi': _type(['server', 'username'], (), ('password', 'skip-cert-verification', 'port', 'shared'), ('import',),
                  False, (), ['password']),
}
# what the module sets itself, never an input
_MANAGED = ('storage', 'digest', 'delete')


def _list(value):
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p for p in re.split(r'[,;\s]+', str(value if value is not None else '')) if p]


def _guess(key, known):
    close = difflib.get_close_matches(key, sorted(known), n=1)
    return " (did you mean '%s'?)" % close[0] if close else ''


def _check_value(where, key, value, spec, problems):
    if isinstance(value, (dict, list, tuple)) and key not in ('content', 'nodes', 'prune-backups'):
        problems.append('%s: expected a single value, got %r' % (where, value))
    elif key in _BOOL and not (isinstance(value, bool) or value in (0, 1, '0', '1')):
        problems.append('%s: expected a boolean, got %r' % (where, value))
    elif key in _INT and (isinstance(value, bool) or not re.match(r'^-?\d+$', str(value))
                          or not _INT[key][0] <= int(value) <= (_INT[key][1] or int(value))):
        low, high = _INT[key]
        wanted = '%d-%d' % (low, high) if high else '>= %d' % low
        problems.append('%s: expected an integer %s, got %r' % (where, wanted, value))
    elif key in _ENUM and value not in _ENUM[key] and str(value) not in [str(v) for v in _ENUM[key]]:
        problems.append('%s: expected one of %s, got %r' % (where, ', '.join(str(v) for v in _ENUM[key]), value))
    elif key == 'format' and str(value) not in spec['formats']:
        problems.append('%s: expected one of %s, got %r' % (where, ', '.join(spec['formats']) or 'nothing', value))
    elif key == 'content':
        items = _list(value)
        bad = [c for c in items if c not in spec['content']]
        if bad:
            problems.append('%s: expected content types of %s, got %s' % (where, ', '.join(spec['content']),
                                                                          ', '.join(bad)))
        elif 'none' in items and len(items) > 1:
            problems.append("%s: 'none' cannot be combined with other content types, got %s"
                            % (where, ', '.join(items)))
    elif key == 'prune-backups' and isinstance(value, dict):
        bad = [k for k, v in value.items() if not re.match(r'^keep-(all|last|hourly|daily|weekly|monthly|yearly)$',
                                                           str(k)) or isinstance(v, bool)
               or not re.match(r'^\d+$', str(v))]
        if bad:
            problems.append('%s: expected keep-last, keep-daily, ... with counts, got %s' % (where, ', '.join(
                '%s=%r' % (k, value[k]) for k in bad)))
    elif value is None or str(value) == '':
        problems.append('%s: expected a value, got nothing' % where)


def check_storage(wanted):
    """Every problem of the ``storage`` input, each naming ``storage.ID[.KEY]``; empty when it can be applied."""
    if not isinstance(wanted, dict):
        return ['storage: expected a mapping of storage id to options, got %r' % (wanted,)]
    problems = []
    for sid, conf in sorted(wanted.items(), key=lambda item: str(item[0])):
        where = 'storage.%s' % sid
        if not _STORAGE_ID.match(str(sid)):
            problems.append('%s: expected a storage id of lower-case letters, digits, -, _ and . (starting with a '
                            'letter), got %r' % (where, sid))
        if not isinstance(conf, dict):
            problems.append('%s: expected a mapping of options, got %r' % (where, conf))
            continue
        kind = conf.get('type')
        if kind in (None, ''):
            problems.append('%s.type: required, got nothing' % where)
            continue
        spec = TYPES.get(str(kind))
        if spec is None:
            problems.append('%s.type: expected one of %s, got %r' % (where, ', '.join(sorted(TYPES)), kind))
            continue
        for key in sorted(str(k) for k in conf):
            if key == 'type':
                continue
            if key in _MANAGED:
                problems.append('%s.%s: set by the module, not an input' % (where, key))
            elif key not in spec['options']:
                problems.append('%s.%s: unknown option for a %s storage%s; known: %s'
                                % (where, key, kind, _guess(key, spec['options']), ', '.join(sorted(spec['options']))))
            else:
                _check_value('%s.%s' % (where, key), key, conf[key], spec, problems)
        for key in spec['required']:
            if conf.get(key) in (None, ''):
                problems.append('%s.%s: required for a %s storage, got nothing' % (where, key, kind))
    return problems


def _prune(value):
    if isinstance(value, dict):
        return ','.join('%s=%s' % (k, value[k]) for k in sorted(value))
    return ','.join(sorted(p for p in str(value or '').split(',') if p))


def _normal(conf):
    out = {}
    for key, value in conf.items():
        if key in ('digest', 'storage'):
            continue
        if key in ('content', 'nodes'):
            value = ','.join(sorted(_list(value)))
        elif key == 'prune-backups':
            value = _prune(value)
        elif isinstance(value, bool) or (key in _BOOL and str(value) in ('0', '1')):
            value = int(value)
        out[key] = value if isinstance(value, int) else str(value)
    return out


def masked(conf, kind):
    """``conf`` with the type's sensitive options shown as ``********`` (for diff and results)."""
    sensitive = TYPES.get(kind, {}).get('sensitive', ())
    return {k: ('********' if k in sensitive else v) for k, v in (conf or {}).items()}


def storage_actions(current, wanted):
    """({id: action}, refusals) for the checked ``storage`` entries against ``GET /storage``."""
    actions, refusals = {}, []
    for sid, conf in sorted(wanted.items()):
        want = _normal(conf)
        spec = TYPES[want['type']]
        have = current.get(sid)
        if have is None:
            actions[sid] = {'kind': 'create', 'params': want, 'label': 'created', 'before': None,
                            'after': masked(want, want['type'])}
            continue
        have = _normal(have)
        fixed = [k for k in ('type',) + spec['fixed'] if k in want and have.get(k) is not None
                 and str(have[k]) != str(want[k])]
        if fixed:
            refusals.append('storage.%s: %s cannot change on an existing storage (%s); remove it in PVE first'
                            % (sid, ', '.join(fixed), ', '.join('%s %s -> %s' % (k, have[k], want[k]) for k in fixed)))
            continue
        update = {k: v for k, v in want.items() if k not in ('type',) + spec['fixed'] + spec['sensitive']
                  and str(have.get(k)) != str(v)}
        if update:
            actions[sid] = {'kind': 'update', 'params': update, 'label': 'updated %s' % ', '.join(sorted(update)),
                            'before': {k: have.get(k) for k in update}, 'after': update}
    return actions, refusals
