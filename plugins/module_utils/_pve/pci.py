# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PCI devices of a Proxmox VE node: GPUs, ``hostpciN`` entries, resource mappings, IOMMU groups (pure).

PRIVATE to the homelab.cluster collection; its API may change without notice.

Input is ``GET /nodes/{node}/hardware/pci`` (items ``id`` 0000:01:00.0, ``class`` 0x030000, ``vendor`` 0x10de,
``device``, ``device_name``, ``iommugroup`` (-1 without an IOMMU)). The API gives no PCI revision, so boards that
share a device id (Navi 31: RX 7900 XT, XTX and GRE) are told apart by the GPUs the hardware file declares for
the node; without one the smallest board of that id is assumed, never a bigger one.
"""

from __future__ import annotations

from ansible_collections.homelab.cluster.plugins.module_utils._gpu import GPU_VENDORS
from ansible_collections.homelab.cluster.plugins.module_utils._gpu import KNOWN_BOARDS
from ansible_collections.homelab.cluster.plugins.module_utils._gpu import VENDORS
from ansible_collections.homelab.cluster.plugins.module_utils._gpu import marketing_name
from ansible_collections.homelab.cluster.plugins.module_utils._gpu import model_candidates
from ansible_collections.homelab.cluster.plugins.module_utils._gpu import model_key

_APUS = ('raphael', 'phoenix', 'rembrandt', 'renoir', 'cezanne', 'granite ridge', 'strix', 'hawk point')
_INTEL_DISCRETE = ('4905', '4906', '4907', '4908', '56', 'e2')


def hexid(value):
    """'0x10de' -> '10de'."""
    return str(value or '').lower().replace('0x', '')


def parse_hostpci(value):
    """'0000:01:00,pcie=1,x-vga=1' / 'mapping=rtx,pcie=1' / 'host=01:00.0;02:00.0' ->
    {'host': ['0000:01:00', ...], 'mapping': None, 'options': {...}}."""
    parts = [p for p in str(value or '').split(',') if p]
    out = {'host': [], 'mapping': None, 'options': {}}
    for i, part in enumerate(parts):
        key, sep, val = part.partition('=')
        if not sep and i == 0:
            key, val = 'host', part
        if key == 'host':
            out['host'] = [full_bus(b) for b in val.split(';') if b]
        elif key == 'mapping':
            out['mapping'] = val
        else:
            out['options'][key] = val
    return out


def full_bus(bus):
    """'01:00' -> '0000:01:00'; '0000:01:00.0' unchanged."""
    bus = str(bus).lower()
    return bus if bus.count(':') == 2 else '0000:' + bus


def devices_at(bus, pci):
    """The PCI items at a bus id: one function (``.0``) or, for a slot without a function, all of them."""
    bus = full_bus(bus)
    if '.' in bus:
        return [d for d in pci if d.get('id') == bus]
    return [d for d in pci if str(d.get('id', '')).startswith(bus + '.')]


def mapping_paths(mapping_id, mappings, node):
    """The bus ids a cluster resource mapping gives ``node`` (``map`` entries ``node=X,path=a;b,id=v:d``)."""
    for mapping in mappings or ():
        if mapping.get('id') != mapping_id:
            continue
        for entry in mapping.get('map') or ():
            fields = dict(p.split('=', 1) for p in str(entry).split(',') if '=' in p)
            if fields.get('node') == node:
                return [full_bus(b) for b in fields.get('path', '').split(';') if b]
    return None


def is_discrete_gpu(device):
    cls = hexid(device.get('class'))
    vendor = hexid(device.get('vendor'))
    if not cls.startswith('03') or vendor not in GPU_VENDORS:
        return False
    name = (device.get('device_name') or '').lower()
    if vendor == '8086':
        return hexid(device.get('device')).startswith(_INTEL_DISCRETE)
    return not (vendor == '1002' and any(apu in name for apu in _APUS))


def gpu_of(device, declared=None):
    """{'model', 'vendor', 'vram_gb'} for a discrete GPU item, or None. A declared GPU of the same model names it."""
    if not is_discrete_gpu(device):
        return None
    vendor_id, device_id = hexid(device.get('vendor')), hexid(device.get('device'))
    vendor = VENDORS[vendor_id]
    model = marketing_name(device.get('device_name')) or '%s %s' % (vendor, device_id)
    candidates = model_candidates(model)
    for gpu in declared or ():
        if (not gpu.get('vendor') or gpu['vendor'] == vendor) and model_key(gpu.get('model')) in candidates:
            return {'model': gpu['model'], 'vendor': vendor, 'vram_gb': gpu.get('vram_gb', 0)}
    board = KNOWN_BOARDS.get('%s:%s' % (vendor_id, device_id))
    if board:
        return {'model': board[0], 'vendor': vendor, 'vram_gb': board[1] or 0}
    variants = sorted((v for k, v in KNOWN_BOARDS.items() if k.startswith('%s:%s:' % (vendor_id, device_id))),
                      key=lambda b: b[1] or 0)
    if variants:
        return {'model': model, 'vendor': vendor, 'vram_gb': variants[0][1] or 0}
    return {'model': model, 'vendor': vendor, 'vram_gb': 0}


def gpus_of_node(pci, declared=None):
    """The node's discrete GPUs from its PCI list, or None when the hardware file declares them or PCI is unknown."""
    if declared or pci is None:
        return None
    return [gpu for gpu in (gpu_of(d) for d in sorted(pci, key=lambda d: d.get('id', ''))) if gpu]


