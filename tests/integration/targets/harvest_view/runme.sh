#!/usr/bin/env bash
# The harvest view as a browser shows it: render it from recorded officer state (files/: three edges - one
# downloading, one silent, one backing off - two promotions, a rejection, a file waiting in quarantine) with the
# role's own harvest_view.py, open it in headless Chromium with the network cut off, check that the states and
# numbers are on the page, and keep a screenshot (.build/harvest-view.png) to look at.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../../.." && pwd)
here=$(cd "$(dirname "$0")" && pwd)
out="$root/.build/harvest-view"
rm -rf "$out" && mkdir -p "$out"
command -v chromium >/dev/null || { echo "harvest_view: chromium is missing (lab/prereqs.sh installs it)" >&2; exit 2; }
cp -r "$here/files/state" "$here/files/archive" "$out/"
mkdir -p "$out/state/view" "$out/rejected"
cat > "$out/officer.json" <<JSON
{"host": "keeper", "archive": "$out/archive", "state_dir": "$out/state", "quarantine": "$out/state/quarantine",
 "rejected": "$out/rejected", "view_dir": "$out/state/view", "report_interval_s": 10}
JSON
python3 "$root/roles/harvester/files/harvest_view.py" --config "$out/officer.json" --now 1796090400
page="$out/state/view/index.html"
if grep -Eiq '<script|<link |<img |src=' "$page"; then
  echo "harvest_view: the page loads something" >&2; exit 1
fi
python3 -c 'import json, sys; s = json.load(open(sys.argv[1])); assert s["totals"]["archived_files"] == 2, s["totals"]' \
  "$out/state/view/status.json"
# --no-sandbox: root in CI; the proxy rule sends any fetch nowhere, so a page that needed the network would show it
flags=(--headless --no-sandbox --disable-gpu --proxy-server=127.0.0.1:9 --proxy-bypass-list="<-loopback>"
       --window-size=1200,1100 --virtual-time-budget=2000)
chromium "${flags[@]}" --dump-dom "file://$page" >"$out/dom.html" 2>"$out/chromium.log"
chromium "${flags[@]}" --screenshot="$root/.build/harvest-view.png" "file://$page" >>"$out/chromium.log" 2>&1
failed=0
for want in 'Edge harvesters and the archive' '2 files archived (46.4 MiB), 1 rejected, 1 in quarantine, 1 of 3 edges working' \
            '>downloading<' 'fetching enwiki-nopic' '6.8 GiB of 12.0 GiB (57.0 %)' '2.4 MiB/s' '36 min 43 s' \
            'python-docs promoted 10 min 00 s ago' '>silent<' 'no report for 1 h 23 min while downloading' \
            '>backing off<' 'HTTP 503' 'shell worker' 'docs/python-3.13-docs-html.tar.bz2' 'feeds/lwn-feed/20261201T020000Z-rss' \
            'unverified' 'debian-iso' 'publishes 0707' 'does not list enwiki-nopic.zim yet' 'jetson' \
            'source <b>planet-osm</b> unassigned'; do
  if grep -qF -- "$want" "$out/dom.html"; then echo "PASS page shows: $want"; else echo "FAIL page lacks: $want"; failed=1; fi
done
size=$(stat -c %s "$root/.build/harvest-view.png" 2>/dev/null || echo 0)
if [ "$size" -gt 10000 ]; then echo "PASS screenshot .build/harvest-view.png ($size bytes)"; else echo "FAIL screenshot ($size bytes)"; failed=1; fi
exit $failed
