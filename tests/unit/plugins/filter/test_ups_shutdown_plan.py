"""homelab.cluster.ups_shutdown_plan: power_info + host vars -> the ordered shutdown."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.filter.ups_shutdown_plan import FilterModule

plan = FilterModule().filters()['ups_shutdown_plan']
UPS = 'dummy@10.0.30.5'
HOSTVARS = {
    'keeper': {'homelab_roles': ['logic']},
    'forge': {'homelab_roles': ['hypervisor'], 'homelab_power_shutdown_services': ['postgresql', 'ollama']},
    'pi5': {'homelab_roles': ['edge'], 'homelab_power_priority': 'speculative'},
    'nas': {'homelab_roles': ['storage']},
    'desk': {'homelab_roles': ['inference']},
}


def power(status='OB DISCHRG', charge=25.0):
    on_battery = 'OB' in status
    return {'ups': {UPS: {'status': status.split(), 'online': not on_battery, 'on_battery': on_battery,
                          'low_battery': 'LB' in status, 'charge_pct': charge}},
            'hosts': {'keeper': {'watts': 9, 'ups': UPS}, 'forge': {'watts': 300, 'ups': UPS, 'on': True},
                      'pi5': {'watts': 5, 'ups': UPS}, 'nas': {'watts': 30, 'ups': UPS},
                      'desk': {'watts': 50, 'source': 'plug', 'on': True}}}  # desk is not on this UPS


def test_the_order():
    result = plan(power(), HOSTVARS)
    assert result['ups'] == UPS
    assert [(s['stage'], [(x['action'], x['host']) for x in s['steps']]) for s in result['stages']] == [
        ('speculative', [('power_off', 'pi5')]),
        ('services', [('stop_services', 'forge')]),
        ('heavy', [('power_off', 'forge')]),
        ('storage', [('power_off', 'nas')]),
        ('last', [('power_off', 'keeper')])]
    assert result['stages'][1]['steps'][0]['services'] == ['postgresql', 'ollama']


def test_nothing_while_the_ups_is_fine():
    assert plan(power('OL', 100), HOSTVARS) is None
    assert plan(power('OB DISCHRG', 80), HOSTVARS) is None
    assert plan(power('OB DISCHRG', 80), HOSTVARS, threshold_pct=90) is not None


def test_which_ups():
    two = power()
    two['ups']['other@10.0.10.5'] = dict(two['ups'][UPS])
    with pytest.raises(AnsibleFilterError, match=r'read 2 UPSes \(dummy@10.0.30.5, other@10.0.10.5\); name the one'):
        plan(two, HOSTVARS)
    with pytest.raises(AnsibleFilterError, match=r'UPS x@y could not be read: ups x@y: timeout'):
        plan(dict(power(), unavailable=['ups x@y: timeout']), HOSTVARS, ups='x@y')


def test_an_unreadable_ups_says_why():
    """Not 'name the UPS': the NUT error power_info met."""
    dead = dict(power(), ups={}, unavailable=['ups dummy@10.0.30.5 (NUT, TCP 3493): NUT answered UNKNOWN-UPS'])
    with pytest.raises(AnsibleFilterError, match=r'no UPS could be read: ups dummy@10.0.30.5 \(NUT, TCP 3493\): '
                                                 r'NUT answered UNKNOWN-UPS'):
        plan(dead, HOSTVARS)
