# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Monitoring of the homelab, pure (no I/O): Prometheus scrape configuration from host views, the house
collector's host list, Alertmanager routing, alert rule overrides and the retention for the logic node's disk.

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""
