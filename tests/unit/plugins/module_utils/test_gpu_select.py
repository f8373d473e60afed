"""The vendor tables and choices, per release. Ubuntu's selection is checked against package metadata recorded from
archive.ubuntu.com (fixtures/gpu_apt/ubuntu-*.Packages): every package it names exists there and is not a
transitional dummy that would carry the host to another branch."""

import os

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils import _gpu_select as sel

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'gpu_apt')
ADA = {'vendor': 'nvidia', 'pci_name': 'AD103 [GeForce RTX 4070 Ti SUPER]', 'compute_capability': '8.9'}
PASCAL = {'vendor': 'nvidia', 'pci_name': 'GP104 [GeForce GTX 1080]', 'compute_capability': None}
BLACKWELL = {'vendor': 'nvidia', 'pci_name': 'GB202 [GeForce RTX 5090]', 'compute_capability': '12.0'}
KERNELS = {'debian12': '6.1.0-41-amd64', 'debian13': '6.12.57+deb13-amd64', 'ubuntu2204': '5.15.0-161-generic',
           'ubuntu2404': '6.8.0-90-generic'}
GIVEN = {'debian12': ('Debian', '12'), 'debian13': ('Debian', '13.2'), 'ubuntu2204': ('Ubuntu', '22.04'),
         'ubuntu2404': ('Ubuntu', '24.04')}
REL = {k: sel.release_of(*v) for k, v in GIVEN.items()}


def archive(release):
    """{package: {field: value}} of the recorded Ubuntu metadata."""
    with open(os.path.join(FIXTURES, 'ubuntu-%s.Packages' % release)) as handle:
        text = handle.read()
    out = {}
    for block in text.split('\n\n'):
        fields = dict(line.split(': ', 1) for line in block.splitlines() if not line.startswith('#') and ': ' in line)
        if 'Package' in fields:
            out[fields['Package']] = fields
    return out


@pytest.mark.parametrize('given, expected', [
    (('Debian', '12'), 'debian12'), (('debian', '12.12'), 'debian12'), (('Debian', '13'), 'debian13'),
    (('Ubuntu', '22.04'), 'ubuntu2204'), (('Ubuntu', '24.04'), 'ubuntu2404'),
])
def test_release_of(given, expected):
    assert sel.release_of(*given)['key'] == expected


@pytest.mark.parametrize('given', [('Debian', '11'), ('Ubuntu', '20.04'), ('Fedora', '40'), (None, None)])
def test_release_of_unknown(given):
    with pytest.raises(sel.SelectError, match=r'expected one of Debian 12, Debian 13, Ubuntu 22.04, Ubuntu 24.04, got'):
        sel.release_of(*given)


@pytest.mark.parametrize('gpu, arch', [
    ({'compute_capability': '5.2'}, 'maxwell'), ({'compute_capability': '6.1'}, 'pascal'),
    ({'compute_capability': '7.0'}, 'volta'), ({'compute_capability': '7.5'}, 'turing'),
    ({'compute_capability': '8.6'}, 'ampere'), ({'compute_capability': '8.9'}, 'ada'),
    ({'compute_capability': '9.0'}, 'hopper'), ({'compute_capability': '12.0'}, 'blackwell'),
    ({'pci_name': 'TU104 [GeForce RTX 2080]'}, 'turing'), ({'pci_name': 'GM204 [GeForce GTX 970]'}, 'maxwell'),
    ({'pci_name': 'GB202 [GeForce RTX 5090]'}, 'blackwell'), ({'pci_name': 'Device 2c02'}, None), ({}, None),
])
def test_nvidia_arch(gpu, arch):
    assert sel.nvidia_arch(gpu) == arch


@pytest.mark.parametrize('release, gpus, settings, modules, packages', [
    ('debian12', [ADA], {}, 'proprietary', ['nvidia-driver', 'firmware-misc-nonfree', 'nvidia-kernel-dkms',
                                            'nvidia-smi', 'dkms', 'linux-headers-amd64', 'nvidia-persistenced']),
    ('debian13', [ADA], {}, 'open', ['nvidia-driver', 'firmware-misc-nonfree', 'nvidia-open-kernel-dkms',
                                     'nvidia-smi', 'dkms', 'linux-headers-amd64', 'nvidia-persistenced']),
    ('debian13', [ADA, PASCAL], {}, 'proprietary', None),
    ('debian13', [ADA], {'nvidia_open': False, 'nvidia_persistence': False}, 'proprietary',
     ['nvidia-driver', 'firmware-misc-nonfree', 'nvidia-kernel-dkms', 'nvidia-smi', 'dkms', 'linux-headers-amd64']),
])
def test_debian_nvidia(release, gpus, settings, modules, packages):
    got = sel.nvidia(REL[release], gpus, settings, 'amd64', KERNELS[release])
    assert got['modules'] == modules and got['source'] == 'debian' and got['secure_boot'] == 'dkms'
    if packages:
        assert got['steps'] == [packages]


