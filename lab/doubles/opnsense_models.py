"""The model definitions the OPNsense API DOUBLE validates with (not OPNsense's software).

Written from opnsense/core at tag 26.7.2 (snapshot f95e815, 2026-08-21), one entry per field of:

    src/opnsense/mvc/app/models/OPNsense/Interfaces/Vlan.xml           (vlans.vlan)
    src/opnsense/mvc/app/models/OPNsense/Dnsmasq/Dnsmasq.xml           (hosts)
    src/opnsense/mvc/app/models/OPNsense/Kea/KeaDhcpv4.xml             (subnets.subnet4, reservations.reservation)
    src/opnsense/mvc/app/models/OPNsense/Unbound/Unbound.xml           (hosts.host)
    src/opnsense/mvc/app/models/OPNsense/Firewall/Alias.xml            (aliases.alias)
    src/opnsense/mvc/app/models/OPNsense/Firewall/Filter.xml           (rules.rule)
    src/opnsense/mvc/app/models/OPNsense/IDS/IDS.xml                   (general, files.file, policies.policy)

with the field types' rules from models/OPNsense/Base/FieldTypes/*.php (IntegerField: "Invalid integer value.",
BooleanField: "Value should be a boolean (0,1).", required: "A value is required.", ...), the alias name rule of
Firewall/FieldTypes/AliasNameField.php, the alias content rules of AliasContentField.php, the port rules of
PortField.php and the model-level checks of Dnsmasq.php (unique DHCP addresses) and KeaDhcpv4.php (address in
its subnet, MAC or client id). Fields this collection never sends are listed with their type so that a body
naming them is still checked; fields with no bearing on validation (volatile counters) are left out.
"""

import ipaddress
import re

OK = None

# PortField.php $wellknownservices
WELL_KNOWN_PORTS = {
    'afs3-fileserver', 'aol', 'auth', 'avt-profile-1', 'cvsup', 'domain', 'domain-s', 'ftp', 'hbci', 'http', 'https',
    'igmpv3lite', 'imap', 'imaps', 'ipsec-msft', 'ipsec-nat-t', 'isakmp', 'l2f', 'ldap', 'ldaps', 'microsoft-ds',
    'ms-streaming', 'ms-wbt-server', 'msnp', 'nat-stun-port', 'netbios-dgm', 'netbios-ns', 'netbios-ssn', 'nntp', 'ntp',
    'openvpn', 'pop3', 'pop3s', 'pptp', 'radius', 'radius-acct', 'rfb', 'sip', 'sip-tls', 'smtp', 'snmp', 'snmptrap',
    'ssh', 'submission', 'submissions', 'telnet', 'teredo', 'tftp', 'urd', 'wins'}
# ProtocolField: /etc/protocols upper-cased (the common part), plus Filter.xml's AddOptions TCP/UDP, plus any
PROTOCOLS = {'any', 'TCP', 'UDP', 'TCP/UDP', 'ICMP', 'IGMP', 'GGP', 'IPENCAP', 'ST2', 'EGP', 'IGP', 'PUP', 'HMP',
             'XNS-IDP', 'RDP', 'ISO-TP4', 'XTP', 'DDP', 'IDPR-CMTP', 'IPV6', 'IDRP', 'RSVP', 'GRE', 'ESP', 'AH',
             'SKIP', 'IPV6-ICMP', 'RVD', 'IPPC', 'VISA', 'IPCV', 'CPNX', 'CPHB', 'WSN', 'PVP', 'OSPF', 'ETHERIP',
             'ENCAP', 'PIM', 'IPCOMP', 'VRRP', 'L2TP', 'SCTP', 'CARP', 'PFSYNC', 'DIVERT'}
