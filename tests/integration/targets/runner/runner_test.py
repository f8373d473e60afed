"""The power guard as AWX runs it (issue 22): ansible-runner, a private data dir laid out as AWX lays it out, and
state that survives the job container.

Two lab containers on the podman network homelab-molecule-awx (10.77.85.0/24): awx-keeper, the logic node (the
power reader and wake relay, with the DOUBLES of a Tasmota plug, a Shelly Gen1 plug, Home Assistant and a webhook
from lab/doubles/power_devices.py) and awx-spec, a speculative host whose homelab-batch service the guard may stop.

Every job gets a FRESH private data dir, removed after it, with HOME, the SSH control path and Ansible's local temp
inside it, as in an execution environment:

    project/              the user's AWX project: power_guard.yml (imports homelab.cluster.power_guard),
                          collections/requirements.yml (the collection tarball), inventory/ (the tiers config,
                          hardware.yml, group_vars/ and host_vars/)
    requirements_collections/   what AWX's project update installs from collections/requirements.yml
    inventory/hosts       the inventory as AWX hands it to a job: a script printing what the inventory update
                          (ansible-inventory --list --export over the project's tiers config, run through runner)
                          imported
    env/extravars         the secrets a custom credential type injects (the Home Assistant token, the webhook URL)
    env/envvars           what AWX and the execution environment set (ANSIBLE_COLLECTIONS_PATH, the EE's ENV lines)
    env/ssh_key           the machine credential's key (runner hands it to ssh-agent; it is never on disk after)
    env/settings          job_timeout
    artifacts/<ident>/    runner's rc, status, stdout and job_events/*.json, which this test reads

    1. inventory update: the tiers plugin from the project, AWX's --export JSON; keeper is role_logic
    2. job 1, the house at 3210 W over a 3000 W limit: the guard stops homelab-batch on awx-spec (per-host events:
       the plan, the step delegated to awx-spec ok and changed); the state is on keeper, 0600 in a 0700 directory;
       nothing of it in the (removed) private data dir
    3. job 2, a fresh private data dir, the house at 2810 W: holding (a guard without the state would say normal)
    4. job 3, another fresh one, the house at 2110 W: restoring what job 1 shed (homelab-batch runs again) and the
       state's shed log is empty
    5. the controller as the power reader (homelab_power_reader: localhost) in an AWX job: refused, nothing read
    6. the vault init-file guard in a runner job: a file in the private data dir is refused with the reason; in an
       AWX job only vault_init_file_durable lets a file through; plain ansible-runner outside the data dir passes
Containers and the network are removed at the end (RUNNER_KEEP=1 keeps them).

    python runner_test.py ROOT
"""

import glob
import itertools
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import time

import ansible_runner
import yaml

ROOT = os.path.abspath(sys.argv[1])
OUT = os.path.join(ROOT, '.build', 'runner')
BIN = os.path.dirname(sys.executable)
NETWORK, SUBNET = 'homelab-molecule-awx', '10.77.85.0/24'
IMAGE = 'localhost/homelab-lab-py:current'
KEEPER, SPEC = ('awx-keeper', '10.77.85.5', '02:77:85:00:00:05'), ('awx-spec', '10.77.85.20', '02:77:85:00:00:20')
LABEL = 'homelab.molecule=1'
TOKEN = 'awx-double-token'  # noqa: S105 - the Home Assistant double's token, test only
STATE_DIR = '/var/lib/homelab/power'
FAILED = []
T0 = time.time()
JOB_IDS = itertools.count(101)


def log(message):
    print('runner: [%3.0fs] %s' % (time.time() - T0, message), flush=True)


def check(ok, what, detail=''):
    print('%s %s%s' % ('PASS' if ok else 'FAIL', what, '' if ok else ': %s' % (detail,)), flush=True)
    if not ok:
        FAILED.append(what)
    return ok


def _read(path, default=None):
    if default is not None and not os.path.exists(path):
        return default
    with open(path) as handle:
        return handle.read()


def sh(*argv, check_rc=True, **kw):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, **kw)
    if check_rc and proc.returncode:
        raise RuntimeError('%s: rc %d: %s' % (' '.join(argv), proc.returncode, (proc.stderr or proc.stdout)[-2000:]))
    return proc


