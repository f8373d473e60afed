# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flow every opnsense_* module shares: connect, read, compare, write only what differs (never in check
mode), activate each service once, confirm the management address still answers, report.

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

import time

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.basic import missing_required_lib

from ansible_collections.homelab.cluster.plugins.module_utils._opnsense import client as _client
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import MARKER
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import OPNsenseError
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import diff_of
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import plan

CONNECTION_SPEC = {
    'url': {'type': 'str', 'required': True, 'fallback': (env_fallback, ['OPNSENSE_URL'])},
    'api_key': {'type': 'str', 'required': True, 'no_log': True, 'fallback': (env_fallback, ['OPNSENSE_API_KEY'])},
    'api_secret': {'type': 'str', 'required': True, 'no_log': True,
                   'fallback': (env_fallback, ['OPNSENSE_API_SECRET'])},
    'validate_certs': {'type': 'bool', 'default': True},
    'ca_path': {'type': 'path', 'fallback': (env_fallback, ['OPNSENSE_CA_PATH'])},
    'timeout': {'type': 'int', 'default': 20},
}
CONFIRM_SPEC = {
    'confirm_timeout': {'type': 'int', 'default': 60},
    'backup_path': {'type': 'str'},
}


def spec(**options):
    out = dict(CONNECTION_SPEC)
    out.update(options)
    return out


def connect(module):
    if _client.requests is None:
        module.fail_json(msg=missing_required_lib('requests'), exception=_client.REQUESTS_IMPORT_ERROR)
    p = module.params
    try:
        return _client.Client(p['url'], p['api_key'], p['api_secret'], validate_certs=p['validate_certs'],
                              ca_path=p['ca_path'], timeout=p['timeout'])
    except _client.APIError as exc:
        module.fail_json(msg=str(exc))


def precheck(module, kind, items, purge=False):
    """The pure part of the plan (natural key given, no object twice) before any request: refuse, sending nothing."""
    try:
        plan(kind, items, [], purge=purge)
    except OPNsenseError as exc:
        module.fail_json(msg='%s; nothing was sent' % exc)


def restore_steps(url, backup_path, when):
    where = ('the configuration downloaded before this run: %s (on the backup host)' % backup_path if backup_path else
             'no backup was given to this module (backup_path); the firewall keeps its own history in /conf/backup')
    return ('How to get back in: (1) at the firewall console (keyboard and screen, or serial), choose "8) Shell" and '
            'run "pfctl -d" to switch the packet filter off for now; (2) restore %s in System: Configuration: '
            'Backups, or at the console choose "13) Restore a backup" and pick the entry from before %s; (3) run '
            '"pfctl -e" or reboot to switch the filter on again. The management address was %s.'
            % (where, when, url))


class Run:
    """One module run against one firewall: collects changes, writes unless check mode, reconfigures once."""

    def __init__(self, module, client=None):
        self.module = module
        self.client = client or connect(module)
        self.changes = []          # phrases
        self.saved = []            # phrases written to the firewall's config so far
        self.before, self.after = {}, {}
        self.dirty = []            # services with a saved change, in order
        self.activated = []
        self.touched = []          # services with a change (also in check mode)
        self.started = time.strftime('%Y-%m-%d %H:%M:%S')

    def fail(self, msg, **extra):
        if self.saved:
            msg += ('. Saved to the configuration before this failure, not yet activated (the next run or Apply in '
                    'the web UI activates them): %s' % '; '.join(self.saved))
        self.module.fail_json(msg=msg, changed=bool(self.saved), changes=self.changes, **extra)

    def rows(self, kind):
        try:
            return self.client.rows(kind.path(kind.search))
        except _client.APIError as exc:
            self.fail(str(exc))

    def sync(self, kind, items, purge=False, marker=MARKER, rows=None):
        """Make the firewall's ``kind`` objects match ``items``; returns the Change list."""
        if rows is None:
            rows = self.rows(kind)
        try:
            changes = plan(kind, items, rows, purge=purge, marker=marker)
        except OPNsenseError as exc:
            self.fail(str(exc))
        before, after = diff_of(changes)
        self.before.update(before)
        self.after.update(after)
        for change in changes:
            self.write(kind.service, change.phrase(), *self._request(kind, change))
        return changes

    @staticmethod
    def _request(kind, change):
        if change.op == 'add':
            return kind.path(kind.add), {kind.wrap: change.body}
        if change.op == 'set':
            return kind.path(kind.set, change.uuid), {kind.wrap: change.body}
        return kind.path(kind.delete, change.uuid), {}

    def write(self, service, phrase, path, body, check=None):
        """One write (unless check mode); ``check`` validates a non-model answer (toggle_ruleset)."""
        self.changes.append(phrase)
        if service and service not in self.touched:
            self.touched.append(service)
        if self.module.check_mode:
            return None
        try:
            answer = self.client.save(path, body, phrase) if check is None else check(self.client.post(path, body))
        except _client.APIError as exc:
            self.fail(str(exc))
        self.saved.append(phrase)
        if service and service not in self.dirty:
            self.dirty.append(service)
        return answer

    def activate(self, service=None):
        """The service calls for everything saved (each once), or just ``service`` if it has saved changes."""
        for name in list(self.dirty):
            if service is not None and name != service:
                continue
            try:
                self.client.action(name)
            except _client.APIError as exc:
                self.fail('%s; the changes are saved but not active' % exc)
            self.dirty.remove(name)
            self.activated.append(name)

    def confirm(self, timeout, backup_path=None):
        """After an activation: the management address must still answer, from here (the controller)."""
        if not self.activated or self.module.check_mode:
            return None
        deadline = time.monotonic() + max(timeout, 1)
        start = time.monotonic()
        reason = ''
        while time.monotonic() < deadline:
            ok, reason = self.client.probe()
            if ok:
                return round(time.monotonic() - start, 2)
            time.sleep(1)
        self.module.fail_json(
            changed=True, changes=self.changes, lockout=True, backup_path=backup_path,
            msg='The management address %s stopped answering after %s (last error: %s; tried for %s s from the '
                'controller): the new configuration may have locked you out. %s'
                % (self.client.url, ', '.join(self.activated), reason, timeout,
                   restore_steps(self.client.url, backup_path, self.started)))
        return None  # not reached: fail_json exits

    def result(self, **extra):
        out = {'changed': bool(self.changes), 'changes': self.changes, 'activated': self.activated,
               'services': self.touched, 'diff': {'before': self.before, 'after': self.after}}
        out.update(extra)
        return out
