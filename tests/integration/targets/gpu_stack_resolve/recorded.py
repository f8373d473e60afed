"""Signed apt repositories built from the recorded vendor metadata in recorded/ (NVIDIA's CUDA and container toolkit
repositories, AMD's ROCm repository), for the vendors whose servers the test machines cannot reach.

Each repository is laid out as the vendor's is (flat for CUDA and the toolkit, dists/<suite>/main for ROCm), with
the Origin and Label the vendors' pins match, and signed by a test key made here (RSA 3072, SHA-512: apt 3 rejects
weaker ones). The cuda-keyring package is rebuilt with the file list NVIDIA's cuda-keyring 1.1-1 has (the keyring in
/usr/share/keyrings and the repository's .list in /etc/apt/sources.list.d), pointing at the recorded copy.

    python3 recorded.py OUT_DIR BASE_URL     # BASE_URL: where OUT_DIR is seen from the host using it (file:/srv/...)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RECORDED = os.path.join(HERE, 'recorded')
DATE = 'Mon, 30 Nov 2026 00:00:00 UTC'
KEY_NAME = 'gpu_stack recorded repositories (test key)'
CUDA_DISTROS = ('debian12', 'debian13')


def pinning(branch):
    """The preferences file of nvidia-driver-pinning-<branch> (reconstructed): every NVIDIA driver package held
    to the branch, above any newer one."""
    return ('Package: nvidia-open cuda-drivers nvidia-driver nvidia-driver-* nvidia-kernel-* nvidia-smi '
            'libnvidia-* nvidia-persistenced nvidia-modprobe firmware-nvidia-gsp\n'
            'Pin: version %s.*\nPin-Priority: 1000\n' % branch)


def _run(argv, **kwargs):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs)


def ensure_key(home):
    """A signing key in GNUPGHOME=home (made once); returns (binary keyring path, armored key path)."""
    os.makedirs(home, mode=0o700, exist_ok=True)
    env = dict(os.environ, GNUPGHOME=home)
    pub, asc = os.path.join(home, 'recorded.gpg'), os.path.join(home, 'recorded.asc')
    if not os.path.exists(pub):
        _run(['gpg', '--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', KEY_NAME,
              'rsa3072', 'sign', 'never'], env=env)
        with open(pub, 'wb') as handle:
            handle.write(subprocess.run(['gpg', '--export', KEY_NAME], check=True, capture_output=True,
                                        env=env).stdout)
        with open(asc, 'w') as handle:
            handle.write(_run(['gpg', '--armor', '--export', KEY_NAME], env=env).stdout)
    return pub, asc


def stanzas(path):
    """The recorded file without its provenance comments, with the fields apt's index has and the record lacks."""
    with open(path) as handle:
        text = '\n'.join(line for line in handle.read().splitlines() if not line.startswith('#')).strip()
    out = []
    for block in text.split('\n\n'):
        fields = dict(line.split(': ', 1) for line in block.splitlines())
        name = '%s_%s_%s.deb' % (fields['Package'], fields['Version'].replace(':', '%3a'), fields['Architecture'])
        block += '\nFilename: ./%s\nSize: 1024\nSHA256: %s' % (name, hashlib.sha256(name.encode()).hexdigest())
        out.append(block)
    return '\n\n'.join(out) + '\n'


def _release(directory, files, origin, label, suite=None, components=None):
    lines = ['Origin: ' + origin, 'Label: ' + label]
    if suite:
        lines += ['Suite: ' + suite, 'Codename: ' + suite]
    lines += ['Date: ' + DATE, 'Architectures: amd64 all']
    if components:
        lines.append('Components: ' + components)
    lines.append('SHA256:')
    for rel in files:
        with open(os.path.join(directory, rel), 'rb') as handle:
            data = handle.read()
        lines.append(' %s %d %s' % (hashlib.sha256(data).hexdigest(), len(data), rel))
    with open(os.path.join(directory, 'Release'), 'w') as handle:
        handle.write('\n'.join(lines) + '\n')


