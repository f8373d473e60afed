"""The OPNsense API double (lab/doubles/opnsense_api.py) refuses what the real API refuses and answers in its shapes.

Driven through State.dispatch, without sockets; runme.sh of tests/integration/targets/opnsense drives it over HTTPS.
"""

import base64
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', '..', 'lab', 'doubles'))
import opnsense_api  # noqa: E402  (lab code, not part of the collection)
from opnsense_api import Failed  # noqa: E402
from opnsense_api import State  # noqa: E402


@pytest.fixture
def fw():
    return State('key', 'secret', ('ro', 'ro'))


def post(fw, path, body=None):
    return fw.dispatch('POST', path, body if body is not None else {})[1]


def get(fw, path):
    return fw.dispatch('GET', path, None)[1]


def add_vlan(fw, **fields):
    return post(fw, 'interfaces/vlan_settings/add_item', {'vlan': dict({'if': 'ixl0', 'tag': '10'}, **fields)})


@pytest.mark.parametrize('fields, field, message', [
    ({'tag': '4095'}, 'vlan.tag', 'Invalid integer value.'),
    ({'tag': '0'}, 'vlan.tag', 'Invalid integer value.'),
    ({'tag': 'ten'}, 'vlan.tag', 'Invalid integer value.'),
    ({'tag': ''}, 'vlan.tag', 'A value is required.'),
    ({'if': 'eth9'}, 'vlan.if', 'Option [eth9] not in list.'),
    ({'pcp': '9'}, 'vlan.pcp', 'Option [9] not in list.'),
    ({'proto': '802.1x'}, 'vlan.proto', 'Option [802.1x] not in list.'),
    ({'descr': 'x' * 256}, 'vlan.descr', 'Description should be a string between 1 and 255 characters.'),
    ({'colour': 'red'}, 'vlan.colour', 'unknown field (the real API drops it silently; this double refuses it)'),
])
def test_vlan_validation(fw, fields, field, message):
    answer = add_vlan(fw, **fields)
    assert answer['result'] == 'failed' and answer['validations'][field] == message
    assert fw.collections['vlan'] == {} and fw.dirty == []


def test_vlan_add_search_set(fw):
    answer = add_vlan(fw, descr='trusted')
    assert answer['result'] == 'saved' and len(answer['uuid']) == 36
    assert add_vlan(fw)['validations'] == {'vlan.tag': 'Tag for this device must be unique.'}
    assert add_vlan(fw, tag=20)['result'] == 'saved'
    rows = get(fw, 'interfaces/vlan_settings/search_item')['rows']
    assert [(r['tag'], r['vlanif'], r['%pcp']) for r in rows] == [
        ('10', 'vlan01 [TRUSTED]', 'Best Effort (0, default)'), ('20', 'vlan02 [IOT]', 'Best Effort (0, default)')]
    uuid = answer['uuid']
    assert post(fw, 'interfaces/vlan_settings/set_item/%s' % uuid, {'vlan': {'descr': 'family'}}) == {'result': 'saved'}
    assert fw.collections['vlan'][uuid]['descr'] == 'family' and fw.collections['vlan'][uuid]['vlanif'] == 'vlan01'
    # an assigned device keeps its tag (VlanSettingsController::setItemAction)
    assert post(fw, 'interfaces/vlan_settings/set_item/%s' % uuid, {'vlan': {'tag': '11'}})['validations'] == {
        'vlan.tag': 'Interface is assigned and you cannot change the VLAN tag while assigned.'}
    assert post(fw, 'interfaces/vlan_settings/set_item/not-a-uuid', {'vlan': {'tag': '30'}}) == {'result': 'failed'}
    upsert = '12345678-1234-4234-8234-123456789abc'  # set on an unknown uuid creates it
    assert post(fw, 'interfaces/vlan_settings/set_item/%s' % upsert, {'vlan': {'if': 'ixl1', 'tag': '30'}}) == {
        'result': 'saved'}
    assert fw.dirty == ['interfaces/vlan_settings/reconfigure']
    nodes = get(fw, 'interfaces/vlan_settings/get_item/%s' % uuid)['vlan']
    assert nodes['pcp']['0'] == {'value': 'Best Effort (0, default)', 'selected': 1} and nodes['tag'] == '10'


