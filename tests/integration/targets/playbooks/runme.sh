#!/usr/bin/env bash
# The user-facing playbooks that read and decide, run as a user runs them, on this machine only:
#   vram_plan.yml  the seeds' lineup planned onto the example inventory's GPUs (nothing is contacted)
#   gpu_check.yml  gpu_info on this machine (a local host) against what its hardware file declares
#   gaming_guard.yml  the same "game" drains the rig's Slurm node and requeues its job; once it ends the node is
#                  resumed. scontrol and squeue are stand-ins that record their arguments (molecule/slurm runs the
#                  guard against real Slurm)
#   place.yml      four "hosts" on loopback addresses whose power state is a TCP port of this test (19010-19019):
#                  open = up, closed = asleep; the volatile one runs a "game" (a copy of sleep named homelab-game)
#                  that gaming_info finds with ps. place_wake=false: the decision is checked, no packet is sent
#                  (molecule/wake sends real ones).
# Each check prints PASS or FAIL; the run fails on any FAIL. Output under .build/playbooks/.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../../.." && pwd)
here=$(cd "$(dirname "$0")" && pwd)
out="$root/.build/playbooks"
rm -rf "$out" && mkdir -p "$out"
inv="$here/files/inventory"
py=$(command -v python3)
failed=0
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

check() {  # check NAME LOG WANT...: every WANT (a fixed string) is in LOG
  local name=$1 log=$2 want
  shift 2
  for want in "$@"; do
    if grep -qF -- "$want" "$log"; then echo "PASS $name: $want"; else echo "FAIL $name lacks: $want"; failed=1; fi
  done
}

play() {  # play NAME PLAYBOOK ARGS...: run it, keep the output in $out/NAME.log, return its exit status
  local name=$1 playbook=$2
  shift 2
  ANSIBLE_NOCOLOR=1 ansible-playbook -e ansible_python_interpreter="$py" "$root/playbooks/$playbook" "$@" \
    >"$out/$name.log" 2>&1
}

# ---------------------------------------------------------------------------------------------- vram_plan.yml
play vram_plan vram_plan.yml -i "$root/inventory/example" || { cat "$out/vram_plan.log"; failed=1; }
check vram_plan "$out/vram_plan.log" \
  '"forge: 22.76 of 48.0 GB on GPUs (47.4% used)"' \
  '"  qwen2.5:14b-instruct-q4_K_M (9.41 GB): whole on gpu1"' \
  '"  gpu2 RX 6700 XT 12.0 GB: 7.71 GB (64.2%) qwen2.5-coder:1.5b-q4_K_M, qwen3:1.7b-q4_K_M, qwen2.5-coder:7b-q4_K_M"' \
  '"  qwen2.5-coder:7b-q4_K_M (5.03 GB): 25 of 32 layers on gpu0, the rest on the CPU"' \
  '"  qwen2.5:14b-instruct-q4_K_M: forge"' \
  'localhost                  : ok=3    changed=0    unreachable=0    failed=0'
play vram_plan_70b vram_plan.yml -i "$root/inventory/example" -e '{"vram_plan_models": ["llama3.1:70b-q4_0"]}' \
  -e vram_plan_split=true || { cat "$out/vram_plan_70b.log"; failed=1; }
check vram_plan_70b "$out/vram_plan_70b.log" '"  llama3.1:70b-q4_0: nowhere"'

# ---------------------------------------------------------------------------------------------- gpu_check.yml
# declared = what gpu_info finds here (none on most CI machines): "as declared"
ANSIBLE_NOCOLOR=1 ansible keeper -i "$inv" -e ansible_python_interpreter="$py" -m homelab.cluster.gpu_info \
  -o >"$out/gpu_info.log" 2>&1 || { cat "$out/gpu_info.log"; failed=1; }
