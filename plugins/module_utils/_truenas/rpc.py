# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The JSON-RPC 2.0 transport to TrueNAS: one websocket (websocket-client), TLS verified by default.

PRIVATE to the homelab.cluster collection; its API may change without notice.

Errors carry the method and what the server said: JSON-RPC ``-32001`` (a method call error) and ``-32602``
(invalid params) bring ``data: {error, errname, reason, extra: [[attribute, message, errno], ...]}``;
``-32601`` is an unknown method; ``-32000`` too many concurrent calls (truenas/middleware
``api/base/server/ws_handler/rpc.py``). A connection that drops raises ConnectionLost, which the session
turns into one reconnect.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import socket
import ssl
import traceback

try:
    import websocket  # websocket-client
    HAS_WEBSOCKET = True
    WEBSOCKET_IMPORT_ERROR = None
except ImportError:  # reported by the module with missing_required_lib
    websocket = None
    HAS_WEBSOCKET = False
    WEBSOCKET_IMPORT_ERROR = traceback.format_exc()

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover
    from urlparse import urlsplit  # type: ignore

INVALID_PARAMS = -32602
METHOD_NOT_FOUND = -32601
CALL_ERROR = -32001
TOO_MANY_CALLS = -32000


class TrueNASError(Exception):
    """Something TrueNAS refused or a transport failure; str() says what was called and why."""

    def __init__(self, message, method=None, code=None, errname=None, reason=None, extra=None):
        super(TrueNASError, self).__init__(message)
        self.message = message
        self.method = method
        self.code = code
        self.errname = errname
        self.reason = reason
        self.extra = extra or []

    def __str__(self):
        return self.message


class CallFailed(TrueNASError):
    """The server answered the call with an error."""


class ConnectionLost(TrueNASError):
    """The websocket closed, reset or timed out under a call."""


def describe_error(method, error):
    """A JSON-RPC error object -> CallFailed naming the method, the errno name, the reason and each
    [attribute, message] of a validation error."""
    code = error.get('code')
    data = error.get('data') if isinstance(error.get('data'), dict) else {}
    errname = data.get('errname')
    reason = (data.get('reason') or error.get('message') or '').strip()
    extra = data.get('extra') if isinstance(data.get('extra'), list) else []
    details = []
    for item in extra:
        if isinstance(item, (list, tuple)) and len(item) >= 2:
            details.append('%s: %s' % (item[0], item[1]))
    if code == METHOD_NOT_FOUND:
        text = '%s: the server has no such method (%s)' % (method, error.get('message'))
    elif details:
        text = '%s refused: %s' % (method, '; '.join(details))
    else:
        text = '%s failed: %s' % (method, reason or error.get('message') or 'error %s' % code)
    return CallFailed(text, method=method, code=code, errname=errname, reason=reason, extra=extra)


def normalise_url(url):
    """'nas.lab', 'https://nas.lab', 'wss://nas.lab:8443/api/current' -> 'wss://nas.lab[:port]/api/current'."""
    text = (url or '').strip()
    if not text:
        raise TrueNASError('api_url is empty')
    if '://' not in text:
        text = 'wss://' + text
    parts = urlsplit(text)
    scheme = {'https': 'wss', 'http': 'ws', 'wss': 'wss', 'ws': 'ws'}.get(parts.scheme.lower())
    if scheme is None or not parts.hostname:
        raise TrueNASError('api_url %r: expected wss://HOST[:PORT][/api/current] (or https://HOST)' % url)
    path = parts.path.rstrip('/')
    if path in ('', '/api'):
        path = '/api/current'
    if path == '/websocket':
        raise TrueNASError('api_url %r: /websocket is the legacy protocol of TrueNAS 24.10 and older; the '
                           'truenas_* modules speak JSON-RPC 2.0 at /api/current (25.04 and newer)' % url)
    return '%s://%s%s' % (scheme, parts.netloc, path)


def is_loopback(url):
    host = urlsplit(url).hostname or ''
    if host == 'localhost':
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def ssl_context(validate_certs=True, ca_path=None):
    if not validate_certs:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=ca_path)


