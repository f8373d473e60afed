"""molecule/vault/check-log, the leaked-secret gate: it finds a leak, and it cannot pass on an empty list.

gpg is replaced by a stand-in that prints the init file (or fails), so the gate's own logic is what is tested."""

import json
import os
import re
import stat
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
CHECK_LOG = os.path.join(ROOT, 'molecule', 'vault', 'check-log')
KEYS = ['k%02dUnsealKeyBase64AAAAAAAAAAAAAAAAAAAA' % i for i in range(5)]
TOKEN = 's.RootTokenOfTheTestAAAAAAAAAA'  # noqa: S105  (a stand-in, never a real token)
VALUES = {'ngc-api-key': ['ngcAAAAAAAAAAAAAAAAAAAAAAAAAAAA1', 'ngcAAAAAAAAAAAAAAAAAAAAAAAAAAAA2',
                          'ngcAAAAAAAAAAAAAAAAAAAAAAAAAAAA3'],
          'hf-token': ['hf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'], 'munge': 'mungeAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'}


def scenario(tmp_path, init=None, values=None, gpg_rc=0, unseal_log='PLAY RECAP ok=3\n'):
    """The files a vault scenario leaves: the init file (what the stand-in gpg prints), values.json, the logs."""
    test_dir = tmp_path / 'vault'
    test_dir.mkdir()
    (test_dir / 'init.json.gpg').write_text('encrypted')
    (test_dir / 'values.json').write_text(json.dumps(VALUES if values is None else values))
    if unseal_log is not None:
        (test_dir / 'unseal-playbook.log').write_text(unseal_log)
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    plain = tmp_path / 'init.json'
    plain.write_text(json.dumps({'unseal_keys_b64': KEYS, 'root_token': TOKEN, 'threshold': 3}
                                if init is None else init))
    gpg = bin_dir / 'gpg'
    fails = 'echo "gpg: decryption failed" >&2; exit %d' % gpg_rc
    gpg.write_text('#!/bin/sh\n%s\n' % ('cat %s' % plain if gpg_rc == 0 else fails))
    gpg.chmod(gpg.stat().st_mode | stat.S_IEXEC)
    return test_dir, bin_dir


def check(tmp_path, log_text, **kwargs):
    test_dir, bin_dir = scenario(tmp_path, **kwargs)
    log = tmp_path / 'molecule-vault.log'
    log.write_text(log_text)
    env = dict(os.environ, VAULT_TEST_DIR=str(test_dir), PATH='%s:%s' % (bin_dir, os.environ['PATH']))
    proc = subprocess.run([CHECK_LOG, str(log)], env=env, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_a_clean_log_passes_after_reading_every_secret(tmp_path):
    rc, out = check(tmp_path, 'TASK [Unseal] ok\n' * 40)
    assert (rc, out.strip()) == (0, 'vault: checked 11 of 11 secrets against 40 lines of output: none found')


@pytest.mark.parametrize('leak', [KEYS[3], TOKEN, VALUES['hf-token'][0], VALUES['munge']])
def test_a_leaked_secret_fails(tmp_path, leak):
    rc, out = check(tmp_path, 'ok\nmsg: %s\n' % leak)
    assert rc == 1
    assert 'vault: a secret (%s...) appears in the output' % leak[:4] in out
    assert 'vault: checked 11 of 11 secrets against 2 lines of output: FOUND' in out


def test_a_secret_in_the_unseal_playbook_output_fails(tmp_path):
    rc, _out = check(tmp_path, 'ok\n', unseal_log='unseal with %s\n' % KEYS[0])
    assert rc == 1


@pytest.mark.parametrize('kwargs, message', [
    ({'gpg_rc': 2}, 'cannot decrypt'),
    ({'init': {'root_token': TOKEN}}, 'the init file holds no unseal_keys_b64 and root_token'),
    ({'values': {'munge': 'x'}}, 'holds no ngc-api-key, hf-token and munge'),
    ({'init': {'unseal_keys_b64': KEYS[:1], 'root_token': TOKEN}},
     r'read 7 distinct secrets \(0 shorter than 16 characters\), expected 11'),
    ({'init': {'unseal_keys_b64': [''] * 5, 'root_token': ''}}, 'expected 11'),
    ({'values': dict(VALUES, munge='short')}, r'\(1 shorter than 16 characters\)'),
    ({'unseal_log': None}, 'unseal-playbook.log is missing or empty'),
])
def test_the_gate_fails_when_it_cannot_read_every_secret(tmp_path, kwargs, message):
    rc, out = check(tmp_path, 'ok\n', **kwargs)
    assert rc == 2
    assert 'vault: check-log FAILED' in out
    assert re.search(message, out), out


def test_an_empty_log_fails(tmp_path):
    rc, out = check(tmp_path, '')
    assert rc == 2 and 'molecule-vault.log is missing or empty' in out
