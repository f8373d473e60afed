"""DOUBLE of the TrueNAS SCALE JSON-RPC 2.0 API for tests and the lab: not TrueNAS (no ZFS, no disks, no
services behind it). It answers at ws[s]://127.0.0.1:PORT/api/current the methods the truenas_* modules use,
with the parameter models of the real releases (truenas_models.py) and the real error shapes
(truenas/middleware api/base/server/ws_handler/rpc.py):

    -32602 Invalid params   data {error: 22, errname: EINVAL, reason: "[EINVAL] data.x: Field required\\n",
                                  trace, extra: [["data.x", "Field required", 22]]}
    -32001 Method call error  data {error, errname, reason: "[ENOENT] ...", trace, extra}
    -32601 Method does not exist;  -32600 invalid request

What it plays, because the modules must cope with it:
  * releases 25.04, 25.10 (25.10.1 has the auth.mechanism_choices bug of 25.04.2-25.10.2) and 26.0, chosen by
    --release: snapshot namespaces, SMB purposes and shapes, enum strictness, SCRAM and reconnect tokens;
  * logins: API_KEY_PLAIN, SCRAM-SHA-512 (RFC 5802, channel binding tls-server-end-point checked against its own
    certificate), TOKEN_PLAIN with tokens from auth.generate_token;
  * the rate limit of unauthenticated calls (more than 20 a minute per method and address -> a 1-10 s sleep and
    "[EBUSY] Rate Limit Exceeded") and the lock after 3 failed logins in 15 minutes;
  * jobs (pool.create takes --job-seconds, polled through core.get_jobs);
  * pool.create's own checks only: like the real one it takes disks that hold an exported pool or partitions
    (so the module's refusal is what protects them).

A control port (plain HTTP, 127.0.0.1 only) lets tests look and inject faults:
    GET  /state  /counters        POST /fault {"drop": {"method": M, "when": "before|after", "count": 1,
    POST /tick (runs the snapshot tasks once)            "then_refuse": N}, "refuse_connections": N}
    POST /alert {...}   POST /reset-counters     (N connections refused with 503; -1: all, until cleared)

    python3 lab/doubles/truenas.py --port 18401 --control-port 18402 --release 26.0 \\
        --user homelab --api-key 1-abc... [--tls-cert cert.pem --tls-key key.pem]
"""

import argparse
import base64
import hashlib
import hmac
import http.server
import json
import os
import random
import re
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import contextlib

from truenas_models import models  # noqa: E402
from truenas_rpc import RpcError  # noqa: E402
from truenas_rpc import call_error  # noqa: E402
from truenas_rpc import validation_error  # noqa: E402
from truenas_schema import accept  # noqa: E402
from truenas_state import Nas  # noqa: E402
from truenas_ws import WebSocketServer  # noqa: E402

NO_AUTH = ('auth.mechanism_choices', 'auth.login_ex', 'auth.login_with_api_key', 'auth.login_with_token', 'core.ping')
ENOTAUTHENTICATED = 207
EBUSY = 16
SCRAM_ITERATIONS = 50000  # the lowest TrueNAS accepts; the real server stores keys with 500000


def release_of(text):
    match = re.match(r'^(\d+)\.(\d+)', text)
    return int(match.group(1)), int(match.group(2))


