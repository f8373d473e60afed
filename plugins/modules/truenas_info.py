#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: truenas_info
short_description: What a TrueNAS SCALE holds - pool health, datasets, shares, tasks, snapshots, alerts
version_added: 0.1.0
description:
  - Reads, in one login, the release, the pools (health, layout, space, last scrub or resilver) with their scrub
    tasks, the datasets with the properties the collection manages and their space, the NFS and SMB shares,
    the periodic snapshot and replication tasks (with their state), the snapshots of each dataset (how many,
    the newest) and the alerts that are not dismissed. Changes nothing.
  - Snapshots are read with the query of the release (C(zfs.snapshot.query) on 25.04, C(pool.snapshot.query)
    on 25.10, C(zfs.resource.snapshot.query) on 26).
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  gather:
    description: What to read.
    type: list
    elements: str
    choices: [pools, datasets, shares, tasks, snapshots, alerts, disks]
    default: [pools, datasets, shares, tasks, snapshots, alerts]
  datasets:
    description: Only these datasets (and their snapshots); default, all.
    type: list
    elements: str
  issue_token:
    description:
      - Also return C(session_token), a multi-use token bound to this address for O(token_ttl) seconds, for the
        O(api_token) of the next tasks of the play (one key login per play). Register the result with C(no_log).
    type: bool
    default: false
  token_ttl:
    description: Seconds the issued token lives.
    type: int
    default: 600
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_no_diff
  - homelab.cluster.truenas
attributes:
  check_mode:
    support: full
    details: Reads only.
seealso:
  - module: homelab.cluster.truenas_pool
'''

EXAMPLES = r'''
- name: Is the NAS healthy?
  homelab.cluster.truenas_info:
    api_url: wss://nas.lab/api/current
    api_username: ansible
    api_key: "{{ truenas_api_key }}"
  delegate_to: localhost
  register: nas

- name: One key login for the play - a session token for the next tasks
  homelab.cluster.truenas_info:
    api_url: wss://nas.lab/api/current
    api_username: ansible
    api_key: "{{ truenas_api_key }}"
    gather: []
    issue_token: true
  delegate_to: localhost
  register: nas_session
  no_log: true

- name: Fail on a degraded pool or a critical alert
  ansible.builtin.assert:
    that:
      - nas.pools | rejectattr('healthy') | list | length == 0
      - nas.alerts | selectattr('level', 'in', ['CRITICAL', 'ALERT', 'EMERGENCY']) | list | length == 0
'''

RETURN = r'''
session_token:
  description: With O(issue_token), the token for O(api_token) of the next tasks.
  returned: when O(issue_token=true)
  type: str
version:
  description: The release, like C(25.10) or C(26.0), and the full version string.
  returned: always
  type: dict
  sample: {"release": "25.10", "full": "25.10.5"}
pools:
  description: Each pool with C(name), C(status), C(healthy), C(layout), C(vdevs), C(disks), C(size), C(free),
    C(last_scan) and its C(scrub) task.
  returned: when gathered
  type: list
  elements: dict
datasets:
  description: Each dataset by name, with the managed properties, C(used), C(available) and C(encrypted).
  returned: when gathered
  type: dict
shares:
  description: C(nfs) (by path) and C(smb) (by name, in 25.10 terms).
  returned: when gathered
  type: dict
tasks:
  description: C(snapshot) tasks (C(dataset@naming_schema)) and C(replication) tasks (by name) with their state.
  returned: when gathered
  type: dict
