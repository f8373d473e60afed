# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inter-VLAN policy as OPNsense filter rules (pure, no I/O).

PRIVATE to the homelab.cluster collection; its API may change without notice.

``opnsense_access`` entries say who may reach what: ``from`` a network or an inventory group (its alias), ``to``
a network, a group, ``any`` or ``internet``, optionally only some named services (port aliases). Rules are
grouped per source in the order pf needs them (first match wins, all rules are quick).
"""

from __future__ import annotations

from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import MARKER


def _endpoint(value, networks, aliases, where, problems, allow=('any', 'internet')):
    """A rule end: a network name, an inventory group with hosts (its alias), any, internet or firewall."""
    if value in allow:
        return ('special', value)
    for net in networks:
        if net['name'] == value:
            return ('network', net)
    if value in aliases:
        return ('group', aliases[value])
    problems.append('%s: expected a network (%s), an inventory group with hosts (%s) or one of %s, got %r'
                    % (where, ', '.join(n['name'] for n in networks), ', '.join(sorted(aliases)) or 'none',
                       ', '.join(allow), value))
    return None


def _rule(description, interfaces, source, destination, action='pass', port=None, protocol='any', log=False):
    rule = {'description': '%s %s' % (MARKER, description), 'enabled': True, 'action': action, 'quick': True,
            'interface': sorted(interfaces), 'direction': 'in', 'ipprotocol': 'inet', 'protocol': protocol,
            'source_net': source, 'destination_net': destination, 'log': log}
    if port:
        rule['destination_port'] = port
    return rule


def access_rules(settings, networks, hosts, aliases, services, firewall_services, problems):
    """The inter-VLAN policy as filter rules, per source: its passes to networks, groups and services first, then
    the firewall's own services (DNS, NTP), then a block of every private network when the source may reach the
    internet, then the pass to the internet. Entries whose group has no host with an address are left out."""
    notes, per_source, order = [], {}, []
    host_nets = {h['name']: h['network'] for h in hosts if h['network']}
    entries = settings.get('access') or []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get('from') or not entry.get('to'):
            problems.append('opnsense_access[%d]: expected a mapping with from and to, got %r' % (i, entry))
            continue
        where = 'opnsense_access[%d]' % i
        unknown = sorted(set(entry) - {'name', 'from', 'to', 'services'})
        if unknown:
            problems.append('%s: unknown key %s (known: from, name, services, to)' % (where, ', '.join(unknown)))
            continue
        group_like = entry['from'].startswith(tuple(settings.get('alias_prefixes') or ()))
        if group_like and entry['from'] not in aliases and not any(n['name'] == entry['from'] for n in networks):
            notes.append('%s: no host of %s has an address; the rule is left out' % (where, entry['from']))
            continue
        source = _endpoint(entry['from'], networks, aliases, where + '.from', problems, allow=())
        target = _endpoint(entry['to'], networks, aliases, where + '.to', problems)
        wanted = entry.get('services') or []
        for name in wanted:
            if name not in services:
                known = ', '.join(sorted(services)) or 'the names in opnsense_services'
                problems.append('%s.services: expected one of %s, got %r' % (where, known, name))
        if source is None or target is None or any(n not in services for n in wanted):
            continue
        if source[0] == 'network':
            interfaces, source_net, label = [source[1]['interface']], source[1]['interface'], source[1]['name']
        else:
            members = [h for h in hosts if h['address'] and str(h['address']) in source[1]['content']]
            interfaces = sorted({host_nets[h['name']]['interface'] for h in members if h['name'] in host_nets})
            source_net, label = source[1]['name'], source[1]['name']
        if label not in per_source:
            per_source[label] = {'interfaces': interfaces, 'net': source_net, 'passes': [], 'internet': False}
            order.append(label)
        bucket = per_source[label]
        if target[0] == 'special' and target[1] == 'internet':
            bucket['internet'] = True
            continue
        destination = {'special': 'any', 'network': None, 'group': None}[target[0]]
        if target[0] == 'network':
            destination = target[1]['interface']
        elif target[0] == 'group':
            destination = target[1]['name']
        if not wanted:
            bucket['passes'].append(_rule('%s -> %s' % (label, entry['to']), interfaces, source_net, destination))
        for name in wanted:
            svc = services[name]
            bucket['passes'].append(_rule('%s -> %s %s' % (label, entry['to'], name), interfaces, source_net,
                                          destination, port=svc['alias'], protocol=svc['protocol']))
    rules = []
    for label in order:
        bucket = per_source[label]
        rules.extend(bucket['passes'])
        if bucket['internet']:
            for svc in firewall_services.values():
                rules.append(_rule('%s -> firewall %s' % (label, svc['name']), bucket['interfaces'], bucket['net'],
                                   '(self)', port=svc['alias'], protocol=svc['protocol']))
            rules.append(_rule('%s -> private networks blocked' % label, bucket['interfaces'], bucket['net'],
                               settings['private_alias'], action='block', log=bool(settings.get('log_blocks'))))
            rules.append(_rule('%s -> internet' % label, bucket['interfaces'], bucket['net'], 'any'))
    seen = set()
    for position, rule in enumerate(rules):
        if rule['description'] in seen:
            problems.append('opnsense_access: two entries make the rule "%s"' % rule['description'])
        seen.add(rule['description'])
        rule['sequence'] = int(settings.get('sequence_start', 1000)) + 10 * position
    return rules, notes
