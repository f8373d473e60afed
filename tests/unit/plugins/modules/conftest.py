"""Run a module's main() in-process and return its JSON result."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args


@pytest.fixture
def run_module(capsys):
    def run(main, args, check_mode=False):
        if check_mode:
            args = dict(args, _ansible_check_mode=True)
        with patch_module_args(args), pytest.raises(SystemExit):
            main()
        return json.loads(capsys.readouterr().out)
    return run


@pytest.fixture
def truenas():
    """A factory of running TrueNAS doubles: truenas(release='26.0') -> Running (stopped after the test)."""
    from truenas_double import Running
    started = []

    def start(release='25.10.5', **kwargs):
        running = Running(release, **kwargs)
        started.append(running)
        return running
    yield start
    for running in started:
        running.stop()
