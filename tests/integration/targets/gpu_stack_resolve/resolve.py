"""gpu_stack's package selection, resolved by apt against real Debian 12 and Debian 13 package lists.

For each case a fresh lab container of the release (debootstrap minbase, apt of that release: 2.6 on bookworm,
3.0 on trixie) gets the apt sources of a host (as Debian's installer writes them, or as the vendors' own
instructions write them), then exactly what homelab.cluster.gpu_packages_info plans for it (the same pure code:
plugins/module_utils/_gpu_apt.py and _gpu_select.py): our sources files, pins and keyring packages. apt-get update
must run without an error or warning (a Signed-By conflict stops it), and apt-get install -s must resolve every
install step and all of them together (no "no installation candidate", no unmet dependencies).

Debian's archive is the real one (deb.debian.org, security.debian.org through deb.debian.org); NVIDIA's and AMD's
repositories, which these machines cannot reach, are signed local copies of recorded metadata (recorded.py).

Mutants prove the test has teeth: each removes a component, a suite or a package guard from the role's tables (or
writes sources the way the previous gpu_stack did), and apt must then fail. A mutant that still resolves fails
the test.

    python3 resolve.py [CASE_ID ...]      # all cases without arguments
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..', '..', '..'))
BUILD = os.path.join(ROOT, '.build', 'gpu-resolve')
COLLECTIONS = os.path.join(ROOT, '.build', 'collections')
LINK = os.path.join(COLLECTIONS, 'ansible_collections', 'homelab', 'cluster')
if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(os.path.join('..', '..', '..', '..'), LINK)
sys.path.insert(0, COLLECTIONS)
sys.path.insert(0, HERE)

import recorded  # noqa: E402

from ansible_collections.homelab.cluster.plugins.module_utils import _gpu_apt  # noqa: E402
from ansible_collections.homelab.cluster.plugins.module_utils import _gpu_select  # noqa: E402

NETWORK, SUBNET = 'gpu-resolve', '10.77.91.128/25'
LABEL = 'homelab.gpu-resolve=1'
MIRROR = 'http://deb.debian.org/debian'
SRV = '/srv/gpu-recorded'
BASE = 'file:' + SRV
RELEASES = {'debian12': ('bookworm', '12'), 'debian13': ('trixie', '13')}
KERNEL = {'debian12': '6.1.0-41-amd64', 'debian13': '6.12.57+deb13-amd64'}
SETTINGS = {
    'cuda_repo_url': BASE + '/cuda',
    'container_toolkit_repo': BASE + '/libnvidia-container/stable/deb',
    'container_toolkit_key': SRV + '/keys/recorded.gpg',
    'rocm_repo_url': BASE + '/rocm/apt',
    'rocm_repo_key': SRV + '/keys/recorded.gpg',
}
GPUS = {
    'ada': {'vendor': 'nvidia', 'model': 'GeForce RTX 4070 Ti SUPER', 'pci_name': 'AD103 [GeForce RTX 4070 Ti SUPER]',
            'compute_capability': '8.9'},
    'pascal': {'vendor': 'nvidia', 'model': 'GeForce GTX 1080', 'pci_name': 'GP104 [GeForce GTX 1080]',
               'compute_capability': None},
    'rdna3': {'vendor': 'amd', 'model': 'Radeon RX 7900 XT', 'gfx_target': 'gfx1100', 'rocm': 'supported'},
    'arc': {'vendor': 'intel', 'model': 'Arc A770', 'pci_name': 'DG2 [Arc A770]', 'device_id': '56a0'},
}


def installer_sources(release):
    """What Debian's installer leaves: main and non-free-firmware; bookworm in one-line format, trixie in deb822
    (as apt 3's modernize-sources writes it)."""
    suite = RELEASES[release][0]
    if release == 'debian12':
        return {'/etc/apt/sources.list': (
            f'deb http://deb.debian.org/debian/ {suite} main non-free-firmware\n'
            f'deb http://security.debian.org/debian-security {suite}-security main non-free-firmware\n'
            f'deb http://deb.debian.org/debian/ {suite}-updates main non-free-firmware\n')}
    return {'/etc/apt/sources.list.d/debian.sources': (
        f'Types: deb\nURIs: http://deb.debian.org/debian/\nSuites: {suite} {suite}-updates\n'
        'Components: main non-free-firmware\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n'
        f'Types: deb\nURIs: http://security.debian.org/debian-security/\nSuites: {suite}-security\n'
        'Components: main non-free-firmware\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n')}


def vendor_sources(release):
    """A host set up by the vendors' own instructions: Debian's wiki (NvidiaGraphicsDrivers: all four components),
    cuda-keyring's .list, the container toolkit's published .list (with $(ARCH)) and AMD's rocm.list with its pin."""
    suite = RELEASES[release][0]
    comps = 'main contrib non-free non-free-firmware'
    files = {
        '/etc/apt/sources.list': (
            f'deb http://deb.debian.org/debian/ {suite} {comps}\n'
            f'deb http://security.debian.org/debian-security {suite}-security {comps}\n'
            f'deb http://deb.debian.org/debian/ {suite}-updates {comps}\n'),
        '/etc/apt/sources.list.d/cuda-%s-x86_64.list' % release: (
            'deb [signed-by=/usr/share/keyrings/cuda-archive-keyring.gpg] %s/cuda/%s/x86_64/ /\n' % (BASE, release)),
        '/etc/apt/sources.list.d/nvidia-container-toolkit.list': (
            'deb [signed-by=/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg] '
            '%s/libnvidia-container/stable/deb/$(ARCH) /\n' % BASE),
    }
    prefs = {}
    if release in _gpu_select.ROCM_SUITES:
        files['/etc/apt/sources.list.d/rocm.list'] = (
            'deb [arch=amd64 signed-by=/etc/apt/keyrings/rocm.gpg] %s/rocm/apt/6.4 %s main\n'
            % (BASE, _gpu_select.ROCM_SUITES[release]))
        prefs['/etc/apt/preferences.d/rocm-pin-600'] = 'Package: *\nPin: release o=repo.radeon.com\nPin-Priority: 600\n'
    return files, prefs


VENDOR_KEYRINGS = ('/usr/share/keyrings/cuda-archive-keyring.gpg',
                   '/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg',
                   '/etc/apt/keyrings/rocm.gpg')


class Case:
    def __init__(self, ident, release, host, gpus, settings=None, expect='resolves', check=None, mutate=None,
                 why=''):
        self.ident, self.release, self.host, self.gpus = ident, release, host, [GPUS[g] for g in gpus]
        self.settings = dict(SETTINGS, **(settings or {}))
        self.expect, self.check, self.mutate, self.why = expect, check, mutate, why


def _installed(name, version_prefix):
    def check(out):
        match = re.search(r'^Inst %s \((\S+)' % re.escape(name), out, re.M)
        if not match or not match.group(1).startswith(version_prefix):
            return 'expected %s %s*, apt chose %s' % (name, version_prefix, match.group(1) if match else 'nothing')
        return None
    return check


@contextlib.contextmanager
def patched(obj, name, value):
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


@contextlib.contextmanager
def patched_item(table, key, value):
    old = table[key]
    table[key] = value
    try:
        yield
    finally:
        table[key] = old


def _no_security(release, settings, entries, wanted, deb_arch, real=_gpu_apt.archive_stanzas):
    return [s for s in real(release, settings, entries, wanted, deb_arch) if not s['suites'][0].endswith('-security')]


def cases():
    out = []
    for rel in RELEASES:
        out += [
            Case(rel + '-installer-all', rel, 'installer', ['ada', 'rdna3', 'arc'],
                 why='NVIDIA (Debian, default modules), AMD (Debian ROCm), Intel, toolkit on an installer host'),
            Case(rel + '-installer-proprietary', rel, 'installer', ['ada'], {'nvidia_open': False}),
            Case(rel + '-installer-pascal', rel, 'installer', ['pascal']),
            Case(rel + '-cuda-open', rel, 'installer', ['ada'], {'nvidia_source': 'cuda', 'nvidia_branch': '580'},
                 check=_installed('nvidia-driver', '580.'), why='cuda-keyring, branch lock 580 with 590 present'),
            Case(rel + '-cuda-unlocked', rel, 'installer', ['ada'], {'nvidia_source': 'cuda'},
                 check=_installed('nvidia-driver', '590.'),
                 why='control: without the lock apt takes the newest branch'),
            Case(rel + '-cuda-proprietary', rel, 'installer', ['pascal'], {'nvidia_source': 'cuda'},
                 check=_installed('nvidia-kernel-dkms', '580.'), why='pre-Turing: locked to 580 by itself'),
            Case(rel + '-vendor-host', rel, 'vendor', ['ada', 'rdna3'],
                 {'nvidia_source': 'cuda', 'nvidia_branch': '580',
                  'rocm_source': 'amd' if rel in _gpu_select.ROCM_SUITES else 'distribution'},
                 why='sources written by the vendors: reused, nothing conflicting added'),
        ]
    out += [
        Case('debian12-open-refused', 'debian12', 'installer', ['ada'], {'nvidia_open': True}, expect='refused'),
        Case('debian13-rocm-repo-refused', 'debian13', 'installer', ['rdna3'], {'rocm_source': 'amd'},
             expect='refused'),
        Case('debian12-rocm-repo', 'debian12', 'installer', ['rdna3'], {'rocm_source': 'amd'},
             check=_installed('rocminfo', '1.0.0.60401'), why='AMD\'s jammy suite on Debian 12, pinned over Debian\'s'),
        # mutants: the role with one guard removed must fail
        Case('mutant-no-contrib', 'debian13', 'installer', ['ada'], expect='fails',
             mutate=lambda: patched_item(_gpu_select.DEBIAN_COMPONENTS, 'nvidia',
                                         ['main', 'non-free', 'non-free-firmware']),
             why='contrib removed: nvidia-open-kernel-dkms and nvidia-persistenced have no candidate'),
        Case('mutant-no-security', 'debian12', 'installer', ['ada'], expect='fails',
             mutate=lambda: patched(_gpu_apt, 'archive_stanzas', _no_security),
             why='security suite not extended: the driver and its GSP firmware disagree'),
        Case('mutant-open-on-bookworm', 'debian12', 'installer', ['ada'], {'nvidia_open': True}, expect='fails',
             mutate=lambda: patched_item(_gpu_select.DEBIAN_NVIDIA, 'debian12', {'branch': 535, 'open': True}),
             why='the refusal lifted: apt cannot install the open modules next to the security driver'),
        Case('mutant-old-intel-list', 'debian13', 'installer', ['arc'], expect='fails',
             mutate=lambda: patched_item(_gpu_select.INTEL, 'debian13',
                                         ['intel-opencl-icd', 'intel-media-va-driver-non-free', 'vainfo', 'clinfo']),
             why='intel-opencl-icd is not in Debian 13'),
        Case('mutant-old-role-sources', 'debian12', 'vendor', ['ada'], {'nvidia_source': 'cuda'}, expect='fails',
             mutate=lambda: patched(_gpu_apt.sources, 'serving', lambda *a, **k: []),
             why='our own .sources next to the vendors\' .list: Signed-By conflict'),
    ]
    return out


# ------------------------------------------------------------------------------------------- podman plumbing

def sh(argv, check=True, input_bytes=None):
    result = subprocess.run(argv, input=input_bytes, capture_output=True, check=False)
    out = result.stdout.decode(errors='replace') + result.stderr.decode(errors='replace')
    if check and result.returncode:
        raise RuntimeError('%s exited %s: %s' % (' '.join(argv[:4]), result.returncode, out.strip()[-2000:]))
    return result.returncode, out


def image(suite):
    recipe = {'version': 1, 'suite': suite, 'mirror': MIRROR, 'variant': 'minbase'}
    digest = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]
    name = 'localhost/homelab-gpu-resolve-%s:%s' % (suite, digest)
    if sh(['podman', 'image', 'exists', name], check=False)[0] == 0:
        return name
    started = time.time()
    with tempfile.TemporaryDirectory(dir=BUILD) as rootfs:
        sh(['debootstrap', '--variant=minbase', suite, rootfs, MIRROR])
        tar = subprocess.Popen(['tar', '-C', rootfs, '--numeric-owner', '-c', '.'], stdout=subprocess.PIPE)
        imp = subprocess.run(['podman', 'import', '-q', '--change', 'CMD ["sleep", "infinity"]', '-', name],
                             stdin=tar.stdout, capture_output=True, check=False)
        tar.stdout.close()
        if tar.wait() or imp.returncode:
            raise RuntimeError('podman import of %s failed: %s' % (suite, imp.stderr.decode()))
    print('built %s in %.0f s' % (name, time.time() - started), flush=True)
    return name


