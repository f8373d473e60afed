#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: truenas_dataset
short_description: ZFS datasets on TrueNAS SCALE and their properties, many in one login
version_added: 0.1.0
description:
  - Creates the datasets given and sets the properties given on them through the TrueNAS JSON-RPC API; changes
    only properties that differ (compared as ZFS holds them, so the same on 25.04, 25.10 and 26). A property left
    out is not touched; V(inherit) makes the dataset inherit it again.
  - Give one dataset with O(name) and its properties, or many with O(datasets) (one login for all; parents are
    created before children). Every item is checked before anything is written.
  - O(share_type) and encryption are chosen when a dataset is created; an existing dataset that differs stops the
    run before any write, with the reason. Datasets are never destroyed by this module.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  name:
    description: The dataset, C(pool/name[/child]). Mutually exclusive with O(datasets).
    type: str
  datasets:
    description:
      - Many datasets, each with C(name) and the properties of the single form (same meaning, same values).
    type: list
    elements: dict
    suboptions:
      name:
        description: The dataset, C(pool/name[/child]).
        type: str
        required: true
      comments:
        description: See O(comments).
        type: str
      compression:
        description: See O(compression).
        type: str
      atime:
        description: See O(atime).
        type: raw
      recordsize:
        description: See O(recordsize).
        type: str
      quota:
        description: See O(quota).
        type: raw
      refquota:
        description: See O(refquota).
        type: raw
      sync:
        description: See O(sync).
        type: str
      exec:
        description: See O(exec).
        type: raw
      readonly:
        description: See O(readonly).
        type: raw
      snapdir:
        description: See O(snapdir).
        type: str
      copies:
        description: See O(copies).
        type: raw
      deduplication:
        description: See O(deduplication).
        type: str
      share_type:
        description: See O(share_type).
        type: str
        choices: [generic, smb, nfs, multiprotocol, apps]
      encryption:
        description: See O(encryption).
        type: bool
      encryption_passphrase:
        description: See O(encryption_passphrase).
        type: str
      create_ancestors:
        description: See O(create_ancestors).
        type: bool
        default: true
  comments:
    description: The dataset's comment.
    type: str
  compression:
    description: V(lz4), V(zstd), V(zstd-3), V(gzip-9), V(off), ... or V(inherit).
    type: str
  atime:
    description: Update access times (V(true)/V(false), or V(inherit)).
    type: raw
  recordsize:
    description: V(128K), V(1M) (large media files), V(16K) (databases), ... or V(inherit).
    type: str
  quota:
    description: Space for the dataset and its children, like V(2T) or V(500G) (at least 1G); V(0) for none.
    type: raw
  refquota:
    description: Space for the dataset itself, like O(quota).
    type: raw
  sync:
    description: V(standard), V(always), V(disabled) or V(inherit).
    type: str
  exec:
    description: Allow executing files (V(true)/V(false)/V(inherit)).
    type: raw
  readonly:
    description: Read-only dataset (V(true)/V(false)/V(inherit)).
    type: raw
  snapdir:
    description: The C(.zfs) directory, V(hidden), V(visible), V(disabled) or V(inherit).
    type: str
  copies:
    description: Copies of each block, 1 to 3, or V(inherit).
    type: raw
  deduplication:
    description: V(off), V(on), V(verify) or V(inherit). Deduplication needs a lot of RAM; leave it off.
    type: str
  share_type:
    description:
      - At creation only. V(smb) makes the dataset case-insensitive with NFSv4 ACLs (restricted); V(nfs),
        V(multiprotocol) and V(apps) case-sensitive with NFSv4 ACLs and atime off; V(generic) changes nothing.
    type: str
    choices: [generic, smb, nfs, multiprotocol, apps]
  encryption:
    description: At creation only. Encrypt with a key TrueNAS generates and keeps (unlocked at boot).
    type: bool
  encryption_passphrase:
    description: At creation only. Encrypt with this passphrase instead (the dataset stays locked after a reboot).
    type: str
  create_ancestors:
    description: Create missing parents.
    type: bool
    default: true
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_diff
  - homelab.cluster.truenas
seealso:
  - module: homelab.cluster.truenas_pool
  - module: homelab.cluster.truenas_share
  - module: homelab.cluster.truenas_info
'''

EXAMPLES = r'''
- name: The NAS datasets, one login
  homelab.cluster.truenas_dataset:
    api_url: wss://nas.lab/api/current
    api_username: ansible
    api_key: "{{ truenas_api_key }}"
    ca_path: /etc/ssl/homelab-ca.pem
    datasets:
      - {name: tank/media, recordsize: 1M, compression: lz4, atime: false, share_type: smb}
      - {name: tank/family, compression: zstd, share_type: smb, quota: 4T}
      - {name: tank/k8s, share_type: nfs, recordsize: 128K}
      - {name: tank/archive, compression: zstd-9, readonly: false, snapdir: visible}
  delegate_to: localhost

