# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hardware file's free ``vars``, screened (pure, no I/O): what a hardware file from a shared repository may and
may not set on a host.

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

import re

from ansible_collections.homelab.cluster.plugins.module_utils._schema import Problem
from ansible_collections.homelab.cluster.plugins.module_utils._schema import _address
from ansible_collections.homelab.cluster.plugins.module_utils._schema import _boolean
from ansible_collections.homelab.cluster.plugins.module_utils._schema import _choice
from ansible_collections.homelab.cluster.plugins.module_utils._schema import _number
from ansible_collections.homelab.cluster.plugins.module_utils._schema import describe

# A hardware file may come from a shared repository: its ``vars`` must not choose how Ansible connects or what it
# runs on the controller (ansible_connection, ansible_ssh_common_args with a ProxyCommand, *_executable, shell
# settings), nor feed this collection's roles (an admin key, a binary URL), nor overwrite what the inventory
# computes (homelab_*). These few connection variables are allowed, each checked like the field it resembles;
# everything else goes in group_vars/ or host_vars/, which are the user's own files.
_VAR_NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*\Z')
_USER_RE = re.compile(r'^[a-z_][a-z0-9_.-]{0,31}\Z')
_INTERPRETER_RE = re.compile(r'^/[A-Za-z0-9_./+-]+\Z')
_INTERPRETER_WORDS = ('auto', 'auto_legacy', 'auto_legacy_silent', 'auto_silent')


def _user(value):
    if not isinstance(value, str) or not _USER_RE.match(value):
        return None, 'expected a user name (lowercase letters, digits, _ . -), got %s' % describe(value)
    return str(value), None


def _interpreter(value):
    if not isinstance(value, str) or not (value in _INTERPRETER_WORDS or _INTERPRETER_RE.match(value)):
        return None, ('expected an absolute path to a Python (or one of %s), got %s'
                      % (', '.join(_INTERPRETER_WORDS), describe(value)))
    return str(value), None


VARS_ALLOWED_ANSIBLE = {
    'ansible_host': _address,
    'ansible_port': _number(1, integer=True, maximum=65535),
    'ansible_user': _user,
    'ansible_python_interpreter': _interpreter,
    'ansible_become': _boolean,
    'ansible_become_user': _user,
    'ansible_become_method': _choice(('doas', 'su', 'sudo')),
}
# The roles of this collection: their inputs (<role>_*) are never taken from a hardware file. A unit test keeps
# this list equal to the roles/ directory.
COLLECTION_ROLES = ('baseline', 'corosync', 'firewall', 'gpu_stack', 'harvester', 'inference_gateway', 'jobs',
                    'monitoring', 'nas', 'opnsense', 'proxmox_node', 'qdevice', 'quorum_gate', 'servant', 'slurm',
                    'vault', 'vault_agent')


def check_vars(given, path, problems):
    """Screen a host's (or the defaults') ``vars``: returns the accepted ones, appends a Problem per refused key."""
    out = {}
    for key in sorted(given):
        value = given[key]
        where = path + (key,)
        if not _VAR_NAME_RE.match(key):
            problems.append(Problem(where, 'refused: not a variable name (letters, digits and _, not starting '
                                    'with a digit)'))
        elif key in VARS_ALLOWED_ANSIBLE:
            norm, error = VARS_ALLOWED_ANSIBLE[key](value)
            if error:
                problems.append(Problem(where, error))
            else:
                out[key] = norm
        elif key.startswith('ansible_'):
            allowed = ', '.join(sorted(VARS_ALLOWED_ANSIBLE))
            problems.append(Problem(where, 'refused: a hardware file may set only %s of the ansible_* variables '
                                    '(connection, executable and shell settings run code on the controller or the '
                                    'host); set it in host_vars/ if you mean it' % allowed))
        elif key.startswith('homelab_'):
            problems.append(Problem(where, 'refused: homelab_* variables are computed by the inventory or are '
                                    'settings of the host view; set a setting in host_vars/'))
        elif any(key.startswith(role + '_') for role in COLLECTION_ROLES):
            role = max((r for r in COLLECTION_ROLES if key.startswith(r + '_')), key=len)
            problems.append(Problem(where, 'refused: an input of the role homelab.cluster.%s; role inputs belong '
                                    'in group_vars/ or host_vars/, not in the hardware file' % role))
        else:
            out[key] = value
    return out
