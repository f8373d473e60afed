"""Benchmark: `ansible-inventory --list` at 1,000 and 10,000 hosts, three ways, in one session.

(a) the homelab.cluster.tiers plugin reading a synthetic hardware file;
(b) ansible's static YAML inventory holding exactly the host vars and groups that (a) outputs
    (what a user would otherwise write by hand);
(c) static YAML of the raw hardware fields plus ansible.builtin.constructed computing the same tier groups.

(f) the floor: a do-nothing plugin that reads (a)'s finished host vars from JSON and only calls add_host and
    set_variable -- what any plugin producing this output costs before it does any work of its own.

Prints wall time and peak RSS of each run and the ratios a/b, a/c, f/b and a/f. Targets at 10,000 hosts (issue 2):
a/b <= 0.1, a/c <= 0.2, peak memory of (a) below (b)'s, and (a)'s output identical on repeated runs.
Exit status 1 when a target is missed at the largest size.

    python bench/inventory_scale.py [--sizes 1000 10000] [--keep DIR]
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
CPUS = [('Pentium II', 'i686', 1, 1, 0.3), ('Celeron J4125', 'x86_64', 4, 4, 2.0),
        ('Core i5-8500T', 'x86_64', 6, 6, 3.5), ('Ryzen 5 5560U', 'x86_64', 6, 12, 4.0),
        ('Ryzen 9 9950X', 'x86_64', 16, 32, 5.7),
        ('Cortex-A76', 'aarch64', 4, 4, 2.4), ('Core i5-13600K', 'x86_64', 14, 20, 5.1)]
GPUS = [None, None, ('RTX 4070 Ti Super', 'nvidia', 16, 285), ('RX 7900 XT', 'amd', 20, 315),
        ('RX 6500 XT', 'amd', 4, 107), ('Arc B580', 'intel', 12, 190), ('Hailo-8L', 'hailo', 0, None)]
RAM = [0.0625, 0.5, 4, 8, 16, 32, 64, 128]
FORMS = ['tower', 'tower', 'sff', 'laptop', 'sbc', 'rack', 'appliance']
OSES = ['debian', 'ubuntu', 'proxmox', 'truenas', 'raspios', 'windows', 'opnsense']

# (c): the default tier rules written as one constructed expression (first match wins).
TIER_EXPRESSION = (
    "'ultralow' if (ram_gb < 1 or cpu_ghz < 1.0) else "
    "('portable' if form_factor == 'laptop' else "
    "('modern' if ((gpus | rejectattr('shared') | selectattr('vram_gb', 'ge', 8) | list | length) > 0 "
    "or (cpu_threads >= 16 and ram_gb >= 32)) else 'legacy'))"
)


def synthetic_hosts(count, seed=7):
    rng = random.Random(seed)
    hosts = {}
    for i in range(count):
        model, arch, cores, threads, ghz = rng.choice(CPUS)
        gpu = rng.choice(GPUS)
        host = {
            'address': '10.%d.%d.%d' % (i // 65536, (i // 256) % 256, i % 256),
            'mac': '02:00:%02x:%02x:%02x:%02x' % ((i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255),
            'os': rng.choice(OSES), 'form_factor': rng.choice(FORMS),
            'cpu': {'model': model, 'arch': arch, 'cores': cores, 'threads': threads, 'ghz': ghz},
            'ram_gb': rng.choice(RAM),
            'power': {'idle_w': rng.randint(3, 90), 'peak_w': rng.randint(100, 900)},
            'always_on': rng.random() < 0.2, 'quorum_votes': rng.choice([0, 0, 0, 1]),
        }
        if host['os'] == 'windows':
            host['quorum_votes'] = 0  # as a user would write it (votes on a volatile host draw a warning)
        if gpu:
            entry = {'model': gpu[0], 'vendor': gpu[1], 'vram_gb': gpu[2]}
            if gpu[3]:
                entry['tdp_w'] = gpu[3]
            host['gpus'] = [entry]
        hosts['node%05d' % i] = host
    return hosts


def plain(value):
    """ansible-core 2.19 marks untrusted strings as {'__ansible_unsafe': v} in --list output; unwrap them."""
    if isinstance(value, dict):
        if set(value) == {'__ansible_unsafe'}:
            return value['__ansible_unsafe']
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def run(sources, env):
    """Run ansible-inventory --list under a one-child wrapper, so RUSAGE_CHILDREN is that run's peak RSS.

    Returns (seconds, peak MiB, stdout).
    """
    wrapper = ('import resource, subprocess, sys, time\n'
               't = time.perf_counter()\n'
               'with open(sys.argv[1], "w") as out:\n'
               '    p = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.PIPE, check=False)\n'
               'sys.stderr.write(p.stderr.decode()[-2000:])\n'
               'print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n'
               'sys.exit(p.returncode)\n')
    fd, out_path = tempfile.mkstemp(prefix='inventory-', suffix='.json')
    os.close(fd)
    cmd = [sys.executable, '-c', wrapper, out_path, 'ansible-inventory']
    for source in sources:
        cmd += ['-i', source]
    cmd.append('--list')
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if proc.returncode:
            raise SystemExit('ansible-inventory failed for %s:\n%s' % (sources, proc.stderr))
        seconds, kib = proc.stdout.split()
        with open(out_path) as handle:
            output = handle.read()
    finally:
        os.remove(out_path)
    return float(seconds), int(kib) // 1024, output


def build_cases(workdir, count):
    hosts = synthetic_hosts(count)
    case = os.path.join(workdir, str(count))
    os.makedirs(case)
    with open(os.path.join(case, 'hardware.yml'), 'w') as handle:
        yaml.safe_dump({'hosts': hosts}, handle, sort_keys=False)
    with open(os.path.join(case, 'a.tiers.yml'), 'w') as handle:
        handle.write('plugin: homelab.cluster.tiers\nhardware: hardware.yml\n')
    raw = {}
    for name, h in hosts.items():
        raw[name] = {'ansible_host': h['address'], 'mac': h['mac'], 'os': h['os'], 'form_factor': h['form_factor'],
                     'cpu_model': h['cpu']['model'], 'cpu_arch': h['cpu']['arch'], 'cpu_cores': h['cpu']['cores'],
                     'cpu_threads': h['cpu']['threads'], 'cpu_ghz': h['cpu']['ghz'], 'ram_gb': h['ram_gb'],
                     'gpus': [dict(g, shared=False) for g in h.get('gpus', [])], 'power': h['power'],
                     'always_on': h['always_on'], 'quorum_votes': h['quorum_votes']}
    with open(os.path.join(case, 'c_static.yml'), 'w') as handle:
        yaml.safe_dump({'all': {'hosts': raw}}, handle, sort_keys=False)
    with open(os.path.join(case, 'c_constructed.yml'), 'w') as handle:
        yaml.safe_dump({'plugin': 'ansible.builtin.constructed', 'strict': True,
                        'compose': {'homelab_tier': TIER_EXPRESSION},
                        'keyed_groups': [{'key': 'homelab_tier', 'prefix': 'tier', 'separator': '_'}]}, handle)
    return case


FLOOR_PLUGIN = '''
DOCUMENTATION = """
name: floor
short_description: benchmark floor, adds ready-made host vars
description: Reads host vars from JSON and adds them; no validation, no classification.
options:
  plugin: {required: true, choices: [bench.floor.floor]}
  file: {type: str, required: true}
