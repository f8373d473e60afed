# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: alertmanager_config
short_description: Alertmanager routing and inhibition for the homelab
version_added: 0.2.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - Every alert goes to the house webhook through the relay URL given as input (the relay turns Alertmanager's
    JSON into the ntfy/n8n-style message the power guard sends), grouped by alert name and host.
  - C(HostAsleep) and alerts of severity C(none) go nowhere; they exist to inhibit.
  - Inhibition - a host asleep by design raises nothing; a host that is down hides its other alerts; C(QuorumLost)
    hides per-node alerts (C(HostDown), C(SlurmNodeDown), C(SlurmNodeDrained), C(QuorumDegraded)); C(UpsBatteryLow)
    hides C(UpsOnBattery) of the same UPS; a critical alert hides the warning of the same name and host.
  - An empty input routes everything to a receiver that sends nothing (the alerts stay visible in Alertmanager).
options:
  _input:
    description: The relay's URL, or an empty string.
    type: str
    required: true
  settings:
    description: C(group_wait) (30s), C(group_interval) (5m), C(repeat_interval) (4h).
    type: dict
'''

EXAMPLES = r'''
- name: alertmanager.yml
  ansible.builtin.copy:
    content: "{{ 'http://127.0.0.1:9095/alertmanager' | homelab.cluster.alertmanager_config | to_nice_yaml }}"
    dest: /etc/prometheus/alertmanager.yml
    mode: "0644"
'''

RETURN = r'''
_value:
  description: The alertmanager.yml mapping (route, receivers, inhibit_rules).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._monitoring.alerting import alertmanager_config as _config


def alertmanager_config(relay_url, settings=None):
    if not isinstance(relay_url, str):
        raise AnsibleFilterError('homelab.cluster.alertmanager_config: expected the relay URL (a string, may be '
                                 'empty), got %r' % (relay_url,))
    if settings is not None and not isinstance(settings, dict):
        raise AnsibleFilterError('homelab.cluster.alertmanager_config: settings: expected a mapping, got %r'
                                 % (settings,))
    return _config(relay_url, settings)


class FilterModule:
    def filters(self):
        return {'alertmanager_config': alertmanager_config}
