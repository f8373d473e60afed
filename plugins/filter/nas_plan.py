# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: nas_plan
short_description: The desired state of a TrueNAS from the NAS role's settings and the inventory
version_added: 0.1.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - Turns the settings of the M(homelab.cluster.nas) role and the host views of the inventory into what the
    C(truenas_*) modules are given - the pool, the datasets (below the pool), the NFS exports with the addresses
    of the hosts in the groups each export names, the SMB shares for the trusted networks, the snapshot tasks of
    the snapshot policy and the offsite replication.
  - A client host without an address, an export nobody could mount (or everybody could), a share or task on a
    dataset that is not declared, and a replication of a dataset without a task of its schedule are errors that
    name the host or the setting.
options:
  _input:
    description: Every host's view, C(hostvars | homelab.cluster.host_views(groups['all'])).
    type: list
    elements: dict
    required: true
  nas:
    description: The NAS host's view.
    type: dict
    required: true
  config:
    description: The role's settings without the C(nas_) prefix (C(pool), C(scrub), C(datasets), C(nfs_exports), ...).
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: What the NAS should hold
  ansible.builtin.debug:
    msg: >-
      {{ hostvars | homelab.cluster.host_views(groups['all'])
         | homelab.cluster.nas_plan(vars | homelab.cluster.host_view(inventory_hostname), __nas_config) }}
'''

RETURN = r'''
_value:
  description: C(api_url), C(pool), C(datasets), C(nfs), C(smb), C(snapshot_tasks), C(replications) and C(clients)
    (the inventory names that may mount each export).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._truenas.plan import PlanError
from ansible_collections.homelab.cluster.plugins.module_utils._truenas.plan import plan


def nas_plan(views, nas, config):
    if not isinstance(config, dict):
        raise AnsibleFilterError('homelab.cluster.nas_plan: config: expected a mapping, got %r' % (config,))
    try:
        return plan(views, nas, dict(config))
    except PlanError as exc:
        raise AnsibleFilterError('homelab.cluster.nas_plan: %s' % exc) from None


class FilterModule:
    def filters(self):
        return {'nas_plan': nas_plan}
