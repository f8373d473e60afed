# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The edge harvesters' controller-side logic (PRIVATE to homelab.cluster): catalogue, assignment, window."""
