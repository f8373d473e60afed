"""GPU parsing on recorded tool outputs (fixtures/gpu): lspci, sysfs, nvidia-smi, rocm-smi, failures."""

import os

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils import _gpu
from ansible_collections.homelab.cluster.plugins.module_utils import _gpu_tools

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'gpu')


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


FORGE_SYSFS = {
    '0000:01:00.0': {'driver': 'nvidia', 'current_link_speed': '2.5 GT/s PCIe', 'current_link_width': '16',
                     'max_link_speed': '16.0 GT/s PCIe', 'max_link_width': '16', 'drm': ['card1', 'renderD128']},
    '0000:03:00.0': {'driver': 'amdgpu', 'current_link_speed': '16.0 GT/s PCIe', 'current_link_width': '16',
                     'max_link_speed': '16.0 GT/s PCIe', 'max_link_width': '16',
                     'mem_info_vram_total': '21458059264', 'drm': ['card2', 'renderD129']},
    '0000:07:00.0': {'driver': 'amdgpu', 'current_link_speed': '8.0 GT/s PCIe', 'current_link_width': '4',
                     'max_link_speed': '16.0 GT/s PCIe', 'max_link_width': '16',
                     'mem_info_vram_total': '12868124672', 'drm': ['card3', 'renderD130']},
    '0000:0e:00.0': {'driver': 'amdgpu', 'mem_info_vram_total': '536870912', 'drm': ['card0', 'renderD131']},
}


def forge(**changes):
    snapshot = {
        'lspci': fixture('forge.lspci'), 'sysfs': FORGE_SYSFS,
        'nvidia_smi': {'rc': 0, 'stdout': fixture('forge.nvidia-smi.csv'), 'stderr': ''},
        'nvidia_apps': fixture('forge.nvidia-apps.csv'),
        'rocm_smi': {'rc': 0, 'stdout': fixture('forge.rocm-smi.json'), 'stderr': ''},
    }
    snapshot.update(changes)
    return _gpu.gpus_from_snapshot(snapshot)


def by_bus(result):
    return {g['bus_id']: g for g in result['gpus']}


# ---------------------------------------------------------------------------------------------- lspci

def test_lspci_records_with_options_and_empty_subsystems():
    devices = _gpu_tools.parse_lspci(fixture('pi5.lspci'))
    assert [d['bus_id'] for d in devices] == ['0001:00:00.0', '0001:01:00.0', '0002:00:00.0', '0002:01:00.0']
    hailo = devices[1]
    assert (hailo['class_id'], hailo['vendor_id'], hailo['device_id'], hailo['revision']) == (
        '0b40', '1e60', '2864', '01')
    assert hailo['device_name'] == 'Hailo-8 AI Processor'


def test_lspci_without_domain_gets_one():
    line = ('01:00.0 "VGA compatible controller [0300]" "NVIDIA Corporation [10de]" '
            '"AD103 [GeForce RTX 4080 SUPER] [2702]"')
    assert _gpu_tools.parse_lspci(line)[0]['bus_id'] == '0000:01:00.0'


@pytest.mark.parametrize('line', ['0000:01:00.0 "VGA [0300]" "NVIDIA [10de]"', '0000:01:00.0 "unterminated'])
def test_lspci_garbage_names_the_line(line):
    with pytest.raises(_gpu_tools.GpuError, match='lspci line 1'):
        _gpu_tools.parse_lspci(line)


def test_marketing_names_and_keys():
    assert _gpu.marketing_name('AD103 [GeForce RTX 4070 Ti SUPER]') == 'GeForce RTX 4070 Ti SUPER'
    assert _gpu.marketing_name('Hailo-8 AI Processor') == 'Hailo-8 AI Processor'
    assert _gpu.marketing_name(None) is None
    assert _gpu.model_key('NVIDIA GeForce RTX 4070 Ti SUPER') == 'rtx 4070 ti super'
    assert _gpu.model_key('AMD Radeon RX 7900 XT') == 'rx 7900 xt'
    assert _gpu.gres_type('GeForce RTX 4070 Ti SUPER') == 'rtx_4070_ti_super'
    assert _gpu.gres_type('') == 'gpu'