def podman(*args, check_rc=True):
    return sh('podman', *args, check_rc=check_rc)


# ---------------------------------------------------------------------------------------------- the lab part

def doubles(base_w):
    return {'token': TOKEN, 'ha_port': 8123, 'webhook_port': 8099,
            'house': {'entity': 'sensor.house_power', 'base_w': base_w},
            'plugs': {'8083': {'kind': 'tasmota', 'host': SPEC[1], 'on_w': 600, 'off_w': 0.5},
                      '8084': {'kind': 'shelly_gen1', 'host': KEEPER[1], 'on_w': 10, 'off_w': 0.4}}}


def set_house(base_w):
    path = os.path.join(OUT, 'state.json')
    with open(path, 'w') as handle:
        json.dump(doubles(base_w), handle)
    podman('cp', path, KEEPER[0] + ':/etc/homelab-doubles/state.json')


def down():
    for name, _ip, _mac in (KEEPER, SPEC):
        podman('rm', '-f', '-t', '0', name, check_rc=False)
    podman('network', 'rm', '-f', NETWORK, check_rc=False)


def up(key):
    down()
    podman('network', 'create', '--label', LABEL, '--subnet', SUBNET, NETWORK)
    for name, ip, mac in (KEEPER, SPEC):
        podman('run', '-d', '--name', name, '--hostname', name, '--label', LABEL,
               '--network', '%s:ip=%s,mac=%s' % (NETWORK, ip, mac), IMAGE, '/sbin/init')
        podman('cp', key + '.pub', name + ':/root/.ssh/authorized_keys')
    units = os.path.join(OUT, 'units')
    os.makedirs(units, exist_ok=True)
    with open(os.path.join(units, 'homelab-power-doubles.service'), 'w') as handle:
        handle.write('[Unit]\nDescription=DOUBLES of Shelly, Tasmota, Home Assistant and a webhook (test only)\n'
                     '[Service]\nExecStart=/usr/bin/python3 /usr/local/bin/homelab-power-doubles '
                     '/etc/homelab-doubles/state.json\n')
    with open(os.path.join(units, 'homelab-batch.service'), 'w') as handle:
        handle.write('[Unit]\nDescription=Speculative batch work the power guard may stop (test only)\n'
                     '[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n')
    deadline = time.time() + 90
    for name, ip, _mac in (KEEPER, SPEC):
        while time.time() < deadline:
            state = podman('exec', name, 'systemctl', 'is-system-running', check_rc=False).stdout.strip()
            if state in ('running', 'degraded') and _port(ip, 22):
                break
            time.sleep(0.5)
        else:
            raise RuntimeError('%s: systemd and sshd not up after 90 s' % (name,))
    podman('exec', KEEPER[0], 'mkdir', '-p', '/etc/homelab-doubles')
    podman('cp', os.path.join(ROOT, 'lab', 'doubles', 'power_devices.py'),
           KEEPER[0] + ':/usr/local/bin/homelab-power-doubles')
    set_house(2600)
    podman('cp', os.path.join(units, 'homelab-power-doubles.service'), KEEPER[0] + ':/etc/systemd/system/')
    podman('exec', KEEPER[0], 'systemctl', 'daemon-reload')
    podman('exec', KEEPER[0], 'systemctl', 'start', 'homelab-power-doubles')
    podman('cp', os.path.join(units, 'homelab-batch.service'), SPEC[0] + ':/etc/systemd/system/')
    podman('exec', SPEC[0], 'systemctl', 'daemon-reload')
    podman('exec', SPEC[0], 'systemctl', 'enable', '--now', 'homelab-batch')
    deadline = time.time() + 30
    while not _port(KEEPER[1], 8123) and time.time() < deadline:
        time.sleep(0.3)


def _port(ip, port):
    try:
        with socket.create_connection((ip, port), timeout=1):
            return True
    except OSError:
        return False


# ------------------------------------------------------------------------------------ the AWX private data dir

