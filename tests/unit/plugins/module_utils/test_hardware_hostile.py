"""A hardware file from a shared repository is data, never code: hostile names, addresses and vars are refused
with named errors (issue 23 item 5), and what is allowed is checked like the field it resembles."""

import os

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._hardware import normalize_hardware
from ansible_collections.homelab.cluster.plugins.module_utils._schema import HardwareError
from ansible_collections.homelab.cluster.plugins.module_utils._schema import is_address
from ansible_collections.homelab.cluster.plugins.module_utils._vars_screen import COLLECTION_ROLES

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))


def problems(data):
    with pytest.raises(HardwareError) as info:
        normalize_hardware(data)
    return [str(p) for p in info.value.problems]


def host_vars(given):
    return normalize_hardware({'hosts': {'h': {'vars': given}}})['h']['vars']


@pytest.mark.parametrize('text, ok', [
    ('10.0.30.5', True), ('fe80::1', True), ('2001:db8::5', True), ('forge.lab', True), ('forge', True),
    ('forge.lab.', True), ('my_host-1.example.org', True),
    ('10.0.300.1', False), ('10.0.30.5\n', False), ('forge\nHOMELAB_EOF\nreboot', False), ('-oProxyCommand=x', False),
    ('forge-.lab', False), ('forge..lab', False), ('', False), ('a b', False), ('x;id', False), ("x'y", False),
    ('$(id)', False), ('a' * 64 + '.lab', False), (None, False), (5, False),
])
def test_is_address(text, ok):
    assert is_address(text) is ok


@pytest.mark.parametrize('name', ['forge\n', 'forge\nreboot', '-forge', 'fo rge', 'forge;id', "forge'"])
def test_hostile_host_names_are_refused(name):
    found = problems({'hosts': {name: {}}})
    assert len(found) == 1 and found[0].endswith("expected a host name of letters, digits, _, . and -, got %r" % name)


@pytest.mark.parametrize('address', ['10.0.30.5\nHOMELAB_EOF\ntouch /pwned\n', '-oProxyCommand=touch /pwned',
                                     '$(touch /pwned)', '10.0.30.5 ; reboot'])
def test_hostile_addresses_are_refused(address):
    assert problems({'hosts': {'h': {'address': address}}}) == [
        'h.address: expected an IP address or DNS name, got %r' % address]


@pytest.mark.parametrize('tier', ['modern\n', 'modern\nx'])
def test_group_names_cannot_carry_a_newline(tier):
    assert problems({'hosts': {'h': {'tier': tier}}})[0].startswith(
        'h.tier: expected a lowercase name of letters, digits and _, got')


@pytest.mark.parametrize('key', ['ansible_connection', 'ansible_ssh_common_args', 'ansible_ssh_extra_args',
                                 'ansible_ssh_executable', 'ansible_shell_executable', 'ansible_shell_type',
                                 'ansible_become_exe', 'ansible_become_flags', 'ansible_ssh_private_key_file',
                                 'ansible_facts', 'ansible_scp_extra_args'])
def test_connection_and_executable_vars_are_refused(key):
    found = problems({'hosts': {'h': {'vars': {key: 'local'}}}})
    assert len(found) == 1
    assert found[0].startswith('h.vars.%s: refused: a hardware file may set only ansible_become, ' % key)
    assert 'set it in host_vars/ if you mean it' in found[0]


@pytest.mark.parametrize('key, role', [
    ('baseline_admin_authorized_keys', 'baseline'), ('vault_binary_src', 'vault'),
    ('vault_agent_issuer_token', 'vault_agent'), ('slurm_conf_overrides', 'slurm'), ('gpu_stack_driver', 'gpu_stack'),
    ('firewall_services', 'firewall'), ('servant_files', 'servant'), ('qdevice_qnetd_host', 'qdevice'),
])
def test_role_inputs_are_refused_naming_the_role(key, role):
    assert problems({'hosts': {'h': {'vars': {key: 'x'}}}}) == [
        'h.vars.%s: refused: an input of the role homelab.cluster.%s; role inputs belong in group_vars/ or '
        'host_vars/, not in the hardware file' % (key, role)]


def test_homelab_vars_are_refused():
    assert problems({'hosts': {'h': {'vars': {'homelab_tier': 'modern'}}}}) == [
        'h.vars.homelab_tier: refused: homelab_* variables are computed by the inventory or are settings of the '
        'host view; set a setting in host_vars/']


def test_defaults_vars_are_screened_too():
    found = problems({'defaults': {'vars': {'ansible_connection': 'local'}}, 'hosts': {'h': {}}})
    assert found[0].startswith('defaults.vars.ansible_connection: refused')


@pytest.mark.parametrize('key, value, message', [
    ('ansible_host', '10.0.30.5\nHOMELAB_EOF', 'expected an IP address or DNS name'),
    ('ansible_port', 70000, 'expected an integer <= 65535'),
    ('ansible_port', '22; id', 'expected an integer'),
    ('ansible_user', 'root -oProxyCommand=x', 'expected a user name'),
    ('ansible_python_interpreter', '/bin/sh -c "touch /pwned"', 'expected an absolute path to a Python'),
    ('ansible_python_interpreter', 'python3', 'expected an absolute path to a Python'),
    ('ansible_become', 'yes', 'expected true or false'),
    ('ansible_become_method', 'evil.collection.become', 'expected one of doas, su, sudo'),
    ('1abc', 'x', 'refused: not a variable name'),
    ('a-b', 'x', 'refused: not a variable name'),
])
def test_allowed_ansible_vars_are_checked_like_fields(key, value, message):
    found = problems({'hosts': {'h': {'vars': {key: value}}}})
    assert len(found) == 1 and found[0].startswith('h.vars.%s: %s' % (key, message)), found


def test_what_is_allowed_passes_unchanged():
    given = {'ansible_host': 'forge.lab', 'ansible_port': 2222, 'ansible_user': 'admin',
             'ansible_python_interpreter': '/usr/bin/python3', 'ansible_become': True, 'ansible_become_user': 'root',
             'ansible_become_method': 'sudo', 'site': 'attic', 'rack_unit': 3, 'labels': {'room': 'cellar'}}
    assert host_vars(given) == given


def test_ansible_host_beside_address_is_refused():
    assert problems({'hosts': {'h': {'address': '10.0.0.2', 'vars': {'ansible_host': '10.0.0.3'}}}}) == [
        'h.vars.ansible_host: refused: address is given; the inventory sets ansible_host from it, so give only '
        'one of them']


def test_every_problem_of_a_hostile_file_at_once():
    hostile_vars = {'ansible_connection': 'local', 'vault_binary_src': 'x', 'homelab_python': True}
    found = problems({'hosts': {'evil': {'address': '-oProxyCommand=x', 'vars': hostile_vars}, 'ok\n': {}}})
    assert len(found) == 5


def test_the_role_list_is_the_roles_directory():
    roles = sorted(name for name in os.listdir(os.path.join(ROOT, 'roles'))
                   if os.path.isdir(os.path.join(ROOT, 'roles', name)))
    assert sorted(COLLECTION_ROLES) == roles
    assert list(COLLECTION_ROLES) == sorted(COLLECTION_ROLES)
