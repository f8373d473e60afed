#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: gpu_packages_info
short_description: What a host's GPUs need from apt - sources, pins, keyring packages and install steps per vendor
version_added: 0.1.0
description:
  - Plans the GPU stack of a Debian 12, Debian 13, Ubuntu 22.04 or Ubuntu 24.04 host from the GPUs
    M(homelab.cluster.gpu_info) found, following each vendor's documented steps, and changes nothing.
  - Reads the host's apt sources (C(sources.list), C(sources.list.d/*.list) and C(*.sources)) and pins. A repository
    the host already lists (written by the vendor's instructions, by C(cuda-keyring), by hand) is reused and nothing
    is added for it, so apt never sees two values of C(Signed-By) for one repository. Components the host lacks are
    added on the host's own mirror with the host's own C(Signed-By).
  - NVIDIA - Debian's driver (non-free, with contrib for the open modules and C(nvidia-persistenced), the security
    suite so that the driver and its GSP firmware stay at one version; proprietary modules on Debian 12, whose
    open modules do not follow the driver's security updates), Ubuntu's server drivers with Canonical's signed
    prebuilt modules, or NVIDIA's CUDA repository through C(cuda-keyring) with the branch locked by
    C(nvidia-driver-pinning-<branch>) (580 by itself for pre-Turing GPUs). The open kernel modules wherever the GPUs
    and the source allow them.
  - AMD - the distribution's ROCm user space, or AMD's repository with its documented suite (Debian 12 uses
    C(jammy)) and pin. Intel Arc - only the packages the release has.
  - Each vendor is one or more install steps of its own, so that one vendor's failure never blocks another's; a
    vendor path that cannot work here is reported in RV(errors) with what would work, and the others are planned.
  - The package tables live in C(plugins/module_utils/_gpu_select.py); C(make gpu-resolve) resolves them with apt
    against the real Debian 12 and 13 archives.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  gpus:
    description: The GPUs, as RV(homelab.cluster.gpu_info#module:gpus) lists them (integrated and passed-through
      ones are left out).
    type: list
    elements: dict
    required: true
  distribution:
    description: The distribution (V(Debian), V(Ubuntu)); read from C(/etc/os-release) when not given.
    type: str
  version:
    description: Its version (V(12), V(13), V(22.04), V(24.04)); read from C(/etc/os-release) when not given.
    type: str
  architecture:
    description: The machine architecture (V(x86_64), V(aarch64)); the running one when not given.
    type: str
  kernel:
    description: The running kernel release (C(uname -r)), for Ubuntu's kernel flavour; the running one when not given.
    type: str
  nvidia_source:
    description: V(distribution) (Debian's non-free or Ubuntu's restricted archive) or V(cuda) (NVIDIA's repository).
    type: str
    choices: [distribution, cuda]
    default: distribution
  nvidia_open:
    description: The open kernel modules; unset - wherever the GPUs (Turing or newer) and the source allow them.
    type: bool
  nvidia_branch:
    description: The driver branch - Ubuntu's C(nvidia-*-<branch>) packages (580 when unset), and the lock on NVIDIA's
      repository (none when unset, 580 for pre-Turing GPUs). Debian's own driver has the release's branch.
    type: str
  nvidia_server:
    description: Ubuntu's server drivers (C(-server), the branches Canonical maintains for compute).
    type: bool
    default: true
  nvidia_persistence:
    description: Install C(nvidia-persistenced) where it is a package of its own (Debian).
    type: bool
    default: true
  container_toolkit:
    description: Plan NVIDIA's container toolkit where an NVIDIA GPU is.
    type: bool
    default: true
  rocm_source:
    description: V(distribution) (the release's ROCm packages) or V(amd) (AMD's repository).
    type: str
    choices: [distribution, amd]
    default: distribution
  rocm_version:
    description: The ROCm release of AMD's repository.
    type: str
    default: '6.4'
  rocm_suite:
    description: The suite of AMD's repository; unset - the one AMD documents for the release.
    type: str
  intel:
    description: Plan Intel Arc's compute runtime and media driver.
    type: bool
    default: true
  debian_mirror:
    description: The Debian mirror for a suite the host does not list yet.
    type: str
    default: http://deb.debian.org/debian
  debian_security_mirror:
    description: The Debian security mirror for a host without the security suite.
    type: str
    default: http://security.debian.org/debian-security
  debian_keyring:
    description: The keyring that signs Debian's archive, for a suite the host does not list yet.
    type: path
    default: /usr/share/keyrings/debian-archive-keyring.gpg
  ubuntu_mirror:
    description: The Ubuntu mirror for a suite the host does not list yet; unset - C(archive.ubuntu.com) (amd64)
      or C(ports.ubuntu.com).
    type: str
  ubuntu_security_mirror:
    description: The Ubuntu security mirror for a host without the security suite.
    type: str
  ubuntu_keyring:
    description: The keyring that signs Ubuntu's archive.
    type: path
    default: /usr/share/keyrings/ubuntu-archive-keyring.gpg
  cuda_repo_url:
    description: NVIDIA's CUDA repositories (the release's and architecture's directory is appended).
    type: str
    default: https://developer.download.nvidia.com/compute/cuda/repos
  cuda_keyring_deb:
    description: The file name of NVIDIA's C(cuda-keyring) package in that directory.
    type: str
    default: cuda-keyring_1.1-1_all.deb
  container_toolkit_repo:
    description: NVIDIA's container toolkit repository (the Debian architecture is appended).
    type: str
    default: https://nvidia.github.io/libnvidia-container/stable/deb
  container_toolkit_key:
    description: Its signing key - a URL (fetched into C(/etc/apt/keyrings)) or a keyring path on the host.
    type: str
    default: https://nvidia.github.io/libnvidia-container/gpgkey
  rocm_repo_url:
    description: AMD's ROCm apt repositories (the ROCm release is appended).
    type: str
    default: https://repo.radeon.com/rocm/apt
  rocm_repo_key:
    description: Its signing key - a URL or a keyring path on the host.
    type: str
    default: https://repo.radeon.com/rocm/rocm.gpg.key
  root:
    description: Read the apt configuration below this directory (a chroot, an image being built).
    type: path
    default: /
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_no_diff
notes:
  - Where the documents and versions each vendor path follows are listed - C(roles/gpu_stack/README.md).
seealso:
  - module: homelab.cluster.gpu_info
  - name: homelab.cluster.gpu_stack
    description: The role that applies this plan.
    link: https://github.com/homelab/cluster/tree/main/roles/gpu_stack
'''

EXAMPLES = r'''
- name: What the GPUs need
  homelab.cluster.gpu_info:
  register: gpu

- name: Plan the stack, NVIDIA from the CUDA repository locked to branch 580
  homelab.cluster.gpu_packages_info:
    gpus: "{{ gpu.gpus }}"
    nvidia_source: cuda
    nvidia_branch: "580"
  register: gpu_plan

- name: Say what would be installed
  ansible.builtin.debug:
    msg: "{{ gpu_plan.steps | map(attribute='packages') | list }} {{ gpu_plan.errors }}"
'''

RETURN = r'''
release:
  description: The release key (the CUDA repository's name for it); null when no GPU needs anything.
  returned: always
  type: str
  sample: debian12
vendors:
  description: The vendors of the host's own discrete GPUs.
  returned: always
  type: list
  elements: str
  sample: [amd, nvidia]
sources:
  description: Repositories - C(path) and C(content) of a deb822 file to write (C(null) when C(reuse) names the
    host's file that already serves it), and C(key) (C(src) URL, C(dest) keyring) to fetch first.
  returned: always
  type: list
  elements: dict
  sample:
    - {name: debian, path: /etc/apt/sources.list.d/homelab-gpu-debian.sources, content: "...", reuse: null, key: null}
pins:
  description: Preferences files (C(path), C(content)) - AMD's and NVIDIA's priority 600 pins where the host has none.
  returned: always
  type: list
  elements: dict
keyring_debs:
  description: Keyring packages to install before apt reads the sources (C(vendor), C(package), C(url)).
  returned: always
  type: list
  elements: dict
  sample: [{vendor: nvidia, package: cuda-keyring, url: "https://developer.download.nvidia.com/.../cuda-keyring_1.1-1_all.deb"}]
remove:
  description: Files an earlier gpu_stack wrote that conflict with the vendors' own.
  returned: always
  type: list
  elements: str
steps:
  description: Install steps in order, each with its C(vendor), C(name) and C(packages); a failed step stops only the
    later steps of its vendor.
  returned: always
  type: list
  elements: dict
  sample: [{vendor: nvidia, name: nvidia 1/1, packages: [nvidia-driver, firmware-misc-nonfree, nvidia-kernel-dkms]}]
errors:
  description: Vendor -> why its path cannot work on this host, and what would.
  returned: always
  type: dict
notes:
  description: What the plan chose and why, and what the release lacks.
  returned: always
  type: list
  elements: str
nvidia:
  description: The NVIDIA choice - C(modules) (open, proprietary), C(branch), C(source) (debian, ubuntu, cuda) and
    C(secure_boot) (V(signed) - Canonical's signed modules, V(dkms) - DKMS signs with the machine's key).
  returned: always
  type: dict
groups:
  description: Groups whose members may use the GPUs (ROCm and Intel need render and video).
  returned: always
  type: list
  elements: str
conflicts:
  description: Repositories apt would refuse once the plan is applied (two values of Signed-By); empty when all is well.
  returned: always
  type: list
  elements: str
gpus:
  description: The GPUs the plan is for (integrated, passed-through and accelerator devices left out).
  returned: always
  type: list
  elements: dict
'''

import glob
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.cluster.plugins.module_utils._gpu_apt import plan
from ansible_collections.homelab.cluster.plugins.module_utils._gpu_select import SelectError
from ansible_collections.homelab.cluster.plugins.module_utils._gpu_sources import SourcesError

SETTINGS = ('nvidia_source', 'nvidia_open', 'nvidia_branch', 'nvidia_server', 'nvidia_persistence', 'container_toolkit',
            'rocm_source', 'rocm_version', 'rocm_suite', 'intel', 'debian_mirror', 'debian_security_mirror',
            'debian_keyring', 'ubuntu_mirror', 'ubuntu_security_mirror', 'ubuntu_keyring', 'cuda_repo_url',
            'cuda_keyring_deb', 'container_toolkit_repo', 'container_toolkit_key', 'rocm_repo_url', 'rocm_repo_key')


def read(path):
    try:
        with open(path, encoding='utf-8', errors='replace') as handle:
            return handle.read()
    except OSError:
        return None


def os_release(root):
    """(ID, VERSION_ID) from os-release."""
    text = read(os.path.join(root, 'etc/os-release')) or read(os.path.join(root, 'usr/lib/os-release')) or ''
    values = {}
    for line in text.splitlines():
        key, dummy, value = line.partition('=')
        values[key.strip()] = value.strip().strip('"')
    return values.get('ID'), values.get('VERSION_ID')


def apt_files(root):
    """({path: text} of the sources, {path: text} of the preferences), keyed by their path on the host."""
    etc = os.path.join(root, 'etc/apt')
    names = [os.path.join(etc, 'sources.list')] + sorted(glob.glob(os.path.join(etc, 'sources.list.d', '*.list'))
                                                         + glob.glob(os.path.join(etc, 'sources.list.d', '*.sources')))
    prefs = sorted(glob.glob(os.path.join(etc, 'preferences.d', '*')))

    def key(path):
        return '/etc/apt' + path[len(etc):]
    sources = {key(p): t for p, t in ((p, read(p)) for p in names) if t is not None}
    preferences = {key(p): t for p, t in ((p, read(p)) for p in prefs) if t is not None}
    return sources, preferences


def main():
    spec = dict(
        gpus=dict(type='list', elements='dict', required=True),
        distribution=dict(type='str'),
        version=dict(type='str'),
        architecture=dict(type='str'),
        kernel=dict(type='str'),
        nvidia_source=dict(type='str', choices=['distribution', 'cuda'], default='distribution'),
        nvidia_open=dict(type='bool'),
        nvidia_branch=dict(type='str'),
        nvidia_server=dict(type='bool', default=True),
        nvidia_persistence=dict(type='bool', default=True),
        container_toolkit=dict(type='bool', default=True),
        rocm_source=dict(type='str', choices=['distribution', 'amd'], default='distribution'),
        rocm_version=dict(type='str', default='6.4'),
        rocm_suite=dict(type='str'),
        intel=dict(type='bool', default=True),
        debian_mirror=dict(type='str', default='http://deb.debian.org/debian'),
        debian_security_mirror=dict(type='str', default='http://security.debian.org/debian-security'),
        debian_keyring=dict(type='path', default='/usr/share/keyrings/debian-archive-keyring.gpg'),
        ubuntu_mirror=dict(type='str'),
        ubuntu_security_mirror=dict(type='str'),
        ubuntu_keyring=dict(type='path', default='/usr/share/keyrings/ubuntu-archive-keyring.gpg'),
        cuda_repo_url=dict(type='str', default='https://developer.download.nvidia.com/compute/cuda/repos'),
        cuda_keyring_deb=dict(type='str', default='cuda-keyring_1.1-1_all.deb', no_log=False),
        container_toolkit_repo=dict(type='str', default='https://nvidia.github.io/libnvidia-container/stable/deb'),
        container_toolkit_key=dict(type='str', default='https://nvidia.github.io/libnvidia-container/gpgkey',
                                   no_log=False),
        rocm_repo_url=dict(type='str', default='https://repo.radeon.com/rocm/apt'),
        rocm_repo_key=dict(type='str', default='https://repo.radeon.com/rocm/rocm.gpg.key', no_log=False),
        root=dict(type='path', default='/'),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    root = p['root']
    distribution, version = p['distribution'], p['version']
    if not distribution or not version:
        found = os_release(root)
        distribution, version = distribution or found[0], version or found[1]
    uname = os.uname()
    host = {'distribution': distribution, 'version': version, 'arch': p['architecture'] or uname.machine,
            'kernel': p['kernel'] or uname.release,
            'proxmox': os.path.isdir(os.path.join(root, 'etc/pve')) or (p['kernel'] or uname.release).endswith('-pve')}
    try:
        files, preferences = apt_files(root)
        result = plan(host, p['gpus'], {k: p[k] for k in SETTINGS}, files, preferences)
    except SelectError as exc:
        module.fail_json(msg='gpu_packages_info: %s' % exc)
    except SourcesError as exc:
        module.fail_json(msg='gpu_packages_info: apt would not read this host\'s sources either: %s' % exc)
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
