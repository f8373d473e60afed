# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The firewall's allow-lists from the inventory, without I/O: which of a host's ports are filtered, and who may
reach each (homelab.cluster.firewall).

PRIVATE to the homelab.cluster collection; its API may change without notice.

A service runs on the hosts of its ``runs_on`` groups and listens on ``ports`` (``proto`` tcp or udp). On such a
host, those ports accept new connections only from the addresses of the hosts in its ``allow_groups``, its
``allow_cidrs``, the admin networks and the controller; everything else sent to them is dropped. Ports no service
names are not touched. The group ``all`` means every inventory host; ``any`` in ``allow_groups`` leaves the service
unfiltered. (Not ``on``/``from``: YAML 1.1 reads a key ``on`` as true.)
"""

from __future__ import annotations

import ipaddress
import re

PROTOS = ('tcp', 'udp')
_NAME = re.compile(r'^[a-z0-9][a-z0-9_-]*\Z')
_GROUP = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]*\Z')
SERVICE_KEYS = ('name', 'runs_on', 'ports', 'proto', 'allow_groups', 'allow_cidrs')


class FirewallError(ValueError):
    """A service or address the firewall cannot use; the message names the field."""


def _network(value, field):
    try:
        return ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        raise FirewallError('%s: expected an IP address or network (10.0.30.0/24), got %r' % (field, value)) from None


def _names(value, field, pattern=_GROUP):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not value:
        raise FirewallError('%s: expected a list of inventory groups, got %r' % (field, value))
    for item in value:
        if not isinstance(item, str) or not pattern.match(item):
            raise FirewallError('%s: %r is not a group name' % (field, item))
    return list(value)


def check_services(services, field='firewall_services'):
    """Normalized services; raises FirewallError naming ``firewall_services[i].<key>`` on the first bad value."""
    if not isinstance(services, (list, tuple)):
        raise FirewallError('%s: expected a list of services, got %r' % (field, services))
    out, seen = [], set()
    for i, svc in enumerate(services):
        where = '%s[%d]' % (field, i)
        if not isinstance(svc, dict):
            raise FirewallError('%s: expected a mapping (%s), got %r' % (where, ', '.join(SERVICE_KEYS), svc))
        unknown = sorted(set(svc) - set(SERVICE_KEYS))
        if unknown:
            raise FirewallError('%s.%s: unknown key; known keys: %s' % (where, unknown[0], ', '.join(SERVICE_KEYS)))
        name = svc.get('name')
        if not isinstance(name, str) or not _NAME.match(name):
            raise FirewallError('%s.name: expected a lowercase name (letters, digits, - and _), got %r' % (where, name))
        if name in seen:
            raise FirewallError('%s.name: %s is listed twice' % (where, name))
        seen.add(name)
        ports = svc.get('ports')
        if isinstance(ports, int) and not isinstance(ports, bool):
            ports = [ports]
        if not isinstance(ports, (list, tuple)) or not ports or not all(
                isinstance(p, int) and not isinstance(p, bool) and 1 <= p <= 65535 for p in ports):
            raise FirewallError('%s.ports: expected a list of port numbers 1-65535, got %r' % (where, svc.get('ports')))
        proto = svc.get('proto', 'tcp')
        if proto not in PROTOS:
            raise FirewallError('%s.proto: expected tcp or udp, got %r' % (where, proto))
        cidrs = svc.get('allow_cidrs') or []
        if not isinstance(cidrs, (list, tuple)):
            raise FirewallError('%s.allow_cidrs: expected a list of addresses or networks, got %r' % (where, cidrs))
        out.append({'name': name, 'runs_on': _names(svc.get('runs_on'), where + '.runs_on'),
                    'allow_groups': _names(svc.get('allow_groups', []) or ['__none__'], where + '.allow_groups'),
                    'ports': sorted(set(ports)), 'proto': proto,
                    'allow_cidrs': [_network(c, '%s.allow_cidrs[%d]' % (where, j)) for j, c in enumerate(cidrs)]})
    return out


def _member(view, groups):
    return 'all' in groups or bool(set(groups) & set(view.get('groups') or []))


def plan(host, views, services, admin_cidrs=(), controller=(), known=None):
    """The rules of ``host`` (an inventory name): {'rules': [...], 'notes': [...]}.

    views: the host views of every inventory host (name, address, groups); services: as check_services takes
    them; admin_cidrs and controller: addresses or networks allowed to every filtered service of this host;
    known: {host: [addresses]} a host has beside its inventory address (a multi-homed logic node speaks from the
    address of each network it is on), from facts.
    A rule is {'name', 'proto', 'ports', 'v4', 'v6'} with the allowed sources as sorted text. A host with no
    usable address cannot be allowed by address: it goes into ``notes`` instead, so the caller can say so.
    """
    by_name = {view['name']: view for view in views}
    if host not in by_name:
        raise FirewallError('%s: not an inventory host' % (host,))
    me = by_name[host]
    extra = [_network(c, 'firewall_admin_cidrs[%d]' % i) for i, c in enumerate(admin_cidrs or [])]
    extra += [_network(c, 'controller[%d]' % i) for i, c in enumerate(controller or [])]
    rules, notes = [], []
    for svc in check_services(services):
        if not _member(me, svc['runs_on']):
            continue
        if 'any' in svc['allow_groups']:
            notes.append('%s: open to any address (allow_groups: any), not filtered' % svc['name'])
            continue
        sources = set(svc['allow_cidrs']) | set(extra)
        for view in sorted(views, key=lambda v: v['name']):
            if not _member(view, svc['allow_groups']):
                continue
            for index, other in enumerate((known or {}).get(view['name']) or []):
                sources.add(_network(other, 'known.%s[%d]' % (view['name'], index)))
            address = view.get('address')
            try:
                sources.add(ipaddress.ip_network(address) if address else None)
            except ValueError:
                notes.append('%s: %s has the name %s, not an IP address, in the inventory; it is not allowed in'
                             % (svc['name'], view['name'], address))
                continue
            if not address:
                notes.append('%s: %s has no address in the inventory; it is not allowed in'
                             % (svc['name'], view['name']))
        sources.discard(None)
        rules.append({'name': svc['name'], 'proto': svc['proto'], 'ports': svc['ports'],
                      'v4': sorted((str(n) for n in sources if n.version == 4), key=_sort_key),
                      'v6': sorted((str(n) for n in sources if n.version == 6), key=_sort_key)})
    return {'rules': rules, 'notes': sorted(set(notes))}


def _sort_key(text):
    network = ipaddress.ip_network(text)
    return (network.version, int(network.network_address), network.prefixlen)
