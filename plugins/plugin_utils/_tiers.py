# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side I/O for the ``homelab.cluster.tiers`` inventory plugin.

PRIVATE to the homelab.cluster collection; its API may change without notice.

Reading the hardware file (fast C YAML loader, duplicate keys refused), locating problems by line, and
reading the fact cache. The pure transforms live in ``plugins/module_utils/_hardware.py`` and friends.
"""

from __future__ import annotations

import os

import yaml

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - libyaml is part of every supported install, but be kind
    from yaml import SafeLoader as _BaseLoader

from ansible.errors import AnsibleParserError

from ansible_collections.homelab.cluster.plugins.module_utils._facts import hardware_from_facts

SOURCE_FORMAT = 1  # bump when the cached raw-source layout changes; older cache entries are then ignored


class _StrictLoader(_BaseLoader):
    """Safe loader that refuses duplicate mapping keys (a second ``forge:`` would silently win otherwise)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                continue
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    'while constructing a mapping', node.start_mark,
                    'found duplicate key %r' % (key,), key_node.start_mark)
            seen.add(key)
        return super(_StrictLoader, self).construct_mapping(node, deep=deep)


def fingerprint(path):
    st = os.stat(path)
    return [st.st_mtime_ns, st.st_size]


def read_hardware_file(path):
    """Parse the hardware file; a missing or unparsable file is an error naming the path (and line)."""
    try:
        with open(path, 'rb') as handle:
            text = handle.read()
    except OSError as exc:
        raise AnsibleParserError('homelab.cluster.tiers: cannot read the hardware file %s: %s'
                                 % (path, exc.strerror or exc)) from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a safe loader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = '%s:%d:%d' % (path, mark.line + 1, mark.column + 1) if mark else path
        raise AnsibleParserError('homelab.cluster.tiers: %s: invalid YAML: %s'
                                 % (where, ' '.join(str(p) for p in (exc.context, exc.problem) if p))) from None
    except yaml.YAMLError as exc:
        raise AnsibleParserError('homelab.cluster.tiers: %s: invalid YAML: %s' % (path, exc)) from None
    return {'format': SOURCE_FORMAT, 'path': path, 'fingerprint': fingerprint(path), 'data': data}


def cached_source_is_current(source, path):
    """A cached raw source is reused only if it has our layout and the file has not changed since."""
    try:
        return (isinstance(source, dict) and source.get('format') == SOURCE_FORMAT and source.get('path') == path
                and source.get('fingerprint') == fingerprint(path))
    except OSError:
        return False


def _line_of(node, path):
    """Walk a composed YAML node tree along ``path``; return the line (1-based) of the deepest node found."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    line, node = key_node.start_mark.line + 1, value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def format_problems(problems, path, what='the hardware file'):
    """One error text listing every problem as ``host.field: message (file line N)``."""
    try:
        with open(path, 'rb') as handle:
            root = yaml.compose(handle.read(), Loader=_BaseLoader)
    except (OSError, yaml.YAMLError):
        root = None
    name = os.path.basename(path)
    located = [(_line_of(root, problem.path) if root is not None else None, problem) for problem in problems]
    located.sort(key=lambda item: (item[0] is None, item[0] or 0))
    lines = ['  - %s%s' % (problem, ' (%s line %d)' % (name, line) if line else '') for line, problem in located]
    count = len(problems)
    return ('homelab.cluster.tiers: %d problem%s in %s %s; nothing was added to the inventory:\n%s'
            % (count, '' if count == 1 else 's', what, path, '\n'.join(lines)))


def read_fact_cache(cache_plugin, host_names):
    """Fields from cached facts: ({host: {dotted_field: value}}, [failure, ...]). Hosts without facts are skipped.

    A broken cache entry must not break the inventory: it is reported and the declared hardware still works.
    """
    out, failures = {}, []
    for name in host_names:
        try:
            facts = cache_plugin.get(name)
        except KeyError:
            continue
        except Exception as exc:  # noqa: BLE001 - any cache backend error becomes a warning, not a failure
            failures.append('%s: %s' % (name, exc))
            continue
        fields = hardware_from_facts(facts)
        if fields:
            out[name] = fields
    return out, failures
