"""slurm.conf and gres.conf from inventory data; GPU hosts as gpu_info reports them (written by hand)."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils import _slurm


def forge_gpus():
    """The seeds' Proxmox box as gpu_info reports it, written by hand from gpu_info's RETURN documentation (only
    the keys slurm.conf reads), not taken from gpu_info's own output."""
    card = {'integrated': False, 'passthrough': False, 'accelerator': False}
    return [
        dict(card, bus_id='0000:01:00.0', vendor='nvidia', model='GeForce RTX 4070 Ti SUPER', index=0,
             render_node='renderD128', vram_gb=16.0),
        dict(card, bus_id='0000:03:00.0', vendor='amd', model='Radeon RX 7900 XT', index=0, render_node='renderD129',
             vram_gb=20.0),
        dict(card, bus_id='0000:07:00.0', vendor='amd', model='Radeon RX 6700 XT', index=1, render_node='renderD130',
             vram_gb=12.0),
        dict(card, bus_id='0000:0e:00.0', vendor='amd', model='Radeon Graphics', index=2, render_node='renderD131',
             vram_gb=None, integrated=True),
    ]


def hosts():
    return [
        {'name': 'forge', 'address': '10.0.30.10', 'cpus': 32, 'sockets': 1, 'cores_per_socket': 16,
         'threads_per_core': 2, 'memory_mb': 128 * 1024, 'memory_reserve_mb': 4096, 'gpus': forge_gpus(),
         'tier': 'modern', 'roles': ['hypervisor', 'inference'], 'idle_w': 95, 'wakeable': True, 'boot_s': 90},
        {'name': 'frame', 'address': '10.0.30.12', 'cpus': 16, 'memory_mb': 32768, 'tier': 'portable',
         'roles': ['inference'], 'idle_w': 6.4, 'wakeable': True, 'boot_s': 40},
        {'name': 'desk', 'address': '10.0.30.13', 'cpus': 8, 'memory_mb': 16000, 'tier': 'legacy', 'roles': [],
         'idle_w': 30, 'always_on': True},
        {'name': 'rig', 'address': '10.0.30.20', 'cpus': 24, 'memory_mb': 65536, 'tier': 'modern',
         'roles': ['volatile'], 'volatile': True, 'idle_w': 80, 'wakeable': True, 'boot_s': 60,
         'gpus': [{'vendor': 'nvidia', 'model': 'GeForce RTX 4080 SUPER', 'index': 0}]},
    ]


def test_node_lines_from_facts_and_gpu_info():
    conf = _slurm.slurm_conf(hosts(), 'keeper', controller_address='10.0.30.5')
    lines = conf['text'].splitlines()
    assert 'SlurmctldHost=keeper(10.0.30.5)' in lines
    assert 'GresTypes=gpu' in lines
    assert ('NodeName=forge NodeAddr=10.0.30.10 CPUs=32 Sockets=1 CoresPerSocket=16 ThreadsPerCore=2 '
            'RealMemory=126976 Gres=gpu:rtx_4070_ti_super:1,gpu:rx_6700_xt:1,gpu:rx_7900_xt:1 '
            'Features=tier_modern,hypervisor,inference,amd,nvidia Weight=95 State=UNKNOWN') in lines
    assert ('NodeName=frame NodeAddr=10.0.30.12 CPUs=16 RealMemory=32768 Features=tier_portable,inference '
            'Weight=6 State=UNKNOWN') in lines
    assert 'NodeName=rig NodeAddr=10.0.30.20 CPUs=24 RealMemory=65536 Gres=gpu:rtx_4080_super:1 ' \
           'Features=tier_modern,volatile,nvidia Weight=80 State=UNKNOWN' in lines


def test_the_cheapest_node_has_the_lowest_weight():
    nodes = {n['name']: n for n in _slurm.slurm_conf(hosts(), 'keeper')['nodes']}
    assert sorted(nodes, key=lambda n: nodes[n]['weight']) == ['frame', 'desk', 'rig', 'forge']


def test_gres_conf_device_files():
    conf = _slurm.slurm_conf(hosts(), 'keeper')
    assert conf['gres_conf'].splitlines()[1:] == [
        'NodeName=forge Name=gpu Type=rtx_4070_ti_super File=/dev/nvidia0',
        'NodeName=forge Name=gpu Type=rx_7900_xt File=/dev/dri/renderD129',
        'NodeName=forge Name=gpu Type=rx_6700_xt File=/dev/dri/renderD130',
        'NodeName=rig Name=gpu Type=rtx_4080_super File=/dev/nvidia0']


def test_partitions_per_tier_gpu_and_volatile():
    parts = _slurm.slurm_conf(hosts(), 'keeper')['text'].splitlines()
    parts = [p for p in parts if p.startswith('PartitionName=')]
    assert parts == [
        'PartitionName=all Nodes=forge,frame,desk Default=YES MaxTime=INFINITE State=UP PriorityTier=10',
        'PartitionName=modern Nodes=forge Default=NO MaxTime=INFINITE State=UP PriorityTier=10',
        'PartitionName=portable Nodes=frame Default=NO MaxTime=INFINITE State=UP PriorityTier=10',
        'PartitionName=legacy Nodes=desk Default=NO MaxTime=INFINITE State=UP PriorityTier=10',
        'PartitionName=gpu Nodes=forge Default=NO MaxTime=INFINITE State=UP PriorityTier=10',
        'PartitionName=volatile Nodes=rig Default=NO MaxTime=INFINITE State=UP PriorityTier=1']


