#!/usr/bin/env bash
# The power guard as AWX runs it: ansible-runner with AWX's private data dir layout, three jobs in fresh private
# data dirs against two lab containers on homelab-molecule-awx (10.77.85.0/24), continuing from the state on the
# logic node; the vault init-file guard in a runner job. See runner_test.py. Needs podman and the lab images
# (make runner builds them first) and CONTAINERS_CONF (the Makefile exports it).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../../.." && pwd)
: "${CONTAINERS_CONF:?export CONTAINERS_CONF (make runner does: lab/containers.conf)}"
python3 -c 'import ansible_runner' 2>/dev/null || { echo "runner: ansible-runner is missing (make venv installs it)" >&2; exit 2; }
exec python3 "$(dirname "$0")/runner_test.py" "$root"
