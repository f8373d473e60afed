"""Node preparation: repositories, storage plans, kernel command line."""
import os
import sys

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._pve.node import cmdline_with
from ansible_collections.homelab.cluster.plugins.module_utils._pve.node import iommu_args
from ansible_collections.homelab.cluster.plugins.module_utils._pve.node import repository_actions
from ansible_collections.homelab.cluster.plugins.module_utils._pve.node import storage_actions

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'lab', 'doubles'))
from pve_fixtures import apt_pve9  # noqa: E402


def answer(files, standard):
    return {'files': files, 'standard-repos': standard}


def test_fresh_pve9_gets_enterprise_off_and_no_subscription_added():
    actions = repository_actions(answer(apt_pve9()['files'], [{'handle': 'enterprise', 'status': 1},
                                                              {'handle': 'no-subscription'}]), 'no-subscription')
    assert [a['label'] for a in actions] == ['disable /etc/apt/sources.list.d/pve-enterprise.sources#0',
                                             'disable /etc/apt/sources.list.d/ceph.sources#0',
                                             'add no-subscription']


def test_converged_repositories_need_nothing():
    files = apt_pve9()['files']
    for entry in files[1:]:
        entry['repositories'][0]['Enabled'] = 0
    files.append({'path': '/etc/apt/sources.list.d/proxmox.sources', 'repositories': [
        {'URIs': ['http://download.proxmox.com/debian/pve'], 'Components': ['pve-no-subscription'], 'Enabled': 1}]})
    assert repository_actions(answer(files, [{'handle': 'no-subscription', 'status': 1}]), 'no-subscription') == []


NFS = {'type': 'nfs', 'server': '10.0.99.2', 'export': '/mnt/tank/k3s', 'content': ['images', 'backup'],
       'options': 'vers=4.2'}


@pytest.mark.parametrize('current, kind, label', [
    ({}, 'create', 'created'),
    ({'nas': dict(NFS, content='backup,images', digest='x', storage='nas')}, None, None),
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


@pytest.mark.parametrize('cmdline, wanted, out', [
    ('root=ZFS=rpool/ROOT/pve-1 boot=zfs', ['iommu=pt'], 'root=ZFS=rpool/ROOT/pve-1 boot=zfs iommu=pt'),
    ('root=x iommu=off quiet', ['iommu=pt'], 'root=x quiet iommu=pt'),
    ('root=x iommu=pt', ['iommu=pt'], 'root=x iommu=pt'),
])
def test_cmdline_with(cmdline, wanted, out):
    assert cmdline_with(cmdline, wanted) == out


def test_iommu_args():
    assert iommu_args('GenuineIntel') == ['intel_iommu=on', 'iommu=pt']
    assert iommu_args('AuthenticAMD') == ['iommu=pt']
