# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The homelab's network derived from the inventory (pure, no I/O): the VLANs of the plan, a DHCP reservation
and a DNS name for every host, a firewall alias per role and tier group, and the inter-VLAN rules.

PRIVATE to the homelab.cluster collection; its API may change without notice.

``network_plan(views, settings)`` takes host views (plugins/module_utils/_hostview.py) and the role's settings
and returns what the opnsense_* modules are given. Every problem of the input is found before anything is sent
and reported at once, each as ``name.field: expected ..., got ...``.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.access import access_rules
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import MARKER
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import OPNsenseError
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.suricata import suricata_plan

_NETWORK_NAME = re.compile(r'^[a-z][a-z0-9_]{0,15}$')
_LABEL = re.compile(r'^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', re.IGNORECASE)
_MAC = re.compile(r'^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$', re.IGNORECASE)
# Firewall/FieldTypes/AliasNameField.php: a letter or a single underscore first, at most 31 characters
_ALIAS = re.compile(r'^([a-zA-Z]|(([_a-zA-Z][a-zA-Z0-9]|[a-zA-Z][_a-zA-Z0-9])[_a-zA-Z0-9]{0,29}))$')
_PROTOCOLS = ('TCP', 'UDP', 'TCP/UDP')
PRIVATE = ('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16')
DEFAULTS = {
    'networks': [], 'parent': '', 'domain': 'home.arpa', 'extra_hosts': [], 'alias_prefixes': ['role_', 'tier_'],
    'services': [], 'firewall_services': [], 'access': [], 'sequence_start': 1000, 'log_blocks': True,
    'private_alias': 'homelab_private', 'ids': None,
}