declared=$("$py" -c 'import json,sys; text=open(sys.argv[1]).read(); r=json.loads(text[text.index("{"):])
print(json.dumps({"homelab_gpus": [{"model": g["model"], "vendor": g["vendor"], "vram_gb": g["vram_gb"]}
                                   for g in r["gpus"] if not g["integrated"]]}))' "$out/gpu_info.log")
play gpu_check gpu_check.yml -i "$inv" -e gpu_check_hosts=keeper -e "$declared" -e gpu_check_strict=true \
  || { cat "$out/gpu_check.log"; failed=1; }
check gpu_check "$out/gpu_check.log" '"msg": "keeper: as declared (' \
  '"msg": "every checked host has the GPUs its hardware file declares"'
# a GPU the hardware file declares that this machine does not have: reported; strict fails the run
missing='{"homelab_gpus": [{"model": "Homelab Test GPU 97", "vendor": "nvidia", "vram_gb": 97}]}'
if play gpu_check_missing gpu_check.yml -i "$inv" -e gpu_check_hosts=keeper -e "$missing"; then
  check gpu_check_missing "$out/gpu_check_missing.log" '"keeper.gpus[0] Homelab Test GPU 97: declared, ' \
    '"keeper": [' 'failed=0'
else
  echo "FAIL gpu_check_missing: the report failed without gpu_check_strict"; failed=1
fi
if play gpu_check_strict gpu_check.yml -i "$inv" -e gpu_check_hosts=keeper -e "$missing" -e gpu_check_strict=true; then
  echo "FAIL gpu_check_strict: a declared GPU that is missing passed with gpu_check_strict=true"; failed=1
else
  check gpu_check_strict "$out/gpu_check_strict.log" 'GPUs differ from the hardware file on keeper'
fi

# ------------------------------------------------------------------------------------------------ place.yml
listen() {  # listen ADDRESS PORT: a host that is up answers on its ready port
  "$py" -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(8)
while True: c, _ = s.accept(); c.close()' "$1" "$2" &
  pids+=($!)
}
listen 127.0.0.5 19010   # keeper
listen 127.0.0.11 19011  # frugal; sleeper (127.0.0.12:19012) stays asleep
listen 127.0.0.13 19013  # rig
mkdir -p "$out/bin" && cp "$(command -v sleep)" "$out/bin/homelab-game"
"$out/bin/homelab-game" 600 &
game=$!
pids+=("$game")
sleep 0.5

play place_nvidia place.yml -i "$inv" -e place_wake=false -e '{"workload": {"vram_gb": 12, "gpu_vendor": "nvidia"}}' \
  || { cat "$out/place_nvidia.log"; failed=1; }
check place_nvidia "$out/place_nvidia.log" '"host": "sleeper"' '"wake": true' '"boot_s": 90' \
  '"rig": "volatile and in use for gaming (gaming flag not false)"' '"frugal": "no nvidia GPU"' \
  '"keeper": "no nvidia GPU"'

play place_small place.yml -i "$inv" -e place_wake=false -e '{"workload": {"vram_gb": 6, "weight": 0.5}}' \
  || { cat "$out/place_small.log"; failed=1; }
check place_small "$out/place_small.log" '"host": "frugal"' '"wake": false' '"added_w": 74.0'

# ------------------------------------------------------------------------------------------ gaming_guard.yml
cat >"$out/bin/scontrol" <<'STUB'
#!/bin/sh
echo "scontrol $*" >>"$HOMELAB_SLURM_LOG"
case "$*" in "show node"*) echo "NodeName=rig State=IDLE+DRAIN Reason=gaming [root@2026-11-24T02:00:00]" ;; esac
STUB
cat >"$out/bin/squeue" <<'STUB'
#!/bin/sh
echo "squeue $*" >>"$HOMELAB_SLURM_LOG"
echo 4242
STUB
chmod +x "$out/bin/scontrol" "$out/bin/squeue"
export HOMELAB_SLURM_LOG="$out/slurm-calls.log"
PATH="$out/bin:$PATH" play gaming_guard gaming_guard.yml -i "$inv" || { cat "$out/gaming_guard.log"; failed=1; }
check gaming_guard "$out/gaming_guard.log" '"msg": "rig: game processes running: homelab-game"'
check gaming_guard "$out/slurm-calls.log" 'scontrol update nodename=rig state=drain reason=gaming' \
  'squeue -h -w rig -o %A' 'scontrol requeue 4242'

kill "$game" && wait "$game" 2>/dev/null || true
: >"$HOMELAB_SLURM_LOG"
PATH="$out/bin:$PATH" play gaming_guard_over gaming_guard.yml -i "$inv" || { cat "$out/gaming_guard_over.log"; failed=1; }
check gaming_guard_over "$out/gaming_guard_over.log" '"msg": "rig: no game running ('
check gaming_guard_over "$out/slurm-calls.log" 'scontrol show node rig' 'scontrol update nodename=rig state=resume'
if grep -q 'state=drain' "$HOMELAB_SLURM_LOG"; then echo "FAIL gaming_guard_over: drained with nobody playing"; failed=1; fi
# a volatile host without any Slurm controller: the guard only reports
play gaming_guard_solo gaming_guard.yml -i "$inv" -e target=frugal || { cat "$out/gaming_guard_solo.log"; failed=1; }
check gaming_guard_solo "$out/gaming_guard_solo.log" '"msg": "frugal: no game running (' 'failed=0'

play place_rig place.yml -i "$inv" -e place_wake=false -e '{"workload": {"vram_gb": 20, "gpu_vendor": "nvidia"}}' \
  || { cat "$out/place_rig.log"; failed=1; }
check place_rig "$out/place_rig.log" '"host": "rig"' '"wake": false' \
  '"sleeper": "16 GB nvidia VRAM on its largest GPU < 20 GB needed"'

if play place_none place.yml -i "$inv" -e place_wake=false -e '{"workload": {"vram_gb": 100}}'; then
  echo "FAIL place_none: a workload nothing fits did not fail the run"; failed=1
else
  check place_none "$out/place_none.log" 'no host fits: frugal: 8 GB VRAM on its largest GPU < 100 GB needed'
fi
exit $failed
