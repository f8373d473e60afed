"""module_utils/_monitoring/scrape.py: prometheus.yml from host views, the house collector's hosts, retention."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._hostview import host_view
from ansible_collections.homelab.cluster.plugins.module_utils._monitoring import scrape


def view(name, **hv):
    hv.setdefault('homelab_hardware', {'os': 'debian', 'address': '10.0.0.%d' % (len(name) + 10)})
    return host_view(name, hv)


VIEWS = [
    view('keeper', homelab_tier='legacy', homelab_roles=['logic'], homelab_always_on=True,
         homelab_hardware={'os': 'debian', 'address': '10.0.30.5', 'mac': 'a8:a1:59:00:00:05'},
         homelab_power={'idle_w': 10, 'peak_w': 20, 'ups': {'name': 'dummy', 'host': '10.0.30.5'}}),
    view('forge', homelab_tier='modern', homelab_roles=['inference', 'hypervisor'], homelab_quorum_votes=1,
         homelab_gpus=[{'vendor': 'nvidia', 'vram_gb': 16}, {'vendor': 'amd', 'vram_gb': 20}],
         homelab_hardware={'os': 'proxmox', 'address': '10.0.30.10', 'mac': 'a8:a1:59:00:00:01'},
         homelab_wake={'method': 'wol', 'boot_s': 90, 'ready_port': 8006}),
    view('jetson', homelab_tier='legacy', homelab_roles=['edge'], homelab_gpus=[{'vendor': 'nvidia', 'vram_gb': 8}],
         homelab_hardware={'os': 'jetpack', 'address': '10.0.20.30'}),
    view('penny', homelab_tier='ultralow', homelab_python=False,
         homelab_hardware={'os': 'debian', 'address': '10.0.20.9'}),
    view('nas', homelab_tier='legacy', homelab_roles=['storage'],
         homelab_hardware={'os': 'truenas', 'address': '10.0.30.20'},
         homelab_power={'ups': {'name': 'garage', 'host': '10.0.30.6', 'port': 3494}}),
    view('ghost', homelab_tier='legacy', homelab_hardware={'os': 'windows'}),
]


def job(cfg, name):
    return next(j for j in cfg['scrape_configs'] if j['job_name'] == name)


def test_targets_and_labels_from_the_inventory():
    cfg = scrape.scrape_config(VIEWS[:5], 'keeper', {'openbao_hosts': ['keeper'], 'openbao_ca_file': '/ca.crt'})
    node = job(cfg, 'node')
    assert [s['labels']['host'] for s in node['static_configs']] == ['keeper', 'forge', 'jetson']
    forge = node['static_configs'][1]
    assert forge['targets'] == ['10.0.30.10:9100']
    assert forge['labels'] == {'host': 'forge', 'instance': 'forge', 'tier': 'modern', 'roles': 'hypervisor,inference',
                               'gpu_vendor': 'amd,nvidia', 'os_family': 'debian', 'wakeable': 'true',
                               'always_on': 'false'}
    # the logic node's house metrics keep their own host; nothing else of the logic node sticks to them
    house = job(cfg, 'homelab')
    assert house['honor_labels'] is True
    assert house['static_configs'] == [{'targets': ['10.0.30.5:9100'],
                                        'labels': {'host': 'keeper', 'instance': 'keeper'}}]
    assert node['metric_relabel_configs'][0]['regex'] == '(keeper);homelab_.*'
    # DCGM on NVIDIA hosts with node-exporter, not on the Jetson
    assert [s['labels']['host'] for s in job(cfg, 'dcgm')['static_configs']] == ['forge']
    assert job(cfg, 'dcgm')['static_configs'][0]['targets'] == ['10.0.30.10:9400']
    bao = job(cfg, 'openbao')
    assert bao['metrics_path'] == '/v1/sys/metrics' and bao['params'] == {'format': ['prometheus']}
    assert bao['tls_config'] == {'ca_file': '/ca.crt'} and 'authorization' not in bao
    assert cfg['alerting']['alertmanagers'][0]['static_configs'][0]['targets'] == ['127.0.0.1:9093']


def test_no_dcgm_job_without_nvidia_and_a_token_file():
    cfg = scrape.scrape_config(VIEWS[:1], 'keeper', {'openbao_hosts': ['keeper'], 'openbao_token_file': '/t'})
    assert 'dcgm' not in [j['job_name'] for j in cfg['scrape_configs']]
    assert job(cfg, 'openbao')['authorization'] == {'credentials_file': '/t'}


@pytest.mark.parametrize('views, logic, settings, message', [
    (VIEWS[:5], 'nowhere', None, 'nowhere: the logic node is not among the watched hosts'),
    (VIEWS[:5], 'nas', None, 'nas: the logic node needs Python on a Debian-family OS'),
    (VIEWS[:5], 'keeper', {'extra_scrape_configs': [{'job_name': 'node'}]}, 'job_name node is already used'),
    ([VIEWS[0], view('lost', homelab_hardware={'os': 'debian'})], 'keeper', None,
     'lost.address: expected an address to scrape node-exporter on'),
])
def test_named_errors(views, logic, settings, message):
    with pytest.raises(scrape.ScrapeError, match=message):
        scrape.scrape_config(views, logic, settings)


def test_collector_hosts_probe_the_ready_port_and_skip_hosts_without_address():
    got = scrape.collector_hosts(VIEWS)
    forge = next(h for h in got['hosts'] if h['name'] == 'forge')
    assert forge['port'] == 8006 and forge['scraped'] and forge['quorum_votes'] == 1
    assert forge['mac'] == 'a8:a1:59:00:00:01'
    assert next(h for h in got['hosts'] if h['name'] == 'penny')['scraped'] is False
    assert got['ups'] == ['dummy@10.0.30.5', 'garage@10.0.30.6:3494']
    assert got['skipped'] == [{'host': 'ghost', 'reason': 'no address (ansible_host or address) to probe'}]
    assert scrape.openbao_probes(VIEWS, {'openbao_hosts': ['keeper']}) == [
        {'host': 'keeper', 'url': 'https://10.0.30.5:8200', 'ca_file': ''}]


def test_ipv6_addresses_are_bracketed():
    six = view('six', homelab_hardware={'os': 'debian', 'address': 'fd00::5'})
    assert job(scrape.scrape_config([six], 'six'), 'node')['static_configs'][0]['targets'] == ['[fd00::5]:9100']


@pytest.mark.parametrize('total, fraction, maximum, expected', [
    (64 * 1024 ** 3, 0.25, None, 16384),
    (64 * 1024 ** 3, 0.25, 4096, 4096),
    (1024 ** 4, 0.1, None, 104857),
])
def test_retention_for_the_disk(total, fraction, maximum, expected):
    assert scrape.retention_size_mb(total, fraction, 512, maximum) == expected


@pytest.mark.parametrize('total, fraction, message', [
    (1024 ** 3, 0.25, 'below the 512 MB Prometheus needs'),
    (0, 0.25, 'expected the size of the file system'),
    ('big', 0.25, 'expected the size of the file system'),
    (1024 ** 4, 1.5, 'fraction expected between 0 and 0.9'),
])
def test_retention_errors(total, fraction, message):
    with pytest.raises(scrape.ScrapeError, match=message):
        scrape.retention_size_mb(total, fraction)
