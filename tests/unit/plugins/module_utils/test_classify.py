"""Tiers, roles, groups and host vars for every default rule, plus the example lab end to end."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._classify import classify
from ansible_collections.homelab.cluster.plugins.module_utils._classify import host_groups
from ansible_collections.homelab.cluster.plugins.module_utils._classify import host_vars
from ansible_collections.homelab.cluster.plugins.module_utils._classify import warnings_for
from ansible_collections.homelab.cluster.plugins.module_utils._hardware import normalize_hardware
from ansible_collections.homelab.cluster.plugins.module_utils._rules import build_role_rules
from ansible_collections.homelab.cluster.plugins.module_utils._rules import default_role_rules
from ansible_collections.homelab.cluster.plugins.module_utils._rules import default_tier_rules

TIERS = default_tier_rules()
ROLES = default_role_rules()


def run(fields, tiers=None, roles=None):
    record = normalize_hardware({'hosts': {'h': fields}})['h']
    return record, classify(record, tiers or TIERS, roles or ROLES)


# --- tiers: every branch of design.md section 3 and its boundaries -----------------------------------------------

@pytest.mark.parametrize('fields, tier, reason', [
    ({'ram_gb': 0.0625}, 'ultralow', 'ram 0.0625 GB < 1'),
    ({'ram_gb': 0.99, 'cpu': {'ghz': 3}}, 'ultralow', 'ram 0.99 GB < 1'),
    ({'ram_gb': 1, 'cpu': {'ghz': 0.3}}, 'ultralow', 'cpu 0.3 GHz < 1'),
    ({'ram_gb': 0.5, 'form_factor': 'laptop'}, 'ultralow', 'ram 0.5 GB < 1'),            # first match wins
    ({'ram_gb': 1, 'cpu': {'ghz': 1.0}}, 'legacy', 'none of ultralow, portable, modern matched'),
    ({'form_factor': 'laptop', 'cpu': {'cores': 8, 'threads': 16}, 'ram_gb': 32}, 'portable', 'form_factor laptop'),
    ({'gpus': [{'model': 'RTX 4070 Ti Super', 'vram_gb': 16}]}, 'modern', 'gpu RTX 4070 Ti Super: 16 GB >= 8'),
    ({'gpus': [{'model': 'RX 7600', 'vram_gb': 8}]}, 'modern', 'gpu RX 7600: 8 GB >= 8'),
    ({'gpus': [{'model': 'RX 6500', 'vram_gb': 4}]}, 'legacy', 'none of ultralow, portable, modern matched'),
    ({'gpus': [{'model': 'Orin', 'vendor': 'nvidia', 'vram_gb': 8, 'shared': True}]}, 'legacy',
     'none of ultralow, portable, modern matched'),
    ({'cpu': {'cores': 16, 'threads': 32}, 'ram_gb': 128}, 'modern', 'threads 32 >= 16 and ram 128 GB >= 32'),
    ({'cpu': {'cores': 16, 'threads': 16}, 'ram_gb': 32}, 'modern', 'threads 16 >= 16 and ram 32 GB >= 32'),
    ({'cpu': {'cores': 8, 'threads': 15}, 'ram_gb': 64}, 'legacy', 'none of ultralow, portable, modern matched'),
    ({'cpu': {'cores': 16, 'threads': 32}, 'ram_gb': 31}, 'legacy', 'none of ultralow, portable, modern matched'),
    ({}, 'legacy', 'none of ultralow, portable, modern matched'),
    ({'tier': 'modern', 'ram_gb': 0.5}, 'modern', 'declared in the hardware file'),
])
def test_tiers(fields, tier, reason):
    _record, cls = run(fields)
    assert (cls.tier, cls.tier_reason) == (tier, reason)


# --- roles: every default role rule, both ways -----------------------------------------------------------------

@pytest.mark.parametrize('fields, roles', [
    ({'os': 'opnsense'}, {'firewall': 'os opnsense'}),
    ({'os': 'pfsense'}, {'firewall': 'os pfsense'}),
    ({'os': 'truenas'}, {'storage': 'os truenas'}),
    ({'os': 'proxmox'}, {'hypervisor': 'os proxmox'}),
    ({'volatile': True}, {'volatile': 'volatile'}),
    ({'os': 'windows'}, {'volatile': 'volatile'}),
    ({'form_factor': 'sbc'}, {'edge': 'form_factor sbc'}),
    ({'ram_gb': 0.0625}, {'edge': 'tier ultralow'}),
    ({'always_on': True, 'power': {'idle_w': 7, 'peak_w': 35}},
     {'logic': 'always_on and idle 7 W <= 30 and not role in [storage, firewall, edge]'}),
    ({'always_on': True, 'power': {'idle_w': 31, 'peak_w': 35}}, {}),
    ({'always_on': False, 'power': {'idle_w': 7, 'peak_w': 35}}, {}),
    ({'always_on': True, 'os': 'truenas', 'power': {'idle_w': 7, 'peak_w': 35}}, {'storage': 'os truenas'}),
    ({'always_on': True, 'form_factor': 'sbc'}, {'edge': 'form_factor sbc'}),
    ({'gpus': [{'model': 'RTX 4070 Ti Super', 'vram_gb': 16}]},
     {'inference': 'gpu RTX 4070 Ti Super: 16 GB >= 8 and not volatile'}),
    ({'gpus': [{'model': 'RTX 4080 Super', 'vram_gb': 16}], 'os': 'windows'}, {'volatile': 'volatile'}),
    ({'gpus': [{'model': 'RTX 3050', 'vram_gb': 6}]}, {}),
    ({'os': 'proxmox', 'gpus': [{'model': 'RTX 4070', 'vram_gb': 12}]},
     {'hypervisor': 'os proxmox', 'inference': 'gpu RTX 4070: 12 GB >= 8 and not volatile'}),
    ({'roles': ['storage', 'edge', 'storage']}, {'edge': 'declared in the hardware file',
                                                 'storage': 'declared in the hardware file'}),
    ({'roles': []}, {}),
])
def test_roles(fields, roles):
    _record, cls = run(fields)
    assert cls.role_reasons == roles
    assert cls.roles == sorted(roles)


def test_custom_role_rule_and_role_condition():
    rules, found = build_role_rules({'media': {'all': [{'gpu': {'vendor': 'intel'}}, {'role': 'storage'}]}})
    assert not found
    _record, cls = run({'os': 'truenas', 'gpus': [{'model': 'Arc B580', 'vram_gb': 12}]}, roles=rules)
    assert cls.roles == ['inference', 'media', 'storage']
    assert cls.role_reasons['media'] == 'gpu Arc B580: vendor intel and role storage'


# --- groups and host vars --------------------------------------------------------------------------------------

@pytest.mark.parametrize('fields, groups', [
    ({}, ['os_family_linux', 'os_linux', 'tier_legacy']),
    ({'mac': '02:00:00:00:00:01'}, ['os_family_linux', 'os_linux', 'tier_legacy', 'wakeable']),
    ({'mac': '02:00:00:00:00:01', 'always_on': True}, ['always_on', 'os_family_linux', 'os_linux', 'tier_legacy']),
    ({'mac': '02:00:00:00:00:01', 'wake': {'method': 'none'}}, ['os_family_linux', 'os_linux', 'tier_legacy']),
    ({'quorum_votes': 1}, ['os_family_linux', 'os_linux', 'quorum_voters', 'tier_legacy']),
    ({'python': False}, ['no_python', 'os_family_linux', 'os_linux', 'tier_legacy']),
    ({'os': 'debian'}, ['os_debian', 'os_family_debian', 'provisionable', 'tier_legacy']),
    ({'os': 'ubuntu'}, ['os_family_debian', 'os_ubuntu', 'provisionable', 'tier_legacy']),
    ({'os': 'raspios'}, ['os_family_debian', 'os_raspios', 'provisionable', 'role_edge', 'tier_legacy']),
    ({'os': 'truenas'}, ['os_family_appliance', 'os_truenas', 'role_storage', 'tier_legacy']),
    ({'os': 'opnsense'}, ['os_family_freebsd', 'os_opnsense', 'role_firewall', 'tier_legacy']),
    ({'os': 'windows'}, ['no_python', 'os_family_windows', 'os_windows', 'role_volatile', 'tier_legacy']),
    ({'os': 'proxmox', 'gpus': [{'model': 'RTX 4070', 'vram_gb': 12}, {'model': 'RX 6700 XT', 'vram_gb': 12},
                                {'model': 'RX 7900 XT', 'vram_gb': 20}]},
     ['gpu_amd', 'gpu_nvidia', 'os_family_debian', 'os_proxmox', 'provisionable', 'role_hypervisor',
      'role_inference', 'tier_modern']),
])
def test_groups(fields, groups):
    record, cls = run(fields)
    assert host_groups(record, cls) == groups


def test_host_vars_follow_the_contract():
    record, cls = run({'address': '10.0.30.10', 'mac': '02:00:00:00:00:01', 'os': 'proxmox',
                       'gpus': [{'model': 'RTX 4070 Ti Super', 'vram_gb': 16}, {'model': 'RX 7900 XT', 'vram_gb': 20},
                                {'model': 'Hailo-8L'}],
                       'power': {'idle_w': 95, 'peak_w': 850}, 'quorum_votes': 1,
                       'vars': {'ansible_user': 'root'}})
    # the hardware file refuses homelab_* in vars (test_hardware_hostile); host_vars keeps ours first regardless
    record['vars']['homelab_tier'] = 'spoofed'
    hv = host_vars(record, cls)
    assert hv['ansible_host'] == '10.0.30.10' and hv['ansible_user'] == 'root'
    assert hv['homelab_tier'] == 'modern'
    assert hv['homelab_tier_reason'] == 'gpu RTX 4070 Ti Super: 16 GB >= 8'
    assert hv['homelab_roles'] == ['hypervisor', 'inference']
    assert hv['homelab_vram_gb'] == 36 and hv['homelab_vram_max_gb'] == 20
    assert hv['homelab_power'] == {'idle_w': 95, 'peak_w': 850, 'estimated': False}
    assert hv['homelab_wake'] == {'method': 'wol', 'mac': '02:00:00:00:00:01', 'boot_s': 60, 'ready_port': 22}
    assert hv['homelab_always_on'] is False and hv['homelab_volatile'] is False and hv['homelab_python'] is True
    assert hv['homelab_quorum_votes'] == 1
    assert len(hv['homelab_gpus']) == 3
    # each fact once: the hardware record holds only what has no var of its own
    assert hv['homelab_hardware'] == {'address': '10.0.30.10', 'mac': '02:00:00:00:00:01', 'os': 'proxmox',
                                      'form_factor': 'tower', 'ram_gb': None, 'description': None,
                                      'cpu': {'model': None, 'arch': 'x86_64', 'cores': None, 'threads': None,
                                              'ghz': None}}
    assert 'homelab_facts_used' not in hv


def test_host_vars_without_address_or_gpus():
    record, cls = run({})
    hv = host_vars(record, cls)
    assert 'ansible_host' not in hv
    assert hv['homelab_vram_gb'] == 0 and hv['homelab_vram_max_gb'] == 0 and hv['homelab_gpus'] == []


def test_volatile_voter_warns():
    record, _cls = run({'os': 'windows', 'quorum_votes': 1})
    assert warnings_for(record) == [
        'h.quorum_votes: 1 votes on a volatile host; a machine a person may reboot at any time should not decide '
        'quorum (set quorum_votes: 0)']
    assert warnings_for(run({'os': 'windows'})[0]) == []
    assert warnings_for(run({'quorum_votes': 1})[0]) == []
