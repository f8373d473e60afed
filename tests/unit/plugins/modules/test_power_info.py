"""power_info against loopback doubles of NUT's upsd, Shelly Gen1/Gen2, Tasmota and Home Assistant, written from
their documented request/response shapes (named as doubles: none of this is the vendors' software)."""

import http.server
import json
import socket
import socketserver
import threading

import pytest

from ansible_collections.homelab.cluster.plugins.modules import power_info

TOKEN = 'ha-secret-token'  # noqa: S105 - the Home Assistant double's test token
ANSWERS = {
    '/rpc/Switch.GetStatus?id=0': {'id': 0, 'source': 'init', 'output': True, 'apower': 412.5, 'voltage': 230.2,
                                   'current': 1.79, 'aenergy': {'total': 9876.5}},
    '/status': {'relays': [{'ison': True, 'has_timer': False}], 'meters': [{'power': 6.5, 'is_valid': True}]},
    '/cm?cmnd=Status%208': {'StatusSNS': {'Time': '2026-11-24T03:00:00', 'ENERGY': {'Total': 3.2, 'Power': 48}}},
    '/api/states/sensor.house_power': {'entity_id': 'sensor.house_power', 'state': '2.75',
                                       'attributes': {'unit_of_measurement': 'kW'}},
    '/api/states/sensor.solar_power': {'entity_id': 'sensor.solar_power', 'state': 'unavailable',
                                       'attributes': {}},
}


class DeviceDouble(http.server.BaseHTTPRequestHandler):
    """Shelly, Tasmota and Home Assistant answers in their documented shapes (a double, not the devices)."""

    def do_GET(self):
        if self.path.startswith('/api/') and self.headers.get('Authorization') != 'Bearer %s' % TOKEN:
            self.send_response(401)
            self.end_headers()
            return
        body = ANSWERS.get(self.path)
        self.send_response(200 if body else 404)
        self.send_header('Content-Type', 'application/json')
        self.end_headers()
        if body:
            self.wfile.write(json.dumps(body).encode())

    def log_message(self, *args):
        pass


class StallingPlug(http.server.BaseHTTPRequestHandler):
    """A plug that accepted the connection and then hangs (a sick Wi-Fi plug): it answers after STALL_S."""

    def do_GET(self):
        STALLED.wait(STALL_S)
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.end_headers()
        self.wfile.write(json.dumps(ANSWERS['/rpc/Switch.GetStatus?id=0']).encode())

    def log_message(self, *args):
        pass


STALL_S = 30
STALLED = threading.Event()  # set at teardown so the stalled handlers end


class UpsdDouble(socketserver.StreamRequestHandler):
    """NUT upsd's text protocol for LIST VAR (a double of upsd with the dummy-ups driver)."""

    def handle(self):
        for raw in self.rfile:
            line = raw.decode().strip()
            if line == 'LIST VAR dummy':
                self.wfile.write(b'BEGIN LIST VAR dummy\nVAR dummy battery.charge "25"\n'
                                 b'VAR dummy battery.runtime "540"\nVAR dummy ups.load "30"\n'
                                 b'VAR dummy ups.realpower.nominal "900"\nVAR dummy ups.status "OB DISCHRG"\n'
                                 b'END LIST VAR dummy\n')
            elif line.startswith('LIST VAR'):
                self.wfile.write(b'ERR UNKNOWN-UPS\n')
            elif line == 'LOGOUT':
                self.wfile.write(b'OK Goodbye\n')
                return


@pytest.fixture(scope='module')
def doubles():
    web = http.server.ThreadingHTTPServer(('127.0.0.1', 0), DeviceDouble)
    upsd = socketserver.ThreadingTCPServer(('127.0.0.1', 0), UpsdDouble)
    stall = http.server.ThreadingHTTPServer(('127.0.0.1', 0), StallingPlug)
    stall.daemon_threads = True
    for server in (web, upsd, stall):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        dead = sock.getsockname()[1]  # closed again: nothing listens there
    yield {'web': web.server_address[1], 'nut': upsd.server_address[1], 'dead': dead,
           'stall': stall.server_address[1]}
    STALLED.set()
    for server in (web, upsd, stall):
        server.shutdown()