def hostpci_entries(config):
    """[(slot, parsed)] of a guest config's hostpci0..15, in slot order."""
    keys = sorted((k for k in (config or {}) if k.startswith('hostpci') and k[7:].isdigit()), key=lambda k: int(k[7:]))
    return [(key, parse_hostpci(config[key])) for key in keys]


def gpus_of_guest(config, pci, mappings, node, declared=None):
    """(gpus, devices, problems) for a guest's passed-through devices.

    devices: [{'slot', 'bus': [...], 'mapping', 'ids': ['10de:2705', ...], 'gpu': model or None}]"""
    gpus, devices, problems = [], [], []
    for slot, entry in hostpci_entries(config):
        buses = entry['host']
        if entry['mapping']:
            buses = mapping_paths(entry['mapping'], mappings, node)
            if buses is None:
                problems.append('%s: mapping %s has no entry for node %s' % (slot, entry['mapping'], node))
                buses = []
        found = [d for bus in buses for d in devices_at(bus, pci or ())]
        gpu = next((g for g in (gpu_of(d, declared) for d in found) if g), None)
        devices.append({'slot': slot, 'bus': buses, 'mapping': entry['mapping'],
                        'ids': ['%s:%s' % (hexid(d.get('vendor')), hexid(d.get('device'))) for d in found],
                        'gpu': gpu['model'] if gpu else None})
        if gpu:
            gpus.append(gpu)
        elif pci is None and buses:
            problems.append('%s: the PCI list of node %s is not available; the device is not identified' % (slot, node))
    return gpus, devices, problems


def find_gpus(model, pci, declared=None):
    """The node's GPU items a model name means ('RTX 4070 Ti Super' finds 'AD103 [GeForce RTX 4070 Ti SUPER]')."""
    want = model_key(model)
    out = []
    for device in sorted(pci or (), key=lambda d: d.get('id', '')):
        gpu = gpu_of(device, declared)
        names = model_candidates(marketing_name(device.get('device_name')))
        if gpu and (model_key(gpu['model']) == want or want in names):
            out.append(device)
    return out


def iommu_group(device, pci):
    """The other items of the device's IOMMU group ([] when the group is the device alone)."""
    group = device.get('iommugroup')
    return [d for d in pci if d.get('iommugroup') == group and d.get('id') != device.get('id')]
