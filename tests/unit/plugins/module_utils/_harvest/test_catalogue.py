"""module_utils/_harvest/_catalogue.py: the catalogue's rules and the assignment of sources to edge hosts."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._harvest._catalogue import TIER_WEIGHT
from ansible_collections.homelab.cluster.plugins.module_utils._harvest._catalogue import CatalogueError
from ansible_collections.homelab.cluster.plugins.module_utils._harvest._catalogue import assign
from ansible_collections.homelab.cluster.plugins.module_utils._harvest._catalogue import edge_hosts
from ansible_collections.homelab.cluster.plugins.module_utils._harvest._catalogue import parse_catalogue

SHA = 'ab' * 32
GB = 1 << 30


def src(**over):
    base = {'name': 'wiki', 'url': 'https://dumps.example.org/enwiki/enwiki-latest.zim', 'sha256': SHA}
    base.update(over)
    return base


def view(name, tier='legacy', roles=('edge',), address=None):
    return {'name': name, 'tier': tier, 'roles': list(roles), 'address': address}


# ------------------------------------------------------------------------------------------- parsing

def test_defaults_are_completed():
    entry = parse_catalogue([src()])[0]
    assert entry == {
        'name': 'wiki', 'url': 'https://dumps.example.org/enwiki/enwiki-latest.zim', 'filename': 'enwiki-latest.zim',
        'size': None, 'sha256': SHA, 'checksum_url': None, 'checksum_name': 'enwiki-latest.zim',
        'allow_unverified': False, 'dataset': 'misc', 'tiers': None, 'networks': None, 'hosts': None,
        'schedule': 'once', 'refresh_s': 0}


@pytest.mark.parametrize('schedule, seconds', [
    ('once', 0), ('hourly', 3600), ('daily', 86400), ('weekly', 604800), ('monthly', 2592000), ('6h', 21600),
    ('2d', 172800), ('DAILY', 86400),
])
def test_schedules(schedule, seconds):
    assert parse_catalogue([src(schedule=schedule)])[0]['refresh_s'] == seconds


def test_filename_from_an_escaped_url_and_overrides():
    entry = parse_catalogue([src(url='http://h/a/b/file%2Bx.tar.gz', checksum_name='./file+x.tar.gz',
                                 sha256='sha256:' + SHA.upper())])[0]
    assert entry['filename'] == 'file+x.tar.gz'
    assert entry['checksum_name'] == './file+x.tar.gz'
    assert entry['sha256'] == SHA


def test_checksum_url_or_unverified_is_enough():
    assert parse_catalogue([src(sha256=None, checksum_url='https://h/SHA256SUMS')])[0]['checksum_url']
    assert parse_catalogue([src(sha256=None, allow_unverified=True)])[0]['allow_unverified'] is True


@pytest.mark.parametrize('raw, message', [
    ({'url': 'http://h/f'}, "harvester_catalogue[0].name: required"),
    ({'name': 'x'}, "harvester_catalogue[0].url: required"),
    (src(name='Wiki'), "harvester_catalogue[0].name: expected lowercase letters"),
    (src(url='ftp://h/f'), "harvester_catalogue[0].url: expected an http:// or https:// URL, got 'ftp://h/f'"),
    (src(url='http:///nohost'), 'harvester_catalogue[0].url: expected an http://'),
    (src(url='http://h/'), "harvester_catalogue[0].filename: expected a plain file name (letters, digits, . _ + -), "
                           "got '' (from the URL; set filename)"),
    (src(filename='../etc/passwd'), "harvester_catalogue[0].filename: expected a plain file name"),
    (src(size=0), 'harvester_catalogue[0].size: expected a whole number of bytes above 0, got 0'),
    (src(size='1G'), "harvester_catalogue[0].size: expected a whole number of bytes above 0, got '1G'"),
    (src(size=True), 'harvester_catalogue[0].size: expected a whole number'),
    (src(sha256='abc'), "harvester_catalogue[0].sha256: expected 64 hex digits, got 'abc'"),
    (src(sha256=None), 'harvester_catalogue[0]: expected sha256 or checksum_url'),
    (src(checksum_url='file:///x'), 'harvester_catalogue[0].checksum_url: expected an http://'),
    (src(checksum_name=''), 'harvester_catalogue[0].checksum_name: expected a file name'),
    (src(allow_unverified='yes'), "harvester_catalogue[0].allow_unverified: expected true or false, got 'yes'"),
    (src(schedule='sometimes'), "harvester_catalogue[0].schedule: expected once, hourly, daily, weekly, monthly or "
                                "<N>h/<N>d, got 'sometimes'"),
    (src(schedule='0h'), 'harvester_catalogue[0].schedule: expected once'),
    (src(dataset='../up'), "harvester_catalogue[0].dataset: expected path segments"),
    (src(dataset='Docs'), 'harvester_catalogue[0].dataset: expected path segments'),
    (src(tiers=['legacy', 'huge']), "harvester_catalogue[0].tiers: expected a list of tiers (ultralow, portable, "
                                    "modern, legacy), got 'huge'"),
    (src(tiers='legacy'), "harvester_catalogue[0].tiers: expected a non-empty list"),
    (src(networks=['10.0.20.0/33']), "harvester_catalogue[0].networks: expected a list of CIDRs like 10.0.20.0/24, "
                                     "got '10.0.20.0/33'"),
    (src(hosts=[]), 'harvester_catalogue[0].hosts: expected a non-empty list of host names, got []'),
    (src(checksum='x'), "harvester_catalogue[0].checksum: unknown key (did you mean 'checksum_url'?)"),
    ('wiki', "harvester_catalogue[0]: expected a mapping with name and url, got 'wiki'"),
])
def test_errors_name_the_entry_and_the_field(raw, message):
    with pytest.raises(CatalogueError) as err:
        parse_catalogue([raw])
    assert message in str(err.value)


def test_the_whole_catalogue():
    assert parse_catalogue(None) == []
    with pytest.raises(CatalogueError, match='harvester_catalogue: expected a list of sources'):
        parse_catalogue({'name': 'x'})
    with pytest.raises(CatalogueError, match=r"harvester_catalogue\[1\].name: 'wiki' is also the name of "
                                             r"harvester_catalogue\[0\]"):
        parse_catalogue([src(), src()])
    with pytest.raises(CatalogueError, match=r"harvester_catalogue\[1\].filename: misc/enwiki-latest.zim is also "
                                             r"where harvester_catalogue\[0\] is archived"):
        parse_catalogue([src(), src(name='mirror', url='http://other/enwiki-latest.zim')])
    # refreshed sources keep every version under their own name: no clash
    assert len(parse_catalogue([src(schedule='daily'), src(name='mirror', schedule='daily')])) == 2


# ---------------------------------------------------------------------------------------- assignment

def test_heavy_and_other_tiers_never_harvest():
    views = [view('pi5'), view('penny', 'ultralow'), view('jetson', 'modern', ('edge', 'inference')),
             view('frame', 'portable')]
    eligible, excluded = edge_hosts(views, ('legacy', 'ultralow'))
    assert [v['name'] for v in eligible] == ['pi5', 'penny']
    assert excluded == {'jetson': 'role inference: the heavy machines never touch the public web',
                        'frame': 'tier portable is not one of the harvest tiers (legacy, ultralow)'}


def test_each_source_goes_to_exactly_one_host():
    entries = parse_catalogue([src(name='s%d' % i, url='http://h/f%d' % i, size=(i + 1) * GB) for i in range(12)])
    plan = assign(entries, [view('a'), view('b'), view('c')])
    names = sorted(e['name'] for items in plan['hosts'].values() for e in items)
    assert names == sorted('s%d' % i for i in range(12))
    assert plan['unassigned'] == []
    assert sum(plan['load'].values()) == sum((i + 1) * GB for i in range(12))
    # balanced by bytes: no host has more than the largest source above another
    assert max(plan['load'].values()) - min(plan['load'].values()) <= 12 * GB
    assert {e['name']: e['host'] for e in plan['entries']} == {
        e['name']: host for host, items in plan['hosts'].items() for e in items}


def test_the_plan_does_not_depend_on_the_catalogue_order():
    raw = [src(name='s%d' % i, url='http://h/f%d' % i, size=1000 + i) for i in range(9)]
    views = [view('a'), view('b')]
    assert assign(parse_catalogue(raw), views) == assign(parse_catalogue(list(reversed(raw))), views)


def test_tier_weight_gives_the_pentium_less():
    entries = parse_catalogue([src(name='s%d' % i, url='http://h/f%d' % i, size=GB) for i in range(10)])
    plan = assign(entries, [view('pi5'), view('penny', 'ultralow')])
    assert TIER_WEIGHT['legacy'] > TIER_WEIGHT['ultralow']
    assert len(plan['hosts']['pi5']) == 8
    assert len(plan['hosts']['penny']) == 2


def test_capacity_limits_and_reasons():
    entries = parse_catalogue([src(name='big', url='http://h/big', size=10 * GB),
                               src(name='small', url='http://h/small', size=GB)])
    plan = assign(entries, [view('pi5'), view('penny', 'ultralow')], {'pi5': 2 * GB, 'penny': 512 << 20})
    assert plan['hosts'] == {'pi5': [dict(entries[1], host='pi5')], 'penny': []}
    assert plan['unassigned'] == [{'name': 'big', 'reason': 'pi5: 2147483648 bytes free, needs 10737418240; '
                                                            'penny: 536870912 bytes free, needs 10737418240'}]
    assert plan['capacity'] == {'pi5': 2 * GB, 'penny': 512 << 20}
    # a host that could not be measured (unreachable now) is not limited
    plan = assign(entries, [view('pi5')], {})
    assert [e['name'] for e in plan['hosts']['pi5']] == ['big', 'small']
    assert plan['capacity'] == {'pi5': None}


def test_room_is_used_up_as_sources_are_placed():
    entries = parse_catalogue([src(name='a', url='http://h/a', size=3 * GB),
                               src(name='b', url='http://h/b', size=3 * GB)])
    plan = assign(entries, [view('pi5')], {'pi5': 5 * GB})
    assert [e['name'] for e in plan['hosts']['pi5']] == ['a']
    assert plan['unassigned'][0]['name'] == 'b'
    assert 'pi5: 2147483648 bytes free, needs 3221225472' in plan['unassigned'][0]['reason']


@pytest.mark.parametrize('over, host, reason', [
    ({'tiers': ['ultralow']}, 'penny', 'pi5: tier legacy not in ultralow'),
    ({'hosts': ['penny']}, 'penny', 'pi5: not in hosts'),
    ({'networks': ['10.0.30.0/24']}, 'penny', 'pi5: address 10.0.20.10 not in 10.0.30.0/24'),
])
def test_constraints(over, host, reason):
    entries = parse_catalogue([src(**over)])
    views = [view('pi5', address='10.0.20.10'), view('penny', 'ultralow', address='10.0.30.30')]
    plan = assign(entries, views)
    assert [e['name'] for e in plan['hosts'][host]] == ['wiki']
    plan = assign(entries, [views[0]])
    assert plan['unassigned'] == [{'name': 'wiki', 'reason': reason}]


def test_a_host_without_an_address_is_in_no_network():
    plan = assign(parse_catalogue([src(networks=['10.0.0.0/8'])]), [view('pi5')])
    assert plan['unassigned'] == [{'name': 'wiki', 'reason': 'pi5: address None not in 10.0.0.0/8'}]


def test_no_edge_host_at_all():
    plan = assign(parse_catalogue([src()]), [])
    assert plan['unassigned'] == [{'name': 'wiki', 'reason': 'no edge host may harvest'}]
    assert plan['hosts'] == {}


def test_adding_a_host_moves_few_sources():
    entries = parse_catalogue([src(name='s%02d' % i, url='http://h/%d' % i) for i in range(40)])
    before = {e['name']: e['host'] for e in assign(entries, [view('a'), view('b')])['entries']}
    after = {e['name']: e['host'] for e in assign(entries, [view('a'), view('b'), view('c')])['entries']}
    moved = [n for n in before if before[n] != after[n]]
    assert all(after[n] == 'c' for n in moved)
