# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Periodic snapshot tasks and replication tasks: declared against queried -> create / update (pure).

PRIVATE to the homelab.cluster collection; its API may change without notice.

A snapshot task is found by (dataset, naming_schema): two tasks on one dataset (hourly kept two days, daily
kept a month) differ by their naming schema, which replication also uses to pick snapshots. A replication
task is found by name. Both are declared whole; what is left out takes the API's default.
"""

from __future__ import annotations

from ansible_collections.homelab.cluster.plugins.module_utils._truenas.pool import cron_equal

UNITS = ('HOUR', 'DAY', 'WEEK', 'MONTH', 'YEAR')
CRON = ('minute', 'hour', 'dom', 'month', 'dow')
SNAPSHOT_SCHEDULE = {'minute': '00', 'hour': '*', 'dom': '*', 'month': '*', 'dow': '*', 'begin': '00:00',
                     'end': '23:59'}
SNAPSHOT_FIELDS = ('recursive', 'exclude', 'lifetime_value', 'lifetime_unit', 'allow_empty', 'enabled', 'schedule')
REPLICATION_FIELDS = ('direction', 'transport', 'ssh_credentials', 'source_datasets', 'target_dataset', 'recursive',
                      'exclude', 'periodic_snapshot_tasks', 'naming_schema', 'also_include_naming_schema', 'auto',
                      'schedule', 'retention_policy', 'lifetime_value', 'lifetime_unit', 'readonly', 'compression',
                      'speed_limit', 'properties', 'replicate', 'encryption', 'large_block', 'compressed', 'retries',
                      'enabled')
DEFAULT_SCHEMA = 'auto-%Y-%m-%d_%H-%M'


class TaskError(ValueError):
    """A task declaration that cannot be used; the message names the item and the field."""


def _schema(value, where):
    missing = [token for token in ('%Y', '%m', '%d', '%H', '%M') if token not in value]
    if missing:
        raise TaskError('%s: a naming schema needs %s (it has %r)' % (where, ', '.join(missing), value))
    return value


def schedule(value, where, defaults):
    result = dict(defaults)
    for key, item in (value or {}).items():
        if key not in defaults:
            raise TaskError('%s.%s: unknown schedule key (%s)' % (where, key, ', '.join(defaults)))
        if item is not None:
            result[key] = str(item)
    return result


def normalise_snapshot_task(item, where='task'):
    dataset = item.get('dataset')
    if not isinstance(dataset, str) or not dataset.strip('/') or dataset != dataset.strip():
        raise TaskError('%s.dataset: expected pool/dataset, got %r' % (where, dataset))
    task = {'dataset': dataset.strip('/'), 'state': item.get('state') or 'present',
            'naming_schema': _schema(item.get('naming_schema') or DEFAULT_SCHEMA, where + '.naming_schema')}
    if task['state'] not in ('present', 'absent'):
        raise TaskError('%s.state: expected present or absent, got %r' % (where, task['state']))
    unit = str(item.get('lifetime_unit') or 'week').upper()
    if unit not in UNITS:
        raise TaskError('%s.lifetime_unit: expected one of %s, got %r'
                        % (where, ', '.join(u.lower() for u in UNITS), item.get('lifetime_unit')))
    value = item.get('lifetime_value', 2)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TaskError('%s.lifetime_value: expected a whole number >= 1, got %r' % (where, value))
    task.update({
        'recursive': bool(item.get('recursive', False)), 'exclude': sorted(item.get('exclude') or []),
        'lifetime_value': value, 'lifetime_unit': unit, 'allow_empty': item.get('allow_empty', True) is not False,
        'enabled': item.get('enabled', True) is not False,
        'schedule': schedule(item.get('schedule'), where + '.schedule', SNAPSHOT_SCHEDULE),
    })
    return task


def _differs(key, have, want):
    if key == 'schedule':
        if (have is None) != (want is None):
            return True
        return want is not None and any(not cron_equal(have.get(k, '*'), v) for k, v in want.items())
    if key in ('exclude', 'source_datasets', 'periodic_snapshot_tasks', 'naming_schema',
               'also_include_naming_schema'):
        return sorted(have or [], key=str) != sorted(want or [], key=str)
    return have != want


def snapshot_task_update(task, entry):
    return {key: task[key] for key in SNAPSHOT_FIELDS if _differs(key, entry.get(key), task[key])}


def snapshot_task_payload(task):
    return {key: task[key] for key in ('dataset', 'naming_schema') + SNAPSHOT_FIELDS}


def snapshot_task_key(task):
    return task['dataset'], task['naming_schema']


def shown_snapshot_task(entry):
    return {key: entry.get(key) for key in ('dataset', 'naming_schema') + SNAPSHOT_FIELDS}


# ------------------------------------------------------------------------------------------------ replication

def normalise_replication(item, where='replication'):
    name = item.get('name')
    if not isinstance(name, str) or not name.strip():
        raise TaskError('%s.name: expected a task name, got %r' % (where, name))
    task = {'name': name, 'state': item.get('state') or 'present'}
    if task['state'] not in ('present', 'absent'):
        raise TaskError('%s.state: expected present or absent, got %r' % (where, task['state']))
    if task['state'] == 'absent':
        return task
    direction = str(item.get('direction') or 'push').upper()
    transport = str(item.get('transport') or 'ssh').upper()
    retention = str(item.get('retention_policy') or 'source').upper()
    checks = (('direction', direction, ('PUSH', 'PULL')), ('transport', transport, ('SSH', 'SSH+NETCAT', 'LOCAL')),
              ('retention_policy', retention, ('SOURCE', 'CUSTOM', 'NONE')))
    for key, value, choices in checks:
        if value not in choices:
            raise TaskError('%s.%s: expected one of %s, got %r' % (where, key, ', '.join(c.lower() for c in choices),
                                                                   item.get(key)))
    sources = item.get('source_datasets') or []
    if not sources or not item.get('target_dataset'):
        raise TaskError('%s: source_datasets and target_dataset are required' % where)
    if transport != 'LOCAL' and not item.get('ssh_credentials'):
        raise TaskError('%s.ssh_credentials: %s replication needs the name of an SSH keychain credential'
                        % (where, transport))
    task.update({
        'direction': direction, 'transport': transport, 'ssh_credentials': item.get('ssh_credentials'),
        'source_datasets': list(sources), 'target_dataset': item['target_dataset'],
        'recursive': bool(item.get('recursive', False)), 'exclude': list(item.get('exclude') or []),
        'periodic_snapshot_tasks': list(item.get('periodic_snapshot_tasks') or []),
        'naming_schema': [_schema(s, where + '.naming_schema') for s in item.get('naming_schema') or []],
        'also_include_naming_schema': [_schema(s, where + '.also_include_naming_schema')
                                       for s in item.get('also_include_naming_schema') or []],
        'auto': item.get('auto', True) is not False, 'retention_policy': retention,
        'lifetime_value': item.get('lifetime_value'), 'lifetime_unit': (str(item['lifetime_unit']).upper()
                                                                        if item.get('lifetime_unit') else None),
        'readonly': str(item.get('readonly') or 'set').upper(), 'compression': item.get('compression'),
        'speed_limit': item.get('speed_limit'), 'properties': item.get('properties', True) is not False,
        'replicate': bool(item.get('replicate', False)), 'encryption': bool(item.get('encryption', False)),
        'large_block': item.get('large_block', True) is not False,
        'compressed': item.get('compressed', True) is not False, 'retries': item.get('retries') or 5,
        'enabled': item.get('enabled', True) is not False,
        'schedule': schedule(item['schedule'], where + '.schedule', SNAPSHOT_SCHEDULE) if item.get('schedule')
        else None,
    })
    if retention == 'CUSTOM' and not (task['lifetime_value'] and task['lifetime_unit']):
        raise TaskError('%s: retention_policy custom needs lifetime_value and lifetime_unit' % where)
    if task['compression'] is not None:
        task['compression'] = str(task['compression']).upper()
    if transport == 'LOCAL':
        task['ssh_credentials'] = None
    if direction == 'PUSH' and not (task['periodic_snapshot_tasks'] or task['also_include_naming_schema']):
        raise TaskError('%s: a push replication needs periodic_snapshot_tasks (or also_include_naming_schema) to '
                        'know which snapshots to send' % where)
    return task


def resolve_replication(task, credentials, snapshot_tasks, where, planned=False):
    """Names -> ids: the SSH credential by name, snapshot tasks given as {dataset, naming_schema} or ids.
    ``planned`` (check mode): a snapshot task that does not exist yet stays as 'dataset@schema'."""
    resolved = dict(task)
    ref = task.get('ssh_credentials')
    if ref is not None and not isinstance(ref, int):
        match = [c['id'] for c in credentials if c.get('name') == ref]
        if not match:
            raise TaskError('%s.ssh_credentials: no keychain credential named %r on the NAS (it has %s)'
                            % (where, ref, ', '.join(sorted(c.get('name', '?') for c in credentials)) or 'none'))
        resolved['ssh_credentials'] = match[0]
    ids = []
    for index, ref in enumerate(task.get('periodic_snapshot_tasks') or []):
        if isinstance(ref, int):
            ids.append(ref)
            continue
        dataset = ref.get('dataset') if isinstance(ref, dict) else None
        schema = (ref.get('naming_schema') if isinstance(ref, dict) else None) or DEFAULT_SCHEMA
        match = [t['id'] for t in snapshot_tasks if t.get('dataset') == dataset and t.get('naming_schema') == schema]
        if match:
            ids.append(match[0])
        elif planned and dataset:
            ids.append('%s@%s' % (dataset, schema))
        else:
            raise TaskError('%s.periodic_snapshot_tasks[%d]: no snapshot task on %s with naming schema %s (declare '
                            'it with truenas_snapshot_task first)' % (where, index, dataset, schema))
    resolved['periodic_snapshot_tasks'] = sorted(set(ids), key=str)
    return resolved


def replication_entry(entry):
    """A replication.query entry with ids where the API expands objects."""
    entry = dict(entry)
    creds = entry.get('ssh_credentials')
    entry['ssh_credentials'] = creds.get('id') if isinstance(creds, dict) else creds
    entry['periodic_snapshot_tasks'] = sorted(t['id'] if isinstance(t, dict) else t
                                              for t in entry.get('periodic_snapshot_tasks') or [])
    return entry


def replication_update(task, entry):
    entry = replication_entry(entry)
    return {key: task[key] for key in REPLICATION_FIELDS if _differs(key, entry.get(key), task[key])}


def replication_payload(task):
    return {key: task[key] for key in ('name',) + REPLICATION_FIELDS}


def shown_replication(entry):
    entry = replication_entry(entry)
    return {key: entry.get(key) for key in ('name',) + REPLICATION_FIELDS}
