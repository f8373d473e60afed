"""Offline stand-in for the get-pip bootstrap script that ansible-test downloads.

ansible-test creates an empty virtual environment per sanity test and runs this script with pip-install
arguments (``--disable-pip-version-check pip==X ...``). The real script comes from a host this machine cannot
reach; this one installs the pip wheel that CPython bundles (ensurepip), then lets that pip install the
requested version from the configured package index.
"""

import ensurepip
import os
import subprocess
import sys

GET_PIP_ONLY = ('--no-setuptools', '--no-wheel')


def main():
    env = dict(os.environ)
    ensurepip.bootstrap(upgrade=True)  # sets PIP_CONFIG_FILE=/dev/null in os.environ; the install below must not
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    return subprocess.call([sys.executable, '-m', 'pip', 'install', *args], env=env)


if __name__ == '__main__':
    sys.exit(main())
