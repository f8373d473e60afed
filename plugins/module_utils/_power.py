# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Power logic without I/O: NUT's network protocol, smart-plug and Home Assistant readings, priority classes,
the house budget with its shedding ladder (and hysteresis), and the UPS shutdown order.

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

import re

from ansible_collections.homelab.cluster.plugins.module_utils._schema import PLUG_KINDS
from ansible_collections.homelab.cluster.plugins.module_utils._schema import POWER_VAR_SCHEMA
from ansible_collections.homelab.cluster.plugins.module_utils._schema import check_power_sources
from ansible_collections.homelab.cluster.plugins.module_utils._schema import check_schema
from ansible_collections.homelab.cluster.plugins.module_utils._schema import problems_text

PRIORITIES = ('essential', 'standard', 'speculative')
# roles that keep the house running: never shed (seed 000 ch35: "never the essential network")
ESSENTIAL_ROLES = ('firewall', 'logic', 'storage')
SHED_ORDER = ('speculative', 'standard')
ACTIONS = ('suspend_jobs', 'stop_services', 'power_off')


class PowerError(ValueError):
    """A reading or setting the power logic cannot use; the message names the source or the host and field."""


# ------------------------------------------------------------------------------------------ inputs

READING_SOURCES = ('plug', 'ups', 'estimate')


def power_sources(hosts):
    """power_info's ``hosts`` (host -> its homelab_power) checked: every problem in one PowerError, each as
    ``host.homelab_power.field: expected ..., got ...``; returns the checked mappings."""
    if not isinstance(hosts, dict):
        raise PowerError('hosts: expected a mapping of host to its homelab_power, got %r' % (hosts,))
    problems, out = [], {}
    for name in sorted(hosts):
        path = ('hosts', str(name), 'homelab_power')
        given = hosts[name] or {}
        if isinstance(given, dict):  # a host view gives plug/ups as null when there is none
            given = {key: value for key, value in given.items() if value is not None}
        power = check_schema(POWER_VAR_SCHEMA, given, path, problems)
        if power is not None:
            check_power_sources(power, path, problems)
            out[str(name)] = power
    if problems:
        raise PowerError(problems_text(problems))
    return out


def number_at(where, value, minimum=None, required=True):
    """A number from a reading or a setting (numeric strings from -e count); a named PowerError otherwise."""
    if value is None and not required:
        return None
    number = value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        raise PowerError('%s: expected a number, got %r' % (where, value))
    if minimum is not None and number < minimum:
        raise PowerError('%s: expected a number of at least %s, got %r' % (where, minimum, value))
    return float(number)


def readings(power, need_house=True):
    """The registered result of power_info, checked: {'hosts': {name: reading}, 'house_w', 'ups': {...},
    'unavailable': [...]}. Named errors (``power.hosts.desk.watts: expected a number, got 'seven'``)."""
    if not isinstance(power, dict):
        raise PowerError('power: expected the registered result of homelab.cluster.power_info, got %r' % (power,))
    hosts = power.get('hosts') or {}
    if not isinstance(hosts, dict):
        raise PowerError('power.hosts: expected a mapping of host to reading, got %r' % (hosts,))
    out = {}
    for name in sorted(hosts):
        reading = hosts[name]
        where = 'power.hosts.%s' % name
        if not isinstance(reading, dict):
            raise PowerError('%s: expected a reading mapping (watts, source, on), got %r' % (where, reading))
        unknown = sorted(set(reading) - {'watts', 'source', 'on', 'ups'})
        if unknown:
            raise PowerError('%s.%s: unknown key; known keys: on, source, ups, watts' % (where, unknown[0]))
        if reading.get('source', 'estimate') not in READING_SOURCES:
            raise PowerError('%s.source: expected one of %s, got %r'
                             % (where, ', '.join(READING_SOURCES), reading.get('source')))
        if reading.get('on') not in (None, True, False):
            raise PowerError('%s.on: expected true, false or null, got %r' % (where, reading.get('on')))
        out[str(name)] = dict(reading, watts=number_at(where + '.watts', reading.get('watts'), 0, required=False))
    ups = power.get('ups') or {}
    if not isinstance(ups, dict):
        raise PowerError('power.ups: expected a mapping of name@host to UPS state, got %r' % (ups,))
    house = power.get('house_w')
    if need_house or house is not None:
        house = number_at('power.house_w', house, 0)
    return {'hosts': out, 'house_w': house, 'ups': ups, 'unavailable': list(power.get('unavailable') or [])}


def shed_entries(shed_log):
    """The previous run's shed_log, checked (it comes from a state file that a person may have edited)."""
    if shed_log is None:
        return []
    if not isinstance(shed_log, list):
        raise PowerError('shed_log: expected the list of the previous run, got %r' % (shed_log,))
    out = []
    for i, entry in enumerate(shed_log):
        where = 'shed_log[%d]' % i
        if not isinstance(entry, dict):
            raise PowerError('%s: expected a mapping (action, host, saves_w, ...), got %r' % (where, entry))
        if entry.get('action') not in ACTIONS:
            raise PowerError('%s.action: expected one of %s, got %r' % (where, ', '.join(ACTIONS), entry.get('action')))
        if not isinstance(entry.get('host'), str) or not entry['host']:
            raise PowerError('%s.host: expected a host name, got %r' % (where, entry.get('host')))
        out.append(dict(entry, saves_w=number_at(where + '.saves_w', entry.get('saves_w'))))
    return out


