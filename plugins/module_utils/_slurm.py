# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""slurm.conf and gres.conf from the classified inventory, without I/O.

Nodes come from the tiers (what each host is) and from facts (what slurmd will find: CPUs and memory as the
running system reports them, GPUs as homelab.cluster.gpu_info reports them). Partitions follow the tiers;
Weight follows idle power, so Slurm fills the cheapest nodes first; power saving wakes nodes over Wake-on-LAN.

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

import re

from ansible_collections.homelab.cluster.plugins.module_utils._gpu import gres_type

# The keys this module writes, in the order slurm.conf lists them; anything else comes from overrides.
BASE = (
    ('ClusterName', 'homelab'), ('AuthType', 'auth/munge'), ('CryptoType', 'crypto/munge'),
    ('MpiDefault', 'none'), ('ProctrackType', 'proctrack/linuxproc'), ('TaskPlugin', 'task/none'),
    ('JobAcctGatherType', 'jobacct_gather/none'), ('AccountingStorageType', 'accounting_storage/none'),
    ('JobCompType', 'jobcomp/none'), ('SchedulerType', 'sched/backfill'),
    # a homelab submits a few jobs an hour: a batch job is scheduled at the next pass (within a second), not up to
    # 3 s later (the default batch_sched_delay)
    ('SchedulerParameters', 'batch_sched_delay=0'), ('SelectType', 'select/cons_tres'),
    ('SelectTypeParameters', 'CR_Core_Memory'), ('ReturnToService', '2'), ('SlurmUser', 'slurm'),
    ('SlurmctldPidFile', '/run/slurmctld.pid'), ('SlurmdPidFile', '/run/slurmd.pid'),
    ('SlurmdSpoolDir', '/var/lib/slurm/slurmd'), ('StateSaveLocation', '/var/lib/slurm/slurmctld'),
    ('SlurmctldLogFile', '/var/log/slurm/slurmctld.log'), ('SlurmdLogFile', '/var/log/slurm/slurmd.log'),
)
PROGRAMS = {'SuspendProgram': '/usr/local/sbin/homelab-slurm-suspend',
            'ResumeProgram': '/usr/local/sbin/homelab-slurm-resume',
            'ResumeFailProgram': '/usr/local/sbin/homelab-slurm-resume-fail',
            # wakes a job's sleeping nodes at once and holds the job until they registered, then slurmctld starts
            # it (a batch job on a resumed node would otherwise wait for slurmctld's periodic check, up to 30 s)
            'PrologSlurmctld': '/usr/local/sbin/homelab-slurm-prolog'}
_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]*$')


class SlurmError(ValueError):
    """Inventory data slurm.conf cannot be made from; the message names the host and the field."""


def gpu_gres_type(gpu):
    """gpu_info's board-derived type (stable across driver installs), else the declared model's."""
    return gpu.get('gres_type') or gres_type(gpu.get('model'))


def _int(value, where, minimum=0):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SlurmError('%s: expected a whole number, got %r' % (where, value)) from None
    if number < minimum:
        raise SlurmError('%s: expected at least %d, got %r' % (where, minimum, value))
    return number