class Double:
    def __init__(self, release, users, job_seconds=2.0, rate_sleep=(1.0, 10.0), lock=(3, 900), cert_der=None):
        self.release_text = release
        self.release = release_of(release)
        self.models = models(self.release)
        self.lock = threading.RLock()
        self.nas = Nas(self, job_seconds)
        self.rate_sleep = rate_sleep
        self.lock_failures, self.lock_window = lock
        self.cert_der = cert_der
        self.users = {}
        for name, key in users:
            key_id, material = key.split('-', 1)
            salt = os.urandom(16)
            salted = hashlib.pbkdf2_hmac('sha512', material.encode(), salt, SCRAM_ITERATIONS)
            client_key = hmac.new(salted, b'Client Key', 'sha512').digest()
            self.users.setdefault(name, {'keys': {}, 'failures': [], 'locked_until': 0})['keys'][int(key_id)] = {
                'raw': key, 'salt': salt, 'stored_key': hashlib.sha512(client_key).digest(),
                'server_key': hmac.new(salted, b'Server Key', 'sha512').digest()}
        self.tokens = {}
        self.rate = {}
        self.faults = {'drop': None, 'refuse_connections': 0}
        self.counters = {}
        self.reset_counters()

    # ------------------------------------------------------------------------------------------ counters

    def reset_counters(self):
        with self.lock:
            self.counters = {'connections': 0, 'key_logins': 0, 'token_logins': 0, 'failed_logins': 0,
                             'rate_limited': 0, 'drops': 0, 'refused_connections': 0, 'calls': {},
                             'per_connection': []}

    def admit(self, _address):
        with self.lock:
            if self.faults['refuse_connections']:
                if self.faults['refuse_connections'] > 0:
                    self.faults['refuse_connections'] -= 1
                self.counters['refused_connections'] += 1
                return 'the double refuses connections (fault injected)\n'
        return None

    # ------------------------------------------------------------------------------------------ websocket

    def serve(self, conn):
        with self.lock:
            self.counters['connections'] += 1
            record = {'id': self.counters['connections'], 'key_logins': 0, 'token_logins': 0, 'calls': 0}
            self.counters['per_connection'].append(record)
        conn.data.update({'user': None, 'record': record, 'scram': None})
        while True:
            text = conn.recv()
            if text is None:
                return
            reply, drop = self.handle(conn, text)
            if drop:
                with self.lock:
                    self.counters['drops'] += 1
                conn.close()  # no close frame: a network that went away
                return
            if reply is not None:
                try:
                    conn.send(json.dumps(reply))
                except Exception:
                    return

    def handle(self, conn, text):
        try:
            message = json.loads(text)
        except ValueError as exc:
            return {'jsonrpc': '2.0', 'id': None, 'error': {'code': -32700, 'message': str(exc)}}, False
        problem = None
        if not isinstance(message, dict) or message.get('jsonrpc') != '2.0':
            problem = "'jsonrpc' member must be of type string and must be exactly '2.0'"
        elif not isinstance(message.get('method'), str) or not message['method']:
            problem = "'method' member must be of type string"
        elif not isinstance(message.get('params', []), list):
            problem = "'params' member must be of type array"
        call_id = message.get('id') if isinstance(message, dict) else None
        if problem:
            return {'jsonrpc': '2.0', 'id': call_id, 'error': {'code': -32600, 'message': problem}}, False
        method, params = message['method'], message.get('params', [])
        drop = self._take_drop(method)
        if drop == 'before':
            return None, True
        try:
            result = self.dispatch(conn, method, params)
            reply = {'jsonrpc': '2.0', 'id': call_id, 'result': result}
        except RpcError as exc:
            reply = {'jsonrpc': '2.0', 'id': call_id, 'error': exc.error()}
        if drop == 'after':
            return None, True
        return (reply if 'id' in message else None), False

    def _take_drop(self, method):
        with self.lock:
            drop = self.faults['drop']
            if drop and drop.get('method') in (method, '*') and drop.get('count', 1) > 0:
                drop['count'] = drop.get('count', 1) - 1
                if drop['count'] <= 0:
                    self.faults['drop'] = None
                if drop.get('then_refuse'):  # the network stays down: later connections are refused
                    self.faults['refuse_connections'] = drop['then_refuse']
                return drop.get('when', 'before')
        return None

    def dispatch(self, conn, method, params):
        with self.lock:
            self.counters['calls'][method] = self.counters['calls'].get(method, 0) + 1
            conn.data['record']['calls'] += 1
        if method not in self.models:
            raise RpcError(-32601, 'Method does not exist')
        if method in NO_AUTH and conn.data['user'] is None:
            self._rate_limit(method, conn.address[0])
        elif conn.data['user'] is None and method not in NO_AUTH:
            raise call_error('Not authenticated', ENOTAUTHENTICATED)
        values, errors = accept(self.models[method], params)
        if errors:
            raise validation_error(errors)
        if method.startswith('auth.'):
            return self.auth(conn, method, values)
        with self.lock:
            return self.nas.call(method, values)

    def _rate_limit(self, method, address):
        with self.lock:
            now = time.monotonic()
            entry = self.rate.setdefault((method, address), {'count': 0, 'reset': now})
            if now - entry['reset'] >= 60:
                entry['count'], entry['reset'] = 0, now
            entry['count'] += 1
            exceeded = entry['count'] > 20
            if exceeded:
                self.counters['rate_limited'] += 1
        if exceeded:
            time.sleep(random.uniform(*self.rate_sleep))  # noqa: S311 - the middleware's random delay
            raise call_error('Rate Limit Exceeded', EBUSY)

    # ------------------------------------------------------------------------------------------ auth

    def auth(self, conn, method, values):
        if method == 'auth.mechanism_choices':
            if self.release_text in ('25.04', '25.04.2', '25.10', '25.10.0', '25.10.1', '25.10.2'):
                raise call_error("'NoneType' object has no attribute 'may_create_auth_token'", 22)
            mechanisms = ['PASSWORD_PLAIN', 'API_KEY_PLAIN', 'TOKEN_PLAIN', 'OTP_TOKEN']
            return mechanisms + (['SCRAM'] if self.release >= (26, 0) else [])
        if method == 'auth.generate_token':
            ttl, _attrs, match_origin, single_use = values
            token = base64.urlsafe_b64encode(os.urandom(30)).decode()
            with self.lock:
                self.tokens[token] = {'user': conn.data['user'], 'single_use': single_use,
                                      'expires': time.time() + (ttl or 600),
                                      'origin': conn.address[0] if match_origin else None}
            return token
        if method == 'auth.logout':
            conn.data['user'] = None
            return True
        if method == 'auth.me':
            return self.user_info(conn.data['user'])
        if method == 'auth.login_with_token':
            return self._login_token(conn, values[0])['response_type'] == 'SUCCESS'
        if method == 'auth.login_with_api_key':
            raise call_error('auth.login_with_api_key is deprecated; the double answers auth.login_ex only', 95)
        data = values[0]
        mechanism = data['mechanism']
        if mechanism == 'API_KEY_PLAIN':
            return self._login_key(conn, data['username'], lambda key: hmac.compare_digest(
                key['raw'], data['api_key']), 'API_KEY_PLAIN')
        if mechanism == 'TOKEN_PLAIN':
            return self._login_token(conn, data['token'])
        if mechanism == 'SCRAM':
            return self._scram(conn, data)
        return {'response_type': 'AUTH_ERR'}

    def user_info(self, name):
        return {'username': name, 'full_name': name, 'privilege': {'roles': {'$set': ['FULL_ADMIN']}},
                'attributes': {}, 'two_factor_config': {}, 'account_attributes': ['LOCAL', 'API_KEY']}

    def _failed(self, name):
        with self.lock:
            self.counters['failed_logins'] += 1
            user = self.users.get(name)
            if user is None:
                return {'response_type': 'AUTH_ERR'}
            now = time.time()
            user['failures'] = [t for t in user['failures'] if now - t < self.lock_window] + [now]
            if len(user['failures']) >= self.lock_failures:
                user['locked_until'] = now + self.lock_window
        return {'response_type': 'AUTH_ERR'}

    def _success(self, conn, name, kind):
        with self.lock:
            conn.data['user'] = name
            if kind == 'token':
                self.counters['token_logins'] += 1
                conn.data['record']['token_logins'] += 1
            else:
                self.counters['key_logins'] += 1
                conn.data['record']['key_logins'] += 1
        return {'response_type': 'SUCCESS', 'user_info': self.user_info(name), 'authenticator': 'LEVEL_1',
                'reconnect_token': None}

    def _locked(self, name):
        user = self.users.get(name)
        return user is not None and user['locked_until'] > time.time()

    def _login_key(self, conn, name, check, _how):
        user = self.users.get(name)
        if user is None or self._locked(name) or not any(check(key) for key in user['keys'].values()):
            return self._failed(name)
        return self._success(conn, name, 'key')

    def _login_token(self, conn, token):
        with self.lock:
            entry = self.tokens.get(token)
            if entry is None or entry['expires'] < time.time() or (
                    entry['origin'] and entry['origin'] != conn.address[0]):
                self.counters['failed_logins'] += 1
                return {'response_type': 'AUTH_ERR'}
            if entry['single_use']:
                del self.tokens[token]
        return self._success(conn, entry['user'], 'token')

    def _scram(self, conn, data):
        if data['scram_type'] == 'CLIENT_FIRST_MESSAGE':
            match = re.match(r'^(n|y|p=tls-server-end-point),,n=([^,:]+):(\d+),r=([A-Za-z0-9+/=]+)$', data['rfc_str'])
            if not match:
                raise call_error('SCRAM client-first message is malformed: %r' % data['rfc_str'], 22)
            gs2, name, key_id, nonce = match.groups()
            try:
                client_nonce = base64.b64decode(nonce, validate=True)
            except ValueError:
                client_nonce = b''
            if len(client_nonce) != 32:
                raise call_error('%d: unexpected nonce size' % len(client_nonce), 22)
            user = self.users.get(name)
            key = user['keys'].get(int(key_id)) if user else None
            if key is None or self._locked(name):
                return self._failed(name)
            server_first = 'r=%s,s=%s,i=%d' % (base64.b64encode(client_nonce + os.urandom(32)).decode(),
                                               base64.b64encode(key['salt']).decode(), SCRAM_ITERATIONS)
            conn.data['scram'] = {'gs2': gs2, 'name': name, 'key': key, 'server_first': server_first,
                                  'bare': data['rfc_str'].split(',', 2)[2]}
            return {'response_type': 'SCRAM_RESPONSE', 'scram_type': 'SERVER_FIRST_RESPONSE',
                    'rfc_str': server_first, 'user_info': None}
        pending, conn.data['scram'] = conn.data['scram'], None
        match = re.match(r'^c=([A-Za-z0-9+/=]+),r=([A-Za-z0-9+/=]+),p=([A-Za-z0-9+/=]+)$', data['rfc_str'])
        if pending is None or not match:
            raise call_error('SCRAM client-final message without an exchange in progress, or malformed', 22)
        channel, nonce, proof = match.groups()
        if nonce != pending['server_first'][2:].split(',')[0]:
            return self._failed(pending['name'])
        expected_cb = (pending['gs2'] + ',,').encode()
        if pending['gs2'].startswith('p='):
            if self.cert_der is None:  # binding only over TLS
                return self._failed(pending['name'])
            expected_cb += end_point_hash(self.cert_der)
        if base64.b64decode(channel) != expected_cb:
            return self._failed(pending['name'])
        auth_message = ','.join((pending['bare'], pending['server_first'], 'c=%s,r=%s' % (channel, nonce))).encode()
        signature = hmac.new(pending['key']['stored_key'], auth_message, 'sha512').digest()
        client_key = bytes(a ^ b for a, b in zip(base64.b64decode(proof), signature))
        if not hmac.compare_digest(hashlib.sha512(client_key).digest(), pending['key']['stored_key']):
            return self._failed(pending['name'])
        self._success(conn, pending['name'], 'key')
        verifier = hmac.new(pending['key']['server_key'], auth_message, 'sha512').digest()
        return {'response_type': 'SCRAM_RESPONSE', 'scram_type': 'SERVER_FINAL_RESPONSE',
                'rfc_str': 'v=%s' % base64.b64encode(verifier).decode(), 'user_info': self.user_info(pending['name'])}


