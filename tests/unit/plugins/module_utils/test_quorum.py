"""Quorum logic: nodelist and vote math, corosync.conf as data, recorded tool outputs, verdicts, pvecm."""

import os

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils import _quorum as q
from ansible_collections.homelab.cluster.plugins.module_utils._quorum import QuorumError

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'quorum')
NODES = [{'nodeid': 1, 'name': 'r1', 'addr': '10.77.97.11', 'votes': 1},
         {'nodeid': 2, 'name': 'r2', 'addr': '10.77.97.12', 'votes': 1}]


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def pvecm(name):
    """`pvecm status` outputs written from Proxmox VE's documented format (fixtures/README.md)."""
    with open(os.path.join(FIXTURES, '..', 'pvecm', name + '.pvecm-status.txt')) as handle:
        return handle.read()


# ------------------------------------------------------------------------------------------------ plan

def test_node_ids_come_from_the_address():
    assert q.node_id('10.77.98.11') == 98 * 256 + 11
    assert q.node_id('192.168.1.10') == 266
    assert q.node_id('10.0.0.0') == 1
    assert max(q.node_id('10.0.255.255'), q.node_id('172.16.255.254')) < 65536
    with pytest.raises(QuorumError, match="ring address 'forge' is not an IPv4 address"):
        q.node_id('forge')


def test_nodelist_is_sorted_and_validated():
    nodes = q.nodelist([{'name': 'b', 'addr': '10.0.0.2'}, {'name': 'a', 'addr': '10.0.0.1', 'votes': 2},
                        {'name': 'c', 'addr': '10.0.0.3', 'nodeid': 7}])
    assert [(n['name'], n['nodeid']) for n in nodes] == [('a', 1), ('b', 2), ('c', 7)]
    assert nodes[0]['votes'] == 2 and nodes[1]['votes'] == 1


@pytest.mark.parametrize('hosts, message', [
    ([{'name': 'a', 'addr': 'forge.lan'}], "a.corosync_addr: 'forge.lan' is not an IPv4 address"),
    ([{'name': 'a', 'addr': '10.0.0.1', 'votes': -1}], 'a.quorum_votes: expected a whole number >= 0, got -1'),
    ([{'name': 'a', 'addr': '10.0.0.1', 'votes': '1'}], "a.quorum_votes: expected a whole number >= 0, got '1'"),
    ([{'name': 'a', 'addr': '10.0.0.1', 'nodeid': 0}], r'a.corosync_nodeid: expected 1 .. 65535 \(knet\), got 0'),
    ([{'name': 'a', 'addr': '10.0.0.1', 'nodeid': 70000}], 'a.corosync_nodeid: expected 1 .. 65535'),
    ([{'name': 'a', 'addr': '10.0.0.1'}, {'name': 'b', 'addr': '10.0.0.1'}], 'a and b have the same nodeid'),
    ([{'name': 'a', 'addr': '10.1.3.7'}, {'name': 'b', 'addr': '10.2.3.7'}],
     r'a and b have the same nodeid 775 \(set corosync_nodeid on one of them\)'),
    ([{'name': 'a', 'addr': '10.0.0.1', 'nodeid': 5}, {'name': 'b', 'addr': '10.0.0.2', 'nodeid': 5}],
     'a and b have the same nodeid 5'),
])
def test_nodelist_errors_name_host_and_field(hosts, message):
    with pytest.raises(QuorumError, match=message):
        q.nodelist(hosts)


def test_two_nodes_without_a_device_use_two_node():
    assert q.plan(NODES) == {'expected_votes': 2, 'quorum': 2, 'qdevice_votes': 0, 'two_node': True}


def test_a_device_replaces_two_node():
    expected = {'expected_votes': 3, 'quorum': 2, 'qdevice_votes': 1, 'two_node': False}
    assert q.plan(NODES, {'algorithm': 'ffsplit'}) == expected


def test_lms_votes_and_odd_ffsplit():
    three = NODES + [{'nodeid': 3, 'name': 'r3', 'addr': '10.0.0.3', 'votes': 1}]
    expected = {'expected_votes': 5, 'quorum': 3, 'qdevice_votes': 2, 'two_node': False}
    assert q.plan(three, {'algorithm': 'lms'}) == expected
    with pytest.raises(QuorumError, match='ffsplit needs an even number of node votes'):
        q.plan(three, {'algorithm': 'ffsplit'})
    with pytest.raises(QuorumError, match="algorithm: expected one of ffsplit, lms, got 'majority'"):
        q.plan(NODES, {'algorithm': 'majority'})
    assert q.plan(three)['two_node'] is False


# ---------------------------------------------------------------------------------------- corosync.conf

