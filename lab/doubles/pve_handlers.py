"""What the PVE API DOUBLE does for each endpoint (state in, documented shape out). See pve_api.py.

Each handler gets (double, caller, typed params, raw params) after the request passed the schema and the
permission check, runs under the double's lock, and returns the ``data`` of the answer or raises ApiError.
Behaviour follows pve-manager, qemu-server, pve-storage and pve-cluster as described in
``../../../shared/appliance-apis.md`` (or the repository's README): the parts a client can observe.
"""

import hashlib
import re
import secrets
import time

from pve_validate import ApiError
from pve_validate import parse_property_string

MIB = 1024 * 1024
GIB = 1024 * MIB


def _error(status, message, errors=None):
    return ApiError(status, message, errors)


def _node(double, name):
    node = double.state['nodes'].get(name)
    if node is None:
        raise _error(500, "hostname lookup '%s' failed - failed to get address info for: %s: Name or service not known"
                     % (name, name))
    if not node.get('online', True):
        raise _error(595, 'Connection refused')
    return node


def _guest(double, node, vmid, kind='qemu'):
    guest = double.state['guests'].get(str(vmid))
    if guest is None or guest['type'] != kind:
        raise _error(500, 'Configuration file \'nodes/%s/%s/%s.conf\' does not exist'
                     % (node, 'qemu-server' if kind == 'qemu' else 'lxc', vmid))
    if guest['node'] != node:
        raise _error(500, "Configuration file 'nodes/%s/%s/%s.conf' does not exist" % (node, kind, vmid))
    return guest


def _upid(double, node, kind, ident, who):
    now = int(time.time())
    upid = 'UPID:%s:%08X:%08X:%08X:%s:%s:%s:' % (node, 4000 + len(double.state.setdefault('tasks', {})), now % 100000,
                                                 now, kind, ident, who['user'])
    double.state['tasks'][upid] = {'node': node, 'type': kind, 'id': str(ident), 'user': who['user'],
                                   'starttime': now, 'exitstatus': 'OK'}
    return upid


def _can(double, who, path, priv):
    if who['user'] == 'root@pam':
        return True
    return priv in double.privileges(who)(path)


def _digest(value):
    return hashlib.sha1(repr(  # noqa: S324 - PVE's config digest is SHA-1
        sorted(value.items()) if isinstance(value, dict) else value).encode()).hexdigest()


# ------------------------------------------------------------------------------------------ access, version

def version(double, who, params, raw):
    return dict(double.state.get('version') or {'version': '9.1.3', 'release': '9.1', 'repoid': 'a1b2c3d4'})


def create_ticket(double, who, params, raw):
    username = params['username']
    if '@' not in username:
        username = '%s@%s' % (username, params.get('realm') or 'pam')
    user = double.state.get('users', {}).get(username)
    if not user or user.get('password') != params['password']:
        raise _error(401, 'authentication failure')
    ticket = 'PVE:%s:%08X::%s' % (username, int(time.time()), secrets.token_hex(32))
    csrf = '%08X:%s' % (int(time.time()), secrets.token_hex(16))
    double.tickets[ticket] = {'user': username, 'csrf': csrf}
    out = {'username': username, 'ticket': ticket, 'CSRFPreventionToken': csrf}
    if double.state['cluster'].get('name'):
        out['clustername'] = double.state['cluster']['name']
    return out


# ------------------------------------------------------------------------------------------------- cluster

def _guest_resource(guest, vmid):
    config = guest.get('config', {})
    item = {'id': '%s/%s' % (guest['type'], vmid), 'vmid': int(vmid), 'node': guest['node'], 'type': guest['type']}
    if guest.get('pool'):
        item['pool'] = guest['pool']
    if config.get('tags'):
        item['tags'] = config['tags']
    if config.get('lock'):
        item['lock'] = config['lock']
    if guest.get('fresh'):
        # created within the last pvestatd cycle: no RRD stats yet, so no name, no max*, status unknown
        item['status'] = 'unknown'
        return item
    cores = int(config.get('cores', 1)) * int(config.get('sockets', 1))
    memory = int(str(config.get('memory', '512')).rsplit('=', maxsplit=1)[-1].split(',')[0])
    item.update({'name': config.get('name') or config.get('hostname') or '%s-%s' % (guest['type'], vmid),
                 'status': guest.get('status', 'stopped'), 'template': int(config.get('template', 0)),
                 'maxcpu': int(config.get('vcpus', cores)), 'cpu': 0.02 if guest.get('status') == 'running' else 0,
                 'maxmem': memory * MIB, 'mem': (memory * MIB) // 3 if guest.get('status') == 'running' else 0,
                 'maxdisk': 32 * GIB, 'disk': 0, 'netin': 0, 'netout': 0, 'diskread': 0, 'diskwrite': 0,
                 'uptime': guest.get('uptime', 0) if guest.get('status') == 'running' else 0})
    if guest['type'] == 'qemu':
        item['memhost'] = item['mem']
    if guest.get('hastate'):
        item['hastate'] = guest['hastate']
    return item


