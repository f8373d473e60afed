"""Benchmark: the edge harvest worker against curl on the same link, and its peak memory for a 1 GB file (issue 19).

The link is loopback to the lab HTTP source (lab/doubles/http_source.py on 127.0.0.1:18810), the same server,
file and disk for both clients, runs alternating:

    gigabit   the source paces every response at 117 MB/s (a 1 Gbit/s link's payload, faster than any edge
              host's uplink): the worker against `curl -o FILE`. Target: worker time <= 1.10 x curl's.
    loopback  no pacing: what each client's CPU allows (the worker also hashes SHA-256 and fsyncs every chunk,
              curl does neither). Reported, no target: no edge link comes near it.

Peak resident memory is the worker process's VmHWM (/proc/<pid>/status) after the 1 GB file and after a 16 MB
file (target: under 32 MB, and flat: less than 2 MB apart). The worker runs its real fetch path (Range,
buffers, pacing, fsync per chunk, SHA-256, the state file, the rename); the hand-over to the officer is not
timed (it is the LAN, not the download).

    python bench/harvester.py [--size-mb 1024] [--runs 3]        (make bench-harvester)

The 1 GB file is made once in .build/bench-harvester/ (random bytes) and kept. Exit status 1 when a target is
missed.
"""

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
FILES = os.path.join(ROOT, 'roles', 'harvester', 'files')
WORK = os.path.join(ROOT, '.build', 'bench-harvester')
PORT = 18810
GIGABIT = 117 * 1000 * 1000
TARGET_RATIO = 1.10
TARGET_RSS_KB = 32 * 1024

# runs in a child process: the worker's fetch of one item, timed, and the child's own VmHWM
DRIVER = r'''
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
import harvest_worker, harvest_io
cfg = json.load(open(sys.argv[2]))
worker = harvest_worker.Worker(cfg, b'\0' * 32)
started = time.monotonic()
worker.fetch(cfg['items'][0]['name'])
elapsed = time.monotonic() - started
print(json.dumps({'seconds': elapsed, 'vm_hwm_kb': harvest_io.vm_hwm_kb(),
                  'sha256': worker.state['items'][cfg['items'][0]['name']]['sha256']}))
'''


def make_file(path, size):
    if os.path.exists(path) and os.path.getsize(path) == size:
        return
    with open(path + '.tmp', 'wb') as handle:
        left = size
        while left:
            block = os.urandom(min(left, 1 << 20))
            handle.write(block)
            left -= len(block)
    os.replace(path + '.tmp', path)


def control(path, payload=None):
    req = urllib.request.Request('http://127.0.0.1:%d%s' % (PORT, path),  # noqa: S310 (loopback only)
                                 method='POST' if payload is not None else 'GET',
                                 data=json.dumps(payload).encode() if payload is not None else None)
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 (loopback only)
        return json.loads(resp.read())


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def worker_run(name, size, spool, buffer_bytes=256 << 10):
    shutil.rmtree(spool, ignore_errors=True)
    cfg = {'host': 'bench', 'officer_url': 'http://127.0.0.1:9', 'key_file': '/dev/null', 'spool': spool,
           'window': {'always': True}, 'rate_bps': 0, 'upload_rate_bps': 0, 'chunk_bytes': 16 << 20,
           'buffer_bytes': buffer_bytes, 'stall_timeout_s': 30, 'connect_timeout_s': 10, 'backoff_base_s': 1,
           'backoff_max_s': 10, 'recheck_s': 60, 'report_interval_s': 10 ** 6, 'rejected_retry_s': 60,
           'max_rejections': 1, 'keep_after_archive': False, 'ca_file': None, 'user_agent': 'bench',
           'items': [{'name': name, 'url': 'http://127.0.0.1:%d/%s' % (PORT, name), 'filename': name, 'size': size,
                      'refresh_s': 0, 'dataset': 'bench'}]}
    path = os.path.join(WORK, 'worker.json')
    with open(path, 'w') as handle:
        json.dump(cfg, handle)
    cpu = children_cpu()
    proc = subprocess.run([sys.executable, '-c', DRIVER, FILES, path], capture_output=True, text=True, check=False)
    if proc.returncode:
        sys.exit('bench: the worker failed: %s' % proc.stderr[-2000:])
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]), cpu=children_cpu() - cpu)


