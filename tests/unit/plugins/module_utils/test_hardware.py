"""Validation and normalization of the hardware file: every message, every default."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._hardware import deep_merge
from ansible_collections.homelab.cluster.plugins.module_utils._hardware import infer_vendor
from ansible_collections.homelab.cluster.plugins.module_utils._hardware import normalize_hardware
from ansible_collections.homelab.cluster.plugins.module_utils._schema import HardwareError
from ansible_collections.homelab.cluster.plugins.module_utils._schema import Problem
from ansible_collections.homelab.cluster.plugins.module_utils._schema import format_path


def one(fields, name='h', **kwargs):
    return normalize_hardware({'hosts': {name: fields}}, **kwargs)[name]


def problems(data, **kwargs):
    with pytest.raises(HardwareError) as info:
        normalize_hardware(data, **kwargs)
    return [str(p) for p in info.value.problems]


def host_problems(fields, name='h'):
    return problems({'hosts': {name: fields}})


# --- paths and helpers ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('path, text', [
    (('hosts', 'forge', 'gpus', 1, 'vram_gb'), 'forge.gpus[1].vram_gb'),
    (('defaults', 'cpu', 'ghz'), 'defaults.cpu.ghz'),
    (('hosts',), 'hosts'),
    ((), '(top level)'),
])
def test_format_path(path, text):
    assert format_path(path) == text
    assert str(Problem(path, 'x')) == '%s: x' % text


def test_deep_merge_merges_mappings_and_replaces_the_rest():
    base = {'cpu': {'arch': 'x86_64', 'cores': 2}, 'gpus': [1], 'os': 'debian'}
    over = {'cpu': {'cores': 4}, 'gpus': [2]}
    assert deep_merge(base, over) == {'cpu': {'arch': 'x86_64', 'cores': 4}, 'gpus': [2], 'os': 'debian'}
    assert base['cpu']['cores'] == 2


@pytest.mark.parametrize('model, vendor', [
    ('RTX 4070 Ti Super', 'nvidia'), ('GeForce GTX 1080', 'nvidia'), ('Jetson Orin Nano', 'nvidia'),
    ('RX 7900 XT', 'amd'), ('Radeon Pro W7800', 'amd'), ('Arc B580', 'intel'), ('Intel Arc A770', 'intel'),
    ('Hailo-8L', 'hailo'), ('Coral Edge TPU', 'google'), ('Mystery 3000', None),
])
def test_infer_vendor(model, vendor):
    assert infer_vendor(model) == vendor


# --- defaults and inference ----------------------------------------------------------------------------------

def test_a_name_alone_is_a_complete_host():
    record = normalize_hardware({'hosts': {'bare': None}})['bare']
    assert record == {
        'name': 'bare', 'address': None, 'mac': None, 'os': 'linux', 'form_factor': 'tower',
        'cpu': {'model': None, 'arch': 'x86_64', 'cores': None, 'threads': None, 'ghz': None},
        'ram_gb': None, 'gpus': [], 'power': {'idle_w': 45, 'peak_w': 170, 'estimated': True},
        'always_on': False, 'volatile': False,
        'wake': {'method': 'none', 'mac': None, 'boot_s': 60, 'ready_port': 22},
        'python': True, 'quorum_votes': 0, 'tier': None, 'roles': None, 'vars': {}, 'description': None,
        'facts_used': [],
    }


def test_empty_file_is_an_empty_inventory():
    assert normalize_hardware(None) == {}
    assert normalize_hardware({'hosts': None}) == {}


def test_defaults_are_deep_merged_under_every_host_and_hosts_win():
    records = normalize_hardware({
        'defaults': {'os': 'debian', 'cpu': {'arch': 'aarch64', 'cores': 4}},
        'hosts': {'a': {'cpu': {'cores': 8}}, 'b': {'os': 'ubuntu'}},
    })
    assert records['a']['os'] == 'debian' and records['a']['cpu']['arch'] == 'aarch64'
    assert records['a']['cpu']['cores'] == 8 and records['a']['cpu']['threads'] == 8
    assert records['b']['os'] == 'ubuntu' and records['b']['cpu']['cores'] == 4


def test_hosts_come_back_sorted():
    assert list(normalize_hardware({'hosts': {'zed': {}, 'alpha': {}, 'mid': {}}})) == ['alpha', 'mid', 'zed']


@pytest.mark.parametrize('fields, key, expected', [
    ({'os': 'raspios'}, 'form_factor', 'sbc'),
    ({'os': 'jetpack'}, 'form_factor', 'sbc'),
    ({'os': 'raspios'}, ('cpu', 'arch'), 'aarch64'),
    ({'os': 'windows'}, 'volatile', True),
    ({'os': 'windows', 'volatile': False}, 'volatile', False),
    ({'os': 'windows'}, 'python', False),
    ({'os': 'windows', 'python': True}, 'python', True),
    ({'mac': 'AA-BB-CC-DD-EE-FF'}, 'mac', 'aa:bb:cc:dd:ee:ff'),
    ({'mac': 'aabb.ccdd.eeff'.replace('.', '')}, 'mac', 'aa:bb:cc:dd:ee:ff'),
    ({'mac': '02:00:00:00:00:01'}, ('wake', 'method'), 'wol'),
    ({'mac': '02:00:00:00:00:01', 'always_on': True}, ('wake', 'method'), 'none'),
    ({'mac': '02:00:00:00:00:01', 'wake': {'method': 'none'}}, ('wake', 'method'), 'none'),
    ({'mac': '02:00:00:00:00:01'}, ('wake', 'mac'), '02:00:00:00:00:01'),
    ({'os': 'Debian'}, 'os', 'debian'),
    ({'cpu': {'cores': 4}}, ('cpu', 'threads'), 4),
    ({'ram_gb': 0.0625}, 'ram_gb', 0.0625),
    ({'ram_gb': 128}, 'ram_gb', 128),
    ({'quorum_votes': 2}, 'quorum_votes', 2),
    ({'vars': {'ansible_user': 'admin'}}, 'vars', {'ansible_user': 'admin'}),
    ({'description': '  lab box '}, 'description', 'lab box'),
])
def test_inferred_and_normalized_fields(fields, key, expected):
    record = one(fields)
    value = record[key] if isinstance(key, str) else record[key[0]][key[1]]
    assert value == expected


@pytest.mark.parametrize('fields, power', [
    ({}, {'idle_w': 45, 'peak_w': 170, 'estimated': True}),
    ({'form_factor': 'sbc'}, {'idle_w': 5, 'peak_w': 15, 'estimated': True}),
    ({'power': {'idle_w': 10}}, {'idle_w': 10, 'peak_w': 135, 'estimated': True}),
    ({'power': {'peak_w': 30}}, {'idle_w': 30, 'peak_w': 30, 'estimated': True}),
    ({'power': {'idle_w': 7, 'peak_w': 35}}, {'idle_w': 7, 'peak_w': 35, 'estimated': False}),
    ({'gpus': [{'model': 'RTX 4070', 'vram_gb': 12, 'tdp_w': 200}]}, {'idle_w': 45, 'peak_w': 370, 'estimated': True}),
    ({'gpus': [{'model': 'RX 7600', 'vram_gb': 8}]}, {'idle_w': 45, 'peak_w': 290, 'estimated': True}),
    ({'gpus': [{'model': 'Hailo-8L'}]}, {'idle_w': 45, 'peak_w': 175, 'estimated': True}),
])
def test_power_is_estimated_only_where_missing(fields, power):
    assert one(fields)['power'] == power


def test_gpu_normalization():
    gpus = one({'gpus': [{'model': 'RTX 4070 Ti Super', 'vram_gb': 16, 'pcie': {'gen': 4, 'lanes': 16}},
                         {'model': 'Hailo-8L', 'tops': 13},
                         {'vendor': 'NVIDIA', 'model': 'Orin', 'vram_gb': 8, 'shared': True}]})['gpus']
    assert gpus[0] == {'model': 'RTX 4070 Ti Super', 'vendor': 'nvidia', 'kind': 'gpu', 'vram_gb': 16,
                       'shared': False, 'pcie': {'gen': 4, 'lanes': 16}, 'tdp_w': None, 'tops': None}
    assert gpus[1]['vendor'] == 'hailo' and gpus[1]['kind'] == 'npu' and gpus[1]['vram_gb'] == 0
    assert gpus[2]['vendor'] == 'nvidia' and gpus[2]['shared'] is True


def test_facts_fill_only_what_is_missing():
    facts = {'h': {'ram_gb': 15.5, 'cpu.threads': 8, 'cpu.cores': 4, 'os': 'ubuntu', 'mac': '02:00:00:00:00:09'}}
    record = normalize_hardware({'hosts': {'h': {'ram_gb': 16, 'mac': '02:00:00:00:00:01'}}}, facts)['h']
    assert record['ram_gb'] == 16 and record['mac'] == '02:00:00:00:00:01'
    assert record['cpu']['threads'] == 8 and record['os'] == 'ubuntu'
    assert record['facts_used'] == ['cpu.cores', 'cpu.threads', 'os']


def test_facts_can_supply_the_mac_that_wol_needs():
    record = normalize_hardware({'hosts': {'h': {}}}, {'h': {'mac': '02:00:00:00:00:09'}})['h']
    assert record['wake'] == {'method': 'wol', 'mac': '02:00:00:00:00:09', 'boot_s': 60, 'ready_port': 22}


# --- every validation message ----------------------------------------------------------------------------------

@pytest.mark.parametrize('fields, message', [
    ({'ram_gb': 'twenty'}, "h.ram_gb: expected a number, got 'twenty'"),
    ({'ram_gb': -4}, 'h.ram_gb: expected a number > 0, got -4'),
    ({'ram_gb': 0}, 'h.ram_gb: expected a number > 0, got 0'),
    ({'ram_gb': True}, 'h.ram_gb: expected a number, got true'),
    ({'ram_gb': None}, 'h.ram_gb: expected a number, got nothing (null)'),
    ({'cpu': {'cores': 2.5}}, 'h.cpu.cores: expected an integer, got 2.5'),
    ({'cpu': {'cores': 0}}, 'h.cpu.cores: expected an integer >= 1, got 0'),
    ({'cpu': {'ghz': 0}}, 'h.cpu.ghz: expected a number > 0, got 0'),
    ({'cpu': {'arch': 'x64'}}, "h.cpu.arch: expected one of aarch64, armv6l, armv7l, i386, i686, ppc64le, riscv64, "
                               "s390x, x86_64, got 'x64'"),
    ({'cpu': {'cores': 8, 'threads': 4}}, 'h.cpu.threads: expected at least cpu.cores (8), got 4'),
    ({'cpu': 'fast'}, "h.cpu: expected a mapping, got 'fast'"),
    ({'cpu': {'model': ''}}, "h.cpu.model: expected a non-empty string, got ''"),
    ({'os': 'proxmx'}, "h.os: expected one of alma, alpine, arch, debian, fedora, freebsd, jetpack, linux, macos, "
                       "nixos, opnsense, pfsense, proxmox, raspios, rhel, rocky, truenas, ubuntu, windows, got "
                       "'proxmx' (did you mean 'proxmox'?)"),
    ({'os': 7}, 'h.os: expected one of'),
    ({'form_factor': 'desktop'}, "h.form_factor: expected one of appliance, laptop, rack, sbc, sff, tower, got "
                                 "'desktop'"),
    ({'mac': 'zz:zz'}, "h.mac: expected a MAC address like aa:bb:cc:dd:ee:ff, got 'zz:zz'"),
    ({'mac': 42}, 'h.mac: expected a MAC address like aa:bb:cc:dd:ee:ff, got 42'),
    ({'mac': '01:00:5e:00:00:01'}, "h.mac: expected a unicast MAC address, got multicast '01:00:5e:00:00:01'"),
    ({'address': '10.0.300.1'}, "h.address: expected an IP address or DNS name, got '10.0.300.1'"),
    ({'address': 'has space'}, "h.address: expected an IP address or DNS name, got 'has space'"),
    ({'gpus': {'model': 'x'}}, 'h.gpus: expected a list, got a mapping'),
    ({'gpus': ['RTX']}, "h.gpus[0]: expected a mapping, got 'RTX'"),
    ({'gpus': [{'model': 'RX 7900 XT', 'vram_gb': 'twenty'}]}, "h.gpus[0].vram_gb: expected a number, got 'twenty'"),
    ({'gpus': [{'model': 'Hailo-8L', 'vram_gb': 4}]},
     'h.gpus[0].vram_gb: hailo accelerators have no VRAM of their own; expected 0 or nothing, got 4'),
    ({'gpus': [{'model': 'Mystery 3000'}]},
     "h.gpus[0].vendor: missing, and not inferable from model 'Mystery 3000'; expected one of amd, google, hailo, "
     'intel, nvidia'),
    ({'gpus': [{}]}, 'h.gpus[0].vendor: missing, and not inferable from model (none given)'),
    ({'gpus': [{'vendor': 'nvidia', 'pcie': {'lanes': 3}}]},
     'h.gpus[0].pcie.lanes: expected one of 1, 2, 4, 8, 16, got 3'),
    ({'gpus': [{'vendor': 'nvidia', 'pcie': {'gen': 9}}]}, 'h.gpus[0].pcie.gen: expected an integer <= 7, got 9'),
    ({'gpus': [{'vendor': 'nvidia', 'shared': 'yes'}]}, "h.gpus[0].shared: expected true or false, got 'yes'"),
    ({'power': {'idle_w': 100, 'peak_w': 50}}, 'h.power.peak_w: expected at least power.idle_w (100), got 50'),
    ({'power': {'idle_w': -1}}, 'h.power.idle_w: expected a number >= 0, got -1'),
    ({'always_on': 'true'}, "h.always_on: expected true or false, got 'true'"),
    ({'volatile': 1}, 'h.volatile: expected true or false, got 1'),
    ({'python': None}, 'h.python: expected true or false, got nothing (null)'),
    ({'wake': {'method': 'wol'}}, 'h.wake.method: wol needs the host to have a mac, none given'),
    ({'wake': {'method': 'magic'}}, "h.wake.method: expected one of none, wol, got 'magic'"),
    ({'wake': {'boot_s': 0}}, 'h.wake.boot_s: expected a number > 0, got 0'),
    ({'wake': {'ready_port': 70000}}, 'h.wake.ready_port: expected an integer <= 65535, got 70000'),
    ({'quorum_votes': -1}, 'h.quorum_votes: expected an integer >= 0, got -1'),
    ({'roles': 'hypervisor'}, "h.roles: expected a list, got 'hypervisor'"),
    ({'roles': ['Hyper Visor']}, "h.roles[0]: expected a lowercase name of letters, digits and _, got 'Hyper Visor'"),
    ({'vars': ['a']}, 'h.vars: expected a mapping of variable names to values, got a list'),
    ({'form_factr': 'tower'}, "h.form_factr: unknown key (did you mean 'form_factor'?); known keys: address,"),
    ({'cpu': {'speed': 3}}, 'h.cpu.speed: unknown key; known keys: arch, cores, ghz, model, threads'),
    ('just text', "h: expected a mapping, got 'just text'"),
])
def test_every_host_field_message(fields, message):
    found = host_problems(fields)
    assert any(p.startswith(message) for p in found), found


@pytest.mark.parametrize('data, message', [
    ([], '(top level): expected a mapping with defaults and hosts, got a list'),
    ({'host': {}}, "host: unknown top-level key (did you mean 'hosts'?); expected defaults and hosts"),
    ({'hosts': ['a']}, 'hosts: expected a mapping of host names to hardware, got a list'),
    ({'hosts': {'bad name': {}}}, "bad name: expected a host name of letters, digits, _, . and -, got 'bad name'"),
    ({'hosts': {7: {}}}, 'expected a host name of letters, digits, _, . and -, got 7'),
    ({'defaults': {'ram_gb': 'lots'}, 'hosts': {'a': {}}}, "defaults.ram_gb: expected a number, got 'lots'"),
    ({'hosts': {'a': {'mac': '02:00:00:00:00:01'}, 'b': {'mac': '02-00-00-00-00-01'}}},
     'b.mac: MAC 02:00:00:00:00:01 is also used by a'),
    ({'hosts': {'a': {'address': '10.0.0.1'}, 'b': {'address': '10.0.0.1'}}},
     'b.address: address 10.0.0.1 is also used by a'),
])
def test_file_level_messages(data, message):
    found = problems(data)
    assert any(p.startswith(message) or p.endswith(message) for p in found), found


def test_defaults_problems_are_reported_once_not_per_host():
    found = problems({'defaults': {'ram_gb': 'lots'}, 'hosts': {'a': {}, 'b': {}, 'c': {}}})
    assert found == ["defaults.ram_gb: expected a number, got 'lots'"]


def test_every_problem_is_reported_together():
    found = problems({'hosts': {
        'forge': {'ram_gb': -4, 'gpus': [{'model': 'RTX'}, {'model': 'RX', 'vram_gb': 'twenty'}], 'form_factr': 1},
        'pi': {'os': 'raspbian', 'cpu': {'cores': 4, 'threads': 2}},
    }})
    assert len(found) == 5
    assert "forge.gpus[1].vram_gb: expected a number, got 'twenty'" in found


@pytest.mark.parametrize('fields, known, message', [
    ({'tier': 'modren'}, {'known_tiers': ['ultralow', 'modern']},
     "h.tier: expected one of ultralow, modern, got 'modren' (did you mean 'modern'?)"),
    ({'roles': ['hypervsor']}, {'known_roles': ['hypervisor', 'edge']},
     "h.roles[0]: expected one of hypervisor, edge, got 'hypervsor' (did you mean 'hypervisor'?)"),
])
def test_declared_tier_and_roles_must_be_known(fields, known, message):
    with pytest.raises(HardwareError) as info:
        normalize_hardware({'hosts': {'h': fields}}, **known)
    assert [str(p) for p in info.value.problems] == [message]


def test_tagged_strings_come_out_plain():
    class Tagged(str):
        pass

    record = one({'os': Tagged('debian'), 'description': Tagged('{{ lookup("pipe", "id") }}'),
                  'vars': {Tagged('k'): [Tagged('v')]}})
    assert not isinstance(record['description'], Tagged) and not isinstance(record['os'], Tagged)
    assert not isinstance(record['vars']['k'][0], Tagged) and not isinstance(list(record['vars'])[0], Tagged)


# --- power sources (power_info) ----------------------------------------------------------------------------

def test_plug_and_ups_pass_through_with_defaults():
    power = one({'power': {'idle_w': 7, 'peak_w': 35, 'plug': {'kind': 'shelly_gen2', 'host': '10.0.20.50'},
                           'ups': {'host': '10.0.30.5'}}})['power']
    assert power['plug'] == {'kind': 'shelly_gen2', 'host': '10.0.20.50'}
    assert power['ups'] == {'host': '10.0.30.5', 'name': 'ups', 'port': 3493}
    assert 'plug' not in one({'power': {'idle_w': 7}})['power']


@pytest.mark.parametrize('power, message', [
    ({'plug': {'kind': 'kasa', 'host': 'p'}}, "h.power.plug.kind: expected one of shelly_gen2, shelly_gen1, tasmota"),
    ({'plug': {'host': 'p'}}, 'h.power.plug.kind: required when power.plug is given'),
    ({'plug': {'kind': 'tasmota'}}, 'h.power.plug.host: required when power.plug is given'),
    ({'plug': {'kind': 'tasmota', 'host': 'p', 'chanel': 1}}, 'h.power.plug.chanel: unknown key'),
    ({'ups': {'name': 'dummy'}}, 'h.power.ups.host: required when power.ups is given'),
    ({'ups': {'host': 'u', 'port': 70000}}, 'h.power.ups.port: '),
])
def test_bad_power_sources_name_host_and_field(power, message):
    found = host_problems({'power': power})
    assert any(p.startswith(message) for p in found), found