def network():
    if sh(['podman', 'network', 'exists', NETWORK], check=False)[0]:
        sh(['podman', 'network', 'create', '--label', LABEL, '--subnet', SUBNET, NETWORK])


def cleanup():
    out = sh(['podman', 'ps', '-aq', '--filter', 'label=' + LABEL], check=False)[1]
    for cid in out.split():
        sh(['podman', 'rm', '-f', cid], check=False)


class Host:
    """One lab container of a release, with the recorded repositories and the list cache mounted."""

    def __init__(self, name, img, cache_rw=False):
        self.name = 'gpu-resolve-' + name
        sh(['podman', 'rm', '-f', self.name], check=False)
        sh(['podman', 'run', '-d', '--name', self.name, '--label', LABEL, '--network', NETWORK,
            '-v', '%s:%s:ro' % (os.path.join(BUILD, 'recorded'), SRV),
            '-v', '%s:/cache%s' % (self.cache_dir(img), '' if cache_rw else ':ro'), img])

    @staticmethod
    def cache_dir(img):
        path = os.path.join(BUILD, 'lists-' + img.split('-')[-1].split(':')[0])
        os.makedirs(path, exist_ok=True)
        return path

    def run(self, script, check=False):
        return sh(['podman', 'exec', self.name, 'sh', '-c', script], check=check)

    def put(self, files, mode=0o644):
        """Write {path: text} into the container in one tar stream."""
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode='w') as tar:
            for path, text in files.items():
                data = text if isinstance(text, bytes) else text.encode()
                info = tarfile.TarInfo(path.lstrip('/'))
                info.size, info.mode = len(data), mode
                tar.addfile(info, io.BytesIO(data))
        sh(['podman', 'exec', '-i', self.name, 'tar', '-x', '-C', '/'], input_bytes=buf.getvalue())

    def close(self):
        sh(['podman', 'rm', '-f', '-t', '0', self.name], check=False)


