# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of homelab.cluster.wake: the sleeping host's view (its inventory facts and wake settings)
becomes the module's defaults."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.homelab.cluster.plugins.module_utils._hostview import HostViewError
from ansible_collections.homelab.cluster.plugins.module_utils._hostview import host_views

# module option <- key of the target's wake facts (its host view)
FROM_WAKE = {'mac': 'mac', 'boot_s': 'boot_s', 'ready_port': 'ready_port'}
# module option <- the target's storm-guard settings in its view (homelab_wake_max_wakes, ...)
FROM_SETTINGS = {'max_wakes': 'wake_max_wakes', 'window_s': 'wake_window_s', 'min_off_s': 'wake_min_off_s',
                 'force': 'wake_force'}


class ActionModule(ActionBase):

    _VALID_ARGS = frozenset()  # the module's argument_spec validates

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        target = args.get('target')
        if target is None and self._task.delegate_to and not args.get('mac'):
            target = task_vars.get('inventory_hostname')
        if target is not None:
            args.update(self._defaults(target, task_vars, args))
        result.update(self._execute_module(module_name='homelab.cluster.wake', module_args=args,
                                           task_vars=task_vars))
        return result

    def _defaults(self, target, task_vars, given):
        hostvars = task_vars.get('hostvars', {})
        try:
            view = host_views(hostvars, [target])[0]
        except HostViewError as exc:
            raise AnsibleActionFail('homelab.cluster.wake: target %s' % exc) from None
        wake = view['wake']
        if wake['method'] != 'wol' and given.get('state', 'ready') == 'ready' and given.get('send', True):
            raise AnsibleActionFail('homelab.cluster.wake: %s.homelab_wake.method is %r, not wol: it cannot be '
                                    'woken by a magic packet (set wake.method: wol and its mac in the hardware '
                                    'file)' % (target, wake['method']))
        defaults = {'name': target, 'address': view['wake_address'] or view['address'] or target,
                    'secureon': view['wake_secureon']}
        for option, key in FROM_WAKE.items():
            defaults[option] = wake[key]
        for option, key in FROM_SETTINGS.items():
            defaults[option] = view[key]
        return {k: v for k, v in defaults.items() if v is not None and given.get(k) is None} | {'target': target}