class PlanError(OPNsenseError):
    """Every problem found in the input, one per line."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__('%d problem%s in the network plan; nothing was sent to the firewall:\n  - %s'
                         % (len(self.problems), '' if len(self.problems) == 1 else 's', '\n  - '.join(self.problems)))


def _int(value):
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, int):
        return value
    raise ValueError


# ------------------------------------------------------------------------------------------ networks

def check_networks(networks, problems):
    """The VLAN plan: names, tags 1-4094 (Interfaces/Vlan.xml), IPv4 subnets that do not overlap, interfaces."""
    out, names, tags, interfaces = [], {}, {}, {}
    if not isinstance(networks, list) or not networks:
        problems.append('opnsense_networks: expected a non-empty list of networks, got %r' % (networks,))
        return out
    for i, net in enumerate(networks):
        where = 'opnsense_networks[%d]' % i
        if not isinstance(net, dict):
            problems.append('%s: expected a mapping, got %r' % (where, net))
            continue
        name = net.get('name')
        if not isinstance(name, str) or not _NETWORK_NAME.match(name):
            problems.append('%s.name: expected a short lowercase name (a-z, 0-9, _), got %r' % (where, name))
            continue
        where = 'opnsense_networks[%s]' % name
        if name in names:
            problems.append('%s.name: given twice' % where)
        names[name] = True
        try:
            tag = _int(net.get('tag'))
            if not 1 <= tag <= 4094:
                raise ValueError
        except (ValueError, TypeError):
            problems.append('%s.tag: expected a VLAN tag 1-4094, got %r' % (where, net.get('tag')))
            tag = None
        if tag is not None and tag in tags:
            problems.append('%s.tag: %d is also the tag of %s' % (where, tag, tags[tag]))
        elif tag is not None:
            tags[tag] = name
        try:
            subnet = ipaddress.IPv4Network(str(net.get('subnet')), strict=True)
        except (ValueError, TypeError):
            problems.append('%s.subnet: expected an IPv4 network such as 10.0.10.0/24, got %r'
                            % (where, net.get('subnet')))
            subnet = None
        interface = net.get('interface')
        if not isinstance(interface, str) or not re.match(r'^[a-z][a-z0-9_]*$', interface or ''):
            problems.append('%s.interface: expected the OPNsense interface name (lan, opt1, ...), got %r'
                            % (where, interface))
        elif interface in interfaces:
            problems.append('%s.interface: %s is also the interface of %s' % (where, interface, interfaces[interface]))
        else:
            interfaces[interface] = name
        device = net.get('device', True)
        if not isinstance(device, bool):
            problems.append('%s.device: expected true (create the VLAN device) or false, got %r' % (where, device))
        if subnet is not None:
            for other in out:
                if other['subnet'] is not None and other['subnet'].overlaps(subnet):
                    problems.append('%s.subnet: %s overlaps %s of %s' % (where, subnet, other['subnet'], other['name']))
        out.append({'name': name, 'tag': tag, 'subnet': subnet, 'interface': interface, 'device': device is not False,
                    'description': str(net.get('description') or name)})
    return [n for n in out if n['subnet'] is not None and n['tag'] is not None]


def network_of(networks, address):
    for net in networks:
        if address in net['subnet']:
            return net
    return None


# --------------------------------------------------------------------------------------------- hosts

def _host(name, where, record, networks, problems, firewall=False):
    """One host's reservation and DNS data, or None; problems named ``where.field``."""
    if not isinstance(name, str) or not _LABEL.match(name):
        problems.append('%s: expected a DNS label as the host name (letters, digits, -), got %r' % (where, name))
        return None
    address, mac, wanted = record.get('address'), record.get('mac'), record.get('network')
    if address in (None, ''):
        return {'name': name, 'address': None, 'mac': None, 'network': None, 'firewall': firewall}
    try:
        address = ipaddress.IPv4Address(str(address))
    except ValueError:
        problems.append('%s.address: expected an IPv4 address, got %r' % (where, record.get('address')))
        return None
    net = network_of(networks, address)
    if wanted is not None:
        named = [n for n in networks if n['name'] == wanted]
        if not named:
            problems.append('%s.network: expected one of %s, got %r'
                            % (where, ', '.join(n['name'] for n in networks), wanted))
            return None
        if net is not named[0]:
            problems.append("%s.address: expected an address in %s's subnet %s, got %s"
                            % (where, wanted, named[0]['subnet'], address))
            return None
    if net is None:
        problems.append('%s.address: expected an address in one of the networks (%s), got %s'
                        % (where, ', '.join('%s %s' % (n['name'], n['subnet']) for n in networks), address))
        return None
    if address in (net['subnet'].network_address, net['subnet'].broadcast_address):
        problems.append('%s.address: %s is the network or broadcast address of %s' % (where, address, net['subnet']))
        return None
    if mac not in (None, ''):
        if not isinstance(mac, str) or not _MAC.match(mac):
            problems.append('%s.mac: expected a MAC address such as a8:a1:59:00:00:01, got %r' % (where, mac))
            return None
        mac = mac.lower().replace('-', ':')
    return {'name': name, 'address': address, 'mac': mac or None, 'network': net, 'firewall': firewall,
            'description': record.get('description')}


def collect_hosts(views, extra_hosts, networks, problems):
    hosts = []
    for view in views:
        record = {'address': view.get('address'), 'mac': view.get('mac'), 'description': view.get('description')}
        host = _host(view.get('name'), str(view.get('name')), record, networks, problems,
                     firewall='firewall' in (view.get('roles') or ()))
        if host:
            hosts.append(host)
    for i, extra in enumerate(extra_hosts or ()):
        if not isinstance(extra, dict):
            problems.append('opnsense_extra_hosts[%d]: expected a mapping, got %r' % (i, extra))
            continue
        unknown = sorted(set(extra) - {'name', 'mac', 'address', 'network', 'description'})
        if unknown:
            problems.append('opnsense_extra_hosts[%d]: unknown key %s (known: address, description, mac, name, network)'
                            % (i, ', '.join(unknown)))
            continue
        host = _host(extra.get('name'), 'opnsense_extra_hosts[%s]' % extra.get('name', i), extra, networks, problems)
        if host:
            hosts.append(host)
    by_name, by_mac, by_address = {}, {}, {}
    for host in hosts:
        if host['name'] in by_name:
            problems.append('%s: the name is given twice (inventory and opnsense_extra_hosts?)' % host['name'])
        by_name[host['name']] = host
        if host['mac']:
            if host['mac'] in by_mac:
                problems.append('%s.mac: %s is also used by %s' % (host['name'], host['mac'], by_mac[host['mac']]))
            by_mac.setdefault(host['mac'], host['name'])
        if host['address']:
            if host['address'] in by_address:
                problems.append('%s.address: %s is also used by %s' % (host['name'], host['address'],
                                                                       by_address[host['address']]))
            by_address.setdefault(host['address'], host['name'])
    return hosts