def end_point_hash(cert_der):
    """RFC 5929 tls-server-end-point of the double's own certificate, through the cryptography library (an
    implementation independent of the collection's)."""
    try:
        from cryptography import x509
        algorithm = x509.load_der_x509_certificate(cert_der).signature_hash_algorithm.name
    except Exception:
        algorithm = 'sha256'
    if algorithm in ('md5', 'sha1'):
        algorithm = 'sha256'
    return hashlib.new(algorithm, cert_der).digest()


class Control(http.server.BaseHTTPRequestHandler):
    double = None

    def log_message(self, *_args):
        pass

    def _send(self, status, body):
        data = json.dumps(body, indent=1, sort_keys=True, default=str).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        double = self.double
        with double.lock:
            if self.path == '/state':
                return self._send(200, double.nas.snapshot_state())
            if self.path == '/counters':
                return self._send(200, double.counters)
        return self._send(404, {'error': 'GET /state or /counters'})

    def do_POST(self):
        double = self.double
        length = int(self.headers.get('Content-Length') or 0)
        body = json.loads(self.rfile.read(length) or b'{}')
        with double.lock:
            if self.path == '/fault':
                double.faults.update(body)
                return self._send(200, double.faults)
            if self.path == '/tick':
                return self._send(200, double.nas.tick())
            if self.path == '/alert':
                return self._send(200, double.nas.add_alert(body))
            if self.path == '/reset-counters':
                double.reset_counters()
                return self._send(200, double.counters)
        return self._send(404, {'error': 'POST /fault, /tick, /alert or /reset-counters'})


