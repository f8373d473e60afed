"""PVE API DOUBLE: guests (qemu, lxc), tasks, storage and APT repositories. See pve_api.py."""

import hashlib
import json
import re

from pve_handlers import _can
from pve_handlers import _digest
from pve_handlers import _error
from pve_handlers import _guest
from pve_handlers import _node
from pve_handlers import _upid
from pve_validate import parse_property_string

_DISK = re.compile(r'^(ide|sata|scsi|virtio|efidisk|tpmstate)\d+$')
_NET = re.compile(r'^net\d+$')
_HOSTPCI = re.compile(r'^hostpci\d+$')
NFS_CONTENT = ('images', 'rootdir', 'vztmpl', 'iso', 'backup', 'snippets', 'import')


def _store(value):
    return int(value) if isinstance(value, bool) else value


def _allocate(double, node, vmid, key, value, config):
    """'local-lvm:32,discard=on' -> 'local-lvm:vm-201-disk-0,discard=on,size=32G' (or the cloud-init drive)."""
    head, _sep, rest = value.partition(',')
    match = re.fullmatch(r'([a-z][a-z0-9\-_.]*):(\d+(?:\.\d+)?|cloudinit)', head)
    if not match:
        return value
    storage, size = match.groups()
    conf = double.state.get('storage', {}).get(storage)
    if conf is None or (conf.get('nodes') and node not in conf['nodes'].split(',')):
        raise _error(500, "storage '%s' does not exist" % storage)
    if 'images' not in conf.get('content', '').split(','):
        raise _error(500, "storage '%s' does not support vm images" % storage)
    if size == 'cloudinit':
        return '%s:vm-%s-cloudinit,media=cdrom' % (storage, vmid)
    used = ' '.join(str(v) for v in config.values())
    index = 0
    while 'vm-%s-disk-%d' % (vmid, index) in used:
        index += 1
    opts = [o for o in rest.split(',') if o]
    return ','.join(['%s:vm-%s-disk-%d' % (storage, vmid, index)] + opts + ['size=%sG' % size])


def _mac(vmid, key):
    digest = hashlib.sha1(('%s-%s' % (vmid, key)).encode()).hexdigest().upper()  # noqa: S324 - a MAC, not security
    return 'BC:24:11:%s:%s:%s' % (digest[0:2], digest[2:4], digest[4:6])


def _net(vmid, key, value):
    parts = value.split(',')
    first = parts[0]
    if '=' not in first:  # model without MAC: PVE generates one
        parts[0] = '%s=%s' % (first, _mac(vmid, key))
    elif first.startswith('model='):
        parts[0] = '%s=%s' % (first.split('=', 1)[1], _mac(vmid, key))
    return ','.join(parts)


def _check_hostpci(double, who, node, key, value):
    device = parse_property_string(value, 'host')
    if device.get('mapping'):
        mapping = double.state.get('mappings', {}).get(device['mapping'])
        if not _can(double, who, '/mapping/pci/%s' % device['mapping'], 'Mapping.Use'):
            raise _error(403, 'Permission check failed (/mapping/pci/%s, Mapping.Use)' % device['mapping'])
        if mapping is None or not any('node=%s' % node in entry.split(',') for entry in mapping['map']):
            raise _error(500, "PCI device mapping '%s' has no entry for node '%s'" % (device['mapping'], node))
    elif who['user'] != 'root@pam':
        # qemu-server: raw host devices are root@pam's; everybody else goes through a cluster resource mapping
        raise _error(403, "Permission check failed (only root can set '%s' config for non-mapped devices)" % key)


def _apply(double, who, node, vmid, config, params):
    for key, value in params.items():
        if key in ('node', 'vmid', 'digest', 'delete', 'pool', 'start', 'force', 'skiplock', 'background_delay'):
            continue
        if _DISK.match(key):
            value = _allocate(double, node, vmid, key, value, config)
        elif _NET.match(key):
            value = _net(vmid, key, value)
        elif _HOSTPCI.match(key):
            _check_hostpci(double, who, node, key, value)
        config[key] = _store(value)
    for key in [k for k in re.split(r'[,;\s]+', params.get('delete') or '') if k]:
        config.pop(key, None)


