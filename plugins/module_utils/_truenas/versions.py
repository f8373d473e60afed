# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every difference between TrueNAS SCALE releases the truenas_* modules meet, in one place (pure).

PRIVATE to the homelab.cluster collection; its API may change without notice.

Sources: the versioned API models of truenas/middleware (``src/middlewared/middlewared/api/v25_04_2``,
``v25_10_5``, ``v26_0_0``), its 25.10 migration ``alembic/versions/25.10/2025-06-02_20-57_smb-share-new-api.py``
and truenas/api_client's ``auth_api_key.py``.

=========  ==========================================================================================
25.04      JSON-RPC 2.0 at /api/current; login_ex API_KEY_PLAIN; snapshots under ``zfs.snapshot.*``; SMB
           ``purpose`` names NO_PRESET, DEFAULT_SHARE, MULTI_PROTOCOL_NFS, TIMEMACHINE, ENHANCED_TIMEMACHINE,
           PRIVATE_DATASETS, WORM_DROPBOX with flat fields (``ro``, ``abe``, ``hostsallow``, ``hostsdeny``)
25.10      ``pool.snapshot.*`` replaces ``zfs.snapshot.*``; SMB purposes renamed (``*_SHARE``) and their
           settings moved into ``options``; dataset enums must be upper case (``LZ4``, ``ON``/``OFF``)
26         SCRAM-SHA-512 API key login (offered by ``auth.mechanism_choices``); ``zfs.resource.*``;
           ``login_options.reconnect_token``; REST removed
=========  ==========================================================================================

25.04.2 .. 25.10.2 answer an unauthenticated ``auth.mechanism_choices`` with an AttributeError about
``may_create_auth_token`` (a middleware bug the official client works around): that, like "Method does not
exist", means API_KEY_PLAIN only.
"""

from __future__ import annotations

import re

OLDEST = (25, 4)
MECHANISM_BUG = "'NoneType' object has no attribute 'may_create_auth_token'"

# 25.10 purpose -> 25.04 purpose (the inverse of the 25.10 migration)
SMB_PURPOSE_2504 = {
    'DEFAULT_SHARE': 'DEFAULT_SHARE', 'LEGACY_SHARE': 'NO_PRESET', 'MULTIPROTOCOL_SHARE': 'MULTI_PROTOCOL_NFS',
    'TIMEMACHINE_SHARE': 'TIMEMACHINE', 'PRIVATE_DATASETS_SHARE': 'PRIVATE_DATASETS',
    'TIME_LOCKED_SHARE': 'WORM_DROPBOX',
}
SMB_PURPOSE_FROM_2504 = {old: new for new, old in SMB_PURPOSE_2504.items()}
SMB_PURPOSE_FROM_2504['ENHANCED_TIMEMACHINE'] = 'TIMEMACHINE_SHARE'
SMB_PURPOSES = ('DEFAULT_SHARE', 'LEGACY_SHARE', 'TIMEMACHINE_SHARE', 'MULTIPROTOCOL_SHARE', 'TIME_LOCKED_SHARE',
                'PRIVATE_DATASETS_SHARE', 'EXTERNAL_SHARE', 'VEEAM_REPOSITORY_SHARE', 'FCP_SHARE')


class VersionError(ValueError):
    """A TrueNAS release this collection cannot talk to."""


def parse(text):
    """'25.10.1', 'TrueNAS-SCALE-25.04.2.4', '26.0.0-BETA.1', 'TrueNAS-26.04-MASTER-2026...' -> (major, minor)."""
    match = re.search(r'(\d{2})\.(\d{1,2})(?:[.\-]|$)', text or '')
    if not match:
        raise VersionError('cannot read a TrueNAS version from %r' % (text,))
    major, minor = int(match.group(1)), int(match.group(2))
    return major, minor


def label(version):
    return '%d.%02d' % version if version[0] < 26 else '%d.%d' % version


def features(version):
    """What the modules need to know about a release, from its (major, minor)."""
    if tuple(version) < OLDEST:
        raise VersionError('TrueNAS %s speaks the legacy websocket protocol (/websocket); the truenas_* modules '
                           'need 25.04 or newer (JSON-RPC 2.0 at /api/current)' % label(version))
    new_smb = tuple(version) >= (25, 10)
    return {
        'version': label(version),
        'snapshot_query': ('zfs.resource.snapshot.query' if version[0] >= 26
                           else 'pool.snapshot.query' if new_smb else 'zfs.snapshot.query'),
        'smb_options': new_smb,          # purpose settings in `options` (25.10+), flat before
        'strict_enums': new_smb,         # 25.10 refuses lower-case dataset enums and booleans for atime
        'zfs_resource': version[0] >= 26,
        'reconnect_token_option': version[0] >= 26,
    }


def mechanisms_from_probe(result=None, error=None):
    """The login mechanisms a server offers, from auth.mechanism_choices' result or the error it raised."""
    if error is not None:
        text = str(error)
        if 'Method does not exist' in text or MECHANISM_BUG in text:
            return ['API_KEY_PLAIN']
        return None
    if not isinstance(result, list):
        return None
    return [str(item) for item in result]


