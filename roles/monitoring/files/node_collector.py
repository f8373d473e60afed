# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The node collector on every host with node-exporter: what node-exporter cannot tell, as textfile metrics
(homelab_node.prom), from homelab-node-collector.timer.

    node_collector.py --config /etc/homelab/monitoring/node.json

  mounts  every network file system in /etc/fstab (nfs, nfs4, cifs, smb3, sshfs, glusterfs, ceph; not noauto)
          and every path in monitoring_mounts: present (in /proc/mounts) and responsive (stat answers within
          the timeout: a hung NFS server blocks it)
  quorum  on corosync voters: corosync-quorumtool's votes and the verdict (healthy, degraded, lost, down) with
          the same meaning as homelab.cluster.quorum_info
"""

import argparse
import json
import subprocess
import sys
import time

from promtext import Metrics
from promtext import write_textfile

NETWORK_FS = ('nfs', 'nfs4', 'cifs', 'smb3', 'fuse.sshfs', 'sshfs', 'glusterfs', 'ceph', 'fuse.glusterfs')


def _unescape(path):
    return path.replace('\\040', ' ').replace('\\011', '\t').replace('\\134', '\\')


def expected_mounts(fstab, extra):
    """[(mountpoint, fstype, source)] to watch: network file systems of fstab (not noauto) and the extra paths."""
    out = {}
    for line in fstab.splitlines():
        fields = line.split()
        if len(fields) < 3 or fields[0].startswith('#'):
            continue
        options = fields[3].split(',') if len(fields) > 3 else []
        if fields[2] in NETWORK_FS and 'noauto' not in options:
            out[_unescape(fields[1])] = (fields[2], fields[0])
    for path in extra:
        out.setdefault(path, ('', ''))
    return [(path, fstype, source) for path, (fstype, source) in sorted(out.items())]


def mounted(proc_mounts):
    return {_unescape(f[1]) for f in (line.split() for line in proc_mounts.splitlines()) if len(f) > 2}


def responsive(path, timeout):
    """stat in a child process: a hung NFS mount blocks it (possibly unkillably), never this collector."""
    child = subprocess.Popen(['/usr/bin/stat', '-t', path],  # noqa: S603 - a mount point from fstab or the role
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            return child.returncode == 0
        time.sleep(0.05)
    child.kill()
    return False


def mount_metrics(metrics, expected, present, check):
    for path, fstype, source in expected:
        here = path in present
        metrics.add('homelab_mount_expected', 1, 'A mount this host should have (fstab network file systems and '
                    'monitoring_mounts).', mountpoint=path, fstype=fstype, source=source)
        metrics.add('homelab_mount_present', int(here), 'The mount is mounted.', mountpoint=path)
        if here:
            metrics.add('homelab_mount_responsive', int(check(path)), 'stat on the mount answers in time.',
                        mountpoint=path)


def parse_quorumtool(text):
    """Votes from ``corosync-quorumtool -s``; None when corosync did not answer."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(':')
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key == 'quorate':
            out['quorate'] = value.lower().startswith('yes')
        elif key in ('expected votes', 'total votes', 'quorum'):
            digits = value.split()[0] if value.split() else ''
            if digits.isdigit():
                out[key.replace(' ', '_')] = int(digits)
        elif key == 'flags':
            out['flags'] = value.split()
    return out if 'quorate' in out else None


def verdict(quorum):
    if quorum is None:
        return 'down'
    if not quorum['quorate']:
        return 'lost'
    if quorum.get('total_votes', 0) < quorum.get('expected_votes', 0):
        return 'degraded'
    return 'healthy'


def quorum_metrics(metrics, quorum):
    found = verdict(quorum)
    for name in ('healthy', 'degraded', 'lost', 'down'):
        metrics.add('homelab_quorum_verdict', int(name == found), 'The quorum verdict of this node (as quorum_info).',
                    verdict=name)
    if quorum:
        metrics.add('homelab_quorum_quorate', int(quorum['quorate']), 'This node is quorate.')
        metrics.add('homelab_quorum_expected_votes', quorum.get('expected_votes'), 'Expected votes.')
        metrics.add('homelab_quorum_total_votes', quorum.get('total_votes'), 'Votes present.')
        metrics.add('homelab_quorum_votes_needed', quorum.get('quorum'), 'Votes needed for quorum.')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='/etc/homelab/monitoring/node.json')
    args = parser.parse_args()
    with open(args.config) as handle:
        cfg = json.load(handle)
    metrics = Metrics()
    ok = 1
    try:
        with open(cfg.get('fstab', '/etc/fstab')) as handle:
            fstab = handle.read()
    except FileNotFoundError:
        fstab = ''
    try:
        with open('/proc/mounts') as handle:
            present = mounted(handle.read())
        mount_metrics(metrics, expected_mounts(fstab, cfg.get('mounts') or []), present,
                      lambda path: responsive(path, float(cfg.get('stat_timeout_s', 5))))
    except OSError as exc:
        print('mounts: %s' % exc, file=sys.stderr)
        ok = 0
    metrics.add('homelab_collector_success', ok, 'Whether a part of a collector read its source.', collector='node',
                part='mounts')
    if cfg.get('quorum'):
        try:
            out = subprocess.run(['/usr/sbin/corosync-quorumtool', '-s'],  # noqa: S603 - fixed arguments
                                 capture_output=True, text=True, timeout=20, check=False)
            quorum_metrics(metrics, parse_quorumtool(out.stdout))
            ok = 1
        except (OSError, subprocess.TimeoutExpired) as exc:
            print('quorum: %s' % exc, file=sys.stderr)
            quorum_metrics(metrics, None)
            ok = 0
        metrics.add('homelab_collector_success', ok, 'Whether a part of a collector read its source.',
                    collector='node', part='quorum')
    metrics.add('homelab_collector_last_run_timestamp_seconds', time.time(), 'When the collector last ran.',
                collector='node')
    write_textfile(cfg['textfile_dir'], 'homelab_node.prom', metrics.render())


if __name__ == '__main__':
    main()
