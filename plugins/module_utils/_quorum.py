# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Quorum logic without I/O: the corosync nodelist and vote math, corosync.conf as data, the outputs of
corosync-quorumtool / corosync-qdevice-tool / corosync-qnetd-tool / pvecm, and the verdict.

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

import ipaddress
import re

ALGORITHMS = ('ffsplit', 'lms')
VERDICTS = ('healthy', 'degraded', 'lost', 'down')


class QuorumError(ValueError):
    """Input the quorum logic cannot use; the message names the host and the field."""


# ------------------------------------------------------------------------------------------------ the plan

def node_id(address):
    """A stable corosync nodeid from the ring address: its last two octets (knet needs explicit ids below
    65536). The address is fixed anyway, since knet cannot follow a new one; two hosts whose addresses share
    the last two octets are reported by nodelist() and need corosync_nodeid."""
    try:
        packed = ipaddress.IPv4Address(address).packed
    except ValueError:
        raise QuorumError('ring address %r is not an IPv4 address; corosync_addr must be a fixed IP' % (address,)) \
            from None
    return (packed[2] << 8 | packed[3]) or 1


def nodelist(hosts):
    """[{name, addr, votes, nodeid?}] -> the nodelist, sorted by nodeid, validated."""
    nodes, problems = [], []
    for host in hosts:
        name = host.get('name')
        addr = host.get('addr')
        votes = host.get('votes', 1)
        if isinstance(votes, bool) or not isinstance(votes, int) or votes < 0:
            problems.append('%s.quorum_votes: expected a whole number >= 0, got %r' % (name, votes))
            continue
        try:
            ipaddress.IPv4Address(addr)
        except ValueError:
            problems.append('%s.corosync_addr: %r is not an IPv4 address (knet needs fixed IPs)' % (name, addr))
            continue
        nid = host.get('nodeid')
        if nid is None:
            nid = node_id(addr)
        elif isinstance(nid, bool) or not isinstance(nid, int) or not 0 < nid < 65536:
            problems.append('%s.corosync_nodeid: expected 1 .. 65535 (knet), got %r' % (name, nid))
            continue
        nodes.append({'name': name, 'addr': addr, 'votes': votes, 'nodeid': nid})
    for key in ('nodeid', 'addr'):
        seen = {}
        for node in nodes:
            if node[key] in seen:
                problems.append('%s and %s have the same %s %s%s' % (
                    seen[node[key]], node['name'], key, node[key],
                    ' (set corosync_nodeid on one of them)' if key == 'nodeid' else ''))
            seen[node[key]] = node['name']
    if problems:
        raise QuorumError('; '.join(problems))
    return sorted(nodes, key=lambda n: n['nodeid'])


def qdevice_votes(algorithm, nodes):
    """ffsplit: the device has 1 vote; lms: one less than the nodes' votes (corosync-qdevice(8))."""
    if algorithm not in ALGORITHMS:
        raise QuorumError('algorithm: expected one of %s, got %r' % (', '.join(ALGORITHMS), algorithm))
    if algorithm == 'ffsplit':
        return 1
    return max(1, sum(n['votes'] for n in nodes) - 1)


def plan(nodes, qdevice=None):
    """The votequorum numbers of a nodelist with an optional quorum device ({'algorithm'})."""
    node_votes = sum(n['votes'] for n in nodes)
    device = qdevice_votes(qdevice.get('algorithm', 'ffsplit'), nodes) if qdevice else 0
    expected = node_votes + device
    if qdevice and qdevice.get('algorithm', 'ffsplit') == 'ffsplit' and node_votes % 2:
        raise QuorumError('ffsplit needs an even number of node votes (it breaks 50:50 ties); the nodes have %d: '
                          'use algorithm lms or change quorum_votes' % node_votes)
    return {
        'expected_votes': expected,
        'quorum': expected // 2 + 1,
        'qdevice_votes': device,
        # two_node lets one of two nodes keep quorum alone; with a quorum device the device decides instead
        'two_node': not qdevice and len(nodes) == 2 and node_votes == 2,
    }


# ------------------------------------------------------------------------------------- corosync.conf as data

