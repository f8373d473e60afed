# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Endpoint health of model servers, without I/O: which native calls to make per runtime, what their answers
mean, each endpoint's state, each tier's verdict, the overall prognosis and the transitions between two runs.

The calls (each runtime's documented health endpoints):

* Ollama: ``GET /api/version`` (``{"version"}``), ``GET /api/tags`` (installed models), ``GET /api/ps``
  (models loaded in memory).
* llama.cpp ``llama-server``: ``GET /health``: 200 ``{"status":"ok"}``, 503 ``{"error":{"code":503,"message":
  "Loading model","type":"unavailable_error"}}`` while the model loads; then ``GET /v1/models``.
* vLLM: ``GET /health`` (200, empty body; 503 once the engine died), ``GET /v1/models``.
* LiteLLM proxy: ``GET /health/liveliness`` and ``GET /health/readiness``, never ``/health``, which calls every
  model and hangs while one of them is unreachable.
* Any OpenAI-compatible server: ``GET /v1/models``.

States: an endpoint, a tier and the prognosis are ``HEALTHY``, ``DEGRADED`` or ``DOWN`` (the prognosis adds
``CRITICAL``: the gateway answers but some expert has no model left). An endpoint is *serving* when a request
sent to it would be answered (healthy, slow, or missing some models); a model that is still loading is not.

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

HEALTHY, DEGRADED, DOWN, CRITICAL = 'HEALTHY', 'DEGRADED', 'DOWN', 'CRITICAL'
KINDS = ('ollama', 'llamacpp', 'vllm', 'litellm', 'openai')
DEFAULT_PORTS = {'ollama': 11434, 'llamacpp': 8080, 'vllm': 8000, 'litellm': 4000, 'openai': 8000}
DEFAULT_SLOW_MS = 2000
GATEWAY_TIER = 'gateway'

# (role, path) in the order they are made. A failed ``live`` call ends the endpoint's probe; ``models`` lists
# what is served (and is the liveness call of a plain OpenAI-compatible server); ``loaded`` and ``ready`` add
# detail. Nothing else is ever called: no generation, no /health on LiteLLM.
CHECKS = {
    'ollama': (('live', '/api/version'), ('models', '/api/tags'), ('loaded', '/api/ps')),
    'llamacpp': (('live', '/health'), ('models', '/v1/models')),
    'vllm': (('live', '/health'), ('models', '/v1/models')),
    'litellm': (('live', '/health/liveliness'), ('ready', '/health/readiness')),
    'openai': (('models', '/v1/models'),),
}
# calls that need the API key when the server has one (vLLM and llama.cpp leave /health open)
AUTHENTICATED = ('models', 'loaded')


class HealthError(ValueError):
    """An endpoint description that cannot be probed; the message names the endpoint and the field."""


def normalize_url(kind, url):
    """The server's base URL: no trailing slash, and no ``/v1`` (the checks add their own paths)."""
    base = (url or '').strip().rstrip('/')
    if base.endswith('/v1'):
        base = base[:-3]
    return base


def checks(kind):
    if kind not in CHECKS:
        raise HealthError('kind: expected one of %s, got %r' % (', '.join(KINDS), kind))
    return CHECKS[kind]


def _error_body(body):
    if isinstance(body, dict):
        err = body.get('error')
        if isinstance(err, dict):
            return str(err.get('message') or err.get('type') or '')
        if isinstance(err, str):
            return err
        return str(body.get('status') or body.get('detail') or '')
    return str(body or '')[:120]


def _model_names(kind, body):
    """Model names from /api/tags, /api/ps (``models[].name``/``model``) or /v1/models (``data[].id``)."""
    if not isinstance(body, dict):
        return None
    names = []
    if isinstance(body.get('models'), list) and kind == 'ollama':
        for item in body['models']:
            if isinstance(item, dict):
                names.append(str(item.get('name') or item.get('model') or ''))
    elif isinstance(body.get('data'), list):
        for item in body['data']:
            if isinstance(item, dict) and item.get('id'):
                names.append(str(item['id']))
    else:
        return None
    return sorted(n for n in set(names) if n)


def interpret(kind, role, status=None, body=None, error=None, elapsed_ms=0.0, path=''):
    """What one call said: {role, path, ok, status, ms, verdict, detail[, models, version]}.

    ``error`` is a transport failure ('refused', 'timeout', 'unreachable', 'tls') with ``body`` its detail;
    ``status``/``body`` are the HTTP status and the decoded JSON (or text) otherwise. ``verdict`` is what the
    call alone says about the endpoint: HEALTHY, DEGRADED (``loading``, ``busy``, ``unauthorized``, ``not
    ready``) or DOWN.
    """
    out = {'role': role, 'path': path, 'status': status, 'ms': round(float(elapsed_ms or 0), 1), 'ok': False}
    if error:
        what = {'refused': 'connection refused', 'timeout': 'no answer (timed out)',
                'unreachable': 'unreachable', 'tls': 'TLS failed'}.get(error, error)
        detail = body if (error == 'timeout' and body) else '%s%s' % (what, ': %s' % body if body else '')
        out.update(verdict=DOWN, detail=detail, error=error)
        return out
    if status == 200:
        out.update(ok=True, verdict=HEALTHY, detail='ok')
        if role in ('models', 'loaded'):
            names = _model_names(kind, body)
            if names is None:
                out.update(ok=False, verdict=DEGRADED if role == 'loaded' else DOWN,
                           detail='HTTP 200 but not a model list')
            else:
                out['models'] = names
        elif role == 'live' and kind == 'ollama':
            out['version'] = body.get('version') if isinstance(body, dict) else None
        elif role == 'ready' and isinstance(body, dict):
            out['version'] = body.get('litellm_version')
            if str(body.get('status', 'healthy')).lower() not in ('healthy', 'connected', 'ok'):
                out.update(ok=False, verdict=DEGRADED, detail='not ready: %s' % body.get('status'))
        return out
    message = _error_body(body)
    detail = 'HTTP %s%s' % (status, ' %s' % message if message else '')
    if status == 503 and kind == 'llamacpp' and role == 'live':
        loading = 'loading' in message.lower()
        out.update(verdict=DEGRADED, detail=('loading the model (%s)' if loading else 'busy (%s)') % detail,
                   state_hint='loading' if loading else 'busy')
    elif status in (401, 403) and role in AUTHENTICATED:
        out.update(verdict=DEGRADED, detail='%s: check the API key' % detail, state_hint='unauthorized')
    elif status == 503 and role == 'ready':
        out.update(verdict=DEGRADED, detail='not ready (%s)' % detail)
    elif status == 503 and kind == 'vllm':
        out.update(verdict=DOWN, detail='engine dead (%s)' % detail)
    elif role == 'loaded':
        out.update(verdict=DEGRADED, detail=detail)
    else:
        out.update(verdict=DOWN, detail=detail)
    return out


def model_matches(expected, found):
    """Whether a model the server lists is the expected one: exact, Ollama's implicit ``:latest``, or the file
    name of a llama.cpp model path (``/models/qwen2.5-coder-7b.gguf`` is ``qwen2.5-coder-7b``)."""
    if expected == found:
        return True
    if ':' not in expected and found == expected + ':latest':
        return True
    if ':' not in found and expected == found + ':latest':
        return True
    base = found.rsplit('/', 1)[-1]
    for suffix in ('.gguf', '.bin'):
        if base.endswith(suffix):
            base = base[:-len(suffix)]
    return base == expected


def missing_models(expected, found):
    if found is None:
        return []
    return [m for m in expected or () if not any(model_matches(m, f) for f in found)]


def classify_endpoint(spec, calls, slow_ms=DEFAULT_SLOW_MS):
    """One endpoint's verdict from its calls (``interpret`` results, in order).

    spec: {name, kind, tier, url, models (expected)}. Returns {name, kind, tier, url, served (expected), state,
    serving, reason, latency_ms, models (listed by the server), loaded, version, missing, checks}.
    """
    out = {'name': spec['name'], 'kind': spec['kind'], 'tier': spec.get('tier') or 'default',
           'url': spec.get('url'), 'served': list(spec.get('models') or ()),
           'served_names': dict(spec.get('served_names') or {}), 'models': None, 'loaded': None,
           'version': None, 'missing': [],
           'checks': list(calls), 'latency_ms': None}
    if not calls:
        out.update(state=DOWN, serving=False, reason='not probed')
        return out
    first = calls[0]
    out['latency_ms'] = first['ms']
    for call in calls:
        if call.get('models') is not None:
            out['models' if call['role'] == 'models' else 'loaded'] = call['models']
        if call.get('version'):
            out['version'] = call['version']
    if first['verdict'] == DOWN:
        out.update(state=DOWN, serving=False, reason='%s %s' % (first['path'], first['detail']))
        return out
    if first['verdict'] == DEGRADED:
        # the liveness call itself: loading (503) or not authorized to list models
        serving = first.get('state_hint') in ('unauthorized', 'busy')
        out.update(state=DEGRADED, serving=serving, reason='%s %s' % (first['path'], first['detail']))
        return out
    reasons = []
    for call in calls[1:]:
        if call['verdict'] != HEALTHY:
            reasons.append('%s %s' % (call['path'], call['detail']))
    aliases = spec.get('served_names') or {}
    out['missing'] = [m for m in spec.get('models') or ()
                      if missing_models([aliases.get(m, m)], out['models'])]
    if out['missing']:
        reasons.append('missing models: %s' % ', '.join(out['missing']))
    latency = float(out['latency_ms'] or 0)
    if slow_ms and latency > slow_ms:
        reasons.append('slow: %d ms > %d ms' % (latency, slow_ms))
    models_call = next((c for c in calls if c['role'] == 'models'), None)
    if models_call is not None and models_call['verdict'] == DOWN and models_call is not first:
        reasons.insert(0, 'answers but cannot list its models')
    out.update(state=DEGRADED if reasons else HEALTHY, serving=True, reason='; '.join(reasons) or 'ok')
    return out


def classify_tiers(endpoints):
    """Each tier's verdict: HEALTHY when every endpoint is, DOWN when none serves, else DEGRADED."""
    tiers = {}
    for ep in endpoints:
        tiers.setdefault(ep['tier'], []).append(ep)
    out = {}
    for tier, eps in sorted(tiers.items()):
        serving = [e['name'] for e in eps if e['serving']]
        healthy = [e['name'] for e in eps if e['state'] == HEALTHY]
        if len(healthy) == len(eps):
            state = HEALTHY
        elif not serving:
            state = DOWN
        else:
            state = DEGRADED
        out[tier] = {'state': state, 'total': len(eps), 'healthy': len(healthy), 'serving': len(serving),
                     'down': [e['name'] for e in eps if not e['serving']],
                     'degraded': [e['name'] for e in eps if e['serving'] and e['state'] != HEALTHY],
                     'endpoints': [e['name'] for e in eps]}
    return out


def serves(endpoint, model):
    """Whether a probed endpoint would answer for ``model``: it serves, and lists the model (or could not
    list; then the inventory's word is taken)."""
    if not endpoint.get('serving'):
        return False
    if model in (endpoint.get('missing') or ()):
        return False
    found = endpoint.get('models')
    if found is None:
        return model in (endpoint.get('served') or (model,))
    name = (endpoint.get('served_names') or {}).get(model, model)
    return any(model_matches(name, f) for f in found)


def expert_coverage(experts, endpoints):
    """For each expert (category -> models, preferred first): the first model a serving endpoint has.

    endpoints: classified endpoints, each with ``served`` (models the inventory puts there). Returns
    {category: {model, endpoint, preferred, fallback} or None}.
    """
    out = {}
    for category, chain in sorted((experts or {}).items()):
        if not chain:
            continue  # no model offers it: nothing to lose
        out[category] = None
        for model in chain:
            ep = next((e for e in endpoints if model in (e.get('served') or ()) and serves(e, model)), None)
            if ep is not None:
                out[category] = {'model': model, 'endpoint': ep['name'], 'preferred': chain[0] if chain else None,
                                 'fallback': model != chain[0]}
                break
    return out


def prognosis(tiers, coverage=None, gateway_tiers=(GATEWAY_TIER,)):
    """The overall verdict: {state, reasons, summary}.

    DOWN: no endpoint at all, a gateway tier DOWN (clients get no answer), or every model tier DOWN.
    CRITICAL: the gateway answers but some expert has no model left. DEGRADED: something is not healthy, but
    every request still finds a model. HEALTHY: everything is.
    """
    reasons = []
    model_tiers = {t: v for t, v in tiers.items() if t not in gateway_tiers}
    gateways = {t: v for t, v in tiers.items() if t in gateway_tiers}
    state = HEALTHY
    if not tiers:
        return {'state': DOWN, 'reasons': ['no endpoints to probe'], 'summary': 'DOWN: no endpoints'}
    for tier, verdict in sorted(gateways.items()):
        if verdict['state'] == DOWN:
            state = DOWN
            reasons.append('%s tier DOWN: clients get no answer (%s)' % (tier, ', '.join(verdict['down'])))
    if model_tiers and all(v['state'] == DOWN for v in model_tiers.values()):
        state = DOWN
        reasons.append('every model tier is DOWN')
    unserved = sorted(c for c, hit in (coverage or {}).items() if hit is None)
    if unserved:
        reasons.append('no model left for: %s' % ', '.join(unserved))
        if state != DOWN:
            state = CRITICAL
    for tier, verdict in sorted(tiers.items()):
        if verdict['state'] == HEALTHY or (tier in gateways and verdict['state'] == DOWN):
            continue  # healthy, or a dead gateway already said above
        reasons.append('%s tier %s (%s)' % (tier, verdict['state'], ', '.join(verdict['down'] + verdict['degraded'])))
        if state == HEALTHY:
            state = DEGRADED
    fallbacks = sorted(c for c, hit in (coverage or {}).items() if hit and hit['fallback'])
    if fallbacks:
        reasons.append('served by a fallback: %s' % ', '.join(
            '%s -> %s' % (c, coverage[c]['model']) for c in fallbacks))
    summary = state if not reasons else '%s: %s' % (state, '; '.join(reasons))
    return {'state': state, 'reasons': reasons or ['every endpoint is healthy'], 'summary': summary}


def snapshot(result, now, previous=None):
    """What a run leaves for the next one: the states and since when each has held. ``now``: epoch seconds."""
    previous = previous or {}
    before = previous.get('since') or {}
    states = {'prognosis': result['prognosis']['state']}
    for name, verdict in result['tiers'].items():
        states['tier/%s' % name] = verdict['state']
    for ep in result['endpoints']:
        states['endpoint/%s' % ep['name']] = ep['state']
    old = previous.get('states') or {}
    since = {key: (before.get(key, now) if old.get(key) == value else now) for key, value in states.items()}
    return {'version': 1, 'states': dict(sorted(states.items())), 'since': dict(sorted(since.items()))}


def transitions(previous, current, reasons=None):
    """What changed since the stored state: [{key, from, to, reason}]; the first run reports every non-healthy
    state (from None). ``reasons``: key -> why (endpoint reasons, tier members)."""
    old = (previous or {}).get('states') or {}
    out = []
    for key, value in sorted(current['states'].items()):
        before = old.get(key)
        if before == value or (before is None and value == HEALTHY):
            continue
        out.append({'key': key, 'from': before, 'to': value, 'reason': (reasons or {}).get(key, '')})
    for key in sorted(set(old) - set(current['states'])):
        out.append({'key': key, 'from': old[key], 'to': None, 'reason': 'no longer probed'})
    return out


def reasons_of(result):
    """key -> reason for transitions(): each endpoint's reason, each tier's members not healthy."""
    out = {'prognosis': result['prognosis']['summary']}
    for name, verdict in result['tiers'].items():
        out['tier/%s' % name] = ', '.join(verdict['down'] + verdict['degraded']) or 'all healthy'
    for ep in result['endpoints']:
        out['endpoint/%s' % ep['name']] = ep['reason']
    return out
