"""The gaming_info action plugin: the raw commands it sends over the connection (a Windows rig over OpenSSH has
no Python) and what it makes of their answers. The connection is a stand-in that answers like the tools; the
outputs are written from the documented formats (see test_gaming.py), not recorded on a real rig."""

from unittest import mock

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.homelab.cluster.plugins.action.gaming_info import NVIDIA
from ansible_collections.homelab.cluster.plugins.action.gaming_info import ActionModule

TASKLIST = '"System","4","Services","0","9,876 K"\r\n"steam.exe","5120","Console","1","182,440 K"\r\n' \
           '"eldenring.exe","9012","Console","1","7,201,332 K"\r\n"python.exe","7000","Console","1","812,000 K"\r\n'
APPS = ('9012, C:\\Games\\ELDEN RING\\Game\\eldenring.exe, 6144\r\n'
        '7000, C:\\Users\\ai\\venv\\Scripts\\python.exe, 9216\r\n')
PS = '    1 systemd\n  812 sshd\n 4242 ollama\n'
POWERSHELL = ('powershell -NoProfile -NonInteractive -Command '
              '"Get-Process | Select-Object Name,Id | ConvertTo-Json -Compress"')
RIG = {'inventory_hostname': 'rig', 'homelab_tier': 'modern', 'homelab_hardware': {'os': 'windows'}}


def action(args, answers):
    """The plugin with a task of these args; answers: command -> (rc, stdout, stderr). Returns it and the log."""
    task = mock.MagicMock(args=args, async_val=0, check_mode=False, action='homelab.cluster.gaming_info')
    connection = mock.MagicMock()
    connection._shell.tmpdir = '/tmp/homelab-test'
    plugin = ActionModule(task, connection, mock.MagicMock(), mock.MagicMock(), mock.MagicMock(), None)
    sent = []

    def execute(cmd, **kwargs):
        sent.append(cmd)
        rc, out, err = answers.get(cmd, (127, '', '%s: not found' % cmd.split()[0]))
        return {'rc': rc, 'stdout': out, 'stderr': err}
    plugin._low_level_execute_command = execute
    return plugin, sent


def test_windows_game_found_and_the_cluster_process_named():
    plugin, sent = action({'games': ['eldenring.exe'], 'cluster_processes': ['python.exe']},
                          {'tasklist /FO CSV /NH': (0, TASKLIST, ''), NVIDIA: (0, APPS, '')})
    result = plugin.run(task_vars=RIG)
    assert sent == ['tasklist /FO CSV /NH', NVIDIA]
    assert (result['gaming'], result['games'], result['source'], result['gpu_source']) == (
        True, ['eldenring.exe'], 'tasklist', 'nvidia-smi')
    assert result['cluster_gpu_apps'] == [{'pid': 7000, 'name': 'python.exe', 'path':
                                           'C:\\Users\\ai\\venv\\Scripts\\python.exe', 'used_mib': 9216}]
    assert result['ansible_facts'] == {'homelab_gaming': True}
    assert (result['changed'], result['process_count']) == (False, 4)
    assert result['msg'] == 'rig: game processes running: eldenring.exe; games on the GPU: eldenring.exe'


def test_linux_uses_ps_and_lives_without_nvidia_smi():
    plugin, sent = action({}, {'ps -eo pid=,comm=': (0, PS, '')})
    result = plugin.run(task_vars={'inventory_hostname': 'frame', 'ansible_os_family': 'Debian'})
    assert sent == ['ps -eo pid=,comm=', NVIDIA]
    assert (result['gaming'], result['source'], result['gpu_source'], result['gpu_apps']) == (
        False, 'ps', 'nvidia-smi unavailable (rc 127)', [])
    assert result['ansible_facts'] == {'homelab_gaming': False}
    assert result['msg'] == 'frame: no game running (3 processes, 0 GPU processes checked against 4 patterns)'


def test_the_default_games_and_powershell():
    plugin, sent = action({'source': 'powershell', 'gpu': False},
                          {POWERSHELL: (0, '[{"Name":"EasyAntiCheat_EOS","Id":6400}]', '')})
    result = plugin.run(task_vars=RIG)
    assert sent == [POWERSHELL]  # gpu: false asks no nvidia-smi
    assert (result['gaming'], result['games'], result['gpu_source']) == (True, ['EasyAntiCheat_EOS.exe'], 'not asked')
    plugin, _sent = action({'source': 'powershell', 'gpu': False, 'default_games': False},
                           {POWERSHELL: (0, '[{"Name":"EasyAntiCheat_EOS","Id":6400}]', '')})
    assert plugin.run(task_vars=RIG)['gaming'] is False


@pytest.mark.parametrize('args, answers, message', [
    ({}, {'tasklist /FO CSV /NH': (1, '', 'ERROR: Access denied')},
     r'homelab.cluster.gaming_info: tasklist /FO CSV /NH failed on rig \(rc 1\): ERROR: Access denied'),
    ({}, {'tasklist /FO CSV /NH': (0, 'Image Name   PID\r\n', '')},
     'homelab.cluster.gaming_info on rig: tasklist: unexpected row'),
    ({}, {'tasklist /FO CSV /NH': (0, TASKLIST, ''), NVIDIA: (0, 'garbage\n', '')},
     'homelab.cluster.gaming_info on rig: nvidia-smi: unexpected line'),
    ({'source': 'dos'}, {}, 'homelab.cluster.gaming_info: value of source must be one of'),
    ({'games': 'eldenring.exe', 'gpu': 'maybe'}, {}, 'homelab.cluster.gaming_info: .*gpu'),
])
def test_failures_name_the_host_and_the_command(args, answers, message):
    plugin, _sent = action(args, answers)
    with pytest.raises(AnsibleActionFail, match=message):
        plugin.run(task_vars=RIG)
