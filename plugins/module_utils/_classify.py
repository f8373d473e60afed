# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Classify normalized hosts into a tier and functional roles; build their groups and host vars (pure).

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

from ansible_collections.homelab.cluster.plugins.module_utils._hostview import OS_FAMILY
from ansible_collections.homelab.cluster.plugins.module_utils._hostview import PROVISIONABLE_FAMILIES
from ansible_collections.homelab.cluster.plugins.module_utils._rules import evaluate

FIXED_GROUPS = ('always_on', 'no_python', 'provisionable', 'quorum_voters', 'wakeable')
# Fields of the normalized record that have a host var of their own (or are classified): homelab_hardware
# does not repeat them.
_OWN_VARS = ('always_on', 'gpus', 'name', 'power', 'python', 'quorum_votes', 'roles', 'tier', 'vars', 'volatile',
             'wake', 'facts_used')


class Classification:
    __slots__ = ('tier', 'tier_reason', 'roles', 'role_reasons')

    def __init__(self, tier, tier_reason, roles, role_reasons):
        self.tier = tier
        self.tier_reason = tier_reason
        self.roles = roles
        self.role_reasons = role_reasons


def derived(record):
    """Values computed from the record that rules and host vars use."""
    vrams = [g['vram_gb'] for g in record['gpus'] if g['kind'] == 'gpu']
    return {
        'vram_gb': sum(vrams),
        'vram_max_gb': max(vrams) if vrams else 0,
        'gpu_count': len(record['gpus']),
        'tier': None,
    }


def classify(record, tier_rules, role_rules):
    """Return the Classification of one host. Declared ``tier``/``roles`` win over the rules."""
    ctx = {'record': record, 'derived': derived(record), 'roles': ()}
    if record['tier'] is not None:
        tier, tier_reason = record['tier'], 'declared in the hardware file'
    else:
        tier, tier_reason, passed = None, None, []
        for rule in tier_rules:
            ok, why = evaluate(rule['when'], ctx)
            if ok:
                tier = rule['tier']
                tier_reason = why or ('none of %s matched' % ', '.join(passed) if passed else 'matches every host')
                break
            passed.append(rule['tier'])
    ctx['derived']['tier'] = tier
    if record['roles'] is not None:
        roles = sorted(set(record['roles']))
        reasons = dict.fromkeys(roles, 'declared in the hardware file')
        return Classification(tier, tier_reason, roles, reasons)
    given = []
    reasons = {}
    for role, cond in role_rules:
        ctx['roles'] = given
        ok, why = evaluate(cond, ctx)
        if ok:
            given.append(role)
            reasons[role] = why or 'matches every host'
    return Classification(tier, tier_reason, sorted(given), reasons)


def is_wakeable(record):
    return bool(record['mac']) and record['wake']['method'] == 'wol' and not record['always_on']


def host_groups(record, cls):
    """Every group the host belongs to (design.md section 4), sorted."""
    family = OS_FAMILY.get(record['os'], 'linux')
    groups = ['tier_%s' % cls.tier, 'os_%s' % record['os'], 'os_family_%s' % family]
    if family in PROVISIONABLE_FAMILIES:
        groups.append('provisionable')
    groups.extend('role_%s' % role for role in cls.roles)
    groups.extend(sorted({'gpu_%s' % g['vendor'] for g in record['gpus']}))
    if record['always_on']:
        groups.append('always_on')
    if is_wakeable(record):
        groups.append('wakeable')
    if record['quorum_votes'] > 0:
        groups.append('quorum_voters')
    if not record['python']:
        groups.append('no_python')
    return sorted(groups)


def host_vars(record, cls, prefix='homelab_'):
    """The host vars of design.md section 4 plus the user's own ``vars`` (which never override ours).

    Each fact is emitted once: ``homelab_hardware`` holds what has no var of its own (address, mac, os,
    form_factor, cpu, ram_gb, description). Readers go through ``_hostview.host_view``."""
    d = derived(record)
    hardware = {key: value for key, value in record.items() if key not in _OWN_VARS}
    facts_used = record['facts_used']
    out = dict(record['vars'])
    if record['address']:
        out['ansible_host'] = record['address']
    ours = {
        'tier': cls.tier,
        'tier_reason': cls.tier_reason,
        'roles': list(cls.roles),
        'role_reasons': dict(cls.role_reasons),
        'gpus': record['gpus'],
        'vram_gb': d['vram_gb'],
        'vram_max_gb': d['vram_max_gb'],
        'power': record['power'],
        'wake': record['wake'],
        'always_on': record['always_on'],
        'volatile': record['volatile'],
        'python': record['python'],
        'quorum_votes': record['quorum_votes'],
        'hardware': hardware,
    }
    if facts_used:
        ours['facts_used'] = facts_used
    for key, value in ours.items():
        out[prefix + key] = value
    return out


def warnings_for(record):
    """Advice that is not an error: a volatile host with quorum votes decides quorum while it reboots."""
    if record['volatile'] and record['quorum_votes'] > 0:
        return ['%s.quorum_votes: %d votes on a volatile host; a machine a person may reboot at any time '
                'should not decide quorum (set quorum_votes: 0)' % (record['name'], record['quorum_votes'])]
    return []
