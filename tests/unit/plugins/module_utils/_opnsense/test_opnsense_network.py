"""The network derived from host views (plugins/module_utils/_opnsense/network.py and access.py)."""

import copy

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._opnsense import network
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.network import PlanError
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.network import network_plan

NETWORKS = [
    {'name': 'management', 'tag': 1, 'subnet': '10.0.1.0/24', 'interface': 'lan', 'device': False},
    {'name': 'trusted', 'tag': 10, 'subnet': '10.0.10.0/24', 'interface': 'opt1'},
    {'name': 'iot', 'tag': 20, 'subnet': '10.0.20.0/24', 'interface': 'opt2'},
    {'name': 'servers', 'tag': 30, 'subnet': '10.0.30.0/24', 'interface': 'opt3'},
    {'name': 'guest', 'tag': 40, 'subnet': '10.0.40.0/24', 'interface': 'opt4'},
]
SETTINGS = {
    'networks': NETWORKS, 'parent': 'ixl0',
    'services': [{'name': 'media', 'ports': [8096, 8920]}],
    'firewall_services': [{'name': 'dns', 'ports': [53], 'protocol': 'TCP/UDP'}],
    'access': [{'from': 'role_logic', 'to': 'any'}, {'from': 'trusted', 'to': 'any'},
               {'from': 'iot', 'to': 'role_storage', 'services': ['media']}, {'from': 'iot', 'to': 'internet'},
               {'from': 'guest', 'to': 'internet'}],
}


def view(name, address, mac, roles=(), groups=()):
    return {'name': name, 'address': address, 'mac': mac, 'roles': list(roles), 'description': None,
            'groups': list(groups) or ['role_%s' % r for r in roles]}


VIEWS = [
    view('gate', '10.0.1.1', 'a8:a1:59:00:00:04', ['firewall'], ['role_firewall', 'tier_modern']),
    view('keeper', '10.0.30.5', 'a8:a1:59:00:00:05', ['logic'], ['role_logic', 'tier_legacy']),
    view('nas', '10.0.30.20', 'a8:a1:59:00:00:03', ['storage'], ['role_storage', 'tier_modern']),
    view('desk', '10.0.10.20', 'A8-A1-59-00-00-06', ['inference'], ['role_inference', 'tier_modern']),
    view('pi5', '10.0.20.10', 'a8:a1:59:00:00:07', ['edge'], ['role_edge', 'tier_legacy', 'os_raspios']),
    view('penny', '10.0.30.30', None, ['edge'], ['role_edge', 'tier_ultralow']),
    view('ghost', None, None, [], ['tier_legacy']),
]


def settings(**changes):
    out = copy.deepcopy(SETTINGS)
    out.update(changes)
    return out


def test_the_plan():
    plan = network_plan(VIEWS, settings())
    assert plan['vlans'] == [{'parent': 'ixl0', 'tag': t, 'description': 'homelab: %s' % n}
                             for t, n in ((10, 'trusted'), (20, 'iot'), (30, 'servers'), (40, 'guest'))]
    assert [r['hostname'] for r in plan['reservations']] == ['keeper', 'nas', 'desk', 'pi5']  # not gate, not penny
    assert plan['reservations'][2] == {'mac': 'a8:a1:59:00:00:06', 'address': '10.0.10.20', 'hostname': 'desk',
                                       'description': 'homelab: desk'}
    assert [d['hostname'] for d in plan['dns']] == ['gate', 'keeper', 'nas', 'desk', 'pi5', 'penny']
    assert plan['dns'][0] == {'hostname': 'gate', 'domain': 'home.arpa', 'address': '10.0.1.1',
                              'description': 'homelab: gate'}
    aliases = {a['name']: a for a in plan['aliases']}
    assert sorted(aliases) == ['homelab_private', 'role_edge', 'role_firewall', 'role_inference', 'role_logic',
                               'role_storage', 'svc_dns', 'svc_media', 'tier_legacy', 'tier_modern', 'tier_ultralow']
    assert aliases['role_edge']['content'] == ['10.0.20.10', '10.0.30.30']
    assert aliases['tier_modern']['content'] == ['10.0.1.1', '10.0.10.20', '10.0.30.20']
    assert aliases['svc_media'] == {'name': 'svc_media', 'type': 'port', 'content': ['8096', '8920'],
                                    'description': 'homelab: service media'}
    assert aliases['homelab_private']['content'] == ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']
    assert plan['subnets'][2] == {'subnet': '10.0.20.0/24', 'description': 'homelab: iot'}
    assert plan['notes'] == ['penny: no MAC, so a DNS name but no DHCP reservation',
                             'ghost: no address, so no DHCP reservation and no DNS name']
    assert plan['ids'] is None
    assert plan['summary'][0].startswith('5 networks: management (VLAN 1, 10.0.1.0/24 on lan, untagged), trusted')


