"""gpu_stack's plan: sources reused or added without Signed-By conflicts, pins, keyring packages, steps per vendor.
Whether apt resolves these plans against the real archives: tests/integration/targets/gpu_stack_resolve."""

import json
import os

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils import _gpu_apt as apt
from ansible_collections.homelab.cluster.plugins.module_utils import _gpu_sources as src

ROOT = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..')
with open(os.path.join(ROOT, 'molecule', 'gpu_stack', 'files', 'forge-gpus.json')) as _handle:
    FORGE = json.load(_handle)
ADA = {'vendor': 'nvidia', 'pci_name': 'AD103 [GeForce RTX 4070 Ti SUPER]', 'compute_capability': '8.9'}
RDNA3 = {'vendor': 'amd', 'gfx_target': 'gfx1100'}
ARC = {'vendor': 'intel', 'pci_name': 'DG2 [Arc A770]'}
BOOKWORM = {'distribution': 'Debian', 'version': '12', 'arch': 'x86_64', 'kernel': '6.1.0-41-amd64'}
TRIXIE = {'distribution': 'Debian', 'version': '13', 'arch': 'x86_64', 'kernel': '6.12.57+deb13-amd64'}
NOBLE = {'distribution': 'Ubuntu', 'version': '24.04', 'arch': 'x86_64', 'kernel': '6.8.0-90-generic'}
INSTALLER_12 = {'/etc/apt/sources.list': (
    'deb http://deb.debian.org/debian/ bookworm main non-free-firmware\n'
    'deb http://security.debian.org/debian-security bookworm-security main non-free-firmware\n'
    'deb http://deb.debian.org/debian/ bookworm-updates main non-free-firmware\n')}
