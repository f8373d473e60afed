# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GPU and accelerator logic without I/O: lspci and sysfs records, nvidia-smi CSV, rocm-smi JSON (as read by
_gpu_tools.py), Jetson device-tree strings -> one list of GPUs with VRAM, driver state and Slurm GRES; and the
cross-check of what was found against what the hardware file declares.

The module homelab.cluster.gpu_info collects a *snapshot* (the raw text of each tool, the sysfs files it read)
and hands it to gpus_from_snapshot(); every recorded output in the unit tests goes through the same path.

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

import re

from ansible_collections.homelab.cluster.plugins.module_utils._gpu_tools import NVIDIA_FIELDS
from ansible_collections.homelab.cluster.plugins.module_utils._gpu_tools import nvidia_smi_state
from ansible_collections.homelab.cluster.plugins.module_utils._gpu_tools import parse_lspci
from ansible_collections.homelab.cluster.plugins.module_utils._gpu_tools import parse_nvidia_apps
from ansible_collections.homelab.cluster.plugins.module_utils._gpu_tools import parse_nvidia_smi
from ansible_collections.homelab.cluster.plugins.module_utils._gpu_tools import parse_rocm_smi
from ansible_collections.homelab.cluster.plugins.module_utils._gpu_tools import pci_from_sysfs
from ansible_collections.homelab.cluster.plugins.module_utils._gpu_tools import pcie_link
from ansible_collections.homelab.cluster.plugins.module_utils._gpu_tools import sysfs_vram_bytes

VENDORS = {'10de': 'nvidia', '1002': 'amd', '8086': 'intel', '1e60': 'hailo', '1ac1': 'google'}
# PCI classes: 03xx display controllers (from the GPU vendors only: a BMC's ASPEED or a VM's virtio-gpu is
# not a GPU), 12xx processing accelerators and 0b40 co-processors (Hailo, Coral) from any known vendor.
GPU_VENDORS = ('10de', '1002', '8086')
ACCEL_CLASSES = ('12', '0b40')

# What the PCI id alone says about a card, for when no driver is there to ask (vendor datasheets: the
# memory each board ships with). Keyed by vendor:device, or vendor:device:revision where one id covers
# boards with different memory (Navi 31 is the 7900 XTX at c8 and the 7900 XT at cc).
KNOWN_BOARDS = {
    '10de:2c02': ('GeForce RTX 5080', 16),
    '10de:2c05': ('GeForce RTX 5070 Ti', 16),
    '10de:2b85': ('GeForce RTX 5090', 32),
    '10de:2684': ('GeForce RTX 4090', 24),
    '10de:2702': ('GeForce RTX 4080 SUPER', 16),
    '10de:2704': ('GeForce RTX 4080', 16),
    '10de:2705': ('GeForce RTX 4070 Ti SUPER', 16),
    '10de:2782': ('GeForce RTX 4070 Ti', 12),
    '10de:2783': ('GeForce RTX 4070 SUPER', 12),
    '10de:2786': ('GeForce RTX 4070', 12),
    '10de:2204': ('GeForce RTX 3090', 24),
    '10de:2208': ('GeForce RTX 3080 Ti', 12),
    '10de:2504': ('GeForce RTX 3060 Lite Hash Rate', 12),
    '1002:744c:c8': ('Radeon RX 7900 XTX', 24),
    '1002:744c:cc': ('Radeon RX 7900 XT', 20),
    '1002:744c:ce': ('Radeon RX 7900 GRE', 16),
    '1002:747e:c8': ('Radeon RX 7800 XT', 16),
    '1002:7480:c7': ('Radeon RX 7600', 8),
    '1002:7480:cf': ('Radeon RX 7600 XT', 16),
    '1002:73df:c1': ('Radeon RX 6700 XT', 12),
    '1002:73bf:c1': ('Radeon RX 6800 XT', 16),
    '8086:e20b': ('Arc B580', 12),
    '8086:e20c': ('Arc B570', 10),
    '8086:56a5': ('Arc A380', 6),
    '8086:56a6': ('Arc A310', 4),
    '1e60:2864': ('Hailo-8 AI Processor', None),
}
# Intel discrete families (DG1, Alchemist, Battlemage) by device id prefix; every other Intel display
# controller is an integrated GPU.
_INTEL_DISCRETE = ('4905', '4906', '4907', '4908', '56', 'e2')
# AMD APU code names (integrated graphics that share system memory)
_AMD_APUS = ('raphael', 'phoenix', 'rembrandt', 'renoir', 'cezanne', 'lucienne', 'barcelo', 'picasso',
             'raven', 'mendocino', 'hawk point', 'strix', 'granite ridge', 'van gogh', 'dragon range')
