# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The connection options of the opnsense_* modules (one authenticated session per module run)."""

    DOCUMENTATION = r'''
options:
  url:
    description:
      - The firewall's web address, C(https://<address>[:port]); the API lives under C(/api/).
      - Read from the E(OPNSENSE_URL) environment variable when not given.
    type: str
    required: true
  api_key:
    description:
      - The API key (System, Access, Users, API keys); sent as the user name of HTTP Basic authentication.
      - Read from E(OPNSENSE_API_KEY) when not given. Never logged.
    type: str
    required: true
  api_secret:
    description:
      - The API secret belonging to O(api_key); sent as the password of HTTP Basic authentication.
      - Read from E(OPNSENSE_API_SECRET) when not given. Never logged.
    type: str
    required: true
  validate_certs:
    description:
      - Check the firewall's TLS certificate. Keep it on; give O(ca_path) for a certificate of your own CA.
    type: bool
    default: true
  ca_path:
    description:
      - A CA bundle (PEM) that signed the firewall's certificate, used instead of the system's trust store.
      - Read from E(OPNSENSE_CA_PATH) when not given.
    type: path
  timeout:
    description: Seconds to wait for each answer.
    type: int
    default: 20
requirements:
  - requests (on the host that runs the module, usually the controller)
notes:
  - Written against the OPNsense 26.7 API (snake_case command names, introduced with 25.7) and its model files;
    savepoint and rollback are not used, since 26.7 removed them.
  - Run it on the controller (C(delegate_to) V(localhost)); the firewall itself needs no Python.
'''

    CONFIRM = r'''
options:
  confirm_timeout:
    description:
      - After the change is activated, how many seconds the management address (O(url)) may take to answer again
        from where the module runs. If it does not, the module fails with the steps to get back in.
    type: int
    default: 60
  backup_path:
    description:
      - Where the configuration backup taken before this run is kept (see M(homelab.cluster.opnsense_backup)); only
        named in the restore steps when the management address stops answering.
    type: str
'''
