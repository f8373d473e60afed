"""gpu_runtime on real files in a temp dir: Docker, containerd, CDI via a fake nvidia-ctk; check mode; all or none."""

import json
import os
import stat

import tomllib

from ansible_collections.homelab.cluster.plugins.modules import gpu_runtime


def read_text(path):
    with open(path) as handle:
        return handle.read()


FIXTURES = os.path.join(os.path.dirname(__file__), '..', 'module_utils', 'fixtures', 'gpu_runtime')


def files(tmp_path, containerd='containerd-v2.toml'):
    docker = tmp_path / 'docker' / 'daemon.json'
    docker.parent.mkdir()
    with open(os.path.join(FIXTURES, 'daemon.json')) as handle:
        docker.write_text(handle.read())
    config = tmp_path / 'containerd' / 'config.toml'
    config.parent.mkdir()
    with open(os.path.join(FIXTURES, containerd)) as handle:
        config.write_text(handle.read())
    config.chmod(0o600)
    return {'docker_config': str(docker), 'containerd_config': str(config)}


def test_docker_and_containerd_then_idempotent(tmp_path, run_module):
    args = dict(files(tmp_path), engines=['docker', 'containerd'], default=True)
    before = {k: read_text(v) for k, v in args.items() if k.endswith('_config')}
    result = run_module(gpu_runtime.main, args)
    assert result['changed'] and result['restart'] == ['docker', 'containerd']
    assert json.loads(read_text(args['docker_config']))['default-runtime'] == 'nvidia'
    tree = tomllib.loads(read_text(args['containerd_config']))
    assert tree['plugins']['io.containerd.grpc.v1.cri']['containerd']['default_runtime_name'] == 'nvidia'
    assert stat.S_IMODE(os.stat(args['containerd_config']).st_mode) == 0o600  # the file's mode is kept
    assert [d['before'] for d in result['diff']] == [before['docker_config'], before['containerd_config']]
    again = run_module(gpu_runtime.main, args)
    assert not again['changed'] and again['restart'] == [] and again['diff'] == []


def test_check_mode_writes_nothing(tmp_path, run_module):
    args = dict(files(tmp_path), engines=['docker', 'containerd'])
    before = read_text(args['containerd_config'])
    result = run_module(gpu_runtime.main, args, check_mode=True)
    assert result['changed'] and read_text(args['containerd_config']) == before
    assert 'nvidia' not in read_text(args['docker_config'])


def test_missing_files_are_created(tmp_path, run_module):
    args = {'engines': ['docker', 'containerd'], 'docker_config': str(tmp_path / 'etc' / 'docker' / 'daemon.json'),
            'containerd_config': str(tmp_path / 'etc' / 'containerd' / 'config.toml'), 'containerd_version': 3}
    result = run_module(gpu_runtime.main, args)
    assert result['changed']
    assert tomllib.loads(read_text(args['containerd_config']))['version'] == 3
    assert json.loads(read_text(args['docker_config']))['runtimes']['nvidia']['path'] == 'nvidia-container-runtime'
    absent = run_module(gpu_runtime.main, dict(args, state='absent'))
    assert absent['changed'] and 'nvidia' not in read_text(args['docker_config'])


def test_absent_on_no_file_changes_nothing(tmp_path, run_module):
    args = {'engines': ['docker'], 'docker_config': str(tmp_path / 'none.json'), 'state': 'absent'}
    result = run_module(gpu_runtime.main, args)
    assert not result['changed'] and not os.path.exists(args['docker_config'])


def test_a_bad_file_stops_everything(tmp_path, run_module):
    args = dict(files(tmp_path), engines=['docker', 'containerd'])
    with open(args['containerd_config'], 'w') as handle:
        handle.write('version = 2\n[plugins\n')
    docker_before = read_text(args['docker_config'])
    result = run_module(gpu_runtime.main, args)
    assert result['failed'] and 'containerd: %s: not valid TOML' % args['containerd_config'] in result['msg']
    assert 'nothing was changed' in result['msg']
    assert read_text(args['docker_config']) == docker_before


def test_cdi_with_nvidia_ctk(tmp_path, run_module):
    ctk = tmp_path / 'nvidia-ctk'
    ctk.write_text('#!/bin/sh\n# cdi generate --output=FILE\nout="${3#--output=}"\n'
                   'printf "cdiVersion: 0.5.0\\nkind: nvidia.com/gpu\\ndevices:\\n- name: all\\n" > "$out"\n')
    ctk.chmod(0o755)
    spec = tmp_path / 'cdi' / 'nvidia.yaml'
    args = {'engines': ['podman'], 'cdi_spec': str(spec), 'nvidia_ctk': str(ctk)}
    result = run_module(gpu_runtime.main, args)
    assert result['changed'] and spec.read_text().startswith('cdiVersion: 0.5.0') and result['restart'] == []
    assert not run_module(gpu_runtime.main, args)['changed']
    assert run_module(gpu_runtime.main, dict(args, state='absent'))['changed'] and not spec.exists()


def test_cdi_without_the_tool_is_skipped(tmp_path, run_module, monkeypatch):
    monkeypatch.setenv('PATH', str(tmp_path))
    result = run_module(gpu_runtime.main, {'engines': ['podman'], 'cdi_spec': str(tmp_path / 'nvidia.yaml')})
    assert not result['changed'] and 'nvidia-ctk not found' in result['engines']['podman']['skipped']


def test_cdi_generate_failing(tmp_path, run_module):
    ctk = tmp_path / 'nvidia-ctk'
    ctk.write_text('#!/bin/sh\necho "could not load NVML library" >&2\nexit 1\n')
    ctk.chmod(0o755)
    result = run_module(gpu_runtime.main, {'engines': ['podman'], 'cdi_spec': str(tmp_path / 'n.yaml'),
                                           'nvidia_ctk': str(ctk)})
    assert result['failed'] and 'cdi generate' in result['msg'] and 'could not load NVML library' in result['msg']
