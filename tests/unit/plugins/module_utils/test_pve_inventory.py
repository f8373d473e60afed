"""The live Proxmox source's pure transforms: API answers -> hardware-file hosts, facts, groups, warnings."""
import os
import sys

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._hardware import normalize_hardware
from ansible_collections.homelab.cluster.plugins.module_utils._pve.inventory import agent_addresses
from ansible_collections.homelab.cluster.plugins.module_utils._pve.inventory import group_name
from ansible_collections.homelab.cluster.plugins.module_utils._pve.inventory import hosts_from_api
from ansible_collections.homelab.cluster.plugins.module_utils._pve.inventory import merge_into
from ansible_collections.homelab.cluster.plugins.module_utils._pve.inventory import parse_tags
from ansible_collections.homelab.cluster.plugins.module_utils._pve.inventory import pool_groups
from ansible_collections.homelab.cluster.plugins.module_utils._pve.pci import gpus_of_node
from ansible_collections.homelab.cluster.plugins.module_utils._pve.pci import parse_hostpci

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'lab', 'doubles'))
from pve_fixtures import FORGE_PCI  # noqa: E402
from pve_fixtures import pci_list  # noqa: E402

GIB = 1024 ** 3
STATUS = [{'type': 'cluster', 'name': 'homelab', 'id': 'cluster'},
          {'type': 'node', 'name': 'forge', 'ip': '10.77.87.10', 'nodeid': 1, 'online': 1},
          {'type': 'node', 'name': 'pve3', 'ip': '10.77.87.12', 'nodeid': 3, 'online': 0}]
RESOURCES = [
    {'id': 'node/forge', 'type': 'node', 'node': 'forge', 'status': 'online', 'maxcpu': 32, 'maxmem': 128 * GIB},
    {'id': 'node/pve3', 'type': 'node', 'node': 'pve3', 'status': 'offline'},
    {'id': 'qemu/211', 'type': 'qemu', 'vmid': 211, 'node': 'forge', 'name': 'k3s-gpu1', 'status': 'running',
     'maxcpu': 8, 'maxmem': 32 * GIB, 'tags': 'k3s;gpu', 'pool': 'k3s'},
    {'id': 'qemu/230', 'type': 'qemu', 'vmid': 230, 'node': 'forge', 'status': 'unknown'},
    {'id': 'qemu/205', 'type': 'qemu', 'vmid': 205, 'node': 'forge', 'name': 'tmpl', 'status': 'stopped',
     'template': 1},
    {'id': 'qemu/240', 'type': 'qemu', 'vmid': 240, 'node': 'forge', 'name': 'web', 'status': 'stopped', 'maxcpu': 1,
     'maxmem': GIB},
    {'id': 'qemu/241', 'type': 'qemu', 'vmid': 241, 'node': 'forge', 'name': 'web', 'status': 'stopped', 'maxcpu': 1,
     'maxmem': GIB},
    {'id': '/pool/k3s', 'type': 'pool', 'pool': 'k3s'},
    {'id': '/pool/empty', 'type': 'pool', 'pool': 'empty'},
]


def raw(**extra):
    out = {'status': STATUS, 'resources': RESOURCES, 'pci': {}, 'config': {}, 'agent': {}, 'mappings': []}
    out.update(extra)
    return out


@pytest.mark.parametrize('text, tags', [('k3s;gpu', ['gpu', 'k3s']), ('web,prod', ['prod', 'web']),
                                        ('a b;;c', ['a', 'b', 'c']), ('', []), (None, []), ('K3s;k3s', ['k3s'])])
def test_parse_tags(text, tags):
    assert parse_tags(text) == tags


def test_group_names_are_safe():
    assert group_name('proxmox_tag', 'control-plane') == 'proxmox_tag_control_plane'
    assert group_name('proxmox_tag', 'v1.2+x') == 'proxmox_tag_v1_2_x'


def test_pool_groups_include_empty_pools():
    assert pool_groups(RESOURCES) == ['proxmox_pool_empty', 'proxmox_pool_k3s']


def test_hosts_groups_and_gotchas():
    hosts, groups, warnings = hosts_from_api(raw())
    assert sorted(hosts) == ['forge', 'k3s-gpu1', 'pve3', 'qemu-230', 'web-240', 'web-241']
    assert hosts['qemu-230']['vars']['homelab_proxmox']['status'] == 'unknown'
    assert 'ram_gb' not in hosts['qemu-230']
    assert groups['k3s-gpu1'] == ['proxmox_guests', 'proxmox_node_forge', 'proxmox_pool_k3s', 'proxmox_qemu',
                                  'proxmox_status_running', 'proxmox_tag_gpu', 'proxmox_tag_k3s']
    assert warnings == ['node pve3 is offline: its guests are listed from /cluster/resources without per-guest facts',
                        'guest name web is used by more than one guest: each is named web-<vmid>']
    assert hosts['forge'] == {'os': 'proxmox', 'address': '10.77.87.10', 'cpu': {'threads': 32}, 'ram_gb': 128.0,
                              'vars': {'homelab_proxmox': {'type': 'node', 'node': 'forge', 'status': 'online',
                                                           'cluster': 'homelab', 'nodeid': 1, 'level': ''}}}
    # every API host passes the hardware file's checks; homelab_proxmox travels apart (the source sets it itself)
    normalize_hardware({'hosts': {n: {k: v for k, v in h.items() if k != 'vars'} for n, h in hosts.items()}})


