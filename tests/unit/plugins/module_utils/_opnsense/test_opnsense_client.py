"""The OPNsense REST client (_opnsense/client.py) and the shared module flow (_opnsense/runner.py), with fakes."""

import json

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._opnsense import client as _client
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense import runner
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import KINDS


class Response:
    def __init__(self, status=200, body=None, text=None):
        self.status_code = status
        self.text = text if text is not None else json.dumps(body)
        self.content = self.text.encode()
        self.headers = {}

    def json(self):
        return json.loads(self.text)


class Session:
    """Answers from a table {(method, path): Response}; records every call and its verify."""

    def __init__(self, answers):
        self.answers, self.calls, self.headers, self.auth = answers, [], {}, None

    def _answer(self, method, url, **kwargs):
        path = url.split('/api/', 1)[1]
        self.calls.append((method, path, kwargs.get('json'), kwargs.get('verify')))
        answer = self.answers.get((method, path))
        if isinstance(answer, Exception):
            raise answer
        return answer or Response(404, {'errorMessage': 'Endpoint not found'})

    def get(self, url, **kwargs):
        return self._answer('GET', url, **kwargs)

    def post(self, url, **kwargs):
        return self._answer('POST', url, **kwargs)


def make(answers, **kwargs):
    session = Session(answers)
    return _client.Client('https://fw.example:8443/', 'key', 'secret', session=session, **kwargs), session


def test_auth_and_verify_on_every_request():
    api, session = make({('GET', 'core/firmware/status'): Response(body={'product': {'product_version': '26.7.2'}})},
                        ca_path='/etc/ca.pem')
    assert api.version() == '26.7.2'
    assert session.auth == ('key', 'secret')
    assert session.calls == [('GET', 'core/firmware/status', None, '/etc/ca.pem')]  # not lost to REQUESTS_CA_BUNDLE
    assert make({}, validate_certs=False)[0].verify is False
    assert make({})[0].verify is True


@pytest.mark.parametrize('status, body, message', [
    (401, {'status': 401, 'message': 'Authentication Failed'},
     '401 Authentication Failed: check api_key and api_secret'),
    (403, {'status': 403, 'message': 'Forbidden'}, "403 Forbidden: the API key's user lacks the privilege"),
    (404, {'errorMessage': 'Endpoint not found'}, '404 Endpoint not found: this firewall does not have it; '
                                                  'homelab.cluster speaks the API of OPNsense 25.7 and later'),
    (500, {'errorMessage': 'Cannot delete alias x', 'errorTitle': 'Alias in use'}, 'HTTP 500: Cannot delete alias x'),
    (400, {'status': 400, 'message': 'Invalid JSON syntax'}, 'HTTP 400: Invalid JSON syntax'),
])
def test_error_answers_are_named(status, body, message):
    api, _session = make({('GET', 'firewall/alias/search_item'): Response(status, body)})
    with pytest.raises(_client.APIError, match=message) as caught:
        api.rows('firewall/alias/search_item')
    assert 'GET https://fw.example:8443/api/firewall/alias/search_item' in str(caught.value)
    assert caught.value.status == status


def test_not_json_and_no_connection():
    api = make({('GET', 'a/b/c'): Response(200, text='<html>login</html>'),
                ('GET', 'a/b/d'): ConnectionError('[Errno 111] Connection refused')})[0]
    with pytest.raises(_client.APIError, match="HTTP 200 with a body that is not JSON: '<html>login</html>'"):
        api.get('a/b/c')
    with pytest.raises(_client.APIError, match=r'GET https://fw.example:8443/api/a/b/d failed: Connection refused'):
        api.get('a/b/d')