def curl_run(name, target):
    if os.path.exists(target):
        os.unlink(target)
    started, cpu = time.monotonic(), children_cpu()
    subprocess.run(['curl', '-sS', '-o', target, 'http://127.0.0.1:%d/%s' % (PORT, name)], check=True)
    return time.monotonic() - started, children_cpu() - cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--size-mb', type=int, default=1024)
    parser.add_argument('--runs', type=int, default=3)
    args = parser.parse_args()
    if not shutil.which('curl'):
        sys.exit('bench: curl is missing (apt-get install curl)')
    src = os.path.join(WORK, 'src')
    os.makedirs(src, exist_ok=True)
    size = args.size_mb << 20
    make_file(os.path.join(src, 'big.bin'), size)
    make_file(os.path.join(src, 'small.bin'), 16 << 20)
    with socket.socket() as probe:
        if probe.connect_ex(('127.0.0.1', PORT)) == 0:
            sys.exit('bench: something listens on 127.0.0.1:%d already' % PORT)
    server = subprocess.Popen([sys.executable, os.path.join(ROOT, 'lab', 'doubles', 'http_source.py'), '--root', src,
                               '--bind', '127.0.0.1', '--port', str(PORT)], stdout=subprocess.DEVNULL)
    failed = False
    try:
        for _wait in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(('127.0.0.1', PORT)) == 0:
                    break
            time.sleep(0.05)
        spool, target = os.path.join(WORK, 'spool'), os.path.join(WORK, 'curl.out')
        print('file: %d MB of random bytes; link: loopback to lab/doubles/http_source.py; %d alternating runs each'
              % (args.size_mb, args.runs))
        for link, rate in (('gigabit', GIGABIT), ('loopback', None)):
            control('/_control/faults', {'big.bin': {'rate_bps': rate}} if rate else {})
            worker_s, curl_s, peaks, worker_cpu, curl_cpu = [], [], [], [], []
            for _run in range(args.runs):
                seconds, cpu = curl_run('big.bin', target)
                curl_s.append(seconds)
                curl_cpu.append(cpu)
                result = worker_run('big.bin', size, spool)
                worker_s.append(result['seconds'])
                worker_cpu.append(result['cpu'])
                peaks.append(result['vm_hwm_kb'])
            ratio = statistics.median(worker_s) / statistics.median(curl_s)
            print('%-8s curl %6.1f MB/s  worker %6.1f MB/s  worker/curl time %.3f%s'
                  % (link, size / statistics.median(curl_s) / 1e6, size / statistics.median(worker_s) / 1e6, ratio,
                     '  (target <= %.2f: %s)' % (TARGET_RATIO, 'met' if ratio <= TARGET_RATIO else 'MISSED')
                     if rate else '  (no target)'))
            print('%-8s CPU per GB: curl %.2f s, worker %.2f s (user + system; load-independent, unlike the times)'
                  % ('', statistics.median(curl_cpu) * (1 << 30) / size,
                     statistics.median(worker_cpu) * (1 << 30) / size))
            if rate and ratio > TARGET_RATIO:
                failed = True
        small = worker_run('small.bin', 16 << 20, spool)['vm_hwm_kb']
        peak = max(peaks)
        flat = peak - small
        print('worker peak RSS (VmHWM): %.1f MB after %d MB, %.1f MB after 16 MB: %+.1f MB (target < 32 MB and flat '
              '< 2 MB: %s)' % (peak / 1024.0, args.size_mb, small / 1024.0, flat / 1024.0,
                               'met' if peak < TARGET_RSS_KB and abs(flat) < 2048 else 'MISSED'))
        if peak >= TARGET_RSS_KB or abs(flat) >= 2048:
            failed = True
    finally:
        server.terminate()
        server.wait(timeout=10)
        for path in (os.path.join(WORK, 'curl.out'), os.path.join(WORK, 'spool')):
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.path.exists(path) and os.unlink(path)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
