#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: truenas_snapshot_task
short_description: Periodic ZFS snapshot tasks on TrueNAS SCALE (schedule and retention), in one login
version_added: 0.1.0
description:
  - Makes the periodic snapshot tasks look as declared. A task is found by its dataset and naming schema, so one
    dataset can have an hourly task kept for two days and a daily one kept for a month (different schemas).
  - What is left out takes the API's default (every hour at minute 00, kept two weeks, C(auto-%Y-%m-%d_%H-%M)).
    O(tasks[].state=absent) removes a task; the snapshots it took stay until their own retention ends.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  tasks:
    description: The snapshot tasks.
    type: list
    elements: dict
    required: true
    suboptions:
      dataset:
        description: The dataset to snapshot.
        type: str
        required: true
      naming_schema:
        description: C(strftime) name of the snapshots; needs C(%Y %m %d %H %M).
        type: str
        default: auto-%Y-%m-%d_%H-%M
      recursive:
        description: Snapshot the children too.
        type: bool
        default: false
      exclude:
        description: Children left out of a recursive task.
        type: list
        elements: str
        default: []
      lifetime_value:
        description: How long snapshots are kept, in O(tasks[].lifetime_unit).
        type: int
        default: 2
      lifetime_unit:
        description: The unit of O(tasks[].lifetime_value).
        type: str
        choices: [hour, day, week, month, year]
        default: week
      schedule:
        description: Cron fields C(minute) (default C(00)), C(hour), C(dom), C(month), C(dow) (default C(*)), and the
          window C(begin)/C(end) (C(HH:MM), default the whole day).
        type: dict
      allow_empty:
        description: Take snapshots even when nothing changed.
        type: bool
        default: true
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
  - module: homelab.cluster.truenas_replication
'''

EXAMPLES = r'''
- name: Hourly for two days, daily for a month
  homelab.cluster.truenas_snapshot_task:
    api_url: wss://nas.lab/api/current
    api_username: ansible
    api_key: "{{ truenas_api_key }}"
    tasks:
      - {dataset: tank/family, recursive: true, naming_schema: "hourly-%Y-%m-%d_%H-%M",
         lifetime_value: 2, lifetime_unit: day}
      - {dataset: tank/family, recursive: true, naming_schema: "daily-%Y-%m-%d_%H-%M",
         lifetime_value: 1, lifetime_unit: month, schedule: {hour: "00"}}
  delegate_to: localhost
'''

RETURN = r'''
tasks:
  description: Each task declared (C(dataset@naming_schema)) after the run, with its C(id) (planned in check mode).
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
    wanted = [logic.normalise_snapshot_task(item, 'tasks[%d]' % i) for i, item in enumerate(run.module.params['tasks'])]
    keys = [logic.snapshot_task_key(t) for t in wanted]
    twice = sorted({'%s@%s' % k for k in keys if keys.count(k) > 1})
    if twice:
        raise logic.TaskError('tasks: %s declared twice' % ', '.join(twice))
    session = run.connect()
    rows = session.call('pool.snapshottask.query', [['dataset', 'in', sorted({t['dataset'] for t in wanted})]])
    found = {logic.snapshot_task_key(row): row for row in rows}
    result = {}
    run.pending = ['snapshot task %s@%s' % logic.snapshot_task_key(t) for t in wanted]
    for task in wanted:
        key = logic.snapshot_task_key(task)
        label = '%s@%s' % key
        with run.step('snapshot task %s' % label):
            entry = found.get(key)
            before = logic.shown_snapshot_task(entry) if entry else None
            if task['state'] == 'absent':
                result[label] = None
                if entry:
                    if not run.check_mode:
                        session.call('pool.snapshottask.delete', entry['id'])
                    run.change('remove snapshot task %s' % label, label, before, None)
                continue
            if entry is None:
                payload = logic.snapshot_task_payload(task)
                after = dict(payload, id=None)
                if not run.check_mode:
                    created = session.call('pool.snapshottask.create', payload, recheck=lambda k=key: _find(session, k))
                    after = dict(logic.shown_snapshot_task(created), id=created['id'])
                run.change('create snapshot task %s (every %s, kept %d %s)' % (
                    label, _when(task['schedule']), task['lifetime_value'], task['lifetime_unit'].lower()), label, None,
                    after)
                result[label] = after
                continue
            update = logic.snapshot_task_update(task, entry)
            after = dict(before, id=entry['id'])
            if update:
                after.update(update)
                if not run.check_mode:
                    changed = session.call('pool.snapshottask.update', entry['id'], update)
                    after = dict(logic.shown_snapshot_task(changed), id=changed['id'])
                run.change('update snapshot task %s: %s' % (label, ', '.join(sorted(update))), label,
                           {k: before.get(k) for k in update}, {k: after.get(k) for k in update})
            result[label] = after
    return {'tasks': result}


def _when(schedule):
    return ' '.join(schedule[k] for k in ('minute', 'hour', 'dom', 'month', 'dow'))


def _find(session, key):
    rows = session.call('pool.snapshottask.query', [['dataset', '=', key[0]], ['naming_schema', '=', key[1]]])
    return rows[0] if rows else None


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(tasks=dict(type='list', elements='dict', required=True, options=dict(
            dataset=dict(type='str', required=True), naming_schema=dict(type='str', default=logic.DEFAULT_SCHEMA),
            recursive=dict(type='bool', default=False), exclude=dict(type='list', elements='str', default=[]),
            lifetime_value=dict(type='int', default=2),
            lifetime_unit=dict(type='str', default='week', choices=['hour', 'day', 'week', 'month', 'year']),
            schedule=dict(type='dict'), allow_empty=dict(type='bool', default=True),
            enabled=dict(type='bool', default=True),
            state=dict(type='str', default='present', choices=['present', 'absent'])))),
        supports_check_mode=True,
    )
    run_module(module, apply)


if __name__ == '__main__':
    main()
