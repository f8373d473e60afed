#!/bin/sh
# homelab.cluster edge harvest worker for hosts without Python (the group no_python: penny, 64 MB).
# The shell twin of harvest_worker.py: the same wire protocol (Range + If-Range resume, a 200 restarts from 0,
# HMAC-SHA256 signed offers and uploads to the officer, the same progress.json), the same files under SPOOL.
# Needs: POSIX sh, coreutils (dd, sha256sum, stat, od, date), curl. Memory: sh + curl + one dd block.
#   harvest-worker.sh [/etc/homelab/harvester/worker.conf]
# worker.conf (rendered by the role) sets HOST OFFICER_URL KEY_FILE SPOOL ITEMS WINDOW_* RATE_BPS CHUNK_BYTES
# STALL_TIMEOUT_S CONNECT_TIMEOUT_S BACKOFF_BASE_S BACKOFF_MAX_S REPORT_INTERVAL_S REJECTED_RETRY_S
# MAX_REJECTIONS KEEP_AFTER_ARCHIVE RECHECK_S USER_AGENT CA_FILE; ITEMS is a tab-separated file:
# name url filename size refresh_s dataset.
set -u
CONF=${1:-/etc/homelab/harvester/worker.conf}
. "$CONF" || exit 1
umask 027
CR=$(printf '\r')
TAB=$(printf '\t')
STATE=$SPOOL/state
TMP=$SPOOL/tmp
mkdir -p "$STATE" "$SPOOL/parts" "$SPOOL/done" "$TMP" || exit 1
exec 9>"$SPOOL/lock"
if command -v flock >/dev/null 2>&1 && ! flock -n 9; then echo "another worker runs on $SPOOL" >&2; exit 0; fi
CURL_TLS=''
[ -n "${CA_FILE:-}" ] && CURL_TLS="--cacert $CA_FILE"

now() { date +%s; }

