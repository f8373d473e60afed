"""LAB ONLY: what `lab.py summary` and `lab.py check` read from the running lab (all through podman and the
collection's own modules; nothing here decides anything)."""

import json
import re
import subprocess

from labcommon import ROOT
from labcommon import podman

GUARD_DIR = '/var/lib/homelab/power'


def quorum_verdicts(hosts):
    """{host: verdict} from homelab.cluster.quorum_info on each running host (podman connection)."""
    up = [h for h in hosts if podman('container', 'inspect', '-f', '{{.State.Running}}', h,
                                     check=False).stdout.strip() == 'true']
    if not up:
        return {}
    proc = subprocess.run(['ansible', 'all', '-i', ','.join(up) + ',', '-c', 'containers.podman.podman', '-o',
                           '-m', 'homelab.cluster.quorum_info'], capture_output=True, text=True, check=False, cwd=ROOT)
    out = {}
    for line in proc.stdout.splitlines():
        name, _sep, rest = line.partition(' | ')
        try:
            out[name] = json.loads(rest.split('=> ', 1)[1]).get('verdict') or 'unknown'
        except (IndexError, ValueError):
            out[name] = 'unreadable'
    return out


def slurm_states(controller):
    proc = podman('exec', controller, 'sinfo', '-h', '-N', '-o', '%N %t', check=False)
    return dict(line.split() for line in proc.stdout.splitlines() if len(line.split()) == 2)


def guard_status(reader):
    """The power guard's last decision and readings on the reader, and when its timer runs next."""
    state = podman('exec', reader, 'cat', '%s/guard.json' % GUARD_DIR, check=False)
    log = podman('exec', reader, 'sh', '-c', "grep '\"plan\"' %s/guard.log | tail -n 1" % GUARD_DIR, check=False)
    timer = podman('exec', reader, 'systemctl', 'list-timers', '--all', 'homelab-power-guard.timer', '--no-legend',
                   check=False).stdout.strip()
    # NEXT LEFT LAST PASSED UNIT ACTIVATES; NEXT is '-' while the job runs (the timer re-arms when it ends)
    match = re.match(r'^(\w{3} \S+ \S+ \S+) +(.+? left)', timer)
    following = '%s (%s)' % match.groups() if match else ('now (a run is in progress)' if timer.startswith('-')
                                                           else 'not scheduled')
    last = json.loads(log.stdout) if log.returncode == 0 and log.stdout.strip() else {}
    saved = json.loads(state.stdout) if state.returncode == 0 and state.stdout.strip() else {}
    return {'readings': (last.get('readings') or {}).get('hosts') or {}, 'time': last.get('time'),
            'decision': '%s (%s)' % (((last.get('plan') or {}).get('state') or 'no run yet'),
                                     '; '.join((last.get('plan') or {}).get('reasons') or []) or '-'),
            'last': saved.get('last') or {},
            'next': following}


def vault_sealed(server):
    proc = podman('exec', server, 'python3', '-c',
                  "import json, ssl, urllib.request; c = ssl.create_default_context(); c.check_hostname = False; "
                  "c.verify_mode = ssl.CERT_NONE; print(json.load(urllib.request.urlopen("
                  "'https://127.0.0.1:8200/v1/sys/seal-status', context=c, timeout=5))['sealed'])", check=False)
    return {'True': 'sealed', 'False': 'unsealed'}.get(proc.stdout.strip(), 'unreadable')