def qemu_create(double, who, params, raw):
    node = params['node']
    _node(double, node)
    vmid = str(params['vmid'])
    if vmid in double.state['guests']:
        other = double.state['guests'][vmid]['node']
        raise _error(500, "unable to create VM %s - VM %s already exists on node '%s'" % (vmid, vmid, other))
    if params.get('pool') and params['pool'] not in double.state.get('pools', []):
        raise _error(500, "pool '%s' does not exist" % params['pool'])
    config = {}
    _apply(double, who, node, vmid, config, params)
    config.setdefault('memory', '512')
    config.setdefault('cores', 1)
    config['vmgenid'] = '00000000-0000-4000-8000-%012d' % int(vmid)
    guest = {'node': node, 'type': 'qemu', 'status': 'stopped', 'config': config,
             'fresh': bool(double.state.get('fresh_after_create', False))}
    if params.get('pool'):
        guest['pool'] = params['pool']
    double.state['guests'][vmid] = guest
    double.save()
    return _upid(double, node, 'qmcreate', vmid, who)


def qemu_config(double, who, params, raw):
    guest = _guest(double, params['node'], params['vmid'])
    _node(double, params['node'])
    out = dict(guest['config'])
    out['digest'] = _digest(guest['config'])
    return out


def qemu_update(double, who, params, raw):
    node, vmid = params['node'], str(params['vmid'])
    guest = _guest(double, node, vmid)
    _node(double, node)
    if params.get('digest') and params['digest'] != _digest(guest['config']):
        raise _error(500, 'detected modified configuration - file changed by other user? Try again.')
    _apply(double, who, node, vmid, guest['config'], params)
    guest['fresh'] = False
    double.save()
    return _upid(double, node, 'qmconfig', vmid, who)


def qemu_resize(double, who, params, raw):
    node, vmid = params['node'], str(params['vmid'])
    guest = _guest(double, node, vmid)
    disk = guest['config'].get(params['disk'])
    if disk is None:
        raise _error(500, "disk '%s' does not exist" % params['disk'])
    current = float(re.search(r'size=(\d+(?:\.\d+)?)G', disk).group(1))
    size = params['size']
    wanted = current + float(size[1:].rstrip('G')) if size.startswith('+') else float(size.rstrip('G'))
    if wanted < current:
        raise _error(500, "shrinking disks is not supported")
    guest['config'][params['disk']] = re.sub(r'size=[^,]+', 'size=%gG' % wanted, disk)
    double.save()
    return _upid(double, node, 'resize', vmid, who)


def qemu_status(double, who, params, raw):
    guest = _guest(double, params['node'], params['vmid'])
    config = guest['config']
    memory = int(str(config.get('memory', '512')).rsplit('=', maxsplit=1)[-1].split(',')[0])
    out = {'vmid': int(params['vmid']), 'status': guest.get('status', 'stopped'), 'ha': {'managed': 0},
           'cpus': int(config.get('cores', 1)), 'maxmem': memory * 1024 * 1024, 'qmpstatus': guest.get('status')}
    if config.get('name'):
        out['name'] = config['name']
    if config.get('agent'):
        out['agent'] = 1
    return out


def qemu_start(double, who, params, raw):
    node, vmid = params['node'], str(params['vmid'])
    guest = _guest(double, node, vmid)
    _node(double, node)
    if guest.get('status') == 'running':
        raise _error(500, 'VM %s already running' % vmid)
    guest.update({'status': 'running', 'uptime': 1, 'fresh': False})
    guest.setdefault('agent', 'booting')
    double.save()
    return _upid(double, node, 'qmstart', vmid, who)


def agent_interfaces(double, who, params, raw):
    node, vmid = params['node'], str(params['vmid'])
    guest = _guest(double, node, vmid)
    _node(double, node)
    if guest.get('status') != 'running':
        raise _error(500, 'VM %s is not running' % vmid)
    agent = str(guest['config'].get('agent', '0')).split(',', maxsplit=1)[0]
    if agent not in ('1', 'enabled=1'):
        raise _error(500, 'No QEMU guest agent configured')
    state = guest.get('agent')
    if state in (None, 'not-running'):
        raise _error(500, 'QEMU guest agent is not running')
    if state == 'booting':  # just after boot: interfaces, no addresses yet
        return {'result': [{'name': 'lo', 'hardware-address': '00:00:00:00:00:00'},
                           {'name': 'eth0', 'hardware-address': 'bc:24:11:00:00:01'}]}
    return {'result': state}


def lxc_config(double, who, params, raw):
    guest = _guest(double, params['node'], params['vmid'], 'lxc')
    _node(double, params['node'])
    out = dict(guest['config'])
    out['digest'] = _digest(guest['config'])
    return out


