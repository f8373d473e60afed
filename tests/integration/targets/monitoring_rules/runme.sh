#!/usr/bin/env bash
# The alert rules and the role's configuration, checked by Prometheus' own tools (make rules, part of make test):
#   promtool check rules    the rule file the role ships
#   promtool test rules     every alert proven firing and not firing (cases.yml, built by build_tests.py)
#   promtool check config   prometheus.yml as monitoring_plan renders it for inventory/example
#   amtool check-config     alertmanager.yml as alertmanager_config renders it
# promtool and amtool come from Debian's prometheus and prometheus-alertmanager packages, unpacked into
# .build/prometheus-tools (apt-get download + dpkg-deb -x): the binaries only, no service is installed or started.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../../.." && pwd)
here=$(cd "$(dirname "$0")" && pwd)
tools="$root/.build/prometheus-tools"
out="$root/.build/monitoring-rules"
rm -rf "$out" && mkdir -p "$out"
if [ ! -x "$tools/usr/bin/promtool" ] || [ ! -x "$tools/usr/bin/amtool" ]; then
  command -v apt-get >/dev/null || { echo "monitoring_rules: needs apt-get to fetch promtool (Debian's prometheus)" >&2; exit 2; }
  debs=$(mktemp -d) && chmod 755 "$debs"
  if ! (cd "$debs" && apt-get download prometheus prometheus-alertmanager >/dev/null 2>&1); then
    apt-get update -qq >/dev/null
    (cd "$debs" && apt-get download prometheus prometheus-alertmanager >/dev/null)
  fi
  rm -rf "$tools" && mkdir -p "$tools"
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$tools"; done
  rm -rf "$debs"
fi
promtool="$tools/usr/bin/promtool"
rules="$root/roles/monitoring/files/rules/homelab.rules.yml"
"$promtool" --version 2>&1 | head -1
"$promtool" check rules "$rules"
python3 "$here/build_tests.py" "$rules" "$here/cases.yml" "$out/homelab.rules.test.yml"
"$promtool" test rules "$out/homelab.rules.test.yml"
ansible-playbook -i "$root/inventory/example" "$here/render.yml" -e monitoring_out="$out" >"$out/render.log" \
  || { cat "$out/render.log"; exit 1; }
grep -o 'jobs [^"]*MB' "$out/render.log" | head -1
"$promtool" check config "$out/prometheus.yml"
"$tools/usr/bin/amtool" check-config "$out/alertmanager.yml"
# routing: what pages goes to the house webhook, what only inhibits goes nowhere
route() {
  got=$("$tools/usr/bin/amtool" config routes test --config.file="$out/alertmanager.yml" "${@:2}" 2>/dev/null)
  [ "$got" = "$1" ] && echo "PASS route ${*:2} -> $got" || { echo "FAIL route ${*:2}: $got, expected $1"; exit 1; }
}
route house alertname=HostDown host=frame severity=critical
route house alertname=UpsOnBattery ups=dummy@10.0.30.5 severity=warning
route null alertname=HostAsleep host=desk severity=none
echo "monitoring_rules: all passed"