APT = 'apt-get -q -o APT::Sandbox::User=root -o Acquire::Languages=none'


def refresh_cache(release, img):
    """Every list a case may need, once per run (If-Modified-Since makes a repeat cheap), seeded into each case."""
    suite = RELEASES[release][0]
    host = Host('cache-' + suite, img, cache_rw=True)
    try:
        comps = 'main contrib non-free non-free-firmware'
        host.run('rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*; '
                 'cp -a /cache/. /var/lib/apt/lists/ 2>/dev/null')
        lines = ['deb %s %s %s' % (MIRROR, name, comps) for name in (suite, suite + '-updates')]
        lines.append('deb http://security.debian.org/debian-security %s-security %s' % (suite, comps))
        host.put({'/etc/apt/sources.list': '\n'.join(lines) + '\n'})
        rc, out = host.run(APT + ' update && rm -rf /cache/* && cp -a /var/lib/apt/lists/. /cache/')
        if rc:
            raise RuntimeError('apt-get update of %s failed: %s' % (suite, out[-1500:]))
    finally:
        host.close()


# ------------------------------------------------------------------------------------------------ a case

def host_files(case):
    files, prefs = (installer_sources(case.release), {}) if case.host == 'installer' else vendor_sources(case.release)
    return files, prefs


def run_case(case, images):
    """None when the case behaved as expected, else what went wrong."""
    files, prefs = host_files(case)
    host = {'distribution': 'Debian', 'version': RELEASES[case.release][1], 'arch': 'x86_64',
            'kernel': KERNEL[case.release]}
    with case.mutate() if case.mutate else contextlib.nullcontext():
        plan = _gpu_apt.plan(host, case.gpus, case.settings, files, prefs)
    if plan['errors']:
        if case.expect == 'refused':
            print('   refused: %s' % '; '.join('%s: %s' % kv for kv in plan['errors'].items()))
            return None
        return 'the role refused: %s' % plan['errors']
    if case.expect == 'refused':
        return 'expected the role to refuse, it planned %s' % [s['packages'] for s in plan['steps']]
    if plan['conflicts'] and case.expect != 'fails':
        return 'the plan itself sees conflicts: %s' % plan['conflicts']

    # cases whose hosts end up with the same apt configuration share one container and one apt-get update
    key = json.dumps([case.release, files, prefs, plan['remove'], plan['sources'], plan['pins'], plan['keyring_debs']],
                     sort_keys=True)
    if key not in BOXES:
        for old in BOXES.values():
            old.close()
        BOXES.clear()
        box = BOXES[key] = Host(case.ident, images[case.release])
        problem = _apply(box, case, plan, files, prefs)
        if problem:
            BOXES.pop(key).close()
            return problem
    else:
        print('   (same apt configuration as the case before: same container)')
    return _resolve(BOXES[key], case, plan)


