"""gpu_info end to end on a fake sysfs tree and fake vendor tools (scripts that print recorded outputs)."""

import os
import stat

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.cluster.plugins.modules import gpu_info

FIXTURES = os.path.join(os.path.dirname(__file__), '..', 'module_utils', 'fixtures', 'gpu')


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """A sysfs tree under tmp_path/sys and a bin dir that is the only place tools are found."""
    root = tmp_path / 'sys'
    root.mkdir()
    bindir = tmp_path / 'bin'
    bindir.mkdir()
    monkeypatch.setattr(gpu_info, 'PCI_ROOT', str(root))
    monkeypatch.setattr(gpu_info, 'PCI_IDS', (str(tmp_path / 'pci.ids'),))

    def get_bin_path(self, name, required=False, opt_dirs=None):
        path = bindir / name
        return str(path) if path.exists() else ('/usr/bin/timeout' if name == 'timeout' else None)
    monkeypatch.setattr(AnsibleModule, 'get_bin_path', get_bin_path)

    class Machine:
        def device(self, bus, cls, vendor, device, **files):
            path = root / bus
            path.mkdir()
            for name, value in dict(files, **{'class': cls, 'vendor': vendor, 'device': device}).items():
                if name == 'driver':
                    (tmp_path / 'drivers' / value).mkdir(parents=True, exist_ok=True)
                    os.symlink(tmp_path / 'drivers' / value, path / 'driver')
                    continue
                (path / name).parent.mkdir(parents=True, exist_ok=True)
                (path / name).write_text(value + '\n')

        def tool(self, name, script):
            path = bindir / name
            path.write_text('#!/bin/sh\n' + script)
            path.chmod(path.stat().st_mode | stat.S_IEXEC)

        def pci_ids(self, text):
            (tmp_path / 'pci.ids').write_text(text)
    return Machine()


def fixture(name):
    return os.path.join(FIXTURES, name)


def test_no_gpu_is_an_empty_list(machine, run_module):
    machine.device('0000:00:02.0', '0x018000', '0x1af4', '0x1042')
    result = run_module(gpu_info.main, {}, check_mode=True)
    assert result['gpus'] == [] and result['count'] == 0 and result['gres'] == '' and not result['changed']
    assert result['tools'] == {'lspci': 'missing (read %s)' % gpu_info.PCI_ROOT, 'nvidia-smi': 'skipped',
                               'rocm-smi': 'skipped'}
    assert result['driver_state'] == 'none'


def test_nvidia_with_its_tool(machine, run_module):
    machine.device('0000:01:00.0', '0x030000', '0x10de', '0x2705', revision='0xa1', driver='nvidia',
                   current_link_speed='16.0 GT/s PCIe', current_link_width='16', max_link_speed='16.0 GT/s PCIe',
                   max_link_width='16')
    machine.tool('nvidia-smi', 'case "$1" in --query-gpu=*) cat %s;; *) cat %s;; esac\n'
                 % (fixture('forge.nvidia-smi.csv'), fixture('forge.nvidia-apps.csv')))
    result = run_module(gpu_info.main, {})
    gpu = result['gpus'][0]
    assert (gpu['model'], gpu['vram_gb'], gpu['vram_source'], gpu['driver_state']) == (
        'GeForce RTX 4070 Ti SUPER', 16.0, 'nvidia-smi', 'loaded')
    assert gpu['pcie'] == {'gen': 1, 'lanes': 16, 'max_gen': 4, 'max_lanes': 16}
    assert gpu['processes'][0]['name'] == '/usr/bin/ollama'
    assert result['gres'] == 'gpu:rtx_4070_ti_super:1'
    assert result['gres_conf'] == ['Name=gpu Type=rtx_4070_ti_super File=/dev/nvidia0']
    assert result['tools']['nvidia-smi'] == 'ok'


