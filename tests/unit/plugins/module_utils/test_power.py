"""Power logic: NUT protocol, plug/Home Assistant shapes, priorities, the shedding ladder, UPS shutdown."""

import re

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils import _power as p
from ansible_collections.homelab.cluster.plugins.module_utils import _power_read as r
from ansible_collections.homelab.cluster.plugins.module_utils._power_read import PowerError

NUT_REPLY = """BEGIN LIST VAR dummy
VAR dummy battery.charge "25"
VAR dummy battery.runtime "540"
VAR dummy device.mfr "Homelab \\"sim\\""
VAR dummy ups.load "41"
VAR dummy ups.realpower.nominal "900"
VAR dummy ups.status "OB DISCHRG"
END LIST VAR dummy
"""


def test_nut_request_and_reply():
    assert r.nut_list_var('dummy') == 'LIST VAR dummy\n'
    values = r.parse_nut_list(NUT_REPLY, 'dummy')
    assert values['battery.charge'] == '25' and values['device.mfr'] == 'Homelab "sim"'
    state = r.ups_state(values)
    assert state == {'status': ['OB', 'DISCHRG'], 'online': False, 'on_battery': True, 'low_battery': False,
                     'charge_pct': 25.0, 'runtime_s': 540.0, 'load_pct': 41.0, 'watts': 369.0}


@pytest.mark.parametrize('text, message', [
    ('ERR UNKNOWN-UPS\n', 'NUT answered UNKNOWN-UPS for UPS dummy'),
    ('BEGIN LIST VAR dummy\nVAR dummy ups.status "OL"\n', 'ended early'),
])
def test_nut_errors(text, message):
    with pytest.raises(PowerError, match=message):
        r.parse_nut_list(text, 'dummy')


def test_nut_names_are_checked():
    with pytest.raises(PowerError, match="ups: 'dummy; rm' is not a NUT UPS name"):
        r.nut_list_var('dummy; rm')


def test_ups_state_online_and_low():
    assert r.ups_state({'ups.status': 'OL CHRG', 'ups.realpower': '120'})['online']
    low = r.ups_state({'ups.status': 'OB LB', 'battery.charge': 'n/a'})
    assert low['low_battery'] and low['charge_pct'] is None and low['watts'] is None


@pytest.mark.parametrize('kind, data, expected', [
    ('shelly_gen2', {'id': 0, 'source': 'init', 'output': True, 'apower': 8.9, 'voltage': 230.1, 'current': 0.05,
                     'aenergy': {'total': 1234.5}}, {'watts': 8.9, 'on': True}),
    ('shelly_gen1', {'relays': [{'ison': False}], 'meters': [{'power': 0.0, 'is_valid': True}]},
     {'watts': 0.0, 'on': False}),
    ('tasmota', {'StatusSNS': {'Time': '2026-11-24T02:00:00',
                               'ENERGY': {'Total': 12.3, 'Power': 45, 'Voltage': 231}}},
     {'watts': 45.0, 'on': None}),
    ('tasmota', {'StatusSNS': {'ENERGY': {'Power': [12, 30]}}}, {'watts': 12.0, 'on': None}),
])
def test_plug_shapes(kind, data, expected):
    assert r.parse_plug(kind, data) == expected


@pytest.mark.parametrize('kind, data, message', [
    ('shelly_gen2', {'id': 0, 'output': True}, "shelly_gen2 status has no power reading .*KeyError: 'apower'"),
    ('shelly_gen1', {'meters': [{'power': 1, 'is_valid': False}]}, 'is_valid=false'),
    ('tasmota', {'Status': {}}, 'tasmota status has no power reading'),
    ('kasa', {}, "plug kind: expected one of shelly_gen2, shelly_gen1, tasmota, got 'kasa'"),
])
def test_bad_plug_answers(kind, data, message):
    with pytest.raises(PowerError, match=message):
        r.parse_plug(kind, data)


def test_plug_paths():
    assert r.plug_path('shelly_gen2', 1) == '/rpc/Switch.GetStatus?id=1'
    assert r.plug_path('shelly_gen1') == '/status'
    assert r.plug_path('tasmota') == '/cm?cmnd=Status%208'
    with pytest.raises(PowerError):
        r.plug_path('zigbee')


def test_home_assistant_states():
    assert r.parse_ha_state({'entity_id': 'sensor.house', 'state': '1234.5',
                             'attributes': {'unit_of_measurement': 'W'}}, 'sensor.house') == 1234.5
    assert r.parse_ha_state({'state': '2.5', 'attributes': {'unit_of_measurement': 'kW'}}, 'sensor.solar') == 2500
    for data, message in (({'state': 'unavailable'}, 'sensor.x is unavailable'),
                          ({'state': 'high'}, "state 'high' is not a number"),
                          ({'state': '5', 'attributes': {'unit_of_measurement': 'kWh'}}, "unit 'kWh'"),
                          ([], 'no state')):
        with pytest.raises(PowerError, match=message):
            r.parse_ha_state(data, 'sensor.x')