def parse_conf(text):
    """corosync.conf -> nested [(key, value-or-list)] sections, line by line as corosync reads it. Repeated
    keys (node) stay in order; comments are dropped."""
    root = []
    stack = [root]
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        if line.endswith('{'):
            name = line[:-1].strip()
            if not re.match(r'^[A-Za-z0-9_.-]+$', name):
                raise QuorumError('corosync.conf line %d: bad section name %r' % (number, name))
            child = []
            stack[-1].append((name, child))
            stack.append(child)
        elif line == '}':
            if len(stack) == 1:
                raise QuorumError('corosync.conf line %d: } without a section' % number)
            stack.pop()
        elif ':' in line:
            key, value = line.split(':', 1)
            stack[-1].append((key.strip(), value.strip()))
        else:
            raise QuorumError('corosync.conf line %d: cannot parse %r' % (number, line))
    if len(stack) != 1:
        raise QuorumError('corosync.conf: a section is not closed')
    return root


def render_conf(tree, indent=0):
    out = []
    pad = '    ' * indent
    for key, value in tree:
        if isinstance(value, list):
            out.append('%s%s {' % (pad, key))
            out.append(render_conf(value, indent + 1).rstrip('\n'))
            out.append('%s}' % pad)
            if indent == 0:
                out.append('')
        else:
            out.append('%s%s: %s' % (pad, key, value))
    return '\n'.join(line for line in out if line != '' or indent == 0) + '\n'


def section(tree, key):
    for k, v in tree:
        if k == key and isinstance(v, list):
            return v
    return None


def device_section(qdevice, nodes_votes=None):
    """The quorum.device section for a qnetd host: {'host', 'algorithm', 'votes'?, 'tls', 'tie_breaker'?}."""
    algorithm = qdevice.get('algorithm', 'ffsplit')
    if algorithm not in ALGORITHMS:
        raise QuorumError('algorithm: expected one of %s, got %r' % (', '.join(ALGORITHMS), algorithm))
    votes = qdevice.get('votes') or (1 if algorithm == 'ffsplit' else max(1, (nodes_votes or 2) - 1))
    net = [('host', str(qdevice['host'])), ('algorithm', algorithm), ('tls', qdevice.get('tls', 'on'))]
    if qdevice.get('tie_breaker'):
        net.append(('tie_breaker', str(qdevice['tie_breaker'])))
    return [('model', 'net'), ('votes', str(votes)), ('net', net)]


def set_device(tree, device):
    """tree with quorum.device replaced by device (None removes it): (new tree, changed)."""
    quorum = section(tree, 'quorum')
    if quorum is None:
        raise QuorumError('corosync.conf has no quorum section; the corosync role writes one')
    current = section(quorum, 'device')
    if _norm(current) == _norm(device):
        return tree, False
    new_quorum = [(k, v) for k, v in quorum if k != 'device' and not (device and k == 'two_node')]
    if device is not None:
        new_quorum.append(('device', device))
    return [(k, new_quorum if k == 'quorum' else v) for k, v in tree], True


def _norm(value):
    if value is None:
        return None
    return sorted((k, _norm(v) if isinstance(v, list) else str(v)) for k, v in value)


def conf_device(tree):
    """The quorum.device settings of a parsed corosync.conf as a flat dict, or None."""
    quorum = section(tree, 'quorum') or []
    device = section(quorum, 'device')
    if device is None:
        return None
    out = {k: v for k, v in device if not isinstance(v, list)}
    out.update(dict(section(device, 'net') or []))
    return out


# ------------------------------------------------------------------------------------------ tool outputs

def _fields(text):
    out = {}
    for line in text.splitlines():
        match = re.match(r'^([A-Za-z][A-Za-z /-]+?):\s+(.*?)\s*$', line)
        if match:
            out.setdefault(match.group(1).strip().lower(), match.group(2))
    return out


def _int(value):
    """The number a field starts with: decimal, or hexadecimal as `pvecm status` (quorumtool -H) prints node ids."""
    match = re.match(r'^\s*(?:0x([0-9A-Fa-f]+)|(\d+))', value or '')
    if not match:
        return None
    return int(match.group(1), 16) if match.group(1) is not None else int(match.group(2))


