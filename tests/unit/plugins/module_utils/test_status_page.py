"""module_utils/_status_page.py: the house status page from query answers and files, offline."""

from ansible_collections.homelab.cluster.plugins.module_utils import _status_page as s

NOW = 1796090000.0


def sample(value, **labels):
    return {'metric': labels, 'value': [NOW, str(value)]}


ANSWERS = {
    'up': [sample(1, host='keeper'), sample(0, host='desk'), sample(0, host='frame'), sample(0, host='forge')],
    'reachable': [sample(1, host='keeper'), sample(0, host='desk'), sample(0, host='frame'), sample(1, host='forge'),
                  sample(1, host='nas')],
    'asleep': [sample(1, host='desk'), sample(0, host='frame')],
    'asleep_by': [sample(1, host='desk', by='slurm')],
    'alerts': [sample(1, alertname='HostDown', host='frame', severity='critical'),
               sample(1, alertname='HostAsleep', host='desk', severity='none')],
}


def test_host_states():
    assert s.host_state('keeper', ANSWERS) == ('up', 'ok', 'node-exporter answers')
    assert s.host_state('desk', ANSWERS) == ('asleep', 'sleep', 'by slurm')
    assert s.host_state('frame', ANSWERS) == ('down', 'crit', 'does not answer')
    assert s.host_state('forge', ANSWERS) == ('up', 'warn', 'exporter down')
    assert s.host_state('nas', ANSWERS) == ('up', 'ok', 'answers; no exporter')
    assert s.host_state('rig', ANSWERS) == ('unknown', 'off', 'not watched')


def test_page_without_any_source_says_so_and_loads_nothing():
    html = s.render_status({'hosts': [{'name': 'keeper', 'tier': 'legacy', 'roles': ['logic']}], 'now': NOW,
                            'errors': ['Prometheus at http://127.0.0.1:9090 (up): refused']})
    for text in ('refused', 'No decision of the power guard logged yet', 'No Slurm controller reports',
                 'No health recorded yet', 'No view of the quarantine officer yet', 'none firing', '<b>keeper</b>',
                 'http-equiv="refresh" content="60"'):
        assert text in html
    for needle in ('<script', '<link', 'src=', '@import', 'url('):
        assert needle not in html


def test_page_with_alerts_hides_the_inhibitors():
    html = s.render_status({'hosts': [{'name': 'frame', 'tier': 'portable'}, {'name': 'desk', 'tier': 'modern',
                                                                              'wakeable': True}],
                            'answers': ANSWERS, 'now': NOW})
    assert '>HostDown<' in html and '>HostAsleep<' not in html
    assert html.index('<b>desk</b>') < html.index('<b>frame</b>')  # modern before portable
    assert 'by slurm' in html
