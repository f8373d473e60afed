"""No playbook or role writes state only on the controller (issue 22): every controller write is a documented
cache or a guarded controller file. The rule is in state_location.py; these rows prove the scanner itself."""

import os
import textwrap

import pytest
import state_location


def _tree(tmp_path, files):
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    (tmp_path / 'playbooks').mkdir(exist_ok=True)
    (tmp_path / 'roles').mkdir(exist_ok=True)
    return [(f.path, f.line, f.module, f.why, f.documented) for f in state_location.scan(str(tmp_path))]


PLAY_LOCAL = """\
---
- name: A play on the controller
  hosts: localhost
  tasks:
{tasks}
"""
PLAY_REMOTE = """\
---
- name: A play on the hosts
  hosts: all
  tasks:
{tasks}
"""


def _indent(text):
    return textwrap.indent(textwrap.dedent(text), '    ')


CASES = [
    # (id, template, tasks, expected [(line, module, why, documented)])
    ('delegated write, undocumented', PLAY_REMOTE, """\
        - name: Remember
          ansible.builtin.copy:
            content: x
            dest: /tmp/state.json
          delegate_to: localhost
        """, [(5, 'copy', 'runs on the controller', '')]),
    ('delegated to 127.0.0.1', PLAY_REMOTE, """\
        - name: Remember
          ansible.builtin.lineinfile: {path: /x, line: y}
          delegate_to: 127.0.0.1
        """, [(5, 'lineinfile', 'runs on the controller', '')]),
    ('a cache comment documents it', PLAY_REMOTE, """\
        - name: Scratch
          ansible.builtin.tempfile:
            state: directory
          delegate_to: localhost  # cache: removed at the end of the play
        """, [(5, 'tempfile', 'runs on the controller', 'cache')]),
    ('a cache comment on the line above documents it', PLAY_REMOTE, """\
        # cache: a copy of what the server keeps
        - name: Copy it
          ansible.builtin.copy: {src: a, dest: b}
          delegate_to: localhost
        """, [(6, 'copy', 'runs on the controller', 'cache')]),
    ('the name says cache', PLAY_REMOTE, """\
        - name: A scratch directory (a cache, removed below)
          ansible.builtin.file: {path: /x, state: directory}
          delegate_to: localhost
        """, [(5, 'file', 'runs on the controller', 'cache')]),
    ('a controller file comment', PLAY_REMOTE, """\
        - name: Encrypt the keys
          ansible.builtin.command:
            argv: [age, -o, /keep/init.age]
          delegate_to: localhost  # controller file: the user's path, refused in ephemeral directories
        """, [(5, 'command', 'runs on the controller', 'controller-file')]),
    ('scratch documents it too', PLAY_REMOTE, """\
        - name: Download
          ansible.builtin.get_url: {url: http://x, dest: /tmp/y}
          delegate_to: localhost
          changed_when: false  # into the scratch directory above
        """, [(5, 'get_url', 'runs on the controller', 'cache')]),
    ('update_cache is no documentation', PLAY_LOCAL, """\
        - name: Packages
          ansible.builtin.copy: {dest: /x, content: y}
          vars: {update_cache: true}
        """, [(5, 'copy', 'runs on the controller', '')]),
    ('a localhost play writes without delegation', PLAY_LOCAL, """\
        - name: Remember
          ansible.builtin.copy: {dest: ~/.state, content: x}
        """, [(5, 'copy', 'runs on the controller', '')]),
    ('a templated delegation is a managed host', PLAY_LOCAL, """\
        - name: Remember on the reader
          ansible.builtin.copy: {dest: /var/lib/x, content: x}
          delegate_to: "{{ power_reader }}"
        """, []),
    ('reads are not writes', PLAY_REMOTE, """\
        - name: Read
          ansible.builtin.slurp: {src: /x}
          delegate_to: localhost
        - name: Stat
          ansible.builtin.stat: {path: /x}
          delegate_to: localhost
        - name: A command that changes nothing
          ansible.builtin.command: sha256sum /x
          delegate_to: localhost
          changed_when: false
        """, []),
    ('a command that may change is a write', PLAY_REMOTE, """\
        - name: Build
          ansible.builtin.command: make
          delegate_to: localhost
        """, [(5, 'command', 'runs on the controller', '')]),
    ('uri only with dest', PLAY_REMOTE, """\
        - name: Call
          ansible.builtin.uri: {url: http://x}
          delegate_to: localhost
        - name: Download
          ansible.builtin.uri: {url: http://x, dest: /tmp/y}
          delegate_to: localhost
        """, [(8, 'uri', 'runs on the controller', '')]),
    ('fetch always lands on the controller', PLAY_REMOTE, """\
        - name: Copy out
          ansible.builtin.fetch: {src: /etc/x, dest: /tmp/x}
        """, [(5, 'fetch', 'fetch writes its dest on the controller', '')]),
    ('local_action', PLAY_REMOTE, """\
        - name: Old style
          local_action:
            module: ansible.builtin.copy
            dest: /x
            content: y
        """, [(5, 'copy', 'runs on the controller', '')]),
    ('connection local', PLAY_REMOTE, """\
        - name: Local
          ansible.builtin.template: {src: a, dest: /b}
          connection: local
        """, [(5, 'template', 'runs on the controller', '')]),
    ('a block delegated to localhost', PLAY_REMOTE, """\
        - name: On the controller
          delegate_to: localhost
          block:
            - name: Write
              ansible.builtin.copy: {dest: /x, content: y}
        """, [(8, 'copy', 'runs on the controller', '')]),
    ('a block comment does not document its children', PLAY_REMOTE, """\
        - name: On the controller  # cache: not for the tasks inside
          delegate_to: localhost
          block:
            - name: Write
              ansible.builtin.copy: {dest: /x, content: y}
        """, [(8, 'copy', 'runs on the controller', '')]),
    ('a child delegated elsewhere in a local block', PLAY_REMOTE, """\
        - name: On the controller
          delegate_to: localhost
          block:
            - name: Write on the reader
              ansible.builtin.copy: {dest: /x, content: y}
              delegate_to: keeper
        """, []),
]


