"""The harvester's programs together on loopback, in seconds: the Python worker and the shell worker fetch from the
lab HTTP source (lab/doubles/http_source.py) with faults, the officer proves and promotes. molecule/harvester runs
the same with systemd, real hosts and a power cut; this catches a broken protocol before that."""

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import harvest_proto
import pytest

FILES = os.path.dirname(harvest_proto.__file__)
ROOT = os.path.abspath(os.path.join(FILES, '..', '..', '..'))
SOURCE = os.path.join(ROOT, 'lab', 'doubles', 'http_source.py')
MiB = 1 << 20


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_port(port, proc, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError('exited: %s' % proc.stderr.read())
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError('port %d never opened' % port)


def sha(path):
    with open(path, 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def post(url, payload):
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), method='POST')  # noqa: S310 (loopback)
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 (loopback)
        return json.loads(resp.read())


def get(url):
    with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 (loopback)
        return json.loads(resp.read())


@pytest.fixture()
def lab(tmp_path):
    src, keys = tmp_path / 'src', tmp_path / 'keys'
    src.mkdir()
    keys.mkdir()
    data = {'big.bin': 16 * MiB, 'changing.bin': 6 * MiB, 'changing.bin.v2': 6 * MiB, 'corrupt.bin': 2 * MiB,
            'norange.bin': 3 * MiB, 'small.bin': 64 * 1024, 'slow.bin': 8 * MiB, 'unlisted.bin': 100 * 1024}
    for name, size in data.items():
        (src / name).write_bytes(os.urandom(size))
    shutil.copy(src / 'small.bin', src / 'mirror.bin')
    for host in ('py', 'sh'):
        (keys / ('%s.key' % host)).write_text(os.urandom(32).hex())
    sport, oport = free_port(), free_port()
    base = 'http://127.0.0.1:%d' % sport
    catalogue = []
    for name, host, over in (('big', 'py', {}), ('changing', 'py', {}),
                             ('corrupt', 'py', {'sha256': sha(src / 'corrupt.bin')}),
                             ('unlisted', 'py', {'checksum_url': base + '/LATER_SUMS'}),
                             ('mirror', 'py', {}), ('small', 'sh', {}), ('norange', 'sh', {}), ('slow', 'py', {})):
        entry = {'name': name, 'url': '%s/%s.bin' % (base, name), 'filename': name + '.bin', 'size': None,
                 'sha256': None,
                 'checksum_url': base + '/SHA256SUMS', 'checksum_name': name + '.bin', 'allow_unverified': False,
                 'refresh_s': 0, 'dataset': 'd', 'host': host}
        entry.update(over)
        catalogue.append(entry)
    officer_cfg = {'host': 'logic', 'listen': '127.0.0.1', 'port': oport, 'keys_dir': str(keys),
                   'quarantine': str(tmp_path / 'q'), 'rejected': str(tmp_path / 'rej'),
                   'archive': str(tmp_path / 'archive'),
                   'state_dir': str(tmp_path / 'state'), 'view_dir': str(tmp_path / 'view'), 'skew_s': 300,
                   'check_interval_s': 3600, 'report_interval_s': 1, 'checksum_timeout_s': 5, 'ca_file': None,
                   'user_agent': 'test', 'catalogue': catalogue}
    (tmp_path / 'officer.json').write_text(json.dumps(officer_cfg))
    procs = [subprocess.Popen([sys.executable, SOURCE, '--root', str(src), '--port', str(sport), '--bind', '127.0.0.1',
                               '--sums', 'SHA256SUMS'], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True),
             subprocess.Popen([sys.executable, os.path.join(FILES, 'harvest_officer.py'), '--config',
                               str(tmp_path / 'officer.json')],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)]
    try:
        wait_port(sport, procs[0])
        wait_port(oport, procs[1])

        def worker_cfg(host, names, **over):
            cfg = {'host': host, 'officer_url': 'http://127.0.0.1:%d' % oport,
                   'key_file': str(keys / ('%s.key' % host)),
                   'spool': str(tmp_path / ('spool-' + host)), 'window': {'always': True, 'text': 'always'},
                   'rate_bps': 0, 'upload_rate_bps': 0, 'chunk_bytes': MiB, 'buffer_bytes': 65536,
                   'stall_timeout_s': 2, 'connect_timeout_s': 5, 'backoff_base_s': 0.1, 'backoff_max_s': 0.5,
                   'recheck_s': 5, 'report_interval_s': 1, 'rejected_retry_s': 3600, 'max_rejections': 3,
                   'keep_after_archive': False, 'ca_file': None, 'user_agent': 'test',
                   'items': [e for e in catalogue if e['name'] in names]}
            cfg.update(over)
            path = tmp_path / ('worker-%s.json' % host)
            path.write_text(json.dumps(cfg))
            return path
        yield {'tmp': tmp_path, 'src': src, 'source': base, 'officer': 'http://127.0.0.1:%d' % oport,
               'worker_cfg': worker_cfg, 'keys': keys}
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=5)


