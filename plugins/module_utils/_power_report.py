# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The power report, rendered without I/O: a static HTML page (inline SVG, no scripts, nothing fetched) and a
Markdown summary, from the power guard's decision log (one JSON object per line).

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

import json

from ansible_collections.homelab.cluster.plugins.module_utils._report import esc as _e
from ansible_collections.homelab.cluster.plugins.module_utils._report import fmt as _fmt
from ansible_collections.homelab.cluster.plugins.module_utils._report import page as _shell

WIDTH, BAR_H, GAP = 760, 22, 8


def read_log(lines):
    """The guard's decisions (entries with a plan and readings), oldest first; other lines are skipped."""
    out = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and 'plan' in entry and 'readings' in entry:
            out.append(entry)
    return out


def hosts_chart(entry):
    """Horizontal bars of the latest watts per host, plus the house total against limit and target."""
    readings = entry['readings']
    hosts = sorted((readings.get('hosts') or {}).items(), key=lambda kv: -(kv[1].get('watts') or 0))
    house, limit, target = readings.get('house_w') or 0, entry.get('limit_w') or 0, entry['plan'].get('target_w')
    scale_max = max([limit, house] + [h.get('watts') or 0 for _n, h in hosts] + [1])
    label_w, chart_w = 150, WIDTH - 150 - 90
    rows = [('house', house, readings.get('house_source', 'house'))] + \
        [(name, h.get('watts'), h.get('source', '')) for name, h in hosts]
    height = len(rows) * (BAR_H + GAP) + 54
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" role="img" width="%d" height="%d" viewBox="0 0 %d %d" '
             'aria-label="watts per host and the house budget">' % (WIDTH, height, WIDTH, height)]
    for i, (name, watts, source) in enumerate(rows):
        y = 24 + i * (BAR_H + GAP)
        width = chart_w * float(watts or 0) / scale_max
        color = '#c0392b' if name.startswith('house') and house > limit else (
            '#7f8c8d' if source == 'estimate' else '#2e86c1')
        parts.append('<text x="0" y="%d" font-size="13">%s</text>' % (y + 16, _e(name)))
        parts.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %s W (%s)</title></rect>'
                     % (label_w, y, width, BAR_H, color, _e(name), _fmt(watts), _e(source)))
        parts.append('<text x="%.1f" y="%d" font-size="13">%s W</text>'
                     % (label_w + width + 6, y + 16, _fmt(watts)))
    for value, name, dash, label_y in ((limit, 'limit', '', 14), (target, 'target', '6 4', height - 8)):
        if value:
            x = label_w + chart_w * float(value) / scale_max
            parts.append('<line x1="%.1f" y1="18" x2="%.1f" y2="%d" stroke="#c0392b" stroke-width="2"%s/>'
                         % (x, x, height - 22, ' stroke-dasharray="%s"' % dash if dash else ''))
            parts.append('<text x="%.1f" y="%d" font-size="12" fill="#c0392b" text-anchor="end">%s %s W</text>'
                         % (x + 40, label_y, name, _fmt(value)))
    parts.append('</svg>')
    return '\n'.join(parts)


def history_chart(entries):
    """The house draw of every decision against the limit, as a line."""
    points = [(e['readings'].get('house_w') or 0, e.get('limit_w') or 0) for e in entries]
    if len(points) < 2:
        return ''
    height, left, right = 180, 50, WIDTH - 20
    top = max(max(p) for p in points) * 1.05 or 1
    bottom = min(min(p) for p in points) * 0.95
    span = (top - bottom) or 1

    def xy(i, value):
        return (left + (right - left) * i / (len(points) - 1), 10 + (height - 40) * (1 - (value - bottom) / span))

    house = ' '.join('%.1f,%.1f' % xy(i, p[0]) for i, p in enumerate(points))
    limit = ' '.join('%.1f,%.1f' % xy(i, p[1]) for i, p in enumerate(points))
    return ('<svg xmlns="http://www.w3.org/2000/svg" role="img" width="%d" height="%d" '
            'aria-label="house draw over time against the limit">'
            '<polyline points="%s" fill="none" stroke="#c0392b" stroke-dasharray="6 4" stroke-width="2"/>'
            '<polyline points="%s" fill="none" stroke="#2e86c1" stroke-width="2"/>'
            '<text x="%d" y="%d" font-size="12">house draw (blue) and limit (red), %d decisions, %s to %s W'
            '</text></svg>' % (WIDTH, height, limit, house, left, height - 6, len(points), _fmt(bottom), _fmt(top)))


