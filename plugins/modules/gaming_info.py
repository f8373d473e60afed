#!/usr/bin/python
# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: gaming_info
short_description: Is a game running on the volatile host?
version_added: 0.1.0
description:
  - Lists the processes of the volatile host (the Windows gaming PC) and its GPU processes, then matches them
    against a list of games. It sets the fact C(homelab_gaming), which M(homelab.cluster.place) and the power
    guard respect.
  - It runs raw commands over the connection and parses their output on the controller, so it works on Windows
    over OpenSSH without Python, and on Linux. On Windows it uses C(tasklist /FO CSV /NH) or C(Get-Process)
    as JSON; on Linux it uses C(ps). For GPUs it uses
    C(nvidia-smi --query-compute-apps=pid,process_name,used_memory).
  - RV(cluster_gpu_apps) lists the cluster's own GPU work (O(cluster_processes)). A failsafe frees the GPU from
    it when a game starts (C(playbooks/gaming_guard.yml)).
  - This is an action plugin; this file holds its documentation.
author:
  - Homelab Cluster Team (@homelab-cluster)
options:
  games:
    description:
      - Process names or shell patterns (case-insensitive) that mean a game is running, for example C(eldenring.exe).
    type: list
    elements: str
    default: []
  default_games:
    description:
      - Also match the built-in list. That list holds processes that run only while a game runs (Steam's
        C(GameOverlayUI.exe) and anti-cheat services such as C(EasyAntiCheat*.exe)), not launchers that wait
        in the tray.
    type: bool
    default: true
  cluster_processes:
    description: Patterns of the cluster's own GPU processes (for example C(python.exe), C(ollama*.exe)).
    type: list
    elements: str
    default: []
  source:
    description: Where the process list comes from; V(auto) is V(tasklist) when the host's os is windows, else V(ps).
    type: str
    choices: [auto, tasklist, powershell, ps]
    default: auto
  gpu:
    description: Also read the GPU processes with nvidia-smi (skipped quietly when it is not there).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: [posix, windows]
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
extends_documentation_fragment:
  - action_common_attributes
  - action_common_attributes.flow
'''

EXAMPLES = r'''
- name: Is somebody playing on the rig?
  homelab.cluster.gaming_info:
    games: [eldenring.exe, "cs2.exe", "*Launcher-Win64-Shipping.exe"]
    cluster_processes: [python.exe, "ollama*.exe"]
  register: rig_gaming
'''

RETURN = r'''
gaming:
  description: Whether a game is running.
  returned: always
  type: bool
games:
  description: The game processes found.
  returned: always
  type: list
  elements: str
cluster_gpu_apps:
  description: GPU processes of the cluster's own work (pid, name, path, used_mib).
  returned: always
  type: list
  elements: dict
reasons:
  description: Why, in sentences.
  returned: always
  type: list
  elements: str
ansible_facts:
  description: C(homelab_gaming), for placement and the power guard.
  returned: always
  type: dict
'''
