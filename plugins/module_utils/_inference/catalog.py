# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is served where, from the host views (no I/O): every model server of every host (its endpoint), every
model the VRAM planner placed on it (a deployment), and the expert chains. The gateway config, the router and
the health probe all read this one catalog, so they always agree.

Inputs per host view:

* ``inference_servers`` (``homelab_inference_servers``): the host's model servers, each
  ``{name, runtime: ollama|llamacpp|vllm|openai, port, gpu, tier, timeout_s, api_key_env, manager: systemd|
  docker|none, unit, container, image, volume, start_order, start_timeout_s}``; only ``name`` and
  ``runtime`` are required.
* ``vram_lineup`` (``homelab_vram_lineup``): the models, as ``homelab.cluster.vram_plan`` reads them, plus
  ``server`` (default: the host's first server), ``experts`` (categories it serves), ``mode`` (``chat`` or
  ``embedding``; ``embed`` implies ``embedding``), ``served_name`` (what the server calls it: a llama.cpp
  alias, a vLLM served model name; default the name) and ``tags``.

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

import re

from ansible_collections.homelab.cluster.plugins.module_utils._inference.health import DEFAULT_PORTS
from ansible_collections.homelab.cluster.plugins.module_utils._inference.health import GATEWAY_TIER
from ansible_collections.homelab.cluster.plugins.module_utils._vram import DEFAULT_MAX_UTILIZATION
from ansible_collections.homelab.cluster.plugins.module_utils._vram import VramError
from ansible_collections.homelab.cluster.plugins.module_utils._vram import model_need
from ansible_collections.homelab.cluster.plugins.module_utils._vram import vram_plan

RUNTIMES = ('ollama', 'llamacpp', 'vllm', 'openai')
MANAGERS = ('systemd', 'docker', 'none')
CATEGORIES = ('code', 'reason', 'chat', 'vision', 'fast', 'embed')
# where a category goes when none of its own models is left: text categories fall back to the general model
# (and chat to the fast one); a text model cannot see an image, nor embed
FALLBACK = {'code': 'chat', 'reason': 'chat', 'fast': 'chat', 'chat': 'fast'}
DEFAULT_TIMEOUT_S = {'ollama': 5, 'llamacpp': 8, 'vllm': 8, 'openai': 8}
SERVER_KEYS = ('name', 'runtime', 'port', 'address', 'scheme', 'gpu', 'tier', 'timeout_s', 'api_key_env',
               'manager', 'unit', 'container', 'image', 'volume', 'start_order', 'start_timeout_s')
_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]*$')
_ENV = re.compile(r'^[A-Z_][A-Z0-9_]*$')
_CATEGORY = re.compile(r'^[a-z0-9][a-z0-9_-]*$')


class CatalogError(ValueError):
    """Inventory data the catalog cannot use: ``host.field: expected ..., got ...``."""


def _fail(where, expected, got):
    raise CatalogError('%s: expected %s, got %r' % (where, expected, got))


def _int(where, value, minimum=0):
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        _fail(where, 'a whole number', value)
    try:
        number = int(value)
    except ValueError:
        _fail(where, 'a whole number', value)
    if number < minimum or float(value) != number:
        _fail(where, 'a whole number of at least %d' % minimum, value)
    return number


def env_name(host, server):
    """The environment variable that carries a server's API key on the gateway."""
    return 'HOMELAB_INFERENCE_KEY_%s_%s' % (re.sub(r'[^A-Z0-9]', '_', host.upper()),
                                            re.sub(r'[^A-Z0-9]', '_', server.upper()))