# ------------------------------------------------------------------------------------------- aliases

def group_aliases(views, prefixes, hosts, problems):
    addresses = {h['name']: h['address'] for h in hosts if h['address']}
    members = {}
    for view in views:
        for group in view.get('groups') or ():
            if any(group.startswith(p) for p in prefixes) and view.get('name') in addresses:
                members.setdefault(group, []).append(addresses[view['name']])
    out = {}
    for group in sorted(members):
        if not _ALIAS.match(group):
            problems.append('%s: the group name is not a valid alias name (a letter first, letters, digits and _, at '
                            'most 31 characters)' % group)
            continue
        out[group] = {'name': group, 'type': 'host', 'content': [str(a) for a in sorted(set(members[group]))],
                      'description': '%s inventory group %s' % (MARKER, group)}
    return out


def _ports(where, service, problems):
    ports = service.get('ports')
    if not isinstance(ports, list) or not ports:
        problems.append('%s.ports: expected a list of ports or ranges (1883, "8000-8100"), got %r' % (where, ports))
        return []
    out = []
    for port in ports:
        text = str(port)
        parts = text.split('-')
        try:
            numbers = [_int(p) for p in parts]
            if len(numbers) > 2 or not all(1 <= n <= 65535 for n in numbers):
                raise ValueError
            if len(numbers) == 2 and numbers[0] >= numbers[1]:
                raise ValueError
        except (ValueError, TypeError):
            problems.append('%s.ports: expected a port 1-65535 or a range "low-high", got %r' % (where, port))
            continue
        out.append(text.replace('-', ':'))
    return out


def check_services(services, prefix, problems):
    out = {}
    for i, service in enumerate(services or ()):
        name = service.get('name') if isinstance(service, dict) else None
        if not isinstance(name, str) or not re.match(r'^[a-z][a-z0-9_]{0,24}$', name):
            problems.append('%s[%d].name: expected a short lowercase name, got %r' % (prefix, i, name))
            continue
        where = '%s[%s]' % (prefix, name)
        unknown = sorted(set(service) - {'name', 'ports', 'protocol', 'description'})
        if unknown:
            problems.append('%s: unknown key %s (known: description, name, ports, protocol)'
                            % (where, ', '.join(unknown)))
        protocol = str(service.get('protocol', 'TCP')).upper()
        if protocol not in _PROTOCOLS:
            problems.append('%s.protocol: expected one of %s, got %r'
                            % (where, ', '.join(_PROTOCOLS), service.get('protocol')))
        out[name] = {'name': name, 'ports': _ports(where, service, problems), 'protocol': protocol,
                     'alias': 'svc_%s' % name}
    return out


# ---------------------------------------------------------------------------------------------- plan

