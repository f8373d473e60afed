# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""apt sources without I/O: read one-line (sources.list) and deb822 (.sources) files as apt does, find the
entries that already serve a repository, and render the entries gpu_stack adds so that apt never sees two
values of Signed-By for one repository ("Conflicting values set for option Signed-By", apt 2.x and 3.x).

Private to homelab.cluster: not a public API.
"""

from __future__ import annotations

import re

# the first line of every file gpu_stack writes; a file with it is ours (never "the host's" source to reuse)
MARKER = '# Managed by homelab.cluster.gpu_stack'
# files an earlier gpu_stack wrote (header "Ansible managed") next to the vendors' own: removed on the next run
LEGACY_FILES = ('homelab-debian-nonfree.sources', 'homelab-cuda.sources', 'homelab-rocm.sources',
                'nvidia-container-toolkit.sources')
# apt's options that must agree between entries of one repository (apt-pkg/sourcelist.cc, metaindex.cc)
_MUST_AGREE = ('signed-by', 'trusted')


class SourcesError(ValueError):
    """A sources file apt itself would reject."""


def _norm_uri(uri, arch=None):
    """apt's view of a URI: $(ARCH) substituted, one trailing slash."""
    uri = uri.strip()
    if arch:
        uri = uri.replace('$(ARCH)', arch)
    return uri.rstrip('/') + '/'


def _norm_suite(suite, arch=None):
    suite = suite.strip()
    if arch:
        suite = suite.replace('$(ARCH)', arch)
    # a flat repository's suite is "/" or "./"; apt treats them alike
    if suite in ('/', './'):
        return '/'
    return suite.rstrip('/') if suite.endswith('/') and not suite.startswith('.') else suite


def _signed_by(value):
    """Signed-By as apt compares it: paths or fingerprints in order; an inline key as 'inline:<first line>'."""
    if value is None:
        return None
    value = value.strip()
    if '-----BEGIN PGP PUBLIC KEY BLOCK-----' in value:
        body = [line.strip() for line in value.splitlines() if line.strip() and line.strip() != '.']
        return 'inline:%d:%s' % (len(body), body[-2] if len(body) > 1 else '')
    return ','.join(part for part in re.split(r'[\s,]+', value) if part)


def parse_one_line(text, path):
    """sources.list lines -> entries ({types, uris, suites, components, options, path, line})."""
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split('#', 1)[0].strip()
        if not line:
            continue
        match = re.match(r'^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?([^\s\[]\S*)\s+(\S+)\s*(.*)$', line)
        if not match:
            raise SourcesError('%s:%d: expected "deb [options] URI suite [components]", got %r' % (path, number, raw))
        kind, opts, uri, suite, comps = match.groups()
        options = {}
        for opt in (opts or '').split():
            key, dummy, value = opt.partition('=')
            options[key.strip().lower().rstrip('+-')] = value.strip()
        entries.append({'types': [kind], 'uris': [uri], 'suites': [suite], 'components': comps.split(),
                        'options': options, 'path': path, 'line': number, 'enabled': True})
    return entries


def parse_deb822(text, path):
    """A .sources file -> entries, one per stanza (multi-value fields kept as lists)."""
    entries, fields, key, start = [], {}, None, None

    def close():
        if fields:
            entries.append(_stanza(fields, path, start))

    for number, raw in enumerate(text.splitlines() + [''], 1):
        if raw.startswith('#'):
            continue
        if not raw.strip():
            close()
            fields, key = {}, None
            continue
        if raw[:1] in (' ', '\t'):
            if key is None:
                raise SourcesError('%s:%d: a continuation line before any field' % (path, number))
            fields[key] += '\n' + raw.strip()
            continue
        if ':' not in raw:
            raise SourcesError('%s:%d: expected "Field: value", got %r' % (path, number, raw))
        if not fields:
            start = number
        key, dummy, value = raw.partition(':')
        key = key.strip().lower()
        fields[key] = value.strip()
    return entries


def _stanza(fields, path, line):
    for need in ('types', 'uris', 'suites'):
        if not fields.get(need):
            raise SourcesError('%s:%d: the stanza has no %s' % (path, line, need.capitalize()))
    options = {k: v for k, v in fields.items() if k not in ('types', 'uris', 'suites', 'components', 'enabled')}
    return {'types': fields['types'].split(), 'uris': fields['uris'].split(), 'suites': fields['suites'].split(),
            'components': fields.get('components', '').split(), 'options': options, 'path': path, 'line': line,
            'enabled': fields.get('enabled', 'yes').strip().lower() not in ('no', 'false', '0')}