def test_proxmox_headers():
    got = sel.nvidia(REL['debian12'], [ADA], {}, 'amd64', '6.8.12-4-pve', proxmox=True)
    assert 'proxmox-default-headers' in got['steps'][0] and 'linux-headers-amd64' not in got['steps'][0]


@pytest.mark.parametrize('release, gpus, settings, error', [
    ('debian12', [ADA], {'nvidia_open': True}, "Debian 12's open modules .* do not follow the driver's security"),
    ('debian12', [BLACKWELL], {}, 'Debian 12 ships driver 535, and Blackwell GPUs need 570'),
    ('debian13', [BLACKWELL], {}, 'Debian 13 ships driver 550'),
    ('debian13', [PASCAL], {'nvidia_open': True},
     'the open kernel modules need Turing or newer, and this host has a Pascal'),
    ('ubuntu2404', [PASCAL], {'nvidia_branch': '590'}, 'branch 590 does not drive Pascal GPUs'),
    ('debian13', [BLACKWELL], {'nvidia_source': 'cuda', 'nvidia_branch': '565'}, 'branch 565 does not drive Blackwell'),
])
def test_nvidia_refusals(release, gpus, settings, error):
    with pytest.raises(sel.SelectError, match=error):
        sel.nvidia(REL[release], gpus, settings, 'amd64', KERNELS[release])


@pytest.mark.parametrize('gpus, settings, steps, branch', [
    ([ADA], {}, [['nvidia-open', 'linux-headers-amd64']], None),
    ([ADA], {'nvidia_branch': '580'}, [['nvidia-driver-pinning-580'], ['nvidia-open', 'linux-headers-amd64']], '580'),
    ([PASCAL], {}, [['nvidia-driver-pinning-580'], ['cuda-drivers', 'linux-headers-amd64']], '580'),
    ([ADA], {'nvidia_open': False}, [['cuda-drivers', 'linux-headers-amd64']], None),
    ([BLACKWELL], {}, [['nvidia-open', 'linux-headers-amd64']], None),
])
def test_cuda_repository(gpus, settings, steps, branch):
    got = sel.nvidia(REL['debian13'], gpus, dict(settings, nvidia_source='cuda'), 'amd64', KERNELS['debian13'])
    assert (got['steps'], got['branch'], got['source']) == (steps, branch, 'cuda')


@pytest.mark.parametrize('release, kernel, flavour', [
    ('ubuntu2404', '6.8.0-90-generic', 'generic'), ('ubuntu2404', '6.14.0-36-generic', 'generic-hwe-24.04'),
    ('ubuntu2204', '5.15.0-161-generic', 'generic'), ('ubuntu2204', '6.8.0-90-generic', 'generic-hwe-22.04'),
    ('ubuntu2404', '6.8.0-1040-aws', 'aws'), ('ubuntu2404', '6.8.0-90-lowlatency', 'lowlatency'),
    ('ubuntu2404', '6.9.3-custom', None), ('ubuntu2404', '6.8.12-4-pve', None),
])
def test_ubuntu_flavour(release, kernel, flavour):
    assert sel.ubuntu_flavour(REL[release], kernel) == flavour


UBUNTU_CASES = [
    ('ubuntu2404', 'noble', '6.8.0-90-generic', [ADA], {}),
    ('ubuntu2404', 'noble', '6.14.0-36-generic', [ADA], {}),
    ('ubuntu2404', 'noble', '6.8.0-90-generic', [PASCAL], {}),
    ('ubuntu2404', 'noble', '6.8.0-90-generic', [BLACKWELL], {'nvidia_branch': '595'}),
    ('ubuntu2404', 'noble', '6.8.0-90-generic', [ADA], {'nvidia_server': False}),
    ('ubuntu2404', 'noble', '6.8.0-90-lowlatency', [ADA], {'nvidia_open': False}),
    ('ubuntu2204', 'jammy', '5.15.0-161-generic', [ADA], {}),
    ('ubuntu2204', 'jammy', '6.8.0-90-generic', [PASCAL], {}),
]


