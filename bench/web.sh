#!/bin/sh
# left4me-web benchmarks (docs/DESIGN.md §6), run by hand:
#   make B=build all build/bench/sse_fanout && bench/web.sh [dashboard|sse|idle|all]
# (1) dashboard with 100 servers and 10,000 jobs under wrk, against nginx
#     serving the same bytes statically; (2) 10,000 SSE viewers on one job
#     log; (3) idle RSS.  Needs wrk, nginx-light, sqlite3, curl.
set -eu
B=${LEFT4ME_BUILD:-build}
web="$B/left4me-web/left4me-web"
ctl="$B/left4me/left4mectl"
ctl="$B/left4mectl/left4mectl"
what=${1:-all}
tmp=$(mktemp -d)
pid=""
npid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	[ -n "$npid" ] && kill "$npid" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

head -c 48 /dev/urandom | base64 >"$tmp/secret"
cat >"$tmp/left4me.yaml" <<EOC
state_dir: $tmp
web:
  listen: 127.0.0.1:0
  secure_cookies: false
  secret_file: $tmp/secret
  max_connections: 30000
  per_ip_connections: 30000
  connection_timeout: 600
  max_streams_per_user: 20000
EOC
"$ctl" -c "$tmp/left4me.yaml" db migrate >/dev/null
echo 'bench-password' | "$ctl" -c "$tmp/left4me.yaml" user add admin --admin --password-stdin >/dev/null
db="$tmp/left4me.db"
# 100 servers on one blueprint, 10,000 finished jobs, the newest on them.
sqlite3 "$db" <<'EOSQL'
INSERT INTO blueprints (user_id, name, config, created_at, updated_at) VALUES (1, 'coop', 'hostname x', 1, 1);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
INSERT INTO servers (name, user_id, blueprint_id, port, state, created_at, updated_at)
SELECT 'server-' || i, 1, 1, 27000 + i, CASE i % 3 WHEN 0 THEN 'running' WHEN 1 THEN 'stopped' ELSE 'new' END, 1, 1 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
INSERT INTO jobs (kind, target, user_id, queue, state, created_at, started_at, finished_at, exit_code)
SELECT 'start', 'server-' || (i % 100 + 1), 1, 'worker', 'succeeded', 1700000000000 + i, 1700000000000 + i, 1700000000500 + i, 0 FROM n;
INSERT INTO jobs (kind, target, user_id, queue, created_at) VALUES ('install_game', '', 1, 'worker', 1);
EOSQL

"$web" -c "$tmp/left4me.yaml" --allow-root --port-file "$tmp/port" 2>"$tmp/web.log" &
pid=$!
while [ ! -s "$tmp/port" ]; do sleep 0.02; done
port=$(cat "$tmp/port")
base="http://127.0.0.1:$port"

login() {
	page=$(curl -s -c "$tmp/jar" "$base/login")
	tok=$(printf '%s' "$page" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p')
	curl -s -b "$tmp/jar" -c "$tmp/jar" -o /dev/null \
		--data "username=admin&password=bench-password&csrf_token=$tok" "$base/login"
	sed -n 's/.*\tl4m_session\t\(.*\)$/\1/p' "$tmp/jar"
}

rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

if [ "$what" = idle ] || [ "$what" = all ]; then
	sleep 5
	t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	sleep 10
	t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	echo "idle: web RSS $(rss "$pid") KiB, CPU over 10 s: $((t1 - t0)) ticks ($(getconf CLK_TCK)/s)"
fi

if [ "$what" = dashboard ] || [ "$what" = all ]; then
	sess=$(login)
	curl -s -H "Cookie: l4m_session=$sess" "$base/" >"$tmp/dashboard.html"
	echo "dashboard: $(wc -c <"$tmp/dashboard.html") bytes, $(grep -o '<tr>' "$tmp/dashboard.html" | wc -l) rows"
	mkdir -p "$tmp/www"
	cp "$tmp/dashboard.html" "$tmp/www/index.html"
	cat >"$tmp/nginx.conf" <<EON
user root;
worker_processes 2;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 4096; }
http {
	access_log off;
	default_type text/html;
	server { listen 127.0.0.1:$((port + 1)); root $tmp/www; }
}
EON
	nginx -c "$tmp/nginx.conf" -p "$tmp" &
	npid=$!
	sleep 1
	echo "--- left4me-web /"
	wrk -t2 -c32 -d10s --latency -H "Cookie: l4m_session=$sess" "$base/" | tee "$tmp/wrk-web"
	echo "--- nginx, the same bytes"
	wrk -t2 -c32 -d10s --latency "http://127.0.0.1:$((port + 1))/" | tee "$tmp/wrk-nginx"
	a=$(sed -n 's/^Requests\/sec:[[:space:]]*//p' "$tmp/wrk-web")
	b=$(sed -n 's/^Requests\/sec:[[:space:]]*//p' "$tmp/wrk-nginx")
	echo "ratio web/nginx: $(echo "$a $b" | awk '{printf "%.2f", $1 / $2}')"
	kill "$npid"
	npid=""
fi

if [ "$what" = sse ] || [ "$what" = all ]; then
	tokn=$("$ctl" -c "$tmp/left4me.yaml" token create admin | tail -1)
	job=$(sqlite3 "$db" "SELECT max(id) FROM jobs")
	"$B/bench/sse_fanout" "$port" "$tokn" "$db" "$job" "$pid" "${VIEWERS:-10000}" "${LINES:-20}"
fi
