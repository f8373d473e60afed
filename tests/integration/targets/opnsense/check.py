"""Assertions against the OPNsense API double's control port (lab/doubles/opnsense_api.py) for runme.sh.

    check.py PORTS_FILE COMMAND [ARGS]

Each command prints PASS/FAIL lines and exits non-zero on a failure.
"""

import json
import os
import re
import stat
import sys
import time
import urllib.request


def control(ports, path, data=None):
    url = 'http://127.0.0.1:%d%s' % (ports['control'], path)
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method='POST' if body is not None else 'GET')  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - the double's loopback control port
        return json.loads(answer.read())


def result(ok, what, detail=''):
    print('%s %s%s' % ('PASS' if ok else 'FAIL', what, (': %s' % detail) if detail and not ok else ''))
    return ok


def writes(log):
    return [e for e in log if e['method'] == 'POST']


def main():
    with open(sys.argv[1]) as handle:
        ports = json.load(handle)
    command, args = sys.argv[2], sys.argv[3:]
    ok = True
    if command == 'reset':
        control(ports, '/reset', {})
    elif command == 'clear-log':
        control(ports, '/clear-log', {})
    elif command == 'lockout':
        control(ports, '/lockout', {'after': args[0], 'seconds': float(args[1])})
    elif command == 'nothing-sent':  # the bad-input cases: not one request reached the firewall
        log = control(ports, '/log')
        ok = result(not log, '%s: nothing was sent to the firewall' % args[0],
                    ', '.join('%s %s' % (e['method'], e['path']) for e in log))
    elif command == 'read-only':  # check mode and the second run: reads only, nothing saved, nothing applied
        log, state = control(ports, '/log'), control(ports, '/state')
        ok = result(not writes(log), '%s: only reads (%d GETs, no POST)' % (args[0], len(log)),
                    ', '.join(e['path'] for e in writes(log)))
        if len(args) > 1 and args[1] == 'empty':
            counts = {k: len(v) for k, v in state['collections'].items() if v}
            ok &= result(not counts and not state['counters'], '%s: the firewall holds nothing' % args[0], counts)
    elif command == 'counters':  # {service: calls}
        want = json.loads(args[1])
        state = control(ports, '/state')
        ok = result(state['counters'] == want, '%s: one reconfigure per service: %s' % (args[0], want),
                    state['counters'])
        ok &= result(not state['dirty'], '%s: no saved change left unapplied' % args[0], state['dirty'])
    elif command == 'objects':  # {kind: count}
        want = json.loads(args[1])
        counts = {k: len(v) for k, v in control(ports, '/state')['collections'].items()}
        got = {k: counts.get(k) for k in want}
        ok = result(got == want, '%s: objects %s' % (args[0], want), got)
    elif command == 'snake-case':
        paths = {e['path'].split('?')[0] for e in control(ports, '/log')}
        commands = {p.split('/')[2] for p in paths if len(p.split('/')) > 2}
        camel = sorted(c for c in commands if re.search('[A-Z]', c))
        ok = result(not camel, 'every command in snake_case (%d distinct)' % len(commands), camel)
    elif command == 'backup-first':  # the backup was downloaded, and kept 0600, before the first rule change
        directory = args[0]
        log = control(ports, '/log')
        backups = [e for e in log if e['path'].startswith('core/backup/download')]
        rule_writes = [e for e in writes(log) if e['path'].startswith('firewall/filter/')]
        files = sorted(os.path.join(directory, f) for f in os.listdir(directory)) if os.path.isdir(directory) else []
        ok = result(bool(backups) and bool(rule_writes) and backups[0]['t'] < rule_writes[0]['t'],
                    'the backup was downloaded before the first rule change',
                    'backup at %s, first rule write at %s' % (backups[:1], rule_writes[:1]))
        ok &= result(len(files) == 1, 'one backup file kept in %s' % directory, files)
        if files:
            mode = stat.S_IMODE(os.stat(files[0]).st_mode)
            ok &= result(mode == 0o600, 'it is 0600', oct(mode))
            ok &= result(os.stat(files[0]).st_mtime <= rule_writes[0]['t'] if rule_writes else False,
                         'it was on disk before the first rule change')
            with open(files[0], 'rb') as handle:
                ok &= result(b'<opnsense' in handle.read(200), 'it is a config.xml')
    elif command == 'wait-unlocked':
        deadline = time.time() + float(args[0])
        while time.time() < deadline:
            try:
                control(ports, '/state')
                import socket
                import ssl
                with socket.create_connection(('127.0.0.1', ports['api']), timeout=2) as sock:
                    context = ssl.create_default_context()
                    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
                    with context.wrap_socket(sock):
                        break
            except OSError:
                time.sleep(0.5)
        else:
            ok = result(False, 'the API answers again', 'still locked')
    else:
        raise SystemExit('check.py: unknown command %s' % command)
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
