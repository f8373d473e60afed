# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VRAM planning without I/O: what a model needs (weights at a quantization, KV cache for a context, runtime
overhead) and how a lineup of models packs onto a host's GPUs (whole, split across GPUs, or with part of the
layers offloaded to the CPU).

Sizes are in GB (10^9 bytes), as model files are published; a card's capacity is taken as its marketed GB
(which are GiB, slightly more), so plans err on the safe side.

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

import difflib
import math
import re

# Effective bits per weight of each format: the block scales are included (Q4_0 stores 32 4-bit weights and
# one fp16 scale: 4.5 bits), and the k-quant mixes keep some tensors at higher precision (llama.cpp's
# quantize tool lists these sizes). GPTQ/AWQ 4-bit with group size 128 carry ~0.25 bit of scales.
QUANT_BITS = {
    'IQ2_XXS': 2.06, 'IQ2_XS': 2.31, 'IQ3_XXS': 3.06, 'Q2_K': 3.35, 'Q3_K_S': 3.5, 'Q3_K_M': 3.91,
    'Q3_K_L': 4.27, 'IQ4_XS': 4.25, 'IQ4_NL': 4.5, 'Q4_0': 4.5, 'Q4_1': 5.0, 'Q4_K_S': 4.58, 'Q4_K_M': 4.85,
    'Q5_0': 5.5, 'Q5_1': 6.0, 'Q5_K_S': 5.54, 'Q5_K_M': 5.69, 'Q6_K': 6.59, 'Q8_0': 8.5,
    'FP8': 8.0, 'INT8': 8.0, 'INT4': 4.25, 'GPTQ': 4.25, 'AWQ': 4.25,
    'FP16': 16.0, 'F16': 16.0, 'BF16': 16.0, 'FP32': 32.0, 'F32': 32.0,
}
# "Q4" alone means the classic 4-bit format
QUANT_ALIASES = {'Q4': 'Q4_0', 'Q5': 'Q5_0', 'Q8': 'Q8_0', 'Q6': 'Q6_K', 'Q3': 'Q3_K_M', 'Q2': 'Q2_K',
                 'HALF': 'FP16', 'FLOAT16': 'FP16', 'BFLOAT16': 'BF16'}
KV_BYTES = {'F16': 2.0, 'FP16': 2.0, 'Q8_0': 1.0625, 'Q4_0': 0.5625, 'F32': 4.0}
DEFAULT_CONTEXT = 4096  # llama.cpp's and Ollama's default context
DEFAULT_OVERHEAD_GB = 0.25  # runtime context and compute buffers of one loaded model
DEFAULT_MAX_UTILIZATION = 0.85  # leave 15% of each card for compute buffers that grow, the desktop, fragmentation

# Shape of typical decoder-only models by size (Llama 3, Qwen 2.5, Mistral, Gemma): transformer layers and the
# width of the KV projections (grouped-query attention: kv heads x head dim). Used when a model gives neither.
SHAPES = ((2.0, 28, 256), (4.5, 36, 1024), (9.5, 32, 1024), (16.0, 40, 1024), (40.0, 60, 1024), (80.0, 80, 1024),
          (float('inf'), 126, 1024))


class VramError(ValueError):
    """A model or GPU description the planner cannot use; the message names the field."""


def quant_bits(quant):
    key = (quant or '').strip().upper().replace('-', '_')
    key = QUANT_ALIASES.get(key, key)
    if key not in QUANT_BITS:
        raise VramError('quant: expected one of %s, got %r' % (', '.join(sorted(QUANT_BITS)), quant))
    return key, QUANT_BITS[key]


def parse_tag(tag):
    """Parameters and quantization from a model tag: 'qwen2.5:14b-instruct-q4_K_M' -> (14.0, 'Q4_K_M');
    'llama3.1:70b' -> (70.0, None); '1.5b' -> (1.5, None)."""
    text = tag.lower() if isinstance(tag, str) else ''
    size = re.search(r'(?<![a-z0-9.])(\d+(?:\.\d+)?)b(?![a-z0-9])', text.replace(':', ' ').replace('-', ' '))
    quant = None
    for candidate in sorted(QUANT_BITS, key=len, reverse=True):
        if re.search(r'(?<![a-z0-9])%s(?![a-z0-9])' % re.escape(candidate.lower()), text.replace('-', ' ')):
            quant = candidate
            break
    return (float(size.group(1)) if size else None), quant


def _shape(params_b):
    return next((layers, kv) for limit, layers, kv in SHAPES if params_b <= limit)


