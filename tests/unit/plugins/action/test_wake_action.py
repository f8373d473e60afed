"""The wake action plugin: the target's view (inventory facts and its wake settings) becomes the module's defaults."""

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.homelab.cluster.plugins.action.wake import ActionModule

HOSTVARS = {
    'desk': {'homelab_tier': 'modern', 'homelab_hardware': {'os': 'ubuntu'}, 'ansible_host': '10.77.10.20',
             'homelab_wake': {'method': 'wol', 'mac': 'a8:a1:59:00:00:06', 'boot_s': 60, 'ready_port': 22},
             'homelab_wake_max_wakes': 10, 'homelab_wake_min_off_s': 10, 'group_names': ['wakeable']},
    'gate': {'homelab_tier': 'legacy', 'homelab_wake': {'method': 'none'}},
}


def defaults(target, given=None, hostvars=None):
    action = ActionModule.__new__(ActionModule)
    return action._defaults(target, {'hostvars': hostvars or HOSTVARS}, given or {})


def test_facts_and_the_storm_guard_settings_come_from_the_view():
    """The power guard's restore step calls the module with only a target: the lab's 10 wakes an hour and 10 s
    off must reach the module (they used to fall back to 3 and 120 s, and the restore was refused)."""
    assert defaults('desk') == {'name': 'desk', 'address': '10.77.10.20', 'mac': 'a8:a1:59:00:00:06', 'boot_s': 60,
                                'ready_port': 22, 'max_wakes': 10, 'window_s': 3600, 'min_off_s': 10, 'force': False,
                                'target': 'desk'}


def test_given_options_win():
    assert defaults('desk', {'max_wakes': 3, 'force': True})['target'] == 'desk'
    assert 'max_wakes' not in defaults('desk', {'max_wakes': 3}) and 'force' not in defaults('desk', {'force': True})


@pytest.mark.parametrize('target, given, message', [
    ('nowhere', {}, 'homelab.cluster.wake: target nowhere: not an inventory host'),
    ('gate', {}, "gate.homelab_wake.method is 'none', not wol"),
])
def test_named_errors(target, given, message):
    with pytest.raises(AnsibleActionFail, match=message):
        defaults(target, given)


def test_a_probe_of_a_host_without_wol_is_fine():
    assert defaults('gate', {'state': 'probe'})['target'] == 'gate'
