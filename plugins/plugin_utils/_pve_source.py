# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The live Proxmox VE source of the ``homelab.cluster.tiers`` inventory (controller only).

PRIVATE to the homelab.cluster collection; its API may change without notice.

Requests: ``/cluster/status`` and ``/cluster/resources``, whatever the number of guests. Only when
``proxmox_facts`` asks: ``/cluster/mapping/pci`` and each online node's ``/hardware/pci`` (for ``config``), each
selected guest's config, and each selected running guest's agent (qemu) or interfaces (lxc) answer, with at most
``proxmox_concurrency`` requests in flight. The raw answers are cached in the inventory cache (never the
formatted inventory); hosts, vars and groups are rebuilt from them every run. A node or guest that fails is a
warning naming it; the others still appear. When no API answers, the last cached answers are used (with a
warning), else the hardware file's hosts stand alone.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.homelab.cluster.plugins.module_utils._hardware import normalize_hardware
from ansible_collections.homelab.cluster.plugins.module_utils._pve.client import PveClient
from ansible_collections.homelab.cluster.plugins.module_utils._pve.client import PveError
from ansible_collections.homelab.cluster.plugins.module_utils._pve.inventory import hosts_from_api
from ansible_collections.homelab.cluster.plugins.module_utils._pve.inventory import merge_into
from ansible_collections.homelab.cluster.plugins.module_utils._pve.inventory import parse_tags
from ansible_collections.homelab.cluster.plugins.module_utils._pve.inventory import pool_groups
from ansible_collections.homelab.cluster.plugins.module_utils._schema import HardwareError

RAW_FORMAT = 1  # bump when the cached raw layout changes; older entries are then refetched
FACTS = ('config', 'agent')
_PRIVILEGE_HINTS = {
    'agent': 'PVE 9 needs VM.GuestAgent.Audit (or VM.GuestAgent.Unrestricted) on /vms/<vmid>; PVE 8 used VM.Monitor',
    'pci': 'needs Sys.Audit or Sys.Modify on /',
    'config': 'needs VM.Audit on /vms/<vmid>',
}


def proxmox_source(plugin, path, cache):
    """The live source of this inventory config, or None when ``proxmox_url`` is not set."""
    urls = plugin.get_option('proxmox_url')
    if not urls:
        return None
    source = LiveSource(plugin, urls if isinstance(urls, list) else [urls])
    source.load(path, cache)
    return source


