"""The Args models of the methods the TrueNAS DOUBLE answers, per release (25.04, 25.10, 26), written from
truenas/middleware's ``api/v25_04_2``, ``api/v25_10_5`` and ``api/v26_0_0`` (field names, types, defaults,
Literal choices, which fields are required) and ``plugins/`` (legacy schemas of 25.04).

Differences kept on purpose, because the modules must handle them:
  * 25.04: lower-case enums accepted (legacy schemas); SMB purposes NO_PRESET, DEFAULT_SHARE, MULTI_PROTOCOL_NFS,
    TIMEMACHINE, ENHANCED_TIMEMACHINE, PRIVATE_DATASETS, WORM_DROPBOX with flat fields (ro, abe, hostsallow, ...)
  * 25.10: strict upper-case enums; SMB purposes *_SHARE with per-purpose ``options``
  * 26: login_options.reconnect_token; the SCRAM mechanism of auth.login_ex
"""

from truenas_schema import QUERY
from truenas_schema import REQUIRED
from truenas_schema import Bool
from truenas_schema import Dict
from truenas_schema import Either
from truenas_schema import Enum
from truenas_schema import Int
from truenas_schema import List
from truenas_schema import Model
from truenas_schema import Null
from truenas_schema import Str
from truenas_schema import Tagged
from truenas_schema import args
from truenas_schema import cron

COMPRESSION = ('ON', 'OFF', 'LZ4', 'GZIP', 'GZIP-1', 'GZIP-9', 'ZSTD', 'ZSTD-FAST', 'ZLE', 'LZJB') + tuple(
    'ZSTD-%d' % n for n in range(1, 20)) + tuple('ZSTD-FAST-%d' % n for n in list(range(1, 11)) + [
        20, 30, 40, 50, 60, 70, 80, 90, 100, 500, 1000]) + ('INHERIT',)
LIFETIME_UNITS = ('HOUR', 'DAY', 'WEEK', 'MONTH', 'YEAR')
SMB_PURPOSES = ('DEFAULT_SHARE', 'LEGACY_SHARE', 'TIMEMACHINE_SHARE', 'MULTIPROTOCOL_SHARE', 'TIME_LOCKED_SHARE',
                'PRIVATE_DATASETS_SHARE', 'EXTERNAL_SHARE', 'VEEAM_REPOSITORY_SHARE', 'FCP_SHARE')
SMB_PURPOSES_2504 = ('NO_PRESET', 'DEFAULT_SHARE', 'ENHANCED_TIMEMACHINE', 'MULTI_PROTOCOL_NFS', 'TIMEMACHINE',
                     'PRIVATE_DATASETS', 'WORM_DROPBOX')
SCRAM_TYPES = ('CLIENT_FIRST_MESSAGE', 'CLIENT_FINAL_MESSAGE')


