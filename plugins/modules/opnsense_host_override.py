#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: opnsense_host_override
short_description: DNS names in OPNsense's Unbound resolver (host overrides), all in one run
version_added: 0.2.0
description:
  - Makes Unbound answer each name with its address (Services, Unbound DNS, Overrides), found by host name, domain
    and record type, through C(unbound/settings/*_host_override). Only the fields given are compared and only what
    differs is written; Unbound is reconfigured once at the end (C(unbound/service/reconfigure)).
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  hosts:
    description: The names.
    type: list
    elements: dict
    required: true
    suboptions:
      hostname:
        description: The host part of the name (C(keeper)).
        type: str
        required: true
      domain:
        description: The domain (C(home.arpa)); O(domain) when not given.
        type: str
      rr:
        description: The record type.
        type: str
        choices: [A, AAAA, MX, TXT]
        default: A
      address:
        description: The address the name resolves to (A and AAAA).
        type: str
      description:
        description: Its description; start it with C(homelab:) to let O(purge) manage it.
        type: str
      enabled:
        description: Whether the override is active.
        type: bool
      state:
        description: Whether the override should exist.
        type: str
        choices: [present, absent]
        default: present
  domain:
    description: The domain of the entries that do not give one.
    type: str
  purge:
    description: Delete the overrides whose description starts with C(homelab:) and that are not listed.
    type: bool
    default: false
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_diff
  - homelab.cluster.opnsense
'''

EXAMPLES = r'''
- name: The logic node by name
  homelab.cluster.opnsense_host_override:
    url: https://10.0.1.1
    api_key: "{{ vault_opnsense_key }}"
    api_secret: "{{ vault_opnsense_secret }}"
    domain: home.arpa
    hosts:
      - {hostname: keeper, address: 10.0.30.5, description: "homelab: keeper"}
  delegate_to: localhost
'''

RETURN = r'''
changes:
  description: What was (or in check mode would be) written, as phrases.
  returned: always
  type: list
  elements: str
  sample: ["create host override keeper.home.arpa"]
activated:
  description: The service calls made (each at most once).
  returned: always
  type: list
  elements: str
services:
  description: The service calls the changes need (also in check mode).
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import KINDS
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.runner import Run
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.runner import precheck
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.runner import spec


def main():
    module = AnsibleModule(
        argument_spec=spec(
            hosts=dict(type='list', elements='dict', required=True, options=dict(
                hostname=dict(type='str', required=True),
                domain=dict(type='str'),
                rr=dict(type='str', choices=['A', 'AAAA', 'MX', 'TXT'], default='A'),
                address=dict(type='str'),
                description=dict(type='str'),
                enabled=dict(type='bool'),
                state=dict(type='str', choices=['present', 'absent'], default='present'),
            )),
            domain=dict(type='str'),
            purge=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    items = []
    for i, host in enumerate(module.params['hosts']):
        host = dict(host, domain=host['domain'] or module.params['domain'])
        if not host['domain']:
            module.fail_json(msg='hosts[%d].domain: required (or give domain for all); nothing was sent' % i)
        if host['state'] == 'present' and host['rr'] in ('A', 'AAAA') and not host['address']:
            module.fail_json(msg='hosts[%d].address: an %s record needs an address (%s); nothing was sent'
                                 % (i, host['rr'], host['hostname']))
        items.append(host)
    precheck(module, KINDS['unbound_host'], items)
    run = Run(module)
    run.sync(KINDS['unbound_host'], items, purge=module.params['purge'])
    run.activate()
    module.exit_json(**run.result())


if __name__ == '__main__':
    main()
