# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: vram_plan
short_description: Pack a lineup of language models onto a host's GPUs
version_added: 0.1.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - Takes a host's GPUs (C(homelab_gpus) from the inventory, or RV(homelab.cluster.gpu_info#module:gpus)) and a
    lineup of models, and says where each runs - V(full) (every layer on one GPU), V(split) (across GPUs of one
    vendor), V(partial) (as many layers as fit on the GPUs, the rest on the CPU) or V(cpu) - with the GB each
    GPU holds and its utilization.
  - Models go in O(models) priority order (higher C(priority) first), then smallest first, so the most models
    run whole and the largest is the one offloaded. Each goes whole onto the card where it fits tightest.
  - Each card is filled to O(max_utilization) at most (default 85%, as seed 003's plan leaves ~16% free).
  - Integrated GPUs and accelerators (no O(_input[].vram_gb)) hold nothing.
options:
  _input:
    description: The GPUs, each with C(vram_gb) (and C(model), C(vendor)).
    type: list
    elements: dict
    required: true
  models:
    description:
      - The lineup. Each is a tag (V(qwen2.5:14b-instruct-q4_K_M)) or a mapping with C(name), C(params_b) (or
        C(tag)), C(quant), C(context), C(kv_cache), C(layers), C(kv_width), C(overhead_gb) and C(priority), as in
        P(homelab.cluster.vram_need#filter).
    type: list
    elements: raw
    required: true
  max_utilization:
    description: The share of each card the plan may fill.
    type: float
    default: 0.85
  split:
    description: Allow one model across several GPUs of one vendor (llama.cpp's tensor split).
    type: bool
    default: false
  offload:
    description: Allow a model that fits no GPU to run with part of its layers on the CPU.
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Seed 003's lineup on a 24 GB card
  ansible.builtin.debug:
    msg: >-
      {{ [{'model': 'RTX 3090', 'vram_gb': 24}] | homelab.cluster.vram_plan([
           'qwen2.5:14b-instruct-q4_K_M', 'qwen2.5-coder:7b-q4_K_M', 'deepseek-r1:8b-q4_K_M',
           'qwen2.5-coder:1.5b-q4_K_M', 'qwen3:1.7b-q4_K_M']) }}
'''

RETURN = r'''
_value:
  description:
    - C(placements) (per model, in lineup order - C(model), C(mode), C(gpus), C(gpu_layers), C(layers),
      C(gpu_gb), C(need_gb)), C(gpus) (per card - C(model), C(vram_gb), C(budget_gb), C(used_gb),
      C(utilization_pct), C(models)), C(used_gb), C(vram_gb), C(utilization_pct) and C(cpu_only).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._vram import DEFAULT_MAX_UTILIZATION
from ansible_collections.homelab.cluster.plugins.module_utils._vram import VramError
from ansible_collections.homelab.cluster.plugins.module_utils._vram import vram_plan as plan


def vram_plan(gpus, models, max_utilization=DEFAULT_MAX_UTILIZATION, split=False, offload=True):
    if not isinstance(gpus, list):
        raise AnsibleFilterError('homelab.cluster.vram_plan: expected a list of GPUs, got %s' % type(gpus).__name__)
    if not isinstance(models, list):
        raise AnsibleFilterError('homelab.cluster.vram_plan: models: expected a list, got %s' % type(models).__name__)
    try:
        return plan(gpus, models, max_utilization=max_utilization, split=split, offload=offload)
    except VramError as exc:
        raise AnsibleFilterError('homelab.cluster.vram_plan: %s' % exc) from None


class FilterModule:
    def filters(self):
        return {'vram_plan': vram_plan}
