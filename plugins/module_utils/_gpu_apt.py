# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""gpu_stack's plan for one host, without I/O: which apt sources, pins and keyring packages it needs (reusing the
host's own entries for a repository instead of adding a conflicting one), and the install steps per vendor, so
that one vendor's failure never blocks another's. homelab.cluster.gpu_packages_info returns it; the role applies
it; tests/integration/targets/gpu_stack_resolve resolves it with apt against real package lists.

Private to homelab.cluster: not a public API.
"""

from __future__ import annotations

from ansible_collections.homelab.cluster.plugins.module_utils import _gpu_select as select
from ansible_collections.homelab.cluster.plugins.module_utils import _gpu_sources as sources

SOURCES_DIR = '/etc/apt/sources.list.d'
PREFERENCES_DIR = '/etc/apt/preferences.d'
KEYRING_DIR = '/etc/apt/keyrings'

DEFAULTS = {
    'nvidia_source': 'distribution', 'nvidia_open': None, 'nvidia_branch': None, 'nvidia_server': True,
    'nvidia_persistence': True,
    'rocm_source': 'distribution', 'rocm_version': '6.4', 'rocm_suite': None,
    'intel': True, 'container_toolkit': True,
    'debian_mirror': 'http://deb.debian.org/debian',
    'debian_security_mirror': 'http://security.debian.org/debian-security',
    'debian_keyring': '/usr/share/keyrings/debian-archive-keyring.gpg',
    'ubuntu_mirror': None, 'ubuntu_security_mirror': None,
    'ubuntu_keyring': '/usr/share/keyrings/ubuntu-archive-keyring.gpg',
    'cuda_repo_url': 'https://developer.download.nvidia.com/compute/cuda/repos',
    'cuda_keyring_deb': 'cuda-keyring_1.1-1_all.deb',
    'container_toolkit_repo': 'https://nvidia.github.io/libnvidia-container/stable/deb',
    'container_toolkit_key': 'https://nvidia.github.io/libnvidia-container/gpgkey',
    'rocm_repo_url': 'https://repo.radeon.com/rocm/apt',
    'rocm_repo_key': 'https://repo.radeon.com/rocm/rocm.gpg.key',
}
DEB_ARCH = {'x86_64': 'amd64', 'aarch64': 'arm64', 'amd64': 'amd64', 'arm64': 'arm64'}
CUDA_ARCH = {'x86_64': 'x86_64', 'amd64': 'x86_64', 'aarch64': 'sbsa', 'arm64': 'sbsa'}
# AMD's documented pin (rocm-pin-600) and the one NVIDIA's CUDA repository documents (cuda-repository-pin-600)
ROCM_PIN = ('repo.radeon.com', 600)
CUDA_PIN_LABEL = 'NVIDIA CUDA'


_GPU_TEXT = ('vendor', 'model', 'pci_name', 'gfx_target', 'bus_id', 'device_id')


def check_gpus(gpus):
    """gpu_info's records as the plan reads them, or a SelectError naming the record and the field."""
    if not isinstance(gpus, list):
        raise select.SelectError('gpus: expected a list of gpu_info records, got %r' % (gpus,))
    for index, gpu in enumerate(gpus):
        if not isinstance(gpu, dict):
            raise select.SelectError('gpus[%d]: expected a gpu_info record (a mapping), got %r' % (index, gpu))
        for key in _GPU_TEXT:
            if gpu.get(key) is not None and not isinstance(gpu[key], str):
                raise select.SelectError('gpus[%d].%s: expected a string, got %r' % (index, key, gpu[key]))
        cap = gpu.get('compute_capability')
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, (str, int, float))):
            raise select.SelectError('gpus[%d].compute_capability: expected a version like 8.9, got %r' % (index, cap))


def usable(gpus):
    """The host's own discrete GPUs: not integrated ones, not those passed through to a VM, not accelerators."""
    return [g for g in gpus or [] if not g.get('integrated') and not g.get('passthrough') and not g.get('accelerator')]


def _archive(release, settings, deb_arch):
    """(mirror, security mirror, keyring, suites) of the distribution's own archive."""
    code = release['codename']
    if release['distribution'] == 'debian':
        return (settings['debian_mirror'], settings['debian_security_mirror'], settings['debian_keyring'],
                [code, code + '-updates'], code + '-security')
    ports = deb_arch != 'amd64'
    mirror = settings['ubuntu_mirror'] or ('http://ports.ubuntu.com/ubuntu-ports' if ports
                                           else 'http://archive.ubuntu.com/ubuntu')
    security = settings['ubuntu_security_mirror'] or ('http://ports.ubuntu.com/ubuntu-ports' if ports
                                                      else 'http://security.ubuntu.com/ubuntu')
    return mirror, security, settings['ubuntu_keyring'], [code, code + '-updates'], code + '-security'