def test_the_rules_in_pf_order():
    rules = network_plan(VIEWS, settings())['rules']
    table = [(r['sequence'], r['action'], r['interface'], r['source_net'], r['destination_net'],
              r.get('destination_port'), r['protocol'], r['description']) for r in rules]
    assert table == [
        (1000, 'pass', ['opt3'], 'role_logic', 'any', None, 'any', 'homelab: role_logic -> any'),
        (1010, 'pass', ['opt1'], 'opt1', 'any', None, 'any', 'homelab: trusted -> any'),
        (1020, 'pass', ['opt2'], 'opt2', 'role_storage', 'svc_media', 'TCP', 'homelab: iot -> role_storage media'),
        (1030, 'pass', ['opt2'], 'opt2', '(self)', 'svc_dns', 'TCP/UDP', 'homelab: iot -> firewall dns'),
        (1040, 'block', ['opt2'], 'opt2', 'homelab_private', None, 'any', 'homelab: iot -> private networks blocked'),
        (1050, 'pass', ['opt2'], 'opt2', 'any', None, 'any', 'homelab: iot -> internet'),
        (1060, 'pass', ['opt4'], 'opt4', '(self)', 'svc_dns', 'TCP/UDP', 'homelab: guest -> firewall dns'),
        (1070, 'block', ['opt4'], 'opt4', 'homelab_private', None, 'any', 'homelab: guest -> private networks blocked'),
        (1080, 'pass', ['opt4'], 'opt4', 'any', None, 'any', 'homelab: guest -> internet'),
    ]
    assert all(r['quick'] and r['enabled'] and r['direction'] == 'in' and r['ipprotocol'] == 'inet' for r in rules)
    assert [r['log'] for r in rules if r['action'] == 'block'] == [True, True]


def test_a_group_on_several_networks_is_a_floating_rule():
    views = VIEWS + [view('relay', '10.0.20.5', 'a8:a1:59:00:00:99', ['logic'], ['role_logic'])]
    rule = network_plan(views, settings())['rules'][0]
    assert rule['interface'] == ['opt2', 'opt3'] and rule['source_net'] == 'role_logic'


def test_an_entry_for_an_empty_group_is_left_out_with_a_note():
    plan = network_plan(VIEWS, settings(access=[{'from': 'role_volatile', 'to': 'any'}]))
    assert plan['rules'] == []
    assert 'opnsense_access[0]: no host of role_volatile has an address; the rule is left out' in plan['notes']


def test_ids_settings_join_the_plan():
    ids = {'uplink_mbps': 5000, 'rulesets': ['a.rules'], 'rulesets_reduced': ['b.rules'], 'interfaces': ['wan']}
    plan = network_plan(VIEWS, settings(ids=ids))
    assert plan['ids']['tier'] == 'tuned' and plan['ids']['homenet'] == [n['subnet'] for n in NETWORKS]
    assert 'Suricata netmap on wan, tuned tier' in plan['summary'][-3]


def problems(views=None, **changes):
    with pytest.raises(PlanError) as caught:
        network_plan(VIEWS if views is None else views, settings(**changes))
    assert str(caught.value).startswith('%d problem' % len(caught.value.problems))
    assert 'nothing was sent to the firewall' in str(caught.value)
    return caught.value.problems


def with_network(index, **changes):
    nets = copy.deepcopy(NETWORKS)
    nets[index].update(changes)
    return nets


