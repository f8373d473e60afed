"""homelab.cluster.endpoint_health: every endpoint probed at once within its own timeout, the native calls per
runtime, and the verdicts; HTTP answers are simulated, and a wedged server is a real loopback socket."""

import socket
import threading
import time

import pytest

from ansible_collections.homelab.cluster.plugins.modules import endpoint_health as M

LOADING = {'error': {'code': 503, 'message': 'Loading model', 'type': 'unavailable_error'}}


def fake(answers, seen=None):
    """call() stand-in: url -> (status, body) or an error kind."""
    def call(url, timeout, headers, validate_certs):
        if seen is not None:
            seen.append((url, headers.get('Authorization')))
        answer = answers.get(url, 'refused')
        if isinstance(answer, str):
            return None, None, answer, None, 1.0
        return answer[0], answer[1], None, None, 3.0
    return call


ANSWERS = {
    'http://gpu:11434/api/version': (200, {'version': '0.12.6'}),
    'http://gpu:11434/api/tags': (200, {'models': [{'name': 'qwen2.5-coder:7b'}]}),
    'http://gpu:11434/api/ps': (200, {'models': []}),
    'http://gpu:3009/health': (503, LOADING),
    'http://vllm:8000/health': (200, ''),
    'http://vllm:8000/v1/models': (200, {'data': [{'id': 'deepseek-ai/R1-8B'}]}),
    'http://gw:4000/health/liveliness': (200, "I'm alive!"),
    'http://gw:4000/health/readiness': (200, {'status': 'healthy', 'litellm_version': '1.82.6'}),
}
ENDPOINTS = [
    {'name': 'local/ollama', 'kind': 'ollama', 'url': 'http://gpu:11434', 'tier': 'gpu',
     'models': ['qwen2.5-coder:7b']},
    {'name': 'local/mark-i', 'kind': 'llamacpp', 'url': 'http://gpu:3009/v1', 'tier': 'gpu'},
    {'name': 'remote/vllm', 'kind': 'vllm', 'url': 'http://vllm:8000', 'tier': 'remote', 'api_key': 's3cret',
     'models': ['r1'], 'served_names': {'r1': 'deepseek-ai/R1-8B'}},
    {'name': 'nas/ollama', 'kind': 'ollama', 'url': 'http://nas:11434', 'tier': 'cpu'},
    {'name': 'keeper/litellm', 'kind': 'litellm', 'url': 'http://gw:4000', 'tier': 'gateway'},
]


def test_verdicts_tiers_and_prognosis(run_module, monkeypatch):
    seen = []
    monkeypatch.setattr(M, 'call', fake(ANSWERS, seen))
    out = run_module(M.main, {'endpoints': ENDPOINTS, 'experts': {'code': ['qwen2.5-coder:7b'], 'reason': ['r1']}})
    states = {e['name']: (e['state'], e['serving']) for e in out['endpoints']}
    assert states == {'local/ollama': ('HEALTHY', True), 'local/mark-i': ('DEGRADED', False),
                      'remote/vllm': ('HEALTHY', True), 'nas/ollama': ('DOWN', False),
                      'keeper/litellm': ('HEALTHY', True)}
    assert {t: v['state'] for t, v in out['tiers'].items()} == {
        'cpu': 'DOWN', 'gateway': 'HEALTHY', 'gpu': 'DEGRADED', 'remote': 'HEALTHY'}
    assert out['prognosis']['state'] == 'DEGRADED'
    assert out['coverage']['reason']['model'] == 'r1'
    assert out['changed'] is False
    paths = [url for url, _ in seen]
    assert 'http://gw:4000/health' not in paths  # never LiteLLM's /health
    assert 'http://gpu:3009/v1/models' not in paths  # a loading server is not asked for more
    assert ('http://vllm:8000/v1/models', 'Bearer s3cret') in seen and ('http://vllm:8000/health', None) in seen


def test_check_mode_probes_and_changes_nothing(run_module, monkeypatch):
    monkeypatch.setattr(M, 'call', fake(ANSWERS))
    out = run_module(M.main, {'endpoints': ENDPOINTS[:1]}, check_mode=True)
    assert out['changed'] is False and out['endpoints'][0]['state'] == 'HEALTHY'


def test_the_api_key_never_comes_back(run_module, monkeypatch):
    monkeypatch.setattr(M, 'call', fake(ANSWERS))
    out = run_module(M.main, {'endpoints': ENDPOINTS[2:3]})
    assert 's3cret' not in repr(out)


@pytest.mark.parametrize('args, message', [
    ({'endpoints': [ENDPOINTS[0], ENDPOINTS[0]]}, "endpoints[1].name: expected a unique name, got 'local/ollama'"),
    ({'endpoints': [dict(ENDPOINTS[0], url='gpu:11434')]}, "endpoints[0].url: expected http:// or https://"),
    ({'endpoints': ENDPOINTS[:1], 'experts': {'code': 'qwen'}}, "experts.code: expected a list of models"),
])
def test_bad_input_is_named(run_module, monkeypatch, args, message):
    monkeypatch.setattr(M, 'call', fake(ANSWERS))
    out = run_module(M.main, args)
    assert out['failed'] and message in out['msg']


@pytest.fixture
def wedged():
    """A server that accepts connections and never answers (a hang)."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen(8)
    held = []
    stop = threading.Event()

    def accept():
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue
    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:%d' % sock.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    sock.close()


def test_a_hang_is_cut_at_the_endpoints_own_timeout_and_probes_run_together(run_module, wedged):
    endpoints = [{'name': 'wedged-%d' % i, 'kind': 'llamacpp', 'url': wedged, 'timeout': 0.6} for i in range(4)]
    start = time.monotonic()
    out = run_module(M.main, {'endpoints': endpoints})
    elapsed = time.monotonic() - start
    assert all(e['state'] == 'DOWN' and 'no answer within' in e['reason'] for e in out['endpoints'])
    assert elapsed < 4 * 0.6  # four hangs of 0.6 s, probed at once


def test_a_refused_port_is_down(run_module):
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    out = run_module(M.main, {'endpoints': [{'name': 'gone', 'kind': 'ollama', 'url': 'http://127.0.0.1:%d' % port}]})
    assert out['endpoints'][0]['state'] == 'DOWN'
    assert 'connection refused' in out['endpoints'][0]['reason']
