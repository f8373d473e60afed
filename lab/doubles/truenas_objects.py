"""Datasets, NFS and SMB shares, periodic snapshot tasks and replication tasks of the TrueNAS DOUBLE.

The checks are those the real methods make before they write (truenas/middleware plugins/pool_/dataset.py
do_create/__common_validation, plugins/nfs.py, plugins/smb.py, plugins/snapshot_/, plugins/replication.py),
with their attribute names (``pool_dataset_create.name``, ``sharing_nfs_create.path``, ...).
"""

import copy
import ipaddress
import time

from truenas_rpc import RpcError
from truenas_rpc import _error_data
from truenas_rpc import query
from truenas_rpc import validation_error

ENOENT = 2
# ZFS properties the double keeps: name -> (default raw value, inheritable)
PROPERTIES = {
    'compression': ('on', True), 'atime': ('on', True), 'recordsize': ('131072', True), 'quota': ('0', False),
    'refquota': ('0', False), 'reservation': ('0', False), 'refreservation': ('0', False), 'sync': ('standard', True),
    'exec': ('on', True), 'readonly': ('off', True), 'snapdir': ('hidden', True), 'copies': ('1', True),
    'deduplication': ('off', True), 'checksum': ('on', True), 'acltype': ('posix', True),
    'aclmode': ('discard', True), 'casesensitivity': ('sensitive', True), 'comments': ('', False),
    'managedby': ('', True), 'snapdev': ('hidden', True), 'xattr': ('sa', True),
}
RECORDSIZES = ['512', '512B'] + ['%dK' % (2 ** n) for n in range(11)] + ['%dM' % (2 ** n) for n in range(5)]
BOOLEAN = ('atime', 'exec', 'readonly')
SIZES = ('quota', 'refquota', 'reservation', 'refreservation')


def _size_raw(text):
    text = str(text).upper().rstrip('B') or '512'
    unit = {'K': 1024, 'M': 1024 ** 2}.get(text[-1], 1)
    return str(int(text.rstrip('KM')) * unit)


