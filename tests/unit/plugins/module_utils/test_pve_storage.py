"""Storage entries: the whole input checked before any request (issue 15), then create/update/refuse."""
import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._pve.storage import TYPES
from ansible_collections.homelab.cluster.plugins.module_utils._pve.storage import check_storage
from ansible_collections.homelab.cluster.plugins.module_utils._pve.storage import masked
from ansible_collections.homelab.cluster.plugins.module_utils._pve.storage import storage_actions

NFS = {'type': 'nfs', 'server': '10.0.99.2', 'export': '/mnt/tank/k3s', 'content': ['images', 'backup'],
       'options': 'vers=4.2'}
PBS = {'type': 'pbs', 'server': '10.0.30.20', 'datastore': 'lab', 'username': 'backup@pbs', 'password': 'sekrit',
       'fingerprint': 'aa:bb', 'content': 'backup'}


@pytest.mark.parametrize('wanted', [
    {},
    {'nas': NFS},
    {'nas': dict(NFS, content='images,backup', nodes=['forge'], disable=False, **{'prune-backups': {'keep-last': 3}})},
    {'local2': {'type': 'dir', 'path': '/srv/pve', 'content': 'iso,vztmpl', 'shared': 0, 'max-protected-backups': -1}},
    {'thin': {'type': 'lvmthin', 'vgname': 'pve', 'thinpool': 'data', 'content': ['images', 'rootdir']}},
    {'tank': {'type': 'zfspool', 'pool': 'tank/vm', 'sparse': True, 'blocksize': '16k'}},
    {'pbs': dict(PBS, port=8007)},
    {'smb': {'type': 'cifs', 'server': 'nas', 'share': 'vm', 'smbversion': '3.11', 'password': 'x'}},
])
def test_valid_storage_has_no_problems(wanted):
    assert check_storage(wanted) == []


@pytest.mark.parametrize('wanted, problem', [
    ('nas', "storage: expected a mapping of storage id to options, got 'nas'"),
    ({'nas': 'nfs'}, "storage.nas: expected a mapping of options, got 'nfs'"),
    ({'Nas!': NFS}, "storage.Nas!: expected a storage id of lower-case letters"),
    ({'nas': {'server': 'x'}}, 'storage.nas.type: required, got nothing'),
    ({'nas': dict(NFS, type='nfs4')}, "storage.nas.type: expected one of btrfs, cephfs, cifs, dir, esxi, iscsi, "
                                      "iscsidirect, lvm, lvmthin, nfs, pbs, rbd, zfs, zfspool, got 'nfs4'"),
    ({'nas': dict(NFS, contnet='images')}, "storage.nas.contnet: unknown option for a nfs storage (did you mean "
                                           "'content'?); known: "),
    ({'nas': dict(NFS, share='vm')}, 'storage.nas.share: unknown option for a nfs storage'),
    ({'nas': dict(NFS, digest='abc')}, 'storage.nas.digest: set by the module, not an input'),
    ({'nas': {'type': 'nfs', 'server': '10.0.99.2'}}, 'storage.nas.export: required for a nfs storage, got nothing'),
    ({'dd': {'type': 'dir'}}, 'storage.dd.path: required for a dir storage, got nothing'),
    ({'nas': dict(NFS, content='images,vm')}, 'storage.nas.content: expected content types of images, rootdir, '
                                              'vztmpl, iso, backup, snippets, import, got vm'),
    ({'thin': {'type': 'lvmthin', 'vgname': 'pve', 'thinpool': 'data', 'content': 'iso'}},
     'storage.thin.content: expected content types of images, rootdir, got iso'),
    ({'dd': {'type': 'dir', 'path': '/srv', 'content': 'none,iso'}},
     "storage.dd.content: 'none' cannot be combined with other content types, got none, iso"),
    ({'nas': dict(NFS, disable='maybe')}, "storage.nas.disable: expected a boolean, got 'maybe'"),
    ({'pbs': dict(PBS, port='eighty')}, "storage.pbs.port: expected an integer 1-65535, got 'eighty'"),
    ({'pbs': dict(PBS, port=70000)}, 'storage.pbs.port: expected an integer 1-65535, got 70000'),
    ({'nas': dict(NFS, preallocation='lazy')}, "storage.nas.preallocation: expected one of off, metadata, falloc, "
                                               "full, got 'lazy'"),
    ({'nas': dict(NFS, format='subvol')}, "storage.nas.format: expected one of raw, qcow2, vmdk, got 'subvol'"),
    ({'nas': dict(NFS, options={'vers': 4.2})}, "storage.nas.options: expected a single value, got {'vers': 4.2}"),
    ({'nas': dict(NFS, server='')}, 'storage.nas.server: expected a value, got nothing'),
    ({'nas': dict(NFS, **{'prune-backups': {'keep-forever': 1}})},
     "storage.nas.prune-backups: expected keep-last, keep-daily, ... with counts, got keep-forever=1"),
])
def test_storage_problem_names_the_field(wanted, problem):
    problems = check_storage(wanted)
    assert any(p.startswith(problem) for p in problems), problems


