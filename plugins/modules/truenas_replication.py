#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: truenas_replication
short_description: ZFS replication tasks on TrueNAS SCALE (the offsite tier), in one login
version_added: 0.1.0
description:
  - Makes the replication tasks (found by name) look as declared. The SSH keychain credential is named, not
    numbered, and the periodic snapshot tasks whose snapshots are sent are named by dataset and naming schema
    (as M(homelab.cluster.truenas_snapshot_task) declares them); both are looked up on the NAS.
  - What is left out takes the API's default. O(replications[].state=absent) removes a task (no snapshot is
    deleted). Nothing is run by this module; a task with O(replications[].auto=true) runs after its snapshot tasks.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  replications:
    description: The replication tasks.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The task's name (its key).
        type: str
        required: true
      direction:
        description: V(push) from this NAS or V(pull) to it.
        type: str
        choices: [push, pull]
        default: push
      transport:
        description: V(ssh), V(ssh+netcat) (faster on a trusted link) or V(local) (another pool of this NAS).
        type: str
        choices: [ssh, ssh+netcat, local]
        default: ssh
      ssh_credentials:
        description: The name of the SSH keychain credential (System > Backup Credentials) for ssh transports.
        type: str
      source_datasets:
        description: Datasets to send (required unless O(replications[].state=absent)).
        type: list
        elements: str
      target_dataset:
        description: The dataset that receives them on the other side (required unless V(absent)).
        type: str
      recursive:
        description: Include children.
        type: bool
        default: false
      exclude:
        description: Children left out.
        type: list
        elements: str
        default: []
      periodic_snapshot_tasks:
        description: The snapshot tasks whose snapshots are sent, as C({dataset, naming_schema}) or task ids.
        type: list
        elements: raw
        default: []
      also_include_naming_schema:
        description: More snapshot names to send (push).
        type: list
        elements: str
        default: []
      naming_schema:
        description: Snapshot names to pull (pull).
        type: list
        elements: str
        default: []
      auto:
        description: Run after the bound snapshot tasks (or on O(replications[].schedule)).
        type: bool
        default: true
      schedule:
        description: Cron fields and C(begin)/C(end) window, for tasks not driven by snapshot tasks.
        type: dict
      retention_policy:
        description: On the target, keep snapshots as long as the V(source) does, V(custom) or V(none) (keep all).
        type: str
        choices: [source, custom, none]
        default: source
      lifetime_value:
        description: For V(custom) retention.
        type: int
      lifetime_unit:
        description: For V(custom) retention.
        type: str
        choices: [hour, day, week, month, year]
      readonly:
        description: Make the target read-only (V(set)), V(require) it, or V(ignore).
        type: str
        choices: [set, require, ignore]
        default: set
      compression:
        description: Compress the SSH stream.
        type: str
        choices: [lz4, pigz, plzip]
      speed_limit:
        description: Bytes per second for the SSH stream (an offsite link shared with the family).
        type: int
      encryption:
        description: Encrypt the target datasets.
        type: bool
        default: false
      enabled:
        description: Whether the task runs.
        type: bool
        default: true
      state:
        description: V(absent) removes the task.
        type: str
        choices: [present, absent]
        default: present
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_diff
  - homelab.cluster.truenas
seealso:
  - module: homelab.cluster.truenas_snapshot_task
'''

EXAMPLES = r'''
- name: The offsite tier
  homelab.cluster.truenas_replication:
    api_url: wss://nas.lab/api/current
    api_username: ansible
    api_key: "{{ truenas_api_key }}"
    replications:
      - name: offsite-family
        ssh_credentials: offsite
        source_datasets: [tank/family, tank/archive]
        target_dataset: backup/homelab
        recursive: true
        periodic_snapshot_tasks:
          - {dataset: tank/family, naming_schema: "daily-%Y-%m-%d_%H-%M"}
          - {dataset: tank/archive, naming_schema: "daily-%Y-%m-%d_%H-%M"}
        speed_limit: 12500000
  delegate_to: localhost
'''

RETURN = r'''
replications:
  description: Each task declared, by name, after the run (planned in check mode); removed ones are null.
  returned: always
  type: dict
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

from ansible_collections.homelab.cluster.plugins.module_utils._truenas import tasks as logic
from ansible_collections.homelab.cluster.plugins.module_utils._truenas.module import argument_spec
from ansible_collections.homelab.cluster.plugins.module_utils._truenas.module import run_module


