# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: place
short_description: Choose the host that runs a workload with the least added power draw
version_added: 0.1.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - Given a workload and candidate hosts of the C(homelab.cluster.tiers) inventory with their power state,
    returns the host that fits (CPU threads, RAM, VRAM on a GPU of the wanted vendor) with the lowest added
    power draw.
  - The added draw is the workload's share (O(_input.weight)) of the host's dynamic power (C(peak_w - idle_w)).
    A host that is asleep also adds its C(idle_w), because waking it switches that on, and costs its
    C(boot_s). Ties go to hosts that are already awake.
  - Volatile hosts (the gaming PC) are used only when their C(homelab_gaming) variable is V(false) (a host
    that was not probed counts as in use). Sleeping hosts that are not in the C(wakeable) group are never chosen.
  - Host vars are read through P(homelab.cluster.host_view#filter).
options:
  _input:
    description: The workload.
    type: dict
    required: true
    suboptions:
      vram_gb:
        description: GPU memory needed, in GB. V(0) means no GPU.
        type: float
      ram_gb:
        description: System memory needed, in GB.
        type: float
      cores:
        description: CPU threads needed.
        type: int
      weight:
        description: Share of the host's dynamic power (peak - idle) the workload draws, between 0 and 1.
        type: float
        default: 1
      gpu_vendor:
        description: GPU vendor needed.
        type: str
        choices: [any, nvidia, amd, intel]
        default: any
      multi_gpu:
        description: Whether the workload may span all matching GPUs of a host. Otherwise one GPU must hold it.
        type: bool
        default: false
      max_wait_s:
        description: Longest acceptable boot wait; sleeping hosts with a longer C(boot_s) are not chosen.
        type: int
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
  candidates:
    description: Inventory names to choose from.
    type: list
    elements: str
    required: true
  states:
    description:
      - Power state of each candidate, V(up) or V(down) (the C(state_before) of
        M(homelab.cluster.wake) with O(homelab.cluster.wake#module:state=probe)). A missing host counts as up.
    type: dict
    default: {}
'''

EXAMPLES = r'''
- name: Where should a 12 GB NVIDIA inference job go?
  ansible.builtin.debug:
    msg: "{{ {'vram_gb': 12, 'gpu_vendor': 'nvidia', 'weight': 0.6}
             | homelab.cluster.place(hostvars, groups['role_inference'], power_states) }}"
'''

RETURN = r'''
_value:
  description: The decision.
  type: dict
  contains:
    host:
      description: The chosen host, or null when nothing fits.
      type: str
    wake:
      description: Whether the chosen host must be woken first.
      type: bool
    reason:
      description: Why this host, with the runner-up; or why nothing fits.
      type: str
    added_w:
      description: Power the cluster draws in addition, in watts.
      type: float
    boot_s:
      description: Boot wait before the workload can start (0 when awake).
      type: int
    ranked:
      description: Every fitting host, best first, with its added draw.
      type: list
      elements: dict
    rejected:
      description: Each host that does not fit, with the reason.
      type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._hostview import HostViewError
from ansible_collections.homelab.cluster.plugins.module_utils._hostview import host_views
from ansible_collections.homelab.cluster.plugins.module_utils._placement import PlacementError
from ansible_collections.homelab.cluster.plugins.module_utils._placement import candidate
from ansible_collections.homelab.cluster.plugins.module_utils._placement import place
from ansible_collections.homelab.cluster.plugins.module_utils._placement import power_states


def place_filter(workload, hostvars, candidates, states=None):
    try:
        views = host_views(hostvars, list(candidates))
        states = power_states(states, [v['name'] for v in views])
        return place(workload, [candidate(view, states[view['name']]) for view in views])
    except (HostViewError, PlacementError) as exc:
        raise AnsibleFilterError('homelab.cluster.place: %s' % exc) from None


class FilterModule:
    def filters(self):
        return {'place': place_filter}
