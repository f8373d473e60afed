# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TrueNAS SCALE: the JSON-RPC client and the pure logic of the truenas_* modules.

PRIVATE to the homelab.cluster collection; its API may change without notice.

scram     SCRAM-SHA-512 (RFC 5802/7677) and the tls-server-end-point channel binding (RFC 5929), pure
rpc       the websocket JSON-RPC 2.0 transport: one connection, errors with the method and the server's reason
session   login (probe auth.mechanism_choices, API key PLAIN or SCRAM), version probe, reconnect once, jobs
versions  every difference between TrueNAS releases, in one place (pure)
dataset, pool, share, tasks   desired state against the API's objects: what to create or change (pure)
plan      the NAS role's desired state from the inventory's host views (pure)
module    what every truenas_* module shares: connection options, connect, fail with what was tried
"""
