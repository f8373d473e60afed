"""The condition language, the default tier and role rules, and rule validation."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._classify import derived
from ansible_collections.homelab.cluster.plugins.module_utils._hardware import normalize_hardware
from ansible_collections.homelab.cluster.plugins.module_utils._rules import build_role_rules
from ansible_collections.homelab.cluster.plugins.module_utils._rules import build_tier_rules
from ansible_collections.homelab.cluster.plugins.module_utils._rules import default_tier_rules
from ansible_collections.homelab.cluster.plugins.module_utils._rules import describe_condition
from ansible_collections.homelab.cluster.plugins.module_utils._rules import evaluate
from ansible_collections.homelab.cluster.plugins.module_utils._rules import lookup


def ctx(fields, roles=(), tier=None):
    record = normalize_hardware({'hosts': {'h': fields}})['h']
    d = derived(record)
    d['tier'] = tier
    return {'record': record, 'derived': d, 'roles': list(roles)}


@pytest.mark.parametrize('cond, fields, expected', [
    ({}, {}, (True, '')),
    ({'ram_gb': {'lt': 1}}, {'ram_gb': 0.0625}, (True, 'ram 0.0625 GB < 1')),
    ({'ram_gb': {'lt': 1}}, {'ram_gb': 1}, (False, None)),
    ({'ram_gb': {'lt': 1}}, {}, (False, None)),                       # unknown passes no ordering test
    ({'ram_gb': {'ge': 32}}, {'ram_gb': 32}, (True, 'ram 32 GB >= 32')),
    ({'ram_gb': {'gt': 32}}, {'ram_gb': 32}, (False, None)),
    ({'ram_gb': {'le': 32}}, {'ram_gb': 32}, (True, 'ram 32 GB <= 32')),
    ({'cpu.ghz': {'lt': 1.0}}, {'cpu': {'ghz': 0.3}}, (True, 'cpu 0.3 GHz < 1')),
    ({'form_factor': 'laptop'}, {'form_factor': 'laptop'}, (True, 'form_factor laptop')),
    ({'form_factor': {'ne': 'laptop'}}, {'form_factor': 'laptop'}, (False, None)),
    ({'form_factor': {'ne': 'laptop'}}, {}, (True, 'form_factor tower != laptop')),
    ({'os': {'in': ['opnsense', 'pfsense']}}, {'os': 'pfsense'}, (True, 'os pfsense')),
    ({'os': {'not_in': ['windows']}}, {'os': 'debian'}, (True, 'os debian not in [windows]')),
    ({'always_on': True}, {'always_on': True}, (True, 'always_on')),
    ({'volatile': False}, {}, (True, 'not volatile')),
    ({'volatile': True}, {}, (False, None)),
    ({'cpu.threads': {'ge': 16}, 'ram_gb': {'ge': 32}}, {'cpu': {'threads': 32, 'cores': 16}, 'ram_gb': 128},
     (True, 'threads 32 >= 16, ram 128 GB >= 32')),
    ({'all': [{'cpu.threads': {'ge': 16}}, {'ram_gb': {'ge': 32}}]}, {'cpu': {'cores': 16}, 'ram_gb': 16},
     (False, None)),
    ({'any': [{'ram_gb': {'lt': 1}}, {'cpu.ghz': {'lt': 1}}]}, {'cpu': {'ghz': 0.5}}, (True, 'cpu 0.5 GHz < 1')),
    ({'any': [{'ram_gb': {'lt': 1}}, {'cpu.ghz': {'lt': 1}}]}, {}, (False, None)),
    ({'not': {'os': 'windows'}}, {}, (True, 'not os == windows')),
    ({'not': {'os': 'windows'}}, {'os': 'windows'}, (False, None)),
    ({'vram_gb': {'ge': 24}}, {'gpus': [{'model': 'RTX', 'vram_gb': 16}, {'model': 'RX', 'vram_gb': 12}]},
     (True, 'vram 28 GB >= 24')),
    ({'vram_max_gb': {'ge': 16}}, {'gpus': [{'model': 'RTX', 'vram_gb': 16}, {'model': 'RX', 'vram_gb': 12}]},
     (True, 'largest gpu 16 GB >= 16')),
    ({'gpu_count': {'ge': 2}}, {'gpus': [{'model': 'RTX'}, {'model': 'RX'}]}, (True, 'gpu_count 2 >= 2')),
    ({'gpu': {'vram_gb': {'ge': 8}, 'shared': False}},
     {'gpus': [{'model': 'RX 6400', 'vram_gb': 4}, {'model': 'RTX 4070 Ti Super', 'vram_gb': 16}]},
     (True, 'gpu RTX 4070 Ti Super: 16 GB >= 8')),
    ({'gpu': {'vram_gb': {'ge': 8}, 'shared': False}},
     {'gpus': [{'model': 'Orin', 'vendor': 'nvidia', 'vram_gb': 8, 'shared': True}]}, (False, None)),
    ({'gpu': {'vendor': 'intel'}}, {'gpus': [{'model': 'Arc B580'}]}, (True, 'gpu Arc B580: vendor intel')),
    ({'gpu': {'vendor': 'intel'}}, {}, (False, None)),
    ({'power.idle_w': {'le': 30}}, {'power': {'idle_w': 7, 'peak_w': 35}}, (True, 'idle 7 W <= 30')),
])
def test_evaluate(cond, fields, expected):
    assert evaluate(cond, ctx(fields)) == expected


def test_role_and_tier_conditions_use_the_context():
    assert evaluate({'role': 'storage'}, ctx({}, roles=['storage'])) == (True, 'role storage')
    assert evaluate({'role': {'in': ['storage', 'firewall']}}, ctx({}, roles=['firewall'])) == (True, 'role firewall')
    assert evaluate({'role': 'storage'}, ctx({}, roles=[])) == (False, None)
    assert evaluate({'tier': 'ultralow'}, ctx({}, tier='ultralow')) == (True, 'tier ultralow')


def test_lookup_and_describe():
    assert lookup({'cpu': {'ghz': 3}}, 'cpu.ghz') == 3
    assert lookup({'cpu': None}, 'cpu.ghz') is None
    assert describe_condition({}) == 'always'
    assert describe_condition({'any': [{'os': 'a'}, {'not': {'gpu': {'vram_gb': {'ge': 8}}}}]}) == \
        '(os == a or not a gpu with vram_gb >= 8)'
    assert describe_condition({'all': [{'ram_gb': {'lt': 1, 'gt': 0}}]}) == '(ram_gb < 1 and ram_gb > 0)'


def test_thresholds_reshape_the_default_rules():
    rules = default_tier_rules({'modern_vram_gb': 12})
    modern = [r for r in rules if r['tier'] == 'modern'][0]
    assert modern['when']['any'][0] == {'gpu': {'vram_gb': {'ge': 12}, 'shared': False}}
    assert [r['tier'] for r in rules] == ['ultralow', 'portable', 'modern', 'legacy']


def test_default_rules_are_valid():
    rules, found = build_tier_rules()
    assert not found and rules == default_tier_rules()
    roles, found = build_role_rules()
    assert not found
    expected = ['firewall', 'storage', 'hypervisor', 'volatile', 'edge', 'logic', 'inference']
    assert [name for name, _cond in roles] == expected


def test_role_rules_replace_add_and_disable():
    roles, found = build_role_rules({'edge': None, 'media': {'gpu': {'vendor': 'intel'}},
                                     'storage': {'os': {'in': ['truenas', 'unraid']}}})
    assert not found
    names = [name for name, _cond in roles]
    assert 'edge' not in names and names[-1] == 'media'
    assert dict(roles)['storage'] == {'os': {'in': ['truenas', 'unraid']}}


def test_custom_tier_rules_replace_the_defaults():
    rules, found = build_tier_rules([{'tier': 'big', 'when': {'ram_gb': {'ge': 64}}}, {'tier': 'small'}])
    assert not found and [r['tier'] for r in rules] == ['big', 'small'] and rules[1]['when'] == {}


@pytest.mark.parametrize('tier_rules, thresholds, message', [
    ('modern', None, "tier_rules: expected a list of {tier, when}, got 'modern'"),
    ([{'when': {}}], None, 'tier_rules[0]: expected a mapping with tier and when, got a mapping'),
    ([{'tier': 'Big', 'when': {}}], None, "tier_rules[0].tier: expected a lowercase name, got 'Big'"),
    ([{'tier': 'a', 'when': {}}, {'tier': 'a'}], None, 'tier_rules[1].tier: tier a is listed twice'),
    ([{'tier': 'a', 'wen': {}}], None, "tier_rules[0].wen: unknown key (did you mean 'when'?); expected tier and when"),
    ([{'tier': 'a', 'when': {'ram_gbb': {'lt': 1}}}, {'tier': 'b'}], None,
     "tier_rules[0].when.ram_gbb: unknown field (did you mean 'ram_gb'?); expected one of"),
    ([{'tier': 'a', 'when': {'ram_gb': {'lte': 1}}}, {'tier': 'b'}], None,
     "tier_rules[0].when.ram_gb.lte: unknown operator (did you mean 'le'?); expected one of eq, ne, lt, le, gt, ge, "
     'in, not_in'),
    ([{'tier': 'a', 'when': {'ram_gb': {}}}, {'tier': 'b'}], None,
     'tier_rules[0].when.ram_gb: expected at least one operator of'),
    ([{'tier': 'a', 'when': {'os': ['a', 'b']}}, {'tier': 'b'}], None,
     'tier_rules[0].when.os: expected a value or a mapping of operators, got a list; use {in: [...]}'),
    ([{'tier': 'a', 'when': {'os': {'in': 'debian'}}}, {'tier': 'b'}], None,
     "tier_rules[0].when.os.in: expected a list, got 'debian'"),
    ([{'tier': 'a', 'when': {'any': []}}, {'tier': 'b'}], None,
     'tier_rules[0].when.any: expected a non-empty list of conditions, got a list'),
    ([{'tier': 'a', 'when': {'gpu': {'vram': {'ge': 1}}}}, {'tier': 'b'}], None,
     "tier_rules[0].when.gpu.vram: unknown field (did you mean 'vram_gb'?)"),
    ([{'tier': 'a', 'when': {'gpu': []}}, {'tier': 'b'}], None,
     'tier_rules[0].when.gpu: expected a mapping of GPU fields to tests, got a list'),
    ([{'tier': 'a', 'when': {'role': 'edge'}}, {'tier': 'b'}], None, "tier_rules[0].when.role: unknown field"),
    ([{'tier': 'a', 'when': 'always'}, {'tier': 'b'}], None,
     "tier_rules[0].when: expected a condition mapping, got 'always'"),
    ([{'tier': 'a', 'when': {'ram_gb': {'lt': 1}}}], None,
     'tier_rules[0].when: the last tier rule must match every host (when: {})'),
    (None, {'modern_vram': 12}, "thresholds.modern_vram: unknown threshold (did you mean 'modern_vram_gb'?)"),
    (None, {'modern_vram_gb': 'twelve'}, "thresholds.modern_vram_gb: expected a number >= 0, got 'twelve'"),
    (None, ['x'], 'thresholds: expected a mapping, got a list'),
])
def test_tier_rule_messages(tier_rules, thresholds, message):
    _rules, found = build_tier_rules(tier_rules, thresholds)
    assert any(str(p).startswith(message) for p in found), [str(p) for p in found]


@pytest.mark.parametrize('role_rules, message', [
    (['edge'], 'role_rules: expected a mapping of role names to conditions, got a list'),
    ({'Media': {}}, "role_rules.Media: expected a lowercase role name, got 'Media'"),
    ({'media': {'role': 3}}, "role_rules.media.role: expected a role name or {in: [...]}, got 3"),
    ({'media': {'role': {'inn': ['a']}}}, "role_rules.media.role.inn: unknown operator (did you mean 'in'?)"),
    ({'media': {'tier': {'eq': 'modern'}, 'gpuu': {}}}, "role_rules.media.gpuu: unknown field (did you mean 'gpu'?)"),
])
def test_role_rule_messages(role_rules, message):
    _rules, found = build_role_rules(role_rules)
    assert any(str(p).startswith(message) for p in found), [str(p) for p in found]