def test_default_partition_and_partition_overrides():
    conf = _slurm.slurm_conf(hosts(), 'keeper', default_partition='gpu',
                             partition_overrides={'volatile': {'MaxTime': '2:00:00', 'PreemptMode': 'REQUEUE'}})
    text = conf['text']
    assert 'PartitionName=gpu Nodes=forge Default=YES' in text
    assert ('PartitionName=volatile Nodes=rig Default=NO MaxTime=2:00:00 State=UP PriorityTier=1 '
            'PreemptMode=REQUEUE') in text
    with pytest.raises(_slurm.SlurmError, match="slurm_default_partition: 'fast' is not one of the partitions"):
        _slurm.slurm_conf(hosts(), 'keeper', default_partition='fast')


def test_power_saving_for_the_wakeable_nodes_only():
    conf = _slurm.slurm_conf(hosts(), 'keeper', power={'suspend_time': 300})
    power = conf['power']
    assert power['SuspendExcNodes'] == 'desk'  # always-on (the controller is not a node here)
    assert power['ResumeTimeout'] == 150  # forge boots in 90 s, + 60
    assert power['SuspendTime'] == 300
    assert power['ResumeProgram'] == '/usr/local/sbin/homelab-slurm-resume'
    assert power['ResumeFailProgram'] == '/usr/local/sbin/homelab-slurm-resume-fail'
    assert power['PrologSlurmctld'] == '/usr/local/sbin/homelab-slurm-prolog'
    assert 'SuspendRate=0' in conf['text'] and 'ResumeRate=0' in conf['text']


def test_no_power_saving_without_a_wakeable_node():
    only = [dict(h, wakeable=False) for h in hosts()]
    conf = _slurm.slurm_conf(only, 'keeper')
    assert conf['power'] == {} and 'SuspendProgram' not in conf['text']


def test_overrides_add_change_and_remove_keys():
    conf = _slurm.slurm_conf(hosts(), 'keeper', cluster='lab', configless=True,
                             overrides={'SelectTypeParameters': 'CR_Core', 'MinJobAge': 60, 'DebugFlags': None})
    lines = conf['text'].splitlines()
    assert 'ClusterName=lab' in lines and 'SelectTypeParameters=CR_Core' in lines and 'MinJobAge=60' in lines
    assert 'SlurmctldParameters=enable_configless' in lines
    assert not any(line.startswith('DebugFlags=') for line in lines)
    with pytest.raises(_slurm.SlurmError, match="slurm_conf_overrides: 'Bad Key' is not a slurm.conf key"):
        _slurm.slurm_conf(hosts(), 'keeper', overrides={'Bad Key': 1})


@pytest.mark.parametrize('change, message', [
    ({'cpus': 'many'}, "forge.cpus: expected a whole number, got 'many'"),
    ({'cpus': 0}, 'forge.cpus: expected at least 1, got 0'),
    ({'memory_mb': None}, 'forge.memory_mb: expected a whole number, got None'),
    ({'sockets': 2}, 'forge: sockets 2 x cores 16 x threads 2 is 64, not cpus 32'),
    ({'name': 'bad name'}, "'bad name': not a name Slurm accepts as NodeName"),
    ({'boot_s': -1}, 'forge.boot_s: expected at least 0'),
])
def test_bad_host_data_names_host_and_field(change, message):
    data = hosts()
    data[0].update(change)
    with pytest.raises(_slurm.SlurmError, match=message.replace('(', '\\(').replace(')', '\\)')):
        _slurm.slurm_conf(data, 'keeper')


def test_bad_cluster_level_input():
    with pytest.raises(_slurm.SlurmError, match='no compute nodes'):
        _slurm.slurm_conf([], 'keeper')
    with pytest.raises(_slurm.SlurmError, match='slurm_controller: expected the inventory name'):
        _slurm.slurm_conf(hosts(), '')
    with pytest.raises(_slurm.SlurmError, match='frame: listed twice'):
        _slurm.slurm_conf(hosts() + [hosts()[1]], 'keeper')


# `slurmd -C` as slurmd 22.05 prints it on the hosts (the lab container and a recorded forge line)
SLURMD_C_LAB = ('NodeName=c1 CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=23993\n'
                'UpTime=0-02:13:45\n')
SLURMD_C_FORGE = ('NodeName=forge CPUs=32 Boards=1 SocketsPerBoard=1 CoresPerSocket=16 ThreadsPerCore=2 '
                  'RealMemory=127921\nUpTime=3-01:02:03\n')


def test_slurmd_c_accepts_the_generated_lines():
    nodes = {n['name']: n for n in _slurm.slurm_conf(hosts(), 'keeper')['nodes']}
    assert _slurm.fits(nodes['forge'], _slurm.parse_slurmd_c(SLURMD_C_FORGE)) == []
    reported = _slurm.parse_slurmd_c(SLURMD_C_LAB)
    assert reported['CPUs'] == 2 and reported['RealMemory'] == 23993
    assert _slurm.fits(nodes['forge'], reported) == ['CPUs 2 < 32', 'RealMemory 23993 < 126976']
