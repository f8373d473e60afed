"""A DOUBLE of the OPNsense REST API for tests: not OPNsense's software.

It answers the endpoints homelab.cluster's opnsense_* modules use, in the documented shapes of OPNsense 26.7
(snake_case command names, as introduced with 25.7), and validates request bodies against the model definitions
in opnsense_models.py (written from opnsense/core 26.7.2's model XML files; see that file). What the real API
does that this double copies:

* routing as OPNsense/Mvc/Router.php: /api/<module>/<controller>/<command>[/params]; a command may be spelled
  snake_case or camelCase (both reach one action), unknown ones answer 404 {"errorMessage":"Endpoint not found"};
* HTTP Basic with key:secret, else 401 {"status":401,"message":"Authentication Failed"}; a read-only key gets 403
  {"status":403,"message":"Forbidden"} on writes (the ACL of a user with only "Status" pages);
* add_*/set_*/del_* and settings ``set`` as ApiMutableModelControllerBase: {"result":"saved","uuid":...},
  {"result":"failed","validations":{"<wrap>.<field>": "message"}}, {"result":"deleted"}, set on an unknown uuid
  creates it (upsert), a list for a scalar field answers 500 as BaseField::setNodes throws;
* search_* as UIModelGrid: {"rows":[{"uuid",<field>: raw value, "%<field>": display text}],"rowCount","total",
  "current"}; get_* as getNodes (option fields as {key: {"value","selected"}}); the VLAN search shows an assigned
  device as "vlan01 [OPT1]"; the filter search also lists the legacy rules (with "legacy": true);
* model checks: VLAN tag 1-4094 and unique per parent, alias names (pf reserved words, service names), alias
  content per type, network/port/interface references, Kea address inside its subnet and MAC unique per subnet,
  dnsmasq DHCP addresses unique, Unbound A records need an address, deleting an alias in use answers 500
  {"errorMessage":"Cannot delete alias ...","errorTitle":"Alias in use"};
* reconfigure/apply (POST only, {"status":"ok"}, the filter answers {"status":"OK\\n\\n"}), core/firmware/status,
  core/backup/download/this (the newest backup = the current config.xml, as an attachment named
  config-<hostname>-<time>.xml).

Where it is stricter than the real API, on purpose: a field the model does not have is refused (the real
BaseField::setNodes drops it silently, so a renamed field would never apply and never fail).

It counts every reconfigure/apply per service, keeps a request log and knows which services have saved but
unapplied changes; a plain-HTTP control port on loopback (GET /log, /state; POST /reset, /preload, /lockout)
lets tests read that and make the API stop answering after an apply, as a lockout by a bad rule would.

    python3 opnsense_api.py make-ca DIR                      # test CA + server certificate for 127.0.0.1
    python3 opnsense_api.py serve --port 18510 --port-max 18598 --ports-file F --tls-dir DIR --key K --secret S
"""

import argparse
import base64
import copy
import datetime
import http.server
import ipaddress
import json
import os
import socketserver
import ssl
import sys
import threading
import time
import uuid as uuidlib
import xml.etree.ElementTree as ET  # noqa: N817, S405 - builds XML, parses nothing

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from opnsense_models import IDS_GENERAL  # noqa: E402
from opnsense_models import MODELS  # noqa: E402
from opnsense_models import check  # noqa: E402

VERSION = '26.7.2'
HOSTNAME, DOMAIN = 'gate', 'home.arpa'
INTERFACES = {'lan': ('igc0', 'LAN'), 'wan': ('igc1', 'WAN'), 'opt1': ('vlan01', 'TRUSTED'),
              'opt2': ('vlan02', 'IOT'), 'opt3': ('vlan03', 'SERVERS'), 'opt4': ('vlan04', 'GUEST')}
DEVICES = ('igc0', 'igc1', 'ixl0', 'ixl1')  # the seed's board: onboard 2.5GbE (igc) and the X710-DA2 (ixl)
RULESETS = ('botcc.rules', 'ciarmy.rules', 'compromised.rules', 'drop.rules', 'dshield.rules',
            'emerging-attack_response.rules', 'emerging-coinminer.rules', 'emerging-current_events.rules',
            'emerging-dos.rules', 'emerging-exploit.rules', 'emerging-exploit_kit.rules', 'emerging-malware.rules',
            'emerging-mobile_malware.rules', 'emerging-phishing.rules', 'emerging-scan.rules',
            'emerging-shellcode.rules', 'emerging-web_client.rules', 'emerging-web_server.rules',
            'emerging-worm.rules', 'tor.rules')

