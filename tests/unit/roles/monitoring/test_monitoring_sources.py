"""roles/monitoring/files: the house collector's sources (asleep or down, power guard, NUT, Slurm, inference,
harvest), the node collector (mounts, quorum) and the Prometheus text format."""

import json

import house_sources as src
import node_collector as node
import pytest
from promtext import Metrics

WAKEABLE = {'name': 'desk', 'wakeable': True}
FIXED = {'name': 'frame', 'wakeable': False}


def samples(metrics, name):
    family = metrics.families.get(name)
    return [] if family is None else [(dict(labels), value) for labels, value in family['samples']]


@pytest.mark.parametrize('host, reachable, history, seen, slurm, shed, expected', [
    # answers: awake whatever the records say
    (WAKEABLE, True, {'last_sleep': 200, 'last_up': 100}, 50, True, 300, None),
    # a host that cannot be woken is never asleep: it is down
    (FIXED, False, {'last_sleep': 200, 'last_up': 100}, 50, True, 300, None),
    # the relay confirmed the poweroff (sleep_idle, the power guard) after it was last seen up
    (WAKEABLE, False, {'last_sleep': 200, 'last_up': 100}, 150, False, None, 'relay'),
    (WAKEABLE, False, {'last_sleep': 200, 'last_up': None}, None, False, None, 'relay'),
    # seen up after the recorded poweroff (woken by Slurm without the relay), then gone: down, not asleep
    (WAKEABLE, False, {'last_sleep': 200, 'last_up': 100}, 250, False, None, None),
    # the relay saw it up again after the last poweroff: a crash now is not a sleep
    (WAKEABLE, False, {'last_sleep': 100, 'last_up': 200}, None, False, None, None),
    # Slurm power saving has it off
    (WAKEABLE, False, None, 250, True, None, 'slurm'),
    # the power guard shed it and has not restored it
    (WAKEABLE, False, None, 100, False, 150, 'power_guard'),
    (WAKEABLE, False, None, 200, False, 150, None),
    # nothing says it sleeps: down
    (WAKEABLE, False, None, 100, False, None, None),
    # a probe saw it go down (last_down), nobody confirmed a sleep: a crash, down
    (WAKEABLE, False, {'last_down': 200, 'last_up': 100}, 150, False, None, None),
])
def test_asleep_by_design_or_down(host, reachable, history, seen, slurm, shed, expected):
    assert src.asleep(host, reachable, history, seen, slurm, shed) == expected


def test_guard_shed_and_last_decision():
    state = {'epoch': 1000.0, 'shed_log': [{'action': 'power_off', 'host': 'desk'},
                                           {'action': 'stop_services', 'host': 'forge'}, 'junk']}
    assert src.guard_shed(state) == {'desk': 1000.0}
    assert src.guard_shed(None) == {}
    lines = ['{"time": "a", "plan": {"state": "normal"}, "readings": {}}', 'not json', '',
             '{"time": "b", "step": "power_off", "host": "desk"}',
             '{"time": "c", "limit_w": 3000, "plan": {"state": "shedding", "target_w": 2900}, '
             '"readings": {"house_w": 3410, "house_source": "home_assistant", "hosts": {"desk": {"watts": 600, '
             '"source": "plug"}}, "unavailable": ["x"]}}']
    decision = src.last_decision(lines)
    assert decision['time'] == 'c'
    metrics = Metrics()
    src.guard_metrics(metrics, decision, 1234.0)
    assert samples(metrics, 'homelab_power_house_watts') == [({'source': 'home_assistant'}, 3410)]
    assert samples(metrics, 'homelab_power_limit_watts') == [({}, 3000)]
    assert samples(metrics, 'homelab_power_host_watts') == [({'host': 'desk', 'source': 'plug'}, 600)]
    assert samples(metrics, 'homelab_power_guard_state') == [({'state': 'shedding'}, 1)]
    assert samples(metrics, 'homelab_power_unavailable_sources') == [({}, 1)]
    assert src.last_decision(['{"time": "b", "step": "x"}']) is None


