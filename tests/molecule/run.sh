#!/usr/bin/env bash
# Run every molecule scenario (molecule/<role>/) with the shared harness in .config/molecule/config.yml.
# Needs the lab images (make molecule builds them first) and CONTAINERS_CONF (the Makefile exports it).
# MOLECULE_SCENARIOS="baseline" limits the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${CONTAINERS_CONF:?export CONTAINERS_CONF (make molecule does: lab/containers.conf)}"
scenarios=${MOLECULE_SCENARIOS:-$(cd molecule && ls -d */ | tr -d /)}
failed=()
for scenario in $scenarios; do
  echo "== molecule test -s $scenario"
  if ! molecule test -s "$scenario"; then
    failed+=("$scenario")
  fi
done
if ((${#failed[@]})); then
  echo "molecule: failed scenarios: ${failed[*]}" >&2
  exit 1
fi
echo "molecule: all scenarios passed ($(echo $scenarios))"
