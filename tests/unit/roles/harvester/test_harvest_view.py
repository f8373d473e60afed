"""roles/harvester/files/harvest_view.py: status.json from the officer's records, and the page."""

import json

import harvest_view as view

CFG = {'host': 'keeper', 'archive': '/srv/archive', 'report_interval_s': 10}
PLAN = {'hosts': {'pi5': ['wiki', 'docs'], 'penny': ['feed']}, 'excluded': {'jetson': 'role inference: ...'},
        'unassigned': [{'name': 'huge', 'reason': 'pi5: 1 bytes free, needs 9'}],
        'windows': {'pi5': '01:00-06:00 every day', 'penny': 'always'}, 'workers': {'pi5': 'python', 'penny': 'shell'}}
REPORTS = {
    'pi5': {'received_at': 1000, 'report': {
        'state': 'downloading', 'detail': 'fetching wiki', 'item': 'wiki', 'bytes': 150 << 20, 'total': 300 << 20,
        'rate_bps': 5 << 20, 'eta_s': 30, 'worker': 'python', 'window': '01:00-06:00 every day',
        'last_signal': {'at': 990, 'item': 'docs', 'verdict': 'promoted'}}},
    'stray': {'received_at': 100, 'report': {'state': 'idle'}},
}
MANIFEST = [
    {'sha256': 'a' * 64, 'size': 1 << 20, 'name': 'docs', 'path': 'docs/python.tar.xz', 'host': 'pi5',
     'verified': 'published', 'promoted_at': 990},
    {'sha256': 'b' * 64, 'size': 2 << 20, 'name': 'feed', 'path': 'feeds/feed/x-feed.xml', 'host': 'penny',
     'verified': 'sha256', 'promoted_at': 995},
]
REJECTIONS = [{'sha256': 'c' * 64, 'size': 5, 'name': 'corrupt', 'host': 'pi5', 'reason': 'SHA-256 c..., <b>bad</b>',
               'kept': '/var/lib/homelab/harvest/rejected/x', 'at': 992}]
QUARANTINE = [{'sha256': 'd' * 64, 'name': 'wiki', 'host': 'pi5', 'size': 9, 'status': 'pending',
               'reason': 'waiting for SHA256SUMS', 'offered_at': 993}]


def status(now=1005):
    return view.build_status(CFG, PLAN, REPORTS, MANIFEST, REJECTIONS, QUARANTINE, now)


def test_status_json():
    out = status()
    assert [e['host'] for e in out['edges']] == ['penny', 'pi5', 'stray']
    penny, pi5, stray = out['edges']
    assert (penny['state'], penny['assigned'], penny['worker'], penny['window']) == (
        'unknown', ['feed'], 'shell', 'always')
    assert (pi5['state'], pi5['eta_s'], pi5['assigned']) == ('downloading', 30, ['wiki', 'docs'])
    assert stray['assigned'] == []
    assert [p['name'] for p in out['promotions']] == ['feed', 'docs']
    assert out['totals'] == {'archived_files': 2, 'archived_bytes': 3 << 20, 'rejected': 1, 'in_quarantine': 1,
                             'edges': 3, 'edges_working': 1}
    assert out['excluded'] == PLAN['excluded'] and out['unassigned'] == PLAN['unassigned']
    json.dumps(out)  # plain JSON


def test_a_worker_that_went_quiet_is_silent():
    assert status(now=1100)['edges'][1]['state'] == 'silent'


def test_no_plan_yet():
    out = view.build_status(CFG, {}, {}, [], [], [], 5)
    assert out['edges'] == [] and out['totals']['archived_files'] == 0


def test_page():
    page = view.render_html(status())
    for want in ('Edge harvesters and the archive', 'fetching wiki', '150.0 MiB of 300.0 MiB (50.0 %)', '5.0 MiB/s',
                 '30 s', 'docs promoted 15 s ago', 'docs/python.tar.xz', 'feeds/feed/x-feed.xml',
                 '&lt;b&gt;bad&lt;/b&gt;', 'waiting for SHA256SUMS', 'jetson', 'source <b>huge</b> unassigned',
                 'meta http-equiv="refresh"', 'shell worker'):
        assert want in page, want
    assert '<script' not in page and 'http://' not in page and 'https://' not in page
