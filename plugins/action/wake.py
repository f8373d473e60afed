# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of homelab.cluster.wake: the sleeping host's inventory facts become the module's defaults."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

# module option <- key of the target's homelab_wake host var
FROM_WAKE = {'mac': 'mac', 'boot_s': 'boot_s', 'ready_port': 'ready_port'}


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
        if target not in hostvars:
            raise AnsibleActionFail('homelab.cluster.wake: target %r is not an inventory host' % target)
        host = hostvars[target]
        wake = host.get('homelab_wake') or {}
        if not isinstance(wake, dict):
            raise AnsibleActionFail('homelab.cluster.wake: %s.homelab_wake: expected a mapping, got %r'
                                    % (target, wake))
        method = wake.get('method', 'wol')
        if method != 'wol' and given.get('state', 'ready') == 'ready' and given.get('send', True):
            raise AnsibleActionFail('homelab.cluster.wake: %s.homelab_wake.method is %r, not wol: it cannot be '
                                    'woken by a magic packet (set wake.method: wol and its mac in the hardware '
                                    'file)' % (target, method))
        address = host.get('homelab_wake_address') or host.get('ansible_host') or target
        defaults = {'name': target, 'address': address}
        for option, key in FROM_WAKE.items():
            if wake.get(key) is not None:
                defaults[option] = wake[key]
        if host.get('homelab_wake_secureon'):
            defaults['secureon'] = host['homelab_wake_secureon']
        defaults.pop('target', None)
        return {k: v for k, v in defaults.items() if given.get(k) is None} | {'target': target}
