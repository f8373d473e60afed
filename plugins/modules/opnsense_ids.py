#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: opnsense_ids
short_description: Suricata on OPNsense (Intrusion Detection) - mode, interfaces, rulesets and a drop policy
version_added: 0.2.0
description:
  - Sets the general settings of OPNsense's Intrusion Detection (Suricata) through C(ids/settings/get) and
    C(ids/settings/set), enables the rulesets named (C(ids/settings/toggle_ruleset), one call for all), and with
    O(drop) keeps one policy that turns the alerts of those rulesets into drops (IPS). Only what differs is
    written; rules are downloaded (C(ids/service/update_rules)) when the ruleset selection changed, and Suricata is
    reconfigured once at the end (C(ids/service/reconfigure)).
  - The seed's performance note (how much ruleset the uplink speed allows) is turned into these settings by the
    homelab.cluster.opnsense role (C(opnsense_ids_uplink_mbps)).
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  enabled:
    description: Whether Suricata runs.
    type: bool
    default: true
  mode:
    description: C(pcap) only detects; C(netmap) and C(divert) are IPS modes that can drop.
    type: str
    choices: [pcap, netmap, divert]
    default: netmap
  interfaces:
    description: The interfaces Suricata watches (C(wan)).
    type: list
    elements: str
    default: [wan]
  homenet:
    description: The home networks (Suricata's HOME_NET); the firewall's default when not given.
    type: list
    elements: str
  mpm_algo:
    description: The pattern matcher; empty for Suricata's choice, C(hs) for Hyperscan.
    type: str
    choices: ['', ac, ac-ks, hs]
  detect_profile:
    description: The detection profile; C(high) trades memory for speed.
    type: str
    choices: ['', low, medium, high, custom]
  rulesets:
    description: The ruleset files to enable (C(emerging-malware.rules), ...), as the firewall lists them.
    type: list
    elements: str
    default: []
  disable_other_rulesets:
    description: Disable the enabled rulesets that O(rulesets) does not name.
    type: bool
    default: false
  drop:
    description:
      - "Keep a policy C(homelab: IPS drop) whose rulesets are O(rulesets) and that turns their alerts into drops.
        Needs an IPS O(mode). When false, that policy is removed."
    type: bool
    default: true
  update_rules:
    description: Download the rules when the ruleset selection changed.
    type: bool
    default: true
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_diff
  - homelab.cluster.opnsense
'''

EXAMPLES = r'''
- name: Suricata in IPS mode on WAN with a tuned full ruleset (5 Gbit/s uplink)
  homelab.cluster.opnsense_ids:
    url: https://10.0.1.1
    api_key: "{{ vault_opnsense_key }}"
    api_secret: "{{ vault_opnsense_secret }}"
    mode: netmap
    interfaces: [wan]
    homenet: [10.0.1.0/24, 10.0.10.0/24, 10.0.20.0/24, 10.0.30.0/24, 10.0.40.0/24]
    mpm_algo: hs
    detect_profile: high
    rulesets: [emerging-malware.rules, emerging-exploit.rules, botcc.rules]
  delegate_to: localhost
'''

RETURN = r'''
changes:
  description: What was (or in check mode would be) written, as phrases.
  returned: always
  type: list
  elements: str
  sample: ["update IDS settings: MPMAlgo, mode", "enable rulesets emerging-malware.rules"]
activated:
  description: The service calls made (each at most once).
  returned: always
  type: list
  elements: str
  sample: ["ids/service/update_rules", "ids/service/reconfigure"]
services:
  description: The service calls the changes need (also in check mode).
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.cluster.plugins.module_utils._opnsense import client as _client
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import KINDS
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import MARKER
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import canon
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import show
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import to_api
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.runner import Run
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.runner import spec

SERVICE = 'ids/service/reconfigure'
POLICY = '%s IPS drop' % MARKER
# our option -> (path in ids.general, comparison type)
GENERAL = {'enabled': (('enabled',), 'bool'), 'mode': (('mode',), 'str'), 'interfaces': (('interfaces',), 'list'),
           'homenet': (('homenet',), 'list'), 'mpm_algo': (('MPMAlgo',), 'str'),
           'detect_profile': (('detect', 'Profile'), 'str')}


def general(run, module):
    try:
        current = (run.client.get('ids/settings/get').get('ids') or {}).get('general') or {}
    except (_client.APIError, AttributeError) as exc:
        run.fail('reading the IDS settings failed: %s' % exc)
    body, before, after = {}, {}, {}
    for option, (path, kind) in GENERAL.items():
        wanted = module.params[option]
        if wanted is None:
            continue
        have = current
        for step in path:
            have = have.get(step, '') if isinstance(have, dict) else ''
        if canon(kind, have) != canon(kind, to_api(kind, wanted)):
            label = '.'.join(path)
            before[label], after[label] = show(kind, have), show(kind, to_api(kind, wanted))
        node = body
        for step in path[:-1]:
            node = node.setdefault(step, {})
        node[path[-1]] = to_api(kind, wanted)
    if after:
        run.before['IDS settings'], run.after['IDS settings'] = before, after
        run.write(SERVICE, 'update IDS settings: %s' % ', '.join(sorted(after)), 'ids/settings/set',
                  {'ids': {'general': body}})


def installable(run, module):
    """The firewall's rulesets (filename -> enabled), read and checked before anything is written."""
    try:
        rows = run.client.rows('ids/settings/list_rulesets')
    except _client.APIError as exc:
        run.fail(str(exc))
    known = {row.get('filename'): str(row.get('enabled')) == '1' for row in rows}
    unknown = [name for name in sorted(set(module.params['rulesets'])) if name not in known]
    if unknown:
        run.fail('rulesets: not installable on this firewall: %s (it lists %s); nothing was changed'
                 % (', '.join(unknown), ', '.join(sorted(known)) or 'none'))
    return known


def rulesets(run, module, known):
    wanted = sorted(set(module.params['rulesets']))
    enable = [name for name in wanted if not known[name]]
    disable = sorted(name for name, on in known.items() if on and name not in wanted) \
        if module.params['disable_other_rulesets'] else []

    def checked(answer):
        if str((answer or {}).get('status')) == 'error':
            raise _client.APIError('toggle_ruleset answered %r' % (answer,))
        return answer

    for names, value, verb in ((enable, '1', 'enable'), (disable, '0', 'disable')):
        if names:
            run.before.setdefault('IDS rulesets', {})[verb] = []
            run.after.setdefault('IDS rulesets', {})[verb] = names
            run.write(SERVICE, '%s rulesets %s' % (verb, ', '.join(names)),
                      'ids/settings/toggle_ruleset/%s/%s' % (','.join(names), value), {}, check=checked)
    return bool(enable or disable)


def policy(run, module):
    uuids = {}
    try:
        options = (run.client.get('ids/settings/get_policy').get('policy') or {}).get('rulesets') or {}
    except (_client.APIError, AttributeError) as exc:
        run.fail('reading the IDS policy options failed: %s' % exc)
    for uuid, option in options.items():
        if isinstance(option, dict) and option.get('value'):
            uuids[option['value']] = uuid
    wanted = sorted(set(module.params['rulesets']))
    item = {'description': POLICY, 'state': 'present' if module.params['drop'] else 'absent'}
    if module.params['drop']:
        item.update({'enabled': True, 'prio': 0, 'action': ['alert'], 'new_action': 'drop',
                     'rulesets': [uuids.get(name, '(%s)' % name) for name in wanted]})
    run.sync(KINDS['ids_policy'], [item])


def main():
    module = AnsibleModule(
        argument_spec=spec(
            enabled=dict(type='bool', default=True),
            mode=dict(type='str', choices=['pcap', 'netmap', 'divert'], default='netmap'),
            interfaces=dict(type='list', elements='str', default=['wan']),
            homenet=dict(type='list', elements='str'),
            mpm_algo=dict(type='str', choices=['', 'ac', 'ac-ks', 'hs']),
            detect_profile=dict(type='str', choices=['', 'low', 'medium', 'high', 'custom']),
            rulesets=dict(type='list', elements='str', default=[]),
            disable_other_rulesets=dict(type='bool', default=False),
            drop=dict(type='bool', default=True),
            update_rules=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    if module.params['drop'] and module.params['mode'] == 'pcap':
        module.fail_json(msg='drop: needs an IPS mode (netmap or divert); mode pcap only detects. Nothing was sent')
    run = Run(module)
    known = installable(run, module)
    general(run, module)
    selection_changed = rulesets(run, module, known)
    policy(run, module)
    if selection_changed and module.params['update_rules']:
        run.touched.insert(0, 'ids/service/update_rules')
        if not module.check_mode:
            run.dirty.insert(0, 'ids/service/update_rules')
    run.activate()
    module.exit_json(**run.result())


if __name__ == '__main__':
    main()
