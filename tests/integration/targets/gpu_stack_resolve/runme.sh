#!/usr/bin/env bash
# gpu_stack's package selection resolved by apt in lab containers of Debian 12 and Debian 13 against the real
# Debian archive (and signed copies of NVIDIA's and AMD's recorded metadata): see resolve.py. Needs podman,
# debootstrap (lab/prereqs.sh), gpg (installed here when missing), dpkg-deb and deb.debian.org.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../../.." && pwd)
# gpg signs the recorded repositories; lab/prereqs.sh brings podman and debootstrap
if ! command -v gpg >/dev/null; then
  command -v apt-get >/dev/null || { echo "gpu_stack_resolve: gpg is missing; install gnupg" >&2; exit 2; }
  echo "gpu_stack_resolve: installing gnupg"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gnupg >/dev/null \
    || { echo "gpu_stack_resolve: apt-get install gnupg failed" >&2; exit 2; }
fi
for cmd in podman debootstrap gpg dpkg-deb; do
  command -v "$cmd" >/dev/null || { echo "gpu_stack_resolve: $cmd is missing (lab/prereqs.sh installs it)" >&2; exit 2; }
done
: "${CONTAINERS_CONF:?export CONTAINERS_CONF (the Makefile does: lab/containers.conf)}"
exec python3 "$root/tests/integration/targets/gpu_stack_resolve/resolve.py" "$@"
