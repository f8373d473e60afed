"""The transport and the session against a scripted fake websocket (no network): login choice, never two key
logins, reconnect once with the token, recheck of interrupted creates, jobs, the rate-limit wait."""

import json

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._truenas import rpc
from ansible_collections.homelab.cluster.plugins.module_utils._truenas import session as sessions

KEY = '5-Secret123'


class Dropped(Exception):
    pass


class Fake:
    """A server: handlers by method; `drops` = methods whose next call loses the connection."""

    def __init__(self, mechanisms=('API_KEY_PLAIN',), version='25.10.5'):
        self.calls, self.drops, self.refuse_connect = [], [], False
        self.connections = 0
        self.results = {'auth.mechanism_choices': list(mechanisms), 'system.version_short': version,
                        'auth.generate_token': 'tok', 'auth.login_ex': {'response_type': 'SUCCESS'},
                        'auth.login_with_token': True}
        self.errors = {}

    def connector(self, _transport):
        if self.refuse_connect:
            raise OSError('Connection refused')
        self.connections += 1
        return Socket(self)

    def answer(self, message):
        method, params = message['method'], message['params']
        self.calls.append((method, params))
        if method in self.drops:
            self.drops.remove(method)
            raise Dropped()
        if method in self.errors:
            error = self.errors[method]
            return {'jsonrpc': '2.0', 'id': message['id'], 'error': error(params) if callable(error) else error}
        result = self.results.get(method)
        if callable(result):
            result = result(params)
        return {'jsonrpc': '2.0', 'id': message['id'], 'result': result}

    def count(self, method):
        return sum(1 for m, _p in self.calls if m == method)


class Socket:
    def __init__(self, server):
        self.server, self.pending = server, []

    def send(self, text):
        message = json.loads(text)
        self.pending.append({'jsonrpc': '2.0', 'method': 'collection_update', 'params': {}})  # noise to skip
        try:
            self.pending.append(self.server.answer(message))
        except Dropped:
            self.pending.append(Dropped)

    def recv(self):
        item = self.pending.pop(0)
        if item is Dropped:
            raise ConnectionResetError('reset by peer')
        return json.dumps(item)

    def close(self):
        pass


def session(fake, url='wss://nas.lab', **kwargs):
    sleeps = []
    kwargs.setdefault('sleep', sleeps.append)
    made = sessions.Session(url, 'ansible', KEY, connector=fake.connector, **kwargs)
    made.sleeps = sleeps
    return made


def call_error(errname, reason, code=-32001, extra=None):
    return {'code': code, 'message': 'Method call error',
            'data': {'error': 22, 'errname': errname, 'reason': reason, 'extra': extra}}


@pytest.mark.parametrize('url,expected', [
    ('nas.lab', 'wss://nas.lab/api/current'), ('https://nas.lab', 'wss://nas.lab/api/current'),
    ('wss://nas.lab:8443/api/current/', 'wss://nas.lab:8443/api/current'), ('http://10.0.0.1/api', 'ws://10.0.0.1/api/current'),
    ('wss://nas.lab/api/v25.10.0', 'wss://nas.lab/api/v25.10.0'),
])
def test_normalise_url(url, expected):
    assert rpc.normalise_url(url) == expected


@pytest.mark.parametrize('url,match', [('', 'empty'), ('ftp://nas', 'expected wss://'),
                                       ('wss://nas/websocket', 'legacy protocol')])
def test_normalise_url_refuses(url, match):
    with pytest.raises(rpc.TrueNASError, match=match):
        rpc.normalise_url(url)


def test_describe_error_shapes():
    error = rpc.describe_error('pool.dataset.create', {'code': -32602, 'message': 'Invalid params', 'data': {
        'error': 22, 'errname': 'EINVAL', 'reason': '[EINVAL] data.x: Extra inputs are not permitted\n',
        'extra': [['data.x', 'Extra inputs are not permitted', 22]]}})
    assert str(error) == 'pool.dataset.create refused: data.x: Extra inputs are not permitted'
    assert (error.errname, error.code) == ('EINVAL', -32602)
    error = rpc.describe_error('pool.query', call_error('ENOENT', '[ENOENT] gone'))
    assert str(error) == 'pool.query failed: [ENOENT] gone'
    assert 'no such method' in str(rpc.describe_error('x.y', {'code': -32601, 'message': 'Method does not exist'}))


