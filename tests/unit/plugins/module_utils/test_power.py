"""Power logic: NUT protocol, plug/Home Assistant shapes, priorities, the shedding ladder, UPS shutdown."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils import _power as p
from ansible_collections.homelab.cluster.plugins.module_utils._power import PowerError

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
    assert p.nut_list_var('dummy') == 'LIST VAR dummy\n'
    values = p.parse_nut_list(NUT_REPLY, 'dummy')
    assert values['battery.charge'] == '25' and values['device.mfr'] == 'Homelab "sim"'
    state = p.ups_state(values)
    assert state == {'status': ['OB', 'DISCHRG'], 'online': False, 'on_battery': True, 'low_battery': False,
                     'charge_pct': 25.0, 'runtime_s': 540.0, 'load_pct': 41.0, 'watts': 369.0}


@pytest.mark.parametrize('text, message', [
    ('ERR UNKNOWN-UPS\n', 'NUT answered UNKNOWN-UPS for UPS dummy'),
    ('BEGIN LIST VAR dummy\nVAR dummy ups.status "OL"\n', 'ended early'),
])
def test_nut_errors(text, message):
    with pytest.raises(PowerError, match=message):
        p.parse_nut_list(text, 'dummy')


def test_nut_names_are_checked():
    with pytest.raises(PowerError, match="ups: 'dummy; rm' is not a NUT UPS name"):
        p.nut_list_var('dummy; rm')


def test_ups_state_online_and_low():
    assert p.ups_state({'ups.status': 'OL CHRG', 'ups.realpower': '120'})['online']
    low = p.ups_state({'ups.status': 'OB LB', 'battery.charge': 'n/a'})
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
    assert p.parse_plug(kind, data) == expected


@pytest.mark.parametrize('kind, data, message', [
    ('shelly_gen2', {'id': 0, 'output': True}, "shelly_gen2 status has no power reading .*KeyError: 'apower'"),
    ('shelly_gen1', {'meters': [{'power': 1, 'is_valid': False}]}, 'is_valid=false'),
    ('tasmota', {'Status': {}}, 'tasmota status has no power reading'),
    ('kasa', {}, "plug kind: expected one of shelly_gen2, shelly_gen1, tasmota, got 'kasa'"),
])
def test_bad_plug_answers(kind, data, message):
    with pytest.raises(PowerError, match=message):
        p.parse_plug(kind, data)


def test_plug_paths():
    assert p.plug_path('shelly_gen2', 1) == '/rpc/Switch.GetStatus?id=1'
    assert p.plug_path('shelly_gen1') == '/status'
    assert p.plug_path('tasmota') == '/cm?cmnd=Status%208'
    with pytest.raises(PowerError):
        p.plug_path('zigbee')


def test_home_assistant_states():
    assert p.parse_ha_state({'entity_id': 'sensor.house', 'state': '1234.5',
                             'attributes': {'unit_of_measurement': 'W'}}, 'sensor.house') == 1234.5
    assert p.parse_ha_state({'state': '2.5', 'attributes': {'unit_of_measurement': 'kW'}}, 'sensor.solar') == 2500
    for data, message in (({'state': 'unavailable'}, 'sensor.x is unavailable'),
                          ({'state': 'high'}, "state 'high' is not a number"),
                          ({'state': '5', 'attributes': {'unit_of_measurement': 'kWh'}}, "unit 'kWh'"),
                          ([], 'no state')):
        with pytest.raises(PowerError, match=message):
            p.parse_ha_state(data, 'sensor.x')


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
    # shedding began; the draw is now just under the limit: keep shedding (no restore yet)
    plan = p.shed_plan(HOSTS, 3000, 2950, shedding=True)
    assert plan['shedding'] and 'still shedding until below 2750 W' in plan['reasons'][0]
    # not shedding, hovering just under the limit: nothing happens
    assert not p.shed_plan(HOSTS, 3000, 2990, shedding=False)['shedding']
    # well under: shedding ends
    ended = p.shed_plan(HOSTS, 3000, 2700, shedding=True)
    assert ended['state'] == 'normal' and 'shedding ends' in ended['reasons'][0]
    # a hovering sequence never alternates shed / restore on every run
    shedding, flips = False, 0
    for draw in (3010, 2990, 3005, 2980, 2995, 3001, 2970):
        new = p.shed_plan(HOSTS, 3000, draw, shedding=shedding)['shedding']
        flips += new != shedding
        shedding = new
    assert flips == 1


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
