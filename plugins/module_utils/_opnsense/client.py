# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OPNsense REST client: the only place that knows its transport, its answers and its version quirks.

PRIVATE to the homelab.cluster collection; its API may change without notice.

Transport: ``requests`` with one Session per module run. A run makes one search per object kind, one write per
changed object and one reconfigure per service; a Session keeps the TLS connection alive across them (urllib3's
pool) instead of a handshake per call, retries only idempotent GETs on connection errors, and takes a CA bundle
path for ``verify``. (httpx would do the same, but it is not in Debian's Ansible nor in the usual execution
environment images; requests is.) Authentication is HTTP Basic with the API key as user and the secret as
password (opnsense/docs source/development/api.rst). TLS verification is on unless the caller turns it off.

Command names are the snake_case ones of 25.7 and later (``add_item``, ``search_host_override``); the router
(OPNsense/Mvc/Router.php) still maps them to the camelCase actions, so they also work on the releases before.
Savepoint, rollback and ``apply/{revision}`` are not used: 26.7 removed them (core#10411) and on 26.1 the
rollback timer did not restore (core#10721).
"""

from __future__ import annotations

import traceback

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry
except ImportError:  # the modules report it through missing_required_lib
    requests = None
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    REQUESTS_IMPORT_ERROR = None

MIN_VERSION = (25, 7)  # the release whose API names and shapes this collection is written and tested against


class APIError(Exception):
    """An answer that is not what the call needed; the message says what was tried and what came back."""

    def __init__(self, message, status=None, validations=None):
        super().__init__(message)
        self.status = status
        self.validations = validations or {}


def version_tuple(text):
    """'26.7.2' -> (26, 7, 2); '26.7_4' and '26.7.r2' keep what is numeric."""
    parts = []
    for piece in str(text or '').replace('_', '.').replace('-', '.').split('.'):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)


class Client:
    def __init__(self, url, api_key, api_secret, validate_certs=True, ca_path=None, timeout=20, session=None):
        if not url.startswith('https://') and not url.startswith('http://'):
            raise APIError('url: expected https://<address>[:port] of the firewall, got %r' % (url,))
        self.url = url.rstrip('/')
        self.timeout = timeout
        if session is None:
            session = requests.Session()
            retry = Retry(total=2, connect=2, read=0, status=0, backoff_factor=0.5, allowed_methods=['GET'])
            session.mount('https://', HTTPAdapter(max_retries=retry))
            session.mount('http://', HTTPAdapter(max_retries=retry))
        session.auth = (api_key, api_secret)
        # passed with every request: a session's own verify loses to REQUESTS_CA_BUNDLE (psf/requests#3829)
        self.verify = (ca_path or True) if validate_certs else False
        session.headers.update({'Accept': 'application/json'})
        self.session = session
        self.calls = []  # (method, path) of every call, in order

    def _url(self, path):
        return '%s/api/%s' % (self.url, path.lstrip('/'))

    def request(self, method, path, body=None, raw=False):
        url = self._url(path)
        self.calls.append((method, path))
        try:
            if method == 'GET':
                response = self.session.get(url, timeout=self.timeout, verify=self.verify)
            else:
                response = self.session.post(url, json=body if body is not None else {}, timeout=self.timeout,
                                             verify=self.verify)
        except Exception as exc:  # requests' ConnectionError, SSLError, Timeout
            raise APIError('%s %s failed: %s' % (method, url, _reason(exc))) from None
        if response.status_code == 401:
            raise APIError('%s %s: 401 Authentication Failed: check api_key and api_secret (System: Access: Users, '
                           'API keys)' % (method, url), status=401)
        if response.status_code == 403:
            raise APIError("%s %s: 403 Forbidden: the API key's user lacks the privilege for this page (System: "
                           'Access: Users, Effective privileges)' % (method, url), status=403)
        if response.status_code == 404:
            raise APIError('%s %s: 404 Endpoint not found: this firewall does not have it; homelab.cluster speaks the '
                           'API of OPNsense %d.%d and later (read the version with homelab.cluster.opnsense_info)'
                           % ((method, url) + MIN_VERSION), status=404)
        if raw:
            if response.status_code != 200:
                raise APIError('%s %s: HTTP %s' % (method, url, response.status_code), status=response.status_code)
            return response
        try:
            data = response.json()
        except ValueError:
            raise APIError('%s %s: HTTP %s with a body that is not JSON: %r'
                           % (method, url, response.status_code, response.text[:200]),
                           status=response.status_code) from None
        if response.status_code != 200:
            detail = data.get('errorMessage') or data.get('message') if isinstance(data, dict) else data
            raise APIError('%s %s: HTTP %s: %s' % (method, url, response.status_code, detail),
                           status=response.status_code)
        return data

    def get(self, path):
        return self.request('GET', path)

    def post(self, path, body=None):
        return self.request('POST', path, body)

    def save(self, path, body, what):
        """add_*/set_*/del_* and settings ``set``: {"result": "saved"|"deleted"} or the field validations."""
        data = self.post(path, body)
        result = data.get('result') if isinstance(data, dict) else None
        if result in ('saved', 'deleted'):
            return data
        validations = data.get('validations') if isinstance(data, dict) else None
        if validations:
            text = '; '.join('%s: %s' % (field, ' / '.join(msg) if isinstance(msg, list) else msg)
                             for field, msg in sorted(validations.items()))
            raise APIError('%s was refused by the firewall (POST %s): %s' % (what, path, text), validations=validations)
        raise APIError('%s failed (POST %s): the firewall answered %r' % (what, path, data))

    def rows(self, path):
        """Every row of a search endpoint (rowCount -1 = all, UIModelGrid/searchRecordsetBase)."""
        data = self.get(path)
        if not isinstance(data, dict) or not isinstance(data.get('rows'), list):
            raise APIError('GET %s: expected {"rows": [...]} (a search answer), got %r' % (self._url(path), data))
        return data['rows']

    def action(self, path):
        """A service call (reconfigure, apply, update_rules): {"status": "ok"|"OK\\n\\n"|...}."""
        data = self.post(path)
        status = str((data or {}).get('status', '')).strip().lower() if isinstance(data, dict) else ''
        if not status or 'error' in status or 'fail' in status:
            raise APIError('POST %s: the service call answered %r, not ok' % (self._url(path), data))
        return data

    def version(self):
        """The firmware version, e.g. '26.7.2' (core/firmware/status: product.product_version)."""
        data = self.get('core/firmware/status')
        product = (data or {}).get('product') or {}
        return product.get('product_version') or data.get('product_version') or 'unknown'

    def probe(self):
        """Whether the API answers at all (any HTTP answer counts): the check after an apply. A new connection
        each time: pf keeps the states of established connections, so the session's kept-alive connection could
        still pass after a rule that locks new ones out."""
        try:
            requests.get(self._url('core/firmware/status'), auth=self.session.auth, verify=self.verify,
                         timeout=min(self.timeout, 5), headers={'Connection': 'close'})
            return True, ''
        except Exception as exc:
            return False, _reason(exc)


def _reason(exc):
    text = str(exc)
    for marker in ('CERTIFICATE_VERIFY_FAILED', 'Connection refused', 'timed out', 'Name or service not known',
                   'No route to host', 'Connection reset', 'EOF occurred'):
        if marker in text:
            return '%s (%s)' % (marker, type(exc).__name__)
    return '%s: %s' % (type(exc).__name__, text[:300])
