# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The readers of what GPU tools print, without I/O: `lspci -nnmm -D`, sysfs files and the pci.ids database,
`nvidia-smi` CSV and its driver-state messages, `rocm-smi --json`. Each returns plain records; _gpu.py turns
them into one list of GPUs.

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

import csv
import json
import re
import shlex

# nvidia-smi --query-gpu fields, in the order they are asked for.
NVIDIA_FIELDS = ('index', 'pci.bus_id', 'name', 'uuid', 'memory.total', 'memory.used', 'power.draw',
                 'power.limit', 'utilization.gpu', 'driver_version', 'persistence_mode',
                 'pcie.link.gen.current', 'pcie.link.width.current', 'compute_cap')
NVIDIA_APP_FIELDS = ('gpu_bus_id', 'pid', 'process_name', 'used_memory')

# PCIe transfer rate (GT/s, as sysfs writes it) -> generation
_GTS_GEN = {'2.5': 1, '5.0': 2, '5': 2, '8.0': 3, '8': 3, '16.0': 4, '16': 4, '32.0': 5, '32': 5,
            '64.0': 6, '64': 6}

NVIDIA_NO_DRIVER = "couldn't communicate with the nvidia driver"
NVIDIA_MISMATCH = 'driver/library version mismatch'
NVIDIA_NO_LIBRARY = "couldn't find libnvidia-ml.so"


class GpuError(ValueError):
    """A tool output that cannot be read; the message names the tool and what it said."""


# --------------------------------------------------------------------------------------------- lspci

_NAME_ID = re.compile(r'^(?P<name>.*?)\s*\[(?P<id>[0-9a-fA-F]{4})\]$')


def _name_id(field):
    match = _NAME_ID.match(field.strip())
    if not match:
        return field.strip(), None
    return match.group('name'), match.group('id').lower()


def parse_lspci(text):
    """`lspci -nnmm -D` (or -vmm-less machine-readable form) -> [{bus_id, class_id, class_name, vendor_id,
    vendor_name, device_id, device_name, revision}]. Lines that are not device records raise GpuError."""
    devices = []
    for number, line in enumerate((text or '').splitlines(), 1):
        if not line.strip():
            continue
        try:
            fields = shlex.split(line)
        except ValueError as exc:
            raise GpuError('lspci line %d: %s: %r' % (number, exc, line)) from None
        options = [f for f in fields[1:] if re.match(r'^-[rp][0-9a-fA-F]+$', f)]
        quoted = [f for f in fields[1:] if f not in options]
        if len(quoted) < 3:
            raise GpuError('lspci line %d: expected slot "class [id]" "vendor [id]" "device [id]", got %r'
                           % (number, line))
        slot = fields[0] if fields[0].count(':') == 2 else '0000:' + fields[0]
        class_name, class_id = _name_id(quoted[0])
        vendor_name, vendor_id = _name_id(quoted[1])
        device_name, device_id = _name_id(quoted[2])
        revision = next((o[2:].lower() for o in options if o.startswith('-r')), None)
        devices.append({'bus_id': slot.lower(), 'class_id': class_id, 'class_name': class_name,
                        'vendor_id': vendor_id, 'vendor_name': vendor_name, 'device_id': device_id,
                        'device_name': device_name, 'revision': revision})
    return devices


def pci_from_sysfs(bus_id, files, names=None):
    """One device from the sysfs files of /sys/bus/pci/devices/<bus_id> ({'class': '0x030000', 'vendor':
    '0x10de', 'device': '0x2705', 'revision': '0xa1'}), named from the PCI id database when given."""
    class_id = files.get('class', '0x000000').strip()[2:6].lower()
    vendor_id = files.get('vendor', '0x0000').strip()[2:].lower()
    device_id = files.get('device', '0x0000').strip()[2:].lower()
    revision = (files.get('revision') or '').strip()[2:].lower() or None
    vendor_name, device_name = (names or {}).get('%s:%s' % (vendor_id, device_id), (None, None))
    return {'bus_id': bus_id.lower(), 'class_id': class_id, 'class_name': None, 'vendor_id': vendor_id,
            'vendor_name': vendor_name, 'device_id': device_id, 'device_name': device_name, 'revision': revision}


