# The fresh-host fingerprint of one molecule instance (run through `raw` with /bin/sh: hosts without Python
# too). Everything check mode must leave alone: installed packages, unit files and their enablement, the
# units that are running (or failed), and every file, link and directory under the trees configuration and
# state live in, with its type, mode, owner and (for files) its SHA-256. Sorted, so two runs diff cleanly.
# Left out, because the clock changes them and not the role: the state of units a timer starts, the stamps
# of systemd's, apt's, logrotate's and man-db's timers, the random seed, and Ansible's own ~/.ansible; and the
# services D-Bus starts on a mere query and stops when idle (hostnamed answers `hostname` in check mode).
# FRESH_HOST_IGNORE (space-separated paths) leaves out more; a scenario sets it in molecule_fresh_ignore.
set -u
export LC_ALL=C
ignore="/var/lib/systemd/timers /var/lib/systemd/random-seed /var/lib/systemd/timesync /var/lib/apt/periodic
  /var/lib/logrotate /var/lib/man-db /var/lib/private/systemd /root/.ansible /home/*/.ansible ${FRESH_HOST_IGNORE:-}"
prune=""
for path in $ignore; do
  prune="$prune -path $path -prune -o"
done
roots=""
for root in /etc /usr/local /var/lib /opt /srv /root /home; do
  [ -d "$root" ] && roots="$roots $root"
done
echo "== packages"
dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\n' 2>&1 | sort
echo "== unit files"
systemctl list-unit-files --no-legend --no-pager --plain 2>&1 | awk '{print $1, $2}' | sort
echo "== running units"
ondemand="systemd-hostnamed.service systemd-timedated.service systemd-localed.service polkit.service"
timed=$(systemctl list-timers --all --no-legend --no-pager 2>/dev/null |
  awk '{for (i = 1; i <= NF; i++) if ($i ~ /\.(service|target)$/) print $i}')
systemctl list-units --all --no-legend --no-pager --plain --type=service,socket,timer,path 2>&1 |
  awk -v timed=" $(echo $timed $ondemand) " '$3 != "inactive" && index(timed, " " $1 " ") == 0 {print $1, $2, $3, $4}' | sort
echo "== files"
# shellcheck disable=SC2086  # the prune expressions are words on purpose
find $roots -xdev $prune -printf '%y %m %u:%g %p %l\n' 2>&1 | sort
echo "== contents"
# shellcheck disable=SC2086
find $roots -xdev $prune -type f -exec sha256sum {} + 2>&1 | sort -k 2