# the last path element of a distribution archive's URI, whatever the mirror (ftp.de.debian.org, apt-cacher, ...),
# and the vendors' hosts whose paths look alike (AMD's https://repo.radeon.com/amdgpu/6.4/ubuntu)
ARCHIVE_PATHS = {'debian': ('debian', 'debian-security'), 'ubuntu': ('ubuntu', 'ubuntu-ports')}
VENDOR_HOSTS = ('repo.radeon.com', 'developer.download.nvidia.com', 'nvidia.github.io', 'repositories.intel.com',
                'ppa.launchpadcontent.net')


def _archive_uri(uri, paths):
    host = uri.split('://', 1)[-1].split('/', 1)[0].split('@')[-1].split(':')[0]
    return uri.rstrip('/').rsplit('/', 1)[-1] in paths and host not in VENDOR_HOSTS


def archive_entries(release, entries, suite, deb_arch):
    """The host's entries for a suite of the distribution's own archive (not a vendor's that shares the suite name,
    as AMD's noble and jammy do)."""
    paths = ARCHIVE_PATHS[release['distribution']]
    found = sources.entries_for_suite(entries, suite, deb_arch)
    return [e for e in found if any(_archive_uri(u, paths) for u in e['uris'])]


def archive_stanzas(release, settings, entries, wanted, deb_arch):
    """The archive entries to add: the components the host lacks, on the host's own mirror with the host's own
    Signed-By (apt merges them); a suite the host lacks entirely (the release or its security suite) from the
    default mirror. An -updates suite the host does not use stays unused."""
    mirror, security, keyring, suites, security_suite = _archive(release, settings, deb_arch)
    stanzas = []
    for suite in suites + [security_suite]:
        found = archive_entries(release, entries, suite, deb_arch)
        if not found:
            if suite.endswith('-updates'):
                continue
            uri = security if suite == security_suite else mirror
            stanzas.append({'uris': [uri], 'suites': [suite], 'components': list(wanted),
                            'options': {'signed-by': keyring}})
            continue
        paths = ARCHIVE_PATHS[release['distribution']]
        uri = next(u for u in found[0]['uris'] if _archive_uri(u, paths))
        have = set()
        for entry in sources.serving(entries, uri, suite, deb_arch):
            have.update(entry['components'])
        missing = [c for c in wanted if c not in have]
        if missing:
            stanzas.append({'uris': [uri], 'suites': [suite], 'components': missing,
                            'options': sources.agreed_options(sources.serving(entries, uri, suite, deb_arch))})
    return stanzas


def _vendor_repo(name, uri, suite, components, key, entries, deb_arch, comment):
    """One vendor repository: reuse the host's entry for it, else our own file signed by the vendor's key."""
    found = sources.serving(entries, uri, suite, deb_arch)
    if found:
        return {'name': name, 'reuse': found[0]['path'], 'path': None, 'content': None, 'key': None}
    keyring = key if key.startswith('/') else '%s/homelab-gpu-%s.asc' % (KEYRING_DIR, name)
    stanza = {'uris': [uri], 'suites': [suite], 'components': components, 'options': {'signed-by': keyring}}
    return {'name': name, 'reuse': None, 'path': '%s/homelab-gpu-%s.sources' % (SOURCES_DIR, name),
            'content': sources.render([stanza], comment), 'key': None if key.startswith('/') else
            {'src': key, 'dest': keyring}}


def _pinned(preferences, needle):
    """Whether a preferences file the host already has pins this origin or label (a vendor's own pin file)."""
    return next((p for p, text in sorted(preferences.items())
                 if needle in text and not text.startswith(sources.MARKER)),
                None)


