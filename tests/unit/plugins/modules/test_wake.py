"""homelab.cluster.wake end to end on loopback: a UDP 'NIC' that opens an SSH-like port when its magic
packet arrives, as the lab power controller does with a container."""

import json
import random
import socket
import threading
import time

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._wol import magic_packet
from ansible_collections.homelab.cluster.plugins.modules import wake

MAC = '02:77:00:00:00:01'


def free_port():
    """A free TCP port below the ephemeral range: probing a closed ephemeral port can connect a socket to
    itself (TCP simultaneous open) and then hold the port."""
    for port in random.sample(range(20000, 32000), 200):
        with socket.socket() as sock:
            try:
                sock.bind(('127.0.0.1', port))
                return port
            except OSError:
                continue
    raise RuntimeError('no free port')


class Machine:
    """Listens for magic packets on a UDP port; after boot_delay opens a TCP port that sends an SSH banner."""

    def __init__(self, mac=MAC, boot_delay=0.3, up=False, banner=b'SSH-2.0-OpenSSH_9.2p1 Debian\r\n'):
        self.mac, self.boot_delay, self.banner = mac, boot_delay, banner
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(('127.0.0.1', 0))
        self.udp.settimeout(0.1)
        self.wol_port = self.udp.getsockname()[1]
        self.ssh_port = free_port()
        self.packets, self.listening_at, self.tcp, self.booting = [], None, None, up
        self.stop = threading.Event()
        if up:
            self._listen()
        threading.Thread(target=self._run, daemon=True).start()

    def _listen(self):
        tcp = socket.socket()
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(('127.0.0.1', self.ssh_port))
        tcp.listen(8)
        tcp.settimeout(0.1)
        self.listening_at = time.time()
        self.tcp = tcp

    def _run(self):
        threading.Thread(target=self._serve, daemon=True).start()
        while not self.stop.is_set():
            try:
                data, _addr = self.udp.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return  # closed
            self.packets.append(data)
            if data == magic_packet(self.mac) and not self.booting:
                self.booting = True  # the first packet of the burst powers it on
                threading.Timer(self.boot_delay, self._listen).start()

    def _serve(self):
        while not self.stop.is_set():
            if self.tcp is None:
                time.sleep(0.02)
                continue
            try:
                conn, _addr = self.tcp.accept()
                conn.sendall(self.banner)
                conn.close()
            except (socket.timeout, OSError):
                pass

    def close(self):
        self.stop.set()
        self.udp.close()
        if self.tcp:
            self.tcp.close()


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """The module sees only the loopback interface: whatever a test asks, no packet leaves the machine."""
    monkeypatch.setattr(wake, 'local_interfaces',
                        lambda: [{'name': 'lo', 'address': '127.0.0.1', 'netmask': '255.0.0.0'}])


@pytest.fixture
def machine():
    made = []

    def make(**kwargs):
        made.append(Machine(**kwargs))
        return made[-1]
    yield make
    for m in made:
        m.close()


def args(m, tmp_path, **over):
    base = {'name': 'forge', 'mac': MAC, 'address': '127.0.0.1', 'broadcast': '127.0.0.1', 'port': m.wol_port,
            'ready_port': m.ssh_port, 'ready_check': 'ssh', 'boot_s': 5, 'timeout': 10,
            'state_dir': str(tmp_path), 'min_off_s': 0}
    base.update(over)
    return base


def test_wakes_and_sees_ready_within_a_second_of_the_port_opening(machine, tmp_path, run_module):
    m = machine(boot_delay=0.7)
    result = run_module(wake.main, args(m, tmp_path))
    assert result['changed'] is True
    assert result['ready'] is True
    assert result['state_before'] == 'down'
    assert result['packets_sent'] == 3
    assert m.packets[0] == magic_packet(MAC)
    assert result['destination'].startswith('127.0.0.1:%d, to 127.0.0.1 as given' % m.wol_port)
    assert 0 <= result['ready_at'] - m.listening_at < 1.0
    assert result['wakes_in_window'] == 1
    assert result['msg'].startswith('forge woke: ready (ssh on 127.0.0.1:%d) after' % m.ssh_port)


def test_a_ready_host_gets_no_packet(machine, tmp_path, run_module):
    m = machine(up=True)
    result = run_module(wake.main, args(m, tmp_path))
    assert (result['changed'], result['ready'], result['packets_sent']) == (False, True, 0)
    assert result['state_before'] == 'up'
    time.sleep(0.2)
    assert m.packets == []
    assert 'already ready' in result['msg']


def test_check_mode_sends_nothing(machine, tmp_path, run_module):
    m = machine()
    result = run_module(wake.main, args(m, tmp_path), check_mode=True)
    assert result['changed'] is True and result['packets_sent'] == 0
    assert 'would send 3 magic packets to 127.0.0.1:%d' % m.wol_port in result['msg']
    time.sleep(0.2)
    assert m.packets == []
    assert list(tmp_path.glob('*.json')) == []


@pytest.mark.parametrize('state, up', [('ready', False), ('ready', True), ('down', True), ('down', False),
                                       ('probe', False)])
def test_check_mode_creates_nothing_on_the_sender(machine, tmp_path, run_module, state, up):
    """Not the state directory, not a lock file (a fresh relay stays as it was: molecule's fresh-host check)."""
    m = machine(up=up)
    state_dir = tmp_path / 'state'
    result = run_module(wake.main, args(m, tmp_path, state=state, state_dir=str(state_dir)), check_mode=True)
    assert 'failed' not in result, result
    assert not state_dir.exists()
    assert m.packets == []