def test_every_problem_of_every_entry_is_listed():
    problems = check_storage({'aa': dict(NFS, contnet='x', disable='no'), 'b': {'type': 'dir'}})
    fields = [p.split(':', maxsplit=1)[0] for p in problems]
    assert fields == ['storage.aa.contnet', 'storage.aa.disable', 'storage.b', 'storage.b.path']


def test_every_type_takes_its_required_options():
    for kind, spec in TYPES.items():
        assert set(spec['required']) <= spec['options'] and set(spec['sensitive']) <= spec['options'], kind
        assert set(spec['fixed']) <= spec['options'], kind


@pytest.mark.parametrize('current, kind, label', [
    ({}, 'create', 'created'),
    ({'nas': dict(NFS, content='backup,images', digest='x', storage='nas', path='/mnt/pve/nas')}, None, None),
    ({'nas': dict(NFS, content='images', storage='nas')}, 'update', 'updated content'),
])
def test_storage_actions(current, kind, label):
    actions, refusals = storage_actions(current, {'nas': NFS})
    assert refusals == []
    assert (actions.get('nas') or {}).get('kind') == kind and (actions.get('nas') or {}).get('label') == label


def test_storage_fixed_options_are_refused():
    _a, refusals = storage_actions({'nas': dict(NFS, export='/mnt/old')}, {'nas': NFS})
    assert refusals == ['storage.nas: export cannot change on an existing storage (export /mnt/old -> /mnt/tank/k3s); '
                        'remove it in PVE first']


def test_sensitive_options_are_sent_on_create_only_and_masked():
    actions, _r = storage_actions({}, {'pbs': PBS})
    assert actions['pbs']['params']['password'] == PBS['password']
    assert actions['pbs']['after']['password'] == masked({'password': 'x'}, 'pbs')['password'] != PBS['password']
    # PVE never returns the password: an existing entry is not "changed" by it every run
    have = {k: v for k, v in PBS.items() if k != 'password'}
    assert storage_actions({'pbs': dict(have, storage='pbs', digest='d')}, {'pbs': PBS}) == ({}, [])
    assert masked({'password': 'x', 'server': 'y'}, 'pbs') == {'password': '********', 'server': 'y'}


def test_prune_backups_and_nodes_compare_as_values():
    wanted = {'nas': dict(NFS, nodes=['pve2', 'pve1'], **{'prune-backups': {'keep-last': 3, 'keep-daily': 7}})}
    have = dict(NFS, content='images,backup', nodes='pve1,pve2', **{'prune-backups': 'keep-last=3,keep-daily=7'})
    assert storage_actions({'nas': have}, wanted) == ({}, [])
