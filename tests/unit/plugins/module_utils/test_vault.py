"""OpenBao/Vault logic: health states, group AppRoles and policies, what has to change."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils import _vault


@pytest.mark.parametrize('status, body, state', [
    (200, {'initialized': True, 'sealed': False, 'standby': False}, 'active'),
    (429, {'initialized': True, 'sealed': False, 'standby': True}, 'standby'),
    (473, {'initialized': True, 'sealed': False, 'standby': True, 'performance_standby': True}, 'performance_standby'),
    (501, {'initialized': False, 'sealed': True}, 'uninitialised'),
    (503, {'initialized': True, 'sealed': True}, 'sealed'),
    (503, None, 'sealed'),
    (472, '', 'dr_secondary'),
    (200, {'initialized': True, 'sealed': True}, 'sealed'),  # the body wins over a rewritten code
])
def test_health_state(status, body, state):
    assert _vault.health_state(status, body) == state


def test_health_state_unknown_code():
    with pytest.raises(_vault.VaultError, match='/v1/sys/health answered 418'):
        _vault.health_state(418)


def test_group_approles_read_only_their_path():
    result = _vault.approles_for_groups(['compute', 'role_inference'], 'kv')
    assert sorted(result['approles']) == ['homelab-compute', 'homelab-role-inference']
    policy = result['policies']['homelab-compute']
    assert 'path "kv/data/compute/*" {\n  capabilities = ["read"]\n}' in policy
    assert 'path "kv/metadata/compute/*"' in policy and 'update' not in policy and 'kv/data/*' not in policy
    assert result['approles']['homelab-compute'] == {'token_policies': ['homelab-compute'], 'token_ttl': '1h',
                                                     'token_max_ttl': '4h', 'secret_id_ttl': '0'}


@pytest.mark.parametrize('args, message', [
    ((['bad group'], 'kv'), "group: 'bad group' is not a name"),
    ((['compute'], '/kv with space/'), "kv_mounts: 'kv with space' is not a mount path"),
])
def test_group_approles_bad_names(args, message):
    with pytest.raises(_vault.VaultError, match=message):
        _vault.approles_for_groups(*args)


def test_approle_changes_compare_durations_and_lists():
    wanted = {'token_policies': ['b', 'a'], 'token_ttl': '1h', 'token_max_ttl': '4h', 'secret_id_ttl': '0'}
    current = {'token_policies': ['a', 'b'], 'token_ttl': 3600, 'token_max_ttl': 14400, 'secret_id_ttl': 0,
               'bind_secret_id': True}
    assert _vault.approle_changes(current, wanted) == {}
    assert _vault.approle_changes(dict(current, token_ttl=1800), wanted) == {'token_ttl': '1h'}
    assert _vault.approle_changes(None, wanted) == wanted
    with pytest.raises(_vault.VaultError, match="'token_type' is not an AppRole field"):
        _vault.approle_changes(current, {'token_type': 'batch'})
    with pytest.raises(_vault.VaultError, match='expected a duration'):
        _vault.approle_changes(current, {'token_ttl': 'soon'})


def test_seconds():
    assert _vault._seconds('1h30m') == 5400 and _vault._seconds('90') == 90 and _vault._seconds(7) == 7
    assert _vault._seconds('0') == 0 and _vault._seconds('0s') == 0
    with pytest.raises(_vault.VaultError):
        _vault._seconds(True)


def test_mount_changes():
    assert _vault.mount_changes(None, 'kv') == 'create'
    assert _vault.mount_changes({'type': 'kv', 'options': {'version': '1'}}, 'kv') == 'upgrade'
    assert _vault.mount_changes({'type': 'kv', 'options': None}, 'kv') == 'upgrade'
    assert _vault.mount_changes({'type': 'kv', 'options': {'version': '2'}}, 'kv') is None
    with pytest.raises(_vault.VaultError, match='kv_mounts: kv/ is a transit mount, not kv'):
        _vault.mount_changes({'type': 'transit'}, 'kv')


def test_normalise_policy():
    assert _vault.normalise_policy('path "a" {  \n}\n\n\n') == 'path "a" {\n}\n'
    assert _vault.check_name('x', 'homelab-compute') == 'homelab-compute'


def test_the_issuer_policy_only_enrols_hosts():
    result = _vault.approles_for_groups(['compute', 'role_inference'], 'kv')
    policy = result['policies'][_vault.ISSUER_POLICY]
    for role in ('homelab-compute', 'homelab-role-inference'):
        assert 'path "auth/approle/role/%s/role-id" {\n  capabilities = ["read"]\n}' % role in policy
        # a secret_id only response-wrapped: the issuer never sees one
        assert ('path "auth/approle/role/%s/secret-id" {\n  capabilities = ["create", "update"]\n'
                '  min_wrapping_ttl = "1s"\n  max_wrapping_ttl = "10m"\n}' % role) in policy
        assert 'path "auth/approle/role/%s/secret-id-accessor/destroy"' % role in policy
    assert 'kv/' not in policy and 'sys/' not in policy and 'sudo' not in policy and '*' not in policy


def test_no_groups_no_issuer_policy():
    assert _vault.approles_for_groups([], 'kv') == {'policies': {}, 'approles': {}}


def test_issuer_policy_checks_names_and_durations():
    with pytest.raises(_vault.VaultError, match="approles: 'bad name' is not a name"):
        _vault.issuer_policy(['bad name'])
    with pytest.raises(_vault.VaultError, match='expected a duration'):
        _vault.issuer_policy(['homelab-x'], max_wrap_ttl='soon')
