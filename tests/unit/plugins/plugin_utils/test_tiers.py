"""Controller I/O helpers: reading the hardware file, locating problems by line, the fact cache, the raw cache."""

import os

import pytest
from ansible.errors import AnsibleParserError

from ansible_collections.homelab.cluster.plugins.module_utils._schema import Problem
from ansible_collections.homelab.cluster.plugins.plugin_utils._tiers import SOURCE_FORMAT
from ansible_collections.homelab.cluster.plugins.plugin_utils._tiers import cached_source_is_current
from ansible_collections.homelab.cluster.plugins.plugin_utils._tiers import format_problems
from ansible_collections.homelab.cluster.plugins.plugin_utils._tiers import read_fact_cache
from ansible_collections.homelab.cluster.plugins.plugin_utils._tiers import read_hardware_file

HARDWARE = """\
defaults:
  os: debian
hosts:
  forge:
    ram_gb: 16
    gpus:
      - {model: RTX, vram_gb: 16}
      - model: RX
        vram_gb: twenty
  pi:
"""


@pytest.fixture
def hardware(tmp_path):
    path = tmp_path / 'hardware.yml'
    path.write_text(HARDWARE)
    return str(path)


def test_read_hardware_file(hardware):
    source = read_hardware_file(hardware)
    assert source['format'] == SOURCE_FORMAT and source['path'] == hardware
    assert source['data']['hosts']['forge']['gpus'][1]['vram_gb'] == 'twenty'
    assert source['data']['hosts']['pi'] is None
    assert cached_source_is_current(source, hardware)


def test_a_changed_or_foreign_cache_entry_is_not_current(hardware):
    source = read_hardware_file(hardware)
    assert not cached_source_is_current(dict(source, format=SOURCE_FORMAT + 1), hardware)
    assert not cached_source_is_current(dict(source, path='/elsewhere'), hardware)
    assert not cached_source_is_current('garbage', hardware)
    with open(hardware, 'a') as handle:
        handle.write('  extra:\n')
    assert not cached_source_is_current(source, hardware)
    os.remove(hardware)
    assert not cached_source_is_current(source, hardware)


@pytest.mark.parametrize('text, message', [
    ('hosts:\n  forge:\n    ram_gb: 16\n     cpu: 4\n', 'hardware.yml:4:9: invalid YAML'),
    ('hosts:\n  forge: {}\n  forge: {}\n', "hardware.yml:3:3: invalid YAML: while constructing a mapping found "
                                           "duplicate key 'forge'"),
    ('hosts: [unclosed\n', 'invalid YAML'),
])
def test_yaml_errors_name_the_path_and_line(tmp_path, text, message):
    path = tmp_path / 'hardware.yml'
    path.write_text(text)
    with pytest.raises(AnsibleParserError) as info:
        read_hardware_file(str(path))
    assert message in str(info.value)


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(AnsibleParserError) as info:
        read_hardware_file(str(tmp_path / 'nope.yml'))
    assert 'cannot read the hardware file %s: No such file or directory' % (tmp_path / 'nope.yml') in str(info.value)


def test_format_problems_sorts_by_line_and_locates_each(hardware):
    text = format_problems([
        Problem(('hosts', 'forge', 'gpus', 1, 'vram_gb'), "expected a number, got 'twenty'"),
        Problem(('defaults', 'os'), 'bad'),
        Problem(('hosts', 'ghost', 'ram_gb'), 'not in the file'),
        Problem(('hosts', 'pi'), 'empty host'),
    ], hardware)
    assert text.splitlines() == [
        'homelab.cluster.tiers: 4 problems in the hardware file %s; nothing was added to the inventory:' % hardware,
        '  - defaults.os: bad (hardware.yml line 2)',
        '  - ghost.ram_gb: not in the file (hardware.yml line 3)',
        "  - forge.gpus[1].vram_gb: expected a number, got 'twenty' (hardware.yml line 9)",
        '  - pi: empty host (hardware.yml line 10)',
    ]


def test_format_problems_without_a_readable_file(tmp_path):
    text = format_problems([Problem(('hosts', 'a', 'mac'), 'bad')], str(tmp_path / 'gone.yml'))
    assert text == ('homelab.cluster.tiers: 1 problem in the hardware file %s; nothing was added to the inventory:'
                    '\n  - a.mac: bad' % (tmp_path / 'gone.yml'))


class FakeCache:
    def __init__(self, entries):
        self.entries = entries

    def get(self, key):
        value = self.entries[key]
        if isinstance(value, Exception):
            raise value
        return value


def test_read_fact_cache_skips_absent_hosts_and_reports_broken_entries():
    cache = FakeCache({'a': {'ansible_memtotal_mb': 2048}, 'b': RuntimeError('corrupt'), 'c': {'unrelated': 1}})
    facts, failures = read_fact_cache(cache, ['a', 'b', 'c', 'd'])
    assert facts == {'a': {'ram_gb': 2.0}}
    assert failures == ['b: corrupt']