def project(tarball):
    """The user's AWX project (a git repository in real life), written once and copied into every job."""
    src = os.path.join(OUT, 'project')
    shutil.rmtree(src, ignore_errors=True)
    inv = os.path.join(src, 'inventory')
    for folder in ('collections', 'inventory/group_vars', 'inventory/host_vars'):
        os.makedirs(os.path.join(src, folder))
    shutil.copy(tarball, os.path.join(src, 'collections', 'homelab-cluster.tar.gz'))
    files = {
        'power_guard.yml': '---\n# An AWX job template runs this every minute.\n'
                           '- name: The power guard\n  ansible.builtin.import_playbook: homelab.cluster.power_guard\n',
        'vault_guard.yml': '---\n- name: Where would the vault init file land\n  hosts: localhost\n'
                           '  gather_facts: false\n  tasks:\n    - name: The guard\n'
                           '      ansible.builtin.include_role:\n        name: homelab.cluster.vault\n'
                           '        tasks_from: init_file_guard.yml\n',
        'collections/requirements.yml': yaml.safe_dump({'collections': [
            {'name': 'collections/homelab-cluster.tar.gz', 'type': 'file'}]}),
        'inventory/awx.tiers.yml': yaml.safe_dump({'plugin': 'homelab.cluster.tiers', 'hardware': 'hardware.yml'}),
        'inventory/hardware.yml': yaml.safe_dump({'hosts': {
            KEEPER[0]: {'address': KEEPER[1], 'mac': KEEPER[2], 'os': 'debian', 'form_factor': 'sff',
                        'cpu': {'arch': 'x86_64', 'cores': 4, 'threads': 4, 'ghz': 2.0}, 'ram_gb': 8,
                        'always_on': True,
                        'power': {'idle_w': 7, 'peak_w': 35,
                                  'plug': {'kind': 'shelly_gen1', 'host': KEEPER[1], 'port': 8084}}},
            SPEC[0]: {'address': SPEC[1], 'mac': SPEC[2], 'os': 'debian', 'form_factor': 'tower',
                      'cpu': {'arch': 'x86_64', 'cores': 8, 'threads': 16, 'ghz': 4.0}, 'ram_gb': 32,
                      'gpus': [{'model': 'RTX 3060', 'vendor': 'nvidia', 'vram_gb': 12}],
                      'power': {'idle_w': 55, 'peak_w': 420,
                                'plug': {'kind': 'tasmota', 'host': KEEPER[1], 'port': 8083}}},
        }}),
        'inventory/group_vars/all.yml': yaml.safe_dump({
            'ansible_user': 'root',
            'homelab_power_limit_w': 3000,
            'homelab_power_ha_url': 'http://%s:8123' % KEEPER[1],
            'homelab_power_house_entity': 'sensor.house_power',
            'homelab_power_off_timeout_s': 30,
        }),
        'inventory/host_vars/%s.yml' % SPEC[0]: yaml.safe_dump({
            'homelab_power_priority': 'speculative', 'homelab_power_shed_services': ['homelab-batch']}),
    }
    for rel, text in files.items():
        with open(os.path.join(src, rel), 'w') as handle:
            handle.write(text)
    return src, inv


def ee_env():
    """The ENV lines execution-environment.yml adds to the image."""
    with open(os.path.join(ROOT, 'execution-environment.yml')) as handle:
        steps = yaml.safe_load(handle)['additional_build_steps']['append_final']
    return dict(step[4:].split('=', 1) for step in steps if step.startswith('ENV '))


