# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: alert_rules
short_description: The homelab's alert rules with your overrides applied, checked
version_added: 0.2.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - Takes a Prometheus rule file (the homelab.cluster.monitoring role's C(homelab.rules.yml)) and applies
    O(overrides) per alert name - C(expr), C(for), C(labels), C(annotations) (merged), C(enabled=false) to drop
    one - then appends O(extra_groups).
  - Every alert must have a C(severity) label (critical, warning, info, none) and a C(reason) annotation (why the
    alert exists); an override of an alert that does not exist is an error, so a typo does not silently keep the
    default.
options:
  _input:
    description: The rule file (a mapping with C(groups)).
    type: dict
    required: true
  overrides:
    description: Alert name -> changes.
    type: dict
  extra_groups:
    description: Rule groups of your own, appended.
    type: list
    elements: dict
'''

EXAMPLES = r'''
- name: Rules with a later GPU temperature alert
  ansible.builtin.copy:
    content: >-
      {{ lookup('ansible.builtin.file', 'homelab.rules.yml') | from_yaml
         | homelab.cluster.alert_rules({'GpuHot': {'for': '10m'}}) | to_nice_yaml }}
    dest: /etc/prometheus/rules/homelab.rules.yml
    mode: "0644"
'''

RETURN = r'''
_value:
  description: The rule file with the overrides applied.
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._monitoring.alerting import AlertingError
from ansible_collections.homelab.cluster.plugins.module_utils._monitoring.alerting import apply_overrides


def alert_rules(doc, overrides=None, extra_groups=None):
    try:
        if extra_groups is not None and (isinstance(extra_groups, str) or not isinstance(extra_groups, list)):
            raise AlertingError('extra_groups: expected a list of rule groups, got %r' % (extra_groups,))
        return apply_overrides(doc, overrides, extra_groups)
    except AlertingError as exc:
        raise AnsibleFilterError('homelab.cluster.alert_rules: %s' % exc) from None


class FilterModule:
    def filters(self):
        return {'alert_rules': alert_rules}
