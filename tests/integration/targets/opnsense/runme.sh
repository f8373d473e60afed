#!/usr/bin/env bash
# The seed's network derived from inventory/example and applied by playbooks/firewall.yml (the role
# homelab.cluster.opnsense) to the OPNsense API DOUBLE (lab/doubles/opnsense_api.py) on loopback, over HTTPS with
# a CA made for this run (TLS verification stays on):
#   no credentials -> skipped, nothing sent; bad input (VLAN tag 4095; an address outside its VLAN and two hosts
#   with one MAC, both named by one run) -> refused, nothing sent; check mode on an empty firewall -> the plan printed, nothing written;
#   apply -> one reconfigure per service, the backup 0600 before the first rule change; apply again -> changed=0,
#   reads only; a wrong secret -> 401 named; a rule change that locks the management address out -> the run fails
#   with the backup's path and the console steps; Kea instead of dnsmasq -> applied, then changed=0.
# Nothing but 127.0.0.1 is contacted: the API URL is the double's, the backup host is the controller.
# Runs that do not depend on each other's effects (the three that send nothing; opnsense_info and the wrong
# secret) run side by side. Every module runs on the controller: pipelined, one process per task instead of five.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../../.." && pwd)
here=$(cd "$(dirname "$0")" && pwd)
out="$root/.build/opnsense-it"
rm -rf "$out" && mkdir -p "$out/backups"
chmod 700 "$out/backups"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_PIPELINING=1
started=$(date +%s)

python3 "$root/lab/doubles/opnsense_api.py" make-ca "$out/tls"
key=it-key-$RANDOM$RANDOM secret=it-secret-$RANDOM$RANDOM$RANDOM
python3 "$root/lab/doubles/opnsense_api.py" serve --port 18510 --port-max 18598 --ports-file "$out/ports.json" \
  --tls-dir "$out/tls" --key "$key" --secret "$secret" >"$out/double.log" 2>&1 &
double=$!
trap 'kill $double 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$out/ports.json" ] && break; sleep 0.2; done
[ -s "$out/ports.json" ] || { cat "$out/double.log"; echo "opnsense: the double did not start" >&2; exit 1; }
api=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api"])' "$out/ports.json")
check() { python3 "$here/check.py" "$out/ports.json" "$@"; }

cat >"$out/vars.json" <<EOF
{"opnsense_api_url": "https://127.0.0.1:$api", "opnsense_api_key": "$key", "opnsense_api_secret": "$secret",
 "opnsense_ca_path": "$out/tls/ca.pem", "opnsense_backup_host": "localhost", "opnsense_backup_dir": "$out/backups",
 "opnsense_backup_become": false, "opnsense_confirm_timeout": 3}
EOF
failed=0
play() {  # play NAME [ansible-playbook args]: runs playbooks/firewall.yml on inventory/example, output in $out/NAME.log
  local name=$1; shift
  set +e
  ansible-playbook -i "$root/inventory/example" "$root/playbooks/firewall.yml" -e "@$out/vars.json" "$@" \
    >"$out/$name.log" 2>&1
  local rc=$?
  set -e
  echo "$rc" >"$out/$name.rc"
  return 0
}
expect() {  # expect NAME RC TEXT...: the run's exit status and texts in its output
  local name=$1 rc=$2; shift 2
  if [ "$(cat "$out/$name.rc")" = "$rc" ]; then echo "PASS $name: exit status $rc"
  else echo "FAIL $name: exit status $(cat "$out/$name.rc"), expected $rc (see $out/$name.log)"; failed=1; fi
  for text in "$@"; do
    if grep -qF -- "$text" "$out/$name.log"; then echo "PASS $name says: $text"
    else echo "FAIL $name does not say: $text"; failed=1; fi
  done
}
recap() {  # recap NAME: changed=N of the firewall host
  sed -n "s/^gate .*changed=\([0-9]*\).*/\1/p" "$out/$1.log"
}

echo "== no credentials: skipped with a reason; bad input is refused before anything is sent"
check clear-log
play no-credentials -e opnsense_api_key= -e opnsense_api_secret= & side=($!)
play bad-tag -e "@$here/files/bad_tag.yml" & side+=($!)
play bad-hosts -e "@$here/files/bad_hosts.yml" & side+=($!)
wait "${side[@]}"  # (not the double)
expect no-credentials 0 "skipped - no OPNsense API credentials"
expect bad-tag 2 "opnsense_networks[iot].tag: expected a VLAN tag 1-4094, got 4095"
expect bad-hosts 2 "2 problems in the network plan; nothing was sent to the firewall" \
  "opnsense_extra_hosts[printer].address: expected an address in iot's subnet 10.0.20.0/24, got 10.0.30.77" \
  "camera.mac: a8:a1:59:00:00:05 is also used by keeper"