def private_data_dir(name, project_src, key, listing=None, awx=True):
    """A fresh private data dir, as AWX prepares one for a job (project copy, collections, inventory, env)."""
    pdd = os.path.join(OUT, name)
    shutil.rmtree(pdd, ignore_errors=True)
    for folder in ('env', 'inventory', 'home'):
        os.makedirs(os.path.join(pdd, folder))
    shutil.copytree(project_src, os.path.join(pdd, 'project'))
    # AWX's project update installs collections/requirements.yml into the job's requirements_collections
    sh(os.path.join(BIN, 'ansible-galaxy'), 'collection', 'install', '--offline', '-r',
       'collections/requirements.yml', '-p', os.path.join(pdd, 'requirements_collections'),
       cwd=os.path.join(pdd, 'project'), env=_clean_env(pdd))
    envvars = ee_env()
    envvars.update({
        'HOME': os.path.join(pdd, 'home'),  # the execution environment's home: gone with the job
        'ANSIBLE_COLLECTIONS_PATH': os.path.join(pdd, 'requirements_collections'),
        'ANSIBLE_SSH_CONTROL_PATH_DIR': os.path.join(pdd, 'cp'),
        'ANSIBLE_LOCAL_TEMP': os.path.join(pdd, 'tmp'),
        'ANSIBLE_SSH_ARGS': '-o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=/dev/null',
        'ANSIBLE_FORCE_COLOR': 'False',
        'JOB_ID': str(next(JOB_IDS)), 'AWX_HOST': 'https://awx.invalid',
        'PATH': BIN + os.pathsep + os.environ.get('PATH', '/usr/bin:/bin'),
    })
    if not awx:  # ansible-runner alone, as a workstation or CI runs it: no AWX job variables
        del envvars['JOB_ID'], envvars['AWX_HOST']
    files = {
        'env/envvars': envvars,
        # a custom credential type "homelab power sources" injects these (README: Running from AWX)
        'env/extravars': {'homelab_power_ha_token': TOKEN,
                          'homelab_power_webhook': 'http://%s:8099/homelab' % KEEPER[1]},
        'env/settings': {'job_timeout': 300, 'suppress_ansible_output': False},
    }
    for rel, data in files.items():
        with open(os.path.join(pdd, rel), 'w') as handle:
            yaml.safe_dump(data, handle)
    if key:
        shutil.copy(key, os.path.join(pdd, 'env', 'ssh_key'))
        os.chmod(os.path.join(pdd, 'env', 'ssh_key'), 0o600)
    if listing is not None:
        # AWX hands a job its inventory as a script that prints what the inventory update imported
        script = os.path.join(pdd, 'inventory', 'hosts')
        with open(script, 'w') as handle:
            handle.write('#!%s\n# -*- coding: utf-8 -*-\nimport json\nprint(json.dumps(%r))\n'
                         % (sys.executable, listing))
        os.chmod(script, stat.S_IRUSR | stat.S_IWUSR | stat.S_IXUSR)
    return pdd


def _clean_env(pdd):
    """This process's environment without the checkout's Ansible settings (a job sees only the installed tarball)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(('ANSIBLE_', 'MOLECULE_'))}
    env['HOME'] = os.path.join(pdd, 'home')
    return env


def inventory_update(project_src):
    """AWX's inventory update for a source 'sourced from a project': ansible-inventory --list --export over the
    project's file, run through runner in its own private data dir; returns what AWX imports."""
    pdd = private_data_dir('inventory-update', project_src, None)  # an inventory update has no machine credential
    out = os.path.join(pdd, 'artifacts', 'output.json')
    os.makedirs(os.path.dirname(out))
    envvars = yaml.safe_load(_read(os.path.join(pdd, 'env', 'envvars')))
    with _scrubbed(pdd):
        _stdout, _stderr, rc = ansible_runner.run_command(
            executable_cmd='ansible-inventory', private_data_dir=pdd, envvars=envvars, quiet=True,
            cmdline_args=['-i', os.path.join(pdd, 'project', 'inventory', 'awx.tiers.yml'), '--list', '--export',
                          '--output', out, '--playbook-dir', os.path.join(pdd, 'project', 'inventory')])
    check(rc == 0, 'inventory update: ansible-inventory --list --export over the project\'s tiers config', _stdout)
    with open(out) as handle:
        listing = json.load(handle)
    shutil.rmtree(pdd)
    return listing


class _scrubbed:
    """Run runner without the checkout's ANSIBLE_* settings in os.environ (runner copies it into the job)."""

    def __init__(self, pdd):
        self.pdd, self.saved = pdd, None

    def __enter__(self):
        self.saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(_clean_env(self.pdd))
        os.environ['PATH'] = BIN + os.pathsep + os.environ.get('PATH', '')

    def __exit__(self, *exc):
        os.environ.clear()
        os.environ.update(self.saved)