class LiveSource:
    def __init__(self, plugin, urls):
        self.plugin = plugin
        self.urls = [str(u) for u in urls]
        self.facts = [str(f) for f in plugin.get_option('proxmox_facts') or ()]
        bad = [f for f in self.facts if f not in FACTS]
        if bad:
            self._fail('proxmox_facts: expected items of %s, got %s' % (', '.join(FACTS), ', '.join(bad)))
        self.fact_tags = set(parse_tags(';'.join(plugin.get_option('proxmox_facts_tags') or ())))
        self.concurrency = max(1, int(plugin.get_option('proxmox_concurrency') or 8))
        self.raw = None
        self.groups = {}
        self.warnings = []
        self._local = threading.local()

    # ---------------------------------------------------------------------------------------------- options

    def _fail(self, message):
        from ansible.errors import AnsibleParserError
        raise AnsibleParserError('homelab.cluster.tiers: %s' % message)

    def _secret(self):
        """The token secret: an option or PROXMOX_TOKEN_SECRET; a template (a Vault lookup) is rendered here only."""
        value = self.plugin.get_option('proxmox_token_secret')
        if isinstance(value, str) and '{{' in value:
            value = self.plugin.templar.template(value)
        return value

    def _client(self, url):
        client = getattr(self._local, 'client', None)
        if client is None or client.url != url:
            client = PveClient(url, token_id=self.plugin.get_option('proxmox_token_id'),
                               token_secret=self._secret_value,
                               validate_certs=self.plugin.get_option('proxmox_validate_certs'),
                               ca_path=self.plugin.get_option('proxmox_ca_path'),
                               timeout=self.plugin.get_option('proxmox_timeout'))
            self._local.client = client
        return client

    # ----------------------------------------------------------------------------------------------- fetch

    def load(self, path, cache):
        use_cache = self.plugin.get_option('cache')
        key = '%s_proxmox' % self.plugin.get_cache_key(path)
        wanted = {'format': RAW_FORMAT, 'urls': self.urls, 'facts': sorted(self.facts), 'tags': sorted(self.fact_tags)}
        cached = None
        if use_cache:
            try:
                cached = self.plugin._cache[key]
            except KeyError:
                cached = None
            if cache and isinstance(cached, dict) and cached.get('query') == wanted:
                self.raw = cached
                return
        token_id = self.plugin.get_option('proxmox_token_id')
        self._secret_value = self._secret()
        if not token_id or not self._secret_value:
            self._fail('proxmox_url is set, so proxmox_token_id (USER@REALM!TOKENID) and proxmox_token_secret are '
                       'needed (options, or PROXMOX_TOKEN_ID / PROXMOX_TOKEN_SECRET)')
        errors = []
        for url in self.urls:
            try:
                self.raw = self.fetch(url)
                break
            except (PveError, ValueError, ImportError) as exc:
                errors.append('%s: %s' % (url, exc))
        if self.raw is None:
            if isinstance(cached, dict) and cached.get('format') == RAW_FORMAT:
                self.raw = cached
                self.warnings.append('no Proxmox VE API answered (%s); using the cached answers of %s'
                                     % ('; '.join(errors),
                                        time.strftime('%Y-%m-%d %H:%M', time.localtime(cached['at']))))
            else:
                self.warnings.append('no Proxmox VE API answered (%s); the Proxmox nodes and guests are missing from '
                                     'this inventory, the hardware file\'s hosts are complete' % '; '.join(errors))
            return
        self.raw['query'] = wanted
        if use_cache:
            self.plugin._cache[key] = self.raw

    def fetch(self, url):
        client = self._client(url)
        raw = {'format': RAW_FORMAT, 'at': time.time(), 'url': url, 'requests': 2,
               'status': client.get('/cluster/status'), 'resources': client.get('/cluster/resources'),
               'pci': {}, 'mappings': [], 'config': {}, 'agent': {}, 'failed': []}
        if not self.facts:
            return raw
        online = [r['node'] for r in raw['resources'] if r.get('type') == 'node' and r.get('status') == 'online']
        guests = [r for r in raw['resources'] if r.get('type') in ('qemu', 'lxc') and r.get('vmid') is not None
                  and not r.get('template')]
        if self.fact_tags:
            guests = [g for g in guests if self.fact_tags & set(parse_tags(g.get('tags')))]
        guests = [g for g in guests if g['node'] in online]
        jobs = []
        if 'config' in self.facts:
            jobs.append(('mappings', None, '/cluster/mapping/pci'))
            jobs += [('pci', node, '/nodes/%s/hardware/pci' % node) for node in online]
            jobs += [('config', str(g['vmid']), '/nodes/%s/%s/%s/config' % (g['node'], g['type'], g['vmid']))
                     for g in guests]
        if 'agent' in self.facts:
            jobs += [('agent', str(g['vmid']), '/nodes/%s/%s/%s/%s' % (
                g['node'], g['type'], g['vmid'],
                'agent/network-get-interfaces' if g['type'] == 'qemu' else 'interfaces'))
                for g in guests if g.get('status') == 'running']

        def run(job):
            kind, ident, path = job
            try:
                return job, self._client(url).get(path), None
            except PveError as exc:
                return job, None, exc

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            for (kind, ident, _path), answer, error in pool.map(run, jobs):
                raw['requests'] += 1
                if error is not None:
                    raw['failed'].append({'kind': kind, 'id': ident, 'status': error.status, 'message': str(error)})
                    if kind != 'mappings':
                        raw[kind][ident] = {'error': str(error)}
                elif kind == 'mappings':
                    raw['mappings'] = answer or []
                elif kind == 'agent':
                    raw['agent'][ident] = answer.get('result') if isinstance(answer, dict) else answer
                else:
                    raw[kind][ident] = answer
        return raw

    # ---------------------------------------------------------------------------------------------- output

    def _failure_warnings(self):
        """One line per failed node request; guest failures summarized per reason (an agent that is not running is
        normal for a guest without one, so it is only counted)."""
        out, by_reason = [], {}
        for failure in self.raw.get('failed') or ():
            if failure['kind'] in ('pci', 'mappings'):
                hint = ' (%s)' % _PRIVILEGE_HINTS['pci'] if failure['status'] == 403 else ''
                out.append('%s%s; GPUs passed to its guests are not identified' % (failure['message'], hint))
                continue
            reason = failure['message'].split(': ', 1)[-1]
            if failure['status'] == 403:
                reason = 'permission denied: %s' % _PRIVILEGE_HINTS.get(failure['kind'], reason)
            by_reason.setdefault((failure['kind'], reason), []).append(failure['id'])
        for (kind, reason), ids in sorted(by_reason.items()):
            if 'agent is not running' in reason or 'No QEMU guest agent configured' in reason:
                continue
            out.append('%s of guest%s %s failed: %s'
                       % (kind, 's' if len(ids) > 1 else '', ', '.join(sorted(ids)), reason))
        return out

    def merge(self, data):
        """The hardware data with the API's nodes and guests; an API host the hardware checks refuse is left out
        with a warning (the API's data never breaks the inventory)."""
        if self.raw is None:
            self._warn()
            return data
        declared = (data or {}).get('hosts') if isinstance(data, dict) else None
        hosts, self.groups, warnings = hosts_from_api(self.raw, declared if isinstance(declared, dict) else {},
                                                      {'templates': self.plugin.get_option('proxmox_templates'),
                                                       'guests': self.plugin.get_option('proxmox_guests')})
        self.warnings += self._failure_warnings() + warnings
        # the API's own facts become homelab_proxmox, a computed var the plugin sets (add_facts): they never travel
        # as the hardware file's free vars, which refuse homelab_* names
        self.facts = {name: (entry.pop('vars', None) or {}).get('homelab_proxmox') for name, entry in hosts.items()}
        for name in list(hosts):
            try:
                normalize_hardware({'hosts': {name: hosts[name]}})
            except HardwareError as exc:
                self.warnings.append('%s left out: %s' % (name, exc))
                del hosts[name]
                self.groups.pop(name, None)
        self._warn()
        return merge_into(data, hosts)

    def _warn(self):
        for warning in self.warnings:
            self.plugin.display.warning('homelab.cluster.tiers: proxmox: %s' % warning)

    def add_facts(self, inventory, mark):
        """homelab_proxmox on every API host the inventory kept, marked as the plugin marks its own vars."""
        for name, facts in sorted((getattr(self, 'facts', None) or {}).items()):
            if facts is not None and name in inventory.hosts:
                inventory.set_variable(name, 'homelab_proxmox', mark(facts))

    def add_groups(self, inventory):
        names = set(pool_groups((self.raw or {}).get('resources')))
        for memberships in self.groups.values():
            names.update(memberships)
        for group in sorted(names | {'proxmox_nodes', 'proxmox_guests'}):
            inventory.add_group(group)
        for host, memberships in sorted(self.groups.items()):
            for group in memberships:
                inventory.add_child(group, host)
