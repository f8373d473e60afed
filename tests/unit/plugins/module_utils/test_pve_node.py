"""Node preparation: repositories, kernel command line (storage: test_pve_storage.py)."""
import os
import sys

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._pve.node import cmdline_with
from ansible_collections.homelab.cluster.plugins.module_utils._pve.node import iommu_args
from ansible_collections.homelab.cluster.plugins.module_utils._pve.node import repository_actions

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
