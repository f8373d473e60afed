"""LAB ONLY: drills on the running lab (`make drill-<name>`, or `python lab/lab.py drill <name>`).

Each drill changes one thing the way the real world would, watches what the collection does about it (from the
logic node's own timers, not from this script), prints a timeline, and restores the lab:

    power-spike  the house meter jumps over the limit: the speculative host (desk) is shed within one guard
                 interval, the essential hosts (keeper, nas) are untouched, desk is restored after the spike
    ups-battery  the UPS (NUT dummy-ups on keeper) goes on battery at 25 %: the ordered shutdown, forge's database
                 stopped before forge, keeper stays up; power back: desk and forge woken by the next UPS run,
                 the NAS powered on as its firmware would after AC loss
    partition    desk is cut off the quorum network: forge is degraded, desk has lost quorum and the quorum gate
                 refuses there and allows on forge; reconnected with its own address, both are healthy again
    wake-storm   forge is woken and powered off four times: the fourth wake is refused by the storm guard

Returns the number of failed expectations (0: the drill passed).
"""

import json
import os
import subprocess
import tempfile
import time

from labcommon import ROOT
from labcommon import inventory_views
from labcommon import log
from labcommon import podman
from labpower import LAB_BASE_W
from labpower import LAB_LIMIT_W
from labpower import SPIKE_BASE_W

OVERLAY = os.path.join(ROOT, 'inventory', 'lab')
DOUBLES = '/etc/homelab-doubles'
GUARD_DIR = '/var/lib/homelab/power'
WAKE_HISTORY = '/root/.local/state/homelab/wake'
QUORUM_NET = 'homelab-trusted'


class Drill:
    def __init__(self, name):
        self.name = name
        self.started = time.time()
        self.failures = 0

    def say(self, message):
        log('%s [%s +%5.1fs] %s' % (time.strftime('%H:%M:%S'), self.name, time.time() - self.started, message))

    def expect(self, ok, message):
        self.failures += not ok
        self.say('%s %s' % ('ok' if ok else 'FAILED', message))
        return ok

    def wait(self, condition, timeout, step=2.0):
        """Poll condition() until true; (True, seconds) or (False, seconds)."""
        started = time.time()
        while time.time() - started < timeout:
            if condition():
                return True, time.time() - started
            time.sleep(step)
        return bool(condition()), time.time() - started


def running(name):
    proc = podman('container', 'inspect', '-f', '{{.State.Running}}', name, check=False)
    return proc.stdout.strip() == 'true'


def keeper(*cmd):
    return podman('exec', 'keeper', *cmd, check=False)


def playbook(*args):
    return subprocess.run(['ansible-playbook', '-i', OVERLAY, *args], capture_output=True, text=True, check=False,
                          cwd=ROOT)


def set_house(base_w):
    keeper('python3', '-c', "import json; p='%s/state.json'; s=json.load(open(p)); s['house']['base_w']=%d; "
           "json.dump(s, open(p, 'w'), indent=1)" % (DOUBLES, base_w))


def set_ups(status, charge):
    keeper('sed', '-i', '-e', 's/^ups.status: .*/ups.status: %s/' % status,
           '-e', 's/^battery.charge: .*/battery.charge: %d/' % charge, '/etc/nut/dummy.dev')


def read_from(name, path):
    """A file of a container, also when it is powered off (podman cp works on a stopped container)."""
    with tempfile.TemporaryDirectory() as scratch:
        if podman('cp', '%s:%s' % (name, path), scratch, check=False).returncode:
            return ''
        with open(os.path.join(scratch, os.path.basename(path))) as handle:
            return handle.read()


def notifications(since):
    lines = keeper('cat', '%s/notifications.jsonl' % DOUBLES).stdout.splitlines()
    return [n for n in (json.loads(line) for line in lines if line.strip()) if n.get('time', 0) >= since]


def guard_state():
    proc = keeper('cat', '%s/guard.json' % GUARD_DIR)
    return json.loads(proc.stdout) if proc.returncode == 0 and proc.stdout.strip() else {}


def wake(drill, *hosts):
    """Make sure the hosts are up (a lab host may be asleep: Slurm powers idle nodes off)."""
    asleep = [h for h in hosts if not running(h)]
    if asleep:
        drill.say('waking %s first (asleep)' % ', '.join(asleep))
        proc = playbook('playbooks/wake.yml', '-e', 'target=%s' % ':'.join(asleep), '-e', 'homelab_wake_force=true')
        drill.expect(proc.returncode == 0, 'woke %s' % ', '.join(asleep) if proc.returncode == 0 else
                     'could not wake %s: %s' % (', '.join(asleep), proc.stdout[-400:]))


