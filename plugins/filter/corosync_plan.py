# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: corosync_plan
short_description: The corosync nodelist and vote math of a group of inventory hosts
version_added: 0.1.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - Builds the nodelist of C(corosync.conf) from inventory hosts. Each node has its name, its fixed ring
    address (C(corosync_addr), else C(ansible_host)), a nodeid (C(corosync_nodeid), else derived from the
    address, so it never changes while the address stays) and its votes (C(homelab_quorum_votes), else 1).
  - Adds the votequorum numbers (expected votes, quorum, the device's votes, and whether C(two_node) applies).
    Errors name the host and the field.
options:
  _input:
    description: Inventory names of the corosync members.
    type: list
    elements: str
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
  qdevice:
    description: The quorum device, C({algorithm}), or nothing when there is none.
    type: dict
'''

EXAMPLES = r'''
- name: The nodelist
  ansible.builtin.set_fact:
    corosync_cluster: >-
      {{ groups['quorum_voters'] | homelab.cluster.corosync_plan(hostvars, {'algorithm': 'ffsplit'}) }}
'''

RETURN = r'''
_value:
  description: C(nodes) (name, addr, nodeid, votes) sorted by nodeid, and C(plan) (expected_votes, quorum,
    qdevice_votes, two_node).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._quorum import QuorumError
from ansible_collections.homelab.cluster.plugins.module_utils._quorum import nodelist
from ansible_collections.homelab.cluster.plugins.module_utils._quorum import plan


def corosync_plan(members, hostvars, qdevice=None):
    hosts = []
    for name in members:
        if name not in hostvars:
            raise AnsibleFilterError('homelab.cluster.corosync_plan: %r is not an inventory host' % (name,))
        hv = hostvars[name]
        hosts.append({'name': name, 'addr': hv.get('corosync_addr') or hv.get('ansible_host') or name,
                      'votes': 1 if hv.get('homelab_quorum_votes') is None else hv['homelab_quorum_votes'],
                      'nodeid': hv.get('corosync_nodeid')})
    try:
        nodes = nodelist(hosts)
        return {'nodes': nodes, 'plan': plan(nodes, qdevice or None)}
    except QuorumError as exc:
        raise AnsibleFilterError('homelab.cluster.corosync_plan: %s' % exc) from exc


class FilterModule:
    def filters(self):
        return {'corosync_plan': corosync_plan}
