# homelab.cluster.slurm: Slurm's power programs, run by slurmctld as SlurmUser (installed as
# /usr/local/lib/homelab-slurm/homelab_slurm_power.py, called by the /usr/local/sbin/homelab-slurm-* wrappers).
#
#   resume HOSTLIST       ResumeProgram: a magic packet per node, from this controller
#   suspend HOSTLIST      SuspendProgram: power each node off over SSH with a key the node takes for that only
#   resume-fail HOSTLIST  ResumeFailProgram: record, alert the webhook, power the half-woken node off
#   prolog                PrologSlurmctld: wake a new job's sleeping nodes now and hold it until they registered
#
# Everything it needs comes from two files the role renders, both 0640 root:slurm:
#   /etc/slurm/homelab-power.json  {"log", "suspend_action", "webhook", "deadline_s", "known_hosts"}
#   /etc/slurm/homelab-nodes.json  {node: {"mac", "address", "secureon"}}  (from the inventory's host views)
# The webhook URL may carry a token: it lives only in the 0640 file and is never logged.
# resume, suspend and resume-fail fork and return at once, as slurmctld expects.
import ipaddress
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

CONFIG = '/etc/slurm/homelab-power.json'
NODES = '/etc/slurm/homelab-nodes.json'
KEY = '/etc/slurm/homelab-power-key'
RESUME = '/usr/local/sbin/homelab-slurm-resume'
WAITING = '~#%*!'  # sinfo's short state suffixes: powered down, powering up, powering down, not responding
_HEX12 = re.compile(r'^[0-9a-fA-F]{12}$')


class WakeError(ValueError):
    """A node entry the programs cannot wake; the message names the field (never a SecureOn password)."""


# --- Wake-on-LAN (the same packets and choices as homelab.cluster.wake; tests/unit compares them) -------------

def mac_bytes(value, field='mac'):
    digits = re.sub(r'[:\-.]', '', str(value).strip())
    if not _HEX12.match(digits):
        raise WakeError('%s: %r is not a MAC address' % (field, value) if field == 'mac' else
                        '%s: not six hex pairs' % field)
    return bytes.fromhex(digits)


def magic_packet(mac, secureon=None):
    """6 x 0xFF, the MAC 16 times, then the SecureOn password when given (102 or 108 bytes)."""
    return b'\xff' * 6 + mac_bytes(mac) * 16 + (mac_bytes(secureon, 'secureon') if secureon else b'')


def directed_broadcast(target, interfaces):
    """(destination, source, why): the directed broadcast of the sender's interface on the target's network."""
    address = ipaddress.ip_address(target)
    for item in interfaces:
        try:
            iface = ipaddress.ip_interface('%s/%s' % (item['address'], item['netmask']))
        except ValueError:
            continue
        if not iface.ip.is_loopback and address in iface.network:
            return (str(iface.network.broadcast_address), str(iface.ip),
                    'directed broadcast of %s (%s), the network of %s' % (item['name'], iface.with_prefixlen, target))
    raise WakeError('no interface of this controller is on the network of %s' % target)


def interfaces():
    out = subprocess.run(['ip', '-j', '-4', 'addr'], capture_output=True, text=True, check=False).stdout
    found = []
    for link in json.loads(out or '[]'):
        for addr in link.get('addr_info', []):
            if addr.get('family') == 'inet':
                found.append({'name': link['ifname'], 'address': addr['local'], 'netmask': str(addr['prefixlen'])})
    return found


# --- shared -------------------------------------------------------------------------------------------------

def load(path, default=None):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        if default is None:
            raise
        return default


def log(config, action, message):
    try:
        with open(config.get('log', '/var/log/slurm/homelab-power.log'), 'a') as handle:
            handle.write('%.3f %s %s %s\n' % (time.time(), time.strftime('%Y-%m-%dT%H:%M:%S'), action, message))
    except OSError:
        pass


def run(*cmd):
    return subprocess.run(list(cmd), capture_output=True, text=True, check=False, timeout=30).stdout


def hostnames(hostlist, expand_plain=True):
    if '[' in hostlist or expand_plain:
        return run('scontrol', 'show', 'hostnames', hostlist).split()
    return [name for name in hostlist.split(',') if name]


def power_off(config, name, nodes):
    """ssh root@node with the power key; the node's authorized_keys forces the poweroff command and accepts the
    key only from this controller (restrict,from=...)."""
    address = nodes.get(name, {}).get('address', name)
    proc = subprocess.run(['ssh', '-i', KEY, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10',
                           '-o', 'StrictHostKeyChecking=accept-new',
                           '-o', 'UserKnownHostsFile=%s'
                           % config.get('known_hosts', '/var/lib/slurm/homelab-power-known-hosts'),
                           'root@%s' % address], capture_output=True, text=True, check=False, timeout=60)
    return proc.returncode, proc.stderr.strip()[-200:]


# --- the four programs --------------------------------------------------------------------------------------

