# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one Proxmox VE API client of the collection, on proxmoxer (the only file that knows the transport).

PRIVATE to the homelab.cluster collection; its API may change without notice.

Authentication is an API token (``Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET``, stateless, no CSRF
token) or, for the calls PVE reserves to ``root@pam`` (joining a cluster, raw host PCI devices), a password
ticket. TLS is verified by default; ``ca_path`` names a CA bundle for a self-signed node certificate.
Errors become ``PveError`` carrying the HTTP status, the path and PVE's message (and per-parameter errors).
"""

from __future__ import annotations

import time

try:
    from proxmoxer import ProxmoxAPI
    from proxmoxer.core import ResourceException
    HAS_PROXMOXER = True
    PROXMOXER_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the callers with missing_required_lib
    HAS_PROXMOXER = False
    PROXMOXER_ERROR = exc

    class ResourceException(Exception):  # type: ignore[no-redef] - never raised without proxmoxer
        pass

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover
    from urlparse import urlsplit  # type: ignore

PROXMOXER_REQUIREMENT = 'proxmoxer>=2.0 (tested with 2.3.0)'


class PveError(Exception):
    """A failed API call: ``status`` (HTTP, or None for a connection error), ``path``, ``message``."""

    def __init__(self, status, method, path, message, errors=None):
        self.status, self.method, self.path, self.message, self.errors = status, method, path, message, errors or {}
        detail = '; '.join('%s: %s' % item for item in sorted(self.errors.items()))
        super(PveError, self).__init__('%s %s: %s%s%s' % (method, path, '%s ' % status if status else '', message,
                                                          ' (%s)' % detail if detail else ''))


def split_token_id(token_id):
    """'homelab@pve!inventory' -> ('homelab@pve', 'inventory'); anything else raises ValueError."""
    user, sep, name = str(token_id or '').partition('!')
    if not sep or '@' not in user or not name:
        raise ValueError("expected a token id like USER@REALM!TOKENID, got %r" % (token_id,))
    return user, name


def split_url(url):
    """'https://pve:8006' -> ('pve', 8006); a bare host gets PVE's port 8006."""
    text = str(url or '')
    if '://' not in text:
        text = 'https://' + text
    parts = urlsplit(text)
    if parts.scheme != 'https' or not parts.hostname:
        raise ValueError("expected an https URL of a Proxmox VE node (https://HOST:8006), got %r" % (url,))
    return parts.hostname, parts.port or 8006


class PveClient:
    """GET/POST/PUT by path (``client.get('/cluster/resources', type='vm')``), answers are PVE's ``data``."""

    def __init__(self, url, token_id=None, token_secret=None, user=None, password=None, validate_certs=True,
                 ca_path=None, timeout=15):
        if not HAS_PROXMOXER:
            raise ImportError('the Proxmox VE client needs %s: %s' % (PROXMOXER_REQUIREMENT, PROXMOXER_ERROR))
        host, port = split_url(url)
        verify = (ca_path or True) if validate_certs else False
        self.url = 'https://%s:%d' % (host, port)
        if password is not None:
            auth = {'user': user or 'root@pam', 'password': password}
        else:
            token_user, token_name = split_token_id(token_id)
            auth = {'user': token_user, 'token_name': token_name, 'token_value': token_secret}
        try:
            self.api = ProxmoxAPI(host, port=port, verify_ssl=verify, timeout=timeout, **auth)
        except ResourceException as exc:
            raise self._error(exc, 'POST', '/access/ticket') from None
        except Exception as exc:  # noqa: BLE001 - connection errors of requests, TLS errors
            raise PveError(None, 'POST' if password is not None else 'GET', self.url, _short(exc)) from None

    @staticmethod
    def _error(exc, method, path):
        status = getattr(exc, 'status_code', None)
        message = getattr(exc, 'content', None) or getattr(exc, 'status_message', None) or str(exc)
        if isinstance(message, bytes):
            message = message.decode('utf-8', 'replace')
        return PveError(status, method, path, str(message).strip(), getattr(exc, 'errors', None) or None)

    def call(self, method, resource_path, **params):  # parameters may be named path or method (apt repositories)
        resource = self.api(resource_path.strip('/'))
        try:
            return getattr(resource, method.lower())(**params)
        except ResourceException as exc:
            raise self._error(exc, method, resource_path) from None
        except Exception as exc:  # noqa: BLE001 - requests' connection errors and timeouts
            raise PveError(None, method, resource_path, _short(exc)) from None

    def get(self, resource_path, **params):
        return self.call('GET', resource_path, **params)

    def post(self, resource_path, **params):
        return self.call('POST', resource_path, **params)

    def put(self, resource_path, **params):
        return self.call('PUT', resource_path, **params)

    def wait(self, node, upid, timeout=300, poll=0.5):
        """Wait for a task (UPID); return its status, raise PveError when it failed or timed out."""
        deadline = time.time() + timeout
        while True:
            status = self.get('/nodes/%s/tasks/%s/status' % (node, upid))
            if status.get('status') == 'stopped':
                if status.get('exitstatus') != 'OK':
                    raise PveError(None, 'TASK', upid, 'task failed: %s' % status.get('exitstatus'))
                return status
            if time.time() > deadline:
                raise PveError(None, 'TASK', upid, 'still running after %ss' % timeout)
            time.sleep(poll)


def _short(exc):
    text = str(exc)
    return text if len(text) < 300 else text[:297] + '...'