CONF = """# managed
totem {
    version: 2
    cluster_name: lab
}

nodelist {
    node {
        name: r1
        nodeid: 1
        ring0_addr: 10.77.97.11
    }
    node {
        name: r2
        nodeid: 2
        ring0_addr: 10.77.97.12
    }
}

quorum {
    provider: corosync_votequorum
    two_node: 1
}
"""
DEVICE = q.device_section({'host': '10.77.97.5'})


def test_parse_and_render_round_trip():
    tree = q.parse_conf(CONF)
    assert [k for k, _v in q.section(tree, 'nodelist')] == ['node', 'node']
    assert q.parse_conf(q.render_conf(tree)) == tree


def test_set_device_adds_it_and_drops_two_node():
    tree, changed = q.set_device(q.parse_conf(CONF), DEVICE)
    assert changed
    assert q.conf_device(tree) == {'model': 'net', 'votes': '1', 'host': '10.77.97.5', 'algorithm': 'ffsplit',
                                   'tls': 'on'}
    assert 'two_node' not in dict(q.section(tree, 'quorum'))
    again, changed = q.set_device(tree, DEVICE)
    assert not changed and again == tree


def test_the_same_settings_in_another_order_are_no_change():
    text = CONF.replace('    two_node: 1\n', '    device {\n        net {\n            tls: on\n'
                        '            algorithm: ffsplit\n            host: 10.77.97.5\n        }\n'
                        '        votes: 1\n        model: net\n    }\n')
    assert q.set_device(q.parse_conf(text), DEVICE)[1] is False
    assert q.set_device(q.parse_conf(text), q.device_section({'host': '10.77.97.6'}))[1] is True
    removed, changed = q.set_device(q.parse_conf(text), None)
    assert changed and q.conf_device(removed) is None


def test_device_section_options():
    lms = dict(q.device_section({'host': 'h', 'algorithm': 'lms'}, nodes_votes=3))
    assert lms['votes'] == '2'
    net = dict(dict(q.device_section({'host': 'h', 'tie_breaker': 'highest', 'tls': 'required'}))['net'])
    assert net == {'host': 'h', 'algorithm': 'ffsplit', 'tls': 'required', 'tie_breaker': 'highest'}


@pytest.mark.parametrize('text, message', [
    ('totem {\n version: 2\n', 'a section is not closed'),
    ('}\n', 'line 1: } without a section'),
    ('totem {\n what is this\n}\n', "line 2: cannot parse 'what is this'"),
    ('bad name {\n}\n', "line 1: bad section name 'bad name'"),
])
def test_bad_conf(text, message):
    with pytest.raises(QuorumError, match=message):
        q.parse_conf(text)


def test_a_conf_without_quorum_section():
    with pytest.raises(QuorumError, match='no quorum section'):
        q.set_device(q.parse_conf('totem {\n version: 2\n}\n'), DEVICE)


# ----------------------------------------------------------------------------------- recorded outputs

def test_healthy_quorumtool():
    out = q.parse_quorumtool(fixture('healthy.quorumtool.txt'))
    assert out['quorate'] and not out['activity_blocked']
    assert (out['expected_votes'], out['total_votes'], out['quorum'], out['nodes']) == (3, 3, 2, 2)
    assert out['flags'] == ['Quorate', 'Qdevice']
    assert out['members'] == [
        {'nodeid': 1, 'votes': 1, 'name': 'r1', 'local': True, 'qdevice_flags': ['A', 'V', 'NMW']},
        {'nodeid': 2, 'votes': 1, 'name': 'r2', 'local': False, 'qdevice_flags': ['A', 'V', 'NMW']}]
    assert out['qdevice_present'] and out['qdevice_votes'] == 1


def test_lost_quorumtool():
    out = q.parse_quorumtool(fixture('lost.quorumtool.txt'))
    assert not out['quorate'] and out['activity_blocked']
    assert (out['total_votes'], out['quorum']) == (1, 2)
    assert out['members'][0]['qdevice_flags'] == ['A', 'NV', 'NMW']
    assert out['qdevice_votes'] == 0 and out['qdevice_configured_votes'] == 1


def test_qdevice_tool():
    assert q.parse_qdevice_tool(fixture('healthy.qdevice.txt')) == {
        'state': 'Connected', 'model': 'Net', 'qnetd_host': '10.77.97.5:5403', 'algorithm': 'Fifty-Fifty split',
        'tie_breaker': 'Node with lowest node ID', 'tls': None, 'connected': True}
    lost = q.parse_qdevice_tool(fixture('lost.qdevice.txt'))
    assert lost['state'] == 'Connect failed' and not lost['connected']


def test_qnetd_tool():
    clusters = q.parse_qnetd_tool(fixture('healthy.qnetd.txt'))
    assert list(clusters) == ['lab']
    assert [(n['node_id'], n['address'], n['vote']) for n in clusters['lab']] == [
        (1, '10.77.97.11', 'No change (ACK)'), (2, '10.77.97.12', 'No change (ACK)')]
    assert clusters['lab'][0]['configured_node_list'] == '1, 2'
    assert len(q.parse_qnetd_tool(fixture('degraded.qnetd.txt'))['lab']) == 1
    assert q.parse_qnetd_tool('') == {}


