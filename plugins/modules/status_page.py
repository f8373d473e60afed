#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: status_page
short_description: Write the house status page, one static HTML page of the whole homelab
version_added: 0.2.0
description:
  - Runs on the logic node. Asks Prometheus (O(prometheus_url)) for every host's state (up, asleep by design and by
    whom, down), the quorum verdicts, the Slurm nodes and queue and the alerts that fire, and reads the power guard's
    decision log (O(guard_log)), the inference tier's health (O(inference_state)) and the quarantine officer's view
    (O(harvest_status)).
  - Writes one page - alerts, hosts by tier with their power state and draw, quorum, the power draw against the
    limit with the guard's last decisions (the same chart and sections as M(homelab.cluster.power_report)), Slurm,
    inference and harvesters. It has no scripts and fetches nothing (no CDN); it reloads itself every minute.
  - A source that cannot be read is named on the page and the rest is still written, so the page is most useful
    exactly when something is broken.
  - The file is changed only when its content differs (with diff). The page carries the time it was written, so
    each run changes it.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  html:
    description: Where to write the page.
    type: path
    required: true
  hosts:
    description: The hosts to show, from the inventory (C(name), C(tier), C(roles), C(wakeable), C(always_on)).
    type: list
    elements: dict
    required: true
  prometheus_url:
    description: Prometheus' HTTP API.
    type: str
    default: http://127.0.0.1:9090
  guard_log:
    description: The power guard's decision log.
    type: path
  inference_state:
    description: The inference tier's health state file.
    type: path
  harvest_status:
    description: The quarantine officer's C(status.json).
    type: path
  last:
    description: How many of the guard's recent decisions to show.
    type: int
    default: 3
  title:
    description: Title of the page.
    type: str
    default: homelab status
  timeout:
    description: Seconds to wait for each Prometheus query.
    type: int
    default: 10
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_diff
seealso:
  - module: homelab.cluster.power_report
'''

EXAMPLES = r'''
- name: The status page on the logic node
  homelab.cluster.status_page:
    html: /var/lib/homelab/status/index.html
    hosts: "{{ hostvars | homelab.cluster.host_views(groups['all']) }}"
    guard_log: /var/lib/homelab/power/guard.log
'''

RETURN = r'''
errors:
  description: The sources that could not be read (also on the page).
  returned: always
  type: list
  elements: str
firing:
  description: Alerts firing now (not counting those of severity none).
  returned: always
  type: int
written:
  description: The files that changed.
  returned: always
  type: list
  elements: str
'''

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six.moves.urllib.parse import urlencode
from ansible.module_utils.urls import open_url

from ansible_collections.homelab.cluster.plugins.module_utils._power_report import read_log
from ansible_collections.homelab.cluster.plugins.module_utils._status_page import QUERIES
from ansible_collections.homelab.cluster.plugins.module_utils._status_page import render_status


def query(base, expr, timeout):
    answer = open_url('%s/api/v1/query?%s' % (base.rstrip('/'), urlencode({'query': expr})), timeout=timeout,
                      use_proxy=False)
    body = json.loads(answer.read())
    if body.get('status') != 'success':
        raise ValueError(body.get('error') or 'status %s' % body.get('status'))
    return body['data']['result']


def read_json(path, what, errors):
    if not path:
        return None
    try:
        with open(path) as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        errors.append('%s %s: %s' % (what, path, exc))
        return None


def gather(p):
    errors, answers = [], {}
    for name, expr in QUERIES.items():
        try:
            answers[name] = query(p['prometheus_url'], expr, p['timeout'])
        except Exception as exc:  # noqa: BLE001 - an unreachable Prometheus is shown on the page, not fatal
            errors.append('Prometheus at %s (%s): %s' % (p['prometheus_url'], expr, exc))
            if name == 'up':  # nothing else will answer either
                break
    decisions = []
    if p['guard_log']:
        try:
            with open(p['guard_log']) as handle:
                decisions = read_log(handle)
        except FileNotFoundError:
            pass
        except OSError as exc:
            errors.append('the power guard log %s: %s' % (p['guard_log'], exc))
    return {'hosts': p['hosts'], 'answers': answers, 'errors': errors, 'decisions': decisions,
            'inference': read_json(p['inference_state'], 'the inference health', errors),
            'harvest': read_json(p['harvest_status'], "the quarantine officer's view", errors)}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            html=dict(type='path', required=True),
            hosts=dict(type='list', elements='dict', required=True),
            prometheus_url=dict(type='str', default='http://127.0.0.1:9090'),
            guard_log=dict(type='path'),
            inference_state=dict(type='path'),
            harvest_status=dict(type='path'),
            last=dict(type='int', default=3),
            title=dict(type='str', default='homelab status'),
            timeout=dict(type='int', default=10),
        ),
        supports_check_mode=True,
    )
    p = module.params
    for i, host in enumerate(p['hosts']):
        if not isinstance(host.get('name'), str) or not host['name']:
            module.fail_json(msg='hosts[%d].name: expected a host name, got %r' % (i, host.get('name')))
    data = gather(p)
    data['decisions'] = data['decisions'][-max(1, p['last']):]
    content = render_status(data, p['title'])
    firing = len([r for r in data['answers'].get('alerts') or [] if r['metric'].get('severity') != 'none'])
    path = p['html']
    try:
        with open(path) as handle:
            before = handle.read()
    except OSError:
        before = ''
    written, diff = [], []
    if before != content:
        written.append(path)
        diff.append({'before': before, 'after': content, 'before_header': path, 'after_header': path})
        if not module.check_mode:
            directory = os.path.dirname(path) or '.'
            try:
                os.makedirs(directory, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=directory, prefix='.status-page-')
                with os.fdopen(fd, 'w') as handle:
                    handle.write(content)
                os.chmod(tmp, 0o644)
            except OSError as exc:
                module.fail_json(msg='cannot write the status page %s: %s' % (path, exc), errors=data['errors'])
            module.atomic_move(tmp, path)
    module.exit_json(changed=bool(written), written=written, errors=data['errors'], firing=firing, diff=diff)


if __name__ == '__main__':
    main()
