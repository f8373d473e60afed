"""The TrueNAS double refuses what the real API refuses, in the real error shapes (lab/doubles/truenas*.py)."""

import os
import sys
import threading

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._truenas.rpc import CallFailed
from ansible_collections.homelab.cluster.plugins.module_utils._truenas.rpc import Transport
from ansible_collections.homelab.cluster.plugins.module_utils._truenas.session import Session

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'plugins', 'modules'))
from truenas_double import KEY  # noqa: E402
from truenas_double import USER  # noqa: E402
from truenas_double import Running  # noqa: E402


@pytest.fixture
def nas(request):
    running = Running(getattr(request, 'param', '25.10.5'))
    yield running
    running.stop()


def login(nas):
    return Session(nas.url, USER, KEY).open()


def refused(call):
    with pytest.raises(CallFailed) as info:
        call()
    return info.value


@pytest.mark.parametrize('payload,attribute,message', [
    ({'name': 'tank/x', 'colour': 'red'}, 'data.colour', 'Extra inputs are not permitted'),
    ({}, 'data.name', 'Field required'),
    ({'name': 7}, 'data.name', 'Input should be a valid string'),
    ({'name': 'tank/x', 'atime': 'YES'}, 'data.atime', "Input should be 'ON', 'OFF' or 'INHERIT'"),
    ({'name': 'tank/x', 'compression': 'lz4'}, 'data.compression', "Input should be 'ON', 'OFF', 'LZ4'"),
    ({'name': 'tank/x', 'quota': 5}, 'data.quota', 'Input should be greater than or equal to 1073741824'),
    ({'name': 'tank/x', 'create_ancestors': 'perhaps'}, 'data.create_ancestors', 'Input should be a valid boolean'),
])
def test_invalid_params_in_the_middleware_shape(nas, payload, attribute, message):
    error = refused(lambda: login(nas).call('pool.dataset.create', payload))
    assert error.code == -32602 and error.errname == 'EINVAL'
    assert [attribute, error.extra[0][1][:len(message)], 22] == [attribute, message, 22]
    assert error.extra[0][0] == attribute and error.reason.startswith('[EINVAL] %s: ' % attribute)


def test_too_many_arguments(nas):
    error = refused(lambda: login(nas).call('system.version_short', 1))
    assert error.extra[0][:2] == ['', 'Too many arguments (expected 0, found 1)']


def test_unknown_method_and_unauthenticated_call(nas):
    transport = Transport(nas.url)
    transport.connect()
    error = refused(lambda: transport.request('pool.frobnicate', []))
    assert error.code == -32601 and 'no such method' in str(error)
    error = refused(lambda: transport.request('pool.query', []))
    expected = (-32001, 'ENOTAUTHENTICATED', '[ENOTAUTHENTICATED] Not authenticated')
    assert (error.code, error.errname, error.reason) == expected


@pytest.mark.parametrize('nas', ['25.04'], indirect=True)
def test_2504_took_lower_case_enums(nas):
    session = login(nas)
    session.job('pool.create', {'name': 'tank', 'topology': {'data': [{'type': 'MIRROR', 'disks': ['sda', 'sdb']}]}})
    entry = session.call('pool.dataset.create', {'name': 'tank/x', 'compression': 'zstd', 'atime': 'off'})
    assert entry['compression']['rawvalue'] == 'zstd'
    assert refused(lambda: session.call('pool.snapshot.query')).code == -32601  # 25.10's name
    assert session.call('zfs.snapshot.query') == []


def test_smb_purpose_needs_options_on_2510(nas):
    session = login(nas)
    share = {'name': 'x', 'path': '/mnt/x', 'purpose': 'DEFAULT_SHARE'}
    error = refused(lambda: session.call('sharing.smb.create', share))
    assert 'You must set `options` if you set `purpose`' in str(error)
    share = {'name': 'x', 'path': '/mnt/x', 'purpose': 'NO_PRESET', 'options': None}
    error = refused(lambda: session.call('sharing.smb.create', share))
    assert "data.purpose: Input should be 'DEFAULT_SHARE'" in str(error)


def test_method_checks_after_the_schema(nas):
    session = login(nas)
    session.job('pool.create', {'name': 'tank', 'topology': {'data': [{'type': 'MIRROR', 'disks': ['sda', 'sdb']}]}})
    assert 'You need a full name' in str(refused(lambda: session.call('pool.dataset.create', {'name': 'tank'})))
    session.call('pool.dataset.create', {'name': 'tank/x'})
    again = refused(lambda: session.call('pool.dataset.create', {'name': 'tank/x'}))
    assert 'Path /mnt/tank/x already exists' in str(again)
    error = refused(lambda: session.job('pool.create', {'name': 'other', 'topology': {
        'data': [{'type': 'MIRROR', 'disks': ['sda', 'sdc']}]}}))
    assert 'job' in str(error) and 'The following disks are already in use: sda.' in str(error)


def test_pool_create_itself_takes_disks_that_hold_data(nas):
    """The real job formats an exported pool's disks: the module's check is what protects them."""
    session = login(nas)
    session.job('pool.create', {'name': 'tank', 'topology': {'data': [{'type': 'MIRROR', 'disks': ['sde', 'sdf']}]}})
    assert [d['exported_zpool'] for d in nas.state['disks'] if d['name'] == 'sde'] == [None]


def test_rate_limit_after_twenty_unauthenticated_calls(nas):
    transport = Transport(nas.url)
    transport.connect()
    for _call in range(20):
        transport.request('auth.mechanism_choices', [])
    error = refused(lambda: transport.request('auth.mechanism_choices', []))
    assert (error.errname, error.reason) == ('EBUSY', '[EBUSY] Rate Limit Exceeded')
    with pytest.raises(Exception, match='throttles this address'):
        Session(nas.url, USER, KEY, rate_limit_wait=0).open()


@pytest.mark.parametrize('nas', ['26.0'], indirect=True)
def test_scram_bad_proof_counts_as_a_failed_login(nas):
    with pytest.raises(Exception, match='refused'):
        Session(nas.url, USER, KEY[:-1] + 'X').open()
    assert nas.counters['failed_logins'] == 1 and nas.counters['key_logins'] == 0
    assert Session(nas.url, USER, KEY).open().mechanism == 'SCRAM'


def test_jobs_are_polled_while_they_run(nas):
    nas.double.nas.job_seconds = 0.4
    session = login(nas)
    job_id = session.call('pool.create', {'name': 'tank', 'topology': {'data': [{'type': 'STRIPE', 'disks': ['sda']}]}})
    running = session.call('core.get_jobs', [['id', '=', job_id]])[0]
    assert running['state'] == 'RUNNING' and running['method'] == 'pool.create'
    assert session.wait_job(job_id, 'pool.create', 10)['name'] == 'tank'


def test_concurrent_sessions_are_independent(nas):
    results = []

    def one():
        results.append(login(nas).call('system.version_short'))
    threads = [threading.Thread(target=one) for _index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ['25.10.5'] * 4
