"""The truenas_* modules against the TrueNAS double in this process (lab/doubles/truenas.py)."""

import ssl

import pytest
from ansible.module_utils.basic import AnsibleModule
from truenas_double import tls_files

from ansible_collections.homelab.cluster.plugins.modules import truenas_dataset
from ansible_collections.homelab.cluster.plugins.modules import truenas_info
from ansible_collections.homelab.cluster.plugins.modules import truenas_pool
from ansible_collections.homelab.cluster.plugins.modules import truenas_replication
from ansible_collections.homelab.cluster.plugins.modules import truenas_share
from ansible_collections.homelab.cluster.plugins.modules import truenas_snapshot_task

SEED_DISKS = ['sda', 'sdb', 'sdc', 'sdd']
MONTHLY = {'threshold': 27, 'schedule': {'minute': '00', 'hour': '03', 'dom': '1', 'month': '*', 'dow': '*'}}
DATASETS = [{'name': 'tank/media', 'recordsize': '1M', 'share_type': 'smb', 'atime': False},
            {'name': 'tank/k8s', 'share_type': 'nfs', 'quota': '2T'},
            {'name': 'tank/archive/quarantine', 'compression': 'lz4'},
            {'name': 'tank/archive', 'compression': 'zstd-9'}]


WARNINGS = []


@pytest.fixture(autouse=True)
def record_warnings(monkeypatch):
    """module.warn() lands in the result, or on the controller's display once controller code was imported by
    another test: record it either way."""
    del WARNINGS[:]
    original = AnsibleModule.warn

    def warn(self, warning, *args, **kwargs):
        WARNINGS.append(warning)
        return original(self, warning, *args, **kwargs)
    monkeypatch.setattr(AnsibleModule, 'warn', warn)


def warned(_result, text):
    return any(text in message for message in WARNINGS)


def make_pool(run_module, nas, **extra):
    return run_module(truenas_pool.main, nas.args(name='tank', disks=SEED_DISKS, **extra))


def test_pool_is_refused_on_disks_that_hold_data(run_module, truenas):
    nas = truenas()
    before = nas.state
    result = run_module(truenas_pool.main, nas.args(name='tank', disks=['sda', 'sdb', 'sde', 'sdf']))
    assert result['failed'] and 'Nothing was changed' in result['msg']
    assert 'sde holds the exported pool oldtank' in result['msg'] and 'sdf has 1 partition(s)' in result['msg']
    assert nas.state == before


def test_force_takes_a_partitioned_disk_with_a_warning(run_module, truenas):
    nas = truenas()
    result = run_module(truenas_pool.main, nas.args(name='tank', layout='raidz1', disks=['sda', 'sdb', 'sdf'],
                                                    force=True))
    assert result['changed'] and warned(result, 'sdf has 1 partition')


def test_pool_in_an_imported_pool_is_refused_even_forced(run_module, truenas):
    nas = truenas()
    make_pool(run_module, nas)
    result = run_module(truenas_pool.main, nas.args(name='other', layout='mirror', disks=['sda', 'sde'], force=True))
    assert result['failed'] and 'sda is part of the imported pool tank' in result['msg']


def test_pool_create_waits_for_the_job_then_converges(run_module, truenas):
    nas = truenas()
    result = make_pool(run_module, nas, scrub=MONTHLY)
    assert result['changed'] and result['pool']['status'] == 'ONLINE' and result['usable_bytes'] == 28 * 10 ** 12
    assert result['changes'] == ['create pool tank (raidz2 on sda, sdb, sdc, sdd)',
                                 'update scrub task of tank: schedule, threshold']
    again = make_pool(run_module, nas, scrub=MONTHLY)
    assert not again['changed'] and again['scrub']['schedule']['dom'] == '1'


def test_an_existing_pool_that_differs_is_reported_not_rebuilt(run_module, truenas):
    nas = truenas()
    make_pool(run_module, nas)
    result = run_module(truenas_pool.main, nas.args(name='tank', layout='mirror', vdev_width=2, disks=SEED_DISKS))
    assert not result['changed'] and warned(result, 'never rebuilt')


def test_check_mode_on_a_fresh_nas_changes_nothing(run_module, truenas):
    nas = truenas()
    before = nas.state
    pool = run_module(truenas_pool.main, nas.args(name='tank', disks=SEED_DISKS, scrub=MONTHLY), check_mode=True)
    datasets = run_module(truenas_dataset.main, nas.args(datasets=DATASETS), check_mode=True)
    assert pool['changed'] and datasets['changed'] and len(datasets['changes']) == 4
    assert 'update scrub task of tank: schedule, threshold' in pool['changes']
    assert nas.state == before


