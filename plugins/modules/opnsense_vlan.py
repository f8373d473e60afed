#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: opnsense_vlan
short_description: VLAN devices of an OPNsense firewall, all in one run
version_added: 0.2.0
description:
  - Makes the firewall's VLAN devices (Interfaces, Devices, VLAN) match O(vlans), found by parent and tag, through
    the REST API (C(interfaces/vlan_settings)). Only the fields given are compared and only what differs is written.
  - The VLAN configuration is applied once at the end (C(interfaces/vlan_settings/reconfigure)), however many VLANs
    changed; then the management address must answer again within O(confirm_timeout).
  - Assigning a VLAN device to an interface and giving it an address is not part of this module (the assignment
    API is not in a release as of 26.7).
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  vlans:
    description: The VLAN devices.
    type: list
    elements: dict
    required: true
    suboptions:
      parent:
        description: The parent device (C(ixl0), C(igc1), ...).
        type: str
        required: true
      tag:
        description: The VLAN tag, 1-4094.
        type: int
        required: true
      pcp:
        description: The 802.1p priority, 0-7.
        type: int
      proto:
        description: The tagging protocol; empty means automatic.
        type: str
        choices: ['', '802.1q', '802.1ad']
      description:
        description: Its description; start it with C(homelab:) to let O(purge) manage it.
        type: str
      device:
        description: The device name (C(vlan01)); chosen by the firewall when not given.
        type: str
      state:
        description: Whether the VLAN should exist.
        type: str
        choices: [present, absent]
        default: present
  purge:
    description: Delete the VLANs whose description starts with C(homelab:) and that O(vlans) does not name.
    type: bool
    default: false
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_diff
  - homelab.cluster.opnsense
  - homelab.cluster.opnsense.confirm
seealso:
  - module: homelab.cluster.opnsense_info
  - name: homelab.cluster.opnsense
    description: The role that derives the VLANs from the seed's plan.
    link: https://github.com/homelab-cluster/homelab.cluster/tree/main/roles/opnsense
'''

EXAMPLES = r'''
- name: The seed's VLANs on the X710
  homelab.cluster.opnsense_vlan:
    url: https://10.0.1.1
    api_key: "{{ vault_opnsense_key }}"
    api_secret: "{{ vault_opnsense_secret }}"
    vlans:
      - {parent: ixl0, tag: 10, description: "homelab: trusted"}
      - {parent: ixl0, tag: 20, description: "homelab: iot"}
  delegate_to: localhost
'''

RETURN = r'''
changes:
  description: What was (or in check mode would be) written, as phrases.
  returned: always
  type: list
  elements: str
  sample: ["create VLAN 10 on ixl0", "update VLAN 20 on ixl0: descr"]
activated:
  description: The service calls made (each at most once).
  returned: always
  type: list
  elements: str
  sample: ["interfaces/vlan_settings/reconfigure"]
services:
  description: The service calls the changes need (also in check mode).
  returned: always
  type: list
  elements: str
confirm_s:
  description: Seconds until the management address answered after the change was activated.
  returned: when something was activated
  type: float
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
            vlans=dict(type='list', elements='dict', required=True, options=dict(
                parent=dict(type='str', required=True),
                tag=dict(type='int', required=True),
                pcp=dict(type='int'),
                proto=dict(type='str', choices=['', '802.1q', '802.1ad']),
                description=dict(type='str'),
                device=dict(type='str'),
                state=dict(type='str', choices=['present', 'absent'], default='present'),
            )),
            purge=dict(type='bool', default=False),
            **CONFIRM_SPEC
        ),
        supports_check_mode=True,
    )
    for i, vlan in enumerate(module.params['vlans']):
        if not 1 <= vlan['tag'] <= 4094:
            module.fail_json(msg='vlans[%d].tag: expected a VLAN tag 1-4094, got %d (nothing was sent)'
                                 % (i, vlan['tag']))
        if vlan['pcp'] is not None and not 0 <= vlan['pcp'] <= 7:
            module.fail_json(msg='vlans[%d].pcp: expected a priority 0-7, got %d (nothing was sent)' % (i, vlan['pcp']))
    precheck(module, KINDS['vlan'], module.params['vlans'])
    run = Run(module)
    run.sync(KINDS['vlan'], module.params['vlans'], purge=module.params['purge'])
    run.activate()
    confirm_s = run.confirm(module.params['confirm_timeout'], module.params['backup_path'])
    module.exit_json(**run.result(**({'confirm_s': confirm_s} if confirm_s is not None else {})))


if __name__ == '__main__':
    main()
