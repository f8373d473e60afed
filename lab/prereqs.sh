#!/usr/bin/env bash
# Install what the lab needs on a Debian/Ubuntu machine, only when it is missing. Run as root or via sudo.
# Exit 2 with a clear message when the machine cannot provide it.
set -euo pipefail

# chromium: headless, to render the power report the way a browser shows it (make test)
# gcc: builds the lab's uptime shim for slurmd in the compute containers (lab/slurm/fakeuptime.c)
# gpg: molecule/vault encrypts the unseal keys to a key made for the test and reads them back (check-log)
# curl: the harvester's shell worker in its loopback test, and the baseline of bench/harvester.py
need_cmds=(podman runc debootstrap ssh ssh-keygen python3 chromium gcc gpg curl)
declare -A pkg_of=([podman]=podman [runc]=runc [debootstrap]=debootstrap [ssh]=openssh-client
                   [ssh-keygen]=openssh-client [python3]=python3 [chromium]=chromium [gcc]=gcc [gpg]=gnupg [curl]=curl)
extra_pkgs=(netavark aardvark-dns iptables uidmap python3-venv libc6-dev)

missing=()
for cmd in "${need_cmds[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkg_of[$cmd]}")
done
for pkg in "${extra_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done

if ((${#missing[@]})); then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "lab: missing ${missing[*]} and this is not a Debian/Ubuntu machine (no apt-get); install them by hand" >&2
    exit 2
  fi
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "lab: need root (or sudo) to install: ${missing[*]}" >&2; exit 2; }
    SUDO=(sudo)
  fi
  mapfile -t uniq < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "lab: installing ${uniq[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq || { echo "lab: apt-get update failed; cannot install ${uniq[*]}" >&2; exit 2; }
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${uniq[@]}" >/dev/null \
    || { echo "lab: apt-get install ${uniq[*]} failed" >&2; exit 2; }
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "lab: the lab runs rootful podman (fixed IPs and MACs on bridges); run make lab as root or with sudo" >&2
  exit 2
fi
podman_version=$(podman version --format '{{.Client.Version}}' 2>/dev/null || true)
case "$podman_version" in
  ''|[0-3].*) echo "lab: podman >= 4 is required, found '${podman_version:-none}'" >&2; exit 2 ;;
esac
