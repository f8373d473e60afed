# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each vendor path installs, per release, without I/O: the single source of truth that gpu_stack (through
homelab.cluster.gpu_packages_info) and the resolution test (tests/integration/targets/gpu_stack_resolve) both use.

Every table names the document it follows; roles/gpu_stack/README.md lists them with their versions.

Private to homelab.cluster: not a public API.
"""

from __future__ import annotations

import re

# The releases gpu_stack supports: distribution + version -> codename, the CUDA repository's directory name
# (also our key for a release), and Ubuntu's GA kernel (a newer running kernel is the HWE one).
RELEASES = {
    ('debian', '12'): {'codename': 'bookworm', 'key': 'debian12'},
    ('debian', '13'): {'codename': 'trixie', 'key': 'debian13'},
    ('ubuntu', '22.04'): {'codename': 'jammy', 'key': 'ubuntu2204', 'ga_kernel': '5.15'},
    ('ubuntu', '24.04'): {'codename': 'noble', 'key': 'ubuntu2404', 'ga_kernel': '6.8'},
}

# NVIDIA architectures in order; the open kernel modules need Turing or newer; branch 580 is the last that
# drives Maxwell, Pascal and Volta, and Blackwell needs 570 or newer (NVIDIA driver installation guide r580,
# "Recent updates" and the 580 release notes).
NVIDIA_ARCHS = ('maxwell', 'pascal', 'volta', 'turing', 'ampere', 'ada', 'hopper', 'blackwell')
_NVIDIA_CHIPS = {'GM': 'maxwell', 'GP': 'pascal', 'GV': 'volta', 'TU': 'turing', 'GA': 'ampere', 'AD': 'ada',
                 'GH': 'hopper', 'GB': 'blackwell'}
LAST_PRE_TURING_BRANCH = 580
FIRST_BLACKWELL_BRANCH = 570

# Debian's own NVIDIA driver per release (non-free; the open modules and nvidia-persistenced are in contrib).
# bookworm: the driver gets security updates (535.x in bookworm-security non-free, its GSP firmware in
# non-free-firmware) while nvidia-open-kernel-dkms stays at the point release's version in contrib, so the open
# modules cannot follow the driver: proven by tests/integration/targets/gpu_stack_resolve (debian12 open).
DEBIAN_NVIDIA = {
    'debian12': {'branch': 535, 'open': False},
    'debian13': {'branch': 550, 'open': True},
}

# Ubuntu kernel flavours with Canonical's signed, prebuilt modules (linux-modules-nvidia-<branch>-<flavour>)
UBUNTU_PREBUILT_FLAVOURS = ('generic', 'lowlatency', 'aws', 'azure', 'gcp', 'oracle', 'ibm', 'nvidia')

# AMD: Debian's and Ubuntu's own ROCm user space, or AMD's repository (ROCm installation for Linux, "Ubuntu" and
# "Debian" native package manager pages: rocm.list with the Ubuntu suite, Debian 12 using jammy, the pin file).
ROCM_DISTRIBUTION = {
    'debian12': ['rocminfo', 'rocm-smi', 'firmware-amd-graphics'],
    'debian13': ['rocminfo', 'rocm-smi', 'firmware-amd-graphics'],
    'ubuntu2204': ['rocminfo'],
    'ubuntu2404': ['rocminfo', 'rocm-smi'],
}
ROCM_SUITES = {'debian12': 'jammy', 'ubuntu2204': 'jammy', 'ubuntu2404': 'noble'}
ROCM_AMD = ['rocminfo', 'rocm-smi-lib', 'rocm-hip-runtime']

# Intel Arc: only what the release has (Debian 13 dropped intel-compute-runtime; Level Zero's GPU driver
# libze-intel-gpu1 exists from Ubuntu 24.04 on). Firmware for DG2/Battlemage (i915/xe GuC, HuC) is in
# Debian's firmware-misc-nonfree.
INTEL = {
    'debian12': ['intel-opencl-icd', 'intel-media-va-driver-non-free', 'vainfo', 'clinfo', 'firmware-misc-nonfree'],
    'debian13': ['intel-media-va-driver-non-free', 'vainfo', 'clinfo', 'firmware-misc-nonfree'],
    'ubuntu2204': ['intel-opencl-icd', 'intel-media-va-driver-non-free', 'vainfo', 'clinfo'],
    'ubuntu2404': ['intel-opencl-icd', 'libze-intel-gpu1', 'libze1', 'intel-media-va-driver-non-free', 'vainfo',
                   'clinfo'],
}
INTEL_MISSING = {
    'debian12': 'Debian 12 has no Level Zero GPU driver (OpenCL only)',
    'debian13': 'Debian 13 has no OpenCL or Level Zero runtime for Intel GPUs (intel-compute-runtime was '
                'removed); Intel publishes .debs with each compute-runtime release on GitHub',
    'ubuntu2204': 'Ubuntu 22.04 has no Level Zero GPU driver (OpenCL only)',
}

# The archive components each vendor's distribution packages come from
DEBIAN_COMPONENTS = {
    'nvidia': ['main', 'contrib', 'non-free', 'non-free-firmware'],
    'amd': ['main', 'non-free-firmware'],
    'intel': ['main', 'non-free', 'non-free-firmware'],
}
UBUNTU_COMPONENTS = {
    'nvidia': ['main', 'restricted', 'multiverse'],
    'amd': ['main', 'universe'],
    'intel': ['main', 'universe', 'multiverse'],
}


class SelectError(ValueError):
    """A vendor path that cannot work on this host; the message says why and what would."""


def release_of(distribution, version):
    """('Debian', '12.5') or ('Ubuntu', '24.04') -> the RELEASES entry (with 'distribution'), or SelectError."""
    dist = (distribution or '').lower()
    ver = str(version or '')
    key = (dist, ver.split('.', maxsplit=1)[0]) if dist == 'debian' else (dist, ver)
    if key not in RELEASES:
        known = ', '.join('%s %s' % (d.capitalize(), v) for d, v in sorted(RELEASES))
        raise SelectError('distribution: expected one of %s, got %s %s' % (known, distribution, version))
    return dict(RELEASES[key], distribution=dist, version=key[1])


def nvidia_arch(gpu):
    """An NVIDIA GPU's architecture from nvidia-smi's compute capability, else from the chip in the PCI name."""
    cap = str(gpu.get('compute_capability') or '')
    match = re.match(r'^(\d+)\.(\d+)$', cap)
    if match:
        major, minor = int(match.group(1)), int(match.group(2))
        if major >= 10:
            return 'blackwell'
        table = {5: 'maxwell', 6: 'pascal', 8: 'ada' if minor == 9 else 'ampere', 9: 'hopper'}
        return table.get(major, 'turing' if (major, minor) >= (7, 5) else 'volta' if major == 7 else None)
    chip = re.match(r'^\s*([A-Z]{2})\d', gpu.get('pci_name') or '')
    return _NVIDIA_CHIPS.get(chip.group(1)) if chip else None


def nvidia_generations(gpus):
    """(oldest, newest) architecture of the NVIDIA GPUs; None where unknown."""
    archs = [a for a in (nvidia_arch(g) for g in gpus) if a]
    if not archs:
        return None, None
    order = sorted(archs, key=NVIDIA_ARCHS.index)
    return order[0], order[-1]


def _headers(release, arch, kernel, proxmox):
    """The kernel headers DKMS builds against: the metapackage that follows kernel upgrades."""
    if proxmox:
        return 'proxmox-default-headers'
    if release['distribution'] == 'debian':
        return 'linux-headers-%s' % arch
    return 'linux-headers-%s' % kernel


def ubuntu_flavour(release, kernel):
    """'6.8.0-45-generic' on 24.04 -> 'generic'; a newer kernel than the GA one -> 'generic-hwe-24.04'."""
    match = re.match(r'^(\d+)\.(\d+)\.\d+-\d+-([a-z0-9-]+)$', kernel or '')
    if not match:
        return None
    flavour = match.group(3)
    if flavour not in UBUNTU_PREBUILT_FLAVOURS:
        return None
    if flavour == 'generic' and '%s.%s' % match.group(1, 2) != release['ga_kernel']:
        flavour += '-hwe-%s' % release['version']
    return flavour


def nvidia(release, gpus, settings, arch, kernel, proxmox=False):
    """The NVIDIA steps: {'modules', 'branch', 'steps': [[packages], ...], 'notes': [...], 'secure_boot'}."""
    oldest, newest = nvidia_generations(gpus)
    pre_turing = oldest in NVIDIA_ARCHS[:3]
    blackwell = newest == 'blackwell'
    source = settings.get('nvidia_source') or 'distribution'
    want_open = settings.get('nvidia_open')
    branch = settings.get('nvidia_branch')
    notes = []
    if want_open and pre_turing:
        raise SelectError('the open kernel modules need Turing or newer, and this host has a %s GPU: set '
                          'gpu_stack_nvidia_open to false' % oldest.capitalize())
    if branch and pre_turing and int(branch) > LAST_PRE_TURING_BRANCH:
        raise SelectError('branch %s does not drive %s GPUs (%s is the last branch that does)'
                          % (branch, oldest.capitalize(), LAST_PRE_TURING_BRANCH))
    if branch and blackwell and int(branch) < FIRST_BLACKWELL_BRANCH:
        raise SelectError('branch %s does not drive Blackwell GPUs (%s or newer does)'
                          % (branch, FIRST_BLACKWELL_BRANCH))
    if pre_turing and not branch and source == 'cuda':
        branch = str(LAST_PRE_TURING_BRANCH)
        notes.append('locked to branch %s: the last one that drives this host\'s %s GPU' % (branch, oldest))

    if source == 'distribution' and release['distribution'] == 'debian':
        debian = DEBIAN_NVIDIA[release['key']]
        if blackwell and debian['branch'] < FIRST_BLACKWELL_BRANCH:
            raise SelectError('Debian %s ships driver %s, and Blackwell GPUs need %s or newer: set '
                              'gpu_stack_nvidia_source to cuda' % (release['version'], debian['branch'],
                                                                   FIRST_BLACKWELL_BRANCH))
        if want_open and not debian['open']:
            raise SelectError('Debian %s\'s open modules (nvidia-open-kernel-dkms, contrib) do not follow the '
                              'driver\'s security updates (%s-security), so apt cannot install them: set '
                              'gpu_stack_nvidia_open to false, or gpu_stack_nvidia_source to cuda'
                              % (release['version'], release['codename']))
        use_open = debian['open'] and not pre_turing if want_open is None else want_open
        modules = 'nvidia-open-kernel-dkms' if use_open else 'nvidia-kernel-dkms'
        packages = ['nvidia-driver', 'firmware-misc-nonfree', modules, 'nvidia-smi', 'dkms',
                    _headers(release, arch, kernel, proxmox)]
        if settings.get('nvidia_persistence', True):
            packages.append('nvidia-persistenced')
        return {'modules': 'open' if use_open else 'proprietary', 'branch': str(debian['branch']), 'notes': notes,
                'steps': [packages], 'secure_boot': 'dkms', 'source': 'debian'}

    use_open = not pre_turing if want_open is None else want_open
    if source == 'cuda':
        steps = []
        if branch:
            steps.append(['nvidia-driver-pinning-%s' % branch])
        steps.append(['nvidia-open' if use_open else 'cuda-drivers', _headers(release, arch, kernel, proxmox)])
        return {'modules': 'open' if use_open else 'proprietary', 'branch': branch, 'notes': notes, 'steps': steps,
                'secure_boot': 'dkms', 'source': 'cuda'}

    # Ubuntu's archive: Canonical's server drivers, prebuilt signed modules where the kernel flavour has them
    branch = branch or str(LAST_PRE_TURING_BRANCH)
    name = branch + ('-server' if settings.get('nvidia_server', True) else '')
    suffix = '-open' if use_open else ''
    flavour = ubuntu_flavour(release, kernel)
    if flavour:
        packages = ['linux-modules-nvidia-%s%s-%s' % (name, suffix, flavour), 'nvidia-headless-no-dkms-%s%s'
                    % (name, suffix), 'nvidia-utils-%s' % name]
        secure_boot = 'signed'
    else:
        notes.append('kernel %s has no prebuilt NVIDIA modules from Canonical: DKMS builds them' % kernel)
        packages = ['nvidia-headless-%s%s' % (name, suffix), 'nvidia-utils-%s' % name, 'linux-headers-%s' % kernel]
        secure_boot = 'dkms'
    return {'modules': 'open' if use_open else 'proprietary', 'branch': branch, 'notes': notes, 'steps': [packages],
            'secure_boot': secure_boot, 'source': 'ubuntu'}


def amd(release, settings):
    """The AMD step and, for AMD's repository, its suite: {'packages', 'suite', 'notes'}."""
    source = settings.get('rocm_source') or 'distribution'
    if source == 'distribution':
        return {'packages': list(ROCM_DISTRIBUTION[release['key']]), 'suite': None, 'notes': []}
    suite = settings.get('rocm_suite') or ROCM_SUITES.get(release['key'])
    if not suite:
        raise SelectError('AMD documents no suite of its ROCm repository for %s %s: set gpu_stack_rocm_suite, or '
                          'gpu_stack_rocm_source to distribution' % (release['distribution'].capitalize(),
                                                                     release['version']))
    packages = list(ROCM_AMD) + (['firmware-amd-graphics'] if release['distribution'] == 'debian' else [])
    return {'packages': packages, 'suite': suite, 'notes': []}


def intel(release):
    """The Intel step: the packages the release has, and a note on what it lacks."""
    missing = INTEL_MISSING.get(release['key'])
    return {'packages': list(INTEL[release['key']]), 'notes': [missing] if missing else []}


def components(release, vendors, sources):
    """The archive components the distribution packages of these vendors need (main first)."""
    table = DEBIAN_COMPONENTS if release['distribution'] == 'debian' else UBUNTU_COMPONENTS
    wanted = []
    for vendor in vendors:
        if vendor == 'nvidia' and sources.get('nvidia') == 'ubuntu':
            wanted += table['nvidia']
        elif vendor == 'nvidia':
            # Debian's driver, or NVIDIA's repository, which needs Debian's contrib (and firmware, dkms from main)
            wanted += table['nvidia'] if release['distribution'] == 'debian' else ['main']
        elif vendor in table:
            wanted += table[vendor]
    order = ['main', 'contrib', 'non-free', 'non-free-firmware', 'restricted', 'universe', 'multiverse']
    return [c for c in order if c in wanted]
