"""Recorded answers of Prometheus' /api/v1/query for the status page test, on loopback only: each query the
status page asks maps to the result list a real Prometheus gave in the lab's shape (answers.json). A query that
is not recorded answers an empty vector, as Prometheus does for a metric nobody publishes.

    prometheus.py ANSWERS.json PORT
"""

import http.server
import json
import sys
import urllib.parse

ANSWERS = {}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        url = urllib.parse.urlparse(self.path)
        if url.path != '/api/v1/query':
            self.send_response(404)
            self.end_headers()
            return
        query = urllib.parse.parse_qs(url.query).get('query', [''])[0]
        body = {'status': 'success', 'data': {'resultType': 'vector', 'result': ANSWERS.get(query, [])}}
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def log_message(self, *args):
        pass


if __name__ == '__main__':
    with open(sys.argv[1]) as handle:
        ANSWERS.update(json.load(handle))
    http.server.HTTPServer(('127.0.0.1', int(sys.argv[2])), Handler).serve_forever()
