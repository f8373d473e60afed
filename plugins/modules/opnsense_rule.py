#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: opnsense_rule
short_description: OPNsense filter rules, applied once and confirmed from the controller
version_added: 0.2.0
description:
  - Makes the firewall's filter rules (Firewall, Rules, the MVC rules of C(firewall/filter)) match O(rules), found
    by description, which must therefore be unique. Only the fields given are compared and only what differs is
    written. The rules are applied once at the end (C(firewall/filter/apply)).
  - After the apply, the management address (O(url)) must answer again from where the module runs within
    O(confirm_timeout) seconds. If it does not, the module fails and says how to get back in, naming
    O(backup_path). Savepoint and rollback are not used (26.7 removed them; before, the timer did not restore).
  - Take a backup first (M(homelab.cluster.opnsense_backup)); the homelab.cluster.opnsense role does.
  - Rules made in the legacy rule pages (not MVC) are read but never changed.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  rules:
    description: The rules.
    type: list
    elements: dict
    required: true
    suboptions:
      description:
        description: The rule's description (the key); start it with C(homelab:) to let O(purge) manage it.
        type: str
        required: true
      enabled:
        description: Whether the rule is active.
        type: bool
      action:
        description: What the rule does.
        type: str
        choices: [pass, block, reject]
      quick:
        description: Stop at the first match.
        type: bool
      interface:
        description: The interfaces (C(lan), C(opt1), ...); several make a floating rule.
        type: list
        elements: str
      direction:
        description: The direction.
        type: str
        choices: [in, out, any]
      ipprotocol:
        description: The address family.
        type: str
        choices: [inet, inet6, inet46]
      protocol:
        description: The protocol (C(any), C(TCP), C(UDP), C(TCP/UDP), C(ICMP), ...).
        type: str
      source_net:
        description: Sources (C(any), an alias, a network, C(lan) for its network, C(lanip) for its address, C((self))).
        type: list
        elements: str
      source_not:
        description: Invert the source match.
        type: bool
      source_port:
        description: The source port, range (C(8000-8100)), service name or port alias.
        type: str
      destination_net:
        description: Destinations, as O(rules[].source_net).
        type: list
        elements: str
      destination_not:
        description: Invert the destination match.
        type: bool
      destination_port:
        description: The destination port, range, service name or port alias.
        type: str
      log:
        description: Log the packets the rule matches.
        type: bool
      sequence:
        description: The rule's position, 1-999999 (lower first).
        type: int
      state:
        description: Whether the rule should exist.
        type: str
        choices: [present, absent]
        default: present
  purge:
    description: Delete the rules whose description starts with C(homelab:) and that are not listed.
    type: bool
    default: false
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_diff
  - homelab.cluster.opnsense
  - homelab.cluster.opnsense.confirm
'''

EXAMPLES = r'''
- name: Guests reach the internet only
  homelab.cluster.opnsense_rule:
    url: https://10.0.1.1
    api_key: "{{ vault_opnsense_key }}"
    api_secret: "{{ vault_opnsense_secret }}"
    backup_path: /var/backups/opnsense/config-gate.home.arpa-1767225600.1234.xml
    rules:
      - {description: "homelab: guest -> private networks blocked", action: block, interface: [opt4],
         source_net: [opt4], destination_net: [homelab_private], sequence: 1100}
      - {description: "homelab: guest -> internet", action: pass, interface: [opt4], source_net: [opt4],
         destination_net: [any], sequence: 1110}
  delegate_to: localhost
'''

RETURN = r'''
changes:
  description: What was (or in check mode would be) written, as phrases.
  returned: always
  type: list
  elements: str
  sample: ['create rule "homelab: guest -> internet"']
activated:
  description: The service calls made (each at most once).
  returned: always
  type: list
  elements: str
  sample: ["firewall/filter/apply"]
services:
  description: The service calls the changes need (also in check mode).
  returned: always
  type: list
  elements: str
confirm_s:
  description: Seconds until the management address answered after the apply.
  returned: when the rules were applied
  type: float
lockout:
  description: True when the management address stopped answering (the module failed).
  returned: on that failure
  type: bool
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import KINDS
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.runner import CONFIRM_SPEC
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.runner import Run
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.runner import precheck
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.runner import spec


def main():
    module = AnsibleModule(
        argument_spec=spec(
            rules=dict(type='list', elements='dict', required=True, options=dict(
                description=dict(type='str', required=True),
                enabled=dict(type='bool'),
                action=dict(type='str', choices=['pass', 'block', 'reject']),
                quick=dict(type='bool'),
                interface=dict(type='list', elements='str'),
                direction=dict(type='str', choices=['in', 'out', 'any']),
                ipprotocol=dict(type='str', choices=['inet', 'inet6', 'inet46']),
                protocol=dict(type='str'),
                source_net=dict(type='list', elements='str'),
                source_not=dict(type='bool'),
                source_port=dict(type='str'),
                destination_net=dict(type='list', elements='str'),
                destination_not=dict(type='bool'),
                destination_port=dict(type='str'),
                log=dict(type='bool'),
                sequence=dict(type='int'),
                state=dict(type='str', choices=['present', 'absent'], default='present'),
            )),
            purge=dict(type='bool', default=False),
            **CONFIRM_SPEC
        ),
        supports_check_mode=True,
    )
    for i, rule in enumerate(module.params['rules']):
        if rule['sequence'] is not None and not 1 <= rule['sequence'] <= 999999:
            module.fail_json(msg='rules[%d].sequence: expected 1-999999, got %d (%s); nothing was sent'
                                 % (i, rule['sequence'], rule['description']))
    precheck(module, KINDS['rule'], module.params['rules'])
    run = Run(module)
    run.sync(KINDS['rule'], module.params['rules'], purge=module.params['purge'])
    run.activate()
    confirm_s = run.confirm(module.params['confirm_timeout'], module.params['backup_path'])
    module.exit_json(**run.result(**({'confirm_s': confirm_s} if confirm_s is not None else {})))


if __name__ == '__main__':
    main()
