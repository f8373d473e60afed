#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: truenas_pool
short_description: A ZFS pool on TrueNAS SCALE from named disks, refusing disks that hold data, and its scrub
version_added: 0.1.0
description:
  - Creates the pool from the disks named (device names like V(sda) or serial numbers) with a layout, waits for
    the pool.create job, and keeps its scrub task on the schedule given. An existing pool is never rebuilt or
    extended; a pool that differs from the layout asked for is reported as a warning.
  - B(Disks that hold data are refused) unless O(force=true) - TrueNAS itself formats a disk that carries an
    exported pool or other partitions without asking. Disks of an imported pool are refused always.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  name:
    description: The pool name.
    type: str
    required: true
  layout:
    description: The vdev type.
    type: str
    choices: [stripe, mirror, raidz1, raidz2, raidz3]
    default: raidz2
  disks:
    description:
      - The data disks, by name (V(sda)) or serial number. Needed only to create the pool.
      - Checked with C(disk.details) before the pool is created; the run stops with every disk that is missing,
        already in a pool, or holds an exported pool or partitions.
    type: list
    elements: str
    default: []
  vdev_width:
    description: Disks per vdev (V(4) with 8 disks and V(raidz2) makes two RAID-Z2 vdevs). Default, one vdev.
    type: int
  spares:
    description: Hot spares, by name or serial.
    type: list
    elements: str
    default: []
  force:
    description:
      - Use disks that hold an exported pool or partitions, B(destroying what is on them).
    type: bool
    default: false
  scrub:
    description:
      - The pool's scrub task (TrueNAS creates one with each pool, weekly with a 35 day threshold). Only the keys
        given are managed. A scrub starts at the scheduled time when the last one is older than O(scrub.threshold)
        days.
    type: dict
    suboptions:
      enabled:
        description: Whether scrubs run.
        type: bool
      threshold:
        description: Days since the last scrub before a scheduled one runs.
        type: int
      description:
        description: A note.
        type: str
      schedule:
        description: Cron fields C(minute), C(hour), C(dom), C(month), C(dow) (1-7, 7 = Sunday).
        type: dict
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_diff
  - homelab.cluster.truenas
seealso:
  - module: homelab.cluster.truenas_dataset
  - module: homelab.cluster.truenas_info
'''

EXAMPLES = r'''
- name: The seed's NAS pool, 4 x 14 TB in RAID-Z2, scrubbed monthly
  homelab.cluster.truenas_pool:
    api_url: wss://nas.lab/api/current
    api_username: ansible
    api_key: "{{ truenas_api_key }}"
    ca_path: /etc/ssl/homelab-ca.pem
    name: tank
    layout: raidz2
    disks: [ZL200001, ZL200002, ZL200003, ZL200004]
    scrub:
      threshold: 27
      schedule: {minute: "00", hour: "03", dom: "1", month: "*", dow: "*"}
  delegate_to: localhost
'''

RETURN = r'''
pool:
  description: The pool after the run (planned values in check mode).
  returned: always
  type: dict
  sample: {"name": "tank", "status": "ONLINE", "healthy": true, "layout": "raidz2", "vdevs": 1,
           "disks": ["sda", "sdb", "sdc", "sdd"], "size": 28000000000000}
scrub:
  description: The pool's scrub task after the run.
  returned: when the pool exists or is created
  type: dict
usable_bytes:
  description: When a pool is created, the data space before ZFS overhead.
  returned: when the pool is created
  type: int
changes:
  description: What was (or would be) done.
  returned: always
  type: list
  elements: str
api:
  description: The session (url, version, mechanism, key_logins, token_logins, reconnects, calls).
  returned: always
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.cluster.plugins.module_utils._truenas import pool as logic
from ansible_collections.homelab.cluster.plugins.module_utils._truenas.module import argument_spec
from ansible_collections.homelab.cluster.plugins.module_utils._truenas.module import run_module


