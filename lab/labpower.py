"""LAB ONLY: what the overlay adds so that quorum, the power guard and the UPS shutdown run in `make lab`.

Power: every simulated host gets a plug double on keeper (a Shelly Gen2, a Shelly Gen1 or a Tasmota, by turns),
reading LAB_DRAW_W while the host answers on TCP 22. The house meter double is LAB_BASE_W (the rest of the house)
plus every plug; the limit is LAB_LIMIT_W. keeper's NUT (dummy-ups) feeds the rack: UPS_FED. desk is speculative,
so a spike sheds it first; keeper (logic) and nas (storage) are essential and never shed.

Quorum: desk and forge vote (the seed's heavy voters), keeper is the quorum device. forge is a Debian stand-in for
Proxmox VE: it has no pvecm, so in the lab it joins as plain corosync (corosync_exclude_groups and
qdevice_proxmox_group say so), and every voter talks corosync on the trusted network (podman masquerades traffic
between lab networks, and knet needs the peers' own addresses): forge gets a second interface there.

Jobs: keeper runs the power guard and the UPS shutdown from its own timers (homelab.cluster.jobs), with
ansible-core from a wheelhouse the lab downloads once.
"""

import glob
import os
import sys

from labcommon import BUILD
from labcommon import log
from labcommon import sh

LAB_DRAW_W = {'desk': 200, 'forge': 300, 'frame': 20, 'jetson': 8, 'keeper': 10, 'nas': 40, 'penny': 35, 'pi5': 6}
LAB_BASE_W = 1800
LAB_LIMIT_W = 3000
SPIKE_BASE_W = 2400  # make drill-power-spike: the house over the limit by less than the speculative host's draw
UPS_FED = ('keeper', 'forge', 'nas', 'desk')
SPECULATIVE = ('desk',)
PLUG_KINDS = ('shelly_gen2', 'shelly_gen1', 'tasmota')
PLUG_BASE_PORT = 8100
HA_PORT = 8123
WEBHOOK_PORT = 8099
TOKEN = 'lab-double-token'  # noqa: S105 - the Home Assistant double's token, lab only
VOTERS = ('desk', 'forge')
QUORUM_NET = 10  # the trusted lab network: every voter and the quorum device are on it
JOBS_WHEELS = os.path.join(BUILD, 'wheels-jobs')
JOBS_PACKAGES = ('ansible-core==2.19.14', 'wakeonlan==4.0.0')


def plugs(plan):
    """{host: its plug, as the hardware file declares it} and the doubles' plug table, on keeper's servers IP."""
    keeper = plan['keeper']['ip']
    declared, doubles = {}, {}
    for i, name in enumerate(sorted(plan)):
        port = PLUG_BASE_PORT + i
        kind = PLUG_KINDS[i % len(PLUG_KINDS)]
        declared[name] = {'kind': kind, 'host': keeper, 'port': port}
        doubles[str(port)] = {'kind': kind, 'host': plan[name]['ip'], 'on_w': LAB_DRAW_W.get(name, 10), 'off_w': 0.5}
    return declared, doubles


def hardware(plan, example_hosts):
    """The example's hardware of each simulated host with the lab's power sources added."""
    declared, _doubles = plugs(plan)
    keeper = plan['keeper']['ip']
    out = {}
    for name, spec in plan.items():
        host = dict(example_hosts[name] or {}, address=spec['ip'])
        power = dict(host.get('power') or {}, plug=declared[name])
        if name in UPS_FED:
            power['ups'] = {'name': 'dummy', 'host': keeper}
        host['power'] = power
        out[name] = host
    return out


