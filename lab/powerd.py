"""The lab power controller: Wake-on-LAN for containers.

A stopped lab container is a powered-off machine. This daemon listens on the lab bridges for magic packets
(UDP ports 7 and 9, the ports Wake-on-LAN senders use) and starts the stopped container whose MAC the
packet names, after that host's boot time scaled down, the way a machine's firmware would power it on.
`poweroff` inside a container stops it, so that direction needs nothing here.

Containers opt in with labels (lab.py and the molecule wake scenario set them):
    homelab.power.mac=<mac>            the MAC the NIC answers to (its declared one)
    homelab.power.boot_delay_s=<s>     seconds between the packet and power-on (the host's boot_s, scaled)
    homelab.power.secureon=<pw>        optional SecureOn password the packet must carry

    python lab/powerd.py --network homelab-trusted --network homelab-servers [--log FILE] [--pidfile FILE]
    python lab/powerd.py --stop --pidfile FILE

It binds only to the named podman networks' bridge interfaces (SO_BINDTODEVICE): a packet on the machine's
uplink is never seen, and the daemon sends nothing anywhere.
"""

import argparse
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

from magic import parse_magic

PORTS = (7, 9)
LABEL = 'homelab.power'


def log(message):
    print('%s powerd: %s' % (time.strftime('%Y-%m-%dT%H:%M:%S'), message), flush=True)


def podman(*args):
    return subprocess.run(['podman'] + list(args), capture_output=True, text=True, check=False)


def bridge_of(network):
    proc = podman('network', 'inspect', network)
    if proc.returncode:
        raise SystemExit('powerd: no podman network %s: %s' % (network, proc.stderr.strip()))
    return json.loads(proc.stdout)[0]['network_interface']


def ifindex(name):
    try:
        return socket.if_nametoindex(name)
    except OSError:
        return None


def listen(bridge):
    socks = []
    for port in PORTS:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, bridge.encode())
        sock.bind(('', port))
        socks.append((sock, bridge, port))
    return socks


class Controller:
    def __init__(self):
        self.pending = set()
        self.lock = threading.Lock()

    def machine(self, mac):
        proc = podman('ps', '-a', '--filter', 'label=%s.mac=%s' % (LABEL, mac), '--format', 'json')
        found = json.loads(proc.stdout or '[]') if proc.returncode == 0 else []
        return found[0] if found else None

    def packet(self, payload, source, bridge, port):
        magic = parse_magic(payload)
        if magic is None:
            return
        mac, secureon = magic
        box = self.machine(mac)
        if box is None:
            log('magic packet for %s from %s on %s:%d: no lab machine has that MAC' % (mac, source, bridge, port))
            return
        name = box['Names'][0]
        labels = box.get('Labels') or {}
        wanted = labels.get('%s.secureon' % LABEL)
        if wanted and secureon.hex() != wanted.replace(':', '').lower():
            log('magic packet for %s (%s) from %s: wrong or missing SecureOn password, ignored' % (name, mac, source))
            return
        if box.get('State') == 'running':
            log('magic packet for %s (%s) from %s: already on' % (name, mac, source))
            return
        with self.lock:
            if name in self.pending:
                return
            self.pending.add(name)
        delay = float(labels.get('%s.boot_delay_s' % LABEL, '1'))
        log('magic packet for %s (%s) from %s on %s:%d: powering on in %.1f s'
            % (name, mac, source, bridge, port, delay))
        threading.Thread(target=self.power_on, args=(name, delay), daemon=True).start()

    def power_on(self, name, delay):
        try:
            time.sleep(delay)
            proc = podman('start', name)
            log('%s: %s' % (name, 'powered on' if proc.returncode == 0 else 'start failed: ' + proc.stderr.strip()))
        finally:
            with self.lock:
                self.pending.discard(name)


def serve(networks):
    """netavark creates a bridge when the first container of its network starts and removes it when the last
    one stops, so bridges are (re)bound as they come and go."""
    bridges = {bridge_of(n): n for n in networks}
    log('serving networks %s (bridges %s, UDP %s)'
        % (', '.join(networks), ', '.join(bridges), '/'.join(map(str, PORTS))))
    controller = Controller()
    bound = {}  # bridge -> (ifindex, sockets)
    while True:
        for bridge in bridges:
            index = ifindex(bridge)
            if bound.get(bridge, (None,))[0] == index:
                continue
            for sock, _b, _p in bound.pop(bridge, (None, []))[1]:
                sock.close()
            if index is None:
                log('%s: bridge gone (no running container on %s)' % (bridge, bridges[bridge]))
                continue
            try:
                bound[bridge] = (index, listen(bridge))
                log('%s: listening (network %s)' % (bridge, bridges[bridge]))
            except OSError as exc:
                log('%s: cannot listen yet: %s' % (bridge, exc))
        by_fd = {s.fileno(): (s, b, p) for _i, socks in bound.values() for s, b, p in socks}
        readable, _w, _x = select.select(list(by_fd), [], [], 1.0)
        for fd in readable:
            sock, bridge, port = by_fd[fd]
            payload, (source, _sport) = sock.recvfrom(2048)
            controller.packet(payload, source, bridge, port)


def running(pidfile):
    try:
        with open(pidfile) as handle:
            pid = int(handle.read().strip())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--network', action='append', default=[], help='podman network to serve (repeat)')
    parser.add_argument('--pidfile', help='write the pid here; with --daemon, refuse to start twice')
    parser.add_argument('--log', help='with --daemon: append the log here')
    parser.add_argument('--daemon', action='store_true', help='detach and return once listening')
    parser.add_argument('--stop', action='store_true', help='stop the daemon of --pidfile')
    args = parser.parse_args()
    if args.stop:
        pid = running(args.pidfile) if args.pidfile else None
        if pid:
            os.kill(pid, signal.SIGTERM)
            print('powerd: stopped (pid %d)' % pid)
        if args.pidfile and os.path.exists(args.pidfile):
            os.unlink(args.pidfile)
        return 0
    if not args.network:
        parser.error('give at least one --network')
    if args.daemon:
        if args.pidfile and running(args.pidfile):
            print('powerd: already running (pid %d)' % running(args.pidfile))
            return 0
        out = open(args.log or os.devnull, 'a')  # noqa: SIM115 - the daemon's stdout, kept open by design
        cmd = [sys.executable, os.path.abspath(__file__)] + sum((['--network', n] for n in args.network), [])
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        if args.pidfile:
            with open(args.pidfile, 'w') as handle:
                handle.write('%d\n' % proc.pid)
        time.sleep(0.5)
        if proc.poll() is not None:
            print('powerd: failed to start, see %s' % (args.log or 'its output'), file=sys.stderr)
            return 1
        print('powerd: listening (pid %d) on %s' % (proc.pid, ', '.join(args.network)))
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    serve(args.network)
    return 0


if __name__ == '__main__':
    sys.exit(main())