def job(name, playbook, project_src, key, listing, extra=None, awx=True):
    """One AWX job: `ansible-runner run` in a fresh private data dir; returns (rc, events), removes the dir."""
    pdd = private_data_dir(name, project_src, key, listing, awx)
    if extra:
        path = os.path.join(pdd, 'env', 'extravars')
        data = yaml.safe_load(_read(path))
        data.update(extra)
        with open(path, 'w') as handle:
            yaml.safe_dump(data, handle)
    with _scrubbed(pdd):
        proc = sh(os.path.join(BIN, 'ansible-runner'), 'run', pdd, '-p', playbook, '--ident', '1', check_rc=False)
    artifacts = os.path.join(pdd, 'artifacts', '1')
    events = []
    for path in glob.glob(os.path.join(artifacts, 'job_events', '*.json')):
        with open(path) as handle:
            events.append(json.load(handle))
    events.sort(key=lambda e: e['counter'])
    rc = int(_read(os.path.join(artifacts, 'rc'), str(proc.returncode)).strip())
    status = _read(os.path.join(artifacts, 'status'), 'none').strip()
    keep = os.path.join(OUT, 'jobs', name)
    shutil.rmtree(keep, ignore_errors=True)
    os.makedirs(os.path.dirname(keep), exist_ok=True)
    shutil.copytree(artifacts, keep)  # for a person reading a failure; the job's own dir goes, as in AWX
    leftovers = sorted(p for p in _walk(pdd) if 'guard.json' in p or 'guard.log' in p or 'homelab/power' in p)
    shutil.rmtree(pdd)
    log('job %s: %s (rc %d), %d events, artifacts kept in %s' % (name, status, rc, len(events), keep))
    return rc, events, leftovers


def _walk(top):
    for dirpath, dirs, files in os.walk(top):
        for item in dirs + files:
            yield os.path.join(dirpath, item)


# ------------------------------------------------------------------------------------------------ the events

def task_events(events, task, kinds=('runner_on_ok', 'runner_on_failed', 'runner_on_unreachable',
                                     'runner_on_skipped', 'runner_item_on_ok', 'runner_item_on_failed')):
    return [e for e in events if e['event'] in kinds and e['event_data'].get('task', '').startswith(task)]


def plan_of(events):
    (event,) = task_events(events, 'Print the plan beside its readings', ('runner_on_ok',))
    return event['event_data']['res']['msg']


def stats_of(events):
    (event,) = [e for e in events if e['event'] == 'playbook_on_stats']
    data = event['event_data']
    return {key: data.get(key) or {} for key in ('ok', 'changed', 'failures', 'dark', 'skipped')}


def service_step(events):
    """The per-host result of the services step: the runner event for the delegated host (awx-spec)."""
    kinds = ('runner_item_on_ok', 'runner_item_on_failed')
    found = task_events(events, 'Stop (or, to restore, start) the services', kinds)
    return [(e['event'], e['event_data'].get('host'),
             (e['event_data']['res'].get('_ansible_delegated_vars') or {}).get('ansible_host'),
             e['event_data']['res'].get('changed'), e['event_data']['res'].get('state')) for e in found]


def remote(name, *argv):
    return podman('exec', name, *argv, check_rc=False)


def guard_state():
    raw = remote(KEEPER[0], 'cat', STATE_DIR + '/guard.json').stdout
    return json.loads(raw) if raw.strip() else {}


# ------------------------------------------------------------------------------------------------- the test