def test_model_candidates_carry_the_leading_words():
    assert _gpu.model_candidates('Radeon RX 7900 XT/7900 XTX/7900M') == ['rx 7900 xt', 'rx 7900 xtx', 'rx 7900m']
    assert _gpu.model_candidates('Radeon RX 6700/6700 XT/6750 XT / 6800M/6850M XT')[:3] == [
        'rx 6700', 'rx 6700 xt', 'rx 6750 xt']
    assert _gpu.model_candidates(None) == []


# ----------------------------------------------------------------------------------------- the forge

def test_forge_every_gpu_with_its_source():
    result = forge()
    gpus = by_bus(result)
    assert list(gpus) == ['0000:01:00.0', '0000:03:00.0', '0000:07:00.0', '0000:0e:00.0']
    nvidia = gpus['0000:01:00.0']
    assert nvidia['model'] == 'GeForce RTX 4070 Ti SUPER'
    assert (nvidia['vram_gb'], nvidia['vram_source']) == (16.0, 'nvidia-smi')
    assert nvidia['driver_state'] == 'loaded'
    assert nvidia['driver_version'] == '550.163.01'
    assert nvidia['compute_capability'] == '8.9'
    assert nvidia['persistence_mode'] is True
    assert nvidia['power_limit_w'] == 285.0
    assert nvidia['pcie'] == {'gen': 1, 'lanes': 16, 'max_gen': 4, 'max_lanes': 16}  # idles at gen 1
    assert nvidia['processes'] == [{'pid': 2211, 'name': '/usr/bin/ollama', 'memory_used_gb': 5.11}]
    xt = gpus['0000:03:00.0']
    assert (xt['model'], xt['vram_gb'], xt['vram_source']) == ('Radeon RX 7900 XT', 20.0, 'rocm-smi')
    assert (xt['gfx_target'], xt['rocm'], xt['hsa_override_gfx_version']) == ('gfx1100', 'supported', None)
    assert xt['driver_version'] == '6.8.12-4-pve'
    six = gpus['0000:07:00.0']
    assert (six['gfx_target'], six['rocm'], six['hsa_override_gfx_version']) == ('gfx1031', 'override', '10.3.0')
    assert six['pcie'] == {'gen': 3, 'lanes': 4, 'max_gen': 4, 'max_lanes': 16}
    igpu = gpus['0000:0e:00.0']
    assert igpu['integrated'] and igpu['vram_gb'] is None and igpu['vram_source'] == 'shared'
    assert result['messages'] == []


def test_forge_summary_and_gres():
    gpus = forge()['gpus']
    assert _gpu.summary(gpus) == {'count': 3, 'vram_gb': 48.0, 'vram_max_gb': 20.0, 'driver_state': 'loaded',
                                  'vendors': ['amd', 'nvidia'], 'accelerators': []}
    line, conf = _gpu.gres(gpus)
    assert line == 'gpu:rtx_4070_ti_super:1,gpu:rx_6700_xt:1,gpu:rx_7900_xt:1'
    assert conf == ['Name=gpu Type=rtx_4070_ti_super File=/dev/nvidia0',
                    'Name=gpu Type=rx_7900_xt File=/dev/dri/renderD129',
                    'Name=gpu Type=rx_6700_xt File=/dev/dri/renderD130']


