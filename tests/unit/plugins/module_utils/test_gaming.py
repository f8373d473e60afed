"""The gaming guard's parsing. Windows cannot run here: these outputs are written from the documented formats
of tasklist /FO CSV /NH, Get-Process | ConvertTo-Json and nvidia-smi --query-compute-apps, not recorded on a
real rig."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils import _gaming as g
from ansible_collections.homelab.cluster.plugins.module_utils._gaming import GamingError

TASKLIST = '''"System Idle Process","0","Services","0","8 K"
"System","4","Services","0","9,876 K"
"steam.exe","5120","Console","1","182,440 K"
"steamwebhelper.exe","5388","Console","1","61,204 K"
"eldenring.exe","9012","Console","1","7,201,332 K"
"GameOverlayUI.exe","9100","Console","1","24,112 K"
"python.exe","7000","Console","1","812,000 K"
'''
GET_PROCESS = '[{"Name":"steam","Id":5120},{"Name":"EasyAntiCheat_EOS","Id":6400},{"Name":"explorer","Id":3000}]'
COMPUTE_APPS = '''9012, C:\\Games\\ELDEN RING\\Game\\eldenring.exe, 6144
7000, C:\\Users\\ai\\venv\\Scripts\\python.exe, 9216
'''


def test_tasklist():
    processes = g.parse_tasklist(TASKLIST)
    assert processes[2] == {'name': 'steam.exe', 'pid': 5120}
    assert len(processes) == 7
    assert g.parse_tasklist('INFO: No tasks are running which match the specified criteria.\r\n') == []
    with pytest.raises(GamingError, match='tasklist: unexpected row'):
        g.parse_tasklist('Image Name                     PID Session Name\n')


def test_get_process():
    assert g.parse_get_process(GET_PROCESS)[1] == {'name': 'EasyAntiCheat_EOS.exe', 'pid': 6400}
    assert g.parse_get_process('{"Name":"steam","Id":5120}') == [{'name': 'steam.exe', 'pid': 5120}]
    assert g.parse_get_process('') == []
    for bad in ('<html>', '[{"ProcessName": "x"}]'):
        with pytest.raises(GamingError, match='Get-Process'):
            g.parse_get_process(bad)


def test_ps_and_compute_apps():
    assert g.parse_ps('    1 systemd\n 4242 steam\n') == [{'name': 'systemd', 'pid': 1}, {'name': 'steam', 'pid': 4242}]
    apps = g.parse_compute_apps(COMPUTE_APPS)
    assert apps[0] == {'pid': 9012, 'name': 'eldenring.exe', 'path': 'C:\\Games\\ELDEN RING\\Game\\eldenring.exe',
                       'used_mib': 6144}
    assert g.parse_compute_apps('No running processes found\n') == []
    assert g.parse_compute_apps('') == []
    with pytest.raises(GamingError, match='nvidia-smi: unexpected line'):
        g.parse_compute_apps('[Not Supported]\n')


def test_a_running_game_is_found_and_the_cluster_work_named():
    result = g.verdict(g.parse_tasklist(TASKLIST), g.parse_compute_apps(COMPUTE_APPS), ['eldenring.exe'],
                       ['python.exe'])
    assert result['gaming'] is True
    assert result['games'] == ['eldenring.exe']
    assert [a['pid'] for a in result['cluster_gpu_apps']] == [7000]
    assert result['reasons'] == ['game processes running: eldenring.exe', 'games on the GPU: eldenring.exe']
    with_defaults = g.verdict(g.parse_tasklist(TASKLIST), [], ['eldenring.exe'] + list(g.DEFAULT_GAMES))
    assert with_defaults['games'] == ['GameOverlayUI.exe', 'eldenring.exe']


def test_defaults_catch_anti_cheat_and_the_overlay_not_launchers():
    assert g.verdict(g.parse_get_process(GET_PROCESS), None, g.DEFAULT_GAMES)['games'] == ['EasyAntiCheat_EOS.exe']
    idle = g.verdict([{'name': 'steam.exe', 'pid': 1}, {'name': 'steamwebhelper.exe', 'pid': 2}], [], g.DEFAULT_GAMES)
    assert idle['gaming'] is False
    assert idle['reasons'] == ['no game running (2 processes, 0 GPU processes checked against 4 patterns)']


def test_a_game_seen_only_on_the_gpu():
    result = g.verdict([], g.parse_compute_apps(COMPUTE_APPS), ['ELDENRING.EXE'])
    assert result['gaming'] and result['reasons'] == ['games on the GPU: eldenring.exe']
