#!/bin/sh
# 1,500 idle, then 1,500 trickling connections from 127.0.0.2-127.0.0.9
# against a left4me-web with the default limits, while a new client on
# 127.0.0.1 asks GET /healthz (bench/README.md).  Loopback only.
#   make B=build all build/bench/conn_flood && bench/conn_flood.sh [N] [SECONDS]
# (MODES="idle trickle" by default; one of them alone with MODES=...)
set -eu
B=${LEFT4ME_BUILD:-build}
web="$B/left4me-web/left4me-web"
ctl="$B/left4mectl/left4mectl"
n=${1:-1500}
secs=${2:-20}
tmp=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
# The unit's LimitNOFILE=; the flood client needs N fds too.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

head -c 48 /dev/urandom | base64 >"$tmp/secret"
cat >"$tmp/left4me.yaml" <<EOC
state_dir: $tmp
web:
  listen: 127.0.0.1:0
  secure_cookies: false
  secret_file: $tmp/secret
EOC
"$ctl" -c "$tmp/left4me.yaml" db migrate >/dev/null
"$web" -c "$tmp/left4me.yaml" --allow-root --port-file "$tmp/port" 2>"$tmp/web.log" &
pid=$!
while [ ! -s "$tmp/port" ]; do sleep 0.02; done
port=$(cat "$tmp/port")
grep 'at most' "$tmp/web.log" || true
rc=0
for mode in ${MODES:-idle trickle}; do
	echo "--- $mode"
	"$B/bench/conn_flood" "$port" "$pid" "$n" "$secs" "$mode" || rc=1
done
exit $rc