def test_datasets_created_parents_first_then_idempotent_with_diff(run_module, truenas):
    nas = truenas()
    make_pool(run_module, nas)
    result = run_module(truenas_dataset.main, nas.args(datasets=DATASETS, _ansible_diff=True))
    assert result['changes'] == ['create tank/archive', 'create tank/k8s', 'create tank/media',
                                 'create tank/archive/quarantine']
    assert result['diff']['after']['tank/media']['recordsize'] == '1M'
    state = nas.state['datasets']
    assert state['tank/media']['casesensitivity'] == 'insensitive' and state['tank/k8s']['atime'] == 'off'
    assert not run_module(truenas_dataset.main, nas.args(datasets=DATASETS))['changed']
    changed = run_module(truenas_dataset.main, nas.args(name='tank/k8s', quota='1T', _ansible_diff=True))
    assert changed['changes'] == ['update tank/k8s: quota']
    assert changed['diff']['before']['tank/k8s']['quota'] == 2 * 1024 ** 4


def test_a_create_only_conflict_stops_before_any_write(run_module, truenas):
    nas = truenas()
    make_pool(run_module, nas)
    run_module(truenas_dataset.main, nas.args(name='tank/family', share_type='generic'))
    before = nas.state
    result = run_module(truenas_dataset.main, nas.args(datasets=[{'name': 'tank/new'},
                                                                 {'name': 'tank/family', 'share_type': 'smb'}]))
    assert result['failed'] and 'nothing was changed' in result['msg'] and 'casesensitivity' in result['msg']
    assert nas.state == before


def test_properties_beside_datasets_are_refused(run_module, truenas):
    nas = truenas()
    result = run_module(truenas_dataset.main, nas.args(datasets=DATASETS, compression='lz4'))
    assert result['failed'] and 'inside each item of datasets' in result['msg']


@pytest.mark.parametrize('release', ['25.04', '25.10.5', '26.0'])
def test_shares_tasks_replication_and_info_on_each_release(run_module, truenas, release):
    nas = truenas(release)
    make_pool(run_module, nas)
    run_module(truenas_dataset.main, nas.args(datasets=DATASETS))
    shares = {'nfs': [{'dataset': 'tank/k8s', 'hosts': ['10.0.30.10'], 'maproot_user': 'root'}],
              'smb': [{'name': 'media', 'dataset': 'tank/media', 'hostsallow': ['10.0.10.0/24'], 'readonly': True}]}
    assert run_module(truenas_share.main, nas.args(**shares))['changed']
    assert not run_module(truenas_share.main, nas.args(**shares))['changed']
    smb = nas.state['smb'][0]
    if release == '25.04':
        assert (smb['purpose'], smb['ro'], smb['hostsallow']) == ('DEFAULT_SHARE', True, ['10.0.10.0/24'])
    else:
        assert (smb['purpose'], smb['readonly'], smb['options']['hostsallow']) == ('DEFAULT_SHARE', True,
                                                                                   ['10.0.10.0/24'])
    shares['smb'][0]['readonly'] = False
    assert run_module(truenas_share.main, nas.args(**shares))['changes'] == ['update SMB share media: readonly']
    tasks = [{'dataset': 'tank/archive', 'recursive': True, 'naming_schema': 'daily-%Y-%m-%d_%H-%M',
              'lifetime_value': 1, 'lifetime_unit': 'year', 'schedule': {'hour': '0'}}]
    assert run_module(truenas_snapshot_task.main, nas.args(tasks=tasks))['changed']
    assert not run_module(truenas_snapshot_task.main, nas.args(tasks=tasks))['changed']
    repl = [{'name': 'offsite', 'ssh_credentials': 'offsite', 'source_datasets': ['tank/archive'],
             'target_dataset': 'backup/archive', 'recursive': True,
             'periodic_snapshot_tasks': [{'dataset': 'tank/archive', 'naming_schema': 'daily-%Y-%m-%d_%H-%M'}]}]
    assert run_module(truenas_replication.main, nas.args(replications=repl))['changed']
    assert not run_module(truenas_replication.main, nas.args(replications=repl))['changed']
    nas.double.nas.tick()
    nas.double.nas.add_alert({'level': 'WARNING', 'text': 'Pool tank: one disk is slow'})
    info = run_module(truenas_info.main, nas.args(gather=['pools', 'datasets', 'shares', 'tasks', 'snapshots',
                                                          'alerts', 'disks']))
    assert info['pools'][0]['healthy'] and info['pools'][0]['scrub']['threshold'] == 35
    assert info['snapshots']['tank/archive/quarantine']['count'] == 1
    assert info['snapshots']['tank/archive']['latest'].startswith('daily-')
    assert info['shares']['smb']['media']['options']['hostsallow'] == ['10.0.10.0/24']
    assert info['alerts'][0]['text'] == 'Pool tank: one disk is slow'
    assert info['tasks']['replication']['offsite']['periodic_snapshot_tasks'] == [1]
    assert [d['name'] for d in info['disks'] if d['pool'] == 'oldtank'] == ['sde']
    method = {'25.04': 'zfs.snapshot.query', '25.10.5': 'pool.snapshot.query', '26.0': 'zfs.resource.snapshot.query'}
    assert nas.counters['calls'][method[release]] == 1