def test_forge_before_any_driver_or_tool():
    """Fresh install: lspci only, no driver bound, no nvidia-smi or rocm-smi. VRAM comes from the PCI ids."""
    bare = {bus: {k: v for k, v in files.items() if k != 'driver' and k != 'mem_info_vram_total'}
            for bus, files in FORGE_SYSFS.items()}
    result = forge(sysfs=bare, nvidia_smi=None, nvidia_apps=None, rocm_smi=None)
    gpus = by_bus(result)
    assert gpus['0000:01:00.0']['model'] == 'GeForce RTX 4070 Ti SUPER'
    assert (gpus['0000:01:00.0']['vram_gb'], gpus['0000:01:00.0']['vram_source']) == (16.0, 'pci-id')
    assert gpus['0000:03:00.0']['model'] == 'Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M'
    assert (gpus['0000:03:00.0']['vram_gb'], gpus['0000:03:00.0']['vram_source']) == (20.0, 'pci-id')  # rev cc
    assert gpus['0000:07:00.0']['vram_gb'] == 12.0
    assert gpus['0000:03:00.0']['gfx_target'] == 'gfx1100'
    assert {g['driver_state'] for g in result['gpus']} == {'none'}
    assert _gpu.summary(result['gpus'])['driver_state'] == 'none'


def test_gres_type_is_the_same_before_and_after_the_driver_and_tools():
    """The model names differ (lspci's 'Radeon RX 7900 XT/7900 XTX/...' before ROCm, rocm-smi's after), but
    slurm.conf's GRES type comes from the board id, so jobs asking for it keep working across the install."""
    bare = {bus: {k: v for k, v in files.items() if k != 'driver' and k != 'mem_info_vram_total'}
            for bus, files in FORGE_SYSFS.items()}
    before = by_bus(forge(sysfs=bare, nvidia_smi=None, nvidia_apps=None, rocm_smi=None))
    after = by_bus(forge())
    assert before['0000:03:00.0']['model'] != after['0000:03:00.0']['model']
    for bus in after:
        assert before[bus]['gres_type'] == after[bus]['gres_type'], bus
    assert [after[b]['gres_type'] for b in ('0000:01:00.0', '0000:03:00.0', '0000:07:00.0')] == [
        'rtx_4070_ti_super', 'rx_7900_xt', 'rx_6700_xt']
    assert _gpu.gres(list(before.values()))[0] == _gpu.gres(list(after.values()))[0]


def test_nvidia_driver_library_mismatch():
    result = forge(nvidia_smi={'rc': 18, 'stdout': fixture('nvidia-smi-mismatch.txt'), 'stderr': ''})
    nvidia = by_bus(result)['0000:01:00.0']
    assert nvidia['driver_state'] == 'mismatch'
    assert nvidia['vram_gb'] == 16.0 and nvidia['vram_source'] == 'pci-id'
    assert 'Driver/library version mismatch' in result['messages'][0] and 'reboot' in result['messages'][0]
    assert _gpu.summary(result['gpus'])['driver_state'] == 'mismatch'


def test_nvidia_smi_without_a_driver():
    sysfs = dict(FORGE_SYSFS, **{'0000:01:00.0': {'current_link_width': '16'}})
    result = forge(sysfs=sysfs, nvidia_smi={'rc': 9, 'stdout': fixture('nvidia-smi-no-driver.txt'), 'stderr': ''})
    assert by_bus(result)['0000:01:00.0']['driver_state'] == 'none'
    assert "couldn't communicate with the NVIDIA driver" in result['messages'][0]


def test_nvidia_module_loaded_but_the_tool_missing():
    result = forge(nvidia_smi=None)
    nvidia = by_bus(result)['0000:01:00.0']
    assert nvidia['driver_state'] == 'loaded' and nvidia['vram_source'] == 'pci-id'


def test_nvidia_smi_says_no_library():
    state, message = _gpu_tools.nvidia_smi_state(
        12, "NVIDIA-SMI couldn't find libnvidia-ml.so library in your system. Please make sure that the NVIDIA "
            "Display Driver is properly installed and present in your system.", '')
    assert state == 'none' and 'libnvidia-ml.so' in message
    assert _gpu_tools.nvidia_smi_state(2, '', '')[1] == 'nvidia-smi exited 2: no output'


