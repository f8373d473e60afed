"""The host view: the one reader of the homelab_* contract, its defaults, kinds and named errors."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils import _hostview
from ansible_collections.homelab.cluster.plugins.module_utils._classify import classify
from ansible_collections.homelab.cluster.plugins.module_utils._classify import host_groups
from ansible_collections.homelab.cluster.plugins.module_utils._classify import host_vars
from ansible_collections.homelab.cluster.plugins.module_utils._hardware import normalize_hardware
from ansible_collections.homelab.cluster.plugins.module_utils._hostview import HostViewError
from ansible_collections.homelab.cluster.plugins.module_utils._hostview import host_view
from ansible_collections.homelab.cluster.plugins.module_utils._hostview import host_views
from ansible_collections.homelab.cluster.plugins.module_utils._rules import build_role_rules
from ansible_collections.homelab.cluster.plugins.module_utils._rules import build_tier_rules

TIERS = build_tier_rules(None, None)[0]
ROLES = build_role_rules(None, None)[0]


def inventory(hosts):
    """What the tiers inventory gives a play: each host's vars plus group_names, and the groups."""
    records = normalize_hardware({'hosts': hosts})
    hostvars, groups = {}, {}
    for name, record in records.items():
        cls = classify(record, TIERS, ROLES)
        hostvars[name] = host_vars(record, cls)
        hostvars[name]['group_names'] = host_groups(record, cls)
        for group in hostvars[name]['group_names']:
            groups.setdefault(group, []).append(name)
    for hv in hostvars.values():
        hv['groups'] = groups
    return hostvars


FORGE = {'address': '10.0.30.10', 'mac': 'a8:a1:59:00:00:01', 'os': 'proxmox', 'ram_gb': 128,
         'cpu': {'model': 'Ryzen 9 9950X', 'cores': 16, 'threads': 32},
         'gpus': [{'model': 'RTX 4070 Ti Super', 'vram_gb': 16}, {'model': 'RX 7900 XT', 'vram_gb': 20}],
         'power': {'idle_w': 95, 'peak_w': 850, 'plug': {'kind': 'shelly_gen2', 'host': '10.0.30.50'}},
         'wake': {'boot_s': 90}, 'quorum_votes': 1}
KEEPER = {'address': '10.0.30.5', 'os': 'debian', 'always_on': True, 'power': {'idle_w': 7, 'peak_w': 35}}


def test_a_tiers_host_reads_back_every_computed_fact():
    view = host_view('forge', inventory({'forge': FORGE, 'keeper': KEEPER})['forge'])
    assert view['classified'] is True
    assert (view['tier'], view['roles'], view['os'], view['os_family']) == (
        'modern', ['hypervisor', 'inference'], 'proxmox', 'debian')
    assert view['address'] == '10.0.30.10' and view['mac'] == 'a8:a1:59:00:00:01'
    assert view['cpu'] == {'model': 'Ryzen 9 9950X', 'arch': 'x86_64', 'cores': 16, 'threads': 32, 'ghz': None}
    assert view['ram_gb'] == 128 and view['vram_gb'] == 36 and view['vram_max_gb'] == 20
    assert [g['vendor'] for g in view['gpus']] == ['nvidia', 'amd']
    assert view['power'] == {'idle_w': 95, 'peak_w': 850, 'estimated': False, 'ups': None,
                             'plug': {'kind': 'shelly_gen2', 'host': '10.0.30.50'}}
    assert view['wake'] == {'method': 'wol', 'mac': 'a8:a1:59:00:00:01', 'boot_s': 90, 'ready_port': 22}
    assert view['wakeable'] is True and view['provisionable'] is True and view['quorum_votes'] == 1
    assert 'quorum_voters' in view['groups'] and 'provisionable' in view['groups']


def test_settings_have_their_one_default():
    hostvars = inventory({'forge': FORGE, 'keeper': KEEPER})
    view = host_view('forge', hostvars['forge'])
    assert view['wake_relay'] == 'keeper'  # the first role_logic host
    assert view['quorum_qnetd'] == 'keeper'
    assert (view['wake_max_wakes'], view['wake_window_s'], view['wake_min_off_s'], view['wake_force']) == (
        3, 3600, 120, False)
    assert (view['sleep_idle_minutes'], view['sleep_max_load'], view['sleep_max_gpu_util']) == (30, 0.25, 5)
    assert view['power_priority'] is None and view['power_shed_services'] == []
    assert view['power_webhook'] == '' and view['power_limit_w'] is None and view['power_ups_last'] == 'never'
    assert view['gaming'] is None  # runtime: not probed


def test_without_a_logic_node_the_relay_is_the_controller():
    view = host_view('forge', inventory({'forge': FORGE})['forge'])
    assert view['wake_relay'] == 'localhost' and view['power_reader'] == 'localhost'
    assert view['quorum_qnetd'] is None


