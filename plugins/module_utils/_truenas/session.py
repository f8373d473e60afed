# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One authenticated TrueNAS session per module run: probe, log in once, reconnect once, wait for jobs.

PRIVATE to the homelab.cluster collection; its API may change without notice.

TrueNAS throttles unauthenticated calls (more than 20 a minute per method and address, for minutes) and locks
an account after 3 failed logins in 15 minutes, so a session:

* asks ``auth.mechanism_choices`` once, then logs in once with the API key: SCRAM-SHA-512 when the server
  offers it (TrueNAS 26; channel-bound to the TLS certificate), API_KEY_PLAIN otherwise; it never logs in
  again with the key, and never retries a refused login;
* right after the login asks for a single-use token (``auth.generate_token``), so that if the websocket drops
  it reconnects ONCE and authenticates with the token (``TOKEN_PLAIN``), not the key;
* or, given a session token that an earlier run of the same play issued (``auth.generate_token``, multi-use,
  bound to this address, minutes long), logs in with ``auth.login_with_token`` instead: one key login per
  play instead of one per module, and a rate-limit bucket of its own; a refused token falls back to the key;
* when TrueNAS throttles an unauthenticated call ("Rate Limit Exceeded", which never reaches the password
  check), waits for its one-minute window to pass and tries that call once more;
* after a drop, repeats a call only when that is safe: reads, or a write whose ``recheck`` shows it did not
  happen (a create that did happen is not sent twice);