TRIXIE_822 = {'/etc/apt/sources.list.d/debian.sources': (
    'Types: deb\nURIs: http://ftp.de.debian.org/debian/\nSuites: trixie trixie-updates\nComponents: main\n'
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n'
    'Types: deb\nURIs: http://security.debian.org/debian-security/\nSuites: trixie-security\nComponents: main\n'
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n')}
NOBLE_822 = {'/etc/apt/sources.list.d/ubuntu.sources': (
    'Types: deb\nURIs: http://archive.ubuntu.com/ubuntu/\nSuites: noble noble-updates noble-backports\n'
    'Components: main restricted universe multiverse\nSigned-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n\n'
    'Types: deb\nURIs: http://security.ubuntu.com/ubuntu/\nSuites: noble-security\n'
    'Components: main restricted universe multiverse\nSigned-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg\n')}
VENDOR_12 = {
    '/etc/apt/sources.list': INSTALLER_12['/etc/apt/sources.list'].replace(
        'main non-free-firmware', 'main contrib non-free non-free-firmware'),
    '/etc/apt/sources.list.d/cuda-debian12-x86_64.list': (
        'deb [signed-by=/usr/share/keyrings/cuda-archive-keyring.gpg] '
        'https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/ /\n'),
    '/etc/apt/sources.list.d/nvidia-container-toolkit.list': (
        'deb [signed-by=/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg] '
        'https://nvidia.github.io/libnvidia-container/stable/deb/$(ARCH) /\n'),
    '/etc/apt/sources.list.d/rocm.list': (
        'deb [arch=amd64 signed-by=/etc/apt/keyrings/rocm.gpg] https://repo.radeon.com/rocm/apt/6.4 jammy main\n'),
}
ROCM_PIN = {'/etc/apt/preferences.d/rocm-pin-600': 'Package: *\nPin: release o=repo.radeon.com\nPin-Priority: 600\n'}


def entries_of(plan):
    return [e for s in plan['sources'] if s['content'] for e in src.parse_deb822(s['content'], s['path'])]


def test_no_gpu_plans_nothing():
    plan = apt.plan({'distribution': 'Fedora', 'version': '40'}, [{'vendor': 'amd', 'integrated': True}], {}, {})
    assert plan['vendors'] == [] and plan['steps'] == [] and plan['sources'] == [] and plan['release'] is None


def test_unsupported_release_with_a_gpu():
    with pytest.raises(apt.select.SelectError, match='got Debian 11'):
        apt.plan({'distribution': 'Debian', 'version': '11'}, [ADA], {}, {})


def test_usable_leaves_out_integrated_passthrough_and_accelerators():
    models = [g['model'] for g in apt.usable(FORGE)]
    assert models == ['GeForce RTX 4070 Ti SUPER', 'Radeon RX 7900 XT', 'Radeon RX 6700 XT']


def test_installer_bookworm_gets_its_missing_components_on_its_own_lines():
    plan = apt.plan(BOOKWORM, FORGE, {}, INSTALLER_12)
    assert plan['release'] == 'debian12' and plan['vendors'] == ['amd', 'nvidia'] and plan['errors'] == {}
    ours = entries_of(plan)
    assert [(e['uris'][0], e['suites'][0], e['components'], e['options']) for e in ours[:3]] == [
        ('http://deb.debian.org/debian/', 'bookworm', ['contrib', 'non-free'], {}),
        ('http://deb.debian.org/debian/', 'bookworm-updates', ['contrib', 'non-free'], {}),
        ('http://security.debian.org/debian-security', 'bookworm-security', ['contrib', 'non-free'], {})]
    assert [s['vendor'] for s in plan['steps']] == ['nvidia', 'nvidia-container-toolkit', 'amd']
    assert plan['nvidia'] == {'modules': 'proprietary', 'branch': '535', 'source': 'debian', 'secure_boot': 'dkms'}
    toolkit = plan['sources'][1]
    assert toolkit['key'] == {'src': 'https://nvidia.github.io/libnvidia-container/gpgkey',
                              'dest': '/etc/apt/keyrings/homelab-gpu-nvidia-container-toolkit.asc'}
    assert plan['groups'] == ['render', 'video'] and plan['conflicts'] == [] and plan['pins'] == []


def test_deb822_host_with_a_mirror_and_signed_by():
    plan = apt.plan(TRIXIE, [ADA], {'container_toolkit': False}, TRIXIE_822)
    ours = entries_of(plan)
    assert {(e['uris'][0], e['suites'][0]) for e in ours} == {
        ('http://ftp.de.debian.org/debian/', 'trixie'), ('http://ftp.de.debian.org/debian/', 'trixie-updates'),
        ('http://security.debian.org/debian-security/', 'trixie-security')}
    assert all(e['options'] == {'signed-by': '/usr/share/keyrings/debian-archive-keyring.gpg'} for e in ours)
    assert all(e['components'] == ['contrib', 'non-free', 'non-free-firmware'] for e in ours)
    assert plan['nvidia']['modules'] == 'open' and plan['conflicts'] == []


def test_a_host_without_security_gets_it_from_the_default_mirror():
    files = {'/etc/apt/sources.list': 'deb http://deb.debian.org/debian bookworm main\n'}
    plan = apt.plan(BOOKWORM, [RDNA3], {'debian_security_mirror': 'http://mirror.lan/debian-security'}, files)
    ours = entries_of(plan)
    assert [(e['uris'][0], e['suites'][0], e['components']) for e in ours] == [
        ('http://deb.debian.org/debian', 'bookworm', ['non-free-firmware']),
        ('http://mirror.lan/debian-security', 'bookworm-security', ['main', 'non-free-firmware'])]
    assert ours[1]['options'] == {'signed-by': '/usr/share/keyrings/debian-archive-keyring.gpg'}


def test_vendor_host_is_reused_whole():
    settings = {'nvidia_source': 'cuda', 'nvidia_branch': '580', 'rocm_source': 'amd'}
    plan = apt.plan(BOOKWORM, [ADA, RDNA3], settings, VENDOR_12, ROCM_PIN)
    assert [s['content'] for s in plan['sources']] == [None, None, None]
    assert {s['name']: s['reuse'] for s in plan['sources']} == {
        'cuda': '/etc/apt/sources.list.d/cuda-debian12-x86_64.list',
        'rocm': '/etc/apt/sources.list.d/rocm.list',
        'nvidia-container-toolkit': '/etc/apt/sources.list.d/nvidia-container-toolkit.list'}
    assert plan['keyring_debs'] == [] and plan['conflicts'] == []
    # AMD's pin is there; NVIDIA's is not, so ours is added
    assert [p['path'] for p in plan['pins']] == ['/etc/apt/preferences.d/homelab-gpu-cuda-pin-600']
    assert 'Pin: release l=NVIDIA CUDA' in plan['pins'][0]['content']
    assert plan['steps'][0]['packages'] == ['nvidia-driver-pinning-580']


def test_fresh_cuda_host_installs_cuda_keyring_and_pins():
    plan = apt.plan(BOOKWORM, [ADA, RDNA3], {'nvidia_source': 'cuda', 'rocm_source': 'amd'}, INSTALLER_12)
    assert plan['keyring_debs'] == [{'vendor': 'nvidia', 'package': 'cuda-keyring', 'url':
                                     'https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/'
                                     'cuda-keyring_1.1-1_all.deb'}]
    rocm = [s for s in plan['sources'] if s['name'] == 'rocm'][0]
    assert 'URIs: https://repo.radeon.com/rocm/apt/6.4\nSuites: jammy\nComponents: main' in rocm['content']
    assert rocm['key'] == {'src': 'https://repo.radeon.com/rocm/rocm.gpg.key',
                           'dest': '/etc/apt/keyrings/homelab-gpu-rocm.asc'}
    assert sorted(p['path'] for p in plan['pins']) == ['/etc/apt/preferences.d/homelab-gpu-cuda-pin-600',
                                                       '/etc/apt/preferences.d/homelab-gpu-rocm-pin-600']
    # Debian's contrib is still needed next to NVIDIA's repository
    assert 'contrib' in entries_of(plan)[0]['components']


def test_legacy_files_are_removed_and_not_reused():
    files = dict(VENDOR_12, **{'/etc/apt/sources.list.d/homelab-cuda.sources': (
        '# Ansible managed\nTypes: deb\nURIs: https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/\n'
        'Suites: /\nSigned-By: /etc/apt/keyrings/homelab-cuda.asc\n')})
    plan = apt.plan(BOOKWORM, [ADA], {'nvidia_source': 'cuda'}, files)
    assert plan['remove'] == ['/etc/apt/sources.list.d/homelab-cuda.sources'] and plan['conflicts'] == []


def test_one_vendor_refused_the_others_planned():
    blackwell = {'vendor': 'nvidia', 'pci_name': 'GB202 [GeForce RTX 5090]'}
    plan = apt.plan(TRIXIE, [blackwell, RDNA3, ARC], {'rocm_source': 'amd'}, TRIXIE_822)
    assert set(plan['errors']) == {'nvidia', 'amd'}
    assert [s['vendor'] for s in plan['steps']] == ['intel']
    assert plan['notes'] == ['intel: ' + apt.select.INTEL_MISSING['debian13']]
    # Intel's components only: nothing of NVIDIA's was planned
    assert entries_of(plan)[0]['components'] == ['non-free', 'non-free-firmware']


def test_intel_off():
    plan = apt.plan(TRIXIE, [ARC], {'intel': False}, TRIXIE_822)
    assert plan['vendors'] == [] and plan['steps'] == []


def test_ubuntu_default_sources_need_nothing_added():
    plan = apt.plan(NOBLE, [ADA, RDNA3, ARC], {}, NOBLE_822)
    assert [s['name'] for s in plan['sources']] == ['nvidia-container-toolkit']
    assert plan['steps'][0]['packages'] == ['linux-modules-nvidia-580-server-open-generic',
                                            'nvidia-headless-no-dkms-580-server-open', 'nvidia-utils-580-server']
    assert plan['nvidia']['secure_boot'] == 'signed'


def test_ubuntu_arm64_uses_ports_for_a_missing_suite():
    host = dict(NOBLE, arch='aarch64', kernel='6.8.0-90-generic')
    plan = apt.plan(host, [RDNA3], {}, {})
    ours = entries_of(plan)
    assert {e['uris'][0] for e in ours} == {'http://ports.ubuntu.com/ubuntu-ports'}
    assert all(e['options'] == {'signed-by': '/usr/share/keyrings/ubuntu-archive-keyring.gpg'} for e in ours)


def test_a_host_that_already_conflicts_is_reported():
    files = dict(VENDOR_12, **{'/etc/apt/sources.list.d/other.list': (
        'deb [signed-by=/etc/apt/keyrings/mine.gpg] '
        'https://nvidia.github.io/libnvidia-container/stable/deb/amd64 /\n')})
    plan = apt.plan(BOOKWORM, [ADA], {}, files)
    assert len(plan['conflicts']) == 1 and 'libnvidia-container' in plan['conflicts'][0]


def test_a_vendor_repository_sharing_the_suite_name_is_not_the_archive():
    files = dict(NOBLE_822, **{'/etc/apt/sources.list.d/amdgpu.list': (
        'deb [arch=amd64 signed-by=/etc/apt/keyrings/rocm.gpg] https://repo.radeon.com/amdgpu/6.4/ubuntu noble main\n'),
        '/etc/apt/sources.list.d/rocm.list': (
        'deb [arch=amd64 signed-by=/etc/apt/keyrings/rocm.gpg] https://repo.radeon.com/rocm/apt/6.4 noble main\n')})
    files['/etc/apt/sources.list.d/ubuntu.sources'] = files['/etc/apt/sources.list.d/ubuntu.sources'].replace(
        'main restricted universe multiverse', 'main')
    plan = apt.plan(NOBLE, [RDNA3], {}, files)
    assert {e['uris'][0] for e in entries_of(plan)} == {'http://archive.ubuntu.com/ubuntu/',
                                                        'http://security.ubuntu.com/ubuntu/'}
    assert plan['conflicts'] == []


@pytest.mark.parametrize('gpus, error', [
    ('nvidia', "gpus: expected a list of gpu_info records, got 'nvidia'"),
    ([ADA, 'amd'], "gpus[1]: expected a gpu_info record (a mapping), got 'amd'"),
    ([{'vendor': 'nvidia', 'pci_name': ['AD103']}], "gpus[0].pci_name: expected a string, got ['AD103']"),
    ([{'vendor': 7}], 'gpus[0].vendor: expected a string, got 7'),
    ([{'vendor': 'nvidia', 'compute_capability': True}], 'gpus[0].compute_capability: expected a version like 8.9'),
])
def test_malformed_gpu_records_name_the_field(gpus, error):
    with pytest.raises(apt.select.SelectError) as caught:
        apt.plan(BOOKWORM, gpus, {}, INSTALLER_12)
    assert str(caught.value).startswith(error)


def test_a_numeric_compute_capability_is_read():
    plan = apt.plan(TRIXIE, [{'vendor': 'nvidia', 'compute_capability': 6.1}], {}, TRIXIE_822)
    assert plan['nvidia']['modules'] == 'proprietary'