BOXES = {}


def _apply(box, case, plan, files, prefs):
    """The host's sources, then the plan as the role applies it; apt-get update must be clean."""
    box.run('rm -f /etc/apt/sources.list /etc/apt/sources.list.d/* /etc/apt/preferences.d/*; '
            'mkdir -p /etc/apt/keyrings; cp -a /cache/. /var/lib/apt/lists/ 2>/dev/null', check=True)
    box.put(dict(files, **prefs))
    if case.host == 'vendor':
        with open(os.path.join(BUILD, 'recorded', 'keys', 'recorded.gpg'), 'rb') as handle:
            keyring = handle.read()
        box.put(dict.fromkeys(VENDOR_KEYRINGS, keyring))
        rc, out = box.run('dpkg -i %s/cuda/%s/x86_64/cuda-keyring_1.1-1_all.deb' % (SRV, case.release))
        if rc:
            return 'the vendor host\'s cuda-keyring did not install: %s' % out[-500:]
    for path in plan['remove']:
        box.run('rm -f ' + path)
    box.put({s['path']: s['content'] for s in plan['sources'] if s['content']})
    box.put({p['path']: p['content'] for p in plan['pins']})
    for deb in plan['keyring_debs']:
        rc, out = box.run('dpkg -i %s' % deb['url'][len('file:'):])
        if rc:
            return '%s did not install: %s' % (deb['package'], out[-500:])
    rc, out = box.run(APT + ' update')
    bad = [line for line in out.splitlines() if line.startswith(('E:', 'W:', 'Err:'))]
    if rc or bad:
        return 'apt-get update: %s' % ' | '.join(bad or out.splitlines()[-3:])
    return None


