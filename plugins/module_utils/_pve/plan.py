# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guests as code: the declared k3s VMs -> checked plan, PVE config, the differences to apply (pure).

PRIVATE to the homelab.cluster collection; its API may change without notice.

``plan_guests(guests, node, pci, node_mem_bytes, reserve_gb, declared_gpus)`` checks the whole plan against the
node before anything is touched and returns ``(plan, refusals)``; refusals name the guest and the field:

* the guests' memory plus the host reserve above the node's RAM (over-commit);
* a GPU model the node does not have, one it has fewer of than asked, a GPU given to two guests;
* a GPU whose IOMMU group holds a device that is not given to the same guest (a split group: vfio-pci would
  take the other device from the host, or the VM would not start);
* vfio-pci ids that would also take a card that stays on the host (two boards with one PCI id).

``desired_config(guest, devices)`` is the PVE config the guest gets; ``config_changes(current, desired)`` the
keys to set, the disks to grow and the refusals (a disk never shrinks).
"""

from __future__ import annotations

import re

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover
    from urllib import quote  # type: ignore

from ansible_collections.homelab.cluster.plugins.module_utils._pve.pci import find_gpus
from ansible_collections.homelab.cluster.plugins.module_utils._pve.pci import gpu_of
from ansible_collections.homelab.cluster.plugins.module_utils._pve.pci import hexid
from ansible_collections.homelab.cluster.plugins.module_utils._pve.pci import iommu_group

GIB = 1024 ** 3
_MAPPING_SAFE = re.compile(r'[^a-z0-9_-]+')


def mapping_id(model):
    """'RTX 4070 Ti Super' -> 'rtx-4070-ti-super' (a cluster resource mapping id)."""
    return _MAPPING_SAFE.sub('-', str(model).lower()).strip('-')[:60]


def _slot(bus):
    return bus.rsplit('.', 1)[0]


def plan_guests(guests, node, pci, node_mem_bytes, reserve_gb, declared_gpus=None):
    """(plan, refusals). plan: {'guests': [{name, vmid, devices: [{model, bus, ids, group, mapping}]}],
    'vfio_ids': [...], 'memory_gb': total, 'node_gb': ..., 'reserve_gb': ...}."""
    refusals = []
    mine = [g for g in guests if g.get('node', node) == node]
    total = sum(float(g.get('memory_gb') or 0) for g in mine)
    node_gb = (node_mem_bytes or 0) / GIB
    if node_mem_bytes and total + reserve_gb > node_gb + 1e-9:
        each = ', '.join('%s %s' % (g['name'], _fmt(g.get('memory_gb') or 0)) for g in mine)
        refusals.append('%s: over-committed memory: guests %s GB (%s) + host reserve %s GB = %s GB, the node has %s GB'
                        % (node, _fmt(total), each, _fmt(reserve_gb), _fmt(total + reserve_gb), _fmt(node_gb)))
    taken = {}
    out = []
    for guest in mine:
        devices = []
        for i, want in enumerate(guest.get('gpus') or ()):
            where = '%s.gpus[%d]' % (guest['name'], i)
            model = want.get('model') if isinstance(want, dict) else want
            bus = want.get('pci') if isinstance(want, dict) else None
            if pci is None:
                refusals.append('%s: the PCI list of node %s is not available; cannot place %s' % (where, node, model))
                continue
            if bus:
                found = [d for d in pci if d.get('id', '').startswith(bus)]
            else:
                found = [d for d in find_gpus(model, pci, declared_gpus) if _slot(d['id']) not in taken]
            if not found:
                have = sorted({gpu_of(d, declared_gpus)['model'] for d in pci if gpu_of(d, declared_gpus)})
                owners = sorted({taken[_slot(d['id'])] for d in find_gpus(model, pci, declared_gpus)
                                 if _slot(d['id']) in taken})
                if owners:
                    refusals.append('%s: %s is assigned twice: every %s of %s already goes to %s'
                                    % (where, model, model, node, ', '.join(owners)))
                else:
                    refusals.append('%s: node %s has no GPU %s; it has %s' % (where, node, model,
                                                                              ', '.join(have) or 'none'))
                continue
            device = found[0]
            slot = _slot(device['id'])
            if slot in taken:
                refusals.append('%s: %s (%s) is assigned twice: also to %s' % (where, model, slot, taken[slot]))
                continue
            taken[slot] = guest['name']
            gpu = gpu_of(device, declared_gpus) or {'model': model}
            devices.append({'model': model if not bus else gpu['model'], 'bus': slot,
                            'group': device.get('iommugroup'), 'device': device,
                            'mapping': mapping_id(model if not bus else gpu['model']),
                            'pcie': bool(want.get('pcie', True)) if isinstance(want, dict) else True,
                            'x_vga': bool(want.get('x_vga', False)) if isinstance(want, dict) else False})
        out.append({'name': guest['name'], 'vmid': guest.get('vmid'), 'devices': devices})
    vfio = set()
    for guest in out:
        for dev in guest['devices']:
            group = dev['device'].get('iommugroup')
            if group is None or int(group) < 0:
                refusals.append('%s: %s (%s): IOMMU is off on %s (iommugroup -1); the node role turns it on '
                                '(kernel command line), then reboot the node'
                                % (guest['name'], dev['model'], dev['bus'], node))
                continue
            for other in iommu_group(dev['device'], pci):
                owner = taken.get(_slot(other['id']))
                if _slot(other['id']) == dev['bus'] or owner == guest['name']:
                    continue
                refusals.append('%s: %s (%s) shares IOMMU group %s with %s (%s, %s), which %s: a split IOMMU group '
                                'cannot be passed through (move the card to a CPU-attached slot or give the guest the '
                                'whole group)' % (guest['name'], dev['model'], dev['bus'], group, other['id'],
                                                  other.get('device_name') or hexid(other.get('device')),
                                                  hexid(other.get('vendor')) + ':' + hexid(other.get('device')),
                                                  'goes to %s' % owner if owner else 'stays on the host'))
            members = [dev['device']] + [d for d in iommu_group(dev['device'], pci) if _slot(d['id']) == dev['bus']]
            dev['pci_id'] = '%s:%s' % (hexid(dev['device'].get('vendor')), hexid(dev['device'].get('device')))
            dev['ids'] = sorted({'%s:%s' % (hexid(d.get('vendor')), hexid(d.get('device'))) for d in members})
            vfio.update(dev['ids'])
    # vfio-pci binds by id: a card of the same id that no guest gets would be taken from the host as well
    for device in pci or ():
        ident = '%s:%s' % (hexid(device.get('vendor')), hexid(device.get('device')))
        if ident in vfio and _slot(device['id']) not in taken:
            refusals.append('%s: vfio-pci ids=%s would also take %s (%s), which no guest gets; give it to a guest '
                            'or keep both on the host'
                            % (node, ident, device['id'], device.get('device_name') or ident))
    plan = {'node': node, 'guests': [dict(g, devices=[{k: v for k, v in d.items() if k != 'device'}
                                                      for d in g['devices']]) for g in out],
            'vfio_ids': sorted(vfio), 'memory_gb': total, 'node_gb': round(node_gb, 2), 'reserve_gb': reserve_gb}
    return plan, refusals


def _fmt(number):
    return ('%.2f' % number).rstrip('0').rstrip('.')


def desired_config(guest, devices):
    """The PVE config (API parameter names, string values as PVE stores them) a declared guest gets."""
    config = {
        'name': guest['name'],
        'cores': int(guest.get('cores', 1)),
        'sockets': 1,
        'memory': str(int(round(float(guest.get('memory_gb', 1)) * 1024))),
        'cpu': guest.get('cpu_type', 'host'),
        'machine': 'q35',
        'bios': guest.get('bios', 'ovmf' if devices else 'seabios'),
        'scsihw': 'virtio-scsi-single',
        'ostype': guest.get('ostype', 'l26'),
        'agent': '1',
        'onboot': 1 if guest.get('onboot', True) else 0,
    }
    if guest.get('tags'):
        config['tags'] = ';'.join(sorted({str(t).lower() for t in guest['tags']}))
    for i, net in enumerate(guest.get('networks') or [{'bridge': 'vmbr0'}]):
        value = '%s,bridge=%s' % (net.get('model', 'virtio'), net.get('bridge', 'vmbr0'))
        if net.get('vlan') is not None:
            value += ',tag=%d' % int(net['vlan'])
        if net.get('firewall'):
            value += ',firewall=1'
        config['net%d' % i] = value
    for disk in guest.get('disks') or ():
        options = ',discard=on,iothread=1,ssd=1' if disk.get('ssd', True) else ''
        config[disk.get('slot', 'scsi0')] = '%s:%s%s' % (disk['storage'], _fmt(disk['size_gb']), options)
    for i, dev in enumerate(devices):
        value = 'mapping=%s' % dev['mapping']
        if dev.get('pcie', True):
            value += ',pcie=1'
        if dev.get('x_vga'):
            value += ',x-vga=1'
        config['hostpci%d' % i] = value
    cloud = guest.get('cloud_init') or {}
    if cloud:
        config['ide2'] = '%s:cloudinit' % cloud.get('storage', 'local-lvm')
        if cloud.get('user'):
            config['ciuser'] = cloud['user']
        if cloud.get('ssh_keys'):
            # PVE stores sshkeys URL-encoded (and wants them so on the wire): spaces and '+' included
            config['sshkeys'] = quote('\n'.join(cloud['ssh_keys']) + '\n', safe='')
        for i, ip in enumerate(cloud.get('ipconfig') or ['ip=dhcp']):
            config['ipconfig%d' % i] = ip
    return config


def _size_gb(value):
    match = re.search(r'(?:^|,)size=(\d+(?:\.\d+)?)([KMGT]?)', str(value))
    if not match:
        return None
    number, unit = float(match.group(1)), match.group(2) or 'G'
    return number * {'K': 1.0 / 1024 / 1024, 'M': 1.0 / 1024, 'G': 1.0, 'T': 1024.0}[unit]


def _net_same(current, desired):
    cur = str(current).split(',')
    want = desired.split(',')
    # the current value has the generated MAC as the model key (virtio=BC:24:..): compare the model name only
    return cur[0].split('=')[0] == want[0] and sorted(cur[1:]) == sorted(want[1:])


def config_changes(current, desired):
    """(set, resize, refusals): config keys to POST, disks to grow ({slot: '64G'}), refusals."""
    changes, resize, refusals = {}, {}, []
    for key, want in desired.items():
        have = current.get(key)
        if re.match(r'^(scsi|virtio|sata|ide)\d+$', key) and ':' in want and not want.endswith(':cloudinit'):
            if have is None:
                changes[key] = want
                continue
            size = float(want.split(':', 1)[1].split(',')[0])
            current_size = _size_gb(have) or 0
            if size + 1e-9 < current_size:
                refusals.append('%s: %s is %s GB, the plan says %s GB: disks are never shrunk'
                                % (desired.get('name'), key, _fmt(current_size), _fmt(size)))
            elif size > current_size + 1e-9:
                resize[key] = '%sG' % _fmt(size)
            continue
        if key.startswith('ide') and str(want).endswith(':cloudinit'):
            if have is None or 'cloudinit' not in str(have):
                changes[key] = want
            continue
        if key.startswith('net') and have is not None and _net_same(have, want):
            continue
        if have is None or str(have) != str(want):
            changes[key] = want
    return changes, resize, refusals
