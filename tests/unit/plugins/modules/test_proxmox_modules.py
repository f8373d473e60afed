"""The proxmox_* module shells in-process against a recording fake client (the double covers them over HTTPS in
molecule/proxmox_node): bad input is refused before any request, a refused plan writes nothing (issue 15)."""

import os
import sys

import pytest

from ansible_collections.homelab.cluster.plugins.modules import proxmox_guests
from ansible_collections.homelab.cluster.plugins.modules import proxmox_node_config

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'lab', 'doubles'))
from pve_fixtures import apt_pve9  # noqa: E402

AUTH = {'api_url': 'https://127.0.0.1:9', 'api_token_id': 'u@pve!t', 'api_token_secret': 'sekrit-x', 'node': 'forge'}
NFS = {'type': 'nfs', 'server': '10.0.99.2', 'export': '/mnt/tank/k3s', 'content': ['images'], 'options': 'vers=4.2'}
GIB = 1024 ** 3


class FakeClient:
    """Answers GETs from a table, records every call; writes answer a task id."""

    def __init__(self, answers):
        self.answers, self.calls = answers, []

    def call(self, method, resource, **params):  # a parameter may be named path (apt repositories)
        self.calls.append((method, resource, params))
        if method == 'GET':
            key = (resource, params.get('type'))
            return self.answers[key] if key in self.answers else self.answers[(resource, None)]
        return 'UPID:forge:0001:%s' % len(self.calls)

    def wait(self, node, upid, timeout=300):
        return {'status': 'stopped', 'exitstatus': 'OK'}

    def writes(self):
        return [c for c in self.calls if c[0] != 'GET']


@pytest.fixture
def pve(monkeypatch):
    """pve(answers) -> the FakeClient the modules get; connected is False until a module connects."""
    holder = {'connected': False}

    def install(answers):
        client = FakeClient(answers)

        def connect(module, password=False):
            holder['connected'] = True
            return client
        monkeypatch.setattr(proxmox_node_config, 'connect', connect)
        monkeypatch.setattr(proxmox_guests, 'connect', connect)
        holder['client'] = client
        return client
    install.state = holder
    return install


def node_answers(storage=()):
    return {('/nodes/forge/apt/repositories', None): dict(apt_pve9(), digest='d1',
                                                          **{'standard-repos': [{'handle': 'no-subscription'}]}),
            ('/storage', None): [dict(s, digest='d2') for s in storage]}


def test_unknown_storage_option_is_refused_before_any_request(pve, run_module):
    client = pve(node_answers())
    result = run_module(proxmox_node_config.main, dict(AUTH, repositories='no-subscription',
                                                       storage={'nas-k3s': dict(NFS, contnet='backup')}))
    assert result['failed'] and not result.get('changed')
    assert "storage.nas-k3s.contnet: unknown option for a nfs storage (did you mean 'content'?)" in result['msg']
    assert 'nothing was sent' in result['msg']
    assert client.calls == [] and pve.state['connected'] is False


def test_every_storage_problem_is_named_at_once(pve, run_module):
    pve(node_answers())
    storage = {'nas-k3s': dict(NFS, disable='maybe'), 'local2': {'type': 'dir'}}
    result = run_module(proxmox_node_config.main, dict(AUTH, storage=storage))
    assert result['refusals'] == ['storage.local2.path: required for a dir storage, got nothing',
                                  "storage.nas-k3s.disable: expected a boolean, got 'maybe'"]


def test_refused_storage_plan_leaves_the_repositories_alone(pve, run_module):
    client = pve(node_answers([dict(NFS, storage='nas-k3s', export='/mnt/old', content='images')]))
    result = run_module(proxmox_node_config.main, dict(AUTH, repositories='no-subscription',
                                                       storage={'nas-k3s': NFS}))
    assert result['failed'] and result['changed'] is False
    assert 'storage.nas-k3s: export cannot change on an existing storage' in result['msg']
    assert client.writes() == []


