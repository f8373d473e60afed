# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of homelab.cluster.gaming_info: runs raw commands over the connection, so it works on a
Windows host over OpenSSH without Python, and parses their output on the controller."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.homelab.cluster.plugins.module_utils._gaming import DEFAULT_GAMES
from ansible_collections.homelab.cluster.plugins.module_utils._gaming import GamingError
from ansible_collections.homelab.cluster.plugins.module_utils._gaming import parse_compute_apps
from ansible_collections.homelab.cluster.plugins.module_utils._gaming import parse_get_process
from ansible_collections.homelab.cluster.plugins.module_utils._gaming import parse_ps
from ansible_collections.homelab.cluster.plugins.module_utils._gaming import parse_tasklist
from ansible_collections.homelab.cluster.plugins.module_utils._gaming import verdict
from ansible_collections.homelab.cluster.plugins.module_utils._hostview import HostViewError
from ansible_collections.homelab.cluster.plugins.module_utils._hostview import host_view

COMMANDS = {
    'tasklist': ('tasklist /FO CSV /NH', parse_tasklist),
    'powershell': ('powershell -NoProfile -NonInteractive -Command '
                   '"Get-Process | Select-Object Name,Id | ConvertTo-Json -Compress"', parse_get_process),
    'ps': ('ps -eo pid=,comm=', parse_ps),
}
NVIDIA = 'nvidia-smi --query-compute-apps=pid,process_name,used_memory --format=csv,noheader,nounits'
SPEC = {
    'games': {'type': 'list', 'elements': 'str', 'default': []},
    'default_games': {'type': 'bool', 'default': True},
    'cluster_processes': {'type': 'list', 'elements': 'str', 'default': []},
    'source': {'type': 'str', 'default': 'auto', 'choices': ['auto', 'tasklist', 'powershell', 'ps']},
    'gpu': {'type': 'bool', 'default': True},
}


class ActionModule(ActionBase):

    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        validated = ArgumentSpecValidator(SPEC).validate(self._task.args)
        if validated.error_messages:
            raise AnsibleActionFail('homelab.cluster.gaming_info: %s' % '; '.join(validated.error_messages))
        args = validated.validated_parameters
        source = args['source']
        if source == 'auto':
            name = task_vars.get('inventory_hostname')
            try:
                view = host_view(name, task_vars)
            except HostViewError as exc:
                raise AnsibleActionFail('homelab.cluster.gaming_info: %s' % exc) from None
            os_name = view['os'] if view['classified'] else task_vars.get('ansible_os_family', '')
            source = 'tasklist' if str(os_name).lower() == 'windows' else 'ps'
        command, parser = COMMANDS[source]
        games = list(args['games']) + (list(DEFAULT_GAMES) if args['default_games'] else [])
        listing = self._low_level_execute_command(command)
        if listing['rc'] != 0:
            raise AnsibleActionFail('homelab.cluster.gaming_info: %s failed on %s (rc %s): %s'
                                    % (command, task_vars.get('inventory_hostname'), listing['rc'],
                                       (listing.get('stderr') or listing.get('stdout') or '').strip()[:500]))
        gpu_apps, gpu_note = None, 'not asked'
        try:
            processes = parser(listing['stdout'])
            if args['gpu']:
                smi = self._low_level_execute_command(NVIDIA)
                if smi['rc'] == 0:
                    gpu_apps, gpu_note = parse_compute_apps(smi['stdout']), 'nvidia-smi'
                else:
                    gpu_note = 'nvidia-smi unavailable (rc %s)' % smi['rc']
        except GamingError as exc:
            raise AnsibleActionFail('homelab.cluster.gaming_info on %s: %s'
                                    % (task_vars.get('inventory_hostname'), exc)) from exc
        found = verdict(processes, gpu_apps, games, args['cluster_processes'])
        result.update(found, changed=False, source=source, gpu_source=gpu_note, process_count=len(processes),
                      gpu_apps=gpu_apps or [], ansible_facts={'homelab_gaming': found['gaming']},
                      msg='%s: %s' % (task_vars.get('inventory_hostname'), '; '.join(found['reasons'])))
        return result
