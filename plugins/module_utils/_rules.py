# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tier and role rules as data: a small condition language that explains its matches (pure, no I/O).

PRIVATE to the homelab.cluster collection; its API may change without notice.

A condition is one of::

    {}                                  # always true
    {all: [cond, ...]}  {any: [cond, ...]}  {not: cond}
    {gpu: {field: test, ...}}           # some GPU/accelerator passes every test
    {role: name}  {role: {in: [a, b]}}  # a role given earlier in the role order (role rules only)
    {field: test, ...}                  # every named field passes its test

A test is a scalar (equality) or a mapping of operators: eq, ne, lt, le, gt, ge, in, not_in. An unknown
value (a field the host does not declare) passes no ordering test.
"""

from __future__ import annotations

from ansible_collections.homelab.cluster.plugins.module_utils._schema import Problem
from ansible_collections.homelab.cluster.plugins.module_utils._schema import describe
from ansible_collections.homelab.cluster.plugins.module_utils._schema import suggest

OPERATORS = {
    'eq': '==', 'ne': '!=', 'lt': '<', 'le': '<=', 'gt': '>', 'ge': '>=', 'in': 'in', 'not_in': 'not in',
}
# Spellings users bring from other tools; suggested by meaning rather than by string distance.
OPERATOR_ALIASES = {
    'lte': 'le', 'gte': 'ge', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge', '==': 'eq', '=': 'eq', '!=': 'ne',
    'neq': 'ne', 'notin': 'not_in', 'nin': 'not_in', 'not in': 'not_in',
}
HOST_FIELDS = (
    'address', 'always_on', 'cpu.arch', 'cpu.cores', 'cpu.ghz', 'cpu.model', 'cpu.threads', 'form_factor',
    'gpu_count', 'mac', 'os', 'power.idle_w', 'power.peak_w', 'python', 'quorum_votes', 'ram_gb', 'tier',
    'volatile', 'vram_gb', 'vram_max_gb', 'wake.boot_s', 'wake.method',
)
GPU_FIELDS = ('kind', 'model', 'pcie.gen', 'pcie.lanes', 'shared', 'tdp_w', 'tops', 'vendor', 'vram_gb')
# How a field reads in a reason: (label, unit). Missing fields read as their own name.
LABELS = {
    'ram_gb': ('ram', ' GB'), 'cpu.ghz': ('cpu', ' GHz'), 'cpu.threads': ('threads', ''),
    'cpu.cores': ('cores', ''), 'vram_gb': ('vram', ' GB'), 'vram_max_gb': ('largest gpu', ' GB'),
    'power.idle_w': ('idle', ' W'), 'power.peak_w': ('peak', ' W'), 'tdp_w': ('tdp', ' W'),
}
GPU_LABELS = {'vram_gb': ('', ' GB')}

DEFAULT_THRESHOLDS = {
    'ultralow_ram_gb': 1,
    'ultralow_ghz': 1.0,
    'modern_vram_gb': 8,
    'modern_threads': 16,
    'modern_ram_gb': 32,
    'inference_vram_gb': 8,
    'logic_idle_w': 30,
}
BUILTIN_ROLES = ('firewall', 'storage', 'hypervisor', 'volatile', 'edge', 'logic', 'inference')


def default_tier_rules(thresholds=None):
    """The tiers of design.md section 3, first match wins, built from (overridable) thresholds."""
    t = dict(DEFAULT_THRESHOLDS, **(thresholds or {}))
    return [
        {'tier': 'ultralow', 'when': {'any': [{'ram_gb': {'lt': t['ultralow_ram_gb']}},
                                              {'cpu.ghz': {'lt': t['ultralow_ghz']}}]}},
        {'tier': 'portable', 'when': {'form_factor': 'laptop'}},
        {'tier': 'modern', 'when': {'any': [
            {'gpu': {'vram_gb': {'ge': t['modern_vram_gb']}, 'shared': False}},
            {'all': [{'cpu.threads': {'ge': t['modern_threads']}}, {'ram_gb': {'ge': t['modern_ram_gb']}}]},
        ]}},
        {'tier': 'legacy', 'when': {}},
    ]


def default_role_rules(thresholds=None):
    """The functional roles of design.md section 3, in evaluation order."""
    t = dict(DEFAULT_THRESHOLDS, **(thresholds or {}))
    return [
        ('firewall', {'os': {'in': ['opnsense', 'pfsense']}}),
        ('storage', {'os': 'truenas'}),
        ('hypervisor', {'os': 'proxmox'}),
        ('volatile', {'volatile': True}),
        ('edge', {'any': [{'form_factor': 'sbc'}, {'tier': 'ultralow'}]}),
        ('logic', {'all': [{'always_on': True}, {'power.idle_w': {'le': t['logic_idle_w']}},
                           {'not': {'role': {'in': ['storage', 'firewall', 'edge']}}}]}),
        ('inference', {'all': [{'gpu': {'vram_gb': {'ge': t['inference_vram_gb']}, 'shared': False}},
                               {'volatile': False}]}),
    ]


# --- validation of user-supplied rules ---------------------------------------------------------------------

def _validate_test(test, path, problems):
    if not isinstance(test, dict):
        if isinstance(test, (list, tuple)):
            problems.append(Problem(path, 'expected a value or a mapping of operators, got a list; use {in: [...]}'))
        return
    if not test:
        problems.append(Problem(path, 'expected at least one operator of %s' % ', '.join(OPERATORS)))
    for op, value in test.items():
        if op not in OPERATORS:
            hint = " (did you mean '%s'?)" % OPERATOR_ALIASES[op] if op in OPERATOR_ALIASES else suggest(op, OPERATORS)
            problems.append(Problem(path + (str(op),), 'unknown operator%s; expected one of %s'
                                    % (hint, ', '.join(OPERATORS))))
        elif op in ('in', 'not_in') and not isinstance(value, (list, tuple)):
            problems.append(Problem(path + (op,), 'expected a list, got %s' % describe(value)))


def validate_condition(cond, path, problems, fields=HOST_FIELDS, allow_role=False):
    """Append a Problem for every malformed part of ``cond``."""
    if not isinstance(cond, dict):
        problems.append(Problem(path, 'expected a condition mapping, got %s' % describe(cond)))
        return
    for key, value in cond.items():
        sub = path + (str(key),)
        if key in ('all', 'any'):
            if not isinstance(value, list) or not value:
                problems.append(Problem(sub, 'expected a non-empty list of conditions, got %s' % describe(value)))
                continue
            for i, item in enumerate(value):
                validate_condition(item, sub + (i,), problems, fields, allow_role)
        elif key == 'not':
            validate_condition(value, sub, problems, fields, allow_role)
        elif key == 'gpu' and fields is HOST_FIELDS:
            if not isinstance(value, dict) or not value:
                problems.append(Problem(sub, 'expected a mapping of GPU fields to tests, got %s' % describe(value)))
                continue
            validate_condition(value, sub, problems, GPU_FIELDS, False)
        elif key == 'role' and allow_role:
            if isinstance(value, dict):
                _validate_test(value, sub, problems)
            elif not isinstance(value, str):
                problems.append(Problem(sub, 'expected a role name or {in: [...]}, got %s' % describe(value)))
        elif key in fields:
            _validate_test(value, sub, problems)
        else:
            known = list(fields) + ['all', 'any', 'not'] + (['gpu'] if fields is HOST_FIELDS else []) + (
                ['role'] if allow_role else [])
            problems.append(Problem(sub, 'unknown field%s; expected one of %s'
                                    % (suggest(key, known), ', '.join(sorted(known)))))


def build_tier_rules(tier_rules=None, thresholds=None):
    """Return (rules, problems). ``tier_rules`` (a list of {tier, when}) replaces the defaults entirely."""
    problems = []
    if thresholds:
        _validate_thresholds(thresholds, problems)
    if not tier_rules:
        return default_tier_rules(thresholds if not problems else None), problems
    if not isinstance(tier_rules, list):
        problems.append(Problem(('tier_rules',), 'expected a list of {tier, when}, got %s' % describe(tier_rules)))
        return [], problems
    rules, seen = [], set()
    for i, rule in enumerate(tier_rules):
        path = ('tier_rules', i)
        if not isinstance(rule, dict) or 'tier' not in rule:
            problems.append(Problem(path, 'expected a mapping with tier and when, got %s' % describe(rule)))
            continue
        for key in rule:
            if key not in ('tier', 'when'):
                problems.append(Problem(path + (str(key),), 'unknown key%s; expected tier and when'
                                        % suggest(key, ('tier', 'when'))))
        name = rule['tier']
        if not isinstance(name, str) or not name.isidentifier() or name != name.lower():
            problems.append(Problem(path + ('tier',), 'expected a lowercase name, got %s' % describe(name)))
            continue
        if name in seen:
            problems.append(Problem(path + ('tier',), 'tier %s is listed twice' % name))
        seen.add(name)
        when = rule.get('when') or {}
        validate_condition(when, path + ('when',), problems)
        rules.append({'tier': str(name), 'when': when})
    if rules and rules[-1]['when']:
        problems.append(Problem(('tier_rules', len(tier_rules) - 1, 'when'), 'the last tier rule must match every '
                                'host (when: {}), so no host is left without a tier'))
    return rules, problems


def build_role_rules(role_rules=None, thresholds=None):
    """Return (ordered [(role, cond)], problems). ``role_rules`` maps role -> condition (null disables one)."""
    problems = []
    rules = default_role_rules(thresholds)
    if not role_rules:
        return rules, problems
    if not isinstance(role_rules, dict):
        problems.append(Problem(('role_rules',), 'expected a mapping of role names to conditions, got %s'
                                % describe(role_rules)))
        return rules, problems
    by_name = dict(rules)
    order = [name for name, _cond in rules]
    for name, cond in role_rules.items():
        path = ('role_rules', str(name))
        if not isinstance(name, str) or not name.isidentifier() or name != name.lower():
            problems.append(Problem(path, 'expected a lowercase role name, got %s' % describe(name)))
            continue
        if name not in by_name:
            order.append(name)
        if cond is None:
            by_name[name] = None
            continue
        validate_condition(cond, path, problems, allow_role=True)
        by_name[name] = cond
    return [(name, by_name[name]) for name in order if by_name[name] is not None], problems


def _validate_thresholds(thresholds, problems):
    if not isinstance(thresholds, dict):
        problems.append(Problem(('thresholds',), 'expected a mapping, got %s' % describe(thresholds)))
        return
    for key, value in thresholds.items():
        if key not in DEFAULT_THRESHOLDS:
            problems.append(Problem(('thresholds', str(key)), 'unknown threshold%s; known: %s'
                                    % (suggest(key, DEFAULT_THRESHOLDS), ', '.join(sorted(DEFAULT_THRESHOLDS)))))
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            problems.append(Problem(('thresholds', str(key)), 'expected a number >= 0, got %s' % describe(value)))


# --- evaluation --------------------------------------------------------------------------------------------

def lookup(data, path):
    """Dotted lookup: lookup(record, 'cpu.ghz')."""
    for part in path.split('.'):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def _fmt(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, float):
        return '%g' % value
    if isinstance(value, (list, tuple)):
        return '[%s]' % ', '.join(_fmt(v) for v in value)
    return str(value)


def _compare(op, actual, expected):
    if op == 'in':
        return actual in expected
    if op == 'not_in':
        return actual not in expected
    if op == 'eq':
        return actual == expected
    if op == 'ne':
        return actual != expected
    if actual is None or isinstance(actual, bool) or not isinstance(actual, (int, float)):
        return False
    return {'lt': actual < expected, 'le': actual <= expected, 'gt': actual > expected,
            'ge': actual >= expected}[op]


def _test(field, test, actual, labels, quiet_false=False):
    """Evaluate one field test; return (matched, reason). ``quiet_false``: a flag tested false reads as nothing."""
    ops = test if isinstance(test, dict) else {'eq': test}
    label, unit = labels.get(field, (field, ''))
    parts = []
    for op, expected in ops.items():
        if not _compare(op, actual, expected):
            return False, None
        if isinstance(actual, bool):
            if actual or not quiet_false:
                parts.append(label if actual else 'not %s' % label)
        elif op in ('eq', 'in'):
            parts.append(('%s %s' % (label, _fmt(actual))).strip())
        else:
            parts.append(('%s %s%s %s %s' % (label, _fmt(actual), unit, OPERATORS[op], _fmt(expected))).strip())
    return True, ' and '.join(p for p in parts if p)


def describe_condition(cond):
    """Readable text of a condition, for 'not' reasons."""
    texts = []
    for key, value in cond.items():
        if key in ('all', 'any'):
            joiner = ' and ' if key == 'all' else ' or '
            texts.append('(%s)' % joiner.join(describe_condition(c) for c in value))
        elif key == 'not':
            texts.append('not %s' % describe_condition(value))
        elif key == 'gpu':
            texts.append('a gpu with %s' % describe_condition(value))
        else:
            ops = value if isinstance(value, dict) else {'eq': value}
            texts.append(' and '.join('%s %s %s' % (key, OPERATORS[op], _fmt(exp)) for op, exp in ops.items()))
    return ' and '.join(texts) or 'always'


def evaluate(cond, ctx):
    """Evaluate ``cond`` against a context; return (matched, reason).

    ``ctx`` is a mapping with ``record`` (the normalized host), ``derived`` (vram_gb, vram_max_gb, gpu_count,
    tier) and ``roles`` (the roles given so far, for role rules).
    """
    reasons = []
    for key, value in cond.items():
        if key == 'all':
            parts = []
            for sub in value:
                ok, why = evaluate(sub, ctx)
                if not ok:
                    return False, None
                parts.append(why)
            reasons.append(' and '.join(p for p in parts if p))
        elif key == 'any':
            for sub in value:
                ok, why = evaluate(sub, ctx)
                if ok:
                    reasons.append(why)
                    break
            else:
                return False, None
        elif key == 'not':
            ok, _why = evaluate(value, ctx)
            if ok:
                return False, None
            reasons.append('not %s' % describe_condition(value))
        elif key == 'gpu':
            for gpu in ctx['record']['gpus']:
                ok, why = _gpu_matches(value, gpu)
                if ok:
                    reasons.append('gpu %s: %s' % (gpu['model'], why) if why else 'gpu %s' % gpu['model'])
                    break
            else:
                return False, None
        elif key == 'role':
            roles = ctx.get('roles', ())
            ops = value if isinstance(value, dict) else {'eq': value}
            hit = [r for r in sorted(roles) if any(_compare(op, r, exp) for op, exp in ops.items())]
            if not hit:
                return False, None
            reasons.append('role %s' % hit[0])
        else:
            actual = ctx['derived'][key] if key in ctx['derived'] else lookup(ctx['record'], key)
            ok, why = _test(key, value, actual, LABELS)
            if not ok:
                return False, None
            reasons.append(why)
    return True, ', '.join(r for r in reasons if r)


def _gpu_matches(tests, gpu):
    parts = []
    for field, test in tests.items():
        ok, why = _test(field, test, lookup(gpu, field), GPU_LABELS, quiet_false=True)
        if not ok:
            return False, None
        parts.append(why)
    return True, ', '.join(p for p in parts if p)