def main():
    os.makedirs(OUT, exist_ok=True)
    key = os.path.join(OUT, 'id_ed25519')
    if not os.path.exists(key):
        sh('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'homelab-awx-runner-test', '-f', key)
    dist = os.path.join(OUT, 'dist')
    shutil.rmtree(dist, ignore_errors=True)
    built = sh(os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--force', '--output-path', dist, ROOT,
               env=_clean_env(OUT)).stdout.strip().split()[-1]
    log('collection built: %s' % built)
    try:
        up(key)
        log('containers up: %s %s, %s %s' % (KEEPER[0], KEEPER[1], SPEC[0], SPEC[1]))
        scenario(key, built)
    finally:
        if os.environ.get('RUNNER_KEEP') != '1':
            down()


def scenario(key, built):
    project_src, _inv = project(built)

    # 1. the inventory update
    listing = inventory_update(project_src)
    check(KEEPER[0] in listing.get('role_logic', {}).get('hosts', []), 'the tiers plugin puts awx-keeper in role_logic',
          {k: v for k, v in listing.items() if k != '_meta'})
    hostvars = listing.get('_meta', {}).get('hostvars', {})
    check(hostvars.get(SPEC[0], {}).get('homelab_power_priority') == 'speculative'
          and hostvars.get(SPEC[0], {}).get('ansible_host') == SPEC[1],
          'the export carries host_vars and the address', hostvars.get(SPEC[0]))
    check(json.loads(json.dumps(listing)) == listing and '__ansible_unsafe' not in json.dumps(listing),
          'the export is plain JSON (what AWX imports)')

    # 2. job 1: over the limit, the guard sheds
    rc, events, leftovers = job('guard-1', 'power_guard.yml', project_src, key, listing)
    plan = plan_of(events)
    check(rc == 0, 'job 1 succeeded', rc)
    check(plan['state'] == 'shedding' and plan['house_w'].startswith('3210'),
          'job 1 plans shedding at 3210 W', plan)
    step = service_step(events)
    check([(s[0], s[1], s[2], s[3], s[4]) for s in step]
          == [('runner_item_on_ok', 'localhost', SPEC[1], True, 'stopped')],
          'job 1: homelab-batch stopped on awx-spec (its runner event, delegated)', step)
    stats = stats_of(events)
    check(stats['failures'] == {} and stats['dark'] == {} and 'localhost' in stats['ok'],
          'job 1 per-host stats: no failed or unreachable host', stats)
    check(remote(SPEC[0], 'systemctl', 'is-active', 'homelab-batch').stdout.strip() == 'inactive',
          'awx-spec: homelab-batch is stopped')
    state = guard_state()
    check([(e['action'], e['host']) for e in state.get('shed_log', [])] == [('stop_services', SPEC[0])],
          'the shed log on awx-keeper names the stop', state)
    modes = remote(KEEPER[0], 'stat', '-c', '%a %n', STATE_DIR, STATE_DIR + '/guard.json',
                   STATE_DIR + '/guard.log').stdout.split('\n')
    check(modes[:3] == ['700 %s' % STATE_DIR, '600 %s/guard.json' % STATE_DIR, '600 %s/guard.log' % STATE_DIR],
          'state on the reader: 0700 directory, 0600 files', modes)
    check(leftovers == [], 'nothing of the state in the private data dir', leftovers)
    check(remote(KEEPER[0], 'test', '-e', STATE_DIR + '/guard.lock').returncode == 1, 'the lock was released')

    # 3. job 2, fresh: 2810 W is between target - hysteresis (2750) and the target (2900): hold
    set_house(2200)
    rc, events, _left = job('guard-2', 'power_guard.yml', project_src, key, listing)
    plan = plan_of(events)
    check(rc == 0 and plan['state'] == 'holding' and plan['actions'] == [],
          'job 2 (fresh private data dir) holds what job 1 shed: hysteresis from the state on awx-keeper', plan)
    check(len(guard_state().get('shed_log', [])) == 1, 'the shed log still holds the stop')

    # 4. job 3, fresh: 2110 W, restoring brings it to 2655 W, under 2750 W: restore
    set_house(1500)
    rc, events, _left = job('guard-3', 'power_guard.yml', project_src, key, listing)
    plan = plan_of(events)
    check(rc == 0 and plan['state'] == 'restoring'
          and [a.split(':')[0] for a in plan['actions']] == ['undo "stop homelab-batch on awx-spec (speculative)'],
          'job 3 (fresh) restores what job 1 shed', plan)
    step = service_step(events)
    check([(s[0], s[2], s[3], s[4]) for s in step] == [('runner_item_on_ok', SPEC[1], True, 'started')],
          'job 3: homelab-batch started on awx-spec (its runner event)', step)
    check(remote(SPEC[0], 'systemctl', 'is-active', 'homelab-batch').stdout.strip() == 'active',
          'awx-spec: homelab-batch runs again')
    check(guard_state().get('shed_log') == [], 'the shed log is empty after the restore', guard_state())
    log_lines = remote(KEEPER[0], 'cat', STATE_DIR + '/guard.log').stdout.splitlines()
    decisions = [json.loads(line)['plan']['state'] for line in log_lines if '"plan"' in line]
    check(decisions == ['shedding', 'holding', 'restoring'], 'the decision log on awx-keeper has all three jobs',
          decisions)
    hooks = remote(KEEPER[0], 'cat', '/etc/homelab-doubles/notifications.jsonl').stdout.splitlines()
    check(len(hooks) >= 2 and all('homelab power guard' in h for h in hooks),
          'the webhook from the credential got the notices', hooks)

    # 5. the controller as the power reader in an AWX job: its state would go with the job, so the guard refuses
    rc, events, _left = job('guard-controller', 'power_guard.yml', project_src, key, listing,
                            extra={'homelab_power_reader': 'localhost'})
    failed = task_events(events, 'Keep the state where the next run finds it', ('runner_on_failed',))
    message = failed[0]['event_data']['res'].get('msg', '') if failed else ''
    check(rc != 0 and 'localhost.homelab_power_reader' in message and "ansible-runner's private data dir" in message
          and 'this run is an AWX job' in message and not task_events(events, 'Read every power source'),
          'the controller as power reader in an AWX job is refused before anything is read', message or rc)

    # 6. the vault init-file guard in a runner job
    rc, events, _left = job('vault-guard-ephemeral', 'vault_guard.yml', project_src, key, listing,
                            extra={'vault_init_file': '~/vault-init.age'})
    failed = task_events(events, 'Refuse an init file that would not outlive this run', ('runner_on_failed',))
    message = failed[0]['event_data']['res'].get('msg', '') if failed else ''
    check(rc != 0 and "ansible-runner's private data dir" in message and 'nothing was initialised' in message,
          'a vault init file in the private data dir is refused, with the reason', message or rc)
    check("this run is an AWX job (JOB_ID=" in message, 'and an AWX job is named as such', message)
    # a place that is kept: under the checkout, unless the checkout itself is in a temporary directory (a clone in
    # /tmp), where the guard would rightly refuse it: then under ~/.cache (only the path is used, nothing is written)
    kept = os.path.join(OUT, 'kept')
    temporary = ('/tmp', '/var/tmp', '/dev/shm', '/run', (os.environ.get('TMPDIR') or '/tmp').rstrip('/'))
    if any(kept == t or kept.startswith(t + '/') for t in temporary):
        kept = os.path.join(os.path.expanduser('~'), '.cache', 'homelab-runner-test', 'kept')
    keep = os.path.join(kept, 'vault-init.age')
    rc, events, _left = job('vault-guard-kept', 'vault_guard.yml', project_src, key, listing,
                            extra={'vault_init_file': keep, 'vault_init_file_durable': True})
    said = [e['event_data']['res'].get('msg', '') for e in task_events(events, 'Say that a place', ('runner_on_ok',))]
    check(rc == 0 and said and 'kept because vault_init_file_durable is true' in said[0],
          'in an AWX job, vault_init_file_durable: true (a mounted volume) lets it through, with a notice', said or rc)
    rc, events, _left = job('vault-guard-runner', 'vault_guard.yml', project_src, key, listing,
                            extra={'vault_init_file': keep}, awx=False)
    check(rc == 0, 'plain ansible-runner on a workstation: a file outside the private data dir passes', rc)


if __name__ == '__main__':
    try:
        main()
    except Exception as exc:  # noqa: BLE001 - reported as a failure with what was tried
        check(False, 'the runner test ran to the end', '%s: %s' % (type(exc).__name__, exc))
    print('runner: %d s; %s' % (time.time() - T0, '%d checks failed: %s' % (len(FAILED), '; '.join(FAILED))
                                if FAILED else 'all checks passed'))
    sys.exit(1 if FAILED else 0)
