#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: endpoint_health
short_description: Health of model servers and the LiteLLM gateway, per endpoint, per tier and overall
version_added: 0.1.0
description:
  - Probes every endpoint at once (one thread each, up to O(concurrency)) with each runtime's own health calls,
    each endpoint within its own O(endpoints[].timeout), and classifies it V(HEALTHY), V(DEGRADED) or V(DOWN).
  - Ollama - C(GET /api/version), C(/api/tags) (installed models) and C(/api/ps) (models in memory).
  - llama.cpp C(llama-server) - C(GET /health) (200 ok; 503 C(Loading model) while it loads, which is
    V(DEGRADED) and not serving), then C(/v1/models).
  - vLLM - C(GET /health) (503 once the engine died) and C(/v1/models).
  - LiteLLM - C(GET /health/liveliness) and C(/health/readiness). Never C(/health), which calls every model and
    hangs while one is unreachable.
  - Any OpenAI-compatible server - C(GET /v1/models).
  - A refused connection, a server that accepts but never answers (a hang, cut at the timeout), an HTTP error
    or an answer that is not a model list is V(DOWN). Loading, a slow answer (over O(slow_ms)), a missing
    expected model or a refused API key is V(DEGRADED).
  - Each tier is V(HEALTHY) when all its endpoints are, V(DOWN) when none serves, else V(DEGRADED). The
    prognosis is V(DOWN) when a gateway tier or every model tier is down, V(CRITICAL) when an expert of
    O(experts) has no model left, V(DEGRADED) when anything else is not healthy, else V(HEALTHY).
  - It only reads; it changes nothing and never sends a prompt. Playbook C(inference_health.yml) keeps the
    states between runs on the logic node and calls a webhook when they change.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  endpoints:
    description:
      - The endpoints, usually from P(homelab.cluster.inference_catalog#filter) (its C(probes)).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Name in the result (V(forge/ollama)).
        type: str
        required: true
      url:
        description: Base URL of the server (V(http://10.0.30.10:11434)); a trailing C(/v1) is ignored.
        type: str
        required: true
      kind:
        description: The runtime, which decides the calls.
        type: str
        choices: [ollama, llamacpp, vllm, litellm, openai]
        default: openai
      tier:
        description: The tier it belongs to (V(gpu), V(cpu), V(gateway), or your own names).
        type: str
        default: default
      timeout:
        description: Seconds for all of this endpoint's calls together. Default O(timeout).
        type: float
      models:
        description: Models this server should have (by the names the inventory uses); missing ones are reported.
        type: list
        elements: str
        default: []
      served_names:
        description: Inventory name -> the name the server lists, where they differ.
        type: dict
        default: {}
      api_key:
        description: Bearer token for the model list (vLLM and llama.cpp started with C(--api-key)).
        type: str
      api_key_env:
        description: The name of this endpoint's key in O(api_keys) (the gateway's environment variable).
        type: str
  api_keys:
    description:
      - Environment variable name -> API key (the gateway's keys, from the vault). An endpoint without
        O(endpoints[].api_key) uses the one named by its O(endpoints[].api_key_env).
    type: dict
    default: {}
  timeout:
    description: Default seconds per endpoint.
    type: float
    default: 5
  slow_ms:
    description: An endpoint whose first call takes longer is V(DEGRADED) (slow). V(0) turns this off.
    type: int
    default: 2000
  experts:
    description: Category -> models, preferred first (the catalog's C(experts)); an expert with no model left
      makes the prognosis V(CRITICAL).
    type: dict
    default: {}
  gateway_tiers:
    description: Tiers whose loss means clients get no answer at all.
    type: list
    elements: str
    default: [gateway]
  concurrency:
    description: Endpoints probed at the same time.
    type: int
    default: 16
  validate_certs:
    description: Verify TLS certificates of https endpoints.
    type: bool
    default: true
notes:
  - Probe from a host that sees every network the servers are on; the playbooks use the always-on logic node.
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_no_diff
'''

EXAMPLES = r'''
- name: Probe the tier from the logic node
  homelab.cluster.endpoint_health:
    endpoints:
      - {name: local/ollama, kind: ollama, url: "http://10.0.30.10:11434", tier: gpu, models: [qwen2.5-coder:7b]}
      - {name: remote/mark-i, kind: llamacpp, url: "http://10.0.10.30:3009/v1", tier: remote, timeout: 8}
      - {name: keeper/litellm, kind: litellm, url: "http://10.0.30.5:4000", tier: gateway}
    experts: {code: [qwen2.5-coder:7b, qwen2.5:14b]}
  register: inference

- name: Print the prognosis
  ansible.builtin.debug:
    msg: "{{ inference.prognosis.summary }}"
'''

RETURN = r'''
endpoints:
  description: Each endpoint's verdict, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The endpoint.
      type: str
    state:
      description: V(HEALTHY), V(DEGRADED) or V(DOWN).
      type: str
    serving:
      description: A request sent now would be answered (false while a model loads).
      type: bool
    reason:
      description: Why, for example V(ok) or V(/health loading the model (HTTP 503 Loading model)).
      type: str
    latency_ms:
      description: Milliseconds of the first call.
      type: float
    models:
      description: Models the server lists (null when it could not be asked).
      type: list
      elements: str
    loaded:
      description: Models in memory (Ollama C(/api/ps)).
      type: list
      elements: str
    missing:
      description: Expected models the server does not list.
      type: list
      elements: str
    version:
      description: Server version, where the calls tell it.
      type: str
    checks:
      description: Every call made, with its role, path, HTTP status, milliseconds, verdict and detail.
      type: list
      elements: dict
  sample:
    - {name: local/ollama, state: HEALTHY, serving: true, reason: ok, latency_ms: 3.1, models: [qwen2.5-coder:7b]}
tiers:
  description: Tier -> C(state), C(total), C(healthy), C(serving), C(down), C(degraded), C(endpoints).
  returned: always
  type: dict
  sample: {gpu: {state: DEGRADED, total: 2, healthy: 1, serving: 1, down: [local/mark-i], degraded: []}}
coverage:
  description: Expert -> the model that would answer (C(model), C(endpoint), C(fallback)), or null.
  returned: always
  type: dict
prognosis:
  description: C(state) (V(HEALTHY), V(DEGRADED), V(CRITICAL), V(DOWN)), C(reasons) and a one-line C(summary).
  returned: always
  type: dict
  sample: {state: DEGRADED, summary: "DEGRADED: gpu tier DEGRADED (local/mark-i)", reasons: []}
'''

import json
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.error import HTTPError
from urllib.error import URLError

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.urls import open_url

from ansible_collections.homelab.cluster.plugins.module_utils._inference.health import AUTHENTICATED
from ansible_collections.homelab.cluster.plugins.module_utils._inference.health import KINDS
from ansible_collections.homelab.cluster.plugins.module_utils._inference.health import checks
from ansible_collections.homelab.cluster.plugins.module_utils._inference.health import classify_endpoint
from ansible_collections.homelab.cluster.plugins.module_utils._inference.health import classify_tiers
from ansible_collections.homelab.cluster.plugins.module_utils._inference.health import expert_coverage
from ansible_collections.homelab.cluster.plugins.module_utils._inference.health import interpret
from ansible_collections.homelab.cluster.plugins.module_utils._inference.health import normalize_url
from ansible_collections.homelab.cluster.plugins.module_utils._inference.health import prognosis


def _decode(raw):
    text = raw.decode('utf-8', 'replace') if isinstance(raw, bytes) else (raw or '')
    try:
        return json.loads(text)
    except ValueError:
        return text.strip()


def _transport(exc):
    """(error kind, detail) of a failed connection."""
    reason = getattr(exc, 'reason', exc)
    if isinstance(reason, (socket.timeout, TimeoutError)) or 'timed out' in to_native(reason):
        return 'timeout', None
    if isinstance(reason, ConnectionRefusedError) or 'refused' in to_native(reason).lower():
        return 'refused', None
    if isinstance(reason, ssl.SSLError) or 'CERTIFICATE' in to_native(reason).upper():
        return 'tls', to_native(reason)
    return 'unreachable', to_native(reason)


def call(url, timeout, headers, validate_certs):
    """One GET: (status, body, error, detail, ms)."""
    start = time.monotonic()
    try:
        resp = open_url(url, method='GET', headers=headers, timeout=max(timeout, 0.05),
                        validate_certs=validate_certs, follow_redirects='safe')
        body = _decode(resp.read())
        return resp.getcode(), body, None, None, (time.monotonic() - start) * 1000
    except HTTPError as exc:
        try:
            body = _decode(exc.read())
        except Exception:  # noqa: BLE001 - a body that cannot be read is no body
            body = None
        return exc.code, body, None, None, (time.monotonic() - start) * 1000
    except (URLError, socket.timeout, TimeoutError, OSError, ValueError) as exc:
        error, detail = _transport(exc)
        return None, detail, error, detail, (time.monotonic() - start) * 1000
    except Exception as exc:  # noqa: BLE001 - http.client raises its own kinds (RemoteDisconnected, BadStatusLine)
        return None, to_native(exc), 'unreachable', to_native(exc), (time.monotonic() - start) * 1000


def probe(spec, default_timeout, validate_certs):
    """Every call of one endpoint, within its own deadline; a failed liveness call ends the probe."""
    timeout = spec.get('timeout') or default_timeout
    deadline = time.monotonic() + timeout
    base = normalize_url(spec['kind'], spec['url'])
    results = []
    for role, path in checks(spec['kind']):
        left = deadline - time.monotonic()
        if left <= 0:
            results.append(interpret(spec['kind'], role, error='timeout', path=path,
                                     body='the endpoint timeout of %g s was used up' % timeout))
            break
        headers = {'Accept': 'application/json'}
        if spec.get('api_key') and role in AUTHENTICATED + (('models',) if spec['kind'] == 'openai' else ()):
            headers['Authorization'] = 'Bearer %s' % spec['api_key']
        status, body, error, detail, ms = call(base + path, left, headers, validate_certs)
        if error == 'timeout':
            detail = 'no answer within %.1f s' % left
        result = interpret(spec['kind'], role, status=status, body=detail if error else body, error=error,
                           elapsed_ms=ms, path=path)
        results.append(result)
        if role in ('live',) and result['verdict'] != 'HEALTHY':
            break
        if role == 'models' and spec['kind'] == 'openai' and result['verdict'] == 'DOWN':
            break
    return results


def main():
    module = AnsibleModule(
        argument_spec=dict(
            endpoints=dict(type='list', elements='dict', required=True, options=dict(
                name=dict(type='str', required=True),
                url=dict(type='str', required=True),
                kind=dict(type='str', choices=list(KINDS), default='openai'),
                tier=dict(type='str', default='default'),
                timeout=dict(type='float'),
                models=dict(type='list', elements='str', default=[]),
                served_names=dict(type='dict', default={}),
                api_key=dict(type='str', no_log=True),
                api_key_env=dict(type='str', no_log=False),
            )),
            api_keys=dict(type='dict', default={}, no_log=True),
            timeout=dict(type='float', default=5),
            slow_ms=dict(type='int', default=2000),
            experts=dict(type='dict', default={}),
            gateway_tiers=dict(type='list', elements='str', default=['gateway']),
            concurrency=dict(type='int', default=16),
            validate_certs=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    specs = p['endpoints']
    names = [s['name'] for s in specs]
    for i, name in enumerate(names):
        if name in names[:i]:
            module.fail_json(msg='homelab.cluster.endpoint_health: endpoints[%d].name: expected a unique name, got %r'
                             % (i, name))
        if not specs[i]['url'].startswith(('http://', 'https://')):
            module.fail_json(msg='homelab.cluster.endpoint_health: endpoints[%d].url: expected http:// or https://, '
                             'got %r' % (i, specs[i]['url']))
    for category, chain in p['experts'].items():
        if not isinstance(chain, list):
            module.fail_json(msg='homelab.cluster.endpoint_health: experts.%s: expected a list of models, got %r'
                             % (category, chain))
    for spec in specs:
        if not spec.get('api_key') and spec.get('api_key_env'):
            spec['api_key'] = p['api_keys'].get(spec['api_key_env'])
    workers = max(1, min(p['concurrency'], len(specs) or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        calls = list(pool.map(lambda s: probe(s, p['timeout'], p['validate_certs']), specs))
    endpoints = [classify_endpoint(s, c, p['slow_ms']) for s, c in zip(specs, calls)]
    tiers = classify_tiers(endpoints)
    coverage = expert_coverage(p['experts'], endpoints)
    module.exit_json(changed=False, endpoints=endpoints, tiers=tiers, coverage=coverage,
                     prognosis=prognosis(tiers, coverage, tuple(p['gateway_tiers'])))


if __name__ == '__main__':
    main()