# The targets ROCm 6.4's Linux support matrix lists (Radeon RX 7900/7800/7700, RX 9070/9060, Radeon PRO W7000 and
# W6800/V620, Instinct MI100/MI200/MI300); gfx906 (Radeon VII, MI50) and gfx1102 (RX 7600) are not in it
ROCM_SUPPORTED_GFX = ('gfx1100', 'gfx1101', 'gfx1030', 'gfx1200', 'gfx1201', 'gfx908', 'gfx90a', 'gfx942')
# RDNA2/RDNA3 targets that work with HSA_OVERRIDE_GFX_VERSION set to the listed sibling
ROCM_OVERRIDES = {'gfx1031': '10.3.0', 'gfx1032': '10.3.0', 'gfx1034': '10.3.0', 'gfx1035': '10.3.0',
                  'gfx1036': '10.3.0', 'gfx1102': '11.0.0', 'gfx1103': '11.0.0'}
# PCI device -> gfx target, for when rocminfo/rocm-smi are not there yet
AMD_GFX = {'744c': 'gfx1100', '747e': 'gfx1101', '7480': 'gfx1102', '73bf': 'gfx1030', '73df': 'gfx1031',
           '73ff': 'gfx1032', '7550': 'gfx1201', '7590': 'gfx1200'}


# ------------------------------------------------------------------------------------------- models

def is_gpu(device):
    """Whether an lspci/sysfs record is a GPU or an AI accelerator we report."""
    class_id = device.get('class_id') or ''
    vendor_id = device.get('vendor_id')
    if class_id.startswith('03'):
        return vendor_id in GPU_VENDORS
    return vendor_id in VENDORS and (class_id.startswith(ACCEL_CLASSES[0]) or class_id == ACCEL_CLASSES[1])


def marketing_name(device_name):
    """'AD104 [GeForce RTX 4070 Ti SUPER]' -> 'GeForce RTX 4070 Ti SUPER'; a name without brackets as is."""
    if not device_name:
        return None
    match = re.search(r'\[([^\[\]]+)\]\s*$', device_name)
    return match.group(1) if match else device_name


def model_key(model):
    """A model name for comparing and for Slurm: lower case, without the vendor's brand words."""
    words = re.sub(r'[^a-z0-9]+', ' ', (model or '').lower()).split()
    brand = {'nvidia', 'geforce', 'amd', 'ati', 'radeon', 'intel', 'corporation', 'graphics', 'r', 'tm'}
    return ' '.join(w for w in words if w not in brand)


def model_candidates(model):
    """'RX 7900 XT/7900 XTX/7900M' -> the keys of each alternative ('rx 7900 xt', 'rx 7900 xtx', 'rx 7900m')."""
    parts = [p.strip() for p in (model or '').split('/') if p.strip()]
    if not parts:
        return []
    # "7900 XTX" after "Radeon RX 7900 XT": the alternative takes the place of the first part's model number
    first = parts[0].split()
    prefix = first[:next((i for i, w in enumerate(first) if w[:1].isdigit()), len(first))]
    keys = [model_key(parts[0])]
    for part in parts[1:]:
        keys.append(model_key(' '.join((prefix if part[:1].isdigit() else []) + part.split())))
    return keys


def gres_type(model):
    """The Slurm GRES type of a model: 'GeForce RTX 4070 Ti SUPER' -> 'rtx_4070_ti_super'."""
    key = model_key(model).replace(' ', '_')
    return key or 'gpu'


def rocm_support(gfx):
    """('supported'|'override'|'unsupported'|None, HSA_OVERRIDE_GFX_VERSION or None) for a gfx target."""
    if not gfx:
        return None, None
    if gfx in ROCM_SUPPORTED_GFX:
        return 'supported', None
    if gfx in ROCM_OVERRIDES:
        return 'override', ROCM_OVERRIDES[gfx]
    return 'unsupported', None


# --------------------------------------------------------------------------------------------- Jetson

def jetson_gpu(model):
    """A Jetson's integrated GPU from /proc/device-tree/model ('NVIDIA Jetson Orin Nano Developer Kit')."""
    model = (model or '').replace('\x00', '').strip()
    if 'jetson' not in model.lower():
        return None
    return re.sub(r'\s+(Developer Kit|Engineering Reference.*)$', '', re.sub(r'^NVIDIA\s+', '', model))


# ------------------------------------------------------------------------------------------- snapshot

