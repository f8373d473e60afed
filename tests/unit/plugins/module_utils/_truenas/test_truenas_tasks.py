"""Snapshot tasks and replication tasks."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._truenas import tasks as logic


def test_snapshot_task_defaults_are_the_apis():
    task = logic.normalise_snapshot_task({'dataset': 'tank/family'})
    assert task == {'dataset': 'tank/family', 'state': 'present', 'naming_schema': 'auto-%Y-%m-%d_%H-%M',
                    'recursive': False, 'exclude': [], 'lifetime_value': 2, 'lifetime_unit': 'WEEK',
                    'allow_empty': True, 'enabled': True,
                    'schedule': {'minute': '00', 'hour': '*', 'dom': '*', 'month': '*', 'dow': '*', 'begin': '00:00',
                                 'end': '23:59'}}


@pytest.mark.parametrize('item,match', [
    ({'dataset': ''}, 'tasks\\[0\\].dataset'),
    ({'dataset': 'tank/a', 'naming_schema': 'daily-%Y-%m-%d'}, 'needs %H, %M'),
    ({'dataset': 'tank/a', 'lifetime_unit': 'fortnight'}, 'lifetime_unit: expected one of'),
    ({'dataset': 'tank/a', 'lifetime_value': 0}, 'lifetime_value: expected a whole number'),
    ({'dataset': 'tank/a', 'schedule': {'second': 1}}, 'schedule.second: unknown schedule key'),
])
def test_snapshot_task_refuses(item, match):
    with pytest.raises(logic.TaskError, match=match):
        logic.normalise_snapshot_task(item, 'tasks[0]')


def test_snapshot_task_update():
    task = logic.normalise_snapshot_task({'dataset': 'tank/a', 'lifetime_value': 1, 'lifetime_unit': 'month',
                                          'schedule': {'hour': 0}})
    entry = dict(logic.snapshot_task_payload(task), id=3,
                 schedule={'minute': '00', 'hour': '00', 'dom': '*', 'month': '*', 'dow': '*', 'begin': '00:00',
                           'end': '23:59'})
    assert logic.snapshot_task_update(task, entry) == {}
    assert logic.snapshot_task_update(dict(task, lifetime_value=2), entry) == {'lifetime_value': 2}


REPL = {'name': 'offsite', 'ssh_credentials': 'offsite', 'source_datasets': ['tank/family'],
        'target_dataset': 'backup/family', 'periodic_snapshot_tasks': [{'dataset': 'tank/family',
                                                                        'naming_schema': 'daily-%Y-%m-%d_%H-%M'}]}


def test_replication_normalise_and_resolve():
    task = logic.normalise_replication(REPL)
    resolved = logic.resolve_replication(task, [{'id': 4, 'name': 'offsite'}], [
        {'id': 9, 'dataset': 'tank/family', 'naming_schema': 'daily-%Y-%m-%d_%H-%M'}], 'replications[0]')
    assert resolved['ssh_credentials'] == 4 and resolved['periodic_snapshot_tasks'] == [9]
    payload = logic.replication_payload(resolved)
    assert payload['direction'] == 'PUSH' and payload['retention_policy'] == 'SOURCE' and payload['auto'] is True


def test_replication_check_mode_keeps_a_planned_task():
    task = logic.normalise_replication(REPL)
    resolved = logic.resolve_replication(task, [{'id': 4, 'name': 'offsite'}], [], 'r', planned=True)
    assert resolved['periodic_snapshot_tasks'] == ['tank/family@daily-%Y-%m-%d_%H-%M']


@pytest.mark.parametrize('item,match', [
    (dict(REPL, ssh_credentials=None), 'ssh_credentials: SSH replication needs'),
    (dict(REPL, periodic_snapshot_tasks=[]), 'needs periodic_snapshot_tasks'),
    (dict(REPL, retention_policy='custom'), 'custom needs lifetime_value'),
    (dict(REPL, direction='sideways'), 'direction: expected one of push, pull'),
    (dict(REPL, source_datasets=[]), 'source_datasets and target_dataset are required'),
])
def test_replication_refuses(item, match):
    with pytest.raises(logic.TaskError, match=match):
        logic.normalise_replication(item, 'replications[0]')


@pytest.mark.parametrize('credentials,tasks,match', [
    ([], [{'id': 9, 'dataset': 'tank/family', 'naming_schema': 'daily-%Y-%m-%d_%H-%M'}],
     "no keychain credential named 'offsite'"),
    ([{'id': 4, 'name': 'offsite'}], [], 'no snapshot task on tank/family'),
])
def test_resolve_refuses(credentials, tasks, match):
    with pytest.raises(logic.TaskError, match=match):
        logic.resolve_replication(logic.normalise_replication(REPL), credentials, tasks, 'replications[0]')


def test_replication_update_reads_expanded_entries():
    task = logic.resolve_replication(logic.normalise_replication(REPL), [{'id': 4, 'name': 'offsite'}], [
        {'id': 9, 'dataset': 'tank/family', 'naming_schema': 'daily-%Y-%m-%d_%H-%M'}], 'r')
    entry = dict(logic.replication_payload(task), id=1, ssh_credentials={'id': 4, 'name': 'offsite'},
                 periodic_snapshot_tasks=[{'id': 9}])
    assert logic.replication_update(task, entry) == {}
    assert logic.replication_update(dict(task, speed_limit=1000), entry) == {'speed_limit': 1000}


def test_local_transport_drops_credentials():
    task = logic.normalise_replication(dict(REPL, transport='local'))
    assert task['ssh_credentials'] is None
