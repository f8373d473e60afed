"""Make ``ansible_collections.homelab.cluster`` importable from the repository checkout."""

import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
COLLECTIONS = os.path.join(ROOT, '.build', 'collections')
LINK = os.path.join(COLLECTIONS, 'ansible_collections', 'homelab', 'cluster')

if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(os.path.join('..', '..', '..', '..'), LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)


def _patch_module_args_shim():
    """ansible-core < 2.19 has no ansible.module_utils.testing: give the tests its patch_module_args, done the way
    those cores read module args (basic._ANSIBLE_ARGS), so the units run on 2.17 and 2.18 too (make test-cores)."""
    try:
        import ansible.module_utils.testing  # noqa: F401
        return
    except ImportError:
        pass
    import contextlib
    import json
    import types
    from unittest import mock

    from ansible.module_utils import basic

    @contextlib.contextmanager
    def patch_module_args(args=None):
        if not isinstance(args, (dict, type(None))):
            raise TypeError('The `args` arg must be a dict or None.')
        payload = json.dumps({'ANSIBLE_MODULE_ARGS': args or {}}).encode()
        with mock.patch.object(basic, '_ANSIBLE_ARGS', payload):
            yield

    shim = types.ModuleType('ansible.module_utils.testing')
    shim.patch_module_args = patch_module_args
    sys.modules['ansible.module_utils.testing'] = shim


_patch_module_args_shim()
