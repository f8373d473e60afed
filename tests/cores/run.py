"""The ansible-core releases users run today (issue 22): units and golden inventories (and ansible-test sanity on
request) on each, every core in a virtual environment of its own under .build/cores/<core>/ with the Python it
needs, the same test pins as requirements-dev.txt otherwise.

    python tests/cores/run.py                 # every core below (make test-cores)
    python tests/cores/run.py 2.21            # some of them (make test runs 2.21: what an EE built today carries)
    CORES_SANITY=1 python tests/cores/run.py  # ansible-test sanity on each too (slow: its linters per core)

A core whose Python is not on this machine is reported as skipped, not failed (pyenv's versions are looked for
under ~/.pyenv/versions, then pythonX.Y on PATH). Results go to .build/cores/results.json, and a Markdown table
like README's "Cores tried" is printed.
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, '.build', 'cores')
# core -> (its pin, the controller Pythons it supports, best first); None: the pinned core of requirements-dev.txt
CORES = {
    '2.17': ('ansible-core==2.17.14', ('3.11', '3.12', '3.10')),
    '2.18': ('ansible-core==2.18.19', ('3.11', '3.12', '3.13')),
    '2.19': (None, ('3.11', '3.12', '3.13')),
    '2.20': ('ansible-core==2.20.10', ('3.12', '3.13')),
    '2.21': ('ansible-core==2.21.5', ('3.12', '3.13')),
}
# what the unit and golden tests import besides ansible-core, at requirements-dev.txt's pins
TEST_PACKAGES = ('pytest', 'PyYAML', 'wakeonlan', 'websocket-client', 'proxmoxer', 'hvac', 'requests')


def log(message):
    print('cores: %s' % message, flush=True)


def dev_pins():
    pins = {}
    with open(os.path.join(ROOT, 'requirements-dev.txt')) as handle:
        for line in handle:
            # hash-pinned: 'name==1.2.3 \\' then indented '--hash=...' lines
            line = line.split('#')[0].rstrip().rstrip('\\').strip()
            if '==' in line and not line.startswith('-'):
                name, version = line.split('==', 1)
                version = version.split(';')[0].strip()
                pins[name.split('[')[0].lower()] = '%s==%s' % (name.split('[')[0], version)
    return pins


def _read(path):
    with open(path) as handle:
        return handle.read()


def find_python(minor):
    candidates = sorted(glob.glob(os.path.expanduser('~/.pyenv/versions/%s.*/bin/python%s' % (minor, minor))),
                        reverse=True)
    candidates += [p for p in (shutil.which('python%s' % minor), '/usr/bin/python%s' % minor) if p]
    for path in candidates:
        proc = subprocess.run([path, '-c', 'import sys, venv; print("%d.%d" % sys.version_info[:2])'],
                              capture_output=True, text=True, check=False)
        if proc.returncode == 0 and proc.stdout.strip() == minor:
            return path
    return None


def venv_for(core, pin, pythons, pins):
    """(python of the core's venv, Python version) or (None, why)."""
    if pin is None:  # the pinned core: make venv's .venv
        python = os.path.join(ROOT, '.venv', 'bin', 'python')
        version = subprocess.run([python, '-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'],
                                 capture_output=True, text=True, check=True).stdout.strip()
        return python, version
    base = next((p for p in (find_python(m) for m in pythons) if p), None)
    if base is None:
        return None, 'no Python %s here (pyenv or pythonX.Y)' % ' or '.join(pythons)
    venv = os.path.join(OUT, core, 'venv')
    wanted = sorted([pin] + [pins[name.lower()] for name in TEST_PACKAGES if name.lower() in pins])
    stamp = os.path.join(venv, '.installed')
    version = subprocess.run([base, '-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'],
                             capture_output=True, text=True, check=True).stdout.strip()
    if not os.path.exists(stamp) or _read(stamp).split('\n') != [base] + wanted:
        log('%s: a venv on Python %s with %s' % (core, version, ', '.join(wanted)))
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([base, '-m', 'venv', venv], check=True)
        proc = subprocess.run([os.path.join(venv, 'bin', 'python'), '-m', 'pip', 'install', '--quiet',
                               '--disable-pip-version-check'] + wanted, capture_output=True, text=True, check=False)
        if proc.returncode:
            return None, 'pip install failed: %s' % proc.stderr.strip()[-500:]
        with open(stamp, 'w') as handle:
            handle.write('\n'.join([base] + wanted))
    return os.path.join(venv, 'bin', 'python'), version


def env_for(python):
    env = {k: v for k, v in os.environ.items() if not k.startswith(('ANSIBLE_', 'VIRTUAL_ENV'))}
    env.update(PATH=os.path.dirname(python) + os.pathsep + env.get('PATH', ''),
               ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'),
               ANSIBLE_LOCAL_TEMP=os.path.join(OUT, 'tmp'), PYTHONDONTWRITEBYTECODE='1')
    return env


def step(core, name, argv, env, logs):
    started = time.time()
    path = os.path.join(OUT, core, '%s.log' % name)
    with open(path, 'w') as handle:
        proc = subprocess.run(argv, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, check=False)
    with open(path) as handle:
        tail = [line.rstrip() for line in handle.readlines()[-3:]]
    logs[name] = {'ok': proc.returncode == 0, 'seconds': round(time.time() - started), 'log': path,
                  'summary': next((line for line in reversed(tail) if line), '')}
    log('%s %s: %s in %d s (%s)' % (core, name, 'pass' if proc.returncode == 0 else 'FAIL', logs[name]['seconds'],
                                    logs[name]['summary']))
    return proc.returncode == 0


def sanity(core, python, env, logs):
    """ansible-test sanity of this core on a copy shaped ansible_collections/homelab/cluster (as tests/sanity)."""
    bindir = os.path.dirname(python)
    version = subprocess.run([python, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'],
                             capture_output=True, text=True, check=True).stdout.strip()
    script = (
        'set -euo pipefail; tmp=$(mktemp -d); trap \'rm -rf "$tmp"\' EXIT; dest="$tmp/ansible_collections/homelab/'
        'cluster"; mkdir -p "$dest"; git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} cp '
        '--parents {} "$dest"/ 2>/dev/null || true; cd "$dest"; git init -q && git add -A && git -c user.name=ci '
        '-c user.email=ci@localhost commit -qm sanity; '
        'pip_version=$(grep -oP "^\\s+pip=\'\\K[0-9.]+" "$(%(py)s -c \'import ansible_test, os; '
        'print(os.path.dirname(ansible_test.__file__))\')/_internal/python_requirements.py" | head -n1); '
        'mkdir -p "$HOME/.ansible/test/cache"; cp %(root)s/tests/sanity/get_pip_standin.py '
        '"$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"; '
        '%(bin)s/ansible-test sanity --local --requirements --python %(ver)s --color no'
    ) % {'py': python, 'root': ROOT, 'bin': bindir, 'ver': version}
    return step(core, 'sanity', ['bash', '-c', script], env, logs)


def main(selected):
    os.makedirs(OUT, exist_ok=True)
    pins = dev_pins()
    results = {}
    path = os.path.join(OUT, 'results.json')
    if os.path.exists(path):
        with open(path) as handle:
            results = json.load(handle)
    failed = []
    for core in selected:
        pin, pythons = CORES[core]
        os.makedirs(os.path.join(OUT, core), exist_ok=True)
        python, version = venv_for(core, pin, pythons, pins)
        if python is None:
            log('%s: skipped: %s' % (core, version))
            results[core] = {'skipped': version}
            if version.startswith('pip install failed'):  # a Python that is there but cannot get the pins: a failure
                failed.append(core)
            continue
        env = env_for(python)
        installed = subprocess.run([python, '-c', 'import ansible; print(ansible.__version__)'], env=env,
                                   capture_output=True, text=True, check=True).stdout.strip()
        logs = {}
        ok = step(core, 'units', [python, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests/unit'], env, logs)
        ok = step(core, 'golden', [python, 'tests/integration/targets/inventory_tiers/golden.py'], env, logs) and ok
        if os.environ.get('CORES_SANITY') == '1':
            ok = sanity(core, python, env, logs) and ok
        results[core] = {'ansible_core': installed, 'python': version, 'at': time.strftime('%Y-%m-%d'), **logs}
        if not ok:
            failed.append(core)
    with open(path, 'w') as handle:
        json.dump(results, handle, indent=2, sort_keys=True)
    print('\n| ansible-core | Python | units | golden inventories | sanity |\n|---|---|---|---|---|')
    for core in sorted(results, key=lambda c: [int(x) for x in c.split('.')]):
        data = results[core]
        if 'skipped' in data:
            print('| %s | - | skipped: %s | | |' % (core, data['skipped']))
            continue
        cells = ['%s (%s)' % ('pass' if data[k]['ok'] else 'FAIL', data[k]['summary']) if k in data else 'not run'
                 for k in ('units', 'golden', 'sanity')]
        print('| %s | %s | %s |' % (data['ansible_core'], data['python'], ' | '.join(cells)))
    ran = [c for c in selected if 'skipped' not in results[c]]
    print('%d passed, %d failed' % (len([c for c in ran if c not in failed]), len(failed)))
    return 1 if failed else 0


if __name__ == '__main__':
    wanted = sys.argv[1:] or list(CORES)
    unknown = [c for c in wanted if c not in CORES]
    if unknown:
        sys.exit('cores: unknown core(s) %s; known: %s' % (', '.join(unknown), ', '.join(CORES)))
    sys.exit(main(wanted))