def resources(double, who, params, raw):
    kind = params.get('type')
    out = []
    state = double.state
    if kind in (None, 'node'):
        for name, node in sorted(state['nodes'].items()):
            if not _can(double, who, '/nodes/%s' % name, 'Sys.Audit'):
                continue
            item = {'id': 'node/%s' % name, 'type': 'node', 'node': name,
                    'status': 'online' if node.get('online', True) else 'offline', 'level': node.get('level', '')}
            if node.get('online', True):
                item.update({'maxcpu': node['maxcpu'], 'cpu': 0.05, 'maxmem': node['maxmem'],
                             'mem': node['maxmem'] // 8,
                             'maxdisk': 100 * GIB, 'disk': 10 * GIB, 'uptime': 86400, 'cgroup-mode': 2})
            out.append(item)
    if kind in (None, 'vm'):
        for vmid, guest in sorted(state['guests'].items(), key=lambda kv: int(kv[0])):
            if _can(double, who, '/vms/%s' % vmid, 'VM.Audit'):
                out.append(_guest_resource(guest, vmid))
    if kind in (None, 'storage'):
        for name, node in sorted(state['nodes'].items()):
            for sid, conf in sorted(state.get('storage', {}).items()):
                nodes = conf.get('nodes')
                if nodes and name not in nodes.split(','):
                    continue
                if not _can(double, who, '/storage/%s' % sid, 'Datastore.Audit'):
                    continue
                out.append({'id': 'storage/%s/%s' % (name, sid), 'type': 'storage', 'storage': sid, 'node': name,
                            'status': 'available' if node.get('online', True) else 'unknown',
                            'plugintype': conf['type'], 'content': conf.get('content', ''),
                            'shared': 1 if conf['type'] in ('nfs', 'cifs', 'cephfs', 'pbs') else 0,
                            'disk': 0, 'maxdisk': 1000 * GIB})
    if kind is None:
        for pool in sorted(state.get('pools', [])):
            if _can(double, who, '/pool/%s' % pool, 'Pool.Audit') or who['user'] == 'root@pam':
                out.append({'id': '/pool/%s' % pool, 'type': 'pool', 'pool': pool})
    return out


def cluster_status(double, who, params, raw):
    state = double.state
    cluster = state['cluster']
    members = cluster.get('members') or [state['local_node']]
    out = []
    if cluster.get('name'):
        online = [n for n in members if state['nodes'].get(n, {}).get('online', True)]
        out.append({'id': 'cluster', 'type': 'cluster', 'name': cluster['name'], 'nodes': len(members),
                    'version': cluster.get('version', len(members)), 'quorate': int(2 * len(online) > len(members))})
    for i, name in enumerate(sorted(members)):
        node = state['nodes'][name]
        out.append({'id': 'node/%s' % name, 'type': 'node', 'name': name, 'ip': node['ip'],
                    'nodeid': node.get('nodeid', i + 1) if cluster.get('name') else 0,
                    'local': int(name == state['local_node']), 'online': int(node.get('online', True)),
                    'level': node.get('level', '')})
    return out


def nodes(double, who, params, raw):
    out = []
    for name, node in sorted(double.state['nodes'].items()):
        if not _can(double, who, '/nodes/%s' % name, 'Sys.Audit') and who['user'] != 'root@pam':
            continue
        item = {'node': name, 'status': 'online' if node.get('online', True) else 'offline',
                'level': node.get('level', ''), 'ssl_fingerprint': node.get('fingerprint', '')}
        if node.get('online', True):
            item.update({'maxcpu': node['maxcpu'], 'maxmem': node['maxmem'], 'cpu': 0.05, 'mem': node['maxmem'] // 8,
                         'uptime': 86400})
        out.append(item)
    return out


def nextid(double, who, params, raw):
    used = {int(v) for v in double.state['guests']}
    if params.get('vmid') is not None:
        if params['vmid'] in used:
            raise _error(400, 'VM %s already exists' % params['vmid'])
        return params['vmid']
    vmid = 100
    while vmid in used:
        vmid += 1
    return vmid


def totem(double, who, params, raw):
    cluster = double.state['cluster']
    if not cluster.get('name'):
        return {}
    return {'cluster_name': cluster['name'], 'config_version': str(cluster.get('version', 1)), 'ip_version': 'ipv4-6',
            'link_mode': 'passive', 'secauth': 'on', 'version': '2', 'interface': {'0': {'linknumber': '0'}}}


def cluster_create(double, who, params, raw):
    cluster = double.state['cluster']
    local = double.state['local_node']
    if cluster.get('name'):
        raise _error(500, "cluster config '/etc/pve/corosync.conf' already exists")
    cluster.update({'name': params['clustername'], 'members': [local], 'version': 1})
    double.state['nodes'][local]['nodeid'] = params.get('nodeid', 1)
    double.save()
    return _upid(double, local, 'clustercreate', params['clustername'], who)


