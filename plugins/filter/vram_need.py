# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: vram_need
short_description: The GPU memory a language model needs at a quantization and context length
version_added: 0.1.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - Weights (parameters x the format's effective bits per weight, block scales included), plus the KV cache for
    the context (2 x layers x KV width x bytes per element x tokens), plus the runtime's own buffers.
  - Without O(layers) and O(kv_width) the shape of a typical model of that size is assumed (Llama 3, Qwen 2.5,
    Mistral with grouped-query attention). Give them for older models without it (Llama 2 13B is 40 layers,
    KV width 5120), whose cache is several times larger.
  - Sizes are GB (10^9 bytes), as model files are published.
options:
  _input:
    description: Parameters in billions (V(14)), or a model tag that says them (V(qwen2.5:14b-instruct-q4_K_M)).
    type: raw
    required: true
  quant:
    description:
      - The format, V(Q4_K_M), V(Q5_K_M), V(Q8_0), V(FP16), V(Q4) (= V(Q4_0)), V(AWQ), V(GPTQ), ... Default the
        tag's, else V(Q4_K_M).
    type: str
  context:
    description: Context length in tokens.
    type: int
    default: 4096
  kv_cache:
    description: The KV cache's element type (V(F16), V(Q8_0), V(Q4_0)).
    type: str
    default: F16
  layers:
    description: Transformer layers, when known.
    type: int
  kv_width:
    description: Width of the K (or V) projection, KV heads x head dimension, when known.
    type: int
  overhead_gb:
    description: The runtime's context and compute buffers.
    type: float
    default: 0.25
  detail:
    description: Return the breakdown instead of the total.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Does a 14B at Q4_K_M with 8k context fit the 12 GB card?
  ansible.builtin.debug:
    msg: "{{ 14 | homelab.cluster.vram_need('Q4_K_M', context=8192) }} GB"

- name: The breakdown for a tag
  ansible.builtin.debug:
    msg: "{{ 'llama3.1:70b' | homelab.cluster.vram_need(quant='Q4', detail=true) }}"
'''

RETURN = r'''
_value:
  description:
    - The total in GB (one decimal); with O(detail), C(total_gb), C(weights_gb), C(kv_gb), C(overhead_gb),
      C(layers), C(per_layer_gb) and C(quant).
  type: raw
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._vram import DEFAULT_CONTEXT
from ansible_collections.homelab.cluster.plugins.module_utils._vram import DEFAULT_OVERHEAD_GB
from ansible_collections.homelab.cluster.plugins.module_utils._vram import VramError
from ansible_collections.homelab.cluster.plugins.module_utils._vram import model_need


def vram_need(model, quant=None, context=DEFAULT_CONTEXT, kv_cache='F16', layers=None, kv_width=None,
              overhead_gb=DEFAULT_OVERHEAD_GB, detail=False):
    entry = {'params_b': model} if isinstance(model, (int, float)) and not isinstance(model, bool) else {'tag': model}
    entry.update(quant=quant, context=context, kv_cache=kv_cache, layers=layers, kv_width=kv_width,
                 overhead_gb=overhead_gb)
    try:
        need = model_need(entry)
    except VramError as exc:
        raise AnsibleFilterError('homelab.cluster.vram_need: %s' % str(exc).replace('models[0].', '', 1)) from None
    if detail:
        need.pop('priority', None)
        need['per_layer_gb'] = round(need['per_layer_gb'], 4)
        return need
    return round(need['total_gb'], 1)


class FilterModule:
    def filters(self):
        return {'vram_need': vram_need}
