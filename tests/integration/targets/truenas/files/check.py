"""Looks at the TrueNAS double through its control port: check.py PORT WHAT [ARGS]

  state FILE          write the double's state to FILE
  same FILE FILE      the two states are equal (check mode changed nothing)
  fault JSON          inject a fault (POST /fault)
  converged           the seed's NAS is there, as the inventory says
  refused             no pool was made and sde still holds the exported pool oldtank
  logins RUNS MODULES one key login per role run, every module run one login, none twice on a connection
  reconnected         the websocket dropped once and the run came back with a token, not the key
"""

import json
import sys
import urllib.request


def get(port, path):
    with urllib.request.urlopen('http://127.0.0.1:%s%s' % (port, path), timeout=10) as reply:  # noqa: S310
        return json.load(reply)


def post(port, path, body):
    request = urllib.request.Request('http://127.0.0.1:%s%s' % (port, path),  # noqa: S310 - the double
                                     data=json.dumps(body).encode(), headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310
        return json.load(reply)


def expect(failures, what, have, want):
    status = 'PASS' if have == want else 'FAIL'
    print('%s %s: %r' % (status, what, have) + ('' if have == want else ' (expected %r)' % (want,)))
    if have != want:
        failures.append(what)


def converged(port, failures):
    state = get(port, '/state')
    expect(failures, 'pool', state['pools'], [{'name': 'tank', 'disks': ['sda', 'sdb', 'sdc', 'sdd'],
                                               'layout': ['RAIDZ2']}])
    names = ['tank', 'tank/archive', 'tank/archive/quarantine', 'tank/backups', 'tank/family', 'tank/k8s',
             'tank/media']
    expect(failures, 'datasets', sorted(state['datasets']), names)
    media = state['datasets']['tank/media']
    expect(failures, 'tank/media properties', (media['recordsize'], media['compression'], media['atime'],
                                               media['casesensitivity']), ('1048576', 'lz4', 'off', 'insensitive'))
    expect(failures, 'tank/archive compression', state['datasets']['tank/archive']['compression'], 'zstd-9')
    nfs = {s['path']: (sorted(s['hosts']), s['maproot_user']) for s in state['nfs']}
    expect(failures, 'NFS exports (from the inventory)', nfs, {
        '/mnt/tank/k8s': (['10.0.30.10'], 'root'), '/mnt/tank/backups': (['10.0.30.10'], 'root'),
        '/mnt/tank/archive': (['10.0.30.5'], None),
        '/mnt/tank/archive/quarantine': (['10.0.20.10', '10.0.30.5'], None)})
    smb = {s['name']: (s['path'], (s.get('options') or {}).get('hostsallow', s.get('hostsallow')))
           for s in state['smb']}
    trusted = ['10.0.10.0/24']
    expect(failures, 'SMB shares for the trusted VLAN', smb, {'media': ('/mnt/tank/media', trusted),
                                                              'family': ('/mnt/tank/family', trusted)})
    scrub = state['scrubs'][0]
    expect(failures, 'monthly scrub', (scrub['threshold'], scrub['schedule']['dom'], scrub['schedule']['hour']),
           (27, '1', '03'))
    tasks = sorted((t['dataset'], t['naming_schema'].split('-')[0], t['lifetime_value'], t['lifetime_unit'])
                   for t in state['snapshottasks'])
    expect(failures, 'snapshot tasks', len(tasks), 7)
    repl = state['replications']
    expect(failures, 'offsite replication', [(r['name'], r['source_datasets'], len(r['periodic_snapshot_tasks']))
                                             for r in repl],
           [('offsite', ['tank/family', 'tank/archive', 'tank/k8s'], 3)])


def logins(port, failures, runs, modules):
    counters = get(port, '/counters')
    expect(failures, 'key logins (one per role run)', counters['key_logins'], int(runs))
    expect(failures, 'token logins (one per module run after the first)', counters['token_logins'],
           int(runs) * int(modules))
    twice = [c for c in counters['per_connection'] if c['key_logins'] + c['token_logins'] > 1]
    expect(failures, 'connections with more than one login', twice, [])
    expect(failures, 'failed logins', counters['failed_logins'], 0)


def main(argv):
    port, what, args = argv[1], argv[2], argv[3:]
    failures = []
    if what == 'state':
        with open(args[0], 'w') as handle:
            json.dump(get(port, '/state'), handle, indent=1, sort_keys=True)
        return 0
    if what == 'same':
        with open(args[0]) as one, open(args[1]) as two:
            expect(failures, 'the double unchanged by check mode', json.load(one) == json.load(two), True)
    elif what == 'fault':
        print('fault: %s' % json.dumps(post(port, '/fault', json.loads(args[0]))))
    elif what == 'converged':
        converged(port, failures)
    elif what == 'refused':
        state = get(port, '/state')
        expect(failures, 'no pool on disks that hold data', state['pools'], [])
        sde = [d for d in state['disks'] if d['name'] == 'sde'][0]
        expect(failures, 'sde still holds oldtank', sde['exported_zpool'], 'oldtank')
    elif what == 'logins':
        logins(port, failures, *args)
    elif what == 'reconnected':
        counters = get(port, '/counters')
        expect(failures, 'websocket drops', counters['drops'], 1)
        expect(failures, 'datasets created once each', counters['calls'].get('pool.dataset.create'), 6)
    else:
        raise SystemExit(__doc__)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