# AliasNameField.php: pf's reserved words; a name may not be a service or protocol name either
ALIAS_RESERVED = {
    'all', 'allow-opts', 'altq', 'anchor', 'antispoof', 'any', 'bandwidth', 'binat', 'binat-anchor', 'bitmask', 'block',
    'block-policy', 'buckets', 'cbq', 'code', 'codelq', 'crop', 'debug', 'divert-reply', 'divert-to', 'drop',
    'drop-ovl', 'dup-to', 'fail-policy', 'fairq', 'fastroute', 'file', 'fingerprints', 'flags', 'floating', 'flush',
    'for', 'fragment', 'from', 'global', 'group', 'hfsc', 'hogs', 'hostid', 'icmp-type', 'icmp6-type', 'if-bound', 'in',
    'include', 'inet', 'inet6', 'interval', 'keep', 'label', 'limit', 'linkshare', 'load', 'log', 'loginterface', 'max',
    'max-mss', 'max-src-conn', 'max-src-conn-rate', 'max-src-nodes', 'max-src-states', 'min-ttl', 'modulate', 'nat',
    'nat-anchor', 'no', 'no-df', 'no-route', 'no-sync', 'on', 'optimization', 'os', 'out', 'overload', 'pass', 'port',
    'prio', 'priority', 'priq', 'probability', 'proto', 'qlimit', 'queue', 'quick', 'random', 'random-id', 'rdr',
    'rdr-anchor', 'realtime', 'reassemble', 'reply-to', 'require-order', 'return', 'return-icmp', 'return-icmp6',
    'return-rst', 'round-robin', 'route', 'route-to', 'rtable', 'rule', 'ruleset-optimization', 'scrub', 'set',
    'set-tos', 'skip', 'sloppy', 'source-hash', 'source-track', 'state', 'state-defaults', 'state-policy',
    'static-port', 'sticky-address', 'synproxy', 'table', 'tag', 'tagged', 'target', 'tbrsize', 'timeout', 'to',
    'tos', 'ttl', 'upperlimit', 'urpf-failed', 'user'} | WELL_KNOWN_PORTS | {p.lower() for p in PROTOCOLS}
_ALIAS_NAME = re.compile(r'^([a-zA-Z]|(([_a-zA-Z][a-zA-Z0-9]|[a-zA-Z][_a-zA-Z0-9])[_a-zA-Z0-9]{0,29}))$')
_HOSTNAME = re.compile(r'^(?:(?:[a-z0-9_]|[a-z0-9_][a-z0-9_\-]*[a-z0-9_])\.)*(?:[a-z0-9_]|[a-z0-9_][a-z0-9_\-]*'
                       r'[a-z0-9_])$', re.IGNORECASE)
_DOMAIN = re.compile(r'^(?:(?:[a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*(?:[a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])$', re.I)
_MAC = re.compile(r'^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$', re.IGNORECASE)


class Field:
    """One model field: its type, whether it is required, its default and its type's parameters."""

    def __init__(self, ftype, required=False, default='', **params):
        self.type, self.required, self.default, self.params = ftype, required, default, params

    def options(self):
        return self.params.get('options', {})


def F(ftype, required=False, default='', **params):  # noqa: N802 - reads like the XML
    return Field(ftype, required, default, **params)


PCP = {str(n): d for n, d in enumerate(('Best Effort (0, default)', 'Background (1, lowest)', 'Excellent Effort (2)',
                                        'Critical Applications (3)', 'Video (4)', 'Voice (5)',
                                        'Internetwork Control (6)', 'Network Control (7, highest)'))}
ALIAS_TYPES = {'host': 'Host(s)', 'network': 'Network(s)', 'port': 'Port(s)', 'url': 'URL (IPs)',
               'urltable': 'URL Table (IPs)', 'urljson': 'URL Table in JSON format (IPs)', 'geoip': 'GeoIP',
               'networkgroup': 'Network group', 'mac': 'MAC address', 'asn': 'BGP ASN',
               'dynipv6host': 'Dynamic IPv6 Host', 'authgroup': 'OpenVPN group', 'internal': 'Internal (automatic)',
               'external': 'External (advanced)'}

