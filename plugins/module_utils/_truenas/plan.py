# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NAS role's desired state, from its settings and the inventory's host views (pure).

PRIVATE to the homelab.cluster collection; its API may change without notice.

Who may mount an NFS export comes from the inventory: an export names groups (``role_hypervisor`` for the
k3s volumes and the Proxmox backups, ``role_logic`` for the archive, ``role_edge`` for its quarantine) and gets
the address of every host in them. SMB shares are for the trusted VLAN. Snapshot tasks come from a policy
(``every: hourly|daily|weekly|monthly``, ``keep: 2 days``); the offsite replication sends the datasets it
names with the snapshots of their tasks of the same ``every``. Errors name the host or the setting and field.
"""

from __future__ import annotations

import ipaddress
import re

EVERY = {
    'hourly': {'minute': '00'},
    'daily': {'minute': '00', 'hour': '00'},
    'weekly': {'minute': '00', 'hour': '00', 'dow': '7'},
    'monthly': {'minute': '00', 'hour': '00', 'dom': '1'},
}
UNITS = {'hour': 'hour', 'hours': 'hour', 'day': 'day', 'days': 'day', 'week': 'week', 'weeks': 'week',
         'month': 'month', 'months': 'month', 'year': 'year', 'years': 'year'}


class PlanError(ValueError):
    """A setting or host the plan cannot use: ``where.field: expected ..., got ...``."""


def _dataset(pool, name, where):
    if not isinstance(name, str) or not name.strip('/') or name != name.strip() or '//' in name:
        raise PlanError('%s: expected a dataset name below the pool (media, archive/quarantine), got %r'
                        % (where, name))
    return '%s/%s' % (pool, name.strip('/'))


def keep(value, where):
    """'2 days', '48 hours', {value: 2, unit: day} -> (2, 'day')."""
    if isinstance(value, dict):
        number, unit = value.get('value'), str(value.get('unit', '')).lower()
    else:
        match = re.match(r'^\s*(\d+)\s*([a-z]+)\s*$', str(value or '').lower())
        if not match:
            raise PlanError('%s: expected a duration like 2 days, 48 hours or 1 year, got %r' % (where, value))
        number, unit = int(match.group(1)), match.group(2)
    if unit not in UNITS or isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise PlanError('%s: expected a duration like 2 days, 48 hours or 1 year, got %r' % (where, value))
    return number, UNITS[unit]


def _addresses(views, groups, where):
    hosts, names = [], []
    for view in views:
        if not set(view.get('groups') or []) & set(groups):
            continue
        address = view.get('address')
        if not address:
            raise PlanError('%s.address: expected an address (ansible_host or the hardware file\'s address) for %s, '
                            'got nothing' % (view['name'], where))
        hosts.append(str(address))
        names.append(view['name'])
    return sorted(set(hosts)), sorted(names)


def _networks(values, where):
    out = []
    for index, value in enumerate(values or []):
        try:
            out.append(str(ipaddress.ip_network(str(value), strict=False)))
        except ValueError:
            raise PlanError('%s[%d]: expected a network like 10.0.10.0/24, got %r' % (where, index, value)) from None
    return out


def plan(views, nas, config):
    """views: every host's view; nas: the NAS host's view; config: the role's settings (nas_* without the
    prefix) -> {api_url, pool, datasets, nfs, smb, snapshot_tasks, replications, clients}."""
    if not isinstance(views, list) or not all(isinstance(view, dict) and view.get('name') for view in views):
        raise PlanError('views: expected a list of host views (hostvars | homelab.cluster.host_views(names)), got %r'
                        % (views,))
    if not isinstance(nas, dict) or not nas.get('name'):
        raise PlanError('nas: expected the NAS host\'s view, got %r' % (nas,))
    if not isinstance(config.get('pool'), dict) or not config['pool'].get('name'):
        raise PlanError('config.pool: expected a mapping with a name (nas_pool), got %r' % (config.get('pool'),))
    pool = config['pool']['name']
    api_url = config.get('api_url')
    if not api_url:
        if not nas.get('address'):
            raise PlanError('%s.address: expected an address for the TrueNAS API (or set nas_api_url), got nothing'
                            % nas['name'])
        api_url = 'wss://%s/api/current' % nas['address']
    datasets, declared = [], set()
    for index, item in enumerate(list(config.get('datasets') or []) + list(config.get('extra_datasets') or [])):
        where = 'nas_datasets[%d]' % index
        if not isinstance(item, dict) or 'name' not in item:
            raise PlanError('%s: expected a mapping with name, got %r' % (where, item))
        entry = dict(item, name=_dataset(pool, item['name'], where + '.name'))
        if entry['name'] in declared:
            raise PlanError('%s.name: %s declared twice' % (where, item['name']))
        declared.add(entry['name'])
        datasets.append(entry)

    def known(name, where):
        full = _dataset(pool, name, where)
        if full not in declared:
            raise PlanError('%s: %s is not one of nas_datasets' % (where, name))
        return full

    nfs, clients = [], {}
    extra = config.get('nfs_extra_networks') or {}
    for index, export in enumerate(config.get('nfs_exports') or []):
        where = 'nas_nfs_exports[%d]' % index
        full = known(export.get('dataset'), where + '.dataset')
        groups = export.get('groups') or []
        if isinstance(groups, str):
            raise PlanError('%s.groups: expected a list of inventory groups, got %r' % (where, groups))
        hosts, names = _addresses(views, groups, 'the NFS export of %s' % full)
        networks = _networks(extra.get(export['dataset']), 'nas_nfs_extra_networks.%s' % export['dataset'])
        if not hosts and not networks:
            raise PlanError('%s: no host of %s has an address and no nas_nfs_extra_networks.%s: the export would be '
                            'open to everyone, so it is refused' % (where, ', '.join(groups) or '(no groups)',
                                                                    export['dataset']))
        share = {'dataset': full, 'hosts': hosts, 'networks': networks, 'ro': bool(export.get('ro', False)),
                 'comment': 'homelab: %s' % (', '.join(names) or ', '.join(networks))}
        if export.get('maproot'):
            share['maproot_user'] = export['maproot']
            share['maproot_group'] = export.get('maproot_group') or 'wheel'
        nfs.append(share)
        clients[full] = names
    smb_networks = _networks(config.get('smb_networks'), 'nas_smb_networks')
    smb = []
    for index, share in enumerate(config.get('smb_shares') or []):
        where = 'nas_smb_shares[%d]' % index
        full = known(share.get('dataset'), where + '.dataset')
        smb.append({'name': share.get('name') or share['dataset'].split('/')[-1], 'dataset': full,
                    'purpose': share.get('purpose', 'DEFAULT_SHARE'), 'readonly': bool(share.get('readonly', False)),
                    'hostsallow': smb_networks, 'comment': share.get('comment', '')})
    tasks = []
    for index, policy in enumerate(config.get('snapshot_policy') or []):
        where = 'nas_snapshot_policy[%d]' % index
        every = policy.get('every')
        if every not in EVERY:
            raise PlanError('%s.every: expected one of %s, got %r' % (where, ', '.join(EVERY), every))
        value, unit = keep(policy.get('keep'), where + '.keep')
        tasks.append({'dataset': known(policy.get('dataset'), where + '.dataset'),
                      'naming_schema': '%s-%%Y-%%m-%%d_%%H-%%M' % every, 'recursive': bool(policy.get('recursive')),
                      'exclude': [known(x, where + '.exclude') for x in policy.get('exclude') or []],
                      'lifetime_value': value, 'lifetime_unit': unit, 'schedule': dict(EVERY[every])})
    replications = []
    repl = config.get('replication') or {}
    if repl.get('enabled'):
        every = repl.get('every', 'daily')
        sources, bound = [], []
        for index, name in enumerate(repl.get('datasets') or []):
            full = known(name, 'nas_replication.datasets[%d]' % index)
            task = [t for t in tasks if t['dataset'] == full and t['naming_schema'].startswith(every + '-')]
            if not task:
                raise PlanError('nas_replication.datasets[%d]: %s has no %s task in nas_snapshot_policy, so there '
                                'would be nothing to send' % (index, name, every))
            sources.append(full)
            bound.append({'dataset': full, 'naming_schema': task[0]['naming_schema']})
        if not sources or not repl.get('target_dataset'):
            raise PlanError('nas_replication: enabled needs datasets and target_dataset')
        transport = repl.get('transport', 'ssh')
        if transport != 'local' and not repl.get('ssh_credentials'):
            raise PlanError('nas_replication.ssh_credentials: expected the name of the SSH keychain credential of '
                            'the offsite host, got nothing')
        replications.append({'name': repl.get('name', 'offsite'), 'transport': transport,
                             'ssh_credentials': repl.get('ssh_credentials'), 'source_datasets': sources,
                             'target_dataset': repl['target_dataset'], 'recursive': bool(repl.get('recursive', True)),
                             'periodic_snapshot_tasks': bound, 'retention_policy': repl.get('retention', 'source'),
                             'speed_limit': repl.get('speed_limit'), 'auto': True})
    pool_settings = config['pool']
    return {'api_url': api_url,
            'pool': {'name': pool, 'layout': pool_settings.get('layout', 'raidz2'),
                     'disks': list(pool_settings.get('disks') or []), 'vdev_width': pool_settings.get('vdev_width'),
                     'spares': list(pool_settings.get('spares') or []), 'force': bool(pool_settings.get('force')),
                     'scrub': config.get('scrub')},
            'datasets': datasets, 'nfs': nfs, 'smb': smb, 'snapshot_tasks': tasks, 'replications': replications,
            'clients': clients}
