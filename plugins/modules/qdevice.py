#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: qdevice
short_description: Join a corosync node to a quorum device (corosync-qnetd), or do it with pvecm on Proxmox VE
version_added: 0.1.0
description:
  - Runs on a corosync voter. It joins the node to a corosync-qnetd server with the TLS certificate,
    the C(quorum.device) section of C(corosync.conf) and a running C(corosync-qdevice).
  - Certificates are exchanged through the controller, one step per call, and each step is idempotent.
    Every certificate input is base64, as M(ansible.builtin.slurp) returns it, because some of the files
    are binary.
  - Step 1. With O(ca_cert) (the qnetd CA), the node's NSS database is initialised.
  - Step 2. Without a node certificate, the first node returns a certificate request (RV(csr)); sign it on
    the qnetd host with C(corosync-qnetd-certutil -s).
  - Step 3. With O(signed_cert), it imports the certificate and returns the cluster's PKCS#12 bundle (RV(p12)).
  - Step 4. Every other node imports RV(p12) with O(p12).
  - The C(homelab.cluster.qdevice) role runs these steps. Give the tasks C(no_log), because RV(p12) holds
    the cluster's private key.
  - The quorum section is changed, corosync reloaded (C(corosync-cfgtool -R)) and C(corosync-qdevice)
    restarted only when the settings differ, compared as values rather than text.
  - On Proxmox VE (O(method=pvecm), or V(auto) when C(/etc/pve) exists), the same result comes from
    C(pvecm qdevice setup). Its preconditions are checked first and explained when unmet. The cluster is
    quorate with every node online, C(corosync-qdevice) is installed, and qnetd answers on TCP 5403. The
    qnetd host must also accept root SSH from the node, as C(pvecm) requires.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  host:
    description: Address of the corosync-qnetd server. Required with O(state=present).
    type: str
  cluster_name:
    description: Cluster name used in the certificates. Default is C(totem.cluster_name) of O(config).
    type: str
  algorithm:
    description: V(ffsplit) (50:50 split tie-breaker, for an even number of nodes) or V(lms) (last man standing).
    type: str
    choices: [ffsplit, lms]
    default: ffsplit
  votes:
    description: Votes of the device. Default is 1 for ffsplit, and the nodes' votes minus one for lms.
    type: int
  tls:
    description: TLS between qdevice and qnetd.
    type: str
    choices: ['on', 'off', required]
    default: 'on'
  tie_breaker:
    description: Tie-breaker of ffsplit, C(lowest), C(highest) or a node ID. Default is corosync's C(lowest).
    type: str
  ca_cert:
    description:
      - Base64 of the qnetd CA certificate, C(/etc/corosync/qnetd/nssdb/qnetd-cacert.crt) on the qnetd host,
        as M(ansible.builtin.slurp) returns it.
    type: str
  signed_cert:
    description:
      - Base64 of this cluster's certificate signed by qnetd (C(cluster-NAME.crt), a binary DER file), as
        M(ansible.builtin.slurp) returns it.
    type: str
  p12:
    description: Base64 of the PKCS#12 bundle returned by the node that imported O(signed_cert).
    type: str
  method:
    description: V(corosync) edits corosync.conf; V(pvecm) runs C(pvecm qdevice setup); V(auto) picks by C(/etc/pve).
    type: str
    choices: [auto, corosync, pvecm]
    default: auto
  force:
    description: For V(pvecm), replace a quorum device that is already configured.
    type: bool
    default: false
  network:
    description: For V(pvecm), the network (CIDR) qnetd is reached on, passed as C(--network).
    type: str
  state:
    description: V(present) joins the device; V(absent) removes it and stops C(corosync-qdevice).
    type: str
    choices: [present, absent]
    default: present
  config:
    description: Path of corosync.conf.
    type: path
    default: /etc/corosync/corosync.conf
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The quorum section of corosync.conf.
  platform:
    platforms: posix
extends_documentation_fragment:
  - action_common_attributes
