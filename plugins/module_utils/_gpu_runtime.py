# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NVIDIA container runtime in Docker's daemon.json and containerd's config.toml, without I/O.

What `nvidia-ctk runtime configure` does, as text in and text out: the rest of the user's file is kept as it
is (for TOML, line by line, comments included), and a file that already says what is wanted comes back
unchanged, byte for byte.

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

import json
import re

try:
    import tomllib
except ImportError:  # Python < 3.11 on the target: edits are still made, checked by re-reading them
    tomllib = None

CONTAINERD_CRI = {2: ('plugins', 'io.containerd.grpc.v1.cri', 'containerd'),
                  3: ('plugins', 'io.containerd.cri.v1.runtime', 'containerd')}


class RuntimeConfigError(ValueError):
    """A config file that cannot be edited safely; the message names the file's problem."""


# ------------------------------------------------------------------------------------------- Docker

def docker_daemon(text, name='nvidia', path='nvidia-container-runtime', default=False, cdi=None, state='present'):
    """daemon.json text -> new text. runtimes.<name> = {args: [], path}; default-runtime when default (and
    removed when it names this runtime and default is false); features.cdi when cdi is a bool."""
    try:
        data = json.loads(text) if (text or '').strip() else {}
    except ValueError as exc:
        raise RuntimeConfigError('not valid JSON (%s)' % exc) from None
    if not isinstance(data, dict):
        raise RuntimeConfigError('expected a JSON object at the top, got %s' % type(data).__name__)
    before = json.dumps(data, sort_keys=True)
    runtimes = data.get('runtimes', {})
    if not isinstance(runtimes, dict):
        raise RuntimeConfigError('"runtimes": expected an object, got %s' % type(runtimes).__name__)
    if state == 'present':
        data['runtimes'] = dict(runtimes, **{name: {'args': [], 'path': path}})
        if default:
            data['default-runtime'] = name
        elif data.get('default-runtime') == name:
            del data['default-runtime']
        if cdi is not None:
            features = data.get('features', {})
            if not isinstance(features, dict):
                raise RuntimeConfigError('"features": expected an object, got %s' % type(features).__name__)
            data['features'] = dict(features, cdi=bool(cdi))
    else:
        if name in runtimes:
            runtimes = dict(runtimes)
            del runtimes[name]
            if runtimes:
                data['runtimes'] = runtimes
            else:
                data.pop('runtimes', None)
        if data.get('default-runtime') == name:
            del data['default-runtime']
    if json.dumps(data, sort_keys=True) == before:
        return text
    return json.dumps(data, indent=4) + '\n'


# --------------------------------------------------------------------------------------- TOML editing

_HEADER = re.compile(r'^\s*\[(?!\[)(?P<key>[^\]#]+(?:"[^"]*"[^\]#]*)*)\]\s*(#.*)?$')
_BARE = re.compile(r'^[A-Za-z0-9_-]+$')


def _split_key(key):
    parts, current, quote = [], '', None
    for char in key.strip():
        if quote:
            if char == quote:
                quote = None
            else:
                current += char
        elif char in '"\'':
            quote = char
        elif char == '.':
            parts.append(current.strip())
            current = ''
        else:
            current += char
    parts.append(current.strip())
    return tuple(parts)


def _render_key(parts):
    return '.'.join(p if _BARE.match(p) else json.dumps(p) for p in parts)


def _render_value(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)


def _tables(lines):
    """[(table key tuple, header line index, end index)] for the [table] headers."""
    headers = []
    for index, line in enumerate(lines):
        match = _HEADER.match(line)
        if match:
            headers.append((_split_key(match.group('key')), index))
        elif line.lstrip().startswith('[['):
            headers.append((None, index))
    result = []
    for number, (key, index) in enumerate(headers):
        end = headers[number + 1][1] if number + 1 < len(headers) else len(lines)
        if key is not None:
            result.append((key, index, end))
    return result


def _key_line(line, key):
    match = re.match(r'^\s*(?P<key>"[^"]*"|\'[^\']*\'|[A-Za-z0-9_-]+)\s*=\s*(?P<value>.*)$', line)
    if not match:
        return None
    found = match.group('key').strip('"\'')
    return match.group('value') if found == key else None


def _same(raw, value):
    raw = re.sub(r'\s+#.*$', '', raw.strip()) if not raw.strip().startswith(('"', "'")) else raw.strip()
    if tomllib is not None:
        try:
            return tomllib.loads('x = %s' % raw)['x'] == value
        except (ValueError, TypeError):
            return False
    return raw == _render_value(value)


