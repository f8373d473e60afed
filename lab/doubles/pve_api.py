"""A DOUBLE of the Proxmox VE REST API for tests and benchmarks: not Proxmox VE.

It answers the endpoints homelab.cluster calls (and the ones community.proxmox's modules call for the steps the
roles delegate to them) over HTTPS on loopback, with the request rules of the generated API schema that
``pve_api_schema.json`` holds (extracted from pve-docs' ``api-viewer/apidata.js`` by ``pve_schema_extract.py``):

* unknown or missing parameters, wrong types, values outside an enum/range/pattern, unknown keys in property
  strings (``net0``, ``hostpci0``) -> 400 "Parameter verification failed." with ``errors`` per parameter;
* ``Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET`` or a ``PVEAuthCookie`` ticket from
  ``POST /access/ticket`` (then ``CSRFPreventionToken`` on writes); anything else -> 401;
* each method's ``permissions`` checked against the caller's privileges (the state's token table: the
  effective privileges per ACL path, propagated to sub-paths); no ``permissions`` block -> root@pam only, as
  ``PVE::RPCEnvironment`` does (so ``POST /cluster/config/join`` needs a root@pam ticket, never a token);
  ``allowtoken: 0`` -> tokens refused;
* answers in the documented return shapes, which the double checks against the schema before sending (a
  mismatch is a 500 naming the field: a bug in the double, never hidden).

The documented gotchas are reproduced from the state: a guest created moments ago (``fresh``) has no ``name``
and status ``unknown`` in ``/cluster/resources``; tags are one ``;``-separated string; pool ids start with
``/pool/``; a guest agent that is not running answers 500 "QEMU guest agent is not running"; an agent just after
boot reports interfaces without ``ip-addresses``; an offline node answers per-node calls with 595.

    python3 lab/doubles/pve_api.py STATE.json --port 18600 [--tls-dir DIR] [--latency-ms 20]

The state file (JSON) is read at start and written back after every change. ``GET /__double/stats`` returns the
request counts (and the most requests in flight at once), ``POST /__double/reset`` zeroes them (outside /api2: no
real PVE path).
"""

import argparse
import datetime
import http.server
import json
import os
import re
import socket
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pve_handlers  # noqa: E402
import pve_validate  # noqa: E402
from pve_validate import ApiError  # noqa: E402

SCHEMA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'pve_api_schema.json')


def load_schema():
    with open(SCHEMA_FILE) as handle:
        schema = json.load(handle)
    routes = []
    for path, methods in schema['endpoints'].items():
        regex = re.compile('^' + re.sub(r'\{([^}]+)\}', r'(?P<\1>[^/]+)', path) + '$')
        routes.append((regex, path, methods))
    routes.sort(key=lambda r: -r[1].count('/'))
    return schema, routes


