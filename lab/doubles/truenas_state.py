"""The NAS the TrueNAS DOUBLE pretends to be: disks, pools, datasets (with ZFS property inheritance), shares,
snapshot tasks, scrub tasks, replication tasks, snapshots, alerts and jobs, in memory.

Entries have the fields of the real query results (truenas/middleware api/v25_10_5: PoolEntry, PoolDatasetEntry
with {parsed, rawvalue, value, source, source_info} properties, SharingNFSEntry, SharingSMBEntry,
PeriodicSnapshotTaskEntry, PoolScrubEntry, ReplicationEntry, CoreGetJobsItem, Alert); the checks the real
methods make and the doubles plays are named where they are made.
"""

import copy
import threading
import time
import uuid

from truenas_objects import PROPERTIES
from truenas_objects import Objects
from truenas_rpc import ENOENT
from truenas_rpc import RpcError
from truenas_rpc import _error_data
from truenas_rpc import _now
from truenas_rpc import call_error
from truenas_rpc import query
from truenas_rpc import validation_error

# The seed NAS (seed 004): four 14 TB disks for RAID-Z2, and two that hold data: an exported pool, a partitioned disk.
SEED_DISKS = [
    {'name': 'sd%s' % letter, 'serial': 'ZL2%05d' % index, 'size': 14 * 10 ** 12, 'model': 'ST14000NM001G',
     'type': 'HDD', 'partitions': [], 'exported_zpool': None}
    for index, letter in enumerate('abcd')
] + [
    {'name': 'sde', 'serial': 'ZL200099', 'size': 14 * 10 ** 12, 'model': 'ST14000NM001G', 'type': 'HDD',
     'partitions': [{'name': 'sde1', 'partition_type': '6a898cc3-1dd2-11b2-99a6-080020736631', 'size': 14 * 10 ** 12}],
     'exported_zpool': 'oldtank'},
    {'name': 'sdf', 'serial': 'WD-88123', 'size': 4 * 10 ** 12, 'model': 'WD40EFRX', 'type': 'HDD',
     'partitions': [{'name': 'sdf1', 'partition_type': '0fc63daf-8483-4772-8e79-3d69d8477de4', 'size': 4 * 10 ** 12}],
     'exported_zpool': None},
]