# (module, controller) -> {command: (operation, kind, wrap)}; the kind's service is the reconfigure it needs
CRUD = {
    ('interfaces', 'vlan_settings'): ('vlan', 'vlan', 'item', 'interfaces/vlan_settings/reconfigure'),
    ('dnsmasq', 'settings'): ('dnsmasq_host', 'host', 'host', 'dnsmasq/service/reconfigure'),
    ('kea', 'dhcpv4'): [('kea_subnet', 'subnet4', 'subnet', 'kea/service/reconfigure'),
                        ('kea_reservation', 'reservation', 'reservation', 'kea/service/reconfigure')],
    ('unbound', 'settings'): ('unbound_host', 'host', 'host_override', 'unbound/service/reconfigure'),
    ('firewall', 'alias'): ('alias', 'alias', 'item', 'firewall/alias/reconfigure'),
    ('firewall', 'filter'): ('rule', 'rule', 'rule', 'firewall/filter/apply'),
    ('ids', 'settings'): ('ids_policy', 'policy', 'policy', 'ids/service/reconfigure'),
}
SERVICES = {  # POST-only service calls and their answers
    'interfaces/vlan_settings/reconfigure': {'status': 'ok'}, 'dnsmasq/service/reconfigure': {'status': 'ok'},
    'kea/service/reconfigure': {'status': 'ok'}, 'unbound/service/reconfigure': {'status': 'ok'},
    'firewall/alias/reconfigure': {'status': 'ok'}, 'firewall/filter/apply': {'status': 'OK\n\n'},
    'ids/service/reconfigure': {'status': 'OK'}, 'ids/service/update_rules': {'status': 'OK'},
}
LEGACY_RULE = {'uuid': 'a0000000-0000-4000-8000-00000000000a', 'legacy': True, 'enabled': '1', 'action': 'pass',
               'interface': 'lan', 'source_net': 'lan', 'destination_net': 'any', 'description':
               'Default allow LAN to any rule', 'sequence': '100'}


def norm(name):
    """Router.php: snake_case and camelCase reach the same action (PHP method names ignore case)."""
    return name.replace('_', '').lower()


def command_table():
    table = {}
    for (module, controller), kinds in CRUD.items():
        for kind, wrap, noun, _service in (kinds if isinstance(kinds, list) else [kinds]):
            for verb in ('search', 'get', 'add', 'set', 'del', 'toggle'):
                table[(norm(module), norm(controller), norm('%s_%s' % (verb, noun)))] = (verb, kind, wrap)
    return table


COMMANDS = command_table()
SERVICE_OF = {kind: service for kinds in CRUD.values() for kind, _w, _n, service in
              (kinds if isinstance(kinds, list) else [kinds])}


class Failed(Exception):
    """An answer other than 200: status and JSON body."""

    def __init__(self, status, body):
        super().__init__(body)
        self.status, self.body = status, body