"""
import json
from ansible.plugins.inventory import BaseInventoryPlugin


class InventoryModule(BaseInventoryPlugin):
    NAME = 'bench.floor.floor'

    def verify_file(self, path):
        return path.endswith('.floor.yml')

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path)
        self._read_config_data(path)
        with open(self.get_option('file')) as handle:
            data = json.load(handle)
        for group in data['groups']:
            self.inventory.add_group(group)
        for host, variables in data['hostvars'].items():
            self.inventory.add_host(host)
            for key, value in variables.items():
                self.inventory.set_variable(host, key, value)
        for group, hosts in data['groups'].items():
            for host in hosts:
                self.inventory.add_child(group, host)
'''


def write_floor(workdir, case, listing):
    """(f): the floor plugin (written once under workdir) and its JSON of (a)'s hosts, vars and groups."""
    plugin_dir = os.path.join(workdir, 'floor', 'ansible_collections', 'bench', 'floor', 'plugins', 'inventory')
    os.makedirs(plugin_dir, exist_ok=True)
    with open(os.path.join(plugin_dir, 'floor.py'), 'w') as handle:
        handle.write(FLOOR_PLUGIN)
    data = plain(json.loads(listing))
    hostvars = data.pop('_meta')['hostvars']
    groups = {g: body.get('hosts', []) for g, body in data.items() if g not in ('all', 'ungrouped')}
    with open(os.path.join(case, 'floor.json'), 'w') as handle:
        json.dump({'hostvars': hostvars, 'groups': groups}, handle)
    path = os.path.join(case, 'f.floor.yml')
    with open(path, 'w') as handle:
        handle.write('plugin: bench.floor.floor\nfile: %s\n' % os.path.join(case, 'floor.json'))
    return path