def _number(value, field, positive=True):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise VramError('%s: expected a number, got %r' % (field, value)) from None
    if math.isnan(number) or (positive and number <= 0) or number < 0:
        raise VramError('%s: expected a %snumber, got %r' % (field, 'positive ' if positive else '', value))
    return number


def vram_need(params_b, quant='Q4_K_M', context=DEFAULT_CONTEXT, layers=None, kv_width=None, kv_cache='F16',
              overhead_gb=DEFAULT_OVERHEAD_GB):
    """What a model needs on a GPU, all layers offloaded: {'weights_gb', 'kv_gb', 'overhead_gb', 'total_gb',
    'layers', 'per_layer_gb', 'quant'}. params_b: parameters in billions."""
    params_b = _number(params_b, 'params_b')
    quant, bits = quant_bits(quant)
    context = int(_number(context, 'context'))
    default_layers, default_kv = _shape(params_b)
    layers = int(_number(layers, 'layers')) if layers is not None else default_layers
    kv_width = int(_number(kv_width, 'kv_width')) if kv_width is not None else default_kv
    kv_key = (kv_cache or 'F16').upper()
    if kv_key not in KV_BYTES:
        raise VramError('kv_cache: expected one of %s, got %r' % (', '.join(sorted(KV_BYTES)), kv_cache))
    overhead_gb = _number(overhead_gb, 'overhead_gb', positive=False)
    weights = params_b * bits / 8.0
    kv = 2.0 * layers * kv_width * KV_BYTES[kv_key] * context / 1e9  # K and V, per layer, per token
    total = weights + kv + overhead_gb
    return {'quant': quant, 'weights_gb': round(weights, 2), 'kv_gb': round(kv, 2), 'overhead_gb': overhead_gb,
            'total_gb': round(total, 2), 'layers': layers, 'per_layer_gb': (weights + kv) / layers}


MODEL_KEYS = ('name', 'tag', 'params_b', 'quant', 'context', 'kv_cache', 'layers', 'kv_width', 'overhead_gb',
              'priority')


def model_need(model, index=0):
    """vram_need() for one lineup entry: {name, params_b | tag, quant, context, layers, kv_width, kv_cache,
    overhead_gb, priority}."""
    if isinstance(model, str):
        model = {'name': model}
    if not isinstance(model, dict):
        raise VramError('models[%d]: expected a mapping or a tag, got %r' % (index, model))
    label = 'models[%d]' % index if not model.get('name') else 'models[%d] (%s)' % (index, model['name'])
    unknown = sorted(set(model) - set(MODEL_KEYS), key=str)
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), MODEL_KEYS, n=1, cutoff=0.5)
        raise VramError('%s.%s: unknown key%s; known keys: %s' % (label, unknown[0], " (did you mean '%s'?)" % close[0]
                                                                  if close else '', ', '.join(MODEL_KEYS)))
    tag_params, tag_quant = parse_tag(model.get('tag') or model.get('name'))
    params = model.get('params_b', tag_params)
    if params is None:
        raise VramError('%s.params_b: expected the parameters in billions (or a tag like "14b"), got none' % label)
    try:
        need = vram_need(params, model.get('quant') or tag_quant or 'Q4_K_M', model.get('context', DEFAULT_CONTEXT),
                         model.get('layers'), model.get('kv_width'), model.get('kv_cache', 'F16'),
                         model.get('overhead_gb', DEFAULT_OVERHEAD_GB))
    except VramError as exc:
        raise VramError('%s.%s' % (label, exc)) from None
    need['name'] = model.get('name') or '%gB %s' % (float(params), need['quant'])
    need['priority'] = int(model.get('priority', 0))
    return need


def _gpus(gpus):
    cards = []
    for number, gpu in enumerate(gpus or []):
        if not isinstance(gpu, dict) or gpu.get('vram_gb') in (None, 0):
            continue  # integrated GPUs and accelerators hold no model of their own
        vram = _number(gpu['vram_gb'], 'gpus[%d].vram_gb' % number)
        cards.append({'index': number, 'model': gpu.get('model') or 'gpu%d' % number,
                      'vendor': gpu.get('vendor'), 'vram_gb': vram})
    return cards


