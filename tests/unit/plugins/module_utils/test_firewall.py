"""The firewall's allow-lists from the inventory (module_utils/_firewall.py): who may reach which port where."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._firewall import FirewallError
from ansible_collections.homelab.cluster.plugins.module_utils._firewall import check_services
from ansible_collections.homelab.cluster.plugins.module_utils._firewall import plan

VIEWS = [
    {'name': 'keeper', 'address': '10.0.30.5', 'groups': ['vault_server', 'role_logic']},
    {'name': 'forge', 'address': '10.0.30.10', 'groups': ['role_inference', 'role_hypervisor', 'quorum_voters']},
    {'name': 'desk', 'address': '10.0.10.20', 'groups': ['role_inference', 'quorum_voters']},
    {'name': 'pi5', 'address': '10.0.20.10', 'groups': ['role_edge']},
    {'name': 'named', 'address': 'nas.lab', 'groups': ['role_inference']},
    {'name': 'bare', 'address': None, 'groups': ['role_inference']},
    {'name': 'v6', 'address': 'fd00::7', 'groups': ['role_inference']},
]
OPENBAO = {'name': 'openbao', 'runs_on': ['vault_server'], 'ports': [8200], 'allow_groups': ['role_inference']}
QNETD = {'name': 'qnetd', 'runs_on': ['role_logic'], 'ports': [5403], 'proto': 'tcp', 'allow_groups': ['quorum_voters']}


def test_allowed_sources_are_the_from_groups_addresses():
    result = plan('keeper', VIEWS, [OPENBAO, QNETD])
    assert result['rules'] == [
        {'name': 'openbao', 'proto': 'tcp', 'ports': [8200], 'v4': ['10.0.10.20/32', '10.0.30.10/32'],
         'v6': ['fd00::7/128']},
        {'name': 'qnetd', 'proto': 'tcp', 'ports': [5403], 'v4': ['10.0.10.20/32', '10.0.30.10/32'], 'v6': []},
    ]
    assert result['notes'] == ['openbao: bare has no address in the inventory; it is not allowed in',
                               'openbao: named has the name nas.lab, not an IP address, in the inventory; it is not '
                               'allowed in']


def test_a_host_that_runs_nothing_gets_no_rules():
    assert plan('pi5', VIEWS, [OPENBAO, QNETD]) == {'rules': [], 'notes': []}


def test_admin_networks_the_controller_and_allow_cidrs_are_added():
    svc = dict(OPENBAO, allow_cidrs=['192.168.1.0/24'])
    rule = plan('keeper', VIEWS, [svc], admin_cidrs=['10.0.1.0/24'], controller=['10.0.1.50'])['rules'][0]
    assert rule['v4'] == ['10.0.1.0/24', '10.0.1.50/32', '10.0.10.20/32', '10.0.30.10/32', '192.168.1.0/24']


def test_all_is_every_host_and_any_is_unfiltered():
    every = plan('keeper', VIEWS, [dict(OPENBAO, allow_groups=['all'])])['rules'][0]
    assert '10.0.20.10/32' in every['v4'] and '10.0.30.5/32' in every['v4']
    assert plan('keeper', VIEWS, [dict(OPENBAO, allow_groups=['any'])]) == {
        'rules': [], 'notes': ['openbao: open to any address (allow_groups: any), not filtered']}


def test_ports_are_sorted_and_unique_and_a_single_port_is_a_list():
    rule = plan('keeper', VIEWS, [dict(OPENBAO, ports=[8201, 8200, 8201]), dict(QNETD, ports=5403, name='q')])
    assert [r['ports'] for r in rule['rules']] == [[8200, 8201], [5403]]


@pytest.mark.parametrize('services, message', [
    ('x', "firewall_services: expected a list of services, got 'x'"),
    ([5], 'firewall_services[0]: expected a mapping'),
    ([dict(OPENBAO, port=1)], 'firewall_services[0].port: unknown key; known keys: name, runs_on, ports'),
    ([dict(OPENBAO, name='Open Bao')], "firewall_services[0].name: expected a lowercase name"),
    ([OPENBAO, OPENBAO], 'firewall_services[1].name: openbao is listed twice'),
    ([dict(OPENBAO, ports=[0])], 'firewall_services[0].ports: expected a list of port numbers 1-65535, got [0]'),
    ([dict(OPENBAO, ports=['8200'])], "firewall_services[0].ports: expected a list of port numbers"),
    ([dict(OPENBAO, ports=[True])], 'firewall_services[0].ports: expected a list of port numbers'),
    ([dict(OPENBAO, proto='icmp')], "firewall_services[0].proto: expected tcp or udp, got 'icmp'"),
    ([dict(OPENBAO, runs_on=[])], 'firewall_services[0].runs_on: expected a list of inventory groups, got []'),
    ([dict(OPENBAO, runs_on=['a b'])], "firewall_services[0].runs_on: 'a b' is not a group name"),
    ([dict(OPENBAO, allow_cidrs=['10.0.0.0/33'])], "firewall_services[0].allow_cidrs[0]: expected an IP address or "
                                                   "network (10.0.30.0/24), got '10.0.0.0/33'"),
    ([dict(OPENBAO, allow_cidrs='10.0.0.0/8')], 'firewall_services[0].allow_cidrs: expected a list'),
])
def test_bad_services_name_the_field(services, message):
    with pytest.raises(FirewallError, match=message.replace('[', r'\[').replace(']', r'\]').replace('(', r'\(')
                       .replace(')', r'\)')):
        check_services(services)


def test_bad_admin_cidr_and_unknown_host():
    with pytest.raises(FirewallError, match=r"firewall_admin_cidrs\[0\]: expected an IP address"):
        plan('keeper', VIEWS, [OPENBAO], admin_cidrs=['everyone'])
    with pytest.raises(FirewallError, match='ghost: not an inventory host'):
        plan('ghost', VIEWS, [OPENBAO])


def test_no_from_means_nobody_but_admins():
    rule = plan('keeper', VIEWS, [{'name': 'locked', 'runs_on': ['vault_server'], 'ports': [1]}],
                admin_cidrs=['10.0.1.9'])['rules'][0]
    assert rule['v4'] == ['10.0.1.9/32']


def test_a_multi_homed_host_is_allowed_from_each_of_its_addresses():
    rule = plan('forge', VIEWS, [{'name': 'slurmd', 'runs_on': ['role_inference'], 'ports': [6818],
                                  'allow_groups': ['role_logic']}],
                known={'keeper': ['10.0.10.5', '10.0.20.5'], 'pi5': ['10.0.99.9']})['rules'][0]
    assert rule['v4'] == ['10.0.10.5/32', '10.0.20.5/32', '10.0.30.5/32']
    with pytest.raises(FirewallError, match=r'known.forge\[0\]: expected an IP address'):
        plan('keeper', VIEWS, [OPENBAO], known={'forge': ['x']})