def _board(device):
    key = '%s:%s' % (device['vendor_id'], device['device_id'])
    return KNOWN_BOARDS.get('%s:%s' % (key, device.get('revision'))) or KNOWN_BOARDS.get(key)


def _integrated(device, model):
    vendor = device['vendor_id']
    if vendor == '8086':
        return not device['device_id'].startswith(_INTEL_DISCRETE)
    if vendor == '1002':
        return any(apu in (device.get('device_name') or model or '').lower() for apu in _AMD_APUS)
    return False


def _kernel_state(vendor, kernel_driver):
    wanted = {'nvidia': ('nvidia',), 'amd': ('amdgpu',), 'intel': ('i915', 'xe'), 'hailo': ('hailo_pci',),
              'google': ('apex',)}.get(vendor, ())
    return 'loaded' if kernel_driver in wanted else 'none'


def gpus_from_snapshot(snapshot):
    """The GPU list from what gpu_info read. snapshot keys (each optional):

    lspci: `lspci -nnmm -D` text (else pci: {bus_id: sysfs files} lists the devices)
    sysfs: {bus_id: {'driver': 'nvidia', 'current_link_speed': ..., 'mem_info_vram_total': ..., 'drm': [...]}}
    pci_names: {'vvvv:dddd': (vendor, device)} from pci.ids when lspci is missing
    nvidia_smi: {'rc', 'stdout', 'stderr', 'fields'} or None when the tool is missing; nvidia_apps: text
    rocm_smi: {'rc', 'stdout', 'stderr'} or None; tegra_model: /proc/device-tree/model
    Returns {gpus, messages}.
    """
    messages = []
    if snapshot.get('lspci') is not None:
        devices = parse_lspci(snapshot['lspci'])
    else:
        devices = [pci_from_sysfs(bus, files, snapshot.get('pci_names'))
                   for bus, files in sorted((snapshot.get('pci') or {}).items())]
    sysfs = snapshot.get('sysfs') or {}

    nvidia, nvidia_state, nvidia_note = {}, None, None
    smi = snapshot.get('nvidia_smi')
    if smi is not None:
        nvidia_state, nvidia_note = nvidia_smi_state(smi.get('rc'), smi.get('stdout'), smi.get('stderr'))
        if nvidia_state == 'loaded':
            for row in parse_nvidia_smi(smi.get('stdout'), tuple(smi.get('fields') or NVIDIA_FIELDS)):
                nvidia[row['bus_id']] = row
        if nvidia_note:
            messages.append(nvidia_note)
    apps = parse_nvidia_apps(snapshot.get('nvidia_apps')) if nvidia_state == 'loaded' else []

    amd, amd_driver = {}, None
    rocm = snapshot.get('rocm_smi')
    if rocm is not None:
        if rocm.get('rc') == 0:
            rows, amd_driver = parse_rocm_smi(rocm.get('stdout'))
            amd = {row['bus_id']: row for row in rows}
        else:
            said = ('%s %s' % (rocm.get('stdout') or '', rocm.get('stderr') or '')).strip()
            messages.append('rocm-smi exited %s: %s' % (rocm.get('rc'), said.splitlines()[0] if said else 'no output'))

    gpus = []
    for device in devices:
        if not is_gpu(device):
            continue
        vendor = VENDORS[device['vendor_id']]
        files = sysfs.get(device['bus_id'], {})
        board = _board(device)
        tool = {'nvidia': nvidia, 'amd': amd}.get(vendor, {}).get(device['bus_id'])
        model = (marketing_name((tool or {}).get('name')) or marketing_name(device.get('device_name'))
                 or (board or (None,))[0] or '%s device %s' % (vendor, device['device_id']))
        model = re.sub(r'^NVIDIA\s+', '', model)
        kernel_driver = files.get('driver')
        state = _kernel_state(vendor, kernel_driver)
        if vendor == 'nvidia' and nvidia_state is not None and kernel_driver != 'vfio-pci':
            state = nvidia_state if nvidia_state != 'none' or kernel_driver != 'nvidia' else 'loaded'
        vram_bytes = sysfs_vram_bytes(files)
        if tool and tool.get('vram_gb') is not None:
            vram, source = tool['vram_gb'], 'nvidia-smi' if vendor == 'nvidia' else 'rocm-smi'
        elif vram_bytes:
            vram, source = round(vram_bytes / 1024.0 ** 3, 1), 'sysfs'
        elif board and board[1] is not None:
            vram, source = float(board[1]), 'pci-id'
        else:
            vram, source = None, 'unknown'
        integrated = _integrated(device, model)
        accelerator = not (device.get('class_id') or '').startswith('03')
        link = pcie_link(files) or {}
        if tool and tool.get('pcie_gen'):
            link = dict(link, gen=tool['pcie_gen'], lanes=tool.get('pcie_lanes') or link.get('lanes'))
        gfx = (tool or {}).get('gfx_target') or (AMD_GFX.get(device['device_id']) if vendor == 'amd' else None)
        gpu = {
            'bus_id': device['bus_id'], 'vendor': vendor, 'vendor_id': device['vendor_id'],
            'device_id': device['device_id'], 'revision': device.get('revision'), 'model': model,
            # Slurm's type from the board id (else the PCI name), never from a vendor tool: the same card must
            # keep its GRES type before and after its driver (and rocm-smi/nvidia-smi) is installed
            'gres_type': gres_type((board or (None,))[0] or marketing_name(device.get('device_name')) or model),
            'pci_name': device.get('device_name'), 'integrated': integrated, 'accelerator': accelerator,
            'vram_gb': None if integrated or accelerator else vram,
            'vram_source': 'shared' if integrated else 'none' if accelerator else source,
            'memory_used_gb': (tool or {}).get('memory_used_gb'), 'power_draw_w': (tool or {}).get('power_draw_w'),
            'power_limit_w': (tool or {}).get('power_limit_w'), 'utilization_pct': (tool or {}).get('utilization_pct'),
            'pcie': link or None, 'kernel_driver': kernel_driver, 'passthrough': kernel_driver == 'vfio-pci',
            'driver_state': state,
            'driver_version': (tool or {}).get('driver_version') or (amd_driver if vendor == 'amd' else None),
            'compute_capability': (tool or {}).get('compute_capability'), 'uuid': (tool or {}).get('uuid'),
            'persistence_mode': (tool or {}).get('persistence_mode'),
            'gfx_target': gfx, 'rocm': rocm_support(gfx)[0] if vendor == 'amd' and not integrated else None,
            'hsa_override_gfx_version': rocm_support(gfx)[1] if vendor == 'amd' and not integrated else None,
            'render_node': next((n for n in sorted(files.get('drm') or []) if n.startswith('renderD')), None),
            'processes': [{k: v for k, v in a.items() if k != 'bus_id'} for a in apps
                          if a['bus_id'] == device['bus_id']],
        }
        gpus.append(gpu)
    jetson = jetson_gpu(snapshot.get('tegra_model'))
    if jetson:
        gpus.append({'bus_id': 'tegra', 'vendor': 'nvidia', 'vendor_id': '10de', 'device_id': None, 'revision': None,
                     'model': jetson, 'gres_type': gres_type(jetson), 'pci_name': None, 'integrated': True,
                     'accelerator': False, 'vram_gb': None,
                     'vram_source': 'shared', 'memory_used_gb': None, 'power_draw_w': None, 'power_limit_w': None,
                     'utilization_pct': None, 'pcie': None, 'kernel_driver': 'nvgpu', 'passthrough': False,
                     'driver_state': 'loaded' if snapshot.get('tegra_driver') else 'none', 'driver_version': None,
                     'compute_capability': None, 'uuid': None, 'persistence_mode': None, 'gfx_target': None,
                     'rocm': None, 'hsa_override_gfx_version': None, 'render_node': None, 'processes': []})
    _number(gpus, nvidia)
    return {'gpus': gpus, 'messages': messages}