def node(host):
    """One compute node from a host record:
    {name, address, cpus, sockets, cores_per_socket, threads_per_core, memory_mb, memory_reserve_mb, gpus,
     tier, roles, idle_w, volatile, always_on, wakeable, boot_s, features}
    gpus: gpu_info's list (or the hardware file's): the discrete GPUs the host drives become its GRES.
    """
    name = host.get('name')
    if not name or not _NAME.match(str(name)):
        raise SlurmError('%r: not a name Slurm accepts as NodeName' % (name,))
    cpus = _int(host.get('cpus'), '%s.cpus' % name, 1)
    memory = _int(host.get('memory_mb'), '%s.memory_mb' % name, 1)
    reserve = _int(host.get('memory_reserve_mb', 0), '%s.memory_reserve_mb' % name)
    real_memory = max(1, memory - reserve)
    layout = {}
    if host.get('sockets') and host.get('cores_per_socket') and host.get('threads_per_core'):
        sockets = _int(host['sockets'], '%s.sockets' % name, 1)
        cores = _int(host['cores_per_socket'], '%s.cores_per_socket' % name, 1)
        threads = _int(host['threads_per_core'], '%s.threads_per_core' % name, 1)
        if sockets * cores * threads != cpus:
            raise SlurmError('%s: sockets %d x cores %d x threads %d is %d, not cpus %d'
                             % (name, sockets, cores, threads, sockets * cores * threads, cpus))
        layout = {'Sockets': sockets, 'CoresPerSocket': cores, 'ThreadsPerCore': threads}
    gpus = [g for g in host.get('gpus') or []
            if not g.get('integrated') and not g.get('passthrough') and not g.get('accelerator')
            and g.get('vendor') in ('nvidia', 'amd', 'intel')]
    counts = {}
    for gpu in gpus:
        kind = gpu_gres_type(gpu)
        counts[kind] = counts.get(kind, 0) + 1
    gres = ','.join('gpu:%s:%d' % (kind, count) for kind, count in sorted(counts.items()))
    features = ['tier_%s' % host['tier']] if host.get('tier') else []
    features += list(host.get('roles') or [])
    features += sorted({g['vendor'] for g in gpus})
    if host.get('volatile'):
        features.append('volatile')
    if host.get('always_on'):
        features.append('always_on')
    features += list(host.get('features') or [])
    weight = max(1, int(round(float(host.get('idle_w') or 1))))
    return {'name': name, 'address': host.get('address'), 'cpus': cpus, 'real_memory': real_memory,
            'layout': layout, 'gres': gres, 'gpus': gpus, 'features': sorted(set(features), key=features.index),
            'weight': weight, 'tier': host.get('tier'), 'volatile': bool(host.get('volatile')),
            'always_on': bool(host.get('always_on')), 'wakeable': bool(host.get('wakeable')),
            'boot_s': _int(host.get('boot_s') or 0, '%s.boot_s' % name)}


def node_line(item):
    parts = ['NodeName=%s' % item['name']]
    if item.get('address'):
        parts.append('NodeAddr=%s' % item['address'])
    parts.append('CPUs=%d' % item['cpus'])
    parts += ['%s=%d' % (k, v) for k, v in item['layout'].items()]
    parts.append('RealMemory=%d' % item['real_memory'])
    if item['gres']:
        parts.append('Gres=%s' % item['gres'])
    if item['features']:
        parts.append('Features=%s' % ','.join(item['features']))
    parts.append('Weight=%d' % item['weight'])
    parts.append('State=UNKNOWN')
    return ' '.join(parts)


def gres_conf(nodes):
    """gres.conf: one line per GPU, with its device file (/dev/nvidiaN, or the DRI render node)."""
    lines = []
    for item in nodes:
        for number, gpu in enumerate(item['gpus']):
            line = 'NodeName=%s Name=gpu Type=%s' % (item['name'], gpu_gres_type(gpu))
            if gpu.get('vendor') == 'nvidia':
                line += ' File=/dev/nvidia%d' % (gpu['index'] if gpu.get('index') is not None else number)
            elif gpu.get('render_node'):
                line += ' File=/dev/dri/%s' % gpu['render_node']
            else:
                line += ' Count=1'
            lines.append(line)
    return lines


