# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inference tier without I/O: endpoint health and the prognosis (``health``), the catalog of what is served
where (``catalog``), expert routing (``routing``) and the LiteLLM gateway config (``gateway``).

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""