def _number(gpus, nvidia):
    """index: the vendor's own numbering (nvidia-smi's index, else the order on the bus per vendor), which is
    also the device file number Slurm's gres.conf needs (/dev/nvidiaN)."""
    seen = {}
    for gpu in gpus:
        if gpu['accelerator']:
            gpu['index'] = None
            continue
        number = seen.get(gpu['vendor'], 0)
        seen[gpu['vendor']] = number + 1
        row = nvidia.get(gpu['bus_id']) if gpu['vendor'] == 'nvidia' else None
        gpu['index'] = row['index'] if row and row.get('index') is not None else number


# ------------------------------------------------------------------------------------------- summaries

def summary(gpus):
    """Totals for a host: count, vram_gb (sum), vram_max_gb, driver_state, vendors."""
    compute = [g for g in gpus if not g['accelerator'] and not g['integrated']]
    vram = [g['vram_gb'] for g in compute if g['vram_gb'] is not None]
    states = {g['driver_state'] for g in gpus if not g['passthrough']}
    state = 'mismatch' if 'mismatch' in states else 'none' if ('none' in states or not states) else 'loaded'
    return {'count': len(compute), 'vram_gb': round(sum(vram), 1), 'vram_max_gb': max(vram) if vram else 0,
            'driver_state': state, 'vendors': sorted({g['vendor'] for g in gpus}),
            'accelerators': [g['model'] for g in gpus if g['accelerator']]}


