"""Turn cases.yml into a promtool rule test file: each expected alert gets its rule's severity and the rule's
annotations expanded for its labels (the rules use only {{ $labels.NAME }} in annotations, so the expansion is
exact). Fails when an alert of the rule file is not proven both firing and not firing.

    build_tests.py RULES CASES OUT
"""

import re
import sys

import yaml

_LABEL = re.compile(r'\{\{\s*\$labels\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}')


def expand(text, labels):
    if '{{' in _LABEL.sub('', text):
        raise SystemExit('build_tests: an annotation uses more than $labels, which this builder cannot expand: %r'
                         % text)
    return _LABEL.sub(lambda m: str(labels.get(m.group(1), '<no value>')), text)


def main(rules_path, cases_path, out_path):
    with open(rules_path) as handle:
        rules = {r['alert']: r for g in yaml.safe_load(handle)['groups'] for r in g['rules'] if 'alert' in r}
    with open(cases_path) as handle:
        cases = yaml.safe_load(handle)
    proven = {name: set() for name in rules}
    tests = []
    for case in cases:
        checks = []
        for check in case['checks']:
            rule = rules.get(check['alert'])
            if rule is None:
                raise SystemExit('build_tests: %s: no alert %s in %s' % (case['name'], check['alert'], rules_path))
            expected = []
            for labels in check['fires']:
                labels = {str(k): str(v) for k, v in labels.items()}
                expected.append({
                    'exp_labels': dict(labels, **{k: str(v) for k, v in (rule.get('labels') or {}).items()}),
                    'exp_annotations': {k: expand(v, labels) for k, v in (rule.get('annotations') or {}).items()},
                })
            proven[check['alert']].add('fires' if expected else 'quiet')
            checks.append({'eval_time': check['at'], 'alertname': check['alert'], 'exp_alerts': expected})
        tests.append({'name': case['name'], 'interval': case.get('interval', '1m'),
                      'input_series': [{'series': s, 'values': v} for s, v in case['series'].items()],
                      'alert_rule_test': checks})
    missing = ['%s (%s)' % (name, ' and '.join(sorted({'fires', 'quiet'} - seen)))
               for name, seen in sorted(proven.items()) if seen != {'fires', 'quiet'}]
    if missing:
        raise SystemExit('build_tests: not proven: %s' % ', '.join(missing))
    with open(out_path, 'w') as handle:
        yaml.safe_dump({'rule_files': [rules_path], 'evaluation_interval': '1m', 'tests': tests}, handle,
                       sort_keys=False, allow_unicode=True, width=200)
    print('build_tests: %d cases, %d alerts each proven firing and not firing' % (len(tests), len(proven)))


if __name__ == '__main__':
    main(*sys.argv[1:4])