def resume(config, hostlist):
    wake_for = os.environ.get('HOMELAB_SLURM_WAKE_FOR', '')
    suffix = ' (for %s, from PrologSlurmctld)' % wake_for if wake_for else ''
    nodes = load(NODES, {})
    ifaces = interfaces()
    for name in hostnames(hostlist, expand_plain=False):  # plain names: no round trip before the packet goes out
        node = nodes.get(name)
        if not node:
            log(config, 'resume', '%s: not in %s (no MAC): cannot wake it%s' % (name, NODES, suffix))
            continue
        try:
            destination, source, why = directed_broadcast(socket.gethostbyname(node['address']), ifaces)
            packet = magic_packet(node['mac'], node.get('secureon') or None)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
                sock.bind((source, 0))
                sock.sendto(packet, (destination, 9))
            log(config, 'resume', '%s: magic packet for %s to %s:9 (%s)%s'
                % (name, node['mac'], destination, why, suffix))
        except (WakeError, OSError, KeyError, ValueError) as exc:
            log(config, 'resume', '%s: could not send the magic packet: %s%s' % (name, exc, suffix))


def suspend(config, hostlist):
    nodes = load(NODES, {})
    action = config.get('suspend_action', 'suspend')
    for name in hostnames(hostlist):
        rc, err = power_off(config, name, nodes)
        log(config, action, '%s: poweroff over ssh to %s: rc=%s %s'
            % (name, nodes.get(name, {}).get('address', name), rc, err))


def resume_fail(config, hostlist):
    nodes = load(NODES, {})
    names = hostnames(hostlist)
    log(config, 'resume-fail', '%s: not registered within ResumeTimeout; Slurm marked it DOWN' % ','.join(names))
    if config.get('webhook'):
        body = json.dumps({'title': 'homelab Slurm: nodes did not wake', 'message': ', '.join(names),
                           'priority': 4}).encode()
        request = urllib.request.Request(config['webhook'], data=body, headers={'Content-Type': 'application/json'})
        try:
            urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 - the user's own alert URL
            log(config, 'resume-fail', 'alert sent to the webhook')
        except OSError as exc:
            # the URL may carry a token: name the failure, never the URL
            log(config, 'resume-fail', 'the webhook failed: %s' % getattr(exc, 'reason', type(exc).__name__))
    for name in names:
        rc, _err = power_off(config, name, nodes)
        log(config, 'resume-fail', '%s: poweroff after the failed resume: rc=%s' % (name, rc))


def asleep(nodes):
    """{node: sinfo short state} for the job's nodes that are not up yet."""
    states = {}
    for line in run('sinfo', '-h', '-N', '-n', nodes, '-o', '%N %t').splitlines():
        name, _sep, state = line.partition(' ')
        states[name] = state.strip()
    return {name: state for name, state in states.items() if not state or state[-1] in WAITING}


def prolog(config):
    """Wake a new job's sleeping nodes now and hold it until they registered (Slurm 22.05 would start a batch job
    on a resumed node only at its next 30 s check). Never fails a job: a node that does not come up is
    ResumeTimeout's business."""
    job = os.environ.get('SLURM_JOB_ID', '')
    nodes = os.environ.get('SLURM_JOB_NODELIST') or run('squeue', '-h', '-j', job, '-o', '%N').strip()
    if not job or not nodes:
        return 0
    waiting = asleep(nodes)
    if not waiting:
        return 0
    started = time.monotonic()
    waking = sorted(name for name, state in waiting.items() if state[-1:] in ('~', '#'))
    if waking:
        subprocess.run([RESUME, ','.join(waking)], env=dict(os.environ, HOMELAB_SLURM_WAKE_FOR='job %s' % job),
                       check=False, timeout=30)
    log(config, 'prolog', 'job %s: waiting for %s to register' % (job, ','.join(sorted(waiting))))
    while waiting and time.monotonic() - started < float(config.get('deadline_s', 310)):
        time.sleep(0.2)
        if run('squeue', '-h', '-j', job, '-o', '%T').strip() not in ('CONFIGURING', 'RUNNING'):
            log(config, 'prolog', 'job %s: no longer starting; stopped waiting' % job)
            return 0
        waiting = asleep(nodes)
    log(config, 'prolog', 'job %s: %s after %.1f s' % (job, 'nodes up' if not waiting else 'gave up on '
                                                       + ','.join(sorted(waiting)), time.monotonic() - started))
    return 0


PROGRAMS = {'resume': resume, 'suspend': suspend, 'resume-fail': resume_fail}


def main(argv):
    if len(argv) == 2 and argv[1] == 'prolog':
        return prolog(load(CONFIG, {}))
    if len(argv) < 3 or argv[1] not in PROGRAMS:
        sys.stderr.write('usage: %s {resume,suspend,resume-fail} HOSTLIST | prolog\n' % argv[0])
        return 2
    config = load(CONFIG, {})
    if os.fork():
        return 0  # slurmctld gets its answer now; the child does the work
    os.setsid()
    PROGRAMS[argv[1]](config, argv[2])
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