# a membership row: node id (decimal, or 0x%08x with -H), votes, the qdevice flags column when a device is
# configured (A/NA, V/NV, MW/NMW, NR), then the name: a node name, or its address (-i, as pvecm prints it)
_FLAG = r'(?:A|NA|V|NV|MW|NMW|NR)'
_ROW = re.compile(r'^\s*(0x[0-9A-Fa-f]+|\d+)\s+(\d+)\s+(?:(%s(?:,%s)*)\s+)?(.+?)\s*$' % (_FLAG, _FLAG))


def parse_quorumtool(text):
    """`corosync-quorumtool -s` (also -p, -i, -H) -> dict. Membership rows: nodeid, votes, qdevice flags, name."""
    fields = _fields(text)
    members = []
    in_members = False
    device_row = None
    for line in text.splitlines():
        if re.match(r'^\s*Nodeid\s+Votes', line):
            in_members = True
            continue
        match = _ROW.match(line) if in_members else None
        if not match:
            continue
        nodeid, votes, flags, name = _int(match.group(1)), int(match.group(2)), match.group(3), match.group(4)
        if nodeid == 0 and name.startswith('Qdevice'):
            device_row = (votes, re.search(r'\(votes (\d+)\)', name))  # see qdevice_votes
            continue
        local = name.endswith('(local)')
        members.append({'nodeid': nodeid, 'votes': votes, 'name': name.replace('(local)', '').strip(),
                        'local': local, 'qdevice_flags': flags.split(',') if flags else []})
    flags = (fields.get('flags') or '').split()
    quorum_field = fields.get('quorum') or ''
    return {
        'quorate': (fields.get('quorate') or '').lower() == 'yes',
        'node_id': _int(fields.get('node id')),
        'nodes': _int(fields.get('nodes')),
        'ring_id': fields.get('ring id'),
        'expected_votes': _int(fields.get('expected votes')),
        'highest_expected': _int(fields.get('highest expected')),
        'total_votes': _int(fields.get('total votes')),
        'quorum': _int(quorum_field),
        'activity_blocked': 'Activity blocked' in quorum_field,
        'flags': flags,
        'members': members,
        'qdevice_present': device_row is not None or 'Qdevice' in flags,
        'qdevice_votes': device_row[0] if device_row else 0,
        'qdevice_configured_votes': int(device_row[1].group(1)) if device_row and device_row[1] else None,
    }


def parse_qdevice_tool(text):
    """`corosync-qdevice-tool -s` -> {'state', 'model', 'qnetd_host', 'algorithm', 'tie_breaker', 'tls'}."""
    fields = _fields(text)
    return {
        'state': fields.get('state'),
        'model': fields.get('model'),
        'qnetd_host': fields.get('qnetd host'),
        'algorithm': fields.get('algorithm'),
        'tie_breaker': fields.get('tie-breaker'),
        'tls': fields.get('tls active'),
        'connected': (fields.get('state') or '').lower() == 'connected',
    }


def parse_qnetd_tool(text):
    """`corosync-qnetd-tool -l` -> {cluster name: [{'node_id', 'address', 'vote', 'algorithm', ...}]}."""
    clusters = {}
    current = None
    node = None
    for line in text.splitlines():
        match = re.match(r'^Cluster "(.*)":\s*$', line)
        if match:
            current = clusters.setdefault(match.group(1), [])
            continue
        match = re.match(r'^\s+Node ID (\d+):\s*$', line)
        if match and current is not None:
            node = {'node_id': int(match.group(1))}
            current.append(node)
            continue
        match = re.match(r'^\s+([A-Za-z][A-Za-z ]+?):\s+(.*?)\s*$', line)
        if match and node is not None:
            key = match.group(1).strip().lower().replace(' ', '_')
            value = match.group(2)
            if key == 'client_address':
                key, value = 'address', re.sub(r'^::ffff:', '', value.split(':')[0] if value.count(':') == 1 else
                                               value.rsplit(':', 1)[0])
            node[key] = value
    return clusters


def parse_pvecm_status(text):
    """`pvecm status` -> parse_quorumtool's shape plus its Cluster information (name, config version, transport,
    secure auth). pvecm prints corosync-quorumtool -siH: node ids in hex, members named by their address."""
    out = parse_quorumtool(text)
    fields = _fields(text)
    out.update(cluster_name=fields.get('name'), config_version=_int(fields.get('config version')),
               transport=fields.get('transport'), secure_auth=fields.get('secure auth'))
    return out


