# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Prometheus text format for node-exporter's textfile collector, and the atomic write it needs (a file read
half-written would be dropped whole by node-exporter). Installed by homelab.cluster.monitoring beside the
collectors in /usr/local/lib/homelab-monitoring."""

import math
import os
import tempfile


def _label(value):
    return str(value).replace('\\', '\\\\').replace('\n', '\\n').replace('"', '\\"')


def _number(value):
    value = float(value)
    if math.isnan(value):
        return 'NaN'
    if math.isinf(value):
        return '+Inf' if value > 0 else '-Inf'
    return ('%d' % value) if value == int(value) and abs(value) < 1e15 else repr(value)


class Metrics:
    """Samples grouped by metric name, each name with its HELP and TYPE once."""

    def __init__(self):
        self.families = {}

    def add(self, name, value, doc, mtype='gauge', **labels):
        if value is None:
            return
        family = self.families.setdefault(name, {'doc': doc, 'kind': mtype, 'samples': []})
        family['samples'].append((tuple(sorted((k, str(v)) for k, v in labels.items() if v not in (None, ''))),
                                  value))

    def render(self):
        lines = []
        for name in sorted(self.families):
            family = self.families[name]
            lines.append('# HELP %s %s' % (name, family['doc'].replace('\\', '\\\\').replace('\n', ' ')))
            lines.append('# TYPE %s %s' % (name, family['kind']))
            for labels, value in family['samples']:
                text = ','.join('%s="%s"' % (k, _label(v)) for k, v in labels)
                lines.append('%s%s %s' % (name, '{%s}' % text if text else '', _number(value)))
        return '\n'.join(lines) + '\n'


def write_textfile(directory, name, text):
    """Write ``name`` in node-exporter's textfile directory atomically (0644)."""
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.%s.' % name)
    try:
        with os.fdopen(fd, 'w') as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.rename(tmp, os.path.join(directory, name))
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
