# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options every Proxmox VE module shares and the client they open (module side).

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.basic import missing_required_lib

from ansible_collections.homelab.cluster.plugins.module_utils._pve.client import HAS_PROXMOXER
from ansible_collections.homelab.cluster.plugins.module_utils._pve.client import PROXMOXER_REQUIREMENT
from ansible_collections.homelab.cluster.plugins.module_utils._pve.client import PveClient
from ansible_collections.homelab.cluster.plugins.module_utils._pve.client import PveError


def pve_argument_spec(**extra):
    spec = {
        'api_url': {'type': 'str', 'required': True, 'fallback': (env_fallback, ['PROXMOX_URL'])},
        'api_token_id': {'type': 'str', 'fallback': (env_fallback, ['PROXMOX_TOKEN_ID'])},
        'api_token_secret': {'type': 'str', 'no_log': True, 'fallback': (env_fallback, ['PROXMOX_TOKEN_SECRET'])},
        'api_password': {'type': 'str', 'no_log': True, 'fallback': (env_fallback, ['PROXMOX_PASSWORD'])},
        'validate_certs': {'type': 'bool', 'default': True},
        'ca_path': {'type': 'path'},
        'timeout': {'type': 'int', 'default': 15},
    }
    spec.update(extra)
    return spec


def connect(module, password=False):
    """The client for this run (one session); a token unless ``password`` (root@pam ticket) is asked for."""
    if not HAS_PROXMOXER:
        module.fail_json(msg=missing_required_lib(PROXMOXER_REQUIREMENT))
    params = module.params
    if password and not params.get('api_password'):
        module.fail_json(msg='%s needs a root@pam password ticket (api_password): Proxmox VE allows it to root@pam '
                             'only, never to an API token' % password)
    if not password and not (params.get('api_token_id') and params.get('api_token_secret')):
        module.fail_json(msg='api_token_id and api_token_secret are needed (or PROXMOX_TOKEN_ID/PROXMOX_TOKEN_SECRET)')
    try:
        if password:
            return PveClient(params['api_url'], user='root@pam', password=params['api_password'],
                             validate_certs=params['validate_certs'], ca_path=params['ca_path'],
                             timeout=params['timeout'])
        return PveClient(params['api_url'], token_id=params['api_token_id'], token_secret=params['api_token_secret'],
                         validate_certs=params['validate_certs'], ca_path=params['ca_path'], timeout=params['timeout'])
    except (PveError, ValueError) as exc:
        module.fail_json(msg='cannot open the Proxmox VE API at %s: %s' % (params['api_url'], exc))