def run_worker(cfg_path, timeout=60):
    return subprocess.run([sys.executable, os.path.join(FILES, 'harvest_worker.py'), '--config', str(cfg_path)],
                          capture_output=True, text=True, timeout=timeout, check=False)


def progress(lab, host):
    return json.loads((lab['tmp'] / ('spool-' + host) / 'progress.json').read_text())


def test_faults_are_survived_and_nothing_bad_is_promoted(lab):
    post(lab['source'] + '/_control/faults', {
        'big.bin': {'drop_every': 5 * MiB, 'rate_bps': 40 * MiB},
        'changing.bin': {'drop_every': 2 * MiB, 'drop_times': 1, 'change_after': 1, 'rate_bps': 20 * MiB},
        'corrupt.bin': {'corrupt': {'offset': MiB, 'length': 4}},
        'norange.bin': {'ignore_range': True, 'drop_every': MiB, 'drop_times': 1, 'rate_bps': 8 * MiB}})
    done = run_worker(lab['worker_cfg']('py', ['big', 'changing', 'corrupt']))
    assert done.returncode == 0, done.stderr
    archive = lab['tmp'] / 'archive'
    assert sha(archive / 'd' / 'big.bin') == sha(lab['src'] / 'big.bin')
    assert sha(archive / 'd' / 'changing.bin') == sha(lab['src'] / 'changing.bin')  # the new version, whole
    assert not (archive / 'd' / 'corrupt.bin').exists()
    assert len(os.listdir(lab['tmp'] / 'rej')) == 1
    log = get(lab['source'] + '/_control/log')
    big = [e for e in log if e['path'] == '/big.bin']
    assert len(big) >= 4 and all(e['if_range'] for e in big[1:]) and {e['status'] for e in big[1:]} == {206}
    changing = [e for e in log if e['path'] == '/changing.bin']
    assert changing[1]['if_range'] and changing[1]['status'] == 200
    state = json.loads((lab['tmp'] / 'spool-py' / 'state.json').read_text())['items']
    assert state['corrupt']['status'] == 'rejected' and 'the catalogue says' in state['corrupt']['last_error']
    assert progress(lab, 'py')['state'] == 'waiting'  # the rejected file is fetched again later
    # the shell worker: a server that ignores Range restarts from 0
    if not shutil.which('curl'):
        pytest.skip('curl is missing (lab/prereqs.sh installs it; make test runs it): the shell worker needs it')
    conf = shell_conf(lab, ['small', 'norange'])
    run_sh = subprocess.run(['/bin/sh', os.path.join(FILES, 'harvest-worker.sh'), str(conf)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert run_sh.returncode == 0, run_sh.stderr
    assert sha(archive / 'd' / 'norange.bin') == sha(lab['src'] / 'norange.bin')
    norange = [e for e in get(lab['source'] + '/_control/log') if e['path'] == '/norange.bin']
    assert norange[-1]['range'] and norange[-1]['status'] == 200
    assert progress(lab, 'sh')['state'] == 'idle'
    # the same content under another name is recognised by its hash, not archived twice
    run_worker(lab['worker_cfg']('py', ['mirror']))
    assert not (archive / 'd' / 'mirror.bin').exists()
    assert progress(lab, 'py')['last_signal']['verdict'] == 'duplicate'
    manifest = [json.loads(line) for line in (archive / 'manifest.jsonl').read_text().splitlines()]
    assert sorted(r['name'] for r in manifest) == ['big', 'changing', 'norange', 'small']
    view = json.loads((lab['tmp'] / 'view' / 'status.json').read_text())
    assert view['totals']['archived_files'] == 4 and view['totals']['rejected'] == 1


def shell_conf(lab, names):
    tmp = lab['tmp']
    items = tmp / 'items.tsv'
    entries = [e for e in json.loads((tmp / 'officer.json').read_text())['catalogue'] if e['name'] in names]
    items.write_text(''.join('%s\t%s\t%s\t-\t0\td\n' % (e['name'], e['url'], e['filename']) for e in entries))
    conf = tmp / 'worker.conf'
    conf.write_text('\n'.join([
        'HOST=sh', 'OFFICER_URL=%s' % lab['officer'], 'KEY_FILE=%s' % (lab['keys'] / 'sh.key'),
        'SPOOL=%s' % (tmp / 'spool-sh'),
        'ITEMS=%s' % items, 'WINDOW_ALWAYS=1', 'WINDOW_START_S=0', 'WINDOW_DURATION_S=86400',
        "WINDOW_DAYS='0 1 2 3 4 5 6'",
        'WINDOW_TEXT=always', 'RATE_BPS=0', 'CHUNK_BYTES=262144', 'STALL_TIMEOUT_S=2', 'CONNECT_TIMEOUT_S=5',
        'BACKOFF_BASE_S=1', 'BACKOFF_MAX_S=2', 'REPORT_INTERVAL_S=1', 'REJECTED_RETRY_S=3600', 'MAX_REJECTIONS=3',
        'KEEP_AFTER_ARCHIVE=0', 'RECHECK_S=5', 'USER_AGENT=test', 'CA_FILE=', '']))
    return conf


def test_outside_the_window_nothing_is_fetched(lab):
    now = time.localtime()
    start = ((now.tm_hour + 2) % 24) * 3600
    window = {'always': False, 'start_s': start, 'end_s': start + 3600, 'duration_s': 3600, 'days': list(range(7)),
              'text': 'later'}
    assert run_worker(lab['worker_cfg']('py', ['small'], window=window)).returncode == 0
    report = progress(lab, 'py')
    assert report['state'] == 'waiting' and report['window_open'] is False and report['window_opens_in_s'] > 3000
    assert get(lab['source'] + '/_control/log') == []


def test_the_window_end_stops_mid_file_and_the_next_window_resumes(lab):
    now = time.localtime()
    second = now.tm_hour * 3600 + now.tm_min * 60 + now.tm_sec
    window = {'always': False, 'start_s': second - 5, 'end_s': second + 3, 'duration_s': 8, 'days': list(range(7)),
              'text': 'short'}
    cfg = lab['worker_cfg']('py', ['slow'], window=window, rate_bps=1 * MiB)
    started = time.time()
    assert run_worker(cfg).returncode == 0
    assert time.time() - started < 6
    part = lab['tmp'] / 'spool-py' / 'parts' / 'slow.part'
    kept = part.stat().st_size
    assert MiB <= kept < 8 * MiB
    assert 'window closed' in progress(lab, 'py')['detail']
    assert run_worker(lab['worker_cfg']('py', ['slow'])).returncode == 0
    assert sha(lab['tmp'] / 'archive' / 'd' / 'slow.bin') == sha(lab['src'] / 'slow.bin')
    resumed = [e for e in get(lab['source'] + '/_control/log') if e['path'] == '/slow.bin'][-1]
    assert resumed['range'] == 'bytes=%d-' % kept and resumed['status'] == 206


def test_a_killed_worker_loses_at_most_one_chunk(lab):
    cfg = lab['worker_cfg']('py', ['big'], rate_bps=12 * MiB)
    proc = subprocess.Popen([sys.executable, os.path.join(FILES, 'harvest_worker.py'), '--config', str(cfg)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    part = lab['tmp'] / 'spool-py' / 'parts' / 'big.part'
    deadline = time.time() + 20
    while time.time() < deadline and (not part.exists() or part.stat().st_size < 4 * MiB):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    state = json.loads((lab['tmp'] / 'spool-py' / 'state.json').read_text())['items']['big']
    assert state['committed'] > 0 and part.stat().st_size - state['committed'] <= MiB
    assert run_worker(cfg).returncode == 0
    resumed = [e for e in get(lab['source'] + '/_control/log') if e['path'] == '/big.bin'][-1]
    assert resumed['range'] == 'bytes=%d-' % state['committed']
    assert sha(lab['tmp'] / 'archive' / 'd' / 'big.bin') == sha(lab['src'] / 'big.bin')


def test_memory_does_not_grow_with_the_file(lab):
    state = lab['tmp'] / 'spool-py' / 'state.json'
    assert run_worker(lab['worker_cfg']('py', ['small'])).returncode == 0
    small = json.loads(state.read_text())['items']['small']['rss_peak_kb']
    assert run_worker(lab['worker_cfg']('py', ['big'])).returncode == 0
    big = json.loads(state.read_text())['items']['big']['rss_peak_kb']
    # peak resident memory (VmHWM) of a process that fetched 64 KiB and of one that fetched 16 MiB
    assert abs(big - small) < 2048
    assert big < 32768


def test_a_file_waits_in_quarantine_until_its_checksum_is_published(lab):
    cfg = lab['worker_cfg']('py', ['unlisted'], recheck_s=1)
    assert run_worker(cfg).returncode == 0
    state = json.loads((lab['tmp'] / 'spool-py' / 'state.json').read_text())['items']['unlisted']
    assert state['status'] == 'delivered' and 'could not be read yet' in state['last_error']
    view = json.loads((lab['tmp'] / 'view' / 'status.json').read_text())
    assert [q['status'] for q in view['quarantine']] == ['pending']
    assert not (lab['tmp'] / 'archive' / 'd' / 'unlisted.bin').exists()
    (lab['src'] / 'LATER_SUMS').write_text('%s  unlisted.bin\n' % sha(lab['src'] / 'unlisted.bin'))
    time.sleep(2.1)  # the next run (the timer's recheck) offers it again; the officer checks the published file again
    assert run_worker(cfg).returncode == 0
    assert sha(lab['tmp'] / 'archive' / 'd' / 'unlisted.bin') == sha(lab['src'] / 'unlisted.bin')
    assert json.loads((lab['tmp'] / 'spool-py' / 'state.json').read_text())['items']['unlisted']['status'] == 'archived'
