#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: power_report
short_description: Write the power report, a static HTML page and a Markdown summary of the power guard's decisions
version_added: 0.1.0
description:
  - Reads the decision log of C(playbooks/power_guard.yml). Each line holds the readings, the limit and the
    plan.
  - The HTML page shows each decision beside the raw readings that caused it. It has inline SVG charts of the
    watts per host against the limit and the target, and of the house draw over time. The page has no
    scripts, nothing from a CDN, and fetches nothing, so it opens offline.
  - The Markdown summary has one table row per decision.
  - The files are changed only when their content differs (with diff).
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  log:
    description: The power guard's decision log (C(homelab_power_log_file)).
    type: path
    required: true
  html:
    description: Where to write the HTML page.
    type: path
    required: true
  markdown:
    description: Where to write the Markdown summary.
    type: path
  last:
    description: How many recent decisions to show.
    type: int
    default: 20
  title:
    description: Title of the page.
    type: str
    default: homelab power report
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_diff
'''

EXAMPLES = r'''
- name: Write the report next to the log
  homelab.cluster.power_report:
    log: ~/.local/state/homelab/power_guard.log
    html: /var/www/html/power/index.html
    markdown: /var/www/html/power/summary.md
  delegate_to: localhost
'''

RETURN = r'''
decisions:
  description: Decisions in the log.
  returned: always
  type: int
written:
  description: The files that changed.
  returned: always
  type: list
  elements: str
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.homelab.cluster.plugins.module_utils._power_report import read_log
from ansible_collections.homelab.cluster.plugins.module_utils._power_report import render_html
from ansible_collections.homelab.cluster.plugins.module_utils._power_report import render_markdown


def main():
    module = AnsibleModule(
        argument_spec=dict(
            log=dict(type='path', required=True),
            html=dict(type='path', required=True),
            markdown=dict(type='path'),
            last=dict(type='int', default=20),
            title=dict(type='str', default='homelab power report'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        with open(p['log']) as handle:
            entries = read_log(handle)
    except OSError as exc:
        module.fail_json(msg='cannot read the power guard log %s: %s; run playbooks/power_guard.yml first'
                         % (p['log'], exc))
    outputs = [(p['html'], render_html(entries, p['title'], p['last']))]
    if p['markdown']:
        outputs.append((p['markdown'], render_markdown(entries, p['title'], p['last'])))
    written, diffs = [], []
    for path, content in outputs:
        try:
            with open(path) as handle:
                before = handle.read()
        except OSError:
            before = ''
        if before == content:
            continue
        written.append(path)
        diffs.append({'before': before, 'after': content, 'before_header': path, 'after_header': path})
        if not module.check_mode:
            directory = os.path.dirname(path) or '.'
            os.makedirs(directory, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=directory, prefix='.power-report-')
            with os.fdopen(fd, 'w') as handle:
                handle.write(content)
            os.chmod(tmp, 0o644)
            module.atomic_move(tmp, path)
    module.exit_json(changed=bool(written), written=written, decisions=len(entries), diff=diffs)


if __name__ == '__main__':
    main()