def php_string(value):
    """What (string) makes of a decoded JSON scalar in PHP."""
    if value is True:
        return '1'
    if value is False or value is None:
        return ''
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class State:
    def __init__(self, key, secret, readonly=None):
        self.lock = threading.RLock()
        self.key, self.secret, self.readonly = key, secret, readonly
        self.reset()

    def reset(self):
        with self.lock:
            self.collections = {kind: {} for kind in MODELS}
            self.collections.update({'dnsmasq_tag': {}, 'category': {}})
            self.ids_general = self.defaults(IDS_GENERAL)
            self.log, self.counters, self.dirty = [], {}, []
            self.lockout = None
            self.locked_until = 0.0
            self.revision = {'time': '%.4f' % time.time(), 'description': 'double started', 'username': 'root'}

    # ------------------------------------------------------------------------------------ helpers
    @staticmethod
    def defaults(fields):
        return {name: (State.defaults(f) if isinstance(f, dict) else f.default) for name, f in fields.items()}

    def ctx(self):
        aliases = {r['name']: r['type'] for r in self.collections['alias'].values()}
        devices = set(DEVICES) | {r['vlanif'] for r in self.collections['vlan'].values()}
        return {'interfaces': set(INTERFACES), 'aliases': aliases, 'devices': devices,
                'collections': self.collections}

    def saved(self, service, what):
        self.revision = {'time': '%.4f' % time.time(), 'description': what, 'username': 'root@api'}
        if service not in self.dirty:
            self.dirty.append(service)

    def validate(self, kind, wrap, record, uuid):
        ctx, problems = self.ctx(), {}
        for name, field in MODELS[kind].items():
            message = check(field, record.get(name, ''), record, ctx)
            if message:
                problems['%s.%s' % (wrap, name)] = message
        problems.update(self.model_checks(kind, wrap, record, uuid))
        return problems

    def model_checks(self, kind, wrap, record, uuid):
        others = [r for u, r in self.collections[kind].items() if u != uuid]
        out = {}

        def unique(fields, message, target=None, fold=False):
            def value(r):
                return tuple((r.get(f, '') or '').lower() if fold else r.get(f, '') for f in fields)
            if record.get(fields[0]) and any(value(o) == value(record) for o in others):
                out['%s.%s' % (wrap, target or fields[0])] = message

        if kind == 'vlan':
            unique(('tag', 'if'), 'Tag for this device must be unique.')
            unique(('vlanif',), 'The device name must be unique.')
        elif kind == 'alias':
            unique(('name',), 'An alias with this name already exists.')
        elif kind == 'kea_subnet':
            unique(('subnet',), 'Subnet must be unique.')
        elif kind == 'kea_reservation':
            unique(('ip_address',), 'Duplicate entry exists.')
            unique(('hw_address', 'subnet'), 'Duplicate entry exists.', fold=True)
            subnet = self.collections['kea_subnet'].get(record.get('subnet'), {}).get('subnet')
            if subnet and record.get('ip_address'):
                try:
                    inside = ipaddress.ip_address(record['ip_address']) in ipaddress.ip_network(subnet, strict=False)
                except ValueError:
                    inside = True  # the field check already said so
                if not inside:
                    out['%s.ip_address' % wrap] = 'Address not in specified subnet'
            if record.get('client_id') and record.get('hw_address'):
                out['%s.hw_address' % wrap] = 'Either a client ID or a MAC address should be specified, but not both'
            elif not record.get('client_id') and not record.get('hw_address'):
                out['%s.hw_address' % wrap] = 'Either a client ID or a MAC address should be specified.'
        elif kind == 'dnsmasq_host':
            dhcp = bool(record.get('hwaddr') or record.get('client_id'))
            if dhcp:
                used = {ip for o in others if o.get('hwaddr') or o.get('client_id')
                        for ip in o.get('ip', '').split(',') if ip}
                for ip in [i for i in record.get('ip', '').split(',') if i]:
                    if ip in used:
                        out['%s.ip' % wrap] = "'%s' is already used in another DHCP host entry." % ip
                if not record.get('host') and not record.get('ip'):
                    out['%s.host' % wrap] = 'At least a hostname or IP address must be provided for DHCP reservations.'
            elif not record.get('host') or not record.get('ip'):
                out['%s.host' % wrap] = 'Both hostname and IP address are required for host overrides.'
        elif kind == 'unbound_host' and record.get('rr') in ('A', 'AAAA') and not record.get('server'):
            out['%s.server' % wrap] = 'The field IP address is required.'
        return out

    def apply_body(self, fields, record, body, wrap, unknown):
        for name, value in body.items():
            if name not in fields:
                unknown['%s.%s' % (wrap, name)] = ('unknown field (the real API drops it silently; this double '
                                                   'refuses it)')
                continue
            if isinstance(fields[name], dict):
                if not isinstance(value, dict):
                    raise Failed(500, {'errorMessage': 'Unexpected error, check log for details'})
                self.apply_body(fields[name], record[name], value, '%s.%s' % (wrap, name), unknown)
                continue
            if isinstance(value, (list, dict)):
                raise Failed(500, {'errorMessage': 'Unexpected error, check log for details'})
            value = php_string(value)
            if fields[name].type in ('protocol',):
                value = value.upper() if value.lower() != 'any' else 'any'
            if fields[name].type == 'port' and value.lower() in ('any',):
                value = value.lower()
            record[name] = value

    # --------------------------------------------------------------------------------- operations
    def display(self, kind, name, value):
        field = MODELS[kind][name]
        if field.type == 'option':
            return ', '.join(field.options().get(v) or v for v in value.split(',') if v)
        if field.type == 'interface':
            return ', '.join(INTERFACES.get(v, (v, v))[1] for v in value.split(',') if v)
        if field.type == 'relation':
            target = self.collections.get(field.params['collection'], {})
            shown = {'kea_subnet': 'subnet', 'ids_file': 'filename'}.get(field.params['collection'], 'name')
            return ', '.join(target.get(u, {}).get(shown, u) for u in value.split(',') if u)
        return value

    def row(self, kind, uuid, record):
        out = {'uuid': uuid}
        for name, value in record.items():
            out[name] = value
            shown = self.display(kind, name, value)
            if shown != value:
                out['%' + name] = shown
        if kind == 'vlan':
            assigned = dict(INTERFACES.values())
            if record['vlanif'] in assigned:
                out['vlanif'] = '%s [%s]' % (record['vlanif'], assigned[record['vlanif']])
        if kind == 'alias':
            out['categories_uuid'] = [c for c in record.get('categories', '').split(',') if c]
        return out

    def search(self, kind):
        rows = [self.row(kind, u, r) for u, r in self.collections[kind].items()]
        if kind == 'rule':
            rows.append(dict(LEGACY_RULE))
        return {'rows': rows, 'rowCount': len(rows), 'total': len(rows), 'current': 1}

    def nodes(self, kind, record):
        out = {}
        for name, field in MODELS[kind].items():
            value = record.get(name, '')
            if field.type in ('option', 'interface', 'relation'):
                chosen = [v for v in value.split(',') if v]
                if field.type == 'option':
                    choices = field.options()
                elif field.type == 'interface':
                    choices = {k: d for k, (_dev, d) in INTERFACES.items()}
                else:
                    target = self.collections[field.params['collection']]
                    if field.params.get('only_enabled'):
                        target = {u: r for u, r in target.items() if r.get('enabled') == '1'}
                    choices = {u: self.display(kind, name, u) for u in target}
                blank = not field.required and not field.params.get('multiple')
                entry = {'': {'value': 'None', 'selected': 0 if chosen else 1}} if blank else {}
                entry.update({k: {'value': d or k, 'selected': 1 if k in chosen else 0} for k, d in choices.items()})
                out[name] = entry
            else:
                out[name] = value
        return out

    def get(self, kind, wrap, uuid):
        if uuid is None:
            return {wrap: self.nodes(kind, self.defaults(MODELS[kind]))}
        record = self.collections[kind].get(uuid)
        return {wrap: self.nodes(kind, record)} if record is not None else []

    def add_or_set(self, kind, wrap, body, uuid=None, adding=True):
        if not isinstance(body, dict) or not isinstance(body.get(wrap), dict):
            return {'result': 'failed'}
        existing = self.collections[kind].get(uuid) if uuid else None
        if not adding and existing is None:
            try:
                uuidlib.UUID(uuid)
            except (ValueError, TypeError):
                return {'result': 'failed'}  # setBase: an invalid uuid, no upsert
        record = copy.deepcopy(existing) if existing is not None else self.defaults(MODELS[kind])
        unknown = {}
        self.apply_body(MODELS[kind], record, body[wrap], wrap, unknown)
        if kind == 'vlan':
            problem = self.vlan_name(record, existing, body[wrap])
            if problem:
                return {'result': 'failed', 'validations': problem}
        problems = dict(unknown, **self.validate(kind, wrap, record, uuid))
        if problems:
            return {'result': 'failed', 'validations': problems}
        uuid = uuid or str(uuidlib.uuid4())
        self.collections[kind][uuid] = record
        self.saved(SERVICE_OF[kind], '%s %s' % ('added' if adding else 'changed', kind))
        return {'result': 'saved', 'uuid': uuid} if adding else {'result': 'saved'}

    def vlan_name(self, record, existing, posted):
        """VlanSettingsController::generateVlanIfName and its refusal to retag an assigned device."""
        assigned = {dev for dev, _d in INTERFACES.values()}
        if existing is not None and existing['vlanif'] in assigned and posted.get('tag') is not None and \
                php_string(posted['tag']) != existing['tag']:
            return {'vlan.tag': 'Interface is assigned and you cannot change the VLAN tag while assigned.'}
        if posted.get('vlanif'):
            return None
        if existing is not None and existing['vlanif']:
            record['vlanif'] = existing['vlanif']
            return None
        numbers = [int(r['vlanif'][4:]) for r in self.collections['vlan'].values()
                   if r['vlanif'].startswith('vlan') and r['vlanif'][4:].isdigit()]
        record['vlanif'] = 'vlan0%d' % (max(numbers + [0]) + 1)
        return None

    def delete(self, kind, uuids):
        result = {'result': 'failed'}
        for uuid in [u for u in (uuids or '').split(',') if u]:
            record = self.collections[kind].get(uuid)
            if record is None:
                result['result'] = 'not found'
                continue
            if kind == 'alias':
                users = [r['description'] or u for u, r in self.collections['rule'].items()
                         if record['name'] in ','.join((r['source_net'], r['destination_net'], r['source_port'],
                                                        r['destination_port'])).split(',')]
                if users:
                    raise Failed(500, {'errorMessage': 'Cannot delete alias %s. Currently in use by %s' % (
                        record['name'], ''.join('\n[rule] %s' % u for u in users)), 'errorTitle': 'Alias in use',
                        'errorLevel': 'error'})
            del self.collections[kind][uuid]
            self.saved(SERVICE_OF[kind], 'deleted %s' % kind)
            result['result'] = 'deleted'
        return result

    def ids_set(self, body):
        if not isinstance(body, dict) or not isinstance(body.get('ids'), dict):
            return {'result': 'failed'}
        general = copy.deepcopy(self.ids_general)
        unknown = {}
        for section, values in body['ids'].items():
            if section != 'general':
                unknown['ids.%s' % section] = 'unknown section (this double knows general only)'
                continue
            if not isinstance(values, dict):
                raise Failed(500, {'errorMessage': 'Unexpected error, check log for details'})
            self.apply_body(IDS_GENERAL, general, values, 'ids.general', unknown)
        problems = dict(unknown)
        ctx = self.ctx()
        for name, field in IDS_GENERAL.items():
            fields = field.items() if isinstance(field, dict) else [(None, field)]
            for sub, f in fields:
                value = general[name][sub] if sub else general[name]
                message = check(f, value, general, ctx)
                if message:
                    problems['ids.general.%s' % ('%s.%s' % (name, sub) if sub else name)] = message
        if problems:
            return {'result': 'failed', 'validations': problems}
        self.ids_general = general
        self.saved('ids/service/reconfigure', 'ids settings')
        return {'result': 'saved'}

    def ids_get(self):
        def nodes(fields, values):
            out = {}
            for name, field in fields.items():
                if isinstance(field, dict):
                    out[name] = nodes(field, values[name])
                elif field.type in ('option', 'interface'):
                    chosen = [v for v in values[name].split(',') if v]
                    choices = field.options() if field.type == 'option' else {k: d for k, (_x, d) in INTERFACES.items()}
                    out[name] = {k: {'value': d or k, 'selected': 1 if k in chosen else 0} for k, d in choices.items()}
                elif field.params.get('aslist'):
                    out[name] = {v: {'value': v, 'selected': 1} for v in values[name].split(',') if v}
                else:
                    out[name] = values[name]
            return out
        return {'ids': {'general': nodes(IDS_GENERAL, self.ids_general)}}

    def file_node(self, filename):
        for uuid, record in self.collections['ids_file'].items():
            if record['filename'] == filename:
                return uuid, record
        uuid = str(uuidlib.uuid4())
        self.collections['ids_file'][uuid] = {'filename': filename, 'enabled': '0'}
        return uuid, self.collections['ids_file'][uuid]

    def rulesets(self):
        states = {r['filename']: r['enabled'] for r in self.collections['ids_file'].values()}
        rows = [{'description': 'ET open/%s' % f[:-6], 'filename': f, 'documentation_url':
                 'https://community.emergingthreats.net/t/frequently-asked-questions/56', 'documentation': None,
                 'modified_local': None, 'enabled': states.get(f, '0')} for f in RULESETS]
        return {'rows': rows, 'rowCount': len(rows), 'total': len(rows), 'current': 1}

    def toggle_ruleset(self, filenames, enabled):
        result, count = {'status': 'none'}, 0
        for filename in (filenames or '').split(','):
            if filename not in RULESETS:
                result['status'] = 'error'
                continue
            _uuid, node = self.file_node(filename)
            node['enabled'] = enabled if enabled in ('0', '1') else ('0' if node['enabled'] == '1' else '1')
            if result['status'] != 'error':
                result['status'] = node['enabled']
            count += 1
        if count:
            self.saved('ids/service/reconfigure', 'rulesets')
        return result

    def config_xml(self):
        root = ET.Element('opnsense')
        ET.SubElement(root, 'version').text = VERSION
        revision = ET.SubElement(root, 'revision')
        for key, value in self.revision.items():
            ET.SubElement(revision, key).text = value
        system = ET.SubElement(root, 'system')
        ET.SubElement(system, 'hostname').text = HOSTNAME
        ET.SubElement(system, 'domain').text = DOMAIN
        interfaces = ET.SubElement(root, 'interfaces')
        for name, (device, descr) in INTERFACES.items():
            node = ET.SubElement(interfaces, name)
            ET.SubElement(node, 'if').text = device
            ET.SubElement(node, 'descr').text = descr
        for kind in sorted(self.collections):
            section = ET.SubElement(root, kind)
            for uuid, record in sorted(self.collections[kind].items()):
                item = ET.SubElement(section, 'item', uuid=uuid)
                for name, value in sorted(record.items()):
                    ET.SubElement(item, name.replace('%', '')).text = value
        ids = ET.SubElement(root, 'IDS')
        general = ET.SubElement(ids, 'general')
        for name, value in sorted(self.ids_general.items()):
            node = ET.SubElement(general, name)
            if isinstance(value, dict):
                for sub, subvalue in sorted(value.items()):
                    ET.SubElement(node, sub).text = subvalue
            else:
                node.text = value
        return b'<?xml version="1.0"?>\n' + ET.tostring(root)

    # ----------------------------------------------------------------------------------- dispatch
    def dispatch(self, method, path, body):
        """(status, JSON body or (bytes, headers)) for one API call."""
        parts = [p for p in path.split('?')[0].split('/') if p]
        if len(parts) < 3:
            raise Failed(404, {'errorMessage': 'Endpoint not found'})
        module, controller, command, params = parts[0], parts[1], parts[2], parts[3:]
        key = (norm(module), norm(controller), norm(command))
        for name in SERVICES:
            if tuple(norm(p) for p in name.split('/')) == key:
                if method != 'POST':
                    return 200, {'status': 'failed'}
                self.counters[name] = self.counters.get(name, 0) + 1
                if name in self.dirty:
                    self.dirty.remove(name)
                if self.lockout and norm(self.lockout['after'].replace('/', '')) == norm(''.join(key)):
                    self.locked_until = time.time() + float(self.lockout['seconds'])
                    self.lockout = None
                return 200, dict(SERVICES[name])
        if key in COMMANDS:
            verb, kind, wrap = COMMANDS[key]
            uuid = params[0] if params else None
            if verb == 'search':
                return 200, self.search(kind)
            if verb == 'get':
                return 200, self.get(kind, wrap, uuid)
            if method != 'POST':
                return 200, {'result': 'failed'}
            if verb == 'add':
                return 200, self.add_or_set(kind, wrap, body)
            if verb == 'set':
                return 200, self.add_or_set(kind, wrap, body, uuid, adding=False)
            if verb == 'del':
                return 200, self.delete(kind, uuid)
            raise Failed(404, {'errorMessage': 'Endpoint not found'})  # toggle: not used by the collection
        if key == ('ids', 'settings', 'get'):
            return 200, self.ids_get()
        if key == ('ids', 'settings', 'set'):
            return 200, (self.ids_set(body) if method == 'POST' else {'result': 'failed'})
        if key == ('ids', 'settings', 'listrulesets'):
            return 200, self.rulesets()
        if key == ('ids', 'settings', 'toggleruleset'):
            if method != 'POST':
                return 200, {'status': 'none'}
            return 200, self.toggle_ruleset(params[0] if params else '', params[1] if len(params) > 1 else None)
        if key == ('firewall', 'alias', 'getaliasuuid'):
            name = params[0] if params else ''
            found = [u for u, r in self.collections['alias'].items() if r['name'] == name]
            return 200, ({'uuid': found[0]} if found else [])
        if key == ('core', 'firmware', 'status'):
            return 200, {'status': 'none', 'status_msg': 'Firmware status requires to check for update first',
                         'product': {'product_name': 'OPNsense', 'product_version': VERSION,
                                     'product_series': VERSION.rsplit('.', 1)[0], 'product_arch': 'amd64'}}
        if key == ('core', 'backup', 'download') and params[:1] == ['this']:
            name = 'config-%s.%s-%s.xml' % (HOSTNAME, DOMAIN, self.revision['time'])
            return 200, (self.config_xml(), {'Content-Type': 'application/octet-stream',
                                             'Content-Disposition': 'attachment; filename=%s' % name})
        raise Failed(404, {'errorMessage': 'Endpoint not found'})

    def authorised(self, header, method):
        try:
            kind, encoded = (header or '').split(' ', 1)
            key, secret = base64.b64decode(encoded).decode().split(':', 1)
        except ValueError:
            return 401
        if kind != 'Basic':
            return 401
        if (key, secret) == (self.key, self.secret):
            return 200
        if self.readonly and (key, secret) == tuple(self.readonly):
            return 200 if method == 'GET' else 403
        return 401