- name: Let a child inherit compression again
  homelab.cluster.truenas_dataset:
    api_url: nas.lab
    api_username: ansible
    api_key: "{{ truenas_api_key }}"
    name: tank/media/old
    compression: inherit
  delegate_to: localhost
'''

RETURN = r'''
changes:
  description: What was (or in check mode would be) done, as phrases.
  returned: always
  type: list
  elements: str
  sample: ["create tank/media", "update tank/family: quota"]
datasets:
  description: Each dataset named, with the managed properties after the run (as they would be in check mode).
  returned: always
  type: dict
  sample: {"tank/media": {"compression": "lz4", "recordsize": "1M", "atime": "off", "encryption": false}}
api:
  description: The session (url, version, mechanism, key_logins, token_logins, reconnects, calls).
  returned: always
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.cluster.plugins.module_utils._truenas import dataset as logic
from ansible_collections.homelab.cluster.plugins.module_utils._truenas.module import argument_spec
from ansible_collections.homelab.cluster.plugins.module_utils._truenas.module import run_module

PROPERTY_OPTIONS = dict(
    comments=dict(type='str'), compression=dict(type='str'), atime=dict(type='raw'), recordsize=dict(type='str'),
    quota=dict(type='raw'), refquota=dict(type='raw'), sync=dict(type='str'), exec=dict(type='raw'),
    readonly=dict(type='raw'), snapdir=dict(type='str'), copies=dict(type='raw'), deduplication=dict(type='str'),
    share_type=dict(type='str', choices=['generic', 'smb', 'nfs', 'multiprotocol', 'apps']),
    encryption=dict(type='bool'), encryption_passphrase=dict(type='str', no_log=True),
    create_ancestors=dict(type='bool', default=True),
)


def desired_items(params):
    if params['datasets'] is not None:
        stray = sorted(key for key in PROPERTY_OPTIONS if key != 'create_ancestors' and params[key] is not None)
        if stray:
            raise logic.DatasetError('%s: set properties inside each item of datasets, not beside it'
                                     % ', '.join(stray))
        return [(item, 'datasets[%d]' % index) for index, item in enumerate(params['datasets'])]
    item = {key: params[key] for key in PROPERTY_OPTIONS}
    item['name'] = params['name']
    return [(item, 'dataset')]


def apply(run):
    params = run.module.params
    wanted = [logic.normalise(item, where) for item, where in desired_items(params)]
    names = [d['name'] for d in wanted]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise logic.DatasetError('datasets: %s declared twice' % ', '.join(duplicates))
    session = run.connect()
    rows = session.call('pool.dataset.query', [['id', 'in', names]], {'extra': {'retrieve_children': False}})
    found = {row['id']: row for row in rows}
    problems = [p for d in wanted if d['name'] in found for p in logic.conflicts(d, found[d['name']])]
    if problems:
        raise logic.DatasetError('nothing was changed: ' + '; '.join(problems))
    plan = []
    for desired in logic.order(wanted):
        entry = found.get(desired['name'])
        if entry is None:
            plan.append(('create', desired, logic.create_payload(desired)))
        else:
            update = logic.update_payload(desired, entry)
            if update:
                plan.append(('update', desired, update))
    run.pending = ['%s %s' % (action, desired['name']) for action, desired, _payload in plan]
    result = {name: logic.shown(entry) for name, entry in found.items()}
    for action, desired, payload in plan:
        name = desired['name']
        before = logic.shown(found[name]) if name in found else None
        if not run.check_mode:
            if action == 'create':
                entry = session.call('pool.dataset.create', payload, recheck=lambda n=name: _recheck(session, n))
            else:
                entry = session.call('pool.dataset.update', name, payload)
            result[name] = logic.shown(entry)
        else:
            result[name] = dict(before or {}, **logic.public(desired))
        phrase = 'create %s' % name if action == 'create' else 'update %s: %s' % (name, ', '.join(sorted(payload)))
        run.pending.remove('%s %s' % (action, name))
        run.change(phrase, name, before, result[name])
    return {'datasets': result}


def _recheck(session, name):
    rows = session.call('pool.dataset.query', [['id', '=', name]], {'extra': {'retrieve_children': False}})
    return rows[0] if rows else None


def main():
    spec = dict(PROPERTY_OPTIONS, name=dict(type='str'))
    module = AnsibleModule(
        argument_spec=argument_spec(datasets=dict(type='list', elements='dict', options=dict(
            PROPERTY_OPTIONS, name=dict(type='str', required=True))), **spec),
        mutually_exclusive=[('name', 'datasets')],
        required_one_of=[('name', 'datasets')],
        supports_check_mode=True,
    )
    run_module(module, apply)


if __name__ == '__main__':
    main()
