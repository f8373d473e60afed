# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: inference_catalog
short_description: What the inference tier serves where - endpoints, deployments and expert chains
version_added: 0.2.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - Reads each host's C(homelab_inference_servers) (its Ollama, llama.cpp, vLLM or OpenAI-compatible servers)
    and C(homelab_vram_lineup) (its models) through the host view, places the models with the VRAM planner
    (P(homelab.cluster.vram_plan#filter)) and returns one catalog that P(homelab.cluster.gateway_config#filter),
    P(homelab.cluster.route#filter) and M(homelab.cluster.endpoint_health) all read, so the gateway, the router
    and the health report always agree.
  - "A lineup entry may add to what C(vram_plan) reads: C(server) (which of the host's servers runs it; default
    the first), C(experts) (categories such as V(code), V(reason), V(chat), V(vision), V(fast), V(embed)),
    C(mode) (V(chat) or V(embedding)), C(served_name) (the name the server lists) and C(tags)."
  - "Each category's chain: O(experts) when it names the category, else the models tagged with it (largest
    first; V(fast) smallest first, and every chat model when none is tagged). Then the fallback categories', followed
    on: V(code), V(reason) and V(fast) fall back to V(chat), V(chat) to V(fast); V(vision) and V(embed) to nothing."
  - "Bad input names the host and the field (C(forge.homelab_inference_servers[1].runtime: expected one of ...))."
options:
  _input:
    description: Host views (C(hostvars | homelab.cluster.host_views(names))); hosts without servers are skipped.
    type: list
    elements: dict
    required: true
  experts:
    description: Category -> model names, preferred first; replaces that category's chain from the lineups.
    type: dict
    default: {}
  gateway:
    description: The LiteLLM proxy (C(host), C(address), C(port), C(scheme), C(timeout_s)); adds it as an
      endpoint of tier V(gateway).
    type: dict
  max_utilization:
    description: The share of each card the VRAM plan may fill.
    type: float
    default: 0.85
'''

EXAMPLES = r'''
- name: The catalog of every inference host
  ansible.builtin.set_fact:
    inference: >-
      {{ hostvars | homelab.cluster.host_views(groups['role_inference']) | homelab.cluster.inference_catalog(
           gateway={'host': 'keeper', 'address': '10.0.30.5', 'port': 4000}) }}
'''

RETURN = r'''
_value:
  description:
    - C(endpoints) (one per server - C(name) V(host/server), C(kind), C(url), C(tier), C(timeout), C(models),
      C(served_names), C(manager), C(unit), C(container), C(image), C(volume), C(start_order), C(start_timeout),
      C(api_key_env)), C(deployments) (one per model and server - C(id), C(endpoint), C(model), C(served_name),
      C(mode), C(placement), C(gpu_layers), C(need_gb), ...), C(models), C(experts) (category -> chain),
      C(hosts), C(gateway) and C(probes) (the O(homelab.cluster.endpoint_health#module:endpoints) option).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._inference.catalog import CatalogError
from ansible_collections.homelab.cluster.plugins.module_utils._inference.catalog import catalog
from ansible_collections.homelab.cluster.plugins.module_utils._inference.catalog import probe_specs
from ansible_collections.homelab.cluster.plugins.module_utils._vram import DEFAULT_MAX_UTILIZATION


def inference_catalog(views, experts=None, gateway=None, max_utilization=DEFAULT_MAX_UTILIZATION):
    if not isinstance(views, list) or not all(isinstance(v, dict) and 'name' in v for v in views):
        raise AnsibleFilterError('homelab.cluster.inference_catalog: expected host views '
                                 '(hostvars | homelab.cluster.host_views(names)), got %r' % type(views).__name__)
    if experts is not None and not isinstance(experts, dict):
        raise AnsibleFilterError('homelab.cluster.inference_catalog: experts: expected a mapping of category -> '
                                 'models, got %r' % (experts,))
    if gateway is not None and (not isinstance(gateway, dict) or not {'host', 'address', 'port'} <= set(gateway)):
        raise AnsibleFilterError('homelab.cluster.inference_catalog: gateway: expected a mapping with host, address '
                                 'and port, got %r' % (gateway,))
    try:
        cat = catalog(views, experts=experts, gateway=gateway, max_utilization=max_utilization)
    except CatalogError as exc:
        raise AnsibleFilterError('homelab.cluster.inference_catalog: %s' % exc) from None
    cat['probes'] = probe_specs(cat)
    return cat


class FilterModule:
    def filters(self):
        return {'inference_catalog': inference_catalog}
