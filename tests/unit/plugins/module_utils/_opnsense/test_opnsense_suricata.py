"""Suricata settings from the uplink speed, after seed 004's performance note (_opnsense/suricata.py)."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import OPNsenseError
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.suricata import suricata_plan
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.suricata import tier_of

FULL = ['emerging-malware.rules', 'botcc.rules', 'emerging-scan.rules']
REDUCED = ['botcc.rules']


@pytest.mark.parametrize('mbps, tier, algo, profile, rulesets', [
    (1000, 'full', '', '', sorted(FULL)),        # seed: 1 Gbps "full IPS, no issues"
    (2500, 'full', '', '', sorted(FULL)),        # 2.5 Gbps "full IPS, comfortable"
    (2501, 'tuned', 'hs', 'high', sorted(FULL)),
    (5000, 'tuned', 'hs', 'high', sorted(FULL)),  # 5 Gbps "full IPS with tuning"
    (5001, 'reduced', 'hs', 'high', REDUCED),
    (10000, 'reduced', 'hs', 'high', REDUCED),    # 10 Gbps "achievable with reduced ruleset"
    (0.5, 'full', '', '', sorted(FULL)),
])
def test_tiers(mbps, tier, algo, profile, rulesets):
    plan = suricata_plan(mbps, FULL, REDUCED, homenet=['10.0.1.0/24'])
    assert (plan['tier'], plan['mpm_algo'], plan['detect_profile'], plan['rulesets']) == (tier, algo, profile, rulesets)
    assert plan['mode'] == 'netmap' and plan['interfaces'] == ['wan'] and plan['drop'] is True
    assert plan['reason'].startswith('%s Mbit/s: ' % mbps) and 'seed rates' in plan['reason']
    assert plan['homenet'] == ['10.0.1.0/24']


@pytest.mark.parametrize('kwargs, message', [
    ({'uplink_mbps': 0}, 'opnsense_ids_uplink_mbps: expected the uplink speed in Mbit/s'),
    ({'uplink_mbps': -5}, 'opnsense_ids_uplink_mbps'),
    ({'uplink_mbps': '1000'}, 'opnsense_ids_uplink_mbps'),
    ({'uplink_mbps': True}, 'opnsense_ids_uplink_mbps'),
    ({'mode': 'inline'}, "opnsense_ids_mode: expected one of pcap, netmap, divert, got 'inline'"),
    ({'mode': 'pcap'}, 'opnsense_ids_mode: pcap only detects'),
    ({'interfaces': []}, 'opnsense_ids_interfaces: expected a list of interfaces'),
    ({'interfaces': 'wan'}, 'opnsense_ids_interfaces: expected a list of interfaces'),
    ({'rulesets': ['malware']}, 'opnsense_ids_rulesets: expected a list of ruleset files'),
    ({'rulesets': 'botcc.rules'}, 'opnsense_ids_rulesets: expected a list of ruleset files'),
    ({'rulesets_reduced': ['../x.rules']}, 'opnsense_ids_rulesets_reduced: expected a list of ruleset files'),
    ({'rulesets': []}, 'opnsense_ids_rulesets: empty, but the full tier needs rulesets'),
    ({'uplink_mbps': 10000, 'rulesets_reduced': []}, 'opnsense_ids_rulesets_reduced: empty, but the reduced tier'),
])
def test_refused(kwargs, message):
    args = dict({'uplink_mbps': 1000, 'rulesets': FULL, 'rulesets_reduced': REDUCED}, **kwargs)
    with pytest.raises(OPNsenseError, match=message.replace('(', r'\(').replace(')', r'\)')):
        suricata_plan(args.pop('uplink_mbps'), args.pop('rulesets'), args.pop('rulesets_reduced'), **args)


def test_detection_only_and_off():
    plan = suricata_plan(1000, FULL, REDUCED, mode='pcap', drop=False)
    assert plan['drop'] is False and plan['mode'] == 'pcap'
    plan = suricata_plan(1000, FULL, REDUCED, enabled=False)  # off: no rulesets enabled, no drop policy kept
    assert plan['enabled'] is False and plan['rulesets'] == [] and plan['drop'] is False
    assert suricata_plan(1000, [], [], enabled=False)['rulesets'] == []


def test_tier_of():
    assert tier_of(2500)[0] == 'full' and tier_of(2500.1)[0] == 'tuned'
