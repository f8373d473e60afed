"""Guests as code: the plan checks (over-commit, GPUs, IOMMU groups, vfio ids) and the config differences."""
import os
import sys

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._pve.plan import config_changes
from ansible_collections.homelab.cluster.plugins.module_utils._pve.plan import desired_config
from ansible_collections.homelab.cluster.plugins.module_utils._pve.plan import mapping_id
from ansible_collections.homelab.cluster.plugins.module_utils._pve.plan import plan_guests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'lab', 'doubles'))
from pve_fixtures import FORGE_PCI  # noqa: E402
from pve_fixtures import pci_list  # noqa: E402

PCI = pci_list(FORGE_PCI)
GIB = 1024 ** 3
DECLARED = [{'model': 'RTX 4070 Ti Super', 'vendor': 'nvidia', 'vram_gb': 16},
            {'model': 'RX 7900 XT', 'vendor': 'amd', 'vram_gb': 20}]
SEED = [{'name': 'k3s-cp', 'vmid': 201, 'cores': 4, 'memory_gb': 8},
        {'name': 'k3s-gpu1', 'vmid': 211, 'cores': 8, 'memory_gb': 32, 'gpus': ['RTX 4070 Ti Super']},
        {'name': 'k3s-gpu2', 'vmid': 212, 'cores': 8, 'memory_gb': 32, 'gpus': ['RX 7900 XT']},
        {'name': 'general', 'vmid': 220, 'cores': 8, 'memory_gb': 40}]


def test_the_seed_plan_fits_and_binds_both_gpus_with_their_audio():
    plan, refusals = plan_guests(SEED, 'forge', PCI, 128 * GIB, 16, DECLARED)
    assert refusals == []
    assert plan['vfio_ids'] == ['1002:744c', '1002:ab30', '10de:22bb', '10de:2705']
    gpu1 = plan['guests'][1]['devices'][0]
    got = (gpu1['bus'], gpu1['group'], gpu1['mapping'], gpu1['pci_id'])
    assert got == ('0000:01:00', 14, 'rtx-4070-ti-super', '10de:2705')
    assert plan['memory_gb'] == 112


@pytest.mark.parametrize('extra, reason', [
    ({'name': 'big', 'vmid': 290, 'cores': 2, 'memory_gb': 64},
     'forge: over-committed memory: guests 176 GB (k3s-cp 8, k3s-gpu1 32, k3s-gpu2 32, general 40, big 64) + host '
     'reserve 16 GB = 192 GB, the node has 128 GB'),
    ({'name': 'again', 'vmid': 291, 'cores': 2, 'memory_gb': 1, 'gpus': ['RTX 4070 Ti Super']},
     'again.gpus[0]: RTX 4070 Ti Super is assigned twice: every RTX 4070 Ti Super of forge already goes to k3s-gpu1'),
    ({'name': 'x', 'vmid': 292, 'cores': 2, 'memory_gb': 1, 'gpus': ['RTX 5090']},
     'x.gpus[0]: node forge has no GPU RTX 5090; it has RTX 4070 Ti Super, RX 7900 XT, Radeon RX 6700'),
    ({'name': 'k3s-gpu3', 'vmid': 213, 'cores': 2, 'memory_gb': 1, 'gpus': ['RX 6700 XT']},
     'k3s-gpu3: RX 6700 XT (0000:07:00) shares IOMMU group 16 with 0000:08:00.0 (600 Series Chipset USB 3.2, '
     '1022:43f7), which stays on the host: a split IOMMU group cannot be passed through'),
])
def test_refusals_name_the_guest_and_the_reason(extra, reason):
    guests = SEED + [extra] if extra['name'] == 'big' else SEED[:3] + [extra]
    _plan, refusals = plan_guests(guests, 'forge', PCI, 128 * GIB, 16, DECLARED)
    assert any(r.startswith(reason) for r in refusals), refusals
    assert len(refusals) == 1, refusals


