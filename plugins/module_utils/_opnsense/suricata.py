# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Suricata (OPNsense Intrusion Detection) settings from the uplink speed (pure, no I/O).

PRIVATE to the homelab.cluster collection; its API may change without notice.

Seed 004's firewall (Core i5-12600K, 32 GB) rates Suricata in IPS mode: 1 Gbps "full IPS, no issues", 2.5 Gbps
"full IPS, comfortable", 5 Gbps "full IPS with tuning", 10 Gbps "achievable with reduced ruleset". That note
becomes ``suricata_plan(uplink_mbps, ...)``: up to 2.5 Gbps the full ruleset with Suricata's defaults; up to
5 Gbps the full ruleset with the Hyperscan pattern matcher and the high detection profile (IDS.xml
``general.MPMAlgo`` = hs, ``general.detect.Profile`` = high: more memory for fewer CPU cycles per packet); above
that the reduced ruleset with the same tuning.
"""

from __future__ import annotations

import re

from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import OPNsenseError

MODES = ('pcap', 'netmap', 'divert')  # IDS.xml general.mode: pcap is detection only, netmap and divert are IPS
TIERS = (
    (2500, 'full', 'full ruleset, Suricata defaults: the seed rates 1 Gbps "no issues", 2.5 Gbps "comfortable"'),
    (5000, 'tuned', 'full ruleset, Hyperscan and the high detection profile: the seed rates 5 Gbps "full IPS with '
                    'tuning"'),
    (None, 'reduced', 'reduced ruleset, Hyperscan and the high detection profile: the seed rates 10 Gbps '
                      '"achievable with reduced ruleset"'),
)
_RULESET = re.compile(r'^[0-9A-Za-z._-]{1,250}\.rules$')


def tier_of(uplink_mbps):
    if isinstance(uplink_mbps, bool) or not isinstance(uplink_mbps, (int, float)) or uplink_mbps <= 0:
        raise OPNsenseError('opnsense_ids_uplink_mbps: expected the uplink speed in Mbit/s (a number above 0), got %r'
                            % (uplink_mbps,))
    for limit, tier, reason in TIERS:
        if limit is None or uplink_mbps <= limit:
            return tier, reason
    raise AssertionError('unreachable')  # pragma: no cover


def _rulesets(name, value):
    if not isinstance(value, list) or not all(isinstance(v, str) and _RULESET.match(v) for v in value):
        raise OPNsenseError('%s: expected a list of ruleset files such as emerging-malware.rules, got %r'
                            % (name, value))
    return sorted(set(value))


def suricata_plan(uplink_mbps, rulesets, reduced_rulesets, mode='netmap', interfaces=('wan',), homenet=(),
                  enabled=True, drop=True):
    """What opnsense_ids is given: general settings, the rulesets to enable, whether alerts become drops."""
    tier, reason = tier_of(uplink_mbps)
    if mode not in MODES:
        raise OPNsenseError('opnsense_ids_mode: expected one of %s, got %r' % (', '.join(MODES), mode))
    if drop and mode == 'pcap':
        raise OPNsenseError('opnsense_ids_mode: pcap only detects; dropping (opnsense_ids_drop: true) needs netmap or '
                            'divert')
    if not isinstance(interfaces, (list, tuple)) or not interfaces:
        raise OPNsenseError('opnsense_ids_interfaces: expected a list of interfaces such as [wan], got %r'
                            % (interfaces,))
    full = _rulesets('opnsense_ids_rulesets', rulesets)
    reduced = _rulesets('opnsense_ids_rulesets_reduced', reduced_rulesets)
    chosen = reduced if tier == 'reduced' else full
    if enabled and not chosen:
        raise OPNsenseError('%s: empty, but the %s tier needs rulesets'
                            % ('opnsense_ids_rulesets_reduced' if tier == 'reduced' else 'opnsense_ids_rulesets', tier))
    tuned = tier != 'full'
    return {
        'enabled': bool(enabled), 'mode': mode, 'interfaces': list(interfaces), 'homenet': list(homenet),
        'mpm_algo': 'hs' if tuned else '', 'detect_profile': 'high' if tuned else '',
        'rulesets': chosen if enabled else [], 'drop': bool(drop) and bool(enabled) and mode != 'pcap',
        'tier': tier, 'reason': '%s Mbit/s: %s' % (uplink_mbps, reason),
    }
