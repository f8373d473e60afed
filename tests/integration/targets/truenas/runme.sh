#!/usr/bin/env bash
# The seed's NAS (seed 004) provisioned by the nas role against the TrueNAS double (lab/doubles/truenas.py) on
# 127.0.0.1 with TLS (a CA made here) and an inventory from the tiers plugin:
#   A (26.0, SCRAM):   --check on a fresh double changes nothing; converge; second run changed=0;
#                      one key login per role run, one login per module run; an untrusted certificate refused
#   B (25.10, PLAIN):  a pool on disks that hold data is refused; a websocket dropped mid-run (after a dataset
#                      was created) is survived with one token reconnect and no double create; second run changed=0
#   C (25.04):         a drop with no way back ends the run with what was done and what was not; a rerun converges
# A, B and C are independent (a double each, own ports): they run side by side, their reports printed in order.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../../.." && pwd)
here=$(cd "$(dirname "$0")" && pwd)
out="$root/.build/truenas"
rm -rf "$out" && mkdir -p "$out"
py=$(command -v python3)
"$py" -c 'import websocket' 2>/dev/null || { echo "truenas: websocket-client is missing (make venv installs it)" >&2; exit 2; }
"$py" "$here/files/mkcert.py" "$out"
export ANSIBLE_STDOUT_CALLBACK=default ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_PIPELINING=1
export NAS_API_KEY=1-TrueNASdoubleKey0forTheScenario NAS_CA="$out/ca.pem" NAS_DISKS=sda,sdb,sdc,sdd
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
start() {  # NAME RELEASE PORT CONTROL (in the section's subshell, which stops its double when it ends)
  trap cleanup EXIT
  _start "$@"
}
_start() {  # NAME RELEASE PORT CONTROL
  "$py" "$root/lab/doubles/truenas.py" --port "$3" --control-port "$4" --release "$2" --user "homelab=$NAS_API_KEY" \
    --tls-cert "$out/server.pem" --tls-key "$out/server.key" --job-seconds 1 >"$out/double-$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do "$py" "$here/files/check.py" "$4" state /dev/null 2>/dev/null && return 0; sleep 0.2; done
  echo "truenas: the double $1 did not start" >&2; cat "$out/double-$1.log" >&2; exit 1
}
play() {  # LOG ARGS...
  local log="$out/$1.log"; shift
  ansible-playbook -i "$here/files/inventory" "$here/files/nas.yml" "$@" >"$log" 2>&1
}
recap_changed() { sed -n 's/^nas *: .*changed=\([0-9]*\).*/\1/p' "$1"; }
failed=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; failed=1; }
check() { "$py" "$here/files/check.py" "$@" || failed=1; }
t0=$SECONDS

section_A() {
echo "== A: TrueNAS 26.0 (SCRAM over TLS)"
start A 26.0 18401 18402
export NAS_API_URL=wss://127.0.0.1:18401/api/current
check 18402 state "$out/A-before.json"
if play A-check --check --diff; then pass "--check on a fresh NAS"; else fail "--check on a fresh NAS"; cat "$out/A-check.log"; fi
grep -q '^+    "pool tank": {' "$out/A-check.log" && pass "--check shows the plan" \
  || fail "--check shows the plan"
check 18402 state "$out/A-after-check.json"
check 18402 same "$out/A-before.json" "$out/A-after-check.json"
if play A-converge; then pass "converge"; else fail "converge"; cat "$out/A-converge.log"; fi
play A-again || fail "second run"
[ "$(recap_changed "$out/A-again.log")" = 0 ] && pass "second run changed=0" \
  || { fail "second run changed=$(recap_changed "$out/A-again.log")"; grep -B2 -A8 'changed:' "$out/A-again.log" | head -60; }
check 18402 converged
check 18402 logins 3 6
if TRUENAS_API_KEY=$NAS_API_KEY ansible localhost -m homelab.cluster.truenas_info -a "api_url=$NAS_API_URL api_username=homelab gather=pools" \
    -e "ansible_python_interpreter=$py" >"$out/A-untrusted.log" 2>&1; then
  fail "a certificate from an unknown CA is refused"
else
  grep -q 'certificate is not trusted' "$out/A-untrusted.log" && pass "a certificate from an unknown CA is refused" \
    || { fail "a certificate from an unknown CA is refused"; cat "$out/A-untrusted.log"; }
fi
return $failed
}

section_B() {
echo "== B: TrueNAS 25.10 (API_KEY_PLAIN over TLS)"
start B 25.10.5 18403 18404
export NAS_API_URL=wss://127.0.0.1:18403/api/current
if NAS_DISKS=sda,sdb,sdc,sde play B-used-disks; then fail "a pool on disks that hold data is refused"; else
  grep -q 'sde holds the exported pool oldtank' "$out/B-used-disks.log" && pass "a pool on disks that hold data is refused" \
    || { fail "a pool on disks that hold data is refused"; cat "$out/B-used-disks.log"; }
fi
check 18404 refused
check 18404 fault '{"drop": {"method": "pool.dataset.create", "when": "after", "count": 1}}'
if play B-drop; then pass "a dropped websocket mid-run is survived"; else fail "a dropped websocket"; cat "$out/B-drop.log"; fi
grep -q 'dropped during pool.dataset.create and was re-established once' "$out/B-drop.log" \
  && pass "the reconnect is reported" || fail "the reconnect is reported"
check 18404 reconnected
check 18404 converged
play B-again || fail "second run on 25.10"
[ "$(recap_changed "$out/B-again.log")" = 0 ] && pass "second run changed=0 on 25.10" \
  || fail "second run on 25.10 changed=$(recap_changed "$out/B-again.log")"
return $failed
}

section_C() {
echo "== C: TrueNAS 25.04, no way back after a drop"
start C 25.04 18405 18406
export NAS_API_URL=wss://127.0.0.1:18405/api/current
check 18406 fault '{"drop": {"method": "sharing.nfs.create", "when": "before", "count": 1, "then_refuse": -1}}'
if play C-cut; then fail "an unrecoverable drop fails the run"; else
  grep -q 'reconnecting failed' "$out/C-cut.log" && grep -q 'not done: NFS export /mnt/tank/k8s' "$out/C-cut.log" \
    && pass "an unrecoverable drop is reported with what was not done" \
    || { fail "an unrecoverable drop is reported"; grep -i 'fatal\|msg' "$out/C-cut.log" | head; }
fi
check 18406 fault '{"refuse_connections": 0}'
if play C-rerun; then pass "the rerun converges"; else fail "the rerun converges"; cat "$out/C-rerun.log"; fi
check 18406 converged
return $failed
}

declare -A section_pid
for name in A B C; do
  ( "section_$name" ) >"$out/section-$name.txt" 2>&1 &
  section_pid[$name]=$!
done
for name in A B C; do
  wait "${section_pid[$name]}" || failed=1
  cat "$out/section-$name.txt"
done

echo "truenas: $((SECONDS - t0))s, logs in $out"
exit $failed
