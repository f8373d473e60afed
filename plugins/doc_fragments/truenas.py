# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The connection options of the homelab.cluster.truenas_* modules."""

    DOCUMENTATION = r'''
options:
  api_url:
    description:
      - The TrueNAS SCALE API, C(wss://HOST/api/current); C(HOST) or C(https://HOST) mean the same. TrueNAS 25.04
        or newer (JSON-RPC 2.0; TrueNAS 26 removed the REST API).
      - Falls back to the environment variable E(TRUENAS_URL).
    type: str
    required: true
  api_username:
    description:
      - The user the API key belongs to (API keys are user-linked since TrueNAS 25.04; SCRAM needs the name).
      - Falls back to E(TRUENAS_API_USERNAME).
    type: str
    required: true
  api_key:
    description:
      - The API key, C(<id>-<key>) as TrueNAS shows it once when it is created. Falls back to E(TRUENAS_API_KEY).
      - Each module run logs in once with it, with SCRAM-SHA-512 when the server offers it (TrueNAS 26; the key never
        crosses the wire), API_KEY_PLAIN otherwise (TrueNAS 25.04 and 25.10; TLS protects it). A refused login is
        never retried, since 3 failed logins in 15 minutes lock the account.
    type: str
    required: true
  validate_certs:
    description:
      - Check the NAS certificate against O(ca_path) or the system's trust store, and its name against the host
        of O(api_url). Turning it off is allowed, with a warning.
    type: bool
    default: true
  ca_path:
    description: A PEM file with the CA that signed the NAS certificate (or the certificate itself).
    type: path
  auth_mechanism:
    description:
      - V(auto) picks SCRAM when C(auth.mechanism_choices) offers it, else API_KEY_PLAIN; it never falls back from
        SCRAM to plain. V(scram) fails on a server without SCRAM; V(plain) insists on API_KEY_PLAIN.
    type: str
    choices: [auto, scram, plain]
    default: auto
  timeout:
    description: Seconds to wait for the connection and for each call.
    type: int
    default: 30
  job_timeout:
    description: Seconds to wait for a job (creating a pool) before reporting it as still running.
    type: int
    default: 600
  api_token:
    description:
      - A session token from an earlier task of the play (M(homelab.cluster.truenas_info) with
        O(homelab.cluster.truenas_info#module:issue_token=true), registered with C(no_log)). The run logs in with
        it (C(auth.login_with_token)) instead of the key, so a play logs in with the key once. A token that is
        refused (expired) falls back to O(api_key), with a warning.
    type: str
  rate_limit_wait:
    description:
      - When TrueNAS throttles a login call of this run (more than 20 a minute from this address), wait this many
        seconds for its window to pass and try once more; V(0) fails at once. A throttled call never reaches the
        password check, so it cannot lock the account.
    type: int
    default: 65
notes:
  - Runs on the controller (or any host with Python and C(websocket-client)); use C(delegate_to=localhost)
    or a local connection. One websocket and one key login per module run; give many objects to one run rather
    than one task per object, because TrueNAS throttles more than 20 unauthenticated calls a minute from one
    address.
  - If the websocket drops, the run reconnects once with a single-use token it asked for at login (not with the
    key), repeats what is safe to repeat, and checks whether an interrupted create happened before sending it
    again. A second drop ends the run with what was done and what was not.
requirements:
  - websocket-client (Python, on the host that runs the module)
'''
