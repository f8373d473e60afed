# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: opnsense_plan
short_description: The homelab's network for OPNsense, derived from the inventory
version_added: 0.2.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - Derives what the opnsense_* modules are given from the hosts' views (M(homelab.cluster.host_views#filter)) and
    the network settings. VLANs of the plan (C(device) networks only), a DHCP reservation (MAC to address) for
    every host with both except the firewall, a DNS name for every host with an address, one host alias per
    inventory group whose name starts with one of O(settings.alias_prefixes) (C(role_storage), C(tier_ultralow), ...),
    a network alias of the private ranges, a port alias per service, and the filter rules of O(settings.access).
  - Every problem is found before anything is sent and reported at once, each naming the host or setting and the
    field. Examples are a VLAN tag outside 1-4094, an address in none of the networks (or outside the network an
    extra host names), two hosts with one MAC or one address, and overlapping subnets.
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  names:
    description: The inventory hosts to derive from (C(groups['all'])).
    type: list
    elements: str
    required: true
  settings:
    description:
      - C(networks) (name, tag, subnet, interface, device), C(parent), C(domain), C(extra_hosts), C(alias_prefixes),
        C(services), C(firewall_services), C(access), C(sequence_start), C(log_blocks), C(private_alias); the role
        M(homelab.cluster.opnsense#role) documents each as C(opnsense_<name>).
    type: dict
    required: true
seealso:
  - plugin: homelab.cluster.host_views
    plugin_type: filter
'''

EXAMPLES = r'''
- name: What the firewall should hold
  ansible.builtin.debug:
    msg: "{{ (hostvars | homelab.cluster.opnsense_plan(groups['all'], {'networks': opnsense_networks,
              'parent': 'ixl0', 'access': opnsense_access})).summary }}"
'''

RETURN = r'''
_value:
  description:
    - C(networks), C(vlans), C(subnets), C(reservations), C(dns), C(aliases), C(rules) (each in the options of its
      module), C(notes) (what was left out and why) and C(summary) (lines for a person).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._hostview import HostViewError
from ansible_collections.homelab.cluster.plugins.module_utils._hostview import host_views
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.network import network_plan
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import OPNsenseError


def opnsense_plan(hostvars, names, settings):
    if isinstance(names, str):
        raise AnsibleFilterError('homelab.cluster.opnsense_plan: names: expected a list of host names, got %r' % names)
    if not isinstance(settings, dict):
        raise AnsibleFilterError('homelab.cluster.opnsense_plan: settings: expected a mapping, got %r' % (settings,))
    try:
        views = host_views(hostvars, list(names))
        return network_plan(views, dict(settings))
    except (HostViewError, OPNsenseError) as exc:
        raise AnsibleFilterError('homelab.cluster.opnsense_plan: %s' % exc) from None


class FilterModule:
    def filters(self):
        return {'opnsense_plan': opnsense_plan}