def _server(view, index, raw):
    host = view['name']
    where = '%s.homelab_inference_servers[%d]' % (host, index)
    if not isinstance(raw, dict):
        _fail(where, 'a mapping with name and runtime', raw)
    unknown = sorted(set(raw) - set(SERVER_KEYS))
    if unknown:
        raise CatalogError('%s.%s: unknown key; known keys: %s' % (where, unknown[0], ', '.join(SERVER_KEYS)))
    name = raw.get('name')
    if not isinstance(name, str) or not _NAME.match(name):
        _fail(where + '.name', 'a name of letters, digits, ".", "_" and "-"', name)
    runtime = raw.get('runtime')
    if runtime not in RUNTIMES:
        _fail(where + '.runtime', 'one of %s' % ', '.join(RUNTIMES), runtime)
    address = raw.get('address') or view.get('address')
    if not address:
        _fail('%s.address' % host, 'an address (ansible_host, or address in the hardware file)', None)
    port = _int(where + '.port', raw.get('port', DEFAULT_PORTS[runtime]), 1)
    scheme = raw.get('scheme', 'http')
    if scheme not in ('http', 'https'):
        _fail(where + '.scheme', 'http or https', scheme)
    gpu = raw.get('gpu', (view.get('vram_gb') or 0) > 0)
    if not isinstance(gpu, bool):
        _fail(where + '.gpu', 'a boolean', gpu)
    manager = raw.get('manager', 'docker')
    if manager not in MANAGERS:
        _fail(where + '.manager', 'one of %s' % ', '.join(MANAGERS), manager)
    key_env = raw.get('api_key_env', env_name(host, name))
    if not isinstance(key_env, str) or not _ENV.match(key_env):
        _fail(where + '.api_key_env', 'an environment variable name (A-Z, 0-9, _)', key_env)
    tier = raw.get('tier', 'gpu' if gpu else 'cpu')
    if not isinstance(tier, str) or not _CATEGORY.match(tier) or tier == GATEWAY_TIER:
        _fail(where + '.tier', 'a lower-case tier name other than %r' % GATEWAY_TIER, tier)
    return {
        'name': '%s/%s' % (host, name), 'host': host, 'server': name, 'kind': runtime,
        'url': '%s://%s:%d' % (scheme, address, port), 'address': address, 'port': port, 'tier': tier, 'gpu': gpu,
        'timeout': float(raw.get('timeout_s', DEFAULT_TIMEOUT_S[runtime])),
        'api_key_env': None if runtime == 'ollama' else key_env,
        'manager': manager, 'unit': raw.get('unit') or 'homelab-inference-%s.service' % name,
        'container': raw.get('container') or name, 'image': raw.get('image'),
        'volume': raw.get('volume') or 'models-vol',
        'start_order': _int(where + '.start_order', raw.get('start_order', index), 0),
        'start_timeout': _int(where + '.start_timeout_s', raw.get('start_timeout_s', 300), 1),
        'models': [], 'served_names': {},
    }


def _experts_of(where, entry):
    experts = entry.get('experts', [])
    if isinstance(experts, str) or not isinstance(experts, (list, tuple)):
        _fail(where + '.experts', 'a list of categories', experts)
    for i, category in enumerate(experts):
        if not isinstance(category, str) or not _CATEGORY.match(category):
            _fail('%s.experts[%d]' % (where, i), 'a lower-case category name', category)
    return list(experts)


def _host(view, max_utilization):
    host = view['name']
    servers = [_server(view, i, s) for i, s in enumerate(view.get('inference_servers') or ())]
    names = [s['server'] for s in servers]
    for i, name in enumerate(names):
        if name in names[:i]:
            _fail('%s.homelab_inference_servers[%d].name' % (host, i), 'a name unique on the host', name)
    lineup = view.get('vram_lineup') or []
    if not servers:
        if lineup:
            raise CatalogError('%s.homelab_vram_lineup: the host has models but no homelab_inference_servers to '
                               'serve them' % host)
        return [], []
    by_name = {s['server']: s for s in servers}
    entries = []
    for i, raw in enumerate(lineup):
        where = '%s.homelab_vram_lineup[%d]' % (host, i)
        entry = {'name': raw} if isinstance(raw, str) else raw
        if not isinstance(entry, dict) or not isinstance(entry.get('name'), str) or not entry['name']:
            _fail(where + '.name', 'a model name (a tag such as qwen2.5-coder:7b-q4_K_M)', entry)
        server = entry.get('server', servers[0]['server'])
        if server not in by_name:
            _fail(where + '.server', 'one of the host\'s servers (%s)' % ', '.join(names), server)
        experts = _experts_of(where, entry)
        mode = entry.get('mode', 'embedding' if 'embed' in experts else 'chat')
        if mode not in ('chat', 'embedding', 'completion'):
            _fail(where + '.mode', 'chat, embedding or completion', mode)
        if any(e['name'] == entry['name'] for e in entries):
            _fail(where + '.name', 'a model listed once per host', entry['name'])
        try:
            need = model_need(entry, i)
        except VramError as exc:
            raise CatalogError('%s.homelab_vram_lineup: %s' % (host, exc)) from None
        entries.append({'name': entry['name'], 'server': by_name[server], 'experts': experts, 'mode': mode,
                        'served_name': str(entry.get('served_name') or entry['name']),
                        'tags': list(entry.get('tags') or ()), 'need_gb': need['total_gb'], 'raw': entry,
                        'layers': need['layers']})
    on_gpu = [e for e in entries if e['server']['gpu']]
    placements = {}
    if on_gpu and any((g.get('vram_gb') or 0) > 0 for g in view.get('gpus') or ()):
        try:
            plan = vram_plan(view['gpus'], [e['raw'] for e in on_gpu], max_utilization=max_utilization)
        except VramError as exc:
            raise CatalogError('%s.homelab_vram_lineup: %s' % (host, exc)) from None
        placements = {e['name']: p for e, p in zip(on_gpu, plan['placements'])}
    deployments = []
    for entry in entries:
        srv = entry['server']
        place = placements.get(entry['name'])
        srv['models'].append(entry['name'])
        srv['served_names'][entry['name']] = entry['served_name']
        deployments.append({
            'id': '%s/%s' % (srv['name'], entry['name']), 'endpoint': srv['name'], 'host': host,
            'server': srv['server'], 'kind': srv['kind'], 'tier': srv['tier'], 'url': srv['url'],
            'model': entry['name'], 'served_name': entry['served_name'], 'mode': entry['mode'],
            'experts': entry['experts'], 'tags': entry['tags'], 'need_gb': entry['need_gb'],
            'placement': place['mode'] if place else 'cpu',
            'gpu_layers': place['gpu_layers'] if place else 0, 'layers': entry['layers'],
            'api_key_env': srv['api_key_env'], 'timeout': srv['timeout'],
        })
    servers.sort(key=lambda s: (s['start_order'], s['server']))
    return servers, deployments


