# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: harvest_plan
short_description: Assign the harvest catalogue to edge hosts, each source to exactly one host
version_added: 0.2.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - Validates the harvest catalogue (see the role M(homelab.cluster.harvester#role)) and gives every source to
    one edge host, so that nothing is fetched twice.
  - A host may harvest when its tier is one of O(tiers) and it has none of O(heavy_roles) (the heavy machines
    never touch the public web). A source goes to the eligible host (matching the source's C(tiers),
    C(networks) (the host's address) and C(hosts)) with room for its C(size) and the least load (bytes divided
    by a tier weight), ties broken by a stable hash, largest sources first.
  - An invalid entry is an error naming it, for example C(harvester_catalogue[2].sha256 - expected 64 hex digits).
options:
  _input:
    description: Host views of the candidate hosts (C(hostvars | homelab.cluster.host_views(groups['role_edge']))).
    type: list
    elements: dict
    required: true
  catalogue:
    description: The catalogue (C(harvester_catalogue)).
    type: list
    elements: dict
    required: true
  capacity:
    description: Bytes each host's spool may still hold; a host missing here is not limited.
    type: dict
    default: {}
  tiers:
    description: Tiers that may harvest.
    type: list
    elements: str
    default: [legacy, ultralow]
  heavy_roles:
    description: Functional roles that never harvest.
    type: list
    elements: str
    default: [inference, hypervisor, storage, firewall, volatile]
'''

EXAMPLES = r'''
- name: Who fetches what
  ansible.builtin.debug:
    msg: "{{ hostvars | homelab.cluster.host_views(groups['role_edge'])
             | homelab.cluster.harvest_plan(harvester_catalogue) }}"
'''

RETURN = r'''
_value:
  description: The plan.
  type: dict
  contains:
    hosts:
      description: Host name to its sources (each completed with defaults, C(refresh_s) and C(host)).
      type: dict
    unassigned:
      description: Sources no host could take, each with C(name) and C(reason) (each host's reason).
      type: list
      elements: dict
    excluded:
      description: Candidate hosts that may not harvest, with the reason.
      type: dict
    load:
      description: Bytes assigned to each host.
      type: dict
    capacity:
      description: The capacity each host was planned with (null when not limited).
      type: dict
    entries:
      description: Every source completed with its defaults, sorted by name, with C(host) (null when unassigned).
      type: list
      elements: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._harvest._catalogue import CatalogueError
from ansible_collections.homelab.cluster.plugins.module_utils._harvest._catalogue import assign
from ansible_collections.homelab.cluster.plugins.module_utils._harvest._catalogue import parse_catalogue


def harvest_plan(views, catalogue, capacity=None, tiers=('legacy', 'ultralow'),
                 heavy_roles=('inference', 'hypervisor', 'storage', 'firewall', 'volatile')):
    if isinstance(views, (str, dict)) or not isinstance(views, (list, tuple)):
        raise AnsibleFilterError('homelab.cluster.harvest_plan: expected a list of host views '
                                 "(hostvars | homelab.cluster.host_views(groups['role_edge'])), got %r" % (views,))
    numbers = {}
    for host, value in dict(capacity or {}).items():
        if value is None or value == '':
            continue
        try:
            numbers[str(host)] = max(0, int(value))
        except (TypeError, ValueError):
            raise AnsibleFilterError('homelab.cluster.harvest_plan: capacity.%s: expected a number of bytes, got %r'
                                     % (host, value)) from None
    try:
        entries = parse_catalogue(catalogue)
        return assign(entries, list(views), numbers, tuple(tiers), tuple(heavy_roles))
    except CatalogueError as exc:
        raise AnsibleFilterError('homelab.cluster.harvest_plan: %s' % exc) from None


class FilterModule:
    def filters(self):
        return {'harvest_plan': harvest_plan}