def test_passthrough_gpu_is_not_the_hosts():
    sysfs = dict(FORGE_SYSFS, **{'0000:01:00.0': {'driver': 'vfio-pci'}})
    result = forge(sysfs=sysfs, nvidia_smi=None)
    nvidia = by_bus(result)['0000:01:00.0']
    assert nvidia['passthrough'] and nvidia['driver_state'] == 'none'
    assert 'rtx_4070_ti_super' not in _gpu.gres(result['gpus'])[0]
    assert _gpu.summary(result['gpus'])['driver_state'] == 'loaded'  # the AMD cards it drives


def test_old_driver_without_compute_cap():
    fields = tuple(f for f in _gpu_tools.NVIDIA_FIELDS if f != 'compute_cap')
    text = ('0, 00000000:0A:00.0, NVIDIA GeForce GTX 1070, GPU-1, 8192, [N/A], [Not Supported], 151.00, 0, '
            '470.256.02, Disabled, 3, 16\n')
    row = _gpu_tools.parse_nvidia_smi(text, fields)[0]
    assert row['bus_id'] == '0000:0a:00.0' and row['compute_capability'] is None
    assert row['memory_used_gb'] is None and row['power_draw_w'] is None and row['persistence_mode'] is False


def test_nvidia_smi_wrong_columns():
    with pytest.raises(_gpu_tools.GpuError, match='expected 14 columns'):
        _gpu_tools.parse_nvidia_smi('0, 00000000:01:00.0, NVIDIA GeForce RTX 4080\n')


def test_nvidia_apps_none_running():
    assert _gpu_tools.parse_nvidia_apps('') == []
    assert _gpu_tools.parse_nvidia_apps('No running processes found\n') == []
    with pytest.raises(_gpu_tools.GpuError):
        _gpu_tools.parse_nvidia_apps('a, b\n')


def test_rocm_smi_failure_and_garbage():
    said = 'ERROR:root:Driver not initialized (amdgpu not found in modules)'
    result = forge(rocm_smi={'rc': 2, 'stdout': '', 'stderr': said})
    assert result['messages'] == ['rocm-smi exited 2: ERROR:root:Driver not initialized (amdgpu not found in modules)']
    assert by_bus(result)['0000:03:00.0']['vram_source'] == 'sysfs'
    with pytest.raises(_gpu_tools.GpuError, match='rocm-smi: expected JSON'):
        _gpu_tools.parse_rocm_smi('WARNING: something\n')


def test_two_identical_nvidia_cards_number_themselves():
    lspci = '\n'.join([
        '%s "VGA compatible controller [0300]" "NVIDIA Corporation [10de]" "GA102 [GeForce RTX 3090] [2204]"' % bus
        for bus in ('0000:01:00.0', '0000:02:00.0')])
    gpus = _gpu.gpus_from_snapshot({'lspci': lspci})['gpus']
    assert [g['index'] for g in gpus] == [0, 1]
    assert _gpu.gres(gpus) == ('gpu:rtx_3090:2', ['Name=gpu Type=rtx_3090 File=/dev/nvidia0',
                                                  'Name=gpu Type=rtx_3090 File=/dev/nvidia1'])
    assert _gpu.summary(gpus)['vram_gb'] == 48.0


# ------------------------------------------------------------------------------- other kinds of host

def test_intel_arc_beside_the_igpu():
    sysfs = {'0000:03:00.0': {'driver': 'xe', 'tile0/physical_vram_size_bytes': str(12 * 1024 ** 3),
                              'drm': ['card1', 'renderD129']},
             '0000:00:02.0': {'driver': 'i915', 'drm': ['card0', 'renderD128']}}
    gpus = {g['bus_id']: g for g in _gpu.gpus_from_snapshot({'lspci': fixture('odroid.lspci'), 'sysfs': sysfs})['gpus']}
    arc, uhd = gpus['0000:03:00.0'], gpus['0000:00:02.0']
    assert (arc['model'], arc['vram_gb'], arc['vram_source'], arc['integrated']) == ('Arc B580', 12.0, 'sysfs', False)
    assert arc['driver_state'] == 'loaded' and uhd['integrated'] and uhd['driver_state'] == 'loaded'
    assert _gpu.gres(list(gpus.values())) == ('gpu:arc_b580:1', ['Name=gpu Type=arc_b580 File=/dev/dri/renderD129'])