def test_check_mode_reads_the_storm_history_and_writes_nothing(machine, tmp_path, run_module):
    m = machine()
    now = time.time()
    history = tmp_path / '02-77-00-00-00-01.json'
    history.write_text(json.dumps({'wakes': [now - 300, now - 200, now - 100]}))
    result = run_module(wake.main, args(m, tmp_path, max_wakes=3), check_mode=True)
    assert result['failed'] and result['msg'].startswith('forge was woken 3 times in the last 60 min')
    assert sorted(p.name for p in tmp_path.iterdir()) == ['02-77-00-00-00-01.json']  # no lock file either
    assert json.loads(history.read_text()) == {'wakes': [now - 300, now - 200, now - 100]}


def test_the_fourth_wake_in_the_window_is_refused(machine, tmp_path, run_module):
    m = machine()
    now = time.time()
    (tmp_path / '02-77-00-00-00-01.json').write_text(json.dumps({'wakes': [now - 300, now - 200, now - 100]}))
    result = run_module(wake.main, args(m, tmp_path, max_wakes=3, window_s=3600))
    assert result['failed'] is True
    assert result['msg'].startswith('forge was woken 3 times in the last 60 min (max_wakes=3, window_s=3600)')
    assert result['packets_sent'] == 0
    time.sleep(0.2)
    assert m.packets == []
    forced = run_module(wake.main, args(m, tmp_path, max_wakes=3, force=True))
    assert forced['ready'] and forced['wakes_in_window'] == 4


def test_min_off_after_a_confirmed_down(machine, tmp_path, run_module):
    m = machine()
    (tmp_path / '02-77-00-00-00-01.json').write_text(json.dumps({'last_down': time.time() - 10}))
    result = run_module(wake.main, args(m, tmp_path, min_off_s=120))
    assert result['failed'] is True
    assert result['msg'].startswith('forge went down 10 s ago; min_off_s=120')


def test_timeout_says_what_was_tried(machine, tmp_path, run_module):
    m = machine(mac='02:77:00:00:00:99')  # answers another MAC: never wakes
    result = run_module(wake.main, args(m, tmp_path, timeout=1.5, resend_s=0.5))
    assert result['failed'] is True
    assert result['packets_sent'] >= 6  # bursts repeated while waiting
    assert result['msg'].startswith('forge did not become ready within 2 s (ssh on 127.0.0.1:%d, last: connection '
                                    'refused) after' % m.ssh_port)
    assert 'to 127.0.0.1:%d' % m.wol_port in result['msg']


def test_state_down_and_probe(machine, tmp_path, run_module):
    m = machine()
    down = run_module(wake.main, args(m, tmp_path, state='down'))
    assert (down['changed'], down['ready']) == (False, False)
    probe = run_module(wake.main, args(m, tmp_path, state='probe'))
    assert (probe['changed'], probe['ready'], probe['state_before']) == (False, False, 'down')


def test_state_down_waits_until_gone(machine, tmp_path, run_module):
    m = machine(up=True)
    threading.Timer(0.5, m.close).start()
    down = run_module(wake.main, args(m, tmp_path, state='down', timeout=5))
    assert down['state_before'] == 'up' and down['ready'] is False
    assert 0.4 < down['elapsed_s'] < 2.5
    saved = json.loads((tmp_path / '02-77-00-00-00-01.json').read_text())
    assert saved['last_down'] >= saved['last_up']


def test_not_ssh_is_not_ready(machine, tmp_path, run_module):
    m = machine(up=True, banner=b'HTTP/1.0 400 Bad Request\r\n')
    result = run_module(wake.main, args(m, tmp_path, state='probe'))
    assert result['ready'] is False and "no SSH banner (got b'HTTP/1.0" in result['msg']
    tcp = run_module(wake.main, args(m, tmp_path, state='probe', ready_check='tcp'))
    assert tcp['ready'] is True


def test_http_readiness(tmp_path, run_module):
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(401 if self.path == '/api' else 404)
            self.end_headers()

        def log_message(self, *a):
            pass

    server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = 'http://127.0.0.1:%d/api' % server.server_address[1]
        ok = run_module(wake.main, {'url': url, 'status_code': [200, 401], 'state': 'probe',
                                    'state_dir': str(tmp_path)})
        assert ok['ready'] is True and 'HTTP 401' in ok['msg']
        bad = run_module(wake.main, {'url': url.replace('/api', '/x'), 'state': 'probe', 'state_dir': str(tmp_path)})
        assert bad['ready'] is False and 'HTTP 404' in bad['msg']
    finally:
        server.shutdown()


@pytest.mark.parametrize('over, message', [
    ({'mac': 'a8:a1:59'}, "forge: mac: 'a8:a1:59' is not a MAC address"),
    ({'secureon': 'pw'}, 'forge: secureon: not a SecureOn password'),
    ({'count': 0}, 'forge: count=0 is out of range'),
    ({'ready_port': 70000}, 'forge: ready_port=70000 is out of range'),
    ({'address': None, 'ready_check': 'ssh'}, 'forge: ready_check=ssh needs address'),
    ({'ready_check': 'http'}, 'forge: ready_check=http needs url'),
    ({'broadcast': None, 'address': '198.51.100.10', 'timeout': 1},
     'forge: no interface of the sender is on the network of 198.51.100.10 (sender has: none)'),
])
def test_bad_input_names_the_host_and_the_field(machine, tmp_path, run_module, over, message):
    m = machine()
    result = run_module(wake.main, args(m, tmp_path, **over))
    assert result['failed'] is True
    assert result['msg'].startswith(message)
    assert 'pw' not in json.dumps(result)


def test_local_interfaces_has_loopback(monkeypatch):
    monkeypatch.undo()  # the real interface table (read only)
    assert {'name': 'lo', 'address': '127.0.0.1', 'netmask': '255.0.0.0'} in wake.local_interfaces()
