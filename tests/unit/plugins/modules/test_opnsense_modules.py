"""The opnsense_* module shells in-process against a fake REST session (the double covers them over HTTPS in
tests/integration/targets/opnsense)."""

import json
import os
import stat

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._opnsense import client as _client
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense import runner
from ansible_collections.homelab.cluster.plugins.modules import opnsense_backup
from ansible_collections.homelab.cluster.plugins.modules import opnsense_dhcp_reservation
from ansible_collections.homelab.cluster.plugins.modules import opnsense_ids

CONNECTION = {'url': 'https://fw.example', 'api_key': 'key', 'api_secret': 'secret'}
CONFIG = b'<?xml version="1.0"?>\n<opnsense><revision><time>1</time></revision></opnsense>'


class Answer:
    def __init__(self, body=None, status=200, content=None, headers=None):
        self.status_code, self.headers = status, headers or {}
        self.content = content if content is not None else json.dumps(body).encode()
        self.text = self.content.decode()

    def json(self):
        return json.loads(self.text)


class Session:
    def __init__(self, answers):
        self.answers, self.posts, self.headers, self.auth = answers, [], {}, None

    def get(self, url, **kwargs):
        return self.answers[('GET', url.split('/api/', 1)[1])]

    def post(self, url, **kwargs):
        path = url.split('/api/', 1)[1]
        self.posts.append((path, kwargs.get('json')))
        return self.answers.get(('POST', path)) or Answer({'result': 'saved', 'uuid': 'new'})


@pytest.fixture
def firewall(monkeypatch):
    """Modules get a Client on a fake session with these answers; returns the session."""
    holder = {}

    def install(answers):
        session = Session(answers)
        holder['session'] = session

        def connect(module):
            return _client.Client(module.params['url'], 'key', 'secret', session=session)
        monkeypatch.setattr(runner, 'connect', connect)
        monkeypatch.setattr(opnsense_backup, 'connect', connect)
        return session
    return install


def backup_answers(version='26.7.2', content=CONFIG, name='config-gate.home.arpa-1.xml'):
    return {('GET', 'core/firmware/status'): Answer({'product': {'product_version': version}}),
            ('GET', 'core/backup/download/this'): Answer(content=content, headers={
                'Content-Disposition': 'attachment; filename=%s' % name})}


