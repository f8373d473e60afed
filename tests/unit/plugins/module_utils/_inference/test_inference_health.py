"""Endpoint health without I/O: what each runtime's answers mean, endpoint states, tier verdicts, the prognosis
and the transitions between runs (module_utils/_inference/health.py)."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._inference import health as H

LOADING = {'error': {'code': 503, 'message': 'Loading model', 'type': 'unavailable_error'}}
TAGS = {'models': [{'name': 'qwen2.5-coder:7b', 'model': 'qwen2.5-coder:7b'}, {'name': 'nomic-embed-text:latest'}]}
V1 = {'object': 'list', 'data': [{'id': 'qwen2.5-14b', 'object': 'model'}]}


@pytest.mark.parametrize('kind, paths', [
    ('ollama', ['/api/version', '/api/tags', '/api/ps']),
    ('llamacpp', ['/health', '/v1/models']),
    ('vllm', ['/health', '/v1/models']),
    ('litellm', ['/health/liveliness', '/health/readiness']),
    ('openai', ['/v1/models']),
])
def test_each_runtime_gets_its_native_calls(kind, paths):
    assert [path for _role, path in H.checks(kind)] == paths


def test_litellm_is_never_probed_on_health():
    assert '/health' not in [path for _role, path in H.checks('litellm')]


def test_an_unknown_kind_is_named():
    with pytest.raises(H.HealthError, match="kind: expected one of ollama, llamacpp, vllm, litellm, openai, got 'tgi'"):
        H.checks('tgi')


@pytest.mark.parametrize('kind, role, status, body, error, verdict, detail', [
    ('llamacpp', 'live', 200, {'status': 'ok'}, None, 'HEALTHY', 'ok'),
    ('llamacpp', 'live', 503, LOADING, None, 'DEGRADED', 'loading the model (HTTP 503 Loading model)'),
    ('llamacpp', 'live', 503, {'status': 'no slot available'}, None, 'DEGRADED', 'busy'),
    ('vllm', 'live', 503, '', None, 'DOWN', 'engine dead (HTTP 503)'),
    ('vllm', 'models', 401, {'error': 'Unauthorized'}, None, 'DEGRADED', 'check the API key'),
    ('ollama', 'live', 404, '404 page not found', None, 'DOWN', 'HTTP 404 404 page not found'),
    ('ollama', 'models', 200, {'nothing': 1}, None, 'DOWN', 'not a model list'),
    ('ollama', 'loaded', 500, {'error': 'boom'}, None, 'DEGRADED', 'HTTP 500 boom'),
    ('openai', 'models', None, None, 'refused', 'DOWN', 'connection refused'),
    ('openai', 'models', None, 'no answer within 1.5 s', 'timeout', 'DOWN', 'no answer within 1.5 s'),
    ('litellm', 'ready', 503, {'detail': 'Service Unhealthy (db)'}, None, 'DEGRADED', 'not ready'),
    ('litellm', 'ready', 200, {'status': 'unhealthy'}, None, 'DEGRADED', 'not ready: unhealthy'),
])
def test_what_one_answer_means(kind, role, status, body, error, verdict, detail):
    out = H.interpret(kind, role, status=status, body=body, error=error, path='/x')
    assert out['verdict'] == verdict
    assert detail in out['detail']


def test_model_lists_and_versions_are_read():
    assert H.interpret('ollama', 'models', 200, TAGS)['models'] == ['nomic-embed-text:latest', 'qwen2.5-coder:7b']
    assert H.interpret('llamacpp', 'models', 200, V1)['models'] == ['qwen2.5-14b']
    assert H.interpret('ollama', 'live', 200, {'version': '0.12.6'})['version'] == '0.12.6'
    assert H.interpret('litellm', 'ready', 200, {'status': 'healthy', 'litellm_version': '1.82.6'})['version'] \
        == '1.82.6'


@pytest.mark.parametrize('expected, found, match', [
    ('qwen2.5-coder:7b', 'qwen2.5-coder:7b', True),
    ('nomic-embed-text', 'nomic-embed-text:latest', True),
    ('nomic-embed-text:latest', 'nomic-embed-text', True),
    ('qwen2.5-coder-7b', '/models/qwen2.5-coder-7b.gguf', True),
    ('qwen2.5-coder:7b', 'qwen2.5-coder:1.5b', False),
])
def test_model_names_match_as_servers_list_them(expected, found, match):
    assert H.model_matches(expected, found) is match


def call(kind, role, status=200, body=None, error=None, ms=5.0):
    return H.interpret(kind, role, status=status, body=body, error=error, elapsed_ms=ms, path='/' + role)


SPEC = {'name': 'local/ollama', 'kind': 'ollama', 'tier': 'gpu', 'url': 'http://h:11434',
        'models': ['qwen2.5-coder:7b', 'nomic-embed-text']}


@pytest.mark.parametrize('calls, state, serving, reason', [
    ([call('ollama', 'live', body={'version': '1'}), call('ollama', 'models', body=TAGS),
      call('ollama', 'loaded', body={'models': []})], 'HEALTHY', True, 'ok'),
    ([call('ollama', 'live', error='refused', status=None)], 'DOWN', False, '/live connection refused'),
    ([call('ollama', 'live', body={'version': '1'}, ms=2500), call('ollama', 'models', body=TAGS)],
     'DEGRADED', True, 'slow: 2500 ms > 2000 ms'),
    ([call('ollama', 'live', body={'version': '1'}), call('ollama', 'models', body={'models': []})],
     'DEGRADED', True, 'missing models: qwen2.5-coder:7b, nomic-embed-text'),
    ([call('ollama', 'live', body={'version': '1'}), call('ollama', 'models', error='timeout', status=None)],
     'DEGRADED', True, 'answers but cannot list its models'),
    ([], 'DOWN', False, 'not probed'),
])
def test_endpoint_states(calls, state, serving, reason):
    out = H.classify_endpoint(SPEC, calls)
    assert (out['state'], out['serving']) == (state, serving)
    assert reason in out['reason']


def test_a_loading_llamacpp_is_degraded_and_not_serving():
    spec = dict(SPEC, kind='llamacpp', name='local/mark-i', models=['qwen2.5:14b'])
    out = H.classify_endpoint(spec, [call('llamacpp', 'live', 503, LOADING)])
    assert (out['state'], out['serving']) == ('DEGRADED', False)
    assert 'Loading model' in out['reason']


def test_served_names_map_inventory_names_to_what_the_server_lists():
    spec = dict(SPEC, kind='llamacpp', models=['qwen2.5:14b'], served_names={'qwen2.5:14b': 'qwen2.5-14b'})
    calls = [call('llamacpp', 'live', body={'status': 'ok'}), call('llamacpp', 'models', body=V1)]
    out = H.classify_endpoint(spec, calls)
    assert out['state'] == 'HEALTHY' and out['missing'] == []
    assert H.serves(out, 'qwen2.5:14b')


def ep(name, tier, state, serving=None, served=(), models=None):
    return {'name': name, 'tier': tier, 'state': state, 'serving': state != 'DOWN' if serving is None else serving,
            'served': list(served), 'models': models, 'missing': [], 'served_names': {}}


def test_tier_verdicts():
    tiers = H.classify_tiers([ep('a', 'gpu', 'HEALTHY'), ep('b', 'gpu', 'DOWN'), ep('c', 'cpu', 'DOWN'),
                              ep('d', 'cpu', 'DEGRADED', serving=False), ep('e', 'nas', 'HEALTHY')])
    assert tiers['gpu']['state'] == 'DEGRADED' and tiers['gpu']['down'] == ['b']
    assert tiers['cpu']['state'] == 'DOWN' and tiers['cpu']['serving'] == 0
    assert tiers['nas']['state'] == 'HEALTHY'


@pytest.mark.parametrize('eps, coverage, state, reason', [
    ([ep('g', 'gateway', 'HEALTHY'), ep('a', 'gpu', 'HEALTHY')], {}, 'HEALTHY', 'every endpoint is healthy'),
    ([ep('g', 'gateway', 'HEALTHY'), ep('a', 'gpu', 'DOWN'), ep('b', 'cpu', 'HEALTHY')], {}, 'DEGRADED',
     'gpu tier DOWN (a)'),
    ([ep('g', 'gateway', 'DOWN'), ep('a', 'gpu', 'HEALTHY')], {}, 'DOWN', 'gateway tier DOWN: clients get no answer'),
    ([ep('g', 'gateway', 'HEALTHY'), ep('a', 'gpu', 'DOWN')], {}, 'DOWN', 'every model tier is DOWN'),
    ([ep('g', 'gateway', 'HEALTHY'), ep('a', 'gpu', 'HEALTHY')], {'vision': None}, 'CRITICAL',
     'no model left for: vision'),
    ([], {}, 'DOWN', 'no endpoints to probe'),
])
def test_prognosis(eps, coverage, state, reason):
    out = H.prognosis(H.classify_tiers(eps), coverage)
    assert out['state'] == state
    assert reason in ' | '.join(out['reasons'])
    assert out['summary'].startswith(state)


def test_expert_coverage_takes_the_next_model_a_serving_endpoint_lists():
    eps = [ep('local/ollama', 'gpu', 'DOWN', served=['coder']), ep('remote/mark', 'gpu', 'HEALTHY', served=['chat'])]
    cover = H.expert_coverage({'code': ['coder', 'chat'], 'vision': [], 'embed': ['embedder']}, eps)
    assert cover['code'] == {'model': 'chat', 'endpoint': 'remote/mark', 'preferred': 'coder', 'fallback': True}
    assert 'vision' not in cover  # offered by nobody: nothing to lose
    assert cover['embed'] is None
    assert 'served by a fallback: code -> chat' in H.prognosis(H.classify_tiers(eps), cover)['reasons']


RESULT = {'prognosis': {'state': 'DEGRADED', 'summary': 'DEGRADED: gpu'},
          'tiers': {'gpu': {'state': 'DEGRADED', 'down': ['local/ollama'], 'degraded': []}},
          'endpoints': [{'name': 'local/ollama', 'state': 'DOWN', 'reason': 'connection refused'},
                        {'name': 'local/mark-i', 'state': 'HEALTHY', 'reason': 'ok'}]}


def test_first_run_reports_what_is_not_healthy_and_keeps_since():
    state = H.snapshot(RESULT, 100.0)
    changes = H.transitions(None, state, H.reasons_of(RESULT))
    assert [c['key'] for c in changes] == ['endpoint/local/ollama', 'prognosis', 'tier/gpu']
    assert changes[0] == {'key': 'endpoint/local/ollama', 'from': None, 'to': 'DOWN', 'reason': 'connection refused'}
    again = H.snapshot(RESULT, 160.0, state)
    assert again == state  # nothing changed: the stored state stays byte for byte
    assert H.transitions(state, again) == []


def test_a_recovery_is_a_transition_and_moves_since():
    state = H.snapshot(RESULT, 100.0)
    healthy = {'prognosis': {'state': 'HEALTHY', 'summary': 'HEALTHY'},
               'tiers': {'gpu': {'state': 'HEALTHY', 'down': [], 'degraded': []}},
               'endpoints': [{'name': 'local/ollama', 'state': 'HEALTHY', 'reason': 'ok'},
                             {'name': 'local/mark-i', 'state': 'HEALTHY', 'reason': 'ok'}]}
    after = H.snapshot(healthy, 200.0, state)
    changes = H.transitions(state, after, H.reasons_of(healthy))
    assert {(c['key'], c['from'], c['to']) for c in changes} == {
        ('endpoint/local/ollama', 'DOWN', 'HEALTHY'), ('prognosis', 'DEGRADED', 'HEALTHY'),
        ('tier/gpu', 'DEGRADED', 'HEALTHY')}
    assert after['since']['endpoint/local/ollama'] == 200.0
    assert after['since']['endpoint/local/mark-i'] == 100.0


def test_an_endpoint_no_longer_probed_is_reported_once():
    state = H.snapshot(RESULT, 100.0)
    fewer = dict(RESULT, endpoints=RESULT['endpoints'][1:])
    changes = H.transitions(state, H.snapshot(fewer, 200.0, state))
    assert {'key': 'endpoint/local/ollama', 'from': 'DOWN', 'to': None, 'reason': 'no longer probed'} in changes


@pytest.mark.parametrize('url, base', [
    ('http://h:3009/v1', 'http://h:3009'), ('http://h:3009/v1/', 'http://h:3009'), ('http://h:11434', 'http://h:11434'),
])
def test_base_urls(url, base):
    assert H.normalize_url('llamacpp', url) == base