def parse(files):
    """{path: text} of /etc/apt/sources.list and sources.list.d/* -> (entries, legacy paths to remove).

    Files gpu_stack wrote (MARKER) and its legacy files are left out of the entries: they are ours to rewrite.
    """
    entries, legacy = [], []
    for path in sorted(files):
        text = files[path]
        name = path.rsplit('/', 1)[-1]
        if text.startswith(MARKER):
            continue
        if name in LEGACY_FILES and 'Ansible managed' in text.split('\n', 1)[0]:
            legacy.append(path)
            continue
        if name.endswith('.sources'):
            entries.extend(parse_deb822(text, path))
        elif name.endswith('.list') or name == 'sources.list':
            entries.extend(parse_one_line(text, path))
    return entries, legacy


def serving(entries, uri, suite, arch=None):
    """The enabled binary entries that serve (uri, suite): the host's own lines for that repository."""
    want_uri, want_suite = _norm_uri(uri, arch), _norm_suite(suite, arch)
    found = []
    for entry in entries:
        if not entry['enabled'] or 'deb' not in entry['types']:
            continue
        if entry['options'].get('arch') and arch and arch not in entry['options']['arch'].split(','):
            continue
        if entry['options'].get('architectures') and arch and arch not in entry['options']['architectures'].split():
            continue
        uris = [_norm_uri(u, arch) for u in entry['uris']]
        suites = [_norm_suite(s, arch) for s in entry['suites']]
        if want_uri in uris and want_suite in suites:
            found.append(entry)
    return found


def entries_for_suite(entries, suite, arch=None):
    """Enabled binary entries that name this suite, whatever their URI (a Debian or Ubuntu mirror of any name)."""
    want = _norm_suite(suite, arch)
    return [e for e in entries if e['enabled'] and 'deb' in e['types']
            and want in [_norm_suite(s, arch) for s in e['suites']]]


def agreed_options(found):
    """The options our entry must repeat for a repository the host already lists: Signed-By and Trusted, as
    the host's first entry has them (None: the host's entry has none, so ours has none either)."""
    if not found:
        return None
    options = found[0]['options']
    return {key: options.get(key) for key in _MUST_AGREE if options.get(key) is not None}


def conflicts(entries, arch=None):
    """The repositories apt would refuse: one (uri, suite) with two values of an option that must agree."""
    seen, problems = {}, []
    for entry in entries:
        if not entry['enabled']:
            continue
        for uri in entry['uris']:
            for suite in entry['suites']:
                key = (_norm_uri(uri, arch), _norm_suite(suite, arch))
                for option in _MUST_AGREE:
                    value = entry['options'].get(option)
                    if option == 'signed-by':
                        value = _signed_by(value)
                    first = seen.setdefault(key + (option,), (value, entry['path']))
                    if first[0] != value:
                        problems.append('%s %s: %s %s (%s) != %s (%s)'
                                        % (key[0], key[1], option, first[0], first[1], value, entry['path']))
    return problems


def render(stanzas, comment):
    """deb822 text for our stanzas ({uris, suites, components, options}) under the MARKER line."""
    lines = [MARKER, '# ' + comment]
    for stanza in stanzas:
        lines.append('')
        lines.append('Types: deb')
        lines.append('URIs: ' + ' '.join(stanza['uris']))
        lines.append('Suites: ' + ' '.join(stanza['suites']))
        if stanza.get('components'):
            lines.append('Components: ' + ' '.join(stanza['components']))
        for key in sorted(stanza.get('options') or {}):
            value = stanza['options'][key]
            if value is not None:
                lines.append('%s: %s' % ('-'.join(part.capitalize() for part in key.split('-')), value))
    return '\n'.join(lines) + '\n'


def render_pin(value, priority, comment, field='o'):
    """An apt preferences file that prefers one origin (o=, AMD's rocm-pin-600) or label (l=, NVIDIA's
    cuda-repository-pin-600) over the distribution."""
    return '%s\n# %s\nPackage: *\nPin: release %s=%s\nPin-Priority: %d\n' % (MARKER, comment, field, value, priority)
