# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Alertmanager to the house webhook, on loopback: Alertmanager's webhook JSON (version 4) in, the ntfy/n8n-style
message the power guard and the Slurm programs send out (title, message, priority, tags, plus the alerts).

Why a relay: Alertmanager's webhook receiver posts its own fixed JSON and cannot shape the body, while the house
webhook (ntfy's JSON publishing, an n8n flow) reads title/message/priority. An upstream failure answers 502, so
Alertmanager keeps the notification and retries it: nothing is lost while the webhook is down.

    alert_relay.py --config /etc/homelab/monitoring/relay.json    (0600: the URL may carry a token)
"""

import argparse
import http.server
import json
import sys
import urllib.request

PRIORITY = {'critical': 5, 'warning': 4, 'info': 3}


def notification(payload, house='homelab'):
    """The ntfy/n8n-style message of one Alertmanager notification (one group of alerts)."""
    alerts = payload.get('alerts') or []
    status = payload.get('status') or 'firing'
    common = payload.get('commonLabels') or {}
    firing = [a for a in alerts if a.get('status') == 'firing']
    name = common.get('alertname') or ', '.join(sorted({(a.get('labels') or {}).get('alertname', '?') for a in alerts}))
    hosts = sorted({(a.get('labels') or {}).get('host') for a in alerts} - {None})
    severity = common.get('severity') or max(((a.get('labels') or {}).get('severity', 'info') for a in alerts),
                                             key=lambda s: PRIORITY.get(s, 0), default='info')
    resolved = status == 'resolved'
    title = '%s: %s %s%s' % (house, 'resolved' if resolved else 'FIRING', name,
                             ' on %s' % ', '.join(hosts) if hosts else '')
    lines = []
    for alert in alerts:
        notes = alert.get('annotations') or {}
        line = notes.get('summary') or notes.get('description') or (alert.get('labels') or {}).get('alertname')
        if alert.get('status') == 'resolved' and not resolved:
            line = 'resolved: %s' % line
        lines.append(line)
    return {
        'title': title,
        'message': '\n'.join(lines),
        'priority': 2 if resolved else PRIORITY.get(severity, 3),
        'tags': ['white_check_mark' if resolved else 'rotating_light', severity],
        'status': status, 'severity': severity, 'hosts': hosts, 'firing': len(firing),
        'alerts': [{'status': a.get('status'), 'labels': a.get('labels') or {},
                    'annotations': a.get('annotations') or {}, 'startsAt': a.get('startsAt'),
                    'endsAt': a.get('endsAt')} for a in alerts],
        'source': 'alertmanager',
    }


class Relay(http.server.BaseHTTPRequestHandler):
    config = {}

    def do_POST(self):  # noqa: N802 - http.server's name
        if self.path.split('?')[0] != '/alertmanager':
            self.answer(404, 'POST /alertmanager')
            return
        try:
            payload = json.loads(self.rfile.read(int(self.headers.get('Content-Length') or 0)) or b'{}')
            body = json.dumps(notification(payload, self.config.get('house', 'homelab'))).encode()
        except (ValueError, TypeError, AttributeError) as exc:
            self.answer(400, 'not an Alertmanager notification: %s' % exc)
            return
        request = urllib.request.Request(self.config['webhook_url'], data=body, method='POST',  # noqa: S310
                                         headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(request, timeout=float(self.config.get('timeout_s', 10))):  # noqa: S310 - the role's http(s) URL
                pass
        except OSError as exc:
            # the URL may hold a token: name only the host
            where = self.config['webhook_url'].split('/')[2] if '//' in self.config['webhook_url'] else 'webhook'
            print('relay: the house webhook (%s) failed: %s; Alertmanager retries' % (where, exc), file=sys.stderr)
            self.answer(502, 'the house webhook failed')
            return
        self.answer(200, 'relayed')

    def answer(self, code, text):
        self.send_response(code)
        self.send_header('Content-Type', 'text/plain')
        self.end_headers()
        self.wfile.write(text.encode() + b'\n')

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='/etc/homelab/monitoring/relay.json')
    args = parser.parse_args()
    with open(args.config) as handle:
        Relay.config = json.load(handle)
    host, _sep, port = Relay.config.get('listen', '127.0.0.1:9095').rpartition(':')
    server = http.server.ThreadingHTTPServer((host, int(port)), Relay)
    server.serve_forever()


if __name__ == '__main__':
    main()
