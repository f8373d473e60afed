# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OpenBao / Vault logic without I/O: the state /v1/sys/health reports, the policies and AppRoles the
inventory asks for, and what has to change between what the server has and what is wanted.

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

import re

# /v1/sys/health answers with these status codes (OpenBao and Vault alike)
HEALTH = {200: 'active', 429: 'standby', 472: 'dr_secondary', 473: 'performance_standby', 501: 'uninitialised',
          503: 'sealed'}
APPROLE_FIELDS = ('token_policies', 'token_ttl', 'token_max_ttl', 'secret_id_ttl', 'secret_id_num_uses',
                  'token_bound_cidrs', 'secret_id_bound_cidrs')
_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_-]*$')
_PATH = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_./-]*$')


class VaultError(ValueError):
    """A setting or an answer the Vault logic cannot use; the message names the field."""


def health_state(status, body=None):
    """The server's state from /v1/sys/health: uninitialised, sealed, standby, active (or the DR/performance
    variants). The body, when there is one, wins over the status code (a proxy may rewrite codes)."""
    body = body if isinstance(body, dict) else {}
    if body:
        if body.get('initialized') is False:
            return 'uninitialised'
        if body.get('sealed') is True:
            return 'sealed'
        if body.get('standby') is True:
            return 'performance_standby' if body.get('performance_standby') else 'standby'
        if 'initialized' in body:
            return 'active'
    if status in HEALTH:
        return HEALTH[status]
    raise VaultError('/v1/sys/health answered %s, which is none of %s' % (status, sorted(HEALTH)))


def check_name(kind, name):
    if not isinstance(name, str) or not _NAME.match(name):
        raise VaultError('%s: %r is not a name (letters, digits, _ and -)' % (kind, name))
    return name


def check_mount(path):
    path = str(path or '').strip('/')
    if not _PATH.match(path):
        raise VaultError('kv_mounts: %r is not a mount path' % (path,))
    return path


def group_policy(mount, group):
    """The policy of a group's AppRole: read its own secrets under <mount>/<group>/ and nothing else (KV v2
    keeps data under data/ and metadata/)."""
    mount = check_mount(mount)
    check_name('group', group)
    return ('# homelab.cluster: hosts of inventory group %(group)s read their own secrets\n'
            'path "%(mount)s/data/%(group)s/*" {\n  capabilities = ["read"]\n}\n'
            'path "%(mount)s/metadata/%(group)s/*" {\n  capabilities = ["read", "list"]\n}\n'
            % {'mount': mount, 'group': group})


DEFAULT_TTLS = {'token_ttl': '1h', 'token_max_ttl': '4h', 'secret_id_ttl': '0'}


ISSUER_POLICY = 'homelab-issuer'
DEFAULT_MAX_WRAP_TTL = '10m'


def approle_name(group):
    """The AppRole of an inventory group: homelab-<group> with _ as -."""
    return 'homelab-%s' % check_name('group', group).replace('_', '-')


def issuer_policy(approles, max_wrap_ttl=DEFAULT_MAX_WRAP_TTL):
    """The policy of the token that enrols hosts (homelab.cluster.vault_agent, from the controller): read each
    AppRole's role_id, create its secret_ids only response-wrapped (the issuer never sees one), and destroy a
    secret_id by its accessor when a host's is rotated. Nothing else: no secret, no policy, no other auth path."""
    _seconds(max_wrap_ttl)
    blocks = ['# homelab.cluster: enrols hosts into their group\'s AppRole; secret_ids only response-wrapped\n']
    for name in sorted(approles):
        check_name('approles', name)
        base = 'auth/approle/role/%s' % name
        blocks.append('path "%s/role-id" {\n  capabilities = ["read"]\n}\n' % base)
        blocks.append('path "%s/secret-id" {\n  capabilities = ["create", "update"]\n  min_wrapping_ttl = "1s"\n'
                      '  max_wrapping_ttl = "%s"\n}\n' % (base, max_wrap_ttl))
        blocks.append('path "%s/secret-id-accessor/destroy" {\n  capabilities = ["create", "update"]\n}\n' % base)
    return ''.join(blocks)


def approles_for_groups(groups, mount, ttls=None):
    """An AppRole and a policy per inventory group, and the issuer policy that may enrol hosts into them:
    {'policies': {name: hcl}, 'approles': {name: settings}}.
    ttls: token_ttl, token_max_ttl, secret_id_ttl (durations; secret_id_ttl 0 = each secret_id's own TTL, which
    homelab.cluster.vault_agent sets, applies)."""
    ttls = dict(DEFAULT_TTLS, **(ttls or {}))
    policies, approles = {}, {}
    for group in groups:
        name = approle_name(group)
        policies[name] = group_policy(mount, group)
        approles[name] = dict(ttls, token_policies=[name])
    if approles:
        policies[ISSUER_POLICY] = issuer_policy(approles)
    return {'policies': policies, 'approles': approles}


def _seconds(value):
    """'1h' / '90m' / '30s' / 3600 -> seconds, as Vault reports durations."""
    if isinstance(value, bool):
        raise VaultError('expected a duration, got %r' % (value,))
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    total = 0
    for number, unit in re.findall(r'(\d+)([smhd])', text):
        total += int(number) * {'s': 1, 'm': 60, 'h': 3600, 'd': 86400}[unit]
    if not total and not re.match(r'^(0[smhd]?)+$', text):
        raise VaultError('expected a duration like 1h or 90m, got %r' % (value,))
    return total


def approle_changes(current, wanted):
    """The AppRole fields to write: those wanted that differ from what the server reports (durations compared
    in seconds, lists as sets). current is None when the role does not exist."""
    changes = {}
    for field, value in wanted.items():
        if field not in APPROLE_FIELDS:
            raise VaultError('approles: %r is not an AppRole field (%s)' % (field, ', '.join(APPROLE_FIELDS)))
        have = (current or {}).get(field)
        if field.endswith('_ttl'):
            same = have is not None and _seconds(have) == _seconds(value)
        elif isinstance(value, list):
            same = have is not None and sorted(have or []) == sorted(value)
        else:
            same = have == value
        if current is None or not same:
            changes[field] = value
    return changes


def mount_changes(current, path, description='', max_versions=0):
    """What a KV v2 mount needs: 'create', 'upgrade' (a KV v1 mount at that path), or None. current: the
    /v1/sys/mounts entry for 'path/' or None."""
    if current is None:
        return 'create'
    if current.get('type') != 'kv':
        raise VaultError('kv_mounts: %s/ is a %s mount, not kv; move it or choose another path'
                         % (path, current.get('type')))
    if str((current.get('options') or {}).get('version', '1')) != '2':
        return 'upgrade'
    return None


def normalise_policy(text):
    """Policies are compared without trailing spaces and blank-line noise."""
    lines = [line.rstrip() for line in str(text or '').strip().splitlines()]
    return '\n'.join(lines) + '\n'
