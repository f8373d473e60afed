# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""NFS and SMB shares: the declared share against the sharing.*.query entry -> create / update (pure).

PRIVATE to the homelab.cluster collection; its API may change without notice.

A share is declared whole: who may mount it (networks, hosts) and how (read-only, root mapping) are managed,
with the API's defaults for what is left out, so that a run removes a host nobody declares any more. NFS
exports are found by path, SMB shares by name (case-insensitively, as Samba does). SMB shares are handled in
25.10 terms (purpose names ``*_SHARE``, settings in ``options``); versions.smb_payload/smb_entry translate for
25.04.
"""

from __future__ import annotations

import ipaddress
import re

SECURITY = ('SYS', 'KRB5', 'KRB5I', 'KRB5P')
SMB_SHORT = {'default': 'DEFAULT_SHARE', 'legacy': 'LEGACY_SHARE', 'timemachine': 'TIMEMACHINE_SHARE',
             'multiprotocol': 'MULTIPROTOCOL_SHARE', 'time_locked': 'TIME_LOCKED_SHARE',
             'private_datasets': 'PRIVATE_DATASETS_SHARE', 'external': 'EXTERNAL_SHARE',
             'veeam_repository': 'VEEAM_REPOSITORY_SHARE', 'fcp': 'FCP_SHARE'}
NFS_FIELDS = ('comment', 'networks', 'hosts', 'ro', 'maproot_user', 'maproot_group', 'mapall_user', 'mapall_group',
              'security', 'enabled')
SMB_FIELDS = ('path', 'purpose', 'comment', 'readonly', 'browsable', 'access_based_share_enumeration', 'enabled')
UNORDERED = ('networks', 'hosts', 'security', 'hostsallow', 'hostsdeny')


class ShareError(ValueError):
    """A share declaration that cannot be used; the message names the item and the field."""


def share_path(item, where):
    path, dataset = item.get('path'), item.get('dataset')
    if path and dataset:
        raise ShareError('%s: give path or dataset, not both' % where)
    if dataset:
        path = '/mnt/' + str(dataset).strip('/')
    if not isinstance(path, str) or not path.startswith('/mnt/') or '..' in path.split('/'):
        raise ShareError('%s.path: expected /mnt/<pool>/<dataset>[/dir] (or dataset: pool/dataset), got %r'
                         % (where, path))
    return path.rstrip('/')


def _strings(value, where):
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ShareError('%s: expected a list, got %r' % (where, value))
    return [str(item).strip() for item in value]


def normalise_nfs(item, where='nfs'):
    share = {'path': share_path(item, where), 'state': item.get('state') or 'present'}
    if share['state'] not in ('present', 'absent'):
        raise ShareError('%s.state: expected present or absent, got %r' % (where, share['state']))
    networks = []
    for index, network in enumerate(_strings(item.get('networks'), where + '.networks')):
        try:
            networks.append(str(ipaddress.ip_network(network, strict=False)))
        except ValueError:
            raise ShareError('%s.networks[%d]: expected a network like 10.0.30.0/24, got %r'
                             % (where, index, network)) from None
    hosts = _strings(item.get('hosts'), where + '.hosts')
    for index, host in enumerate(hosts):
        if not host or re.search(r'[\s"\']', host):
            raise ShareError('%s.hosts[%d]: expected an address or a host name without spaces or quotes, got %r'
                             % (where, index, host))
    security = [str(s).upper() for s in _strings(item.get('security'), where + '.security')]
    bad = [s for s in security if s not in SECURITY]
    if bad:
        raise ShareError('%s.security: expected %s, got %s' % (where, ', '.join(SECURITY), ', '.join(bad)))
    share.update({
        'comment': str(item.get('comment') or ''), 'networks': sorted(set(networks)), 'hosts': sorted(set(hosts)),
        'ro': bool(item.get('ro', False)), 'security': sorted(set(security)),
        'enabled': item.get('enabled', True) is not False,
    })
    for key in ('maproot_user', 'maproot_group', 'mapall_user', 'mapall_group'):
        share[key] = item.get(key) or None
    if (share['maproot_user'] or share['maproot_group']) and (share['mapall_user'] or share['mapall_group']):
        raise ShareError('%s: maproot_* and mapall_* exclude each other (TrueNAS refuses both)' % where)
    return share


def normalise_smb(item, where='smb'):
    name = item.get('name')
    if not isinstance(name, str) or not name.strip() or len(name) > 80 or re.search(r'[\\/\[\]:|<>+=;,*?"]', name):
        raise ShareError('%s.name: expected a share name of at most 80 characters without \\ / [ ] : | < > + = ; '
                         ', * ? ", got %r' % (where, name))
    if name.lower() in ('global', 'printers', 'homes'):
        raise ShareError('%s.name: %s is reserved by Samba' % (where, name))
    share = {'name': name, 'state': item.get('state') or 'present'}
    if share['state'] not in ('present', 'absent'):
        raise ShareError('%s.state: expected present or absent, got %r' % (where, share['state']))
    if share['state'] == 'absent':
        return share
    purpose = str(item.get('purpose') or 'DEFAULT_SHARE')
    purpose = SMB_SHORT.get(purpose.lower(), purpose.upper())
    if purpose not in SMB_SHORT.values():
        raise ShareError('%s.purpose: expected one of %s, got %r'
                         % (where, ', '.join(sorted(SMB_SHORT.values())), item.get('purpose')))
    options = dict(item.get('options') or {})
    for key in ('hostsallow', 'hostsdeny'):
        values = _strings(item.get(key), '%s.%s' % (where, key))
        if values or purpose in ('DEFAULT_SHARE', 'LEGACY_SHARE'):
            options[key] = sorted(set(values))
    share.update({
        'path': share_path(item, where), 'purpose': purpose, 'comment': str(item.get('comment') or ''),
        'readonly': bool(item.get('readonly', False)), 'browsable': item.get('browsable', True) is not False,
        'access_based_share_enumeration': bool(item.get('access_based_share_enumeration', False)),
        'enabled': item.get('enabled', True) is not False, 'options': options,
    })
    return share


def _norm(key, value):
    if key in UNORDERED:
        return sorted(set(value or []))
    return value


def nfs_update(share, entry):
    """{field: value} that turn the export into the declared one; {} when it matches."""
    return {key: share[key] for key in NFS_FIELDS if _norm(key, entry.get(key)) != _norm(key, share[key])}


def nfs_payload(share):
    return {key: share[key] for key in ('path',) + NFS_FIELDS}


def smb_update(share, entry):
    """entry in 25.10 terms -> the changed fields; purpose and options always travel together (the API
    refuses one without the other)."""
    update = {key: share[key] for key in SMB_FIELDS if entry.get(key) != share[key]}
    have = entry.get('options') or {}
    if any(_norm(key, have.get(key)) != _norm(key, value) for key, value in share['options'].items()) or (
            'purpose' in update):
        update['purpose'] = share['purpose']
        merged = dict(have) if entry.get('purpose') == share['purpose'] else {}
        merged.update(share['options'])
        update['options'] = merged
    return update


def smb_payload(share):
    return {key: share[key] for key in ('name',) + SMB_FIELDS + ('options',)}


def shown_nfs(entry):
    return {key: _norm(key, entry.get(key)) for key in ('path',) + NFS_FIELDS}


def shown_smb(entry):
    shown = {key: entry.get(key) for key in ('name',) + SMB_FIELDS}
    shown['options'] = {k: _norm(k, v) for k, v in (entry.get('options') or {}).items()}
    return shown


def open_to_everyone(share):
    return share['state'] == 'present' and not share['networks'] and not share['hosts']
