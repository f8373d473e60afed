#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: opnsense_dhcp_reservation
short_description: DHCPv4 static reservations (MAC to address) on OPNsense, with dnsmasq or Kea
version_added: 0.2.0
description:
  - Makes the firewall hand each MAC address its fixed IPv4 address, found by MAC. With O(backend=dnsmasq) (the
    DHCP server OPNsense sets up since 25.x) these are dnsmasq host entries (C(dnsmasq/settings/*_host)); with
    O(backend=kea) Kea reservations (C(kea/dhcpv4/*_reservation)) in the Kea subnet that holds the address.
  - Only the fields given are compared and only what differs is written; the DHCP service is reconfigured once
    at the end (C(dnsmasq/service/reconfigure) or C(kea/service/reconfigure)), however many entries changed.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  backend:
    description: The DHCP server of the firewall.
    type: str
    choices: [dnsmasq, kea]
    default: dnsmasq
  reservations:
    description: The reservations.
    type: list
    elements: dict
    required: true
    suboptions:
      mac:
        description: The client's MAC address (the key).
        type: str
        required: true
      address:
        description: Its IPv4 address; required unless O(reservations[].state=absent).
        type: str
      hostname:
        description: The host name handed out with the lease.
        type: str
      description:
        description: Its description; start it with C(homelab:) to let O(purge) manage it.
        type: str
      state:
        description: Whether the reservation should exist.
        type: str
        choices: [present, absent]
        default: present
  domain:
    description: The domain of the dnsmasq host entries (dnsmasq only).
    type: str
  subnets:
    description:
      - Kea only. The Kea subnets to make sure of first (found by their network). A reservation goes into the Kea
        subnet that holds its address, whether listed here or already on the firewall.
    type: list
    elements: dict
    default: []
    suboptions:
      subnet:
        description: The network, such as C(10.0.10.0/24).
        type: str
        required: true
      description:
        description: Its description.
        type: str
      pools:
        description: Address ranges to hand out dynamically (C(10.0.10.100-10.0.10.199)).
        type: list
        elements: str
      state:
        description: Whether the subnet should exist.
        type: str
        choices: [present, absent]
        default: present
  purge:
    description: Delete the reservations (and with Kea the subnets) whose description starts with C(homelab:) and
      that are not listed.
    type: bool
    default: false
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_diff
  - homelab.cluster.opnsense
'''

EXAMPLES = r'''
- name: Every host of the inventory gets its address (see the homelab.cluster.opnsense role)
  homelab.cluster.opnsense_dhcp_reservation:
    url: https://10.0.1.1
    api_key: "{{ vault_opnsense_key }}"
    api_secret: "{{ vault_opnsense_secret }}"
    domain: home.arpa
    reservations:
      - {mac: "a8:a1:59:00:00:05", address: 10.0.30.5, hostname: keeper, description: "homelab: keeper"}
  delegate_to: localhost

- name: The same with Kea, its subnet made sure of
  homelab.cluster.opnsense_dhcp_reservation:
    url: https://10.0.1.1
    api_key: "{{ vault_opnsense_key }}"
    api_secret: "{{ vault_opnsense_secret }}"
    backend: kea
    subnets:
      - {subnet: 10.0.30.0/24, description: "homelab: servers"}
    reservations:
      - {mac: "a8:a1:59:00:00:05", address: 10.0.30.5, hostname: keeper}
  delegate_to: localhost
'''

RETURN = r'''
changes:
  description: What was (or in check mode would be) written, as phrases.
  returned: always
  type: list
  elements: str
  sample: ["create dnsmasq host keeper (a8:a1:59:00:00:05)"]
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

import ipaddress
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import KINDS
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.runner import Run
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.runner import precheck
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.runner import spec

_MAC = re.compile(r'^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$', re.IGNORECASE)


def check_input(module):
    p = module.params
    for i, item in enumerate(p['reservations']):
        if not _MAC.match(item['mac']):
            module.fail_json(msg='reservations[%d].mac: expected a MAC address such as a8:a1:59:00:00:01, got %r; '
                                 'nothing was sent' % (i, item['mac']))
        if item['state'] == 'present' and not item['address']:
            module.fail_json(msg='reservations[%d].address: required for a present reservation (mac %s); nothing was '
                                 'sent' % (i, item['mac']))
        if item['address']:
            try:
                ipaddress.IPv4Address(item['address'])
            except ValueError:
                module.fail_json(msg='reservations[%d].address: expected an IPv4 address, got %r; nothing was sent'
                                     % (i, item['address']))
    for i, item in enumerate(p['subnets']):
        try:
            ipaddress.IPv4Network(item['subnet'])
        except ValueError:
            module.fail_json(msg='subnets[%d].subnet: expected an IPv4 network, got %r; nothing was sent'
                                 % (i, item['subnet']))
    if p['subnets'] and p['backend'] != 'kea':
        module.fail_json(msg='subnets: only for backend kea (dnsmasq needs no subnet for a reservation)')
    if p['backend'] == 'kea':
        precheck(module, KINDS['kea_subnet'], p['subnets'])
        precheck(module, KINDS['kea_reservation'], [dict(r, subnet=None) for r in p['reservations']])
    else:
        precheck(module, KINDS['dnsmasq_host'], p['reservations'])


def _kea_homes(module, rows):
    """Every reservation's address must fall in a subnet the firewall has or this run declares present: checked
    before the subnets are written, so a refused reservation leaves no subnet half-added."""
    p = module.params
    absent = {ipaddress.IPv4Network(s['subnet'], strict=False) for s in p['subnets'] if s['state'] == 'absent'}
    known = {ipaddress.IPv4Network(s['subnet'], strict=False) for s in p['subnets'] if s['state'] == 'present'}
    for row in rows:
        try:
            known.add(ipaddress.IPv4Network(row.get('subnet', ''), strict=False))
        except ValueError:
            continue
    known -= absent
    for i, item in enumerate(p['reservations']):
        if item['address'] and item['state'] == 'present':
            address = ipaddress.IPv4Address(item['address'])
            if not any(address in network for network in known):
                module.fail_json(msg='reservations[%d].address: %s is in no Kea subnet of the firewall or of subnets '
                                     '(%s); add one with subnets; nothing was sent'
                                     % (i, address, ', '.join(str(n) for n in sorted(known)) or 'none'))


def kea(run, module):
    p = module.params
    kind = KINDS['kea_subnet']
    rows = run.rows(kind)
    _kea_homes(module, rows)
    run.sync(kind, [dict(s, pools=s['pools']) for s in p['subnets']], purge=p['purge'], rows=rows)
    subnets = {}
    for row in run.rows(kind):
        try:
            subnets[ipaddress.IPv4Network(row.get('subnet', ''), strict=False)] = row['uuid']
        except ValueError:
            continue
    for s in p['subnets']:  # new in check mode: no uuid yet
        network = ipaddress.IPv4Network(s['subnet'])
        if s['state'] == 'present':
            subnets.setdefault(network, '(new subnet %s)' % network)
    items = []
    for i, item in enumerate(p['reservations']):
        entry = {'mac': item['mac'], 'address': item['address'], 'hostname': item['hostname'],
                 'description': item['description'], 'state': item['state']}
        if item['address']:
            address = ipaddress.IPv4Address(item['address'])
            found = [uuid for network, uuid in subnets.items() if address in network]
            if not found:
                run.fail('reservations[%d].address: %s is in no Kea subnet of the firewall (%s); add one with subnets'
                         % (i, address, ', '.join(str(n) for n in sorted(subnets)) or 'none'))
            entry['subnet'] = found[0]
        items.append(entry)
    run.sync(KINDS['kea_reservation'], items, purge=p['purge'])


def main():
    module = AnsibleModule(
        argument_spec=spec(
            backend=dict(type='str', choices=['dnsmasq', 'kea'], default='dnsmasq'),
            reservations=dict(type='list', elements='dict', required=True, options=dict(
                mac=dict(type='str', required=True),
                address=dict(type='str'),
                hostname=dict(type='str'),
                description=dict(type='str'),
                state=dict(type='str', choices=['present', 'absent'], default='present'),
            )),
            domain=dict(type='str'),
            subnets=dict(type='list', elements='dict', default=[], options=dict(
                subnet=dict(type='str', required=True),
                description=dict(type='str'),
                pools=dict(type='list', elements='str'),
                state=dict(type='str', choices=['present', 'absent'], default='present'),
            )),
            purge=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    check_input(module)
    run = Run(module)
    if module.params['backend'] == 'kea':
        kea(run, module)
    else:
        items = [dict(item, domain=module.params['domain']) for item in module.params['reservations']]
        run.sync(KINDS['dnsmasq_host'], items, purge=module.params['purge'])
    run.activate()
    module.exit_json(**run.result())


if __name__ == '__main__':
    main()
