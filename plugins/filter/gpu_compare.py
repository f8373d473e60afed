# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: gpu_compare
short_description: What gpu_info found against the GPUs the hardware file declares
version_added: 0.1.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - Matches each declared GPU (C(homelab_gpus)) with a found one by vendor and model (C(lspci) names that list
    several boards, V(Radeon RX 7900 XT/7900 XTX), match any of them), then by vendor alone.
  - Reports, per GPU, a different memory size (beyond O(tolerance_gb)), a different PCIe generation (compared
    with what the link can do, as an idle card trains down to gen 1) or lane count (what it runs at, e.g. an x16 card
    in an x4 slot), a declared GPU that is not there, another model in its place, and a found GPU nobody
    declared. Integrated GPUs that are not declared are notes, not differences.
options:
  _input:
    description: The registered result of M(homelab.cluster.gpu_info), or its C(gpus) list.
    type: raw
    required: true
  declared:
    description: The declared GPUs (C(homelab_gpus)).
    type: list
    elements: dict
    required: true
  tolerance_gb:
    description: Memory differences up to this are the same card (16 GB declared, 15.99 GiB reported).
    type: float
    default: 0.5
'''

EXAMPLES = r'''
- name: Compare
  ansible.builtin.debug:
    msg: "{{ gpu | homelab.cluster.gpu_compare(homelab_gpus | default([])) }}"
'''

RETURN = r'''
_value:
  description:
    - C(differences) (phrases naming the declared index and model, e.g. V(gpus[0] RTX 4070 Ti Super - declared
      16 GB, found 12 GB)), C(notes), and C(matched) (declared index, bus id, model found).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._gpu import compare


def gpu_compare(found, declared, tolerance_gb=0.5):
    gpus = found.get('gpus') if isinstance(found, dict) else found
    if not isinstance(gpus, list):
        raise AnsibleFilterError('homelab.cluster.gpu_compare: found: expected the registered result of '
                                 'homelab.cluster.gpu_info (or its gpus list), got %r' % (found,))
    if not isinstance(declared, list):
        raise AnsibleFilterError('homelab.cluster.gpu_compare: declared: expected a list (the host view\'s gpus), '
                                 'got %r' % (declared,))
    return compare(declared, gpus, tolerance_gb=float(tolerance_gb))


class FilterModule:
    def filters(self):
        return {'gpu_compare': gpu_compare}
