"""The NVIDIA runtime in daemon.json and config.toml: the rest of the user's file is kept, reruns change nothing."""

import json
import os

import pytest
import tomllib

from ansible_collections.homelab.cluster.plugins.module_utils import _gpu_runtime as rt

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'gpu_runtime')
V2 = ('plugins', 'io.containerd.grpc.v1.cri', 'containerd')
V3 = ('plugins', 'io.containerd.cri.v1.runtime', 'containerd')


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def dig(tree, *path):
    for part in path:
        tree = tree[part]
    return tree


# ---------------------------------------------------------------------------------------------- Docker

def test_docker_empty_or_missing_file():
    text = rt.docker_daemon('')
    assert json.loads(text) == {'runtimes': {'nvidia': {'args': [], 'path': 'nvidia-container-runtime'}}}
    assert rt.docker_daemon(text) is text


def test_docker_keeps_the_users_settings():
    original = fixture('daemon.json')
    text = rt.docker_daemon(original, default=True, cdi=True)
    data = json.loads(text)
    assert data['log-opts'] == {'max-size': '10m', 'max-file': '3'}
    assert data['runtimes'] == {'crun': {'path': '/usr/bin/crun'},
                                'nvidia': {'args': [], 'path': 'nvidia-container-runtime'}}
    assert data['default-runtime'] == 'nvidia' and data['features'] == {'cdi': True}
    assert list(data)[:3] == ['log-driver', 'log-opts', 'registry-mirrors']  # the user's order stays
    assert rt.docker_daemon(text, default=True, cdi=True) is text


def test_docker_unset_default_and_absent():
    text = rt.docker_daemon(fixture('daemon.json'), default=True)
    undefaulted = json.loads(rt.docker_daemon(text, default=False))
    assert 'default-runtime' not in undefaulted and 'nvidia' in undefaulted['runtimes']
    gone = json.loads(rt.docker_daemon(text, state='absent'))
    assert gone['runtimes'] == {'crun': {'path': '/usr/bin/crun'}} and 'default-runtime' not in gone
    assert rt.docker_daemon(fixture('daemon.json'), state='absent') == fixture('daemon.json')
    assert 'runtimes' not in json.loads(rt.docker_daemon(rt.docker_daemon(''), state='absent'))


def test_docker_leaves_another_default_alone():
    text = json.dumps({'default-runtime': 'crun', 'runtimes': {'crun': {'path': 'crun'}}})
    assert json.loads(rt.docker_daemon(text))['default-runtime'] == 'crun'


@pytest.mark.parametrize('text, message', [
    ('{"runtimes": ', 'not valid JSON'),
    ('[]', 'expected a JSON object at the top, got list'),
    ('{"runtimes": []}', '"runtimes": expected an object, got list'),
    ('{"features": "cdi"}', '"features": expected an object, got str'),
])
def test_docker_bad_files(text, message):
    with pytest.raises(rt.RuntimeConfigError, match=message):
        rt.docker_daemon(text, cdi=True)


# ------------------------------------------------------------------------------------------ containerd

def test_containerd_v2_adds_the_runtime_and_keeps_the_rest():
    original = fixture('containerd-v2.toml')
    text = rt.containerd_config(original)
    tree = tomllib.loads(text)
    nvidia = dig(tree, *V2, 'runtimes', 'nvidia')
    assert nvidia == {'runtime_type': 'io.containerd.runc.v2',
                      'options': {'BinaryName': '/usr/bin/nvidia-container-runtime', 'SystemdCgroup': True}}
    assert dig(tree, *V2, 'default_runtime_name') == 'runc'
    assert dig(tree, 'plugins', 'io.containerd.grpc.v1.cri', 'registry', 'mirrors', 'docker.io', 'endpoint') == [
        'https://mirror.lab.internal']
    # every line of the user's file is still there, the comment included
    assert [line for line in original.splitlines() if line not in text.splitlines()] == []
    assert rt.containerd_config(text) is text


