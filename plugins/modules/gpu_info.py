#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: gpu_info
short_description: Every GPU and AI accelerator of a host, with or without a driver
version_added: 0.1.0
description:
  - Finds NVIDIA, AMD and Intel GPUs and Hailo/Coral accelerators on the PCI bus with C(lspci -nnmm -D), or from
    C(/sys/bus/pci/devices) with the PCI id database when pciutils is not installed. This needs no GPU driver,
    so it answers on a fresh machine before C(homelab.cluster.gpu_stack) has installed anything.
  - Each GPU gets its model name, PCI ids, bus id, the PCIe link it runs at (from sysfs), the kernel driver
    bound to it, and its VRAM. VRAM comes from the vendor tool when it works (C(nvidia-smi), C(rocm-smi)), else
    from the driver's sysfs files (amdgpu, xe, i915), else from the board's PCI id where that id has one memory
    size; RV(gpus[].vram_source) says which.
  - Enriched with C(nvidia-smi --query-gpu) (memory, power draw and limit, utilization, driver version,
    compute capability, persistence mode) and C(--query-compute-apps), and with C(rocm-smi --json) (memory,
    power, utilization, gfx target).
  - The driver state of each GPU is V(none) (no driver bound, or the tool cannot reach it), V(loaded), or
    V(mismatch) (C(nvidia-smi) says the kernel module and library differ; reboot after an upgrade). A GPU bound
    to C(vfio-pci) is marked RV(gpus[].passthrough) (a Proxmox host lending it to a VM) and left out of the
    Slurm GRES.
  - A host without a GPU returns an empty list, not an error. Jetson boards (no PCI GPU) are recognised from
    the device tree.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  nvidia_smi:
    description:
      - Whether to ask C(nvidia-smi) when an NVIDIA GPU is present and the tool is installed.
    type: bool
    default: true
  rocm_smi:
    description:
      - Whether to ask C(rocm-smi) when an AMD GPU is present and the tool is installed.
    type: bool
    default: true
  timeout:
    description: Seconds each vendor tool may take (a hung driver makes C(nvidia-smi) hang).
    type: int
    default: 30
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_no_diff
notes:
  - Model names come from the vendor tool when it answers, else from the PCI id database; C(lspci) names can
    list several boards for one chip (V(Navi 31 [Radeon RX 7900 XT/7900 XTX/7900M])), which the cross-check in
    C(playbooks/gpu_check.yml) understands.
seealso:
  - module: homelab.cluster.gpu_runtime
  - name: homelab.cluster.gpu_stack
    description: The role that installs the driver and container toolkit where this module finds a GPU.
    link: https://github.com/homelab/cluster/tree/main/roles/gpu_stack
'''

EXAMPLES = r'''
- name: What GPUs does this host really have?
  homelab.cluster.gpu_info:
  register: gpu

- name: Say it
  ansible.builtin.debug:
    msg: "{{ gpu.count }} GPU(s), {{ gpu.vram_gb }} GB, driver {{ gpu.driver_state }}, GRES {{ gpu.gres }}"

- name: Stop when the driver needs a reboot
  ansible.builtin.assert:
    that: gpu.driver_state != 'mismatch'
    fail_msg: "{{ gpu.messages }}"
'''

RETURN = r'''
gpus:
  description: Every GPU and accelerator found, in bus order.
  returned: always
  type: list
  elements: dict
  sample:
    - bus_id: "0000:01:00.0"
      vendor: nvidia
      vendor_id: 10de
      device_id: "2705"
      model: GeForce RTX 4070 Ti SUPER
      pci_name: AD103 [GeForce RTX 4070 Ti SUPER]
      integrated: false
      accelerator: false
      vram_gb: 16.0
      vram_source: nvidia-smi
      memory_used_gb: 0.41
      power_draw_w: 12.9
      power_limit_w: 285.0
      utilization_pct: 0.0
      pcie: {gen: 4, lanes: 16, max_gen: 4, max_lanes: 16}
      kernel_driver: nvidia
      passthrough: false
      driver_state: loaded
      driver_version: "550.163.01"
      compute_capability: "8.9"
      index: 0
      processes: []
  contains:
    vram_source:
      description: V(nvidia-smi), V(rocm-smi), V(sysfs), V(pci-id), V(shared) (integrated), V(none)
        (an accelerator) or V(unknown).
      type: str
    driver_state:
      description: V(none), V(loaded) or V(mismatch).
      type: str
    passthrough:
      description: Bound to vfio-pci, for a VM.
      type: bool
    rocm:
      description: For AMD GPUs, whether ROCm supports the gfx target (V(supported)), runs it with
        HSA_OVERRIDE_GFX_VERSION (V(override)), or not (V(unsupported)).
      type: str
