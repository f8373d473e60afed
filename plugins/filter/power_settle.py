# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: power_settle
short_description: What a power guard or UPS shutdown run really did, and the shed log to keep
version_added: 0.2.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - Joins the planned actions (from P(homelab.cluster.power_plan#filter) or the steps of
    P(homelab.cluster.ups_shutdown_plan#filter)) with the outcome of each step as C(playbooks/tasks/power_step.yml)
    records it (V(done), V(off) (the host was off already, which counts as done), V(failed), V(skipped)).
  - A shed action that did not happen stays out of the shed log (there is nothing to restore); a restore that
    did not happen keeps its entry, so the next run tries again. An action without an outcome counts as not run.
options:
  _input:
    description: The plan (a mapping with C(actions)) or the list of actions, in the order they were tried.
    type: raw
    required: true
  outcomes:
    description: One outcome per tried action (C(status), C(reason)), in the same order.
    type: list
    elements: dict
    required: true
  previous_log:
    description: The shed log the plan was made from (the previous run's state).
    type: list
    elements: dict
    default: []
'''

EXAMPLES = r'''
- name: What happened
  ansible.builtin.set_fact:
    power_result: "{{ power_plan | homelab.cluster.power_settle(power_outcomes, power_previous.shed_log) }}"
'''

RETURN = r'''
_value:
  description: C(shed_log) (to save for the next run), C(done), C(failed), C(skipped), C(not_run) (each a list of
    lines naming the step and the reason), C(complete) and C(summary).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._power import settle
from ansible_collections.homelab.cluster.plugins.module_utils._power_read import PowerError
from ansible_collections.homelab.cluster.plugins.module_utils._power_read import shed_entries


def power_settle(plan, outcomes, previous_log=None):
    actions = plan.get('actions') if isinstance(plan, dict) else plan
    try:
        if not isinstance(actions, list) or not all(isinstance(a, dict) and a.get('host') and a.get('action')
                                                    for a in actions):
            raise PowerError('plan: expected the power plan or its list of actions (action, host), got %r' % (plan,))
        return settle(shed_entries(previous_log), actions, outcomes)
    except PowerError as exc:
        raise AnsibleFilterError('homelab.cluster.power_settle: %s' % exc) from None


class FilterModule:
    def filters(self):
        return {'power_settle': power_settle}