# --------------------------------------------------------------------------------------------- verdicts

def test_verdict_healthy():
    v, missing, msg = q.verdict(q.parse_quorumtool(fixture('healthy.quorumtool.txt')),
                                q.parse_qdevice_tool(fixture('healthy.qdevice.txt')), NODES)
    assert (v, missing) == ('healthy', [])
    assert msg == 'healthy: 3 of 3 votes present, quorum needs 2'


def test_verdict_degraded_names_the_missing_node():
    v, missing, msg = q.verdict(q.parse_quorumtool(fixture('degraded.quorumtool.txt')), None, NODES)
    assert v == 'degraded'
    assert missing == ['node 2 (r2, 1 vote)']
    assert msg == 'quorate but degraded: 2 of 3 votes present, quorum needs 2; missing: node 2 (r2, 1 vote)'


def test_verdict_lost_names_the_peer_and_the_device():
    v, missing, msg = q.verdict(q.parse_quorumtool(fixture('lost.quorumtool.txt')),
                                q.parse_qdevice_tool(fixture('lost.qdevice.txt')), NODES)
    assert v == 'lost'
    assert missing == ['node 1 (r1, 1 vote)', 'Qdevice, qdevice state: Connect failed']
    assert msg.startswith('quorum lost: 1 of 3 votes present, quorum needs 2; missing: node 1 (r1, 1 vote)')


def test_verdict_lost_without_the_qnetd_host():
    v, missing, _msg = q.verdict(q.parse_quorumtool(fixture('lost-both.quorumtool.txt')), None, NODES)
    assert v == 'lost' and 'Qdevice' in missing and 'node 2 (r2, 1 vote)' in missing


def test_verdict_down_and_without_a_nodelist():
    assert q.verdict(None) == ('down', [], 'corosync is not answering (no quorum service)')
    v, missing, _msg = q.verdict(q.parse_quorumtool(fixture('degraded.quorumtool.txt')))
    assert (v, missing) == ('degraded', ['1 vote'])


def test_gate():
    assert q.gate('r1', {'verdict': 'degraded'}, ['healthy', 'degraded']) is None
    refusal = q.gate('r2', {'verdict': 'lost', 'msg': 'quorum lost: 1 of 3'}, ['healthy', 'degraded'])
    assert refusal == 'r2: refusing: quorum verdict is lost (acceptable: healthy, degraded): quorum lost: 1 of 3'


# ---------------------------------------------------------------------------------------------- Proxmox

@pytest.mark.parametrize('args, cmd', [
    (('10.0.30.5',), ['pvecm', 'qdevice', 'setup', '10.0.30.5']),
    (('keeper.lan', True), ['pvecm', 'qdevice', 'setup', 'keeper.lan', '--force', '1']),
    (('10.0.30.5', False, '10.0.30.0/24'), ['pvecm', 'qdevice', 'setup', '10.0.30.5', '--network', '10.0.30.0/24']),
    (('fd00::5',), ['pvecm', 'qdevice', 'setup', 'fd00::5']),
])
def test_pvecm_command(args, cmd):
    assert q.pvecm_qdevice_command(*args) == cmd


@pytest.mark.parametrize('args, message', [
    (('keeper; rm -rf /',), 'host: .* is neither an IP address nor a host name'),
    (('10.0.30.5', False, 'servers'), "network: 'servers' is not a CIDR network"),
])
def test_pvecm_command_refuses_bad_input(args, message):
    with pytest.raises(QuorumError, match=message):
        q.pvecm_qdevice_command(*args)


def test_pvecm_preconditions():
    text = fixture('degraded.quorumtool.txt').replace('Total votes:      2', 'Total votes:      3')
    healthy = q.parse_quorumtool(text)
    assert q.pvecm_preconditions(healthy, True, True) == []
    lost = q.parse_quorumtool(fixture('lost.quorumtool.txt'))
    problems = q.pvecm_preconditions(lost, False, False, '10.0.30.9', '10.0.30.5')
    assert problems[0].startswith('the Proxmox cluster is not quorate (1 of 3 votes)')
    assert any('corosync-qdevice is not installed' in p for p in problems)
    assert any('TCP 5403' in p for p in problems)
    assert any('a quorum device 10.0.30.9 is already configured' in p for p in problems)
    assert q.pvecm_preconditions(None, True, True)[0].startswith('pvecm status failed')
    degraded = q.parse_quorumtool(fixture('degraded.quorumtool.txt'))
    assert any('not every Proxmox node is online' in p for p in q.pvecm_preconditions(degraded, True, True))