def network_plan(views, settings):
    """Everything the opnsense_* modules are given, derived from host views and the role's settings."""
    settings = dict(DEFAULTS, **{k: v for k, v in (settings or {}).items() if v is not None})
    problems = []
    networks = check_networks(settings['networks'], problems)
    networks_ok = not problems  # hosts and rules are checked against a sound network plan only (no echo errors)
    domain = settings['domain']
    if not isinstance(domain, str) or not all(_LABEL.match(p) for p in domain.split('.')):
        problems.append('opnsense_domain: expected a DNS domain such as home.arpa, got %r' % (domain,))
    hosts = collect_hosts(views, settings['extra_hosts'], networks, problems) if networks_ok else []
    aliases = group_aliases(views, settings['alias_prefixes'], hosts, problems)
    services = check_services(settings['services'], 'opnsense_services', problems)
    firewall_services = check_services(settings['firewall_services'], 'opnsense_firewall_services', problems)
    for name in set(services) & set(firewall_services):
        problems.append('opnsense_services[%s]: the name is also one of opnsense_firewall_services' % name)
    rules, notes = access_rules(settings, networks, hosts, aliases, services, firewall_services, problems) \
        if networks_ok else ([], [])
    if any(n['device'] for n in networks) and not settings['parent']:
        problems.append('opnsense_vlan_parent: expected the parent device of the VLANs (ixl0, igc1, ...), got %r'
                        % (settings['parent'],))
    ids = None
    if settings['ids']:
        options = dict(settings['ids'])
        try:
            ids = suricata_plan(options.pop('uplink_mbps', 1000), options.pop('rulesets', []),
                                options.pop('rulesets_reduced', []),
                                homenet=[str(n['subnet']) for n in networks], **options)
        except (OPNsenseError, TypeError) as exc:
            problems.append(str(exc))
    if problems:
        raise PlanError(problems)

    for host in hosts:
        if not host['address']:
            notes.append('%s: no address, so no DHCP reservation and no DNS name' % host['name'])
        elif not host['mac'] and not host['firewall']:
            notes.append('%s: no MAC, so a DNS name but no DHCP reservation' % host['name'])
    placed = [h for h in hosts if h['address']]
    alias_list = list(aliases.values())
    alias_list.append({'name': settings['private_alias'], 'type': 'network', 'content': list(PRIVATE),
                       'description': '%s private networks (RFC 1918)' % MARKER})
    for svc in list(services.values()) + list(firewall_services.values()):
        alias_list.append({'name': svc['alias'], 'type': 'port', 'content': svc['ports'],
                           'description': '%s service %s' % (MARKER, svc['name'])})
    plan = {
        'networks': [{'name': n['name'], 'tag': n['tag'], 'subnet': str(n['subnet']), 'interface': n['interface'],
                      'device': n['device']} for n in networks],
        'vlans': [{'parent': settings['parent'], 'tag': n['tag'], 'description': '%s %s' % (MARKER, n['description'])}
                  for n in networks if n['device']],
        'subnets': [{'subnet': str(n['subnet']), 'description': '%s %s' % (MARKER, n['name'])} for n in networks],
        'reservations': [{'mac': h['mac'], 'address': str(h['address']), 'hostname': h['name'],
                          'description': '%s %s' % (MARKER, h['name'])}
                         for h in placed if h['mac'] and not h['firewall']],
        'dns': [{'hostname': h['name'], 'domain': domain, 'address': str(h['address']),
                 'description': '%s %s' % (MARKER, h['name'])} for h in placed],
        'aliases': alias_list,
        'rules': rules,
        'ids': ids,
        'notes': notes,
    }
    plan['summary'] = summary(plan)
    return plan


def summary(plan):
    lines = ['%d networks: %s' % (len(plan['networks']), ', '.join(
        '%s (VLAN %s, %s on %s%s)' % (n['name'], n['tag'], n['subnet'], n['interface'], '' if n['device'] else
                                      ', untagged') for n in plan['networks']))]
    lines.append('%d DHCP reservations, %d DNS names, %d aliases, %d rules'
                 % (len(plan['reservations']), len(plan['dns']), len(plan['aliases']), len(plan['rules'])))
    lines.extend('rule %s %s: %s (%s -> %s%s)' % (
        r['sequence'], r['action'], r['description'][len(MARKER):].strip(), ','.join(r['interface']),
        r['destination_net'], ' port %s' % r['destination_port'] if r.get('destination_port') else '')
        for r in plan['rules'])
    if plan.get('ids'):
        ids = plan['ids']
        lines.append('Suricata %s on %s, %s tier (%s), %d rulesets%s' % (
            ids['mode'], ', '.join(ids['interfaces']), ids['tier'], ids['reason'], len(ids['rulesets']),
            ', alerts become drops' if ids['drop'] else '') if ids['enabled'] else 'Suricata off')
    return lines + ['note: %s' % n for n in plan['notes']]
