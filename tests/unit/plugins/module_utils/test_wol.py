"""Wake-on-LAN logic: packets, the sender's destination, the poll schedule and the wake-storm guard."""

import itertools

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils import _wol
from ansible_collections.homelab.cluster.plugins.module_utils._wol import WakeError

MAC = 'a8:a1:59:00:00:01'
RAW = bytes.fromhex('a8a159000001')
IFACES = [
    {'name': 'lo', 'address': '127.0.0.1', 'netmask': '255.0.0.0'},
    {'name': 'eth0', 'address': '10.0.30.5', 'netmask': '255.255.255.0'},
    {'name': 'eth1', 'address': '10.0.10.5', 'netmask': '255.255.255.0'},
    {'name': 'wg0', 'address': '172.16.0.1', 'netmask': '255.255.0.0'},
]


@pytest.mark.parametrize('text', ['a8:a1:59:00:00:01', 'A8:A1:59:00:00:01', 'a8-a1-59-00-00-01', 'a8a1.5900.0001',
                                  'a8a159000001', ' a8:a1:59:00:00:01 '])
def test_mac_spellings(text):
    assert _wol.parse_mac(text) == RAW


@pytest.mark.parametrize('text', ['a8:a1:59:00:00', 'a8:a1:59:00:00:0g', 'a8:a1-59:00:00:01', '', 'forge',
                                  'a8:a1:59:00:00:01:02', None])
def test_bad_macs_name_the_field(text):
    with pytest.raises(WakeError, match=r'^mac: '):
        _wol.parse_mac(text)


def test_packet_layout():
    packet = _wol.magic_packet(MAC)
    assert len(packet) == 102
    assert packet[:6] == b'\xff' * 6
    assert packet[6:] == RAW * 16


def test_secureon_is_appended():
    packet = _wol.magic_packet(MAC, '01:23:45:67:89:ab')
    assert len(packet) == 108
    assert packet[-6:] == bytes.fromhex('0123456789ab')
    assert _wol.magic_packet(MAC, '') == _wol.magic_packet(MAC)


def test_a_bad_secureon_is_not_echoed():
    with pytest.raises(WakeError) as err:
        _wol.parse_secureon('hunter2-secret')
    assert 'hunter2' not in str(err.value)
    assert str(err.value).startswith('secureon: ')


def test_same_bytes_as_the_wakeonlan_library():
    wakeonlan = pytest.importorskip('wakeonlan')
    assert _wol.magic_packet(MAC) == wakeonlan.create_magic_packet(MAC)
    assert _wol.magic_packet('a8-a1-59-00-00-01', '01:23:45:67:89:ab') == \
        wakeonlan.create_magic_packet('a8:a1:59:00:00:01/01:23:45:67:89:ab')


def test_destination_is_the_directed_broadcast_of_the_targets_network():
    dest, source, why = _wol.choose_destination('10.0.10.20', IFACES)
    assert (dest, source) == ('10.0.10.255', '10.0.10.5')
    assert 'eth1' in why and '10.0.10.20' in why


def test_explicit_broadcast_and_interface():
    assert _wol.choose_destination('10.0.10.20', IFACES, broadcast='10.0.10.20')[:2] == ('10.0.10.20', None)
    assert _wol.choose_destination(None, IFACES, interface='eth0')[:2] == ('10.0.30.255', '10.0.30.5')
    assert _wol.choose_destination(None, IFACES, broadcast='10.0.30.255', interface='eth0')[:2] == \
        ('10.0.30.255', '10.0.30.5')
    assert _wol.choose_destination(None, IFACES, interface='wg0')[0] == '172.16.255.255'


def test_directed_broadcast_chosen_and_a_given_broadcast_kept():
    # a target on one of the sender's networks gets that network's directed broadcast, from that interface
    assert _wol.choose_destination('10.0.10.20', IFACES)[:2] == ('10.0.10.255', '10.0.10.5')
    assert _wol.choose_destination('10.0.30.99', IFACES)[:2] == ('10.0.30.255', '10.0.30.5')
    # a broadcast the user gives is used as given, even off the sender's networks (a lab bridge's here)
    assert _wol.choose_destination(None, IFACES, broadcast='10.77.10.255') == \
        ('10.77.10.255', None, 'to 10.77.10.255 as given')


@pytest.mark.parametrize('kwargs, message', [
    ({'target': '192.168.1.20'}, 'no interface of the sender is on the network of 192.168.1.20'),
    ({'target': None}, 'nothing to send to'),
    ({'target': 'forge.lan'}, "address: 'forge.lan' is not an IPv4 address"),
    ({'target': None, 'interface': 'eth9'}, "interface: 'eth9' has no IPv4 address"),
    ({'target': None, 'broadcast': 'everyone'}, "broadcast: 'everyone' is not an IPv4 address"),
])
def test_destination_errors_say_what_was_tried(kwargs, message):
    with pytest.raises(WakeError, match=message):
        _wol.choose_destination(interfaces=IFACES, **kwargs)


def test_the_sender_interfaces_are_listed_when_none_fits():
    with pytest.raises(WakeError, match=r'eth0 10.0.30.5/24, eth1 10.0.10.5/24'):
        _wol.choose_destination('192.168.1.20', IFACES)