@pytest.mark.parametrize('key, given, expected', [
    ('homelab_power_priority', 'speculative', ('power_priority', 'speculative')),
    ('homelab_power_limit_w', '3000', ('power_limit_w', 3000.0)),  # -e gives strings
    ('homelab_power_limit_w', 2500, ('power_limit_w', 2500)),
    ('homelab_wake_force', 'yes', ('wake_force', True)),
    ('homelab_wake_force', 'false', ('wake_force', False)),
    ('homelab_wake_max_wakes', '5', ('wake_max_wakes', 5)),
    ('homelab_sleep_busy_processes', ['steam'], ('sleep_busy_processes', ['steam'])),
    ('homelab_gaming', False, ('gaming', False)),
    ('homelab_wake_relay', 'gate', ('wake_relay', 'gate')),
])
def test_settings_are_read_and_typed(key, given, expected):
    hv = dict(inventory({'forge': FORGE})['forge'], **{key: given})
    assert host_view('forge', hv)[expected[0]] == expected[1]


@pytest.mark.parametrize('key, given, message', [
    ('homelab_power_priority', 'urgent',
     "forge.homelab_power_priority: expected one of essential, standard, speculative, got 'urgent'"),
    ('homelab_power_limit_w', 'seven', "forge.homelab_power_limit_w: expected a number, got 'seven'"),
    ('homelab_power_limit_w', 0, 'forge.homelab_power_limit_w: expected a number above 0, got 0'),
    ('homelab_power_limit_w', True, 'forge.homelab_power_limit_w: expected a number, got a boolean true'),
    ('homelab_wake_max_wakes', 2.5, 'forge.homelab_wake_max_wakes: expected a whole number, got 2.5'),
    ('homelab_wake_force', 'perhaps', "forge.homelab_wake_force: expected a boolean (true/false), got 'perhaps'"),
    ('homelab_sleep_busy_processes', 'steam',
     "forge.homelab_sleep_busy_processes: expected a list of strings, got 'steam'"),
    ('homelab_sleep_busy_processes', ['steam', ''],
     "forge.homelab_sleep_busy_processes: expected a list of non-empty strings, got a list"),
    ('homelab_power_ups_last', 'always', "forge.homelab_power_ups_last: expected one of never, poweroff"),
    ('homelab_roles', 'inference', "forge.homelab_roles: expected a list of strings, got 'inference'"),
    ('homelab_power', [1], 'forge.homelab_power: expected a mapping, got a list'),
    ('homelab_quorum_votes', -1, 'forge.homelab_quorum_votes: expected a number of at least 0, got -1'),
    ('homelab_gaming', 'maybe', "forge.homelab_gaming: expected a boolean (true/false), got 'maybe'"),
])
def test_a_wrong_value_names_the_host_and_the_variable(key, given, message):
    hv = dict(inventory({'forge': FORGE})['forge'], **{key: given})
    with pytest.raises(HostViewError) as err:
        host_view('forge', hv)
    assert str(err.value).startswith(message)


@pytest.mark.parametrize('key, message', [
    ('homelab_power_prority', "forge.homelab_power_prority: unknown homelab_* variable (did you mean "
                              "'homelab_power_priority'?)"),
    ('homelab_gamming', "forge.homelab_gamming: unknown homelab_* variable (did you mean 'homelab_gaming'?)"),
    ('homelab_zzz_qqq', 'forge.homelab_zzz_qqq: unknown homelab_* variable; the known ones'),
])
def test_a_typo_is_an_error_not_a_silent_default(key, message):
    hv = dict(inventory({'forge': FORGE})['forge'], **{key: 1})
    with pytest.raises(HostViewError) as err:
        host_view('forge', hv)
    assert str(err.value).startswith(message)


@pytest.mark.parametrize('power, message', [
    ({'idle_w': 'seven'}, "forge.homelab_power.idle_w: expected a number, got 'seven'"),
    ({'peak_w': -3}, 'forge.homelab_power.peak_w: expected a number of at least 0, got -3'),
])
def test_nested_computed_values_are_checked(power, message):
    with pytest.raises(HostViewError, match=message):
        host_view('forge', {'homelab_power': power})


def test_wake_method_and_gpu_values_are_checked():
    with pytest.raises(HostViewError, match="forge.homelab_wake.method: expected one of wol, none, got 'magic'"):
        host_view('forge', {'homelab_wake': {'method': 'magic'}})
    with pytest.raises(HostViewError, match=r"forge.homelab_gpus\[0\].vram_gb: expected a number, got 'lots'"):
        host_view('forge', {'homelab_gpus': [{'vendor': 'amd', 'vram_gb': 'lots'}]})
    with pytest.raises(HostViewError, match=r'forge.homelab_gpus\[1\]: expected a mapping, got'):
        host_view('forge', {'homelab_gpus': [{'vendor': 'amd'}, 'rx']})


