#!/usr/bin/env bash
# The power report as a browser shows it: render it from a recorded decision log with playbooks/power_report.yml,
# open it in headless Chromium with the network cut off, check that the numbers and decisions are on the page,
# and keep a screenshot (.build/power-report.png) to look at.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../../.." && pwd)
here=$(cd "$(dirname "$0")" && pwd)
out="$root/.build/power-report"
rm -rf "$out" && mkdir -p "$out"
command -v chromium >/dev/null || { echo "power_report: chromium is missing (lab/prereqs.sh installs it)" >&2; exit 2; }
ansible-playbook -i localhost, -c local -e ansible_python_interpreter="$(command -v python3)" "$root/playbooks/power_report.yml" \
  -e homelab_power_log_file="$here/files/guard.log" -e power_report_dir="$out" >"$out/playbook.log"
grep -q "3 decisions" "$out/playbook.log" || { cat "$out/playbook.log"; echo "power_report: expected 3 decisions" >&2; exit 1; }
if grep -Eiq '<script|https?://[^"]*\.(js|css)|<link ' "$out/index.html"; then
  echo "power_report: the page loads something from outside" >&2; exit 1
fi
# --no-sandbox: root in CI; the proxy rule sends any fetch nowhere, so a page that needed the network would show it
flags=(--headless --no-sandbox --disable-gpu --proxy-server=127.0.0.1:9 --proxy-bypass-list="<-loopback>"
       --window-size=900,1400 --virtual-time-budget=2000)
chromium "${flags[@]}" --dump-dom "file://$out/index.html" >"$out/dom.html" 2>"$out/chromium.log"
chromium "${flags[@]}" --screenshot="$root/.build/power-report.png" "file://$out/index.html" >>"$out/chromium.log" 2>&1
failed=0
for want in 'Now: holding' '3410 W' 'power off desk (speculative): 600 W' 'limit 3000 W' 'target 2900 W' \
            '412.5 W' 'nas plug 10.0.30.21' 'dummy@10.0.30.5: OL, battery 100%' '<svg'; do
  if grep -qF -- "$want" "$out/dom.html"; then echo "PASS page shows: $want"; else echo "FAIL page lacks: $want"; failed=1; fi
done
size=$(stat -c %s "$root/.build/power-report.png" 2>/dev/null || echo 0)
if [ "$size" -gt 10000 ]; then echo "PASS screenshot .build/power-report.png ($size bytes)"; else echo "FAIL screenshot ($size bytes)"; failed=1; fi
grep -q '^| 2026-11-24T03:01:00+00:00 | shedding | 3410 | 3000 | power off desk' "$out/summary.md" \
  && echo "PASS markdown summary" || { echo "FAIL markdown summary"; failed=1; }
exit $failed
