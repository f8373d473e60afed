#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: quorum_info
short_description: Quorum facts of a corosync node or a qnetd host, with a verdict
version_added: 0.1.0
description:
  - Reads C(corosync-quorumtool -s), C(corosync-qdevice-tool -s), C(corosync-qnetd-tool -l) and the nodelist of
    C(corosync.conf), and returns whether the node is quorate, the votes, the members, the quorum device's
    state and a verdict.
  - Verdicts for a corosync node are V(healthy) (every vote present), V(degraded) (quorate, something missing),
    V(lost) (not quorate) and V(down) (corosync is not answering). A qnetd-only host (the logic node) gets
    V(healthy) when every configured node of its clusters is connected, V(degraded) when some are not, and
    V(down) when qnetd does not answer.
  - Works on Proxmox VE nodes too; their corosync is the same.
  - Changes nothing; safe in check mode. Use C(homelab.cluster.quorum_gate) to refuse actions on a bad
    verdict.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  wait_for:
    description:
      - Poll until the verdict is one of these, up to O(timeout) seconds. It fails when the verdict does not
        come. Leave it empty to read the state once.
    type: list
    elements: str
    choices: [healthy, degraded, lost, down]
    default: []
  timeout:
    description: Seconds to wait for O(wait_for).
    type: int
    default: 60
  config:
    description: Path of corosync.conf, for the expected members.
    type: path
    default: /etc/corosync/corosync.conf
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_no_diff
seealso:
  - module: homelab.cluster.qdevice
  - name: homelab.cluster.quorum_gate
    description: The role that refuses state-changing work without an acceptable verdict.
    link: https://github.com/homelab/cluster/tree/main/roles/quorum_gate
'''

EXAMPLES = r'''
- name: Read the quorum state
  homelab.cluster.quorum_info:
  register: quorum

- name: Wait until the cluster is whole again
  homelab.cluster.quorum_info:
    wait_for: [healthy]
    timeout: 90
'''

RETURN = r'''
verdict:
  description: V(healthy), V(degraded), V(lost) or V(down).
  returned: always
  type: str
  sample: degraded
msg:
  description: The verdict with the votes and what is missing.
  returned: always
  type: str
  sample: "quorate but degraded: 2 of 3 votes present, quorum needs 2; missing: node 2 (desk, 1 vote)"
role:
  description: V(node) (a corosync member), V(qnetd) (only the quorum device server) or V(none).
  returned: always
  type: str
quorate:
  description: Whether this node has quorum.
  returned: always
  type: bool
expected_votes:
  description: Expected votes (nodes and quorum device).
  returned: when corosync answers
  type: int
total_votes:
  description: Votes present.
  returned: when corosync answers
  type: int
quorum:
  description: Votes needed for quorum.
  returned: when corosync answers
  type: int
members:
  description: Members this node sees, with nodeid, name, votes and qdevice flags.
  returned: when corosync answers
  type: list
  elements: dict
missing:
  description: What is missing, as phrases naming the nodes or the qdevice.
  returned: always
  type: list
  elements: str
qdevice:
  description: The quorum device as this node sees it (state, connected, qnetd_host, algorithm).
  returned: when corosync-qdevice is configured
  type: dict
qnetd:
  description: On a qnetd host, its clusters and their connected nodes.
  returned: on qnetd hosts
  type: dict
