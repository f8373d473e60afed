#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: truenas_share
short_description: NFS exports and SMB shares on TrueNAS SCALE, declared whole, in one login
version_added: 0.1.0
description:
  - Makes the NFS exports (found by path) and SMB shares (found by name, case-insensitively) look as declared,
    who may mount an export (O(nfs[].networks), O(nfs[].hosts)), read-only and root mapping; an SMB share's
    purpose, hosts allowed and flags. What is left out takes the API's default, so a host removed from the list
    loses access on the next run. O(nfs[].state=absent) / O(smb[].state=absent) remove a share (never data).
  - SMB shares are declared in TrueNAS 25.10 terms (C(DEFAULT_SHARE), C(MULTIPROTOCOL_SHARE), ..., settings in
    C(options)) and translated for 25.04 (C(DEFAULT_SHARE), C(MULTI_PROTOCOL_NFS), ... with flat fields).
  - Every item is checked before anything is written. An export open to every address (no networks, no hosts)
    is reported as a warning.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  nfs:
    description: NFS exports.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The exported path, under C(/mnt). Or give O(nfs[].dataset).
        type: str
      dataset:
        description: The exported dataset (C(pool/name)), meaning C(path=/mnt/pool/name).
        type: str
      networks:
        description: Networks that may mount it (CIDR).
        type: list
        elements: str
        default: []
      hosts:
        description: Addresses or names that may mount it.
        type: list
        elements: str
        default: []
      ro:
        description: Read-only export.
        type: bool
        default: false
      maproot_user:
        description: Map the client's root to this user (C(root) keeps root, as Proxmox backups need).
        type: str
      maproot_group:
        description: Map the client's root group to this group.
        type: str
      mapall_user:
        description: Map every client user to this user.
        type: str
      mapall_group:
        description: Map every client group to this group.
        type: str
      security:
        description: C(SYS), C(KRB5), C(KRB5I), C(KRB5P).
        type: list
        elements: str
        default: []
      comment:
        description: A comment.
        type: str
        default: ''
      enabled:
        description: Whether the export is active.
        type: bool
        default: true
      state:
        description: V(absent) removes the export (the data stays).
        type: str
        choices: [present, absent]
        default: present
  smb:
    description: SMB shares.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The share name.
        type: str
        required: true
      path:
        description: The shared path, under C(/mnt). Or give O(smb[].dataset).
        type: str
      dataset:
        description: The shared dataset (C(pool/name)).
        type: str
      purpose:
        description:
          - C(DEFAULT_SHARE) (or V(default)), C(MULTIPROTOCOL_SHARE) (V(multiprotocol), when NFS or apps use the
            same path), C(TIMEMACHINE_SHARE), C(TIME_LOCKED_SHARE), C(PRIVATE_DATASETS_SHARE), C(LEGACY_SHARE), ...
        type: str
        default: DEFAULT_SHARE
      hostsallow:
        description: Addresses or networks allowed (Samba C(hosts allow)); with it set, everyone else is refused.
        type: list
        elements: str
        default: []
      hostsdeny:
        description: Addresses or networks refused.
        type: list
        elements: str
        default: []
      readonly:
        description: Read-only over SMB.
        type: bool
        default: false
      browsable:
        description: Listed to clients.
        type: bool
        default: true
      access_based_share_enumeration:
        description: Listed only to users the share ACL admits.
        type: bool
        default: false
      options:
        description: More purpose settings (TrueNAS 25.10+), passed as they are (C(auto_snapshot), C(auto_quota), ...).
        type: dict
      comment:
        description: A comment.
        type: str
        default: ''
      enabled:
        description: Whether the share is active.
        type: bool
        default: true
      state:
        description: V(absent) removes the share (the data stays).
        type: str
        choices: [present, absent]
        default: present
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_diff
  - homelab.cluster.truenas
seealso:
  - module: homelab.cluster.truenas_dataset
'''

EXAMPLES = r'''
- name: Exports for the hypervisor and the logic node, SMB for the family VLAN
  homelab.cluster.truenas_share:
    api_url: wss://nas.lab/api/current
    api_username: ansible
    api_key: "{{ truenas_api_key }}"
    nfs:
      - {dataset: tank/k8s, hosts: [10.0.30.10], maproot_user: root, maproot_group: wheel}
      - {dataset: tank/archive, hosts: [10.0.30.5]}
    smb:
      - {name: family, dataset: tank/family, hostsallow: [10.0.10.0/24]}
      - {name: media, dataset: tank/media, hostsallow: [10.0.10.0/24], readonly: true}
  delegate_to: localhost
'''

RETURN = r'''
nfs:
  description: Each export declared, by path, as it is after the run (planned in check mode); absent ones are null.
  returned: always
  type: dict
smb:
  description: Each SMB share declared, by name, in 25.10 terms.
  returned: always
  type: dict
changes:
  description: What was (or would be) done.
  returned: always
  type: list
  elements: str
api:
  description: The session (url, version, mechanism, key_logins, token_logins, reconnects, calls).
  returned: always
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.cluster.plugins.module_utils._truenas import share as logic
from ansible_collections.homelab.cluster.plugins.module_utils._truenas import versions
from ansible_collections.homelab.cluster.plugins.module_utils._truenas.module import argument_spec
from ansible_collections.homelab.cluster.plugins.module_utils._truenas.module import run_module

STATE = dict(type='str', default='present', choices=['present', 'absent'])


def _unique(items, key, what):
    seen = [key(item) for item in items]
    twice = sorted({k for k in seen if seen.count(k) > 1})
    if twice:
        raise logic.ShareError('%s: %s declared twice' % (what, ', '.join(twice)))


