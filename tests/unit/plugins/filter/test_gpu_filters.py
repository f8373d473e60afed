"""The thin filter shells: vram_need, vram_plan, gpu_compare (the logic is tested in module_utils)."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.filter.gpu_compare import FilterModule as Compare
from ansible_collections.homelab.cluster.plugins.filter.vram_need import FilterModule as Need
from ansible_collections.homelab.cluster.plugins.filter.vram_plan import FilterModule as Plan

vram_need = Need().filters()['vram_need']
vram_plan = Plan().filters()['vram_plan']
gpu_compare = Compare().filters()['gpu_compare']


def test_vram_need_number_and_tag():
    assert vram_need(14, 'Q4_K_M') == vram_need('qwen2.5:14b-instruct-q4_K_M')
    assert 9.0 <= vram_need(14, 'Q4_K_M') <= 9.6
    detail = vram_need('llama3.1:70b', quant='Q4', detail=True)
    assert detail['quant'] == 'Q4_0' and detail['layers'] == 80 and 'priority' not in detail
    assert vram_need(8, 'Q4_K_M', context=32768) > vram_need(8, 'Q4_K_M')


@pytest.mark.parametrize('args, message', [
    (('seven',), 'params_b: expected the parameters in billions'),
    ((7, 'Q9'), 'quant: expected one of'),
    ((True,), 'params_b'),
])
def test_vram_need_errors(args, message):
    with pytest.raises(AnsibleFilterError, match='homelab.cluster.vram_need: .*' + message):
        vram_need(*args)


def test_kv_width_is_one_name_in_both_filters():
    """vram_plan used to ignore kv_width silently (it read kv_dim) while vram_need called it kv_width."""
    wide = {'name': 'llama2-13b', 'params_b': 13, 'layers': 40, 'kv_width': 5120}
    need = vram_need(13, 'Q4_K_M', layers=40, kv_width=5120, detail=True)
    plan = vram_plan([{'model': 'RTX 4090', 'vram_gb': 24}], [wide])
    assert plan['placements'][0]['need_gb'] == need['total_gb']
    assert need['total_gb'] > vram_need(13, 'Q4_K_M', detail=True)['total_gb']  # the width is used
    with pytest.raises(AnsibleFilterError, match=r"models\[0\] \(llama2-13b\).kv_dim: unknown key \(did you mean "
                                                 r"'kv_width'\?\)"):
        vram_plan([{'vram_gb': 24}], [dict(wide, kv_dim=5120)])


def test_vram_plan_shell():
    plan = vram_plan([{'model': 'RX 7600', 'vram_gb': 8}], ['llama3.1:8b'])
    assert plan['placements'][0]['mode'] == 'full'
    with pytest.raises(AnsibleFilterError, match='expected a list of GPUs'):
        vram_plan({'vram_gb': 8}, [])
    with pytest.raises(AnsibleFilterError, match='models: expected a list'):
        vram_plan([], 'llama3.1:8b')
    with pytest.raises(AnsibleFilterError, match=r'gpus\[0\].vram_gb'):
        vram_plan([{'vram_gb': 'x'}], [])


def test_gpu_compare_shell():
    found = {'gpus': [{'bus_id': '0000:01:00.0', 'vendor': 'nvidia', 'model': 'GeForce RTX 4070 Ti SUPER',
                       'pci_name': None, 'integrated': False, 'vram_gb': 12.0, 'pcie': None}]}
    declared = [{'model': 'RTX 4070 Ti Super', 'vendor': 'nvidia', 'vram_gb': 16}]
    assert gpu_compare(found, declared)['differences'] == ['gpus[0] RTX 4070 Ti Super: declared 16 GB, found 12 GB']
    assert gpu_compare(found['gpus'], declared, tolerance_gb=5)['differences'] == []
    with pytest.raises(AnsibleFilterError, match='found: expected the registered result of homelab.cluster.gpu_info'):
        gpu_compare('nope', declared)
    with pytest.raises(AnsibleFilterError, match='declared: expected a list'):
        gpu_compare(found, None)