check nothing-sent "no-credentials, bad-tag, bad-hosts" || failed=1

echo "== check mode on an empty firewall: the plan, nothing written"
play check --check --diff
expect check 0 "5 networks: management (VLAN 1, 10.0.1.0/24 on lan, untagged)" \
  "9 DHCP reservations, 10 DNS names, 15 aliases, 16 rules" "rule 1000 pass: role_logic -> any" \
  "rule 1060 block: iot -> private networks blocked" "rule 1150 pass: guest -> internet" \
  'create VLAN 40 on ixl0' 'create dnsmasq host keeper (a8:a1:59:00:00:05)' 'create host override keeper.home.arpa' \
  'create alias role_storage' 'create rule \"homelab: iot -> role_storage media\"' 'create IDS policy' \
  "Suricata netmap on wan, full tier"
check read-only check empty || failed=1
[ -z "$(ls -A "$out/backups")" ] && echo "PASS check: no backup written" || { echo "FAIL check wrote a backup"; failed=1; }

echo "== apply"
check clear-log
play apply
expect apply 0
check counters apply '{"interfaces/vlan_settings/reconfigure": 1, "firewall/alias/reconfigure": 1,
  "dnsmasq/service/reconfigure": 1, "unbound/service/reconfigure": 1, "firewall/filter/apply": 1,
  "ids/service/update_rules": 1, "ids/service/reconfigure": 1}' || failed=1
check objects apply '{"vlan": 4, "dnsmasq_host": 9, "unbound_host": 10, "alias": 15, "rule": 16, "ids_policy": 1}' \
  || failed=1
check backup-first "$out/backups" || failed=1
check snake-case || failed=1

echo "== apply again: changed=0, reads only"
check clear-log
play again
expect again 0 "nothing: the firewall already holds the plan"
[ "$(recap again)" = 0 ] && echo "PASS again: changed=0" || { echo "FAIL again: changed=$(recap again)"; failed=1; }
check read-only again || failed=1

echo "== opnsense_info reads back what the role made; a wrong secret is named"
play wrong-secret -e opnsense_api_secret=not-the-secret & side=($!)
python3 - "$out/vars.json" >"$out/info-args.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
print(json.dumps({'url': v['opnsense_api_url'], 'api_key': v['opnsense_api_key'], 'api_secret': v['opnsense_api_secret'],
                  'ca_path': v['opnsense_ca_path'], 'managed_only': True}))
PY
set +e
ansible localhost -m homelab.cluster.opnsense_info -a "$(cat "$out/info-args.json")" -o >"$out/info.log" 2>&1
set -e
wait "${side[@]}"
python3 - "$out/info.log" <<'PY' || failed=1
import json, sys
text = open(sys.argv[1]).read()
result = json.loads(text[text.index('{'):])
info = result['opnsense']
counts = {k: len(info[k]) for k in ('vlans', 'dnsmasq_hosts', 'host_overrides', 'aliases', 'rules')}
want = {'vlans': 4, 'dnsmasq_hosts': 9, 'host_overrides': 10, 'aliases': 15, 'rules': 16}
ok = counts == want and info['version'] == '26.7.2' and len(info['ids']['rulesets']) == 20
print('%s info: release %s, managed objects %s, %d rulesets listed' % ('PASS' if ok else 'FAIL', info['version'],
                                                                          counts, len(info['ids']['rulesets'])))
sys.exit(0 if ok else 1)
PY
expect wrong-secret 2 "401 Authentication Failed: check api_key and api_secret"

echo "== a rule change that locks the management address out"
check lockout firewall/filter/apply 5  # longer than opnsense_confirm_timeout (3 s) after the apply, no longer
play lockout -e "@$here/files/more_access.yml"
expect lockout 2 "stopped answering after firewall/filter/apply" "13) Restore a backup" '"pfctl -d"' \
  "localhost:$out/backups/config-gate.home.arpa-"
check wait-unlocked 15 || failed=1
[ "$(ls "$out/backups" | wc -l)" = 2 ] && echo "PASS lockout: a second backup, taken before the change" \
  || { echo "FAIL lockout: $(ls "$out/backups" | wc -l) backups"; failed=1; }

echo "== Kea instead of dnsmasq"
check clear-log
play kea -e "@$here/files/more_access.yml" -e opnsense_dhcp_backend=kea
expect kea 0
check counters kea '{"kea/service/reconfigure": 1}' || failed=1
check objects kea '{"kea_subnet": 5, "kea_reservation": 9}' || failed=1
play kea-again -e "@$here/files/more_access.yml" -e opnsense_dhcp_backend=kea
[ "$(recap kea-again)" = 0 ] && echo "PASS kea again: changed=0" || { echo "FAIL kea again: changed=$(recap kea-again)"; failed=1; }

echo "opnsense: $(( $(date +%s) - started )) s, logs in $out"
exit $failed