def write_static_b(case, listing):
    """(b): the exact host vars and groups of (a)'s --list output, as a static YAML inventory."""
    data = plain(json.loads(listing))
    hostvars = data.pop('_meta')['hostvars']
    children = {}
    for group, body in data.items():
        if group in ('all', 'ungrouped'):
            continue
        children[group] = {'hosts': dict.fromkeys(body.get('hosts', []))}
    path = os.path.join(case, 'b_static.yml')
    with open(path, 'w') as handle:
        yaml.safe_dump({'all': {'hosts': hostvars, 'children': children}}, handle, sort_keys=False)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[1000, 10000])
    parser.add_argument('--keep', help='keep the generated inventories in this directory')
    args = parser.parse_args()
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'),
               ANSIBLE_INVENTORY_ENABLED='homelab.cluster.tiers,ansible.builtin.yaml,ansible.builtin.constructed')
    workdir = args.keep or tempfile.mkdtemp(prefix='bench-inventory-')
    os.makedirs(workdir, exist_ok=True)
    floor_env = dict(env, ANSIBLE_COLLECTIONS_PATH=os.path.join(workdir, 'floor'),
                     ANSIBLE_INVENTORY_ENABLED='bench.floor.floor')
    failures = []
    try:
        print('%8s  %-34s %9s %9s' % ('hosts', 'run', 'seconds', 'peak MiB'))
        for count in args.sizes:
            case = build_cases(workdir, count)
            a_s, a_mb, a_out = run([os.path.join(case, 'a.tiers.yml')], env)
            a2_s, _a2_mb, a2_out = run([os.path.join(case, 'a.tiers.yml')], env)
            b_path = write_static_b(case, a_out)
            b_s, b_mb, _b_out = run([b_path], env)
            c_s, c_mb, _c_out = run([os.path.join(case, 'c_static.yml'), os.path.join(case, 'c_constructed.yml')], env)
            f_s, f_mb, _f_out = run([write_floor(workdir, case, a_out)], floor_env)
            a_best = min(a_s, a2_s)
            for label, seconds, mib in (('(a) homelab.cluster.tiers', a_best, a_mb),
                                        ('(b) static YAML, same vars', b_s, b_mb),
                                        ('(c) static raw + constructed', c_s, c_mb),
                                        ('(f) floor: add the same vars only', f_s, f_mb)):
                print('%8d  %-34s %9.2f %9d' % (count, label, seconds, mib))
            same = a_out == a2_out
            print('%8d  a/b = %.3f   a/c = %.3f   peak a/b = %.2f   repeated output identical: %s'
                  % (count, a_best / b_s, a_best / c_s, a_mb / float(b_mb), 'yes' if same else 'NO'))
            print('%8d  floor: f/b = %.3f   f/c = %.3f   a/f = %.2f (what no plugin with this output can beat)'
                  % (count, f_s / b_s, f_s / c_s, a_best / f_s))
            if count == max(args.sizes):
                if count >= 10000 and a_best / b_s > 0.1:
                    failures.append('a/b %.3f > 0.1' % (a_best / b_s))
                if count >= 10000 and a_best / c_s > 0.2:
                    failures.append('a/c %.3f > 0.2' % (a_best / c_s))
                if a_mb >= b_mb:
                    failures.append('peak memory of (a) %d MiB not below (b) %d MiB' % (a_mb, b_mb))
                if not same:
                    failures.append('(a) output differs between runs')
    finally:
        if not args.keep:
            shutil.rmtree(workdir)
    print('targets: %s' % ('met' if not failures else 'MISSED: ' + '; '.join(failures)))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