def test_nut_variables_and_ups_metrics():
    text = ('BEGIN LIST VAR dummy\nVAR dummy battery.charge "25"\nVAR dummy battery.runtime "600"\n'
            'VAR dummy ups.status "OB LB"\nVAR dummy device.mfr "A \\"quoted\\" name"\nEND LIST VAR dummy\n')
    found = src.parse_nut_vars(text)
    assert found['ups.status'] == 'OB LB' and found['device.mfr'] == 'A "quoted" name'
    metrics = Metrics()
    src.ups_metrics(metrics, 'dummy@10.0.30.5', found)
    src.ups_metrics(metrics, 'garage@10.0.30.6', None)
    assert samples(metrics, 'homelab_ups_up') == [({'ups': 'dummy@10.0.30.5'}, 1), ({'ups': 'garage@10.0.30.6'}, 0)]
    assert samples(metrics, 'homelab_ups_on_battery') == [({'ups': 'dummy@10.0.30.5'}, 1)]
    assert samples(metrics, 'homelab_ups_low_battery') == [({'ups': 'dummy@10.0.30.5'}, 1)]
    assert samples(metrics, 'homelab_ups_battery_charge_percent') == [({'ups': 'dummy@10.0.30.5'}, 25.0)]
    assert samples(metrics, 'homelab_ups_load_percent') == []  # not reported: no sample, not zero


SCONTROL = '\n'.join([
    'NodeName=desk Arch=x86_64 CoresPerSocket=1 CPUAlloc=0 State=IDLE+CLOUD+POWERED_DOWN ThreadsPerCore=1 '
    'Gres=gpu:rx7900:1 GresUsed=gpu:rx7900:0(IDX:N/A)',
    'NodeName=forge Arch=x86_64 CPUAlloc=4 State=MIXED Gres=gpu:rtx4070:1,gpu:rx6700:2 '
    'GresUsed=gpu:rtx4070:1(IDX:0),gpu:rx6700:2(IDX:1-2)',
    'NodeName=frame State=IDLE+DRAIN Reason=gaming [root@2026-11-24T03:00:00]',
    'NodeName=jetson State=DOWN*+NOT_RESPONDING Reason=Not responding [slurm@2026-11-24T03:00:00]',
    'NodeName=pi5 State=IDLE+POWERING_UP',
])


def test_slurm_nodes_states_and_gpus():
    nodes = src.parse_scontrol_nodes(SCONTROL)
    assert [n['NodeName'] for n in nodes] == ['desk', 'forge', 'frame', 'jetson', 'pi5']
    assert nodes[2]['Reason'] == 'gaming [root@2026-11-24T03:00:00]'
    metrics = Metrics()
    powered = {name for name, off in (src.slurm_node_metrics(metrics, n) for n in nodes) if off}
    assert powered == {'desk'}
    down = {s[0]['host']: s[1] for s in samples(metrics, 'homelab_slurm_node_down')}
    assert down == {'desk': 0, 'forge': 0, 'frame': 0, 'jetson': 1, 'pi5': 0}
    drained = {s[0]['host']: (s[1], s[0].get('reason')) for s in samples(metrics, 'homelab_slurm_node_drained')}
    assert drained['frame'] == (1, 'gaming') and drained['forge'][0] == 0
    assert samples(metrics, 'homelab_slurm_gpu_allocated') == [({'host': 'forge', 'gpu': str(i)}, 1) for i in range(3)]
    assert ({'host': 'forge'}, 3) in samples(metrics, 'homelab_slurm_node_gpus_allocated')
    assert src.gpu_indexes('gpu:0') == [] and src.gpu_indexes('gpu:a:2(IDX:0,3)') == ['0', '3']


def test_slurm_queue_counts_every_state():
    metrics = Metrics()
    src.slurm_queue_metrics(metrics, 'RUNNING\nPENDING\nRUNNING\n')
    assert {s[0]['state']: s[1] for s in samples(metrics, 'homelab_slurm_jobs')} == \
        {'pending': 1, 'running': 2, 'suspended': 0}


