# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: monitoring_plan
short_description: Prometheus scrape targets and the house collector's host list, from the classified inventory
version_added: 0.2.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - Reads every host through its P(homelab.cluster.host_view#filter) and returns the C(prometheus.yml) of the house
    - one target per host for prometheus-node-exporter (Debian-family hosts with Python), the logic node's house
    metrics (job C(homelab), kept with C(honor_labels)), NVIDIA's dcgm-exporter on NVIDIA hosts (not Jetson),
    OpenBao's own C(/v1/sys/metrics) on the vault servers - each labelled with C(host), C(instance), C(tier),
    C(roles), C(gpu_vendor), C(os_family), C(wakeable) and C(always_on).
  - Also the list of hosts the house collector probes, with what it needs to tell a host asleep by design (a
    wakeable host powered off by sleep_idle, the power guard or Slurm) from a host that is down.
  - A host to scrape without an address, or a logic node that cannot run Prometheus, is an error naming the host
    and the field.
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  hosts:
    description: Every host to watch (usually C(groups['all'])).
    type: list
    elements: str
    required: true
  logic:
    description: The host (or hosts) running Prometheus and the house collector.
    type: raw
    required: true
  settings:
    description:
      - Ports and intervals (C(node_port) 9100, C(dcgm_port) 9400, C(scrape_interval) 30s, C(evaluation_interval),
        C(house)), the OpenBao servers (C(openbao_hosts), C(openbao_port), C(openbao_scheme), C(openbao_ca_file),
        C(openbao_token_file)) and C(extra_scrape_configs).
      - C(disk_bytes), C(retention_fraction), C(retention_min_mb), C(retention_max_mb) size the TSDB (C(retention_mb)).
    type: dict
'''

EXAMPLES = r'''
- name: The scrape configuration
  ansible.builtin.copy:
    content: "{{ (hostvars | homelab.cluster.monitoring_plan(groups['all'], 'keeper')).prometheus | to_nice_yaml }}"
    dest: /etc/prometheus/prometheus.yml
    mode: "0644"
'''

RETURN = r'''
_value:
  description: C(prometheus) (the prometheus.yml mapping), C(collector) (C(hosts) and C(skipped)), C(node_hosts),
    C(dcgm_hosts), C(openbao) (where the house collector probes the seal status) and C(retention_mb) (when
    C(disk_bytes) is given).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._hostview import HostViewError
from ansible_collections.homelab.cluster.plugins.module_utils._hostview import host_views
from ansible_collections.homelab.cluster.plugins.module_utils._monitoring.scrape import ScrapeError
from ansible_collections.homelab.cluster.plugins.module_utils._monitoring.scrape import collector_hosts
from ansible_collections.homelab.cluster.plugins.module_utils._monitoring.scrape import dcgm_hosts
from ansible_collections.homelab.cluster.plugins.module_utils._monitoring.scrape import node_hosts
from ansible_collections.homelab.cluster.plugins.module_utils._monitoring.scrape import openbao_probes
from ansible_collections.homelab.cluster.plugins.module_utils._monitoring.scrape import retention_size_mb
from ansible_collections.homelab.cluster.plugins.module_utils._monitoring.scrape import scrape_config

_RETENTION = ('disk_bytes', 'retention_fraction', 'retention_min_mb', 'retention_max_mb')


def monitoring_plan(hostvars, hosts, logic, settings=None):
    try:
        if isinstance(hosts, str) or not isinstance(hosts, (list, tuple)):
            raise ScrapeError('hosts: expected a list of host names, got %r' % (hosts,))
        if settings is not None and not isinstance(settings, dict):
            raise ScrapeError('settings: expected a mapping, got %r' % (settings,))
        settings = dict(settings or {})
        retention = {key: settings.pop(key) for key in _RETENTION if key in settings}
        views = host_views(hostvars, [h for h in hosts if h != 'localhost'])
        nodes = node_hosts(views)
        out = {'prometheus': scrape_config(views, logic, settings), 'collector': collector_hosts(views, nodes),
               'node_hosts': nodes, 'dcgm_hosts': dcgm_hosts(views, nodes), 'openbao': openbao_probes(views, settings)}
        if retention.get('disk_bytes') is not None:
            out['retention_mb'] = retention_size_mb(retention['disk_bytes'],
                                                    float(retention.get('retention_fraction', 0.25)),
                                                    int(retention.get('retention_min_mb', 512)),
                                                    retention.get('retention_max_mb') or None)
        return out
    except (HostViewError, ScrapeError, TypeError, ValueError) as exc:
        raise AnsibleFilterError('homelab.cluster.monitoring_plan: %s' % exc) from None


class FilterModule:
    def filters(self):
        return {'monitoring_plan': monitoring_plan}