def lxc_interfaces(double, who, params, raw):
    guest = _guest(double, params['node'], params['vmid'], 'lxc')
    _node(double, params['node'])
    if guest.get('status') != 'running':
        raise _error(500, 'CT %s not running' % params['vmid'])
    return guest.get('interfaces') or []


def task_status(double, who, params, raw):
    task = double.state.get('tasks', {}).get(params['upid'])
    if task is None:
        raise _error(500, "no such task")
    fields = params['upid'].split(':')
    return {'upid': params['upid'], 'node': task['node'], 'pid': int(fields[2], 16), 'pstart': int(fields[3], 16),
            'starttime': task['starttime'], 'type': task['type'], 'id': task['id'], 'user': task['user'],
            'status': 'stopped', 'exitstatus': task['exitstatus']}


# ------------------------------------------------------------------------------------------------ storage

def storage_index(double, who, params, raw):
    out = []
    for sid, conf in sorted(double.state.get('storage', {}).items()):
        if params.get('type') and conf['type'] != params['type']:
            continue
        if not (_can(double, who, '/storage/%s' % sid, 'Datastore.Audit') or
                _can(double, who, '/storage/%s' % sid, 'Datastore.AllocateSpace')):
            continue
        out.append(dict(conf, storage=sid, digest=_digest(double.state['storage'])))
    return out


def storage_get(double, who, params, raw):
    conf = double.state.get('storage', {}).get(params['storage'])
    if conf is None:
        raise _error(500, "storage '%s' does not exist" % params['storage'])
    return dict(conf, storage=params['storage'], digest=_digest(double.state['storage']))


def _check_storage(double, sid, conf):
    if conf['type'] == 'nfs':
        for key in ('server', 'export'):
            if not conf.get(key):
                raise _error(400, 'Parameter verification failed.',
                             {key: "missing value for required option '%s'" % key})
        bad = [c for c in conf.get('content', '').split(',') if c and c not in NFS_CONTENT]
        if bad:
            raise _error(400, 'Parameter verification failed.',
                         {'content': "storage does not support content type '%s'" % bad[0]})
        if conf['export'] not in double.state.get('nfs_exports', {}).get(conf['server'], []):
            raise _error(500, "storage '%s' is not online" % sid)


def storage_create(double, who, params, raw):
    storage = double.state.setdefault('storage', {})
    sid = params['storage']
    if sid in storage:
        raise _error(500, "storage ID '%s' already defined" % sid)
    conf = {k: _store(v) for k, v in params.items() if k not in ('storage',)}
    conf.setdefault('content', 'images' if conf['type'] != 'nfs' else 'images')
    _check_storage(double, sid, conf)
    storage[sid] = conf
    double.save()
    return {'storage': sid, 'type': conf['type']}


def storage_update(double, who, params, raw):
    storage = double.state.get('storage', {})
    sid = params['storage']
    if sid not in storage:
        raise _error(500, "storage '%s' does not exist" % sid)
    if params.get('digest') and params['digest'] != _digest(storage):
        raise _error(500, 'detected modified configuration - file changed by other user? Try again.')
    for fixed in ('server', 'export', 'path', 'type'):
        if fixed in params and fixed != 'type':
            raise _error(400, 'Parameter verification failed.', {fixed: "can't change value of fixed parameter '%s'"
                                                                 % fixed})
    conf = dict(storage[sid])
    conf.update({k: _store(v) for k, v in params.items() if k not in ('storage', 'digest', 'delete')})
    for key in [k for k in re.split(r'[,;\s]+', params.get('delete') or '') if k]:
        conf.pop(key, None)
    _check_storage(double, sid, conf)
    storage[sid] = conf
    double.save()
    return {'storage': sid, 'type': conf['type']}


# ------------------------------------------------------------------------------------------- repositories

STANDARD = (
    ('enterprise', 'Enterprise', 'pve-enterprise', 'https://enterprise.proxmox.com/debian/pve'),
    ('no-subscription', 'No-Subscription', 'pve-no-subscription', 'http://download.proxmox.com/debian/pve'),
    ('test', 'Test', 'pve-test', 'http://download.proxmox.com/debian/pve'),
    ('ceph-squid-enterprise', 'Ceph Squid Enterprise', 'enterprise', 'https://enterprise.proxmox.com/debian/ceph-squid'),
    ('ceph-squid-no-subscription', 'Ceph Squid No-Subscription', 'no-subscription',
     'http://download.proxmox.com/debian/ceph-squid'),
)


