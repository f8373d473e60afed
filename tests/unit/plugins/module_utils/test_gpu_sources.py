"""apt sources as apt reads them: one-line and deb822 files, reuse of the host's entries, Signed-By conflicts."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils import _gpu_sources as s

INSTALLER_12 = ('deb http://deb.debian.org/debian/ bookworm main non-free-firmware\n'
                '# deb-src http://deb.debian.org/debian/ bookworm main\n'
                'deb http://security.debian.org/debian-security bookworm-security main non-free-firmware\n')
TOOLKIT_LIST = ('deb [signed-by=/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg] '
                'https://nvidia.github.io/libnvidia-container/stable/deb/$(ARCH) /\n')
DEB822 = ('# the trixie host\nTypes: deb deb-src\nURIs: http://deb.debian.org/debian/\nSuites: trixie trixie-updates\n'
          'Components: main non-free-firmware\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n'
          'Types: deb\nURIs: http://example.org/off\nSuites: trixie\nComponents: main\nEnabled: no\n')
INLINE = ('Types: deb\nURIs: https://repo.example/\nSuites: stable\nComponents: main\nSigned-By:\n'
          ' -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n mQINBGFake\n =abcd\n -----END PGP PUBLIC KEY BLOCK-----\n')


def test_one_line_format():
    entries = s.parse_one_line(INSTALLER_12 + TOOLKIT_LIST, '/etc/apt/sources.list')
    assert [(e['uris'], e['suites'], e['components']) for e in entries] == [
        (['http://deb.debian.org/debian/'], ['bookworm'], ['main', 'non-free-firmware']),
        (['http://security.debian.org/debian-security'], ['bookworm-security'], ['main', 'non-free-firmware']),
        (['https://nvidia.github.io/libnvidia-container/stable/deb/$(ARCH)'], ['/'], [])]
    assert entries[2]['options'] == {'signed-by': '/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg'}
    assert entries[1]['line'] == 3


@pytest.mark.parametrize('line', ['deb', 'deb http://x', 'rpm http://x stable main', 'deb [arch=amd64 http://x s'])
def test_one_line_errors_name_the_line(line):
    with pytest.raises(s.SourcesError, match=r'/etc/apt/sources.list:1: expected'):
        s.parse_one_line(line + '\n', '/etc/apt/sources.list')


def test_deb822_format():
    entries = s.parse_deb822(DEB822, 'x.sources')
    assert entries[0]['types'] == ['deb', 'deb-src'] and entries[0]['suites'] == ['trixie', 'trixie-updates']
    assert entries[0]['options'] == {'signed-by': '/usr/share/keyrings/debian-archive-keyring.gpg'}
    assert entries[0]['line'] == 2 and entries[1]['enabled'] is False
    inline = s.parse_deb822(INLINE, 'i.sources')[0]
    assert inline['options']['signed-by'].startswith('\n-----BEGIN PGP PUBLIC KEY BLOCK-----') or \
        '-----BEGIN PGP PUBLIC KEY BLOCK-----' in inline['options']['signed-by']


@pytest.mark.parametrize('text, error', [
    ('URIs: http://x\nSuites: s\n', 'the stanza has no Types'),
    ('Types: deb\nSuites: s\n', 'the stanza has no Uris'),
    (' continued\n', 'a continuation line before any field'),
    ('Types deb\n', 'expected "Field: value"'),
])
def test_deb822_errors(text, error):
    with pytest.raises(s.SourcesError, match=error):
        s.parse_deb822(text, 'bad.sources')


def test_parse_skips_ours_and_finds_legacy_files():
    files = {
        '/etc/apt/sources.list': INSTALLER_12,
        '/etc/apt/sources.list.d/homelab-gpu-debian.sources': s.MARKER + '\nTypes: deb\nURIs: http://x\nSuites: s\n',
        '/etc/apt/sources.list.d/homelab-cuda.sources': '# Ansible managed\nTypes: deb\nURIs: http://y\nSuites: /\n',
        '/etc/apt/sources.list.d/nvidia-container-toolkit.sources': 'Types: deb\nURIs: http://z\nSuites: /\n',
        '/etc/apt/sources.list.d/README': 'not a source',
    }
    entries, legacy = s.parse(files)
    assert legacy == ['/etc/apt/sources.list.d/homelab-cuda.sources']
    # a user's own file that happens to carry a legacy name stays (no "Ansible managed" header)
    assert sorted({e['path'] for e in entries}) == ['/etc/apt/sources.list',
                                                    '/etc/apt/sources.list.d/nvidia-container-toolkit.sources']


def test_serving_matches_as_apt_does():
    entries = s.parse_one_line(INSTALLER_12 + TOOLKIT_LIST, 'l') + s.parse_deb822(DEB822, 'd')
    toolkit = 'https://nvidia.github.io/libnvidia-container/stable/deb/amd64'
    assert len(s.serving(entries, toolkit, '/', 'amd64')) == 1          # $(ARCH) substituted
    assert len(s.serving(entries, toolkit + '/', './', 'amd64')) == 1   # trailing slash, "./" suite
    assert s.serving(entries, toolkit, '/', 'arm64') == []
    assert len(s.serving(entries, 'http://deb.debian.org/debian', 'bookworm')) == 1
    assert s.serving(entries, 'http://example.org/off', 'trixie') == []  # Enabled: no
    assert len(s.entries_for_suite(entries, 'trixie-updates')) == 1
    arch_only = s.parse_one_line('deb [arch=arm64] http://a/ s main\n', 'a')
    assert s.serving(arch_only, 'http://a', 's', 'amd64') == [] and s.serving(arch_only, 'http://a', 's', 'arm64')


def test_agreed_options():
    host = s.parse_one_line(INSTALLER_12, 'l')
    assert s.agreed_options([]) is None
    assert s.agreed_options(host) == {}
    signed = s.parse_deb822(DEB822, 'd')
    assert s.agreed_options(signed) == {'signed-by': '/usr/share/keyrings/debian-archive-keyring.gpg'}


def test_conflicts_like_apt():
    ours = s.parse_deb822('Types: deb\nURIs: https://nvidia.github.io/libnvidia-container/stable/deb/amd64\n'
                          'Suites: /\nSigned-By: /etc/apt/keyrings/homelab-gpu-nvidia-container-toolkit.asc\n', 'o')
    vendor = s.parse_one_line(TOOLKIT_LIST, 'v')
    problems = s.conflicts(vendor + ours, 'amd64')
    assert len(problems) == 1 and 'signed-by' in problems[0] and '(v)' in problems[0] and '(o)' in problems[0]
    # same value, or a different suite, is no conflict; disabled entries do not count
    assert s.conflicts(vendor + s.parse_one_line(TOOLKIT_LIST, 'again'), 'amd64') == []
    off = s.parse_deb822('Types: deb\nURIs: https://nvidia.github.io/libnvidia-container/stable/deb/amd64\n'
                         'Suites: /\nSigned-By: /k\nEnabled: no\n', 'off')
    assert s.conflicts(vendor + off, 'amd64') == []
    # two spellings of one keyring list are one value
    a = s.parse_deb822('Types: deb\nURIs: http://r/\nSuites: s\nSigned-By: /a /b\n', 'a')
    b = s.parse_one_line('deb [signed-by=/a,/b] http://r s main\n', 'b')
    assert s.conflicts(a + b) == []
    inline = s.parse_deb822(INLINE, 'i') + s.parse_deb822(INLINE, 'j')
    assert s.conflicts(inline) == []


def test_render_round_trips():
    text = s.render([{'uris': ['http://deb.debian.org/debian/'], 'suites': ['bookworm'],
                      'components': ['contrib', 'non-free'], 'options': {'signed-by': '/k.gpg', 'trusted': None}},
                     {'uris': ['https://r/amd64'], 'suites': ['/'], 'options': None}], 'why')
    assert text.startswith(s.MARKER + '\n# why\n\nTypes: deb\n')
    assert 'Signed-By: /k.gpg' in text and 'Trusted' not in text and 'Components: \n' not in text
    entries = s.parse_deb822(text, 'r')
    assert [e['components'] for e in entries] == [['contrib', 'non-free'], []]
    pin = s.render_pin('NVIDIA CUDA', 600, 'c', field='l')
    assert pin.endswith('Package: *\nPin: release l=NVIDIA CUDA\nPin-Priority: 600\n')
