"""quorum_info and qdevice as I/O shells: the corosync tools are replaced by recorded outputs."""

import os

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.cluster.plugins.modules import qdevice
from ansible_collections.homelab.cluster.plugins.modules import quorum_info

FIXTURES = os.path.join(os.path.dirname(__file__), '..', 'module_utils', 'fixtures', 'quorum')
CONF = """totem {
    version: 2
    cluster_name: lab
}
nodelist {
    node {
        name: r1
        nodeid: 1
        ring0_addr: 10.77.97.11
    }
    node {
        name: r2
        nodeid: 2
        ring0_addr: 10.77.97.12
    }
}
quorum {
    provider: corosync_votequorum
}
"""


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return handle.read()


def fake_tools(monkeypatch, tools, outputs):
    """tools: which binaries exist; outputs: {binary: (rc, stdout, stderr)}; records every command."""
    calls = []

    def get_bin_path(self, name, required=False, opt_dirs=None):
        return '/usr/sbin/' + name if name in tools else None

    monkeypatch.setattr(AnsibleModule, 'get_bin_path', get_bin_path)

    def run_command(self, args, **kwargs):
        calls.append(list(args))
        name = os.path.basename(args[0])
        return outputs.get(name, (0, '', ''))
    monkeypatch.setattr(AnsibleModule, 'run_command', run_command)
    return calls


@pytest.fixture
def conf(tmp_path):
    path = tmp_path / 'corosync.conf'
    path.write_text(CONF)
    return path


@pytest.mark.parametrize('state, verdict, quorate', [
    ('healthy', 'healthy', True), ('degraded', 'degraded', True), ('lost', 'lost', False)])
def test_quorum_info_on_a_node(monkeypatch, run_module, conf, state, verdict, quorate):
    qdevice_out = fixture('lost.qdevice.txt' if state == 'lost' else 'healthy.qdevice.txt')
    fake_tools(monkeypatch, {'corosync-quorumtool', 'corosync-qdevice-tool'}, {
        'corosync-quorumtool': (2 if state == 'lost' else 0, fixture('%s.quorumtool.txt' % state), ''),
        'corosync-qdevice-tool': (0, qdevice_out, '')})
    result = run_module(quorum_info.main, {'config': str(conf)}, check_mode=True)
    assert (result['role'], result['verdict'], result['quorate'], result['changed']) == ('node', verdict, quorate,
                                                                                         False)
    if state == 'degraded':
        assert result['missing'] == ['node 2 (r2, 1 vote)']
    if state == 'lost':
        assert result['missing'] == ['node 1 (r1, 1 vote)', 'Qdevice, qdevice state: Connect failed']


def test_quorum_info_down(monkeypatch, run_module, conf):
    fake_tools(monkeypatch, {'corosync-quorumtool'}, {'corosync-quorumtool': (1, fixture('down.quorumtool.txt'), '')})
    result = run_module(quorum_info.main, {'config': str(conf)})
    assert result['verdict'] == 'down' and result['msg'] == 'corosync is not answering (no quorum service)'


def test_quorum_info_wait_for_fails_with_the_verdict(monkeypatch, run_module, conf):
    fake_tools(monkeypatch, {'corosync-quorumtool'}, {'corosync-quorumtool': (2, fixture('lost.quorumtool.txt'), '')})
    result = run_module(quorum_info.main, {'config': str(conf), 'wait_for': ['healthy'], 'timeout': 0})
    assert result['failed'] and result['msg'].startswith('verdict lost, not healthy, after 0 s: quorum lost')


def test_quorum_info_on_the_qnetd_host(monkeypatch, run_module, conf):
    fake_tools(monkeypatch, {'corosync-qnetd-tool'}, {'corosync-qnetd-tool': (0, fixture('healthy.qnetd.txt'), '')})
    result = run_module(quorum_info.main, {'config': str(conf)})
    assert (result['role'], result['verdict']) == ('qnetd', 'healthy')
    fake_tools(monkeypatch, {'corosync-qnetd-tool'}, {'corosync-qnetd-tool': (0, fixture('degraded.qnetd.txt'), '')})
    result = run_module(quorum_info.main, {'config': str(conf)})
    assert (result['verdict'], result['missing']) == ('degraded', ['cluster lab node 2'])
    fake_tools(monkeypatch, set(), {})
    assert run_module(quorum_info.main, {'config': str(conf)})['verdict'] == 'down'