# ------------------------------------------------------------------------------------------------ NUT

def nut_list_var(ups):
    if not re.match(r'^[A-Za-z0-9_.-]+$', ups or ''):
        raise PowerError('ups: %r is not a NUT UPS name' % (ups,))
    return 'LIST VAR %s\n' % ups


def parse_nut_list(text, ups):
    """Lines of `LIST VAR <ups>` -> {variable: value}. NUT answers ERR <code> on failure."""
    values = {}
    ended = False
    for line in text.splitlines():
        if line.startswith('ERR '):
            raise PowerError('NUT answered %s for UPS %s' % (line[4:].strip(), ups))
        match = re.match(r'^VAR (\S+) (\S+) "(.*)"$', line)
        if match and match.group(1) == ups:
            values[match.group(2)] = match.group(3).replace('\\"', '"').replace('\\\\', '\\')
        elif line.strip() == 'END LIST VAR %s' % ups:
            ended = True
    if not ended:
        raise PowerError('NUT reply for UPS %s ended early (no END LIST VAR)' % ups)
    return values


def ups_state(values):
    """The UPS variables that matter: status flags, on battery, low battery, charge, runtime, load, watts."""
    flags = (values.get('ups.status') or '').split()

    def number(key):
        try:
            return float(values[key])
        except (KeyError, ValueError):
            return None

    watts = number('ups.realpower')
    if watts is None and number('ups.load') is not None and number('ups.realpower.nominal') is not None:
        watts = number('ups.load') / 100.0 * number('ups.realpower.nominal')
    return {
        'status': flags,
        'online': 'OL' in flags,
        'on_battery': 'OB' in flags,
        'low_battery': 'LB' in flags,
        'charge_pct': number('battery.charge'),
        'runtime_s': number('battery.runtime'),
        'load_pct': number('ups.load'),
        'watts': round(watts, 1) if watts is not None else None,
    }


# ------------------------------------------------------------------------------------- plugs and sensors

def plug_path(kind, channel=0):
    """The documented status endpoint of each plug kind."""
    if kind == 'shelly_gen2':
        return '/rpc/Switch.GetStatus?id=%d' % channel
    if kind == 'shelly_gen1':
        return '/status'
    if kind == 'tasmota':
        return '/cm?cmnd=Status%208'
    raise PowerError('plug kind: expected one of %s, got %r' % (', '.join(PLUG_KINDS), kind))


def parse_plug(kind, data, channel=0):
    """A plug's JSON -> {'watts', 'on'}; PowerError when the shape is not the documented one."""
    try:
        if kind == 'shelly_gen2':  # Switch.GetStatus: {"id":0,"output":true,"apower":8.9,"voltage":230.1,...}
            return {'watts': float(data['apower']), 'on': bool(data.get('output'))}
        if kind == 'shelly_gen1':  # /status: {"relays":[{"ison":true}],"meters":[{"power":8.9,"is_valid":true}]}
            meter = data['meters'][channel]
            if meter.get('is_valid') is False:
                raise PowerError('shelly_gen1 meter %d reports is_valid=false' % channel)
            relays = data.get('relays') or []
            return {'watts': float(meter['power']),
                    'on': bool(relays[channel].get('ison')) if len(relays) > channel else None}
        if kind == 'tasmota':  # Status 8: {"StatusSNS":{"ENERGY":{"Power":45,...}}}; Power is a list per channel
            power = data['StatusSNS']['ENERGY']['Power']
            if isinstance(power, list):
                power = power[channel]
            return {'watts': float(power), 'on': None}
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise PowerError('%s status has no power reading where its API documents one (%s: %s)'
                         % (kind, type(exc).__name__, exc)) from None
    raise PowerError('plug kind: expected one of %s, got %r' % (', '.join(PLUG_KINDS), kind))


def parse_ha_state(data, entity):
    """Home Assistant /api/states/<entity> -> watts (W or kW sensors)."""
    if not isinstance(data, dict) or 'state' not in data:
        raise PowerError('Home Assistant %s: no state in the answer' % entity)
    state = data['state']
    if state in ('unavailable', 'unknown', None):
        raise PowerError('Home Assistant %s is %s' % (entity, state))
    try:
        value = float(state)
    except ValueError:
        raise PowerError('Home Assistant %s: state %r is not a number' % (entity, state)) from None
    unit = (data.get('attributes') or {}).get('unit_of_measurement', 'W')
    factor = {'W': 1.0, 'kW': 1000.0, 'MW': 1e6}.get(unit)
    if factor is None:
        raise PowerError('Home Assistant %s: unit %r is not a power unit (W, kW)' % (entity, unit))
    return round(value * factor, 1)


def is_awake(reading, off_below_w=1.5):
    """Whether a host is on, from its power_info reading: a plug whose relay is off, or that measures less
    than off_below_w (the standby draw of a machine that is off), says no; anything else yes."""
    if reading.get('on') is False:
        return False
    if reading.get('source') == 'plug' and reading.get('watts') is not None:
        return float(reading['watts']) >= off_below_w
    return True


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
