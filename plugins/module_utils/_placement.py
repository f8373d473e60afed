# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Placement by power state, without I/O: which host runs a workload with the least added power draw.

PRIVATE to the homelab.cluster collection; its API may change without notice.

A workload::

    vram_gb     GPU memory it needs (0: no GPU)          gpu_vendor  nvidia|amd|intel|any (default any)
    ram_gb      system memory                            multi_gpu   may it span the host's GPUs (default no)
    cores       CPU threads                              max_wait_s  longest acceptable boot wait (default none)
    weight      share of the host's dynamic power (peak - idle) it draws, 0..1 (default 1)

A candidate (built from a host view, ``_hostview.host_view``, by ``candidate``)::

    name, awake, wakeable, threads, ram_gb, gpus [{vendor, vram_gb}], idle_w, peak_w, boot_s,
    volatile, gaming

The cost of a candidate is the power the cluster draws in addition once the workload runs there: the
workload's share of the host's dynamic power, plus the host's idle draw when it is asleep now (waking it
switches that on). Ties go to a host that is awake, then to the shorter boot, then to the name.
"""

from __future__ import annotations

WORKLOAD_KEYS = {'vram_gb': 0.0, 'ram_gb': 0.0, 'cores': 0, 'weight': 1.0, 'gpu_vendor': 'any',
                 'multi_gpu': False, 'max_wait_s': None}
VENDORS = ('any', 'nvidia', 'amd', 'intel')


class PlacementError(ValueError):
    """A workload or candidate the placement cannot use; the message names the field."""


def normalize_workload(workload):
    if not isinstance(workload, dict):
        raise PlacementError('workload: expected a mapping of %s, got %r' % (', '.join(WORKLOAD_KEYS), workload))
    unknown = sorted(set(workload) - set(WORKLOAD_KEYS))
    if unknown:
        raise PlacementError('workload.%s: unknown key (known: %s)' % (unknown[0], ', '.join(WORKLOAD_KEYS)))
    out = dict(WORKLOAD_KEYS)
    out.update({k: v for k, v in workload.items() if v is not None})
    for key in ('vram_gb', 'ram_gb', 'cores', 'weight'):
        if isinstance(out[key], bool) or not isinstance(out[key], (int, float)) or out[key] < 0:
            raise PlacementError('workload.%s: expected a number >= 0, got %r' % (key, out[key]))
    if out['weight'] > 1:
        raise PlacementError('workload.weight: expected a share between 0 and 1, got %r' % (out['weight'],))
    if out['gpu_vendor'] not in VENDORS:
        raise PlacementError('workload.gpu_vendor: expected one of %s, got %r'
                             % (', '.join(VENDORS), out['gpu_vendor']))
    if out['max_wait_s'] is not None and (isinstance(out['max_wait_s'], bool)
                                          or not isinstance(out['max_wait_s'], (int, float))):
        raise PlacementError('workload.max_wait_s: expected seconds, got %r' % (out['max_wait_s'],))
    return out


POWER_STATES = ('up', 'down')  # what homelab.cluster.wake reports as state_before (state: probe)


def power_states(states, names):
    """Each candidate's power state: V(up) or V(down) as the wake module reports them; a missing one is up."""
    if states is None:
        states = {}
    if not isinstance(states, dict):
        raise PlacementError('states: expected a mapping of host to up/down, got %r' % (states,))
    out = {}
    for name in names:
        state = states.get(name, 'up')
        if state not in POWER_STATES:
            raise PlacementError('states.%s: expected one of %s (the wake module\'s state_before), got %r'
                                 % (name, ', '.join(POWER_STATES), state))
        out[name] = state
    return out


def candidate(view, state):
    """A candidate from a host view and its power state (up/down). A volatile host that was not probed for
    gaming counts as in use."""
    if not view['classified']:
        raise PlacementError('%s: no homelab_tier/homelab_hardware; candidates must come from the '
                             'homelab.cluster.tiers inventory' % view['name'])
    cpu = view['cpu']
    return {
        'name': view['name'],
        'awake': state == 'up',
        'wakeable': view['wakeable'],
        'threads': cpu.get('threads') or cpu.get('cores') or 0,
        'ram_gb': view['ram_gb'] or 0,
        'gpus': [{'vendor': g['vendor'], 'vram_gb': g['vram_gb']} for g in view['gpus']],
        'idle_w': view['power']['idle_w'],
        'peak_w': view['power']['peak_w'],
        'boot_s': view['wake']['boot_s'],
        'volatile': view['volatile'],
        'gaming': view['gaming'] is not False,
    }


