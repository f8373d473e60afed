"""The catalog, expert routing and the LiteLLM config from host views (module_utils/_inference/catalog.py,
routing.py, gateway.py): one source, so the gateway and the router agree."""

import copy

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._hostview import host_view
from ansible_collections.homelab.cluster.plugins.module_utils._inference import catalog as C
from ansible_collections.homelab.cluster.plugins.module_utils._inference import gateway as G
from ansible_collections.homelab.cluster.plugins.module_utils._inference import routing as R

# seed 003: a local 24 GB GPU (Ollama and a llama.cpp container), a remote GPU (vLLM) and a CPU node
LOCAL = {
    'ansible_host': '10.0.0.10',
    'homelab_gpus': [{'model': 'RTX 3090', 'vendor': 'nvidia', 'vram_gb': 24}],
    'homelab_vram_lineup': ['qwen2.5:14b-instruct-q4_K_M', 'qwen2.5-coder:7b-q4_K_M', 'qwen2.5-coder:1.5b-q4_K_M',
                            {'name': 'nomic-embed-text', 'params_b': 0.137, 'quant': 'F16'}],
    'homelab_inference_servers': [
        {'name': 'ollama', 'runtime': 'ollama', 'models': [
            {'name': 'qwen2.5-coder:7b-q4_K_M', 'experts': ['code']},
            {'name': 'nomic-embed-text', 'experts': ['embed']},
            {'name': 'qwen2.5-coder:1.5b-q4_K_M', 'experts': ['code', 'fast']}]},
        {'name': 'mark-i', 'runtime': 'llamacpp', 'port': 3009, 'start_order': 0,
         'models': [{'name': 'qwen2.5:14b-instruct-q4_K_M', 'served_name': 'qwen2.5-14b', 'experts': ['chat']}]},
    ],
}
REMOTE = {
    'ansible_host': '10.0.0.20',
    'homelab_gpus': [{'model': 'RTX 3060', 'vendor': 'nvidia', 'vram_gb': 12}],
    'homelab_vram_lineup': ['deepseek-r1:8b-q4_K_M'],
    'homelab_inference_servers': [{'name': 'vllm', 'runtime': 'vllm', 'tier': 'remote', 'api_key_env': 'VLLM_KEY',
                                   'models': [{'name': 'deepseek-r1:8b-q4_K_M', 'served_name': 'deepseek-ai/R1-8B',
                                               'experts': ['reason']}]}],
}
NAS = {
    'ansible_host': '10.0.0.30',
    'homelab_vram_lineup': ['qwen2.5-coder:1.5b-q4_K_M', 'qwen3:1.7b-q4_K_M'],
    'homelab_inference_servers': [{'name': 'ollama', 'runtime': 'ollama', 'models': [
        {'name': 'qwen3:1.7b-q4_K_M', 'experts': ['fast']},
        {'name': 'qwen2.5-coder:1.5b-q4_K_M', 'experts': ['code']}]}],
}
GATEWAY = {'host': 'keeper', 'address': '10.0.0.5', 'port': 4000}


def views(**changes):
    hosts = {'local': LOCAL, 'remote': REMOTE, 'nas': NAS, 'keeper': {'ansible_host': '10.0.0.5'}}
    hosts = {name: copy.deepcopy(changes.get(name, hv)) for name, hv in hosts.items()}
    return [host_view(name, hv) for name, hv in hosts.items()]


@pytest.fixture
def cat():
    return C.catalog(views(), gateway=GATEWAY)


def test_endpoints_in_start_order_with_runtime_defaults(cat):
    names = [(e['name'], e['kind'], e['url'], e['tier']) for e in cat['endpoints']]
    assert names == [('local/mark-i', 'llamacpp', 'http://10.0.0.10:3009', 'gpu'),
                     ('local/ollama', 'ollama', 'http://10.0.0.10:11434', 'gpu'),
                     ('remote/vllm', 'vllm', 'http://10.0.0.20:8000', 'remote'),
                     ('nas/ollama', 'ollama', 'http://10.0.0.30:11434', 'cpu'),
                     ('keeper/litellm', 'litellm', 'http://10.0.0.5:4000', 'gateway')]
    assert cat['hosts'] == ['keeper', 'local', 'nas', 'remote']


