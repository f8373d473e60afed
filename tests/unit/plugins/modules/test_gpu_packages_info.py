"""gpu_packages_info reads a host's apt configuration (here a root in a temp dir) and returns the plan."""

from ansible_collections.homelab.cluster.plugins.modules import gpu_packages_info

ADA = {'vendor': 'nvidia', 'model': 'GeForce RTX 4070 Ti SUPER', 'pci_name': 'AD103 [GeForce RTX 4070 Ti SUPER]',
       'bus_id': '0000:01:00.0'}


def root_with(tmp_path, files):
    for path, text in files.items():
        target = tmp_path / path.lstrip('/')
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return str(tmp_path)


def test_reads_the_host_and_plans(tmp_path, run_module):
    root = root_with(tmp_path, {
        '/etc/os-release': 'ID=debian\nVERSION_ID="13"\n',
        '/etc/apt/sources.list.d/debian.sources': 'Types: deb\nURIs: http://deb.debian.org/debian/\nSuites: trixie\n'
                                                  'Components: main\n',
        '/etc/apt/sources.list.d/nvidia-container-toolkit.list':
            'deb [signed-by=/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg] '
            'https://nvidia.github.io/libnvidia-container/stable/deb/$(ARCH) /\n',
        '/etc/apt/sources.list.d/notes.txt': 'not a source',
        '/etc/apt/preferences.d/rocm-pin-600': 'Package: *\nPin: release o=repo.radeon.com\nPin-Priority: 600\n',
    })
    result = run_module(gpu_packages_info.main, {'gpus': [ADA], 'root': root, 'architecture': 'x86_64',
                                                 'kernel': '6.12.57+deb13-amd64'}, check_mode=True)
    assert not result['changed'] and result['release'] == 'debian13'
    assert result['nvidia']['modules'] == 'open'
    toolkit = [s for s in result['sources'] if s['name'] == 'nvidia-container-toolkit'][0]
    assert toolkit['reuse'] == '/etc/apt/sources.list.d/nvidia-container-toolkit.list'
    debian = [s for s in result['sources'] if s['name'] == 'debian'][0]
    assert debian['path'] == '/etc/apt/sources.list.d/homelab-gpu-debian.sources'
    assert 'Suites: trixie\nComponents: contrib non-free non-free-firmware' in debian['content']
    # a suite the host lacks (security) comes from the default mirror
    assert 'URIs: http://security.debian.org/debian-security\nSuites: trixie-security' in debian['content']


def test_unsupported_release_names_the_field(tmp_path, run_module):
    root = root_with(tmp_path, {'/etc/os-release': 'ID=fedora\nVERSION_ID=40\n'})
    result = run_module(gpu_packages_info.main, {'gpus': [ADA], 'root': root})
    assert result['failed'] and result['msg'] == ('gpu_packages_info: distribution: expected one of Debian 12, '
                                                  'Debian 13, Ubuntu 22.04, Ubuntu 24.04, got fedora 40')


def test_broken_sources_fail_with_the_file_and_line(tmp_path, run_module):
    root = root_with(tmp_path, {'/etc/apt/sources.list': 'deb http://x\n'})
    result = run_module(gpu_packages_info.main,
                        {'gpus': [ADA], 'root': root, 'distribution': 'Debian', 'version': '12'})
    assert result['failed'] and "/etc/apt/sources.list:1: expected" in result['msg']


def test_no_gpu_reads_nothing(tmp_path, run_module):
    result = run_module(gpu_packages_info.main, {'gpus': [], 'root': str(tmp_path)})
    assert result['vendors'] == [] and result['steps'] == [] and result['release'] is None
