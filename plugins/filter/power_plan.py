# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: power_plan
short_description: The shedding ladder that brings the house under its power limit
version_added: 0.1.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - Takes the result of M(homelab.cluster.power_info) and returns the ordered actions that bring the house
    under O(limit_w) minus O(margin_w). The actions, cheapest disruption first, are to suspend a host's
    Slurm jobs, stop its listed services, and power it off.
  - Speculative hosts go first, then standard ones; essential hosts (firewall, logic node, storage) are never
    shed. A host's class is C(homelab_power_priority) (group_vars, host overrides), else V(standard).
  - Hysteresis. Once shedding has started (O(shed_log), the actions taken so far, kept by the caller between
    runs), it sheds more above the target, holds between the target and O(hysteresis_w) below it, and restores
    what it shed (last first, only what fits) below that. A draw that hovers at the limit therefore does not
    flap.
  - A volatile host where somebody is playing (C(homelab_gaming), set by M(homelab.cluster.gaming_info)) counts
    as essential, and so does one that was not probed in this run.
  - Host vars are read through P(homelab.cluster.host_view#filter); a host in the readings that is not in the
    inventory and a malformed reading are errors that name the host and the field.
  - The services a host may stop come from C(homelab_power_shed_services). C(homelab_power_has_jobs) says
    whether it runs Slurm jobs.
options:
  _input:
    description: The registered result of M(homelab.cluster.power_info).
    type: dict
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
  limit_w:
    description: The house limit in watts (the breaker or the contract).
    type: float
    required: true
  margin_w:
    description: Stay this far under the limit.
    type: float
    default: 100
  hysteresis_w:
    description: Keep shedding until this far under the target.
    type: float
    default: 150
  shed_log:
    description: The C(shed_log) of the previous run's result (empty when nothing is shed).
    type: list
    elements: dict
    default: []
'''

EXAMPLES = r'''
- name: Plan
  ansible.builtin.set_fact:
    power_plan: "{{ power | homelab.cluster.power_plan(hostvars, limit_w=3000, shed_log=previous.shed_log) }}"
'''

RETURN = r'''
_value:
  description: C(state) (normal, shedding, holding, restoring, cannot_meet), C(shedding), C(target_w),
    C(projected_w), C(reasons), C(actions) (action, host, priority, saves_w, reason, services; C(restore) actions
    name what they C(undo)) and C(shed_log) (to pass to the next run).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._hostview import HostViewError
from ansible_collections.homelab.cluster.plugins.module_utils._hostview import host_views
from ansible_collections.homelab.cluster.plugins.module_utils._power import priority
from ansible_collections.homelab.cluster.plugins.module_utils._power import shed_plan
from ansible_collections.homelab.cluster.plugins.module_utils._power_read import PowerError
from ansible_collections.homelab.cluster.plugins.module_utils._power_read import is_awake
from ansible_collections.homelab.cluster.plugins.module_utils._power_read import number_at
from ansible_collections.homelab.cluster.plugins.module_utils._power_read import readings
from ansible_collections.homelab.cluster.plugins.module_utils._power_read import shed_entries


def power_hosts(hosts, hostvars):
    """power_info's per-host readings joined with each host's view: priority class and shed options."""
    out = []
    for view in host_views(hostvars, sorted(hosts)):
        reading = hosts[view['name']]
        klass = priority(view['name'], view['roles'], view['power_priority'])
        if view['volatile'] and view['gaming'] is not False:
            klass = 'essential'  # somebody plays on it, or nobody looked (gaming_info): never pull the plug on a game
        out.append({'name': view['name'], 'priority': klass, 'awake': is_awake(reading),
                    'draw_w': reading['watts'] or 0, 'idle_w': view['power']['idle_w'],
                    'jobs': view['power_has_jobs'], 'services': view['power_shed_services']})
    return out


def power_plan(power, hostvars, limit_w, margin_w=100.0, hysteresis_w=150.0, shed_log=None):
    try:
        read = readings(power)
        return shed_plan(power_hosts(read['hosts'], hostvars), number_at('limit_w', limit_w, 0),
                         read['house_w'], number_at('margin_w', margin_w, 0),
                         number_at('hysteresis_w', hysteresis_w, 0), shed_entries(shed_log))
    except (HostViewError, PowerError) as exc:
        raise AnsibleFilterError('homelab.cluster.power_plan: %s' % exc) from None


class FilterModule:
    def filters(self):
        return {'power_plan': power_plan}
