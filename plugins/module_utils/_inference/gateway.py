# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The LiteLLM proxy's ``config.yaml`` from the catalog, without I/O (and without litellm).

* ``model_list``: one group per model (every host that serves it: load-balanced) and one group per expert
  (``code``, ``reason``, ...: the deployments of the expert's preferred model). Providers: ``ollama_chat/`` for
  Ollama (``ollama/`` for embeddings) with the server's root as ``api_base``; ``openai/`` plus ``/v1`` for
  llama.cpp and other OpenAI-compatible servers; ``hosted_vllm/`` plus ``/v1`` for vLLM.
* ``api_key``: ``os.environ/<NAME>`` only, never a value: the role writes the values into the service's
  environment file (0600) from the vault.
* ``router_settings.fallbacks``: each expert group falls back to the next models of its chain, in order.
* ``tags``: each deployment carries the experts it serves, its tier and its host, for LiteLLM's tag routing
  (``enable_tag_filtering``; a request without tags is not filtered).

Shapes from LiteLLM's proxy documentation (docs.litellm.ai/docs/proxy/configs, /proxy/reliability,
/proxy/tag_routing, /proxy/health).

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

PROVIDERS = {'ollama': 'ollama_chat', 'llamacpp': 'openai', 'vllm': 'hosted_vllm', 'openai': 'openai'}
STRATEGIES = ('simple-shuffle', 'least-busy', 'latency-based-routing', 'usage-based-routing')
# releases that must never be installed: 1.82.7 and 1.82.8 were published by an attacker (BerriAI/litellm#24518)
BAD_RELEASES = ('1.82.7', '1.82.8')
DEFAULTS = {
    'routing_strategy': 'simple-shuffle', 'num_retries': 2, 'timeout': 600, 'allowed_fails': 1,
    'cooldown_time': 30, 'tag_filtering': True, 'master_key_env': 'LITELLM_MASTER_KEY',
    'background_health_checks': False, 'health_check_interval': 300, 'drop_params': True,
}


class GatewayError(ValueError):
    """A gateway setting of the wrong shape; the message names it."""


def litellm_params(dep):
    """The ``litellm_params`` of one deployment."""
    if dep['kind'] == 'ollama':
        provider = 'ollama' if dep['mode'] == 'embedding' else 'ollama_chat'
        return {'model': '%s/%s' % (provider, dep['served_name']), 'api_base': dep['url']}
    return {'model': '%s/%s' % (PROVIDERS[dep['kind']], dep['served_name']), 'api_base': dep['url'] + '/v1',
            'api_key': 'os.environ/%s' % dep['api_key_env']}


def _settings(settings):
    out = dict(DEFAULTS)
    for key, value in (settings or {}).items():
        if key not in DEFAULTS:
            raise GatewayError('gateway settings: %s: unknown; known: %s' % (key, ', '.join(sorted(DEFAULTS))))
        out[key] = value
    if out['routing_strategy'] not in STRATEGIES:
        raise GatewayError('routing_strategy: expected one of %s, got %r'
                           % (', '.join(STRATEGIES), out['routing_strategy']))
    for key in ('num_retries', 'timeout', 'allowed_fails', 'cooldown_time', 'health_check_interval'):
        if isinstance(out[key], bool) or not isinstance(out[key], (int, float)) or out[key] < 0:
            raise GatewayError('%s: expected a number of at least 0, got %r' % (key, out[key]))
    return out


def _entry(group, dep, categories):
    params = litellm_params(dep)
    params['tags'] = sorted(set(categories) | {'tier-%s' % dep['tier'], 'host-%s' % dep['host']})
    return {'model_name': group, 'litellm_params': params,
            'model_info': {'id': '%s@%s' % (group, dep['id']), 'mode': dep['mode'],
                           'health_check_timeout': dep['timeout']}}


def gateway_config(cat, settings=None):
    """The LiteLLM proxy config (a dict to dump as YAML) for a catalog."""
    opts = _settings(settings)
    by_model = {}
    for dep in cat.get('deployments') or ():
        by_model.setdefault(dep['model'], []).append(dep)
    serves = {}
    for category, chain in (cat.get('experts') or {}).items():
        for model in chain:
            serves.setdefault(model, set()).add(category)
    model_list = []
    for model in sorted(by_model):
        for dep in by_model[model]:
            model_list.append(_entry(model, dep, serves.get(model, ())))
    fallbacks = []
    for category, chain in sorted((cat.get('experts') or {}).items()):
        if not chain or category in by_model:
            continue  # a model of the same name already owns the group
        for dep in by_model.get(chain[0], ()):
            model_list.append(_entry(category, dep, serves.get(chain[0], ())))
        rest = [m for m in chain[1:] if m in by_model]
        if rest:
            fallbacks.append({category: rest})
    router = {'routing_strategy': opts['routing_strategy'], 'num_retries': opts['num_retries'],
              'timeout': opts['timeout'], 'allowed_fails': opts['allowed_fails'],
              'cooldown_time': opts['cooldown_time'], 'enable_tag_filtering': bool(opts['tag_filtering'])}
    if fallbacks:
        router['fallbacks'] = fallbacks
    general = {'master_key': 'os.environ/%s' % opts['master_key_env'],
               'background_health_checks': bool(opts['background_health_checks'])}
    if opts['background_health_checks']:
        general['health_check_interval'] = opts['health_check_interval']
    return {'model_list': model_list, 'router_settings': router,
            'litellm_settings': {'drop_params': bool(opts['drop_params'])}, 'general_settings': general}


def env_names(config):
    """Every environment variable the config reads (``os.environ/NAME``), sorted."""
    names = set()

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and value.startswith('os.environ/'):
            names.add(value[len('os.environ/'):])
    walk(config)
    return sorted(names)


def check_release(version):
    """Refuse a floating or known-malicious LiteLLM release: the version must be exact (X.Y.Z)."""
    text = str(version or '').strip()
    parts = text.split('.')
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise GatewayError('inference_gateway_version: expected an exact release such as 1.82.6 (never a range or '
                           '"latest"), got %r' % version)
    if text in BAD_RELEASES:
        raise GatewayError('inference_gateway_version: %s is one of the malicious PyPI releases (%s; '
                           'BerriAI/litellm#24518); pick another' % (text, ', '.join(BAD_RELEASES)))
    return text
