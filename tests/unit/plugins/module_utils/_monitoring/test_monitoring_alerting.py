"""module_utils/_monitoring/alerting.py: the shipped rule file is valid data, overrides, Alertmanager's routes."""

import os

import pytest
import yaml

from ansible_collections.homelab.cluster.plugins.module_utils._monitoring import alerting

RULES = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', '..', 'roles', 'monitoring', 'files', 'rules',
                     'homelab.rules.yml')


@pytest.fixture(name='doc')
def fixture_doc():
    with open(RULES) as handle:
        return yaml.safe_load(handle)


def test_every_shipped_alert_has_a_severity_and_a_reason(doc):
    names = alerting.check_rules(doc)
    for wanted in ('HostDown', 'HostAsleep', 'GpuHot', 'GpuThrottling', 'GpuIdleWhileAllocated', 'OpenBaoSealed',
                   'SlurmNodeDown', 'SlurmNodeDrained', 'QuorumLost', 'QuorumDegraded', 'UpsOnBattery', 'UpsBatteryLow',
                   'HouseOverPowerLimit', 'MountMissing', 'HarvesterStalled', 'HarvestFilesRejected', 'DiskFillingUp'):
        assert wanted in names
    # the seed's names that no exporter publishes are not used
    text = yaml.safe_dump(doc)
    for wrong in ('dcgm_gpu_temp', 'slurm_node_state', 'dcgm_gpu_utilization'):
        assert wrong not in text


def test_overrides_change_disable_and_extend(doc):
    out = alerting.apply_overrides(doc, {'HostDown': {'for': '20s', 'labels': {'team': 'me'}},
                                         'GpuHot': {'enabled': False}},
                                   [{'name': 'mine', 'rules': [{'alert': 'Mine', 'expr': 'vector(1)',
                                                                'labels': {'severity': 'info'},
                                                                'annotations': {'reason': 'mine'}}]}])
    rules = {r['alert']: r for g in out['groups'] for r in g['rules']}
    assert rules['HostDown']['for'] == '20s'
    assert rules['HostDown']['labels'] == {'severity': 'critical', 'team': 'me'}
    assert 'GpuHot' not in rules and 'Mine' in rules
    assert {r['alert']: r for g in doc['groups'] for r in g['rules']}['HostDown']['for'] == '2m'  # input untouched


@pytest.mark.parametrize('overrides, extra, message', [
    ({'HostDwn': {'for': '1m'}}, None, 'overrides.HostDwn: no such alert'),
    ({'HostDown': {'fro': '1m'}}, None, 'overrides.HostDown: unknown keys fro'),
    ({'HostDown': {'for': 'soon'}}, None, r'\.for: expected a duration'),
    ({'HostDown': {'labels': {'severity': 'page'}}}, None, 'labels.severity: expected one of'),
    ({}, [{'name': 'x', 'rules': [{'alert': 'X', 'expr': 'up', 'labels': {'severity': 'info'}}]}],
     'annotations.reason: expected why this alert exists'),
    ({}, [{'name': 'x', 'rules': [{'alert': 'HostDown', 'expr': 'up', 'labels': {'severity': 'info'},
                                   'annotations': {'reason': 'r'}}]}], 'alert HostDown is defined twice'),
    ('all', None, 'overrides: expected a mapping'),
])
def test_override_errors_name_the_alert(doc, overrides, extra, message):
    with pytest.raises(alerting.AlertingError, match=message):
        alerting.apply_overrides(doc, overrides, extra)


def test_alertmanager_routes_and_inhibitions():
    cfg = alerting.alertmanager_config('http://127.0.0.1:9095/alertmanager', {'group_wait': '1s'})
    assert cfg['route']['receiver'] == 'house' and cfg['route']['group_wait'] == '1s'
    assert cfg['route']['routes'] == [{'receiver': 'null', 'matchers': ['severity="none"']}]
    assert cfg['receivers'][1]['webhook_configs'] == [{'url': 'http://127.0.0.1:9095/alertmanager',
                                                        'send_resolved': True}]
    sources = [r['source_matchers'][0] for r in cfg['inhibit_rules']]
    assert sources[:3] == ['alertname="HostAsleep"', 'alertname="HostDown"', 'alertname="QuorumLost"']
    assert cfg['inhibit_rules'][0]['equal'] == ['host']
    assert 'equal' not in cfg['inhibit_rules'][2]  # quorum lost hides per-node noise everywhere
    quiet = alerting.alertmanager_config('')
    assert quiet['route']['receiver'] == 'null' and quiet['receivers'] == [{'name': 'null'}]
