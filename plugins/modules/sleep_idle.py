#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: sleep_idle
short_description: Power off a host that has been idle long enough, and say why or why not
version_added: 0.1.0
description:
  - Decides on the host whether it may go to sleep, and reports every decision with its reasons.
  - A host is powered off only if it is not O(always_on), can be woken again (O(wakeable)), has no user
    logged in, runs no Slurm job step and no process named in O(busy_processes), its GPUs are idle
    (NVIDIA through C(nvidia-smi), AMD through C(gpu_busy_percent) in sysfs), and its 1-minute load per CPU
    stayed at or below O(max_load) for O(idle_minutes).
  - How long the host has been idle is remembered in O(state_file) between runs, so run it every few minutes
    from cron or AWX (C(playbooks/sleep_idle.yml)). On the first run after a boot, the 5- and 15-minute load
    averages count as evidence of idleness; the time before the boot never counts.
  - Before it powers off, the module syncs the file systems and stops O(stop_services) cleanly, in order. If
    a service does not stop, the host stays up. The poweroff is scheduled O(poweroff_delay_s) seconds later
    so the result reaches the controller. Confirm it from another host with
    M(homelab.cluster.wake) O(homelab.cluster.wake#module:state=down).
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  idle_minutes:
    description: Minutes the host must have been idle.
    type: int
    default: 30
  max_load:
    description: Highest 1-minute load average per CPU that still counts as idle.
    type: float
    default: 0.25
  max_gpu_util:
    description: Highest GPU utilisation, in percent, that still counts as idle.
    type: int
    default: 5
  busy_processes:
    description: Process names (as in C(/proc/PID/comm)) that keep the host awake, for example a game or a render.
    type: list
    elements: str
    default: []
  always_on:
    description: The host's C(always_on) (its P(homelab.cluster.host_view#filter)). When V(true), the host is never
      put to sleep.
    type: bool
    default: false
  wakeable:
    description: Whether the host can be woken again. A host that cannot is not put to sleep.
    type: bool
    default: true
  stop_services:
    description: Units to stop, in this order, before the poweroff.
    type: list
    elements: str
    default: []
  poweroff:
    description: With V(false), decide and report only.
    type: bool
    default: true
  poweroff_delay_s:
    description: Seconds between the module's answer and the poweroff.
    type: int
    default: 2
  state_file:
    description: Where the start of the current idle spell is remembered.
    type: path
    default: /var/lib/homelab/idle.json
notes:
  - Linux hosts with systemd.
  - Check mode reports the decision and changes nothing, not even O(state_file).
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_no_diff
seealso:
  - module: homelab.cluster.wake
'''

EXAMPLES = r'''
- name: Put idle hosts to sleep
  homelab.cluster.sleep_idle:
    always_on: "{{ (vars | homelab.cluster.host_view(inventory_hostname)).always_on }}"
    wakeable: "{{ (vars | homelab.cluster.host_view(inventory_hostname)).wakeable }}"
    idle_minutes: 30
    stop_services: [slurmd, ollama]
  register: sleep

- name: Confirm from the relay that it is gone
  homelab.cluster.wake:
    state: down
  delegate_to: keeper
  when: sleep.sleeping
'''

RETURN = r'''
sleeping:
  description: Whether the host was (or, in check mode, would be) powered off.
  returned: always
  type: bool
  sample: true
decision:
  description: V(sleep) or V(stay).
  returned: always
  type: str
  sample: stay
reasons:
  description: Why, in full sentences; the first one decided.
  returned: always
  type: list
  elements: str
  sample: ["1 user session logged in (alice pts/0)"]
idle_since:
  description: Unix time since which the host has been idle; null when busy or not considered.
  returned: always
  type: float
idle_s:
  description: Seconds idle so far.
  returned: always
  type: float
stopped_services:
  description: Units stopped before the poweroff.
  returned: always
  type: list
  elements: str
facts:
  description: What the decision was based on (load, cpus, users, jobs, processes, gpus, uptime_s).
  returned: always
  type: dict
msg:
  description: The decision in one sentence.
  returned: always
  type: str
'''

import glob
import json
import os
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.cluster.plugins.module_utils._idle import decide


def read(path, default=''):
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return default


def boot_time(now):
    """When this system (PID 1) started: the kernel's btime plus init's start time. In a container that is the
    container's boot; /proc/uptime would give the machine's."""
    btime = None
    for line in read('/proc/stat').splitlines():
        if line.startswith('btime '):
            btime = float(line.split()[1])
    stat = read('/proc/1/stat')
    if btime is not None and ')' in stat:
        fields = stat.rsplit(')', 1)[1].split()
        try:
            return btime + float(fields[19]) / os.sysconf('SC_CLK_TCK')
        except (IndexError, ValueError, OSError):
            pass
    return now - float(read('/proc/uptime', '0').split()[0])


def users(module):
    rc, out, _err = module.run_command(['who'])
    if rc:
        return []
    return [' '.join(line.split()[:2]) for line in out.splitlines() if line.strip()]


def processes(names):
    """(slurm job steps, busy processes) from /proc."""
    jobs, busy = [], []
    wanted = set(names)
    for comm_path in glob.glob('/proc/[0-9]*/comm'):
        comm = read(comm_path).strip()
        if comm == 'slurmstepd':
            cmdline = read(comm_path[:-4] + 'cmdline').replace('\0', ' ').strip()
            jobs.append(cmdline.replace('slurmstepd: ', '') or comm)
        elif comm in wanted:
            busy.append(comm)
    return sorted(jobs), sorted(busy)


def gpus(module):
    found = []
    smi = module.get_bin_path('nvidia-smi')
    if smi:
        rc, out, _err = module.run_command([smi, '--query-gpu=index,name,utilization.gpu',
                                            '--format=csv,noheader,nounits'])
        if rc == 0:
            for line in out.splitlines():
                parts = [p.strip() for p in line.split(',')]
                if len(parts) >= 3 and parts[2].isdigit():
                    found.append({'name': '%s %s' % (parts[0], parts[1]), 'util': int(parts[2])})
    for path in sorted(glob.glob('/sys/class/drm/card[0-9]*/device/gpu_busy_percent')):
        value = read(path).strip()
        if value.isdigit():
            found.append({'name': path.split('/')[4], 'util': int(value)})
    return found or None


def load_state(path):
    try:
        with open(path) as handle:
            data = json.load(handle)
        return float(data['idle_since'])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_state(path, since):
    directory = os.path.dirname(path) or '.'
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.idle-')
    with os.fdopen(fd, 'w') as handle:
        json.dump({'idle_since': since}, handle)
    os.rename(tmp, path)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            idle_minutes=dict(type='int', default=30),
            max_load=dict(type='float', default=0.25),
            max_gpu_util=dict(type='int', default=5),
            busy_processes=dict(type='list', elements='str', default=[]),
            always_on=dict(type='bool', default=False),
            wakeable=dict(type='bool', default=True),
            stop_services=dict(type='list', elements='str', default=[]),
            poweroff=dict(type='bool', default=True),
            poweroff_delay_s=dict(type='int', default=2),
            state_file=dict(type='path', default='/var/lib/homelab/idle.json'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    for key in ('idle_minutes', 'max_gpu_util', 'poweroff_delay_s'):
        if p[key] < 0:
            module.fail_json(msg='%s=%d: must not be negative' % (key, p[key]))
    now = time.time()
    booted = min(now, boot_time(now))
    load = [float(v) for v in read('/proc/loadavg', '0 0 0').split()[:3]]
    jobs, busy = processes(p['busy_processes'])
    facts = dict(always_on=p['always_on'], wakeable=p['wakeable'], now=now, boot_time=booted, load=load,
                 cpus=os.cpu_count() or 1, users=users(module), jobs=jobs, processes=busy, gpus=gpus(module),
                 idle_since=load_state(p['state_file']))
    policy = dict(idle_minutes=p['idle_minutes'], max_load=p['max_load'], max_gpu_util=p['max_gpu_util'])
    sleep, reasons, since = decide(facts, policy)
    report = {k: facts[k] for k in ('load', 'cpus', 'users', 'jobs', 'processes', 'gpus')}
    report['uptime_s'] = round(now - booted)
    result = dict(changed=False, sleeping=sleep, decision='sleep' if sleep else 'stay', reasons=reasons,
                  idle_since=since, idle_s=round(now - since, 1) if since else 0.0, stopped_services=[],
                  facts=report)
    if since is not None and not module.check_mode:
        save_state(p['state_file'], since)
    if not sleep or not p['poweroff']:
        result['msg'] = '%s: %s' % ('would sleep, poweroff=false' if sleep else 'stays up', reasons[0])
        module.exit_json(**result)
    if module.check_mode:
        result.update(changed=True, msg='would power off: %s' % reasons[0])
        module.exit_json(**result)

    os.sync()
    systemctl = module.get_bin_path('systemctl', required=True)
    for unit in p['stop_services']:
        rc, _out, err = module.run_command([systemctl, 'stop', unit])
        if rc:
            module.fail_json(msg='stopping %s before the poweroff failed (rc %d): %s; the host stays up'
                             % (unit, rc, err.strip()), **result)
        result['stopped_services'].append(unit)
    os.sync()
    if os.path.exists(p['state_file']):
        os.unlink(p['state_file'])  # the next boot starts a new idle spell
    run = module.get_bin_path('systemd-run')
    if run:
        # systemctl --no-block: a blocking poweroff inside the timer's own service waits for that service to
        # stop, which it cannot do while it waits (the shutdown hangs until the stop timeout)
        cmd = [run, '--no-block', '--quiet', '--unit', 'homelab-sleep-idle-%d' % int(now),
               '--on-active=%ds' % max(1, p['poweroff_delay_s']), '--timer-property=AccuracySec=100ms',
               systemctl, '--no-block', 'poweroff']
    else:
        cmd = ['/bin/sh', '-c', '(sleep %d; %s poweroff) >/dev/null 2>&1 &' % (p['poweroff_delay_s'], systemctl)]
    rc, _out, err = module.run_command(cmd)
    if rc:
        module.fail_json(msg='scheduling the poweroff with %s failed (rc %d): %s' % (cmd[0], rc, err.strip()),
                         **result)
    result.update(changed=True, msg='powering off in %d s: %s' % (p['poweroff_delay_s'], reasons[0]))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
