"""homelab.cluster.opnsense_plan: host vars (through the host view) + settings -> what the opnsense_* modules get."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.filter.opnsense_plan import FilterModule

opnsense_plan = FilterModule().filters()['opnsense_plan']

HOSTVARS = {
    'gate': {'homelab_roles': ['firewall'], 'homelab_tier': 'modern', 'group_names': ['role_firewall', 'tier_modern'],
             'homelab_hardware': {'address': '10.0.1.1', 'mac': 'a8:a1:59:00:00:04', 'os': 'opnsense'}},
    'keeper': {'homelab_roles': ['logic'], 'homelab_tier': 'legacy', 'group_names': ['role_logic', 'tier_legacy'],
               'ansible_host': '10.0.30.5', 'homelab_hardware': {'mac': 'a8:a1:59:00:00:05'}},
}
SETTINGS = {'networks': [{'name': 'management', 'tag': 1, 'subnet': '10.0.1.0/24', 'interface': 'lan',
                          'device': False},
                         {'name': 'servers', 'tag': 30, 'subnet': '10.0.30.0/24', 'interface': 'opt3'}],
            'parent': 'ixl0', 'access': [{'from': 'role_logic', 'to': 'any'}]}


def test_plan_from_host_vars():
    plan = opnsense_plan(HOSTVARS, ['gate', 'keeper'], SETTINGS)
    assert plan['reservations'] == [{'mac': 'a8:a1:59:00:00:05', 'address': '10.0.30.5', 'hostname': 'keeper',
                                     'description': 'homelab: keeper'}]
    assert [d['hostname'] for d in plan['dns']] == ['gate', 'keeper']
    assert [a['name'] for a in plan['aliases']][:4] == ['role_firewall', 'role_logic', 'tier_legacy', 'tier_modern']
    assert plan['rules'][0]['source_net'] == 'role_logic' and plan['rules'][0]['interface'] == ['opt3']


@pytest.mark.parametrize('names, settings, message', [
    (['gate', 'nobody'], SETTINGS, 'homelab.cluster.opnsense_plan: nobody: not an inventory host'),
    ('gate', SETTINGS, 'names: expected a list of host names'),
    (['gate'], [], 'settings: expected a mapping'),
    (['gate'], dict(SETTINGS, networks=[dict(SETTINGS['networks'][1], tag=4095)]),
     'opnsense_networks[servers].tag: expected a VLAN tag 1-4094, got 4095'),
])
def test_refusals_name_the_field(names, settings, message):
    with pytest.raises(AnsibleFilterError) as caught:
        opnsense_plan(HOSTVARS, names, settings)
    assert message in str(caught.value)


def test_a_bad_host_var_is_named():
    hostvars = dict(HOSTVARS, keeper=dict(HOSTVARS['keeper'], homelab_colour='red'))
    with pytest.raises(AnsibleFilterError, match='keeper.homelab_colour: unknown homelab_'):
        opnsense_plan(hostvars, ['gate', 'keeper'], SETTINGS)