def test_templates_only_when_asked():
    hosts, _g, _w = hosts_from_api(raw(), options={'templates': True})
    assert 'tmpl' in hosts


def test_guest_gpus_from_hostpci():
    pci = pci_list(FORGE_PCI)
    hosts, _g, warnings = hosts_from_api(raw(pci={'forge': pci}, config={'211': {'hostpci0': '0000:01:00,pcie=1'}}))
    assert hosts['k3s-gpu1']['gpus'] == [{'model': 'GeForce RTX 4070 Ti SUPER', 'vendor': 'nvidia', 'vram_gb': 16}]
    assert hosts['forge']['gpus'] == [
        {'model': 'GeForce RTX 4070 Ti SUPER', 'vendor': 'nvidia', 'vram_gb': 16},
        {'model': 'Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M', 'vendor': 'amd', 'vram_gb': 16},
        {'model': 'Radeon RX 6700/6700 XT/6750 XT / 6800M/6850M XT', 'vendor': 'amd', 'vram_gb': 12}]
    assert hosts['k3s-gpu1']['vars']['homelab_proxmox']['hostpci'][0]['ids'] == ['10de:2705', '10de:22bb']


def test_hostpci_without_pci_list_is_a_warning():
    _h, _g, warnings = hosts_from_api(raw(config={'211': {'hostpci0': '01:00'}}))
    assert 'guest k3s-gpu1 (211): hostpci0: the PCI list of node forge is not available; the device is not identified' \
        in warnings


def test_failed_fetches_are_not_facts():
    hosts, _g, _w = hosts_from_api(raw(config={'211': {'error': 'GET ...: 403'}}, agent={'211': {'error': 'x'}}))
    assert 'address' not in hosts['k3s-gpu1']


@pytest.mark.parametrize('value, parsed', [
    ('0000:01:00,pcie=1,x-vga=1', {'host': ['0000:01:00'], 'mapping': None, 'options': {'pcie': '1', 'x-vga': '1'}}),
    ('01:00.0;02:00.0', {'host': ['0000:01:00.0', '0000:02:00.0'], 'mapping': None, 'options': {}}),
    ('mapping=rtx,pcie=1', {'host': [], 'mapping': 'rtx', 'options': {'pcie': '1'}}),
    ('host=0000:03:00', {'host': ['0000:03:00'], 'mapping': None, 'options': {}}),
])
def test_parse_hostpci(value, parsed):
    assert parse_hostpci(value) == parsed


def test_declared_gpus_win_on_a_node():
    assert gpus_of_node(pci_list(FORGE_PCI), [{'model': 'x'}]) is None
    assert gpus_of_node(None) is None


@pytest.mark.parametrize('result, addresses', [
    ([{'name': 'lo', 'ip-addresses': [{'ip-address': '127.0.0.1', 'ip-address-type': 'ipv4'}]},
      {'name': 'eth0', 'ip-addresses': [{'ip-address': 'fe80::1', 'ip-address-type': 'ipv6'},
                                        {'ip-address': '2001:db8::5', 'ip-address-type': 'ipv6'},
                                        {'ip-address': '10.0.0.5', 'ip-address-type': 'ipv4'}]}],
     ['10.0.0.5', '2001:db8::5']),
    ([{'name': 'eth0', 'hardware-address': 'bc:24:11:00:00:01'}], []),  # just after boot
    ([{'name': 'eth0', 'inet': '10.0.0.9/24'}], ['10.0.0.9']),  # lxc
    (None, []),
])
def test_agent_addresses(result, addresses):
    assert agent_addresses(result) == addresses


def test_merge_keeps_the_files_fields_and_the_apis_facts():
    data = {'hosts': {'forge': {'os': 'proxmox', 'cpu': {'model': 'Ryzen', 'threads': 32}, 'vars': {'x': 1}}}}
    api = {'forge': {'os': 'proxmox', 'cpu': {'threads': 30}, 'ram_gb': 125.0, 'vars': {'homelab_proxmox': {'a': 1}}}}
    merged = merge_into(data, api)['hosts']['forge']
    assert merged['cpu'] == {'model': 'Ryzen', 'threads': 32} and merged['ram_gb'] == 125.0
    assert merged['vars'] == {'x': 1, 'homelab_proxmox': {'a': 1}}