@pytest.mark.parametrize('nets, message', [
    (with_network(2, tag=4095), 'opnsense_networks[iot].tag: expected a VLAN tag 1-4094, got 4095'),
    (with_network(2, tag=0), 'opnsense_networks[iot].tag: expected a VLAN tag 1-4094, got 0'),
    (with_network(2, tag='twenty'), "opnsense_networks[iot].tag: expected a VLAN tag 1-4094, got 'twenty'"),
    (with_network(2, tag=True), 'opnsense_networks[iot].tag: expected a VLAN tag 1-4094, got True'),
    (with_network(2, tag=10), 'opnsense_networks[iot].tag: 10 is also the tag of trusted'),
    (with_network(2, name='trusted'), 'opnsense_networks[trusted].name: given twice'),
    (with_network(2, name='IoT!'),
     "opnsense_networks[2].name: expected a short lowercase name (a-z, 0-9, _), got 'IoT!'"),
    (with_network(2, subnet='10.0.20.1/24'),
     "opnsense_networks[iot].subnet: expected an IPv4 network such as 10.0.10.0/24, got '10.0.20.1/24'"),
    (with_network(2, subnet='10.0.0.0/16'),
     'opnsense_networks[iot].subnet: 10.0.0.0/16 overlaps 10.0.1.0/24 of management'),
    (with_network(2, interface='opt1'), 'opnsense_networks[iot].interface: opt1 is also the interface of trusted'),
    (with_network(2, interface=None), 'opnsense_networks[iot].interface: expected the OPNsense interface name'),
    (with_network(2, device='yes'), "opnsense_networks[iot].device: expected true (create the VLAN device) or false"),
    ([], 'opnsense_networks: expected a non-empty list of networks, got []'),
    (['iot'], "opnsense_networks[0]: expected a mapping, got 'iot'"),
])
def test_bad_networks(nets, message):
    assert any(p.startswith(message) for p in problems(networks=nets)), problems(networks=nets)


@pytest.mark.parametrize('extra, message', [
    ({'name': 'printer', 'mac': '02:00:00:00:00:01', 'address': '10.0.30.77', 'network': 'iot'},
     "opnsense_extra_hosts[printer].address: expected an address in iot's subnet 10.0.20.0/24, got 10.0.30.77"),
    ({'name': 'printer', 'mac': '02:00:00:00:00:01', 'address': '10.0.20.77', 'network': 'lab'},
     "opnsense_extra_hosts[printer].network: expected one of management, trusted, iot, servers, guest, got 'lab'"),
    ({'name': 'printer', 'mac': '02:00:00:00:00:01', 'address': '10.0.99.7'},
     'opnsense_extra_hosts[printer].address: expected an address in one of the networks (management 10.0.1.0/24,'),
    ({'name': 'printer', 'mac': '02:00:00:00:00:01', 'address': '10.0.20.255'},
     'opnsense_extra_hosts[printer].address: 10.0.20.255 is the network or broadcast address of 10.0.20.0/24'),
    ({'name': 'printer', 'mac': '02:00:00:00:00:01', 'address': 'ten'},
     "opnsense_extra_hosts[printer].address: expected an IPv4 address, got 'ten'"),
    ({'name': 'printer', 'mac': 'zz:00', 'address': '10.0.20.7'},
     "opnsense_extra_hosts[printer].mac: expected a MAC address such as a8:a1:59:00:00:01, got 'zz:00'"),
    ({'name': 'camera', 'mac': 'A8:A1:59:00:00:05', 'address': '10.0.20.50'},
     'camera.mac: a8:a1:59:00:00:05 is also used by keeper'),
    ({'name': 'camera', 'mac': '02:00:00:00:00:01', 'address': '10.0.30.5'},
     'camera.address: 10.0.30.5 is also used by keeper'),
    ({'name': 'keeper', 'mac': '02:00:00:00:00:01', 'address': '10.0.20.9'},
     'keeper: the name is given twice (inventory and opnsense_extra_hosts?)'),
    ({'name': 'my_printer', 'address': '10.0.20.9'},
     "opnsense_extra_hosts[my_printer]: expected a DNS label as the host name (letters, digits, -), got 'my_printer'"),
    ({'name': 'printer', 'colour': 'red'},
     'opnsense_extra_hosts[0]: unknown key colour (known: address, description, mac, name, network)'),
    ('printer', "opnsense_extra_hosts[0]: expected a mapping, got 'printer'"),
])
def test_bad_hosts(extra, message):
    found = problems(extra_hosts=[extra])
    assert any(p.startswith(message) for p in found), found


def test_inventory_hosts_are_checked_too():
    views = VIEWS + [view('stray', '192.168.1.7', 'a8:a1:59:00:00:42', [], ['tier_legacy'])]
    assert problems(views)[0].startswith('stray.address: expected an address in one of the networks')
    views = VIEWS + [view('twin', '10.0.30.40', 'a8:a1:59:00:00:05')]
    assert problems(views) == ['twin.mac: a8:a1:59:00:00:05 is also used by keeper']


