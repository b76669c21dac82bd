#!/bin/sh
# A server export of a large upper/ (issue 16), run by hand:
#   make B=build all && bench/export.sh [MIB]
# The real worker archives runtime/alpha/upper (MIB MiB of incompressible
# data, default 200, plus 1,000 small files) into exports/ (job
# export_server, --once), then the real web streams it to curl.  Prints
# the job's time, the archive's size, and the peak RSS (VmHWM) of the
# worker and of the web (before and after the download): the file goes
# through neither's memory.  Needs sqlite3, curl.
set -eu
B=${LEFT4ME_BUILD:-build}
web="$B/left4me-web/left4me-web"
worker="$B/left4me-worker/left4me-worker"
ctl="$B/left4mectl/left4mectl"
mib=${1:-200}
tmp=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

head -c 48 /dev/urandom | base64 >"$tmp/secret"
cat >"$tmp/left4me.yaml" <<EOC
state_dir: $tmp
backup:
  dir: $tmp/backups
web:
  listen: 127.0.0.1:0
  secure_cookies: false
  secret_file: $tmp/secret
worker:
  sudo: false
EOC
"$ctl" -c "$tmp/left4me.yaml" db migrate >/dev/null
echo 'bench-password' | "$ctl" -c "$tmp/left4me.yaml" user add admin --admin --password-stdin >/dev/null
mkdir -p "$tmp/runtime/alpha/upper/left4dead2/addons/sourcemod/data" "$tmp/exports"
head -c $((mib * 1024 * 1024)) /dev/urandom >"$tmp/runtime/alpha/upper/left4dead2/big.dem"
i=0
while [ $i -lt 1000 ]; do
	echo "ban $i" >"$tmp/runtime/alpha/upper/left4dead2/addons/sourcemod/data/f$i.txt"
	i=$((i + 1))
done
sqlite3 "$tmp/left4me.db" <<'EOSQL'
INSERT INTO blueprints (user_id, name, config, created_at, updated_at) VALUES (1, 'coop', '', 1, 1);
INSERT INTO servers (name, user_id, blueprint_id, port, created_at, updated_at) VALUES ('alpha', 1, 1, 27015, 1, 1);
INSERT INTO jobs (kind, target, user_id, queue, lock_key, created_at) VALUES ('export_server', 'alpha', 1, 'worker', 'server:alpha', 1);
EOSQL

t0=$(date +%s.%N)
/usr/bin/time -f '%M' -o "$tmp/worker.rss" "$worker" -c "$tmp/left4me.yaml" --allow-root --once 2>"$tmp/worker.log"
t1=$(date +%s.%N)
state=$(sqlite3 "$tmp/left4me.db" "SELECT state || ' ' || coalesce(reason, '') FROM jobs WHERE id = 1")
size=$(stat -c %s "$tmp/exports/1.tar.zst")
echo "export job: $state in $(echo "$t1 - $t0" | bc) s; archive $((size / 1024 / 1024)) MiB"
echo "worker peak RSS: $(cat "$tmp/worker.rss") KiB"

"$web" -c "$tmp/left4me.yaml" --allow-root --port-file "$tmp/port" 2>"$tmp/web.log" &
pid=$!
while [ ! -s "$tmp/port" ]; do sleep 0.02; done
base="http://127.0.0.1:$(cat "$tmp/port")"
token=$("$ctl" -c "$tmp/left4me.yaml" token create admin | tail -n 1 | awk '{ print $NF }')
curl -sf "$base/healthz" >/dev/null
echo "web VmHWM before: $(awk '/VmHWM/ { print $2 }' /proc/$pid/status) KiB"
t0=$(date +%s.%N)
got=$(curl -sf -H "Authorization: Bearer $token" -o /dev/null -w '%{size_download}' \
	"$base/api/v1/servers/alpha/export")
t1=$(date +%s.%N)
echo "download: $((got / 1024 / 1024)) MiB in $(echo "$t1 - $t0" | bc) s"
echo "web VmHWM after: $(awk '/VmHWM/ { print $2 }' /proc/$pid/status) KiB"
