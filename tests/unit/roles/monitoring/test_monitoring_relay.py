"""roles/monitoring/files/alert_relay.py: Alertmanager's webhook JSON (version 4) to the house webhook's
ntfy/n8n-style message, and the HTTP relay itself against a receiver on loopback (a failing one answers 502, so
Alertmanager retries)."""

import http.server
import json
import threading
import urllib.error
import urllib.request

import alert_relay as relay
import pytest

FIRING = {
    'version': '4', 'status': 'firing', 'receiver': 'house', 'groupKey': '{}:{alertname="HostDown"}',
    'groupLabels': {'alertname': 'HostDown', 'host': 'frame'},
    'commonLabels': {'alertname': 'HostDown', 'host': 'frame', 'severity': 'critical'},
    'alerts': [{'status': 'firing', 'labels': {'alertname': 'HostDown', 'host': 'frame', 'severity': 'critical'},
                'annotations': {'summary': 'frame is down', 'reason': 'r'}, 'startsAt': '2026-11-24T03:00:00Z',
                'endsAt': '0001-01-01T00:00:00Z'}],
}


def test_firing_and_resolved_messages():
    note = relay.notification(FIRING, 'home')
    assert note['title'] == 'home: FIRING HostDown on frame'
    assert note['message'] == 'frame is down'
    assert note['priority'] == 5 and note['severity'] == 'critical' and note['firing'] == 1
    assert note['alerts'][0]['labels']['host'] == 'frame'
    resolved = dict(FIRING, status='resolved', alerts=[dict(FIRING['alerts'][0], status='resolved')])
    note = relay.notification(resolved)
    assert note['title'] == 'homelab: resolved HostDown on frame' and note['priority'] == 2


def test_a_group_of_several_alerts():
    alerts = [{'status': 'firing', 'labels': {'alertname': 'DiskAlmostFull', 'host': h, 'severity': 'warning'},
               'annotations': {'summary': '/ on %s' % h}} for h in ('nas', 'desk')]
    note = relay.notification({'status': 'firing', 'commonLabels': {'alertname': 'DiskAlmostFull'}, 'alerts': alerts})
    assert note['title'] == 'homelab: FIRING DiskAlmostFull on desk, nas'
    assert note['message'] == '/ on nas\n/ on desk' and note['priority'] == 4


class Receiver(http.server.BaseHTTPRequestHandler):
    got = []
    code = 200

    def do_POST(self):  # noqa: N802
        Receiver.got.append(json.loads(self.rfile.read(int(self.headers['Content-Length']))))
        self.send_response(Receiver.code)
        self.end_headers()

    def log_message(self, *args):
        pass


def serve(handler, config=None):
    if config is not None:
        handler.config = config
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def post(url, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method='POST',  # noqa: S310
                                     headers={'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - loopback
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize('code, expected', [(200, 200), (500, 502)])
def test_relay_posts_to_the_webhook_and_fails_so_alertmanager_retries(code, expected):
    Receiver.got, Receiver.code = [], code
    webhook = serve(Receiver)
    front = serve(relay.Relay, {'webhook_url': 'http://127.0.0.1:%d/homelab' % webhook.server_address[1]})
    try:
        base = 'http://127.0.0.1:%d' % front.server_address[1]
        assert post(base + '/alertmanager', FIRING) == expected
        assert Receiver.got[0]['title'] == 'homelab: FIRING HostDown on frame'
        assert post(base + '/other', FIRING) == 404
        assert post(base + '/alertmanager', ['not', 'a', 'notification']) == 400
    finally:
        webhook.shutdown()
        front.shutdown()