# ------------------------------------------------------------------------ pvecm status (Proxmox VE's format)

PVE_NODES = [{'nodeid': 1, 'name': 'pve1', 'addr': '192.168.22.180', 'votes': 1},
             {'nodeid': 2, 'name': 'pve2', 'addr': '192.168.22.181', 'votes': 1}]


def test_pvecm_status_hex_ids_and_addresses():
    out = q.parse_pvecm_status(pvecm('four-nodes'))
    assert (out['cluster_name'], out['config_version'], out['transport'], out['secure_auth']) == (
        'prod-central', 3, 'knet', 'on')
    assert (out['quorate'], out['node_id'], out['nodes'], out['ring_id']) == (True, 1, 4, '1.1a8')
    assert (out['expected_votes'], out['total_votes'], out['quorum']) == (4, 4, 3)
    assert out['members'] == [
        {'nodeid': 1, 'votes': 1, 'name': '192.168.15.91', 'local': False, 'qdevice_flags': []},
        {'nodeid': 2, 'votes': 1, 'name': '192.168.15.92', 'local': True, 'qdevice_flags': []},
        {'nodeid': 3, 'votes': 1, 'name': '192.168.15.93', 'local': False, 'qdevice_flags': []},
        {'nodeid': 4, 'votes': 1, 'name': '192.168.15.94', 'local': False, 'qdevice_flags': []}]
    assert (out['qdevice_present'], out['qdevice_votes'], out['qdevice_configured_votes']) == (False, 0, None)


def test_pvecm_status_with_a_qdevice():
    out = q.parse_pvecm_status(pvecm('qdevice'))
    assert (out['node_id'], out['expected_votes'], out['total_votes'], out['quorum']) == (1, 3, 3, 2)
    assert out['flags'] == ['Quorate', 'Qdevice']
    assert out['members'] == [
        {'nodeid': 1, 'votes': 1, 'name': '192.168.22.180', 'local': True, 'qdevice_flags': ['A', 'V', 'NMW']},
        {'nodeid': 2, 'votes': 1, 'name': '192.168.22.181', 'local': False, 'qdevice_flags': ['A', 'V', 'NMW']}]
    assert (out['qdevice_present'], out['qdevice_votes'], out['qdevice_configured_votes']) == (True, 1, None)
    assert q.verdict(out, None, PVE_NODES) == ('healthy', [], 'healthy: 3 of 3 votes present, quorum needs 2')


def test_pvecm_status_lost_names_the_peer_by_address_and_the_device():
    out = q.parse_pvecm_status(pvecm('qdevice-lost'))
    assert (out['quorate'], out['activity_blocked'], out['node_id'], out['total_votes']) == (False, True, 2, 1)
    assert out['members'] == [{'nodeid': 2, 'votes': 1, 'name': '192.168.22.181', 'local': True,
                               'qdevice_flags': ['A', 'NV', 'NMW']}]
    assert (out['qdevice_present'], out['qdevice_votes'], out['qdevice_configured_votes']) == (True, 0, 1)
    verdict, missing, msg = q.verdict(out, None, PVE_NODES)
    assert (verdict, missing) == ('lost', ['node 1 (pve1, 1 vote)', 'Qdevice'])
    assert msg == 'quorum lost: 1 of 3 votes present, quorum needs 2; missing: node 1 (pve1, 1 vote), Qdevice'


@pytest.mark.parametrize('row, member', [
    ('0x0000000a          1 10.0.30.10', {'nodeid': 10, 'votes': 1, 'name': '10.0.30.10', 'local': False,
                                          'qdevice_flags': []}),
    ('0x0000FFFF          2    NA,NV,NMW forge (local)', {'nodeid': 65535, 'votes': 2, 'name': 'forge', 'local': True,
                                                          'qdevice_flags': ['NA', 'NV', 'NMW']}),
    ('         3          1 HP (local)', {'nodeid': 3, 'votes': 1, 'name': 'HP', 'local': True, 'qdevice_flags': []}),
    ('         4          1         NR r4', {'nodeid': 4, 'votes': 1, 'name': 'r4', 'local': False,
                                             'qdevice_flags': ['NR']}),
])
def test_membership_rows_in_every_notation(row, member):
    text = 'Membership information\n----------------------\n    Nodeid      Votes Name\n%s\n' % row
    assert q.parse_quorumtool(text)['members'] == [member]


def test_pvecm_preconditions_on_the_documented_outputs():
    assert q.pvecm_preconditions(q.parse_pvecm_status(pvecm('two-nodes')), True, True) == []
    problems = q.pvecm_preconditions(q.parse_pvecm_status(pvecm('qdevice-lost')), True, True)
    assert problems == ['the Proxmox cluster is not quorate (1 of 3 votes): pvecm qdevice setup needs every node '
                        'online']