def join_info(double, who, params, raw):
    cluster = double.state['cluster']
    if not cluster.get('name'):
        raise _error(500, 'node is not in a cluster, no join info available!')
    nodelist = []
    for name in sorted(cluster['members']):
        node = double.state['nodes'][name]
        nodelist.append({'name': name, 'nodeid': node.get('nodeid', 1), 'pve_addr': node['ip'],
                         'pve_fp': node['fingerprint'], 'quorum_votes': 1, 'ring0_addr': node['ip']})
    return {'nodelist': nodelist, 'preferred_node': double.state['local_node'], 'config_digest': _digest(cluster),
            'totem': totem(double, who, params, raw)}


def join(double, who, params, raw):
    cluster = double.state['cluster']
    local = double.state['local_node']
    if cluster.get('name') and not params.get('force'):
        raise _error(500, "detected the following error(s):\n* this host already contains a cluster configuration")
    if any(g['node'] == local for g in double.state['guests'].values()) and not params.get('force'):
        raise _error(500, "detected the following error(s):\n* this host already contains virtual guests")
    peer = double.state.get('join_peers', {}).get(params['hostname'])
    if peer is None:
        raise _error(500, "unable to connect to %s: Connection refused" % params['hostname'])
    if peer['fingerprint'].lower() != params['fingerprint'].lower():
        raise _error(500, 'Certificate fingerprint does not match the fingerprint of %s' % params['hostname'])
    if peer['root_password'] != params['password']:
        raise _error(500, '401 authentication failure (joining %s)' % params['hostname'])
    cluster.update({'name': peer['cluster'], 'members': sorted(set(peer['members'] + [local])),
                    'version': len(peer['members']) + 1})
    for name in peer['members']:
        double.state['nodes'].setdefault(name, {'ip': params['hostname'], 'online': True, 'maxcpu': 8,
                                                'maxmem': 16 * GIB, 'pci': [], 'fingerprint': peer['fingerprint']})
    double.save()
    return _upid(double, local, 'clusterjoin', '', who)


# -------------------------------------------------------------------------------------- mappings, hardware

def pci(double, who, params, raw):
    node = _node(double, params['node'])
    blacklist = [c for c in re.split(r'[;, ]+', params.get('pci-class-blacklist', '05;06;0b')) if c]
    out = []
    for device in node.get('pci', []):
        if any(device['class'][2:].startswith(prefix) for prefix in blacklist):
            continue
        out.append(dict(device))
    return out


def mapping_index(double, who, params, raw):
    return [{'id': mid, 'map': list(entry['map'])} for mid, entry in sorted(double.state.get('mappings', {}).items())
            if _can(double, who, '/mapping/pci/%s' % mid, 'Mapping.Audit') or
            _can(double, who, '/mapping/pci/%s' % mid, 'Mapping.Use')]


def _check_map(entries):
    for entry in entries:
        parse_property_string(entry)


def mapping_create(double, who, params, raw):
    mappings = double.state.setdefault('mappings', {})
    if params['id'] in mappings:
        raise _error(500, "pci ID '%s' already defined" % params['id'])
    _check_map(params['map'])
    mappings[params['id']] = {'map': list(params['map'])}
    double.save()
    return


def mapping_get(double, who, params, raw):
    entry = double.state.get('mappings', {}).get(params['id'])
    if entry is None:
        raise _error(500, "no such pci mapping '%s'" % params['id'])
    return {'id': params['id'], 'type': 'pci', 'map': list(entry['map']), 'digest': _digest(entry)}


def mapping_update(double, who, params, raw):
    entry = double.state.get('mappings', {}).get(params['id'])
    if entry is None:
        raise _error(500, "no such pci mapping '%s'" % params['id'])
    if params.get('digest') and params['digest'] != _digest(entry):
        raise _error(500, 'detected modified configuration - file changed by other user? Try again.')
    if params.get('map') is not None:
        _check_map(params['map'])
        entry['map'] = list(params['map'])
    double.save()
    return


HANDLERS = {}


def _register():
    from pve_handlers_guests import GUEST_HANDLERS
    HANDLERS.update({
        ('GET', '/version'): version,
        ('POST', '/access/ticket'): create_ticket,
        ('GET', '/nodes'): nodes,
        ('GET', '/cluster/status'): cluster_status,
        ('GET', '/cluster/resources'): resources,
        ('GET', '/cluster/nextid'): nextid,
        ('POST', '/cluster/config'): cluster_create,
        ('GET', '/cluster/config/totem'): totem,
        ('GET', '/cluster/config/join'): join_info,
        ('POST', '/cluster/config/join'): join,
        ('GET', '/nodes/{node}/hardware/pci'): pci,
        ('GET', '/cluster/mapping/pci'): mapping_index,
        ('POST', '/cluster/mapping/pci'): mapping_create,
        ('GET', '/cluster/mapping/pci/{id}'): mapping_get,
        ('PUT', '/cluster/mapping/pci/{id}'): mapping_update,
    })
    HANDLERS.update(GUEST_HANDLERS)


_register()
