#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: proxmox_node_config
short_description: A Proxmox VE node's package repositories and storage entries, through the API
version_added: 0.1.0
description:
  - Repositories (C(/nodes/{node}/apt/repositories)) - the enterprise repositories (PVE and Ceph) switched off and
    the no-subscription repository added or switched on, or the reverse, as the API's standard handles do;
    other repositories are left as they are.
  - Storage (C(/storage)) - each entry created, or its changeable options (C(content), C(options), C(nodes),
    C(disable), C(prune-backups)) updated; its fixed ones (server, export, path) compared and refused when they
    differ. PVE checks an NFS export is reachable when it is created.
  - Only what differs is written. Check mode reports what would change; diff mode shows it.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  node:
    description: The node whose repositories are managed.
    type: str
    required: true
  repositories:
    description: V(no-subscription) (enterprise off, no-subscription on), V(enterprise) (the reverse) or V(keep).
    type: str
    choices: [no-subscription, enterprise, keep]
    default: keep
  storage:
    description:
      - Storage entries by id, each with C(type) (V(nfs), V(dir), ...) and its API options (C(server), C(export),
        C(content) as a list or a comma string, C(options) (NFS mount options, for example C(vers=4.2)), C(nodes), ...).
      - The whole input is checked before any request, and nothing is sent when a check fails; the error names
        each C(storage.ID.OPTION) - an option the type does not take (as in pve-storage's plugins, PVE 9), a missing
        required one, a value of the wrong kind, a content type the storage cannot hold.
      - Sensitive options (C(password), C(keyring), C(encryption-key), C(master-pubkey)) are sent when the entry is
        created only (PVE never returns them, so they cannot be compared) and are masked in diff and results.
    type: dict
    default: {}
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_diff
  - homelab.cluster.proxmox.modules
'''

EXAMPLES = r'''
- name: No-subscription repositories and the NAS's k3s export
  homelab.cluster.proxmox_node_config:
    api_url: https://forge.lan:8006
    api_token_id: automation@pve!homelab
    api_token_secret: "{{ vault_pve_token }}"
    node: forge
    repositories: no-subscription
    storage:
      nas-k3s:
        type: nfs
        server: 10.0.99.2
        export: /mnt/tank/k3s
        content: [images, backup]
        options: vers=4.2
  delegate_to: localhost
'''

RETURN = r'''
repositories:
  description: The repository changes, each C(disable PATH#INDEX), C(enable PATH#INDEX) or C(add HANDLE).
  returned: always
  type: list
  elements: str
storage:
  description: The storage changes per id, C(created) or the options updated.
  returned: always
  type: dict
refusals:
  description: Every problem of the storage input or plan, each naming C(storage.ID.OPTION).
  returned: failure
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.cluster.plugins.module_utils._pve.client import PveError
from ansible_collections.homelab.cluster.plugins.module_utils._pve.module import connect
from ansible_collections.homelab.cluster.plugins.module_utils._pve.module import pve_argument_spec
from ansible_collections.homelab.cluster.plugins.module_utils._pve.node import repository_actions
from ansible_collections.homelab.cluster.plugins.module_utils._pve.storage import TYPES
from ansible_collections.homelab.cluster.plugins.module_utils._pve.storage import check_storage
from ansible_collections.homelab.cluster.plugins.module_utils._pve.storage import storage_actions


def main():
    module = AnsibleModule(
        argument_spec=pve_argument_spec(
            node=dict(type='str', required=True),
            repositories=dict(type='str', choices=['no-subscription', 'enterprise', 'keep'], default='keep'),
            storage=dict(type='dict', default={}),
        ),
        supports_check_mode=True,
    )
    # the whole input first: a bad entry is refused before any request, so nothing is half-applied
    problems = check_storage(module.params['storage'])
    if problems:
        module.fail_json(msg='%d problem%s in the storage input, nothing was sent: %s'
                         % (len(problems), 's' if len(problems) > 1 else '', '; '.join(problems)), refusals=problems)
    for conf in module.params['storage'].values():
        module.no_log_values.update(str(conf[k]) for k in TYPES[conf['type']]['sensitive'] if conf.get(k))
    client = connect(module)
    node = module.params['node']
    changed = False
    diff = {'before': {}, 'after': {}}

    def call(method, resource, **params):  # a parameter may be named path (apt repositories)
        try:
            return client.call(method, resource, **params)
        except PveError as exc:
            module.fail_json(msg='%s (node %s)' % (exc, node), changed=changed)

    # read and plan both parts before the first write: a refused storage plan leaves the repositories as they were
    repo_actions = []
    if module.params['repositories'] != 'keep':
        repo_actions = repository_actions(call('GET', '/nodes/%s/apt/repositories' % node),
                                          module.params['repositories'])
    current, storage_plan = {}, {}
    if module.params['storage']:
        current = {s['storage']: s for s in call('GET', '/storage')}
        storage_plan, refusals = storage_actions(current, module.params['storage'])
        if refusals:
            module.fail_json(msg='refusing the storage plan, nothing was changed: %s' % '; '.join(refusals),
                             refusals=refusals, changed=False)

    repo_done = []
    for action in repo_actions:
        changed = True
        repo_done.append(action['label'])
        if module.check_mode:
            continue
        digest = call('GET', '/nodes/%s/apt/repositories' % node)['digest']
        if action['kind'] == 'add':
            call('PUT', '/nodes/%s/apt/repositories' % node, handle=action['handle'], digest=digest)
        else:
            call('POST', '/nodes/%s/apt/repositories' % node, path=action['path'], index=action['index'],
                 enabled=int(action['enabled']), digest=digest)
    if repo_actions:
        diff['before']['repositories'] = [a['before'] for a in repo_actions]
        diff['after']['repositories'] = [a['label'] for a in repo_actions]

    storage_done = {}
    for sid, action in sorted(storage_plan.items()):
        changed = True
        storage_done[sid] = action['label']
        diff['before'][sid] = action['before']
        diff['after'][sid] = action['after']
        if module.check_mode:
            continue
        if action['kind'] == 'create':
            call('POST', '/storage', storage=sid, **action['params'])
        else:
            call('PUT', '/storage/%s' % sid, digest=current[sid].get('digest'), **action['params'])

    out = dict(changed=changed, repositories=repo_done, storage=storage_done)
    if module._diff:
        out['diff'] = diff
    module.exit_json(**out)


if __name__ == '__main__':
    main()