def apply(run):
    wanted = [logic.normalise_replication(item, 'replications[%d]' % i)
              for i, item in enumerate(run.module.params['replications'])]
    names = [t['name'] for t in wanted]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise logic.TaskError('replications: %s declared twice' % ', '.join(twice))
    session = run.connect()
    present = [t for t in wanted if t['state'] == 'present']
    credentials = session.call('keychaincredential.query', [['type', '=', 'SSH_CREDENTIALS']]) if any(
        t['ssh_credentials'] for t in present) else []
    snapshot_tasks = session.call('pool.snapshottask.query') if any(t['periodic_snapshot_tasks'] for t in present) \
        else []
    resolved = [logic.resolve_replication(t, credentials, snapshot_tasks, 'replications[%d]' % i,
                                          planned=run.check_mode) if t['state'] == 'present' else t
                for i, t in enumerate(wanted)]
    for task in resolved:
        for ref in task.get('periodic_snapshot_tasks') or []:
            if not isinstance(ref, int):
                run.module.warn('check mode: replication %s would bind the snapshot task %s, which does not exist '
                                'yet (the snapshot task step creates it)' % (task['name'], ref))
    found = {row['name']: row for row in session.call('replication.query', [['name', 'in', names]])}
    result = {}
    run.pending = ['replication %s' % t['name'] for t in resolved]
    for task in resolved:
        name, entry = task['name'], found.get(task['name'])
        with run.step('replication %s' % name):
            before = logic.shown_replication(entry) if entry else None
            if task['state'] == 'absent':
                result[name] = None
                if entry:
                    if not run.check_mode:
                        session.call('replication.delete', entry['id'])
                    run.change('remove replication %s' % name, name, before, None)
                continue
            if entry is None:
                payload = logic.replication_payload(task)
                after = payload
                if not run.check_mode:
                    after = logic.shown_replication(session.call(
                        'replication.create', payload, recheck=lambda n=name: _find(session, n)))
                run.change('create replication %s (%s to %s)' % (name, ', '.join(task['source_datasets']),
                                                                 task['target_dataset']), name, None, after)
                result[name] = after
                continue
            update = logic.replication_update(task, entry)
            after = before
            if update:
                after = dict(before, **update)
                if not run.check_mode:
                    after = logic.shown_replication(session.call('replication.update', entry['id'], update))
                run.change('update replication %s: %s' % (name, ', '.join(sorted(update))), name,
                           {k: before.get(k) for k in update}, {k: after.get(k) for k in update})
            result[name] = after
    return {'replications': result}


def _find(session, name):
    rows = session.call('replication.query', [['name', '=', name]])
    return rows[0] if rows else None


def main():
    units = ['hour', 'day', 'week', 'month', 'year']
    module = AnsibleModule(
        argument_spec=argument_spec(replications=dict(type='list', elements='dict', required=True, options=dict(
            name=dict(type='str', required=True), direction=dict(type='str', default='push', choices=['push', 'pull']),
            transport=dict(type='str', default='ssh', choices=['ssh', 'ssh+netcat', 'local']),
            ssh_credentials=dict(type='str', no_log=False), source_datasets=dict(type='list', elements='str'),
            target_dataset=dict(type='str'), recursive=dict(type='bool', default=False),
            exclude=dict(type='list', elements='str', default=[]),
            periodic_snapshot_tasks=dict(type='list', elements='raw', default=[]),
            also_include_naming_schema=dict(type='list', elements='str', default=[]),
            naming_schema=dict(type='list', elements='str', default=[]), auto=dict(type='bool', default=True),
            schedule=dict(type='dict'),
            retention_policy=dict(type='str', default='source', choices=['source', 'custom', 'none']),
            lifetime_value=dict(type='int'), lifetime_unit=dict(type='str', choices=units),
            readonly=dict(type='str', default='set', choices=['set', 'require', 'ignore']),
            compression=dict(type='str', choices=['lz4', 'pigz', 'plzip']), speed_limit=dict(type='int'),
            encryption=dict(type='bool', default=False), enabled=dict(type='bool', default=True),
            state=dict(type='str', default='present', choices=['present', 'absent'])))),
        supports_check_mode=True,
    )
    run_module(module, apply)


if __name__ == '__main__':
    main()