def test_removing_shares_and_tasks_keeps_the_data(run_module, truenas):
    nas = truenas()
    make_pool(run_module, nas)
    run_module(truenas_dataset.main, nas.args(name='tank/k8s'))
    run_module(truenas_share.main, nas.args(nfs=[{'dataset': 'tank/k8s', 'hosts': ['10.0.30.10']}]))
    result = run_module(truenas_share.main, nas.args(nfs=[{'dataset': 'tank/k8s', 'state': 'absent'}]))
    assert result['changes'] == ['remove NFS export /mnt/tank/k8s'] and nas.state['nfs'] == []
    assert 'tank/k8s' in nas.state['datasets']


def test_an_export_open_to_everyone_is_warned(run_module, truenas):
    nas = truenas()
    result = run_module(truenas_share.main, nas.args(nfs=[{'path': '/mnt/tank/x'}]), check_mode=True)
    assert warned(result, 'every address may mount it')


def test_one_key_login_per_module_run_and_token_reuse(run_module, truenas):
    nas = truenas('26.0')
    session = run_module(truenas_info.main, nas.args(gather=[], issue_token=True))
    token = session['session_token']
    make_pool(run_module, nas, api_token=token)
    run_module(truenas_dataset.main, nas.args(datasets=DATASETS, api_token=token))
    counters = nas.counters
    assert (counters['key_logins'], counters['token_logins']) == (1, 2)
    assert all(c['key_logins'] + c['token_logins'] == 1 for c in counters['per_connection'])
    assert counters['calls']['auth.login_ex'] == 2  # the one SCRAM login: client-first, client-final


def test_a_wrong_key_is_tried_once_and_three_lock_the_account(run_module, truenas):
    nas = truenas()
    for attempt in range(3):
        result = run_module(truenas_info.main, nas.args(api_key='3-WrongKey'))
        assert result['failed'] and 'never retries' in result['msg']
        assert nas.counters['failed_logins'] == attempt + 1
    result = run_module(truenas_info.main, nas.args())  # the right key, on a locked account
    assert result['failed'] and 'locked' in result['msg']


def test_tls_scram_with_channel_binding(run_module, truenas, tmp_path):
    ca, cert, key = tls_files(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with open(cert) as handle:
        der = ssl.PEM_cert_to_DER_cert(handle.read())
    nas = truenas('26.0', ssl_context=context, cert_der=der)
    result = run_module(truenas_info.main, nas.args(ca_path=ca, gather=['pools']))
    assert result['api']['mechanism'] == 'SCRAM' and result['api']['url'].startswith('wss://')
    untrusted = run_module(truenas_info.main, nas.args(gather=['pools']))
    assert untrusted['failed'] and 'certificate is not trusted' in untrusted['msg']
    unchecked = run_module(truenas_info.main, nas.args(validate_certs=False, gather=['pools']))
    assert not unchecked.get('failed') and warned(unchecked, 'validate_certs is false')
    assert nas.counters['failed_logins'] == 0  # the binding matched the certificate each time


def test_plain_over_tls_on_2510(run_module, truenas, tmp_path):
    ca, cert, key = tls_files(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    nas = truenas('25.10.1', ssl_context=context)
    result = run_module(truenas_info.main, nas.args(ca_path=ca, gather=[]))
    assert result['api']['mechanism'] == 'API_KEY_PLAIN' and result['version']['release'] == '25.10'
    forced = run_module(truenas_info.main, nas.args(ca_path=ca, gather=[], auth_mechanism='scram'))
    assert forced['failed'] and 'SCRAM arrived in TrueNAS 26' in forced['msg']


def test_dropped_connection_mid_create_is_rechecked(run_module, truenas):
    nas = truenas()
    make_pool(run_module, nas)
    nas.double.faults['drop'] = {'method': 'pool.dataset.create', 'when': 'after', 'count': 1}
    result = run_module(truenas_dataset.main, nas.args(datasets=DATASETS))
    assert result['changed'] and result['api']['reconnects'] == 1 and result['api']['token_logins'] == 1
    assert nas.counters['calls']['pool.dataset.create'] == 4  # the interrupted one was not sent again
    assert warned(result, 're-established once')


def test_a_drop_with_no_way_back_says_what_was_done(run_module, truenas):
    nas = truenas()
    make_pool(run_module, nas)
    creates = []
    original = nas.double._take_drop

    def drop_the_second_create(method):  # then the network stays down
        if method == 'pool.dataset.create':
            creates.append(method)
            if len(creates) == 2:
                nas.double.faults['refuse_connections'] = -1
                return 'before'
        return original(method)
    nas.double._take_drop = drop_the_second_create
    result = run_module(truenas_dataset.main, nas.args(datasets=DATASETS))
    assert result['failed'] and 'reconnecting failed' in result['msg']
    assert 'done before the failure: create tank/archive;' in result['msg']
    assert 'not done: create tank/k8s, create tank/media, create tank/archive/quarantine' in result['msg']


def test_missing_library_is_reported(run_module, truenas, monkeypatch):
    from ansible_collections.homelab.cluster.plugins.module_utils._truenas import module as glue
    monkeypatch.setattr(glue, 'HAS_WEBSOCKET', False)
    result = run_module(truenas_info.main, truenas().args())
    assert result['failed'] and 'websocket-client' in result['msg']
