# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Alert rules as data with user overrides, and Alertmanager's routing and inhibition (pure).

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

import copy
import re

RULE_KEYS = ('alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations')
OVERRIDE_KEYS = ('expr', 'for', 'labels', 'annotations', 'enabled')
SEVERITIES = ('critical', 'warning', 'info', 'none')
_DURATION = re.compile(r'^(\d+(ms|s|m|h|d|w|y))+$')


class AlertingError(Exception):
    """A rule or an override that cannot be used: ``where: expected ..., got ...``."""


def check_rules(doc, where='rules'):
    """Every alert rule has a name, an expression, a severity among SEVERITIES and a ``reason`` annotation (why
    the rule exists: what it protects), and no name is used twice. Returns the alert names in order."""
    if not isinstance(doc, dict) or not isinstance(doc.get('groups'), list):
        raise AlertingError('%s: expected a Prometheus rule file (a mapping with groups), got %r' % (where, doc))
    names = []
    for g, group in enumerate(doc['groups']):
        if not isinstance(group, dict) or not group.get('name') or not isinstance(group.get('rules'), list):
            raise AlertingError('%s.groups[%d]: expected a mapping with name and rules, got %r' % (where, g, group))
        for r, rule in enumerate(group['rules']):
            at = '%s.groups[%d](%s).rules[%d]' % (where, g, group['name'], r)
            if not isinstance(rule, dict):
                raise AlertingError('%s: expected a mapping, got %r' % (at, rule))
            if 'record' in rule:
                continue
            unknown = sorted(set(rule) - set(RULE_KEYS))
            if unknown:
                raise AlertingError('%s: unknown keys %s (known: %s)' % (at, ', '.join(unknown), ', '.join(RULE_KEYS)))
            name = rule.get('alert')
            if not name or not isinstance(name, str):
                raise AlertingError('%s.alert: expected the alert name, got %r' % (at, name))
            at = '%s (%s)' % (at, name)
            if not isinstance(rule.get('expr'), str) or not rule['expr'].strip():
                raise AlertingError('%s.expr: expected a PromQL expression, got %r' % (at, rule.get('expr')))
            if 'for' in rule and not _DURATION.match(str(rule['for'])):
                raise AlertingError('%s.for: expected a duration such as 5m, got %r' % (at, rule['for']))
            severity = (rule.get('labels') or {}).get('severity')
            if severity not in SEVERITIES:
                raise AlertingError('%s.labels.severity: expected one of %s, got %r'
                                    % (at, ', '.join(SEVERITIES), severity))
            if not (rule.get('annotations') or {}).get('reason'):
                raise AlertingError('%s.annotations.reason: expected why this alert exists, got nothing' % at)
            if name in names:
                raise AlertingError('%s: alert %s is defined twice' % (at, name))
            names.append(name)
    return names


def apply_overrides(doc, overrides=None, extra_groups=None):
    """The rule file with ``overrides`` (alert name -> expr, for, labels, annotations, enabled) applied and
    ``extra_groups`` appended; the result is checked again. An override of an alert that does not exist is an
    error (a typo would otherwise silently keep the default)."""
    names = check_rules(doc)
    out = copy.deepcopy(doc)
    overrides = overrides or {}
    if not isinstance(overrides, dict):
        raise AlertingError('overrides: expected a mapping of alert name to changes, got %r' % (overrides,))
    for name, change in overrides.items():
        if name not in names:
            raise AlertingError('overrides.%s: no such alert; the alerts are %s' % (name, ', '.join(names)))
        if not isinstance(change, dict):
            raise AlertingError('overrides.%s: expected a mapping, got %r' % (name, change))
        unknown = sorted(set(change) - set(OVERRIDE_KEYS))
        if unknown:
            raise AlertingError('overrides.%s: unknown keys %s (known: %s)'
                                % (name, ', '.join(unknown), ', '.join(OVERRIDE_KEYS)))
    for group in out['groups']:
        kept = []
        for rule in group['rules']:
            change = overrides.get(rule.get('alert')) or {}
            if change.get('enabled', True) is False:
                continue
            for key in ('expr', 'for'):
                if key in change:
                    rule[key] = change[key]
            for key in ('labels', 'annotations'):
                if key in change:
                    rule[key] = dict(rule.get(key) or {}, **change[key])
            kept.append(rule)
        group['rules'] = kept
    out['groups'] = [g for g in out['groups'] if g['rules']] + list(copy.deepcopy(extra_groups or []))
    check_rules(out, 'rules with overrides')
    return out


RELAY_PATH = '/alertmanager'


def alertmanager_config(relay_url, settings=None):
    """alertmanager.yml: every alert to the house webhook through the relay (``relay_url``; empty: nowhere, the
    alerts stay visible in Prometheus and Alertmanager), grouped per alert and host; HostAsleep and severity
    ``none`` go nowhere; inhibition as documented in the role README."""
    cfg = {'group_wait': '30s', 'group_interval': '5m', 'repeat_interval': '4h'}
    cfg.update(settings or {})
    quiet = {'receiver': 'null', 'matchers': ['severity="none"']}
    route = {'receiver': 'house' if relay_url else 'null', 'group_by': ['alertname', 'host'],
             'group_wait': cfg['group_wait'], 'group_interval': cfg['group_interval'],
             'repeat_interval': cfg['repeat_interval'], 'routes': [quiet]}
    receivers = [{'name': 'null'}]
    if relay_url:
        receivers.append({'name': 'house', 'webhook_configs': [{'url': relay_url, 'send_resolved': True}]})
    inhibit = [
        # a host asleep by design (sleep_idle, the power guard, Slurm power saving) raises nothing at all
        {'source_matchers': ['alertname="HostAsleep"'], 'target_matchers': ['alertname!="HostAsleep"'],
         'equal': ['host']},
        # a host that is down: one page for it, not one per service on it
        {'source_matchers': ['alertname="HostDown"'], 'target_matchers': ['alertname!~"HostDown|HostAsleep"'],
         'equal': ['host']},
        # quorum lost: that is the page; nodes missing from the survivor's view are its consequence
        {'source_matchers': ['alertname="QuorumLost"'],
         'target_matchers': ['alertname=~"HostDown|SlurmNodeDown|SlurmNodeDrained|QuorumDegraded"']},
        # the battery is low: the on-battery warning of the same UPS says nothing more
        {'source_matchers': ['alertname="UpsBatteryLow"'], 'target_matchers': ['alertname="UpsOnBattery"'],
         'equal': ['ups']},
        # the critical form of an alert hides its warning form on the same host
        {'source_matchers': ['severity="critical"'], 'target_matchers': ['severity="warning"'],
         'equal': ['alertname', 'host']},
    ]
    return {'route': route, 'receivers': receivers, 'inhibit_rules': inhibit}