def test_hailo_is_an_accelerator():
    snapshot = {'lspci': fixture('pi5.lspci'), 'sysfs': {'0001:01:00.0': {'driver': 'hailo_pci'}}}
    gpus = _gpu.gpus_from_snapshot(snapshot)['gpus']
    assert len(gpus) == 1
    hailo = gpus[0]
    assert (hailo['vendor'], hailo['accelerator'], hailo['vram_gb'], hailo['driver_state']) == (
        'hailo', True, None, 'loaded')
    assert _gpu.summary(gpus) == {'count': 0, 'vram_gb': 0, 'vram_max_gb': 0, 'driver_state': 'loaded',
                                  'vendors': ['hailo'], 'accelerators': ['Hailo-8 AI Processor']}
    assert _gpu.gres(gpus) == ('', [])


def test_a_vm_or_container_has_no_gpu():
    result = _gpu.gpus_from_snapshot({'lspci': fixture('vm.lspci')})
    assert result == {'gpus': [], 'messages': []}
    assert _gpu.summary([]) == {'count': 0, 'vram_gb': 0, 'vram_max_gb': 0, 'driver_state': 'none',
                                'vendors': [], 'accelerators': []}
    assert _gpu.gres([]) == ('', [])


def test_sysfs_only_with_the_pci_id_database():
    pci = {'0000:00:02.0': {'class': '0x018000', 'vendor': '0x1af4', 'device': '0x1042'},
           '0000:01:00.0': {'class': '0x030000\n', 'vendor': '0x10de\n', 'device': '0x2705\n', 'revision': '0xa1\n'}}
    names = _gpu_tools.pci_ids_names(fixture('pci.ids'), ['10de:2705', '1af4:1042'])
    assert names == {'10de:2705': ('NVIDIA Corporation', 'AD103 [GeForce RTX 4070 Ti SUPER]')}
    gpus = _gpu.gpus_from_snapshot({'pci': pci, 'pci_names': names})['gpus']
    assert [(g['model'], g['vram_gb'], g['revision']) for g in gpus] == [('GeForce RTX 4070 Ti SUPER', 16.0, 'a1')]


def test_sysfs_only_without_names_uses_the_board_table_then_the_ids():
    pci = {'0000:01:00.0': {'class': '0x030000', 'vendor': '0x10de', 'device': '0x2c02'},
           '0000:02:00.0': {'class': '0x030200', 'vendor': '0x10de', 'device': '0x9999'}}
    gpus = _gpu.gpus_from_snapshot({'pci': pci})['gpus']
    assert [(g['model'], g['vram_gb'], g['vram_source']) for g in gpus] == [
        ('GeForce RTX 5080', 16.0, 'pci-id'), ('nvidia device 9999', None, 'unknown')]


def test_jetson_from_the_device_tree():
    gpus = _gpu.gpus_from_snapshot({'lspci': '', 'tegra_model': 'NVIDIA Jetson Orin Nano Developer Kit\x00',
                                    'tegra_driver': True})['gpus']
    assert [(g['model'], g['integrated'], g['driver_state']) for g in gpus] == [('Jetson Orin Nano', True, 'loaded')]
    assert _gpu.jetson_gpu('Raspberry Pi 5 Model B Rev 1.0') is None


def test_pcie_link_and_sysfs_vram_edge_cases():
    assert _gpu_tools.pcie_link({}) is None
    assert _gpu_tools.pcie_link({'current_link_speed': 'Unknown', 'current_link_width': '0'}) is None
    assert _gpu_tools.pcie_link({'current_link_speed': '32.0 GT/s PCIe', 'current_link_width': '8'})['gen'] == 5
    assert _gpu_tools.sysfs_vram_bytes({'mem_info_vram_total': '0', 'lmem_total_bytes': '4294967296'}) == 4294967296
    assert _gpu_tools.sysfs_vram_bytes({}) is None