# ----------------------------------------------------------------------------------------------- verdict

def verdict(quorum, qdevice=None, expected_members=None):
    """(verdict, missing, message) from parse_quorumtool() output (None: corosync did not answer).

    healthy: quorate and every expected vote is present; degraded: quorate, something missing; lost: not
    quorate; down: corosync not answering.
    """
    if quorum is None:
        return 'down', [], 'corosync is not answering (no quorum service)'
    missing = []
    names = {m['name'] for m in quorum['members']}
    ids = {m['nodeid'] for m in quorum['members']}
    for node in expected_members or []:
        if node['nodeid'] not in ids and node['name'] not in names and node.get('addr') not in names:
            plural = '' if node['votes'] == 1 else 's'
            missing.append('node %s (%s, %d vote%s)' % (node['nodeid'], node['name'], node['votes'], plural))
    device_expected = quorum['qdevice_present'] or (qdevice is not None)
    if device_expected and quorum['qdevice_votes'] == 0:
        why = ''
        if qdevice and qdevice.get('state') and not qdevice.get('connected'):
            why = ', qdevice state: %s' % qdevice['state']
        missing.append('Qdevice%s' % why)
    total, expected = quorum['total_votes'] or 0, quorum['expected_votes'] or 0
    if expected and total < expected and not missing:
        missing.append('%d vote%s' % (expected - total, '' if expected - total == 1 else 's'))
    summary = '%d of %d votes present, quorum needs %s' % (total, expected, quorum['quorum'])
    if not quorum['quorate']:
        return 'lost', missing, 'quorum lost: %s; missing: %s' % (summary, ', '.join(missing) or 'unknown')
    if missing or total < expected:
        return 'degraded', missing, 'quorate but degraded: %s; missing: %s' % (summary, ', '.join(missing))
    return 'healthy', [], 'healthy: %s' % summary


def gate(name, result, accept):
    """None when result['verdict'] is acceptable, else the refusal naming what is missing."""
    if result.get('verdict') in accept:
        return None
    return ('%s: refusing: quorum verdict is %s (acceptable: %s): %s'
            % (name, result.get('verdict'), ', '.join(accept), result.get('msg') or 'no quorum information'))


# ------------------------------------------------------------------------------------------------ Proxmox

def pvecm_qdevice_command(host, force=False, network=None):
    """`pvecm qdevice setup <address> [--force 1] [--network <cidr>]` as an argument list."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not re.match(r'^[A-Za-z0-9][A-Za-z0-9.-]*$', str(host)):
            raise QuorumError('host: %r is neither an IP address nor a host name' % (host,)) from None
    cmd = ['pvecm', 'qdevice', 'setup', str(host)]
    if force:
        cmd += ['--force', '1']
    if network:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise QuorumError('network: %r is not a CIDR network' % (network,)) from None
        cmd += ['--network', str(network)]
    return cmd


def pvecm_preconditions(status, has_qdevice_pkg, qnetd_reachable, configured_host=None, wanted_host=None):
    """What stops `pvecm qdevice setup`, as sentences (empty: go). status: parse_pvecm_status() output."""
    problems = []
    if status is None:
        problems.append('pvecm status failed: this node is not in a Proxmox VE cluster (pvecm create / add first)')
        return problems
    if not status['quorate']:
        problems.append('the Proxmox cluster is not quorate (%s of %s votes): pvecm qdevice setup needs every '
                        'node online' % (status['total_votes'], status['expected_votes']))
    elif status['total_votes'] is not None and status['expected_votes'] and \
            status['total_votes'] - status['qdevice_votes'] < status['expected_votes'] - status['qdevice_votes']:
        problems.append('not every Proxmox node is online; pvecm qdevice setup copies certificates to all of them')
    if not has_qdevice_pkg:
        problems.append('corosync-qdevice is not installed on this node (apt install corosync-qdevice on every node)')
    if not qnetd_reachable:
        problems.append('the qnetd host does not answer on TCP 5403 (is corosync-qnetd running there?)')
    if configured_host and wanted_host and configured_host != wanted_host:
        problems.append('a quorum device %s is already configured; remove it first (pvecm qdevice remove) or use '
                        'force' % configured_host)
    return problems