def test_poll_delays_grow_to_half_a_second():
    delays = list(itertools.islice(_wol.poll_delays(), 12))
    assert delays[0] == 0.05
    assert delays == sorted(delays)
    assert max(delays) == 0.5
    assert sum(delays[:6]) < 1.5


@pytest.mark.parametrize('boot_s, expected', [(None, 30), (0, 30), (10, 30), (60, 120), (90, 180)])
def test_default_timeout(boot_s, expected):
    assert _wol.default_timeout(boot_s) == expected


NOW = 1_000_000.0


def history(wakes=(), last_up=None, last_down=None, last_sleep=None):
    return {'wakes': list(wakes), 'last_up': last_up, 'last_down': last_down, 'last_sleep': last_sleep}


def test_clean_history_drops_old_wakes_and_garbage():
    raw = {'wakes': [NOW - 4000, NOW - 10, 'x', NOW - 100, None], 'last_up': 'soon', 'last_down': NOW - 5}
    assert _wol.clean_history(raw, NOW, 3600) == history([NOW - 100, NOW - 10], None, NOW - 5)
    for junk in (None, [], 'text', {'wakes': 'many'}):
        assert _wol.clean_history(junk, NOW, 3600) == _wol.new_history()


def test_three_wakes_allowed_the_fourth_refused():
    h = _wol.new_history()
    for i in range(3):
        assert _wol.storm_check(h, NOW + i, 3, 3600, 0, 'forge') is None
        h = _wol.record_wake(h, NOW + i)
    refusal = _wol.storm_check(h, NOW + 3, 3, 3600, 0, 'forge')
    assert refusal.startswith('forge was woken 3 times in the last 60 min (max_wakes=3, window_s=3600)')
    assert 'next allowed in 60 min' in refusal and 'force=true' in refusal


def test_wakes_leave_the_window():
    h = history([NOW - 3500, NOW - 3000, NOW - 10])
    assert _wol.storm_check(h, NOW, 3, 3600, 0) is not None
    assert _wol.storm_check(h, NOW + 101, 3, 3600, 0) is None
    assert 'next allowed in 100 s' in _wol.storm_check(h, NOW, 3, 3600, 0)


def test_max_wakes_none_disables():
    assert _wol.storm_check(history([NOW] * 50), NOW, None, 3600, 0) is None


def test_min_off_after_a_recorded_down():
    h = history(last_up=NOW - 100, last_down=NOW - 30)
    refusal = _wol.storm_check(h, NOW, 3, 3600, 120, 'desk')
    assert refusal.startswith('desk went down 30 s ago; min_off_s=120')
    assert 'next allowed in 90 s' in refusal
    assert _wol.storm_check(h, NOW + 91, 3, 3600, 120) is None
    assert _wol.storm_check(h, NOW, 3, 3600, 0) is None


def test_min_off_falls_back_to_last_seen_up():
    # it answered after the recorded down, so it went down some time after last_up
    h = history(last_up=NOW - 20, last_down=NOW - 500)
    assert _wol.storm_check(h, NOW, 3, 3600, 120, 'desk').startswith('desk was last seen up 20 s ago')
    assert _wol.storm_check(history(last_up=NOW - 20), NOW, 3, 3600, 120) is not None
    assert _wol.storm_check(_wol.new_history(), NOW, 3, 3600, 120) is None


def test_record_state():
    h = _wol.record_state(_wol.new_history(), NOW, False)
    assert h['last_down'] is None  # never seen up: nothing went down
    h = _wol.record_state(h, NOW, True)
    assert h['last_up'] == NOW
    h = _wol.record_state(h, NOW + 10, False)
    assert h['last_down'] == NOW + 10
    assert _wol.record_state(h, NOW + 20, False)['last_down'] == NOW + 10  # the first sighting counts


@pytest.mark.parametrize('seconds, text', [(0, '0 s'), (59.6, '60 s'), (119, '119 s'), (120, '2 min'),
                                           (7199, '120 min'), (7200, '2.0 h'), (-5, '0 s')])
def test_durations(seconds, text):
    assert _wol._duration(seconds) == text


def test_packet_builder_names_the_wakeonlan_version():
    """RETURN documents `wakeonlan <version>`: the library has no __version__, the version comes from its
    distribution metadata (it used to print 'wakeonlan ' with nothing after it)."""
    from importlib.metadata import version

    from ansible_collections.homelab.cluster.plugins.module_utils import _wake_io
    pytest.importorskip('wakeonlan')
    packet, builder = _wake_io.build_packet(MAC, None)
    assert packet == _wol.magic_packet(MAC)
    assert builder == 'wakeonlan %s' % version('wakeonlan') and builder.split()[1][0].isdigit()


def test_a_confirmed_sleep_is_kept_apart_from_a_probe_that_saw_the_host_down():
    h = _wol.record_state(_wol.new_history(), NOW, True)
    h = _wol.record_sleep(_wol.record_state(h, NOW + 5, False), NOW + 5)
    assert (h['last_down'], h['last_sleep']) == (NOW + 5, NOW + 5)
    assert _wol.clean_history(h, NOW + 6, 3600)['last_sleep'] == NOW + 5
    # woken, then seen down by a probe (a crash): last_down moves, last_sleep does not
    h = _wol.record_state(_wol.record_state(h, NOW + 100, True), NOW + 200, False)
    assert (h['last_down'], h['last_sleep']) == (NOW + 200, NOW + 5)