def test_types_php_would_reject(fw):
    with pytest.raises(Failed) as caught:
        add_vlan(fw, tag=['10'])
    assert caught.value.status == 500 and caught.value.body == {
        'errorMessage': 'Unexpected error, check log for details'}
    assert add_vlan(fw, tag=10)['result'] == 'saved'          # a JSON number is a string to PHP
    assert post(fw, 'interfaces/vlan_settings/add_item', {'item': {}}) == {'result': 'failed'}


def test_routing_and_services(fw):
    assert fw.dispatch('GET', 'interfaces/vlan_settings/reconfigure', None)[1] == {'status': 'failed'}
    add_vlan(fw)
    assert post(fw, 'interfaces/vlanSettings/reconfigure') == {'status': 'ok'}  # camelCase routes too
    assert post(fw, 'firewall/filter/apply') == {'status': 'OK\n\n'}
    assert fw.counters == {'interfaces/vlan_settings/reconfigure': 1, 'firewall/filter/apply': 1} and fw.dirty == []
    assert get(fw, 'interfaces/vlan_settings/searchItem')['rowCount'] == 1
    with pytest.raises(Failed) as caught:
        get(fw, 'interfaces/vlan_settings/savepoint')  # removed in 26.7
    assert caught.value.status == 404 and caught.value.body == {'errorMessage': 'Endpoint not found'}


@pytest.mark.parametrize('header, method, status', [
    ('Basic ' + base64.b64encode(b'key:secret').decode(), 'POST', 200),
    ('Basic ' + base64.b64encode(b'key:wrong').decode(), 'GET', 401),
    ('Basic ' + base64.b64encode(b'ro:ro').decode(), 'GET', 200),
    ('Basic ' + base64.b64encode(b'ro:ro').decode(), 'POST', 403),
    ('Bearer key:secret', 'GET', 401), (None, 'GET', 401), ('Basic !!!', 'GET', 401),
])
def test_auth(fw, header, method, status):
    assert fw.authorised(header, method) == status


@pytest.mark.parametrize('alias, field, message', [
    ({'name': 'ssh', 'type': 'host'}, 'alias.name', 'The name cannot be the internally reserved keyword "ssh".'),
    ({'name': 'pass', 'type': 'host'}, 'alias.name', 'The name cannot be the internally reserved keyword "pass".'),
    ({'name': '1st', 'type': 'host'}, 'alias.name', 'The name must start with a letter'),
    ({'name': 'x' * 32, 'type': 'host'}, 'alias.name', 'The name must start with a letter'),
    ({'name': 'svc_x', 'type': 'port', 'content': '8096\n70000'}, 'alias.content', 'Entry "70000" is not a valid port'),
    ({'name': 'svc_x', 'type': 'port', 'content': '8000-8100'}, 'alias.content', 'Entry "8000-8100" is not a valid'),
    ({'name': 'h', 'type': 'host', 'content': 'not a host'}, 'alias.content', 'Entry "not a host" is not a valid'),
    ({'name': 'n', 'type': 'network', 'content': '10.0.0.0/33'}, 'alias.content', 'Entry "10.0.0.0/33" is not a net'),
    ({'name': 'n', 'type': 'colours'}, 'alias.type', 'Option [colours] not in list.'),
])
def test_alias_validation(fw, alias, field, message):
    answer = post(fw, 'firewall/alias/add_item', {'alias': alias})
    assert answer['validations'][field].startswith(message)


def test_alias_in_use_cannot_go(fw):
    uuid = post(fw, 'firewall/alias/add_item', {'alias': {'name': 'role_storage', 'type': 'host',
                                                          'content': '10.0.30.20'}})['uuid']
    assert post(fw, 'firewall/alias/add_item', {'alias': {'name': 'svc_media', 'type': 'port',
                                                          'content': '8096\n8000:8100'}})['result'] == 'saved'
    rule = {'interface': 'opt2', 'source_net': 'opt2', 'destination_net': 'role_storage', 'destination_port':
            'svc_media', 'protocol': 'tcp', 'description': 'homelab: iot -> media'}
    assert post(fw, 'firewall/filter/add_rule', {'rule': rule})['result'] == 'saved'
    stored = list(fw.collections['rule'].values())[0]
    assert stored['protocol'] == 'TCP' and stored['sequence'] == '1'
    with pytest.raises(Failed) as caught:
        post(fw, 'firewall/alias/del_item/%s' % uuid)
    assert caught.value.status == 500 and caught.value.body['errorTitle'] == 'Alias in use'
    assert 'Cannot delete alias role_storage. Currently in use by' in caught.value.body['errorMessage']
    assert get(fw, 'firewall/alias/get_alias_u_u_i_d/role_storage') == {'uuid': uuid}