def gpu_capacity(candidate, workload):
    """(usable VRAM in GB, the GPUs that count) for this workload on this candidate."""
    gpus = [g for g in candidate.get('gpus') or []
            if workload['gpu_vendor'] == 'any' or g.get('vendor') == workload['gpu_vendor']]
    sizes = [float(g.get('vram_gb') or 0) for g in gpus]
    if not sizes:
        return 0.0, gpus
    return (sum(sizes) if workload['multi_gpu'] else max(sizes)), gpus


def rejection(candidate, workload):
    """Why this candidate cannot take the workload, or None."""
    if candidate.get('volatile') and candidate.get('gaming', True):
        return 'volatile and in use for gaming (gaming flag not false)'
    if not candidate.get('awake') and not candidate.get('wakeable'):
        return 'asleep and cannot be woken'
    if workload['cores'] and workload['cores'] > (candidate.get('threads') or 0):
        return '%s CPU threads < %s needed' % (candidate.get('threads') or 0, workload['cores'])
    if workload['ram_gb'] and workload['ram_gb'] > (candidate.get('ram_gb') or 0):
        return '%s GB RAM < %s GB needed' % (_num(candidate.get('ram_gb') or 0), _num(workload['ram_gb']))
    if workload['vram_gb']:
        vram, gpus = gpu_capacity(candidate, workload)
        vendor = '' if workload['gpu_vendor'] == 'any' else workload['gpu_vendor'] + ' '
        if not gpus:
            return 'no %sGPU' % vendor
        if vram < workload['vram_gb']:
            return '%s GB %sVRAM%s < %s GB needed' % (_num(vram), vendor, ' in all GPUs' if workload['multi_gpu']
                                                      else ' on its largest GPU', _num(workload['vram_gb']))
    if (not candidate.get('awake') and workload['max_wait_s'] is not None
            and (candidate.get('boot_s') or 0) > workload['max_wait_s']):
        return 'asleep; boots in %s s > max_wait_s %s' % (candidate.get('boot_s'), _num(workload['max_wait_s']))
    return None


def cost(candidate, workload):
    """(added watts, load watts, idle watts switched on)."""
    idle = float(candidate.get('idle_w') or 0)
    peak = max(idle, float(candidate.get('peak_w') or 0))
    load = workload['weight'] * (peak - idle)
    woken = 0.0 if candidate.get('awake') else idle
    return load + woken, load, woken


def place(workload, candidates):
    """The decision: {host, wake, reason, added_w, boot_s, ranked, rejected}; host None when nothing fits."""
    workload = normalize_workload(workload)
    ranked, rejected = [], {}
    for cand in candidates:
        why = rejection(cand, workload)
        if why:
            rejected[cand['name']] = why
            continue
        added, load, woken = cost(cand, workload)
        ranked.append({'host': cand['name'], 'awake': bool(cand.get('awake')), 'added_w': round(added, 1),
                       'load_w': round(load, 1), 'idle_w_switched_on': round(woken, 1),
                       'boot_s': 0 if cand.get('awake') else int(cand.get('boot_s') or 0)})
    ranked.sort(key=lambda r: (r['added_w'], not r['awake'], r['boot_s'], r['host']))
    decision = {'host': None, 'wake': False, 'added_w': None, 'boot_s': 0, 'ranked': ranked,
                'rejected': dict(sorted(rejected.items()))}
    if not ranked:
        decision['reason'] = 'no host fits: ' + ('; '.join('%s: %s' % kv for kv in sorted(rejected.items()))
                                                 or 'no candidates')
        return decision
    best = ranked[0]
    decision.update(host=best['host'], wake=not best['awake'], added_w=best['added_w'], boot_s=best['boot_s'])
    if best['awake']:
        why = '%s is awake and adds %s W (its share of peak - idle)' % (best['host'], _num(best['added_w']))
    else:
        why = ('%s is asleep: waking it adds %s W (%s W idle + %s W load) and %d s of boot'
               % (best['host'], _num(best['added_w']), _num(best['idle_w_switched_on']), _num(best['load_w']),
                  best['boot_s']))
    if len(ranked) > 1:
        runner = ranked[1]
        why += '; next best %s would add %s W%s' % (runner['host'], _num(runner['added_w']),
                                                    '' if runner['awake'] else ' (asleep)')
    decision['reason'] = why
    return decision


def _num(value):
    return ('%.1f' % value).rstrip('0').rstrip('.') if isinstance(value, float) else str(value)
