# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: health_transitions
short_description: What changed in the inference tier's health since the last run
version_added: 0.2.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - Compares a M(homelab.cluster.endpoint_health) result with the state the previous run stored (the prognosis,
    every tier and every endpoint) and returns the new state to store and the transitions, each with its reason.
  - The first run (no stored state) reports every state that is not V(HEALTHY). An endpoint that is no longer
    probed is reported once, as gone.
  - The state keeps since when each state has held, so it changes only when a state changes.
options:
  _input:
    description: The endpoint_health result.
    type: dict
    required: true
  previous:
    description: The stored state (this filter's C(state) of the previous run), or nothing.
    type: raw
  now:
    description: Epoch seconds of this run.
    type: float
    required: true
'''

EXAMPLES = r'''
- name: Compare with the previous run
  ansible.builtin.set_fact:
    inference_change: >-
      {{ inference_health | homelab.cluster.health_transitions(previous=stored, now=now().timestamp()) }}
'''

RETURN = r'''
_value:
  description: C(state) (to store), C(transitions) (C(key) such as V(endpoint/forge/ollama), C(from), C(to),
    C(reason)) and C(changed).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._inference.health import reasons_of
from ansible_collections.homelab.cluster.plugins.module_utils._inference.health import snapshot
from ansible_collections.homelab.cluster.plugins.module_utils._inference.health import transitions


def health_transitions(result, previous=None, now=None):
    if not isinstance(result, dict) or not {'endpoints', 'tiers', 'prognosis'} <= set(result):
        raise AnsibleFilterError('homelab.cluster.health_transitions: expected the result of '
                                 'homelab.cluster.endpoint_health, got %r' % type(result).__name__)
    if previous in ('', None):
        previous = None
    elif not isinstance(previous, dict):
        raise AnsibleFilterError('homelab.cluster.health_transitions: previous: expected the stored state (a mapping), '
                                 'got %r' % type(previous).__name__)
    try:
        now = float(now)
    except (TypeError, ValueError):
        raise AnsibleFilterError('homelab.cluster.health_transitions: now: expected epoch seconds, got %r'
                                 % (now,)) from None
    state = snapshot(result, round(now, 3), previous)
    changes = transitions(previous, state, reasons_of(result))
    return {'state': state, 'transitions': changes, 'changed': bool(changes)}


class FilterModule:
    def filters(self):
        return {'health_transitions': health_transitions}
