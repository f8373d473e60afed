"""The NAS role's plan from its settings and host views (plain dicts, as host_views returns them)."""

import copy

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._truenas import plan as logic

VIEWS = [
    {'name': 'keeper', 'address': '10.0.30.5', 'groups': ['role_logic', 'always_on']},
    {'name': 'forge', 'address': '10.0.30.10', 'groups': ['role_hypervisor', 'os_proxmox']},
    {'name': 'nas', 'address': '10.0.30.20', 'groups': ['role_storage', 'os_truenas']},
    {'name': 'pi5', 'address': '10.0.20.10', 'groups': ['role_edge']},
    {'name': 'jetson', 'address': '10.0.20.20', 'groups': ['role_edge']},
]
CONFIG = {
    'api_url': '', 'pool': {'name': 'tank', 'layout': 'raidz2', 'disks': ['sda', 'sdb', 'sdc', 'sdd']},
    'scrub': {'threshold': 27},
    'datasets': [{'name': 'media', 'share_type': 'smb'}, {'name': 'k8s'}, {'name': 'backups'}, {'name': 'archive'},
                 {'name': 'archive/quarantine'}, {'name': 'family'}],
    'extra_datasets': [],
    'nfs_exports': [{'dataset': 'k8s', 'groups': ['role_hypervisor'], 'maproot': 'root'},
                    {'dataset': 'archive', 'groups': ['role_logic']},
                    {'dataset': 'archive/quarantine', 'groups': ['role_logic', 'role_edge']}],
    'nfs_extra_networks': {'k8s': ['10.99.0.1/30']},
    'smb_shares': [{'name': 'media', 'dataset': 'media'}],
    'smb_networks': ['10.0.10.0/24'],
    'snapshot_policy': [{'dataset': 'family', 'every': 'hourly', 'keep': '2 days', 'recursive': True},
                        {'dataset': 'family', 'every': 'daily', 'keep': '1 month'},
                        {'dataset': 'archive', 'every': 'daily', 'keep': {'value': 1, 'unit': 'year'},
                         'exclude': ['archive/quarantine']}],
    'replication': {'enabled': True, 'ssh_credentials': 'offsite', 'target_dataset': 'backup/homelab',
                    'datasets': ['family', 'archive'], 'every': 'daily'},
}


def plan(config=None, views=None):
    return logic.plan(views or VIEWS, VIEWS[2], config or CONFIG)


def test_the_seed_plan():
    result = plan()
    assert result['api_url'] == 'wss://10.0.30.20/api/current'
    assert [d['name'] for d in result['datasets']][:2] == ['tank/media', 'tank/k8s']
    nfs = {s['dataset']: (s['hosts'], s['networks'], s.get('maproot_user')) for s in result['nfs']}
    assert nfs == {'tank/k8s': (['10.0.30.10'], ['10.99.0.0/30'], 'root'),
                   'tank/archive': (['10.0.30.5'], [], None),
                   'tank/archive/quarantine': (['10.0.20.10', '10.0.20.20', '10.0.30.5'], [], None)}
    assert result['clients']['tank/archive/quarantine'] == ['jetson', 'keeper', 'pi5']
    assert result['smb'] == [{'name': 'media', 'dataset': 'tank/media', 'purpose': 'DEFAULT_SHARE',
                              'readonly': False, 'hostsallow': ['10.0.10.0/24'], 'comment': ''}]
    tasks = {(t['dataset'], t['naming_schema']): (t['lifetime_value'], t['lifetime_unit'], t['schedule'])
             for t in result['snapshot_tasks']}
    assert tasks[('tank/family', 'hourly-%Y-%m-%d_%H-%M')] == (2, 'day', {'minute': '00'})
    assert tasks[('tank/archive', 'daily-%Y-%m-%d_%H-%M')] == (1, 'year', {'minute': '00', 'hour': '00'})
    assert result['snapshot_tasks'][2]['exclude'] == ['tank/archive/quarantine']
    assert result['replications'] == [{
        'name': 'offsite', 'transport': 'ssh', 'ssh_credentials': 'offsite',
        'source_datasets': ['tank/family', 'tank/archive'], 'target_dataset': 'backup/homelab', 'recursive': True,
        'periodic_snapshot_tasks': [{'dataset': 'tank/family', 'naming_schema': 'daily-%Y-%m-%d_%H-%M'},
                                    {'dataset': 'tank/archive', 'naming_schema': 'daily-%Y-%m-%d_%H-%M'}],
        'retention_policy': 'source', 'speed_limit': None, 'auto': True}]
    assert result['pool']['scrub'] == {'threshold': 27}


def test_api_url_given_wins():
    assert plan(dict(CONFIG, api_url='wss://nas.lab:8443/api/current'))['api_url'] == 'wss://nas.lab:8443/api/current'


def with_change(path, value):
    config = copy.deepcopy(CONFIG)
    target = config
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return config


@pytest.mark.parametrize('path,value,match', [
    (('nfs_exports', 0, 'dataset'), 'movies', 'nas_nfs_exports\\[0\\].dataset: movies is not one of nas_datasets'),
    (('nfs_exports', 1, 'groups'), ['role_firewall'], 'nas_nfs_exports\\[1\\]: no host of role_firewall'),
    (('nfs_exports', 1, 'groups'), 'role_logic', 'groups: expected a list'),
    (('nfs_extra_networks',), {'k8s': ['10.99.0.0/99']}, 'nas_nfs_extra_networks.k8s\\[0\\]: expected a network'),
    (('smb_networks',), ['trusted'], 'nas_smb_networks\\[0\\]'),
    (('snapshot_policy', 0, 'every'), 'minutely', 'nas_snapshot_policy\\[0\\].every: expected one of'),
    (('snapshot_policy', 0, 'keep'), 'forever', 'nas_snapshot_policy\\[0\\].keep: expected a duration'),
    (('replication', 'datasets'), ['media'], 'media has no daily task'),
    (('replication', 'ssh_credentials'), '', 'nas_replication.ssh_credentials'),
    (('datasets', 1, 'name'), 'media', 'nas_datasets\\[1\\].name: media declared twice'),
    (('datasets', 1, 'name'), '/', 'nas_datasets\\[1\\].name: expected a dataset name'),
])
def test_plan_refuses(path, value, match):
    with pytest.raises(logic.PlanError, match=match):
        plan(with_change(path, value))


def test_a_client_without_an_address_is_named():
    views = [dict(VIEWS[0], address=None)] + VIEWS[1:]
    with pytest.raises(logic.PlanError, match="keeper.address: expected an address .* for the NFS export of "
                                              "tank/archive"):
        plan(views=views)


def test_the_nas_without_an_address_needs_nas_api_url():
    with pytest.raises(logic.PlanError, match='nas.address: expected an address for the TrueNAS API'):
        logic.plan(VIEWS, dict(VIEWS[2], address=None), CONFIG)


def test_replication_off_and_no_maproot_group_default():
    result = plan(with_change(('replication', 'enabled'), False))
    assert result['replications'] == []
    assert [s.get('maproot_group') for s in result['nfs']] == ['wheel', None, None]


@pytest.mark.parametrize('text,expected', [('2 days', (2, 'day')), ('48 hours', (48, 'hour')), ('1 year', (1, 'year')),
                                           ({'value': 3, 'unit': 'weeks'}, (3, 'week'))])
def test_keep(text, expected):
    assert logic.keep(text, 'x') == expected