@pytest.mark.parametrize('template,tasks,expected', [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_scanner(tmp_path, template, tasks, expected):
    found = _tree(tmp_path, {'playbooks/p.yml': template.format(tasks=_indent(tasks))})
    assert [(line, module, why, doc) for _path, line, module, why, doc in found] == expected


def test_included_task_files_and_roles_inherit_the_play(tmp_path):
    found = _tree(tmp_path, {
        'playbooks/p.yml': PLAY_LOCAL.format(tasks=_indent("""\
            - name: Steps
              ansible.builtin.include_tasks: tasks/step.yml
            - name: A role
              ansible.builtin.include_role:
                name: homelab.cluster.r
            """)),
        'playbooks/q.yml': '---\n- name: Q\n  hosts: localhost\n  roles:\n    - role: homelab.cluster.s\n',
        'playbooks/tasks/step.yml': '---\n- name: W\n  ansible.builtin.copy: {dest: /x, content: y}\n',
        'roles/r/tasks/main.yml': '---\n- name: R\n  ansible.builtin.file: {path: /x, state: touch}\n',
        'roles/s/tasks/main.yml': '---\n- name: S\n  ansible.builtin.file: {path: /y, state: touch}\n',
        'roles/t/tasks/main.yml': '---\n- name: T, on its hosts\n  ansible.builtin.file: {path: /y, state: touch}\n',
    })
    assert found == [
        (os.path.join('playbooks', 'tasks', 'step.yml'), 2, 'copy', 'runs on the controller', ''),
        (os.path.join('roles', 'r', 'tasks', 'main.yml'), 2, 'file', 'runs on the controller', ''),
        (os.path.join('roles', 's', 'tasks', 'main.yml'), 2, 'file', 'runs on the controller', ''),
    ]


def test_the_collection_writes_no_state_only_on_the_controller():
    findings = state_location.scan()
    undocumented = [repr(f) for f in findings if not f.documented]
    assert not undocumented, (
        'these tasks write on the controller, which an AWX job container or a laptop loses: keep the state on the '
        'logic node (delegate_to its reader) or the vault, or document the write as a cache (a comment with the '
        'word cache) or a guarded controller file (# controller file: why):\n  ' + '\n  '.join(undocumented))
    # the ones we know of stay documented: the jobs role's scratch build and the vault init file (guarded)
    kinds = {(f.path.split(os.sep)[1], f.documented) for f in findings}
    assert ('jobs', 'cache') in kinds
    assert ('vault', 'controller-file') in kinds