def timers_running(drill, *timers):
    for timer in timers:
        active = keeper('systemctl', 'is-active', 'homelab-%s.timer' % timer).stdout.strip()
        drill.expect(active == 'active', 'keeper runs the %s on its own timer (%s)' % (timer.replace('-', ' '), active))


def power_spike():
    drill = Drill('power-spike')
    timers_running(drill, 'power-guard')
    wake(drill, 'desk')
    drill.say('the house meter jumps: base load %d W -> %d W (limit %d W)' % (LAB_BASE_W, SPIKE_BASE_W, LAB_LIMIT_W))
    spike = time.time()
    set_house(SPIKE_BASE_W)
    try:
        shed, took = drill.wait(lambda: not running('desk'), 200)
        drill.expect(shed, 'desk (speculative) shed: powered off %.0f s after the spike' % took)
        drill.expect(running('keeper') and running('nas'), 'keeper (logic) and nas (storage) untouched')
        notes = [n['body'].get('title', '') for n in notifications(spike)]
        drill.expect(any('power guard: shedding' in t for t in notes),
                     'the webhook was told before: %s' % ('; '.join(notes) or 'nothing'))
    finally:
        drill.say('the spike ends: base load back to %d W' % LAB_BASE_W)
        set_house(LAB_BASE_W)
    back, took = drill.wait(lambda: running('desk') and not guard_state().get('shed_log'), 240)
    drill.expect(back, 'desk restored (woken by the guard) %.0f s after the spike ended; nothing left shed' % took)
    return drill.failures


def ups_battery():
    drill = Drill('ups-battery')
    timers_running(drill, 'ups-shutdown')
    wake(drill, 'desk', 'forge')
    if not running('nas'):
        podman('start', 'nas')
    battery = time.time()
    drill.say('the UPS goes on battery at 25 %')
    set_ups('OB DISCHRG', 25)
    try:
        down, took = drill.wait(lambda: not any(running(h) for h in ('desk', 'forge', 'nas')), 300)
        drill.expect(down, 'desk, forge and nas powered off in order, %.0f s after the UPS went on battery' % took)
        drill.expect(running('keeper'), 'keeper (the logic node, stage "last") stays up')
        steps = [json.loads(line) for line in keeper('cat', '%s/guard.log' % GUARD_DIR).stdout.splitlines()
                 if '"step"' in line]
        order = ['%s %s' % (s['step'], s['host']) for s in steps if s.get('epoch', 0) >= battery]
        drill.expect(order == ['power_off desk', 'stop_services forge', 'power_off forge', 'power_off nas'],
                     'the order: %s' % ', '.join(order))
        stopped = read_from('forge', '/var/lib/homelab-db.stopped')
        forge_off = next((s['epoch'] for s in steps if s.get('epoch', 0) >= battery and s['step'] == 'power_off'
                          and s['host'] == 'forge'), None)
        drill.expect(bool(forge_off) and stopped.strip() != '' and float(stopped.split()[0]) < forge_off,
                     "forge's database stopped before forge was told to power off")
    finally:
        drill.say('power is back: the UPS on mains at 100 %')
        set_ups('OL', 100)
    woken, took = drill.wait(lambda: running('desk') and running('forge'), 240)
    drill.expect(woken, 'desk and forge woken by the next UPS run, %.0f s after power came back' % took)
    drill.say('nas powers on by itself, as its firmware does after AC loss (it is not wakeable)')
    podman('start', 'nas')

    def heard():
        titles = [n['body'].get('title', '') for n in notifications(battery)]
        return (any('UPS shutdown: UPS on battery' in t for t in titles) and any('power is back' in t for t in titles),
                titles)
    # the restore's notice goes out once its run has woken everything: a few seconds after the containers run
    both, _took = drill.wait(lambda: heard()[0], 60)
    drill.expect(both, 'the webhook heard both: %s' % '; '.join(heard()[1]))
    return drill.failures