def pci_ids_names(text, wanted):
    """The vendor and device names for the wanted 'vvvv:dddd' ids from a pci.ids database text."""
    wanted = set(wanted)
    vendors = {w.split(':')[0] for w in wanted}
    names, vendor, vendor_name = {}, None, None
    for line in (text or '').splitlines():
        if not line or line.startswith('#'):
            continue
        if line.startswith('C '):
            break  # the class list follows the vendors
        if not line.startswith('\t'):
            vendor, vendor_name = (line.split('  ', 1) + [''])[:2]
            vendor = vendor.lower() if vendor.lower() in vendors else None
        elif vendor and not line.startswith('\t\t'):
            device, device_name = (line[1:].split('  ', 1) + [''])[:2]
            key = '%s:%s' % (vendor, device.lower())
            if key in wanted:
                names[key] = (vendor_name.strip(), device_name.strip())
    return names


# ---------------------------------------------------------------------------------------------- sysfs

def pcie_link(files):
    """{'current_link_speed': '16.0 GT/s PCIe', 'current_link_width': '16', 'max_link_speed': ...} -> gen/lanes."""
    def gen(speed):
        match = re.match(r'^\s*([0-9.]+)\s*GT/s', speed or '')
        return _GTS_GEN.get(match.group(1)) if match else None

    def lanes(width):
        width = (width or '').strip()
        return int(width) if width.isdigit() and int(width) > 0 else None

    link = {'gen': gen(files.get('current_link_speed')), 'lanes': lanes(files.get('current_link_width')),
            'max_gen': gen(files.get('max_link_speed')), 'max_lanes': lanes(files.get('max_link_width'))}
    return link if any(v is not None for v in link.values()) else None


def sysfs_vram_bytes(files):
    """VRAM from the driver's sysfs files: amdgpu mem_info_vram_total, xe tile0/physical_vram_size_bytes,
    i915 lmem_total_bytes."""
    for name in ('mem_info_vram_total', 'tile0/physical_vram_size_bytes', 'lmem_total_bytes'):
        value = (files.get(name) or '').strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


# --------------------------------------------------------------------------------------------- NVIDIA

def _na(value):
    value = (value or '').strip()
    return None if not value or value.startswith('[') or value in ('N/A', 'Unknown Error') else value


def _num(value, kind=float):
    value = _na(value)
    if value is None:
        return None
    try:
        return kind(float(value)) if kind is int else kind(value)
    except ValueError:
        return None


def normalize_bus_id(bus_id):
    """nvidia-smi's '00000000:01:00.0' or rocm-smi's '0000:C4:00.0' -> sysfs's '0000:01:00.0'."""
    bus_id = (bus_id or '').strip().lower()
    match = re.match(r'^([0-9a-f]+):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$', bus_id)
    if not match:
        return bus_id or None
    return '%04x:%s:%s.%s' % (int(match.group(1), 16) & 0xffff, match.group(2), match.group(3), match.group(4))


def nvidia_smi_state(rc, stdout, stderr):
    """What an nvidia-smi run says about the driver: ('loaded'|'mismatch'|'none', message)."""
    said = ('%s\n%s' % (stdout or '', stderr or '')).strip()
    low = said.lower()
    if rc == 0 and not (NVIDIA_MISMATCH in low or NVIDIA_NO_DRIVER in low):
        return 'loaded', None
    if NVIDIA_MISMATCH in low:
        return 'mismatch', ('nvidia-smi: %s (the kernel module and the user-space library are different '
                            'versions: reboot after a driver upgrade, or reinstall one version)'
                            % said.splitlines()[0])
    if NVIDIA_NO_DRIVER in low or NVIDIA_NO_LIBRARY in low:
        return 'none', 'nvidia-smi: %s' % said.splitlines()[0]
    return 'none', 'nvidia-smi exited %s: %s' % (rc, said.splitlines()[0] if said else 'no output')


