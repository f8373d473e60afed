"""Every public filter and module, fed malformed input, answers with a named error (`field: expected ..., got
...` naming the host where there is one), never a Python traceback (issue 15, item 4).

A new filter or module must add its rows here: test_every_public_plugin_has_a_row fails until it does.
"""

import importlib
import json
import os
import traceback

import pytest
from ansible.errors import AnsibleFilterError
from ansible.module_utils.testing import patch_module_args

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
PREFIX = 'ansible_collections.homelab.cluster.plugins'

# A small inventory as the tiers plugin writes it (the filters read it through the host view).
HOSTVARS = {
    'keeper': {'homelab_tier': 'legacy', 'homelab_roles': ['logic'], 'homelab_always_on': True,
               'homelab_hardware': {'os': 'debian'}, 'ansible_host': '10.0.30.5'},
    'forge': {'homelab_tier': 'modern', 'homelab_roles': ['inference'], 'homelab_quorum_votes': 1,
              'homelab_hardware': {'os': 'debian', 'cpu': {'threads': 32}, 'ram_gb': 128},
              'homelab_power': {'idle_w': 95, 'peak_w': 850}, 'ansible_host': '10.0.30.10',
              'homelab_wake': {'mac': 'a8:a1:59:00:00:01'}},
    'desk': {'homelab_tier': 'modern', 'homelab_roles': [], 'homelab_quorum_votes': 0,
             'homelab_hardware': {'os': 'ubuntu', 'cpu': {'threads': 16}, 'ram_gb': 64}},
}
TYPO = dict(HOSTVARS, forge=dict(HOSTVARS['forge'], homelab_power_prority='speculative'))
READINGS = {'house_w': 3000, 'hosts': {'forge': {'watts': 400, 'source': 'plug', 'on': True}}, 'ups': {},
            'unavailable': []}
UPS = {'dummy@10.0.30.5': {'status': ['OB'], 'on_battery': True, 'low_battery': False, 'charge_pct': 20}}

