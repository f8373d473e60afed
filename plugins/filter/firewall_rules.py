# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: firewall_rules
short_description: A host's firewall allow-lists, from the inventory's groups and addresses
version_added: 0.1.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - For one host, the services of O(services) it runs (it is in one of their C(runs_on) groups) and, for each, the
    addresses allowed to reach its ports - the inventory addresses (read through
    M(homelab.cluster.host_view#filter)) of the hosts in its C(allow_groups), its C(allow_cidrs), O(admin_cidrs) and
    O(controller). Ports no service names are not filtered.
  - A host without an IP address in the inventory cannot be allowed by address; it is listed in C(notes).
    Errors name the field, for example C(firewall_services[2].ports).
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  host:
    description: The inventory name of the host.
    type: str
    required: true
  names:
    description: Every inventory host that may be a source (C(groups['all'])).
    type: list
    elements: str
    required: true
  services:
    description: Services, each C(name), C(runs_on) (groups), C(ports), C(proto) (V(tcp), V(udp)), C(allow_groups)
      (V(all) is every inventory host, V(any) leaves it unfiltered) and C(allow_cidrs).
    type: list
    elements: dict
    required: true
  admin_cidrs:
    description: Networks allowed to every filtered service.
    type: list
    elements: str
  controller:
    description: The controller's addresses, allowed to every filtered service.
    type: list
    elements: str
  known:
    description:
      - "More addresses of some hosts, C({host: [addresses]}) (from their facts); a multi-homed host speaks from the
        address of each network it is on."
    type: dict
'''

EXAMPLES = r'''
- name: The plan of this host
  ansible.builtin.set_fact:
    plan: >-
      {{ hostvars | homelab.cluster.firewall_rules(inventory_hostname, groups['all'],
           [{'name': 'openbao', 'runs_on': ['vault_server'], 'ports': [8200], 'allow_groups': ['role_inference']}]) }}
'''

RETURN = r'''
_value:
  description: C(rules) (name, proto, ports, v4, v6 - the allowed sources) and C(notes) (hosts left out, and why).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._firewall import FirewallError
from ansible_collections.homelab.cluster.plugins.module_utils._firewall import plan
from ansible_collections.homelab.cluster.plugins.module_utils._hostview import HostViewError
from ansible_collections.homelab.cluster.plugins.module_utils._hostview import host_views


def firewall_rules(hostvars, host, names, services, admin_cidrs=None, controller=None, known=None):
    if isinstance(names, str) or not isinstance(names, (list, tuple)):
        raise AnsibleFilterError('homelab.cluster.firewall_rules: names: expected a list of host names, got %r'
                                 % (names,))
    try:
        views = host_views(hostvars, list(names))
        return plan(host, views, services, admin_cidrs or [], controller or [], known or {})
    except (HostViewError, FirewallError) as exc:
        raise AnsibleFilterError('homelab.cluster.firewall_rules: %s' % exc) from None


class FilterModule:
    def filters(self):
        return {'firewall_rules': firewall_rules}
