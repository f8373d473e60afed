"""vault_config against an in-memory OpenBao API (the shapes of /v1/sys/mounts, sys/auth, sys/policies/acl and
auth/approle/role as OpenBao 2.x answers them): check mode writes nothing and reports the same changes and diff
that a real run then makes; a second run changes nothing."""

import io
import json
import urllib.error

import pytest

from ansible_collections.homelab.cluster.plugins.modules import vault_config

TOKEN = 'hvs.TestOnlyRootTokenAAAAAAAAAAAA'  # noqa: S105  (a stand-in, never a real token)
URL = 'https://vault-nas.lab:8200'


class FakeBao:
    """The server's state and every request it got; answers 404 like the real API for what is not there."""

    def __init__(self, mounts=None, auth=None, policies=None, roles=None):
        self.mounts = {'secret/': {'type': 'kv', 'options': {'version': '2'}}, 'sys/': {'type': 'system'},
                       **(mounts or {})}
        self.auth = {'token/': {'type': 'token'}, **(auth or {})}
        self.policies = dict(policies or {})
        self.roles = dict(roles or {})
        self.requests = []

    def __call__(self, url, method='GET', data=None, headers=None, **kwargs):
        assert headers['X-Vault-Token'] == TOKEN
        path = url.split('/v1/', 1)[1]
        body = json.loads(data) if data else None
        self.requests.append((method, path, body))
        if method == 'GET':
            return io.BytesIO(json.dumps(self.get(path, url)).encode())
        if path.startswith('sys/mounts/') and path.endswith('/tune'):
            self.mounts[path[len('sys/mounts/'):-len('/tune')] + '/']['options'] = body['options']
        elif path.startswith('sys/mounts/'):
            self.mounts[path[len('sys/mounts/'):] + '/'] = {'type': body['type'], 'options': body['options']}
        elif path == 'sys/auth/approle':
            self.auth['approle/'] = {'type': 'approle'}
        elif path.startswith('sys/policies/acl/'):
            self.policies[path.rsplit('/', 1)[1]] = body['policy']
        elif path.startswith('auth/approle/role/'):
            name = path.rsplit('/', 1)[1]
            role = dict(self.roles.get(name) or {}, **body)
            self.roles[name] = {k: (seconds(v) if k.endswith('_ttl') else v) for k, v in role.items()}
        return io.BytesIO(b'')

    def get(self, path, url):
        if path == 'sys/mounts':
            return {'data': self.mounts}
        if path == 'sys/auth':
            return {'data': self.auth}
        name = path.rsplit('/', 1)[1]
        if path.startswith('sys/policies/acl/') and name in self.policies:
            return {'data': {'name': name, 'policy': self.policies[name]}}
        if path.startswith('auth/approle/role/') and name in self.roles:
            return {'data': self.roles[name]}
        raise urllib.error.HTTPError(url, 404, 'Not Found', {}, io.BytesIO(b'{"errors":[]}'))

    def writes(self):
        return [r for r in self.requests if r[0] != 'GET']


def seconds(value):
    return {'1h': 3600, '4h': 14400, '0': 0}.get(value, value) if isinstance(value, str) else value


@pytest.fixture
def bao(monkeypatch):
    def make(**state):
        server = FakeBao(**state)
        monkeypatch.setattr(vault_config, 'open_url', server)
        return server
    return make


ARGS = {'url': URL, 'token': TOKEN, 'kv_mounts': [{'path': 'kv', 'description': 'homelab secrets'}],
        'approle_groups': ['compute'], '_ansible_diff': True}
CHANGES = ['create kv mount kv', 'enable auth approle', 'write policy homelab-compute',
           'write policy homelab-issuer', 'create approle homelab-compute']


def test_check_mode_on_a_fresh_server_reports_everything_and_writes_nothing(bao, run_module):
    server = bao()
    result = run_module(vault_config.main, ARGS, check_mode=True)
    assert (result['changed'], result['changes'], result['approles']) == (True, CHANGES, ['homelab-compute'])
    assert server.writes() == []
    assert [r[1] for r in server.requests] == ['sys/mounts', 'sys/auth', 'sys/policies/acl/homelab-compute',
                                               'sys/policies/acl/homelab-issuer']
    after = json.loads(result['diff']['after'])
    assert json.loads(result['diff']['before']) == {'approle homelab-compute': {
        'secret_id_ttl': None, 'token_max_ttl': None, 'token_policies': None, 'token_ttl': None},
        'policy homelab-compute': '', 'policy homelab-issuer': ''}
    assert after['approle homelab-compute'] == {'secret_id_ttl': '0', 'token_max_ttl': '4h',
                                                'token_policies': ['homelab-compute'], 'token_ttl': '1h'}
    assert after['policy homelab-compute'].startswith('# homelab.cluster: hosts of inventory group compute read')
    assert 'path "kv/data/compute/*" {' in after['policy homelab-compute']
    # the issuer may enrol hosts into the group's AppRole, nothing more (issue 23)
    assert 'auth/approle/role/homelab-compute/secret-id' in after['policy homelab-issuer']
    assert TOKEN not in json.dumps(result)


