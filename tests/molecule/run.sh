#!/usr/bin/env bash
# Run every molecule scenario (molecule/<role>/) with the shared harness in .config/molecule/config.yml.
# Needs the lab images (make molecule builds them first) and CONTAINERS_CONF (the Makefile exports it).
# MOLECULE_SCENARIOS="baseline" limits the run. Each scenario runs check mode on its fresh hosts and proves it
# changed nothing (.config/molecule/fresh_host.yml says how a scenario adds its API state). A scenario that needs
# a podman network with a fixed subnet (molecule's podman driver cannot set one) names it in
# molecule/<scenario>/network as "NAME SUBNET"; it is created before the scenario and removed after it.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${CONTAINERS_CONF:?export CONTAINERS_CONF (make molecule does: lab/containers.conf)}"
scenarios=${MOLECULE_SCENARIOS:-$(cd molecule && ls -d */ | tr -d /)}
failed=()
# every scenario's fresh-host check (.config/molecule/fresh_host.yml) compares two fingerprints: first prove
# the fingerprint sees each kind of change, or an equal pair of them would prove nothing
echo "== fresh-host fingerprint self-test"
tests/molecule/fresh_host_selftest.sh || failed+=("fresh-host self-test")
for scenario in $scenarios; do
  echo "== molecule test -s $scenario"
  net=()
  if [ -f "molecule/$scenario/network" ]; then
    read -r -a net < "molecule/$scenario/network"
    podman network rm -f "${net[0]}" >/dev/null 2>&1 || true
    podman network create --label homelab.molecule=1 --subnet "${net[1]}" "${net[0]}" >/dev/null
  fi
  # the whole output is kept: a scenario with a check-log script (molecule/vault) checks it for leaked secrets
  mkdir -p .build
  if ! molecule test -s "$scenario" 2>&1 | tee ".build/molecule-$scenario.log"; then
    failed+=("$scenario")
  elif [ -x "molecule/$scenario/check-log" ] && ! "molecule/$scenario/check-log" ".build/molecule-$scenario.log"; then
    failed+=("$scenario (check-log)")
  fi
  if ((${#net[@]})); then
    podman network rm -f "${net[0]}" >/dev/null 2>&1 || true
  fi
done
if ((${#failed[@]})); then
  echo "molecule: failed scenarios: ${failed[*]}" >&2
  exit 1
fi
echo "molecule: all scenarios passed ($(echo $scenarios))"
