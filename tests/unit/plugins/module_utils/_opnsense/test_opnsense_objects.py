"""The OPNsense object kinds and the plan of changes (plugins/module_utils/_opnsense/objects.py)."""

import os
import sys

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._opnsense import objects
from ansible_collections.homelab.cluster.plugins.module_utils._opnsense.objects import KINDS

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', '..', 'lab', 'doubles'))
from opnsense_models import MODELS  # noqa: E402  (the double's model definitions, from OPNsense's XML)


@pytest.mark.parametrize('kind, value, api', [
    ('bool', True, '1'), ('bool', False, '0'), ('bool', 'yes', '1'), ('bool', 'off', '0'), ('bool', '1', '1'),
    ('bool', 0, '0'), ('int', 10, '10'), ('int', '0010', '10'), ('int', '', ''), ('str', 'x', 'x'),
    ('str', None, ''), ('list', ['opt1', 'opt2'], 'opt1,opt2'), ('list', 'opt1', 'opt1'), ('list', ['', 'a'], 'a'),
    ('macs', ['A8:A1:59:00:00:01'], 'a8:a1:59:00:00:01'), ('mac', 'A8:A1:59:00:00:01', 'a8:a1:59:00:00:01'),
    ('lines', ['10.0.1.1', '10.0.1.2'], '10.0.1.1\n10.0.1.2'), ('upper', 'tcp/udp', 'TCP/UDP'), ('upper', 'ANY', 'any'),
    ('port', 'svc_media', 'svc_media'),
])
def test_to_api(kind, value, api):
    assert objects.to_api(kind, value) == api


@pytest.mark.parametrize('kind, a, b', [
    ('list', 'opt2,opt1', 'opt1,opt2'),                                  # order of a multiple field
    ('lines', '10.0.1.2\n10.0.1.1', '10.0.1.1\n10.0.1.2'),               # alias content is a set
    ('macs', 'A8-A1-59-00-00-01', 'a8:a1:59:00:00:01'),                  # dnsmasq hwaddr, any spelling
    ('mac', 'A8:A1:59:00:00:01', 'a8:a1:59:00:00:01'),
    ('int', '010', '10'), ('bool', '', '0'), ('bool', 'true', '1'),
    ('device', 'vlan01 [TRUSTED]', 'vlan01'),                            # the VLAN search decorates assigned devices
    ('upper', 'tcp', 'TCP'), ('port', 'HTTPS', 'https'),
    ('list', {'wan': {'value': 'WAN', 'selected': 1}, 'lan': {'value': 'LAN', 'selected': 0}}, 'wan'),  # get format
])
def test_canon_equal(kind, a, b):
    assert objects.canon(kind, a) == objects.canon(kind, b)


@pytest.mark.parametrize('kind, a, b', [
    ('list', 'opt1', 'opt1,opt2'), ('lines', '10.0.1.1', '10.0.1.2'), ('int', '10', '11'), ('bool', '1', '0'),
    ('str', 'a', 'A'), ('mac', 'a8:a1:59:00:00:01', 'a8:a1:59:00:00:02'),
])
def test_canon_different(kind, a, b):
    assert objects.canon(kind, a) != objects.canon(kind, b)


@pytest.mark.parametrize('name', sorted(KINDS))
def test_every_field_we_send_is_a_field_of_the_model(name):
    """Our option -> field maps name fields of OPNsense's model XML (a field the model lacks is dropped silently
    by the real API, so it would never apply)."""
    kind = KINDS[name]
    assert set(kind.types) <= set(MODELS[name]), set(kind.types) - set(MODELS[name])
    assert set(kind.key) <= set(kind.types) and kind.marker_field in kind.types


def test_paths_are_snake_case():
    for kind in KINDS.values():
        for command in (kind.search, kind.add, kind.set, kind.delete):
            assert command == command.lower()
        assert kind.path(kind.set, 'u-1') == '%s/%s/u-1' % (kind.base, kind.set)
        assert kind.service == kind.service.lower()


VLAN = KINDS['vlan']
ROW = {'uuid': 'u1', 'if': 'ixl0', 'tag': '10', 'pcp': '0', '%pcp': 'Best Effort (0, default)', 'proto': '',
       'descr': 'homelab: trusted', 'vlanif': 'vlan01 [TRUSTED]'}


def test_plan_adds_what_is_missing():
    changes = objects.plan(VLAN, [{'parent': 'ixl0', 'tag': 20, 'description': 'homelab: iot'}], [ROW])
    assert [c.op for c in changes] == ['add']
    assert changes[0].body == {'if': 'ixl0', 'tag': '20', 'descr': 'homelab: iot'}
    assert changes[0].phrase() == 'create VLAN 20 on ixl0'


