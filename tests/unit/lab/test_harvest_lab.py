"""lab/lab.py harvest_vars: a valid catalogue, split by the plan between pi5 (iot) and penny (servers)."""

import os
import sys

from ansible_collections.homelab.cluster.plugins.module_utils._harvest._catalogue import assign
from ansible_collections.homelab.cluster.plugins.module_utils._harvest._catalogue import parse_catalogue
from ansible_collections.homelab.cluster.plugins.module_utils._harvest._window import parse_window

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', '..', 'lab'))
import lab  # noqa: E402


def test_the_lab_catalogue_feeds_both_edges():
    settings = lab.harvest_vars()
    assert parse_window(settings['harvester_window'])['always']
    views = [{'name': 'pi5', 'tier': 'legacy', 'roles': ['edge'], 'address': '10.77.20.10'},
             {'name': 'penny', 'tier': 'ultralow', 'roles': ['edge'], 'address': '10.77.30.30'},
             {'name': 'jetson', 'tier': 'modern', 'roles': ['edge', 'inference'], 'address': '10.77.20.20'}]
    plan = assign(parse_catalogue(settings['harvester_catalogue']), views, tiers=('legacy', 'ultralow'))
    assert {h: [e['name'] for e in items] for h, items in plan['hosts'].items()} == {
        'pi5': ['debian-reference', 'enwiki-mini'], 'penny': ['lab-feed', 'python-docs']}
    assert plan['unassigned'] == [] and list(plan['excluded']) == ['jetson']