def main(argv=None):
    parser = argparse.ArgumentParser(description='DOUBLE of the TrueNAS SCALE JSON-RPC API (not TrueNAS)')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--control-port', type=int, required=True)
    parser.add_argument('--release', default='25.10.5', help='25.04, 25.10.1, 25.10.5 or 26.0 (default 25.10.5)')
    parser.add_argument('--user', action='append', default=[], help='NAME=KEY (KEY as <id>-<material>)')
    parser.add_argument('--tls-cert')
    parser.add_argument('--tls-key')
    parser.add_argument('--job-seconds', type=float, default=2.0)
    parser.add_argument('--rate-limit-sleep', default='1,10', help='seconds MIN,MAX of the throttle delay')
    parser.add_argument('--disks', help='a JSON file with the disks (default: the seed NAS, see truenas_state)')
    opts = parser.parse_args(argv)
    context, cert_der = None, None
    if opts.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(opts.tls_cert, opts.tls_key)
        with open(opts.tls_cert) as handle:
            cert_der = ssl.PEM_cert_to_DER_cert(handle.read())
    users = [tuple(item.split('=', 1)) for item in opts.user] or [('homelab', '1-double0key0for0tests')]
    double = Double(opts.release, users, opts.job_seconds, tuple(float(x) for x in opts.rate_limit_sleep.split(',')),
                    cert_der=cert_der)
    if opts.disks:
        with open(opts.disks) as handle:
            double.nas.set_disks(json.load(handle))
    Control.double = double
    control = http.server.ThreadingHTTPServer(('127.0.0.1', opts.control_port), Control)
    threading.Thread(target=control.serve_forever, daemon=True).start()
    server = WebSocketServer(('127.0.0.1', opts.port), double.serve, ssl_context=context, admit=double.admit)
    print('truenas double %s on %s://127.0.0.1:%d/api/current (control http://127.0.0.1:%d)'
          % (opts.release, 'wss' if context else 'ws', opts.port, opts.control_port), flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == '__main__':
    main()
