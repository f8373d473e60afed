"""The release table: parsing, features, login mechanism choice, SMB shapes per release, snapshot queries."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._truenas import versions


@pytest.mark.parametrize('text,expected', [
    ('25.10.1', (25, 10)), ('25.04.2.4', (25, 4)), ('TrueNAS-SCALE-25.04.2.4', (25, 4)), ('26.0.0-BETA.1', (26, 0)),
    ('TrueNAS-26.04-MASTER-20260101', (26, 4)), ('27.0.0-ALPHA', (27, 0)), ('24.10', (24, 10)),
])
def test_parse(text, expected):
    assert versions.parse(text) == expected


@pytest.mark.parametrize('text', ['', None, 'TrueNAS', 'v1'])
def test_parse_refuses(text):
    with pytest.raises(versions.VersionError, match='cannot read'):
        versions.parse(text)


@pytest.mark.parametrize('release,snapshots,smb_options,resource', [
    ((25, 4), 'zfs.snapshot.query', False, False),
    ((25, 10), 'pool.snapshot.query', True, False),
    ((26, 0), 'zfs.resource.snapshot.query', True, True),
    ((27, 0), 'zfs.resource.snapshot.query', True, True),
])
def test_features(release, snapshots, smb_options, resource):
    feats = versions.features(release)
    assert (feats['snapshot_query'], feats['smb_options'], feats['zfs_resource']) == (snapshots, smb_options, resource)
    assert feats['strict_enums'] == smb_options


def test_older_releases_are_refused_with_the_reason():
    with pytest.raises(versions.VersionError, match='legacy websocket protocol'):
        versions.features((24, 10))


@pytest.mark.parametrize('result,error,expected', [
    (['API_KEY_PLAIN', 'SCRAM'], None, ['API_KEY_PLAIN', 'SCRAM']),
    (None, 'Method does not exist', ['API_KEY_PLAIN']),
    (None, "[EINVAL] 'NoneType' object has no attribute 'may_create_auth_token'", ['API_KEY_PLAIN']),
    (None, '[EBUSY] Rate Limit Exceeded', None),
    ('SCRAM', None, None),
])
def test_mechanisms_from_probe(result, error, expected):
    assert versions.mechanisms_from_probe(result=result, error=error) == expected


@pytest.mark.parametrize('offered,wanted,expected', [
    (['API_KEY_PLAIN', 'SCRAM'], 'auto', 'SCRAM'),
    (['API_KEY_PLAIN'], 'auto', 'API_KEY_PLAIN'),
    (['API_KEY_PLAIN', 'SCRAM'], 'plain', 'API_KEY_PLAIN'),
    (['SCRAM'], 'scram', 'SCRAM'),
])
def test_choose_mechanism(offered, wanted, expected):
    assert versions.choose_mechanism(offered, wanted) == expected


@pytest.mark.parametrize('offered,wanted,match', [
    (['API_KEY_PLAIN'], 'scram', 'SCRAM arrived in TrueNAS 26'),
    (['SCRAM'], 'plain', 'offers only SCRAM'),
    (['PASSWORD_PLAIN'], 'auto', 'no API key login'),
    ([], 'auto', 'none'),
])
def test_choose_mechanism_refuses(offered, wanted, match):
    with pytest.raises(versions.VersionError, match=match):
        versions.choose_mechanism(offered, wanted)


SHARE = {'name': 'media', 'path': '/mnt/tank/media', 'purpose': 'DEFAULT_SHARE', 'readonly': True,
         'access_based_share_enumeration': False, 'options': {'hostsallow': ['10.0.10.0/24'], 'hostsdeny': []}}
F2504, F2510 = versions.features((25, 4)), versions.features((25, 10))


def test_smb_payload_2510_keeps_options():
    assert versions.smb_payload(SHARE, F2510) == SHARE


def test_smb_payload_2504_is_flat_with_old_names():
    payload = versions.smb_payload(dict(SHARE, purpose='MULTIPROTOCOL_SHARE'), F2504)
    assert payload == {'name': 'media', 'path': '/mnt/tank/media', 'purpose': 'MULTI_PROTOCOL_NFS', 'ro': True,
                       'abe': False, 'hostsallow': ['10.0.10.0/24'], 'hostsdeny': []}


def test_smb_payload_2504_partial_update_has_no_purpose():
    assert versions.smb_payload({'readonly': False}, F2504) == {'ro': False}


@pytest.mark.parametrize('share,match', [
    (dict(SHARE, purpose='FCP_SHARE'), 'FCP_SHARE does not exist before'),
    (dict(SHARE, options={'auto_snapshot': True}), 'auto_snapshot need TrueNAS 25.10'),
])
def test_smb_payload_2504_refuses_what_it_lacks(share, match):
    with pytest.raises(versions.VersionError, match=match):
        versions.smb_payload(share, F2504)


def test_smb_entry_round_trip_2504():
    entry = {'id': 3, 'name': 'media', 'purpose': 'ENHANCED_TIMEMACHINE', 'ro': False, 'abe': True,
             'hostsallow': ['10.0.10.0/24'], 'hostsdeny': []}
    assert versions.smb_entry(entry, F2504) == {
        'id': 3, 'name': 'media', 'purpose': 'TIMEMACHINE_SHARE', 'readonly': False,
        'access_based_share_enumeration': True, 'options': {'hostsallow': ['10.0.10.0/24'], 'hostsdeny': []}}


def test_smb_entry_2510_drops_the_hidden_purpose_of_options():
    entry = {'name': 'x', 'purpose': 'DEFAULT_SHARE', 'options': {'purpose': 'DEFAULT_SHARE', 'hostsallow': []}}
    assert versions.smb_entry(entry, F2510)['options'] == {'hostsallow': []}


SELECT = {'select': ['name', 'dataset', 'snapshot_name', 'createtxg']}


@pytest.mark.parametrize('release,method,params', [
    ((25, 4), 'zfs.snapshot.query', [[['dataset', 'in', ['tank/a', 'tank/b']]], SELECT]),
    ((25, 10), 'pool.snapshot.query', [[['dataset', 'in', ['tank/a', 'tank/b']]], SELECT]),
    ((26, 0), 'zfs.resource.snapshot.query', [{'paths': ['tank/a', 'tank/b'], 'properties': None}]),
])
def test_snapshot_query(release, method, params):
    assert versions.snapshot_query(versions.features(release), ['tank/b', 'tank/a']) == (method, params)


def test_snapshot_summary_takes_the_highest_txg_of_any_shape():
    rows = [{'dataset': 'tank/a', 'snapshot_name': 'daily-1', 'createtxg': '10'},
            {'name': 'tank/a@daily-2', 'createtxg': 12},
            {'dataset': 'tank/a', 'snapshot_name': 'hourly-9', 'createtxg': {'parsed': 11}},
            {'dataset': 'tank/other', 'snapshot_name': 'x', 'createtxg': 99}]
    assert versions.snapshot_summary(rows, ['tank/a', 'tank/b']) == {
        'tank/a': {'count': 3, 'latest': 'daily-2'}, 'tank/b': {'count': 0, 'latest': None}}