def make_cert(directory):
    """A self-signed certificate for 127.0.0.1/localhost (tests trust it through REQUESTS_CA_BUNDLE)."""
    cert, key = os.path.join(directory, 'pve-double.crt'), os.path.join(directory, 'pve-double.key')
    if os.path.exists(cert) and os.path.exists(key):
        return cert, key
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    os.makedirs(directory, exist_ok=True)
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'pve-double')])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=365))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName('localhost'),
                                                               x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(private, hashes.SHA256()))
    with open(key, 'wb') as handle:
        handle.write(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    with open(cert, 'wb') as handle:
        handle.write(certificate.public_bytes(serialization.Encoding.PEM))
    return cert, key


class Double:
    def __init__(self, state_file, latency_s=0.0):
        self.state_file = state_file
        with open(state_file) as handle:
            self.state = json.load(handle)
        self.schema, self.routes = load_schema()
        self.latency_s = latency_s
        self.lock = threading.RLock()
        self.stats = {'requests': 0, 'by_path': {}, 'max_in_flight': 0}
        self.in_flight = 0
        self.tickets = {}

    def save(self):
        tmp = self.state_file + '.tmp'
        with open(tmp, 'w') as handle:
            json.dump(self.state, handle, indent=1, sort_keys=True)
        os.replace(tmp, self.state_file)

    # ----------------------------------------------------------------------------------------- auth

    def caller(self, headers, method):
        auth = headers.get('Authorization') or ''
        match = re.fullmatch(r'PVEAPIToken=([^!\s]+)!([^=\s]+)[=:](\S+)', auth.strip())
        if match:
            user, token, secret = match.groups()
            entry = self.state.get('tokens', {}).get('%s!%s' % (user, token))
            if not entry or entry.get('secret') != secret:
                raise ApiError(401, 'authentication failure')
            return {'user': '%s!%s' % (user, token), 'token': True, 'acl': entry.get('acl', {})}
        cookie = headers.get('Cookie') or ''
        match = re.search(r'PVEAuthCookie=([^;\s]+)', cookie)
        if match:
            ticket = urllib.parse.unquote(match.group(1))
            session = self.tickets.get(ticket)
            if not session:
                raise ApiError(401, 'authentication failure')
            if method != 'GET' and headers.get('CSRFPreventionToken') != session['csrf']:
                raise ApiError(401, 'Permission denied - invalid csrf token')
            return {'user': session['user'], 'token': False, 'acl': self.state['users'][session['user']].get('acl', {})}
        return None

    def privileges(self, who):
        acl = who['acl']

        def on(path):
            have = set()
            for acl_path, privs in acl.items():
                if path == acl_path or acl_path == '/' or path.startswith(acl_path.rstrip('/') + '/'):
                    have.update(privs)
            if '*' in have:
                return _ALL
            return have
        return on

    def authorize(self, spec, who, params):
        perms = spec.get('permissions')
        if perms and perms.get('user') == 'world':
            return
        if who is None:
            raise ApiError(401, 'No ticket')
        if who['token'] and not spec.get('allowtoken', 1):
            raise ApiError(403, 'Permission check failed (API tokens are not allowed for this method)')
        if who['user'] == 'root@pam':
            return
        if not perms:
            raise ApiError(403, 'Permission check failed (user != root@pam)')
        if perms.get('user') == 'all':
            return
        if 'check' in perms:
            ok, what = pve_validate.check_permission(perms['check'], self.privileges(who), params)
            if not ok:
                raise ApiError(403, 'Permission check failed (%s)' % what)
            return
        raise ApiError(403, 'Permission check failed (root@pam only in the double)')

    # --------------------------------------------------------------------------------------- dispatch

    def route(self, method, path):
        for regex, template, methods in self.routes:
            match = regex.match(path)
            if match:
                if method not in methods:
                    raise ApiError(501, "Method '%s %s' not implemented (in this double)" % (method, path))
                return template, methods[method], match.groupdict()
        raise ApiError(501, "Method '%s %s' not implemented" % (method, path))

    def handle(self, method, path, query, body, headers):
        with self.lock:
            self.stats['requests'] += 1
            key = '%s %s' % (method, path)
            self.stats['by_path'][key] = self.stats['by_path'].get(key, 0) + 1
            self.in_flight += 1
            self.stats['max_in_flight'] = max(self.stats['max_in_flight'], self.in_flight)
        try:
            return self._handle(method, path, query, body, headers)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _handle(self, method, path, query, body, headers):
        if self.latency_s:
            time.sleep(self.latency_s)
        template, spec, path_params = self.route(method, path)
        params = dict(query)
        params.update(body)
        params.update({k: urllib.parse.unquote(v) for k, v in path_params.items()})
        who = self.caller(headers, method)
        if who is None and (spec.get('permissions') or {}).get('user') != 'world':
            raise ApiError(401, 'No ticket')
        typed, errors = pve_validate.validate_parameters(spec, params)
        if errors:
            raise ApiError(400, 'Parameter verification failed.', errors)
        self.authorize(spec, who, params)
        handler = pve_handlers.HANDLERS.get((method, template))
        if handler is None:
            raise ApiError(501, "Method '%s %s' not implemented (in this double)" % (method, path))
        with self.lock:
            data = handler(self, who, typed, {k: params[k] for k in params})
        problems = pve_validate.check_returns(spec.get('returns') or {}, data)
        if problems:
            raise ApiError(500, 'double bug: answer does not match the documented shape: %s' % '; '.join(problems[:5]))
        return data


_ALL = frozenset([
    'Datastore.Allocate', 'Datastore.AllocateSpace', 'Datastore.AllocateTemplate', 'Datastore.Audit', 'Sys.Audit',
    'Sys.Modify', 'Sys.PowerMgmt', 'Sys.Console', 'Sys.Syslog', 'Pool.Allocate', 'Pool.Audit', 'VM.Allocate',
    'VM.Audit', 'VM.Clone', 'VM.Config.CDROM', 'VM.Config.CPU', 'VM.Config.Cloudinit', 'VM.Config.Disk',
    'VM.Config.HWType', 'VM.Config.Memory', 'VM.Config.Network', 'VM.Config.Options', 'VM.Console',
    'VM.GuestAgent.Audit', 'VM.GuestAgent.Unrestricted', 'VM.Migrate', 'VM.PowerMgmt', 'VM.Snapshot',
    'Mapping.Use', 'Mapping.Audit', 'Mapping.Modify', 'SDN.Use', 'SDN.Audit',
])


def _form(text):
    """A query or form body; a key given more than once (an array parameter such as map) becomes a list."""
    out = {}
    for key, value in urllib.parse.parse_qsl(text, keep_blank_values=True):
        if key in out:
            out[key] = (out[key] if isinstance(out[key], list) else [out[key]]) + [value]
        else:
            out[key] = value
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def setup(self):
        self.request.do_handshake()  # in this thread, not in the accepting one
        # headers and body go out in two writes: without this, Nagle + delayed ACK add ~40 ms per answer
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()

    def log_message(self, fmt, *args):  # quiet: the stats endpoint counts
        pass

    def _answer(self, status, payload, reason=None):
        body = json.dumps(payload).encode()
        self.send_response(status, reason)
        self.send_header('Content-Type', 'application/json;charset=UTF-8')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _serve(self, method):
        double = self.server.double
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length) if length else b''
        if url.path.startswith('/__double/'):
            if url.path == '/__double/reset' and method == 'POST':
                with double.lock:
                    double.stats = {'requests': 0, 'by_path': {}, 'max_in_flight': 0}
            return self._answer(200, double.stats)
        if not url.path.startswith('/api2/json/'):
            return self._answer(404, {'data': None}, 'Not Found')
        query = _form(url.query)
        if raw and 'json' in (self.headers.get('Content-Type') or ''):
            body = dict(json.loads(raw).items())
        else:
            body = _form(raw.decode())
        try:
            data = double.handle(method, url.path[len('/api2/json'):], query, body, self.headers)
        except ApiError as exc:
            payload = {'data': None, 'message': exc.message + '\n'}
            if exc.errors:
                payload['errors'] = exc.errors
            return self._answer(exc.status, payload, exc.message)
        return self._answer(200, {'data': data})

    def do_GET(self):
        self._serve('GET')

    def do_POST(self):
        self._serve('POST')

    def do_PUT(self):
        self._serve('PUT')

    def do_DELETE(self):
        self._serve('DELETE')


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('state')
    parser.add_argument('--port', type=int, default=18600)
    parser.add_argument('--tls-dir', default=None, help='where the self-signed certificate is (made if missing)')
    parser.add_argument('--latency-ms', type=float, default=0.0, help='added to every API request')
    args = parser.parse_args(argv)
    server = Server(('127.0.0.1', args.port), Handler)
    server.double = Double(args.state, args.latency_ms / 1000.0)
    cert, key = make_cert(args.tls_dir or os.path.dirname(os.path.abspath(args.state)))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    print('pve double on https://127.0.0.1:%d (certificate %s)' % (args.port, cert), flush=True)
    server.serve_forever()


if __name__ == '__main__':
    main()