def test_plain_login_then_version_and_reconnect_token():
    fake = Fake()
    made = session(fake).open()
    assert made.mechanism == 'API_KEY_PLAIN' and made.version == (25, 10) and made.stats['key_logins'] == 1
    login = [p for m, p in fake.calls if m == 'auth.login_ex'][0][0]
    assert login == {'mechanism': 'API_KEY_PLAIN', 'username': 'ansible', 'api_key': KEY}
    assert ('auth.generate_token', [600, {}, True, True]) in fake.calls


def test_the_2510_mechanism_bug_means_plain():
    fake = Fake()
    fake.errors['auth.mechanism_choices'] = call_error(
        'EINVAL', "[EINVAL] 'NoneType' object has no attribute 'may_create_auth_token'")
    assert session(fake).open().mechanism == 'API_KEY_PLAIN'


def test_plain_key_is_not_sent_in_clear_text_over_the_network():
    with pytest.raises(sessions.LoginFailed, match='refusing to send the API key in clear text'):
        session(Fake(), url='ws://nas.lab').open()
    assert session(Fake(), url='ws://127.0.0.1:18400').open().mechanism == 'API_KEY_PLAIN'


@pytest.mark.parametrize('answer,match', [
    ({'response_type': 'AUTH_ERR'}, 'lock an account; this module never retries'),
    ({'response_type': 'EXPIRED'}, 'has expired'),
    ({'response_type': 'OTP_REQUIRED', 'username': 'ansible'}, 'one-time password'),
    ({'response_type': 'REDIRECT', 'urls': ['wss://b']}, 'active controller: wss://b'),
])
def test_refused_login_is_never_retried(answer, match):
    fake = Fake()
    fake.results['auth.login_ex'] = answer
    with pytest.raises(sessions.LoginFailed, match=match):
        session(fake).open()
    assert fake.count('auth.login_ex') == 1


def test_throttled_login_waits_once_then_says_why():
    fake = Fake()
    fake.errors['auth.login_ex'] = call_error('EBUSY', '[EBUSY] Rate Limit Exceeded')
    made = session(fake)
    with pytest.raises(sessions.LoginFailed, match='throttles this address'):
        made.open()
    assert fake.count('auth.login_ex') == 2 and made.sleeps == [65]


def test_throttle_passes_after_the_wait():
    fake = Fake()
    answers = [call_error('EBUSY', '[EBUSY] Rate Limit Exceeded')]
    fake.errors['auth.mechanism_choices'] = lambda _params: answers.pop()
    made = session(fake)
    original = fake.answer

    def once(message):  # throttled the first time only
        if message['method'] == 'auth.mechanism_choices' and not answers:
            fake.errors.pop('auth.mechanism_choices', None)
        return original(message)
    fake.answer = once
    made.open()
    assert made.sleeps == [65] and fake.count('auth.mechanism_choices') == 2
    assert 'throttled auth.mechanism_choices' in made.warnings[0]


def test_token_login_skips_the_key():
    fake = Fake()
    made = session(fake, token='multi').open()  # noqa: S106 - a test token
    assert (made.mechanism, made.stats['key_logins'], made.stats['token_logins']) == ('TOKEN_PLAIN', 0, 1)
    assert fake.count('auth.login_ex') == 0 and fake.count('auth.mechanism_choices') == 0


def test_refused_token_falls_back_to_the_key():
    fake = Fake()
    fake.results['auth.login_with_token'] = False
    made = session(fake, token='stale').open()  # noqa: S106 - a test token
    assert made.mechanism == 'API_KEY_PLAIN' and made.stats['key_logins'] == 1 and 'refused' in made.warnings[0]


def test_reconnect_once_with_the_token_and_repeat_a_read():
    fake = Fake()
    fake.results['pool.query'] = [{'name': 'tank'}]
    made = session(fake).open()
    fake.drops.append('pool.query')
    assert made.call('pool.query') == [{'name': 'tank'}]
    assert made.stats == {'key_logins': 1, 'token_logins': 1, 'reconnects': 1, 'calls': made.stats['calls']}
    assert fake.connections == 2 and fake.calls[-2][0] == 'auth.login_ex'
    assert fake.calls[-2][1] == [{'mechanism': 'TOKEN_PLAIN', 'token': 'tok'}]