# (filter, args, kwargs, what the message must say)
FILTERS = [
    ('corosync_plan', ('forge', HOSTVARS), {}, "members: expected a list of host names, got 'forge'"),
    ('corosync_plan', (['forge', 'nowhere'], HOSTVARS), {}, 'nowhere: not an inventory host'),
    ('corosync_plan', (['desk'], HOSTVARS), {}, 'desk.homelab_quorum_votes: a corosync member needs at least 1'),
    ('corosync_plan', (['forge'], HOSTVARS, 'ffsplit'), {}, "qdevice: expected a mapping"),
    ('corosync_plan', (['forge'], TYPO), {}, "forge.homelab_power_prority: unknown homelab_* variable"),
    ('ephemeral_path', (None,), {}, 'path: expected a path on the controller, got None'),
    ('ephemeral_path', ({'path': '/x'},), {}, 'path: expected a path on the controller'),
    ('firewall_rules', (HOSTVARS, 'keeper', 'forge', []), {}, "names: expected a list of host names, got 'forge'"),
    ('firewall_rules', (HOSTVARS, 'keeper', ['nowhere'], []), {}, 'nowhere: not an inventory host'),
    ('firewall_rules', (HOSTVARS, 'keeper', ['keeper'], [{'name': 'x', 'runs_on': ['all'], 'ports': ['22']}]), {},
     'firewall_services[0].ports: expected a list of port numbers 1-65535'),
    ('firewall_rules', (HOSTVARS, 'keeper', ['keeper'], []), {'admin_cidrs': ['everyone']},
     "firewall_admin_cidrs[0]: expected an IP address or network"),
    ('firewall_rules', (TYPO, 'keeper', ['keeper', 'forge'], []), {}, "forge.homelab_power_prority: unknown"),
    ('gpu_compare', ({'gpus': []}, 'RTX 4090'), {}, 'declared: expected a list'),
    ('gpu_compare', ('nvidia', []), {}, 'found: expected the registered result of homelab.cluster.gpu_info'),
    ('host_view', (HOSTVARS, 'nowhere'), {}, 'nowhere: not an inventory host'),
    ('host_view', (TYPO, 'forge'), {}, "did you mean 'homelab_power_priority'?"),
    ('host_views', (HOSTVARS, 'forge'), {}, "names: expected a list of host names, got 'forge'"),
    ('place', ('gpu please', HOSTVARS, ['forge']), {}, "workload: expected a mapping"),
    ('place', ({'vram': 1}, HOSTVARS, ['forge']), {}, 'workload.vram: unknown key'),
    ('place', ({}, HOSTVARS, ['forge'], {'forge': 'asleep'}), {}, "states.forge: expected one of up, down"),
    ('place', ({}, HOSTVARS, ['nowhere']), {}, 'nowhere: not an inventory host'),
    ('power_plan', (dict(READINGS, house_w='seven'), HOSTVARS), {'limit_w': 3000},
     "power.house_w: expected a number, got 'seven'"),
    ('power_plan', ({'house_w': 1, 'hosts': {'forge': {'watts': 'seven'}}}, HOSTVARS), {'limit_w': 3000},
     "power.hosts.forge.watts: expected a number, got 'seven'"),
    ('power_plan', ({'house_w': 1, 'hosts': {'nowhere': {'watts': 1}}}, HOSTVARS), {'limit_w': 3000},
     'nowhere: not an inventory host'),
    ('power_plan', (READINGS, dict(HOSTVARS, forge=dict(HOSTVARS['forge'], homelab_power_priority='urgent'))),
     {'limit_w': 3000}, "forge.homelab_power_priority: expected one of essential, standard, speculative"),
    ('power_plan', (READINGS, HOSTVARS), {'limit_w': 'lots'}, "limit_w: expected a number, got 'lots'"),
    ('power_plan', (READINGS, HOSTVARS), {'limit_w': 3000, 'shed_log': [{'action': 'explode', 'host': 'forge'}]},
     "shed_log[0].action: expected one of suspend_jobs, stop_services, power_off, got 'explode'"),
    ('power_plan', ('3000 W', HOSTVARS), {'limit_w': 3000}, 'power: expected the registered result'),
    ('power_settle', ('actions', []), {}, "plan: expected the power plan or its list of actions"),
    ('power_settle', ([{'action': 'power_off', 'host': 'forge'}], [{'status': 'maybe'}]), {},
     "outcomes[0].status: expected one of done, off, failed, skipped, got 'maybe'"),
    ('power_settle', ([], []), {'previous_log': [{'action': 'power_off'}]}, 'shed_log[0].host: expected a host name'),
    ('ups_shutdown_plan', (dict(READINGS, ups=UPS), HOSTVARS), {'ups': 'dummy'}, "ups: expected name@host"),
    ('ups_shutdown_plan', (dict(READINGS, unavailable=['ups dummy@10.0.30.5 (NUT, TCP 3493): NUT answered '
                                                       'UNKNOWN-UPS']), HOSTVARS), {},
     'no UPS could be read: ups dummy@10.0.30.5 (NUT, TCP 3493): NUT answered UNKNOWN-UPS'),
    ('ups_shutdown_plan', (dict(READINGS, ups=UPS), HOSTVARS), {'threshold_pct': 'low'},
     "threshold_pct: expected a number, got 'low'"),
    ('ups_shutdown_plan', ({'hosts': {'nowhere': {'watts': 1, 'ups': 'dummy@10.0.30.5'}}, 'ups': UPS}, HOSTVARS),
     {}, 'nowhere: not an inventory host'),
    ('slurm_conf', (HOSTVARS, ['forge'], {}, 'keeper'), {'source': 'guess'},
     "source: expected 'facts' or 'hardware', got 'guess'"),
    ('slurm_conf', (HOSTVARS, 'forge', {}, 'keeper'), {}, "hosts: expected a list of host names, got 'forge'"),
    ('slurm_conf', (HOSTVARS, ['nowhere'], {}, 'keeper'), {}, 'nowhere: not an inventory host'),
    ('slurm_conf', (HOSTVARS, ['forge'], {}, 'ctl'), {'source': 'hardware'}, "controller: 'ctl' is not an inventory"),
    ('slurm_conf', (HOSTVARS, ['keeper'], {}, 'keeper'), {}, 'keeper: no facts (processor_vcpus, memtotal_mb)'),
    ('opnsense_plan', (HOSTVARS, ['keeper'], {'networks': [{'name': 'iot', 'tag': 4095, 'subnet': '10.0.20.0/24',
                                                            'interface': 'opt2'}]}), {},
     'opnsense_networks[iot].tag: expected a VLAN tag 1-4094, got 4095'),
    ('opnsense_plan', (HOSTVARS, ['keeper'], {'networks': [{'name': 'servers', 'tag': 30, 'subnet': '10.0.30.0/24',
                                                            'interface': 'opt3'}],
                                              'extra_hosts': [{'name': 'cam', 'mac': 'zz', 'address': '10.0.30.9'}]}),
     {}, "opnsense_extra_hosts[cam].mac: expected a MAC address such as a8:a1:59:00:00:01, got 'zz'"),
    ('opnsense_plan', (HOSTVARS, 'keeper', {}), {}, "names: expected a list of host names, got 'keeper'"),
    ('vram_need', ('seven',), {}, 'params_b: expected the parameters in billions'),
    ('vram_need', (7, 'Q9'), {}, "quant: expected one of"),
    ('vram_need', (7,), {'kv_width': 'wide'}, "kv_width: expected a number, got 'wide'"),
    ('inference_catalog', (HOSTVARS,), {}, 'expected host views'),
    ('inference_catalog', ([{'name': 'forge', 'address': '10.0.30.10', 'inference_servers': [{'name': 'o'}]}],), {},
     "forge.homelab_inference_servers[0].runtime: expected one of ollama, llamacpp, vllm, openai, got None"),
    ('inference_catalog', ([],), {'experts': ['code']}, 'experts: expected a mapping'),
    ('inference_catalog', ([],), {'gateway': {'host': 'keeper'}}, 'gateway: expected a mapping with host'),
    ('route', ([],), {'category': 'code'}, 'expected the catalog'),
    ('route', ({'experts': {'code': []}, 'deployments': []}, 'art'), {}, "category: expected one of code, got 'art'"),
    ('route', ({'experts': {'code': []}, 'deployments': []}, 'code'), {'health': 'up'}, 'health: expected the result'),
    ('gateway_config', ('model_list',), {}, 'expected the catalog'),
    ('gateway_config', ({'deployments': [], 'experts': {}},), {'settings': {'routing_strategy': 'random'}},
     "routing_strategy: expected one of simple-shuffle"),
    ('health_transitions', ({'prognosis': {}},), {'now': 1}, 'expected the result of homelab.cluster.endpoint_health'),
    ('health_transitions', ({'prognosis': {}, 'tiers': {}, 'endpoints': []},), {'previous': 'x', 'now': 1},
     'previous: expected the stored state'),
    ('health_transitions', ({'prognosis': {}, 'tiers': {}, 'endpoints': []},), {'now': 'soon'},
     "now: expected epoch seconds, got 'soon'"),
    ('monitoring_plan', (HOSTVARS, 'forge', 'keeper'), {}, "hosts: expected a list of host names, got 'forge'"),
    ('monitoring_plan', (HOSTVARS, ['forge', 'nowhere'], 'keeper'), {}, 'nowhere: not an inventory host'),
    ('monitoring_plan', (HOSTVARS, ['forge', 'desk'], 'keeper'), {}, 'keeper: the logic node is not among'),
    ('monitoring_plan', (HOSTVARS, ['keeper'], 'keeper'), {'settings': {'disk_bytes': 'huge'}},
     "retention: expected the size of the file system in bytes, got 'huge'"),
    ('monitoring_plan', (TYPO, ['forge'], 'forge'), {}, 'forge.homelab_power_prority: unknown homelab_* variable'),
    ('alert_rules', ({'groups': [{'name': 'g', 'rules': [{'alert': 'A', 'expr': 'up'}]}]},), {},
     'labels.severity: expected one of critical, warning, info, none, got None'),
    ('alert_rules', ('groups: []',), {}, 'rules: expected a Prometheus rule file'),
    ('alert_rules', ({'groups': []}, {'HostDown': {'for': '1m'}}), {}, 'overrides.HostDown: no such alert'),
    ('alert_rules', ({'groups': []},), {'extra_groups': 'mine'}, 'extra_groups: expected a list of rule groups'),
    ('alertmanager_config', (None,), {}, 'expected the relay URL (a string, may be empty), got None'),
    ('alertmanager_config', ('http://127.0.0.1:9095/alertmanager', 'fast'), {}, 'settings: expected a mapping'),
    ('nas_plan', ([{'name': 'forge', 'address': None, 'groups': ['role_hypervisor']}],
                  {'name': 'nas', 'address': '10.0.30.20'},
                  {'pool': {'name': 'tank'}, 'datasets': [{'name': 'k8s'}],
                   'nfs_exports': [{'dataset': 'k8s', 'groups': ['role_hypervisor']}]}), {},
     'forge.address: expected an address'),
    ('nas_plan', ([], {'name': 'nas', 'address': '10.0.30.20'}, {'datasets': []}), {},
     'config.pool: expected a mapping with a name'),
    ('nas_plan', ('forge', {'name': 'nas'}, {'pool': {'name': 'tank'}}), {}, 'views: expected a list of host views'),
    ('nas_plan', ([], {'name': 'nas'}, 'tank'), {}, 'config: expected a mapping'),
    ('harvest_plan', ([{'name': 'pi5', 'tier': 'legacy', 'roles': ['edge']}], [{'name': 'wiki'}]), {},
     'harvester_catalogue[0].url: required'),
    ('harvest_plan', ([], [{'name': 'wiki', 'url': 'http://h/w.zim', 'sha256': 'abc'}]), {},
     "harvester_catalogue[0].sha256: expected 64 hex digits, got 'abc'"),
    ('harvest_plan', ([], []), {'capacity': {'pi5': 'lots'}}, "capacity.pi5: expected a number of bytes, got 'lots'"),
    ('harvest_plan', ('pi5', []), {}, 'expected a list of host views'),
    ('harvest_window', ('soon',), {'where': 'pi5.harvester_window'}, "pi5.harvester_window: expected 'HH:MM-HH:MM'"),
    ('harvest_window', ({'start': '25:00', 'end': '06:00'},), {}, "window.start: expected a time of day"),
    ('vram_plan', ({'vram_gb': 8}, []), {}, 'expected a list of GPUs'),
    ('vram_plan', ([], 'llama3.1:8b'), {}, 'models: expected a list'),
    ('vram_plan', ([{'vram_gb': 24}], [{'name': 'm', 'params_b': 7, 'kv_dim': 1}]), {},
     "models[0] (m).kv_dim: unknown key (did you mean 'kv_width'?)"),
]