def test_priorities():
    assert p.priority('gate', ['firewall'], 'speculative') == 'essential'
    assert p.priority('keeper', ['logic']) == 'essential'
    assert p.priority('forge', ['hypervisor']) == 'standard'
    assert p.priority('pi5', ['edge'], 'speculative') == 'speculative'
    with pytest.raises(PowerError, match="pi5.homelab_power_priority: expected one of essential, standard, "
                                         "speculative, got 'low'"):
        p.priority('pi5', [], 'low')


HOSTS = [
    {'name': 'gate', 'priority': 'essential', 'draw_w': 40, 'idle_w': 35},
    {'name': 'keeper', 'priority': 'essential', 'draw_w': 10, 'idle_w': 7},
    {'name': 'forge', 'priority': 'standard', 'draw_w': 600, 'idle_w': 95, 'jobs': True},
    {'name': 'pi5', 'priority': 'speculative', 'draw_w': 8, 'idle_w': 4, 'services': ['harvester']},
    {'name': 'desk', 'priority': 'speculative', 'draw_w': 300, 'idle_w': 55, 'jobs': True},
]


def test_under_the_limit_nothing_is_shed():
    plan = p.shed_plan(HOSTS, 3000, 2500)
    assert plan['state'] == 'normal' and plan['actions'] == [] and not plan['shedding']


def test_speculative_first_and_essential_never():
    plan = p.shed_plan(HOSTS, 3000, 3150)
    assert plan['state'] == 'shedding'
    assert [(a['action'], a['host']) for a in plan['actions']] == [('suspend_jobs', 'desk'), ('power_off', 'desk')]
    assert plan['projected_w'] <= 2900
    assert all(a['priority'] != 'essential' for a in plan['actions'])
    plan = p.shed_plan(HOSTS, 3000, 3700)
    hosts = [a['host'] for a in plan['actions']]
    assert hosts.index('pi5') < hosts.index('forge')  # every speculative rung before any standard one
    assert 'gate' not in hosts and 'keeper' not in hosts


def test_cannot_meet_says_why():
    plan = p.shed_plan(HOSTS, 1000, 4000)
    assert plan['state'] == 'cannot_meet'
    assert 'essential hosts (50 W) are never shed' in plan['reasons'][-1]


def test_hysteresis_does_not_flap():
    first = p.shed_plan(HOSTS, 3000, 3150)
    log = first['shed_log']
    assert [a['host'] for a in log] == ['desk', 'desk']
    # under the limit but above the target: shed more (the target has a margin)
    assert p.shed_plan(HOSTS, 3000, 2950, shed_log=log)['actions'][0]['host'] == 'pi5'
    # between target - hysteresis and the target: hold, nothing shed, nothing restored
    held = p.shed_plan(HOSTS, 3000, 2800, shed_log=log)
    assert (held['state'], held['actions'], held['shed_log']) == ('holding', [], log)
    assert 'holding what was shed (2 actions) until below 2750 W' in held['reasons'][0]
    # not shedding, hovering just under the limit: nothing happens
    assert p.shed_plan(HOSTS, 3000, 2990)['state'] == 'normal'
    # a hovering sequence never alternates shed / restore on every run
    log, flips, shedding = [], 0, False
    for draw in (3010, 2890, 2800, 2760, 2990, 2880, 2751):
        plan = p.shed_plan(HOSTS, 3000, draw, shed_log=log)
        flips += plan['shedding'] != shedding
        shedding, log = plan['shedding'], plan['shed_log']
    assert flips == 1 and shedding


def test_restore_last_shed_first_and_only_what_fits():
    log = p.shed_plan(HOSTS, 3000, 3700)['shed_log']
    assert [a['host'] for a in log][:3] == ['desk', 'desk', 'pi5']
    plan = p.shed_plan(HOSTS, 3000, 2000, shed_log=log)
    assert plan['state'] == 'restoring'
    undone = [(a['undo'], a['host']) for a in plan['actions']]
    assert undone[0] == (log[-1]['action'], log[-1]['host'])
    assert plan['projected_w'] <= 2750
    assert len(plan['shed_log']) == len(log) - len(plan['actions'])
    everything = p.shed_plan(HOSTS, 3000, 100, shed_log=log)
    assert everything['shed_log'] == [] and not everything['shedding']
    assert [a['undo'] for a in everything['actions']] == [a['action'] for a in reversed(log)]


def test_a_bad_limit():
    with pytest.raises(PowerError, match='limit_w: the house limit must be a positive number'):
        p.shed_plan(HOSTS, 0, 100)