def toml_set(lines, table, key, value):
    """Set table.key = value in the lines (a list, edited in place); add the table at the end when missing."""
    for found, start, end in _tables(lines):
        if found != table:
            continue
        last = start
        for index in range(start + 1, end):
            raw = _key_line(lines[index], key)
            if raw is not None:
                if not _same(raw, value):
                    indent = re.match(r'^\s*', lines[index]).group(0)
                    lines[index] = '%s%s = %s' % (indent, key, _render_value(value))
                return
            if lines[index].strip() and not lines[index].strip().startswith('#'):
                last = index
        indent = re.match(r'^\s*', lines[last]).group(0) if last > start else \
            re.match(r'^\s*', lines[start]).group(0) + '  '
        lines.insert(last + 1, '%s%s = %s' % (indent, key, _render_value(value)))
        return
    if lines and lines[-1].strip():
        lines.append('')
    lines.extend(['[%s]' % _render_key(table), '  %s = %s' % (key, _render_value(value))])


def toml_unset(lines, table, key):
    for found, start, end in _tables(lines):
        if found == table:
            for index in range(start + 1, end):
                if _key_line(lines[index], key) is not None:
                    del lines[index]
                    return


def toml_drop_tables(lines, prefix):
    """Remove every [table] whose key starts with prefix (the table and its sub-tables)."""
    while True:
        hit = next(((s, e) for k, s, e in _tables(lines) if k[:len(prefix)] == prefix), None)
        if hit is None:
            while lines and not lines[-1].strip():
                lines.pop()
            return
        start, end = hit
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1  # keep the blank line that separates the next table
        del lines[start:end]
        while start > 0 and start < len(lines) and not lines[start - 1].strip() and not lines[start].strip():
            del lines[start]


def _get(tree, path):
    for part in path:
        if not isinstance(tree, dict) or part not in tree:
            return None
        tree = tree[part]
    return tree


# ----------------------------------------------------------------------------------------- containerd

def containerd_version(text):
    match = re.search(r'(?m)^\s*version\s*=\s*(\d+)', text or '')
    return int(match.group(1)) if match else None


def containerd_config(text, name='nvidia', path='/usr/bin/nvidia-container-runtime', default=False,
                      state='present', version=None):
    """config.toml text -> new text: the runtime under the CRI plugin (config version 2: containerd 1.x,
    version 3: containerd 2.x), runtime_type io.containerd.runc.v2, options.BinaryName = path, SystemdCgroup
    copied from runc's options when set there, and default_runtime_name when default."""
    text = text or ''
    version = containerd_version(text) or version or 2
    if version not in CONTAINERD_CRI:
        raise RuntimeConfigError('version = %s: expected a containerd config version 2 or 3' % version)
    if tomllib is not None and text.strip():
        try:
            current = tomllib.loads(text)
        except ValueError as exc:
            raise RuntimeConfigError('not valid TOML (%s)' % exc) from None
    else:
        current = None
    cri = CONTAINERD_CRI[version]
    runtime = cri + ('runtimes', name)
    lines = text.splitlines()
    if not text.strip():
        lines = ['version = %d' % version]
    if state == 'present':
        toml_set(lines, runtime, 'runtime_type', 'io.containerd.runc.v2')
        toml_set(lines, runtime + ('options',), 'BinaryName', path)
        systemd = _get(current, cri + ('runtimes', 'runc', 'options', 'SystemdCgroup')) if current else None
        if isinstance(systemd, bool):
            toml_set(lines, runtime + ('options',), 'SystemdCgroup', systemd)
        if default:
            toml_set(lines, cri, 'default_runtime_name', name)
        elif current and _get(current, cri + ('default_runtime_name',)) == name:
            toml_unset(lines, cri, 'default_runtime_name')
    else:
        toml_drop_tables(lines, runtime)
        if current and _get(current, cri + ('default_runtime_name',)) == name:
            toml_unset(lines, cri, 'default_runtime_name')
    result = '\n'.join(lines) + '\n'
    if result.rstrip('\n') == text.rstrip('\n'):
        return text
    _check(result, cri, name, path, default, state)
    return result


def _check(result, cri, name, path, default, state):
    """Re-read the edited file: it must parse and say what was asked (tables given as inline tables or dotted
    keys elsewhere in the file would make the edit a duplicate definition)."""
    if tomllib is None:
        return
    try:
        tree = tomllib.loads(result)
    except ValueError as exc:
        raise RuntimeConfigError('the edit would not be valid TOML (%s): the file defines the runtimes in a form '
                                 'this module does not edit (inline tables or dotted keys); move them under '
                                 '[%s] tables' % (exc, _render_key(cri + ('runtimes',)))) from None
    runtime = _get(tree, cri + ('runtimes', name))
    if state == 'present':
        ok = (isinstance(runtime, dict) and runtime.get('runtime_type') == 'io.containerd.runc.v2'
              and _get(runtime, ('options', 'BinaryName')) == path
              and (not default or _get(tree, cri + ('default_runtime_name',)) == name))
    else:
        ok = runtime is None and _get(tree, cri + ('default_runtime_name',)) != name
    if not ok:
        raise RuntimeConfigError('the edited file does not say what was asked for runtime %r' % name)
