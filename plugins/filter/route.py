# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: route
short_description: Expert routing - the model and server a task category goes to, healthy fallback included
version_added: 0.2.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - Walks the category's chain in the catalog (P(homelab.cluster.inference_catalog#filter)) - the preferred model
    first, then the next best - and returns the first model that a serving endpoint still lists. Among several
    servers of one model it takes a healthy one before a degraded one, a GPU before a CPU, then the fastest.
  - The gateway's expert groups and fallbacks (P(homelab.cluster.gateway_config#filter)) come from the same
    chains, so a request to the gateway's V(code) group lands where this filter says.
  - Without O(health) every server counts as healthy (the planned route).
options:
  _input:
    description: The catalog.
    type: dict
    required: true
  category:
    description: The task category (V(code), V(reason), V(chat), V(vision), V(fast), V(embed) or your own).
    type: str
    required: true
  health:
    description: The result of M(homelab.cluster.endpoint_health) (or its C(endpoints)).
    type: raw
'''

EXAMPLES = r'''
- name: Where does code go now?
  ansible.builtin.debug:
    msg: "{{ inference | homelab.cluster.route('code', health=inference_health) }}"
'''

RETURN = r'''
_value:
  description:
    - C(model) (null when none is left), C(preferred), C(fallback), C(deployment), C(endpoint), C(url),
      C(served_name), C(gateway_model) (the gateway's group for the category), C(chain), C(skipped) (each model
      passed over and why) and C(reason).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._inference.routing import RouteError
from ansible_collections.homelab.cluster.plugins.module_utils._inference.routing import route as _route


def route(cat, category, health=None):
    if not isinstance(cat, dict) or 'experts' not in cat:
        raise AnsibleFilterError('homelab.cluster.route: expected the catalog of homelab.cluster.inference_catalog, '
                                 'got %r' % type(cat).__name__)
    try:
        return _route(cat, category, health)
    except RouteError as exc:
        raise AnsibleFilterError('homelab.cluster.route: %s' % exc) from None


class FilterModule:
    def filters(self):
        return {'route': route}