def test_plan_leaves_what_is_equal():
    item = {'parent': 'ixl0', 'tag': 10, 'description': 'homelab: trusted', 'device': 'vlan01', 'pcp': None}
    assert objects.plan(VLAN, [item], [ROW]) == []


def test_plan_sets_only_what_differs():
    changes = objects.plan(VLAN, [{'parent': 'ixl0', 'tag': 10, 'description': 'homelab: family', 'pcp': 0}], [ROW])
    assert [(c.op, c.uuid) for c in changes] == [('set', 'u1')]
    assert changes[0].before == {'descr': 'homelab: trusted'} and changes[0].after == {'descr': 'homelab: family'}
    assert changes[0].phrase() == 'update VLAN 10 on ixl0: descr'
    assert changes[0].body == {'if': 'ixl0', 'tag': '10', 'descr': 'homelab: family', 'pcp': '0'}


def test_plan_absent():
    assert [c.op for c in objects.plan(VLAN, [{'parent': 'ixl0', 'tag': 10, 'state': 'absent'}], [ROW])] == ['del']
    assert objects.plan(VLAN, [{'parent': 'ixl0', 'tag': 99, 'state': 'absent'}], [ROW]) == []


@pytest.mark.parametrize('descr, deleted', [('homelab: old', True), ('made by hand', False), ('', False)])
def test_purge_deletes_only_what_we_made(descr, deleted):
    rows = [ROW, dict(ROW, uuid='u2', tag='50', descr=descr, vlanif='vlan05')]
    items = [{'parent': 'ixl0', 'tag': 10, 'description': 'homelab: trusted'}]
    changes = objects.plan(VLAN, items, rows, purge=True)
    assert [(c.op, c.uuid) for c in changes] == ([('del', 'u2')] if deleted else [])
    assert objects.plan(VLAN, items, rows, purge=False) == []


@pytest.mark.parametrize('items, rows, message', [
    ([{'parent': 'ixl0', 'tag': 10}, {'parent': 'ixl0', 'tag': 10}], [], r'vlan\[1\]: VLAN 10 on ixl0 is given twice'),
    ([{'parent': 'ixl0'}], [], r'vlan\[0\]: tag is required'),
    ([{'parent': 'ixl0', 'tag': 10, 'colour': 'red'}], [], "vlan: unknown option 'colour'"),
    ([], [ROW, dict(ROW, uuid='u9')], 'two objects on the firewall share the key ixl0/10'),
])
def test_plan_errors(items, rows, message):
    with pytest.raises(objects.OPNsenseError, match=message):
        objects.plan(VLAN, items, rows)


def test_rows_that_are_not_ours_to_key_are_skipped():
    rule = KINDS['rule']
    legacy = {'uuid': 'l1', 'legacy': True, 'description': 'homelab: x'}
    no_uuid = {'description': 'homelab: x'}
    assert objects.plan(rule, [], [legacy, no_uuid], purge=True) == []
    host = KINDS['dnsmasq_host']  # dnsmasq host entries without a MAC are DNS overrides, not reservations
    rows = [{'uuid': 'a', 'hwaddr': '', 'host': 'x', 'descr': 'homelab: x'}, {'uuid': 'b', 'hwaddr': '', 'host': 'y'}]
    assert objects.plan(host, [], rows, purge=True) == []


def test_kinds_compare_their_own_way():
    alias = KINDS['alias']
    row = {'uuid': 'a', 'name': 'role_storage', 'type': 'host', 'content': '10.0.30.21\n10.0.30.20',
           'description': 'homelab: x', 'enabled': '1'}
    item = {'name': 'role_storage', 'type': 'host', 'content': ['10.0.30.20', '10.0.30.21'], 'enabled': True}
    assert objects.plan(alias, [item], [row]) == []
    dnsmasq = KINDS['dnsmasq_host']
    row = {'uuid': 'd', 'hwaddr': 'A8:A1:59:00:00:05', 'ip': '10.0.30.5', 'host': 'keeper'}
    assert objects.plan(dnsmasq, [{'mac': 'a8:a1:59:00:00:05', 'address': '10.0.30.5', 'hostname': 'keeper'}],
                        [row]) == []


def test_diff_of():
    changes = objects.plan(VLAN, [{'parent': 'ixl0', 'tag': 20}, {'parent': 'ixl0', 'tag': 10, 'state': 'absent'}],
                           [ROW])
    before, after = objects.diff_of(changes)
    assert after == {'VLAN 20 on ixl0': {'if': 'ixl0', 'tag': '20'}}
    assert before == {'VLAN 10 on ixl0': {'if': 'ixl0', 'tag': '10'}}
    assert repr(changes[1]) == "Change('delete VLAN 10 on ixl0')"