def test_the_vram_planner_places_each_model(cat):
    place = {d['id']: (d['placement'], d['gpu_layers']) for d in cat['deployments']}
    assert place['local/ollama/qwen2.5-coder:7b-q4_K_M'][0] == 'full'
    assert place['local/mark-i/qwen2.5:14b-instruct-q4_K_M'] == ('full', 40)  # 16.4 GB of a 20.4 GB budget
    crowded = dict(LOCAL, homelab_gpus=[{'model': 'RTX 3060', 'vendor': 'nvidia', 'vram_gb': 12}])
    small = {d['id']: d for d in C.catalog(views(local=crowded))['deployments']}
    assert small['local/mark-i/qwen2.5:14b-instruct-q4_K_M']['placement'] == 'partial'  # the largest offloads
    assert place['nas/ollama/qwen3:1.7b-q4_K_M'] == ('cpu', 0)  # no GPU: CPU


def test_expert_chains_prefer_then_fall_back(cat):
    experts = cat['experts']
    assert experts['code'] == ['qwen2.5-coder:7b-q4_K_M', 'qwen2.5-coder:1.5b-q4_K_M', 'qwen2.5:14b-instruct-q4_K_M',
                               'qwen3:1.7b-q4_K_M']
    assert experts['fast'][0] == 'qwen2.5-coder:1.5b-q4_K_M'  # the smallest tagged fast model first
    # reason -> chat -> fast, followed on: any answer rather than none
    assert experts['reason'] == ['deepseek-r1:8b-q4_K_M', 'qwen2.5:14b-instruct-q4_K_M', 'qwen2.5-coder:1.5b-q4_K_M',
                                 'qwen3:1.7b-q4_K_M']
    assert experts['embed'] == ['nomic-embed-text']
    assert experts['vision'] == []  # nothing sees images, and a text model is no fallback for it


def test_experts_override_a_chain():
    cat = C.catalog(views(), experts={'code': ['qwen2.5:14b-instruct-q4_K_M']})
    assert cat['experts']['code'][0] == 'qwen2.5:14b-instruct-q4_K_M'


@pytest.mark.parametrize('change, message', [
    ({'local': dict(LOCAL, homelab_inference_servers=[{'name': 'ollama', 'runtime': 'tgi'}])},
     "local.homelab_inference_servers[0].runtime: expected one of ollama, llamacpp, vllm, openai, got 'tgi'"),
    ({'local': dict(LOCAL, homelab_inference_servers=[{'name': 'ollama', 'runtime': 'ollama', 'prot': 1}])},
     'local.homelab_inference_servers[0].prot: unknown key'),
    ({'local': dict(LOCAL, homelab_inference_servers=[{'name': 'o', 'runtime': 'ollama', 'port': 'high'}])},
     "local.homelab_inference_servers[0].port: expected a whole number, got 'high'"),
    ({'local': dict(LOCAL, homelab_inference_servers=[{'name': 'o', 'runtime': 'ollama', 'models': ['gpt-5']}])},
     "local.homelab_inference_servers[0].models[0].name: expected a model of local.homelab_vram_lineup"),
    ({'local': dict(LOCAL, homelab_inference_servers=[{'name': 'o', 'runtime': 'ollama'},
                                                      {'name': 'o', 'runtime': 'vllm'}])},
     "local.homelab_inference_servers[1].name: expected a name unique on the host, got 'o'"),
    ({'local': dict(LOCAL, homelab_inference_servers=[{'name': 'o', 'runtime': 'ollama', 'tier': 'gateway'}])},
     "local.homelab_inference_servers[0].tier: expected a lower-case tier name other than 'gateway'"),
    ({'local': dict(LOCAL, homelab_inference_servers=[{'name': 'o', 'runtime': 'ollama',
                                                       'models': [{'name': 'qwen2.5-coder:7b-q4_K_M',
                                                                   'experts': 'code'}]}])},
     "local.homelab_inference_servers[0].models[0].experts: expected a list of categories, got 'code'"),
    ({'local': dict(LOCAL, homelab_vram_lineup=[{'name': 'mystery'}],
                    homelab_inference_servers=[{'name': 'o', 'runtime': 'ollama'}])},
     'local.homelab_vram_lineup: models[0] (mystery).params_b'),
    ({'local': dict(LOCAL, homelab_inference_servers=[{'name': 'o', 'runtime': 'vllm', 'api_key_env': 'my key'}])},
     "local.homelab_inference_servers[0].api_key_env: expected an environment variable name"),
    ({'local': dict(LOCAL, ansible_host=None)}, 'local.address: expected an address'),
])
def test_bad_inventory_names_host_and_field(change, message):
    with pytest.raises(C.CatalogError) as err:
        C.catalog(views(**change))
    assert message in str(err.value)


