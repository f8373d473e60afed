"""NFS and SMB shares: declared whole, compared with the query entries."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._truenas import share as logic


def test_nfs_normalise():
    share = logic.normalise_nfs({'dataset': 'tank/k8s', 'hosts': ['10.0.30.10', '10.0.30.10'],
                                 'networks': ['10.99.0.1/30'], 'maproot_user': 'root', 'security': ['sys']})
    assert share == {'path': '/mnt/tank/k8s', 'state': 'present', 'comment': '', 'networks': ['10.99.0.0/30'],
                     'hosts': ['10.0.30.10'], 'ro': False, 'security': ['SYS'], 'enabled': True,
                     'maproot_user': 'root', 'maproot_group': None, 'mapall_user': None, 'mapall_group': None}


@pytest.mark.parametrize('item,match', [
    ({'path': '/tank/k8s'}, 'nfs\\[0\\].path: expected /mnt/'),
    ({'path': '/mnt/tank/../etc'}, 'expected /mnt/'),
    ({'path': '/mnt/tank/a', 'dataset': 'tank/a'}, 'not both'),
    ({'dataset': 'tank/a', 'networks': ['10.0.0.0/33']}, 'networks\\[0\\]: expected a network'),
    ({'dataset': 'tank/a', 'hosts': ['a b']}, 'hosts\\[0\\]: expected an address'),
    ({'dataset': 'tank/a', 'hosts': '10.0.0.1'}, 'hosts: expected a list'),
    ({'dataset': 'tank/a', 'security': ['ntlm']}, 'security: expected SYS'),
    ({'dataset': 'tank/a', 'maproot_user': 'root', 'mapall_user': 'nobody'}, 'exclude each other'),
    ({'dataset': 'tank/a', 'state': 'gone'}, 'state: expected present or absent'),
])
def test_nfs_refuses(item, match):
    with pytest.raises(logic.ShareError, match=match):
        logic.normalise_nfs(item, 'nfs[0]')


def test_nfs_update_only_what_differs():
    share = logic.normalise_nfs({'dataset': 'tank/k8s', 'hosts': ['10.0.30.11', '10.0.30.10'], 'ro': True})
    entry = {'id': 1, 'path': '/mnt/tank/k8s', 'hosts': ['10.0.30.10', '10.0.30.11'], 'networks': [], 'ro': False,
             'comment': '', 'security': [], 'enabled': True, 'maproot_user': None, 'maproot_group': None,
             'mapall_user': None, 'mapall_group': None}
    assert logic.nfs_update(share, entry) == {'ro': True}
    assert logic.nfs_update(dict(share, ro=False), entry) == {}


def test_open_to_everyone():
    assert logic.open_to_everyone(logic.normalise_nfs({'dataset': 'tank/a'}))
    assert not logic.open_to_everyone(logic.normalise_nfs({'dataset': 'tank/a', 'hosts': ['h']}))


def test_smb_normalise_and_short_purpose():
    share = logic.normalise_smb({'name': 'Media', 'dataset': 'tank/media', 'purpose': 'multiprotocol',
                                 'hostsallow': ['10.0.10.0/24']})
    assert share['purpose'] == 'MULTIPROTOCOL_SHARE' and share['options'] == {'hostsallow': ['10.0.10.0/24']}
    default = logic.normalise_smb({'name': 'family', 'dataset': 'tank/family'})
    assert default['options'] == {'hostsallow': [], 'hostsdeny': []}


@pytest.mark.parametrize('item,match', [
    ({'name': 'a/b', 'dataset': 'tank/a'}, 'smb\\[2\\].name: expected a share name'),
    ({'name': 'x' * 81, 'dataset': 'tank/a'}, 'expected a share name'),
    ({'name': 'homes', 'dataset': 'tank/a'}, 'reserved by Samba'),
    ({'name': 'a', 'dataset': 'tank/a', 'purpose': 'nas'}, 'purpose: expected one of'),
])
def test_smb_refuses(item, match):
    with pytest.raises(logic.ShareError, match=match):
        logic.normalise_smb(item, 'smb[2]')


ENTRY = {'id': 4, 'name': 'media', 'path': '/mnt/tank/media', 'purpose': 'DEFAULT_SHARE', 'comment': '',
         'readonly': False, 'browsable': True, 'access_based_share_enumeration': False, 'enabled': True,
         'options': {'aapl_name_mangling': False, 'hostsallow': ['10.0.10.0/24'], 'hostsdeny': []}}


def test_smb_update_nothing():
    share = logic.normalise_smb({'name': 'MEDIA', 'dataset': 'tank/media', 'hostsallow': ['10.0.10.0/24']})
    assert logic.smb_update(share, ENTRY) == {}


def test_smb_update_options_travel_with_purpose():
    share = logic.normalise_smb({'name': 'media', 'dataset': 'tank/media', 'hostsallow': ['10.0.20.0/24']})
    assert logic.smb_update(share, ENTRY) == {'purpose': 'DEFAULT_SHARE', 'options': {
        'aapl_name_mangling': False, 'hostsallow': ['10.0.20.0/24'], 'hostsdeny': []}}


def test_smb_update_purpose_change_drops_old_options():
    share = logic.normalise_smb({'name': 'media', 'dataset': 'tank/media', 'purpose': 'timemachine'})
    assert logic.smb_update(share, ENTRY) == {'purpose': 'TIMEMACHINE_SHARE', 'options': {}}