def test_save():
    api, session = make({
        ('POST', 'interfaces/vlan_settings/add_item'): Response(body={'result': 'saved', 'uuid': 'u1'}),
        ('POST', 'interfaces/vlan_settings/set_item/u1'): Response(body={
            'result': 'failed', 'validations': {'vlan.tag': 'Invalid integer value.',
                                                'vlan.if': ['A value is required.', 'Option [x] not in list.']}}),
        ('POST', 'interfaces/vlan_settings/del_item/u1'): Response(body={'result': 'deleted'}),
        ('POST', 'interfaces/vlan_settings/del_item/u2'): Response(body={'result': 'not found'}),
    })
    assert api.save('interfaces/vlan_settings/add_item', {'vlan': {'tag': '10'}}, 'create VLAN 10')['uuid'] == 'u1'
    assert session.calls[0][2] == {'vlan': {'tag': '10'}}
    with pytest.raises(_client.APIError) as caught:
        api.save('interfaces/vlan_settings/set_item/u1', {}, 'update VLAN 10')
    assert str(caught.value) == ('update VLAN 10 was refused by the firewall '
                                 '(POST interfaces/vlan_settings/set_item/u1): '
                                 'vlan.if: A value is required. / Option [x] not in list.; '
                                 'vlan.tag: Invalid integer value.')
    assert caught.value.validations['vlan.tag'] == 'Invalid integer value.'
    assert api.save('interfaces/vlan_settings/del_item/u1', {}, 'delete')['result'] == 'deleted'
    with pytest.raises(_client.APIError, match="delete VLAN failed .*'not found'"):
        api.save('interfaces/vlan_settings/del_item/u2', {}, 'delete VLAN')


def test_rows_and_actions():
    api = make({('GET', 'x/y/search'): Response(body={'rows': [{'uuid': 'a'}], 'rowCount': 1}),
                ('GET', 'x/y/bad'): Response(body=[]),
                ('POST', 'firewall/filter/apply'): Response(body={'status': 'OK\n\n'}),
                ('POST', 'x/service/reconfigure'): Response(body={'status': 'failed'}),
                ('POST', 'ids/service/reconfigure'): Response(body={'status': 'error installing ids rules (x)'})})[0]
    assert api.rows('x/y/search') == [{'uuid': 'a'}]
    with pytest.raises(_client.APIError, match=r'expected \{"rows": \[...\]\}'):
        api.rows('x/y/bad')
    assert api.action('firewall/filter/apply')['status'] == 'OK\n\n'
    for path in ('x/service/reconfigure', 'ids/service/reconfigure'):
        with pytest.raises(_client.APIError, match='the service call answered'):
            api.action(path)
    assert [c[0] for c in api.calls] == ['GET', 'GET', 'POST', 'POST', 'POST']


@pytest.mark.parametrize('text, parts', [('26.7.2', (26, 7, 2)), ('25.7', (25, 7)), ('26.7_4', (26, 7, 4)),
                                         ('26.7.r2', (26, 7)), ('unknown', ()), (None, ())])
def test_version_tuple(text, parts):
    assert _client.version_tuple(text) == parts


def test_url_must_be_http():
    with pytest.raises(_client.APIError, match="url: expected https://<address>"):
        _client.Client('10.0.1.1', 'k', 's', session=Session({}))


# ------------------------------------------------------------------------------------------- runner

class Exit(Exception):
    pass


class Module:
    def __init__(self, check_mode=False, params=None):
        self.check_mode, self.params = check_mode, params or {}

    def fail_json(self, **kwargs):
        raise Exit(('fail', kwargs))


ROWS = {('GET', 'interfaces/vlan_settings/search_item'): Response(body={'rows': [
    {'uuid': 'u1', 'if': 'ixl0', 'tag': '10', 'descr': 'homelab: old', 'vlanif': 'vlan01'}]}),
    ('POST', 'interfaces/vlan_settings/add_item'): Response(body={'result': 'saved', 'uuid': 'u2'}),
    ('POST', 'interfaces/vlan_settings/set_item/u1'): Response(body={'result': 'saved'}),
    ('POST', 'interfaces/vlan_settings/reconfigure'): Response(body={'status': 'ok'})}
