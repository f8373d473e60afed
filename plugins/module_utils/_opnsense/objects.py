# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OPNsense objects the modules manage, and what has to change between the firewall and what is wanted
(pure, no I/O).

PRIVATE to the homelab.cluster collection; its API may change without notice.

Each KIND says where its objects live in the REST API (the snake_case command names of 25.7 and later), the
key its body is wrapped in, its natural key, the service call that activates a change, and how each of our
option names maps to a model field and is compared. The field names are those of the model XML files of
opnsense/core 26.7 (src/opnsense/mvc/app/models/OPNsense/...): Interfaces/Vlan.xml, Dnsmasq/Dnsmasq.xml,
Kea/KeaDhcpv4.xml, Unbound/Unbound.xml, Firewall/Alias.xml, Firewall/Filter.xml, IDS/IDS.xml.

The API stores every value as a string: booleans are "0"/"1", multiple-choice and list fields are
comma-separated, alias content is newline-separated. Search rows carry the raw value under the field name and
a display text under "%field"; the VLAN search decorates an assigned device as "vlan01 [OPT1]".
"""

from __future__ import annotations

MARKER = 'homelab:'  # the description prefix of the objects this collection manages (what purge may delete)


class OPNsenseError(ValueError):
    """Input or an answer the OPNsense logic cannot use; the message names the object and the field."""


class Kind:
    def __init__(self, name, base, commands, wrap, key, service, options, marker_field, label):
        self.name = name
        self.base = base
        self.search, self.add, self.set, self.delete = commands
        self.wrap = wrap
        self.key = key
        self.service = service
        self.options = options  # our option name -> (model field, comparison type)
        self.marker_field = marker_field
        self.label_format = label
        self.types = dict(options.values())

    def path(self, command, uuid=None):
        return '%s/%s%s' % (self.base, command, '/' + uuid if uuid else '')

    def label(self, fields):
        values = {f: fields.get(f) or '-' for f in self.types}
        return self.label_format % values


def _kinds():
    s, i, b = 'str', 'int', 'bool'
    return {
        'vlan': Kind('vlan', 'interfaces/vlan_settings', ('search_item', 'add_item', 'set_item', 'del_item'), 'vlan',
                     ('if', 'tag'), 'interfaces/vlan_settings/reconfigure',
                     {'parent': ('if', s), 'tag': ('tag', i), 'pcp': ('pcp', i), 'proto': ('proto', s),
                      'description': ('descr', s), 'device': ('vlanif', 'device')},
                     'descr', 'VLAN %(tag)s on %(if)s'),
        'dnsmasq_host': Kind('dnsmasq_host', 'dnsmasq/settings', ('search_host', 'add_host', 'set_host', 'del_host'),
                             'host', ('hwaddr',), 'dnsmasq/service/reconfigure',
                             {'mac': ('hwaddr', 'macs'), 'address': ('ip', 'list'), 'hostname': ('host', s),
                              'domain': ('domain', s), 'description': ('descr', s), 'lease_time': ('lease_time', i),
                              'ignore': ('ignore', b)},
                             'descr', 'dnsmasq host %(host)s (%(hwaddr)s)'),
        'kea_subnet': Kind('kea_subnet', 'kea/dhcpv4', ('search_subnet', 'add_subnet', 'set_subnet', 'del_subnet'),
                           'subnet4', ('subnet',), 'kea/service/reconfigure',
                           {'subnet': ('subnet', s), 'description': ('description', s), 'pools': ('pools', 'lines'),
                            'option_data_autocollect': ('option_data_autocollect', b)},
                           'description', 'Kea subnet %(subnet)s'),
        'kea_reservation': Kind('kea_reservation', 'kea/dhcpv4',
                                ('search_reservation', 'add_reservation', 'set_reservation', 'del_reservation'),
                                'reservation', ('hw_address',), 'kea/service/reconfigure',
                                {'mac': ('hw_address', 'mac'), 'address': ('ip_address', s),
                                 'hostname': ('hostname', s), 'description': ('description', s),
                                 'subnet': ('subnet', s)},
                                'description', 'Kea reservation %(hostname)s (%(hw_address)s)'),
        'unbound_host': Kind('unbound_host', 'unbound/settings',
                             ('search_host_override', 'add_host_override', 'set_host_override', 'del_host_override'),
                             'host', ('hostname', 'domain', 'rr'), 'unbound/service/reconfigure',
                             {'hostname': ('hostname', s), 'domain': ('domain', s), 'rr': ('rr', s),
                              'address': ('server', s), 'description': ('description', s), 'enabled': ('enabled', b),
                              'addptr': ('addptr', b)},
                             'description', 'host override %(hostname)s.%(domain)s'),
        'alias': Kind('alias', 'firewall/alias', ('search_item', 'add_item', 'set_item', 'del_item'), 'alias',
                      ('name',), 'firewall/alias/reconfigure',
                      {'name': ('name', s), 'type': ('type', s), 'content': ('content', 'lines'),
                       'description': ('description', s), 'enabled': ('enabled', b)},
                      'description', 'alias %(name)s'),
        'rule': Kind('rule', 'firewall/filter', ('search_rule', 'add_rule', 'set_rule', 'del_rule'), 'rule',
                     ('description',), 'firewall/filter/apply',
                     {'description': ('description', s), 'enabled': ('enabled', b), 'action': ('action', s),
                      'quick': ('quick', b), 'interface': ('interface', 'list'), 'direction': ('direction', s),
                      'ipprotocol': ('ipprotocol', s), 'protocol': ('protocol', 'upper'),
                      'source_net': ('source_net', 'list'), 'source_not': ('source_not', b),
                      'source_port': ('source_port', 'port'), 'destination_net': ('destination_net', 'list'),
                      'destination_not': ('destination_not', b), 'destination_port': ('destination_port', 'port'),
                      'log': ('log', b), 'sequence': ('sequence', i)},
                     'description', 'rule "%(description)s"'),
        'ids_policy': Kind('ids_policy', 'ids/settings', ('search_policy', 'add_policy', 'set_policy', 'del_policy'),
                           'policy', ('description',), 'ids/service/reconfigure',
                           {'description': ('description', s), 'enabled': ('enabled', b), 'prio': ('prio', i),
                            'action': ('action', 'list'), 'rulesets': ('rulesets', 'list'),
                            'new_action': ('new_action', s)},
                           'description', 'IDS policy "%(description)s"'),
    }


KINDS = _kinds()


# ------------------------------------------------------------------------------------------- values

def to_api(kind, value):
    """Our value as the API stores it (a string)."""
    if value is None:
        return ''
    if kind == 'bool':
        if isinstance(value, str):
            return '1' if value.strip().lower() in ('1', 'true', 'yes', 'on') else '0'
        return '1' if value else '0'
    if kind in ('list', 'macs', 'lines'):
        items = value if isinstance(value, (list, tuple)) else [value]
        items = [str(v).lower() if kind == 'macs' else str(v) for v in items if str(v) != '']
        return ('\n' if kind == 'lines' else ',').join(items)
    if kind == 'mac':
        return str(value).lower()
    if kind == 'int':
        return str(int(value)) if str(value) != '' else ''
    if kind == 'upper':
        return str(value).upper() if str(value).lower() != 'any' else 'any'
    return str(value)


def canon(kind, value):
    """A comparable form of a value read from the API (or sent to it)."""
    if isinstance(value, dict):  # a get-style option list: the selected keys
        value = ','.join(k for k, v in value.items() if isinstance(v, dict) and str(v.get('selected')) == '1')
    value = '' if value is None else value
    if kind == 'bool':
        return to_api('bool', value)
    if kind == 'int':
        text = str(value).strip()
        return str(int(text)) if text.lstrip('-').isdigit() else text
    if kind in ('mac', 'macs'):
        items = [v.strip().lower().replace('-', ':') for v in str(value).split(',') if v.strip()]
        return tuple(sorted(items)) if kind == 'macs' else ','.join(items)
    if kind == 'list':
        return tuple(sorted(v.strip() for v in str(value).split(',') if v.strip()))
    if kind == 'lines':
        return tuple(sorted(v.strip() for v in str(value).split('\n') if v.strip()))
    if kind == 'device':
        return str(value).split(' ', maxsplit=1)[0]
    if kind == 'upper':
        text = str(value)
        return 'any' if text.lower() == 'any' else text.upper()
    if kind == 'port':
        return str(value).strip().lower()
    return str(value)


def show(kind, value):
    """A canonical value for diff output."""
    value = canon(kind, value)
    return list(value) if isinstance(value, tuple) else value


def api_fields(kind, item):
    """Our option names (None values dropped) -> the model's fields as API strings."""
    out = {}
    for option, value in item.items():
        if option == 'state' or value is None:
            continue
        if option not in kind.options:
            raise OPNsenseError('%s: unknown option %r (known: %s)'
                                % (kind.name, option, ', '.join(sorted(kind.options))))
        field, ftype = kind.options[option]
        out[field] = to_api(ftype, value)
    return out


