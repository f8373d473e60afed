# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The harvest view: one static page (index.html, no script, nothing fetched) and its data (status.json) in
the officer's view directory, rebuilt by the officer after every event and by harvest-view.timer.

    harvest_view.py --config /etc/homelab/harvester/officer.json

``build_status`` and ``render_html`` are pure (tests/unit/roles/harvester/test_harvest_view.py); the README
section "Edge harvesters" documents status.json for the house status page.
"""

import argparse
import html
import json
import os
import sys
import time

import harvest_ledger
from harvest_io import write_atomic

RECENT = 20


def build_status(cfg, plan, reports, manifest, rejections, quarantine, now):
    """status.json: every edge's state, what each is assigned, the archive's recent promotions and
    rejections, what waits in quarantine, totals. ``plan`` is the edge play's plan.json (may be empty);
    ``reports`` maps host -> {received_at, report}."""
    interval = cfg['report_interval_s']
    assigned = plan.get('hosts') or {}
    edges = []
    for host in sorted(set(assigned) | set(reports)):
        got = reports.get(host) or {}
        state = harvest_ledger.edge_state(got.get('report'), got.get('received_at', 0), now, interval)
        state.update({'host': host, 'assigned': assigned.get(host, []),
                      'worker': state.get('worker') or (plan.get('workers') or {}).get(host),
                      'window': state.get('window') or (plan.get('windows') or {}).get(host)})
        edges.append(state)
    promoted = sorted(manifest, key=lambda r: r['promoted_at'], reverse=True)
    rejected = sorted(rejections, key=lambda r: r['at'], reverse=True)
    return {
        'generated_at': int(now), 'officer': cfg.get('host'), 'archive': cfg['archive'], 'edges': edges,
        'excluded': plan.get('excluded') or {}, 'unassigned': plan.get('unassigned') or [],
        'promotions': promoted[:RECENT], 'rejections': rejected[:RECENT],
        'quarantine': sorted(quarantine, key=lambda m: m.get('offered_at', 0)),
        'totals': {'archived_files': len(manifest), 'archived_bytes': sum(r['size'] for r in manifest),
                   'rejected': len(rejections), 'in_quarantine': len(quarantine),
                   'edges': len(edges), 'edges_working': sum(e['state'] in ('downloading', 'uploading')
                                                             for e in edges)},
    }


_CSS = '''body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d2733;background:#f6f7f9}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.4em 0 .4em}
table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:.35em .5em;border-bottom:1px solid #e3e6ea;
text-align:left;vertical-align:top}th{background:#eef1f4;font-weight:600}td.num{text-align:right;white-space:nowrap}
.s{display:inline-block;padding:0 .5em;border-radius:.8em;font-weight:600;font-size:.9em}
.idle{background:#e3f1e6;color:#1e6b32}.waiting{background:#eceff3;color:#445}.in-window{background:#e0ecfb;color:#1c4f8f}
.downloading,.uploading{background:#dbeafe;color:#1e40af}.backing-off{background:#fff3cd;color:#7a5600}
.failed,.silent{background:#fde2e1;color:#9b1c1c}.unknown{background:#eee;color:#666}
.bar{background:#e6e9ed;height:.6em;border-radius:.3em;min-width:8em}.bar div{background:#3b82f6;height:100%;
border-radius:.3em}.muted{color:#6b7480}.mono{font-family:ui-monospace,monospace;font-size:.85em;word-break:break-all}.bad{color:#9b1c1c}'''


def _e(value):
    return html.escape('' if value is None else str(value))


def _rate(bps):
    return '-' if not bps else '%s/s' % harvest_ledger.human_bytes(bps)


def _edge_row(edge):
    state = edge['state']
    total, done = edge.get('total'), edge.get('bytes')
    progress = ''
    if state in ('downloading', 'uploading') and total:
        pct = min(100.0, 100.0 * (done or 0) / total)
        progress = ('<div class="bar" title="%.1f %%"><div style="width:%.1f%%"></div></div>%s of %s (%.1f %%)'
                    % (pct, pct, harvest_ledger.human_bytes(done), harvest_ledger.human_bytes(total), pct))
    eta = harvest_ledger.duration(edge['eta_s']) if edge.get('eta_s') and state == 'downloading' else '-'
    signal = edge.get('last_signal') or {}
    last = ('%s %s %s ago' % (_e(signal.get('item')), _e(signal.get('verdict')),
                              harvest_ledger.duration(max(0, edge.get('generated_at', 0) - signal['at'])))
            if signal.get('at') else '-')
    seen = 'never' if edge.get('age_s') is None else '%s ago' % harvest_ledger.duration(edge['age_s'])
    return ('<tr><td><b>%s</b><br><span class="muted">%s worker</span></td><td><span class="s %s">%s</span><br>'
            '<span class="muted">%s</span></td><td>%s<br>%s</td><td class="num">%s</td><td class="num">%s</td>'
            '<td>%s</td><td>%s</td><td>%s</td></tr>'
            % (_e(edge['host']), _e(edge.get('worker') or '?'), state.replace(' ', '-'), _e(state),
               _e(edge.get('detail')), _e(edge.get('item') or ''), progress, _e(_rate(edge.get('rate_bps'))), _e(eta),
               _e(edge.get('window')), last, _e(seen)))


def render_html(status):
    when = time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(status['generated_at']))
    totals = status['totals']
    out = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30">',
           '<title>Harvest: edge harvesters and the archive</title><style>%s</style></head><body>' % _CSS,
           '<h1>Edge harvesters and the archive</h1>',
           '<p class="muted">Officer %s, archive %s, at %s. %d files archived (%s), %d rejected, %d in quarantine, '
           '%d of %d edges working.</p>' % (
               _e(status['officer']), _e(status['archive']), when, totals['archived_files'],
               harvest_ledger.human_bytes(totals['archived_bytes']), totals['rejected'], totals['in_quarantine'],
               totals['edges_working'], totals['edges']),
           '<h2>Edges</h2><table><tr><th>Host</th><th>State</th><th>Item, progress</th><th>Speed</th><th>ETA</th>'
           '<th>Window</th><th>Last signal</th><th>Last report</th></tr>']
    for edge in status['edges']:
        out.append(_edge_row(dict(edge, generated_at=status['generated_at'])))
    out.append('</table>')
    if status['excluded'] or status['unassigned']:
        out.append('<h2>Not harvesting</h2><ul>')
        out.extend('<li><b>%s</b>: %s</li>' % (_e(h), _e(r)) for h, r in sorted(status['excluded'].items()))
        out.extend('<li>source <b>%s</b> unassigned: %s</li>' % (_e(u['name']), _e(u['reason']))
                   for u in status['unassigned'])
        out.append('</ul>')
    out.append('<h2>Quarantine</h2>')
    if status['quarantine']:
        out.append('<table><tr><th>Source</th><th>From</th><th>Size</th><th>State</th><th>SHA-256</th></tr>')
        out.extend('<tr><td>%s</td><td>%s</td><td class="num">%s</td><td>%s %s</td><td class="mono">%s</td></tr>'
                   % (_e(q.get('name')), _e(q.get('host')), harvest_ledger.human_bytes(q.get('size')),
                      _e(q.get('status')), _e(q.get('reason') or ''), _e(q.get('sha256')))
                   for q in status['quarantine'])
        out.append('</table>')
    else:
        out.append('<p class="muted">Empty.</p>')
    out.append('<h2>Recent promotions</h2><table><tr><th>Promoted</th><th>Path</th><th>Size</th><th>From</th>'
               '<th>Verified by</th><th>SHA-256</th></tr>')
    out.extend('<tr><td>%s</td><td>%s</td><td class="num">%s</td><td>%s</td><td>%s</td><td class="mono">%s</td></tr>'
               % (time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(r['promoted_at'])), _e(r['path']),
                  harvest_ledger.human_bytes(r['size']), _e(r['host']), _e(r['verified']), _e(r['sha256']))
               for r in status['promotions'])
    out.append('</table><h2>Recent rejections</h2><table><tr><th>When</th><th>Source</th><th>From</th><th>Reason</th>'
               '<th>Kept at</th></tr>')
    out.extend('<tr><td>%s</td><td>%s</td><td>%s</td><td class="bad">%s</td><td class="mono">%s</td></tr>'
               % (time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(r['at'])), _e(r.get('name')), _e(r.get('host')),
                  _e(r['reason']), _e(r.get('kept') or 'not kept (refused before upload)'))
               for r in status['rejections'])
    out.append('</table><p class="muted">Data: status.json beside this page. Regenerated on every event and every '
               'minute.</p></body></html>')
    return '\n'.join(out) + '\n'


def _lines(path):
    try:
        with open(path) as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError:
        return []


def write_view(cfg, now=None):
    reports = {}
    edges_dir = os.path.join(cfg['state_dir'], 'edges')
    for entry in sorted(os.listdir(edges_dir)) if os.path.isdir(edges_dir) else ():
        if entry.endswith('.json'):
            try:
                with open(os.path.join(edges_dir, entry)) as handle:
                    reports[entry[:-5]] = json.load(handle)
            except (OSError, ValueError):
                continue
    quarantine = []
    for entry in sorted(os.listdir(cfg['quarantine'])):
        if entry.endswith('.json'):
            try:
                with open(os.path.join(cfg['quarantine'], entry)) as handle:
                    meta = json.load(handle)
            except (OSError, ValueError):
                continue
            part = os.path.join(cfg['quarantine'], entry[:-5] + '.part')
            meta['received'] = os.path.getsize(part) if os.path.exists(part) else 0
            quarantine.append(meta)
    try:
        with open(os.path.join(cfg['state_dir'], 'plan.json')) as handle:
            plan = json.load(handle)
    except (OSError, ValueError):
        plan = {}
    status = build_status(cfg, plan, reports, _lines(os.path.join(cfg['archive'], 'manifest.jsonl')),
                          _lines(os.path.join(cfg['state_dir'], 'rejections.jsonl')), quarantine,
                          time.time() if now is None else now)
    write_atomic(os.path.join(cfg['view_dir'], 'status.json'), json.dumps(status, indent=1, sort_keys=True).encode())
    write_atomic(os.path.join(cfg['view_dir'], 'index.html'), render_html(status).encode())
    return status


def main():
    parser = argparse.ArgumentParser(description='render the harvest view')
    parser.add_argument('--config', default='/etc/homelab/harvester/officer.json')
    parser.add_argument('--now', type=float, help='render as of this unix time (tests)')
    args = parser.parse_args()
    with open(args.config) as handle:
        cfg = json.load(handle)
    for key in ('view_dir', 'quarantine', 'archive', 'state_dir'):
        os.makedirs(cfg[key], exist_ok=True)
    write_view(cfg, args.now)
    return 0


if __name__ == '__main__':
    sys.exit(main())