class ApiHandler(http.server.BaseHTTPRequestHandler):
    server_version = 'OPNsense'
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):  # the request log is in the state
        pass

    def handle_one(self, method):
        state = self.server.state
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length) if length else b''
        body, status, answer, headers = None, 200, None, {}
        with state.lock:
            auth = state.authorised(self.headers.get('Authorization'), method)
            try:
                if auth == 401:
                    raise Failed(401, {'status': 401, 'message': 'Authentication Failed'})
                if auth == 403:
                    raise Failed(403, {'status': 403, 'message': 'Forbidden'})
                if not self.path.startswith('/api/'):
                    raise Failed(404, {'errorMessage': 'Endpoint not found'})
                if method == 'POST' and 'json' in (self.headers.get('Content-Type') or ''):
                    try:
                        body = json.loads(raw.decode() or 'null')
                    except ValueError:
                        body = None
                    if body is None:
                        raise Failed(400, {'status': 400, 'message': 'Invalid JSON syntax'})
                status, answer = state.dispatch(method, self.path[len('/api/'):], body)
            except Failed as exc:
                status, answer = exc.status, exc.body
            state.log.append({'t': time.time(), 'method': method, 'path': self.path[len('/api/'):], 'status': status,
                              'body': body})
        if isinstance(answer, tuple):
            payload, headers = answer
        else:
            payload, headers = json.dumps(answer).encode(), {'Content-Type': 'application/json; charset=UTF-8'}
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):  # noqa: N802
        self.handle_one('GET')

    def do_POST(self):  # noqa: N802
        self.handle_one('POST')


class ApiServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def verify_request(self, request, client_address):
        return time.time() >= self.state.locked_until  # a lockout: connections are closed unanswered

    def finish_request(self, request, client_address):
        try:
            request = self.tls.wrap_socket(request, server_side=True)  # the handshake in the worker thread
        except (ssl.SSLError, OSError):
            return
        self.RequestHandlerClass(request, client_address, self)


class ControlServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class ControlHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, data, status=200):
        payload = json.dumps(data, indent=1, default=str).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):  # noqa: N802
        state = self.server.state
        with state.lock:
            if self.path == '/log':
                return self.reply(state.log)
            if self.path == '/state':
                return self.reply({'collections': {k: {u: dict(r) for u, r in v.items()}
                                                   for k, v in state.collections.items()},
                                   'ids_general': state.ids_general, 'counters': state.counters,
                                   'dirty': state.dirty, 'revision': state.revision, 'version': VERSION})
            if self.path == '/config':
                return self.reply({'xml': state.config_xml().decode()})
        return self.reply({'error': 'unknown'}, 404)

    def do_POST(self):  # noqa: N802
        state = self.server.state
        length = int(self.headers.get('Content-Length') or 0)
        data = json.loads(self.rfile.read(length) or b'{}') if length else {}
        with state.lock:
            if self.path == '/reset':
                state.reset()
                return self.reply({'reset': True})
            if self.path == '/clear-log':
                state.log, state.counters = [], {}
                return self.reply({'cleared': True})
            if self.path == '/lockout':
                state.lockout = {'after': data['after'], 'seconds': data.get('seconds', 10)}
                return self.reply({'armed': state.lockout})
            if self.path == '/preload':  # {kind: [record, ...]}: objects that exist before a test
                for kind, records in data.items():
                    for record in records:
                        full = dict(State.defaults(MODELS[kind]), **record)
                        state.collections[kind][record.get('uuid') or str(uuidlib.uuid4())] = full
                        full.pop('uuid', None)
                return self.reply({'preloaded': {k: len(v) for k, v in data.items()}})
        return self.reply({'error': 'unknown'}, 404)