def test_lspci_is_used_when_there(machine, run_module):
    machine.tool('lspci', 'cat %s\n' % fixture('odroid.lspci'))
    machine.device('0000:03:00.0', '0x030000', '0x8086', '0xe20b', driver='xe')
    machine.device('0000:00:02.0', '0x030000', '0x8086', '0x46d1', driver='i915')
    machine_root = os.path.join(gpu_info.PCI_ROOT, "0000:03:00.0", "tile0")
    os.makedirs(machine_root, exist_ok=True)
    with open(os.path.join(machine_root, 'physical_vram_size_bytes'), 'w') as handle:
        handle.write('%d\n' % (12 * 1024 ** 3))
    result = run_module(gpu_info.main, {})
    assert [(g['model'], g['vram_gb'], g['integrated']) for g in result['gpus']] == [
        ('UHD Graphics', None, True), ('Arc B580', 12.0, False)]
    assert result['tools']['lspci'] == 'ok' and result['count'] == 1


def test_driver_library_mismatch(machine, run_module):
    machine.device('0000:01:00.0', '0x030000', '0x10de', '0x2705', driver='nvidia')
    machine.tool('nvidia-smi', 'cat %s; exit 18\n' % fixture('nvidia-smi-mismatch.txt'))
    result = run_module(gpu_info.main, {})
    assert result['driver_state'] == 'mismatch' and result['gpus'][0]['vram_source'] == 'pci-id'
    assert 'Driver/library version mismatch' in result['messages'][0]
    assert result['tools']['nvidia-smi'] == 'failed (rc 18)'


def test_old_driver_retries_without_compute_cap(machine, run_module):
    machine.device('0000:01:00.0', '0x030000', '0x10de', '0x1b81', driver='nvidia')
    machine.tool('nvidia-smi', 'case "$1" in\n'
                 '  *compute_cap*) echo \'Field "compute_cap" is not a valid field to query.\'; exit 2;;\n'
                 '  --query-gpu=*) echo "0, 00000000:01:00.0, NVIDIA GeForce GTX 1070, GPU-1, 8192, 5, 8.1, 151.00, 0, '
                 '470.256.02, Disabled, 3, 16";;\n  *) true;;\nesac\n')
    machine.pci_ids('10de  NVIDIA Corporation\n\t1b81  GP104 [GeForce GTX 1070]\n')
    result = run_module(gpu_info.main, {})
    assert [(g['model'], g['vram_gb'], g['compute_capability']) for g in result['gpus']] == [
        ('GeForce GTX 1070', 8.0, None)]


def test_amd_with_a_failing_rocm_smi(machine, run_module):
    machine.device('0000:03:00.0', '0x030000', '0x1002', '0x744c', revision='0xcc', driver='amdgpu',
                   mem_info_vram_total='21458059264')
    machine.tool('rocm-smi', 'echo "ERROR:root:Driver not initialized (amdgpu not found in modules)" >&2; exit 2\n')
    result = run_module(gpu_info.main, {})
    assert result['gpus'][0]['vram_source'] == 'sysfs' and result['vram_gb'] == 20.0
    assert result['messages'] == ['rocm-smi exited 2: ERROR:root:Driver not initialized (amdgpu not found in modules)']


def test_unreadable_tool_output_fails_with_what_it_said(machine, run_module):
    machine.device('0000:01:00.0', '0x030000', '0x10de', '0x2705', driver='nvidia')
    machine.tool('nvidia-smi', 'echo "0, garbage"\n')
    result = run_module(gpu_info.main, {})
    assert result['failed'] and 'nvidia-smi: expected 14 columns' in result['msg']


def test_lspci_failing_falls_back_to_sysfs(machine, run_module):
    machine.tool('lspci', 'echo "pcilib: Cannot open /sys/bus/pci/devices" >&2; exit 1\n')
    machine.device('0000:01:00.0', '0x030000', '0x10de', '0x2c05')
    result = run_module(gpu_info.main, {})
    assert [g['model'] for g in result['gpus']] == ['GeForce RTX 5070 Ti']
    assert result['tools']['lspci'].startswith('failed (rc 1: pcilib: Cannot open')