count:
  description: Discrete GPUs (not integrated GPUs, not accelerators).
  returned: always
  type: int
vram_gb:
  description: Their VRAM together.
  returned: always
  type: float
vram_max_gb:
  description: The largest single GPU's VRAM.
  returned: always
  type: float
driver_state:
  description: The worst state of the GPUs this host drives (V(mismatch), then V(none), else V(loaded)).
  returned: always
  type: str
vendors:
  description: GPU and accelerator vendors present.
  returned: always
  type: list
  elements: str
accelerators:
  description: AI accelerators present (Hailo, Coral).
  returned: always
  type: list
  elements: str
gres:
  description: The Slurm node GRES for the GPUs this host drives.
  returned: always
  type: str
  sample: gpu:rtx_4070_ti_super:1,gpu:rx_7900_xt:1
gres_conf:
  description: The gres.conf lines for those GPUs.
  returned: always
  type: list
  elements: str
  sample: ["Name=gpu Type=rtx_4070_ti_super File=/dev/nvidia0"]
tools:
  description: Which tools were there and what they said (V(ok), V(missing), V(failed), V(skipped)).
  returned: always
  type: dict
messages:
  description: What a tool said when it failed (the driver/library mismatch, no driver).
  returned: always
  type: list
  elements: str
'''

import glob
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.cluster.plugins.module_utils._gpu import VENDORS
from ansible_collections.homelab.cluster.plugins.module_utils._gpu import gpus_from_snapshot
from ansible_collections.homelab.cluster.plugins.module_utils._gpu import gres
from ansible_collections.homelab.cluster.plugins.module_utils._gpu import is_gpu
from ansible_collections.homelab.cluster.plugins.module_utils._gpu import summary
from ansible_collections.homelab.cluster.plugins.module_utils._gpu_tools import NVIDIA_APP_FIELDS
from ansible_collections.homelab.cluster.plugins.module_utils._gpu_tools import NVIDIA_FIELDS
from ansible_collections.homelab.cluster.plugins.module_utils._gpu_tools import GpuError
from ansible_collections.homelab.cluster.plugins.module_utils._gpu_tools import pci_from_sysfs
from ansible_collections.homelab.cluster.plugins.module_utils._gpu_tools import pci_ids_names

PCI_ROOT = '/sys/bus/pci/devices'
PCI_IDS = ('/usr/share/misc/pci.ids', '/usr/share/hwdata/pci.ids', '/usr/share/pci.ids')
SYSFS_FILES = ('current_link_speed', 'current_link_width', 'max_link_speed', 'max_link_width',
               'mem_info_vram_total', 'tile0/physical_vram_size_bytes', 'lmem_total_bytes')


def read(path, binary=False):
    try:
        with open(path, 'rb' if binary else 'r') as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def pci_devices(root):
    devices = {}
    for path in sorted(glob.glob(os.path.join(root, '*'))):
        files = {name: read(os.path.join(path, name)) or '' for name in ('class', 'vendor', 'device', 'revision')}
        devices[os.path.basename(path)] = files
    return devices


def sysfs_details(root, bus_ids):
    details = {}
    for bus_id in bus_ids:
        path = os.path.join(root, bus_id)
        files = {}
        for name in SYSFS_FILES:
            value = read(os.path.join(path, name))
            if value is not None:
                files[name] = value.strip()
        driver = os.path.join(path, 'driver')
        if os.path.islink(driver):
            files['driver'] = os.path.basename(os.readlink(driver))
        drm = os.path.join(path, 'drm')
        if os.path.isdir(drm):
            files['drm'] = sorted(os.listdir(drm))
        details[bus_id] = files
    return details


def run_tool(module, argv, timeout):
    wrapper = module.get_bin_path('timeout')
    if wrapper:
        argv = [wrapper, str(timeout)] + argv
    rc, out, err = module.run_command(argv, environ_update={'LC_ALL': 'C'})
    if rc == 124 and wrapper:
        err = '%s did not answer within %s s (a hung driver?) %s' % (argv[2], timeout, err)
    return {'rc': rc, 'stdout': out, 'stderr': err}


def snapshot(module):
    params = module.params
    snap, tools = {}, {}
    timeout = params['timeout']
    lspci = module.get_bin_path('lspci')
    devices = pci_devices(PCI_ROOT)
    result = run_tool(module, [lspci, '-nnmm', '-D'], timeout) if lspci else None
    if result and result['rc'] == 0:
        snap['lspci'] = result['stdout']
        tools['lspci'] = 'ok'
    else:
        tools['lspci'] = ('missing (read %s)' % PCI_ROOT if not lspci else 'failed (rc %s: %s; read %s)'
                          % (result['rc'], result['stderr'].strip(), PCI_ROOT))
        snap['pci'] = devices
        wanted = ['%s:%s' % (f['vendor'].strip()[2:].lower(), f['device'].strip()[2:].lower())
                  for f in devices.values()]
        names_text = next((t for t in (read(p) for p in PCI_IDS) if t), None)
        snap['pci_names'] = pci_ids_names(names_text, wanted) if names_text else {}
    candidates = [bus for bus, files in devices.items() if is_gpu(pci_from_sysfs(bus, files))]
    snap['sysfs'] = sysfs_details(PCI_ROOT, candidates)
    vendors = {VENDORS.get(pci_from_sysfs(bus, devices[bus])['vendor_id']) for bus in candidates}

    smi = module.get_bin_path('nvidia-smi')
    if 'nvidia' not in vendors or not params['nvidia_smi']:
        tools['nvidia-smi'] = 'skipped'
    elif not smi:
        tools['nvidia-smi'] = 'missing'
    else:
        fields = list(NVIDIA_FIELDS)
        result = run_tool(module, [smi, '--query-gpu=' + ','.join(fields), '--format=csv,noheader,nounits'], timeout)
        if result['rc'] != 0 and 'compute_cap' in (result['stdout'] + result['stderr']):
            fields.remove('compute_cap')  # drivers before 510 do not know the field
            result = run_tool(module, [smi, '--query-gpu=' + ','.join(fields), '--format=csv,noheader,nounits'],
                              timeout)
        snap['nvidia_smi'] = dict(result, fields=fields)
        tools['nvidia-smi'] = 'ok' if result['rc'] == 0 else 'failed (rc %s)' % result['rc']
        if result['rc'] == 0:
            apps = run_tool(module, [smi, '--query-compute-apps=' + ','.join(NVIDIA_APP_FIELDS),
                                     '--format=csv,noheader,nounits'], timeout)
            snap['nvidia_apps'] = apps['stdout'] if apps['rc'] == 0 else ''

    rocm = module.get_bin_path('rocm-smi')
    if 'amd' not in vendors or not params['rocm_smi']:
        tools['rocm-smi'] = 'skipped'
    elif not rocm:
        tools['rocm-smi'] = 'missing'
    else:
        result = run_tool(module, [rocm, '--showproductname', '--showmeminfo', 'vram', '--showuse', '--showpower',
                                   '--showbus', '--showdriverversion', '--json'], timeout)
        snap['rocm_smi'] = result
        tools['rocm-smi'] = 'ok' if result['rc'] == 0 else 'failed (rc %s)' % result['rc']

    model = read('/proc/device-tree/model')
    if model and 'jetson' in model.lower():
        snap['tegra_model'] = model
        snap['tegra_driver'] = os.path.isdir('/sys/module/nvgpu') or os.path.exists('/etc/nv_tegra_release')
    return snap, tools


def main():
    module = AnsibleModule(
        argument_spec=dict(
            nvidia_smi=dict(type='bool', default=True),
            rocm_smi=dict(type='bool', default=True),
            timeout=dict(type='int', default=30),
        ),
        supports_check_mode=True,
    )
    snap, tools = snapshot(module)
    try:
        found = gpus_from_snapshot(snap)
    except GpuError as exc:
        module.fail_json(msg='gpu_info could not read what the tools said: %s' % exc, tools=tools)
    gres_line, gres_conf = gres(found['gpus'])
    module.exit_json(changed=False, gpus=found['gpus'], messages=found['messages'], gres=gres_line,
                     gres_conf=gres_conf, tools=tools, **summary(found['gpus']))


if __name__ == '__main__':
    main()