def render_html(entries, title='homelab power report', last=20):
    """The page: latest chart, then each recent decision beside the readings that caused it."""
    if not entries:
        body = '<p>No decisions logged yet: run playbooks/power_guard.yml first.</p>'
        return _page(title, body)
    latest = entries[-1]
    sections = ['<h2>Now: %s</h2>' % _e(latest['plan'].get('state')),
                '<p class="why">%s</p>' % '<br>'.join(_e(r) for r in latest['plan'].get('reasons', [])),
                hosts_chart(latest), history_chart(entries[-last:]),
                '<h2>Decisions (newest first)</h2>']
    sections.extend(decision_section(entry) for entry in reversed(entries[-last:]))
    return _page(title, '\n'.join(s for s in sections if s))


def decision_section(entry):
    """One decision beside the readings that caused it (also on the house status page)."""
    plan, readings = entry['plan'], entry['readings']
    actions = ''.join('<li>%s</li>' % _e(a.get('reason')) for a in plan.get('actions', [])) or '<li>none</li>'
    rows = ''.join('<tr><td>%s</td><td class="num">%s</td><td>%s</td></tr>'
                   % (_e(name), _fmt(h.get('watts')), _e(h.get('source')))
                   for name, h in sorted((readings.get('hosts') or {}).items()))
    ups = ''.join('<li>%s: %s, battery %s%%, %s s left</li>'
                  % (_e(name), _e(' '.join(u.get('status') or [])), _fmt(u.get('charge_pct')),
                     _fmt(u.get('runtime_s'))) for name, u in sorted((readings.get('ups') or {}).items()))
    missing = ''.join('<li>%s</li>' % _e(u) for u in readings.get('unavailable') or [])
    return ('<section class="decision"><h3>%s: %s</h3><div class="cols"><div><h4>Decision</h4><p>%s</p>'
            '<ul>%s</ul></div><div><h4>Readings</h4><p>house <b>%s W</b> (%s), limit %s W, target %s W, '
            'solar %s W</p><table><tr><th>host</th><th>W</th><th>source</th></tr>%s</table><ul>%s</ul>%s'
            '</div></div></section>'
            % (_e(entry.get('time')), _e(plan.get('state')), '<br>'.join(_e(r) for r in plan.get('reasons', [])),
               actions, _fmt(readings.get('house_w')), _e(readings.get('house_source')), _fmt(entry.get('limit_w')),
               _fmt(plan.get('target_w')), _fmt(readings.get('solar_w')), rows, ups,
               '<p>unavailable:</p><ul class="bad">%s</ul>' % missing if missing else ''))


def _page(title, body):
    return _shell(title, body)


def render_markdown(entries, title='homelab power report', last=20):
    if not entries:
        return '# %s\n\nNo decisions logged yet.\n' % title
    lines = ['# %s' % title, '', '| time | state | house W | limit W | actions | why |', '|---|---|---|---|---|---|']
    for entry in reversed(entries[-last:]):
        plan, readings = entry['plan'], entry['readings']
        lines.append('| %s | %s | %s | %s | %s | %s |' % (
            entry.get('time'), plan.get('state'), _fmt(readings.get('house_w')), _fmt(entry.get('limit_w')),
            '; '.join(a.get('reason', '') for a in plan.get('actions', [])).replace('|', '/') or '-',
            '; '.join(plan.get('reasons', [])).replace('|', '/')))
    return '\n'.join(lines) + '\n'
