# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Expert routing without I/O: a task category -> its preferred model -> the next best that a healthy server
still has. It walks the same catalog the gateway config is written from, so the two always agree.

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

from ansible_collections.homelab.cluster.plugins.module_utils._inference.health import DEGRADED
from ansible_collections.homelab.cluster.plugins.module_utils._inference.health import HEALTHY
from ansible_collections.homelab.cluster.plugins.module_utils._inference.health import model_matches


class RouteError(ValueError):
    """A category the catalog does not know, or health data of the wrong shape."""


def _health_map(health):
    if health is None:
        return None
    endpoints = health.get('endpoints') if isinstance(health, dict) else health
    if isinstance(endpoints, dict):
        endpoints = [dict(v, name=k) for k, v in endpoints.items()]
    if not isinstance(endpoints, list):
        raise RouteError('health: expected the result of homelab.cluster.endpoint_health (with endpoints), got %r'
                         % type(health).__name__)
    return {e['name']: e for e in endpoints if isinstance(e, dict) and 'name' in e}


def _why_not(dep, probed):
    """None when the deployment would answer, else why not."""
    if probed is None:
        return None
    ep = probed.get(dep['endpoint'])
    if ep is None:
        return 'not probed'
    if not ep.get('serving'):
        return '%s %s: %s' % (dep['endpoint'], ep.get('state', 'DOWN'), ep.get('reason', ''))
    if dep['model'] in (ep.get('missing') or ()):
        return '%s does not list %s' % (dep['endpoint'], dep['served_name'])
    found = ep.get('models')
    if found is not None and not any(model_matches(dep['served_name'], f) for f in found):
        return '%s does not list %s' % (dep['endpoint'], dep['served_name'])
    return None


def _rank(dep, probed):
    """Among the deployments of one model: healthy before degraded, GPU before CPU, then the fastest."""
    ep = (probed or {}).get(dep['endpoint']) or {}
    state = ep.get('state', HEALTHY)
    return ({HEALTHY: 0, DEGRADED: 1}.get(state, 2), dep['placement'] == 'cpu',
            ep.get('latency_ms') or 0, dep['id'])


def route(cat, category, health=None):
    """The model and server a request of ``category`` goes to.

    health: the endpoint_health result (or its ``endpoints`` list); None takes every server as healthy.
    Returns {category, model, preferred, fallback, deployment, endpoint, url, gateway_model, chain, skipped}; with
    no model left, model/deployment/endpoint are None and ``reason`` says why.
    """
    chains = cat.get('experts') or {}
    if category not in chains:
        raise RouteError('category: expected one of %s, got %r' % (', '.join(sorted(chains)) or 'none', category))
    chain = chains[category]
    probed = _health_map(health)
    by_model = {}
    for dep in cat.get('deployments') or ():
        by_model.setdefault(dep['model'], []).append(dep)
    skipped = []
    for model in chain:
        deps = by_model.get(model) or []
        usable = [d for d in deps if _why_not(d, probed) is None]
        if usable:
            dep = min(usable, key=lambda d: _rank(d, probed))
            return {'category': category, 'model': model, 'preferred': chain[0], 'fallback': model != chain[0],
                    'deployment': dep['id'], 'endpoint': dep['endpoint'], 'url': dep['url'],
                    'served_name': dep['served_name'], 'gateway_model': category, 'chain': list(chain),
                    'skipped': skipped, 'reason': 'preferred model' if model == chain[0] else
                    'fallback: %s' % '; '.join('%s (%s)' % (s['model'], s['reason']) for s in skipped)}
        reasons = [_why_not(d, probed) for d in deps] or ['served by no host']
        skipped.append({'model': model, 'reason': '; '.join(reasons)})
    return {'category': category, 'model': None, 'preferred': chain[0] if chain else None, 'fallback': False,
            'deployment': None, 'endpoint': None, 'url': None, 'served_name': None, 'gateway_model': category,
            'chain': list(chain), 'skipped': skipped,
            'reason': 'no model left for %s%s' % (category, ': ' + '; '.join(
                '%s (%s)' % (s['model'], s['reason']) for s in skipped) if skipped else ' (no model serves it)')}


def routes(cat, health=None):
    """route() for every category of the catalog."""
    return {category: route(cat, category, health) for category in sorted(cat.get('experts') or {})}
