# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: gateway_config
short_description: The LiteLLM proxy's config.yaml from the inference catalog
version_added: 0.2.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - "C(model_list): a group per model (every server that has it, load-balanced) and a group per expert (V(code),
    V(reason), ...: the servers of its preferred model). Providers: C(ollama_chat/) for Ollama (C(ollama/) for
    embeddings), C(openai/) with C(/v1) for llama.cpp and OpenAI-compatible servers, C(hosted_vllm/) with C(/v1)
    for vLLM."
  - "C(api_key) is always C(os.environ/NAME) (the server's C(api_key_env)), never a value; the master key too.
    The role C(homelab.cluster.inference_gateway) writes the values into the service's environment file."
  - C(router_settings.fallbacks) sends each expert group to the next models of its chain, in order; each
    deployment is tagged with the experts it serves, V(tier-<tier>) and V(host-<host>) for tag routing.
  - Nothing imports litellm; the result is plain data to dump as YAML.
options:
  _input:
    description: The catalog (P(homelab.cluster.inference_catalog#filter)).
    type: dict
    required: true
  settings:
    description:
      - C(routing_strategy) (V(simple-shuffle)), C(num_retries) (2), C(timeout) (600), C(allowed_fails) (1),
        C(cooldown_time) (30), C(tag_filtering) (true), C(master_key_env) (V(LITELLM_MASTER_KEY)),
        C(background_health_checks) (false), C(health_check_interval) (300), C(drop_params) (true).
    type: dict
    default: {}
'''

EXAMPLES = r'''
- name: Write the gateway config
  ansible.builtin.copy:
    content: "{{ inference | homelab.cluster.gateway_config | to_nice_yaml(indent=2) }}"
    dest: /etc/litellm/config.yaml
    mode: "0640"
'''

RETURN = r'''
_value:
  description: C(model_list), C(router_settings), C(litellm_settings), C(general_settings), and C(env) (the
    environment variables the config reads, for the service's environment file; drop it before writing).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._inference.gateway import GatewayError
from ansible_collections.homelab.cluster.plugins.module_utils._inference.gateway import env_names
from ansible_collections.homelab.cluster.plugins.module_utils._inference.gateway import gateway_config as _config


def gateway_config(cat, settings=None):
    if not isinstance(cat, dict) or 'deployments' not in cat:
        raise AnsibleFilterError('homelab.cluster.gateway_config: expected the catalog of '
                                 'homelab.cluster.inference_catalog, got %r' % type(cat).__name__)
    try:
        config = _config(cat, settings)
    except GatewayError as exc:
        raise AnsibleFilterError('homelab.cluster.gateway_config: %s' % exc) from None
    config['env'] = env_names(config)
    return config


class FilterModule:
    def filters(self):
        return {'gateway_config': gateway_config}
