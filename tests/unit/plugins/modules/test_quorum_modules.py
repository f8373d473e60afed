"""quorum_info and qdevice as I/O shells: the corosync tools are replaced by recorded outputs."""

import base64
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


def pvecm(name):
    """`pvecm status` as Proxmox VE documents it (hex node ids, members by address; fixtures/README.md)."""
    return fixture(os.path.join('..', 'pvecm', name + '.pvecm-status.txt'))


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
    fake_tools(monkeypatch, {'pvecm'}, {'pvecm': (0, pvecm('qdevice-lost'), '')})
    monkeypatch.setattr(qdevice.Qdevice, 'reachable', staticmethod(lambda host, port: False))
    result = run_module(qdevice.main, {'host': '10.0.30.5', 'method': 'pvecm', 'config': str(conf)})
    assert result['failed']
    assert result['msg'] == (
        'pvecm qdevice setup 10.0.30.5 cannot run: the Proxmox cluster is not quorate (1 of 3 votes): pvecm qdevice '
        'setup needs every node online; corosync-qdevice is not installed on this node (apt install corosync-qdevice '
        'on every node); the qnetd host does not answer on TCP 5403 (is corosync-qnetd running there?)')
    assert result['command'] == ['pvecm', 'qdevice', 'setup', '10.0.30.5']


def test_qdevice_pvecm_runs_when_ready(monkeypatch, run_module, conf):
    calls = fake_tools(monkeypatch, {'pvecm', 'corosync-qdevice'}, {'pvecm': (0, pvecm('two-nodes'), '')})
    monkeypatch.setattr(qdevice.Qdevice, 'reachable', staticmethod(lambda host, port: True))
    result = run_module(qdevice.main, {'host': '10.0.30.5', 'method': 'pvecm', 'config': str(conf),
                                       'network': '10.0.30.0/24'})
    assert (result['changed'], result['done']) == (True, ['ran pvecm qdevice setup 10.0.30.5 --network 10.0.30.0/24'])
    assert calls == [['/usr/sbin/pvecm', 'status'],
                     ['pvecm', 'qdevice', 'setup', '10.0.30.5', '--network', '10.0.30.0/24']]


def test_qdevice_pvecm_leaves_a_device_that_is_set_up(monkeypatch, run_module, tmp_path):
    conf = tmp_path / 'corosync.conf'
    conf.write_text(CONF.replace('provider: corosync_votequorum', 'provider: corosync_votequorum\n    device {\n'
                                 '        model: net\n        net {\n            host: 10.0.30.5\n        }\n    }'))
    calls = fake_tools(monkeypatch, {'pvecm', 'corosync-qdevice'}, {'pvecm': (0, pvecm('qdevice'), '')})
    result = run_module(qdevice.main, {'host': '10.0.30.5', 'method': 'pvecm', 'config': str(conf)})
    assert (result['changed'], result['msg']) == (False, 'pvecm: the quorum device 10.0.30.5 is already set up')
    assert calls == [['/usr/sbin/pvecm', 'status']]
    gone = run_module(qdevice.main, {'method': 'pvecm', 'config': str(conf), 'state': 'absent'})
    assert (gone['changed'], gone['command']) == (True, ['pvecm', 'qdevice', 'remove'])
    assert calls[-1] == ['pvecm', 'qdevice', 'remove']


# ------------------------------------------------------------------- the certificate flow and the service

def fake_node(monkeypatch, tmp_path, units=None, node_cert=False):
    """A corosync node: the NSS database in tmp_path, certutil and systemctl answering like the real ones.
    units: {'is-enabled': rc, 'is-active': rc} for corosync-qdevice (0 yes, else no); corosync is active.
    Returns the calls, each with the content of the certificate file it was given (read before it is removed)."""
    nssdb = tmp_path / 'nssdb'
    monkeypatch.setattr(qdevice, 'NSSDB', str(nssdb))
    monkeypatch.setattr(qdevice, 'CRQ', str(nssdb / 'qdevice-net-node.crq'))
    monkeypatch.setattr(qdevice, 'P12', str(nssdb / 'qdevice-net-node.p12'))
    units = dict({'is-enabled': 0, 'is-active': 0}, **(units or {}))
    calls = []
    tools = {'corosync-qdevice-net-certutil', 'certutil', 'corosync-cfgtool', 'systemctl'}

    def get_bin_path(self, name, required=False, opt_dirs=None):
        return '/usr/sbin/' + name if name in tools else None

    monkeypatch.setattr(AnsibleModule, 'get_bin_path', get_bin_path)

    def run_command(self, args, **kwargs):
        args = list(args)
        given = args[-1] if args[-2:-1] == ['-c'] else None
        if given:
            with open(given, 'rb') as handle:
                args = args + [handle.read()]
        calls.append(args)
        name = os.path.basename(args[0])
        if name == 'corosync-qdevice-net-certutil' and args[1] == '-i':
            nssdb.mkdir()
            (nssdb / 'cert9.db').write_bytes(b'')
        if name == 'corosync-qdevice-net-certutil' and args[1] == '-r':
            (nssdb / 'qdevice-net-node.crq').write_bytes(b'CSR')
        if name == 'corosync-qdevice-net-certutil' and args[1] in ('-M', '-m'):
            (nssdb / 'qdevice-net-node.p12').write_bytes(b'P12')
        if name == 'certutil':
            return (0 if node_cert else 255, '', '')
        if name == 'systemctl' and args[-1] == 'corosync-qdevice' and args[1] in units:
            return (units[args[1]], '', '')
        return (0, '', '')
    monkeypatch.setattr(AnsibleModule, 'run_command', run_command)
    return calls


