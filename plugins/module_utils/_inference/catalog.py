# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is served where, from the host views (no I/O): every model server of every host (its endpoint), every
model the VRAM planner placed on it (a deployment), and the expert chains. The gateway config, the router and
the health probe all read this one catalog, so they always agree.

Inputs per host view:

* ``vram_lineup`` (``homelab_vram_lineup``): the host's models, as ``homelab.cluster.vram_plan`` reads them.
* ``inference_servers`` (``homelab_inference_servers``): the host's model servers, each
  ``{name, runtime: ollama|llamacpp|vllm|openai, port, gpu, tier, timeout_s, api_key_env, manager: systemd|
  docker|none, unit, container, image, args, volume, start_order, start_timeout_s, models}``; only ``name`` and
  ``runtime`` are required. ``models`` names the lineup models the server runs, each a name or
  ``{name, experts, mode, served_name, tags}``: ``experts`` are the categories it serves, ``mode`` is ``chat``
  or ``embedding`` (``embed`` implies it), ``served_name`` is what the server calls it (a llama.cpp alias, a
  vLLM served model name). A lineup model no server names runs on the host's first server.

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
# where a category goes when none of its own models is left, followed on (reason -> chat -> fast): text categories
# fall back to the general model, and it to the fast one; a text model cannot see an image, nor embed
FALLBACK = {'code': 'chat', 'reason': 'chat', 'fast': 'chat', 'chat': 'fast'}
DEFAULT_TIMEOUT_S = {'ollama': 5, 'llamacpp': 8, 'vllm': 8, 'openai': 8}
SERVER_KEYS = ('name', 'runtime', 'port', 'address', 'scheme', 'gpu', 'tier', 'timeout_s', 'api_key_env',
               'manager', 'unit', 'container', 'image', 'args', 'volume', 'start_order', 'start_timeout_s', 'models')
# what a server says about each model it serves (the sizes stay in homelab_vram_lineup, for the VRAM planner)
MODEL_ATTRS = ('name', 'experts', 'mode', 'served_name', 'tags')
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


def _strings(where, value):
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        _fail(where, 'a list of strings', value)
    return list(value)


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
        'volume': raw.get('volume') or 'models-vol', 'args': _strings(where + '.args', raw.get('args', [])),
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


def _served(view, servers, raws, lineup):
    """(server, lineup entry, inference attributes) for every model of the host's lineup."""
    host = view['name']
    names = [m['name'] if isinstance(m, dict) else m for m in lineup]
    assigned = {}
    for s_index, (srv, raw) in enumerate(zip(servers, raws)):
        models = raw.get('models', [])
        where = '%s.homelab_inference_servers[%d].models' % (host, s_index)
        if isinstance(models, str) or not isinstance(models, (list, tuple)):
            _fail(where, 'a list of model names (or mappings with name) from homelab_vram_lineup', models)
        for m_index, item in enumerate(models):
            here = '%s[%d]' % (where, m_index)
            item = {'name': item} if isinstance(item, str) else item
            if not isinstance(item, dict):
                _fail(here, 'a model name or a mapping with name', item)
            unknown = sorted(set(item) - set(MODEL_ATTRS))
            if unknown:
                raise CatalogError('%s.%s: unknown key; known keys: %s' % (here, unknown[0], ', '.join(MODEL_ATTRS)))
            if item.get('name') not in names:
                _fail(here + '.name', 'a model of %s.homelab_vram_lineup (%s)' % (host, ', '.join(
                    str(n) for n in names) or 'empty'), item.get('name'))
            if item['name'] in assigned:
                _fail(here + '.name', 'a model served by one server of the host (%s has it)'
                      % assigned[item['name']][0]['server'], item['name'])
            assigned[item['name']] = (srv, item, here)
    out = []
    for index, entry in enumerate(lineup):
        name = names[index]
        if not isinstance(name, str) or not name:
            _fail('%s.homelab_vram_lineup[%d].name' % (host, index), 'a model name', entry)
        if name in names[:index]:
            _fail('%s.homelab_vram_lineup[%d].name' % (host, index), 'a model listed once per host', name)
        srv, item, where = assigned.get(name, (servers[0], {'name': name}, '%s.homelab_vram_lineup[%d]'
                                               % (host, index)))
        out.append((srv, entry, item, where))
    return out


def _host(view, max_utilization):
    host = view['name']
    raws = list(view.get('inference_servers') or ())
    servers = [_server(view, i, s) for i, s in enumerate(raws)]
    names = [s['server'] for s in servers]
    for i, name in enumerate(names):
        if name in names[:i]:
            _fail('%s.homelab_inference_servers[%d].name' % (host, i), 'a name unique on the host', name)
    lineup = view.get('vram_lineup') or []
    if not servers:
        return [], []
    entries = []
    for index, (srv, entry, item, where) in enumerate(_served(view, servers, raws, lineup)):
        experts = _experts_of(where, item)
        mode = item.get('mode', 'embedding' if 'embed' in experts else 'chat')
        if mode not in ('chat', 'embedding', 'completion'):
            _fail(where + '.mode', 'chat, embedding or completion', mode)
        try:
            need = model_need(entry, index)
        except VramError as exc:
            raise CatalogError('%s.homelab_vram_lineup: %s' % (host, exc)) from None
        entries.append({'name': need['name'], 'server': srv, 'experts': experts, 'mode': mode,
                        'served_name': str(item.get('served_name') or need['name']),
                        'tags': list(item.get('tags') or ()), 'need_gb': need['total_gb'], 'raw': entry,
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
        full, seen, step = list(chain), {category}, FALLBACK.get(category)
        while step and step not in seen:  # reason -> chat -> fast: any answer rather than none
            full.extend(name for name in base.get(step, ()) if name not in full)
            seen.add(step)
            step = FALLBACK.get(step)
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


def probe_specs(cat):
    """The endpoint_health module's ``endpoints`` option for a catalog."""
    return [{'name': e['name'], 'kind': e['kind'], 'url': e['url'], 'tier': e['tier'], 'timeout': e['timeout'],
             'models': list(e['models']), 'served_names': dict(e['served_names']),
             'api_key_env': e.get('api_key_env')} for e in cat['endpoints']]
