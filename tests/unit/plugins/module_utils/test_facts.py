"""Gathered facts -> hardware fields."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._facts import hardware_from_facts

DEBIAN_BOX = {
    'ansible_memtotal_mb': 15890,
    'ansible_processor_vcpus': 12,
    'ansible_processor_cores': 6,
    'ansible_processor_count': 1,
    'ansible_architecture': 'x86_64',
    'ansible_processor': ['0', 'AuthenticAMD', 'AMD Ryzen 5 5560U with Radeon Graphics', '1', 'AuthenticAMD'],
    'ansible_distribution': 'Debian',
    'ansible_kernel': '6.1.0-18-amd64',
    'ansible_form_factor': 'Mini PC',
    'ansible_default_ipv4': {'address': '10.0.30.5', 'macaddress': 'a8:a1:59:00:00:05'},
}


def test_a_debian_box():
    assert hardware_from_facts(DEBIAN_BOX) == {
        'ram_gb': 15.52, 'cpu.threads': 12, 'cpu.cores': 6, 'cpu.arch': 'x86_64',
        'cpu.model': 'AMD Ryzen 5 5560U with Radeon Graphics', 'os': 'debian', 'form_factor': 'sff',
        'mac': 'a8:a1:59:00:00:05',
    }


@pytest.mark.parametrize('facts, expected', [
    ({'ansible_kernel': '6.8.12-4-pve', 'ansible_distribution': 'Debian'}, {'os': 'proxmox'}),
    ({'ansible_os_family': 'Windows', 'ansible_distribution': 'Microsoft Windows 11 Pro'}, {'os': 'windows'}),
    ({'ansible_distribution': 'Debian', 'ansible_kernel': '6.6.51+rpt-rpi-2712'}, {'os': 'raspios'}),
    ({'ansible_distribution': 'Ubuntu', 'ansible_kernel': '5.15.136-tegra'}, {'os': 'jetpack'}),
    ({'ansible_distribution': 'Ubuntu'}, {'os': 'ubuntu'}),
    ({'ansible_distribution': 'Gentoo'}, {}),
    ({'ansible_form_factor': 'Notebook'}, {'form_factor': 'laptop'}),
    ({'ansible_form_factor': 'Rack Mount Chassis'}, {'form_factor': 'rack'}),
    ({'ansible_form_factor': 'Desktop'}, {'form_factor': 'tower'}),
    ({'ansible_form_factor': 'To Be Filled By O.E.M.'}, {}),
    ({'ansible_architecture': 'arm64'}, {'cpu.arch': 'aarch64'}),
    ({'ansible_architecture': 'sparc'}, {}),
    ({'ansible_processor': ['0', 'GenuineIntel', 'Intel(R) Pentium(R) II CPU @ 0.30GHz']},
     {'cpu.model': 'Intel(R) Pentium(R) II CPU @ 0.30GHz', 'cpu.ghz': 0.3}),
    ({'ansible_processor_vcpus': 4, 'ansible_processor_cores': 8, 'ansible_processor_count': 1},
     {'cpu.threads': 4, 'cpu.cores': 4}),
    ({'ansible_processor_cores': 4, 'ansible_processor_count': 2}, {'cpu.cores': 8}),
    ({'ansible_memtotal_mb': 64}, {'ram_gb': 0.06}),
    ({'ansible_memtotal_mb': 'n/a', 'ansible_processor_vcpus': True}, {}),
    ({'ansible_default_ipv4': {'macaddress': '01:00:5e:00:00:01'}}, {}),
    ({'ansible_default_ipv4': {}}, {}),
    ({'memtotal_mb': 2048}, {'ram_gb': 2.0}),
    ({'ansible_facts': {'memtotal_mb': 4096}}, {'ram_gb': 4.0}),
])
def test_fact_mapping(facts, expected):
    assert hardware_from_facts(facts) == expected


def test_not_a_mapping():
    assert hardware_from_facts(None) == {}
    assert hardware_from_facts(['x']) == {}