def make_ca(directory):
    """A CA made for the test run and a server certificate for 127.0.0.1 and localhost, signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    os.makedirs(directory, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)

    def name(text):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name('homelab.cluster test CA (OPNsense double)'))
          .issuer_name(name('homelab.cluster test CA (OPNsense double)')).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(name('gate.home.arpa')).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName('localhost'),
                                                        x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    with open(os.path.join(directory, 'ca.pem'), 'wb') as handle:
        handle.write(ca.public_bytes(pem))
    with open(os.path.join(directory, 'server.pem'), 'wb') as handle:
        handle.write(cert.public_bytes(pem))
    with os.fdopen(os.open(os.path.join(directory, 'server.key'), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                   'wb') as handle:
        handle.write(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def bind(args):
    """The first free pair (API, control) from --port up to --port-max: a port closed a moment ago can stay
    taken (TIME_WAIT) on some kernels even with SO_REUSEADDR."""
    for port in range(args.port, max(args.port_max, args.port) + 1, 2):
        try:
            api = ApiServer(('127.0.0.1', port), ApiHandler)
        except OSError:
            continue
        try:
            return api, ControlServer(('127.0.0.1', port + 1), ControlHandler)
        except OSError:
            api.server_close()
    raise SystemExit('opnsense double: no free port pair in %d-%d' % (args.port, args.port_max))


def serve(args):
    state = State(args.key, args.secret, args.readonly.split(':', 1) if args.readonly else None)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.minimum_version = ssl.TLSVersion.TLSv1_2
    tls.load_cert_chain(os.path.join(args.tls_dir, 'server.pem'), os.path.join(args.tls_dir, 'server.key'))
    api, control = bind(args)
    api.state, api.tls, control.state = state, tls, state
    threading.Thread(target=control.serve_forever, daemon=True).start()
    ports = {'api': api.server_address[1], 'control': control.server_address[1]}
    if args.ports_file:
        with open(args.ports_file + '.tmp', 'w') as handle:
            json.dump(ports, handle)
        os.replace(args.ports_file + '.tmp', args.ports_file)
    print('opnsense double: https://127.0.0.1:%(api)d (API), http://127.0.0.1:%(control)d (control)' % ports,
          flush=True)
    api.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    sub = parser.add_subparsers(dest='command', required=True)
    ca = sub.add_parser('make-ca')
    ca.add_argument('directory')
    run = sub.add_parser('serve')
    run.add_argument('--port', type=int, required=True)
    run.add_argument('--port-max', type=int, default=0, help='try port pairs up to this one')
    run.add_argument('--ports-file', help='write {"api": N, "control": N} here once listening')
    run.add_argument('--tls-dir', required=True)
    run.add_argument('--key', required=True)
    run.add_argument('--secret', required=True)
    run.add_argument('--readonly', help='KEY:SECRET of a user that may only read')
    args = parser.parse_args()
    if args.command == 'make-ca':
        make_ca(args.directory)
    else:
        serve(args)


if __name__ == '__main__':
    main()