def test_hand_written_vars_get_the_hardware_files_defaults():
    """A molecule scenario or a static inventory sets a few vars by hand: one set of defaults fills the rest, the
    same ones the hardware file has (quorum_votes 0, python true, boot 60 s, ready port 22)."""
    view = host_view('box', {'homelab_wake': {'mac': '02:00:00:00:00:01'}, 'ansible_host': '10.77.96.20'})
    assert view['classified'] is False
    assert (view['quorum_votes'], view['python'], view['always_on'], view['volatile']) == (0, True, False, False)
    assert view['wake'] == {'method': 'wol', 'mac': '02:00:00:00:00:01', 'boot_s': 60, 'ready_port': 22}
    assert view['wakeable'] is True  # no group_names: computed as the inventory does
    assert view['address'] == '10.77.96.20' and view['os'] == 'linux' and view['os_family'] == 'linux'
    assert view['power'] == {'idle_w': 0, 'peak_w': 0, 'estimated': True, 'plug': None, 'ups': None}
    assert view['gpus'] == [] and view['vram_gb'] == 0 and view['roles'] == []


def test_group_names_decide_wakeable_when_given():
    view = host_view('box', {'homelab_wake': {'mac': '02:00:00:00:00:01'}, 'group_names': ['tier_legacy']})
    assert view['wakeable'] is False


def test_ansible_host_wins_over_the_hardware_address():
    hv = dict(inventory({'forge': FORGE})['forge'], ansible_host='10.77.30.10')
    assert host_view('forge', hv)['address'] == '10.77.30.10'


def test_host_views_keeps_the_order_and_names_a_missing_host():
    hostvars = inventory({'forge': FORGE, 'keeper': KEEPER})
    assert [v['name'] for v in host_views(hostvars, ['keeper', 'forge'])] == ['keeper', 'forge']
    with pytest.raises(HostViewError, match='^nowhere: not an inventory host$'):
        host_views(hostvars, ['forge', 'nowhere'])
    with pytest.raises(HostViewError, match='^ghost: not an inventory host$'):
        host_view('ghost', None)


def test_the_view_is_a_plain_copy():
    hostvars = inventory({'forge': FORGE})
    view = host_view('forge', hostvars['forge'])
    view['gpus'][0]['vram_gb'] = 0
    view['roles'].append('x')
    again = host_view('forge', hostvars['forge'])
    assert again['gpus'][0]['vram_gb'] == 16 and 'x' not in again['roles']


@pytest.mark.parametrize('os_name, family, provisionable', [
    ('debian', 'debian', True), ('ubuntu', 'debian', True), ('raspios', 'debian', True),
    ('jetpack', 'debian', True), ('proxmox', 'debian', True), ('truenas', 'appliance', False),
    ('opnsense', 'freebsd', False), ('pfsense', 'freebsd', False), ('windows', 'windows', False),
    ('linux', 'linux', False), ('rocky', 'redhat', False),
])
def test_os_family_and_provisionable(os_name, family, provisionable):
    hostvars = inventory({'h': {'os': os_name}})
    view = host_view('h', hostvars['h'])
    assert (view['os_family'], view['provisionable']) == (family, provisionable)
    assert ('os_family_%s' % family) in view['groups']
    assert ('provisionable' in view['groups']) is provisionable


def test_every_os_has_a_family():
    from ansible_collections.homelab.cluster.plugins.module_utils._schema import OS_CHOICES
    assert sorted(_hostview.OS_FAMILY) == sorted(OS_CHOICES)


def test_the_three_kinds_do_not_overlap_and_every_setting_is_documented():
    computed, settings, runtime = set(_hostview.COMPUTED), set(_hostview.SETTINGS), set(_hostview.RUNTIME)
    assert not computed & settings and not computed & runtime and not settings & runtime
    assert all(doc for _check, _default, doc in _hostview.SETTINGS.values())


def test_what_the_inventory_writes_is_exactly_what_the_view_knows_as_computed():
    hv = inventory({'forge': FORGE})['forge']
    written = {k[len('homelab_'):] for k in hv if k.startswith('homelab_')}
    assert written <= set(_hostview.COMPUTED)
    # facts_used only when facts filled something; proxmox only for hosts from the live Proxmox source
    assert set(_hostview.COMPUTED) - written <= {'facts_used', 'proxmox'}


def test_the_readme_documents_every_setting():
    import os
    with open(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'README.md')) as handle:
        readme = handle.read()
    missing = [key for key in _hostview.SETTINGS if '`homelab_%s`' % key not in readme]
    assert missing == []


def test_a_plays_vars_give_the_current_hosts_play_settings():
    """`vars | homelab.cluster.host_view(inventory_hostname)`: a setting given as a play var (vars: on an imported
    playbook) counts for the current host; other hosts still come from hostvars."""
    hostvars = inventory({'forge': FORGE, 'keeper': KEEPER})
    play_vars = dict(hostvars['forge'], homelab_sleep_idle_minutes=0, hostvars=hostvars, inventory_hostname='forge')
    forge, keeper = host_views(play_vars, ['forge', 'keeper'])
    assert forge['sleep_idle_minutes'] == 0 and forge['tier'] == 'modern'
    assert keeper['sleep_idle_minutes'] == 30 and keeper['always_on'] is True
    assert host_views(hostvars, ['forge'])[0]['sleep_idle_minutes'] == 30
    with pytest.raises(HostViewError, match='^nowhere: not an inventory host$'):
        host_views(play_vars, ['nowhere'])
