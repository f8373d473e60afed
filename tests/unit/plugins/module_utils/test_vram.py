"""The VRAM planner against the seeds' tables: seed 004's "LLM VRAM Requirements" and seed 003's 24 GB plan."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils import _vram

# seed 004: | Model Size | VRAM (Q4 Quantized) |
SEED_004 = [(7, 4, 6), (13, 8, 10), (30, 16, 20), (33, 16, 20)]


@pytest.mark.parametrize('params, low, high', SEED_004)
@pytest.mark.parametrize('quant', ['Q4', 'Q4_0'])
def test_seed_004_table_at_q4(params, low, high, quant):
    need = _vram.vram_need(params, quant)['total_gb']
    assert low <= need <= high, '%sB %s: %s GB, seed 004 says %s-%s' % (params, quant, need, low, high)


@pytest.mark.parametrize('params, low, high', SEED_004[:3])
def test_seed_004_table_at_q4_k_m(params, low, high):
    assert low <= _vram.vram_need(params, 'Q4_K_M')['total_gb'] <= high


def test_seed_004_34b_is_about_20():
    assert 19.5 <= _vram.vram_need(34, 'Q4')['total_gb'] <= 20.6


def test_seed_004_70b_needs_more_than_40_and_no_single_card():
    need = _vram.vram_need(70, 'Q4')['total_gb']
    assert need >= 40
    seed_cards = [16, 20, 12, 12, 8]  # 4070 Ti Super, 7900 XT, 6700 XT, B580, 7600
    assert all(need > card for card in seed_cards)


def test_seed_004_70b_across_the_proxmox_cards_with_one_runtime():
    """48 GB together: a 70B at Q4 runs split across cards of one vendor (Vulkan or Exo spans the others)."""
    cards = [{'model': 'RTX 4070 Ti Super', 'vendor': 'nvidia', 'vram_gb': 16},
             {'model': 'RX 7900 XT', 'vendor': 'amd', 'vram_gb': 20},
             {'model': 'RX 6700 XT', 'vendor': 'amd', 'vram_gb': 12}]
    # one runtime per vendor: the two AMD cards hold 32 GB; the rest of the layers run on the CPU
    plan = _vram.vram_plan(cards, [{'name': 'llama3.1:70b', 'quant': 'Q4'}], max_utilization=0.95, split=True)
    assert plan['placements'][0]['mode'] == 'partial' and plan['placements'][0]['gpus'] == [1, 2]
    # one pool across all three (a vendor-neutral runtime): the whole model is on GPUs
    pooled = [dict(c, vendor='vulkan') for c in cards]
    plan = _vram.vram_plan(pooled, [{'name': 'llama3.1:70b', 'quant': 'Q4'}], max_utilization=0.95, split=True)
    placement = plan['placements'][0]
    assert placement['mode'] == 'split' and sorted(placement['gpus']) == [0, 1, 2]
    assert placement['gpu_layers'] == 80


def test_bigger_quant_bigger_need():
    sizes = [_vram.vram_need(8, q)['total_gb'] for q in ('Q2_K', 'Q4_K_M', 'Q5_K_M', 'Q8_0', 'FP16')]
    assert sizes == sorted(sizes)
    assert _vram.vram_need(8, 'FP16')['weights_gb'] == 16.0


def test_context_and_kv_cache():
    short = _vram.vram_need(8, 'Q4_K_M', context=2048)
    long_ = _vram.vram_need(8, 'Q4_K_M', context=32768)
    assert long_['kv_gb'] == pytest.approx(short['kv_gb'] * 16, rel=0.01)
    assert long_['kv_gb'] == pytest.approx(4.29, abs=0.01)  # 32 layers x 1024 x 2 (K,V) x 2 bytes x 32768
    quantized = _vram.vram_need(8, 'Q4_K_M', context=32768, kv_cache='q8_0')
    assert quantized['kv_gb'] < long_['kv_gb'] / 1.8
    llama2 = _vram.vram_need(13, 'Q4_K_M', layers=40, kv_width=5120)  # no grouped-query attention
    assert llama2['kv_gb'] == pytest.approx(3.36, abs=0.01)


@pytest.mark.parametrize('kwargs, message', [
    ({'params_b': 'seven'}, "params_b: expected a number, got 'seven'"),
    ({'params_b': -1}, 'params_b: expected a positive number'),
    ({'params_b': 7, 'quant': 'Q9'}, "quant: expected one of"),
    ({'params_b': 7, 'kv_cache': 'q3'}, "kv_cache: expected one of"),
    ({'params_b': 7, 'context': 0}, 'context: expected a positive number'),
])
def test_bad_input_names_the_field(kwargs, message):
    with pytest.raises(_vram.VramError, match=message):
        _vram.vram_need(**kwargs)


@pytest.mark.parametrize('tag, expected', [
    ('qwen2.5:14b-instruct-q4_K_M', (14.0, 'Q4_K_M')),
    ('llama3.1:70b', (70.0, None)),
    ('qwen2.5-coder:1.5b', (1.5, None)),
    ('deepseek-r1:8b-llama-distill-q8_0', (8.0, 'Q8_0')),
    ('mistral-7b-instruct-v0.3.Q5_K_M.gguf', (7.0, 'Q5_K_M')),
    ('mistral-7b-instruct-v0.3 Q5_K_M', (7.0, 'Q5_K_M')),
    ('phi', (None, None)),
])
def test_parse_tag(tag, expected):
    assert _vram.parse_tag(tag) == expected


SEED_003_LINEUP = [
    {'name': '14B model', 'params_b': 14, 'quant': 'Q4_K_M'},
    {'name': '7B coder', 'params_b': 7, 'quant': 'Q4_K_M'},
    {'name': '8B reasoning', 'params_b': 8, 'quant': 'Q4_K_M'},
    {'name': '1.5B fast coder', 'params_b': 1.5, 'quant': 'Q4_K_M'},
    {'name': '1.7B fast chat', 'params_b': 1.7, 'quant': 'Q4_K_M'},
]


def test_seed_003_plan_for_a_24_gb_gpu():
    """Seed 003: the 14B runs with part of its layers on the GPU, the four small ones whole: ~20 GB, ~84%."""
    plan = _vram.vram_plan([{'model': 'RTX 3090', 'vram_gb': 24}], SEED_003_LINEUP)
    modes = {p['model']: p['mode'] for p in plan['placements']}
    assert modes == {'14B model': 'partial', '7B coder': 'full', '8B reasoning': 'full',
                     '1.5B fast coder': 'full', '1.7B fast chat': 'full'}
    big = plan['placements'][0]
    assert 0 < big['gpu_layers'] < big['layers']
    assert 19.5 <= plan['used_gb'] <= 20.5
    assert 81 <= plan['utilization_pct'] <= 85.5
    assert plan['cpu_only'] == []
    small = {p['model']: p['gpu_gb'] for p in plan['placements'][1:]}
    assert 4.2 <= small['7B coder'] <= 5.1 and 4.6 <= small['8B reasoning'] <= 5.7
    assert 1.0 <= small['1.5B fast coder'] <= 1.5 and 1.0 <= small['1.7B fast chat'] <= 1.5


def test_seed_003_whole_card_when_allowed():
    plan = _vram.vram_plan([{'vram_gb': 24}], SEED_003_LINEUP, max_utilization=1.0)
    assert {p['mode'] for p in plan['placements']} == {'full'}
    assert plan['utilization_pct'] > 85


def test_priority_goes_first():
    lineup = [dict(SEED_003_LINEUP[0], priority=10)] + SEED_003_LINEUP[1:]
    plan = _vram.vram_plan([{'vram_gb': 24}], lineup)
    assert plan['placements'][0]['mode'] == 'full'
    assert 'partial' in {p['mode'] for p in plan['placements'][1:]} or plan['cpu_only']


def test_best_fit_across_cards_and_cpu_only_without_offload():
    cards = [{'model': 'RX 7600', 'vram_gb': 8}, {'model': 'RTX 4070 Ti Super', 'vram_gb': 16}]
    plan = _vram.vram_plan(cards, ['llama3.1:8b', 'qwen2.5:14b', 'qwen2.5:32b'], offload=False)
    where = {p['model']: (p['mode'], p['gpus']) for p in plan['placements']}
    assert where['llama3.1:8b'] == ('full', [0])  # the tightest card that holds it
    assert where['qwen2.5:14b'] == ('full', [1])
    assert where['qwen2.5:32b'] == ('cpu', [])
    assert plan['cpu_only'] == ['qwen2.5:32b']
    assert [g['models'] for g in plan['gpus']] == [['llama3.1:8b'], ['qwen2.5:14b']]


def test_no_gpu_everything_on_cpu():
    plan = _vram.vram_plan([{'model': 'UHD Graphics', 'vram_gb': None}], ['llama3.1:8b'])
    assert plan['cpu_only'] == ['llama3.1:8b'] and plan['vram_gb'] == 0 and plan['utilization_pct'] == 0.0


@pytest.mark.parametrize('gpus, models, kwargs, message', [
    ([{'vram_gb': 'lots'}], [], {}, "gpus\\[0\\].vram_gb: expected a number, got 'lots'"),
    ([{'vram_gb': 8}], [{'name': 'x'}], {}, 'models\\[0\\] \\(x\\).params_b: expected the parameters'),
    ([{'vram_gb': 8}], [{'params_b': 7, 'quant': 'Q7'}], {}, 'models\\[0\\].quant: expected one of'),
    ([{'vram_gb': 8}], [42], {}, 'models\\[0\\]: expected a mapping or a tag'),
    ([{'vram_gb': 8}], [], {'max_utilization': 1.5}, 'max_utilization: expected a share up to 1.0'),
])
def test_plan_bad_input(gpus, models, kwargs, message):
    with pytest.raises(_vram.VramError, match=message):
        _vram.vram_plan(gpus, models, **kwargs)
