#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: opnsense_alias
short_description: Firewall aliases of OPNsense (hosts, networks, ports), all in one run
version_added: 0.2.0
description:
  - Makes the firewall's aliases (Firewall, Aliases) match O(aliases), found by name, through
    C(firewall/alias/*_item). Only the fields given are compared (content as a set) and only what differs is
    written; aliases are reloaded once at the end (C(firewall/alias/reconfigure)).
  - The firewall refuses to delete an alias a rule still uses; remove or change the rule first (the
    M(homelab.cluster.opnsense_rule) module), then purge.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  aliases:
    description: The aliases.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - The name (the key); a letter or one underscore first, letters, digits and underscores, at most 31
            characters, not a pf keyword nor a service or protocol name.
        type: str
        required: true
      type:
        description: The alias type.
        type: str
        choices: [host, network, port, url, urltable, urljson, geoip, networkgroup, mac, asn, dynipv6host,
                  authgroup, internal, external]
      content:
        description: Its entries (addresses, networks, ports or ranges C(8000:8100), other aliases).
        type: list
        elements: str
      description:
        description: Its description; start it with C(homelab:) to let O(purge) manage it.
        type: str
      enabled:
        description: Whether the alias is active.
        type: bool
      state:
        description: Whether the alias should exist.
        type: str
        choices: [present, absent]
        default: present
  purge:
    description: Delete the aliases whose description starts with C(homelab:) and that are not listed.
    type: bool
    default: false
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_diff
  - homelab.cluster.opnsense
'''

EXAMPLES = r'''
- name: One alias per inventory group (see the homelab.cluster.opnsense role)
  homelab.cluster.opnsense_alias:
    url: https://10.0.1.1
    api_key: "{{ vault_opnsense_key }}"
    api_secret: "{{ vault_opnsense_secret }}"
    aliases:
      - {name: role_storage, type: host, content: [10.0.30.20], description: "homelab: inventory group role_storage"}
      - {name: svc_media, type: port, content: ["8096", "8920"], description: "homelab: service media"}
  delegate_to: localhost
'''

RETURN = r'''
changes:
  description: What was (or in check mode would be) written, as phrases.
  returned: always
  type: list
  elements: str
  sample: ["create alias role_storage", "update alias tier_modern: content"]
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

TYPES = ['host', 'network', 'port', 'url', 'urltable', 'urljson', 'geoip', 'networkgroup', 'mac', 'asn',
         'dynipv6host', 'authgroup', 'internal', 'external']


def main():
    module = AnsibleModule(
        argument_spec=spec(
            aliases=dict(type='list', elements='dict', required=True, options=dict(
                name=dict(type='str', required=True),
                type=dict(type='str', choices=TYPES),
                content=dict(type='list', elements='str'),
                description=dict(type='str'),
                enabled=dict(type='bool'),
                state=dict(type='str', choices=['present', 'absent'], default='present'),
            )),
            purge=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    for i, alias in enumerate(module.params['aliases']):
        if alias['state'] == 'present' and not alias['type']:
            module.fail_json(msg='aliases[%d].type: required for a present alias (%s); nothing was sent'
                                 % (i, alias['name']))
    precheck(module, KINDS['alias'], module.params['aliases'])
    run = Run(module)
    run.sync(KINDS['alias'], module.params['aliases'], purge=module.params['purge'])
    run.activate()
    module.exit_json(**run.result())


if __name__ == '__main__':
    main()
