"""`make mutate`: plant each deliberate bug of mutants.py in a scratch copy, run the unit tests that cover it,
and say which were caught. Exit 1 when a mutant survives, its text is not found exactly once, or the tests
fail before any mutation (then nothing would be measured).

    python tests/mutation/run.py [MUTANT_ID ...]
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, HERE)
from mutants import MUTANTS  # noqa: E402  (beside this file)

COPY = ('plugins', 'tests/unit', 'meta', 'galaxy.yml')


def scratch_copy():
    """The collection's code and unit tests in a fresh directory (the checkout is never touched)."""
    root = tempfile.mkdtemp(prefix='homelab-mutate-')
    for item in COPY:
        source = os.path.join(ROOT, item)
        target = os.path.join(root, item)
        if os.path.isdir(source):
            shutil.copytree(source, target, ignore=shutil.ignore_patterns('__pycache__', '*.pyc', '.pytest_cache'))
        else:
            shutil.copy2(source, target)
    return root


def pytest(root, tests):
    """Run the given test files in the scratch copy; True when they all pass."""
    cmd = [sys.executable, '-m', 'pytest', '-q', '-x', '-p', 'no:cacheprovider', '-p', 'no:randomly'] + tests
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE='1')
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, check=False)
    return proc.returncode == 0, proc


def main(argv):
    wanted = set(argv)
    unknown = wanted - {m[0] for m in MUTANTS}
    if unknown:
        print('mutate: no such mutant: %s' % ', '.join(sorted(unknown)))
        return 2
    chosen = [m for m in MUTANTS if not wanted or m[0] in wanted]
    started = time.time()
    root = scratch_copy()
    failures = []
    try:
        suites = sorted({t for m in chosen for t in m[5]})
        ok, proc = pytest(root, suites)
        if not ok:
            print(proc.stdout[-3000:] + proc.stderr[-2000:])
            print('mutate: the unit tests fail WITHOUT any mutation; fix them first')
            return 1
        print('mutate: %d mutants, each against the unit tests that cover it' % len(chosen))
        for ident, name, old, new, meaning, tests in chosen:
            path = os.path.join(root, 'plugins', 'module_utils', name)
            with open(path) as handle:
                original = handle.read()
            count = original.count(old)
            if count != 1:
                failures.append(ident)
                print('  STALE     %-32s its text is in %s %d times, not once: update tests/mutation/mutants.py'
                      % (ident, name, count))
                continue
            with open(path, 'w') as handle:
                handle.write(original.replace(old, new))
            try:
                survived, proc = pytest(root, tests)
            finally:
                with open(path, 'w') as handle:
                    handle.write(original)
            if survived:
                failures.append(ident)
                print('  SURVIVED  %-32s %s (%s)' % (ident, meaning, ' '.join(tests)))
            else:
                first = next((line for line in proc.stdout.splitlines() if line.startswith('FAILED ')), 'an error')
                print('  caught    %-32s %s: %s' % (ident, meaning, first.replace('FAILED ', '').split(' - ')[0]))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    caught = len(chosen) - len(failures)
    missed = '' if not failures else '; NOT caught: ' + ', '.join(failures)
    print('mutate: %d of %d mutants caught in %.0f s%s' % (caught, len(chosen), time.time() - started, missed))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