def test_qdevice_sets_the_quorum_section_with_a_diff(monkeypatch, run_module, conf):
    calls = fake_tools(monkeypatch, {'corosync-qdevice-net-certutil', 'certutil'}, {})
    monkeypatch.setattr(qdevice.Qdevice, 'certificates', lambda self, cluster: True)
    check = run_module(qdevice.main, {'host': '10.77.97.5', 'config': str(conf), 'method': 'corosync',
                                      '_ansible_diff': True}, check_mode=True)
    assert check['changed'] and '    device {' in check['diff']['after']
    assert conf.read_text() == CONF  # check mode writes nothing
    result = run_module(qdevice.main, {'host': '10.77.97.5', 'config': str(conf), 'method': 'corosync'})
    assert result['changed'] and result['device']['host'] == '10.77.97.5'
    assert 'host: 10.77.97.5' in conf.read_text()
    assert ['systemctl', 'enable', '--now', 'corosync-qdevice'] not in calls  # systemctl answered active+enabled
    again = run_module(qdevice.main, {'host': '10.77.97.5', 'config': str(conf), 'method': 'corosync'})
    assert not again['changed'] and again['msg'] == 'nothing to do'


def test_qdevice_waits_for_the_certificate(monkeypatch, run_module, conf):
    fake_tools(monkeypatch, {'corosync-qdevice-net-certutil'}, {})
    monkeypatch.setattr(qdevice, 'NSSDB', str(conf.parent / 'nssdb'))
    result = run_module(qdevice.main, {'host': '10.77.97.5', 'config': str(conf), 'method': 'corosync'})
    assert result['certificate'] == 'missing_ca' and not result['changed']
    assert 'device' not in conf.read_text()


def test_qdevice_rejects_non_base64_certificates(monkeypatch, run_module, conf):
    fake_tools(monkeypatch, {'corosync-qdevice-net-certutil'}, {})
    monkeypatch.setattr(qdevice, 'NSSDB', str(conf.parent / 'nssdb'))
    result = run_module(qdevice.main, {'host': '10.77.97.5', 'config': str(conf), 'method': 'corosync',
                                       'ca_cert': '-----BEGIN CERTIFICATE-----'})
    assert result['failed'] and 'certificate inputs are base64' in result['msg']


def test_qdevice_pvecm_explains_unmet_preconditions(monkeypatch, run_module, conf):
    fake_tools(monkeypatch, {'pvecm'}, {'pvecm': (0, fixture('lost.quorumtool.txt'), '')})
    monkeypatch.setattr(qdevice.Qdevice, 'reachable', staticmethod(lambda host, port: False))
    result = run_module(qdevice.main, {'host': '10.0.30.5', 'method': 'pvecm', 'config': str(conf)})
    assert result['failed']
    assert result['msg'].startswith('pvecm qdevice setup 10.0.30.5 cannot run: the Proxmox cluster is not quorate')
    assert 'corosync-qdevice is not installed' in result['msg'] and 'TCP 5403' in result['msg']
    assert result['command'] == ['pvecm', 'qdevice', 'setup', '10.0.30.5']


def test_qdevice_pvecm_runs_when_ready(monkeypatch, run_module, conf):
    healthy = fixture('healthy.quorumtool.txt').replace('Flags:            Quorate Qdevice', 'Flags: Quorate')
    healthy = healthy.replace('         0          1            Qdevice\n', '')
    healthy = healthy.replace('Expected votes:   3', 'Expected votes:   2')
    healthy = healthy.replace('Total votes:      3', 'Total votes:      2')
    calls = fake_tools(monkeypatch, {'pvecm', 'corosync-qdevice'}, {'pvecm': (0, healthy, '')})
    monkeypatch.setattr(qdevice.Qdevice, 'reachable', staticmethod(lambda host, port: True))
    result = run_module(qdevice.main, {'host': '10.0.30.5', 'method': 'pvecm', 'config': str(conf),
                                       'network': '10.0.30.0/24'})
    assert result['changed'], result
    assert calls[-1] == ['pvecm', 'qdevice', 'setup', '10.0.30.5', '--network', '10.0.30.0/24']
