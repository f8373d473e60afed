# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Proxmox VE: the live inventory source (PLUGINS, with env) and the modules' connection options (MODULES)."""

    PLUGINS = r'''
options:
  proxmox_url:
    description:
      - The Proxmox VE API, as C(https://HOST:8006) (any node of the cluster answers for all of it). A list is tried
        in order until one answers. Unset, the inventory has no live Proxmox source.
      - "With it, every node and guest becomes a host: hardware facts (vCPUs as C(cpu.threads), memory as
        C(ram_gb), GPUs passed through with C(hostpciN)) go through the same checks and tier/role rules as the
        hardware file's hosts; a host in both keeps the file's values. Guests get C(homelab_proxmox) (C(type),
        C(vmid), C(node), C(status), C(name), C(tags), C(pool), C(addresses), C(hostpci)), nodes
        C(homelab_proxmox) (C(type) V(node), C(status), C(cluster), C(nodeid)). Groups: C(proxmox_nodes),
        C(proxmox_guests), C(proxmox_qemu), C(proxmox_lxc), C(proxmox_node_<node>), C(proxmox_pool_<pool>),
        C(proxmox_tag_<tag>), C(proxmox_status_<status>) (names lower case, other characters as C(_))."
      - A guest created moments ago has no name yet; it is named C(<type>-<vmid>) (C(qemu-230)) until it has one.
        Two guests with one name are named C(<name>-<vmid>).
    type: list
    elements: str
    env:
      - name: PROXMOX_URL
    version_added: 0.1.0
  proxmox_token_id:
    description: The API token, C(USER@REALM!TOKENID). Read-only needs C(Sys.Audit) and C(VM.Audit) on C(/).
    type: str
    env:
      - name: PROXMOX_TOKEN_ID
    version_added: 0.1.0
  proxmox_token_secret:
    description:
      - The token's secret (a UUID). Never printed. It may be a template, for example a Vault lookup
        (C("{{ lookup('community.hashi_vault.vault_kv2_get', 'pve', engine_mount_point='kv').secret.token }}")),
        rendered only for this option.
    type: str
    env:
      - name: PROXMOX_TOKEN_SECRET
    version_added: 0.1.0
  proxmox_validate_certs:
    description: Verify the API's TLS certificate (on by default; O(proxmox_ca_path) names a CA for a self-signed one).
    type: bool
    default: true
    env:
      - name: PROXMOX_VALIDATE_CERTS
    version_added: 0.1.0
  proxmox_ca_path:
    description: A CA bundle (PEM) that signed the API's certificate, such as the cluster's C(/etc/pve/pve-root-ca.pem).
    type: path
    env:
      - name: PROXMOX_CA_PATH
    version_added: 0.1.0
  proxmox_timeout:
    description: Seconds to wait for each API answer.
    type: int
    default: 15
    version_added: 0.1.0
  proxmox_facts:
    description:
      - Per-guest facts, fetched only when asked (two requests cover everything else, whatever the number of guests).
      - V(config) reads each guest's config (C(hostpciN) passthrough, matched to its node's C(/hardware/pci) and the
        cluster's PCI resource mappings, so guests get C(gpus)) and each online node's PCI list (nodes get their GPUs
        when the hardware file declares none).
      - V(agent) reads each running guest's addresses (qemu guest agent, lxc interfaces) into C(ansible_host);
        the first IPv4 address wins. On PVE 9 the token needs C(VM.GuestAgent.Audit).
    type: list
    elements: str
    default: []
    version_added: 0.1.0
  proxmox_facts_tags:
    description: Fetch O(proxmox_facts) only for guests carrying one of these tags (empty is every guest).
    type: list
    elements: str
    default: []
    version_added: 0.1.0
  proxmox_concurrency:
    description: At most this many per-guest requests in flight.
    type: int
    default: 8
    version_added: 0.1.0
  proxmox_guests:
    description: Add the guests (false adds the nodes only).
    type: bool
    default: true
    version_added: 0.1.0
  proxmox_templates:
    description: Add templates as hosts too.
    type: bool
    default: false
    version_added: 0.1.0
'''

    MODULES = r'''
options:
  api_url:
    description: The Proxmox VE API, C(https://HOST:8006). Falls back to E(PROXMOX_URL).
    type: str
    required: true
  api_token_id:
    description:
      - The API token, C(USER@REALM!TOKENID). Falls back to E(PROXMOX_TOKEN_ID).
      - Required unless O(api_password) is given.
    type: str
  api_token_secret:
    description: The token's secret. Falls back to E(PROXMOX_TOKEN_SECRET).
    type: str
  api_password:
    description:
      - The C(root@pam) password, for what PVE allows C(root@pam) alone (joining a cluster, raw host PCI devices);
        a password ticket is requested with it. Falls back to E(PROXMOX_PASSWORD).
    type: str
  validate_certs:
    description: Verify the API's TLS certificate.
    type: bool
    default: true
  ca_path:
    description: A CA bundle (PEM) for a self-signed cluster certificate (C(/etc/pve/pve-root-ca.pem)).
    type: path
  timeout:
    description: Seconds to wait for each API answer.
    type: int
    default: 15
requirements:
  - proxmoxer >= 2.0 on the host that runs the module (usually the controller, with C(delegate_to) localhost)
'''
