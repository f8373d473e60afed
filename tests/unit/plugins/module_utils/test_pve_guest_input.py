"""The declared guests checked as input before any request: every field named (issue 15)."""
import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._pve.guest_input import check_guests

CP = {'name': 'k3s-cp', 'vmid': 201, 'cores': 4, 'memory_gb': 8, 'disks': [{'storage': 'local-lvm', 'size_gb': 32}],
      'networks': [{'bridge': 'vmbr0', 'vlan': 30}], 'tags': ['k3s', 'control-plane'],
      'cloud_init': {'user': 'k3s', 'ssh_keys': ['ssh-ed25519 AAAA me@desk'], 'ipconfig': ['ip=dhcp']}}
GPU = {'name': 'k3s-gpu1', 'vmid': 211, 'cores': 8, 'memory_gb': 32, 'gpus': ['RTX 4070 Ti Super'],
       'disks': [{'storage': 'local-lvm', 'size_gb': 64, 'slot': 'scsi0', 'ssd': False}]}


@pytest.mark.parametrize('guests', [
    [],
    [CP, GPU],
    [dict(GPU, gpus=[{'model': 'RX 7900 XT', 'pci': '0000:03:00', 'pcie': True, 'x_vga': False}])],
    [dict(CP, vmid='201', cores='4', memory_gb='0.5', ostype='win11', bios='ovmf', onboot=False, pool='k3s',
          cpu_type='x86-64-v3', node='forge', networks=[{'bridge': 'vmbr1', 'model': 'e1000', 'firewall': True}])],
])
def test_valid_guests_have_no_problems(guests):
    assert check_guests(guests) == []


@pytest.mark.parametrize('guest, problem', [
    ({'name': 'k3s'}, 'guests[0].vmid: required, got nothing'),
    (dict(CP, memory=8), "guests[0].memory: unknown key (did you mean 'memory_gb'?); known: name, vmid"),
    (dict(CP, name='k3s cp'), "guests[0].name: expected a DNS name (letters, digits, -), got 'k3s cp'"),
    (dict(CP, vmid=99), 'guests[0].vmid: expected an integer 100-999999999, got 99'),
    (dict(CP, vmid=True), 'guests[0].vmid: expected an integer 100-999999999, got True'),
    (dict(CP, cores='four'), "guests[0].cores: expected an integer 1-8192, got 'four'"),
    (dict(CP, memory_gb='lots'), "guests[0].memory_gb: expected a size in GB (at least 16 MiB), got 'lots'"),
    (dict(CP, disks={'storage': 'x'}), "guests[0].disks: expected a list of mappings, got {'storage': 'x'}"),
    (dict(CP, disks=[{'size_gb': 8}]), 'guests[0].disks[0].storage: expected a storage id (local-lvm, ...), got None'),
    (dict(CP, disks=[{'storage': 'local-lvm', 'size_gb': 0}]),
     'guests[0].disks[0].size_gb: expected a size in GB above 0, got 0'),
    (dict(CP, disks=[{'storage': 'local-lvm', 'size_gb': 8, 'slot': 'scsi31'}]),
     "guests[0].disks[0].slot: expected scsi0-30, virtio0-15, sata0-5 or ide0-3, got 'scsi31'"),
    (dict(CP, disks=[{'storage': 'local-lvm', 'size_gb': 8}, {'storage': 'nas', 'size_gb': 8, 'slot': 'scsi0'}]),
     'guests[0].disks[1].slot: scsi0 is also guests[0].disks[0]'),
    (dict(CP, disks=[{'storage': 'local-lvm', 'size_gb': 8, 'sizegb': 9}]),
     "guests[0].disks[0].sizegb: unknown key (did you mean 'size_gb'?)"),
    (dict(CP, disks=[{'storage': 'local-lvm', 'size_gb': 8, 'ssd': 'yes'}]),
     "guests[0].disks[0].ssd: expected a boolean, got 'yes'"),
    (dict(CP, networks=[{'bridge': 'vmbr0', 'vlan': 4095}]), 'guests[0].networks[0].vlan: expected a VLAN tag 1-4094'),
    (dict(CP, networks=[{'bridge': 'vmbr 0'}]), "guests[0].networks[0].bridge: expected a bridge name (vmbr0)"),
    (dict(CP, networks=[{'model': 'virtio-net'}]), "guests[0].networks[0].model: expected one of virtio, e1000"),
    (dict(CP, networks=[{'firewall': 'on'}]), "guests[0].networks[0].firewall: expected a boolean, got 'on'"),
    (dict(CP, gpus='RTX 4090'), "guests[0].gpus: expected a list of GPU models or mappings, got 'RTX 4090'"),
    (dict(CP, gpus=[4090]), 'guests[0].gpus[0]: expected a GPU model (RTX 4070 Ti Super) or a mapping, got 4090'),
    (dict(CP, gpus=[{'pcie': True}]), 'guests[0].gpus[0].model: required (or pci), got nothing'),
    (dict(CP, gpus=[{'model': 'x', 'pci': '1:0'}]), "guests[0].gpus[0].pci: expected a PCI bus id like 0000:01:00"),
    (dict(CP, gpus=[{'model': 'x', 'x_vga': 'yes'}]), "guests[0].gpus[0].x_vga: expected a boolean, got 'yes'"),
    (dict(CP, gpus=[{'model': 'x', 'vram': 8}]), 'guests[0].gpus[0].vram: unknown key'),
    (dict(CP, cloud_init='k3s'), "guests[0].cloud_init: expected a mapping, got 'k3s'"),
    (dict(CP, cloud_init={'ssh_keys': 'ssh-ed25519 AAAA'}),
     "guests[0].cloud_init.ssh_keys: expected a list of strings, got 'ssh-ed25519 AAAA'"),
    (dict(CP, cloud_init={'users': 'k3s'}), "guests[0].cloud_init.users: unknown key (did you mean 'user'?)"),
    (dict(CP, cloud_init={'storage': 'Local LVM'}), "guests[0].cloud_init.storage: expected a storage id"),
    (dict(CP, tags='k3s'), "guests[0].tags: expected a list of tags (letters, digits, _ - + .), got 'k3s'"),
    (dict(CP, tags=['k3s gpu']), 'guests[0].tags: expected a list of tags'),
    (dict(CP, ostype='linux'), "guests[0].ostype: expected one of other, wxp"),
    (dict(CP, bios='uefi'), "guests[0].bios: expected one of seabios, ovmf, got 'uefi'"),
    (dict(CP, onboot='yes'), "guests[0].onboot: expected a boolean, got 'yes'"),
    (dict(CP, pool=7), 'guests[0].pool: expected a name, got 7'),
    ('k3s-cp', "guests[0]: expected a mapping, got 'k3s-cp'"),
])
def test_guest_problem_names_the_field(guest, problem):
    problems = check_guests([guest])
    assert any(p.startswith(problem) for p in problems), problems


def test_duplicates_and_every_problem_listed():
    problems = check_guests([CP, dict(CP, cores=0), 'x'])
    assert problems == ['guests[1].cores: expected an integer 1-8192, got 0', "guests[1].vmid: 201 is also guests[0]'s",
                        "guests[1].name: k3s-cp is also guests[0]'s", "guests[2]: expected a mapping, got 'x'"]
    assert check_guests('k3s') == ["guests: expected a list of guests, got 'k3s'"]
