"""homelab.cluster.slurm_conf: hostvars (tiers plugin vars + facts + gpu_info) -> slurm.conf."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.filter.slurm_conf import FilterModule
from ansible_collections.homelab.cluster.plugins.module_utils import _slurm
from ansible_collections.homelab.cluster.plugins.module_utils._hostview import host_view

slurm_conf = FilterModule().filters()['slurm_conf']

HOSTVARS = {
    'keeper': {'ansible_host': '10.0.30.5', 'homelab_tier': 'legacy', 'homelab_roles': ['logic'],
               'homelab_always_on': True},
    'forge': {'ansible_host': '10.0.30.10', 'homelab_tier': 'modern', 'homelab_roles': ['hypervisor', 'inference'],
              'homelab_power': {'idle_w': 95}, 'homelab_wake': {'mac': 'a8:a1:59:00:00:01', 'boot_s': 90},
              'ansible_facts': {'processor_vcpus': 32, 'memtotal_mb': 127921},
              'slurm_gpu_info': {'gpus': [{'vendor': 'nvidia', 'model': 'GeForce RTX 4070 Ti SUPER', 'index': 0,
                                           'integrated': False, 'passthrough': False, 'accelerator': False}]}},
    'desk': {'ansible_host': '10.0.30.13', 'homelab_tier': 'modern', 'homelab_roles': ['inference'],
             'homelab_power': {'idle_w': 40}, 'homelab_wake': {'mac': 'a8:a1:59:00:00:02', 'boot_s': 45},
             'homelab_hardware': {'cpu': {'threads': 16}, 'ram_gb': 32},
             'homelab_gpus': [{'vendor': 'amd', 'model': 'RX 7600', 'vram_gb': 8}]},
}
GROUPS = {'wakeable': ['forge', 'desk'], 'role_logic': ['keeper']}


def test_facts_first_then_the_hardware_file():
    conf = slurm_conf(HOSTVARS, ['forge', 'desk'], GROUPS, controller='keeper')
    lines = conf['text'].splitlines()
    assert 'SlurmctldHost=keeper(10.0.30.5)' in lines
    assert ('NodeName=forge NodeAddr=10.0.30.10 CPUs=32 RealMemory=127409 Gres=gpu:rtx_4070_ti_super:1 '
            'Features=tier_modern,hypervisor,inference,nvidia Weight=95 State=UNKNOWN') in lines
    assert ('NodeName=desk NodeAddr=10.0.30.13 CPUs=16 RealMemory=30289 Gres=gpu:rx_7600:1 '
            'Features=tier_modern,inference,amd Weight=40 State=UNKNOWN') in lines
    assert conf['power']['ResumeTimeout'] == 150 and 'SuspendExcNodes' not in conf['power']


def test_hardware_source_and_no_power_saving():
    conf = slurm_conf(HOSTVARS, ['desk'], GROUPS, controller='keeper', source='hardware', power=False)
    assert 'CPUs=16 RealMemory=30289' in conf['text'] and conf['power'] == {}


def test_hardware_memory_stays_under_what_the_kernel_reports():
    """slurmd registers with the kernel's MemTotal; forge's 128 GB report 127921 MB (recorded facts). Sized from
    the hardware file, RealMemory must stay below that or slurmctld drains the node (it used to be 130560)."""
    forge = dict(HOSTVARS['forge'], homelab_hardware={'cpu': {'threads': 32}, 'ram_gb': 128})
    hostvars = dict(HOSTVARS, forge=forge)
    from_facts = slurm_conf(hostvars, ['forge'], GROUPS, controller='keeper')['nodes'][0]['real_memory']
    from_file = slurm_conf(hostvars, ['forge'], GROUPS, controller='keeper', source='hardware')['nodes'][0]
    assert from_file['real_memory'] < from_facts == 127921 - 512
    assert from_file['real_memory'] == int(128 * 1024 * 0.94) - 512


def test_errors_name_host_and_field():
    with pytest.raises(AnsibleFilterError, match='homelab.cluster.slurm_conf: keeper: no facts'):
        slurm_conf(HOSTVARS, ['keeper'], GROUPS, controller='keeper')
    with pytest.raises(AnsibleFilterError, match="slurm_conf: source: expected 'facts' or 'hardware', got 'guess'"):
        slurm_conf(HOSTVARS, ['forge'], GROUPS, controller='keeper', source='guess')


def test_host_record_defaults():
    view = host_view('x', {'homelab_hardware': {'cpu': {'threads': 4}, 'ram_gb': 0.25}})
    record = _slurm.host_record(view, {}, reserve_mb=512)
    assert record['memory_mb'] == 240 and record['memory_reserve_mb'] == 0 and record['wakeable'] is False
    assert record['idle_w'] == 1 and record['gpus'] == []
