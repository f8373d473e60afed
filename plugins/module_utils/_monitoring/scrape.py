# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""prometheus.yml from host views (pure): one target per host with its inventory labels, exporters by capability,
and the host list of the house collector (what to probe, which hosts may sleep by design).

PRIVATE to the homelab.cluster collection; its API may change without notice.

Jobs:

* ``node``: prometheus-node-exporter on every host the role installs it on (Debian family with Python).
* ``homelab``: the logic node's textfile metrics about the whole house (``homelab_*`` with their own ``host``
  label: asleep, reachable, power, UPS, Slurm, harvest, inference), kept with ``honor_labels`` so that
  ``homelab_host_asleep{host="desk"}`` scraped from keeper stays about desk. The ``node`` job drops the logic
  node's ``homelab_*`` samples, so each series exists once.
* ``dcgm``: NVIDIA's dcgm-exporter on NVIDIA hosts (not Jetson: it has no DCGM).
* ``openbao``: OpenBao's (or Vault's) own ``/v1/sys/metrics?format=prometheus`` on the vault servers.
* ``prometheus``, ``alertmanager``: themselves, on loopback.

Every target carries ``host`` and ``instance`` (the inventory name), ``tier``, ``roles`` (comma separated, sorted),
``gpu_vendor`` (comma separated, ``none``), ``os_family``, ``wakeable`` and ``always_on`` (``true``/``false``).
"""

from __future__ import annotations

import re

JETSON_OS = ('jetpack',)


class ScrapeError(Exception):
    """A host that cannot be scraped as asked: ``host.field: expected ..., got ...``."""


def target_labels(view):
    """The labels every target of a host carries, from its view."""
    vendors = sorted({g['vendor'] for g in view.get('gpus') or [] if g.get('kind', 'gpu') == 'gpu'})
    return {
        'host': view['name'],
        'instance': view['name'],
        'tier': view.get('tier') or 'unclassified',
        'roles': ','.join(sorted(view.get('roles') or [])) or 'none',
        'gpu_vendor': ','.join(vendors) or 'none',
        'os_family': view.get('os_family') or 'linux',
        'wakeable': 'true' if view.get('wakeable') else 'false',
        'always_on': 'true' if view.get('always_on') else 'false',
    }


def _address(view, port, what):
    address = view.get('address')
    if not address or not isinstance(address, str):
        raise ScrapeError('%s.address: expected an address to scrape %s on, got %r (set ansible_host or address '
                          'in the hardware file)' % (view['name'], what, address))
    if ':' in address:  # IPv6
        address = '[%s]' % address.strip('[]')
    return '%s:%d' % (address, port)


def _static(views, port, what, extra=None):
    out = []
    for view in views:
        labels = target_labels(view)
        labels.update(extra or {})
        out.append({'targets': [_address(view, port, what)], 'labels': labels})
    return out


def node_hosts(views):
    """The hosts the role installs prometheus-node-exporter on: Debian family with Python."""
    return [v['name'] for v in views if v.get('provisionable') and v.get('python', True)]


def dcgm_hosts(views, nodes):
    """NVIDIA hosts with node-exporter, except Jetsons (tegrastats, no DCGM)."""
    return [v['name'] for v in views if v['name'] in nodes and v.get('os') not in JETSON_OS
            and any(g.get('vendor') == 'nvidia' and g.get('kind', 'gpu') == 'gpu' for g in v.get('gpus') or [])]


def scrape_config(views, logic, settings=None):
    """The prometheus.yml of the house.

    views: host views of every host to watch; logic: the names of the hosts that run Prometheus and the house
    collector (the logic node); settings: ports, intervals, OpenBao servers (see DEFAULTS).
    """
    cfg = dict(DEFAULTS)
    cfg.update(settings or {})
    if isinstance(logic, str):
        logic = [logic]
    by_name = {v['name']: v for v in views}
    for name in logic:
        if name not in by_name:
            raise ScrapeError('%s: the logic node is not among the watched hosts (%s)' % (name, ', '.join(by_name)))
    nodes = node_hosts(views)
    for name in logic:
        if name not in nodes:
            raise ScrapeError('%s: the logic node needs Python on a Debian-family OS for Prometheus and its '
                              'collectors (os_family %s, python %s)'
                              % (name, by_name[name].get('os_family'), by_name[name].get('python')))
    node_views = [by_name[n] for n in nodes]
    dcgm = dcgm_hosts(views, nodes)
    logic_alt = '|'.join(re.escape(n) for n in logic)
    jobs = [
        {'job_name': 'prometheus', 'static_configs': [{'targets': ['127.0.0.1:%d' % cfg['prometheus_port']],
                                                       'labels': {'host': logic[0]}}]},
        {'job_name': 'alertmanager', 'static_configs': [{'targets': ['127.0.0.1:%d' % cfg['alertmanager_port']],
                                                         'labels': {'host': logic[0]}}]},
        {'job_name': 'node', 'static_configs': _static(node_views, cfg['node_port'], 'node-exporter'),
         'metric_relabel_configs': [{'source_labels': ['host', '__name__'], 'regex': '(%s);homelab_.*' % logic_alt,
                                     'action': 'drop'}]},
        # only host and instance here: a house metric keeps its own host (honor_labels) and must not get the
        # logic node's tier or roles
        {'job_name': 'homelab', 'honor_labels': True,
         'static_configs': [{'targets': [_address(by_name[n], cfg['node_port'], 'the house collector')],
                             'labels': {'host': n, 'instance': n}} for n in logic],
         'metric_relabel_configs': [{'source_labels': ['__name__'], 'regex': 'homelab_.*', 'action': 'keep'}]},
    ]
    if dcgm:
        jobs.append({'job_name': 'dcgm',
                     'static_configs': _static([by_name[n] for n in dcgm], cfg['dcgm_port'], 'dcgm-exporter')})
    bao = [n for n in cfg['openbao_hosts'] if n in by_name]
    if bao and cfg['openbao_scrape']:
        job = {'job_name': 'openbao', 'scheme': cfg['openbao_scheme'], 'metrics_path': '/v1/sys/metrics',
               'params': {'format': ['prometheus']},
               'static_configs': _static([by_name[n] for n in bao], cfg['openbao_port'], 'OpenBao')}
        if cfg['openbao_scheme'] == 'https':
            job['tls_config'] = {'ca_file': cfg['openbao_ca_file']} if cfg['openbao_ca_file'] else \
                {'insecure_skip_verify': False}
        if cfg['openbao_token_file']:
            job['authorization'] = {'credentials_file': cfg['openbao_token_file']}
        jobs.append(job)
    jobs.extend(cfg['extra_scrape_configs'])
    names = [j['job_name'] for j in jobs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ScrapeError('extra_scrape_configs: job_name %s is already used' % ', '.join(dupes))
    return {
        'global': {'scrape_interval': cfg['scrape_interval'], 'evaluation_interval': cfg['evaluation_interval'],
                   'external_labels': {'house': cfg['house']}},
        'rule_files': [cfg['rule_glob']],
        'alerting': {'alertmanagers': [{'static_configs': [
            {'targets': ['127.0.0.1:%d' % cfg['alertmanager_port']]}]}]},
        'scrape_configs': jobs,
    }


DEFAULTS = {
    'house': 'homelab',
    'scrape_interval': '30s',
    'evaluation_interval': '30s',
    'rule_glob': '/etc/prometheus/rules/*.rules.yml',
    'prometheus_port': 9090,
    'alertmanager_port': 9093,
    'node_port': 9100,
    'dcgm_port': 9400,
    'openbao_hosts': [],
    'openbao_scrape': True,
    'openbao_port': 8200,
    'openbao_scheme': 'https',
    'openbao_ca_file': '',
    'openbao_token_file': '',
    'extra_scrape_configs': [],
}


def collector_hosts(views, nodes=None):
    """What the house collector on the logic node knows of each host: where to probe it (its ready port, as the
    wake relay does), whether it may sleep by design (wakeable), whether node-exporter watches it, its MAC (the
    wake relay's history is kept per MAC) and its quorum votes. Hosts without an address cannot be probed and
    are listed under ``skipped`` with the reason; ``ups``: every UPS the hosts' ``power.ups`` name (name@host)."""
    nodes = node_hosts(views) if nodes is None else nodes
    hosts, skipped, ups = [], [], set()
    for view in views:
        feed = (view.get('power') or {}).get('ups')
        if isinstance(feed, dict) and feed.get('host'):
            port = feed.get('port')
            ups.add('%s@%s%s' % (feed.get('name') or 'ups', feed['host'],
                                 ':%s' % port if port and int(port) != 3493 else ''))
        elif isinstance(feed, str) and feed:
            ups.add(feed if '@' in feed else '%s@localhost' % feed)
        address = view.get('address')
        if not address:
            skipped.append({'host': view['name'], 'reason': 'no address (ansible_host or address) to probe'})
            continue
        wake = view.get('wake') or {}
        hosts.append({'name': view['name'], 'address': address, 'port': int(wake.get('ready_port') or 22),
                      'wakeable': bool(view.get('wakeable')), 'scraped': view['name'] in nodes,
                      'mac': view.get('mac'), 'quorum_votes': int(view.get('quorum_votes') or 0),
                      'tier': view.get('tier') or 'unclassified', 'roles': sorted(view.get('roles') or []),
                      'power_idle_w': (view.get('power') or {}).get('idle_w')})
    return {'hosts': hosts, 'skipped': skipped, 'ups': sorted(ups)}


def openbao_probes(views, settings=None):
    """Where the house collector asks each OpenBao server for its seal status (answers while sealed)."""
    cfg = dict(DEFAULTS)
    cfg.update(settings or {})
    out = []
    for view in views:
        if view['name'] in cfg['openbao_hosts']:
            address = _address(view, cfg['openbao_port'], 'OpenBao')
            out.append({'host': view['name'], 'url': '%s://%s' % (cfg['openbao_scheme'], address),
                        'ca_file': cfg['openbao_ca_file']})
    return out


def retention_size_mb(total_bytes, fraction=0.25, minimum_mb=512, maximum_mb=None):
    """The TSDB size limit for the logic node's disk: ``fraction`` of the file system that holds it, at least
    ``minimum_mb`` (Prometheus needs room for its WAL and a few blocks) and at most ``maximum_mb``."""
    if not isinstance(total_bytes, (int, float)) or isinstance(total_bytes, bool) or total_bytes <= 0:
        raise ScrapeError('retention: expected the size of the file system in bytes, got %r' % (total_bytes,))
    if not 0 < fraction <= 0.9:
        raise ScrapeError('retention: fraction expected between 0 and 0.9, got %r' % (fraction,))
    size = int(total_bytes * fraction / (1024 * 1024))
    if maximum_mb:
        size = min(size, int(maximum_mb))
    if size < minimum_mb:
        raise ScrapeError('retention: %d MB is %d%% of a %d MB disk, below the %d MB Prometheus needs; give it a '
                          'bigger disk or set the size yourself'
                          % (size, int(fraction * 100), int(total_bytes / 1048576), minimum_mb))
    return size
