"""The raw shell scripts of the baseline and servant roles, rendered by Ansible from a hostile inventory (issue 23
item 5): an address or a file's content that tries to end a heredoc or a quoted string reaches the script only
base64-encoded or quoted, and the script is valid sh. The tiers plugin already refuses such values in a hardware
file; these come through host_vars (the user's own files), to show that the roles hold on their own. Nothing runs:
the scripts are written to files on this machine."""

import base64
import binascii
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
PAYLOAD = "10.0.30.31\nHOMELAB_EOF\ntouch /tmp/homelab-pwned\n'$(touch /tmp/homelab-pwned)'"
PLAY = """- hosts: penny
  gather_facts: false
  connection: local
  vars:
    role_path: %(tmp)s
    servant_root: /srv/homelab
    servant_port: 80
    servant_listen_address: ""
    servant_user: homelab-www
    servant_files: {motd.txt: %(payload)s}
    servant_lab_hosts_file: true
    servant_monitor_group: all
    servant_monitor_interval_s: 30
    baseline_tier: ultralow
    baseline_admin_user: admin
    baseline_admin_authorized_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA test"]
    baseline_admin_sudo: true
    baseline_hosts_group: all
    baseline_unattended_upgrades: true
    baseline_journald_max_use: {ultralow: 16M}
    baseline_journald_default_max_use: 128M
    __baseline_sshd: {PasswordAuthentication: "no"}
  tasks:
    - name: Write both scripts as the roles would send them
      ansible.builtin.copy:
        content: "{{ lookup('ansible.builtin.template', 'shlib.sh.j2') ~ '\\n' ~ """ \
    """lookup('ansible.builtin.template', item ~ '.sh.j2') }}"
        dest: "%(tmp)s/{{ item }}.out"
        mode: "0600"
      loop: [servant, baseline]
"""


@pytest.fixture(scope='module')
def scripts():
    tmp = tempfile.mkdtemp(prefix='homelab-raw-')
    try:
        os.makedirs(os.path.join(tmp, 'templates'))
        for role in ('servant', 'baseline'):
            for name in os.listdir(os.path.join(ROOT, 'roles', role, 'templates')):
                shutil.copy(os.path.join(ROOT, 'roles', role, 'templates', name), os.path.join(tmp, 'templates'))
        shutil.copytree(os.path.join(ROOT, 'roles', 'baseline', 'files'), os.path.join(tmp, 'files'))
        with open(os.path.join(tmp, 'inv.yml'), 'w') as handle:
            handle.write('all:\n  children:\n    tier_ultralow:\n      hosts:\n        penny: {homelab_python: false}\n'
                         '    others:\n      hosts:\n        keeper: {ansible_host: %s}\n' % json.dumps(PAYLOAD))
        with open(os.path.join(tmp, 'play.yml'), 'w') as handle:
            handle.write(PLAY % {'tmp': tmp, 'payload': json.dumps(PAYLOAD)})
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
                   ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'))
        proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i',
                               os.path.join(tmp, 'inv.yml'), os.path.join(tmp, 'play.yml'),
                               '-e', 'ansible_python_interpreter=%s' % sys.executable],
                              capture_output=True, text=True, env=env, check=False, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        out = {}
        for role in ('servant', 'baseline'):
            with open(os.path.join(tmp, role + '.out')) as handle:
                out[role] = handle.read()
        yield out
    finally:
        shutil.rmtree(tmp)


def _decoded(text):
    """Every base64 word the script decodes with `data`."""
    found = []
    for word in re.findall(r"\bdata '?([A-Za-z0-9+/=]{8,})'?", text):
        try:
            found.append(base64.b64decode(word).decode())
        except (binascii.Error, UnicodeDecodeError):
            continue
    return '\n'.join(found)


@pytest.mark.parametrize('role', ['servant', 'baseline'])
def test_the_payload_is_data_never_code(scripts, role):
    text = scripts[role]
    assert 'touch /tmp/homelab-pwned' not in text and 'HOMELAB_EOF' not in text
    assert '10.0.30.31' in _decoded(text) or role == 'baseline'  # the servant lists keeper's address
    check = subprocess.run(["sh", "-n"], input=text, capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr


def test_the_file_content_arrives_whole(scripts):
    assert PAYLOAD in _decoded(scripts['servant'])
