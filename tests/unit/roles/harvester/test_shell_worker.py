"""roles/harvester/files/harvest-worker.sh: its HMAC (sha256sum and printf, no openssl) and window arithmetic agree
with harvest_proto.py, run by /bin/sh (dash on Debian, as on the hosts without Python)."""

import os
import subprocess

import harvest_proto as proto
import pytest

SCRIPT = os.path.join(os.path.dirname(proto.__file__), 'harvest-worker.sh')


def functions():
    """The worker's function definitions, without its main program."""
    with open(SCRIPT) as handle:
        text = handle.read()
    start = text.index('now() {')
    end = text.index('# ---------------------------------------------------------------------------------------- main')
    return text[start:end]


def run_sh(body, tmp_path, env=None):
    script = tmp_path / 't.sh'
    script.write_text('set -u\nTMP=%s\n%s\n%s\n' % (tmp_path, functions(), body))
    return subprocess.run(['/bin/sh', str(script)], capture_output=True, text=True, check=True,
                          env=dict(os.environ, **(env or {}))).stdout


# the role's keys are 32 bytes (the role checks for 64 hex digits)
@pytest.mark.parametrize('key', ['00' * 32, 'ff' * 32, '0123456789abcdef' * 4, '365c' * 16])
def test_hmac_matches_python(tmp_path, key):
    (tmp_path / 'key').write_text(key + '\n')
    stamp, nonce, content = 1796083157, '00ff' * 8, proto.sha256_hex(b'{"name": "x"}')
    out = run_sh('KEY_FILE=%s/key HOST=penny\nhmac_init\nnow() { echo %d; }\nod() { echo %s; }\n'
                 'sign POST /v1/offer %s\ncat "$TMP/headers"' % (tmp_path, stamp, nonce, content), tmp_path)
    headers = dict(line.split(': ', 1) for line in out.strip().splitlines())
    raw = bytes.fromhex(key)
    assert headers['X-Harvest-Signature'] == proto.sign(raw, 'POST', '/v1/offer', 'penny', stamp, nonce, content)
    assert headers['X-Harvest-Nonce'] == nonce
    # and the officer accepts it
    guard = proto.ReplayGuard(300, 0)
    assert proto.verify({k.lower(): v for k, v in headers.items()}, 'POST', '/v1/offer', content, {'penny': raw},
                        guard, stamp) == 'penny'


@pytest.mark.parametrize('days, wd, hms, expected', [
    ('0 1 2 3 4 5 6', 1, '01 00 00', (1, 18000, None)),
    ('0 1 2 3 4 5 6', 1, '00 59 59', (0, None, 1)),
    ('0 1 2 3 4 5 6', 1, '06 00 00', (0, None, 68400)),
    ('4', 6, '02 30 00', (0, None, 5 * 86400 + 3600 - 9000)),
])
def test_window_matches_python(tmp_path, days, wd, hms, expected):
    body = ('WINDOW_ALWAYS=0 WINDOW_START_S=3600 WINDOW_DURATION_S=18000 WINDOW_DAYS=%r\n'
            "date() { echo '%d %s'; }\nin_window || true\necho \"$W_IN ${W_END:-none} ${W_START:-none}\""
            % (days, wd + 1, hms))
    got = run_sh(body, tmp_path).split()
    h, m, s = (int(x) for x in hms.split())
    window = {'always': False, 'start_s': 3600, 'duration_s': 18000, 'days': [int(d) for d in days.split()]}
    inside, to_end, to_start = proto.in_window(window, wd, h * 3600 + m * 60 + s)
    assert (int(got[0]), None if got[1] == 'none' else int(got[1]), None if got[2] == 'none' else int(got[2])) == (
        int(inside), to_end, to_start) == expected


def test_json_helpers(tmp_path):
    answer = tmp_path / 'a.json'
    answer.write_text('{"offset": 1234, "reason": "SHA-256 x, a, b", "verdict": "send"}')
    out = run_sh('for k in verdict offset reason missing; do echo "$(jget $k %s)"; done; jstr \'a "b" \\c\'; echo;'
                 'jnum 12; jnum ""; jnum x1' % answer, tmp_path)
    assert out.splitlines() == ['send', '1234', 'SHA-256 x, a, b', '', '"a \\"b\\" \\\\c"', '12nullnull']