def test_repositories_and_storage_are_applied_with_the_secret_masked(pve, run_module):
    client = pve(node_answers())
    pbs = {'type': 'pbs', 'server': '10.0.30.20', 'datastore': 'lab', 'username': 'backup@pbs',
           'password': 'pbs-sekrit', 'content': 'backup'}
    result = run_module(proxmox_node_config.main, dict(AUTH, repositories='no-subscription', storage={'pbs': pbs},
                                                       _ansible_diff=True))
    assert result['changed'] and result['storage'] == {'pbs': 'created'}
    assert ('POST', '/storage', dict(pbs, storage='pbs')) in client.writes()
    assert [c[1] for c in client.writes()].count('/nodes/forge/apt/repositories') == 3
    assert 'pbs-sekrit' not in repr(result)


def test_check_mode_writes_nothing(pve, run_module):
    client = pve(node_answers())
    result = run_module(proxmox_node_config.main, dict(AUTH, repositories='no-subscription',
                                                       storage={'nas-k3s': NFS}), check_mode=True)
    assert result['changed'] and result['storage'] == {'nas-k3s': 'created'}
    assert client.writes() == []


GUEST = {'name': 'k3s-cp', 'vmid': 201, 'cores': 4, 'memory_gb': 8, 'disks': [{'storage': 'local-lvm', 'size_gb': 32}]}


def guest_answers(vms=(), configs=None):
    answers = {('/cluster/resources', 'node'): [{'node': 'forge', 'type': 'node', 'maxmem': 128 * GIB}],
               ('/cluster/resources', 'vm'): list(vms), ('/nodes/forge/hardware/pci', None): [],
               ('/cluster/mapping/pci', None): []}
    for vmid, config in (configs or {}).items():
        answers[('/nodes/forge/qemu/%s/config' % vmid, None)] = config
    return answers


@pytest.mark.parametrize('guest, problem', [
    (dict(GUEST, cores='four'), "guests[0].cores: expected an integer 1-8192, got 'four'"),
    (dict(GUEST, disks=[{'storage': 'local-lvm', 'size_gb': 'big'}]),
     "guests[0].disks[0].size_gb: expected a size in GB above 0, got 'big'"),
    (dict(GUEST, memory=8), "guests[0].memory: unknown key (did you mean 'memory_gb'?)"),
    (dict(GUEST, networks=[{'bridge': 'vmbr0', 'vlan': 5000}]), 'guests[0].networks[0].vlan: expected a VLAN tag'),
])
def test_bad_guest_is_refused_before_any_request(pve, run_module, guest, problem):
    client = pve(guest_answers())
    result = run_module(proxmox_guests.main, dict(AUTH, guests=[dict(GUEST, vmid=200, name='ok'), guest]))
    assert result['failed'] and problem.replace('guests[0]', 'guests[1]') in result['msg'], result['msg']
    assert 'nothing was sent' in result['msg']
    assert client.calls == [] and pve.state['connected'] is False


def test_a_refusal_of_a_later_guest_writes_nothing_for_the_earlier_ones(pve, run_module):
    shrink = dict(GUEST, vmid=202, name='k3s-w1', disks=[{'storage': 'local-lvm', 'size_gb': 16}])
    client = pve(guest_answers([{'vmid': 202, 'node': 'forge', 'type': 'qemu'}],
                               {202: {'name': 'k3s-w1', 'scsi0': 'local-lvm:vm-202-disk-0,size=32G', 'digest': 'x'}}))
    result = run_module(proxmox_guests.main, dict(AUTH, guests=[GUEST, shrink]))
    assert result['failed'] and result['changed'] is False
    assert 'k3s-w1: scsi0 is 32 GB, the plan says 16 GB: disks are never shrunk' in result['msg']
    assert client.writes() == []


def test_a_vmid_on_another_node_is_refused_before_any_write(pve, run_module):
    client = pve(guest_answers([{'vmid': 202, 'node': 'pve2', 'type': 'qemu'}]))
    result = run_module(proxmox_guests.main, dict(AUTH, guests=[GUEST, dict(GUEST, vmid=202, name='k3s-w1')]))
    assert 'k3s-w1 (202): vmid 202 exists on node pve2, the plan puts it on forge' in result['msg']
    assert client.writes() == []


def test_guests_are_created_when_the_plan_holds(pve, run_module):
    client = pve(guest_answers())
    result = run_module(proxmox_guests.main, dict(AUTH, guests=[GUEST]))
    assert result['changed'] and result['guests'][0]['action'] == 'created'
    assert [c[1] for c in client.writes()] == ['/nodes/forge/qemu']
