#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: proxmox_guests
short_description: Proxmox VE guests as code - checked against the node, created and reconciled idempotently
version_added: 0.1.0
description:
  - Makes the declared QEMU guests of one node exist with the declared vCPUs, memory, disks, bridges/VLAN tags,
    cloud-init user and SSH keys, tags and GPUs. GPUs are named by model (C(RTX 4070 Ti Super)); the module finds
    them in the node's C(/hardware/pci), gives each a cluster PCI resource mapping and passes the mapping to the
    guest (C(hostpciN=mapping=...)), which an API token may use (raw host devices are C(root@pam)'s).
  - The input is checked before any request (every field of every guest, unknown keys named), then the whole plan
    against the node, and nothing is changed when a check fails; the error lists every reason,
    naming the guest and the field - over-committed memory (the guests plus O(reserve_gb) above the node's RAM),
    a GPU the node lacks, a GPU given twice, a split IOMMU group, vfio-pci ids that would take a card left to the host.
  - Only what differs is written; disks grow (C(resize)), never shrink. Guests not named are left alone.
    Check mode reports the plan and the changes; diff mode shows each guest's config before and after.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  node:
    description: The node the guests run on.
    type: str
    required: true
  guests:
    description:
      - The guests. Each has C(name), C(vmid), C(cores), C(memory_gb); optional C(disks) (C(slot), C(storage),
        C(size_gb)), C(networks) (C(bridge), C(vlan), C(model), C(firewall)), C(gpus) (models, or C(model) with
        C(pci) to pin a bus id, C(pcie), C(x_vga)), C(cloud_init) (C(user), C(ssh_keys), C(ipconfig), C(storage)),
        C(tags), C(pool), C(ostype), C(bios), C(cpu_type), C(onboot), C(node) (others are skipped).
    type: list
    elements: dict
    required: true
  reserve_gb:
    description: Memory the host keeps for itself (seed 004's table reserves 16 GB).
    type: float
    default: 16
  start:
    description: Start a stopped guest after it is created or changed.
    type: bool
    default: false
  declared_gpus:
    description: The node's GPUs from the hardware file (C(homelab_gpus)); they tell boards with one PCI id apart.
    type: list
    elements: dict
    default: []
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_diff
  - homelab.cluster.proxmox.modules
seealso:
  - name: homelab.cluster.proxmox_node
    description: The role that prepares the node (IOMMU, vfio-pci) for the GPUs this module passes through.
    link: https://github.com/homelab/cluster/tree/main/roles/proxmox_node
'''

EXAMPLES = r'''
- name: The seed's k3s VMs on forge
  homelab.cluster.proxmox_guests:
    api_url: https://forge.lan:8006
    api_token_id: automation@pve!homelab
    api_token_secret: "{{ vault_pve_token }}"
    node: forge
    reserve_gb: 16
    guests:
      - {name: k3s-cp, vmid: 201, cores: 4, memory_gb: 8, disks: [{storage: local-lvm, size_gb: 32}],
         networks: [{bridge: vmbr0, vlan: 30}], cloud_init: {user: k3s, ssh_keys: ["ssh-ed25519 AAAA... me"]}}
      - {name: k3s-gpu1, vmid: 211, cores: 8, memory_gb: 32, gpus: [RTX 4070 Ti Super],
         disks: [{storage: local-lvm, size_gb: 64}], networks: [{bridge: vmbr0, vlan: 30}]}
  delegate_to: localhost
'''

RETURN = r'''
plan:
  description: The checked plan (per guest the GPUs with bus, IOMMU group, mapping and PCI ids; vfio_ids; memory).
  returned: always
  type: dict
  sample: {node: forge, vfio_ids: ["10de:22bb", "10de:2705"], memory_gb: 72, node_gb: 128, reserve_gb: 16}
guests:
  description: What happened to each guest - C(action) created, updated or unchanged, with the keys set and disks grown.
  returned: always
  type: list
  elements: dict
  sample: [{name: k3s-cp, vmid: 201, action: unchanged, set: {}, resize: {}}]
refusals:
  description: Why the plan was refused (empty when it was not).
  returned: failure
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.cluster.plugins.module_utils._pve.client import PveError
from ansible_collections.homelab.cluster.plugins.module_utils._pve.guest_input import check_guests
from ansible_collections.homelab.cluster.plugins.module_utils._pve.module import connect
from ansible_collections.homelab.cluster.plugins.module_utils._pve.module import pve_argument_spec
from ansible_collections.homelab.cluster.plugins.module_utils._pve.plan import config_changes
from ansible_collections.homelab.cluster.plugins.module_utils._pve.plan import desired_config
from ansible_collections.homelab.cluster.plugins.module_utils._pve.plan import plan_guests


class Guests:
    def __init__(self, module, client):
        self.module, self.client, self.p = module, client, module.params
        self.changed = False
        self.diff = {'before': {}, 'after': {}}

    def fail(self, msg, **kwargs):
        self.module.fail_json(msg=msg, changed=self.changed, **kwargs)

    def call(self, method, resource, **params):
        try:
            return self.client.call(method, resource, **params)
        except PveError as exc:
            self.fail('%s (tried for node %s)' % (exc, self.p['node']))

    def run(self):
        node = self.p['node']
        nodes = {r['node']: r for r in self.call('GET', '/cluster/resources', type='node')}
        if node not in nodes:
            self.fail('node %s is not in the cluster (nodes: %s)' % (node, ', '.join(sorted(nodes))))
        pci = self.call('GET', '/nodes/%s/hardware/pci' % node)
        plan, refusals = plan_guests(self.p['guests'], node, pci, nodes[node].get('maxmem'), self.p['reserve_gb'],
                                     self.p['declared_gpus'])
        if refusals:
            self.fail('refusing the guest plan for node %s, nothing was changed: %s' % (node, '; '.join(refusals)),
                      refusals=refusals, plan=plan)
        existing = {str(r['vmid']): r for r in self.call('GET', '/cluster/resources', type='vm')}
        mine = [g for g in self.p['guests'] if g.get('node', node) == node]
        # every guest's changes are worked out (and refused) before the first write
        steps, refusals = [], []
        for guest, planned in zip(mine, plan['guests']):
            step = self.plan_guest(node, guest, planned, existing.get(str(guest['vmid'])))
            refusals += step.pop('refusals')
            steps.append(step)
        if refusals:
            self.fail('refusing the guest plan for node %s, nothing was changed: %s' % (node, '; '.join(refusals)),
                      refusals=refusals, plan=plan)
        results = []
        for guest, planned, step in zip(mine, plan['guests'], steps):
            for device in planned['devices']:
                self.ensure_mapping(node, device)
            results.append(self.ensure_guest(node, guest, step))
        return plan, results

    def ensure_mapping(self, node, device):
        entry = 'node=%s,path=%s,id=%s,iommugroup=%s' % (node, device['bus'], device['pci_id'], device['group'])
        current = self.call('GET', '/cluster/mapping/pci')
        found = next((m for m in current if m['id'] == device['mapping']), None)
        if found is None:
            self.changed = True
            if not self.module.check_mode:
                self.call('POST', '/cluster/mapping/pci', id=device['mapping'], map=[entry])
            return
        others = [e for e in found.get('map') or () if 'node=%s,' % node not in e + ',']
        if sorted(found.get('map') or ()) != sorted(others + [entry]):
            self.changed = True
            if not self.module.check_mode:
                self.call('PUT', '/cluster/mapping/pci/%s' % device['mapping'], map=others + [entry])

    def plan_guest(self, node, guest, planned, resource):
        """What one guest needs: {want, current, changes, resize, refusals}; reads only."""
        vmid = str(guest['vmid'])
        label = '%s (%s)' % (guest['name'], vmid)
        step = {'want': desired_config(guest, planned['devices']), 'current': None, 'changes': {}, 'resize': {},
                'refusals': []}
        if resource is not None and resource['node'] != node:
            step['refusals'].append('%s: vmid %s exists on node %s, the plan puts it on %s; migrate it first'
                                    % (label, vmid, resource['node'], node))
        elif resource is not None and resource.get('type', 'qemu') != 'qemu':
            step['refusals'].append('%s: vmid %s is a %s guest, not a QEMU VM' % (label, vmid, resource['type']))
        elif resource is not None:
            step['current'] = self.call('GET', '/nodes/%s/qemu/%s/config' % (node, vmid))
            step['changes'], step['resize'], step['refusals'] = config_changes(step['current'], step['want'])
        return step

    def ensure_guest(self, node, guest, step):
        vmid, want, current = str(guest['vmid']), step['want'], step['current']
        changes, resize = step['changes'], step['resize']
        label = '%s (%s)' % (guest['name'], vmid)
        if current is None:
            self.changed = True
            self.diff['after'][label] = want
            result = {'name': guest['name'], 'vmid': int(vmid), 'action': 'created', 'set': want, 'resize': {}}
            if not self.module.check_mode:
                extra = {'pool': guest['pool']} if guest.get('pool') else {}
                upid = self.call('POST', '/nodes/%s/qemu' % node, vmid=int(vmid), **dict(want, **extra))
                self.wait(node, upid)
                self.start(node, vmid, guest)
            return result
        action = 'updated' if changes or resize else 'unchanged'
        if changes or resize:
            self.changed = True
            self.diff['before'][label] = {k: current.get(k) for k in list(changes) + list(resize)}
            self.diff['after'][label] = dict(changes, **{k: 'size=%s' % v for k, v in resize.items()})
            if not self.module.check_mode:
                if changes:
                    self.wait(node, self.call('POST', '/nodes/%s/qemu/%s/config' % (node, vmid),
                                              digest=current.get('digest'), **changes))
                for disk, size in sorted(resize.items()):
                    self.wait(node, self.call('PUT', '/nodes/%s/qemu/%s/resize' % (node, vmid), disk=disk, size=size))
        if not self.module.check_mode and self.start(node, vmid, guest) and action == 'unchanged':
            action = 'started'
        return {'name': guest['name'], 'vmid': int(vmid), 'action': action, 'set': changes, 'resize': resize}

    def start(self, node, vmid, guest):
        if not self.p['start']:
            return False
        status = self.call('GET', '/nodes/%s/qemu/%s/status/current' % (node, vmid))
        if status.get('status') == 'running':
            return False
        self.changed = True
        self.wait(node, self.call('POST', '/nodes/%s/qemu/%s/status/start' % (node, vmid)))
        return True

    def wait(self, node, upid):
        try:
            self.client.wait(node, upid, timeout=max(60, self.p['timeout'] * 4))
        except PveError as exc:
            self.fail('%s (node %s)' % (exc, node))


def main():
    module = AnsibleModule(
        argument_spec=pve_argument_spec(
            node=dict(type='str', required=True),
            guests=dict(type='list', elements='dict', required=True),
            reserve_gb=dict(type='float', default=16),
            start=dict(type='bool', default=False),
            declared_gpus=dict(type='list', elements='dict', default=[]),
        ),
        supports_check_mode=True,
    )
    # the whole input first: a bad guest is refused before any request, so nothing is half-applied
    problems = check_guests(module.params['guests'])
    if problems:
        module.fail_json(msg='%d problem%s in the guests input, nothing was sent: %s'
                         % (len(problems), 's' if len(problems) > 1 else '', '; '.join(problems)), refusals=problems)
    guests = Guests(module, connect(module))
    plan, results = guests.run()
    out = dict(changed=guests.changed, plan=plan, guests=results)
    if module._diff:
        out['diff'] = guests.diff
    module.exit_json(**out)


if __name__ == '__main__':
    main()