def models(release):
    """release: (major, minor) -> {method: Args}."""
    legacy = release < (25, 10)
    v26 = release >= (26, 0)

    def enum(*choices):
        return Enum(*choices, fold_case=legacy)

    def on_off():
        return enum('ON', 'OFF', 'INHERIT')

    login_options = {'user_info': (Bool(), True)}
    if v26:
        login_options['reconnect_token'] = (Bool(), False)
    options = Model('AuthCommonOptions', login_options)
    mechanisms = {
        'API_KEY_PLAIN': Model('AuthApiKeyPlain', {'mechanism': (Enum('API_KEY_PLAIN'), REQUIRED),
                                                   'username': (Str(), REQUIRED), 'api_key': (Str(), REQUIRED),
                                                   'login_options': (options, dict)}),
        'PASSWORD_PLAIN': Model('AuthPasswordPlain', {'mechanism': (Enum('PASSWORD_PLAIN'), REQUIRED),
                                                      'username': (Str(), REQUIRED), 'password': (Str(), REQUIRED),
                                                      'login_options': (options, dict)}),
        'TOKEN_PLAIN': Model('AuthTokenPlain', {'mechanism': (Enum('TOKEN_PLAIN'), REQUIRED),
                                                'token': (Str(), REQUIRED), 'login_options': (options, dict)}),
        'OTP_TOKEN': Model('AuthOTPToken', {'mechanism': (Enum('OTP_TOKEN'), REQUIRED),
                                            'otp_token': (Str(), REQUIRED), 'login_options': (options, dict)}),
    }
    if v26:
        mechanisms['SCRAM'] = Model('AuthSCRAM', {'mechanism': (Enum('SCRAM'), REQUIRED),
                                                  'scram_type': (Enum(*SCRAM_TYPES), REQUIRED),
                                                  'rfc_str': (Str(), REQUIRED)})

    encryption_options = Model('PoolCreateEncryptionOptions', {
        'generate_key': (Bool(), False),
        'pbkdf2iters': (Int(ge=1300000 if v26 else 100000), 1300000 if v26 else 350000),
        'algorithm': (Enum('AES-128-CCM', 'AES-192-CCM', 'AES-256-CCM', 'AES-128-GCM', 'AES-192-GCM', 'AES-256-GCM'),
                      'AES-256-GCM'),
        'passphrase': (Null(Str(min_length=8)), None), 'key': (Null(Str(min_length=64, max_length=64)), None)})
    vdev = Model('PoolCreateTopologyDataVdev', {
        'type': (Enum('RAIDZ1', 'RAIDZ2', 'RAIDZ3', 'MIRROR', 'STRIPE', 'DRAID1', 'DRAID2', 'DRAID3'), REQUIRED),
        'disks': (List(Str()), REQUIRED), 'draid_data_disks': (Null(Int()), None), 'draid_spare_disks': (Int(), 0)})
    aux_vdev = Model('PoolCreateTopologyLogVdev', {'type': (Enum('MIRROR', 'STRIPE'), REQUIRED),
                                                   'disks': (List(Str()), REQUIRED)})
    topology = Model('PoolCreateTopology', {
        'data': (List(vdev, min_length=1), REQUIRED), 'special': (List(aux_vdev), list),
        'dedup': (List(aux_vdev), list), 'cache': (List(aux_vdev), list), 'log': (List(aux_vdev), list),
        'spares': (List(Str()), list)})
    pool_create = Model('PoolCreate', {
        'name': (Str(min_length=1, max_length=50, pattern=r'^\S+$'), REQUIRED), 'encryption': (Bool(), False),
        'dedup_table_quota': (Null(Enum('AUTO', 'CUSTOM')), 'AUTO'), 'dedup_table_quota_value': (Null(Int(ge=1)), None),
        'deduplication': (Null(Enum('ON', 'VERIFY', 'OFF')), None), 'checksum': (Null(Enum(
            'ON', 'OFF', 'FLETCHER2', 'FLETCHER4', 'SHA256', 'SHA512', 'SKEIN', 'EDONR', 'BLAKE3')), None),
        'encryption_options': (encryption_options, lambda: encryption_options.check({}, '', [])),
        'topology': (topology, REQUIRED), 'allow_duplicate_serials': (Bool(), False)})
    scrub_schedule = cron('PoolScrubCron', minute='00', hour='00', dow='7')
    scrub = Model('PoolScrubCreate', {
        'pool': (Int(ge=1), REQUIRED), 'threshold': (Int(ge=0), 35), 'description': (Str(), ''),
        'schedule': (scrub_schedule, lambda: scrub_schedule.check({}, '', [])), 'enabled': (Bool(), True)})

    quota = Either(Int(ge=1024 ** 3), Enum(0, None))
    dataset_common = {
        'name': (Str(min_length=1, pattern=r'^[A-Za-z0-9][A-Za-z0-9_.:/ -]*$'), REQUIRED),
        'comments': (Str(), 'INHERIT'), 'sync': (enum('STANDARD', 'ALWAYS', 'DISABLED', 'INHERIT'), 'INHERIT'),
        'snapdev': (enum('HIDDEN', 'VISIBLE', 'INHERIT'), None), 'compression': (enum(*COMPRESSION), 'INHERIT'),
        'exec': (on_off(), 'INHERIT'), 'managedby': (Str(min_length=1), 'INHERIT'),
        'quota_warning': (Either(Int(ge=0, le=100), Enum('INHERIT')), 'INHERIT'),
        'quota_critical': (Either(Int(ge=0, le=100), Enum('INHERIT')), 'INHERIT'),
        'refquota_warning': (Either(Int(ge=0, le=100), Enum('INHERIT')), 'INHERIT'),
        'refquota_critical': (Either(Int(ge=0, le=100), Enum('INHERIT')), 'INHERIT'),
        'reservation': (Int(), None), 'refreservation': (Int(), None),
        'special_small_block_size': (Either(Int(), Enum('INHERIT')), None),
        'copies': (Either(Int(), Enum('INHERIT')), 'INHERIT'),
        'snapdir': (enum('DISABLED', 'VISIBLE', 'HIDDEN', 'INHERIT'), 'INHERIT'),
        'deduplication': (enum('ON', 'VERIFY', 'OFF', 'INHERIT'), 'INHERIT'),
        'checksum': (enum('ON', 'OFF', 'FLETCHER2', 'FLETCHER4', 'SHA256', 'SHA512', 'SKEIN', 'EDONR', 'BLAKE3',
                          'INHERIT'), 'INHERIT'),
        'readonly': (on_off(), 'INHERIT'),
        'share_type': (enum('GENERIC', 'MULTIPROTOCOL', 'NFS', 'SMB', 'APPS'), 'GENERIC'),
        'encryption_options': (encryption_options, lambda: encryption_options.check({}, '', [])),
        'encryption': (Bool(), False), 'inherit_encryption': (Bool(), True),
        'user_properties': (List(Model('PoolDatasetCreateUserProperty', {
            'key': (Str(pattern='.*:.*'), REQUIRED), 'value': (Str(), REQUIRED)})), list),
        'create_ancestors': (Bool(), False),
        # FILESYSTEM
        'type': (Enum('FILESYSTEM', 'VOLUME'), 'FILESYSTEM'),
        'aclmode': (enum('PASSTHROUGH', 'RESTRICTED', 'DISCARD', 'INHERIT'), None),
        'acltype': (enum('OFF', 'NFSV4', 'POSIX', 'INHERIT'), None),
        'atime': (on_off(), None), 'casesensitivity': (enum('SENSITIVE', 'INSENSITIVE', 'INHERIT'), None),
        'quota': (quota, None), 'refquota': (quota, None), 'recordsize': (Str(), None),
        # VOLUME
        'force_size': (Bool(), None), 'sparse': (Bool(), None), 'volsize': (Int(), None),
        'volblocksize': (Enum('512', '512B', '1K', '2K', '4K', '8K', '16K', '32K', '64K', '128K'), None),
    }
    dataset_create = Model('PoolDatasetCreate', dict(dataset_common.items()))
    dataset_update = dataset_create.updated('PoolDatasetUpdate', drop=(
        'name', 'type', 'casesensitivity', 'share_type', 'sparse', 'volblocksize', 'encryption',
        'encryption_options', 'inherit_encryption', 'user_properties', 'create_ancestors'),
        add={'user_properties_update': (List(Model('PoolDatasetUpdateUserProperty', {
            'key': (Str(), REQUIRED), 'value': (Str(), None), 'remove': (Bool(), None)})), None)}, partial=True)

    nfs = Model('NfsShareCreate', {
        'path': (Str(min_length=1), REQUIRED), 'aliases': (List(Str(min_length=1)), list), 'comment': (Str(), ''),
        'networks': (List(Str(min_length=1)), list), 'hosts': (List(Str(min_length=1)), list), 'ro': (Bool(), False),
        'maproot_user': (Null(Str()), None), 'maproot_group': (Null(Str()), None),
        'mapall_user': (Null(Str()), None), 'mapall_group': (Null(Str()), None),
        'security': (List(Enum('SYS', 'KRB5', 'KRB5I', 'KRB5P')), list), 'enabled': (Bool(), True),
        'expose_snapshots': (Bool(), False)})

    if legacy:
        smb = Model('SharingSMBCreate', {
            'purpose': (Enum(*SMB_PURPOSES_2504), 'DEFAULT_SHARE'), 'path': (Str(min_length=1), REQUIRED),
            'path_suffix': (Str(), ''), 'home': (Bool(), False), 'name': (Str(min_length=1, max_length=80), REQUIRED),
            'comment': (Str(), ''), 'ro': (Bool(), False), 'browsable': (Bool(), True), 'timemachine': (Bool(), False),
            'timemachine_quota': (Int(), 0), 'recyclebin': (Bool(), False), 'guestok': (Bool(), False),
            'abe': (Bool(), False), 'hostsallow': (List(Str()), list), 'hostsdeny': (List(Str()), list),
            'auxsmbconf': (Str(), ''), 'aapl_name_mangling': (Bool(), False), 'acl': (Bool(), True),
            'durablehandle': (Bool(), True), 'shadowcopy': (Bool(), True), 'streams': (Bool(), True),
            'fsrvp': (Bool(), False), 'enabled': (Bool(), True), 'afp': (Bool(), False),
            'audit': (Dict(), dict)})
    else:
        default_opt = Model('DefaultOpt', {'aapl_name_mangling': (Bool(), False), 'hostsallow': (List(Str()), list),
                                           'hostsdeny': (List(Str()), list)})
        smb = Model('SmbShareCreate', {
            'purpose': (Enum(*SMB_PURPOSES), 'DEFAULT_SHARE'), 'name': (Str(min_length=1, max_length=80), REQUIRED),
            'path': (Str(min_length=1), REQUIRED), 'enabled': (Bool(), True), 'comment': (Str(), ''),
            'readonly': (Bool(), False), 'browsable': (Bool(), True),
            'access_based_share_enumeration': (Bool(), False),
            'audit': (Model('SmbAuditConfig', {'enable': (Bool(), False), 'watch_list': (List(Str()), list),
                                               'ignore_list': (List(Str()), list)}), dict),
            'options': (Null(Dict()), None)}, validator=_smb_purpose_options(default_opt))

    snap_schedule = cron('PoolSnapshotTaskCron', minute='00', begin='00:00', end='23:59')
    snaptask = Model('PoolSnapshotTaskCreate', {
        'dataset': (Str(), REQUIRED), 'recursive': (Bool(), False), 'lifetime_value': (Int(), 2),
        'lifetime_unit': (Enum(*LIFETIME_UNITS), 'WEEK'), 'enabled': (Bool(), True), 'exclude': (List(Str()), list),
        'naming_schema': (Str(), 'auto-%Y-%m-%d_%H-%M'), 'allow_empty': (Bool(), True),
        'schedule': (snap_schedule, lambda: snap_schedule.check({}, '', []))}, validator=_naming_schema)
    snaptask_update = snaptask.updated('PoolSnapshotTaskUpdate', add={'fixate_removal_date': (Bool(), None)},
                                       partial=True)

    repl_schedule = cron('ReplicationTimeCronModel', minute='00', begin='00:00', end='23:59')
    replication = Model('ReplicationCreate', {
        'name': (Str(min_length=1), REQUIRED), 'direction': (Enum('PUSH', 'PULL'), REQUIRED),
        'transport': (Enum('SSH', 'SSH+NETCAT', 'LOCAL'), REQUIRED), 'ssh_credentials': (Null(Int()), None),
        'netcat_active_side': (Null(Enum('LOCAL', 'REMOTE')), None),
        'netcat_active_side_listen_address': (Null(Str()), None),
        'netcat_active_side_port_min': (Null(Int(ge=1, le=65535)), None),
        'netcat_active_side_port_max': (Null(Int(ge=1, le=65535)), None),
        'netcat_passive_side_connect_address': (Null(Str()), None), 'sudo': (Bool(), False),
        'source_datasets': (List(Str(), min_length=1), REQUIRED), 'target_dataset': (Str(), REQUIRED),
        'recursive': (Bool(), REQUIRED), 'exclude': (List(Str()), list), 'properties': (Bool(), True),
        'properties_exclude': (List(Str(min_length=1)), list), 'properties_override': (Dict(Str()), dict),
        'replicate': (Bool(), False), 'encryption': (Bool(), False), 'encryption_inherit': (Null(Bool()), None),
        'encryption_key': (Null(Str()), None), 'encryption_key_format': (Null(Enum('HEX', 'PASSPHRASE')), None),
        'encryption_key_location': (Null(Str()), None),
        'periodic_snapshot_tasks': (List(Int(), unique=True), list), 'naming_schema': (List(Str()), list),
        'also_include_naming_schema': (List(Str()), list), 'name_regex': (Null(Str(min_length=1)), None),
        'auto': (Bool(), REQUIRED), 'schedule': (Null(repl_schedule), None),
        'restrict_schedule': (Null(repl_schedule), None), 'only_matching_schedule': (Bool(), False),
        'allow_from_scratch': (Bool(), False), 'readonly': (Enum('SET', 'REQUIRE', 'IGNORE'), 'SET'),
        'hold_pending_snapshots': (Bool(), False),
        'retention_policy': (Enum('SOURCE', 'CUSTOM', 'NONE'), REQUIRED),
        'lifetime_value': (Null(Int(ge=1)), None), 'lifetime_unit': (Null(Enum(*LIFETIME_UNITS)), None),
        'lifetimes': (List(Dict()), list), 'compression': (Null(Enum('LZ4', 'PIGZ', 'PLZIP')), None),
        'speed_limit': (Null(Int(ge=1)), None), 'large_block': (Bool(), True), 'embed': (Bool(), False),
        'compressed': (Bool(), True), 'retries': (Int(ge=1), 5),
        'logging_level': (Null(Enum('DEBUG', 'INFO', 'WARNING', 'ERROR')), None), 'enabled': (Bool(), True)})

    table = {
        'auth.mechanism_choices': args(),
        'auth.login_ex': args(('login_data', Tagged('mechanism', mechanisms), REQUIRED)),
        'auth.login_with_api_key': args(('api_key', Str(), REQUIRED)),
        'auth.login_with_token': args(('token', Str(), REQUIRED)),
        'auth.generate_token': args(('ttl', Null(Int()), 600), ('attrs', Dict(), dict), ('match_origin', Bool(), True),
                                    ('single_use', Bool(), False)),
        'auth.logout': args(), 'auth.me': args(), 'core.ping': args(),
        'core.get_jobs': QUERY, 'system.version_short': args(), 'system.version': args(), 'system.info': args(),
        'disk.details': args(('data', Model('DiskDetails', {
            'join_partitions': (Bool(), False), 'type': (Enum('USED', 'UNUSED', 'BOTH'), 'BOTH')}),
            lambda: {'join_partitions': False, 'type': 'BOTH'})),
        'disk.query': QUERY,
        'pool.query': QUERY, 'pool.create': args(('data', pool_create, REQUIRED)),
        'pool.scrub.query': QUERY, 'pool.scrub.create': args(('data', scrub, REQUIRED)),
        'pool.scrub.update': args(('id_', Int(), REQUIRED), ('data', scrub.updated(partial=True), REQUIRED)),
        'pool.dataset.query': QUERY, 'pool.dataset.create': args(('data', dataset_create, REQUIRED)),
        'pool.dataset.update': args(('id', Str(), REQUIRED), ('data', dataset_update, REQUIRED)),
        'pool.dataset.snapshot_count': args(('dataset', Str(), REQUIRED)),
        'sharing.nfs.query': QUERY, 'sharing.nfs.create': args(('data', nfs, REQUIRED)),
        'sharing.nfs.update': args(('id', Int(), REQUIRED), ('data', nfs.updated(partial=True), REQUIRED)),
        'sharing.nfs.delete': args(('id', Int(), REQUIRED)),
        'sharing.smb.query': QUERY, 'sharing.smb.create': args(('data', smb, REQUIRED)),
        'sharing.smb.update': args(('id', Int(), REQUIRED), ('data', smb.updated(partial=True), REQUIRED)),
        'sharing.smb.delete': args(('id', Int(), REQUIRED)),
        'pool.snapshottask.query': QUERY, 'pool.snapshottask.create': args(('data', snaptask, REQUIRED)),
        'pool.snapshottask.update': args(('id', Int(), REQUIRED), ('data', snaptask_update, REQUIRED)),
        'pool.snapshottask.delete': args(('id', Int(), REQUIRED), ('options', Dict(), dict)),
        'replication.query': QUERY, 'replication.create': args(('replication_create', replication, REQUIRED)),
        'replication.update': args(('id', Int(), REQUIRED),
                                   ('replication_update', replication.updated(partial=True), REQUIRED)),
        'replication.delete': args(('id', Int(), REQUIRED)),
        'keychaincredential.query': QUERY, 'alert.list': args(),
    }
    if release >= (26, 0):
        table['zfs.resource.snapshot.query'] = args(('data', Model('ZFSResourceSnapshotQuery', {
            'paths': (List(Str(), unique=True), list), 'recursive': (Bool(), False),
            'properties': (Null(List(Str())), list), 'get_user_properties': (Bool(), False),
            'get_source': (Bool(), False), 'get_holds': (Bool(), False), 'min_txg': (Int(), 0),
            'max_txg': (Int(), 0)}), lambda: {'paths': [], 'properties': []}))
    if release >= (25, 10):
        table['pool.snapshot.query'] = QUERY
    else:
        table['zfs.snapshot.query'] = QUERY
    return table


def _smb_purpose_options(default_opt):
    def check(data, raw):
        if 'purpose' in raw and 'options' not in raw:
            return 'You must set `options` if you set `purpose`.'
        if 'options' in raw and 'purpose' not in raw:
            return 'You must set `purpose` if you set `options`.'
        if data.get('options') is not None and data.get('purpose') == 'DEFAULT_SHARE':
            errors = []
            default_opt.check(data['options'], 'options', errors)
            if errors:
                return '%s: %s' % errors[0]
        if data.get('purpose') == 'EXTERNAL_SHARE' and data.get('path') != 'EXTERNAL':
            return 'You must set `path` to "EXTERNAL" for external shares.'
        return None
    return check


def _naming_schema(data, raw=None):
    schema = data.get('naming_schema', '')
    missing = [token for token in ('%Y', '%m', '%d', '%H', '%M') if token not in schema]
    if missing:
        return 'naming_schema must contain %s' % ', '.join(missing)
    return None