def test_every_problem_at_once():
    found = problems(parent='', domain='bad_domain!', extra_hosts=[
        {'name': 'camera', 'mac': 'a8:a1:59:00:00:05', 'address': '10.0.20.99'},
        {'name': 'printer', 'mac': '02:00:00:00:00:01', 'address': '10.0.30.77', 'network': 'iot'}])
    assert len(found) == 4, found
    assert any(p.startswith('opnsense_vlan_parent: expected the parent device') for p in found)
    assert "opnsense_domain: expected a DNS domain such as home.arpa, got 'bad_domain!'" in found
    assert 'camera.mac: a8:a1:59:00:00:05 is also used by keeper' in found


def test_a_broken_network_plan_hides_the_echoes():
    """With a network refused, hosts and rules are not checked against it (no error per host of that VLAN)."""
    found = problems(networks=with_network(2, tag=4095), domain='bad_domain!',
                     extra_hosts=[{'name': 'camera', 'mac': 'a8:a1:59:00:00:05', 'address': '10.0.20.99'}])
    assert found == ['opnsense_networks[iot].tag: expected a VLAN tag 1-4094, got 4095',
                     "opnsense_domain: expected a DNS domain such as home.arpa, got 'bad_domain!'"]


@pytest.mark.parametrize('services, message', [
    ([{'name': 'media', 'ports': [0]}], "opnsense_services[media].ports: expected a port 1-65535 or a range"),
    ([{'name': 'media', 'ports': ['9000-8000']}], "opnsense_services[media].ports: expected a port 1-65535"),
    ([{'name': 'media', 'ports': 8096}], 'opnsense_services[media].ports: expected a list of ports or ranges'),
    ([{'name': 'media', 'ports': [1], 'protocol': 'icmp'}], "opnsense_services[media].protocol: expected one of TCP"),
    ([{'name': 'Media', 'ports': [1]}], "opnsense_services[0].name: expected a short lowercase name, got 'Media'"),
    ([{'name': 'media', 'ports': [1], 'host': 'nas'}], 'opnsense_services[media]: unknown key host'),
    ([{'name': 'dns', 'ports': [1]}], 'opnsense_services[dns]: the name is also one of opnsense_firewall_services'),
])
def test_bad_services(services, message):
    found = problems(services=services, access=[])
    assert any(p.startswith(message) for p in found), found


def test_port_ranges_use_pf_syntax():
    plan = network_plan(VIEWS, settings(services=[{'name': 'media', 'ports': [8096, '8000-8010']}]))
    assert [a['content'] for a in plan['aliases'] if a['name'] == 'svc_media'] == [['8096', '8000:8010']]


@pytest.mark.parametrize('entry, message', [
    ({'from': 'iot', 'to': 'mars'}, "opnsense_access[0].to: expected a network (management, trusted, iot, servers, "
                                    "guest), an inventory group with hosts"),
    ({'from': 'internet', 'to': 'any'}, 'opnsense_access[0].from: expected a network'),
    ({'from': 'iot', 'to': 'servers', 'services': ['ssh']}, "opnsense_access[0].services: expected one of media"),
    ({'from': 'iot'}, "opnsense_access[0]: expected a mapping with from and to"),
    ({'from': 'iot', 'to': 'any', 'port': 22}, 'opnsense_access[0]: unknown key port'),
])
def test_bad_access(entry, message):
    found = problems(access=[entry])
    assert any(p.startswith(message) for p in found), found


def test_two_entries_that_make_one_rule():
    found = problems(access=[{'from': 'iot', 'to': 'any'}, {'from': 'iot', 'to': 'any'}])
    assert found == ['opnsense_access: two entries make the rule "homelab: iot -> any"']


def test_group_names_that_cannot_be_aliases():
    views = VIEWS + [view('odd', '10.0.30.77', 'a8:a1:59:00:00:77', [], ['tier_' + 'x' * 40])]
    assert problems(views)[0].startswith('tier_xxxx')


def test_bad_ids_settings_are_problems_too():
    found = problems(ids={'uplink_mbps': 0, 'rulesets': [], 'rulesets_reduced': []})
    assert found == ['opnsense_ids_uplink_mbps: expected the uplink speed in Mbit/s (a number above 0), got 0']


def test_network_of():
    nets = network.check_networks(NETWORKS, [])
    import ipaddress
    assert network.network_of(nets, ipaddress.IPv4Address('10.0.40.9'))['name'] == 'guest'
    assert network.network_of(nets, ipaddress.IPv4Address('10.9.9.9')) is None