def test_an_unknown_expert_model_is_named():
    with pytest.raises(C.CatalogError, match=r"inference_experts.code\[0\]: expected a model some host serves"):
        C.catalog(views(), experts={'code': ['gpt-5']})


# ---------------------------------------------------------------------------------------------- routing

def health(**states):
    """endpoint_health-shaped endpoints: name -> state (DOWN ones not serving)."""
    return {'endpoints': [{'name': n, 'state': s, 'serving': s != 'DOWN', 'models': None, 'missing': []}
                          for n, s in states.items()]}


def test_code_goes_to_the_coder_when_all_is_well(cat):
    out = R.route(cat, 'code')
    assert (out['model'], out['endpoint'], out['fallback']) == ('qwen2.5-coder:7b-q4_K_M', 'local/ollama', False)
    assert out['gateway_model'] == 'code'


def test_code_falls_back_when_the_coder_is_down(cat):
    out = R.route(cat, 'code', health(**{'local/ollama': 'DOWN', 'nas/ollama': 'HEALTHY', 'local/mark-i': 'HEALTHY'}))
    assert (out['model'], out['endpoint'], out['fallback']) == ('qwen2.5-coder:1.5b-q4_K_M', 'nas/ollama', True)
    assert out['skipped'][0]['model'] == 'qwen2.5-coder:7b-q4_K_M'
    assert 'local/ollama DOWN' in out['reason']


def test_among_servers_of_one_model_gpu_and_health_win(cat):
    both_up = R.route(cat, 'fast', health(**{'local/ollama': 'HEALTHY', 'nas/ollama': 'HEALTHY'}))
    assert both_up['endpoint'] == 'local/ollama'  # GPU before CPU
    degraded = R.route(cat, 'fast', health(**{'local/ollama': 'DEGRADED', 'nas/ollama': 'HEALTHY'}))
    assert degraded['endpoint'] == 'nas/ollama'  # healthy before degraded


def test_a_server_that_does_not_list_the_model_is_passed_over(cat):
    probed = {'endpoints': [{'name': 'remote/vllm', 'state': 'HEALTHY', 'serving': True, 'models': ['other']},
                            {'name': 'local/mark-i', 'state': 'HEALTHY', 'serving': True,
                             'models': ['qwen2.5-14b']}]}
    out = R.route(cat, 'reason', probed)
    assert out['model'] == 'qwen2.5:14b-instruct-q4_K_M'
    assert 'does not list deepseek-ai/R1-8B' in out['skipped'][0]['reason']


def test_no_model_left_says_why(cat):
    out = R.route(cat, 'embed', health(**{'local/ollama': 'DOWN'}))
    assert out['model'] is None and out['endpoint'] is None
    assert out['reason'].startswith('no model left for embed: nomic-embed-text')
    assert R.route(cat, 'vision')['reason'] == 'no model left for vision (no model serves it)'


def test_an_unknown_category_is_named(cat):
    with pytest.raises(R.RouteError, match="expected one of chat, code, embed, fast, reason, vision, got 'art'"):
        R.route(cat, 'art')


def test_routes_covers_every_category(cat):
    assert sorted(R.routes(cat)) == ['chat', 'code', 'embed', 'fast', 'reason', 'vision']


# ---------------------------------------------------------------------------------------------- gateway

def entries(config, group):
    return [e for e in config['model_list'] if e['model_name'] == group]


