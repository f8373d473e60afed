# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The declared guests checked as input, before any request (pure, no I/O).

PRIVATE to the homelab.cluster collection; its API may change without notice.

``check_guests(guests)`` lists every problem of the ``guests`` input of ``proxmox_guests``, each naming the field
(``guests[1].disks[0].size_gb: expected a size in GB above 0, got 'big'``): a required field missing, an unknown
key (with the nearest known one), a value of the wrong kind or outside what qemu-server accepts, two guests with
one vmid or name, two disks in one slot. The plan against the node (memory, GPUs, IOMMU groups) is ``plan.py``'s.
"""

from __future__ import annotations

import difflib
import re

REQUIRED = ('name', 'vmid', 'cores', 'memory_gb')
KEYS = REQUIRED + ('disks', 'networks', 'gpus', 'cloud_init', 'tags', 'pool', 'ostype', 'bios', 'cpu_type', 'onboot',
                   'node')
DISK_KEYS = ('storage', 'size_gb', 'slot', 'ssd')
NET_KEYS = ('bridge', 'vlan', 'model', 'firewall')
GPU_KEYS = ('model', 'pci', 'pcie', 'x_vga')
CLOUD_KEYS = ('user', 'ssh_keys', 'ipconfig', 'storage')
# qemu-server's enums (PVE 9)
OSTYPES = ('other', 'wxp', 'w2k', 'w2k3', 'w2k8', 'wvista', 'win7', 'win8', 'win10', 'win11', 'l24', 'l26', 'solaris')
BIOS = ('seabios', 'ovmf')
NIC_MODELS = ('virtio', 'e1000', 'e1000e', 'rtl8139', 'vmxnet3', 'e1000-82540em', 'e1000-82544gc', 'e1000-82545em',
              'i82551', 'i82557b', 'i82559er', 'ne2k_isa', 'ne2k_pci', 'pcnet')
_SLOTS = {'scsi': 31, 'virtio': 16, 'sata': 6, 'ide': 4}
_DNS_NAME = re.compile(r'^[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?)*$')
_ID = re.compile(r'^[a-z][a-z0-9\-_.]*[a-z0-9]$')
_TAG = re.compile(r'^[a-z0-9_][a-z0-9_\-+.]*$', re.IGNORECASE)
_BUS = re.compile(r'^([0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}(\.[0-7])?$', re.IGNORECASE)


def _int(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.match(r'^\d+$', value.strip()):
        return int(value)
    return None


def _number(value):
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _is_bool(value):
    return isinstance(value, bool) or value in (0, 1)


def _unknown(where, item, known, problems):
    for key in sorted(str(k) for k in item):
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            problems.append('%s.%s: unknown key%s; known: %s' % (where, key, " (did you mean '%s'?)" % close[0]
                                                                 if close else '', ', '.join(known)))


def _list_of_dicts(where, value, problems):
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        problems.append('%s: expected a list of mappings, got %r' % (where, value))
        return []
    return value


def _check_disks(where, disks, problems):
    slots = {}
    for i, disk in enumerate(_list_of_dicts(where, disks, problems)):
        at = '%s[%d]' % (where, i)
        _unknown(at, disk, DISK_KEYS, problems)
        if not disk.get('storage') or not _ID.match(str(disk['storage'])):
            problems.append('%s.storage: expected a storage id (local-lvm, ...), got %r' % (at, disk.get('storage')))
        size = _number(disk.get('size_gb'))
        if size is None or size <= 0:
            problems.append('%s.size_gb: expected a size in GB above 0, got %r' % (at, disk.get('size_gb')))
        slot = str(disk.get('slot', 'scsi0'))
        match = re.match(r'^(scsi|virtio|sata|ide)(\d+)$', slot)
        if not match or int(match.group(2)) >= _SLOTS[match.group(1)]:
            problems.append('%s.slot: expected scsi0-30, virtio0-15, sata0-5 or ide0-3, got %r' % (at, slot))
        elif slot in slots:
            problems.append('%s.slot: %s is also %s[%d]' % (at, slot, where, slots[slot]))
        slots.setdefault(slot, i)
        if 'ssd' in disk and not _is_bool(disk['ssd']):
            problems.append('%s.ssd: expected a boolean, got %r' % (at, disk['ssd']))


def _check_networks(where, networks, problems):
    for i, net in enumerate(_list_of_dicts(where, networks, problems)):
        at = '%s[%d]' % (where, i)
        _unknown(at, net, NET_KEYS, problems)
        if 'bridge' in net and not re.match(r'^[-_.\w]+$', str(net['bridge'] or '')):
            problems.append('%s.bridge: expected a bridge name (vmbr0), got %r' % (at, net['bridge']))
        vlan = net.get('vlan')
        if vlan is not None and not (_int(vlan) is not None and 1 <= _int(vlan) <= 4094):
            problems.append('%s.vlan: expected a VLAN tag 1-4094, got %r' % (at, vlan))
        if 'model' in net and net['model'] not in NIC_MODELS:
            problems.append('%s.model: expected one of %s, got %r' % (at, ', '.join(NIC_MODELS[:5]) + ', ...',
                                                                      net['model']))
        if 'firewall' in net and not _is_bool(net['firewall']):
            problems.append('%s.firewall: expected a boolean, got %r' % (at, net['firewall']))


def _check_gpus(where, gpus, problems):
    if gpus is None:
        return
    if not isinstance(gpus, list):
        problems.append('%s: expected a list of GPU models or mappings, got %r' % (where, gpus))
        return
    for i, gpu in enumerate(gpus):
        at = '%s[%d]' % (where, i)
        if isinstance(gpu, dict):
            _unknown(at, gpu, GPU_KEYS, problems)
            if not gpu.get('model') and not gpu.get('pci'):
                problems.append('%s.model: required (or pci), got nothing' % at)
            if gpu.get('pci') and not _BUS.match(str(gpu['pci'])):
                problems.append('%s.pci: expected a PCI bus id like 0000:01:00, got %r' % (at, gpu['pci']))
            for flag in ('pcie', 'x_vga'):
                if flag in gpu and not _is_bool(gpu[flag]):
                    problems.append('%s.%s: expected a boolean, got %r' % (at, flag, gpu[flag]))
        elif not isinstance(gpu, str) or not gpu.strip():
            problems.append('%s: expected a GPU model (RTX 4070 Ti Super) or a mapping, got %r' % (at, gpu))


def _check_cloud(where, cloud, problems):
    if cloud is None:
        return
    if not isinstance(cloud, dict):
        problems.append('%s: expected a mapping, got %r' % (where, cloud))
        return
    _unknown(where, cloud, CLOUD_KEYS, problems)
    for key in ('ssh_keys', 'ipconfig'):
        value = cloud.get(key)
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            problems.append('%s.%s: expected a list of strings, got %r' % (where, key, value))
    if 'storage' in cloud and not _ID.match(str(cloud['storage'] or '')):
        problems.append('%s.storage: expected a storage id, got %r' % (where, cloud['storage']))


def _check_guest(where, guest, problems):
    _unknown(where, guest, KEYS, problems)
    for field in REQUIRED:
        if guest.get(field) in (None, ''):
            problems.append('%s.%s: required, got nothing' % (where, field))
    if guest.get('name') not in (None, '') and not _DNS_NAME.match(str(guest['name'])):
        problems.append('%s.name: expected a DNS name (letters, digits, -), got %r' % (where, guest['name']))
    vmid = _int(guest.get('vmid'))
    if guest.get('vmid') not in (None, '') and (vmid is None or not 100 <= vmid <= 999999999):
        problems.append('%s.vmid: expected an integer 100-999999999, got %r' % (where, guest['vmid']))
    cores = _int(guest.get('cores'))
    if guest.get('cores') not in (None, '') and (cores is None or not 1 <= cores <= 8192):
        problems.append('%s.cores: expected an integer 1-8192, got %r' % (where, guest['cores']))
    memory = _number(guest.get('memory_gb'))
    if guest.get('memory_gb') not in (None, '') and (memory is None or memory * 1024 < 16):
        problems.append('%s.memory_gb: expected a size in GB (at least 16 MiB), got %r' % (where, guest['memory_gb']))
    _check_disks(where + '.disks', guest.get('disks'), problems)
    _check_networks(where + '.networks', guest.get('networks'), problems)
    _check_gpus(where + '.gpus', guest.get('gpus'), problems)
    _check_cloud(where + '.cloud_init', guest.get('cloud_init'), problems)
    tags = guest.get('tags')
    if tags is not None and (not isinstance(tags, list) or not all(_TAG.match(str(t)) for t in tags)):
        problems.append('%s.tags: expected a list of tags (letters, digits, _ - + .), got %r' % (where, tags))
    for key, choices in (('ostype', OSTYPES), ('bios', BIOS)):
        if key in guest and guest[key] not in choices:
            problems.append('%s.%s: expected one of %s, got %r' % (where, key, ', '.join(choices), guest[key]))
    if 'onboot' in guest and not _is_bool(guest['onboot']):
        problems.append('%s.onboot: expected a boolean, got %r' % (where, guest['onboot']))
    for key in ('pool', 'cpu_type', 'node'):
        if key in guest and (not isinstance(guest[key], str) or not guest[key]):
            problems.append('%s.%s: expected a name, got %r' % (where, key, guest[key]))


def check_guests(guests):
    """Every problem of the ``guests`` input, each naming ``guests[i].field``; empty when it can be planned."""
    if not isinstance(guests, list):
        return ['guests: expected a list of guests, got %r' % (guests,)]
    problems, vmids, names = [], {}, {}
    for i, guest in enumerate(guests):
        where = 'guests[%d]' % i
        if not isinstance(guest, dict):
            problems.append('%s: expected a mapping, got %r' % (where, guest))
            continue
        _check_guest(where, guest, problems)
        for key, seen in (('vmid', vmids), ('name', names)):
            value = str(guest.get(key) or '')
            if value and value in seen:
                problems.append('%s.%s: %s is also guests[%d]\'s' % (where, key, value, seen[value]))
            seen.setdefault(value, i)
    return problems
