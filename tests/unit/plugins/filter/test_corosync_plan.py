"""homelab.cluster.corosync_plan: voters' host views -> nodelist and vote math, with named errors."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.filter.corosync_plan import FilterModule

corosync_plan = FilterModule().filters()['corosync_plan']

HOSTVARS = {
    'desk': {'homelab_tier': 'modern', 'homelab_quorum_votes': 1, 'ansible_host': '10.0.10.20'},
    'frame': {'homelab_tier': 'portable', 'homelab_quorum_votes': 1, 'ansible_host': '10.0.10.40',
              'corosync_addr': '10.77.10.40', 'corosync_nodeid': 7},
    'forge': {'homelab_tier': 'modern', 'homelab_quorum_votes': 1, 'ansible_host': '10.0.30.10'},
}


def test_nodelist_and_votes_from_the_views():
    result = corosync_plan(['desk', 'frame'], HOSTVARS, {'algorithm': 'ffsplit'})
    assert [(n['name'], n['addr'], n['votes']) for n in result['nodes']] == [
        ('frame', '10.77.10.40', 1), ('desk', '10.0.10.20', 1)]
    assert result['nodes'][0]['nodeid'] == 7
    assert result['plan'] == {'expected_votes': 3, 'quorum': 2, 'qdevice_votes': 1, 'two_node': False}


def test_an_odd_vote_count_names_the_hosts_left_to_another_path():
    """The lab's first quorum.yml failed with 'the nodes have 1' and no word about forge (issue 25)."""
    with pytest.raises(AnsibleFilterError) as err:
        corosync_plan(['desk'], HOSTVARS, {'algorithm': 'ffsplit'},
                      left_out={'forge': 'os_proxmox: Proxmox VE keeps its corosync (pvecm)'})
    assert str(err.value) == (
        'homelab.cluster.corosync_plan: ffsplit needs an even number of node votes (it breaks 50:50 ties); the nodes '
        'have 1: use algorithm lms or change quorum_votes; members: desk; left to another path: forge (os_proxmox: '
        'Proxmox VE keeps its corosync (pvecm))')


def test_left_out_must_be_a_mapping():
    with pytest.raises(AnsibleFilterError, match="left_out: expected a mapping of host to why"):
        corosync_plan(['desk'], HOSTVARS, None, left_out=['forge'])
