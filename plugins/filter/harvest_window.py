# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: harvest_window
short_description: Read a harvest window (off-peak hours) into numbers and a systemd OnCalendar
version_added: 0.2.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - A window is V(01:00-06:00) (seconds allowed, V(01:00:00-06:00:30)), a mapping with C(start), C(end) and
    C(days) (V(mon) to V(sun), the days it opens on), or V(always).
  - It is the host's local time; a window whose end is not after its start runs past midnight.
  - A window that cannot be read is an error naming O(where).
options:
  _input:
    description: The window.
    type: raw
    required: true
  where:
    description: What to call the value in an error (for example C(pi5.harvester_window)).
    type: str
    default: window
'''

EXAMPLES = r'''
- name: The timer's OnCalendar
  ansible.builtin.debug:
    msg: "{{ ('22:30-05:00' | homelab.cluster.harvest_window).on_calendar }}"   # *-*-* 22:30:00
'''

RETURN = r'''
_value:
  description: The window in numbers.
  type: dict
  contains:
    always:
      description: No window (the worker may run at any time).
      type: bool
    start_s:
      description: Seconds after local midnight the window opens.
      type: int
    end_s:
      description: Seconds after local midnight it closes.
      type: int
    duration_s:
      description: How long it is open.
      type: int
    days:
      description: Days it opens on, 0 for Monday.
      type: list
      elements: int
    on_calendar:
      description: The systemd OnCalendar expression of its start (null for always).
      type: str
    text:
      description: A short description, for example C(01:00-06:00 every day).
      type: str
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.homelab.cluster.plugins.module_utils._harvest._window import WindowError
from ansible_collections.homelab.cluster.plugins.module_utils._harvest._window import parse_window


def harvest_window(value, where='window'):
    try:
        return parse_window(value, where)
    except WindowError as exc:
        raise AnsibleFilterError('homelab.cluster.harvest_window: %s' % exc) from None


class FilterModule:
    def filters(self):
        return {'harvest_window': harvest_window}
