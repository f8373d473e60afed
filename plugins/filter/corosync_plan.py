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
    address, so it never changes while the address stays) and its votes (C(homelab_quorum_votes), read through
    P(homelab.cluster.host_view#filter); a member needs at least 1).
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
  left_out:
    description:
      - Voters that are not members of this corosync cluster, with the reason (for example Proxmox VE nodes, whose
        corosync is pvecm's). An error then names them, so that a vote count that does not add up says why.
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

from ansible_collections.homelab.cluster.plugins.module_utils._hostview import HostViewError
from ansible_collections.homelab.cluster.plugins.module_utils._hostview import host_views
from ansible_collections.homelab.cluster.plugins.module_utils._quorum import QuorumError
from ansible_collections.homelab.cluster.plugins.module_utils._quorum import nodelist
from ansible_collections.homelab.cluster.plugins.module_utils._quorum import plan


def corosync_plan(members, hostvars, qdevice=None, left_out=None):
    if isinstance(members, str) or not isinstance(members, (list, tuple)):
        raise AnsibleFilterError('homelab.cluster.corosync_plan: members: expected a list of host names, got %r'
                                 % (members,))
    if left_out is not None and not isinstance(left_out, dict):
        raise AnsibleFilterError('homelab.cluster.corosync_plan: left_out: expected a mapping of host to why it is '
                                 'not a member, got %r' % (left_out,))
    if qdevice is not None and not isinstance(qdevice, dict):
        raise AnsibleFilterError("homelab.cluster.corosync_plan: qdevice: expected a mapping such as "
                                 "{'algorithm': 'ffsplit'} or nothing, got %r" % (qdevice,))
    try:
        hosts = []
        for view in host_views(hostvars, list(members)):
            if view['quorum_votes'] < 1:
                raise QuorumError('%s.homelab_quorum_votes: a corosync member needs at least 1 vote, got %d (set '
                                  'quorum_votes in the hardware file, or leave the host out of the members)'
                                  % (view['name'], view['quorum_votes']))
            hv = hostvars[view['name']]
            hosts.append({'name': view['name'], 'addr': hv.get('corosync_addr') or view['address'] or view['name'],
                          'votes': view['quorum_votes'], 'nodeid': hv.get('corosync_nodeid')})
        nodes = nodelist(hosts)
        return {'nodes': nodes, 'plan': plan(nodes, qdevice or None)}
    except (HostViewError, QuorumError) as exc:
        aside = '; '.join('%s (%s)' % (host, why) for host, why in sorted((left_out or {}).items()))
        raise AnsibleFilterError('homelab.cluster.corosync_plan: %s%s' % (
            exc, '; members: %s; left to another path: %s' % (', '.join(members) or 'none', aside) if aside
            else '')) from None


class FilterModule:
    def filters(self):
        return {'corosync_plan': corosync_plan}