def test_an_interrupted_create_is_not_sent_twice_when_it_happened():
    fake = Fake()
    fake.results['pool.dataset.create'] = {'id': 'tank/a'}
    made = session(fake).open()
    fake.drops.append('pool.dataset.create')
    found = made.call('pool.dataset.create', {'name': 'tank/a'}, recheck=lambda: {'id': 'tank/a', 'found': True})
    assert found == {'id': 'tank/a', 'found': True} and fake.count('pool.dataset.create') == 1


def test_an_interrupted_create_that_did_not_happen_is_sent_again():
    fake = Fake()
    fake.results['pool.dataset.create'] = {'id': 'tank/a'}
    made = session(fake).open()
    fake.drops.append('pool.dataset.create')
    assert made.call('pool.dataset.create', {'name': 'tank/a'}, recheck=lambda: None) == {'id': 'tank/a'}
    assert fake.count('pool.dataset.create') == 2


def test_an_unsafe_call_without_recheck_is_not_repeated():
    fake = Fake()
    made = session(fake).open()
    fake.drops.append('pool.scrub.create')
    with pytest.raises(rpc.ConnectionLost, match='was not repeated because it may already have been applied'):
        made.call('pool.scrub.create', {}, safe=False)


def test_a_second_drop_ends_the_run():
    fake = Fake()
    made = session(fake).open()
    fake.drops.extend(['pool.query', 'pool.query'])
    with pytest.raises(rpc.ConnectionLost, match='already reconnected once'):
        made.call('pool.query')


def test_no_way_back_is_reported():
    fake = Fake()
    made = session(fake).open()
    fake.drops.append('pool.query')
    fake.refuse_connect = True
    with pytest.raises(rpc.ConnectionLost, match='pool.query: .*reconnecting failed: cannot connect'):
        made.call('pool.query')


def test_job_success_after_polling():
    fake = Fake()
    states = ['RUNNING', 'RUNNING', 'SUCCESS']
    fake.results['pool.create'] = 41
    fake.results['core.get_jobs'] = lambda _p: [{'id': 41, 'state': states.pop(0), 'result': {'name': 'tank'},
                                                 'progress': {'percent': 50}}]
    made = session(fake).open()
    assert made.job('pool.create', {}) == {'name': 'tank'} and made.sleeps == [0.2, 0.4]


def test_job_failure_carries_the_validation_details():
    fake = Fake()
    fake.results['pool.create'] = 7
    fake.results['core.get_jobs'] = [{'id': 7, 'state': 'FAILED', 'error': '[EINVAL] pool_create.topology: bad',
                                      'exc_info': {'extra': [['pool_create.topology', 'disks in use', 22]]}}]
    with pytest.raises(rpc.CallFailed, match='pool.create: job 7 FAILED: pool_create.topology: disks in use'):
        session(fake).open().job('pool.create', {})


def test_job_timeout_says_it_goes_on():
    fake = Fake()
    fake.results['pool.create'] = 9
    progress = {'percent': 10, 'description': 'formatting'}
    fake.results['core.get_jobs'] = [{'id': 9, 'state': 'RUNNING', 'progress': progress}]
    ticks = iter(range(0, 10000, 100))
    made = session(fake, clock=lambda: next(ticks), job_timeout=250)
    with pytest.raises(rpc.TrueNASError, match='job 9 still RUNNING \\(10% formatting\\) after 250s; it goes on'):
        made.open().job('pool.create', {})


def test_scram_needs_a_well_formed_key():
    fake = Fake(mechanisms=('API_KEY_PLAIN', 'SCRAM'))
    made = sessions.Session('wss://nas.lab', 'ansible', 'not-a-key!', connector=fake.connector)
    with pytest.raises(Exception, match='<id>-<letters and digits>'):
        made.open()
    assert fake.count('auth.login_ex') == 0


def test_a_missing_ca_file_is_named(tmp_path):
    transport = rpc.Transport('wss://nas.lab', ca_path=str(tmp_path / 'nope.pem'))
    with pytest.raises(rpc.TrueNASError, match='ca_path .*nope.pem: no such file'):
        transport.connect()