def partitions(nodes, default=None, volatile_tier=1, tier_priority=10):
    """`all` (every node that is not volatile: the default, so a job may span tiers), one partition per tier
    (volatile hosts excluded), `gpu` (every non-volatile node with a GPU), and `volatile` (the hosts a person
    may grab at any time) at a lower PriorityTier."""
    steady = [n['name'] for n in nodes if not n['volatile']]
    result = [{'name': 'all', 'nodes': steady, 'priority_tier': tier_priority}] if steady else []
    tiers = []
    for item in nodes:
        if item['tier'] and not item['volatile'] and item['tier'] not in tiers:
            tiers.append(item['tier'])
    order = ('modern', 'portable', 'legacy', 'ultralow')
    tiers.sort(key=lambda t: (order.index(t) if t in order else len(order), t))
    default = default or (result[0]['name'] if result else 'volatile')
    for tier in tiers:
        members = [n['name'] for n in nodes if n['tier'] == tier and not n['volatile']]
        result.append({'name': tier, 'nodes': members, 'priority_tier': tier_priority})
    gpu = [n['name'] for n in nodes if n['gres'] and not n['volatile']]
    if gpu:
        result.append({'name': 'gpu', 'nodes': gpu, 'priority_tier': tier_priority})
    volatile = [n['name'] for n in nodes if n['volatile']]
    if volatile:
        result.append({'name': 'volatile', 'nodes': volatile, 'priority_tier': volatile_tier})
    names = [p['name'] for p in result]
    if default and default not in names:
        raise SlurmError('slurm_default_partition: %r is not one of the partitions (%s)' % (default, ', '.join(names)))
    for part in result:
        part['default'] = part['name'] == default
    return result


def partition_line(part, extra=None):
    values = {'Nodes': ','.join(part['nodes']), 'Default': 'YES' if part['default'] else 'NO',
              'MaxTime': 'INFINITE', 'State': 'UP', 'PriorityTier': part['priority_tier']}
    values.update(extra or {})
    return 'PartitionName=%s %s' % (part['name'], ' '.join('%s=%s' % (k, v) for k, v in values.items()))


def power_settings(nodes, controller, suspend_time=600, suspend_timeout=60, resume_margin_s=60, programs=None):
    """Slurm's power saving for the wakeable nodes; every other node (always-on, not wakeable) and the
    controller are in SuspendExcNodes. ResumeTimeout covers the slowest boot plus a margin."""
    sleepers = [n for n in nodes if n['wakeable'] and not n['always_on']]
    if not sleepers:
        return {}
    # the controller is listed only when it is a node too (Slurm rejects names that are not nodes)
    excluded = sorted(n['name'] for n in nodes if n not in sleepers)
    settings = dict(programs or PROGRAMS)
    settings.update({
        'SuspendTime': _int(suspend_time, 'slurm_suspend_time', 1),
        'SuspendTimeout': _int(suspend_timeout, 'slurm_suspend_timeout', 1),
        'ResumeTimeout': max(n['boot_s'] for n in sleepers) + _int(resume_margin_s, 'slurm_resume_margin_s'),
        'SuspendRate': 0, 'ResumeRate': 0,
        'DebugFlags': 'Power',
    })
    if excluded:
        settings['SuspendExcNodes'] = ','.join(excluded)
    return settings


def slurm_conf(hosts, controller, cluster='homelab', default_partition=None, overrides=None,
               partition_overrides=None, power=None, configless=False, controller_address=None):
    """The whole slurm.conf as text, and what went into it: {text, nodes, partitions, gres_conf, power}."""
    if not controller or not _NAME.match(str(controller)):
        raise SlurmError('slurm_controller: expected the inventory name of the logic node, got %r' % (controller,))
    nodes = [node(h) for h in hosts]
    seen = set()
    for item in nodes:
        if item['name'] in seen:
            raise SlurmError('%s: listed twice' % item['name'])
        seen.add(item['name'])
    if not nodes:
        raise SlurmError('no compute nodes: the slurm_compute_group is empty')
    parts = partitions(nodes, default_partition)
    settings = dict(BASE)
    settings['ClusterName'] = cluster
    settings['SlurmctldHost'] = '%s(%s)' % (controller, controller_address) if controller_address else controller
    if any(n['gres'] for n in nodes):
        settings['GresTypes'] = 'gpu'
    if configless:
        settings['SlurmctldParameters'] = 'enable_configless'
    power_values = power_settings(nodes, controller, **(power or {}))
    settings.update(power_values)
    for key, value in (overrides or {}).items():
        if not re.match(r'^[A-Za-z]+$', str(key)):
            raise SlurmError('slurm_conf_overrides: %r is not a slurm.conf key' % (key,))
        if value is None:
            settings.pop(key, None)
        else:
            settings[key] = value
    lines = ['# Managed by homelab.cluster.slurm: nodes and partitions come from the inventory\'s tiers.']
    lines += ['%s=%s' % (k, _value(v)) for k, v in settings.items()]
    lines += [node_line(n) for n in nodes]
    lines += [partition_line(p, (partition_overrides or {}).get(p['name'])) for p in parts]
    return {'text': '\n'.join(lines) + '\n', 'nodes': nodes, 'partitions': parts,
            'gres_conf': '\n'.join(['# Managed by homelab.cluster.slurm'] + gres_conf(nodes)) + '\n',
            'power': power_values}