def _recordsize_value(raw):
    size = int(raw)
    return '%dM' % (size // 1024 ** 2) if size >= 1024 ** 2 else '%dK' % (size // 1024) if size >= 1024 else raw


def _raw_from_api(key, value):
    if key == 'recordsize':
        return _size_raw(value)
    if key in SIZES:
        return str(value or 0)
    if key == 'comments':
        return value
    return str(value).lower()


def _not_found(schema, what):
    return RpcError(-32602, 'Invalid params', _error_data(
        ENOENT, '[ENOENT] None: %s %s does not exist' % (schema, what), [[None, '%s does not exist' % what, ENOENT]],
        'InstanceNotFound'))


class Objects:
    # ------------------------------------------------------------------------------------------- datasets

    def _effective(self, name, key):
        default, inheritable = PROPERTIES[key]
        local = self.datasets[name]['local']
        if key in local:
            return local[key], 'LOCAL', None
        if inheritable:
            parent = name
            while '/' in parent:
                parent = parent.rsplit('/', 1)[0]
                if key in self.datasets.get(parent, {}).get('local', {}):
                    return self.datasets[parent]['local'][key], 'INHERITED', parent
        return default, 'DEFAULT', None

    def dataset_entry(self, name, retrieve_children=True):
        data = self.datasets[name]
        entry = {'id': name, 'name': name, 'type': data['type'], 'pool': name.split('/')[0],
                 'encrypted': data['encrypted'], 'encryption_root': name if data['encrypted'] else None,
                 'key_loaded': True if data['encrypted'] else None, 'locked': False, 'user_properties': {},
                 'mountpoint': '/mnt/%s' % name, 'children': []}
        for key in PROPERTIES:
            raw, source, info = self._effective(name, key)
            if key == 'recordsize':
                value, parsed = _recordsize_value(raw), int(raw)
            elif key in SIZES:
                parsed = int(raw) or None
                value = None if not parsed else '%s' % parsed
            elif key in BOOLEAN:
                value, parsed = raw.upper(), raw == 'on'
            elif key == 'comments':
                value = parsed = raw
            else:
                value, parsed = raw.upper(), raw
            entry[key] = {'parsed': parsed, 'rawvalue': raw, 'value': value, 'source': source, 'source_info': info}
        entry['key_format'] = {'parsed': 'hex' if data['encrypted'] else 'none', 'rawvalue': 'hex' if data[
            'encrypted'] else 'none', 'value': 'HEX' if data['encrypted'] else None, 'source': 'NONE',
            'source_info': None}
        entry['encryption_algorithm'] = {'parsed': 'aes-256-gcm' if data['encrypted'] else 'off', 'rawvalue': (
            'aes-256-gcm' if data['encrypted'] else 'off'), 'value': 'AES-256-GCM' if data['encrypted'] else None,
            'source': 'NONE', 'source_info': None}
        used = 98304 + sum(1 for other in self.datasets if other.startswith(name + '/')) * 98304
        free = next((p['free'] for p in self.pools if p['name'] == entry['pool']), 0)
        entry['used'] = {'parsed': used, 'rawvalue': str(used), 'value': '%dK' % (used // 1024), 'source': 'NONE',
                         'source_info': None}
        entry['available'] = {'parsed': free, 'rawvalue': str(free), 'value': str(free), 'source': 'NONE',
                              'source_info': None}
        if retrieve_children:
            entry['children'] = [self.dataset_entry(child, True) for child in sorted(self.datasets)
                                 if child.rsplit('/', 1)[0] == name and '/' in child]
        return entry

    def m_pool_dataset_query(self, filters, options):
        children = (options.get('extra') or {}).get('retrieve_children', True)
        rows = [self.dataset_entry(name, children) for name in sorted(self.datasets)]
        return query(rows, filters, options)

    def m_pool_dataset_create(self, data):
        name, errors = data['name'], []
        schema = 'pool_dataset_create'
        if '/' not in name:
            raise validation_error([(schema + '.name', 'You need a full name, e.g. pool/newdataset')])
        parent = name.rsplit('/', 1)[0]
        if parent not in self.datasets and not data['create_ancestors']:
            raise validation_error([(schema + '.name', 'Parent dataset %s does not exist' % parent)])
        if name in self.datasets:
            raise validation_error([(schema + '.name', 'Path /mnt/%s already exists' % name)])
        if data['type'] != 'FILESYSTEM':
            raise validation_error([(schema + '.type', 'the double creates filesystems only')])
        share = data['share_type']
        if share == 'SMB':
            data.update(casesensitivity='INSENSITIVE', acltype='NFSV4', aclmode='RESTRICTED')
        elif share in ('APPS', 'MULTIPROTOCOL', 'NFS'):
            data.update(casesensitivity='SENSITIVE', atime='OFF', acltype='NFSV4', aclmode='PASSTHROUGH')
        if data.get('recordsize') is not None and data['recordsize'] not in RECORDSIZES:
            errors.append((schema + '.recordsize', '%r is an invalid recordsize.' % data['recordsize']))
        encryption = data['encryption']
        options = data['encryption_options']
        if encryption and not (options['generate_key'] or options['passphrase'] or options['key']):
            errors.append((schema + '.encryption_options', 'Please provide a passphrase, a key or generate a key.'))
        if encryption and options['generate_key'] and options['passphrase']:
            errors.append((schema + '.encryption_options.generate_key',
                           'Must be disabled when dataset is to be encrypted with passphrase.'))
        if errors:
            raise validation_error(errors)
        if data['create_ancestors']:
            ancestor = parent
            missing = []
            while '/' in ancestor and ancestor not in self.datasets:
                missing.append(ancestor)
                ancestor = ancestor.rsplit('/', 1)[0]
            for item in reversed(missing):
                self.datasets[item] = {'type': 'FILESYSTEM', 'local': {}, 'encrypted': False, 'created': time.time()}
        local = {}
        for key in PROPERTIES:
            value = data.get(key)
            if value is None or value == 'INHERIT':
                continue
            local[key] = _raw_from_api(key, value)
        local = {k: v for k, v in local.items() if not (k in SIZES and v == '0')}
        self.datasets[name] = {'type': 'FILESYSTEM', 'local': local, 'created': time.time(),
                               'encrypted': encryption or (data['inherit_encryption'] and self.datasets.get(
                                   parent, {}).get('encrypted', False))}
        return self.dataset_entry(name)

    def m_pool_dataset_update(self, name, data):
        if name not in self.datasets:
            raise _not_found('PoolDataset', name)
        if data.get('recordsize') not in (None, 'INHERIT') and data['recordsize'] not in RECORDSIZES:
            raise validation_error([('pool_dataset_update.recordsize',
                                     '%r is an invalid recordsize.' % data['recordsize'])])
        local = self.datasets[name]['local']
        for key, value in data.items():
            if key not in PROPERTIES:
                continue
            if value == 'INHERIT' or (key in SIZES and not value):
                local.pop(key, None)
            else:
                local[key] = _raw_from_api(key, value)
        return self.dataset_entry(name)

    # ------------------------------------------------------------------------------------------- shares

    def _path_exists(self, path):
        return path.startswith('/mnt/') and any(path == '/mnt/' + name or path.startswith('/mnt/%s/' % name)
                                                for name in self.datasets)

    def _nfs_checks(self, data, schema, current_id=None):
        errors = []
        if not self._path_exists(data['path']):
            errors.append((schema + '.path', 'Path %s does not exist' % data['path']))
        for index, network in enumerate(data.get('networks') or []):
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                errors.append(('%s.networks.%d' % (schema, index), 'Invalid network %r' % network))
        for index, host in enumerate(data.get('hosts') or []):
            if any(char in host for char in ' "\''):
                errors.append(('%s.hosts.%d' % (schema, index), 'Cannot contain spaces or quotes'))
        if any(s['path'] == data['path'] and s['id'] != current_id for s in self.nfs):
            errors.append((schema + '.path', 'Export conflict. Another NFS share exports %s' % data['path']))
        if errors:
            raise validation_error(errors)

    def _nfs_row(self, row):
        row = dict(row, locked=None)
        if self.release >= (26, 0):
            row.update(dataset=row['path'][len('/mnt/'):], relative_path='', tier=None)
        return row

    def m_sharing_nfs_query(self, filters, options):
        return query([self._nfs_row(s) for s in self.nfs], filters, options)

    def m_sharing_nfs_create(self, data):
        self._nfs_checks(data, 'sharing_nfs_create')
        row = dict(data, id=self.next_id('nfs'))
        self.nfs.append(row)
        return self._nfs_row(row)

    def m_sharing_nfs_update(self, share_id, data):
        row = next((s for s in self.nfs if s['id'] == share_id), None)
        if row is None:
            raise _not_found('NFS share', share_id)
        merged = dict(row, **data)
        self._nfs_checks(merged, 'sharing_nfs_update', share_id)
        row.update(data)
        return self._nfs_row(row)

    def m_sharing_nfs_delete(self, share_id):
        if not any(s['id'] == share_id for s in self.nfs):
            raise _not_found('NFS share', share_id)
        self.nfs = [s for s in self.nfs if s['id'] != share_id]
        return True

    def _smb_checks(self, data, schema, current_id=None):
        errors = []
        if not self._path_exists(data['path']):
            errors.append((schema + '.path', 'Path %s does not exist' % data['path']))
        if any(s['name'].lower() == data['name'].lower() and s['id'] != current_id for s in self.smb):
            errors.append((schema + '.name', 'Share with this name already exists.'))
        if data['name'].lower() in ('global', 'printers', 'homes'):
            errors.append((schema + '.name', '%s is a reserved section name' % data['name']))
        if errors:
            raise validation_error(errors)

    def _smb_row(self, row):
        row = copy.deepcopy(dict(row, locked=None))
        if self.release >= (25, 10):
            options = dict({'aapl_name_mangling': False, 'hostsallow': [], 'hostsdeny': []}
                           if row['purpose'] == 'DEFAULT_SHARE' else {}, **(row.get('options') or {}))
            options['purpose'] = row['purpose']
            row['options'] = options
        return row

    def m_sharing_smb_query(self, filters, options):
        return query([self._smb_row(s) for s in self.smb], filters, options)

    def m_sharing_smb_create(self, data):
        self._smb_checks(data, 'sharing_smb_create')
        row = dict(data, id=self.next_id('smb'))
        self.smb.append(row)
        return self._smb_row(row)

    def m_sharing_smb_update(self, share_id, data):
        row = next((s for s in self.smb if s['id'] == share_id), None)
        if row is None:
            raise _not_found('SMB share', share_id)
        self._smb_checks(dict(row, **data), 'sharing_smb_update', share_id)
        row.update(data)
        return self._smb_row(row)

    def m_sharing_smb_delete(self, share_id):
        if not any(s['id'] == share_id for s in self.smb):
            raise _not_found('SMB share', share_id)
        self.smb = [s for s in self.smb if s['id'] != share_id]
        return True

    # ------------------------------------------------------------------------------------------- tasks

    def _snaptask_row(self, row):
        return dict(row, vmware_sync=False, state={'state': 'PENDING', 'datetime': None})

    def m_pool_snapshottask_query(self, filters, options):
        return query([self._snaptask_row(t) for t in self.snaptasks], filters, options)

    def m_pool_snapshottask_create(self, data):
        if data['dataset'] not in self.datasets:
            raise validation_error([('pool_snapshottask_create.dataset', 'Dataset not found')])
        row = dict(data, id=self.next_id('snaptask'))
        self.snaptasks.append(row)
        return self._snaptask_row(row)

    def m_pool_snapshottask_update(self, task_id, data):
        row = next((t for t in self.snaptasks if t['id'] == task_id), None)
        if row is None:
            raise _not_found('Periodic snapshot task', task_id)
        data.pop('fixate_removal_date', None)
        if 'schedule' in data:
            data['schedule'] = dict(row['schedule'], **data['schedule'])
        if data.get('dataset', row['dataset']) not in self.datasets:
            raise validation_error([('pool_snapshottask_update.dataset', 'Dataset not found')])
        row.update(data)
        return self._snaptask_row(row)

    def m_pool_snapshottask_delete(self, task_id, _options):
        if not any(t['id'] == task_id for t in self.snaptasks):
            raise _not_found('Periodic snapshot task', task_id)
        self.snaptasks = [t for t in self.snaptasks if t['id'] != task_id]
        return True

    def _replication_checks(self, data, schema):
        errors = []
        if data['transport'] == 'LOCAL':
            if data.get('ssh_credentials') is not None:
                errors.append((schema + '.ssh_credentials', 'Remote credentials are not allowed for local transport'))
        elif data.get('ssh_credentials') is None:
            errors.append((schema + '.ssh_credentials', 'SSH Credentials are required for non-local replication'))
        elif not any(k['id'] == data['ssh_credentials'] for k in self.keychain):
            errors.append((schema + '.ssh_credentials', 'Keychain credential %s does not exist'
                           % data['ssh_credentials']))
        if data['direction'] == 'PUSH':
            for index, source in enumerate(data['source_datasets']):
                if source not in self.datasets:
                    errors.append(('%s.source_datasets.%d' % (schema, index), 'Dataset %s does not exist' % source))
            if not (data.get('periodic_snapshot_tasks') or data.get('also_include_naming_schema')
                    or data.get('name_regex')):
                errors.append((schema + '.periodic_snapshot_tasks', 'You must at least either bind a periodic '
                               'snapshot task or provide "Also Include Naming Schema" or "Name Regex" for push '
                               'replication task'))
        for index, task_id in enumerate(data.get('periodic_snapshot_tasks') or []):
            if not any(t['id'] == task_id for t in self.snaptasks):
                errors.append(('%s.periodic_snapshot_tasks.%d' % (schema, index), 'Periodic snapshot task %s not '
                               'found' % task_id))
        if data['auto'] and not (data.get('schedule') or data.get('periodic_snapshot_tasks')):
            errors.append((schema + '.auto', 'Automatic replication requires a schedule or a bound periodic '
                           'snapshot task'))
        if data['retention_policy'] == 'CUSTOM' and not (data.get('lifetime_value') and data.get('lifetime_unit')):
            errors.append((schema + '.retention_policy', 'Custom retention policy needs lifetime_value and '
                           'lifetime_unit'))
        if errors:
            raise validation_error(errors)

    def _replication_row(self, row):
        row = copy.deepcopy(row)
        row['periodic_snapshot_tasks'] = [dict(t, state='PENDING') for t in self.snaptasks
                                          if t['id'] in row.get('periodic_snapshot_tasks', [])]
        row['ssh_credentials'] = next((copy.deepcopy(k) for k in self.keychain if k['id'] == row['ssh_credentials']),
                                      None)
        row.update(state={'state': 'PENDING'}, job=None, has_encrypted_dataset_keys=False)
        return row

    def m_replication_query(self, filters, options):
        return query([self._replication_row(r) for r in self.replications], filters, options)

    def m_replication_create(self, data):
        if any(r['name'] == data['name'] for r in self.replications):
            raise validation_error([('replication_create.name', 'This name is already in use')])
        self._replication_checks(data, 'replication_create')
        row = dict(data, id=self.next_id('replication'))
        self.replications.append(row)
        return self._replication_row(row)

    def m_replication_update(self, task_id, data):
        row = next((r for r in self.replications if r['id'] == task_id), None)
        if row is None:
            raise _not_found('Replication', task_id)
        self._replication_checks(dict(row, **data), 'replication_update')
        row.update(data)
        return self._replication_row(row)

    def m_replication_delete(self, task_id):
        if not any(r['id'] == task_id for r in self.replications):
            raise _not_found('Replication', task_id)
        self.replications = [r for r in self.replications if r['id'] != task_id]
        return True
