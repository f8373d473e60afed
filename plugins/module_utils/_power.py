# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Power decisions without I/O: priority classes, the house budget with its shedding ladder (and hysteresis),
what a run really did (settle), and the UPS shutdown order. Readings are checked in _power_read.

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

from ansible_collections.homelab.cluster.plugins.module_utils._power_read import PowerError

PRIORITIES = ('essential', 'standard', 'speculative')
# roles that keep the house running: never shed (seed 000 ch35: "never the essential network")
ESSENTIAL_ROLES = ('firewall', 'logic', 'storage')
SHED_ORDER = ('speculative', 'standard')


# ------------------------------------------------------------------------------------ priority classes

def priority(name, roles, given=None):
    """A host's priority class: essential for the firewall, logic node and storage whatever is given;
    else the given class (homelab_power_priority), else standard."""
    if any(r in ESSENTIAL_ROLES for r in roles or ()):
        return 'essential'
    if given is None:
        return 'standard'
    if given not in PRIORITIES:
        raise PowerError('%s.homelab_power_priority: expected one of %s, got %r'
                         % (name, ', '.join(PRIORITIES), given))
    return given


# ------------------------------------------------------------------------------------- the shed ladder

def shed_plan(hosts, limit_w, house_w, margin_w=100.0, hysteresis_w=150.0, shed_log=None):
    """The ordered actions that bring the house under limit_w - margin_w (the target), with hysteresis.

    hosts: [{name, priority, awake, draw_w, idle_w, jobs (bool), services [str]}]
    house_w: the measured house draw (everything, not only the cluster)
    shed_log: the actions taken by earlier runs and not yet restored (kept in a state file by the playbook)

    Not shedding: nothing happens until the house goes over the limit. Shedding: above the target it sheds more;
    between target - hysteresis and the target it holds; below that it restores what was shed, last shed
    first, only as much as keeps the house under target - hysteresis. So a draw hovering at the limit neither
    sheds nor restores on every run.
    Returns {'state', 'shedding', 'target_w', 'actions', 'projected_w', 'reasons', 'shed_log'}.
    """
    if limit_w is None or limit_w <= 0:
        raise PowerError('limit_w: the house limit must be a positive number of watts, got %r' % (limit_w,))
    log = [dict(a) for a in shed_log or []]
    target = limit_w - margin_w
    floor = target - hysteresis_w
    reasons = []
    result = {'target_w': target, 'actions': [], 'projected_w': house_w, 'reasons': reasons, 'shed_log': log}
    if house_w > limit_w or (log and house_w > target):
        reasons.append('house draws %s W, over the %s of %s W' % (_w(house_w), 'limit' if house_w > limit_w
                                                                  else 'target (limit - margin)',
                                                                  _w(limit_w if house_w > limit_w else target)))
    elif log and house_w >= floor:
        reasons.append('house draws %s W: holding what was shed (%d actions) until below %s W (limit %s - margin '
                       '%s - hysteresis %s)' % (_w(house_w), len(log), _w(floor), _w(limit_w), _w(margin_w),
                                                _w(hysteresis_w)))
        return dict(result, state='holding', shedding=True)
    elif log:
        projected = house_w
        actions = []
        for entry in reversed(log):
            if projected + entry['saves_w'] > floor:
                break
            projected += entry['saves_w']
            actions.append({'action': 'restore', 'undo': entry['action'], 'host': entry['host'],
                            'priority': entry['priority'], 'services': entry.get('services', []),
                            'saves_w': -entry['saves_w'], 'projected_w': round(projected, 1),
                            'reason': 'undo "%s": the house draws %s W, %s W with it back, under %s W'
                                      % (entry['reason'], _w(house_w), _w(projected), _w(floor))})
        remaining = log[:len(log) - len(actions)]
        reasons.append('house draws %s W, below %s W: restoring %d of %d shed actions'
                       % (_w(house_w), _w(floor), len(actions), len(log)))
        return dict(result, state='restoring' if actions else 'holding', shedding=bool(remaining), actions=actions,
                    projected_w=round(projected, 1), shed_log=remaining)
    else:
        reasons.append('house draws %s W, under the limit of %s W' % (_w(house_w), _w(limit_w)))
        return dict(result, state='normal', shedding=False)
    actions = []
    projected = house_w
    done = {(a['action'], a['host']) for a in log}
    for klass in SHED_ORDER:
        for host in sorted((h for h in hosts if h['priority'] == klass and h.get('awake', True)),
                           key=lambda h: (-(h.get('draw_w') or 0), h['name'])):
            if projected <= target:
                break
            for action in _host_actions(host):
                if projected <= target:
                    break
                if (action['action'], action['host']) in done:
                    continue
                projected -= action['saves_w']
                action['projected_w'] = round(projected, 1)
                actions.append(action)
    state = 'shedding' if projected <= target else 'cannot_meet'
    if state == 'cannot_meet':
        essential = sum(h.get('draw_w') or 0 for h in hosts if h['priority'] == 'essential')
        reasons.append('even with every speculative and standard host shed the house would draw %s W over the '
                       'target of %s W; essential hosts (%s W) are never shed' % (_w(projected), _w(target),
                                                                                  _w(essential)))
    return dict(result, state=state, shedding=True, actions=actions, projected_w=round(projected, 1),
                shed_log=log + actions)