* waits for jobs by polling ``core.get_jobs`` with a deadline; a job outlives a dropped connection.
"""

from __future__ import annotations

import time

from ansible_collections.homelab.cluster.plugins.module_utils._truenas import scram
from ansible_collections.homelab.cluster.plugins.module_utils._truenas import versions
from ansible_collections.homelab.cluster.plugins.module_utils._truenas.rpc import CallFailed
from ansible_collections.homelab.cluster.plugins.module_utils._truenas.rpc import ConnectionLost
from ansible_collections.homelab.cluster.plugins.module_utils._truenas.rpc import Transport
from ansible_collections.homelab.cluster.plugins.module_utils._truenas.rpc import TrueNASError
from ansible_collections.homelab.cluster.plugins.module_utils._truenas.rpc import is_loopback

JOB_DONE = ('SUCCESS', 'FAILED', 'ABORTED')
RATE_LIMIT = 'Rate Limit Exceeded'


class LoginFailed(TrueNASError):
    """The server refused the credentials (or throttled the login); never retried."""


class Session:
    def __init__(self, url, username, api_key, validate_certs=True, ca_path=None, timeout=30, job_timeout=600,
                 auth_mechanism='auto', channel_binding=True, connector=None, sleep=time.sleep,
                 clock=time.monotonic, token=None, rate_limit_wait=65):
        self.transport = Transport(url, validate_certs, ca_path, timeout, connector)
        self.username = username
        self.api_key = api_key
        self.auth_mechanism = auth_mechanism
        self.channel_binding = channel_binding
        self.job_timeout = job_timeout
        self._sleep = sleep
        self._clock = clock
        self._token = None
        self._given_token = token
        self.rate_limit_wait = rate_limit_wait
        self._throttled = False
        self.mechanism = None
        self.version = None
        self.features = None
        self.stats = {'key_logins': 0, 'token_logins': 0, 'reconnects': 0, 'calls': 0}
        self.warnings = []

    @property
    def url(self):
        return self.transport.url

    # ---------------------------------------------------------------------------------------- login

    def open(self):
        self.transport.connect()
        if self._given_token and self._login_with_token():
            self._after_login(reconnect_token=self._given_token)
            return self
        offered = self._probe()
        self.mechanism = versions.choose_mechanism(offered, self.auth_mechanism)
        if self.mechanism == 'API_KEY_PLAIN' and not self.transport.tls and not is_loopback(self.url):
            raise LoginFailed('refusing to send the API key in clear text to %s: use wss:// (TrueNAS serves '
                              'TLS on 443)' % self.url)
        if self.mechanism == 'SCRAM':
            self._login_scram()
        else:
            self._login_plain()
        self.stats['key_logins'] += 1
        self._after_login()
        return self

    def _after_login(self, reconnect_token=None):
        self.version = versions.parse(self._raw('system.version_short'))
        self.features = versions.features(self.version)
        if reconnect_token is not None:
            self._token = reconnect_token  # multi-use: it serves for the one reconnect as well
            return
        try:
            self._token = self._raw('auth.generate_token', 600, {}, True, True)
        except CallFailed as exc:  # e.g. a STIG security level; the session then cannot reconnect
            self.warnings.append('no reconnect token (%s): a dropped connection will end this run' % exc.reason)

    def _login_with_token(self):
        try:
            ok = self._unauthenticated('auth.login_with_token', self._given_token)
        except CallFailed as exc:
            raise self._login_error(exc) from None
        if ok is True:
            self.mechanism = 'TOKEN_PLAIN'
            self.stats['token_logins'] += 1
            return True
        self.warnings.append('the session token was refused (expired, or issued to another address); logged in '
                             'with the API key instead')
        return False

    def issue_token(self, ttl):
        """A multi-use token for the next module runs of this play (same address, ttl seconds)."""
        return self._raw('auth.generate_token', ttl, {}, True, False)

    def _unauthenticated(self, method, *params):
        """A call made before login; throttled once, it waits out TrueNAS's one-minute window and tries again."""
        try:
            return self._raw(method, *params)
        except CallFailed as exc:
            if RATE_LIMIT not in (exc.reason or exc.message) or self._throttled or self.rate_limit_wait <= 0:
                raise
            self._throttled = True
            self.warnings.append('TrueNAS throttled %s from this address (more than 20 calls in a minute); waited '
                                 '%ss and tried once more' % (method, self.rate_limit_wait))
            self._sleep(self.rate_limit_wait)
            return self._raw(method, *params)

    def _raw(self, method, *params):
        self.stats['calls'] += 1
        return self.transport.request(method, params)

    def _probe(self):
        try:
            result = self._unauthenticated('auth.mechanism_choices')
        except CallFailed as exc:
            offered = versions.mechanisms_from_probe(error=exc.reason or exc.message)
            if offered is None:
                raise self._login_error(exc) from None
            return offered
        offered = versions.mechanisms_from_probe(result=result)
        if offered is None:
            raise LoginFailed('auth.mechanism_choices answered %r, not a list of mechanisms' % (result,))
        return offered

    def _login_error(self, exc):
        if RATE_LIMIT in (exc.reason or exc.message):
            return LoginFailed('%s: TrueNAS throttles this address (more than 20 unauthenticated calls of one '
                               'method in a minute, from every tool on this controller together) and still did after '
                               'a wait. Batch objects into one module run, and pass the session token of a first '
                               'run (truenas_info issue_token) to the others.' % exc.method,
                               method=exc.method, reason=exc.reason)
        return LoginFailed(str(exc), method=exc.method, reason=exc.reason)

    def _login_call(self, data):
        try:
            return self._unauthenticated('auth.login_ex', data)
        except CallFailed as exc:
            raise self._login_error(exc) from None

    def _refused(self, response, how):
        kind = response.get('response_type') if isinstance(response, dict) else response
        hint = {
            'AUTH_ERR': 'the API key, or the user it belongs to, is wrong, revoked or locked (3 failed logins '
                        'in 15 minutes lock an account; this module never retries)',
            'EXPIRED': 'the API key has expired',
            'DENIED': 'the account %r has no API access' % self.username,
            'OTP_REQUIRED': 'the account requires a one-time password; API keys for automation must not',
            'REDIRECT': 'log in on the active controller: %s' % ', '.join(response.get('urls', []))
            if isinstance(response, dict) else '',
        }.get(kind, 'unexpected answer %r' % (kind,))
        return LoginFailed('login to %s as %s with %s refused: %s' % (self.url, self.username, how, hint),
                           method='auth.login_ex', reason=kind)

    def _login_plain(self):
        response = self._login_call({'mechanism': 'API_KEY_PLAIN', 'username': self.username,
                                     'api_key': self.api_key})
        if not isinstance(response, dict) or response.get('response_type') != 'SUCCESS':
            raise self._refused(response, 'API_KEY_PLAIN')

    def _login_scram(self):
        key_id, material = scram.split_api_key(self.api_key)
        binding = None
        if self.channel_binding and self.transport.tls:
            cert = self.transport.peer_certificate()
            if cert:
                binding = scram.tls_server_end_point(cert)
        client = scram.ScramClient('%s:%d' % (self.username, key_id), material, channel_binding=binding)
        first = self._login_call({'mechanism': 'SCRAM', 'scram_type': 'CLIENT_FIRST_MESSAGE',
                                  'rfc_str': client.first()})
        if not isinstance(first, dict) or first.get('response_type') != 'SCRAM_RESPONSE':
            raise self._refused(first, 'SCRAM')
        try:
            final_message = client.final(first.get('rfc_str', ''))
        except scram.ScramError as exc:
            raise LoginFailed('SCRAM login to %s: %s' % (self.url, exc), method='auth.login_ex') from None
        final = self._login_call({'mechanism': 'SCRAM', 'scram_type': 'CLIENT_FINAL_MESSAGE',
                                  'rfc_str': final_message})
        if not isinstance(final, dict) or final.get('response_type') != 'SCRAM_RESPONSE':
            raise self._refused(final, 'SCRAM')
        try:
            client.verify(final.get('rfc_str', ''))
        except scram.ScramError as exc:
            self.transport.close()
            raise LoginFailed('SCRAM login to %s: %s' % (self.url, exc), method='auth.login_ex') from None

    def _reconnect(self, lost):
        if self.stats['reconnects']:
            raise ConnectionLost('%s; it had already reconnected once in this run, so it stops here'
                                 % lost.message, method=lost.method) from None
        self.stats['reconnects'] += 1
        if self._token is None:
            raise ConnectionLost('%s; no reconnect token, so it does not log in again with the key'
                                 % lost.message, method=lost.method) from None
        token, self._token = self._token, None
        try:
            self.transport.connect()
            response = self._raw('auth.login_ex', {'mechanism': 'TOKEN_PLAIN', 'token': token})
        except TrueNASError as exc:
            raise ConnectionLost('%s; reconnecting failed: %s' % (lost.message, exc), method=lost.method) from None
        if not isinstance(response, dict) or response.get('response_type') != 'SUCCESS':
            raise ConnectionLost('%s; reconnected, but the reconnect token was refused (%r)'
                                 % (lost.message, response), method=lost.method)
        self.stats['token_logins'] += 1
        self.warnings.append('the connection dropped during %s and was re-established once' % lost.method)

    # ---------------------------------------------------------------------------------------- calls

    def call(self, method, *params, **kwargs):
        """Call a method. After a dropped connection it reconnects once; the call is then repeated when
        ``safe`` (the default: reads and idempotent updates), or when ``recheck()`` returns None (the write
        did not happen); a recheck that returns something is taken as the call's result."""
        safe = kwargs.pop('safe', True)
        recheck = kwargs.pop('recheck', None)
        try:
            return self._raw(method, *params)
        except ConnectionLost as lost:
            self._reconnect(lost)
        if recheck is not None:
            found = recheck()
            if found is not None:
                return found
        elif not safe:
            raise ConnectionLost('the connection dropped during %s; reconnected, but %s was not repeated because '
                                 'it may already have been applied: run again to converge' % (method, method),
                                 method=method)
        try:
            return self._raw(method, *params)
        except ConnectionLost as lost:
            self._reconnect(lost)  # a second drop: raises, since it reconnects once only
            raise

    def job(self, method, *params, **kwargs):
        """Start a job method and wait for its result (polling core.get_jobs), at most ``timeout`` seconds."""
        timeout = kwargs.pop('timeout', None) or self.job_timeout
        job_id = self.call(method, *params, **kwargs)
        if not isinstance(job_id, int):  # a recheck found the result already
            return job_id
        return self.wait_job(job_id, method, timeout)

    def wait_job(self, job_id, method, timeout):
        deadline = self._clock() + timeout
        delay = 0.2
        while True:
            rows = self.call('core.get_jobs', [['id', '=', job_id]])
            job = rows[0] if rows else None
            if job is None:
                raise TrueNASError('%s: job %s vanished from core.get_jobs' % (method, job_id), method=method)
            state = job.get('state')
            if state == 'SUCCESS':
                return job.get('result')
            if state in JOB_DONE:
                exc_info = job.get('exc_info') or {}
                extra = exc_info.get('extra') if isinstance(exc_info.get('extra'), list) else []
                details = '; '.join('%s: %s' % (item[0], item[1]) for item in extra
                                    if isinstance(item, (list, tuple)) and len(item) >= 2)
                raise CallFailed('%s: job %s %s: %s' % (method, job_id, state, details or job.get('error')),
                                 method=method, reason=job.get('error'), extra=extra)
            if self._clock() >= deadline:
                progress = job.get('progress') or {}
                raise TrueNASError('%s: job %s still %s (%s%% %s) after %ss; it goes on on the NAS, see its Jobs '
                                   'list; raise job_timeout to wait longer'
                                   % (method, job_id, state, progress.get('percent'),
                                      progress.get('description') or '', timeout), method=method)
            self._sleep(delay)
            delay = min(delay * 2, 2.0)

    def close(self):
        self.transport.close()
