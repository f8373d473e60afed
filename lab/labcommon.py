"""Shared pieces of the lab driver: paths, the podman/shell runner, errors."""

import os
import subprocess

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


def _plain(value):
    if isinstance(value, dict):
        if set(value) == {'__ansible_unsafe'}:
            return value['__ansible_unsafe']
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