def group_vars(plan):
    """The overlay's group_vars/all.yml additions for power, quorum and the jobs."""
    keeper = plan['keeper']['ip']
    _declared, doubles = plugs(plan)
    return {
        # power: the house, its meter and the alerts, all doubles on keeper
        'homelab_power_limit_w': LAB_LIMIT_W,
        'homelab_power_ha_url': 'http://%s:%d' % (keeper, HA_PORT),
        'homelab_power_ha_token': TOKEN,
        'homelab_power_house_entity': 'sensor.house_power',
        'homelab_power_webhook': 'http://%s:%d/homelab' % (keeper, WEBHOOK_PORT),
        'homelab_power_off_timeout_s': 60,
        'lab_power_doubles': {'token': TOKEN, 'ha_port': HA_PORT, 'webhook_port': WEBHOOK_PORT,
                              'house': {'entity': 'sensor.house_power', 'base_w': LAB_BASE_W}, 'plugs': doubles},
        # quorum: forge's stand-in has no pvecm, so it joins as plain corosync (see this module's docstring)
        'corosync_exclude_groups': ['role_logic'],
        'qdevice_proxmox_group': 'lab_has_no_proxmox',
        # a container boots in two seconds and the drills power-cycle on purpose: the storm guard allows more wakes
        # per hour and a quicker wake after a shutdown than on real machines (the wake-storm drill sets 3 itself)
        'homelab_wake_max_wakes': 10,
        'homelab_wake_min_off_s': 10,
        # the power guard and the UPS shutdown on keeper's own timers
        'jobs_wheelhouse': JOBS_WHEELS,
        'jobs_python_packages': [p for p in JOBS_PACKAGES if not p.startswith('ansible-core')],
    }


def host_vars(plan):
    """host_vars/<host>.yml of the overlay: the speculative host, and each voter's corosync address."""
    out = {name: {} for name in plan}
    for name in SPECULATIVE:
        if name in out:
            out[name]['homelab_power_priority'] = 'speculative'
    if DB_HOST in out:
        out[DB_HOST]['homelab_power_shutdown_services'] = ['homelab-db']
    for name in list(VOTERS) + ['keeper']:
        if name in plan:
            out[name]['corosync_addr'] = quorum_address(plan[name])
    out['keeper']['jobs_enabled'] = ['power_guard', 'ups_shutdown']
    return {name: values for name, values in out.items() if values}


DB_UNIT = ('[Unit]\nDescription=LAB ONLY: a database stand-in that records a clean stop (the UPS drill checks it)\n'
           '[Service]\nExecStart=/bin/sleep infinity\n'
           "ExecStop=/bin/sh -c 'date +%%s.%%N > /var/lib/homelab-db.stopped'\n"
           '[Install]\nWantedBy=multi-user.target\n')
DB_HOST = 'forge'


def install_db_standin(podman_cp, scratch):
    """The database stand-in on forge (homelab_power_shutdown_services): a unit enabled at boot, copied into the
    container also while it sleeps."""
    unit = os.path.join(scratch, 'homelab-db.service')
    with open(unit, 'w') as handle:
        handle.write(DB_UNIT)
    wants = os.path.join(scratch, 'multi-user.target.wants')
    os.makedirs(wants, exist_ok=True)
    link = os.path.join(wants, 'homelab-db.service')
    if not os.path.lexists(link):
        os.symlink('/etc/systemd/system/homelab-db.service', link)
    podman_cp(unit, '%s:/etc/systemd/system/homelab-db.service' % DB_HOST)
    podman_cp(wants, '%s:/etc/systemd/system/' % DB_HOST)


def quorum_address(spec):
    """The host's address on the quorum network (10.77.10.x)."""
    for net, ip, _mac in spec['networks']:
        if net == 'homelab-trusted':
            return ip
    raise ValueError('%s has no interface on the trusted lab network' % spec)


def jobs_wheelhouse():
    """ansible-core and its dependencies as wheels, downloaded once: the lab's keeper installs from them."""
    if not glob.glob(os.path.join(JOBS_WHEELS, 'ansible_core-2.19.14-*.whl')):
        log('downloading the jobs\' wheels (%s) into %s' % (', '.join(JOBS_PACKAGES), os.path.relpath(JOBS_WHEELS)))
        sh(sys.executable, '-m', 'pip', 'download', '--quiet', '--only-binary=:all:', '--python-version', '3.11',
           '-d', JOBS_WHEELS, *JOBS_PACKAGES)
