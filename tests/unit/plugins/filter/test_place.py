"""homelab.cluster.place: inventory host vars -> placement candidates -> the decision."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.filter.place import FilterModule

place = FilterModule().filters()['place']


def hv(**over):
    base = {
        'homelab_tier': 'modern',
        'homelab_hardware': {'cpu': {'cores': 8, 'threads': 16}, 'ram_gb': 64},
        'homelab_power': {'idle_w': 50, 'peak_w': 400},
        'homelab_wake': {'method': 'wol', 'mac': 'a8:a1:59:00:00:01', 'boot_s': 90},
        'homelab_gpus': [{'vendor': 'nvidia', 'vram_gb': 16}],
        'homelab_volatile': False,
        'homelab_always_on': False,
        'group_names': ['wakeable', 'tier_modern'],
    }
    base.update(over)
    return base


HOSTVARS = {
    'forge': hv(),
    'rig': hv(homelab_volatile=True, homelab_power={'idle_w': 80, 'peak_w': 650}),
    'keeper': hv(homelab_gpus=[], homelab_power={'idle_w': 7, 'peak_w': 35}, group_names=['always_on'],
                 homelab_always_on=True),
    'switch': {'ansible_host': '10.0.1.2'},
}


def test_the_sleeping_gpu_host_is_chosen_and_must_wake():
    decision = place({'vram_gb': 12, 'weight': 0.5}, HOSTVARS, ['forge', 'rig', 'keeper'],
                     {'forge': 'down', 'rig': 'up', 'keeper': 'up'})
    assert decision['host'] == 'forge' and decision['wake'] is True
    assert decision['rejected'] == {'keeper': 'no GPU', 'rig': 'volatile and in use for gaming (gaming flag not false)'}


def test_gaming_false_frees_the_volatile_host():
    rig = dict(HOSTVARS['rig'], homelab_gaming=False, homelab_power={'idle_w': 80, 'peak_w': 300})
    hostvars = dict(HOSTVARS, rig=rig)
    decision = place({'vram_gb': 12, 'weight': 0.5}, hostvars, ['forge', 'rig'], {'forge': 'down'})
    assert decision['host'] == 'rig' and decision['wake'] is False  # awake: 110 W < forge's 50 + 175 W


def test_a_sleeping_host_outside_wakeable_is_never_chosen():
    decision = place({}, HOSTVARS, ['keeper'], {'keeper': 'down'})
    assert decision['rejected'] == {'keeper': 'asleep and cannot be woken'}


def test_missing_states_count_as_up():
    assert place({}, HOSTVARS, ['keeper'])['host'] == 'keeper'


@pytest.mark.parametrize('candidates, message', [
    (['nowhere'], 'homelab.cluster.place: nowhere: not an inventory host'),
    (['switch'], 'switch: no homelab_tier/homelab_hardware; candidates must come from the homelab.cluster.tiers'),
])
def test_bad_candidates(candidates, message):
    with pytest.raises(AnsibleFilterError, match=message):
        place({}, HOSTVARS, candidates)


@pytest.mark.parametrize('state', ['asleep', 'off', 'unknown', None, True])
def test_only_the_wake_modules_power_states(state):
    """'asleep' used to count as awake: only up/down, as homelab.cluster.wake reports them, are accepted."""
    with pytest.raises(AnsibleFilterError, match=r"states.forge: expected one of up, down .*got %r" % (state,)):
        place({}, HOSTVARS, ['forge'], {'forge': state})


def test_unprobed_volatile_host_counts_as_in_use():
    decision = place({}, HOSTVARS, ['rig'], {'rig': 'up'})
    assert decision['host'] is None
    assert decision['rejected'] == {'rig': 'volatile and in use for gaming (gaming flag not false)'}


def test_a_typo_in_a_setting_is_named():
    hostvars = dict(HOSTVARS, forge=hv(homelab_gamming=False))
    with pytest.raises(AnsibleFilterError, match=r"forge.homelab_gamming: unknown homelab_\* variable "
                                                 r"\(did you mean 'homelab_gaming'\?\)"):
        place({}, hostvars, ['forge'])


def test_bad_workload_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match=r'homelab.cluster.place: workload.vram: unknown key'):
        place({'vram': 1}, HOSTVARS, ['forge'])