def apply(run):
    params = run.module.params
    nfs = [logic.normalise_nfs(item, 'nfs[%d]' % i) for i, item in enumerate(params['nfs'])]
    smb = [logic.normalise_smb(item, 'smb[%d]' % i) for i, item in enumerate(params['smb'])]
    _unique(nfs, lambda s: s['path'], 'nfs')
    _unique(smb, lambda s: s['name'].lower(), 'smb')
    for share in nfs:
        if logic.open_to_everyone(share):
            run.module.warn('the NFS export %s has no networks and no hosts: every address may mount it'
                            % share['path'])
    session = run.connect()
    feats = session.features
    if not feats['smb_options']:
        for share in smb:  # raises before any write when a purpose or option needs 25.10
            if share['state'] == 'present':
                versions.smb_payload(logic.smb_payload(share), feats)
    run.pending = ['NFS export %s' % s['path'] for s in nfs] + ['SMB share %s' % s['name'] for s in smb]
    return {'nfs': _nfs(run, session, nfs) if nfs else {}, 'smb': _smb(run, session, smb, feats) if smb else {}}


def _nfs(run, session, shares):
    rows = session.call('sharing.nfs.query', [['path', 'in', [s['path'] for s in shares]]])
    found = {row['path']: row for row in rows}
    result = {}
    for share in shares:
        path, entry = share['path'], found.get(share['path'])
        with run.step('NFS export %s' % path):
            before = logic.shown_nfs(entry) if entry else None
            if share['state'] == 'absent':
                result[path] = None
                if entry:
                    if not run.check_mode:
                        session.call('sharing.nfs.delete', entry['id'])
                    run.change('remove NFS export %s' % path, 'nfs ' + path, before, None)
                continue
            if entry is None:
                payload = logic.nfs_payload(share)
                after = payload
                if not run.check_mode:
                    after = logic.shown_nfs(session.call('sharing.nfs.create', payload, recheck=lambda p=path: _find(
                        session, 'sharing.nfs.query', 'path', p)))
                run.change('export %s over NFS to %s' % (path, ', '.join(share['networks'] + share['hosts']) or
                                                         'everyone'), 'nfs ' + path, None, after)
                result[path] = after
                continue
            update = logic.nfs_update(share, entry)
            after = dict(before, **update)
            if update:
                if not run.check_mode:
                    after = logic.shown_nfs(session.call('sharing.nfs.update', entry['id'], update))
                run.change('update NFS export %s: %s' % (path, ', '.join(sorted(update))), 'nfs ' + path,
                           {k: before.get(k) for k in update}, {k: after.get(k) for k in update})
            result[path] = after
    return result


def _find(session, method, key, value):
    rows = session.call(method, [[key, '=', value]])
    return rows[0] if rows else None


def _smb(run, session, shares, feats):
    rows = [versions.smb_entry(row, feats) for row in session.call('sharing.smb.query')]
    found = {row['name'].lower(): row for row in rows}
    result = {}
    for share in shares:
        name, entry = share['name'], found.get(share['name'].lower())
        with run.step('SMB share %s' % name):
            before = logic.shown_smb(entry) if entry else None
            if share['state'] == 'absent':
                result[name] = None
                if entry:
                    if not run.check_mode:
                        session.call('sharing.smb.delete', entry['id'])
                    run.change('remove SMB share %s' % name, 'smb ' + name, before, None)
                continue
            if entry is None:
                payload = logic.smb_payload(share)
                after = logic.shown_smb(payload)
                if not run.check_mode:
                    created = session.call('sharing.smb.create', versions.smb_payload(payload, feats),
                                           recheck=lambda n=name: _find(session, 'sharing.smb.query', 'name', n))
                    after = logic.shown_smb(versions.smb_entry(created, feats))
                run.change('share %s over SMB (%s)' % (name, share['path']), 'smb ' + name, None, after)
                result[name] = after
                continue
            update = logic.smb_update(share, entry)
            after = before
            if update:
                after = logic.shown_smb(dict(entry, **update))
                if not run.check_mode:
                    changed = session.call('sharing.smb.update', entry['id'], versions.smb_payload(update, feats))
                    after = logic.shown_smb(versions.smb_entry(changed, feats))
                run.change('update SMB share %s: %s' % (name, ', '.join(sorted(update))), 'smb ' + name,
                           {k: before.get(k) for k in update}, {k: after.get(k) for k in update})
            result[name] = after
    return result


def main():
    nfs_options = dict(
        path=dict(type='str'), dataset=dict(type='str'), networks=dict(type='list', elements='str', default=[]),
        hosts=dict(type='list', elements='str', default=[]), ro=dict(type='bool', default=False),
        maproot_user=dict(type='str'), maproot_group=dict(type='str'), mapall_user=dict(type='str'),
        mapall_group=dict(type='str'), security=dict(type='list', elements='str', default=[]),
        comment=dict(type='str', default=''), enabled=dict(type='bool', default=True), state=STATE)
    smb_options = dict(
        name=dict(type='str', required=True), path=dict(type='str'), dataset=dict(type='str'),
        purpose=dict(type='str', default='DEFAULT_SHARE'), hostsallow=dict(type='list', elements='str', default=[]),
        hostsdeny=dict(type='list', elements='str', default=[]), readonly=dict(type='bool', default=False),
        browsable=dict(type='bool', default=True),
        access_based_share_enumeration=dict(type='bool', default=False), options=dict(type='dict'),
        comment=dict(type='str', default=''), enabled=dict(type='bool', default=True), state=STATE)
    module = AnsibleModule(
        argument_spec=argument_spec(
            nfs=dict(type='list', elements='dict', default=[], options=nfs_options),
            smb=dict(type='list', elements='dict', default=[], options=smb_options),
        ),
        supports_check_mode=True,
    )
    run_module(module, apply)


if __name__ == '__main__':
    main()