def _value(value):
    if isinstance(value, bool):
        return 'YES' if value else 'NO'
    return str(value)


def parse_slurmd_c(text):
    """`slurmd -C` -> {'NodeName': ..., 'CPUs': 2, 'RealMemory': 23993, ...} (the line slurmd reports)."""
    values = {}
    for token in (text or '').split():
        if '=' in token:
            key, value = token.split('=', 1)
            values[key] = int(value) if value.isdigit() else value
    return values


def fits(node_item, reported):
    """Whether slurmd's own report (parse_slurmd_c) satisfies the NodeName line, as slurmctld checks it at
    registration (fewer CPUs or less memory than configured drains the node)."""
    problems = []
    if reported.get('CPUs', 0) < node_item['cpus']:
        problems.append('CPUs %s < %s' % (reported.get('CPUs'), node_item['cpus']))
    if reported.get('RealMemory', 0) < node_item['real_memory']:
        problems.append('RealMemory %s < %s' % (reported.get('RealMemory'), node_item['real_memory']))
    return problems


# A kernel reports less memory than the DIMMs hold (firmware, the kernel's own reservations, an iGPU's share):
# MemTotal is 94-98 % of the installed RAM on ordinary machines. Sized from the hardware file, RealMemory takes
# this fraction so slurmd, which reports MemTotal, never registers with less than slurm.conf says (the node
# would be drained); facts, when gathered, are exact.
HARDWARE_MEMORY_FRACTION = 0.94


def host_record(view, facts=None, source='facts', reserve_mb=512, gpus=None, address=None, features=None):
    """A node() record from one host's view (``_hostview.host_view``) and, with source facts, its gathered facts
    (what slurmd will report: the running kernel's CPUs and memory)."""
    name = view['name']
    facts = facts or {}
    cpu = view['cpu']
    if source == 'facts' and facts.get('processor_vcpus') and facts.get('memtotal_mb'):
        cpus, memory = facts['processor_vcpus'], facts['memtotal_mb']
    elif source in ('facts', 'hardware') and cpu.get('threads') and view['ram_gb']:
        cpus, memory = cpu['threads'], int(float(view['ram_gb']) * 1024 * HARDWARE_MEMORY_FRACTION)
    elif source == 'facts':
        raise SlurmError('%s: no facts (processor_vcpus, memtotal_mb) and no cpu.threads/ram_gb in the hardware '
                         'file; gather facts or declare them' % name)
    else:
        raise SlurmError("slurm_node_source: expected 'facts' or 'hardware', got %r" % (source,))
    return {
        'name': name, 'address': address or view['address'], 'cpus': cpus,
        'memory_mb': memory,
        'memory_reserve_mb': reserve_mb if memory > reserve_mb else 0,
        'gpus': gpus if gpus is not None else view['gpus'],
        'tier': view['tier'], 'roles': view['roles'],
        'idle_w': view['power']['idle_w'] or 1, 'volatile': view['volatile'],
        'always_on': view['always_on'], 'wakeable': view['wakeable'],
        'boot_s': view['wake']['boot_s'], 'features': features or [],
    }