def parse_nvidia_smi(text, fields=NVIDIA_FIELDS):
    """`nvidia-smi --query-gpu=<fields> --format=csv,noheader,nounits` -> [{...}] keyed by bus id."""
    gpus = []
    for row in csv.reader((text or '').splitlines(), skipinitialspace=True):
        if not row:
            continue
        if len(row) != len(fields):
            raise GpuError('nvidia-smi: expected %d columns (%s), got %d: %r'
                           % (len(fields), ','.join(fields), len(row), ','.join(row)))
        value = dict(zip(fields, (c.strip() for c in row)))
        total_mib = _num(value.get('memory.total'))
        used_mib = _num(value.get('memory.used'))
        gpus.append({
            'index': _num(value.get('index'), int),
            'bus_id': normalize_bus_id(value.get('pci.bus_id')),
            'name': _na(value.get('name')),
            'uuid': _na(value.get('uuid')),
            'vram_gb': round(total_mib / 1024.0, 1) if total_mib is not None else None,
            'memory_used_gb': round(used_mib / 1024.0, 2) if used_mib is not None else None,
            'power_draw_w': _num(value.get('power.draw')),
            'power_limit_w': _num(value.get('power.limit')),
            'utilization_pct': _num(value.get('utilization.gpu')),
            'driver_version': _na(value.get('driver_version')),
            'persistence_mode': (_na(value.get('persistence_mode')) or '').lower() == 'enabled'
            if _na(value.get('persistence_mode')) else None,
            'pcie_gen': _num(value.get('pcie.link.gen.current'), int),
            'pcie_lanes': _num(value.get('pcie.link.width.current'), int),
            'compute_capability': _na(value.get('compute_cap')),
        })
    return gpus


def parse_nvidia_apps(text):
    """`nvidia-smi --query-compute-apps=gpu_bus_id,pid,process_name,used_memory --format=csv,noheader,nounits`."""
    apps = []
    for row in csv.reader((text or '').splitlines(), skipinitialspace=True):
        if not row or (len(row) == 1 and 'no running' in row[0].lower()):
            continue
        if len(row) != len(NVIDIA_APP_FIELDS):
            raise GpuError('nvidia-smi compute apps: expected %d columns, got %r' % (len(NVIDIA_APP_FIELDS), row))
        used = _num(row[3])
        apps.append({'bus_id': normalize_bus_id(row[0]), 'pid': _num(row[1], int), 'name': row[2].strip(),
                     'memory_used_gb': round(used / 1024.0, 2) if used is not None else None})
    return apps


# ------------------------------------------------------------------------------------------------ AMD

def _rocm_key(card, *names):
    lowered = {k.lower(): v for k, v in card.items()}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def parse_rocm_smi(text):
    """`rocm-smi --showproductname --showmeminfo vram --showuse --showpower --showbus --json` -> [{...}]."""
    try:
        data = json.loads(text or '{}')
    except ValueError as exc:
        first = (text or '').strip().splitlines()[:1]
        raise GpuError('rocm-smi: expected JSON, got %r (%s)' % (first[0] if first else '', exc)) from None
    gpus = []
    for card in sorted(k for k in data if re.match(r'^card\d+$', k)):
        values = data[card]
        total = _rocm_key(values, 'VRAM Total Memory (B)')
        used = _rocm_key(values, 'VRAM Total Used Memory (B)')
        power = _rocm_key(values, 'Average Graphics Package Power (W)', 'Current Socket Graphics Package Power (W)')
        gpus.append({
            'card': card,
            'bus_id': normalize_bus_id(_rocm_key(values, 'PCI Bus')),
            'name': _na(_rocm_key(values, 'Card Series', 'Card series', 'Device Name')),
            'vram_gb': round(int(total) / 1024.0 ** 3, 1) if (total or '').isdigit() else None,
            'memory_used_gb': round(int(used) / 1024.0 ** 3, 2) if (used or '').isdigit() else None,
            'utilization_pct': _num(_rocm_key(values, 'GPU use (%)')),
            'power_draw_w': _num(power),
            'gfx_target': _na(_rocm_key(values, 'GFX Version')),
        })
    driver = data.get('system', {}).get('Driver version') if isinstance(data.get('system'), dict) else None
    return gpus, driver