@pytest.mark.parametrize('release, codename, kernel, gpus, settings', UBUNTU_CASES)
def test_ubuntu_selection_exists_in_the_recorded_archive(release, codename, kernel, gpus, settings):
    got = sel.nvidia(REL[release], gpus, settings, 'amd64', kernel)
    packages = archive(codename)
    assert got['secure_boot'] == 'signed' and got['source'] == 'ubuntu'
    for name in got['steps'][0]:
        assert name in packages, '%s is not in Ubuntu %s' % (name, codename)
        description = packages[name]['Description'].lower()
        assert 'transitional' not in description and 'dummy' not in description, '%s: %s' % (name, description)
    # the prebuilt modules are the branch and kernel flavour of the user space beside them
    modules, headless, utils = got['steps'][0]
    common = packages[modules]['Depends'].split('nvidia-kernel-common-')[1].split(' ')[0]
    assert headless.startswith('nvidia-headless-no-dkms-' + common) and utils == 'nvidia-utils-' + common
    assert modules.endswith('-' + sel.ubuntu_flavour(REL[release], kernel))


def test_ubuntu_without_prebuilt_modules_uses_dkms():
    got = sel.nvidia(REL['ubuntu2404'], [ADA], {}, 'amd64', '6.9.3-custom')
    assert got['steps'] == [['nvidia-headless-580-server-open', 'nvidia-utils-580-server',
                             'linux-headers-6.9.3-custom']]
    assert got['secure_boot'] == 'dkms' and 'DKMS builds them' in got['notes'][0]
    assert 'nvidia-headless-580-server-open' in archive('noble')


def test_a_transitional_branch_would_be_caught():
    # the recorded archive shows why the branch matters: 570 silently becomes 580, 590 becomes 595
    noble = archive('noble')
    assert noble['nvidia-headless-no-dkms-570-server']['Depends'] == 'nvidia-headless-no-dkms-580-server'
    assert 'dummy' in noble['linux-modules-nvidia-590-server-open-generic']['Description']


@pytest.mark.parametrize('release, codename', [('ubuntu2204', 'jammy'), ('ubuntu2404', 'noble')])
def test_ubuntu_amd_and_intel_exist(release, codename):
    packages = archive(codename)
    for name in sel.ROCM_DISTRIBUTION[release] + sel.INTEL[release]:
        assert name in packages, '%s is not in Ubuntu %s' % (name, codename)


@pytest.mark.parametrize('release, settings, packages, suite', [
    ('debian12', {}, ['rocminfo', 'rocm-smi', 'firmware-amd-graphics'], None),
    ('debian12', {'rocm_source': 'amd'}, ['rocminfo', 'rocm-smi-lib', 'rocm-hip-runtime', 'firmware-amd-graphics'],
     'jammy'),
    ('ubuntu2404', {'rocm_source': 'amd'}, ['rocminfo', 'rocm-smi-lib', 'rocm-hip-runtime'], 'noble'),
    ('debian13', {'rocm_source': 'amd', 'rocm_suite': 'noble'}, None, 'noble'),
])
def test_amd(release, settings, packages, suite):
    got = sel.amd(REL[release], settings)
    assert got['suite'] == suite
    if packages:
        assert got['packages'] == packages


def test_amd_repository_without_a_documented_suite():
    with pytest.raises(sel.SelectError, match='AMD documents no suite .* for Debian 13'):
        sel.amd(REL['debian13'], {'rocm_source': 'amd'})


def test_intel_notes_what_the_release_lacks():
    assert 'intel-opencl-icd' not in sel.intel(REL['debian13'])['packages']
    assert 'no OpenCL or Level Zero' in sel.intel(REL['debian13'])['notes'][0]
    assert sel.intel(REL['ubuntu2404'])['notes'] == []


@pytest.mark.parametrize('release, vendors, sources, components', [
    ('debian12', ['nvidia'], {'nvidia': 'debian'}, ['main', 'contrib', 'non-free', 'non-free-firmware']),
    ('debian12', ['amd'], {}, ['main', 'non-free-firmware']),
    ('debian13', ['intel'], {}, ['main', 'non-free', 'non-free-firmware']),
    ('ubuntu2404', ['nvidia'], {'nvidia': 'ubuntu'}, ['main', 'restricted', 'multiverse']),
    ('ubuntu2404', ['nvidia'], {'nvidia': 'cuda'}, ['main']),
    ('ubuntu2204', ['amd', 'intel'], {}, ['main', 'universe', 'multiverse']),
])
def test_components(release, vendors, sources, components):
    assert sel.components(REL[release], vendors, sources) == components