# the truenas_* modules check their input before they connect (nothing listens on this port)
TRUENAS = {'api_url': 'wss://127.0.0.1:18499/api/current', 'api_username': 'u', 'api_key': '1-x'}

# (module, args, what the failure message must say); the opnsense_* rows fail before any connection is made
OPN = {'url': 'https://127.0.0.1:9', 'api_key': 'key', 'api_secret': 'secret'}
MODULES = [
    ('endpoint_health', {'endpoints': [{'name': 'a', 'url': 'h:1'}]}, "endpoints[0].url: expected http:// or https://"),
    ('endpoint_health', {'endpoints': [{'name': 'a', 'url': 'http://h:1', 'kind': 'tgi'}]},
     'value of kind must be one of: ollama, llamacpp, vllm, litellm, openai'),
    ('endpoint_health', {'endpoints': [{'url': 'http://h:1'}]}, 'missing required arguments: name'),
    ('power_info', {'hosts': {'forge': {'ups': {'port': 3493}}}}, 'forge.homelab_power.ups.host: required'),
    ('power_info', {'hosts': {'forge': {'idle_w': 'seven'}}},
     "forge.homelab_power.idle_w: expected a number, got 'seven'"),
    ('power_info', {'hosts': {'forge': {'plug': {'kind': 'zwave', 'host': '10.0.30.50'}}}},
     "forge.homelab_power.plug.kind: expected one of shelly_gen2, shelly_gen1, tasmota, got 'zwave'"),
    ('power_info', {'hosts': {'forge': {'volts': 230}}}, 'forge.homelab_power.volts: unknown key'),
    ('power_info', {'hosts': {'forge': {}}, 'timeout': 'soon'}, "argument 'timeout' is of type"),
    ('wake', {'mac': 'not-a-mac', 'send': True, 'wait': False}, 'mac'),
    ('wake', {'mac': 'a8:a1:59:00:00:01', 'state': 'asleep'}, 'value of state must be one of: ready, down, probe'),
    ('wake', {'mac': 'a8:a1:59:00:00:01', 'boot_s': 'long'}, "argument 'boot_s' is of type"),
    ('sleep_idle', {'idle_minutes': 'thirty'}, "argument 'idle_minutes' is of type"),
    ('sleep_idle', {'busy_processes': 'steam', 'max_load': 'low'}, "argument 'max_load' is of type"),
    ('gpu_info', {'timeout': 'never'}, "argument 'timeout' is of type"),
    ('gpu_info', {'nvidia': True}, 'Unsupported parameters for (basic.py) module: nvidia'),
    ('gpu_packages_info', {'gpus': ['nvidia']}, "Elements value for option 'gpus' is of type"),
    ('gpu_packages_info', {'gpus': [{'vendor': 'nvidia', 'pci_name': 2704}], 'distribution': 'Debian', 'version': '12'},
     'gpus[0].pci_name: expected a string, got 2704'),
    ('gpu_packages_info', {'gpus': [{'vendor': 'amd'}], 'distribution': 'Fedora', 'version': '40'},
     'distribution: expected one of Debian 12, Debian 13, Ubuntu 22.04, Ubuntu 24.04, got Fedora 40'),
    ('gpu_packages_info', {'gpus': [], 'nvidia_source': 'runfile'}, 'value of nvidia_source must be one of'),
    ('gpu_runtime', {'engines': ['lxc']}, 'value of engines must be one or more of: docker, containerd, podman'),
    ('gpu_runtime', {'engines': ['docker'], 'containerd_version': 4}, 'value of containerd_version must be one of'),
    ('power_report', {'html': '/tmp/x.html'}, 'missing required arguments: log'),
    ('power_report', {'log': '/nonexistent/guard.log', 'html': '/tmp/homelab-malformed.html', 'last': 'all'},
     "argument 'last' is of type"),
    ('status_page', {'html': '/tmp/x.html'}, 'missing required arguments: hosts'),
    ('status_page', {'html': '/tmp/homelab-malformed-status.html', 'hosts': [{'tier': 'modern'}],
                     'prometheus_url': 'http://127.0.0.1:9'}, "hosts[0].name: expected a host name, got None"),
    ('status_page', {'html': '/tmp/x.html', 'hosts': [], 'last': 'all'}, "argument 'last' is of type"),
    ('proxmox_guests', {'api_url': 'https://127.0.0.1:9', 'api_token_id': 'u@pve!t', 'api_token_secret': 'sekrit-x',
                        'node': 'pve', 'guests': [{'name': 'k3s'}]}, 'guests[0].vmid: required, got nothing'),
    ('proxmox_guests', {'api_url': 'https://127.0.0.1:9', 'node': 'pve', 'guests': 'k3s'},
     "Elements value for option 'guests' is of type"),  # then 'str' (2.19+) or "<class 'str'>" (2.17, 2.18)
    ('proxmox_guests', {'api_url': 'https://127.0.0.1:9', 'api_token_id': 'u@pve!t', 'api_token_secret': 'sekrit-x',
                        'node': 'pve', 'guests': [{'name': 'k3s', 'vmid': 201, 'cores': 'four', 'memory_gb': 8}]},
     "1 problem in the guests input, nothing was sent: guests[0].cores: expected an integer 1-8192, got 'four'"),
    ('proxmox_node_config', {'api_url': 'https://127.0.0.1:9', 'node': 'pve', 'repositories': 'free'},
     'value of repositories must be one of: no-subscription, enterprise, keep, got: free'),
    ('proxmox_node_config', {'api_url': 'https://127.0.0.1:9', 'api_token_id': 'u@pve!t', 'api_token_secret': 'x',
                             'node': 'pve', 'repositories': 'no-subscription',
                             'storage': {'nas': {'type': 'nfs', 'server': '10.0.99.2', 'export': '/mnt/tank/k3s',
                                                 'contnet': 'images'}}},
     "nothing was sent: storage.nas.contnet: unknown option for a nfs storage (did you mean 'content'?)"),
    ('qdevice', {'host': 'keeper', 'algorithm': 'coinflip'}, 'value of algorithm must be one of: ffsplit, lms'),
    ('qdevice', {'host': 'keeper', 'votes': 'two'}, "argument 'votes' is of type"),
    ('quorum_info', {'wait_for': ['maybe']}, 'value of wait_for must be one or more of'),
    ('quorum_info', {'timeout': 'soon'}, "argument 'timeout' is of type"),
    ('truenas_pool', dict(TRUENAS, name='tank', layout='raid5'), 'value of layout must be one of'),
    ('truenas_pool', dict(TRUENAS, name='tank', scrub={'schedule': {'weekday': '1'}}),
     'scrub.schedule: unknown key(s) weekday'),
    ('truenas_dataset', dict(TRUENAS, name='tank'), 'dataset.name: expected pool/dataset'),
    ('truenas_dataset', dict(TRUENAS, datasets=[{'name': 'tank/a', 'quota': 'lots'}]),
     "datasets[0].quota: expected a size like 500G or 2T, got 'lots'"),
    ('truenas_share', dict(TRUENAS, nfs=[{'path': '/etc'}]), 'nfs[0].path: expected /mnt/'),
    ('truenas_share', dict(TRUENAS, smb=[{'name': 'homes', 'dataset': 'tank/a'}]), 'smb[0].name: homes is reserved'),
    ('truenas_snapshot_task', dict(TRUENAS, tasks=[{'dataset': 'tank/a', 'naming_schema': 'daily'}]),
     'tasks[0].naming_schema: a naming schema needs %Y'),
    ('truenas_replication', dict(TRUENAS, replications=[{'name': 'r', 'source_datasets': ['tank/a'],
                                                         'target_dataset': 'b'}]),
     'replications[0].ssh_credentials: SSH replication needs'),
    ('truenas_info', dict(TRUENAS, gather=['everything']), 'value of gather must be one or more of'),
    ('truenas_info', {'api_url': 'wss://127.0.0.1:18499/api/current'}, 'missing required arguments'),
    ('opnsense_alias', dict(OPN, aliases=[{'name': 'role_storage', 'content': ['10.0.30.20']}]),
     'aliases[0].type: required for a present alias (role_storage); nothing was sent'),
    ('opnsense_backup', OPN, 'missing required arguments: dest_dir'),
    ('opnsense_dhcp_reservation', dict(OPN, reservations=[{'mac': 'a8:a1:59:00:00:05', 'address': 'ten'}]),
     "reservations[0].address: expected an IPv4 address, got 'ten'; nothing was sent"),
    ('opnsense_dhcp_reservation', dict(OPN, reservations=[], subnets=[{'subnet': '10.0.30.0/24'}]),
     'subnets: only for backend kea'),
    ('opnsense_host_override', dict(OPN, hosts=[{'hostname': 'keeper', 'address': '10.0.30.5'}]),
     'hosts[0].domain: required (or give domain for all); nothing was sent'),
    ('opnsense_ids', dict(OPN, mode='pcap'), 'drop: needs an IPS mode (netmap or divert)'),
    ('opnsense_info', dict(OPN, gather=['everything']), 'value of gather must be one or more of'),
    ('opnsense_rule', dict(OPN, rules=[{'description': 'homelab: x', 'sequence': 0}]),
     'rules[0].sequence: expected 1-999999, got 0 (homelab: x); nothing was sent'),
    ('opnsense_vlan', dict(OPN, vlans=[{'parent': 'ixl0', 'tag': 4095}]),
     'vlans[0].tag: expected a VLAN tag 1-4094, got 4095 (nothing was sent)'),
    ('vault_config', {'url': 'https://127.0.0.1:8200', 'token': 'hvs.Z9Q', 'kv_mounts': [{'description': 'x'}]},
     'missing required arguments: path found in kv_mounts'),
    ('vault_config', {'url': 'https://127.0.0.1:8200', 'token': 'hvs.Z9Q', 'policies': ['read']},
     "argument 'policies' is of type"),
]

