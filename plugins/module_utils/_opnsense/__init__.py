# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OPNsense: the REST client (client.py), the sync flow of the modules (runner.py) and pure logic (objects.py,
network.py, suricata.py). PRIVATE to the homelab.cluster collection; its API may change without notice."""
