# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The house status page, without I/O: hosts by tier with their power state, the quorum verdicts, the power draw
against the limit with the guard's last decisions (the power report's own chart and sections), Slurm nodes, the
inference tier's health, the harvesters and the alerts that fire now. Built with the shared renderer
(_report.py) and the power report's code (_power_report.py): one look for every page of the house.

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

import time

from ansible_collections.homelab.cluster.plugins.module_utils._power_report import decision_section
from ansible_collections.homelab.cluster.plugins.module_utils._power_report import hosts_chart
from ansible_collections.homelab.cluster.plugins.module_utils._report import badge
from ansible_collections.homelab.cluster.plugins.module_utils._report import esc
from ansible_collections.homelab.cluster.plugins.module_utils._report import fmt
from ansible_collections.homelab.cluster.plugins.module_utils._report import page
from ansible_collections.homelab.cluster.plugins.module_utils._report import table

TIER_ORDER = ('modern', 'portable', 'legacy', 'ultralow')
QUERIES = {
    'up': 'up{job="node"}',
    'reachable': 'homelab_host_reachable',
    'asleep': 'homelab_host_asleep',
    'asleep_by': 'homelab_host_asleep_by',
    'quorum': 'homelab_quorum_verdict == 1',
    'votes': 'homelab_quorum_total_votes',
    'expected': 'homelab_quorum_expected_votes',
    'slurm': 'homelab_slurm_node_info',
    'jobs': 'homelab_slurm_jobs',
    'alerts': 'ALERTS{alertstate="firing"}',
}
SEVERITY_KIND = {'critical': 'crit', 'warning': 'warn', 'info': 'ok'}


def by_host(results, label='host'):
    """{host: sample} of a Prometheus query result (``data.result``)."""
    return {r['metric'].get(label): r for r in results or [] if r.get('metric', {}).get(label)}


def _value(sample):
    try:
        return float(sample['value'][1])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def host_state(name, answers):
    """(text, kind, detail) of one host from the query answers: up, asleep (and by whom), down or unknown."""
    up = by_host(answers.get('up')).get(name)
    reach = by_host(answers.get('reachable')).get(name)
    asleep = by_host(answers.get('asleep')).get(name)
    if asleep is not None and _value(asleep) == 1:
        by = by_host(answers.get('asleep_by')).get(name)
        return 'asleep', 'sleep', 'by %s' % by['metric'].get('by') if by else 'by design'
    if up is not None and _value(up) == 1:
        return 'up', 'ok', 'node-exporter answers'
    if reach is not None and _value(reach) == 1:
        return 'up', 'ok' if up is None else 'warn', 'answers; no exporter' if up is None else 'exporter down'
    if up is None and reach is None:
        return 'unknown', 'off', 'not watched'
    return 'down', 'crit', 'does not answer'


def hosts_section(hosts, answers, decision):
    watts = ((decision or {}).get('readings') or {}).get('hosts') or {}
    rows = []
    order = {tier: i for i, tier in enumerate(TIER_ORDER)}
    for host in sorted(hosts, key=lambda h: (order.get(h.get('tier'), 9), h['name'])):
        text, kind, detail = host_state(host['name'], answers)
        reading = watts.get(host['name']) or {}
        source = ' <span class="muted">(%s)</span>' % esc(reading['source']) if reading.get('source') else ''
        rows.append([esc(host.get('tier') or '-'), '<b>%s</b>' % esc(host['name']),
                     esc(', '.join(host.get('roles') or [])),
                     '%s <span class="muted">%s</span>' % (badge(text, kind), esc(detail)),
                     '%s%s' % (fmt(reading.get('watts')), source),
                     esc('wakeable' if host.get('wakeable') else ('always on' if host.get('always_on') else ''))])
    return '<h2>Hosts by tier</h2>' + table(['tier', 'host', 'roles', 'state', 'W', 'power'], rows, numeric=(4,))


def quorum_section(answers):
    verdicts = answers.get('quorum') or []
    if not verdicts:
        return '<h2>Quorum</h2><p class="muted">No corosync voter reports a verdict.</p>'
    votes, expected = by_host(answers.get('votes')), by_host(answers.get('expected'))
    kinds = {'healthy': 'ok', 'degraded': 'warn', 'lost': 'crit', 'down': 'crit'}
    rows = []
    for r in sorted(verdicts, key=lambda r: r['metric'].get('host', '')):
        host, found = r['metric'].get('host'), r['metric'].get('verdict')
        rows.append([esc(host), badge(found, kinds.get(found, 'off')),
                     '%s of %s' % (fmt(_value(votes.get(host, {}))), fmt(_value(expected.get(host, {}))))])
    return '<h2>Quorum</h2>' + table(['voter', 'verdict', 'votes'], rows)


def power_section(decisions, last=3):
    if not decisions:
        return '<h2>Power</h2><p class="muted">No decision of the power guard logged yet.</p>'
    latest = decisions[-1]
    readings = latest.get('readings') or {}
    house, limit = readings.get('house_w'), latest.get('limit_w')
    kind = 'crit' if house is not None and limit and house > limit else 'ok'
    head = ('<h2>Power</h2><p>house %s against the limit of %s W; guard: %s</p><p class="why">%s</p>'
            % (badge('%s W' % fmt(house), kind), fmt(limit), badge(latest['plan'].get('state'), 'ok' if kind == 'ok'
                                                                   else 'warn'),
               '<br>'.join(esc(r) for r in latest['plan'].get('reasons', []))))
    return head + hosts_chart(latest) + '<h3>The guard\'s last decisions</h3>' + \
        ''.join(decision_section(e) for e in reversed(decisions[-last:]))