@pytest.mark.parametrize('rule, field, message', [
    ({'destination_net': 'nowhere'}, 'rule.destination_net', 'nowhere is not a valid source IP address or alias.'),
    ({'destination_net': 'svc_media'}, 'rule.destination_net',  # a port alias
     'svc_media is not a valid source IP address or alias.'),
    ({'destination_port': '70000'}, 'rule.destination_port',
     'Please specify a valid portnumber, name, alias or range.'),
    ({'interface': 'opt9'}, 'rule.interface', 'Option [opt9] not in list.'),
    ({'protocol': 'SCTP6'}, 'rule.protocol', 'Option [SCTP6] not in list.'),
    ({'action': 'allow'}, 'rule.action', 'Option [allow] not in list.'),
    ({'sequence': '0'}, 'rule.sequence', 'Invalid integer value.'),
])
def test_rule_validation(fw, rule, field, message):
    post(fw, 'firewall/alias/add_item', {'alias': {'name': 'svc_media', 'type': 'port', 'content': '8096'}})
    base = {'interface': 'opt2', 'source_net': 'opt2', 'destination_net': 'any', 'description': 'x'}
    assert post(fw, 'firewall/filter/add_rule', {'rule': dict(base, **rule)})['validations'][field] == message


def test_rule_search_lists_legacy_rules(fw):
    rows = get(fw, 'firewall/filter/search_rule')['rows']
    assert rows[-1]['legacy'] is True and rows[-1]['description'] == 'Default allow LAN to any rule'


def test_kea(fw):
    subnet = post(fw, 'kea/dhcpv4/add_subnet', {'subnet4': {'subnet': '10.0.20.0/24'}})['uuid']
    assert post(fw, 'kea/dhcpv4/add_subnet', {'subnet4': {'subnet': '10.0.20.0/24'}})['validations'] == {
        'subnet4.subnet': 'Subnet must be unique.'}
    assert post(fw, 'kea/dhcpv4/add_subnet', {'subnet4': {'subnet': '10.0.21.7'}})['validations'] == {
        'subnet4.subnet': 'Please specify a valid network segment or IP address.'}
    base = {'subnet': subnet, 'hw_address': 'a8:a1:59:00:00:07', 'ip_address': '10.0.20.10', 'hostname': 'pi5'}
    assert post(fw, 'kea/dhcpv4/add_reservation', {'reservation': base})['result'] == 'saved'
    for changes, field, message in (({'ip_address': '10.0.30.10', 'hw_address': 'a8:a1:59:00:00:08'},
                                     'reservation.ip_address', 'Address not in specified subnet'),
                                    ({'ip_address': '10.0.20.11', 'hw_address': 'A8:A1:59:00:00:07'},
                                     'reservation.hw_address', 'Duplicate entry exists.'),
                                    ({'hw_address': 'a8:a1:59:00:00:08'}, 'reservation.ip_address',
                                     'Duplicate entry exists.'),
                                    ({'subnet': 'no-such-uuid', 'ip_address': '10.0.20.12', 'hw_address':
                                      'a8:a1:59:00:00:09'}, 'reservation.subnet', 'Related subnet not found.'),
                                    ({'hw_address': '', 'ip_address': '10.0.20.13'}, 'reservation.hw_address',
                                     'Either a client ID or a MAC address should be specified.')):
        answer = post(fw, 'kea/dhcpv4/add_reservation', {'reservation': dict(base, **changes)})
        assert answer['validations'][field] == message
    row = get(fw, 'kea/dhcpv4/search_reservation')['rows'][0]
    assert row['subnet'] == subnet and row['%subnet'] == '10.0.20.0/24'