def _resolve(box, case, plan):
    """apt-get install -s of every step, then of all steps together."""
    chosen, pins = [], []
    try:
        return _steps(box, case, plan, chosen, pins)
    finally:
        if pins:  # a pinning package "installed" for this case only
            box.run('rm -f ' + ' '.join(pins))


def _steps(box, case, plan, chosen, pins):
    for step in plan['steps']:
        rc, out = box.run('%s install -s %s' % (APT, ' '.join(step['packages'])))
        if rc:
            return '%s: apt-get install -s %s: %s' % (step['name'], ' '.join(step['packages']), _why(out))
        pinning = [p for p in step['packages'] if p.startswith('nvidia-driver-pinning-')]
        if pinning:
            # the pinning package is installed before the driver (NVIDIA: "prior to installing the driver")
            branch = pinning[0].rsplit('-', 1)[1]
            pins.append('/etc/apt/preferences.d/%s' % pinning[0])
            box.put({pins[-1]: recorded.pinning(branch)})
        else:
            chosen += step['packages']
    rc, out = box.run('%s install -s %s' % (APT, ' '.join(chosen)))
    if rc:
        return 'all steps together: %s' % _why(out)
    summary = sorted({(p, v) for p, v in re.findall(r'^Inst (\S+) \((\S+)', out, re.M)
                      if p in chosen or p.startswith('firmware-nvidia-gsp')})
    print('   %s' % ', '.join('%s %s' % pv for pv in summary))
    if case.check:
        return case.check(out)
    return None


def _why(out):
    lines = [line.strip() for line in out.splitlines()
             if re.search(r'^E:|no installation candidate|Unable to locate|Depends:|but .* is to be installed|'
                          r'Conflicting values|not going to be installed', line)]
    return ' | '.join(lines[:6]) or out.strip().splitlines()[-1]


def main(argv):
    started = time.time()
    os.makedirs(BUILD, exist_ok=True)
    wanted = [c for c in cases() if not argv or c.ident in argv]
    recorded.build(os.path.join(BUILD, 'recorded'), BASE)
    cleanup()
    network()
    images = {rel: image(RELEASES[rel][0]) for rel in sorted({c.release for c in wanted})}
    for rel, img in images.items():
        refresh_cache(rel, img)
    print('lists ready in %.0f s' % (time.time() - started), flush=True)
    failed = []
    try:
        for case in wanted:
            t0 = time.time()
            print('%s (%s)%s' % (case.ident, case.expect, ': ' + case.why if case.why else ''), flush=True)
            problem = run_case(case, images)
            if case.expect == 'fails':
                if problem:
                    print('PASS %s failed as it must: %s (%.0f s)' % (case.ident, problem, time.time() - t0),
                          flush=True)
                else:
                    print('FAIL %s resolved, but must not: the test cannot tell this role from a broken one'
                          % case.ident, flush=True)
                    failed.append(case.ident)
            elif problem:
                print('FAIL %s: %s (%.0f s)' % (case.ident, problem, time.time() - t0), flush=True)
                failed.append(case.ident)
            else:
                print('PASS %s (%.0f s)' % (case.ident, time.time() - t0), flush=True)
    finally:
        BOXES.clear()
        cleanup()
    print('gpu_stack resolution: %d cases, %d failed, %.0f s' % (len(wanted), len(failed), time.time() - started))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
