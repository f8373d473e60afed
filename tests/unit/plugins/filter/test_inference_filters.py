"""The inference filters as playbooks call them: hostvars -> host_views -> inference_catalog -> gateway_config /
route / health_transitions (the pure logic is tested in module_utils/_inference)."""

from ansible_collections.homelab.cluster.plugins.filter.gateway_config import gateway_config
from ansible_collections.homelab.cluster.plugins.filter.health_transitions import health_transitions
from ansible_collections.homelab.cluster.plugins.filter.host_views import host_views
from ansible_collections.homelab.cluster.plugins.filter.inference_catalog import inference_catalog
from ansible_collections.homelab.cluster.plugins.filter.route import route

HOSTVARS = {
    'forge': {'ansible_host': '10.0.30.10', 'homelab_gpus': [{'model': 'RTX 4070 Ti Super', 'vendor': 'nvidia',
                                                              'vram_gb': 16}],
              'homelab_vram_lineup': ['qwen2.5-coder:7b-q4_K_M'],
              'homelab_inference_servers': [{'name': 'mark-i', 'runtime': 'llamacpp', 'port': 3009,
                                             'models': [{'name': 'qwen2.5-coder:7b-q4_K_M', 'experts': ['code']}]}]},
    'keeper': {'ansible_host': '10.0.30.5'},
}


def catalog():
    return inference_catalog(host_views(HOSTVARS, ['forge', 'keeper']),
                             gateway={'host': 'keeper', 'address': '10.0.30.5', 'port': 4000})


def test_the_catalog_carries_the_probe_list():
    probes = catalog()['probes']
    assert [(p['name'], p['kind'], p['tier']) for p in probes] == [('forge/mark-i', 'llamacpp', 'gpu'),
                                                                  ('keeper/litellm', 'litellm', 'gateway')]
    assert probes[0]['api_key_env'] == 'HOMELAB_INFERENCE_KEY_FORGE_MARK_I'


def test_gateway_config_lists_the_environment_it_reads():
    config = gateway_config(catalog())
    assert config['env'] == ['HOMELAB_INFERENCE_KEY_FORGE_MARK_I', 'LITELLM_MASTER_KEY']
    assert config['model_list'][0]['litellm_params']['api_base'] == 'http://10.0.30.10:3009/v1'


def test_route_and_transitions():
    cat = catalog()
    health = {'endpoints': [{'name': 'forge/mark-i', 'state': 'DOWN', 'serving': False, 'reason': 'refused',
                             'tier': 'gpu'}],
              'tiers': {'gpu': {'state': 'DOWN', 'down': ['forge/mark-i'], 'degraded': []}},
              'prognosis': {'state': 'DOWN', 'summary': 'DOWN: every model tier is DOWN'}}
    assert route(cat, 'code', health)['model'] is None
    first = health_transitions(health, previous=None, now=1000)
    assert first['changed'] and first['state']['states']['endpoint/forge/mark-i'] == 'DOWN'
    again = health_transitions(health, previous=first['state'], now=1300)
    assert not again['changed'] and again['state'] == first['state']