MODELS = {
    'vlan': {  # Interfaces/Vlan.xml vlans.vlan
        'if': F('vlan_parent', True), 'tag': F('int', True, min=1, max=4094),
        'pcp': F('option', True, '0', options=PCP), 'proto': F('option', options={'802.1q': '', '802.1ad': ''}),
        'descr': F('descr'), 'vlanif': F('text', True)},
    'dnsmasq_host': {  # Dnsmasq/Dnsmasq.xml hosts
        'host': F('hostname', wildcard=True), 'domain': F('hostname', domain=True), 'local': F('bool', default='0'),
        'ip': F('network', netmask=False, aslist=True), 'cnames': F('hostname', domain=True, aslist=True),
        'client_id': F('text', mask=r'^(?:\*|(?:[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})+))$'),
        'hwaddr': F('mac', aslist=True), 'lease_time': F('int'), 'ignore': F('bool', default='0'),
        'set_tag': F('relation', collection='dnsmasq_tag'), 'descr': F('text'), 'comments': F('text'),
        'aliases': F('hostname', domain=True, aslist=True)},
    'kea_subnet': {  # Kea/KeaDhcpv4.xml subnets.subnet4 (option_data and ddns fields left out)
        'subnet_id': F('int', False, min=1, max=4294967294), 'subnet': F('network', True, netmask='required', family=4),
        'valid_lifetime': F('int', min=0), 'next_server': F('network', netmask=False, family=4),
        'option_data_autocollect': F('bool', True, '1'), 'match-client-id': F('bool', True, '1'),
        'allocator': F('option', options={'iterative': 'Iterative', 'random': 'Random', 'flq': 'Free Lease Queue'}),
        'pools': F('pools'), 'description': F('descr')},
    'kea_reservation': {  # Kea/KeaDhcpv4.xml reservations.reservation
        'subnet': F('relation', True, collection='kea_subnet'), 'ip_address': F('network', netmask=False, family=4),
        'hw_address': F('mac'), 'client_id': F('text', mask=r'^(?:[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})+)$'),
        'hostname': F('hostname'), 'description': F('descr'), 'next_server': F('network', netmask=False, family=4)},
    'unbound_host': {  # Unbound/Unbound.xml hosts.host
        'enabled': F('bool', True, '1'), 'hostname': F('hostname', wildcard=True),
        'domain': F('text', True, mask=_DOMAIN.pattern, flags=re.I),
        'rr': F('option', True, 'A', options={'A': 'A (IPv4 address)', 'AAAA': 'AAAA (IPv6 address)',
                                              'MX': 'MX (mail server)', 'TXT': 'TXT (text)'}),
        'mxprio': F('int'), 'mx': F('hostname'), 'ttl': F('int', min=0, max=2147483647),
        'server': F('network', netmask=False), 'txtdata': F('descr'), 'addptr': F('bool', True, '1'),
        'description': F('descr')},
    'alias': {  # Firewall/Alias.xml aliases.alias
        'enabled': F('bool', True, '1'), 'name': F('alias_name', True),
        'type': F('option', True, 'alert', options=ALIAS_TYPES), 'path_expression': F('text'),
        'proto': F('option', options={'IPv4': '', 'IPv6': ''}, multiple=True), 'interface': F('interface'),
        'counters': F('bool'), 'updatefreq': F('text', mask=r'^[0-9.]*$'), 'content': F('alias_content'),
        'password': F('text'), 'username': F('text'),
        'authtype': F('option', options={'Basic': '', 'Bearer': '', 'Header': ''}),
        'expire': F('int', min=60, max=999999999), 'categories': F('relation', collection='category', multiple=True),
        'description': F('descr')},
    'rule': {  # Firewall/Filter.xml rules.rule (shaping, icmp and rate fields left out)
        'enabled': F('bool', True, '1'),
        'statetype': F('option', True, 'keep',
                       options={k: k for k in ('keep', 'sloppy', 'modulate', 'synproxy', 'none')}),
        'state-policy': F('option', options={'if-bound': '', 'floating': ''}),
        'sequence': F('int', True, '1', min=1, max=999999),
        'action': F('option', True, 'pass', options={'pass': 'Pass', 'block': 'Block', 'reject': 'Reject'}),
        'quick': F('bool', True, '1'), 'interfacenot': F('bool', True, '0'),
        'interface': F('interface', multiple=True),
        'direction': F('option', True, 'in', options={'in': 'In', 'out': 'Out', 'any': 'Both'}),
        'ipprotocol': F('option', True, 'inet', options={'inet': 'IPv4', 'inet6': 'IPv6', 'inet46': 'any'}),
        'protocol': F('protocol', True, 'any'),
        'source_net': F('netalias', True, 'any'), 'source_not': F('bool', True, '0'), 'source_port': F('port'),
        'destination_net': F('netalias', True, 'any'), 'destination_not': F('bool', True, '0'),
        'destination_port': F('port'), 'gateway': F('text'), 'disablereplyto': F('bool', True, '0'),
        'log': F('bool', True, '0'), 'allowopts': F('bool', True, '0'), 'nosync': F('bool', True, '0'),
        'nopfsync': F('bool', True, '0'), 'statetimeout': F('int', min=1, max=2147483647),
        'tag': F('text', mask=r'^([0-9a-zA-Z.,_\-]){0,512}$'), 'tagged': F('text', mask=r'^([0-9a-zA-Z.,_\-]){0,512}$'),
        'categories': F('relation', collection='category', multiple=True), 'description': F('descr')},
    'ids_file': {  # IDS/IDS.xml files.file
        'filename': F('text', True), 'enabled': F('bool', True, '0')},
    'ids_policy': {  # IDS/IDS.xml policies.policy
        'enabled': F('bool', True, '1'), 'prio': F('int', True, '0'),
        'action': F('option', options={'disable': 'Disabled', 'alert': 'Alert', 'drop': 'Drop'}, multiple=True),
        'rulesets': F('relation', collection='ids_file', multiple=True, only_enabled=True),
        'content': F('text'),
        'new_action': F('option', True, 'alert',
                        options={'default': 'Default', 'alert': 'Alert', 'drop': 'Drop', 'disable': 'Disable'}),
        'description': F('descr')},
}