def _host_actions(host):
    """The rungs for one host, cheapest disruption first: suspend its jobs, stop its services, power it off."""
    draw = float(host.get('draw_w') or 0)
    idle = min(draw, float(host.get('idle_w') or 0))
    dynamic = draw - idle
    out = []
    if host.get('jobs'):
        out.append({'action': 'suspend_jobs', 'host': host['name'], 'priority': host['priority'],
                    'saves_w': round(dynamic * 0.8, 1),
                    'reason': 'suspend the Slurm jobs on %s (%s): ~%s W of its %s W above idle'
                              % (host['name'], host['priority'], _w(dynamic * 0.8), _w(dynamic))})
        dynamic *= 0.2
    if host.get('services'):
        out.append({'action': 'stop_services', 'host': host['name'], 'priority': host['priority'],
                    'services': list(host['services']), 'saves_w': round(dynamic, 1),
                    'reason': 'stop %s on %s (%s): ~%s W'
                              % (', '.join(host['services']), host['name'], host['priority'], _w(dynamic))})
        dynamic = 0.0
    out.append({'action': 'power_off', 'host': host['name'], 'priority': host['priority'],
                'saves_w': round(idle + dynamic, 1),
                'reason': 'power off %s (%s): %s W' % (host['name'], host['priority'], _w(idle + dynamic))})
    return out


# ------------------------------------------------------------------------------------- after the steps

OUTCOMES = ('done', 'off', 'failed', 'skipped')


def settle(previous_log, actions, outcomes):
    """What a run of the guard or the UPS shutdown really did, and the shed log to keep for the next run.

    previous_log: the shed_log the plan was made from; actions: the plan's actions, in order; outcomes: one per
    action that was attempted ({'status': done|off|failed|skipped, 'reason'}), in the same order. An action
    without an outcome (the run stopped early) counts as not done. A shed action that did not happen stays out of
    the log (nothing to restore); a restore that did not happen keeps its entry (it is tried again).
    Returns {'shed_log', 'done', 'failed', 'skipped', 'not_run', 'complete', 'summary'}.
    """
    log = [dict(entry) for entry in previous_log or []]
    if not isinstance(outcomes, list):
        raise PowerError('outcomes: expected the list of step outcomes, got %r' % (outcomes,))
    report = {'done': [], 'failed': [], 'skipped': [], 'not_run': []}
    for index, action in enumerate(actions or []):
        outcome = outcomes[index] if index < len(outcomes) else None
        if outcome is not None and (not isinstance(outcome, dict) or outcome.get('status') not in OUTCOMES):
            raise PowerError('outcomes[%d].status: expected one of %s, got %r'
                             % (index, ', '.join(OUTCOMES), outcome if not isinstance(outcome, dict)
                                else outcome.get('status')))
        status = outcome['status'] if outcome else None
        line = '%s %s' % (action.get('undo') and 'restore %s' % action['undo'] or action['action'], action['host'])
        if status in ('done', 'off'):
            report['done'].append(line + ('' if status == 'done' else ' (it was off already)'))
            if action['action'] == 'restore':
                log = [e for e in log if not (e['action'] == action['undo'] and e['host'] == action['host'])]
            else:
                log.append({k: v for k, v in action.items() if k != 'projected_w'})
        elif status in ('failed', 'skipped'):
            report[status].append('%s: %s' % (line, outcome.get('reason') or status))
        else:
            report['not_run'].append(line)
    complete = not (report['failed'] or report['skipped'] or report['not_run'])
    parts = ['%d done' % len(report['done'])]
    parts += ['%d %s' % (len(report[k]), k.replace('_', ' ')) for k in ('failed', 'skipped', 'not_run') if report[k]]
    return dict(report, shed_log=log, complete=complete, summary=', '.join(parts))


# ------------------------------------------------------------------------------------- UPS shutdown

SHUTDOWN_STAGES = ('speculative', 'services', 'heavy', 'storage', 'last')


def shutdown_plan(hosts, ups, threshold_pct=30.0, keep=('firewall', 'logic')):
    """The ordered UPS shutdown, or None while the UPS is fine.

    hosts: [{name, priority, roles, services (clean-stop list, e.g. databases), awake}]
    keep: roles that stay up to the end ('last') -- or never go down when the caller drops the stage.
    Stages: speculative hosts off; services stopped cleanly everywhere; heavy (standard) hosts off;
    storage off; the kept roles last.
    """
    charge = ups.get('charge_pct')
    triggered = ups.get('low_battery') or (ups.get('on_battery') and charge is not None and charge < threshold_pct)
    if not triggered:
        return None
    why = ('UPS on battery at %s%% (threshold %s%%)' % (_w(charge), _w(threshold_pct)) if not ups.get('low_battery')
           else 'UPS reports low battery (LB)')
    stages = {s: [] for s in SHUTDOWN_STAGES}
    for host in sorted(hosts, key=lambda h: h['name']):
        if not host.get('awake', True):
            continue
        roles = host.get('roles') or ()
        speculative = host['priority'] == 'speculative' and not any(r in keep or r == 'storage' for r in roles)
        if host.get('services'):
            # a database goes down cleanly before its host: in the host's own stage when that comes first
            stage = 'speculative' if speculative else 'services'
            stages[stage].append({'action': 'stop_services', 'host': host['name'],
                                  'services': list(host['services'])})
        if any(r in keep for r in roles):
            stages['last'].append({'action': 'power_off', 'host': host['name']})
        elif 'storage' in roles:
            stages['storage'].append({'action': 'power_off', 'host': host['name']})
        elif speculative:
            stages['speculative'].append({'action': 'power_off', 'host': host['name']})
        else:
            stages['heavy'].append({'action': 'power_off', 'host': host['name']})
    return {'reason': why, 'stages': [{'stage': s, 'steps': stages[s]} for s in SHUTDOWN_STAGES if stages[s]]}


def _w(value):
    if value is None:
        return '?'
    return ('%.1f' % value).rstrip('0').rstrip('.')