# Action plugins validate in the controller; their rows go through their own unit tests (named below), since
# they need a connection. Listed so the coverage check knows them.
ACTION_ONLY = {'gaming_info': 'tests/unit/plugins/module_utils/test_gaming.py'}


def _filter(name):
    module = importlib.import_module('%s.filter.%s' % (PREFIX, name))
    return module.FilterModule().filters()[name]


@pytest.mark.parametrize('name, args, kwargs, message', FILTERS,
                         ids=['%s-%d' % (row[0], i) for i, row in enumerate(FILTERS)])
def test_filter_names_the_field(name, args, kwargs, message):
    try:
        _filter(name)(*args, **kwargs)
    except AnsibleFilterError as exc:
        text = str(exc)
        assert text.startswith('homelab.cluster.%s: ' % name), text
        assert message in text, text
        assert 'Traceback' not in text
    except Exception:  # noqa: BLE001 - the point of the test: nothing but a named error
        pytest.fail('%s raised a Python error instead of a named one:\n%s' % (name, traceback.format_exc()))
    else:
        pytest.fail('%s accepted malformed input %r %r' % (name, args, kwargs))


@pytest.mark.parametrize('name, args, message', MODULES, ids=['%s-%d' % (row[0], i) for i, row in enumerate(MODULES)])
def test_module_names_the_field(name, args, message, capsys):
    module = importlib.import_module('%s.modules.%s' % (PREFIX, name))
    try:
        with patch_module_args(args), pytest.raises(SystemExit):
            module.main()
    except Exception:  # noqa: BLE001
        pytest.fail('%s raised a Python error instead of failing with a message:\n%s' % (name, traceback.format_exc()))
    result = json.loads(capsys.readouterr().out)
    assert result.get('failed') is True, result
    assert message in result['msg'], result['msg']
    assert 'exception' not in result and 'Traceback' not in result['msg'], result


def test_every_public_plugin_has_a_row():
    filters = {f[:-3] for f in os.listdir(os.path.join(ROOT, 'plugins', 'filter')) if f.endswith('.py')}
    modules = {f[:-3] for f in os.listdir(os.path.join(ROOT, 'plugins', 'modules')) if f.endswith('.py')}
    assert filters - {row[0] for row in FILTERS} == set()
    assert modules - {row[0] for row in MODULES} - set(ACTION_ONLY) == set()