UPS_HOSTS = [
    {'name': 'gate', 'priority': 'essential', 'roles': ['firewall']},
    {'name': 'keeper', 'priority': 'essential', 'roles': ['logic']},
    {'name': 'nas', 'priority': 'essential', 'roles': ['storage'], 'services': ['postgresql']},
    {'name': 'forge', 'priority': 'standard', 'roles': ['hypervisor'], 'services': ['mariadb']},
    {'name': 'pi5', 'priority': 'speculative', 'roles': ['edge'], 'services': ['harvester']},
    {'name': 'desk', 'priority': 'standard', 'roles': ['inference'], 'awake': False},
]


def test_no_shutdown_while_the_ups_is_fine():
    assert p.shutdown_plan(UPS_HOSTS, {'online': True, 'charge_pct': 100}) is None
    assert p.shutdown_plan(UPS_HOSTS, {'on_battery': True, 'charge_pct': 45}) is None


def test_ordered_shutdown_at_25_percent():
    plan = p.shutdown_plan(UPS_HOSTS, {'on_battery': True, 'charge_pct': 25})
    assert plan['reason'] == 'UPS on battery at 25% (threshold 30%)'
    flat = [(s['stage'], st['action'], st['host']) for s in plan['stages'] for st in s['steps']]
    assert flat == [
        ('speculative', 'stop_services', 'pi5'), ('speculative', 'power_off', 'pi5'),
        ('services', 'stop_services', 'forge'), ('services', 'stop_services', 'nas'),
        ('heavy', 'power_off', 'forge'),
        ('storage', 'power_off', 'nas'),
        ('last', 'power_off', 'gate'), ('last', 'power_off', 'keeper'),
    ]  # desk is asleep already


def test_low_battery_flag_triggers_at_any_charge():
    assert p.shutdown_plan(UPS_HOSTS, {'on_battery': True, 'low_battery': True, 'charge_pct': 60})['reason'] == \
        'UPS reports low battery (LB)'


@pytest.mark.parametrize('reading, awake', [
    ({'watts': 400, 'source': 'plug', 'on': True}, True),
    ({'watts': 0.5, 'source': 'plug', 'on': None}, False),   # relay on, machine off: standby draw only
    ({'watts': 3, 'source': 'plug', 'on': None}, True),      # a Raspberry Pi idling
    ({'watts': 300, 'source': 'plug', 'on': False}, False),
    ({'watts': 28, 'source': 'estimate'}, True),
])
def test_is_awake(reading, awake):
    assert r.is_awake(reading) is awake


# --- settle: what a run really did ---------------------------------------------------------------------------

SHED = [{'action': 'power_off', 'host': 'spec', 'priority': 'speculative', 'saves_w': 55.0, 'reason': 'r'}]


def test_settle_keeps_only_what_happened():
    actions = [{'action': 'stop_services', 'host': 'heavy', 'services': ['db'], 'saves_w': 10.0},
               {'action': 'power_off', 'host': 'heavy', 'saves_w': 95.0, 'projected_w': 1.0},
               {'action': 'power_off', 'host': 'nas', 'saves_w': 28.0},
               {'action': 'power_off', 'host': 'pi', 'saves_w': 4.0}]
    outcomes = [{'status': 'failed', 'reason': 'heavy unreachable and the relay sees it up'},
                {'status': 'skipped', 'reason': 'an earlier step on heavy failed'},
                {'status': 'off', 'reason': 'unreachable; the relay sees it off'}]
    result = p.settle(SHED, actions, outcomes)
    assert result['shed_log'] == SHED + [{'action': 'power_off', 'host': 'nas', 'saves_w': 28.0}]
    assert result['done'] == ['power_off nas (it was off already)']
    assert result['failed'] == ['stop_services heavy: heavy unreachable and the relay sees it up']
    assert result['skipped'] == ['power_off heavy: an earlier step on heavy failed']
    assert result['not_run'] == ['power_off pi'] and result['complete'] is False
    assert result['summary'] == '1 done, 1 failed, 1 skipped, 1 not run'


def test_settle_restore_removes_the_entry_only_when_it_happened():
    restore = [{'action': 'restore', 'undo': 'power_off', 'host': 'spec', 'saves_w': -55.0}]
    assert p.settle(SHED, restore, [{'status': 'done'}])['shed_log'] == []
    kept = p.settle(SHED, restore, [{'status': 'failed', 'reason': 'wake refused: storm guard'}])
    assert kept['shed_log'] == SHED and kept['failed'] == ['restore power_off spec: wake refused: storm guard']
    assert p.settle([], [], [])['complete'] is True


@pytest.mark.parametrize('outcomes, message', [
    ('done', 'outcomes: expected the list of step outcomes'),
    ([{'status': 'maybe'}], "outcomes[0].status: expected one of done, off, failed, skipped, got 'maybe'"),
])
def test_settle_names_bad_outcomes(outcomes, message):
    with pytest.raises(p.PowerError, match=re.escape(message)):
        p.settle([], SHED, outcomes)