def plan(host, gpus, settings=None, files=None, preferences=None):
    """The whole plan for one host.

    host: {distribution, version, arch, kernel, proxmox}; gpus: gpu_info's list; settings: DEFAULTS overrides;
    files: {path: text} of sources.list and sources.list.d; preferences: {path: text} of preferences.d.
    """
    settings = dict(DEFAULTS, **{k: v for k, v in (settings or {}).items() if v is not None})
    check_gpus(gpus)
    found = usable(gpus)
    vendors = sorted({g.get('vendor') for g in found if g.get('vendor') in ('nvidia', 'amd', 'intel')})
    if not settings['intel']:
        vendors = [v for v in vendors if v != 'intel']
    result = {'gpus': found, 'vendors': vendors, 'release': None, 'sources': [], 'pins': [], 'keyring_debs': [],
              'remove': [], 'steps': [], 'errors': {}, 'notes': [], 'nvidia': None, 'groups': [],
              'conflicts': []}
    if not vendors:
        return result
    release = select.release_of(host.get('distribution'), host.get('version'))
    result['release'] = release['key']
    deb_arch = DEB_ARCH.get(host.get('arch'), host.get('arch'))
    entries, result['remove'] = sources.parse(files or {})
    preferences = preferences or {}
    picked, kinds = {}, {}

    if 'nvidia' in vendors:
        try:
            picked['nvidia'] = select.nvidia(release, [g for g in found if g.get('vendor') == 'nvidia'], settings,
                                             deb_arch, host.get('kernel'), host.get('proxmox'))
            kinds['nvidia'] = picked['nvidia']['source']
            result['nvidia'] = {k: picked['nvidia'][k] for k in ('modules', 'branch', 'source', 'secure_boot')}
            result['notes'] += ['nvidia: ' + n for n in picked['nvidia']['notes']]
        except select.SelectError as exc:
            result['errors']['nvidia'] = str(exc)
    if 'amd' in vendors:
        try:
            picked['amd'] = select.amd(release, settings)
            result['groups'] = ['render', 'video']
        except select.SelectError as exc:
            result['errors']['amd'] = str(exc)
    if 'intel' in vendors:
        picked['intel'] = select.intel(release)
        result['notes'] += ['intel: ' + n for n in picked['intel']['notes']]
        result['groups'] = ['render', 'video']

    # the distribution's archive: the components the selected packages come from
    wanted = select.components(release, [v for v in vendors if v in picked], kinds)
    stanzas = archive_stanzas(release, settings, entries, wanted, deb_arch) if wanted else []
    if stanzas:
        name = release['distribution']
        result['sources'].append({'name': name, 'reuse': None, 'key': None,
                                  'path': '%s/homelab-gpu-%s.sources' % (SOURCES_DIR, name),
                                  'content': sources.render(stanzas, 'components the GPU packages come from')})

    nvidia_pick = picked.get('nvidia')
    if nvidia_pick and nvidia_pick['source'] == 'cuda':
        uri = '%s/%s/%s/' % (settings['cuda_repo_url'].rstrip('/'), release['key'], CUDA_ARCH.get(host.get('arch')))
        found_cuda = sources.serving(entries, uri, '/', deb_arch)
        if found_cuda:
            result['sources'].append({'name': 'cuda', 'reuse': found_cuda[0]['path'], 'path': None, 'content': None,
                                      'key': None})
        else:
            # NVIDIA's documented way: the cuda-keyring package brings the key and the repository's .list file
            result['keyring_debs'].append({'vendor': 'nvidia', 'package': 'cuda-keyring',
                                           'url': uri + settings['cuda_keyring_deb']})
        if not _pinned(preferences, CUDA_PIN_LABEL):
            result['pins'].append({'path': '%s/homelab-gpu-cuda-pin-600' % PREFERENCES_DIR,
                                   'content': sources.render_pin(CUDA_PIN_LABEL, 600, 'NVIDIA\'s packages before '
                                                                 'the distribution\'s', field='l')})
    amd_pick = picked.get('amd')
    if amd_pick and amd_pick['suite']:
        uri = '%s/%s' % (settings['rocm_repo_url'].rstrip('/'), settings['rocm_version'])
        result['sources'].append(_vendor_repo('rocm', uri, amd_pick['suite'], ['main'], settings['rocm_repo_key'],
                                              entries, deb_arch, 'AMD ROCm %s' % settings['rocm_version']))
        if not _pinned(preferences, ROCM_PIN[0]):
            result['pins'].append({'path': '%s/homelab-gpu-rocm-pin-600' % PREFERENCES_DIR,
                                   'content': sources.render_pin(ROCM_PIN[0], ROCM_PIN[1], 'AMD\'s ROCm before '
                                                                 'the distribution\'s')})
    toolkit = bool(nvidia_pick) and settings['container_toolkit']
    if toolkit:
        uri = '%s/%s' % (settings['container_toolkit_repo'].rstrip('/'), deb_arch)
        result['sources'].append(_vendor_repo('nvidia-container-toolkit', uri, '/', [],
                                              settings['container_toolkit_key'], entries, deb_arch,
                                              'NVIDIA container toolkit'))

    for vendor in ('nvidia', 'amd', 'intel'):
        pick = picked.get(vendor)
        if not pick:
            continue
        steps = pick['steps'] if vendor == 'nvidia' else [pick['packages']]
        for number, packages in enumerate(steps):
            result['steps'].append({'vendor': vendor, 'name': '%s %d/%d' % (vendor, number + 1, len(steps)),
                                    'packages': packages})
        if vendor == 'nvidia' and toolkit:
            result['steps'].append({'vendor': 'nvidia-container-toolkit', 'name': 'nvidia-container-toolkit 1/1',
                                    'packages': ['nvidia-container-toolkit']})

    # what apt would see once our files are written, checked the way apt checks it
    ours = []
    for item in result['sources']:
        if item['content']:
            ours.extend(sources.parse_deb822(item['content'].replace(sources.MARKER, '#'), item['path']))
    result['conflicts'] = sources.conflicts(entries + ours, deb_arch)
    return result
