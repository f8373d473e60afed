"""homelab.cluster.harvest_plan and harvest_window: host views + catalogue -> plan; errors as filter errors."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.filter.harvest_plan import FilterModule as PlanFilters
from ansible_collections.homelab.cluster.plugins.filter.harvest_window import FilterModule as WindowFilters
from ansible_collections.homelab.cluster.plugins.module_utils._hostview import host_views

harvest_plan = PlanFilters().filters()['harvest_plan']
harvest_window = WindowFilters().filters()['harvest_window']

HOSTVARS = {
    'pi5': {'homelab_tier': 'legacy', 'homelab_roles': ['edge'], 'ansible_host': '10.0.20.10',
            'homelab_hardware': {'os': 'raspios'}},
    'penny': {'homelab_tier': 'ultralow', 'homelab_roles': ['edge'], 'homelab_python': False,
              'ansible_host': '10.0.30.30', 'homelab_hardware': {'os': 'debian'}},
    'jetson': {'homelab_tier': 'modern', 'homelab_roles': ['edge', 'inference'], 'homelab_hardware': {'os': 'jetpack'}},
}
CATALOGUE = [
    {'name': 'wiki', 'url': 'https://h/wiki.zim', 'checksum_url': 'https://h/SHA256SUMS', 'size': 4000},
    {'name': 'feed', 'url': 'https://h/feed.xml', 'allow_unverified': True, 'schedule': 'hourly',
     'tiers': ['ultralow']},
]


def test_the_example_edges():
    plan = harvest_plan(host_views(HOSTVARS, ['pi5', 'penny', 'jetson']), CATALOGUE,
                        capacity={'pi5': '5000', 'penny': None})
    assert [e['name'] for e in plan['hosts']['pi5']] == ['wiki']
    assert [e['name'] for e in plan['hosts']['penny']] == ['feed']
    assert plan['excluded'] == {'jetson': 'role inference: the heavy machines never touch the public web'}
    assert plan['capacity'] == {'pi5': 5000, 'penny': None}


def test_errors():
    views = host_views(HOSTVARS, ['pi5'])
    with pytest.raises(AnsibleFilterError, match=r'harvest_plan: harvester_catalogue\[0\].url: required'):
        harvest_plan(views, [{'name': 'x'}])
    with pytest.raises(AnsibleFilterError, match=r"harvest_plan: capacity.pi5: expected a number of bytes, got 'lots'"):
        harvest_plan(views, CATALOGUE, capacity={'pi5': 'lots'})
    with pytest.raises(AnsibleFilterError, match='expected a list of host views'):
        harvest_plan('pi5', CATALOGUE)


def test_window_filter():
    assert harvest_window('01:00-06:00')['on_calendar'] == '*-*-* 01:00:00'
    with pytest.raises(AnsibleFilterError, match="harvest_window: pi5.harvester_window: expected 'HH:MM-HH:MM'"):
        harvest_window('soon', 'pi5.harvester_window')