seealso:
  - module: homelab.cluster.quorum_info
  - name: pvecm(1)
    description: Proxmox VE cluster manager, C(pvecm qdevice setup).
    link: https://pve.proxmox.com/pve-docs/pvecm.1.html
'''

EXAMPLES = r'''
- name: Join the quorum device (the qdevice role does the certificate round trip)
  homelab.cluster.qdevice:
    host: 10.0.30.5
    ca_cert: "{{ qnetd_ca.content }}"
    p12: "{{ cluster_p12 }}"
  no_log: true

- name: On Proxmox VE
  homelab.cluster.qdevice:
    host: 10.0.30.5
    method: pvecm
  run_once: true
'''

RETURN = r'''
certificate:
  description: V(present), V(needs_signing) (see RV(csr)) or V(missing_ca) (give O(ca_cert)).
  returned: method corosync
  type: str
csr:
  description: Base64 of the node's certificate request, when it needs signing.
  returned: when certificate is needs_signing
  type: str
p12:
  description: Base64 of the cluster's PKCS#12 bundle, for the other nodes. Holds a private key; use C(no_log).
  returned: on the node that holds it
  type: str
device:
  description: The quorum.device settings now in corosync.conf.
  returned: method corosync
  type: dict
command:
  description: The pvecm command that was (or would be) run.
  returned: method pvecm
  type: list
  elements: str
msg:
  description: What was done.
  returned: always
  type: str
