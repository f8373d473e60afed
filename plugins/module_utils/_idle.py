# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Idle-sleep rules without I/O: is this host idle long enough to be powered off, and why (or why not).

PRIVATE to the homelab.cluster collection; its API may change without notice.

facts (gathered on the host by homelab.cluster.sleep_idle):
    always_on    bool
    wakeable     bool        can it be woken again (a MAC and wake method wol)
    now          float       Unix time
    boot_time    float       Unix time of the last boot
    load         [l1, l5, l15]
    cpus         int
    users        [str]       logged-in sessions, e.g. 'alice pts/0'
    jobs         [str]       Slurm job steps running here
    processes    [str]       running processes named in policy busy_processes
    gpus         [{'name', 'util'}] or None when no GPU could be read
    idle_since   float|None  from the host's state file (previous runs)
policy:
    idle_minutes, max_load (per CPU), max_gpu_util (percent), busy_processes, require_wakeable
"""

from __future__ import annotations

LOAD_WINDOWS = ((15, 2), (5, 1), (1, 0))  # (minutes, index in /proc/loadavg)


def load_per_cpu(load, cpus):
    return [float(v) / max(1, int(cpus or 1)) for v in load]


def busy_reasons(facts, policy):
    """What keeps the host busy right now; empty when nothing does."""
    reasons = []
    if facts.get('users'):
        users = facts['users']
        reasons.append('%d user session%s logged in (%s)' % (len(users), _s(users), ', '.join(users[:5])))
    if facts.get('jobs'):
        reasons.append('Slurm job steps running (%s)' % ', '.join(facts['jobs'][:5]))
    if facts.get('processes'):
        reasons.append('busy processes running (%s)' % ', '.join(sorted(set(facts['processes']))[:5]))
    per_cpu = load_per_cpu(facts.get('load') or [0, 0, 0], facts.get('cpus'))
    if per_cpu[0] > policy['max_load']:
        reasons.append('1-min load %.2f per CPU is above max_load %.2f' % (per_cpu[0], policy['max_load']))
    for gpu in facts.get('gpus') or []:
        if gpu.get('util') is not None and gpu['util'] > policy['max_gpu_util']:
            reasons.append('GPU %s is %d%% busy (max_gpu_util %d%%)'
                           % (gpu.get('name', '?'), gpu['util'], policy['max_gpu_util']))
    return reasons


def idle_since(facts, policy, busy):
    """Since when the host has been idle: now when busy; else the remembered start of this idle spell; on the
    first look after a boot, as far back as the load averages prove (the 15-, 5- or 1-minute average below
    max_load), never before the boot."""
    now, boot = facts['now'], facts['boot_time']
    if busy:
        return now
    previous = facts.get('idle_since')
    if previous is not None and boot <= previous <= now:
        return previous
    per_cpu = load_per_cpu(facts.get('load') or [0, 0, 0], facts.get('cpus'))
    credit = 0
    for minutes, index in LOAD_WINDOWS:
        if per_cpu[index] <= policy['max_load']:
            credit = minutes * 60
            break
    return max(boot, now - credit)


def decide(facts, policy):
    """(sleep, reasons, idle_since). reasons are full sentences; the first says what decided."""
    if facts.get('always_on'):
        return False, ['always_on: this host is never put to sleep'], None
    if policy.get('require_wakeable', True) and not facts.get('wakeable'):
        return False, ['not wakeable (no MAC or wake method is not wol): it could not be woken again'], None
    busy = busy_reasons(facts, policy)
    since = idle_since(facts, policy, bool(busy))
    if busy:
        return False, busy, since
    idle_s = facts['now'] - since
    needed = policy['idle_minutes'] * 60
    if idle_s < needed:
        why = 'idle for %s, not yet %d min (idle_minutes)' % (_minutes(idle_s), policy['idle_minutes'])
        if since == facts['boot_time']:
            why += '; booted %s ago' % _minutes(facts['now'] - facts['boot_time'])
        return False, [why], since
    per_cpu = load_per_cpu(facts.get('load') or [0, 0, 0], facts.get('cpus'))
    gpus = facts.get('gpus')
    return True, ['idle for %s >= %d min: no users, no Slurm jobs, load %.2f per CPU, %s'
                  % (_minutes(idle_s), policy['idle_minutes'], per_cpu[0],
                     'GPUs idle' if gpus else 'no GPU utilisation to read')], since


def _minutes(seconds):
    seconds = max(0, int(seconds))
    return '%d min' % (seconds // 60) if seconds >= 120 else '%d s' % seconds


def _s(items):
    return '' if len(items) == 1 else 's'
