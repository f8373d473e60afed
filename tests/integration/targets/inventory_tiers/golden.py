"""Golden tests of the homelab.cluster.tiers inventory plugin through the real ansible-inventory CLI.

Every case's `ansible-inventory --list` is compared to committed JSON (`UPDATE_GOLDEN=1` rewrites them), every
error case must fail and print its expected lines, and the cache, fact cache, determinism, --graph and
ansible-doc contracts are checked. Prints a closing 'N passed, N failed' line.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = os.path.join(HERE, 'files')
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..', '..'))
EXAMPLE = os.path.join(ROOT, 'inventory', 'example')
UPDATE = os.environ.get('UPDATE_GOLDEN') == '1'
RESULTS = {'passed': 0, 'failed': 0}


def inventory(source, *args, env=None):
    run_env = dict(os.environ, ANSIBLE_INVENTORY_UNPARSED_FAILED='true', ANSIBLE_NOCOLOR='1', COLUMNS='10000')
    run_env.update(env or {})
    return subprocess.run(['ansible-inventory', '-i', source, *args], capture_output=True, text=True, env=run_env,
                          check=False)


def plain(value):
    """Drop ansible-core 2.19's JSON envelopes: {'__ansible_unsafe': v} markers and a cache's '__payload__'."""
    if isinstance(value, dict):
        if set(value) == {'__ansible_unsafe'}:
            return value['__ansible_unsafe']
        if set(value) == {'__payload__'}:
            return plain(json.loads(value['__payload__']))
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def check(name, ok, detail=''):
    RESULTS['passed' if ok else 'failed'] += 1
    print('%s %s%s' % ('PASS' if ok else 'FAIL', name, '' if ok else '\n' + detail))


def listing(source, env=None):
    proc = inventory(source, '--list', env=env)
    if proc.returncode:
        return None, proc.stderr
    return json.loads(proc.stdout), proc.stderr


def golden(name, source, env=None):
    data, err = listing(source, env)
    if data is None:
        check('golden %s' % name, False, err)
        return None
    path = os.path.join(FILES, 'golden', '%s.json' % name)
    # compared without 2.19's untrusted markers so that every supported core shares the goldens;
    # test_untrusted proves the strings stay untrusted
    data = plain(data)
    data.get('_meta', {}).pop('profile', None)  # 2.19 names its JSON profile; older cores do not
    text = json.dumps(data, indent=2, sort_keys=True) + '\n'
    if UPDATE:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as handle:
            handle.write(text)
    with open(path) as handle:
        expected = handle.read()
    check('golden %s' % name, text == expected, _diff(expected, text))
    return data


def _diff(expected, actual):
    import difflib
    return ''.join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), 'expected', 'actual'))


def test_cases():
    golden('example', EXAMPLE)
    for case in sorted(os.listdir(os.path.join(FILES, 'cases'))):
        if case != 'facts':
            golden(case, os.path.join(FILES, 'cases', case, 'lab.tiers.yml'))


def test_errors():
    errors = os.path.join(FILES, 'errors')
    for name in sorted(f[:-len('.tiers.yml')] for f in os.listdir(errors) if f.endswith('.tiers.yml')):
        proc = inventory(os.path.join(errors, name + '.tiers.yml'), '--list')
        with open(os.path.join(errors, name + '.expected')) as handle:
            wanted = [line.strip() for line in handle if line.strip()]
        # compared without whitespace: cores before 2.19 wrap warnings at a fixed width, even inside paths
        squeezed = ''.join(proc.stderr.split())
        missing = [line for line in wanted if ''.join(line.split()) not in squeezed]
        check('error %s' % name, proc.returncode != 0 and not missing and proc.stdout.strip() == '',
              'rc=%s missing=%r\nstderr:\n%s' % (proc.returncode, missing, proc.stderr))


def test_example_graph_and_determinism():
    proc = inventory(EXAMPLE, '--graph')
    groups = ['tier_%s' % t for t in ('ultralow', 'portable', 'modern', 'legacy')] + [
        'role_%s' % r for r in ('firewall', 'storage', 'hypervisor', 'volatile', 'logic', 'inference', 'edge')] + [
        'always_on', 'wakeable', 'quorum_voters', 'no_python', 'gpu_nvidia', 'gpu_amd', 'gpu_intel', 'os_proxmox']
    missing = [g for g in groups if '@%s:' % g not in proc.stdout]
    check('example --graph shows every tier and role group', proc.returncode == 0 and not missing,
          'missing %r\n%s%s' % (missing, proc.stdout, proc.stderr))
    first, second = inventory(EXAMPLE, '--list').stdout, inventory(EXAMPLE, '--list').stdout
    check('example output identical on repeated runs', first == second and first.strip() != '')


def test_untrusted():
    """A hardware string that looks like a template reaches plays as a literal, also through compose."""
    source = os.path.join(FILES, 'cases', 'hardware_file', 'lab.tiers.yml')
    for var in ('homelab_hardware.description', 'homelab_note'):
        proc = subprocess.run(['ansible', 'nuc', '-i', source, '-m', 'ansible.builtin.debug',
                               '-a', 'msg={{ %s }}' % var],
                              capture_output=True, text=True, check=False,
                              env=dict(os.environ, ANSIBLE_NOCOLOR='1', COLUMNS='10000'))
        check('hardware strings reach plays untrusted (never templated): %s' % var,
              proc.returncode == 0 and '"{{ 6 * 7 }} is never templated"' in proc.stdout, proc.stdout + proc.stderr)


def _unsafe_values(value):
    """Every string that ansible-inventory printed as {"__ansible_unsafe": ...}."""
    if isinstance(value, dict):
        if set(value) == {'__ansible_unsafe'}:
            return [value['__ansible_unsafe']]
        return [s for item in value.values() for s in _unsafe_values(item)]
    if isinstance(value, list):
        return [s for item in value for s in _unsafe_values(item)]
    return []


def test_plain_output():
    """AWX imports `ansible-inventory --list`: plain values print as plain strings, on --list, --export and
    --host alike; only a string holding template markers is marked unsafe (and test_untrusted proves it is never
    templated)."""
    for args in (('--list',), ('--list', '--export'), ('--host', 'keeper'), ('--host', 'penny')):
        proc = inventory(EXAMPLE, *args)
        unsafe = _unsafe_values(json.loads(proc.stdout)) if proc.returncode == 0 else ['(failed)']
        check('example %s prints plain strings (no __ansible_unsafe)' % ' '.join(args),
              proc.returncode == 0 and not unsafe, '%d marked, e.g. %r\n%s' % (len(unsafe), unsafe[:5], proc.stderr))
    source = os.path.join(FILES, 'cases', 'hardware_file', 'lab.tiers.yml')
    for args in (('--list',), ('--host', 'nuc')):
        proc = inventory(source, *args)
        unsafe = _unsafe_values(json.loads(proc.stdout)) if proc.returncode == 0 else []
        check('hardware_file %s marks only the template-looking strings' % ' '.join(args),
              proc.returncode == 0 and all('{{' in s for s in unsafe), repr(unsafe) + proc.stderr)


def test_cache():
    tmp = tempfile.mkdtemp(prefix='tiers-cache-')
    try:
        case = os.path.join(tmp, 'case')
        shutil.copytree(os.path.join(FILES, 'cases', 'hardware_file'), case)
        with open(os.path.join(case, 'lab.tiers.yml'), 'a') as handle:
            handle.write('cache: true\ncache_plugin: ansible.builtin.jsonfile\ncache_connection: %s\n'
                         % os.path.join(tmp, 'cache'))
        source = os.path.join(case, 'lab.tiers.yml')
        cold, _err = listing(source)
        entries = os.listdir(os.path.join(tmp, 'cache'))
        with open(os.path.join(tmp, 'cache', entries[0])) as handle:
            cached = plain(json.load(handle))
        check('cache holds the raw hardware file, not the formatted inventory',
              len(entries) == 1 and set(cached) == {'format', 'path', 'fingerprint', 'data'}
              and 'bare' in cached['data']['hosts'] and 'homelab_tier' not in json.dumps(cached), json.dumps(cached))
        warm, _err = listing(source)
        check('a cache hit rebuilds the same groups and vars', cold == warm and cold is not None)
        time.sleep(0.01)
        with open(os.path.join(case, 'hardware.yml'), 'a') as handle:
            handle.write('  added:\n    ram_gb: 4\n')
        changed, _err = listing(source)
        check('an edited hardware file invalidates its cache entry',
              changed is not None and 'added' in changed['_meta']['hostvars'])
    finally:
        shutil.rmtree(tmp)


def test_fact_cache():
    tmp = tempfile.mkdtemp(prefix='tiers-facts-')
    try:
        env = {'ANSIBLE_CACHE_PLUGIN': 'ansible.builtin.jsonfile', 'ANSIBLE_CACHE_PLUGIN_CONNECTION': tmp,
               'ANSIBLE_CACHE_PLUGIN_TIMEOUT': '0'}
        # Seed the fact cache exactly as a play with fact caching would: through ansible's cache plugin API.
        seed = ('import json, sys\n'
                'from ansible import constants as C\n'
                'from ansible.plugins.loader import cache_loader, init_plugin_loader\n'
                'init_plugin_loader()\n'
                'cache_loader.get(C.CACHE_PLUGIN).set("gathered", json.load(open(sys.argv[1])))\n')
        subprocess.run([sys.executable, '-c', seed, os.path.join(FILES, 'cases', 'facts', 'gathered.json')],
                       env=dict(os.environ, **env), check=True)
        data = golden('facts', os.path.join(FILES, 'cases', 'facts', 'lab.tiers.yml'), env=env)
        if data:
            hv = plain(data['_meta']['hostvars']['gathered'])
            check('facts fill what the file leaves out, declared values win',
                  hv['homelab_hardware']['ram_gb'] == 8 and hv['homelab_hardware']['cpu']['threads'] == 32
                  and hv['homelab_hardware']['os'] == 'proxmox' and 'wakeable' in data
                  and 'gathered' in data['wakeable']['hosts'], json.dumps(hv, indent=1))
        bare, _err = listing(os.path.join(FILES, 'cases', 'facts', 'lab.tiers.yml'))
        check('without fact caching nothing is filled',
              bare is not None and plain(bare['_meta']['hostvars']['gathered']['homelab_hardware']['os']) == 'linux')
    finally:
        shutil.rmtree(tmp)


def test_hostile_runs_nothing():
    """The hostile hardware file (files/errors/hostile.tiers.yml) behind a real ansible-playbook run: the run fails
    on the inventory and none of the commands hidden in names, addresses and vars runs (issue 23 item 5)."""
    tmp = tempfile.mkdtemp(prefix='homelab-hostile-')
    try:
        canary = os.path.join(tmp, 'pwned')
        with open(os.path.join(FILES, 'errors', 'hostile.tiers.yml')) as handle:
            text = handle.read().replace('/tmp/homelab-pwned', canary)
        source = os.path.join(tmp, 'hostile.tiers.yml')
        with open(source, 'w') as handle:
            handle.write(text)
        playbook = os.path.join(tmp, 'play.yml')
        with open(playbook, 'w') as handle:
            handle.write('- hosts: all\n  gather_facts: true\n  tasks:\n    - ansible.builtin.raw: "touch %s"\n'
                         % canary)
        env = dict(os.environ, ANSIBLE_INVENTORY_UNPARSED_FAILED='true', ANSIBLE_NOCOLOR='1')
        proc = subprocess.run(['ansible-playbook', '-i', source, playbook], capture_output=True, text=True, env=env,
                              check=False, timeout=120)
        check('hostile hardware file: the playbook stops on the inventory and nothing runs',
              proc.returncode != 0 and not os.path.exists(canary) and '10 problems in the hardware file' in proc.stderr,
              'rc=%s canary=%s\n%s%s' % (proc.returncode, os.path.exists(canary), proc.stdout, proc.stderr))
    finally:
        shutil.rmtree(tmp)


def test_docs():
    proc = subprocess.run(['ansible-doc', '-t', 'inventory', 'homelab.cluster.tiers'], capture_output=True, text=True,
                          check=False)
    check('ansible-doc renders the plugin', proc.returncode == 0 and 'tier_rules' in proc.stdout
          and 'EXAMPLES' in proc.stdout and 'keyed_groups' in proc.stdout, proc.stderr)


def test_installed_collection():
    """What a user installs: the tarball holds no development files, and the README's quick start works from the
    installed collection (its example inventory, the plugin enabled as the README says)."""
    tmp = tempfile.mkdtemp(prefix='tiers-install-')
    try:
        build = subprocess.run(['ansible-galaxy', 'collection', 'build', '--output-path', tmp, ROOT],
                               capture_output=True, text=True, check=False)
        tarball = [f for f in os.listdir(tmp) if f.endswith('.tar.gz')]
        listing = subprocess.run(['tar', 'tzf', os.path.join(tmp, tarball[0])], capture_output=True, text=True,
                                 check=False).stdout.split() if tarball else []
        dev = [f for f in listing if f.split('/')[0] in ('ansible.cfg', '.config', 'tests', 'lab', 'molecule', 'bench',
                                                         'Makefile', '.ci', 'requirements-dev.txt')]
        check('the tarball ships LICENSE and no development files', build.returncode == 0 and 'LICENSE' in listing
              and 'LICENSES/GPL-3.0-or-later.txt' in listing and not dev, build.stderr + repr(dev))
        # the README's ansible.cfg, in a directory of the user's own (not the checkout's)
        with open(os.path.join(tmp, 'ansible.cfg'), 'w') as handle:
            handle.write('[inventory]\nenable_plugins = homelab.cluster.tiers, ansible.builtin.yaml, '
                         'ansible.builtin.ini, ansible.builtin.host_list\nunparsed_is_failed = True\n')
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(tmp, 'c'),
                   ANSIBLE_CONFIG=os.path.join(tmp, 'ansible.cfg'))
        install = subprocess.run(['ansible-galaxy', 'collection', 'install', '--force', '-p', os.path.join(tmp, 'c'),
                                  os.path.join(tmp, tarball[0]) if tarball else '-'], capture_output=True, text=True,
                                 env=env, check=False, cwd=tmp)
        example = os.path.join(tmp, 'c', 'ansible_collections', 'homelab', 'cluster', 'inventory', 'example')
        graph = subprocess.run(['ansible-inventory', '-i', example, '--graph'], capture_output=True, text=True,
                               env=env, check=False, cwd=tmp)
        check('the quick start works from the installed collection', install.returncode == 0 and graph.returncode == 0
              and '@tier_ultralow:' in graph.stdout and 'penny' in graph.stdout, install.stderr + graph.stderr)
    finally:
        shutil.rmtree(tmp)


def main():
    for test in (test_cases, test_errors, test_example_graph_and_determinism, test_untrusted, test_plain_output,
                 test_cache, test_fact_cache, test_hostile_runs_nothing, test_docs, test_installed_collection):
        test()
    print('%d passed, %d failed' % (RESULTS['passed'], RESULTS['failed']))
    return 1 if RESULTS['failed'] else 0


if __name__ == '__main__':
    sys.exit(main())
