# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Would a file on the controller outlive this run? Pure logic, no I/O (issue 22).

An AWX job, an ansible-navigator run and ansible-runner in a container run the playbook in an execution
environment whose file system is removed when the job ends; ansible-runner's private data dir is removed by AWX
and by most CI wrappers; /tmp and friends are emptied on reboot. A file that must outlive the run (the vault's
encrypted unseal keys) must not land in any of them unless the user says the place is kept (a mounted volume).

A controller that merely runs in a container (a dev container, CI) is not taken for ephemeral: its work tree is
usually a mounted volume, and nothing inside can tell which paths are. The caller (the
``homelab.cluster.ephemeral_path`` filter) resolves the path and reads the environment; this module only decides.
"""

from __future__ import annotations

import posixpath

# emptied on reboot (tmpfs) or by the system's tmp cleaners
TEMPORARY = ('/tmp', '/var/tmp', '/dev/shm', '/run', '/var/run')  # noqa: S108 - these are what we look for
# ansible-runner's private data dir inside an execution environment (AWX, ansible-navigator, runner --container)
RUNNER_EE_DIR = '/runner'


class EphemeralError(Exception):
    """An input the decision cannot use: ``field: expected ..., got ...``."""


def _inside(path, folder):
    folder = folder.rstrip('/') or '/'
    return path == folder or path.startswith(folder + '/')


def ephemeral(path, environ):
    """Why ``path`` (absolute, symlinks resolved) would be lost after this run, as a list of reasons.

    environ: the controller's environment (a mapping). An empty list means nothing here says it is lost (it may
    still be: only the user knows their volumes).
    """
    if not isinstance(path, str) or not path.startswith('/'):
        raise EphemeralError('path: expected an absolute path, got %r' % (path,))
    if not hasattr(environ, 'get'):
        raise EphemeralError('environ: expected a mapping of environment variables, got %r' % (environ,))
    path = posixpath.normpath(path)
    reasons = []
    artifacts = environ.get('AWX_ISOLATED_DATA_DIR') or ''
    in_ee = _inside(artifacts, RUNNER_EE_DIR) if artifacts else False
    if in_ee:
        reasons.append('this run is an AWX or ansible-runner job in an execution environment '
                       '(AWX_ISOLATED_DATA_DIR=%s): the container and everything written in it are removed when the '
                       'job ends' % artifacts)
    elif artifacts:
        private = posixpath.dirname(posixpath.dirname(artifacts.rstrip('/')))
        if private and _inside(path, private):
            reasons.append("%s is inside ansible-runner's private data dir %s, which AWX and CI remove after the job"
                           % (path, private))
    if environ.get('JOB_ID') and (environ.get('AWX_HOST') or environ.get('TOWER_HOST')) and not in_ee:
        reasons.append('this run is an AWX job (JOB_ID=%s): its execution environment is removed when the job ends'
                       % environ['JOB_ID'])
    if not in_ee and _inside(path, RUNNER_EE_DIR):
        reasons.append("%s is under %s, ansible-runner's private data dir in an execution environment"
                       % (path, RUNNER_EE_DIR))
    tmpdir = (environ.get('TMPDIR') or '').rstrip('/')
    for folder in TEMPORARY + ((tmpdir,) if tmpdir.startswith('/') and tmpdir not in TEMPORARY else ()):
        if _inside(path, folder):
            reasons.append('%s is in %s, a temporary directory emptied on reboot or by the system' % (path, folder))
            break
    return reasons