def test_dnsmasq_and_unbound(fw):
    host = {'host': 'pi5', 'ip': '10.0.20.10', 'hwaddr': 'a8:a1:59:00:00:07', 'domain': 'home.arpa'}
    assert post(fw, 'dnsmasq/settings/add_host', {'host': host})['result'] == 'saved'
    answer = post(fw, 'dnsmasq/settings/add_host', {'host': dict(host, host='pi6', hwaddr='a8:a1:59:00:00:08')})
    assert answer['validations'] == {'host.ip': "'10.0.20.10' is already used in another DHCP host entry."}
    assert post(fw, 'dnsmasq/settings/add_host', {'host': {'host': 'x'}})['validations'] == {
        'host.host': 'Both hostname and IP address are required for host overrides.'}
    assert post(fw, 'unbound/settings/add_host_override', {'host': {'hostname': 'pi5', 'domain': 'home.arpa'}})[
        'validations'] == {'host.server': 'The field IP address is required.'}
    assert post(fw, 'unbound/settings/add_host_override', {'host': {'hostname': 'pi5', 'domain': 'home arpa',
                                                                    'server': '10.0.20.10'}})['validations'] == {
        'host.domain': 'Text does not validate.'}
    answer = post(fw, 'unbound/settings/add_host_override', {'host': {'hostname': 'pi5', 'domain': 'home.arpa',
                                                                      'server': '10.0.20.10'}})
    assert answer['result'] == 'saved'
    row = get(fw, 'unbound/settings/search_host_override')['rows'][0]
    assert (row['rr'], row['%rr'], row['enabled'], row['addptr']) == ('A', 'A (IPv4 address)', '1', '1')


def test_ids(fw):
    general = get(fw, 'ids/settings/get')['ids']['general']
    assert general['mode']['pcap']['selected'] == 1 and general['interfaces']['wan']['selected'] == 1
    assert general['detect']['Profile']['high'] == {'value': 'High', 'selected': 0}
    assert post(fw, 'ids/settings/set', {'ids': {'general': {'mode': 'inline'}}})['validations'] == {
        'ids.general.mode': 'Option [inline] not in list.'}
    assert post(fw, 'ids/settings/set', {'ids': {'general': {'interfaces': 'wan,opt7'}}})['validations'] == {
        'ids.general.interfaces': 'Option [opt7] not in list.'}
    assert post(fw, 'ids/settings/set', {'ids': {'general': {'enabled': '1', 'mode': 'netmap', 'MPMAlgo': 'hs',
                                                             'detect': {'Profile': 'high'}}}}) == {'result': 'saved'}
    assert fw.ids_general['detect']['Profile'] == 'high'
    assert post(fw, 'ids/settings/toggle_ruleset/botcc.rules,drop.rules/1') == {'status': '1'}
    assert post(fw, 'ids/settings/toggle_ruleset/nonsense.rules/1') == {'status': 'error'}
    rows = {r['filename']: r for r in get(fw, 'ids/settings/list_rulesets')['rows']}
    assert rows['botcc.rules']['enabled'] == '1' and rows['tor.rules']['enabled'] == '0'
    assert rows['botcc.rules']['description'] == 'ET open/botcc'
    options = get(fw, 'ids/settings/get_policy')['policy']['rulesets']
    assert sorted(o['value'] for o in options.values()) == ['botcc.rules', 'drop.rules']  # enabled files only
    uuid = next(u for u, o in options.items() if o['value'] == 'botcc.rules')
    policy = {'description': 'homelab: IPS drop', 'action': 'alert', 'rulesets': uuid, 'new_action': 'drop'}
    assert post(fw, 'ids/settings/add_policy', {'policy': policy})['result'] == 'saved'
    assert post(fw, 'ids/settings/add_policy', {'policy': dict(policy, rulesets='nope')})['validations'] == {
        'policy.rulesets': 'Related file not found.'}
    row = get(fw, 'ids/settings/search_policy')['rows'][0]
    assert row['%rulesets'] == 'botcc.rules'


def test_backup_and_version(fw):
    add_vlan(fw)
    status, (xml, headers) = fw.dispatch('GET', 'core/backup/download/this', None)
    assert status == 200 and xml.startswith(b'<?xml version="1.0"?>\n<opnsense>')
    assert b'<tag>10</tag>' in xml and headers['Content-Type'] == 'application/octet-stream'
    assert headers['Content-Disposition'] == 'attachment; filename=config-gate.home.arpa-%s.xml' % fw.revision['time']
    assert get(fw, 'core/firmware/status')['product']['product_version'] == opnsense_api.VERSION


def test_lockout_after_an_apply(fw):
    fw.lockout = {'after': 'firewall/filter/apply', 'seconds': 30}
    post(fw, 'interfaces/vlan_settings/reconfigure')
    assert fw.locked_until == 0.0
    post(fw, 'firewall/filter/apply')
    assert fw.locked_until > 0 and fw.lockout is None
