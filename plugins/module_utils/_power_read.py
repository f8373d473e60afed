# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Power readings without I/O: the inputs of power_info and of the plans checked with named errors, NUT's
network protocol, smart-plug and Home Assistant answers, and whether a reading says a host is on.

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

import re

from ansible_collections.homelab.cluster.plugins.module_utils._schema import PLUG_KINDS
from ansible_collections.homelab.cluster.plugins.module_utils._schema import POWER_VAR_SCHEMA
from ansible_collections.homelab.cluster.plugins.module_utils._schema import check_power_sources
from ansible_collections.homelab.cluster.plugins.module_utils._schema import check_schema
from ansible_collections.homelab.cluster.plugins.module_utils._schema import problems_text

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