snapshots:
  description: Per dataset, C(count) and C(latest) (the newest snapshot's name).
  returned: when gathered
  type: dict
alerts:
  description: Alerts not dismissed, with C(level), C(klass), C(text) and C(datetime).
  returned: when gathered
  type: list
  elements: dict
disks:
  description: Disks with C(name), C(serial), C(size), C(model), C(pool) (imported or exported) and C(partitions).
  returned: when gathered
  type: list
  elements: dict
api:
  description: The session (url, version, mechanism, key_logins, token_logins, reconnects, calls).
  returned: always
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.cluster.plugins.module_utils._truenas import dataset as datasets_logic
from ansible_collections.homelab.cluster.plugins.module_utils._truenas import pool as pool_logic
from ansible_collections.homelab.cluster.plugins.module_utils._truenas import share as share_logic
from ansible_collections.homelab.cluster.plugins.module_utils._truenas import tasks as task_logic
from ansible_collections.homelab.cluster.plugins.module_utils._truenas import versions
from ansible_collections.homelab.cluster.plugins.module_utils._truenas.module import argument_spec
from ansible_collections.homelab.cluster.plugins.module_utils._truenas.module import run_module

GATHER = ['pools', 'datasets', 'shares', 'tasks', 'snapshots', 'alerts', 'disks']


def read(run):
    params = run.module.params
    gather = set(params['gather'])
    session = run.connect()
    feats = session.features
    result = {'version': {'release': feats['version'], 'full': session.call('system.version_short')}}
    only = params['datasets']
    if 'pools' in gather:
        scrubs = {s['pool_name']: s for s in session.call('pool.scrub.query')}
        result['pools'] = [dict(pool_logic.summary(p), scrub=scrubs.get(p['name'])) for p in session.call('pool.query')]
    names = list(only or [])
    if 'datasets' in gather or ('snapshots' in gather and not only):
        filters = [['id', 'in', only]] if only else []
        rows = session.call('pool.dataset.query', filters, {'extra': {'retrieve_children': False}})
        names = names or [row['id'] for row in rows]
        if 'datasets' in gather:
            result['datasets'] = {row['id']: dict(
                datasets_logic.shown(row), used=_raw(row, 'used'), available=_raw(row, 'available'),
                mountpoint=row.get('mountpoint')) for row in rows}
    if 'shares' in gather:
        result['shares'] = {
            'nfs': {row['path']: share_logic.shown_nfs(row) for row in session.call('sharing.nfs.query')},
            'smb': {row['name']: share_logic.shown_smb(versions.smb_entry(row, feats))
                    for row in session.call('sharing.smb.query')}}
    if 'tasks' in gather:
        result['tasks'] = {
            'snapshot': {'%s@%s' % task_logic.snapshot_task_key(t): dict(
                task_logic.shown_snapshot_task(t), id=t['id'], state=t.get('state'))
                for t in session.call('pool.snapshottask.query')},
            'replication': {r['name']: dict(task_logic.shown_replication(r), id=r['id'], state=r.get('state'))
                            for r in session.call('replication.query')}}
    if 'snapshots' in gather:
        method, query = versions.snapshot_query(feats, names)
        result['snapshots'] = versions.snapshot_summary(session.call(method, *query), names) if names else {}
    if 'alerts' in gather:
        result['alerts'] = [{k: a.get(k) for k in ('level', 'klass', 'text', 'datetime', 'source', 'uuid')}
                            for a in session.call('alert.list') if not a.get('dismissed')]
    if params['issue_token']:
        result['session_token'] = session.issue_token(params['token_ttl'])
    if 'disks' in gather:
        details = session.call('disk.details', {'join_partitions': True, 'type': 'BOTH'})
        result['disks'] = [dict({k: d.get(k) for k in ('name', 'serial', 'size', 'model', 'type')},
                                pool=d.get('imported_zpool') or d.get('exported_zpool'),
                                partitions=[p.get('name') for p in d.get('partitions') or []])
                           for d in sorted(details.get('used', []) + details.get('unused', []),
                                           key=lambda d: d['name'])]
    return result


def _raw(row, key):
    prop = row.get(key)
    return prop.get('parsed') if isinstance(prop, dict) else None


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(
            gather=dict(type='list', elements='str', choices=GATHER, default=GATHER[:-1]),
            datasets=dict(type='list', elements='str'),
            issue_token=dict(type='bool', default=False),
            token_ttl=dict(type='int', default=600, no_log=False),
        ),
        supports_check_mode=True,
    )
    run_module(module, read)


if __name__ == '__main__':
    main()
