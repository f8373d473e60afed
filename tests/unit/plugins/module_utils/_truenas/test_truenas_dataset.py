"""Datasets: normalising what the user gives, and comparing with pool.dataset.query entries (rawvalue)."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._truenas import dataset as logic

G, T = 1024 ** 3, 1024 ** 4


@pytest.mark.parametrize('value,expected', [
    ('2T', 2 * T), ('500G', 500 * G), ('1.5T', int(1.5 * T)), ('1TiB', T), ('1 tb', T), (G, G), ('0', 0),
    ('none', 0), (0, 0), (None, None),
])
def test_parse_size(value, expected):
    assert logic.parse_size(value, 'x') == expected


@pytest.mark.parametrize('value,match', [
    ('2 lots', 'expected a size'), (True, 'expected a size'), (-1, 'negative'), ('100M', 'at least 1G'),
])
def test_parse_size_refuses(value, match):
    with pytest.raises(logic.DatasetError, match=match):
        logic.parse_size(value, 'datasets[0].quota', minimum=G)


def test_normalise_full():
    desired = logic.normalise({'name': 'tank/media', 'compression': 'LZ4', 'atime': False, 'recordsize': '1M',
                               'quota': '2T', 'sync': 'standard', 'copies': '2', 'comments': 'films',
                               'share_type': 'SMB', 'exec': 'inherit'})
    assert desired['props'] == {'compression': 'lz4', 'atime': 'off', 'recordsize': '1M', 'quota': 2 * T,
                                'sync': 'standard', 'copies': 2, 'comments': 'films', 'exec': 'inherit'}
    assert desired['share_type'] == 'smb' and desired['encryption'] is None and desired['create_ancestors']


@pytest.mark.parametrize('item,match', [
    ({'name': 'tank'}, 'datasets\\[1\\].name: expected pool/dataset'),
    ({'name': 'tank//x'}, 'expected pool/dataset'),
    ({'name': 'tank/x', 'compression': 'lz5'}, 'datasets\\[1\\].compression: expected one of'),
    ({'name': 'tank/x', 'atime': 'maybe'}, 'atime: expected true, false or inherit'),
    ({'name': 'tank/x', 'recordsize': '100K'}, 'recordsize: expected a power of two'),
    ({'name': 'tank/x', 'recordsize': '32M'}, 'recordsize: expected a power of two'),
    ({'name': 'tank/x', 'copies': 4}, 'copies: expected 1, 2, 3'),
    ({'name': 'tank/x', 'share_type': 'afp'}, 'share_type: expected one of'),
    ({'name': 'tank/x', 'encryption_passphrase': 'short'}, 'at least 8'),
    ({'name': 'tank/x', 'encryption': False, 'encryption_passphrase': 'long enough'}, 'encryption is false'),
])
def test_normalise_refuses(item, match):
    with pytest.raises(logic.DatasetError, match=match):
        logic.normalise(item, 'datasets[1]')


def entry(**props):
    base = {'compression': ('lz4', 'INHERITED'), 'atime': ('on', 'DEFAULT'), 'recordsize': ('131072', 'DEFAULT'),
            'quota': ('0', 'DEFAULT'), 'casesensitivity': ('sensitive', 'LOCAL'), 'copies': ('1', 'DEFAULT'),
            'comments': ('', 'DEFAULT'), 'sync': ('standard', 'DEFAULT')}
    base.update(props)
    row = {'id': 'tank/x', 'encrypted': False}
    for key, (raw, source) in base.items():
        row[key] = {'rawvalue': raw, 'value': raw.upper(), 'source': source, 'parsed': raw}
    return row


@pytest.mark.parametrize('item,current,expected', [
    ({'compression': 'lz4'}, {}, {}),  # inherited lz4 is lz4
    ({'compression': 'zstd'}, {}, {'compression': 'ZSTD'}),
    ({'compression': 'inherit'}, {}, {}),  # already inherited
    ({'compression': 'inherit'}, {'compression': ('zstd', 'LOCAL')}, {'compression': 'INHERIT'}),
    ({'atime': False}, {}, {'atime': 'OFF'}),
    ({'recordsize': '128K'}, {}, {}),
    ({'recordsize': '1M'}, {}, {'recordsize': '1M'}),
    ({'quota': '2T'}, {}, {'quota': 2 * T}),
    ({'quota': '2T'}, {'quota': (str(2 * T), 'LOCAL')}, {}),
    ({'quota': 0}, {'quota': (str(2 * T), 'LOCAL')}, {'quota': 0}),
    ({'copies': 1}, {}, {}),
    ({'comments': 'films'}, {}, {'comments': 'films'}),
])
def test_update_payload(item, current, expected):
    desired = logic.normalise(dict(item, name='tank/x'))
    assert logic.update_payload(desired, entry(**current)) == expected


def test_create_payload():
    desired = logic.normalise({'name': 'tank/a/b', 'compression': 'zstd-9', 'quota': 0, 'atime': True,
                               'share_type': 'nfs', 'encryption': True})
    assert logic.create_payload(desired) == {
        'name': 'tank/a/b', 'type': 'FILESYSTEM', 'create_ancestors': True, 'compression': 'ZSTD-9', 'atime': 'ON',
        'share_type': 'NFS', 'encryption': True, 'inherit_encryption': False,
        'encryption_options': {'generate_key': True}}


def test_create_payload_with_passphrase():
    desired = logic.normalise({'name': 'tank/vault', 'encryption_passphrase': 'correct horse'})
    payload = logic.create_payload(desired)
    assert payload['encryption_options'] == {'passphrase': 'correct horse', 'generate_key': False}
    assert 'correct horse' not in repr(logic.public(desired))


@pytest.mark.parametrize('item,current,encrypted,match', [
    ({'share_type': 'smb'}, {}, False, 'share_type: smb needs casesensitivity insensitive'),
    ({'encryption': True}, {}, False, 'the dataset is not encrypted'),
    ({'encryption': False}, {}, True, 'the dataset is encrypted'),
])
def test_conflicts(item, current, encrypted, match):
    desired = logic.normalise(dict(item, name='tank/x'))
    row = dict(entry(**current), encrypted=encrypted)
    problems = logic.conflicts(desired, row)
    assert len(problems) == 1 and match in problems[0]


def test_no_conflict_when_created_right():
    desired = logic.normalise({'name': 'tank/x', 'share_type': 'smb', 'encryption': False})
    assert logic.conflicts(desired, entry(casesensitivity=('insensitive', 'LOCAL'))) == []


def test_order_parents_first():
    items = [{'name': 'tank/a/b'}, {'name': 'tank/b'}, {'name': 'tank/a'}]
    assert [i['name'] for i in logic.order(items)] == ['tank/a', 'tank/b', 'tank/a/b']


def test_shown_reads_effective_values():
    assert logic.shown(entry(quota=(str(T), 'LOCAL'))) == {
        'compression': 'lz4', 'atime': 'on', 'recordsize': '128K', 'quota': T, 'copies': 1, 'comments': '',
        'sync': 'standard', 'encryption': False}
