#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: power_info
short_description: Read UPSes over NUT, smart plugs and Home Assistant power sensors
version_added: 0.1.0
description:
  - Reads every power source of the homelab from the host it runs on, usually the always-on logic node or
    the controller.
  - UPSes are read over NUT's network protocol (TCP 3493, C(LIST VAR)). The result has the status flags
    (OL, OB, LB), C(battery.charge), C(battery.runtime), C(ups.load) and the watts.
  - Smart plugs are read through their documented status endpoints. Shelly Gen2+ uses
    C(/rpc/Switch.GetStatus?id=N), Shelly Gen1 uses C(/status) and Tasmota uses C(/cm?cmnd=Status 8).
  - Home Assistant sensors give the house consumption and the solar production
    (C(/api/states/<entity>), bearer token).
  - Which plug and which UPS feed a host comes from its C(power.plug) and C(power.ups) in the hardware file
    (the C(homelab_power) host var). One source that fails never hides the others. It is listed under
    RV(unavailable) with the reason, and the host falls back to its estimated draw.
  - All sources are read concurrently within one O(deadline).
  - Changes nothing; safe in check mode.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  hosts:
    description:
      - Host name to its power facts (C(idle_w), C(peak_w), optional C(plug) and C(ups)), the C(power) of its
        P(homelab.cluster.host_view#filter).
      - "Every malformed entry is reported at once, as C(host.homelab_power.field: expected ..., got ...), before
        anything is read."
    type: dict
    default: {}
  ha_url:
    description: Base URL of Home Assistant, for example C(http://10.0.30.8:8123).
    type: str
  ha_token:
    description: Long-lived access token of Home Assistant.
    type: str
  house_entity:
    description: Home Assistant sensor of the house consumption, in W or kW.
    type: str
  solar_entity:
    description: Home Assistant sensor of the solar production, in W or kW.
    type: str
  timeout:
    description: Seconds to wait for each source; one still waiting at O(deadline) is reported late.
    type: float
    default: 5
  deadline:
    description:
      - Seconds for the whole reading. Every source is read at once (up to O(concurrency) at a time); one that has
        not answered when the deadline passes is listed under RV(unavailable) as late and its host falls back to
        its estimate. Ten dead plugs therefore cost one deadline, not ten timeouts, and a guard that runs every
        minute keeps its interval.
    type: float
    default: 10
  concurrency:
    description: How many sources are read at the same time.
    type: int
    default: 32
  validate_certs:
    description: Verify TLS certificates of HTTPS plugs and of Home Assistant.
    type: bool
    default: true
extends_documentation_fragment:
  - action_common_attributes
  - homelab.cluster.attributes.check_no_diff
'''

EXAMPLES = r'''
- name: Read every power source
  homelab.cluster.power_info:
    hosts: >-
      {{ dict(groups['all'] | zip(hostvars | homelab.cluster.host_views(groups['all']) | map(attribute='power'))) }}
    ha_url: http://10.0.30.8:8123
    ha_token: "{{ vault_ha_token }}"
    house_entity: sensor.house_power
    solar_entity: sensor.solar_power
  delegate_to: keeper
  run_once: true
  register: power
'''

RETURN = r'''
hosts:
  description: Per host, C(watts), where they come from (C(plug), C(ups) or C(estimate)), and C(on) for plugs.
  returned: always
  type: dict
  sample: {"forge": {"watts": 412.5, "source": "plug", "on": true}, "pi5": {"watts": 4, "source": "estimate"}}
ups:
  description:
    - Per UPS (C(name@host)), its state (status, on_battery, low_battery, charge_pct, runtime_s, load_pct, watts).
  returned: always
  type: dict
house_w:
  description: House consumption from Home Assistant, or the sum of the hosts when it is unavailable.
  returned: always
  type: float
house_source:
  description: V(home_assistant) or V(sum_of_hosts).
  returned: always
  type: str
solar_w:
  description: Solar production, or null.
  returned: always
  type: float
unavailable:
  description: Each source that did not answer, with the reason (late ones say so).
  returned: always
  type: list
  elements: str
elapsed_s:
  description: Seconds the reading took (at most about O(deadline)).
  returned: always
  type: float
'''

import json
import socket
import threading
import time
from functools import partial

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.urls import open_url

from ansible_collections.homelab.cluster.plugins.module_utils._power_read import PowerError
from ansible_collections.homelab.cluster.plugins.module_utils._power_read import nut_list_var
from ansible_collections.homelab.cluster.plugins.module_utils._power_read import parse_ha_state
from ansible_collections.homelab.cluster.plugins.module_utils._power_read import parse_nut_list
from ansible_collections.homelab.cluster.plugins.module_utils._power_read import parse_plug
from ansible_collections.homelab.cluster.plugins.module_utils._power_read import plug_path
from ansible_collections.homelab.cluster.plugins.module_utils._power_read import power_sources
from ansible_collections.homelab.cluster.plugins.module_utils._power_read import ups_state


def read_nut(host, port, ups, timeout):
    """LIST VAR over NUT's text protocol; returns {variable: value}."""
    request = nut_list_var(ups)
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(request.encode())
        data = b''
        end = ('END LIST VAR %s\n' % ups).encode()
        while end not in data and not data.startswith(b'ERR '):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        sock.sendall(b'LOGOUT\n')
    return parse_nut_list(data.decode('utf-8', 'replace'), ups)


def get_json(url, timeout, validate_certs, headers=None):
    response = open_url(url, timeout=timeout, validate_certs=validate_certs, headers=headers or {},
                        use_proxy=False, follow_redirects='safe')
    return json.loads(response.read().decode('utf-8'))


def read_plug(plug, timeout, validate_certs):
    scheme = 'https' if plug.get('tls') else 'http'
    port = ':%d' % plug['port'] if plug.get('port') else ''
    url = '%s://%s%s%s' % (scheme, plug['host'], port, plug_path(plug['kind'], plug.get('channel', 0)))
    reading = parse_plug(plug['kind'], get_json(url, timeout, validate_certs), plug.get('channel', 0))
    return {'watts': reading['watts'], 'source': 'plug', 'on': reading['on']}


def read_ha(base, token, entity, timeout, validate_certs):
    url = '%s/api/states/%s' % (base.rstrip('/'), entity)
    data = get_json(url, timeout, validate_certs, {'Authorization': 'Bearer %s' % token,
                                                   'Content-Type': 'application/json'})
    return parse_ha_state(data, entity)


def read_all(jobs, deadline, concurrency):
    """Run every (key, what, function) at once, at most ``concurrency`` at a time; returns
    ({key: (value, None) or (None, reason)}, seconds). A job not finished at the deadline is reported late and not
    waited for: its thread is a daemon, so the module exits without it."""
    results = {}
    lock = threading.Lock()
    slots = threading.BoundedSemaphore(max(1, concurrency))

    def run(key, what, function):
        with slots:
            try:
                value = (function(), None)
            except Exception as exc:  # noqa: BLE001 - one failed source never hides the others
                value = (None, '%s: %s' % (what, describe_error(exc)))
        with lock:
            results[key] = value

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=job, daemon=True) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - (time.monotonic() - started)))
    with lock:
        out = dict(results)
    for key, what, _function in jobs:
        if key not in out:
            out[key] = (None, '%s: no answer within the reading\'s deadline of %s s' % (what, deadline))
    return out, round(time.monotonic() - started, 2)


def describe_error(exc):
    if isinstance(exc, (PowerError, ValueError)):
        return str(exc)
    if isinstance(exc, socket.timeout):
        return 'no answer within its timeout'
    return to_native(exc)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            hosts=dict(type='dict', default={}),
            ha_url=dict(type='str'),
            ha_token=dict(type='str', no_log=True),
            house_entity=dict(type='str'),
            solar_entity=dict(type='str'),
            timeout=dict(type='float', default=5),
            deadline=dict(type='float', default=10),
            concurrency=dict(type='int', default=32),
            validate_certs=dict(type='bool', default=True),
        ),
        required_by={'house_entity': ('ha_url', 'ha_token'), 'solar_entity': ('ha_url', 'ha_token')},
        supports_check_mode=True,
    )
    p = module.params
    if p['deadline'] <= 0 or p['timeout'] <= 0 or p['concurrency'] < 1:
        module.fail_json(msg='homelab.cluster.power_info: deadline and timeout must be above 0 and concurrency at '
                             'least 1, got deadline=%s timeout=%s concurrency=%s'
                             % (p['deadline'], p['timeout'], p['concurrency']))
    try:
        sources = power_sources(p['hosts'])
    except PowerError as exc:
        module.fail_json(msg='homelab.cluster.power_info: %s' % exc)
    timeout = p['timeout']  # a source still waiting at the deadline is reported late; its daemon thread is left
    jobs, ups_keys = [], {}
    for name, power in sources.items():
        ups = power.get('ups')
        if ups:
            key = '%s@%s' % (ups.get('name', 'ups'), ups['host'])
            ups_keys[name] = key
            if ('ups', key) not in [job[0] for job in jobs]:
                jobs.append((('ups', key), 'ups %s (NUT, TCP %s)' % (key, ups.get('port', 3493)),
                             partial(lambda u: ups_state(read_nut(u['host'], int(u.get('port', 3493)),
                                                                  u.get('name', 'ups'), timeout)), ups)))
        plug = power.get('plug')
        if plug:
            jobs.append((('plug', name), '%s plug %s (%s)' % (name, plug.get('host'), plug.get('kind')),
                         partial(read_plug, plug, timeout, p['validate_certs'])))
    for role in ('house', 'solar'):
        entity = p['%s_entity' % role]
        if entity:
            jobs.append(((role, entity), 'Home Assistant %s' % entity,
                         partial(read_ha, p['ha_url'], p['ha_token'], entity, timeout, p['validate_certs'])))

    results, elapsed = read_all(jobs, p['deadline'], p['concurrency'])
    unavailable = sorted(reason for _value, reason in results.values() if reason)
    ups_states = {key[1]: value for key, (value, _reason) in results.items() if key[0] == 'ups' and value}
    hosts = {}
    for name, power in sources.items():
        record = (results.get(('plug', name)) or (None, None))[0]
        if record is None:
            record = {'watts': power.get('idle_w'), 'source': 'estimate'}
        if name in ups_keys:
            record['ups'] = ups_keys[name]
        hosts[name] = record
    house = (results.get(('house', p['house_entity'])) or (None, None))[0]
    solar = (results.get(('solar', p['solar_entity'])) or (None, None))[0]
    house_source = 'home_assistant'
    if house is None:
        house = round(sum(float(h['watts'] or 0) for h in hosts.values()), 1)
        house_source = 'sum_of_hosts'
    module.exit_json(changed=False, hosts=hosts, ups=ups_states, house_w=house, house_source=house_source,
                     solar_w=solar, unavailable=unavailable, elapsed_s=elapsed)


if __name__ == '__main__':
    main()