def test_provider_prefixes_and_api_bases(cat):
    config = G.gateway_config(cat)
    (ollama,) = entries(config, 'qwen2.5-coder:7b-q4_K_M')
    assert ollama['litellm_params']['model'] == 'ollama_chat/qwen2.5-coder:7b-q4_K_M'
    assert ollama['litellm_params']['api_base'] == 'http://10.0.0.10:11434'
    assert 'api_key' not in ollama['litellm_params']
    (embed,) = entries(config, 'nomic-embed-text')
    assert embed['litellm_params']['model'] == 'ollama/nomic-embed-text'
    assert embed['model_info']['mode'] == 'embedding'
    (llama,) = entries(config, 'qwen2.5:14b-instruct-q4_K_M')
    assert llama['litellm_params']['model'] == 'openai/qwen2.5-14b'
    assert llama['litellm_params']['api_base'] == 'http://10.0.0.10:3009/v1'
    assert llama['litellm_params']['api_key'] == 'os.environ/HOMELAB_INFERENCE_KEY_LOCAL_MARK_I'
    (vllm,) = entries(config, 'deepseek-r1:8b-q4_K_M')
    assert vllm['litellm_params']['model'] == 'hosted_vllm/deepseek-ai/R1-8B'
    assert vllm['litellm_params']['api_base'] == 'http://10.0.0.20:8000/v1'
    assert vllm['litellm_params']['api_key'] == 'os.environ/VLLM_KEY'


def test_one_group_per_expert_with_fallbacks_that_match_the_router(cat):
    config = G.gateway_config(cat)
    (code,) = entries(config, 'code')
    assert code['litellm_params']['api_base'] == 'http://10.0.0.10:11434'
    assert code['model_info']['id'] == 'code@local/ollama/qwen2.5-coder:7b-q4_K_M'
    fallbacks = {k: v for item in config['router_settings']['fallbacks'] for k, v in item.items()}
    assert fallbacks['code'] == cat['experts']['code'][1:]
    assert [R.route(cat, 'code')['model']] + fallbacks['code'] == cat['experts']['code']
    assert entries(config, 'vision') == []  # no group for a category nobody serves
    assert len(entries(config, 'fast')) == 2  # the fast model runs on two hosts: one group, load-balanced


def test_tags_for_tag_routing(cat):
    config = G.gateway_config(cat)
    (code,) = entries(config, 'code')
    assert code['litellm_params']['tags'] == ['code', 'host-local', 'tier-gpu']
    (small,) = [e for e in entries(config, 'qwen2.5-coder:1.5b-q4_K_M') if 'host-nas' in e['litellm_params']['tags']]
    assert small['litellm_params']['tags'] == ['chat', 'code', 'fast', 'host-nas', 'reason', 'tier-cpu']
    assert config['router_settings']['enable_tag_filtering'] is True


def test_no_secret_is_inline_and_every_env_name_is_listed(cat):
    config = G.gateway_config(cat, {'master_key_env': 'MY_MASTER'})
    assert config['general_settings']['master_key'] == 'os.environ/MY_MASTER'
    assert G.env_names(config) == ['HOMELAB_INFERENCE_KEY_LOCAL_MARK_I', 'MY_MASTER', 'VLLM_KEY']
    for entry in config['model_list']:
        key = entry['litellm_params'].get('api_key')
        assert key is None or key.startswith('os.environ/')


@pytest.mark.parametrize('settings, message', [
    ({'routing_strategy': 'random'}, "routing_strategy: expected one of simple-shuffle"),
    ({'num_retries': -1}, 'num_retries: expected a number of at least 0'),
    ({'retries': 2}, 'gateway settings: retries: unknown'),
])
def test_bad_settings_are_named(cat, settings, message):
    with pytest.raises(G.GatewayError, match=message):
        G.gateway_config(cat, settings)


@pytest.mark.parametrize('version, message', [
    ('1.82.7', 'malicious'), ('1.82.8', 'malicious'), ('latest', 'exact release'), ('>=1.80', 'exact release'),
    ('1.82', 'exact release'), (None, 'exact release'),
])
def test_floating_or_malicious_releases_are_refused(version, message):
    with pytest.raises(G.GatewayError, match=message):
        G.check_release(version)


def test_an_exact_release_is_accepted():
    assert G.check_release('1.82.6') == '1.82.6'