def _sign(directory, home):
    env = dict(os.environ, GNUPGHOME=home)
    target = os.path.join(directory, 'InRelease')
    if os.path.exists(target):
        os.unlink(target)
    _run(['gpg', '--batch', '--yes', '--digest-algo', 'SHA512', '--local-user', KEY_NAME, '--clearsign',
          '--output', target, os.path.join(directory, 'Release')], env=env)


def flat(directory, recorded, origin, label, home):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, 'Packages'), 'w') as handle:
        handle.write(stanzas(recorded))
    _release(directory, ['Packages'], origin, label)
    _sign(directory, home)


def keyring_deb(path, keyring, list_name, list_line):
    """cuda-keyring_1.1-1_all.deb with the files NVIDIA's has: the keyring and the repository's .list."""
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, 'DEBIAN'))
        with open(os.path.join(root, 'DEBIAN', 'control'), 'w') as handle:
            handle.write('Package: cuda-keyring\nVersion: 1.1-1\nArchitecture: all\nMaintainer: cudatools '
                         '<cudatools@nvidia.com>\nDescription: GPG keyring for the CUDA repository (recorded '
                         'stand-in)\n')
        os.makedirs(os.path.join(root, 'usr/share/keyrings'))
        shutil.copy(keyring, os.path.join(root, 'usr/share/keyrings/cuda-archive-keyring.gpg'))
        os.makedirs(os.path.join(root, 'etc/apt/sources.list.d'))
        with open(os.path.join(root, 'etc/apt/sources.list.d', list_name), 'w') as handle:
            handle.write(list_line + '\n')
        _run(['dpkg-deb', '--root-owner-group', '--build', root, path])


def build(out, base_url):
    """Every recorded repository under out/, as the vendors lay them out; returns the keyring paths."""
    home = os.path.join(out, 'gnupg')
    pub, asc = ensure_key(home)
    keys = os.path.join(out, 'keys')
    os.makedirs(keys, exist_ok=True)
    shutil.copy(pub, os.path.join(keys, 'recorded.gpg'))
    shutil.copy(asc, os.path.join(keys, 'recorded.asc'))
    for distro in CUDA_DISTROS:
        directory = os.path.join(out, 'cuda', distro, 'x86_64')
        flat(directory, os.path.join(RECORDED, 'cuda-%s-x86_64.Packages' % distro), 'NVIDIA', 'NVIDIA CUDA', home)
        line = 'deb [signed-by=/usr/share/keyrings/cuda-archive-keyring.gpg] %s/cuda/%s/x86_64/ /' % (base_url, distro)
        keyring_deb(os.path.join(directory, 'cuda-keyring_1.1-1_all.deb'), pub, 'cuda-%s-x86_64.list' % distro, line)
    flat(os.path.join(out, 'libnvidia-container', 'stable', 'deb', 'amd64'),
         os.path.join(RECORDED, 'nvidia-container-toolkit-amd64.Packages'), 'github.com/NVIDIA/libnvidia-container',
         'NVIDIA Container Toolkit', home)
    dist = os.path.join(out, 'rocm', 'apt', '6.4', 'dists', 'jammy')
    os.makedirs(os.path.join(dist, 'main', 'binary-amd64'), exist_ok=True)
    with open(os.path.join(dist, 'main', 'binary-amd64', 'Packages'), 'w') as handle:
        handle.write(stanzas(os.path.join(RECORDED, 'rocm-6.4-jammy-amd64.Packages')))
    _release(dist, ['main/binary-amd64/Packages'], 'repo.radeon.com', 'repo.radeon.com', 'jammy', 'main')
    _sign(dist, home)
    return {'gpg': os.path.join(keys, 'recorded.gpg'), 'asc': os.path.join(keys, 'recorded.asc')}


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    print(build(sys.argv[1], sys.argv[2].rstrip('/')))
