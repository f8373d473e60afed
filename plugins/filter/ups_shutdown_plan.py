# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: ups_shutdown_plan
short_description: The ordered shutdown of the homelab when its UPS runs low
version_added: 0.1.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - Takes one UPS state from M(homelab.cluster.power_info) and returns nothing (null) while the UPS is fine.
    When the UPS is on battery below O(threshold_pct), or reports low battery, it returns the stages of an
    ordered shutdown.
  - The stages are V(speculative) (stop its services, then power it off), V(services) (every other host's
    C(homelab_power_shutdown_services) stopped cleanly, databases first in the list), V(heavy) (standard hosts
    off), V(storage) (the NAS off) and V(last) (the hosts in O(keep_roles), the logic node and the firewall).
    The caller runs the V(last) stage or leaves those hosts up.
  - Only the hosts fed by that UPS (their C(homelab_power.ups)) and awake now are in the plan.
options:
  _input:
    description: The registered result of M(homelab.cluster.power_info).
    type: dict
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
  ups:
    description: Which UPS, as C(name@host) in the result's C(ups); default the only one.
    type: str
  threshold_pct:
    description: Battery charge below which the shutdown starts while on battery.
    type: float
    default: 30
  keep_roles:
    description: Roles whose hosts go down last (stage V(last)).
    type: list
    elements: str
    default: [firewall, logic]
'''

EXAMPLES = r'''
- name: Plan the shutdown
  ansible.builtin.set_fact:
    ups_plan: "{{ power | homelab.cluster.ups_shutdown_plan(hostvars, threshold_pct=30) }}"
'''

RETURN = r'''
_value:
  description:
    - Null while the UPS is fine; else C(reason), C(ups) and C(stages) (stage, steps of action, host, services).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._hostview import HostViewError
from ansible_collections.homelab.cluster.plugins.module_utils._hostview import host_views
from ansible_collections.homelab.cluster.plugins.module_utils._power import priority
from ansible_collections.homelab.cluster.plugins.module_utils._power import shutdown_plan
from ansible_collections.homelab.cluster.plugins.module_utils._power_read import PowerError
from ansible_collections.homelab.cluster.plugins.module_utils._power_read import is_awake
from ansible_collections.homelab.cluster.plugins.module_utils._power_read import number_at
from ansible_collections.homelab.cluster.plugins.module_utils._power_read import readings


def _which_ups(read, ups):
    """The UPS to follow; when it was not read, say why (power_info's own reason, e.g. the NUT error)."""
    states = read['ups']
    problems = [u for u in read['unavailable'] if u.startswith('ups ')]
    if ups is None:
        if len(states) == 1:
            return next(iter(states))
        if not states:
            raise PowerError('no UPS could be read: %s' % ('; '.join(problems) or 'no host has power.ups in the '
                                                           'hardware file'))
        raise PowerError('ups: power_info read %d UPSes (%s); name the one to follow (ups=name@host)'
                         % (len(states), ', '.join(sorted(states))))
    if not isinstance(ups, str) or '@' not in ups:
        raise PowerError('ups: expected name@host, got %r' % (ups,))
    if ups not in states:
        why = ('; '.join(u for u in problems if ups in u)
               or 'no host of this run is fed by it (read: %s)' % (', '.join(sorted(states)) or 'none'))
        raise PowerError('UPS %s could not be read: %s' % (ups, why))
    return ups


def ups_shutdown_plan(power, hostvars, ups=None, threshold_pct=30.0, keep_roles=('firewall', 'logic')):
    try:
        read = readings(power, need_house=False)
        ups = _which_ups(read, ups)
        fed = sorted(name for name, reading in read['hosts'].items() if reading.get('ups') == ups)
        hosts = [{'name': view['name'], 'priority': priority(view['name'], view['roles'], view['power_priority']),
                  'roles': view['roles'], 'services': view['power_shutdown_services'],
                  'awake': is_awake(read['hosts'][view['name']])}
                 for view in host_views(hostvars, fed)]
        plan = shutdown_plan(hosts, read['ups'][ups], number_at('threshold_pct', threshold_pct, 0),
                             tuple(keep_roles))
    except (HostViewError, PowerError) as exc:
        raise AnsibleFilterError('homelab.cluster.ups_shutdown_plan: %s' % exc) from None
    if plan is not None:
        plan['ups'] = ups
    return plan


class FilterModule:
    def filters(self):
        return {'ups_shutdown_plan': ups_shutdown_plan}