def vram_plan(gpus, models, max_utilization=DEFAULT_MAX_UTILIZATION, split=False, offload=True):
    """Pack a lineup onto a host's GPUs.

    Models go in priority order (higher first), then smallest first, so the most models run whole on a GPU and
    the largest is the one that offloads. Each goes whole onto the GPU where it fits tightest; else, with
    split, across GPUs of one vendor (one runtime: CUDA or ROCm cannot share a model); else, with offload,
    onto the GPU with the most room with as many layers as fit (the rest run on the CPU); else on the CPU.
    max_utilization: the share of each card the plan may use.
    Returns {gpus: [{index, model, vram_gb, budget_gb, used_gb, utilization_pct, models}], placements: [...],
    used_gb, vram_gb, utilization_pct, cpu_only}.
    """
    max_utilization = _number(max_utilization, 'max_utilization')
    if max_utilization > 1:
        raise VramError('max_utilization: expected a share up to 1.0, got %r' % max_utilization)
    cards = _gpus(gpus)
    for card in cards:
        card.update(budget_gb=card['vram_gb'] * max_utilization, used_gb=0.0, models=[])
    needs = [model_need(m, i) for i, m in enumerate(models or [])]
    order = sorted(range(len(needs)), key=lambda i: (-needs[i]['priority'], needs[i]['total_gb'], i))
    placements = [None] * len(needs)
    for i in order:
        need = needs[i]
        placements[i] = _place(need, cards, split, offload)
    used = sum(c['used_gb'] for c in cards)
    vram = sum(c['vram_gb'] for c in cards)
    return {
        'gpus': [{'index': c['index'], 'model': c['model'], 'vram_gb': c['vram_gb'],
                  'budget_gb': round(c['budget_gb'], 2), 'used_gb': round(c['used_gb'], 2),
                  'utilization_pct': round(100.0 * c['used_gb'] / c['vram_gb'], 1), 'models': c['models']}
                 for c in cards],
        'placements': placements,
        'used_gb': round(used, 2), 'vram_gb': vram,
        'utilization_pct': round(100.0 * used / vram, 1) if vram else 0.0,
        'cpu_only': [p['model'] for p in placements if p['mode'] == 'cpu'],
    }


def _free(card):
    return card['budget_gb'] - card['used_gb']


def _take(card, name, gb):
    card['used_gb'] += gb
    card['models'].append(name)


def _place(need, cards, split, offload):
    base = {'model': need['name'], 'need_gb': need['total_gb'], 'layers': need['layers'], 'quant': need['quant']}
    fits = [c for c in cards if _free(c) >= need['total_gb']]
    if fits:
        card = min(fits, key=lambda c: (_free(c), c['index']))
        _take(card, need['name'], need['total_gb'])
        return dict(base, mode='full', gpus=[card['index']], gpu_layers=need['layers'], gpu_gb=need['total_gb'])
    group = None
    if split and len(cards) > 1:
        # one runtime per vendor: CUDA and ROCm cannot hold layers of the same model
        groups = [sorted((c for c in cards if (c['vendor'] or '') == vendor), key=lambda c: (-_free(c), c['index']))
                  for vendor in sorted({c['vendor'] or '' for c in cards})]
        group = max(groups, key=lambda g: (len(g) > 1, _room(g, need)))
        if len(group) > 1 and _room(group, need) >= need['total_gb'] - need['overhead_gb']:
            return dict(base, **_split(need, group))
    if offload and group and len(group) > 1 and _room(group, need) > _free(group[0]) - need['overhead_gb']:
        return dict(base, **_split(need, group))  # more layers on GPUs across the group than on one card
    if offload and cards:
        card = max(cards, key=lambda c: (_free(c), -c['index']))
        layers = int(math.floor((_free(card) - need['overhead_gb']) / need['per_layer_gb']))
        layers = min(layers, need['layers'] - 1)
        if layers >= 1:
            gb = round(need['overhead_gb'] + layers * need['per_layer_gb'], 2)
            _take(card, need['name'], gb)
            return dict(base, mode='partial', gpus=[card['index']], gpu_layers=layers, gpu_gb=gb)
    return dict(base, mode='cpu', gpus=[], gpu_layers=0, gpu_gb=0.0)


def _room(group, need):
    return sum(max(0.0, _free(c) - need['overhead_gb']) for c in group)


def _split(need, group):
    """Layers across the cards in proportion to their room; each card carries its own runtime overhead."""
    left = need['layers']
    used_cards, gpu_gb = [], 0.0
    for card in group:
        if left == 0:
            break
        fit = int(math.floor((_free(card) - need['overhead_gb']) / need['per_layer_gb']))
        take = min(left, fit)
        if take < 1:
            continue
        gb = need['overhead_gb'] + take * need['per_layer_gb']
        _take(card, need['name'], gb)
        used_cards.append(card['index'])
        gpu_gb += gb
        left -= take
    return {'mode': 'split' if left == 0 else 'partial', 'gpus': used_cards, 'gpu_layers': need['layers'] - left,
            'gpu_gb': round(gpu_gb, 2)}
