"""Nothing reads homelab_* host vars by hand: only the host view (plugins/module_utils/_hostview.py) does, and
everything else goes through it (the host_view/host_views filters in playbooks, roles and templates; the Python
functions in plugins and the lab). The inventory's writers (_classify.py; the live Proxmox source for
homelab_proxmox) and gaming_info (which sets the runtime fact) write them. (Issue 15: one host view.)"""

import os
import re

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SCANNED = ('plugins', 'roles', 'playbooks', 'lab')
READER = os.path.join('plugins', 'module_utils', '_hostview.py')
# the writers of computed vars: the tiers inventory's host vars, and the live Proxmox source's homelab_proxmox
WRITERS = (os.path.join('plugins', 'module_utils', '_classify.py'),
           os.path.join('plugins', 'plugin_utils', '_pve_source.py'))

TOKEN = re.compile(r'(?<![\w.])homelab_[a-z0-9_]+')
JINJA = re.compile(r'\{\{(.*?)\}\}|\{%(.*?)%\}', re.S)
# a read in Python: .get('homelab_x'), ['homelab_x'] not followed by an assignment, 'homelab_x' in ...
PY_READ = re.compile(r"""\.get\(\s*['"]homelab_"""
                     r"""|\[\s*['"]homelab_[a-z0-9_]+['"]\s*\](?!\s*=[^=])"""
                     r"""|['"]homelab_[a-z0-9_]+['"]\s+(?:not\s+)?in\b""")
CONDITIONS = ('when', 'that', 'changed_when', 'failed_when', 'until')


def _files(ext):
    for top in SCANNED:
        for dirpath, _dirs, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                if name.endswith(ext):
                    yield os.path.relpath(os.path.join(dirpath, name), ROOT)


def _expressions(node, key=None):
    """Every Jinja expression in a YAML document: templated strings, and the bare ones of when/that/..."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _expressions(v, k)
    elif isinstance(node, list):
        for item in node:
            yield from _expressions(item, key)
    elif isinstance(node, str):
        if key in CONDITIONS:
            yield node
        for match in JINJA.finditer(node):
            yield match.group(1) or match.group(2)


def python_readers():
    found = []
    for path in _files('.py'):
        if path == READER or path in WRITERS:
            continue
        with open(os.path.join(ROOT, path)) as handle:
            for number, line in enumerate(handle, 1):
                if PY_READ.search(line):
                    found.append('%s:%d: %s' % (path, number, line.strip()))
    return found


def yaml_readers():
    found = []
    for path in list(_files('.yml')) + list(_files('.yaml')):
        if path.endswith(os.path.join('meta', 'argument_specs.yml')):
            continue  # documentation
        with open(os.path.join(ROOT, path)) as handle:
            try:
                docs = list(yaml.safe_load_all(handle))
            except yaml.YAMLError:
                continue
        for expression in (e for doc in docs for e in _expressions(doc)):
            for token in TOKEN.findall(expression):
                found.append('%s: %s in {{ %s }}' % (path, token, ' '.join(expression.split())[:120]))
    return found


def template_readers():
    found = []
    for path in _files('.j2'):
        with open(os.path.join(ROOT, path)) as handle:
            text = handle.read()
        for match in JINJA.finditer(text):
            expression = match.group(1) or match.group(2)
            for token in TOKEN.findall(expression):
                found.append('%s: %s in {{ %s }}' % (path, token, ' '.join(expression.split())[:120]))
    return found


@pytest.mark.parametrize('scan', [python_readers, yaml_readers, template_readers])
def test_no_reader_of_homelab_vars_outside_the_host_view(scan):
    assert scan() == []


def test_the_scan_finds_a_reader_when_there_is_one(tmp_path, monkeypatch):
    """The scan itself is proven: a playbook and a Python file that read by hand are found."""
    (tmp_path / 'playbooks').mkdir()
    (tmp_path / 'playbooks' / 'p.yml').write_text('- hosts: all\n  tasks:\n    - debug: {msg: "{{ homelab_tier }}"}\n'
                                                  '      when: homelab_python | default(true)\n')
    (tmp_path / 'lab').mkdir()
    (tmp_path / 'lab' / 'x.py').write_text("tier = hv.get('homelab_tier')\nroles = hv['homelab_roles']\n"
                                           "hv['homelab_lab'] = True\n")
    monkeypatch.setattr(__import__(__name__), 'ROOT', str(tmp_path))
    assert len(yaml_readers()) == 2
    assert python_readers() == ["lab/x.py:1: tier = hv.get('homelab_tier')", "lab/x.py:2: roles = hv['homelab_roles']"]