ITEMS = [{'parent': 'ixl0', 'tag': 10, 'description': 'homelab: trusted'}, {'parent': 'ixl0', 'tag': 20}]


def test_run_writes_and_activates_once():
    api, session = make(dict(ROWS))
    run = runner.Run(Module(), api)
    run.sync(KINDS['vlan'], ITEMS)
    run.activate()
    run.activate()  # nothing left: no second reconfigure
    assert [c[1] for c in session.calls if c[0] == 'POST'] == [
        'interfaces/vlan_settings/set_item/u1', 'interfaces/vlan_settings/add_item',
        'interfaces/vlan_settings/reconfigure']
    result = run.result()
    assert result['changed'] and result['activated'] == ['interfaces/vlan_settings/reconfigure']
    assert result['changes'] == ['update VLAN 10 on ixl0: descr', 'create VLAN 20 on ixl0']
    assert result['diff']['before'] == {'VLAN 10 on ixl0': {'descr': 'homelab: old'}}


def test_check_mode_only_reads():
    api, session = make(dict(ROWS))
    run = runner.Run(Module(check_mode=True), api)
    run.sync(KINDS['vlan'], ITEMS)
    run.activate()
    assert [c[0] for c in session.calls] == ['GET']
    result = run.result()
    assert result['changed'] and result['activated'] == [] and result['services'] == [
        'interfaces/vlan_settings/reconfigure']
    assert run.confirm(5) is None


def test_a_refusal_says_what_was_saved_and_not_applied():
    answers = dict(ROWS)
    answers[('POST', 'interfaces/vlan_settings/add_item')] = Response(body={
        'result': 'failed', 'validations': {'vlan.if': 'Option [ixl0] not in list.'}})
    api, session = make(answers)
    run = runner.Run(Module(), api)
    with pytest.raises(Exit) as caught:
        run.sync(KINDS['vlan'], ITEMS)
    kind, result = caught.value.args[0]
    assert kind == 'fail' and result['changed'] is True
    assert 'create VLAN 20 on ixl0 was refused by the firewall' in result['msg']
    assert result['msg'].endswith('not yet activated (the next run or Apply in the web UI activates them): '
                                  'update VLAN 10 on ixl0: descr')
    assert not any('reconfigure' in c[1] for c in session.calls)


def test_confirm(monkeypatch):
    api, _session = make(dict(ROWS))
    run = runner.Run(Module(), api)
    run.sync(KINDS['vlan'], ITEMS)
    run.activate()
    monkeypatch.setattr(api, 'probe', lambda: (True, ''))
    assert run.confirm(5) >= 0
    monkeypatch.setattr(api, 'probe', lambda: (False, 'Connection refused (ConnectionError)'))
    monkeypatch.setattr(runner.time, 'sleep', lambda s: None)
    clock = iter(range(0, 1000, 2))
    monkeypatch.setattr(runner.time, 'monotonic', lambda: next(clock))
    with pytest.raises(Exit) as caught:
        run.confirm(5, backup_path='keeper:/var/backups/opnsense/config-gate.xml')
    result = caught.value.args[0][1]
    assert result['lockout'] is True and result['changed'] is True
    message = result['msg']
    assert message.startswith('The management address https://fw.example:8443 stopped answering after '
                              'interfaces/vlan_settings/reconfigure (last error: Connection refused')
    for step in ('"8) Shell"', '"pfctl -d"', '"13) Restore a backup"', '"pfctl -e"',
                 'keeper:/var/backups/opnsense/config-gate.xml (on the backup host)'):
        assert step in message


def test_restore_steps_without_a_backup():
    assert 'no backup was given to this module' in runner.restore_steps('https://fw', None, '2026-01-01 00:00:00')


def test_spec_keeps_secrets_out_of_logs():
    spec = runner.spec(extra={'type': 'str'})
    assert spec['api_secret']['no_log'] and spec['api_key']['no_log'] and 'extra' in spec
    assert spec['url']['fallback'][1] == ['OPNSENSE_URL']
