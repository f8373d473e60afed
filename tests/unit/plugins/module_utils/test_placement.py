"""Placement by power state: fit, cost, preference for awake hosts, volatile hosts, explanations."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._placement import PlacementError
from ansible_collections.homelab.cluster.plugins.module_utils._placement import place


def host(name, **over):
    base = {'name': name, 'awake': True, 'wakeable': True, 'threads': 16, 'ram_gb': 64, 'gpus': [],
            'idle_w': 50, 'peak_w': 450, 'boot_s': 60, 'volatile': False, 'gaming': True}
    base.update(over)
    return base


FORGE = host('forge', awake=False, threads=32, ram_gb=128, idle_w=95, peak_w=1100, boot_s=90,
             gpus=[{'vendor': 'nvidia', 'vram_gb': 16}, {'vendor': 'amd', 'vram_gb': 20},
                   {'vendor': 'amd', 'vram_gb': 12}])
DESK = host('desk', threads=20, idle_w=55, peak_w=420, gpus=[{'vendor': 'amd', 'vram_gb': 8}])
RIG = host('rig', awake=False, volatile=True, idle_w=80, peak_w=650, boot_s=120,
           gpus=[{'vendor': 'nvidia', 'vram_gb': 16}])
KEEPER = host('keeper', threads=12, ram_gb=16, idle_w=7, peak_w=35, wakeable=False)


def test_cpu_work_goes_to_the_frugal_awake_host():
    decision = place({'cores': 4, 'ram_gb': 8, 'weight': 0.5}, [FORGE, DESK, KEEPER])
    assert decision['host'] == 'keeper'
    assert not decision['wake']
    assert decision['added_w'] == 14.0
    assert decision['reason'] == ('keeper is awake and adds 14 W (its share of peak - idle); '
                                  'next best desk would add 182.5 W')


def test_vram_rules_out_small_gpus_and_the_sleeping_host_is_woken():
    decision = place({'vram_gb': 12, 'weight': 0.5}, [FORGE, DESK, KEEPER])
    assert decision['host'] == 'forge'
    assert decision['wake'] is True
    assert decision['boot_s'] == 90
    assert decision['added_w'] == 95 + 0.5 * (1100 - 95)
    assert decision['rejected'] == {'desk': '8 GB VRAM on its largest GPU < 12 GB needed', 'keeper': 'no GPU'}
    assert decision['reason'].startswith('forge is asleep: waking it adds 597.5 W (95 W idle + 502.5 W load) and 90 s')


def test_vendor_and_multi_gpu():
    assert place({'vram_gb': 18, 'gpu_vendor': 'nvidia'}, [FORGE])['rejected'] == {
        'forge': '16 GB nvidia VRAM on its largest GPU < 18 GB needed'}
    assert place({'vram_gb': 30, 'gpu_vendor': 'amd', 'multi_gpu': True}, [FORGE])['host'] == 'forge'
    assert place({'vram_gb': 40, 'gpu_vendor': 'amd', 'multi_gpu': True}, [FORGE])['rejected'] == {
        'forge': '32 GB amd VRAM in all GPUs < 40 GB needed'}
    assert place({'vram_gb': 4, 'gpu_vendor': 'intel'}, [FORGE])['rejected'] == {'forge': 'no intel GPU'}


def test_a_sleeping_host_pays_its_idle_draw():
    # same hardware; the awake one adds only its load, the sleeping one also its idle draw
    awake, asleep = host('a', idle_w=100, peak_w=300), host('b', awake=False, idle_w=20, peak_w=300)
    decision = place({'weight': 0.5}, [asleep, awake])
    assert decision['host'] == 'a'  # 100 W vs 20 + 140 = 160 W
    cheap_sleeper = host('c', awake=False, idle_w=5, peak_w=60)
    assert place({'weight': 0.5}, [awake, cheap_sleeper])['host'] == 'c'  # 5 + 27.5 < 100


def test_ties_prefer_awake_then_shorter_boot_then_name():
    a = host('a', awake=False, idle_w=0, peak_w=100, boot_s=30)
    b = host('b', awake=True, idle_w=0, peak_w=100)
    c = host('c', awake=False, idle_w=0, peak_w=100, boot_s=10)
    assert [r['host'] for r in place({}, [a, b, c])['ranked']] == ['b', 'c', 'a']
    assert [r['host'] for r in place({}, [host('z'), host('y')])['ranked']] == ['y', 'z']


def test_volatile_hosts_only_when_nobody_is_gaming():
    workload = {'vram_gb': 16, 'gpu_vendor': 'nvidia'}
    assert place(workload, [RIG])['rejected'] == {'rig': 'volatile and in use for gaming (gaming flag not false)'}
    assert place(workload, [dict(RIG, gaming=False)])['host'] == 'rig'


def test_sleeping_hosts_that_cannot_wake_and_long_boots():
    assert place({}, [dict(FORGE, wakeable=False)])['rejected'] == {'forge': 'asleep and cannot be woken'}
    assert place({'max_wait_s': 60}, [FORGE])['rejected'] == {'forge': 'asleep; boots in 90 s > max_wait_s 60'}
    assert place({'max_wait_s': 60}, [dict(FORGE, awake=True)])['host'] == 'forge'


def test_cpu_and_ram_limits():
    rejected = place({'cores': 24, 'ram_gb': 100}, [DESK, KEEPER])['rejected']
    assert rejected == {'desk': '20 CPU threads < 24 needed', 'keeper': '12 CPU threads < 24 needed'}
    assert place({'ram_gb': 100}, [DESK])['rejected'] == {'desk': '64 GB RAM < 100 GB needed'}


def test_nothing_fits():
    decision = place({'vram_gb': 64}, [DESK, KEEPER])
    assert decision['host'] is None and decision['wake'] is False
    assert decision['reason'] == ('no host fits: desk: 8 GB VRAM on its largest GPU < 64 GB needed; '
                                  'keeper: no GPU')
    assert place({}, [])['reason'] == 'no host fits: no candidates'


@pytest.mark.parametrize('workload, message', [
    ('12 GB', r'^workload: expected a mapping'),
    ({'vram': 12}, r'^workload.vram: unknown key'),
    ({'vram_gb': 'twelve'}, r"^workload.vram_gb: expected a number >= 0, got 'twelve'"),
    ({'cores': -1}, r'^workload.cores: expected a number >= 0'),
    ({'ram_gb': True}, r'^workload.ram_gb: expected a number'),
    ({'weight': 2}, r'^workload.weight: expected a share between 0 and 1'),
    ({'gpu_vendor': 'nvida'}, r"^workload.gpu_vendor: expected one of any, nvidia, amd, intel, got 'nvida'"),
    ({'max_wait_s': 'soon'}, r'^workload.max_wait_s: expected seconds'),
])
def test_bad_workloads(workload, message):
    with pytest.raises(PlacementError, match=message):
        place(workload, [DESK])


def test_none_values_take_defaults():
    assert place({'vram_gb': None, 'weight': None}, [KEEPER])['host'] == 'keeper'


def test_one_gpu_workload_needs_one_card_that_big():
    """forge's AMD cards (20 + 12 GB) hold 24 GB only together: a single-GPU workload does not fit there."""
    assert place({'vram_gb': 24, 'gpu_vendor': 'amd'}, [FORGE])['rejected'] == {
        'forge': '20 GB amd VRAM on its largest GPU < 24 GB needed'}
    assert place({'vram_gb': 24, 'gpu_vendor': 'amd', 'multi_gpu': True}, [FORGE])['host'] == 'forge'
    assert place({'vram_gb': 20, 'gpu_vendor': 'amd'}, [FORGE])['host'] == 'forge'  # exactly the largest card


def test_a_volatile_host_without_a_gaming_flag_is_not_used():
    rig = {k: v for k, v in RIG.items() if k != 'gaming'}
    decision = place({'vram_gb': 8}, [rig])
    assert decision['host'] is None
    assert decision['rejected'] == {'rig': 'volatile and in use for gaming (gaming flag not false)'}
    assert place({'vram_gb': 8}, [dict(rig, gaming=False)])['host'] == 'rig'
