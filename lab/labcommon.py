"""Shared pieces of the lab driver: paths, the podman/shell runner, errors."""

import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
LAB = os.path.join(ROOT, 'lab')
BUILD = os.path.join(ROOT, '.build', 'lab')
LABEL = 'homelab.lab'


class LabError(Exception):
    pass


def log(message):
    print('lab: %s' % message, flush=True)


def sh(*cmd, check=True):
    proc = subprocess.run(list(cmd), capture_output=True, text=True, check=False)
    if check and proc.returncode:
        raise LabError('%s failed (rc %d): %s' % (' '.join(cmd), proc.returncode,
                                                  (proc.stderr or proc.stdout or '').strip()[-2000:]))
    return proc


def podman(*args, check=True):
    return sh('podman', *args, check=check)


def inventory_views(listing):
    """`ansible-inventory --list` JSON -> {host: its host view}: the lab reads host vars the way the collection's
    plugins do, through homelab.cluster's one reader (plugins/module_utils/_hostview.py)."""
    collections = os.path.join(ROOT, '.build', 'collections')
    link = os.path.join(collections, 'ansible_collections', 'homelab', 'cluster')
    if not os.path.exists(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(os.path.join('..', '..', '..', '..'), link)
    if collections not in sys.path:
        sys.path.insert(0, collections)
    from ansible_collections.homelab.cluster.plugins.module_utils._hostview import host_view

    hostvars = {name: _plain(v) for name, v in listing['_meta']['hostvars'].items()}
    groups = {}
    for group, members in listing.items():
        for name in members.get('hosts', []) if group != '_meta' else []:
            hostvars[name].setdefault('group_names', []).append(group)
            groups.setdefault(group, []).append(name)
    return {name: host_view(name, hv, groups) for name, hv in hostvars.items()}


def _plain(value):
    if isinstance(value, dict):
        if set(value) == {'__ansible_unsafe'}:
            return value['__ansible_unsafe']
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
