"""DOUBLES of smart plugs and Home Assistant for the lab: not the vendors' software.

They answer the documented status requests in the documented JSON shapes, so homelab.cluster.power_info
can be tested in the lab:

    Shelly Gen2+  GET /rpc/Switch.GetStatus?id=0  {"id":0,"source":"init","output":true,"apower":W,"voltage":V,...}
    Shelly Gen1   GET /status                     {"relays":[{"ison":true}],"meters":[{"power":W,"is_valid":true}]}
    Tasmota       GET /cm?cmnd=Status%208         {"StatusSNS":{"Time":...,"ENERGY":{"Power":W,...}}}
    Home Assistant GET /api/states/<entity>       {"entity_id":...,"state":"W","attributes":{"unit_of_measurement":"W"}}
                   (Authorization: Bearer <token>, else 401)
    Webhook        POST /<anything> on webhook_port: an ntfy/n8n-style receiver that appends each JSON body, with
                   the time it came, to notifications.jsonl beside the state file

Every request re-reads the state file (JSON), so a test changes the readings by rewriting it:

    {"token": "...",
     "plugs": {"8081": {"kind": "shelly_gen2", "host": "10.77.96.20", "on_w": 600, "off_w": 0.8}, ...},
     "ha_port": 8123,
     "house": {"entity": "sensor.house_power", "base_w": 2330}}

A plug reads on_w while the host it feeds answers on TCP 22 and off_w when it does not: a machine that was
powered off stops drawing, as a real plug would measure. The house sensor is base_w plus every plug.

    python3 power_devices.py /etc/homelab-doubles/state.json
"""

import http.server
import json
import os
import socket
import socketserver
import sys
import threading
import time

STATE = sys.argv[1] if len(sys.argv) > 1 else '/etc/homelab-doubles/state.json'


def state():
    with open(STATE) as handle:
        return json.load(handle)


def plug_watts(plug):
    try:
        with socket.create_connection((plug['host'], 22), timeout=0.3):
            return float(plug['on_w'])
    except OSError:
        return float(plug.get('off_w', 0))


def plug_answer(kind, watts):
    if kind == 'shelly_gen2':
        return {'id': 0, 'source': 'init', 'output': True, 'apower': watts, 'voltage': 230.0,
                'current': round(watts / 230.0, 3), 'aenergy': {'total': 1000.0}, 'temperature': {'tC': 40.0}}
    if kind == 'shelly_gen1':
        return {'relays': [{'ison': True, 'has_timer': False}], 'meters': [{'power': watts, 'is_valid': True}]}
    energy = {'Total': 1.0, 'Power': round(watts), 'Voltage': 230}
    return {'StatusSNS': {'Time': '2026-11-24T00:00:00', 'ENERGY': energy}}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        current = state()
        port = str(self.server.server_address[1])
        body, status = None, 404
        if port in current['plugs']:
            plug = current['plugs'][port]
            paths = {'shelly_gen2': '/rpc/Switch.GetStatus?id=0', 'shelly_gen1': '/status',
                     'tasmota': '/cm?cmnd=Status%208'}
            if self.path == paths[plug['kind']]:
                body, status = plug_answer(plug['kind'], plug_watts(plug)), 200
        elif port == str(current['ha_port']) and self.path.startswith('/api/states/'):
            if self.headers.get('Authorization') != 'Bearer %s' % current['token']:
                body, status = {'message': 'Unauthorized'}, 401
            elif self.path == '/api/states/%s' % current['house']['entity']:
                watts = current['house']['base_w'] + sum(plug_watts(p) for p in current['plugs'].values())
                body, status = {'entity_id': current['house']['entity'], 'state': '%.1f' % watts,
                                'attributes': {'unit_of_measurement': 'W', 'device_class': 'power'}}, 200
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.end_headers()
        if body is not None:
            self.wfile.write(json.dumps(body).encode())

    def do_POST(self):
        current = state()
        if str(self.server.server_address[1]) != str(current.get('webhook_port')):
            self.send_response(404)
            self.end_headers()
            return
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        record = {'time': time.time(), 'path': self.path, 'body': json.loads(body or b'null')}
        with open(os.path.join(os.path.dirname(STATE), 'notifications.jsonl'), 'a') as handle:
            handle.write(json.dumps(record) + '\n')
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args):
        pass


def main():
    current = state()
    ports = [int(p) for p in current['plugs']] + [int(current['ha_port'])] + \
        ([int(current['webhook_port'])] if current.get('webhook_port') else [])
    servers = []
    for port in ports:
        server = socketserver.ThreadingTCPServer(('0.0.0.0', port), Handler)  # noqa: S104 - the lab network only
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    print('power device doubles on ports %s' % ', '.join(map(str, ports)), flush=True)
    threading.Event().wait()


if __name__ == '__main__':
    main()
