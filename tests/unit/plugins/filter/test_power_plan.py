"""homelab.cluster.power_plan: power_info readings + host vars -> the shedding ladder."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.filter.power_plan import FilterModule

power_plan = FilterModule().filters()['power_plan']

HOSTVARS = {
    'gate': {'homelab_roles': ['firewall'], 'homelab_power': {'idle_w': 35}, 'homelab_power_priority': 'speculative'},
    'forge': {'homelab_roles': ['hypervisor'], 'homelab_power': {'idle_w': 95}, 'homelab_power_has_jobs': True},
    'pi5': {'homelab_roles': ['edge'], 'homelab_power': {'idle_w': 4}, 'homelab_power_priority': 'speculative',
            'homelab_power_shed_services': ['harvester']},
}
POWER = {'house_w': 3400, 'hosts': {'gate': {'watts': 40, 'source': 'plug', 'on': True},
                                    'forge': {'watts': 650, 'source': 'plug', 'on': True},
                                    'pi5': {'watts': 9, 'source': 'plug', 'on': True}}}


def test_speculative_then_standard_never_the_firewall():
    plan = power_plan(POWER, HOSTVARS, limit_w=3000)
    assert plan['state'] == 'shedding'
    # 3400 W against a target of 2900 W: all of pi5 (9 W) is not enough, so forge's jobs (80 % of its 555 W
    # above idle) and then forge itself
    assert [(a['action'], a['host'], a['saves_w']) for a in plan['actions']] == [
        ('stop_services', 'pi5', 5.0), ('power_off', 'pi5', 4.0), ('suspend_jobs', 'forge', 444.0),
        ('power_off', 'forge', 206.0)]
    assert plan['projected_w'] == 2741.0
    assert plan['actions'][0] == {'action': 'stop_services', 'host': 'pi5', 'priority': 'speculative',
                                  'services': ['harvester'], 'saves_w': 5.0, 'projected_w': 3395.0,
                                  'reason': 'stop harvester on pi5 (speculative): ~5 W'}
    assert 'gate' not in [a['host'] for a in plan['actions']]


def test_a_host_that_is_off_is_not_shed_again():
    power = dict(POWER, hosts=dict(POWER['hosts'], forge={'watts': 0, 'source': 'plug', 'on': False}))
    assert 'forge' not in [a['host'] for a in power_plan(power, HOSTVARS, limit_w=3000)['actions']]


@pytest.mark.parametrize('power, hostvars, message', [
    ({'house_w': 1, 'hosts': {'nowhere': {'watts': 1}}}, HOSTVARS, 'power_plan: nowhere: not an inventory host'),
    (POWER, dict(HOSTVARS, pi5=dict(HOSTVARS['pi5'], homelab_power_priority='low')),
     'pi5.homelab_power_priority: expected one of essential, standard, speculative'),
    ({'hosts': {}}, HOSTVARS, 'power_plan: power.house_w: expected a number, got None'),
    (dict(POWER, house_w='seven'), HOSTVARS, "power_plan: power.house_w: expected a number, got 'seven'"),
    ({'house_w': 1, 'hosts': {'pi5': {'watts': 'seven'}}}, HOSTVARS,
     "power_plan: power.hosts.pi5.watts: expected a number, got 'seven'"),
    ({'house_w': 1, 'hosts': {'pi5': {'watts': 1, 'volts': 230}}}, HOSTVARS,
     'power_plan: power.hosts.pi5.volts: unknown key'),
])
def test_errors_name_the_host_and_field(power, hostvars, message):
    with pytest.raises(AnsibleFilterError, match=message):
        power_plan(power, hostvars, limit_w=3000)


def test_a_volatile_host_in_use_for_gaming_is_not_shed():
    hostvars = dict(HOSTVARS, rig={'homelab_roles': ['volatile'], 'homelab_power': {'idle_w': 80},
                                   'homelab_power_priority': 'speculative', 'homelab_volatile': True,
                                   'homelab_gaming': True})
    power = dict(POWER, hosts=dict(POWER['hosts'], rig={'watts': 500, 'source': 'plug', 'on': True}))
    assert 'rig' not in [a['host'] for a in power_plan(power, hostvars, limit_w=3000)['actions']]
    hostvars['rig'] = dict(hostvars['rig'], homelab_gaming=False)
    assert power_plan(power, hostvars, limit_w=3000)['actions'][0]['host'] == 'rig'