def test_inference_and_harvest():
    metrics = Metrics()
    src.inference_metrics(metrics, {'version': 1, 'states': {'prognosis': 'DEGRADED', 'endpoint/desk/ollama': 'DOWN'},
                                    'since': {'prognosis': 10.0}})
    assert ({'key': 'endpoint/desk/ollama', 'kind': 'endpoint', 'state': 'DOWN'}, 1) in \
        samples(metrics, 'homelab_inference_state')
    src.harvest_metrics(metrics, {'generated_at': 99, 'edges': [{'host': 'pi5', 'state': 'silent', 'age_s': 900}],
                                  'totals': {'rejected': 2, 'in_quarantine': 1}})
    assert samples(metrics, 'homelab_harvest_edge_state') == [({'host': 'pi5', 'state': 'silent'}, 1)]
    assert samples(metrics, 'homelab_harvest_rejected_total') == [({}, 2)]
    assert metrics.families['homelab_harvest_rejected_total']['kind'] == 'counter'


def test_prometheus_text_format():
    metrics = Metrics()
    metrics.add('homelab_x', 1.5, 'Help with\na newline.', host='a"b\\c')
    metrics.add('homelab_x', 2, 'ignored', host='d', empty='')
    metrics.add('homelab_y', None, 'no value: no sample')
    assert metrics.render() == ('# HELP homelab_x Help with a newline.\n# TYPE homelab_x gauge\n'
                                'homelab_x{host="a\\"b\\\\c"} 1.5\nhomelab_x{host="d"} 2\n')


def test_mounts_expected_present_responsive():
    fstab = ('# comment\nUUID=1 / ext4 defaults 0 1\nnas:/tank /mnt/nfs nfs4 defaults 0 0\n'
             '//nas/media /mnt/media cifs noauto 0 0\nnas:/archive /mnt/the\\040archive nfs rw 0 0\n')
    expected = node.expected_mounts(fstab, ['/mnt/nfs', '/srv/archive'])
    assert [e[0] for e in expected] == ['/mnt/nfs', '/mnt/the archive', '/srv/archive']
    present = node.mounted('nas:/tank /mnt/nfs nfs4 rw 0 0\nnas:/archive /mnt/the\\040archive nfs rw 0 0\n')
    metrics = Metrics()
    node.mount_metrics(metrics, expected, present, lambda path: path != '/mnt/the archive')
    assert samples(metrics, 'homelab_mount_present') == [({'mountpoint': '/mnt/nfs'}, 1),
                                                         ({'mountpoint': '/mnt/the archive'}, 1),
                                                         ({'mountpoint': '/srv/archive'}, 0)]
    assert samples(metrics, 'homelab_mount_responsive') == [({'mountpoint': '/mnt/nfs'}, 1),
                                                            ({'mountpoint': '/mnt/the archive'}, 0)]


def test_responsive_times_out_on_a_hung_stat(tmp_path):
    assert node.responsive(str(tmp_path), 5)
    assert not node.responsive(str(tmp_path / 'missing'), 5)


QUORATE = ('Quorum information\n------------------\nQuorate:          Yes\n\nVotequorum information\n'
           'Expected votes:   3\nHighest expected: 3\nTotal votes:      %d\n'
           'Quorum:           2  %s\nFlags:            %s\n')


@pytest.mark.parametrize('text, verdict', [
    (QUORATE % (3, '', 'Quorate Qdevice'), 'healthy'),
    (QUORATE % (2, '', 'Quorate Qdevice'), 'degraded'),
    (QUORATE.replace('Yes', 'No') % (1, 'Activity blocked', ''), 'lost'),
    ('Cannot initialize QUORUM service\n', 'down'),
])
def test_quorum_verdicts(text, verdict):
    quorum = node.parse_quorumtool(text)
    assert node.verdict(quorum) == verdict
    metrics = Metrics()
    node.quorum_metrics(metrics, quorum)
    assert [s[0]['verdict'] for s in samples(metrics, 'homelab_quorum_verdict') if s[1] == 1] == [verdict]
    if quorum:
        assert samples(metrics, 'homelab_quorum_expected_votes') == [({}, 3)]


def test_metrics_survive_a_json_round_trip():
    metrics = Metrics()
    metrics.add('homelab_z', 1, 'x', host='a')
    assert json.loads(json.dumps(samples(metrics, 'homelab_z'))) == [[{'host': 'a'}, 1]]