def hosts(ports):
    return {
        'forge': {'idle_w': 95, 'peak_w': 1100, 'plug': {'kind': 'shelly_gen2', 'host': '127.0.0.1',
                                                         'port': ports['web']},
                  'ups': {'name': 'dummy', 'host': '127.0.0.1', 'port': ports['nut']}},
        'keeper': {'idle_w': 7, 'peak_w': 35, 'plug': {'kind': 'shelly_gen1', 'host': '127.0.0.1',
                                                       'port': ports['web']},
                   'ups': {'name': 'dummy', 'host': '127.0.0.1', 'port': ports['nut']}},
        'pi5': {'idle_w': 4, 'peak_w': 12, 'plug': {'kind': 'tasmota', 'host': '127.0.0.1', 'port': ports['web']}},
        'desk': {'idle_w': 55, 'peak_w': 420, 'plug': {'kind': 'shelly_gen2', 'host': '127.0.0.1',
                                                       'port': ports['dead']}},
        'nas': {'idle_w': 28, 'peak_w': 260, 'ups': {'name': 'other', 'host': '127.0.0.1', 'port': ports['nut']}},
    }


def test_every_source_and_a_dead_plug(doubles, run_module):
    result = run_module(power_info.main, {
        'hosts': hosts(doubles), 'ha_url': 'http://127.0.0.1:%d' % doubles['web'], 'ha_token': TOKEN,
        'house_entity': 'sensor.house_power', 'solar_entity': 'sensor.solar_power', 'timeout': 2},
        check_mode=True)
    assert result['changed'] is False
    assert result['hosts']['forge'] == {'watts': 412.5, 'source': 'plug', 'on': True, 'ups': 'dummy@127.0.0.1'}
    assert result['hosts']['keeper']['watts'] == 6.5
    assert result['hosts']['pi5'] == {'watts': 48.0, 'source': 'plug', 'on': None}
    assert result['hosts']['desk'] == {'watts': 55, 'source': 'estimate'}  # dead plug: its estimate stands in
    assert result['ups'] == {'dummy@127.0.0.1': {
        'status': ['OB', 'DISCHRG'], 'online': False, 'on_battery': True, 'low_battery': False,
        'charge_pct': 25.0, 'runtime_s': 540.0, 'load_pct': 30.0, 'watts': 270.0}}
    assert (result['house_w'], result['house_source'], result['solar_w']) == (2750.0, 'home_assistant', None)
    unavailable = '\n'.join(result['unavailable'])
    assert 'desk plug 127.0.0.1 (shelly_gen2): ' in unavailable
    assert 'ups other@127.0.0.1 (NUT, TCP %d): NUT answered UNKNOWN-UPS for UPS other' % doubles['nut'] in unavailable
    assert 'Home Assistant sensor.solar_power: Home Assistant sensor.solar_power is unavailable' in unavailable
    assert TOKEN not in json.dumps(result)


def test_without_home_assistant_the_house_is_the_sum(doubles, run_module):
    result = run_module(power_info.main, {'hosts': {'pi5': hosts(doubles)['pi5']}})
    assert (result['house_w'], result['house_source']) == (48.0, 'sum_of_hosts')


def test_a_wrong_token_is_reported_not_fatal(doubles, run_module):
    result = run_module(power_info.main, {'hosts': {}, 'ha_url': 'http://127.0.0.1:%d' % doubles['web'],
                                          'ha_token': 'wrong', 'house_entity': 'sensor.house_power'})
    assert result['house_source'] == 'sum_of_hosts'
    assert any('401' in u for u in result['unavailable'])


def test_entity_without_home_assistant_is_an_argument_error(run_module):
    result = run_module(power_info.main, {'house_entity': 'sensor.house_power'})
    assert result['failed'] and 'ha_url' in result['msg']


def test_one_deadline_for_the_whole_reading(doubles, run_module):
    """Twenty hanging plugs and a dead one cost one deadline, not twenty timeouts: every source is read at once,
    a late one is reported as late and its host falls back to its estimate (issue 25: the guard keeps its
    interval). The bound asserted is the deadline plus slack, far below 20 x the 5 s timeout."""
    many = {'sick%02d' % i: {'idle_w': 10, 'peak_w': 50, 'plug': {'kind': 'shelly_gen2', 'host': '127.0.0.1',
                                                                  'port': doubles['stall']}} for i in range(20)}
    many.update(hosts(doubles))
    result = run_module(power_info.main, {'hosts': many, 'timeout': 5, 'deadline': 3.0})
    assert result['elapsed_s'] < 8.0
    assert result['hosts']['sick07'] == {'watts': 10, 'source': 'estimate'}
    assert result['hosts']['forge']['source'] == 'plug'  # the healthy ones were read meanwhile
    late = [u for u in result['unavailable'] if "no answer within the reading's deadline of 3.0 s" in u]
    assert len(late) == 20 and any(u.startswith('desk plug') for u in result['unavailable'])


def test_a_zero_deadline_is_refused(run_module):
    result = run_module(power_info.main, {'hosts': {}, 'deadline': 0})
    assert result['failed'] and 'deadline and timeout must be above 0' in result['msg']
