# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: host_views
short_description: The homelab views of several hosts, in the order given
version_added: 0.2.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - The list form of P(homelab.cluster.host_view#filter) for templates and loops.
  - A name that is not an inventory host, an unknown C(homelab_*) variable and a value of the wrong type are
    errors that name the host and the variable.
options:
  _input:
    description: C(hostvars), or C(vars) (then the current host's own play vars count for its view; see
      P(homelab.cluster.host_view#filter)).
    type: dict
    required: true
  names:
    description: Inventory names.
    type: list
    elements: str
    required: true
seealso:
  - plugin: homelab.cluster.host_view
    plugin_type: filter
'''

EXAMPLES = r'''
- name: Every wakeable host's MAC
  ansible.builtin.debug:
    msg: "{{ hostvars | homelab.cluster.host_views(groups['wakeable']) | map(attribute='mac') | list }}"
'''

RETURN = r'''
_value:
  description: One view per name (see P(homelab.cluster.host_view#filter)).
  type: list
  elements: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._hostview import HostViewError
from ansible_collections.homelab.cluster.plugins.module_utils._hostview import host_views as _host_views


def host_views(hostvars, names):
    if isinstance(names, str):
        raise AnsibleFilterError('homelab.cluster.host_views: names: expected a list of host names, got %r' % names)
    try:
        return _host_views(hostvars, list(names))
    except HostViewError as exc:
        raise AnsibleFilterError('homelab.cluster.host_views: %s' % exc) from None


class FilterModule:
    def filters(self):
        return {'host_views': host_views}