def gres(gpus):
    """Slurm's node GRES ('gpu:rtx_4070_ti_super:1,gpu:rx_7900_xt:1') and gres.conf lines, for the discrete
    GPUs the host itself drives (not those passed through to VMs)."""
    usable = [g for g in gpus if not g['accelerator'] and not g['integrated'] and not g['passthrough']]
    counts = {}
    for gpu in usable:
        counts[gpu['gres_type']] = counts.get(gpu['gres_type'], 0) + 1
    lines = []
    for gpu in usable:
        if gpu['vendor'] == 'nvidia':
            device = '/dev/nvidia%d' % gpu['index']
        elif gpu.get('render_node'):
            device = '/dev/dri/%s' % gpu['render_node']
        else:
            device = None
        line = 'Name=gpu Type=%s' % gpu['gres_type']
        lines.append(line + (' File=%s' % device if device else ''))
    return ','.join('gpu:%s:%d' % (t, n) for t, n in sorted(counts.items())), lines


# -------------------------------------------------------------------------------------- cross-check

def _matches(declared, found):
    if declared.get('vendor') and declared['vendor'] != found['vendor']:
        return False
    want = model_key(declared.get('model'))
    return bool(want) and want in model_candidates(found['model']) + model_candidates(found.get('pci_name'))


def compare(declared, found, tolerance_gb=0.5):
    """What the hardware file says (homelab_gpus) against what gpu_info found, per GPU:
    {'matched': [...], 'differences': ['gpus[0] RTX 4070 Ti Super: declared 16 GB, found 12 GB', ...]}.
    Integrated GPUs that are not declared are noted, not counted as differences."""
    found_left = list(found)
    differences, matched, notes = [], [], []
    pending = []
    for number, gpu in enumerate(declared or []):
        hit = next((f for f in found_left if _matches(gpu, f)), None)
        if hit is None:
            pending.append((number, gpu))
            continue
        found_left.remove(hit)
        matched.append(_pair(number, gpu, hit, differences, tolerance_gb))
    for number, gpu in pending:
        # the same vendor with another model: a different card than the file says
        hit = next((f for f in found_left if f['vendor'] == gpu.get('vendor') and not f['integrated']), None)
        label = 'gpus[%d] %s' % (number, gpu.get('model') or '?')
        if hit is None:
            differences.append('%s: declared, not found' % label)
            continue
        found_left.remove(hit)
        differences.append('%s: declared, found %s at %s instead' % (label, hit['model'], hit['bus_id']))
        matched.append(_pair(number, gpu, hit, differences, tolerance_gb))
    for gpu in found_left:
        if gpu['integrated']:
            notes.append('%s %s (integrated) not declared' % (gpu['bus_id'], gpu['model']))
        else:
            differences.append('%s %s: found, not declared' % (gpu['bus_id'], gpu['model']))
    return {'matched': matched, 'differences': differences, 'notes': notes}


def _pair(number, declared, found, differences, tolerance_gb):
    label = 'gpus[%d] %s' % (number, declared.get('model') or '?')
    want, have = declared.get('vram_gb'), found.get('vram_gb')
    if want is not None and have is not None and abs(float(want) - float(have)) > tolerance_gb:
        differences.append('%s: declared %s GB, found %s GB' % (label, _gb(want), _gb(have)))
    pcie = declared.get('pcie') or {}
    link = found.get('pcie') or {}
    # a link trains down to gen 1 while idle, so the generation is compared with what the link can do; the
    # lanes with what it runs at (an x16 card in an x4 slot)
    have_gen = link.get('max_gen') or link.get('gen')
    if pcie.get('gen') is not None and have_gen is not None and int(pcie['gen']) != int(have_gen):
        differences.append('%s: declared PCIe gen %s, capable of %s' % (label, pcie['gen'], have_gen))
    if pcie.get('lanes') is not None and link.get('lanes') is not None and int(pcie['lanes']) != int(link['lanes']):
        differences.append('%s: declared PCIe lanes %s, running at %s' % (label, pcie['lanes'], link['lanes']))
    return {'declared': number, 'bus_id': found['bus_id'], 'model': found['model']}


def _gb(value):
    return ('%.1f' % float(value)).rstrip('0').rstrip('.')