def test_iommu_off_is_a_refusal():
    pci = [dict(d, iommugroup=-1) for d in PCI]
    _plan, refusals = plan_guests(SEED[1:2], 'forge', pci, 128 * GIB, 16, DECLARED)
    assert refusals == ['k3s-gpu1: RTX 4070 Ti Super (0000:01:00): IOMMU is off on forge (iommugroup -1); the node '
                        'role turns it on (kernel command line), then reboot the node']


def test_two_cards_of_one_id_and_only_one_to_a_guest():
    twin = [dict(d, id=d['id'].replace('0000:01:', '0000:02:'), iommugroup=30)
            for d in PCI if d['id'].startswith('0000:01')]
    _plan, refusals = plan_guests(SEED[1:2], 'forge', PCI + twin, 128 * GIB, 16, DECLARED)
    assert any('vfio-pci ids=10de:2705 would also take 0000:02:00.0' in r for r in refusals)


def test_other_nodes_guests_are_not_counted():
    _plan, refusals = plan_guests(SEED + [{'name': 'far', 'vmid': 300, 'cores': 1, 'memory_gb': 512, 'node': 'pve2'}],
                                  'forge', PCI, 128 * GIB, 16, DECLARED)
    assert refusals == []


def test_desired_config_and_the_gotchas_of_its_values():
    plan, _r = plan_guests(SEED[1:2], 'forge', PCI, 128 * GIB, 16, DECLARED)
    guest = dict(SEED[1], disks=[{'storage': 'local-lvm', 'size_gb': 64}], networks=[{'bridge': 'vmbr0', 'vlan': 30}],
                 tags=['K3s', 'gpu'], cloud_init={'user': 'k3s', 'ssh_keys': ['ssh-ed25519 AAAA+b me@desk']})
    config = desired_config(guest, plan['guests'][0]['devices'])
    assert config['hostpci0'] == 'mapping=rtx-4070-ti-super,pcie=1'
    assert config['net0'] == 'virtio,bridge=vmbr0,tag=30'
    assert config['tags'] == 'gpu;k3s'
    assert config['memory'] == '32768' and config['bios'] == 'ovmf' and config['machine'] == 'q35'
    assert config['sshkeys'] == 'ssh-ed25519%20AAAA%2Bb%20me%40desk%0A'
    assert config['scsi0'] == 'local-lvm:64,discard=on,iothread=1,ssd=1'


@pytest.mark.parametrize('current, want, expect', [
    ({'scsi0': 'local-lvm:vm-211-disk-0,discard=on,size=64G'}, {'scsi0': 'local-lvm:64'}, ({}, {}, [])),
    ({'scsi0': 'local-lvm:vm-211-disk-0,size=32G'}, {'scsi0': 'local-lvm:64'}, ({}, {'scsi0': '64G'}, [])),
    ({'scsi0': 'local-lvm:vm-211-disk-0,size=128G'}, {'scsi0': 'local-lvm:64', 'name': 'g'},
     ({'name': 'g'}, {}, ['g: scsi0 is 128 GB, the plan says 64 GB: disks are never shrunk'])),
    ({'net0': 'virtio=BC:24:11:00:00:01,bridge=vmbr0,tag=30'}, {'net0': 'virtio,bridge=vmbr0,tag=30'}, ({}, {}, [])),
    ({'net0': 'virtio=BC:24:11:00:00:01,bridge=vmbr0,tag=30'}, {'net0': 'virtio,bridge=vmbr0,tag=40'},
     ({'net0': 'virtio,bridge=vmbr0,tag=40'}, {}, [])),
    ({'cores': 8, 'memory': '32768'}, {'cores': 8, 'memory': '32768'}, ({}, {}, [])),
    ({'cores': 4}, {'cores': 8}, ({'cores': 8}, {}, [])),
    ({'ide2': 'local-lvm:vm-201-cloudinit,media=cdrom'}, {'ide2': 'local-lvm:cloudinit'}, ({}, {}, [])),
])
def test_config_changes(current, want, expect):
    assert config_changes(current, want) == expect


def test_mapping_id():
    assert mapping_id('RX 7900 XT') == 'rx-7900-xt'