def key_of(kind, fields):
    return tuple(canon(kind.types[f], fields.get(f, '')) for f in kind.key)


def _show_key(key):
    return '/'.join(','.join(k) if isinstance(k, tuple) else str(k) for k in key)


# --------------------------------------------------------------------------------------- the plan

class Change:
    def __init__(self, op, label, uuid=None, body=None, before=None, after=None):
        self.op, self.label, self.uuid, self.body, self.before, self.after = op, label, uuid, body, before, after

    def phrase(self):
        if self.op == 'set':
            return 'update %s: %s' % (self.label, ', '.join(sorted(self.after)))
        return '%s %s' % ({'add': 'create', 'del': 'delete'}[self.op], self.label)

    def __repr__(self):
        return 'Change(%r)' % self.phrase()


def index_rows(kind, rows):
    """Existing objects by natural key. Two objects with one key are an error: changing either would be a guess."""
    found = {}
    for row in rows or ():
        if not isinstance(row, dict) or not row.get('uuid') or row.get('legacy'):
            continue  # legacy (non-MVC) firewall rules have no uuid this API can change
        key = key_of(kind, row)
        if not any(key):
            continue  # not an object of this kind's meaning (a dnsmasq host entry without a MAC is a DNS override)
        if key in found:
            raise OPNsenseError('%s: two objects on the firewall share the key %s (uuids %s and %s); remove one'
                                % (kind.name, _show_key(key), found[key]['uuid'], row['uuid']))
        found[key] = row
    return found