# ---------------------------------------------------------------------------------------- HMAC-SHA256
# hexfmt HEX: a printf format of octal escapes for those bytes (no forks: arithmetic only)
hexfmt() {
  local _h _f _b _v
  _h=$1 _f=''
  while [ -n "$_h" ]; do
    _b=${_h%"${_h#??}"}; _h=${_h#??}; _v=$((0x$_b))
    _f="$_f\\$((_v / 64))$((_v / 8 % 8))$((_v % 8))"
  done
  printf '%s' "$_f"
}
# pads the key to the 64-byte block, xored with 0x36 (IPAD) and 0x5c (OPAD), as printf formats
hmac_init() {
  local _k _n _b _v _i _o
  _k=$(tr -d ' \n' < "$KEY_FILE") IPAD='' OPAD='' _n=0
  while [ $_n -lt 64 ]; do
    if [ -n "$_k" ]; then _b=${_k%"${_k#??}"}; _k=${_k#??}; _v=$((0x$_b)); else _v=0; fi
    _i=$((_v ^ 54)) _o=$((_v ^ 92))
    IPAD="$IPAD\\$((_i / 64))$((_i / 8 % 8))$((_i % 8))"
    OPAD="$OPAD\\$((_o / 64))$((_o / 8 % 8))$((_o % 8))"
    _n=$((_n + 1))
  done
}
hmac_file() {  # FILE -> hex HMAC of its bytes
  local _in
  _in=$({ printf "$IPAD"; cat "$1"; } | sha256sum | cut -c1-64)
  { printf "$OPAD"; printf "$(hexfmt "$_in")"; } | sha256sum | cut -c1-64
}
# sign METHOD PATH CONTENT_SHA256 -> the header file for curl -H @file
sign() {
  local _t _nonce
  _t=$(now) _nonce=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
  printf 'HARVEST1\n%s\n%s\n%s\n%s\n%s\n%s' "$1" "$2" "$HOST" "$_t" "$_nonce" "$3" > "$TMP/canon"
  {
    echo "X-Harvest-Host: $HOST"; echo "X-Harvest-Time: $_t"; echo "X-Harvest-Nonce: $_nonce"
    echo "X-Harvest-Content-SHA256: $3"; echo "X-Harvest-Signature: $(hmac_file "$TMP/canon")"
  } > "$TMP/headers"
}

# ---------------------------------------------------------------------------------------- state, JSON
jstr() { printf '"%s"' "$(printf '%s' "$1" | tr -d '\n\r' | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
jnum() { case ${1:-} in ''|*[!0-9]*) printf null ;; *) printf '%s' "$1" ;; esac; }
jget() { sed -n "s/.*\"$1\": \"\\([^\"]*\\)\".*/\\1/p; t; s/.*\"$1\": \\([0-9][0-9]*\\).*/\\1/p" "$2" | head -n 1; }
st_get() { [ -f "$STATE/$1" ] && sed -n "s/^$2=//p" "$STATE/$1" | head -n 1; }
st_set() {  # NAME KEY VALUE: the state file is replaced atomically
  local _v
  [ -n "$1" ] || return 1
  _v=$(printf '%s' "$3" | tr -d '\n\r')
  { [ -f "$STATE/$1" ] && grep -v "^$2=" "$STATE/$1"; printf '%s=%s\n' "$2" "$_v"; } > "$STATE/$1.tmp"
  mv "$STATE/$1.tmp" "$STATE/$1"
}
size_of() { if [ -f "$1" ]; then stat -c %s "$1"; else echo 0; fi; }

officer() {  # METHOD PATH BODYFILE|- [UPLOADFILE OFFSET SIZE SHA] -> HTTP code; answer in $TMP/answer
  if [ "$1" = POST ]; then
    sign POST "$2" "$(sha256sum "$3" | cut -c1-64)"
    curl -sS $CURL_TLS -o "$TMP/answer" -w '%{http_code}' --connect-timeout "$CONNECT_TIMEOUT_S" --max-time 60 \
      -H @"$TMP/headers" -H 'Content-Type: application/json' --data-binary @"$3" "$OFFICER_URL$2" 2>"$TMP/curl.err"
  else
    sign PUT "$2" "$7"
    tail -c +$(($5 + 1)) "$4" | curl -sS $CURL_TLS -o "$TMP/answer" -w '%{http_code}' \
      --connect-timeout "$CONNECT_TIMEOUT_S" -H @"$TMP/headers" -H "Content-Length: $(($6 - $5))" \
      -H 'Transfer-Encoding:' -H 'Content-Type: application/octet-stream' -T - "$OFFICER_URL$2" 2>"$TMP/curl.err"
  fi
}

# ---------------------------------------------------------------------------------------- window, report
in_window() {  # sets W_IN, W_END (seconds to the end) and W_START (seconds to the next opening)
  local _wd _sod _back _open _ahead _wait
  W_IN=1 W_END='' W_START=''
  [ "$WINDOW_ALWAYS" = 1 ] && return 0
  set -- $(date '+%u %H %M %S')
  _wd=$(($1 - 1)) _sod=$((${2#0} * 3600 + ${3#0} * 60 + ${4#0}))
  for _back in 0 1; do
    case " $WINDOW_DAYS " in *" $(((_wd - _back + 7) % 7)) "*)
      _open=$((_sod + _back * 86400 - WINDOW_START_S))
      if [ $_open -ge 0 ] && [ $_open -lt "$WINDOW_DURATION_S" ]; then W_END=$((WINDOW_DURATION_S - _open)); return 0; fi
    esac
  done
  W_IN=0
  for _ahead in 0 1 2 3 4 5 6 7; do
    case " $WINDOW_DAYS " in *" $(((_wd + _ahead) % 7)) "*)
      _wait=$((_ahead * 86400 + WINDOW_START_S - _sod))
      if [ $_wait -gt 0 ]; then W_START=$_wait; return 1; fi
    esac
  done
  return 1
}

LAST_REPORT=0
report() {  # STATE DETAIL [force] [ITEM BYTES TOTAL RATE ETA]
  local _now _sep _n _u _f _s _r _d _t
  _now=$(now)
  [ "${3:-}" = force ] || [ $((_now - LAST_REPORT)) -ge "$REPORT_INTERVAL_S" ] || return 0
  LAST_REPORT=$_now
  in_window || true
  {
    printf '{"host": %s, "state": %s, "detail": %s, "at": %s, "pid": %s, "worker": "shell", "rss_peak_kb": null,' \
      "$(jstr "$HOST")" "$(jstr "$1")" "$(jstr "$2")" "$_now" "$$"
    printf ' "window": %s, "window_open": %s, "window_closes_in_s": %s, "window_opens_in_s": %s, "rate_limit_bps": %s,' \
      "$(jstr "$WINDOW_TEXT")" "$([ $W_IN = 1 ] && echo true || echo false)" "$(jnum "$W_END")" "$(jnum "$W_START")" "$RATE_BPS"
    printf ' "item": %s, "bytes": %s, "total": %s, "rate_bps": %s, "eta_s": %s,' "$(jstr "${4:-}")" \
      "$(jnum "${5:-}")" "$(jnum "${6:-}")" "$(jnum "${7:-}")" "$(jnum "${8:-}")"
    printf ' "quiet_s": %s, "last_signal": %s, "items": [' "$(jnum "${QUIET_S:-}")" \
      "$(cat "$SPOOL/last_signal" 2>/dev/null || echo null)"
    _sep=''
    while IFS="$TAB" read -r _n _u _f _s _r _d; do
      [ -n "$_n" ] || continue
      _t=$(st_get "$_n" total); [ -n "$_t" ] || _t=$_s
      printf '%s{"name": %s, "status": %s, "bytes": %s, "total": %s, "attempts": %s, "last_error": %s, "sha256": %s}' \
        "$_sep" "$(jstr "$_n")" "$(jstr "$(st_get "$_n" status || echo new)")" "$(jnum "$(size_of "$SPOOL/parts/$_n.part")")" \
        "$(jnum "$_t")" "$(jnum "$(st_get "$_n" attempts)")" \
        "$(jstr "$(st_get "$_n" last_error)")" "$(jstr "$(st_get "$_n" sha256)")"
      _sep=', '
    done < "$ITEMS"
    printf ']}\n'
  } > "$SPOOL/progress.json.tmp" && mv "$SPOOL/progress.json.tmp" "$SPOOL/progress.json"
  officer POST /v1/status "$SPOOL/progress.json" >/dev/null 2>&1 || true
}

# ---------------------------------------------------------------------------------------- fetch
# the reader of curl's output (-D - -o -): header blocks (redirects first), then the body into the .part
read_response() {
  _status='' _etag='' _lm='' _cr='' _cl=''
  while IFS= read -r _line; do
    _line=${_line%"$CR"}; _status=${_line#* }; _status=${_status%% *}
    while IFS= read -r _h; do
      _h=${_h%"$CR"}; [ -z "$_h" ] && break
      _v=${_h#*: }
      case $_h in [Ee][Tt][Aa][Gg]:*) _etag=$_v ;; [Ll]ast-[Mm]odified:*) _lm=$_v ;;
        [Cc]ontent-[Rr]ange:*) _cr=$_v ;; [Cc]ontent-[Ll]ength:*) _cl=$_v ;; esac
    done
    case $_status in 301|302|303|307|308) continue ;; esac
    break
  done
  _action=fail _total=''
  case $_status in
    206) _first=${_cr#bytes }; _first=${_first%%-*}; _total=${_cr##*/}
         if [ "$_first" = "$COMMITTED" ]; then _action=append; else _action=again; fi ;;
    200) _action=restart; _total=$_cl ;;
    304) _action=unchanged ;;
    416) [ "${_cr##*/}" = "$COMMITTED" ] && _action=complete || _action=again ;;
    408|425|429|5??|'') _action=retry ;;
  esac
  printf 'status=%s\naction=%s\ntotal=%s\netag=%s\nlm=%s\n' "$_status" "$_action" "$_total" "$_etag" "$_lm" > "$TMP/meta"
  case $_action in
    append) dd of="$PART" bs="$CHUNK_BYTES" iflag=fullblock oflag=append,dsync conv=notrunc status=none ;;
    restart)
      _val=$_etag; case $_val in W/*|'') _val=$_lm ;; esac
      st_set "$NAME" validator "$_val"; st_set "$NAME" etag "$_etag"; st_set "$NAME" total "$_total"
      [ "$COMMITTED" -gt 0 ] && st_set "$NAME" last_restart "HTTP 200 to a resume from byte $COMMITTED: starting again from 0"
      dd of="$PART" bs="$CHUNK_BYTES" iflag=fullblock oflag=dsync status=none ;;
    *) cat > /dev/null ;;
  esac
}

fetch() {  # NAME URL REFRESH -> 0 fetched, 1 failed (state says why), 2 unchanged, 3 window closed
  local _val _old _max _limit _url _reporter _rc _status _action _total _have
  NAME=$1 PART=$SPOOL/parts/$1.part
  COMMITTED=$(size_of "$PART")
  _val=$(st_get "$NAME" validator || true)
  set -- "$1" "$2" "$3" -r "$COMMITTED-" -H "If-Range: $_val"
  if [ "$COMMITTED" -eq 0 ] || [ -z "$_val" ]; then
    COMMITTED=0; : > "$PART"; set -- "$1" "$2" "$3"
    _old=$(st_get "$NAME" archived_validator || true)
    if [ "$3" != 0 ] && [ -n "$_old" ]; then set -- "$1" "$2" "$3" -H "If-None-Match: $_old"; fi
  fi
  _max=''
  in_window || true
  [ -n "$W_END" ] && _max="--max-time $W_END"
  _limit=''
  [ "$RATE_BPS" -gt 0 ] && _limit="--limit-rate $RATE_BPS"
  _url=$2; shift 3
  ( _b0=$COMMITTED; while sleep "$REPORT_INTERVAL_S"; do
      _b=$(size_of "$PART"); _t=$(st_get "$NAME" total || true)
      _r=$(((_b - _b0) / REPORT_INTERVAL_S)); _b0=$_b; _e=''
      [ -n "$_t" ] && [ "$_r" -gt 0 ] && _e=$(((_t - _b) / _r + 1))
      report downloading "fetching $NAME" force "$NAME" "$_b" "$_t" "$_r" "$_e"
    done ) &
  _reporter=$!
  { curl -sS -L $CURL_TLS -D - -o - --connect-timeout "$CONNECT_TIMEOUT_S" --speed-limit 1 \
      --speed-time "$STALL_TIMEOUT_S" $_max $_limit -A "$USER_AGENT" -H 'Accept-Encoding: identity' "$@" "$_url" \
      2>"$TMP/fetch.err"; echo $? > "$TMP/rc"; } | read_response
  kill $_reporter 2>/dev/null; wait $_reporter 2>/dev/null
  _rc=$(cat "$TMP/rc") _status=$(sed -n 's/^status=//p' "$TMP/meta") _action=$(sed -n 's/^action=//p' "$TMP/meta")
  _total=$(st_get "$NAME" total || true)
  case $_action in
    append) [ -n "$(sed -n 's/^total=//p' "$TMP/meta")" ] && { _total=$(sed -n 's/^total=//p' "$TMP/meta"); st_set "$NAME" total "$_total"; } ;;
    unchanged) st_set "$NAME" status archived; st_set "$NAME" archived_at "$(now)"; return 2 ;;
    again) : > "$PART"; st_set "$NAME" validator ''; st_set "$NAME" last_error "HTTP $_status at byte $COMMITTED: asking again from 0"; return 1 ;;
    retry|fail) st_set "$NAME" last_error "HTTP ${_status:-none} from $_url: $(head -c 200 "$TMP/fetch.err" | tr '\n' ' ')"; return 1 ;;
  esac
  _have=$(size_of "$PART")
  if [ "$_rc" != 0 ] || { [ -n "$_total" ] && [ "$_have" != "$_total" ]; }; then
    st_set "$NAME" status downloading
    in_window || true
    if [ "$W_IN" = 0 ] || { [ -n "$W_END" ] && [ "$W_END" -le 1 ]; }; then return 3; fi
    st_set "$NAME" last_error "curl exit $_rc at byte $_have of ${_total:-?}: $(head -c 200 "$TMP/fetch.err" | tr '\n' ' ')"
    return 1
  fi
  sync "$PART" 2>/dev/null || sync
  mv "$PART" "$SPOOL/done/$NAME" && sync "$SPOOL/done" 2>/dev/null
  st_set "$NAME" sha256 "$(sha256sum "$SPOOL/done/$NAME" | cut -c1-64)"
  st_set "$NAME" size "$_have"; st_set "$NAME" fetched_at "$(now)"; st_set "$NAME" status fetched; st_set "$NAME" last_error ''
  return 0
}

# ---------------------------------------------------------------------------------------- deliver
deliver() {  # NAME URL FILENAME -> 0 done (archived, rejected or pending), 1 failed
  local _sha _size _file _code _verdict _reason _offset
  _sha=$(st_get "$1" sha256) _size=$(st_get "$1" size) _file=$SPOOL/done/$1
  printf '{"name": %s, "sha256": %s, "size": %s, "fetched_at": %s, "url": %s, "filename": %s, "etag": %s}\n' \
    "$(jstr "$1")" "$(jstr "$_sha")" "$_size" "$(st_get "$1" fetched_at)" "$(jstr "$2")" "$(jstr "$3")" \
    "$(jstr "$(st_get "$1" etag)")" > "$TMP/offer.json"
  _code=$(officer POST /v1/offer "$TMP/offer.json") || true
  [ "$_code" = 200 ] || { st_set "$1" last_error "officer: HTTP ${_code:-none} to the offer: $(cat "$TMP/answer" "$TMP/curl.err" 2>/dev/null | head -c 200)"; return 1; }
  _verdict=$(jget verdict "$TMP/answer")
  if [ "$_verdict" = send ]; then
    _offset=$(jget offset "$TMP/answer")
    report uploading "handing $1 to the officer" force "$1" "$_offset" "$_size"
    _code=$(officer PUT "/v1/upload/$_sha?offset=${_offset:-0}" - "$_file" "${_offset:-0}" "$_size" "$_sha") || true
    [ "$_code" = 200 ] || { st_set "$1" last_error "officer: HTTP ${_code:-none} to the upload: $(head -c 200 "$TMP/curl.err")"; return 1; }
    _verdict=$(jget verdict "$TMP/answer")
  fi
  _reason=$(jget reason "$TMP/answer")
  printf '{"at": %s, "item": %s, "verdict": %s, "reason": %s}\n' "$(now)" "$(jstr "$1")" "$(jstr "$_verdict")" \
    "$(jstr "$_reason")" > "$SPOOL/last_signal"
  case $_verdict in
    promoted|duplicate)
      st_set "$1" status archived; st_set "$1" archived_at "$(now)"; st_set "$1" attempts 0; st_set "$1" last_error ''
      st_set "$1" archived_validator "$(st_get "$1" etag)"; st_set "$1" validator ''
      [ "$KEEP_AFTER_ARCHIVE" = 1 ] || rm -f "$_file" ;;
    rejected)
      st_set "$1" status rejected; st_set "$1" rejections $(($(st_get "$1" rejections || echo 0) + 1))
      st_set "$1" last_error "rejected by the officer: $_reason"; st_set "$1" validator ''
      st_set "$1" next_try $(($(now) + REJECTED_RETRY_S)); rm -f "$_file" ;;
    pending) st_set "$1" status delivered; st_set "$1" last_error "$_reason"; st_set "$1" next_try $(($(now) + RECHECK_S + 1)) ;;
    *) st_set "$1" last_error "officer answered: $(head -c 200 "$TMP/answer")"; return 1 ;;
  esac
  return 0
}

# ---------------------------------------------------------------------------------------- main
hmac_init
# sources no longer assigned here: forget them (another host may have them now)
for _f in "$STATE"/* "$SPOOL"/parts/* "$SPOOL"/done/*; do
  [ -e "$_f" ] || continue
  _n=$(basename "$_f" .part)
  cut -f1 "$ITEMS" | grep -qxF "$_n" || rm -f "$_f"
done
if ! in_window; then report waiting "outside the window ($WINDOW_TEXT)" force; exit 0; fi
report 'in window' starting force
while :; do
  _now=$(now) _next='' _did=0 _left=''
  while IFS="$TAB" read -r _n _u _f _s _r _d; do
    [ -n "$_n" ] || continue
    [ "$(st_get "$_n" url || true)" = "$_u" ] || { rm -f "$STATE/$_n" "$SPOOL/parts/$_n.part" "$SPOOL/done/$_n"; st_set "$_n" url "$_u"; }
    _st=$(st_get "$_n" status || true)
    case $_st in
      archived) [ "$_r" != 0 ] && [ $((_now - $(st_get "$_n" archived_at))) -ge "$_r" ] || continue ;;
      rejected) [ "$(st_get "$_n" rejections)" -lt "$MAX_REJECTIONS" ] || continue ;;
    esac
    _try=$(st_get "$_n" next_try || true); _try=${_try:-0}
    if [ "$_try" -gt "$_now" ]; then _left="$_left $_n"; [ -z "$_next" ] || [ "$_try" -lt "$_next" ] && _next=$_try; continue; fi
    _did=1
    _rc=0
    case $_st in fetched|delivered) ;; *) fetch "$_n" "$_u" "$_r" </dev/null || _rc=$? ;; esac
    [ $_rc = 3 ] && { report waiting "the window closed mid-transfer; what was fetched is kept" force; exit 0; }
    [ $_rc = 0 ] && { deliver "$_n" "$_u" "$_f" </dev/null || _rc=1; }
    if [ $_rc = 1 ]; then
      _a=$(($(st_get "$_n" attempts || echo 0) + 1)); st_set "$_n" attempts $_a
      _w=$BACKOFF_BASE_S _i=1; while [ $_i -lt $_a ] && [ $_w -lt "$BACKOFF_MAX_S" ]; do _w=$((_w * 2)); _i=$((_i + 1)); done
      [ $_w -gt "$BACKOFF_MAX_S" ] && _w=$BACKOFF_MAX_S
      st_set "$_n" next_try $(($(now) + _w))
      report 'backing off' "$_n: $(st_get "$_n" last_error); next try in $_w s" force
    fi
    break
  done < "$ITEMS"
  [ $_did = 1 ] && continue
  in_window || break
  if [ -n "$_next" ] && [ $((_next - $(now))) -le "$RECHECK_S" ] && { [ -z "$W_END" ] || [ $((_next - $(now))) -lt "$W_END" ]; }; then
    QUIET_S=$((_next - $(now) + 1))
    report 'backing off' "next try in $((_next - $(now))) s" force
    QUIET_S=''
    sleep $((_next - $(now) > 0 ? _next - $(now) : 1))
    continue
  fi
  break
done
if [ -n "$_left" ]; then report waiting "left for later:$_left" force
elif grep -l '^status=rejected' "$STATE"/* >/dev/null 2>&1; then report failed "rejected by the officer: $(grep -l '^status=rejected' "$STATE"/* | xargs -n1 basename | tr '\n' ' ')" force
else report idle 'everything assigned is in the archive' force
fi
exit 0
