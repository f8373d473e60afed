#!/usr/bin/env bash
# The tiers inventory with its live Proxmox VE source against the PVE API DOUBLE (lab/doubles/pve_api.py) holding
# the seeds' 3-node cluster: forge with the three GPUs, pve2, pve3 offline; guests with passthrough (raw and through
# a resource mapping), a guest created moments ago (no name, status unknown), tags as one string, a pool, an agent
# that is not running, an agent just after boot, an lxc, a template. Checks groups, tiers, roles, the guests' GPUs,
# homelab_proxmox, the warnings, the request counts, TLS verification and the PVE 9 agent privilege.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
py="$root/.venv/bin/python"
work=$(mktemp -d)
port=18630
cleanup() { test -f "$work/pid" && kill "$(cat "$work/pid")" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$py" "$root/lab/doubles/pve_fixtures.py" inventory "$work/state.json"
"$py" "$root/lab/doubles/pve_api.py" "$work/state.json" --port $port --tls-dir "$work" > "$work/double.log" 2>&1 &
echo $! > "$work/pid"
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
mkdir -p "$work/inv"
cp "$here/files/hardware.yml" "$work/hardware.yml"
write() {  # name facts token
  cat > "$work/inv/$1.tiers.yml" <<YAML
plugin: homelab.cluster.tiers
hardware: ../hardware.yml
proxmox_url: [https://127.0.0.1:1, https://127.0.0.1:$port]
proxmox_token_id: homelab@pve!$3
proxmox_ca_path: $work/pve-double.crt
proxmox_facts: $2
YAML
}
export ANSIBLE_CONFIG="$root/ansible.cfg" ANSIBLE_COLLECTIONS_PATH="$root/.build/collections"
list() {  # config secret -> json on stdout, warnings in $work/<config>.err
  "$py" "$here/stats.py" "$port" reset > /dev/null
  PROXMOX_TOKEN_SECRET=$2 "$root/.venv/bin/ansible-inventory" -i "$work/inv/$1.tiers.yml" --list 2> "$work/$1.err"
  "$py" "$here/stats.py" "$port" > "$work/$1.stats"
}
write facts '[config, agent]' inventory
write plain '[]' inventory
write pve8 '[agent]' pve8
list facts 11111111-2222-3333-4444-555555555555 > "$work/facts.json"
list plain 11111111-2222-3333-4444-555555555555 > "$work/plain.json"
list pve8 66666666-7777-8888-9999-000000000000 > "$work/pve8.json"
rm "$work/inv/"*.yml
write tls '[]' inventory
sed -i '/proxmox_ca_path/d' "$work/inv/tls.tiers.yml"
list tls 11111111-2222-3333-4444-555555555555 > "$work/tls.json"
"$py" "$here/check.py" "$work"