def test_containerd_v2_as_default_then_back():
    text = rt.containerd_config(fixture('containerd-v2.toml'), default=True)
    assert dig(tomllib.loads(text), *V2, 'default_runtime_name') == 'nvidia'
    assert '      default_runtime_name = "nvidia"' in text.splitlines()  # edited in place, indentation kept
    back = rt.containerd_config(text, default=False)
    assert 'default_runtime_name' not in dig(tomllib.loads(back), *V2)
    assert rt.containerd_config(text, default=True) is text


def test_containerd_absent_removes_only_ours():
    original = fixture('containerd-v2.toml')
    added = rt.containerd_config(original, default=True)
    removed = rt.containerd_config(added, state='absent')
    tree = tomllib.loads(removed)
    assert 'nvidia' not in dig(tree, *V2, 'runtimes') and 'runc' in dig(tree, *V2, 'runtimes')
    assert 'default_runtime_name' not in dig(tree, *V2)
    assert rt.containerd_config(original, state='absent') is original
    assert rt.containerd_config(rt.containerd_config(original), state='absent') == original


def test_containerd_v3_single_quoted_keys():
    text = rt.containerd_config(fixture('containerd-v3.toml'), default=True)
    tree = tomllib.loads(text)
    assert dig(tree, *V3, 'runtimes', 'nvidia', 'options', 'BinaryName') == '/usr/bin/nvidia-container-runtime'
    assert dig(tree, *V3, 'default_runtime_name') == 'nvidia'
    assert "      default_runtime_name = \"nvidia\"" in text.splitlines()
    assert rt.containerd_config(text, default=True) is text


def test_containerd_empty_file_gets_a_version():
    text = rt.containerd_config('', version=3)
    tree = tomllib.loads(text)
    assert tree['version'] == 3 and dig(tree, *V3, 'runtimes', 'nvidia', 'runtime_type') == 'io.containerd.runc.v2'
    assert tomllib.loads(rt.containerd_config(''))['version'] == 2


def test_containerd_binary_path_changes_in_place():
    text = rt.containerd_config(fixture('containerd-v2.toml'))
    moved = rt.containerd_config(text, path='/opt/nvidia/bin/nvidia-container-runtime')
    assert moved.count('BinaryName = "/opt/nvidia/bin/nvidia-container-runtime"') == 1
    assert len(moved.splitlines()) == len(text.splitlines())


@pytest.mark.parametrize('text, message', [
    ('version = 2\n[plugins\n', 'not valid TOML'),
    ('version = 1\n', 'expected a containerd config version 2 or 3'),
    ('version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\nruntimes = {nvidia = {runtime_type = "x"}}\n',
     'inline tables or dotted keys'),
])
def test_containerd_files_it_will_not_touch(text, message):
    with pytest.raises(rt.RuntimeConfigError, match=message):
        rt.containerd_config(text)


def test_toml_helpers():
    assert rt._split_key(' plugins."io.containerd.grpc.v1.cri" . containerd ') == (
        'plugins', 'io.containerd.grpc.v1.cri', 'containerd')
    assert rt._render_key(('plugins', 'io.containerd.grpc.v1.cri', 'x')) == 'plugins."io.containerd.grpc.v1.cri".x'
    assert rt._render_value(True) == 'true' and rt._render_value(3) == '3' and rt._render_value('a"b') == '"a\\"b"'
    lines = ['[a]', 'x = 1', '[[arr]]', 'y = 2', '[a.b]', 'z = 3']
    assert [table[0] for table in rt._tables(lines)] == [('a',), ('a', 'b')]
    rt.toml_set(lines, ('a',), 'w', 'v')
    assert lines[:3] == ['[a]', 'x = 1', 'w = "v"']
    assert rt.containerd_version('  version = 3\n') == 3 and rt.containerd_version('') is None