def apply(run):
    params = run.module.params
    name, layout = params['name'], params['layout']
    scrub = logic.scrub_desired(params['scrub'])
    session = run.connect()
    pools = session.call('pool.query', [['name', '=', name]])
    result = {}
    if pools:
        pool = pools[0]
        if params['disks']:
            details = session.call('disk.details', {'join_partitions': False, 'type': 'BOTH'})
            names = logic.resolve_disks(params['disks'], details)[0] if params['disks'] else []
            drift = logic.layout_drift(pool, layout, names, params['vdev_width'])
            if drift:
                run.module.warn(drift)
        result['pool'] = logic.summary(pool)
    else:
        if not params['disks']:
            raise logic.PoolError('pool %s does not exist and no disks were given to create it' % name)
        details = session.call('disk.details', {'join_partitions': True, 'type': 'BOTH'})
        names, by_name = logic.resolve_disks(params['disks'], details)
        spares = logic.resolve_disks(params['spares'], details, 'spares')[0] if params['spares'] else []
        overlap = sorted(set(names) & set(spares))
        if overlap:
            raise logic.PoolError('%s both a data disk and a spare' % ', '.join(overlap))
        topology = logic.topology(layout, names, params['vdev_width'], spares)
        refused, forced = logic.disk_problems(names + spares, by_name, params['force'])
        if refused:
            raise logic.PoolError('refusing to create pool %s: %s. Nothing was changed. Free those disks, or set '
                                  'force: true to destroy what they hold' % (name, '; '.join(refused)))
        for message in forced:
            run.module.warn('force: %s; it will be destroyed' % message)
        result['usable_bytes'] = logic.usable_bytes(layout, names, by_name, params['vdev_width'])
        planned = {'name': name, 'layout': layout, 'vdevs': len(topology['data']), 'disks': names, 'spares': spares}
        run.pending = ['create pool %s' % name]
        if run.check_mode:
            pool = None
            result['pool'] = dict(planned, status=None, healthy=None)
        else:
            pool = session.job('pool.create', {'name': name, 'topology': topology},
                               recheck=lambda: _recheck(session, name))
            result['pool'] = logic.summary(pool)
        run.pending = []
        run.change('create pool %s (%s on %s)' % (name, layout, ', '.join(names)), 'pool ' + name, None, planned)
    if scrub is not None:
        result['scrub'] = _scrub(run, session, result['pool'], pools[0] if pools else None, scrub)
    return result


def _recheck(session, name):
    pools = session.call('pool.query', [['name', '=', name]])
    return pools[0] if pools else None


def _scrub(run, session, summary, pool, desired):
    name = summary['name']
    rows = session.call('pool.scrub.query', [['pool_name', '=', name]]) if pool is not None or not run.check_mode \
        else []
    current = rows[0] if rows else None
    if current is None and run.check_mode and pool is None:
        # pool.create makes a default scrub task (weekly, 35 days); the update will apply to that one
        current = {'pool_name': name, 'enabled': True, 'threshold': 35, 'description': '',
                   'schedule': {'minute': '00', 'hour': '00', 'dom': '*', 'month': '*', 'dow': '7'}}
    if current is None:
        created = dict({'enabled': True, 'threshold': 35, 'description': ''}, **desired)
        if not run.check_mode:
            pool_id = session.call('pool.query', [['name', '=', name]])[0]['id']
            current = session.call('pool.scrub.create', dict(created, pool=pool_id), safe=False)
        run.change('create scrub task of %s' % name, 'scrub ' + name, None, created)
        return current or created
    update = logic.scrub_update(current, desired)
    if not update:
        return current
    after = dict(current, **update)
    if not run.check_mode:
        after = session.call('pool.scrub.update', current['id'], update)
    run.change('update scrub task of %s: %s' % (name, ', '.join(sorted(update))), 'scrub ' + name,
               {k: current.get(k) for k in update}, {k: after.get(k) for k in update})
    return after


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(
            name=dict(type='str', required=True),
            layout=dict(type='str', default='raidz2', choices=['stripe', 'mirror', 'raidz1', 'raidz2', 'raidz3']),
            disks=dict(type='list', elements='str', default=[]),
            vdev_width=dict(type='int'),
            spares=dict(type='list', elements='str', default=[]),
            force=dict(type='bool', default=False),
            scrub=dict(type='dict', options=dict(
                enabled=dict(type='bool'), threshold=dict(type='int'), description=dict(type='str'),
                schedule=dict(type='dict'))),
        ),
        supports_check_mode=True,
    )
    run_module(module, apply)


if __name__ == '__main__':
    main()