def slurm_section(answers):
    nodes = answers.get('slurm') or []
    if not nodes:
        return '<h2>Slurm</h2><p class="muted">No Slurm controller reports (not set up, or not reachable).</p>'
    jobs = {r['metric'].get('state'): fmt(_value(r)) for r in answers.get('jobs') or []}
    rows = []
    for r in sorted(nodes, key=lambda r: r['metric'].get('host', '')):
        state = r['metric'].get('state') or ''
        kind = 'crit' if 'down' in state or 'fail' in state else 'warn' if 'drain' in state else \
            'sleep' if 'powered_down' in state or 'powering_down' in state else 'ok'
        rows.append([esc(r['metric'].get('host')), badge(state, kind), esc(r['metric'].get('reason') or '')])
    return ('<h2>Slurm</h2><p>jobs: %s running, %s pending, %s suspended</p>'
            % (jobs.get('running', '0'), jobs.get('pending', '0'), jobs.get('suspended', '0'))
            + table(['node', 'state', 'reason'], rows))


def inference_section(state, now):
    states = (state or {}).get('states') or {}
    if not states:
        return '<h2>Inference</h2><p class="muted">No health recorded yet (playbooks/inference_health.yml).</p>'
    since = state.get('since') or {}
    kinds = {'HEALTHY': 'ok', 'DEGRADED': 'warn', 'CRITICAL': 'crit', 'DOWN': 'crit'}
    rows = [[esc(key), badge(value, kinds.get(value, 'off')),
             esc(_ago(now - since[key]) if isinstance(since.get(key), (int, float)) else '-')]
            for key, value in sorted(states.items(), key=lambda kv: (kv[0] != 'prognosis', kv[0]))]
    return '<h2>Inference</h2>' + table(['what', 'health', 'since'], rows)


def harvest_section(status, now):
    edges = (status or {}).get('edges') or []
    if not status:
        return '<h2>Harvesters</h2><p class="muted">No view of the quarantine officer yet.</p>'
    kinds = {'downloading': 'ok', 'uploading': 'ok', 'idle': 'ok', 'waiting': 'off', 'in window': 'ok',
             'backing off': 'warn', 'failed': 'crit', 'silent': 'crit'}
    rows = []
    for edge in edges:
        done, total = edge.get('bytes'), edge.get('total')
        progress = '%.0f %%' % (100.0 * (done or 0) / total) if total else '-'
        rows.append([esc(edge.get('host')), badge(edge.get('state') or 'unknown', kinds.get(edge.get('state'), 'off')),
                     esc(edge.get('item') or ''), progress,
                     esc(_ago(edge['age_s']) if isinstance(edge.get('age_s'), (int, float)) else 'never')])
    totals = status.get('totals') or {}
    return ('<h2>Harvesters</h2><p>%s files archived, %s rejected, %s in quarantine (view built %s)</p>'
            % (totals.get('archived_files', 0), totals.get('rejected', 0), totals.get('in_quarantine', 0),
               esc(_ago(now - status['generated_at']) + ' ago' if isinstance(status.get('generated_at'), (int, float))
                   else '?'))
            + table(['edge', 'state', 'item', 'progress', 'last report'], rows, numeric=(3,)))


def alerts_section(answers):
    alerts = [r['metric'] for r in answers.get('alerts') or [] if r['metric'].get('severity') != 'none']
    if not alerts:
        return '<h2>Alerts</h2><p>%s</p>' % badge('none firing', 'ok')
    order = sorted(alerts, key=lambda a: (a.get('severity') != 'critical', a.get('alertname'), a.get('host') or ''))
    rows = [[badge(a.get('severity'), SEVERITY_KIND.get(a.get('severity'), 'off')), esc(a.get('alertname')),
             esc(a.get('host') or '')] for a in order]
    return '<h2>Alerts</h2>' + table(['severity', 'alert', 'host'], rows)


def _ago(seconds):
    seconds = int(max(0, seconds))
    if seconds < 120:
        return '%d s' % seconds
    if seconds < 7200:
        return '%d min' % (seconds // 60)
    if seconds < 172800:
        return '%d h' % (seconds // 3600)
    return '%d d' % (seconds // 86400)


def render_status(data, title='homelab status'):
    """The page. ``data``: hosts (name, tier, roles, wakeable, always_on; from the inventory), answers (query
    name -> Prometheus result list; QUERIES), errors (what could not be read), decisions (the guard's log),
    inference (its state file), harvest (the officer's status.json), now (epoch seconds)."""
    now = data.get('now') or time.time()
    answers = data.get('answers') or {}
    problems = ''.join('<li>%s</li>' % esc(e) for e in data.get('errors') or [])
    body = ['<p class="muted">Written %s UTC; it is rewritten every minute.</p>'
            % esc(time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(now)))]
    if problems:
        body.append('<ul class="bad">%s</ul>' % problems)
    latest = (data.get('decisions') or [None])[-1]
    body += [alerts_section(answers), hosts_section(data.get('hosts') or [], answers, latest),
             quorum_section(answers), power_section(data.get('decisions') or []), slurm_section(answers),
             inference_section(data.get('inference'), now), harvest_section(data.get('harvest'), now)]
    return page(title, '\n'.join(body), width=980, refresh=60)