def verdicts(*hosts):
    """{host: verdict} from homelab.cluster.quorum_info on each host, over the podman connection (a host cut off
    from the network is still reachable that way)."""
    proc = subprocess.run(['ansible', 'all', '-i', ','.join(hosts) + ',', '-c', 'containers.podman.podman', '-o',
                           '-m', 'homelab.cluster.quorum_info'], capture_output=True, text=True, check=False, cwd=ROOT)
    out = {}
    for line in proc.stdout.splitlines():
        name, _sep, rest = line.partition(' | ')
        try:
            out[name] = json.loads(rest.split('=> ', 1)[1]).get('verdict')
        except (IndexError, ValueError):
            out[name] = 'unknown'
    return out


def gate(host):
    proc = subprocess.run(['ansible', host, '-i', host + ',', '-c', 'containers.podman.podman', '-m',
                           'ansible.builtin.include_role', '-a', 'name=homelab.cluster.quorum_gate',
                           '-e', '{"quorum_gate_action": "the drill"}'], capture_output=True, text=True, check=False,
                          cwd=ROOT)
    return proc.returncode == 0, ' '.join((proc.stdout + proc.stderr).split())


def partition():
    drill = Drill('partition')
    wake(drill, 'desk', 'forge')
    healthy, took = drill.wait(lambda: verdicts('desk', 'forge') == {'desk': 'healthy', 'forge': 'healthy'}, 90, 3)
    drill.expect(healthy, 'desk and forge healthy before the cut (%.0f s)' % took)
    address = podman('container', 'inspect', '-f', '{{(index .NetworkSettings.Networks "%s").IPAddress}} '
                     '{{(index .NetworkSettings.Networks "%s").MacAddress}}' % (QUORUM_NET, QUORUM_NET),
                     'desk').stdout.split()
    drill.say('desk is cut off the quorum network (%s, %s)' % tuple(address))
    podman('network', 'disconnect', QUORUM_NET, 'desk')
    try:
        split, took = drill.wait(lambda: verdicts('desk', 'forge') == {'desk': 'lost', 'forge': 'degraded'}, 90, 3)
        drill.expect(split, 'forge degraded (it and the quorum device), desk lost, %.0f s after the cut' % took)
        refused, said = gate('desk')
        drill.expect(not refused and 'refusing the drill' in said, 'the gate refuses on desk: %s'
                     % said[said.find('refusing'):][:200])
        allowed, said = gate('forge')
        drill.expect(allowed, 'the gate allows on forge')
    finally:
        drill.say('desk reconnected with its own address and MAC')
        podman('network', 'connect', '--ip', address[0], '--mac-address', address[1], QUORUM_NET, 'desk')
    healed, took = drill.wait(lambda: verdicts('desk', 'forge') == {'desk': 'healthy', 'forge': 'healthy'}, 120, 3)
    drill.expect(healed, 'both healthy again %.0f s after the reconnect' % took)
    return drill.failures


def wake_storm():
    drill = Drill('wake-storm')
    listing = subprocess.run(['ansible-inventory', '-i', OVERLAY, '--list'], capture_output=True, text=True,
                             check=True, cwd=ROOT).stdout
    mac = inventory_views(json.loads(listing))['forge']['wake']['mac']
    history = '%s/%s.json' % (WAKE_HISTORY, mac.replace(':', '-'))
    drill.say('a fresh storm-guard history for forge (%s) on its relay keeper' % mac)
    keeper('rm', '-f', history)
    outcomes = []
    try:
        for attempt in range(1, 5):
            if running('forge'):
                podman('exec', 'forge', 'systemctl', '--no-block', 'poweroff', check=False)
                drill.wait(lambda: not running('forge'), 60, 0.5)
            proc = playbook('playbooks/wake.yml', '-e', 'target=forge', '-e', 'homelab_wake_max_wakes=3',
                            '-e', 'homelab_wake_min_off_s=0')
            woke = proc.returncode == 0 and running('forge')
            outcomes.append(woke)
            said = next((line.strip() for line in proc.stdout.splitlines() if 'refus' in line), '')
            drill.say('wake %d: %s' % (attempt, 'woken' if woke else 'refused: %s' % said[:200]))
        drill.expect(outcomes == [True, True, True, False], 'three wakes, the fourth refused within the hour')
    finally:
        drill.say('restore: forget the drill\'s wakes and wake forge')
        keeper('rm', '-f', history)
        wake(drill, 'forge')
    return drill.failures


DRILLS = {'power-spike': power_spike, 'ups-battery': ups_battery, 'partition': partition, 'wake-storm': wake_storm}