'''

import base64
import os
import socket
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.cluster.plugins.module_utils._quorum import QuorumError
from ansible_collections.homelab.cluster.plugins.module_utils._quorum import conf_device
from ansible_collections.homelab.cluster.plugins.module_utils._quorum import device_section
from ansible_collections.homelab.cluster.plugins.module_utils._quorum import parse_conf
from ansible_collections.homelab.cluster.plugins.module_utils._quorum import parse_pvecm_status
from ansible_collections.homelab.cluster.plugins.module_utils._quorum import pvecm_preconditions
from ansible_collections.homelab.cluster.plugins.module_utils._quorum import pvecm_qdevice_command
from ansible_collections.homelab.cluster.plugins.module_utils._quorum import render_conf
from ansible_collections.homelab.cluster.plugins.module_utils._quorum import section
from ansible_collections.homelab.cluster.plugins.module_utils._quorum import set_device

NSSDB = '/etc/corosync/qdevice/net/nssdb'
CRQ = os.path.join(NSSDB, 'qdevice-net-node.crq')
P12 = os.path.join(NSSDB, 'qdevice-net-node.p12')


class Qdevice:
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.changed = False
        self.done = []
        self.result = {}

    def run(self, *cmd):
        rc, out, err = self.module.run_command(list(cmd))
        if rc:
            self.module.fail_json(msg='%s failed (rc %d): %s' % (' '.join(cmd), rc, (err or out).strip()),
                                  changed=self.changed, done=self.done)
        return out

    def step(self, what, *cmd):
        self.changed = True
        self.done.append(what)
        if not self.module.check_mode:
            self.run(*cmd)

    def with_file(self, content, b64=True):
        """A private temporary file holding content (base64 text for certificates, as slurp gives it)."""
        if b64:
            try:
                data = base64.b64decode(content, validate=True)
            except ValueError:
                self.module.fail_json(msg='certificate inputs are base64 (as ansible.builtin.slurp returns them); '
                                          'this one is not', changed=self.changed, done=self.done)
        else:
            data = content.encode()
        fd, path = tempfile.mkstemp(prefix='homelab-qdevice-')
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
        return path

    def step_with_file(self, what, content, *cmd):
        """step() with a certificate input written to a private file whose path ends the command."""
        path = self.with_file(content)
        try:
            self.step(what, *cmd, path)
        finally:
            os.unlink(path)

    # -------------------------------------------------------------------------------- certificates

    def has_node_cert(self):
        certutil = self.module.get_bin_path('certutil')
        if not certutil or not os.path.exists(os.path.join(NSSDB, 'cert9.db')):
            return False
        rc, _out, _err = self.module.run_command([certutil, '-L', '-d', 'sql:' + NSSDB, '-n', 'Cluster Cert'])
        return rc == 0

    def certificates(self, cluster):
        tool = self.module.get_bin_path('corosync-qdevice-net-certutil', required=True)
        if not os.path.exists(os.path.join(NSSDB, 'cert9.db')):
            if not self.p['ca_cert']:
                self.result['certificate'] = 'missing_ca'
                return False
            self.step_with_file('initialised the NSS database with the qnetd CA', self.p['ca_cert'], tool, '-i', '-c')
        if self.module.check_mode and self.changed:
            self.result['certificate'] = 'would be requested'
            return False
        if not self.has_node_cert():
            if self.p['p12']:
                self.step_with_file('imported the cluster certificate bundle', self.p['p12'], tool, '-m', '-c')
            elif self.p['signed_cert']:
                self.step_with_file('imported the signed cluster certificate', self.p['signed_cert'], tool, '-M', '-c')
            else:
                if not os.path.exists(CRQ):
                    self.step('created a certificate request for cluster %s' % cluster, tool, '-r', '-n', cluster)
                if os.path.exists(CRQ):
                    with open(CRQ, 'rb') as handle:
                        self.result['csr'] = base64.b64encode(handle.read()).decode()
                self.result['certificate'] = 'needs_signing'
                return False
        if os.path.exists(P12):
            with open(P12, 'rb') as handle:
                self.result['p12'] = base64.b64encode(handle.read()).decode()
        self.result['certificate'] = 'present'
        return True

    # --------------------------------------------------------------------------------- corosync.conf

    def configure(self, tree, device):
        new_tree, changed = set_device(tree, device)
        self.result['device'] = conf_device(new_tree)
        if not changed:
            return False
        before, after = render_conf(tree), render_conf(new_tree)
        self.result['diff'] = {'before': before, 'after': after, 'before_header': self.p['config'],
                               'after_header': self.p['config']}
        self.changed = True
        self.done.append('set the quorum device in %s' % self.p['config'])
        if not self.module.check_mode:
            self.module.atomic_move(self.with_file(after, b64=False), self.p['config'])
            os.chmod(self.p['config'], 0o644)
            if self.service_active('corosync'):
                self.run('corosync-cfgtool', '-R')
        return True

    def service_active(self, unit):
        rc, _out, _err = self.module.run_command(['systemctl', 'is-active', '--quiet', unit])
        return rc == 0

    def service(self, present, restart):
        enabled = self.module.run_command(['systemctl', 'is-enabled', '--quiet', 'corosync-qdevice'])[0] == 0
        active = self.service_active('corosync-qdevice')
        if present:
            if not enabled or not active:
                self.step('enabled and started corosync-qdevice', 'systemctl', 'enable', '--now', 'corosync-qdevice')
            if restart and active:
                # a running qdevice keeps its old qnetd host and algorithm: restart it
                self.step('restarted corosync-qdevice', 'systemctl', 'restart', 'corosync-qdevice')
        elif enabled or active:
            self.step('stopped and disabled corosync-qdevice', 'systemctl', 'disable', '--now', 'corosync-qdevice')

    def corosync(self):
        try:
            with open(self.p['config']) as handle:
                tree = parse_conf(handle.read())
        except OSError as exc:
            self.module.fail_json(msg='cannot read %s: %s; set up corosync first (the corosync role)'
                                  % (self.p['config'], exc))
        except QuorumError as exc:
            self.module.fail_json(msg=str(exc))
        totem = dict(v for v in section(tree, 'totem') or [] if not isinstance(v[1], list))
        cluster = self.p['cluster_name'] or totem.get('cluster_name')
        if not cluster:
            self.module.fail_json(msg='no cluster_name given and none in %s totem' % self.p['config'])
        if self.p['state'] == 'absent':
            self.configure(tree, None)
            self.service(False, False)
            return
        if not self.p['host']:
            self.module.fail_json(msg='host (the corosync-qnetd server) is required with state=present')
        nodes = [v for k, v in section(tree, 'nodelist') or [] if k == 'node']
        node_votes = sum(int({a: b for a, b in n if not isinstance(b, list)}.get('quorum_votes', 1))
                         for n in nodes)
        try:
            device = device_section({'host': self.p['host'], 'algorithm': self.p['algorithm'],
                                     'votes': self.p['votes'], 'tls': self.p['tls'],
                                     'tie_breaker': self.p['tie_breaker']}, node_votes)
        except QuorumError as exc:
            self.module.fail_json(msg=str(exc))
        has_cert = self.certificates(cluster)
        if not has_cert:
            # the device section waits for the certificate: a device that cannot connect costs a vote
            self.result['device'] = conf_device(tree)
            return
        conf_changed = self.configure(tree, device)
        self.service(True, conf_changed)

    # --------------------------------------------------------------------------------------- Proxmox

    def pvecm(self):
        if self.p['state'] == 'absent':
            status = self.pvecm_status()
            if status and status['qdevice_present']:
                self.result['command'] = ['pvecm', 'qdevice', 'remove']
                self.step('removed the quorum device with pvecm', 'pvecm', 'qdevice', 'remove')
            return
        try:
            cmd = pvecm_qdevice_command(self.p['host'], self.p['force'], self.p['network'])
        except QuorumError as exc:
            self.module.fail_json(msg=str(exc))
        self.result['command'] = cmd
        status = self.pvecm_status()
        configured = self.configured_pve_host()
        if configured == self.p['host'] and not self.p['force']:
            self.result['msg'] = 'pvecm: the quorum device %s is already set up' % configured
            return
        problems = pvecm_preconditions(status, bool(self.module.get_bin_path('corosync-qdevice')),
                                       self.reachable(self.p['host'], 5403), configured,
                                       None if self.p['force'] else self.p['host'])
        if problems:
            self.module.fail_json(msg='pvecm qdevice setup %s cannot run: %s' % (self.p['host'], '; '.join(problems)),
                                  command=cmd)
        self.step('ran %s' % ' '.join(cmd), *cmd)

    def pvecm_status(self):
        pvecm = self.module.get_bin_path('pvecm')
        if not pvecm:
            self.module.fail_json(msg='method pvecm: pvecm not found; this is not a Proxmox VE node')
        rc, out, _err = self.module.run_command([pvecm, 'status'])
        return parse_pvecm_status(out) if rc == 0 else None

    def configured_pve_host(self):
        for path in ('/etc/pve/corosync.conf', self.p['config']):
            try:
                with open(path) as handle:
                    return (conf_device(parse_conf(handle.read())) or {}).get('host')
            except (OSError, QuorumError):
                continue
        return None

    @staticmethod
    def reachable(host, port):
        try:
            with socket.create_connection((host, port), timeout=3):
                return True
        except OSError:
            return False


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host=dict(type='str'),
            cluster_name=dict(type='str'),
            algorithm=dict(type='str', default='ffsplit', choices=['ffsplit', 'lms']),
            votes=dict(type='int'),
            tls=dict(type='str', default='on', choices=['on', 'off', 'required']),
            tie_breaker=dict(type='str'),
            ca_cert=dict(type='str'),
            signed_cert=dict(type='str', no_log=False),
            p12=dict(type='str', no_log=True),
            method=dict(type='str', default='auto', choices=['auto', 'corosync', 'pvecm']),
            force=dict(type='bool', default=False),
            network=dict(type='str'),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            config=dict(type='path', default='/etc/corosync/corosync.conf'),
        ),
        supports_check_mode=True,
    )
    q = Qdevice(module)
    method = module.params['method']
    if method == 'auto':
        method = 'pvecm' if os.path.isdir('/etc/pve') and module.get_bin_path('pvecm') else 'corosync'
    q.pvecm() if method == 'pvecm' else q.corosync()
    result = dict(q.result, changed=q.changed, done=q.done, method=method)
    result.setdefault('msg', '; '.join(q.done) if q.done else 'nothing to do')
    if result.get('certificate') == 'needs_signing' and not q.done:
        result['msg'] = 'the certificate request waits for qnetd to sign it'
    module.exit_json(**result)


if __name__ == '__main__':
    main()