# IDS/IDS.xml general (a settings section, not a list); detect is a container
IDS_GENERAL = {
    'enabled': F('bool', True, '0'),
    'mode': F('option', True, 'pcap', options={'pcap': 'PCAP live mode (IDS)', 'netmap': 'Netmap (IPS)',
                                               'divert': 'Divert (IPS)'}),
    'divert_listeners': F('int', True, '1', min=1, max=256), 'promisc': F('bool', True, '0'),
    'interfaces': F('interface', True, 'wan', multiple=True),
    'homenet': F('network', True, '192.168.0.0/16,10.0.0.0/8,172.16.0.0/12', aslist=True),
    'defaultPacketSize': F('int', min=82, max=65535),
    'AlertLogrotate': F('option', True, 'W0D23', options={'W0D23': 'Weekly', 'D0': 'Daily'}),
    'AlertSaveLogs': F('int', True, '4', min=1, max=1000),
    'MPMAlgo': F('option', options={'ac': 'Aho-Corasick', 'ac-ks': 'Aho-Corasick, "Ken Steele" variant',
                                    'hs': 'Hyperscan'}),
    'detect': {'Profile': F('option', options={'low': 'Low', 'medium': 'Medium', 'high': 'High', 'custom': 'Custom'}),
               'toclient_groups': F('int', min=0, max=65535), 'toserver_groups': F('int', min=0, max=65535)},
    'syslog': F('bool', True, '0'), 'syslog_eve': F('bool', True, '0'), 'LogPayload': F('bool', True, '0'),
    'verbosity': F('option', options={'v': 'INFO (1)', 'vv': 'PERF (2)', 'vvv': 'CONFIG (3)', 'vvvv': 'DEBUG (4)'}),
}


# ------------------------------------------------------------------------------------------ field checks

def _ip(text, family=None):
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return address if family in (None, address.version) else None


def _net(text, family=None):
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    return network if family in (None, network.version) else None


def _items(value, separator=','):
    return [v for v in value.split(separator) if v != '']


def _network(field, value):
    netmask, family = field.params.get('netmask', True), field.params.get('family')
    for item in (_items(value) if field.params.get('aslist') else [value]):
        has_mask = '/' in item
        if (has_mask and (netmask is False or _net(item, family) is None)) or \
           (not has_mask and (netmask == 'required' or _ip(item, family) is None)):
            return 'Please specify a valid network segment or IP address.'
    return OK


def _hostname(field, value):
    for item in (_items(value) if field.params.get('aslist') else [value]):
        if item == '*' and field.params.get('wildcard'):
            continue
        if not _HOSTNAME.match(item) or len(item) > 253:
            return '[%s] is not a valid IP address or hostname.' % item
    return OK


def _port(value, ctx):
    if value in WELL_KNOWN_PORTS or value == 'any' or ctx['aliases'].get(value) == 'port':
        return OK
    parts = value.split('-')
    if len(parts) <= 2 and all(p.isdigit() and 1 <= int(p) <= 65535 for p in parts) and \
            (len(parts) == 1 or int(parts[0]) < int(parts[1])):
        return OK
    return ('Please specify a valid portnumber, name, alias or range.')


def _netalias(value, ctx):
    for item in _items(value):
        if item in ('any', '(self)') or item in ctx['interfaces'] or \
                (item.endswith('ip') and item[:-2] in ctx['interfaces']) or \
                (item in ctx['aliases'] and ctx['aliases'][item] != 'port') or _ip(item) or _net(item):
            continue
        return '%s is not a valid source IP address or alias.' % item
    return OK


