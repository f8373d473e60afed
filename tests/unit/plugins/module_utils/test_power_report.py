"""The power report renderer: decisions beside their readings, inline SVG, nothing fetched, escaping."""

import os

from ansible_collections.homelab.cluster.plugins.module_utils import _power_report as r

LOG = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'integration', 'targets', 'power_report', 'files',
                   'guard.log')


def entries():
    with open(LOG) as handle:
        return r.read_log(handle)


def test_read_log_keeps_decisions_only():
    with open(LOG) as handle:
        lines = handle.read().splitlines()
    found = r.read_log(['', 'not json', '{"step": "power_off"}'] + lines)
    assert [e['plan']['state'] for e in found] == ['normal', 'shedding', 'holding']


def test_page_has_each_decision_beside_its_readings():
    page = r.render_html(entries())
    assert page.startswith('<!DOCTYPE html>')
    assert '<h2>Now: holding</h2>' in page
    assert page.index('2026-11-24T03:02:00') < page.index('2026-11-24T03:01:00')  # newest first
    decision = page[page.index('2026-11-24T03:01:00'):]
    assert decision.index('power off desk (speculative): 600 W') < decision.index('house <b>3410 W</b>')
    assert 'nas plug 10.0.30.21' in page and 'dummy@10.0.30.5: OL, battery 100%, 3600 s left' in page
    assert page.count('<svg') == 2
    assert 'limit 3000 W' in page and 'target 2900 W' in page


def test_nothing_is_fetched():
    page = r.render_html(entries())
    for needle in ('<script', '<link', 'src=', '@import', 'url('):
        assert needle not in page
    assert 'http://' not in page.replace('http://www.w3.org/2000/svg', '')


def test_names_are_escaped():
    entry = entries()[0]
    entry['readings']['hosts'] = {'<b>x</b>': {'watts': 1, 'source': 'plug'}}
    entry['plan']['reasons'] = ['a & b <script>']
    page = r.render_html([entry])
    assert '<b>x</b>' not in page and '&lt;b&gt;x&lt;/b&gt;' in page
    assert '<script>' not in page


def test_empty_log_and_markdown():
    assert 'No decisions logged yet' in r.render_html([])
    md = r.render_markdown(entries())
    assert md.splitlines()[3] == '|---|---|---|---|---|---|'
    assert '| 2026-11-24T03:01:00+00:00 | shedding | 3410 | 3000 | power off desk (speculative): 600 W |' in md
    assert r.render_markdown([]).startswith('# homelab power report')


def test_a_single_decision_has_no_history_chart():
    assert r.history_chart(entries()[:1]) == ''
    assert r.render_html(entries()[:1]).count('<svg') == 1
