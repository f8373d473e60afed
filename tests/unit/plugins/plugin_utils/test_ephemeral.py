"""Would a file on the controller outlive the run (issue 22): every rule, and the filter around it."""

import pytest

from ansible_collections.homelab.cluster.plugins.filter.ephemeral_path import ephemeral_path
from ansible_collections.homelab.cluster.plugins.plugin_utils._ephemeral import EphemeralError
from ansible_collections.homelab.cluster.plugins.plugin_utils._ephemeral import ephemeral

EE = {'AWX_ISOLATED_DATA_DIR': '/runner/artifacts/42'}
RUNNER = {'AWX_ISOLATED_DATA_DIR': '/srv/jobs/pdd-7/artifacts/7'}
AWX = {'JOB_ID': '42', 'AWX_HOST': 'https://awx.example'}

CASES = [
    # (id, path, environ, the words each reason must carry, in order)
    ('a workstation home', '/home/me/vault-init.age', {}, []),
    ('/tmp', '/tmp/vault-init.age', {}, ['/tmp, a temporary directory']),
    ('/tmp itself', '/tmp', {}, ['/tmp, a temporary directory']),
    ('not /tmpfoo', '/tmpfoo/init.age', {}, []),
    ('/var/tmp', '/var/tmp/x/y', {}, ['/var/tmp, a temporary directory']),
    ('/dev/shm', '/dev/shm/k', {}, ['/dev/shm']),
    ('/run', '/run/user/1000/k', {}, ['/run, a temporary']),
    ('TMPDIR', '/scratch/me/k', {'TMPDIR': '/scratch/me/'}, ['/scratch/me, a temporary']),
    ('a relative TMPDIR is ignored', '/scratch/me/k', {'TMPDIR': 'scratch'}, []),
    ('an execution environment: any path', '/home/runner/keep/k', EE, ['execution environment']),
    ('an EE and /tmp', '/tmp/k', EE, ['execution environment', '/tmp, a temporary']),
    ('runner without a container: inside its private data dir', '/srv/jobs/pdd-7/project/k', RUNNER,
     ["ansible-runner's private data dir /srv/jobs/pdd-7"]),
    ('runner without a container: outside it', '/srv/keys/k', RUNNER, []),
    ('an AWX job outside an EE', '/var/lib/awx/k', AWX, ['an AWX job (JOB_ID=42)']),
    ('JOB_ID alone is not AWX', '/var/lib/k', {'JOB_ID': '42'}, []),
    ('/runner without the variable', '/runner/project/k', {}, ['under /runner']),
    ('a plain container or pod is not enough', '/data/k', {'KUBERNETES_SERVICE_HOST': '10.96.0.1'}, []),
    ('normalised', '/home/../tmp/./k', {}, ['/tmp/k is in /tmp']),
]


@pytest.mark.parametrize('path,environ,words', [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rules(path, environ, words):
    reasons = ephemeral(path, environ)
    assert len(reasons) == len(words), reasons
    for reason, word in zip(reasons, words):
        assert word in reason


@pytest.mark.parametrize('path,environ,message', [
    ('relative/k', {}, "path: expected an absolute path, got 'relative/k'"),
    (None, {}, 'path: expected an absolute path, got None'),
    ('/k', ['AWX'], "environ: expected a mapping"),
])
def test_bad_input(path, environ, message):
    with pytest.raises(EphemeralError, match=message):
        ephemeral(path, environ)


def test_filter_reads_the_environment(monkeypatch, tmp_path):
    for name in ('AWX_ISOLATED_DATA_DIR', 'JOB_ID', 'AWX_HOST', 'TOWER_HOST', 'KUBERNETES_SERVICE_HOST', 'TMPDIR'):
        monkeypatch.delenv(name, raising=False)
    keep = tmp_path / 'keep'
    monkeypatch.setenv('HOME', str(keep))
    result = ephemeral_path('~/vault-init.age')
    assert result['path'] == str(keep / 'vault-init.age')
    # pytest's tmp_path is under /tmp: the filter says so
    assert result['ephemeral'] is str(tmp_path).startswith('/tmp/')
    monkeypatch.setenv('AWX_ISOLATED_DATA_DIR', '/runner/artifacts/1')
    result = ephemeral_path('/srv/keep/init.age')
    assert result == {'path': '/srv/keep/init.age', 'ephemeral': True, 'reasons': result['reasons']}
    assert 'execution environment' in result['reasons'][0]


def test_filter_resolves_symlinks(monkeypatch, tmp_path):
    for name in ('AWX_ISOLATED_DATA_DIR', 'JOB_ID', 'KUBERNETES_SERVICE_HOST', 'TMPDIR'):
        monkeypatch.delenv(name, raising=False)
    link = tmp_path / 'keys'
    link.symlink_to('/dev/shm')
    result = ephemeral_path(str(link / 'init.age'))
    assert result['path'] == '/dev/shm/init.age'
    assert any('/dev/shm, a temporary directory' in reason for reason in result['reasons'])
