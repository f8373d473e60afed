#!/usr/bin/env bash
# The house status page as a browser shows it (make status-page, part of make test): playbooks/status_page.yml
# renders it for inventory/example from recorded Prometheus answers (files/prometheus.py on loopback), the power
# guard's recorded log (the power report's), an inference health state and a harvest view; headless Chromium opens
# it with every network fetch sent nowhere; the test checks what the page says and keeps .build/status-page.png.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../../.." && pwd)
here=$(cd "$(dirname "$0")" && pwd)
out="$root/.build/status-page"
port=19290
rm -rf "$out" && mkdir -p "$out"
command -v chromium >/dev/null || { echo "status_page: chromium is missing (lab/prereqs.sh installs it)" >&2; exit 2; }
python3 "$here/files/prometheus.py" "$here/files/answers.json" "$port" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break; sleep 0.1; done
ansible-playbook -i "$root/inventory/example" -c local -e ansible_python_interpreter="$(command -v python3)" \
  "$root/playbooks/status_page.yml" -e monitoring_server=localhost -e status_page_dir="$out" \
  -e status_prometheus_url="http://127.0.0.1:$port" -e status_guard_log="$root/tests/integration/targets/power_report/files/guard.log" \
  -e status_inference_state="$here/files/inference_health.json" -e status_harvest_status="$here/files/harvest_status.json" \
  >"$out/playbook.log" || { cat "$out/playbook.log"; exit 1; }
grep -q "every source read" "$out/playbook.log" || { cat "$out/playbook.log"; echo "status_page: a source was not read" >&2; exit 1; }
if grep -Eiq '<script|https?://[^"]*\.(js|css)|<link |src=' "$out/index.html"; then
  echo "status_page: the page loads something from outside" >&2; exit 1
fi
flags=(--headless --no-sandbox --disable-gpu --proxy-server=127.0.0.1:9 --proxy-bypass-list="<-loopback>"
       --window-size=1000,2400 --virtual-time-budget=2000)
chromium "${flags[@]}" --dump-dom "file://$out/index.html" >"$out/dom.html" 2>"$out/chromium.log"
chromium "${flags[@]}" --screenshot="$root/.build/status-page.png" "file://$out/index.html" >>"$out/chromium.log" 2>&1
failed=0
for want in 'Hosts by tier' '<b>frame</b>' '>down<' '>asleep<' 'by relay' 'by power_guard' '>HostDown<' \
            '>QuorumDegraded<' '>degraded<' '2 of 3' '3410 W' 'limit 3000 W' 'power off desk (speculative): 600 W' \
            'idle+powered_down' 'Not responding' '2 running, 1 pending' 'endpoint/desk/llamacpp' '>DOWN<' \
            '>silent<' 'enwiki.zim' '38 %' '41 files archived, 2 rejected' '<svg'; do
  if grep -qF -- "$want" "$out/dom.html"; then echo "PASS page shows: $want"; else echo "FAIL page lacks: $want"; failed=1; fi
done
if grep -qF '>HostAsleep<' "$out/dom.html"; then echo "FAIL the page lists HostAsleep (severity none) as an alert"; failed=1; fi
size=$(stat -c %s "$root/.build/status-page.png" 2>/dev/null || echo 0)
if [ "$size" -gt 10000 ]; then echo "PASS screenshot .build/status-page.png ($size bytes)"; else echo "FAIL screenshot ($size bytes)"; failed=1; fi
exit $failed