def _chains(models, override):
    """Each category's models, preferred first, then its fallback category's."""
    base = {}
    chat_models = sorted((m for m in models.values() if m['mode'] != 'embedding'),
                         key=lambda m: (-m['need_gb'], m['name']))
    categories = set(CATEGORIES) | {c for m in models.values() for c in m['experts']}
    for category in categories:
        tagged = [m for m in chat_models if category in m['experts']]
        if category == 'embed':
            tagged = sorted((m for m in models.values() if m['mode'] == 'embedding'),
                            key=lambda m: ('embed' not in m['experts'], -m['need_gb'], m['name']))
        elif category == 'fast':
            tagged = sorted(tagged or chat_models, key=lambda m: (m['need_gb'], m['name']))
        elif category == 'chat' and not tagged:
            tagged = chat_models
        base[category] = [m['name'] for m in tagged]
    for category, chain in sorted((override or {}).items()):
        where = 'inference_experts.%s' % category
        if not isinstance(category, str) or not _CATEGORY.match(category):
            _fail('inference_experts', 'lower-case category names', category)
        if isinstance(chain, str) or not isinstance(chain, (list, tuple)):
            _fail(where, 'a list of model names, preferred first', chain)
        for i, name in enumerate(chain):
            if name not in models:
                _fail('%s[%d]' % (where, i), 'a model some host serves (%s)' % ', '.join(sorted(models)), name)
        base[category] = list(chain)
    chains = {}
    for category, chain in base.items():
        full = list(chain)
        for name in base.get(FALLBACK.get(category), ()):
            if name not in full:
                full.append(name)
        chains[category] = full
    return dict(sorted(chains.items()))


def catalog(views, experts=None, gateway=None, max_utilization=DEFAULT_MAX_UTILIZATION):
    """The catalog: {endpoints, deployments, models, experts, hosts, gateway}.

    views: host views (``homelab.cluster.host_views``); hosts without ``inference_servers`` serve nothing.
    experts: optional {category: [model, ...]} that replaces a category's chain from the lineups' ``experts``.
    gateway: optional {host, address, port, scheme} of the LiteLLM proxy; it is added as a ``litellm``
    endpoint of tier ``gateway`` (probed on /health/liveliness).
    """
    endpoints, deployments = [], []
    for view in views:
        servers, deps = _host(view, max_utilization)
        endpoints.extend(servers)
        deployments.extend(deps)
    models = {}
    for dep in deployments:
        model = models.setdefault(dep['model'], {'name': dep['model'], 'mode': dep['mode'], 'experts': [],
                                                 'need_gb': dep['need_gb'], 'deployments': []})
        if model['mode'] != dep['mode']:
            raise CatalogError('%s.homelab_vram_lineup: %s: expected mode %s as on the other hosts, got %s'
                               % (dep['host'], dep['model'], model['mode'], dep['mode']))
        model['deployments'].append(dep['id'])
        for category in dep['experts']:
            if category not in model['experts']:
                model['experts'].append(category)
    chains = _chains(models, experts)
    gw = None
    if gateway:
        gw = {'name': '%s/litellm' % gateway['host'], 'host': gateway['host'], 'server': 'litellm',
              'kind': 'litellm', 'tier': GATEWAY_TIER, 'gpu': False, 'models': [], 'served_names': {},
              'url': '%s://%s:%d' % (gateway.get('scheme', 'http'), gateway['address'], int(gateway['port'])),
              'timeout': float(gateway.get('timeout_s', 5)), 'api_key_env': None}
        endpoints.append(gw)
    return {'hosts': sorted({e['host'] for e in endpoints}), 'endpoints': endpoints, 'deployments': deployments,
            'models': dict(sorted(models.items())), 'experts': chains, 'gateway': gw}


def probe_specs(cat, slow=None):
    """The endpoint_health module's ``endpoints`` option for a catalog."""
    return [{'name': e['name'], 'kind': e['kind'], 'url': e['url'], 'tier': e['tier'], 'timeout': e['timeout'],
             'models': list(e['models']), 'served_names': dict(e['served_names']),
             'api_key_env': e.get('api_key_env')} for e in cat['endpoints']]
