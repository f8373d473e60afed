# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every truenas_* module shares: the connection options, one session per run, the record of changes
(results, diff), and failures that say what was tried and what was already done.

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

import contextlib

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.basic import missing_required_lib

from ansible_collections.homelab.cluster.plugins.module_utils._truenas.rpc import HAS_WEBSOCKET
from ansible_collections.homelab.cluster.plugins.module_utils._truenas.rpc import WEBSOCKET_IMPORT_ERROR
from ansible_collections.homelab.cluster.plugins.module_utils._truenas.rpc import TrueNASError
from ansible_collections.homelab.cluster.plugins.module_utils._truenas.session import Session

CONNECTION = {
    'api_url': {'type': 'str', 'required': True, 'fallback': (env_fallback, ['TRUENAS_URL'])},
    'api_username': {'type': 'str', 'required': True, 'fallback': (env_fallback, ['TRUENAS_API_USERNAME'])},
    'api_key': {'type': 'str', 'required': True, 'no_log': True, 'fallback': (env_fallback, ['TRUENAS_API_KEY'])},
    'validate_certs': {'type': 'bool', 'default': True},
    'ca_path': {'type': 'path'},
    'auth_mechanism': {'type': 'str', 'default': 'auto', 'choices': ['auto', 'scram', 'plain']},
    'timeout': {'type': 'int', 'default': 30},
    'job_timeout': {'type': 'int', 'default': 600},
    'api_token': {'type': 'str', 'no_log': True},
    'rate_limit_wait': {'type': 'int', 'default': 65},
}


def argument_spec(**options):
    spec = dict(CONNECTION)
    spec.update(options)
    return spec


class Run:
    """One module run against one NAS: connect() once, then record every change with change()."""

    def __init__(self, module, session_factory=Session):
        self.module = module
        self.session = None
        self.changes = []
        self.before = {}
        self.after = {}
        self.pending = []
        self._factory = session_factory

    @property
    def check_mode(self):
        return self.module.check_mode

    def connect(self):
        params = self.module.params
        if not HAS_WEBSOCKET and self._factory is Session:
            self.module.fail_json(msg=missing_required_lib('websocket-client'), exception=WEBSOCKET_IMPORT_ERROR)
        if not params['validate_certs']:
            self.module.warn('validate_certs is false: the NAS certificate is not checked. SCRAM (TrueNAS 26) still '
                             'binds the login to the certificate it sees; API_KEY_PLAIN would hand the key to whoever '
                             'answers. Prefer ca_path with the NAS certificate or its CA.')
        try:
            self.session = self._factory(
                params['api_url'], params['api_username'], params['api_key'], validate_certs=params['validate_certs'],
                ca_path=params['ca_path'], timeout=params['timeout'], job_timeout=params['job_timeout'],
                auth_mechanism=params['auth_mechanism'], token=params['api_token'],
                rate_limit_wait=params['rate_limit_wait'])
            self.session.open()
        except TrueNASError as exc:
            self.module.fail_json(msg='TrueNAS at %s as %s: %s' % (params['api_url'], params['api_username'], exc),
                                  api=self.api())
        return self.session

    def api(self):
        if self.session is None:
            return {}
        stats = self.session.stats
        return {'url': self.session.url, 'version': self.session.features['version'] if self.session.features
                else None, 'mechanism': self.session.mechanism, 'key_logins': stats['key_logins'],
                'token_logins': stats['token_logins'], 'reconnects': stats['reconnects'], 'calls': stats['calls']}

    @contextlib.contextmanager
    def step(self, label):
        """One object of the run: it leaves the 'not done' list only when its block ends without an error."""
        yield
        if label in self.pending:
            self.pending.remove(label)

    def change(self, phrase, key=None, before=None, after=None):
        self.changes.append(phrase)
        if key is not None:
            if before is not None:
                self.before[key] = before
            if after is not None:
                self.after[key] = after

    def fail(self, exc, **result):
        done = ('; done before the failure: %s' % ', '.join(self.changes)) if self.changes and not self.check_mode \
            else ''
        todo = ('; not done: %s' % ', '.join(self.pending)) if self.pending else ''
        for warning in (self.session.warnings if self.session else []):
            self.module.warn(warning)
        self.module.fail_json(msg='%s%s%s' % (exc, done, todo), changes=self.changes, api=self.api(), **result)

    def exit(self, **result):
        for warning in (self.session.warnings if self.session else []):
            self.module.warn(warning)
        if self.session is not None:
            self.session.close()
        diff = {'before': self.before, 'after': self.after, 'before_header': 'TrueNAS (before)',
                'after_header': 'TrueNAS (after)'}
        self.module.exit_json(changed=bool(self.changes), changes=self.changes, api=self.api(),
                              diff=diff if self.module._diff else None, **result)


def run_module(module, body):
    """connect, body(run), exit; a TrueNASError or a ValueError of the pure logic ends as fail_json."""
    run = Run(module)
    try:
        result = body(run) or {}
    except (TrueNASError, ValueError) as exc:
        run.fail(exc)
    else:
        run.exit(**result)
