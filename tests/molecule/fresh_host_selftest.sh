#!/usr/bin/env bash
# Proves the fresh-host fingerprint (.config/molecule/fresh_host.sh) sees each kind of change check mode must not
# make: a file written, a mode changed, a unit disabled, a service stopped, a package removed. One throwaway
# container of the lab image without Python; run by tests/molecule/run.sh before the scenarios.
set -euo pipefail
cd "$(dirname "$0")/../.."
name=homelab-fresh-selftest
script=$(cat .config/molecule/fresh_host.sh)
podman rm -f "$name" >/dev/null 2>&1 || true
trap 'podman rm -f "$name" >/dev/null 2>&1 || true' EXIT
podman run -d --name "$name" --network none localhost/homelab-lab-nopy:current /sbin/init >/dev/null
for _ in $(seq 30); do
  state=$(podman exec "$name" systemctl is-system-running 2>/dev/null || true)
  case $state in running|degraded) break ;; esac
  sleep 1
done
print() { podman exec "$name" sh -c "$script"; }
before=$(print)
[ "$(print)" = "$before" ] || { echo "fresh-host selftest: two fingerprints of an idle host differ" >&2; exit 1; }
failed=0
change() {  # change WHAT COMMAND EXPECTED-LINE-PATTERN
  podman exec "$name" sh -c "$2"
  local after changes
  after=$(print)
  changes=$(diff <(echo "$before") <(echo "$after") || true)
  if grep -Eq -- "$3" <<<"$changes"; then
    echo "fresh-host selftest: sees $1"
  else
    echo "fresh-host selftest: MISSES $1" >&2
    failed=1
  fi
  before=$after
}
change 'a file written under /etc' 'echo x > /etc/homelab-selftest' '^> [0-9a-f]{64}  /etc/homelab-selftest$'
change 'a mode changed' 'chmod 0600 /etc/homelab-selftest' '^> f 600 root:root /etc/homelab-selftest $'
change 'a unit disabled' 'systemctl disable --quiet e2scrub_all.timer' '^> e2scrub_all.timer disabled$'
change 'a service stopped' 'systemctl stop ssh.service' '^< ssh.service loaded active running$'
change 'a file under /usr/local' 'mkdir -p /usr/local/sbin && echo y > /usr/local/sbin/homelab-x' '/usr/local/sbin/homelab-x'
change 'a package removed' 'dpkg --remove --force-depends --force-remove-essential e2fsprogs >/dev/null 2>&1' '^< e2fsprogs '
exit $failed
