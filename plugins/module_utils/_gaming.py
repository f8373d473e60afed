# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is somebody playing? Process lists and GPU processes of the volatile host, parsed without I/O.

PRIVATE to the homelab.cluster collection; its API may change without notice.

Formats (as the tools print them):
    tasklist /FO CSV /NH        "steam.exe","1234","Console","1","123,456 K"
    Get-Process | Select-Object Name,Id | ConvertTo-Json -Compress     [{"Name":"steam","Id":1234},...]
                                                                       (a single object when one process)
    ps -eo pid=,comm=           "  1234 steam"
    nvidia-smi --query-compute-apps=pid,process_name,used_memory --format=csv,noheader,nounits
                                "1234, C:\\Games\\game.exe, 5120"
"""

from __future__ import annotations

import csv
import fnmatch
import io
import json
import re

# Processes that mean a game is running (not just a launcher idling in the tray); users extend the list.
DEFAULT_GAMES = (
    'GameOverlayUI.exe',      # Steam's in-game overlay: only while a game runs
    'EasyAntiCheat*.exe', 'BEService.exe', 'vgc.exe',  # anti-cheat services start with their game
)


class GamingError(ValueError):
    """Output the gaming guard cannot read; the message names the tool."""


def parse_tasklist(text):
    """tasklist /FO CSV /NH -> [{'name', 'pid'}]. 'INFO: No tasks are running...' gives []."""
    processes = []
    for row in csv.reader(io.StringIO(text)):
        if not row or row[0].startswith('INFO:'):
            continue
        if len(row) < 2 or not row[1].strip().isdigit():
            raise GamingError('tasklist: unexpected row %r (expected "Image Name","PID",...)' % (row,))
        processes.append({'name': row[0], 'pid': int(row[1])})
    return processes


def parse_get_process(text):
    """Get-Process | Select-Object Name,Id | ConvertTo-Json -> [{'name', 'pid'}] (names get '.exe')."""
    text = text.strip()
    if not text:
        return []
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise GamingError('Get-Process: not JSON (%s)' % exc) from None
    if isinstance(data, dict):
        data = [data]
    out = []
    for item in data:
        if not isinstance(item, dict) or 'Name' not in item or 'Id' not in item:
            raise GamingError('Get-Process: expected objects with Name and Id, got %r' % (item,))
        name = str(item['Name'])
        out.append({'name': name if name.lower().endswith('.exe') else name + '.exe', 'pid': int(item['Id'])})
    return out


def parse_ps(text):
    """ps -eo pid=,comm= -> [{'name', 'pid'}]."""
    out = []
    for line in text.splitlines():
        match = re.match(r'^\s*(\d+)\s+(.+?)\s*$', line)
        if match:
            out.append({'name': match.group(2), 'pid': int(match.group(1))})
    return out


def parse_compute_apps(text):
    """nvidia-smi --query-compute-apps=pid,process_name,used_memory --format=csv,noheader,nounits."""
    apps = []
    for line in text.splitlines():
        if not line.strip() or line.startswith('No running'):
            continue
        parts = [p.strip() for p in line.split(',')]
        if len(parts) < 3 or not parts[0].isdigit():
            raise GamingError('nvidia-smi: unexpected line %r (expected pid, process_name, used_memory)' % line)
        name = re.split(r'[\\/]', parts[1])[-1]
        apps.append({'pid': int(parts[0]), 'name': name, 'path': parts[1],
                     'used_mib': int(parts[2]) if parts[2].isdigit() else None})
    return apps


def _matches(name, patterns):
    return any(fnmatch.fnmatch(name.lower(), p.lower()) for p in patterns)


def verdict(processes, gpu_apps, games, cluster_processes=()):
    """{'gaming', 'games', 'cluster_gpu_apps', 'reasons'}: a game is running when a process or a GPU
    process matches games; cluster_processes name the cluster's own GPU work, which a game pre-empts."""
    games = list(games)
    found = sorted({p['name'] for p in processes if _matches(p['name'], games)})
    gpu_games = sorted({a['name'] for a in gpu_apps or [] if _matches(a['name'], games)})
    cluster = [a for a in gpu_apps or [] if _matches(a['name'], cluster_processes)]
    reasons = []
    if found:
        reasons.append('game processes running: %s' % ', '.join(found))
    if gpu_games:
        reasons.append('games on the GPU: %s' % ', '.join(gpu_games))
    if not reasons:
        reasons.append('no game running (%d processes, %d GPU processes checked against %d patterns)'
                       % (len(processes), len(gpu_apps or []), len(games)))
    return {'gaming': bool(found or gpu_games), 'games': sorted(set(found + gpu_games)),
            'cluster_gpu_apps': cluster, 'reasons': reasons}
