"""The slurm role's host-side power programs (roles/slurm/files/homelab_slurm_power.py): the role's own file, not a
copy of module_utils, so these tests keep its Wake-on-LAN packets and choices equal to homelab.cluster.wake's, and
check that the webhook URL (it may carry a token) never reaches the log."""

import importlib.util
import json
import os

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils import _wol

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
PATH = os.path.join(ROOT, 'roles', 'slurm', 'files', 'homelab_slurm_power.py')


@pytest.fixture(scope='module')
def power():
    spec = importlib.util.spec_from_file_location('homelab_slurm_power', PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_it_imports_nothing_from_the_collection():
    with open(PATH) as handle:
        text = handle.read()
    assert 'ansible_collections' not in text and 'module_utils' not in text


@pytest.mark.parametrize('mac, secureon', [
    ('a8:a1:59:00:00:01', None), ('A8-A1-59-00-00-01', None), ('a8a159000001', None),
    ('02:77:95:00:00:11', '01:23:45:67:89:ab'),
])
def test_magic_packet_is_the_wake_modules(power, mac, secureon):
    assert power.magic_packet(mac, secureon) == _wol.magic_packet(mac, secureon)


IFACES = [{'name': 'lo', 'address': '127.0.0.1', 'netmask': '8'},
          {'name': 'eth0', 'address': '10.77.30.5', 'netmask': '24'},
          {'name': 'eth1', 'address': '10.77.10.5', 'netmask': '255.255.255.0'}]


@pytest.mark.parametrize('target', ['10.77.30.10', '10.77.10.20'])
def test_destination_is_the_wake_modules(power, target):
    assert power.directed_broadcast(target, IFACES) == _wol.choose_destination(target, IFACES)


def test_no_network_of_the_target(power):
    with pytest.raises(power.WakeError, match='no interface of this controller is on the network of 10.9.9.9'):
        power.directed_broadcast('10.9.9.9', IFACES)


def test_bad_mac_and_secureon(power):
    with pytest.raises(power.WakeError, match="mac: 'zz' is not a MAC address"):
        power.magic_packet('zz')
    with pytest.raises(power.WakeError) as info:
        power.magic_packet('a8:a1:59:00:00:01', 'hunter2-password')
    assert 'hunter2' not in str(info.value)


def test_a_failing_webhook_is_logged_without_its_url(power, tmp_path, monkeypatch):
    log = tmp_path / 'power.log'
    url = 'http://127.0.0.1:9/hook/secret-token-7f3a'
    monkeypatch.setattr(power, 'NODES', str(tmp_path / 'nodes.json'))
    (tmp_path / 'nodes.json').write_text(json.dumps({}))
    monkeypatch.setattr(power, 'hostnames', lambda hostlist, expand_plain=True: ['c1'])
    monkeypatch.setattr(power, 'power_off', lambda config, name, nodes: (0, ''))
    power.resume_fail({'log': str(log), 'webhook': url}, 'c1')
    text = log.read_text()
    assert 'the webhook failed' in text and 'secret-token' not in text and '127.0.0.1:9' not in text
