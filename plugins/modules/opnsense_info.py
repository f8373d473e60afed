#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: opnsense_info
short_description: What an OPNsense firewall has (version, VLANs, DHCP reservations, DNS names, aliases, rules, IDS)
version_added: 0.2.0
description:
  - Reads, through the REST API and without changing anything, the parts of the firewall's configuration that the
    opnsense_* modules manage. One search call per part.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  gather:
    description: The parts to read.
    type: list
    elements: str
    choices: [version, vlans, dnsmasq_hosts, kea_subnets, kea_reservations, host_overrides, aliases, rules, ids]
    default: [version, vlans, dnsmasq_hosts, kea_subnets, kea_reservations, host_overrides, aliases, rules, ids]
  managed_only:
    description: Keep only the objects whose description starts with C(homelab:) (what the collection manages).
    type: bool
    default: false
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_no_diff
  - homelab.cluster.opnsense
'''

EXAMPLES = r'''
- name: What the firewall has
  homelab.cluster.opnsense_info:
    url: https://10.0.1.1
    api_key: "{{ vault_opnsense_key }}"
    api_secret: "{{ vault_opnsense_secret }}"
    gather: [version, rules]
  register: firewall
  delegate_to: localhost

- name: Its version
  ansible.builtin.debug:
    msg: "{{ firewall.opnsense.version }}"
'''

RETURN = r'''
opnsense:
  description:
    - One key per part gathered. The lists hold the API's search rows (raw values under the field names,
      display texts under C(%field)); C(ids) holds C(general) (the settings) and C(rulesets).
    - A part the firewall does not have (Kea not installed, an older release) is listed under C(unavailable).
  returned: always
  type: dict
  sample:
    version: 26.7.2
    vlans:
      - uuid: 1c0e5d2a-3f4b-4c6d-8e9f-0a1b2c3d4e5f
        if: ixl0
        tag: "10"
        descr: "homelab: trusted"
        vlanif: vlan01 [TRUSTED]
    unavailable:
      kea_subnets: "GET https://10.0.1.1/api/kea/dhcpv4/search_subnet: 404 Endpoint not found: .."
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.cluster.plugins.module_utils._opnsense import client as _client
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import KINDS
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import MARKER
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.runner import connect
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.runner import spec

PARTS = {'vlans': 'vlan', 'dnsmasq_hosts': 'dnsmasq_host', 'kea_subnets': 'kea_subnet',
         'kea_reservations': 'kea_reservation', 'host_overrides': 'unbound_host', 'aliases': 'alias', 'rules': 'rule'}
CHOICES = ['version'] + list(PARTS) + ['ids']


def main():
    module = AnsibleModule(
        argument_spec=spec(
            gather=dict(type='list', elements='str', choices=CHOICES, default=CHOICES),
            managed_only=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    client = connect(module)
    out, unavailable = {}, {}
    for part in module.params['gather']:
        try:
            if part == 'version':
                out['version'] = client.version()
            elif part == 'ids':
                general = (client.get('ids/settings/get').get('ids') or {}).get('general') or {}
                out['ids'] = {'general': general, 'rulesets': client.rows('ids/settings/list_rulesets')}
            else:
                kind = KINDS[PARTS[part]]
                rows = client.rows(kind.path(kind.search))
                if module.params['managed_only']:
                    rows = [r for r in rows if str(r.get(kind.marker_field) or '').startswith(MARKER)]
                out[part] = rows
        except _client.APIError as exc:
            if exc.status in (401, 403) or exc.status is None:
                module.fail_json(msg=str(exc))  # no answer at all, or the key is wrong: nothing else will work
            unavailable[part] = str(exc)
    if unavailable:
        out['unavailable'] = unavailable
    module.exit_json(changed=False, opnsense=out)


if __name__ == '__main__':
    main()
