"""Pools: disks by name or serial, the check that protects disks holding data, layouts, scrub schedules."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._truenas import pool as logic

TB = 10 ** 12


def disk(name, serial, size=14 * TB, **extra):
    return dict({'name': name, 'serial': serial, 'size': size, 'partitions': [], 'exported_zpool': None,
                 'imported_zpool': None}, **extra)


DETAILS = {
    'unused': [disk('sda', 'S1'), disk('sdb', 'S2'), disk('sdc', 'S3'), disk('sdd', 'S4'),
               disk('sdf', 'S6', 4 * TB, partitions=[{'name': 'sdf1'}])],
    'used': [disk('sde', 'S5', exported_zpool='oldtank'), disk('nvme0n1', 'B1', imported_zpool='boot-pool')],
}


def test_resolve_by_name_serial_and_dev_path():
    names, by_name = logic.resolve_disks(['sda', 'S2', '/dev/sdc', 'S4'], DETAILS)
    assert names == ['sda', 'sdb', 'sdc', 'sdd'] and by_name['sde']['exported_zpool'] == 'oldtank'


@pytest.mark.parametrize('wanted,match', [
    (['sda', 'sdz'], 'disks: no disk named \\(or with the serial\\) sdz'),
    (['sda', 'S1'], 'sda given twice'),
])
def test_resolve_refuses(wanted, match):
    with pytest.raises(logic.PoolError, match=match):
        logic.resolve_disks(wanted, DETAILS)


def test_disk_problems_refuse_data_unless_forced():
    _names, by_name = logic.resolve_disks(['sda'], DETAILS)
    refused, forced = logic.disk_problems(['sda', 'sde', 'sdf', 'nvme0n1'], by_name)
    assert refused == ['nvme0n1 is part of the imported pool boot-pool',
                       'sde holds the exported pool oldtank (import it, or export and wipe it first)',
                       'sdf has 1 partition(s) (sdf1): it may hold data'] and forced == []
    refused, forced = logic.disk_problems(['sda', 'sde', 'sdf', 'nvme0n1'], by_name, force=True)
    assert refused == ['nvme0n1 is part of the imported pool boot-pool'] and len(forced) == 2


def test_clean_disks_have_no_problems():
    _names, by_name = logic.resolve_disks(['sda'], DETAILS)
    assert logic.disk_problems(['sda', 'sdb'], by_name) == ([], [])


@pytest.mark.parametrize('layout,count,width,vdevs', [
    ('raidz2', 4, None, [4]), ('RAIDZ2', 8, 4, [4, 4]), ('mirror', 4, 2, [2, 2]), ('stripe', 1, None, [1]),
])
def test_topology(layout, count, width, vdevs):
    names = ['d%d' % i for i in range(count)]
    topology = logic.topology(layout, names, width, ['s0'])
    assert [len(v['disks']) for v in topology['data']] == vdevs
    assert {v['type'] for v in topology['data']} == {layout.upper()} and topology['spares'] == ['s0']


@pytest.mark.parametrize('layout,count,width,match', [
    ('raidz2', 3, None, 'raidz2 needs at least 4 disks per vdev, got 3'),
    ('raidz2', 6, 4, '6 disks do not split into vdevs of 4'),
    ('raid5', 4, None, 'layout: expected one of'),
    ('mirror', 0, None, 'a pool needs disks'),
])
def test_topology_refuses(layout, count, width, match):
    with pytest.raises(logic.PoolError, match=match):
        logic.topology(layout, ['d%d' % i for i in range(count)], width)


def test_usable_bytes_of_the_seed_nas():
    _names, by_name = logic.resolve_disks(['sda'], DETAILS)
    assert logic.usable_bytes('raidz2', ['sda', 'sdb', 'sdc', 'sdd'], by_name) == 28 * TB  # "~28TB usable"
    assert logic.usable_bytes('mirror', ['sda', 'sdb', 'sdc', 'sdd'], by_name, 2) == 28 * TB


POOL = {'name': 'tank', 'status': 'ONLINE', 'healthy': True, 'size': 1, 'scan': {'function': 'SCRUB', 'errors': 0},
        'topology': {'data': [{'type': 'RAIDZ2', 'children': [{'disk': d} for d in ('sda', 'sdb', 'sdc', 'sdd')]}]}}


def test_summary_and_layout():
    summary = logic.summary(POOL)
    assert (summary['layout'], summary['vdevs'], summary['disks']) == ('raidz2', 1, ['sda', 'sdb', 'sdc', 'sdd'])
    assert summary['last_scan']['function'] == 'SCRUB'


def test_layout_drift():
    assert logic.layout_drift(POOL, 'raidz2', ['sdd', 'sdc', 'sdb', 'sda']) is None
    assert 'exists as raidz2' in logic.layout_drift(POOL, 'mirror', ['sda', 'sdb', 'sdc', 'sdd'], 2)


SCRUB = {'id': 1, 'threshold': 35, 'enabled': True, 'description': '',
         'schedule': {'minute': '00', 'hour': '00', 'dom': '*', 'month': '*', 'dow': '7'}}


@pytest.mark.parametrize('scrub,expected', [
    ({'threshold': 35}, {}),
    ({'schedule': {'minute': 0, 'hour': '0', 'dow': '7'}}, {}),  # 0 == 00
    ({'threshold': 27, 'schedule': {'hour': '03', 'dom': '1', 'dow': '*'}},
     {'threshold': 27, 'schedule': {'minute': '00', 'hour': '03', 'dom': '1', 'month': '*', 'dow': '*'}}),
    ({'enabled': False}, {'enabled': False}),
])
def test_scrub_update(scrub, expected):
    assert logic.scrub_update(SCRUB, logic.scrub_desired(scrub)) == expected


@pytest.mark.parametrize('scrub,match', [
    ({'schedule': {'weekday': 1}}, 'unknown key'), ({'threshold': -1}, 'whole days'),
])
def test_scrub_desired_refuses(scrub, match):
    with pytest.raises(logic.PoolError, match=match):
        logic.scrub_desired(scrub)
