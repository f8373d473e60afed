"""homelab.cluster.firewall_rules: host vars (through the host view) -> a host's allow-lists."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.filter.firewall_rules import FilterModule

firewall_rules = FilterModule().filters()['firewall_rules']

HOSTVARS = {
    'keeper': {'ansible_host': '10.0.30.5', 'group_names': ['vault_server'], 'groups': {}},
    'forge': {'ansible_host': '10.0.30.10', 'group_names': ['role_inference']},
    'pi5': {'homelab_hardware': {'address': '10.0.20.10'}, 'group_names': ['role_edge']},
}
OPENBAO = [{'name': 'openbao', 'runs_on': ['vault_server'], 'ports': [8200], 'allow_groups': ['role_inference']}]


def test_addresses_come_through_the_host_view():
    result = firewall_rules(HOSTVARS, 'keeper', ['forge', 'keeper', 'pi5'], OPENBAO, ['10.0.1.0/24'])
    assert result['rules'][0]['v4'] == ['10.0.1.0/24', '10.0.30.10/32']


@pytest.mark.parametrize('args, message', [
    (('keeper', 'forge', OPENBAO), 'names: expected a list of host names'),
    (('keeper', ['ghost'], OPENBAO), 'ghost: not an inventory host'),
    (('keeper', ['keeper'], [{'name': 'x', 'runs_on': ['a'], 'ports': [70000]}]), r'firewall_services\[0\].ports'),
])
def test_errors_are_filter_errors_naming_the_field(args, message):
    with pytest.raises(AnsibleFilterError, match='homelab.cluster.firewall_rules: .*' + message):
        firewall_rules(HOSTVARS, *args)