def choose_mechanism(offered, wanted='auto'):
    """'SCRAM' or 'API_KEY_PLAIN', or raise with what was offered. Never downgrades: a server that offers
    SCRAM is logged in with SCRAM unless plain was asked for by name."""
    offered = offered or []
    if wanted == 'scram':
        if 'SCRAM' not in offered:
            raise VersionError('auth_mechanism=scram, but the server offers only %s (SCRAM arrived in TrueNAS 26)'
                               % (', '.join(offered) or 'nothing'))
        return 'SCRAM'
    if wanted == 'plain':
        if 'API_KEY_PLAIN' not in offered:
            raise VersionError('auth_mechanism=plain, but the server offers only %s' % ', '.join(offered))
        return 'API_KEY_PLAIN'
    if 'SCRAM' in offered:
        return 'SCRAM'
    if 'API_KEY_PLAIN' in offered:
        return 'API_KEY_PLAIN'
    raise VersionError('the server offers no API key login (mechanisms: %s); with a STIG/GPOS security level '
                       'an API key needs SCRAM' % (', '.join(offered) or 'none'))


# --------------------------------------------------------------------------------------------- SMB shapes

SMB_FLAT_2504 = ('hostsallow', 'hostsdeny')
SMB_RENAMED_2504 = {'readonly': 'ro', 'access_based_share_enumeration': 'abe'}


def smb_payload(share, feats):
    """A share in 25.10 terms ({name, path, purpose, comment, enabled, readonly, browsable,
    access_based_share_enumeration, options{...}}) -> the payload this release accepts."""
    payload = {key: value for key, value in share.items() if key != 'options'}
    options = dict(share.get('options') or {})
    if feats['smb_options']:
        if 'options' in share or 'purpose' in share:
            payload['options'] = options
        return payload
    if 'purpose' in share:
        payload['purpose'] = SMB_PURPOSE_2504.get(share['purpose'])
        if payload['purpose'] is None:
            raise VersionError('the SMB purpose %s does not exist before TrueNAS 25.10' % share['purpose'])
    for new, old in SMB_RENAMED_2504.items():
        if new in payload:
            payload[old] = payload.pop(new)
    for key in SMB_FLAT_2504:
        if key in options:
            payload[key] = options.pop(key)
    if options:
        raise VersionError('SMB options %s need TrueNAS 25.10 or newer' % ', '.join(sorted(options)))
    return payload


def smb_entry(entry, feats):
    """A sharing.smb.query entry of this release -> 25.10 terms, for comparison."""
    entry = dict(entry)
    if feats['smb_options']:
        options = dict(entry.get('options') or {})
        options.pop('purpose', None)
        entry['options'] = options
        return entry
    entry['purpose'] = SMB_PURPOSE_FROM_2504.get(entry.get('purpose'), entry.get('purpose'))
    for new, old in SMB_RENAMED_2504.items():
        if old in entry:
            entry[new] = entry.pop(old)
    entry['options'] = {key: entry.pop(key) for key in SMB_FLAT_2504 if key in entry}
    return entry


def snapshot_query(feats, datasets):
    """(method, params) that list the snapshots of these datasets on this release."""
    if feats['zfs_resource']:
        return feats['snapshot_query'], [{'paths': sorted(datasets), 'properties': None}]
    return feats['snapshot_query'], [[['dataset', 'in', sorted(datasets)]],
                                     {'select': ['name', 'dataset', 'snapshot_name', 'createtxg']}]


def snapshot_summary(rows, datasets):
    """{dataset: {count, latest}} from a snapshot query of any release (latest = highest createtxg)."""
    summary = {name: {'count': 0, 'latest': None, '_txg': -1} for name in datasets}
    for row in rows or []:
        dataset = row.get('dataset') or str(row.get('name', '')).split('@', 1)[0]
        if dataset not in summary:
            continue
        txg = row.get('createtxg')
        if isinstance(txg, dict):  # a property object of the older queries
            txg = txg.get('parsed')
        try:
            txg = int(txg)
        except (TypeError, ValueError):
            txg = 0
        item = summary[dataset]
        item['count'] += 1
        if txg >= item['_txg']:
            item['_txg'] = txg
            item['latest'] = row.get('snapshot_name') or str(row.get('name', '')).partition('@')[2]
    for item in summary.values():
        item.pop('_txg')
    return summary