CA = base64.b64encode(b'-----BEGIN CERTIFICATE-----\nqnetd CA\n').decode()
SIGNED = base64.b64encode(b'-----BEGIN CERTIFICATE-----\ncluster lab\n').decode()
TOOL = '/usr/sbin/corosync-qdevice-net-certutil'


def test_certificate_request_then_signed_then_the_device_and_the_service(monkeypatch, run_module, tmp_path, conf):
    calls = fake_node(monkeypatch, tmp_path, units={'is-enabled': 1, 'is-active': 3})
    first = run_module(qdevice.main, {'host': '10.77.97.5', 'config': str(conf), 'method': 'corosync', 'ca_cert': CA})
    assert (first['changed'], first['certificate'], first['csr']) == (True, 'needs_signing', 'Q1NS')  # 'CSR'
    assert first['done'] == ['initialised the NSS database with the qnetd CA',
                             'created a certificate request for cluster lab']
    assert [c[:3] for c in calls] == [[TOOL, '-i', '-c'], ['/usr/sbin/certutil', '-L', '-d'], [TOOL, '-r', '-n']]
    assert calls[0][-1] == b'-----BEGIN CERTIFICATE-----\nqnetd CA\n'
    assert not os.path.exists(calls[0][3])  # the private copy of the certificate is gone
    assert 'device' not in conf.read_text()  # no device section before the certificate: it would cost a vote
    del calls[:]
    second = run_module(qdevice.main, {'host': '10.77.97.5', 'config': str(conf), 'method': 'corosync',
                                       'signed_cert': SIGNED})
    assert second['done'] == ['imported the signed cluster certificate', 'set the quorum device in %s' % conf,
                              'enabled and started corosync-qdevice']
    assert (second['certificate'], second['p12']) == ('present', 'UDEy')  # the bundle for the other nodes
    assert calls[1][:3] == [TOOL, '-M', '-c'] and calls[1][-1] == b'-----BEGIN CERTIFICATE-----\ncluster lab\n'
    assert ['corosync-cfgtool', '-R'] in calls  # corosync re-reads the new quorum section
    assert calls[-1] == ['systemctl', 'enable', '--now', 'corosync-qdevice']
    assert ['systemctl', 'restart', 'corosync-qdevice'] not in calls  # it was not running: enable --now starts it


def test_a_running_qdevice_is_restarted_when_the_device_changes(monkeypatch, run_module, tmp_path, conf):
    calls = fake_node(monkeypatch, tmp_path, node_cert=True)
    (tmp_path / 'nssdb').mkdir()
    (tmp_path / 'nssdb' / 'cert9.db').write_bytes(b'')
    result = run_module(qdevice.main, {'host': '10.77.97.5', 'config': str(conf), 'method': 'corosync'})
    assert result['done'] == ['set the quorum device in %s' % conf, 'restarted corosync-qdevice']
    assert ['systemctl', 'enable', '--now', 'corosync-qdevice'] not in calls
    assert calls[-1] == ['systemctl', 'restart', 'corosync-qdevice']


def test_the_p12_bundle_joins_the_second_node_and_absent_stops_the_service(monkeypatch, run_module, tmp_path, conf):
    calls = fake_node(monkeypatch, tmp_path, units={'is-enabled': 1})
    p12 = base64.b64encode(b'PKCS12').decode()
    result = run_module(qdevice.main, {'host': '10.77.97.5', 'config': str(conf), 'method': 'corosync',
                                       'ca_cert': CA, 'p12': p12})
    assert result['done'][:2] == ['initialised the NSS database with the qnetd CA',
                                  'imported the cluster certificate bundle']
    assert calls[2][:3] == [TOOL, '-m', '-c'] and calls[2][-1] == b'PKCS12'
    # running but not enabled: enabled now, and restarted, since a running qdevice keeps its old settings
    assert calls[-2:] == [['systemctl', 'enable', '--now', 'corosync-qdevice'],
                          ['systemctl', 'restart', 'corosync-qdevice']]
    del calls[:]
    gone = run_module(qdevice.main, {'config': str(conf), 'method': 'corosync', 'state': 'absent'})
    assert gone['done'] == ['set the quorum device in %s' % conf, 'stopped and disabled corosync-qdevice']
    assert 'device' not in conf.read_text()
    assert calls[-1] == ['systemctl', 'disable', '--now', 'corosync-qdevice']


def test_check_mode_stops_before_the_request(monkeypatch, run_module, tmp_path, conf):
    calls = fake_node(monkeypatch, tmp_path)
    result = run_module(qdevice.main, {'host': '10.77.97.5', 'config': str(conf), 'method': 'corosync',
                                       'ca_cert': CA}, check_mode=True)
    assert (result['changed'], result['certificate']) == (True, 'would be requested')
    assert calls == [] and not (tmp_path / 'nssdb').exists() and conf.read_text() == CONF
