#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: vault_config
short_description: KV v2 mounts, policies and AppRoles of OpenBao or Vault, as code
version_added: 0.1.0
description:
  - Makes an OpenBao (or HashiCorp Vault) server hold the KV v2 mounts, ACL policies and AppRoles given, through
    its HTTP API. Only what differs is written; with O(approle_groups) every inventory group gets an AppRole whose
    policy reads only that group's secrets (C(<mount>/<group>/*)).
  - Nothing is deleted that is not named here. Check mode reports what would change; diff mode shows it.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  url:
    description: The server's address.
    type: str
    required: true
  token:
    description: A token allowed to manage mounts, auth methods, policies and AppRoles (the root token at setup).
    type: str
    required: true
  ca_cert:
    description: The CA certificate that signed the server's TLS certificate.
    type: path
  validate_certs:
    description: Check the server's certificate.
    type: bool
    default: true
  kv_mounts:
    description: KV version 2 mounts; a KV version 1 mount at the path is upgraded.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Mount path.
        type: str
        required: true
      description:
        description: Its description.
        type: str
        default: ''
  policies:
    description: ACL policies, name to HCL text.
    type: dict
    default: {}
  approles:
    description:
      - AppRoles, name to settings (C(token_policies), C(token_ttl), C(token_max_ttl), C(secret_id_ttl),
        C(secret_id_num_uses), C(token_bound_cidrs), C(secret_id_bound_cidrs)). The approle auth method is enabled
        when needed.
    type: dict
    default: {}
  approle_groups:
    description: Inventory groups that each get a policy and an AppRole named C(homelab-<group>).
    type: list
    elements: str
    default: []
  approle_mount:
    description: The KV mount the group policies read from.
    type: str
    default: kv
  timeout:
    description: Seconds per request.
    type: int
    default: 10
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_diff
seealso:
  - name: homelab.cluster.vault
    description: The role that installs, initialises and configures the server with this module.
    link: https://github.com/homelab/cluster/tree/main/roles/vault
'''

EXAMPLES = r'''
- name: Secrets for the compute nodes
  homelab.cluster.vault_config:
    url: https://nas.lab:8200
    ca_cert: /etc/openbao/tls/ca.crt
    token: "{{ vault_admin_token }}"
    kv_mounts:
      - path: kv
        description: homelab secrets
    approle_groups: [compute]
    policies:
      backup: |
        path "kv/data/backup/*" { capabilities = ["read"] }
'''

RETURN = r'''
changes:
  description: What was (or would be) written, as phrases.
  returned: always
  type: list
  elements: str
  sample: ["enable auth approle", "create kv mount kv", "write policy homelab-compute"]
approles:
  description: The AppRole names managed.
  returned: always
  type: list
  elements: str