def _file_digest(entry):
    return list(hashlib.sha256(json.dumps(entry['repositories'], sort_keys=True).encode()).digest())


def _repos_digest(files):
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()


def _find(files, uri, component):
    for entry in files:
        for index, repo in enumerate(entry['repositories']):
            if uri in repo['URIs'] and component in repo.get('Components', []):
                yield entry, index, repo


def repositories(double, who, params, raw):
    files = _node(double, params['node'])['apt']['files']
    out_files = [dict(entry, digest=_file_digest(entry)) for entry in files]
    standard = []
    for handle, name, component, uri in STANDARD:
        item = {'handle': handle, 'name': name}
        found = list(_find(files, uri, component))
        if found:
            item['status'] = int(any(repo['Enabled'] for _e, _i, repo in found))
        standard.append(item)
    return {'files': out_files, 'errors': [], 'infos': [], 'standard-repos': standard, 'digest': _repos_digest(files)}


def change_repository(double, who, params, raw):
    files = _node(double, params['node'])['apt']['files']
    if params.get('digest') and params['digest'] != _repos_digest(files):
        raise _error(500, 'detected modified configuration - file changed by other user? Try again.')
    entry = next((e for e in files if e['path'] == params['path']), None)
    if entry is None or params['index'] >= len(entry['repositories']):
        raise _error(500, "unable to find repository %s:%s" % (params['path'], params['index']))
    if 'enabled' in params:
        entry['repositories'][params['index']]['Enabled'] = int(bool(params['enabled']))
    double.save()
    return


def add_repository(double, who, params, raw):
    node = _node(double, params['node'])
    files = node['apt']['files']
    if params.get('digest') and params['digest'] != _repos_digest(files):
        raise _error(500, 'detected modified configuration - file changed by other user? Try again.')
    standard = {s[0]: s for s in STANDARD}
    if params['handle'] not in standard:
        raise _error(500, "unknown handle '%s'" % params['handle'])
    _handle, _name, component, uri = standard[params['handle']]
    found = list(_find(files, uri, component))
    if found:
        if any(repo['Enabled'] for _e, _i, repo in found):
            raise _error(500, "standard repository '%s' already configured" % params['handle'])
        found[0][2]['Enabled'] = 1
    else:
        suite = node['apt'].get('suite', 'trixie')
        path = '/etc/apt/sources.list.d/%s.sources' % ('ceph' if 'ceph' in params['handle'] else 'proxmox')
        entry = next((e for e in files if e['path'] == path), None)
        if entry is None:
            entry = {'path': path, 'file-type': 'sources', 'repositories': []}
            files.append(entry)
        entry['repositories'].append({'Types': ['deb'], 'URIs': [uri], 'Suites': [suite], 'Components': [component],
                                      'Options': [{'Key': 'Signed-By', 'Values':
                                                   ['/usr/share/keyrings/proxmox-archive-keyring.gpg']}],
                                      'FileType': 'sources', 'Enabled': 1})
    double.save()
    return


GUEST_HANDLERS = {
    ('POST', '/nodes/{node}/qemu'): qemu_create,
    ('GET', '/nodes/{node}/qemu/{vmid}/config'): qemu_config,
    ('POST', '/nodes/{node}/qemu/{vmid}/config'): qemu_update,
    ('PUT', '/nodes/{node}/qemu/{vmid}/resize'): qemu_resize,
    ('GET', '/nodes/{node}/qemu/{vmid}/status/current'): qemu_status,
    ('POST', '/nodes/{node}/qemu/{vmid}/status/start'): qemu_start,
    ('GET', '/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces'): agent_interfaces,
    ('GET', '/nodes/{node}/lxc/{vmid}/config'): lxc_config,
    ('GET', '/nodes/{node}/lxc/{vmid}/interfaces'): lxc_interfaces,
    ('GET', '/nodes/{node}/tasks/{upid}/status'): task_status,
    ('GET', '/storage'): storage_index,
    ('GET', '/storage/{storage}'): storage_get,
    ('POST', '/storage'): storage_create,
    ('PUT', '/storage/{storage}'): storage_update,
    ('GET', '/nodes/{node}/apt/repositories'): repositories,
    ('POST', '/nodes/{node}/apt/repositories'): change_repository,
    ('PUT', '/nodes/{node}/apt/repositories'): add_repository,
}
