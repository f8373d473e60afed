# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: slurm_conf
short_description: slurm.conf and gres.conf for the homelab, from the classified inventory
version_added: 0.1.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - One NodeName line per compute host - CPUs and RealMemory from its gathered facts (what slurmd will report),
    or from the hardware file with O(source=hardware); C(Gres=gpu:<type>:<n>) from a M(homelab.cluster.gpu_info)
    result (O(gpu_info_var)) or the declared C(homelab_gpus); Features from the tier, the roles and the GPU
    vendors; Weight from the idle draw, so Slurm fills the cheapest nodes first.
  - One partition per tier, a C(gpu) partition and a low-PriorityTier C(volatile) partition for the hosts a
    person may grab at any time.
  - Power saving for the wakeable hosts - SuspendProgram, ResumeProgram, ResumeFailProgram and PrologSlurmctld of
    the homelab.cluster.slurm role, SuspendExcNodes for every other host and the controller, ResumeTimeout from
    the slowest boot.
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  hosts:
    description: The compute hosts.
    type: list
    elements: str
    required: true
  groups:
    description: C(groups) (for C(wakeable)).
    type: dict
    required: true
  controller:
    description: The slurmctld host (the logic node).
    type: str
    required: true
  cluster:
    description: ClusterName.
    type: str
    default: homelab
  source:
    description: V(facts) (what slurmd reports; the hardware file when a host has no facts) or V(hardware).
    type: str
    default: facts
  reserve_mb:
    description: Memory kept from Slurm on each node (for the OS).
    type: int
    default: 512
  gpu_info_var:
    description: The host variable holding a registered gpu_info result.
    type: str
    default: slurm_gpu_info
  default_partition:
    description: The default partition; the first tier's when empty.
    type: str
  overrides:
    description: Any slurm.conf key to set (a null value removes one this filter writes).
    type: dict
  partition_overrides:
    description: Extra or changed keys per partition name.
    type: dict
  power:
    description: C(suspend_time), C(suspend_timeout), C(resume_margin_s); V(false) for no power saving.
    type: raw
  configless:
    description: Serve the configuration from slurmctld (C(enable_configless)).
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Render the configuration
  ansible.builtin.set_fact:
    slurm_rendered: >-
      {{ hostvars | homelab.cluster.slurm_conf(groups['slurm_compute'], groups, controller='keeper') }}
'''

RETURN = r'''
_value:
  description: C(text) (slurm.conf), C(gres_conf), C(nodes), C(partitions) and C(power).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._hostview import HostViewError
from ansible_collections.homelab.cluster.plugins.module_utils._hostview import host_views
from ansible_collections.homelab.cluster.plugins.module_utils._slurm import SlurmError
from ansible_collections.homelab.cluster.plugins.module_utils._slurm import host_record
from ansible_collections.homelab.cluster.plugins.module_utils._slurm import slurm_conf as render


def slurm_conf(hostvars, hosts, groups, controller, cluster='homelab', source='facts', reserve_mb=512,
               gpu_info_var='slurm_gpu_info', default_partition=None, overrides=None, partition_overrides=None,
               power=None, configless=False):
    try:
        if isinstance(hosts, str) or not isinstance(hosts, (list, tuple)):
            raise SlurmError('hosts: expected a list of host names, got %r' % (hosts,))
        if source not in ('facts', 'hardware'):
            raise SlurmError("source: expected 'facts' or 'hardware', got %r" % (source,))
        records = []
        for view in host_views(hostvars, list(hosts)):
            values = hostvars[view['name']]
            info = values.get(gpu_info_var)
            gpus = info.get('gpus') if isinstance(info, dict) and 'gpus' in info else None
            record = host_record(view, values.get('ansible_facts'), source, reserve_mb, gpus,
                                 values.get('slurm_address'), values.get('slurm_features'))
            if power is False:
                record['wakeable'] = False  # no power saving: nothing is suspended
            records.append(record)
        if controller not in hostvars:
            raise SlurmError('controller: %r is not an inventory host' % (controller,))
        values = hostvars[controller]
        address = values.get('slurm_address') or values.get('ansible_host')
        return render(records, controller, cluster=cluster, default_partition=default_partition or None,
                      overrides=overrides, partition_overrides=partition_overrides,
                      power=power if isinstance(power, dict) else {}, configless=configless,
                      controller_address=address)
    except (HostViewError, SlurmError) as exc:
        raise AnsibleFilterError('homelab.cluster.slurm_conf: %s' % exc) from None


class FilterModule:
    def filters(self):
        return {'slurm_conf': slurm_conf}
