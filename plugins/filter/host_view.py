# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: host_view
short_description: One host's homelab facts and settings, with every default in one place
version_added: 0.2.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - The one way playbooks, roles and templates read the C(homelab_*) host vars. It returns a plain mapping that
    holds the three kinds of values apart from how they were set, each with its one default.
  - "Computed by the M(homelab.cluster.tiers) inventory: C(tier), C(tier_reason), C(roles), C(role_reasons),
    C(gpus), C(vram_gb), C(vram_max_gb), C(power) (C(idle_w), C(peak_w), C(estimated), C(plug), C(ups)),
    C(wake) (C(method), C(mac), C(boot_s), C(ready_port)), C(always_on), C(volatile), C(python),
    C(quorum_votes), and from C(homelab_hardware): C(address) (C(ansible_host) first), C(mac), C(os),
    C(os_family), C(form_factor), C(cpu), C(ram_gb), C(description); plus C(groups) (the host's groups),
    C(wakeable) and C(provisionable)."
  - "Settings a user sets in group_vars/host_vars as C(homelab_<name>) (see the README's table of settings):
    C(power_priority), C(power_shed_services), C(power_shutdown_services), C(power_limit_w), C(power_webhook),
    C(wake_relay), C(wake_address), C(wake_secureon), C(wake_max_wakes), C(sleep_idle_minutes), ... House-wide
    settings are read from the view of the host the play runs on (usually C(localhost), which gets group_vars/all)."
  - "Runtime facts a play sets: C(gaming) (from M(homelab.cluster.gaming_info); V(null) when not probed)."
  - An unknown C(homelab_*) variable (a typo), a value of the wrong type and a host that is not in the inventory
    are errors that name the host and the variable.
options:
  _input:
    description:
      - C(hostvars), or C(vars) for the current host. With C(vars), a setting given as a play var (C(vars:) on
        an imported playbook, a role parameter) counts for the current host, as Ansible's precedence says; other
        hosts come from their host vars (inventory, facts, extra vars).
    type: dict
    required: true
  name:
    description: The inventory name of the host.
    type: str
    required: true
seealso:
  - plugin: homelab.cluster.host_views
    plugin_type: filter
'''

EXAMPLES = r'''
- name: The relay that wakes this host
  ansible.builtin.debug:
    msg: "{{ (vars | homelab.cluster.host_view(inventory_hostname)).wake_relay }}"

- name: House-wide settings, from the play host
  ansible.builtin.set_fact:
    guard: "{{ vars | homelab.cluster.host_view(inventory_hostname) }}"
'''

RETURN = r'''
_value:
  description: The host's view (see the description for its keys).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._hostview import HostViewError
from ansible_collections.homelab.cluster.plugins.module_utils._hostview import host_views


def host_view(hostvars, name):
    try:
        return host_views(hostvars, [name])[0]
    except HostViewError as exc:
        raise AnsibleFilterError('homelab.cluster.host_view: %s' % exc) from None


class FilterModule:
    def filters(self):
        return {'host_view': host_view}
