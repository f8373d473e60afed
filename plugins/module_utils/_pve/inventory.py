# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Proxmox VE API results -> hardware-file hosts, ``homelab_proxmox`` facts and groups (pure, no I/O).

PRIVATE to the homelab.cluster collection; its API may change without notice.

``hosts_from_api(raw, declared, options)`` takes what the live source fetched (``/cluster/status``,
``/cluster/resources``, and per node and per guest what was asked for) and returns hardware-file entries
(the same fields a user writes: ``cpu``, ``ram_gb``, ``gpus``, ``address``, ...) so that nodes and guests go
through the same validation and classification as every other host, plus their groups and the warnings.
Gotchas handled: a guest created moments ago has no ``name`` and status ``unknown``; tags are one string
separated by ``;`` (``,`` and spaces are accepted too); pool ids start with ``/pool/``; an offline node has no
max* values; agent addresses may be absent just after boot.
"""

from __future__ import annotations

import re

from ansible_collections.homelab.cluster.plugins.module_utils._pve.pci import gpus_of_guest
from ansible_collections.homelab.cluster.plugins.module_utils._pve.pci import gpus_of_node

GIB = 1024 ** 3
GUEST_TYPES = ('qemu', 'lxc')
_GROUP_UNSAFE = re.compile(r'[^a-z0-9_]+')
_HOST_SAFE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]*$')
# qemu ``ostype`` and lxc ``ostype`` -> the hardware file's os
_OSTYPES = {'l26': 'linux', 'l24': 'linux', 'debian': 'debian', 'ubuntu': 'ubuntu', 'alpine': 'alpine',
            'archlinux': 'arch', 'fedora': 'fedora', 'nixos': 'nixos', 'centos': 'rhel', 'opensuse': 'linux',
            'gentoo': 'linux', 'devuan': 'debian', 'solaris': 'linux', 'other': 'linux', 'unmanaged': 'linux'}


def group_name(prefix, value):
    """'proxmox_tag', 'control-plane' -> 'proxmox_tag_control_plane'."""
    return '%s_%s' % (prefix, _GROUP_UNSAFE.sub('_', str(value).lower()).strip('_') or 'none')


def parse_tags(text):
    """PVE writes ``a;b``; its parser also splits on ``,`` and spaces. Sorted, unique, lower case."""
    return sorted({t for t in re.split(r'[;,\s]+', (text or '').strip().lower()) if t})


def pool_of(item):
    """A guest's ``pool`` is the plain name; a pool item's ``id`` is ``/pool/NAME``."""
    pool = item.get('pool')
    if not pool and item.get('type') == 'pool':
        pool = str(item.get('id', '')).rsplit('/', 1)[-1]
    return pool or None


def os_of(guest_type, config):
    ostype = (config or {}).get('ostype')
    if not ostype:
        return 'linux'
    if str(ostype).startswith('w'):
        return 'windows'
    return _OSTYPES.get(str(ostype), 'linux')


def agent_addresses(result):
    """Addresses a guest agent (``network-get-interfaces``) or an lxc ``interfaces`` answer reports: IPv4 first,
    loopback and link-local left out. ``ip-addresses`` may be missing just after boot."""
    v4, v6 = [], []
    for iface in result or ():
        if not isinstance(iface, dict) or iface.get('name') == 'lo':
            continue
        for addr in iface.get('ip-addresses') or ():
            ip = addr.get('ip-address') or ''
            if addr.get('ip-address-type') in ('ipv4', 'inet') and not ip.startswith(('127.', '169.254.')):
                v4.append(ip)
            elif addr.get('ip-address-type') in ('ipv6', 'inet6') and not ip.lower().startswith(('fe80', '::1')):
                v6.append(ip)
        if not iface.get('ip-addresses') and iface.get('inet'):
            v4.append(iface['inet'].split('/')[0])
    return v4 + v6


def _guest_names(guests, configs):
    """Inventory names: the guest's name, else its config's, else ``<type>-<vmid>``; a name two guests share
    becomes ``<name>-<vmid>`` for both (PVE does not make names unique)."""
    wanted = {}
    for item in guests:
        config = configs.get(str(item['vmid'])) or {}
        name = item.get('name') or config.get('name') or config.get('hostname')
        if not name or not _HOST_SAFE.match(str(name)):
            name = '%s-%s' % (item['type'], item['vmid'])
        wanted[item['vmid']] = str(name)
    counts = {}
    for name in wanted.values():
        counts[name] = counts.get(name, 0) + 1
    return {vmid: (name if counts[name] == 1 else '%s-%s' % (name, vmid)) for vmid, name in wanted.items()}, \
        sorted(name for name, count in counts.items() if count > 1)


def _ok(value):
    """A fetched per-node/per-guest result, or None when the fetch failed or was not asked for."""
    return None if value is None or (isinstance(value, dict) and 'error' in value and len(value) == 1) else value


def hosts_from_api(raw, declared=None, options=None):
    """Return (hosts, groups, warnings).

    raw: {'status': [...], 'resources': [...], 'pci': {node: [...]|{'error': msg}}, 'mappings': [...],
          'config': {vmid: {...}|{'error'}}, 'agent': {vmid: [...]|{'error'}}}
    declared: the hardware file's hosts (for the GPUs a node declares: their model names and VRAM win)
    options: {'templates': False, 'guests': True}
    hosts: {name: hardware-file entry}; groups: {name: [group, ...]}
    """
    options = options or {}
    declared = declared or {}
    warnings = []
    status = [s for s in raw.get('status') or () if isinstance(s, dict)]
    resources = [r for r in raw.get('resources') or () if isinstance(r, dict)]
    cluster = next((s.get('name') for s in status if s.get('type') == 'cluster'), None)
    members = {s['name']: s for s in status if s.get('type') == 'node' and s.get('name')}
    node_items = {r['node']: r for r in resources if r.get('type') == 'node' and r.get('node')}
    configs = {k: v for k, v in ((k, _ok(v)) for k, v in (raw.get('config') or {}).items()) if v is not None}
    pci = {k: v for k, v in ((k, _ok(v)) for k, v in (raw.get('pci') or {}).items()) if v is not None}
    mappings = raw.get('mappings') or []
    hosts, groups = {}, {}

    for name in sorted(set(members) | set(node_items)):
        item, member = node_items.get(name, {}), members.get(name, {})
        online = item.get('status', 'online' if member.get('online', 1) else 'offline')
        entry = {'os': 'proxmox'}
        if member.get('ip'):
            entry['address'] = member['ip']
        if item.get('maxcpu'):
            entry['cpu'] = {'threads': int(item['maxcpu'])}
        if item.get('maxmem'):
            entry['ram_gb'] = round(item['maxmem'] / GIB, 2)
        gpus = gpus_of_node(pci.get(name), (declared.get(name) or {}).get('gpus'))
        if gpus:
            entry['gpus'] = gpus
        facts = {'type': 'node', 'node': name, 'status': online, 'cluster': cluster,
                 'nodeid': member.get('nodeid'), 'level': item.get('level') or member.get('level') or ''}
        entry['vars'] = {'homelab_proxmox': facts}
        hosts[name] = entry
        groups[name] = ['proxmox_nodes', group_name('proxmox_status', online)]
        if online != 'online':
            warnings.append('node %s is %s: its guests are listed from /cluster/resources without per-guest facts'
                            % (name, online))

    if not options.get('guests', True):
        return hosts, groups, warnings
    guests = [r for r in resources if r.get('type') in GUEST_TYPES and r.get('vmid') is not None]
    if not options.get('templates'):
        guests = [g for g in guests
                  if not g.get('template') and not (configs.get(str(g['vmid'])) or {}).get('template')]
    names, shared = _guest_names(guests, configs)
    for name in shared:
        warnings.append('guest name %s is used by more than one guest: each is named %s-<vmid>' % (name, name))
    agents = raw.get('agent') or {}
    for item in sorted(guests, key=lambda g: int(g['vmid'])):
        vmid = str(item['vmid'])
        name = names[item['vmid']]
        config = configs.get(vmid) or {}
        tags = parse_tags(item.get('tags') or config.get('tags'))
        pool = pool_of(item)
        state = item.get('status') or 'unknown'
        entry = {'os': os_of(item['type'], config), 'power': {'idle_w': 0, 'peak_w': 0}, 'wake': {'method': 'none'},
                 'quorum_votes': 0}
        threads = item.get('maxcpu') or _config_cpus(config)
        if threads:
            entry['cpu'] = {'threads': int(threads)}
        mem = item.get('maxmem') or _config_mem(config)
        if mem:
            entry['ram_gb'] = round(mem / GIB, 3)
        gpus, devices, problems = gpus_of_guest(config, pci.get(item['node']), mappings, item['node'],
                                                (declared.get(item['node']) or {}).get('gpus'))
        warnings.extend('guest %s (%s): %s' % (name, vmid, p) for p in problems)
        if gpus:
            entry['gpus'] = gpus
        addresses = agent_addresses(_ok(agents.get(vmid)))
        if addresses:
            entry['address'] = addresses[0]
        if config.get('description'):
            entry['description'] = str(config['description']).strip().splitlines()[0][:200] or None
            if not entry['description']:
                del entry['description']
        facts = {'type': item['type'], 'vmid': int(item['vmid']), 'node': item['node'], 'status': state,
                 'name': item.get('name') or config.get('name') or config.get('hostname'),
                 'tags': tags, 'pool': pool, 'template': bool(item.get('template')),
                 'lock': item.get('lock'), 'hastate': item.get('hastate'), 'addresses': addresses,
                 'hostpci': devices}
        entry['vars'] = {'homelab_proxmox': facts}
        hosts[name] = entry
        groups[name] = sorted({'proxmox_guests', 'proxmox_%s' % item['type'], group_name('proxmox_node', item['node']),
                               group_name('proxmox_status', state)} |
                              {group_name('proxmox_tag', t) for t in tags} |
                              ({group_name('proxmox_pool', pool)} if pool else set()))
    return hosts, groups, warnings


def _config_cpus(config):
    try:
        return int(config.get('vcpus') or int(config.get('cores', 0)) * int(config.get('sockets', 1))) or None
    except (TypeError, ValueError):
        return None


def _config_mem(config):
    """``memory`` is MiB (qemu: ``[current=]<MiB>`` in PVE 9, a number before)."""
    value = str(config.get('memory') or '')
    match = re.search(r'(?:^|current=)(\d+)', value)
    return int(match.group(1)) * 1024 * 1024 if match else None


def pool_groups(resources):
    """Every pool's group, also for pools without guests (so playbooks never target a missing group)."""
    return sorted({group_name('proxmox_pool', pool_of(r)) for r in resources or ()
                   if isinstance(r, dict) and r.get('type') == 'pool' and pool_of(r)})


def merge_into(data, hosts):
    """The hardware data with the API's hosts added; where a host is also in the file, the file's fields win
    (deep-merged). The API's ``homelab_proxmox`` facts are not among them: the live source sets them as a computed
    var after the hardware checks (``_pve_source.LiveSource.add_facts``)."""
    data = dict(data or {})
    file_hosts = dict(data.get('hosts') or {})
    for name, entry in hosts.items():
        given = file_hosts.get(name)
        if isinstance(given, dict):
            merged = _deep_merge(entry, given)
            merged['vars'] = dict(given.get('vars') or {}, **(entry.get('vars') or {}))
            file_hosts[name] = merged
        else:
            file_hosts[name] = entry
    data['hosts'] = file_hosts
    return data


def _deep_merge(base, over):
    out = dict(base)
    for key, value in over.items():
        out[key] = _deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out
