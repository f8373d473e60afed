#!/usr/bin/env bash
# Bring the Slurm cluster of molecule/slurm up (create, prepare, converge), run a command against it, and take
# it down again, whatever the command's result: bench/slurm_cluster.sh python bench/slurm_wake.py
set -euo pipefail
cd "$(dirname "$0")/.."
: "${CONTAINERS_CONF:?export CONTAINERS_CONF (make bench-slurm does: lab/containers.conf)}"
read -r -a net < molecule/slurm/network
down() {
  molecule cleanup -s slurm >/dev/null 2>&1 || true
  molecule destroy -s slurm >/dev/null 2>&1 || true
  podman network rm -f "${net[0]}" >/dev/null 2>&1 || true
}
trap down EXIT
down
podman network create --label homelab.molecule=1 --subnet "${net[1]}" "${net[0]}" >/dev/null
molecule create -s slurm
molecule prepare -s slurm
molecule converge -s slurm
"$@"