def plan(kind, items, rows, purge=False, marker=MARKER):
    """What turns ``rows`` (search rows of the firewall) into ``items`` (our options, each with ``state``).

    Only the fields an item names are compared and sent. With ``purge``, objects whose marker field starts with
    ``marker`` and that no item names are deleted; nothing else is ever deleted unasked.
    """
    existing = index_rows(kind, rows)
    changes, seen = [], set()
    for position, item in enumerate(items):
        fields = api_fields(kind, item)
        missing = [f for f in kind.key if fields.get(f, '') == '']
        if missing:
            raise OPNsenseError('%s[%d]: %s is required (the natural key)' % (kind.name, position, ', '.join(
                next(o for o, (f, _t) in kind.options.items() if f == m) for m in missing)))
        key = key_of(kind, fields)
        if key in seen:
            raise OPNsenseError('%s[%d]: %s is given twice' % (kind.name, position, kind.label(fields)))
        seen.add(key)
        row = existing.get(key)
        label = kind.label(fields)
        if item.get('state', 'present') == 'absent':
            if row is not None:
                before = {f: show(kind.types[f], row.get(f)) for f in fields}
                changes.append(Change('del', label, row['uuid'], before=before, after={}))
            continue
        if row is None:
            changes.append(Change('add', label, body=fields, before={},
                                  after={f: show(kind.types[f], v) for f, v in fields.items()}))
            continue
        differ = sorted(f for f, v in fields.items() if canon(kind.types[f], v) != canon(kind.types[f], row.get(f)))
        if differ:
            changes.append(Change('set', label, row['uuid'], body=fields,
                                  before={f: show(kind.types[f], row.get(f)) for f in differ},
                                  after={f: show(kind.types[f], fields[f]) for f in differ}))
    if purge:
        for key, row in sorted(existing.items(), key=lambda kv: str(kv[0])):
            if key not in seen and str(row.get(kind.marker_field) or '').startswith(marker):
                changes.append(Change('del', kind.label(row), row['uuid'],
                                      before={f: show(t, row.get(f)) for f, t in kind.types.items() if f in row},
                                      after={}))
    return changes


def diff_of(changes):
    """before/after mappings for Ansible's diff, keyed by object label."""
    before, after = {}, {}
    for change in changes:
        if change.before:
            before[change.label] = change.before
        if change.after:
            after[change.label] = change.after
    return before, after