def test_backup_is_kept_once_and_0600(firewall, run_module, tmp_path):
    firewall(backup_answers())
    dest = str(tmp_path / 'backups')
    first = run_module(opnsense_backup.main, dict(CONNECTION, dest_dir=dest))
    assert first['changed'] and first['filename'] == 'config-gate.home.arpa-1.xml' and first['version'] == '26.7.2'
    assert stat.S_IMODE(os.stat(first['path']).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o700
    with open(first['path'], 'rb') as handle:
        assert handle.read() == CONFIG
    second = run_module(opnsense_backup.main, dict(CONNECTION, dest_dir=dest))
    assert not second['changed'] and second['msg'].startswith('kept')
    os.chmod(first['path'], 0o644)
    third = run_module(opnsense_backup.main, dict(CONNECTION, dest_dir=dest))
    assert third['changed'] and stat.S_IMODE(os.stat(first['path']).st_mode) == 0o600
    assert os.listdir(dest) == ['config-gate.home.arpa-1.xml']  # no temporary file left behind


def test_backup_refusals(firewall, run_module, tmp_path):
    firewall(backup_answers(version='25.1.9'))
    result = run_module(opnsense_backup.main, dict(CONNECTION, dest_dir=str(tmp_path)))
    assert result['failed'] and 'runs OPNsense 25.1.9; homelab.cluster needs 25.7 or later' in result['msg']
    firewall(backup_answers(content=b'<html>login</html>'))
    result = run_module(opnsense_backup.main, dict(CONNECTION, dest_dir=str(tmp_path)))
    assert result['failed'] and 'is not an OPNsense config.xml' in result['msg'] and os.listdir(tmp_path) == []
    firewall(backup_answers())
    result = run_module(opnsense_backup.main, dict(CONNECTION, dest_dir=str(tmp_path / 'x')), check_mode=True)
    assert result['path'] is None and not os.path.exists(tmp_path / 'x')


@pytest.mark.parametrize('header, name', [
    ('attachment; filename=config-gate.home.arpa-1767225600.1234.xml', 'config-gate.home.arpa-1767225600.1234.xml'),
    ('attachment; filename="config-fw-1.xml"', 'config-fw-1.xml'),
    ('attachment; filename=config-fw%2Ehome-1.xml', 'config-fw.home-1.xml'),
    ('attachment; filename=../../etc/passwd', 'fallback.xml'),
    ('attachment; filename=.hidden.xml', 'fallback.xml'),
    (None, 'fallback.xml'),
])
def test_backup_filename(header, name):
    assert opnsense_backup.filename_of(header, 'fallback.xml') == name


IDS = {
    ('GET', 'ids/settings/get'): Answer({'ids': {'general': {
        'enabled': '0',
        'mode': {'pcap': {'value': 'PCAP', 'selected': 1}, 'netmap': {'value': 'Netmap', 'selected': 0}},
        'interfaces': {'wan': {'value': 'WAN', 'selected': 1}},
        'MPMAlgo': {'': {'value': 'Default', 'selected': 1}, 'hs': {'value': 'Hyperscan', 'selected': 0}},
        'detect': {'Profile': {'high': {'value': 'High', 'selected': 0}}}}}}),
    ('GET', 'ids/settings/list_rulesets'): Answer({'rows': [{'filename': 'botcc.rules', 'enabled': '0'},
                                                            {'filename': 'tor.rules', 'enabled': '1'}]}),
    ('GET', 'ids/settings/get_policy'): Answer({'policy': {'rulesets': {'f1': {'value': 'tor.rules', 'selected': 0}}}}),
    ('GET', 'ids/settings/search_policy'): Answer({'rows': []}),
    ('POST', 'ids/settings/toggle_ruleset/botcc.rules/1'): Answer({'status': '1'}),
    ('POST', 'ids/settings/toggle_ruleset/tor.rules/0'): Answer({'status': '0'}),
    ('POST', 'ids/service/update_rules'): Answer({'status': 'OK'}),
    ('POST', 'ids/service/reconfigure'): Answer({'status': 'OK'}),
}


def test_ids(firewall, run_module):
    session = firewall(dict(IDS))
    args = dict(CONNECTION, mode='netmap', mpm_algo='hs', detect_profile='high', rulesets=['botcc.rules'],
                disable_other_rulesets=True)
    result = run_module(opnsense_ids.main, args, check_mode=True)
    assert result['changes'] == ['update IDS settings: MPMAlgo, detect.Profile, enabled, mode',
                                 'enable rulesets botcc.rules', 'disable rulesets tor.rules',
                                 'create IDS policy "homelab: IPS drop"']
    assert result['services'] == ['ids/service/update_rules', 'ids/service/reconfigure'] and session.posts == []
    result = run_module(opnsense_ids.main, args)
    paths = [p for p, _body in session.posts]
    assert paths == ['ids/settings/set', 'ids/settings/toggle_ruleset/botcc.rules/1',
                     'ids/settings/toggle_ruleset/tor.rules/0', 'ids/settings/add_policy', 'ids/service/update_rules',
                     'ids/service/reconfigure']
    assert session.posts[0][1] == {'ids': {'general': {'enabled': '1', 'mode': 'netmap', 'interfaces': 'wan',
                                                       'MPMAlgo': 'hs', 'detect': {'Profile': 'high'}}}}
    assert result['activated'] == ['ids/service/update_rules', 'ids/service/reconfigure']


def test_ids_unknown_ruleset(firewall, run_module):
    firewall(dict(IDS))
    result = run_module(opnsense_ids.main, dict(CONNECTION, rulesets=['made-up.rules']))
    assert result['failed'] and result['msg'] == ('rulesets: not installable on this firewall: made-up.rules '
                                                  '(it lists botcc.rules, tor.rules); nothing was changed')


def test_kea_reservation_needs_a_subnet(firewall, run_module):
    firewall({('GET', 'kea/dhcpv4/search_subnet'): Answer({'rows': [{'uuid': 's1', 'subnet': '10.0.30.0/24'}]}),
              ('GET', 'kea/dhcpv4/search_reservation'): Answer({'rows': []})})
    args = dict(CONNECTION, backend='kea', reservations=[{'mac': 'a8:a1:59:00:00:07', 'address': '10.0.20.10'}])
    result = run_module(opnsense_dhcp_reservation.main, args)
    assert result['failed'] and result['msg'] == ('reservations[0].address: 10.0.20.10 is in no Kea subnet of the '
                                                  'firewall or of subnets (10.0.30.0/24); add one with subnets; '
                                                  'nothing was sent')
    args['subnets'] = [{'subnet': '10.0.20.0/24', 'description': 'homelab: iot'}]
    result = run_module(opnsense_dhcp_reservation.main, args, check_mode=True)
    assert result['changes'] == ['create Kea subnet 10.0.20.0/24', 'create Kea reservation - (a8:a1:59:00:00:07)']


def test_kea_refused_reservation_writes_no_subnet_first(firewall, run_module):
    session = firewall({('GET', 'kea/dhcpv4/search_subnet'): Answer({'rows': []}),
                        ('GET', 'kea/dhcpv4/search_reservation'): Answer({'rows': []})})
    args = dict(CONNECTION, backend='kea', subnets=[{'subnet': '10.0.30.0/24'}],
                reservations=[{'mac': 'a8:a1:59:00:00:07', 'address': '10.0.20.10'}])
    result = run_module(opnsense_dhcp_reservation.main, args)
    assert result['failed'] and 'reservations[0].address: 10.0.20.10 is in no Kea subnet' in result['msg']
    assert session.posts == []


@pytest.mark.parametrize('reservations, message', [
    ([{'mac': 'a8:a1:59:00:00', 'address': '10.0.30.7'}],
     "reservations[0].mac: expected a MAC address such as a8:a1:59:00:00:01, got 'a8:a1:59:00:00'; nothing was sent"),
    ([{'mac': 'a8:a1:59:00:00:07', 'address': '10.0.30.7'}, {'mac': 'A8:A1:59:00:00:07', 'address': '10.0.30.8'}],
     'dnsmasq_host[1]: dnsmasq host - (a8:a1:59:00:00:07) is given twice; nothing was sent'),
])
def test_dhcp_input_is_refused_before_any_request(firewall, run_module, reservations, message):
    session = firewall({})
    result = run_module(opnsense_dhcp_reservation.main, dict(CONNECTION, reservations=reservations))
    assert result['failed'] and result['msg'] == message
    assert session.posts == []