'''

import re
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.cluster.plugins.module_utils._quorum import QuorumError
from ansible_collections.homelab.cluster.plugins.module_utils._quorum import parse_conf
from ansible_collections.homelab.cluster.plugins.module_utils._quorum import parse_qdevice_tool
from ansible_collections.homelab.cluster.plugins.module_utils._quorum import parse_qnetd_tool
from ansible_collections.homelab.cluster.plugins.module_utils._quorum import parse_quorumtool
from ansible_collections.homelab.cluster.plugins.module_utils._quorum import section
from ansible_collections.homelab.cluster.plugins.module_utils._quorum import verdict


def expected_members(path):
    try:
        with open(path) as handle:
            tree = parse_conf(handle.read())
    except (OSError, QuorumError):
        return None
    members = []
    for key, node in section(tree, 'nodelist') or []:
        if key != 'node' or not isinstance(node, list):
            continue
        values = {k: v for k, v in node if not isinstance(v, list)}
        if 'nodeid' in values and values['nodeid'].isdigit():
            members.append({'nodeid': int(values['nodeid']), 'name': values.get('name') or values.get('ring0_addr'),
                            'addr': values.get('ring0_addr'), 'votes': int(values.get('quorum_votes', '1'))})
    return members


def qnetd_verdict(clusters):
    missing = []
    for cluster, nodes in sorted(clusters.items()):
        for node in nodes:
            configured = set(re.findall(r'\d+', node.get('configured_node_list', '')))
            connected = {str(n['node_id']) for n in nodes}
            for nid in sorted(configured - connected, key=int):
                phrase = 'cluster %s node %s' % (cluster, nid)
                if phrase not in missing:
                    missing.append(phrase)
    if not clusters:
        return 'degraded', ['no cluster connected'], 'qnetd answers but no cluster is connected'
    count = sum(len(v) for v in clusters.values())
    if missing:
        return 'degraded', missing, 'qnetd: %d node(s) connected; not connected: %s' % (count, ', '.join(missing))
    return 'healthy', [], 'qnetd: every configured node connected (%d in %s)' % (count, ', '.join(sorted(clusters)))


def gather(module, config):
    result = {'role': 'none', 'quorate': False, 'missing': []}
    quorumtool = module.get_bin_path('corosync-quorumtool')
    qdevice_tool = module.get_bin_path('corosync-qdevice-tool')
    qnetd_tool = module.get_bin_path('corosync-qnetd-tool')
    quorum = None
    if quorumtool:
        result['role'] = 'node'
        rc, out, _err = module.run_command([quorumtool, '-s'])
        if rc in (0, 2) and 'Quorate:' in out:  # 2: answered, not quorate
            quorum = parse_quorumtool(out)
            keys = ('quorate', 'expected_votes', 'total_votes', 'quorum', 'members', 'flags')
            result.update({k: quorum[k] for k in keys})
    qdevice = None
    if qdevice_tool and quorum is not None and quorum['qdevice_present']:
        rc, out, err = module.run_command([qdevice_tool, '-s'])
        qdevice = parse_qdevice_tool(out) if rc == 0 else {'state': 'not running (%s)' % (err or out).strip(),
                                                           'connected': False}
        result['qdevice'] = qdevice
    if quorumtool:
        v, missing, msg = verdict(quorum, qdevice, expected_members(config))
    elif qnetd_tool:
        result['role'] = 'qnetd'
        rc, out, err = module.run_command([qnetd_tool, '-l'])
        if rc:
            v, missing, msg = 'down', ['qnetd'], 'corosync-qnetd is not answering: %s' % (err or out).strip()
        else:
            result['qnetd'] = parse_qnetd_tool(out)
            v, missing, msg = qnetd_verdict(result['qnetd'])
    else:
        v, missing, msg = 'down', [], 'neither corosync nor corosync-qnetd is installed'
    result.update(verdict=v, missing=missing, msg=msg)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            wait_for=dict(type='list', elements='str', default=[], choices=['healthy', 'degraded', 'lost', 'down']),
            timeout=dict(type='int', default=60),
            config=dict(type='path', default='/etc/corosync/corosync.conf'),
        ),
        supports_check_mode=True,
    )
    started = time.time()
    result = gather(module, module.params['config'])
    wanted = module.params['wait_for']
    while wanted and result['verdict'] not in wanted and time.time() - started < module.params['timeout']:
        time.sleep(1)
        result = gather(module, module.params['config'])
    result['elapsed_s'] = round(time.time() - started, 1)
    if wanted and result['verdict'] not in wanted:
        msg = 'verdict %s, not %s, after %d s: %s' % (
            result['verdict'], ' or '.join(wanted), module.params['timeout'], result['msg'])
        module.fail_json(msg=msg, **{k: v for k, v in result.items() if k != 'msg'})
    module.exit_json(changed=False, **result)


if __name__ == '__main__':
    main()