'''

import json

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

from ansible_collections.homelab.cluster.plugins.module_utils._vault import VaultError
from ansible_collections.homelab.cluster.plugins.module_utils._vault import approle_changes
from ansible_collections.homelab.cluster.plugins.module_utils._vault import approles_for_groups
from ansible_collections.homelab.cluster.plugins.module_utils._vault import check_mount
from ansible_collections.homelab.cluster.plugins.module_utils._vault import check_name
from ansible_collections.homelab.cluster.plugins.module_utils._vault import mount_changes
from ansible_collections.homelab.cluster.plugins.module_utils._vault import normalise_policy


class Api:
    def __init__(self, module):
        self.module = module
        self.url = module.params['url'].rstrip('/')

    def call(self, method, path, body=None, missing_ok=False):
        url = '%s/v1/%s' % (self.url, path)
        try:
            response = open_url(url, method=method, data=json.dumps(body) if body is not None else None,
                                headers={'X-Vault-Token': self.module.params['token'],
                                         'Content-Type': 'application/json'},
                                ca_path=self.module.params['ca_cert'],
                                validate_certs=self.module.params['validate_certs'],
                                timeout=self.module.params['timeout'])
            text = response.read()
        except Exception as exc:  # HTTPError carries the status; URLError and socket errors do not
            status = getattr(exc, 'code', None)
            if missing_ok and status == 404:
                return None
            detail = ''
            if hasattr(exc, 'read'):
                try:
                    detail = ' '.join(json.loads(exc.read() or b'{}').get('errors') or [])
                except ValueError:
                    detail = ''
            self.module.fail_json(msg='%s %s failed: %s%s'
                                  % (method, url, status or exc, ': ' + detail if detail else ''))
        return json.loads(text) if text else {}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type='str', required=True),
            token=dict(type='str', required=True, no_log=True),
            ca_cert=dict(type='path'),
            validate_certs=dict(type='bool', default=True),
            kv_mounts=dict(type='list', elements='dict', default=[], options=dict(
                path=dict(type='str', required=True), description=dict(type='str', default=''))),
            policies=dict(type='dict', default={}),
            approles=dict(type='dict', default={}),
            approle_groups=dict(type='list', elements='str', default=[]),
            approle_mount=dict(type='str', default='kv'),
            timeout=dict(type='int', default=10),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        generated = approles_for_groups(p['approle_groups'], p['approle_mount'])
        policies = dict(generated['policies'], **p['policies'])
        approles = dict(generated['approles'], **p['approles'])
        for name in list(policies) + list(approles):
            check_name('policies/approles', name)
        mounts = [(check_mount(m['path']), m['description']) for m in p['kv_mounts']]
    except VaultError as exc:
        module.fail_json(msg=str(exc))
    api = Api(module)
    changes, before, after, writes = [], {}, {}, []

    existing = api.call('GET', 'sys/mounts')
    existing = existing.get('data', existing)
    for path, description in mounts:
        try:
            need = mount_changes(existing.get(path + '/'), path)
        except VaultError as exc:
            module.fail_json(msg=str(exc))
        if need == 'create':
            changes.append('create kv mount %s' % path)
            writes.append(('POST', 'sys/mounts/%s' % path,
                           {'type': 'kv', 'description': description, 'options': {'version': '2'}}))
        elif need == 'upgrade':
            changes.append('upgrade kv mount %s to version 2' % path)
            writes.append(('POST', 'sys/mounts/%s/tune' % path, {'options': {'version': '2'}}))

    if approles:
        auth = api.call('GET', 'sys/auth')
        if 'approle/' not in auth.get('data', auth):
            changes.append('enable auth approle')
            writes.append(('POST', 'sys/auth/approle', {'type': 'approle'}))

    for name, text in sorted(policies.items()):
        current = api.call('GET', 'sys/policies/acl/%s' % name, missing_ok=True)
        have = ((current or {}).get('data') or {}).get('policy')
        if have is None or normalise_policy(have) != normalise_policy(text):
            changes.append('%s policy %s' % ('write' if have is None else 'update', name))
            before['policy ' + name] = have or ''
            after['policy ' + name] = normalise_policy(text)
            writes.append(('PUT', 'sys/policies/acl/%s' % name, {'policy': text}))

    for name, wanted in sorted(approles.items()):
        current = None
        if 'enable auth approle' not in changes:
            found = api.call('GET', 'auth/approle/role/%s' % name, missing_ok=True)
            current = (found or {}).get('data') if found else None
        try:
            delta = approle_changes(current, wanted or {})
        except VaultError as exc:
            module.fail_json(msg='approles.%s: %s' % (name, exc))
        if delta:
            changes.append('%s approle %s' % ('create' if current is None else 'update', name))
            before['approle ' + name] = {k: (current or {}).get(k) for k in delta}
            after['approle ' + name] = delta
            writes.append(('POST', 'auth/approle/role/%s' % name, delta))

    if not module.check_mode:
        for method, path, body in writes:
            api.call(method, path, body)
    module.exit_json(changed=bool(changes), changes=changes, approles=sorted(approles),
                     diff={'before': json.dumps(before, indent=2, sort_keys=True) + '\n',
                           'after': json.dumps(after, indent=2, sort_keys=True) + '\n'})


if __name__ == '__main__':
    main()
