"""Idle-sleep rules: who may be powered off, and the reasons given either way."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._idle import decide
from ansible_collections.homelab.cluster.plugins.module_utils._idle import idle_since

NOW = 2_000_000.0
POLICY = {'idle_minutes': 30, 'max_load': 0.25, 'max_gpu_util': 5}


def facts(**over):
    base = {'always_on': False, 'wakeable': True, 'now': NOW, 'boot_time': NOW - 86400, 'load': [0.1, 0.1, 0.1],
            'cpus': 4, 'users': [], 'jobs': [], 'processes': [], 'gpus': None, 'idle_since': NOW - 3600}
    base.update(over)
    return base


def test_an_idle_host_sleeps():
    sleep, reasons, since = decide(facts(), POLICY)
    assert sleep
    assert since == NOW - 3600
    assert reasons == ['idle for 60 min >= 30 min: no users, no Slurm jobs, load 0.03 per CPU, '
                       'no GPU utilisation to read']


def test_always_on_wins_over_everything():
    assert decide(facts(always_on=True), POLICY) == (False, ['always_on: this host is never put to sleep'], None)


def test_a_host_that_cannot_be_woken_stays():
    sleep, reasons, _since = decide(facts(wakeable=False), POLICY)
    assert not sleep and reasons[0].startswith('not wakeable')
    assert decide(facts(wakeable=False), dict(POLICY, require_wakeable=False))[0]


@pytest.mark.parametrize('over, reason', [
    ({'users': ['alice pts/0']}, '1 user session logged in (alice pts/0)'),
    ({'users': ['alice pts/0', 'bob tty1']}, '2 user sessions logged in (alice pts/0, bob tty1)'),
    ({'jobs': ['[42.batch]']}, 'Slurm job steps running ([42.batch])'),
    ({'processes': ['steam', 'blender', 'steam']}, 'busy processes running (blender, steam)'),
    ({'load': [1.2, 0.1, 0.1]}, '1-min load 0.30 per CPU is above max_load 0.25'),
    ({'gpus': [{'name': '0 RTX 4080', 'util': 40}]}, 'GPU 0 RTX 4080 is 40% busy (max_gpu_util 5%)'),
])
def test_busy_hosts_stay_and_say_why(over, reason):
    sleep, reasons, since = decide(facts(**over), POLICY)
    assert not sleep
    assert reasons == [reason]
    assert since == NOW  # busy now: the idle spell starts over


def test_every_busy_reason_is_reported():
    _sleep, reasons, _since = decide(facts(users=['a pts/0'], jobs=['[1.0]'], load=[9, 9, 9]), POLICY)
    assert len(reasons) == 3


def test_idle_gpus_and_unreadable_ones():
    gpus = [{'name': '0 RTX', 'util': 3}, {'name': 'card1', 'util': None}]
    sleep, reasons, _since = decide(facts(gpus=gpus), POLICY)
    assert sleep and 'GPUs idle' in reasons[0]


def test_not_idle_long_enough():
    sleep, reasons, since = decide(facts(idle_since=NOW - 600), POLICY)
    assert not sleep
    assert reasons == ['idle for 10 min, not yet 30 min (idle_minutes)']
    assert since == NOW - 600


def test_idle_minutes_zero_sleeps_at_once():
    assert decide(facts(idle_since=None, load=[0.1, 5, 5], boot_time=NOW - 5), dict(POLICY, idle_minutes=0))[0]


def test_first_look_after_boot_credits_the_load_averages():
    policy = POLICY
    assert idle_since(facts(idle_since=None), policy, False) == NOW - 15 * 60
    assert idle_since(facts(idle_since=None, load=[0.1, 0.1, 4.0]), policy, False) == NOW - 5 * 60
    assert idle_since(facts(idle_since=None, load=[0.1, 4.0, 4.0]), policy, False) == NOW - 60
    assert idle_since(facts(idle_since=None, load=[4.0, 4.0, 4.0]), policy, False) == NOW
    # never before the boot
    assert idle_since(facts(idle_since=None, boot_time=NOW - 120), policy, False) == NOW - 120


def test_a_remembered_spell_from_before_the_boot_does_not_count():
    since = idle_since(facts(idle_since=NOW - 7200, boot_time=NOW - 300), POLICY, False)
    assert since == NOW - 300
    sleep, reasons, _since = decide(facts(idle_since=NOW - 7200, boot_time=NOW - 300), POLICY)
    assert not sleep
    assert reasons == ['idle for 5 min, not yet 30 min (idle_minutes); booted 5 min ago']


def test_a_future_remembered_spell_is_ignored():
    assert idle_since(facts(idle_since=NOW + 50), POLICY, False) == NOW - 15 * 60


def test_zero_cpus_do_not_divide_by_zero():
    assert decide(facts(cpus=0, load=[0.1, 0.1, 0.1]), POLICY)[0]
