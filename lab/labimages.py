"""Lab images, built from Debian packages (debootstrap -> podman import), never pulled; rebuilt only when the
recipe below or a file under lab/image/ changes (the recipe hash is the image tag)."""

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time

from labcommon import BUILD
from labcommon import LAB
from labcommon import LABEL
from labcommon import LabError
from labcommon import log
from labcommon import podman
from labcommon import sh

# The image recipe: change anything here (or a file under lab/image/) and the images are rebuilt; bump
# 'version' when the build steps in this file change.
RECIPE = {
    'version': 1,
    'suite': 'bookworm',
    'mirror': 'http://deb.debian.org/debian',
    'security': 'http://deb.debian.org/debian-security',
    'base': ['systemd', 'systemd-sysv', 'dbus', 'openssh-server', 'sudo', 'iproute2', 'iputils-ping', 'procps',
             'netbase', 'ca-certificates', 'gpgv'],
    'python': ['python3', 'python3-apt'],
}
IMAGE_FILES = os.path.join(LAB, 'image')


def recipe_hash():
    digest = hashlib.sha256(json.dumps(RECIPE, sort_keys=True).encode())
    for name in sorted(os.listdir(IMAGE_FILES)):
        with open(os.path.join(IMAGE_FILES, name), 'rb') as handle:
            digest.update(name.encode() + b'\0' + handle.read())
    return digest.hexdigest()[:12]


def image_names():
    tag = recipe_hash()
    return {'nopy': 'localhost/homelab-lab-nopy:%s' % tag, 'py': 'localhost/homelab-lab-py:%s' % tag}


def build_images():
    """debootstrap a minbase systemd + sshd rootfs -> the image without Python; + python3 -> the image with it."""
    names = image_names()
    if all(podman('image', 'exists', n, check=False).returncode == 0 for n in names.values()):
        log('images %s are current (recipe unchanged)' % ', '.join(names.values()))
        _tag_current(names)
        return names
    os.makedirs(BUILD, exist_ok=True)
    rootfs = tempfile.mkdtemp(prefix='rootfs-', dir=BUILD)
    try:
        if podman('image', 'exists', names['nopy'], check=False).returncode:
            started = time.time()
            log('debootstrap %s (minbase + %s) ...' % (RECIPE['suite'], ', '.join(RECIPE['base'])))
            sh('debootstrap', '--variant=minbase', '--include=%s' % ','.join(RECIPE['base']), RECIPE['suite'],
               rootfs, RECIPE['mirror'])
            _customize(rootfs)
            tar = subprocess.Popen(['tar', '-C', rootfs, '--numeric-owner', '-c', '.'], stdout=subprocess.PIPE)
            imp = subprocess.run(['podman', 'import', '-q', '--change', 'CMD ["/sbin/init"]',
                                  '--change', 'STOPSIGNAL SIGRTMIN+3', '-', names['nopy']],
                                 stdin=tar.stdout, capture_output=True, text=True, check=False)
            tar.stdout.close()
            if tar.wait() or imp.returncode:
                raise LabError('podman import of the lab rootfs failed: %s' % imp.stderr.strip())
            log('built %s in %.0f s' % (names['nopy'], time.time() - started))
        if podman('image', 'exists', names['py'], check=False).returncode:
            started = time.time()
            builder = 'homelab-lab-build-py'
            podman('rm', '-f', builder, check=False)
            podman('run', '--name', builder, '--label', '%s.build=1' % LABEL, names['nopy'], '/bin/sh', '-c',
                   'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && '
                   'apt-get install -y -qq --no-install-recommends %s >/dev/null && apt-get clean'
                   % ' '.join(RECIPE['python']))
            podman('commit', '-q', '--change', 'CMD ["/sbin/init"]', '--change', 'STOPSIGNAL SIGRTMIN+3',
                   builder, names['py'])
            podman('rm', '-f', builder)
            log('built %s in %.0f s' % (names['py'], time.time() - started))
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)
    _tag_current(names)
    return names


def _tag_current(names):
    """`:current` tags for molecule scenarios, which name the images without knowing the recipe hash."""
    for kind, name in names.items():
        podman('tag', name, 'localhost/homelab-lab-%s:current' % kind)


def _customize(rootfs):
    """Files every lab host starts from: apt sources, per-container ssh host keys and machine-id, no stale caches."""
    suite = RECIPE['suite']
    with open(os.path.join(rootfs, 'etc/apt/sources.list'), 'w') as handle:
        handle.write('deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n'
                     % (RECIPE['mirror'], suite, RECIPE['mirror'], suite, RECIPE['security'], suite))
    unit_dir = os.path.join(rootfs, 'etc/systemd/system')
    shutil.copy(os.path.join(IMAGE_FILES, 'homelab-ssh-hostkeys.service'), unit_dir)
    wants = os.path.join(unit_dir, 'ssh.service.wants')
    os.makedirs(wants, exist_ok=True)
    os.symlink('../homelab-ssh-hostkeys.service', os.path.join(wants, 'homelab-ssh-hostkeys.service'))
    for name in os.listdir(os.path.join(rootfs, 'etc/ssh')):
        if name.startswith('ssh_host_'):
            os.remove(os.path.join(rootfs, 'etc/ssh', name))
    os.makedirs(os.path.join(rootfs, 'root/.ssh'), mode=0o700, exist_ok=True)
    open(os.path.join(rootfs, 'etc/machine-id'), 'w').close()
    for junk in ('var/cache/apt/archives', 'var/lib/apt/lists'):
        path = os.path.join(rootfs, junk)
        for name in os.listdir(path):
            if name.endswith('.deb') or (junk.endswith('lists') and name not in ('partial', 'lock')):
                os.remove(os.path.join(path, name))