def _alias_content(value, record, ctx):
    """AliasContentField.php, by the alias type."""
    kind = record.get('type')
    for item in _items(value, '\n'):
        if kind == 'port':
            ports = item.split(':')
            good = item in ctx['aliases'] or (len(ports) <= 2 and all(
                (p.isdigit() and 1 <= int(p) <= 65535) or p in WELL_KNOWN_PORTS for p in ports))
            if not good:
                return 'Entry "%s" is not a valid port number.' % item
        elif kind == 'host':
            ends = item.split('-')
            if not (item in ctx['aliases'] or _ip(item) or _DOMAIN.match(item) or
                    (len(ends) == 2 and _ip(ends[0]) and _ip(ends[1])) or (item.startswith('!') and _ip(item[1:]))):
                return 'Entry "%s" is not a valid hostname, IP address or range.' % item
        elif kind == 'network':
            bare = item[1:] if item.startswith('!') else item
            if not (item in ctx['aliases'] or _ip(bare) or _net(bare)):
                return 'Entry "%s" is not a network.' % item
        elif kind == 'mac' and not re.match(r'^[0-9a-f]{2}(:[0-9a-f]{2}){0,5}$', item, re.I):
            return 'Entry "%s" is not a valid (partial) MAC address.' % item
    return OK


def _pools(value, record):
    subnet = _net(record.get('subnet', ''), 4)
    for item in _items(value.replace(',', '\n'), '\n'):
        ends = [e.strip() for e in item.split('-')]
        if len(ends) == 2 and _ip(ends[0], 4) and _ip(ends[1], 4):
            inside = subnet is None or all(ipaddress.ip_address(e) in subnet for e in ends)
        elif _net(item, 4):
            inside = subnet is None or _net(item, 4).subnet_of(subnet)
        else:
            return 'Entry "%s" is not a valid range.' % item
        if not inside:
            return 'Pool %s is not within subnet %s.' % (item, subnet)
    return OK


def check(field, value, record, ctx):
    """The message this field's value gets from the real model, or None."""
    if value == '':
        return 'A value is required.' if field.required else OK
    kind = field.type
    if kind == 'bool':
        return OK if value in ('0', '1') else 'Value should be a boolean (0,1).'
    if kind == 'int':
        if not re.match(r'^-?[0-9]+$', value):
            return 'Invalid integer value.'
        number = int(value)
        low, high = field.params.get('min'), field.params.get('max')
        return 'Invalid integer value.' if (low is not None and number < low) or (high is not None and number > high) \
            else OK
    if kind == 'option':
        values = _items(value) if field.params.get('multiple') else [value]
        bad = [v for v in values if v not in field.options()]
        return 'Option [%s] not in list.' % bad[0] if bad else OK
    if kind == 'descr':
        return OK if len(value) <= 255 else 'Description should be a string between 1 and 255 characters.'
    if kind == 'text':
        mask = field.params.get('mask')
        return OK if mask is None or re.match(mask, value, field.params.get('flags', 0)) else 'Text does not validate.'
    if kind == 'network':
        return _network(field, value)
    if kind == 'hostname':
        return _hostname(field, value)
    if kind == 'mac':
        items = _items(value) if field.params.get('aslist') else [value]
        return OK if all(_MAC.match(v) for v in items) else 'Invalid MAC address.'
    if kind == 'interface':
        items = _items(value) if field.params.get('multiple') else [value]
        bad = [v for v in items if v not in ctx['interfaces']]
        return 'Option [%s] not in list.' % bad[0] if bad else OK
    if kind == 'vlan_parent':
        return OK if value in ctx['devices'] else 'Option [%s] not in list.' % value
    if kind == 'netalias':
        return _netalias(value, ctx)
    if kind == 'port':
        return _port(value, ctx)
    if kind == 'protocol':
        return OK if value in PROTOCOLS else 'Option [%s] not in list.' % value
    if kind == 'relation':
        uuids = _items(value) if field.params.get('multiple') else [value]
        known = ctx['collections'].get(field.params['collection'], {})
        if field.params.get('only_enabled'):
            known = {u: r for u, r in known.items() if r.get('enabled') == '1'}
        bad = [u for u in uuids if u not in known]
        return ('Related %s not found.' % field.params['collection'].split('_')[-1]) if bad else OK
    if kind == 'alias_name':
        if not _ALIAS_NAME.match(value):
            return ('The name must start with a letter or single underscore, be less than 32 characters and only '
                    'consist of alphanumeric characters or underscores.')
        return 'The name cannot be the internally reserved keyword "%s".' % value if value.lower() in ALIAS_RESERVED \
            else OK
    if kind == 'alias_content':
        return _alias_content(value, record, ctx)
    if kind == 'pools':
        return _pools(value, record)
    raise AssertionError('no check for field type %s' % kind)