def test_normalize_bus_ids():
    assert _gpu_tools.normalize_bus_id('00000000:0A:00.0') == '0000:0a:00.0'
    assert _gpu_tools.normalize_bus_id('0000:C4:00.0') == '0000:c4:00.0'
    assert _gpu_tools.normalize_bus_id('') is None
    assert _gpu_tools.normalize_bus_id('weird') == 'weird'


def test_rocm_support_table():
    assert _gpu.rocm_support(None) == (None, None)
    assert _gpu.rocm_support('gfx1100') == ('supported', None)
    # not in ROCm 6.4's matrix: the RX 7600 runs as its listed sibling, the Radeon VII not at all
    assert _gpu.rocm_support('gfx1102') == ('override', '11.0.0')
    assert _gpu.rocm_support('gfx906') == ('unsupported', None)
    assert _gpu.rocm_support('gfx803') == ('unsupported', None)


# -------------------------------------------------------------------------------------- cross-check

DECLARED_FORGE = [
    {'model': 'RTX 4070 Ti Super', 'vendor': 'nvidia', 'vram_gb': 16, 'pcie': {'gen': 4, 'lanes': 16}},
    {'model': 'RX 7900 XT', 'vendor': 'amd', 'vram_gb': 20},
    {'model': 'RX 6700 XT', 'vendor': 'amd', 'vram_gb': 12, 'pcie': {'lanes': 16}},
]


def test_compare_matches_and_reports_the_slot():
    result = _gpu.compare(DECLARED_FORGE, forge()['gpus'])
    assert [m['bus_id'] for m in result['matched']] == ['0000:01:00.0', '0000:03:00.0', '0000:07:00.0']
    # declared gen 4 while the card idles at gen 1: the generation is compared with what the link can do
    assert result['differences'] == ['gpus[2] RX 6700 XT: declared PCIe lanes 16, running at 4']
    assert result['notes'] == ['0000:0e:00.0 Radeon Graphics (integrated) not declared']


def test_compare_names_the_memory_difference_and_missing_cards():
    declared = [{'model': 'RTX 4070 Ti Super', 'vendor': 'nvidia', 'vram_gb': 12},
                {'model': 'RTX 4080 Super', 'vendor': 'nvidia', 'vram_gb': 16},
                {'model': 'Arc B580', 'vendor': 'intel', 'vram_gb': 12}]
    found = [g for g in forge()['gpus'] if g['vendor'] == 'nvidia']
    assert _gpu.compare(declared, found)['differences'] == [
        'gpus[0] RTX 4070 Ti Super: declared 12 GB, found 16 GB',
        'gpus[1] RTX 4080 Super: declared, not found',
        'gpus[2] Arc B580: declared, not found']


def test_compare_a_different_card_of_the_same_vendor():
    declared = [{'model': 'RTX 4080 Super', 'vendor': 'nvidia', 'vram_gb': 16}]
    found = [g for g in forge()['gpus'] if g['vendor'] == 'nvidia']
    assert _gpu.compare(declared, found)['differences'] == [
        'gpus[0] RTX 4080 Super: declared, found GeForce RTX 4070 Ti SUPER at 0000:01:00.0 instead']


def test_compare_a_card_nobody_declared():
    result = _gpu.compare([], [g for g in forge()['gpus'] if g['vendor'] == 'nvidia'])
    assert result['differences'] == ['0000:01:00.0 GeForce RTX 4070 Ti SUPER: found, not declared']


def test_compare_lspci_names_with_several_boards():
    bare = {bus: {} for bus in FORGE_SYSFS}
    found = forge(sysfs=bare, nvidia_smi=None, rocm_smi=None)['gpus']
    result = _gpu.compare(DECLARED_FORGE[1:2], [g for g in found if g['bus_id'] == '0000:03:00.0'])
    assert result['differences'] == [] and len(result['matched']) == 1
