# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: ephemeral_path
short_description: Would a file on the controller outlive this run (AWX job containers, runner data dirs, /tmp)
version_added: 0.2.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - Says why a path on the controller would be lost after the run, from the controller's environment and its
    file system. Filters run on the controller, so the answer is always about the controller.
  - Lost means one of the following.
  - An AWX, ansible-navigator or ansible-runner job in an execution environment (C(AWX_ISOLATED_DATA_DIR) under
    C(/runner)), whose container goes when the job ends.
  - An AWX job (C(JOB_ID) with C(AWX_HOST)).
  - A path inside ansible-runner's private data dir, or under C(/runner).
  - A temporary directory (C(/tmp), C(/var/tmp), C(/dev/shm), C(/run), C($TMPDIR)).
  - A controller that only runs in a container (a dev container, CI) is not taken for ephemeral by itself, since
    its work tree is usually a mounted volume and nothing inside can tell which paths are.
  - The C(homelab.cluster.vault) role refuses to write the encrypted unseal keys to such a place unless
    C(vault_init_file_durable) says it is kept.
options:
  _input:
    description: The path on the controller. C(~) is expanded; a relative path is taken from the current
      directory; symbolic links are resolved (through the part of the path that exists).
    type: path
    required: true
'''

EXAMPLES = r'''
- name: Refuse to keep the only copy of something where the run's container throws it away
  ansible.builtin.assert:
    that: not (keys_file | homelab.cluster.ephemeral_path).ephemeral
    fail_msg: "{{ (keys_file | homelab.cluster.ephemeral_path).reasons | join('; ') }}"
'''

RETURN = r'''
_value:
  description: C(path) (resolved), C(ephemeral) (a boolean) and C(reasons) (a list of sentences; empty when
    nothing on the controller says the file would be lost).
  type: dict
'''

import os

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.plugin_utils._ephemeral import EphemeralError
from ansible_collections.homelab.cluster.plugins.plugin_utils._ephemeral import ephemeral


def ephemeral_path(path):
    if not isinstance(path, str) or not path.strip():
        raise AnsibleFilterError('homelab.cluster.ephemeral_path: path: expected a path on the controller, got %r'
                                 % (path,))
    resolved = os.path.realpath(os.path.abspath(os.path.expanduser(path.strip())))
    try:
        reasons = ephemeral(resolved, dict(os.environ))
    except EphemeralError as exc:
        raise AnsibleFilterError('homelab.cluster.ephemeral_path: %s' % exc) from None
    return {'path': resolved, 'ephemeral': bool(reasons), 'reasons': reasons}


class FilterModule:
    def filters(self):
        return {'ephemeral_path': ephemeral_path}