class Nas(Objects):
    def __init__(self, double, job_seconds):
        self.double = double
        self.job_seconds = job_seconds
        self.disks = copy.deepcopy(SEED_DISKS)
        self.pools, self.datasets, self.scrubs, self.nfs, self.smb = [], {}, [], [], []
        self.snaptasks, self.replications, self.snapshots, self.alerts, self.jobs = [], [], [], [], {}
        self.keychain = [{'id': 1, 'name': 'offsite', 'type': 'SSH_CREDENTIALS',
                          'attributes': {'host': 'offsite.example', 'port': 22, 'username': 'zfs'}}]
        self.ids = {}
        self.txg = 100

    def set_disks(self, disks):
        self.disks = disks

    def next_id(self, kind):
        self.ids[kind] = self.ids.get(kind, 0) + 1
        return self.ids[kind]

    @property
    def release(self):
        return self.double.release

    # -------------------------------------------------------------------------------------------- dispatch

    def call(self, method, values):
        handler = getattr(self, 'm_' + method.replace('.', '_'), None)
        if handler is None:
            raise call_error('%s is not implemented by the double' % method, 95)
        return handler(*values)

    def m_core_ping(self):
        return 'pong'

    def m_system_version_short(self):
        return {'25.04': '25.04.2.4', '26.0': '26.0.0'}.get(self.double.release_text, self.double.release_text)

    def m_system_version(self):
        return 'TrueNAS-%s' % self.m_system_version_short()

    def m_system_info(self):
        return {'version': self.m_system_version(), 'hostname': 'nas', 'physmem': 32 * 1024 ** 3,
                'model': 'Intel(R) Core(TM) i3-N305', 'cores': 8, 'uptime_seconds': 3600.0,
                'system_product': 'ODROID-H4', 'timezone': 'UTC', 'boottime': _now(), 'datetime': _now()}

    def m_core_get_jobs(self, filters, options):
        return query(list(self.jobs.values()), filters, options)

    def m_alert_list(self):
        return copy.deepcopy(self.alerts)

    def m_keychaincredential_query(self, filters, options):
        return query(self.keychain, filters, options)

    # -------------------------------------------------------------------------------------------- disks

    def _disk_row(self, disk, join_partitions):
        imported = next((p['name'] for p in self.pools if disk['name'] in p['_disks']), None)
        return {'name': disk['name'], 'devname': disk['name'], 'identifier': '{serial}%s' % disk['serial'],
                'serial': disk['serial'], 'lunid': None, 'size': disk['size'], 'model': disk['model'],
                'type': disk['type'], 'description': '', 'bus': 'ATA', 'subsystem': 'scsi', 'number': 2048,
                'enclosure': {}, 'partitions': copy.deepcopy(disk['partitions']) if join_partitions else [],
                'exported_zpool': disk['exported_zpool'], 'imported_zpool': imported, 'duplicate_serial': [],
                'sed': None, 'sed_status': None}

    def m_disk_details(self, data):
        rows = [self._disk_row(disk, data['join_partitions']) for disk in self.disks]
        used = [row for row in rows if row['imported_zpool'] or row['exported_zpool']]
        unused = [row for row in rows if not (row['imported_zpool'] or row['exported_zpool'])]
        if data['type'] == 'BOTH':
            return {'used': used, 'unused': unused}
        return used if data['type'] == 'USED' else unused

    def m_disk_query(self, filters, options):
        rows = [dict(self._disk_row(d, False), pool=self._disk_row(d, False)['imported_zpool']) for d in self.disks]
        return query(rows, filters, options)

    # -------------------------------------------------------------------------------------------- jobs

    def start_job(self, method, arguments, work, seconds=None):
        job_id = self.next_id('job')
        job = {'id': job_id, 'message_ids': [], 'method': method, 'arguments': arguments, 'transient': False,
               'description': None, 'abortable': False, 'logs_path': None, 'logs_excerpt': None,
               'progress': {'percent': 0, 'description': '', 'extra': None}, 'result': None,
               'result_encoding_error': None, 'error': None, 'exception': None, 'exc_info': None,
               'state': 'RUNNING', 'time_started': _now(), 'time_finished': None, 'credentials': None}
        self.jobs[job_id] = job
        seconds = self.job_seconds if seconds is None else seconds

        def run():
            steps = 4
            for step in range(steps):
                time.sleep(seconds / steps)
                with self.double.lock:
                    job['progress'] = {'percent': int(100 * (step + 1) / (steps + 1)),
                                       'description': 'working (%d/%d)' % (step + 1, steps), 'extra': None}
            with self.double.lock:
                try:
                    job['result'] = work()
                    job['state'] = 'SUCCESS'
                    job['progress'] = {'percent': 100, 'description': 'done', 'extra': None}
                except RpcError as exc:
                    data = exc.data or {}
                    job['state'] = 'FAILED'
                    job['error'] = data.get('reason') or exc.message
                    job['exception'] = job['error']
                    job['exc_info'] = {'repr': job['error'], 'type': 'VALIDATION' if exc.code == -32602 else 'CALL',
                                       'errno': data.get('error'), 'extra': data.get('extra')}
                job['time_finished'] = _now()
        threading.Thread(target=run, daemon=True).start()
        return job_id

    # -------------------------------------------------------------------------------------------- pools

    def m_pool_query(self, filters, options):
        return query([self._pool_row(p) for p in self.pools], filters, options)

    def _pool_row(self, pool):
        row = {k: v for k, v in pool.items() if not k.startswith('_')}
        return copy.deepcopy(row)

    def m_pool_create(self, data):
        # the job's own checks are those of pool.create (plugins/pool_/pool.py _process_topology and
        # disk_/availability.py check_disks_availability): disks present, not in an IMPORTED pool (the boot pool
        # or another), vdev widths. It does NOT refuse disks with an exported pool or foreign partitions: it wipes.
        if any(p['name'] == data['name'] for p in self.pools):
            raise validation_error([('pool_create.name', 'A pool with this name already exists.')])
        return self.start_job('pool.create', [data], lambda: self._create_pool(data))

    def _create_pool(self, data):
        names = {d['name']: d for d in self.disks}
        topology = data['topology']
        wanted = [d for vdev in topology['data'] for d in vdev['disks']] + list(topology.get('spares') or [])
        missing = [d for d in wanted if d not in names]
        if missing:
            raise validation_error([('pool_create.topology',
                                     'The following disks were not found in system: %s.' % ','.join(missing))])
        used = [d for d in wanted if any(d in p['_disks'] for p in self.pools)]
        if used:
            raise validation_error([('pool_create.topology',
                                     'The following disks are already in use: %s.' % ','.join(used))])
        minimum = {'MIRROR': 2, 'RAIDZ1': 3, 'RAIDZ2': 4, 'RAIDZ3': 5, 'STRIPE': 1}
        for index, vdev in enumerate(topology['data']):
            need = minimum.get(vdev['type'], 1)
            if len(vdev['disks']) < need:
                raise validation_error([('pool_create.topology.data.%d.disks' % index,
                                         'You need at least %d disk(s) for this vdev type.' % need)])
        if len({v['type'] for v in topology['data']}) > 1:
            raise validation_error([('pool_create.topology.data', 'All vdevs must be of the same type')])
        for name in wanted:  # wiped and partitioned for ZFS, as the real job does
            names[name]['exported_zpool'] = None
            names[name]['partitions'] = [{'name': name + '1', 'partition_type': 'zfs', 'size': names[name]['size']}]
        pool_id = self.next_id('pool')
        vdevs = []
        raw = 0
        for index, vdev in enumerate(topology['data']):
            parity = {'RAIDZ1': 1, 'RAIDZ2': 2, 'RAIDZ3': 3, 'MIRROR': len(vdev['disks']) - 1}.get(vdev['type'], 0)
            raw += sum(names[d]['size'] for d in vdev['disks'][parity:])
            vdevs.append({'type': vdev['type'], 'name': '%s-%d' % (vdev['type'].lower(), index), 'status': 'ONLINE',
                          'guid': str(uuid.uuid4().int)[:19], 'children': [
                              {'type': 'DISK', 'disk': d, 'name': d, 'status': 'ONLINE', 'path': '/dev/%s1' % d}
                              for d in vdev['disks']]})
        pool = {'id': pool_id, 'name': data['name'], 'guid': str(uuid.uuid4().int)[:19], 'status': 'ONLINE',
                'path': '/mnt/%s' % data['name'], 'scan': None, 'expand': None, 'is_upgraded': True,
                'healthy': True, 'warning': False, 'status_code': None, 'status_detail': None, 'size': raw,
                'allocated': 0, 'free': raw, 'freeing': 0, 'dedup_table_size': 0, 'dedup_table_quota': 'auto',
                'fragmentation': '0', 'size_str': str(raw), 'allocated_str': '0', 'free_str': str(raw),
                'freeing_str': '0',
                'autotrim': {'parsed': 'off', 'rawvalue': 'off', 'source': 'DEFAULT', 'value': 'off'},
                'topology': {'data': vdevs, 'log': [], 'cache': [], 'spare': [], 'special': [], 'dedup': []},
                '_disks': wanted}
        self.pools.append(pool)
        self.datasets[data['name']] = {'type': 'FILESYSTEM', 'local': {
            'compression': 'lz4', 'aclmode': 'discard', 'acltype': 'posix', 'atime': 'off'},
            'encrypted': data['encryption'], 'created': time.time()}
        # pool.create inserts a scrub task with the defaults of storage.scrub (weekly, Sunday 00:00, 35 days)
        self.scrubs.append({'id': self.next_id('scrub'), 'pool': pool_id, 'pool_name': data['name'], 'threshold': 35,
                            'description': '', 'enabled': True,
                            'schedule': {'minute': '00', 'hour': '00', 'dom': '*', 'month': '*', 'dow': '7'}})
        return self._pool_row(pool)

    def m_pool_scrub_query(self, filters, options):
        return query(self.scrubs, filters, options)

    def m_pool_scrub_create(self, data):
        pool = next((p for p in self.pools if p['id'] == data['pool']), None)
        if pool is None:
            raise validation_error([('pool_scrub_create.pool', 'The specified volume does not exist')])
        if any(s['pool'] == data['pool'] for s in self.scrubs):
            raise validation_error([('pool_scrub_create.pool', 'A scrub with this pool already exists')])
        row = dict(data, id=self.next_id('scrub'), pool_name=pool['name'])
        self.scrubs.append(row)
        return copy.deepcopy(row)

    def m_pool_scrub_update(self, scrub_id, data):
        row = self._by_id(self.scrubs, scrub_id, 'pool_scrub_update')
        if 'schedule' in data:
            data['schedule'] = dict(row['schedule'], **data['schedule'])
        row.update(data)
        return copy.deepcopy(row)

    def _by_id(self, rows, item_id, schema):
        row = next((r for r in rows if r['id'] == item_id), None)
        if row is None:
            raise RpcError(-32602, 'Invalid params', _error_data(
                ENOENT, '[ENOENT] None: %s %d does not exist' % (schema, item_id), [[None, 'does not exist', ENOENT]],
                'InstanceNotFound'))
        return row

    # -------------------------------------------------------------------------------------------- snapshots

    def tick(self):
        """Runs every enabled periodic snapshot task once (the double has no cron)."""
        taken = []
        for task in self.snaptasks:
            if not task['enabled']:
                continue
            targets = [task['dataset']] + ([d for d in self.datasets if d.startswith(task['dataset'] + '/')]
                                           if task['recursive'] else [])
            name = time.strftime(task['naming_schema'], time.gmtime())
            for dataset in targets:
                self.txg += 1
                self.snapshots.append({'dataset': dataset, 'snapshot_name': name, 'createtxg': self.txg})
                taken.append('%s@%s' % (dataset, name))
        return {'taken': taken}

    def _snapshot_rows(self):
        return [{'id': '%s@%s' % (s['dataset'], s['snapshot_name']),
                 'name': '%s@%s' % (s['dataset'], s['snapshot_name']),
                 'pool': s['dataset'].split('/')[0], 'type': 'SNAPSHOT', 'snapshot_name': s['snapshot_name'],
                 'dataset': s['dataset'], 'createtxg': str(s['createtxg']), 'properties': {}}
                for s in self.snapshots]

    def m_pool_snapshot_query(self, filters, options):
        return query(self._snapshot_rows(), filters, options)

    m_zfs_snapshot_query = m_pool_snapshot_query  # 25.04's name of the same query

    def m_zfs_resource_snapshot_query(self, data):
        paths = data.get('paths') or []
        rows = []
        for snap in self.snapshots:
            if paths and not any(snap['dataset'] == p or (data.get('recursive') and snap['dataset'].startswith(p + '/'))
                                 for p in paths):
                continue
            rows.append({'createtxg': snap['createtxg'], 'guid': snap['createtxg'] * 7919,
                         'name': '%s@%s' % (snap['dataset'], snap['snapshot_name']),
                         'pool': snap['dataset'].split('/')[0],
                         'dataset': snap['dataset'], 'snapshot_name': snap['snapshot_name'], 'type': 'SNAPSHOT',
                         'holds': None, 'properties': None if data.get('properties') is None else {},
                         'user_properties': None})
        return rows

    def m_pool_dataset_snapshot_count(self, dataset):
        return sum(1 for s in self.snapshots if s['dataset'] == dataset)

    def add_alert(self, body):
        alert = {'uuid': str(uuid.uuid4()), 'source': body.get('source', ''), 'klass': body.get('klass', 'Double'),
                 'args': body.get('args'), 'node': 'A', 'key': body.get('key', str(uuid.uuid4())),
                 'datetime': _now(), 'last_occurrence': _now(), 'dismissed': False, 'mail': None,
                 'text': body.get('text', 'an alert of the double'), 'id': str(uuid.uuid4()),
                 'level': body.get('level', 'WARNING'), 'formatted': body.get('text', 'an alert of the double'),
                 'one_shot': False}
        self.alerts.append(alert)
        return alert

    # -------------------------------------------------------------------------------------------- test view

    def snapshot_state(self):
        datasets = {}
        for name in sorted(self.datasets):
            entry = self.dataset_entry(name, True)
            datasets[name] = {key: entry[key]['rawvalue'] for key in PROPERTIES if key in entry}
            datasets[name]['local'] = sorted(self.datasets[name]['local'])
            datasets[name]['encrypted'] = entry['encrypted']
        return {'pools': [{'name': p['name'], 'disks': p['_disks'],
                           'layout': [v['type'] for v in p['topology']['data']]} for p in self.pools],
                'datasets': datasets, 'scrubs': self.scrubs, 'nfs': self.nfs, 'smb': self.smb,
                'snapshottasks': self.snaptasks, 'replications': self.replications,
                'disks': [self._disk_row(d, True) for d in self.disks],
                'jobs': [{'id': j['id'], 'method': j['method'], 'state': j['state']} for j in self.jobs.values()]}
