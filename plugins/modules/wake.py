#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: wake
short_description: Wake a host with Wake-on-LAN and wait until it is really ready
version_added: 0.1.0
description:
  - Sends a magic packet to a sleeping host and waits until it is ready, which
    C(community.general.wakeonlan) does not do. Readiness is a TCP port that accepts connections, an SSH
    banner, or an HTTP URL that answers with an expected status.
  - If the host is already ready nothing is sent and the result is C(changed=false), so a wake task is
    idempotent.
  - Readiness is polled with short, growing pauses (50 ms up to 500 ms), so a port that opens is seen within
    about half a second.
  - Wake-storm protection. The sending host keeps one state file per woken host. A wake is refused when the
    host was woken O(max_wakes) times in the last O(window_s) seconds, or when it went down less than
    O(min_off_s) seconds ago, unless O(force=true). Power-cycling a machine again and again can wear it out.
  - Magic packets are layer-2 broadcasts and do not cross routers. The module therefore runs on the sending
    host, which must be on the sleeping host's network. From a playbook, delegate the task to such a relay
    (the always-on logic node); see C(playbooks/wake.yml). The readiness wait can run elsewhere, for
    example on the controller with O(send=false).
  - When the task is delegated, or when O(target) names an inventory host, the action plugin fills in
    O(mac), O(address), O(boot_s) and O(ready_port) from that host's C(homelab_wake) and C(ansible_host)
    variables, which the C(homelab.cluster.tiers) inventory sets, and the storm guard's O(max_wakes), O(window_s),
    O(min_off_s) and O(force) from its C(homelab_wake_max_wakes), C(homelab_wake_window_s), C(homelab_wake_min_off_s)
    and C(homelab_wake_force), all read through P(homelab.cluster.host_view#filter). C(homelab_wake_address)
    overrides the address when the host is managed through another one, for example a container connection. It
    also fills O(secureon) from C(homelab_wake_secureon). Options given in the task take precedence.
  - The packet is built by the C(wakeonlan) Python library when the sending host has it. Otherwise the
    module builds the same bytes itself, so relays need nothing but Python.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  target:
    description:
      - Inventory name of the host to wake. Its host variables provide the defaults described above.
      - Defaults to the inventory host of the task when the task is delegated.
    type: str
  name:
    description:
      - Name of the host in messages and in the storm-guard state file. Set by the action plugin. Defaults to
        O(address), or to O(mac) when no address is given.
    type: str
  mac:
    description: MAC address of the host to wake, for example C(a8:a1:59:00:00:01).
    type: str
  secureon:
    description: SecureOn password of the NIC (six hex pairs), appended to the magic packet.
    type: str
  address:
    description:
      - Address of the host (IPv4 address or name). Used to probe readiness and to pick the directed
        broadcast of the sender's interface on that network.
    type: str
  broadcast:
    description:
      - Where to send the packet, as given. Use a directed broadcast such as C(10.0.30.255) or the host's
        unicast address. A unicast packet reaches a sleeping host only if the sender has a static ARP entry
        for it.
      - Default is the directed broadcast of the sender's interface on the network of O(address).
        The limited broadcast C(255.255.255.255) is never used unless it is given here.
    type: str
  interface:
    description: Send out of this interface of the sender, to its directed broadcast (or to O(broadcast)).
    type: str
  port:
    description: UDP port of the magic packet.
    type: int
    default: 9
  count:
    description: Packets per burst. A burst is repeated every O(resend_s) seconds until the host is ready.
    type: int
    default: 3
  resend_s:
    description: Seconds between bursts while waiting. Default is O(boot_s).
    type: float
  state:
    description:
      - V(ready) wakes the host unless it is ready, then waits until it is ready.
      - V(down) sends nothing and waits until the host stops answering. Playbooks use it after a poweroff to
        confirm that the host is gone. The time is recorded for O(min_off_s).
      - V(probe) checks readiness once, records it, and returns.
    type: str
    choices: [ready, down, probe]
    default: ready
  ready_check:
    description:
      - How readiness is judged. V(ssh) reads an SSH banner. V(tcp) needs only an accepted connection.
        V(http) needs O(url) to answer with a status in O(status_code).
      - Default is V(http) when O(url) is given, V(ssh) when O(ready_port) is 22, and V(tcp) otherwise.
    type: str
    choices: [tcp, ssh, http]
  ready_port:
    description: TCP port that is open once the host is ready.
    type: int
    default: 22
  url:
    description: Health URL for O(ready_check=http).
    type: str
  status_code:
    description: HTTP statuses that count as ready.
    type: list
    elements: int
    default: [200]
  validate_certs:
    description: Verify TLS certificates of O(url).
    type: bool
    default: true
  boot_s:
    description: Declared boot time of the host in seconds. Used as the default for O(timeout) and O(resend_s).
    type: int
    default: 60
  timeout:
    description: Seconds to wait for O(state). Default is twice O(boot_s), and at least 30.
    type: float
  send:
    description: Send packets. With V(false) the module only waits, for example on the controller after a
      relay has sent them.
    type: bool
    default: true
  wait:
    description: Wait for readiness after sending. With V(false) the module returns right after the first burst.
    type: bool
    default: true
  max_wakes:
    description: Most wakes allowed within O(window_s). V(0) disables this check.
    type: int
    default: 3
  window_s:
    description: Window of O(max_wakes), in seconds.
    type: int
    default: 3600
  min_off_s:
    description: Minimum seconds between the host going down and the next wake. V(0) disables this check.
    type: int
    default: 120
  force:
    description: Wake even if the storm guard refuses. The wake is still recorded.
    type: bool
    default: false
  state_dir:
    description: Directory on the sending host for the storm-guard state files.
    type: path
    default: ~/.local/state/homelab/wake
notes:
  - Linux senders only; the interface table is read with C(SIOCGIFADDR) and C(SIOCGIFNETMASK).
  - Only UDP magic packets are sent. Raw Ethernet (ethertype 0x0842) needs C(CAP_NET_RAW) and is not
    needed by the NICs this collection targets.
seealso:
  - module: community.general.wakeonlan
  - name: playbooks/wake.yml
    description: Wake a host through the relay on its network and wait from the controller.
    link: https://github.com/homelab/cluster/blob/main/playbooks/wake.yml
attributes:
  check_mode:
    support: full
    details: Probes readiness and reports what would be sent; sends nothing and does not wait.
  diff_mode:
    support: none
  action:
    support: full
    details: The action plugin fills defaults from the target's host variables.
  async:
    support: none
  bypass_host_loop:
    support: none
  platform:
    platforms: posix
extends_documentation_fragment:
  - action_common_attributes
  - action_common_attributes.flow
'''

EXAMPLES = r'''
# From a play on the sleeping hosts: send from the logic node on their network, wait there.
- name: Wake the heavy hosts
  homelab.cluster.wake:
  delegate_to: keeper

# Wait from the controller instead, after the relay has sent the packets.
- name: Send the magic packets from the relay
  homelab.cluster.wake:
    wait: false
  delegate_to: keeper

- name: Wait on the controller until SSH answers
  homelab.cluster.wake:
    send: false
  delegate_to: localhost

# Ad hoc, everything explicit:
#   ansible keeper -m homelab.cluster.wake -a "mac=a8:a1:59:00:00:01 address=10.0.30.10 boot_s=90"
#   ansible keeper -m homelab.cluster.wake -a "target=forge"
- name: Wake a NAS and wait for its web UI
  homelab.cluster.wake:
    mac: "a8:a1:59:00:00:03"
    address: 10.0.30.20
    url: https://10.0.30.20/api/v2.0/system/state
    status_code: [200, 401]
    validate_certs: false
    boot_s: 120
  delegate_to: keeper

- name: After a poweroff, confirm that the host is gone
  homelab.cluster.wake:
    state: down
  delegate_to: keeper
'''

RETURN = r'''
ready:
  description: Whether the host was ready when the module returned (for O(state=down), whether it was still up).
  returned: always
  type: bool
  sample: true
state_before:
  description: V(up) if the host was ready at the first probe, else V(down).
  returned: always
  type: str
  sample: down
elapsed_s:
  description: Seconds from the module's start to the result.
  returned: always
  type: float
  sample: 4.12
ready_at:
  description: Unix time at which readiness (or, for O(state=down), absence) was seen.
  returned: when it was seen
  type: float
  sample: 1795000000.123
packets_sent:
  description: Magic packets sent; 0 when the host was already ready or in check mode.
  returned: always
  type: int
  sample: 3
destination:
  description: Where the packets went (or would go), with the reason for that choice.
  returned: when packets are or would be sent
  type: str
  sample: "10.0.30.255:9, directed broadcast of eth0 (10.0.30.5/24), the network of 10.0.30.10"
wakes_in_window:
  description: Wakes recorded for this host within O(window_s), including this one.
  returned: always
  type: int
  sample: 1
packet_builder:
  description: What built the magic packet, C(wakeonlan <version>) or C(builtin).
  returned: when packets are or would be sent
  type: str
  sample: builtin
msg:
  description: What happened, in one sentence.
  returned: always
  type: str
  sample: "forge woke: ready (ssh on 10.0.30.10:22) after 31.4 s, 6 packets"
'''

import socket
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.homelab.cluster.plugins.module_utils._wake_io import Probe
from ansible_collections.homelab.cluster.plugins.module_utils._wake_io import StateFile
from ansible_collections.homelab.cluster.plugins.module_utils._wake_io import build_packet
from ansible_collections.homelab.cluster.plugins.module_utils._wake_io import local_interfaces
from ansible_collections.homelab.cluster.plugins.module_utils._wake_io import send_burst
from ansible_collections.homelab.cluster.plugins.module_utils._wake_io import wait_for
from ansible_collections.homelab.cluster.plugins.module_utils._wol import WakeError
from ansible_collections.homelab.cluster.plugins.module_utils._wol import choose_destination
from ansible_collections.homelab.cluster.plugins.module_utils._wol import clean_history
from ansible_collections.homelab.cluster.plugins.module_utils._wol import default_timeout
from ansible_collections.homelab.cluster.plugins.module_utils._wol import format_mac
from ansible_collections.homelab.cluster.plugins.module_utils._wol import parse_mac
from ansible_collections.homelab.cluster.plugins.module_utils._wol import record_sleep
from ansible_collections.homelab.cluster.plugins.module_utils._wol import record_state
from ansible_collections.homelab.cluster.plugins.module_utils._wol import record_wake
from ansible_collections.homelab.cluster.plugins.module_utils._wol import storm_check


def main():
    module = AnsibleModule(
        argument_spec=dict(
            target=dict(type='str'),
            name=dict(type='str'),
            mac=dict(type='str'),
            secureon=dict(type='str', no_log=True),
            address=dict(type='str'),
            broadcast=dict(type='str'),
            interface=dict(type='str'),
            port=dict(type='int', default=9),
            count=dict(type='int', default=3),
            resend_s=dict(type='float'),
            state=dict(type='str', default='ready', choices=['ready', 'down', 'probe']),
            ready_check=dict(type='str', choices=['tcp', 'ssh', 'http']),
            ready_port=dict(type='int', default=22),
            url=dict(type='str'),
            status_code=dict(type='list', elements='int', default=[200]),
            validate_certs=dict(type='bool', default=True),
            boot_s=dict(type='int', default=60),
            timeout=dict(type='float'),
            send=dict(type='bool', default=True),
            wait=dict(type='bool', default=True),
            max_wakes=dict(type='int', default=3),
            window_s=dict(type='int', default=3600),
            min_off_s=dict(type='int', default=120),
            force=dict(type='bool', default=False),
            state_dir=dict(type='path', default='~/.local/state/homelab/wake'),
        ),
        required_if=[('state', 'ready', ('mac', 'url', 'address'), True)],
        supports_check_mode=True,
    )
    p = module.params
    started = time.time()
    result = dict(changed=False, ready=False, state_before='down', packets_sent=0, wakes_in_window=0)

    def fail(msg, **extra):
        result.update(extra, elapsed_s=round(time.time() - started, 3))
        module.fail_json(msg=msg, **result)

    def done(msg, **extra):
        result.update(extra, elapsed_s=round(time.time() - started, 3), msg=msg)
        module.exit_json(**result)

    name = p['name'] or p['target'] or p['address'] or p['mac'] or p['url']
    for key, low in (('count', 1), ('port', 1), ('ready_port', 1), ('boot_s', 0), ('max_wakes', 0),
                     ('window_s', 1), ('min_off_s', 0)):
        if p[key] < low or (key.endswith('port') and p[key] > 65535):
            fail('%s: %s=%d is out of range' % (name, key, p[key]))
    try:
        probe = Probe(p)
        if p['state'] == 'ready' and p['send']:
            if not p['mac']:
                raise WakeError('mac is required to send a magic packet (or give send=false to only wait)')
            packet, builder = build_packet(p['mac'], p['secureon'])
    except WakeError as exc:
        fail('%s: %s' % (name, exc))
    timeout = p['timeout'] if p['timeout'] is not None else default_timeout(p['boot_s'])
    deadline = started + timeout
    key = format_mac(parse_mac(p['mac'])) if p['mac'] else (p['address'] or p['url'])

    with StateFile(p['state_dir'], key) as state:
        history = clean_history(state.read(), started, p['window_s'])
        ready, detail = probe(1.0)
        seen_at = time.time()
        result['state_before'] = 'up' if ready else 'down'
        result['wakes_in_window'] = len(history['wakes'])

        if p['state'] == 'probe':
            if not module.check_mode:
                state.write(record_state(history, seen_at, ready))
            done('%s is %s (%s: %s)' % (name, 'up' if ready else 'down', probe.describe(), detail),
                 ready=ready, ready_at=seen_at)

        if p['state'] == 'down':
            if ready and not module.check_mode:
                gone, seen_at, detail = wait_for(probe, False, deadline)
                if not gone:
                    fail('%s still answers (%s: %s) after %.0f s; it did not power off'
                         % (name, probe.describe(), detail, timeout), ready=True)
            if not module.check_mode:
                state.write(record_sleep(record_state(record_state(history, started, True) if ready else history,
                                                      seen_at, False), seen_at))
            done('%s is down (%s: %s)' % (name, probe.describe(), detail), ready=ready and module.check_mode,
                 ready_at=seen_at)

        # state == ready
        if ready:
            if not module.check_mode:
                state.write(record_state(history, seen_at, True))
            done('%s is already ready (%s: %s); nothing sent' % (name, probe.describe(), detail),
                 ready=True, ready_at=seen_at)

        if p['send']:
            refusal = storm_check(history, started, p['max_wakes'] or None, p['window_s'], p['min_off_s'], name)
            try:
                destination, source, why = choose_destination(_resolve(p['address']), local_interfaces(),
                                                              p['broadcast'], p['interface'])
            except WakeError as exc:
                fail('%s: %s' % (name, exc))
            result.update(destination='%s:%d, %s' % (destination, p['port'], why), packet_builder=builder)
            if refusal and not p['force']:
                fail(refusal)
            if module.check_mode:
                done('%s is down (%s: %s); would send %d magic packets to %s:%d (%s)%s'
                     % (name, probe.describe(), detail, p['count'], destination, p['port'], why,
                        ' despite the storm guard (force)' if refusal else ''), changed=True)
            history = record_wake(history, started)
            state.write(history)  # recorded before waiting: a wake counts even if the host never answers
            result['wakes_in_window'] = len(history['wakes'])
            try:
                result['packets_sent'] += send_burst(packet, destination, source, p['port'], p['count'])
            except OSError as exc:
                fail('%s: sending the magic packet to %s:%d (%s) failed: %s'
                     % (name, destination, p['port'], why, to_native(exc)))
            result['changed'] = True
        elif module.check_mode:
            done('%s is down (%s: %s); would wait up to %.0f s' % (name, probe.describe(), detail, timeout))

        if not p['wait']:
            done('%s: %d magic packets sent to %s; not waiting'
                 % (name, result['packets_sent'], result.get('destination')))

        resend_s = p['resend_s'] if p['resend_s'] else max(1.0, float(p['boot_s']))
        while True:
            burst_due = time.time() + resend_s
            seen, seen_at, detail = wait_for(probe, True, min(deadline, burst_due))
            if seen or burst_due >= deadline:
                break
            if p['send']:
                result['packets_sent'] += send_burst(packet, destination, source, p['port'], p['count'])
        if not seen:
            state.write(history)
            fail('%s did not become ready within %.0f s (%s, last: %s) after %d magic packets%s; check that '
                 'Wake-on-LAN is enabled in its firmware and that the sender is on its network'
                 % (name, timeout, probe.describe(), detail, result['packets_sent'],
                    ' to ' + result['destination'] if result.get('destination') else ''))
        state.write(record_state(history, seen_at, True))
        how = 'woke' if p['send'] else 'came up'
        done('%s %s: ready (%s) after %.1f s, %d packets'
             % (name, how, probe.describe(), seen_at - started, result['packets_sent']), ready=True, ready_at=seen_at)


def _resolve(address):
    if not address:
        return None
    try:
        return socket.gethostbyname(address)
    except OSError:
        return address


if __name__ == '__main__':
    main()