def test_the_real_run_makes_exactly_what_check_mode_said_then_nothing(bao, run_module):
    server = bao()
    check = run_module(vault_config.main, ARGS, check_mode=True)
    result = run_module(vault_config.main, ARGS)
    assert (result['changes'], result['diff']) == (check['changes'], check['diff'])
    assert [(m, p) for m, p, _b in server.writes()] == [
        ('POST', 'sys/mounts/kv'), ('POST', 'sys/auth/approle'), ('PUT', 'sys/policies/acl/homelab-compute'),
        ('PUT', 'sys/policies/acl/homelab-issuer'), ('POST', 'auth/approle/role/homelab-compute')]
    assert server.mounts['kv/'] == {'type': 'kv', 'options': {'version': '2'}}
    del server.requests[:]
    again = run_module(vault_config.main, ARGS)
    assert (again['changed'], again['changes'], server.writes()) == (False, [], [])
    assert (again['diff']['before'], again['diff']['after']) == ('{}\n', '{}\n')
    checked = run_module(vault_config.main, ARGS, check_mode=True)
    assert (checked['changed'], server.writes()) == (False, [])


def test_equal_in_substance_is_no_change(bao, run_module):
    """A policy differing only in trailing blanks, TTLs the server reports in seconds, policies in another order."""
    policies = vault_config.approles_for_groups(['compute'], 'kv')['policies']
    server = bao(mounts={'kv/': {'type': 'kv', 'options': {'version': '2'}}}, auth={'approle/': {'type': 'approle'}},
                 policies={name: hcl.replace('\n', '  \n') + '\n\n' for name, hcl in policies.items()},
                 roles={'homelab-compute': {'token_ttl': 3600, 'token_max_ttl': 14400, 'secret_id_ttl': 0,
                                            'token_policies': ['homelab-compute'], 'bind_secret_id': True}})
    result = run_module(vault_config.main, ARGS, check_mode=True)
    assert (result['changed'], result['changes'], server.writes()) == (False, [], [])


def test_only_what_differs_with_its_diff(bao, run_module):
    server = bao(mounts={'kv/': {'type': 'kv', 'options': {'version': '1'}}}, auth={'approle/': {'type': 'approle'}},
                 roles={'homelab-compute': {'token_ttl': 600, 'token_max_ttl': 14400, 'secret_id_ttl': 0,
                                            'token_policies': ['homelab-compute']}})
    result = run_module(vault_config.main, ARGS, check_mode=True)
    assert result['changes'] == ['upgrade kv mount kv to version 2', 'write policy homelab-compute',
                                 'write policy homelab-issuer', 'update approle homelab-compute']
    assert json.loads(result['diff']['before'])['approle homelab-compute'] == {'token_ttl': 600}
    assert json.loads(result['diff']['after'])['approle homelab-compute'] == {'token_ttl': '1h'}
    assert server.writes() == []
    run_module(vault_config.main, ARGS)
    assert server.writes()[0] == ('POST', 'sys/mounts/kv/tune', {'options': {'version': '2'}})
    assert server.writes()[-1] == ('POST', 'auth/approle/role/homelab-compute', {'token_ttl': '1h'})


@pytest.mark.parametrize('args, message', [
    ({'kv_mounts': [{'path': 'sys'}]}, 'kv_mounts: sys/ is a system mount, not kv'),
    ({'approles': {'x': {'token_type': 'batch'}}}, "approles.x: approles: 'token_type' is not an AppRole field"),
])
def test_bad_requests_fail_before_anything_is_written(bao, run_module, args, message):
    server = bao()
    result = run_module(vault_config.main, dict(ARGS, **args))
    assert result['failed'] and message in result['msg']
    assert server.writes() == []