class Transport:
    """One websocket. request() sends a call and returns its result, skipping notifications
    (``collection_update``) and replies to other ids."""

    def __init__(self, url, validate_certs=True, ca_path=None, timeout=30, connector=None):
        self.url = normalise_url(url)
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self._connector = connector
        self._ws = None
        self._next_id = 0

    @property
    def tls(self):
        return self.url.startswith('wss://')

    def connect(self):
        self.close()
        if self.tls and self.validate_certs and self.ca_path and not os.path.isfile(self.ca_path):
            raise TrueNASError('ca_path %s: no such file (a relative path is read from where the module runs; give '
                               'an absolute one)' % self.ca_path)
        try:
            if self._connector is not None:
                self._ws = self._connector(self)
                return
            if not HAS_WEBSOCKET:
                raise TrueNASError('the websocket-client Python library is missing on the controller')
            options = {'timeout': self.timeout, 'enable_multithread': False}
            if self.tls:
                options['sslopt'] = {'context': ssl_context(self.validate_certs, self.ca_path),
                                     'check_hostname': self.validate_certs}
            if is_loopback(self.url):
                options['http_no_proxy'] = ['127.0.0.1', 'localhost', '::1']
            self._ws = websocket.create_connection(self.url, **options)
        except ssl.SSLCertVerificationError as exc:
            raise ConnectionLost('cannot connect to %s: the certificate is not trusted (%s); give ca_path '
                                 '(the CA or the NAS certificate) or, knowingly, validate_certs: false'
                                 % (self.url, exc.verify_message or exc)) from None
        except TrueNASError:
            raise
        except Exception as exc:  # socket.error, ssl.SSLError, websocket.WebSocketException, ...
            raise ConnectionLost('cannot connect to %s: %s' % (self.url, exc or type(exc).__name__)) from None

    def peer_certificate(self):
        """The server certificate (DER) of a TLS connection, verified or not; None over ws://."""
        sock = getattr(self._ws, 'sock', None)
        getter = getattr(sock, 'getpeercert', None)
        if getter is None:
            return None
        try:
            return getter(binary_form=True)
        except (ValueError, OSError):
            return None

    def close(self):
        if self._ws is not None:
            with contextlib.suppress(Exception):  # closing a dead socket is not an error worth reporting
                self._ws.close()
        self._ws = None

    def request(self, method, params):
        if self._ws is None:
            raise ConnectionLost('%s: not connected to %s' % (method, self.url), method=method)
        self._next_id += 1
        call_id = self._next_id
        message = json.dumps({'jsonrpc': '2.0', 'id': call_id, 'method': method, 'params': list(params)})
        try:
            self._ws.send(message)
            while True:
                raw = self._ws.recv()
                if not raw:
                    raise ConnectionLost('the server closed the connection')
                reply = json.loads(raw)
                if not isinstance(reply, dict) or reply.get('id') != call_id:
                    if isinstance(reply, dict) and reply.get('id') is None and 'error' in reply:
                        raise describe_error(method, reply['error'])  # a connection-wide error
                    continue  # a notification, or the late reply to a call we gave up on
                if 'error' in reply:
                    raise describe_error(method, reply['error'])
                return reply.get('result')
        except TrueNASError as exc:
            if isinstance(exc, ConnectionLost):
                self.close()
                exc.method = method
                exc.message = '%s: %s' % (method, exc.message)
            raise
        except ValueError as exc:
            self.close()
            raise ConnectionLost('%s: the server sent something that is not JSON: %s' % (method, exc),
                                 method=method) from None
        except (socket.timeout, OSError, ssl.SSLError) as exc:
            self.close()
            raise ConnectionLost('%s: the connection to %s failed (%s)' % (method, self.url, exc or 'timeout'),
                                 method=method) from None
        except Exception as exc:  # websocket.WebSocketConnectionClosedException and friends
            self.close()
            raise ConnectionLost('%s: the connection to %s dropped (%s)'
                                 % (method, self.url, exc or type(exc).__name__), method=method) from None
