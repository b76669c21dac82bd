#!/bin/sh
# left4me-web's peak memory under big uploads (issue 11), run by hand:
#   make B=build all && LEFT4ME_BUILD=build bench/upload_rss.sh [N] [MIB]
# N (default 3) concurrent uploads of MIB (default 400) MiB each into one
# user overlay: through the API's PUT (chunked, no Content-Length, so the
# quota check runs on every piece), then through the overlay page's
# multipart form.  Prints the web's VmHWM (peak RSS, /proc/PID/status)
# before and after each round.  Target: VmHWM < 64 MiB.  Needs curl and
# sqlite3; about N x MIB MiB of free space in $TMPDIR.
set -eu
B=${LEFT4ME_BUILD:-build}
web="$B/left4me-web/left4me-web"
ctl="$B/left4mectl/left4mectl"
n=${1:-3}
mib=${2:-400}
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
web:
  listen: 127.0.0.1:0
  secure_cookies: false
  secret_file: $tmp/secret
  max_upload: $((mib * 1048576 + 4096))
quotas:
  overlay_bytes: $(((n + 1) * mib * 1048576))
  total_bytes: $(((n + 1) * mib * 1048576))
EOC
"$ctl" -c "$tmp/left4me.yaml" db migrate >/dev/null
echo 'bench-password' | "$ctl" -c "$tmp/left4me.yaml" user add alice --password-stdin >/dev/null
mkdir -m 2770 "$tmp/overlays"
sqlite3 "$tmp/left4me.db" "INSERT INTO overlays (user_id, name, kind, build_status, created_at, updated_at) VALUES (1, 'big', 'user', 'never', 1, 1);"

"$web" -c "$tmp/left4me.yaml" --allow-root --port-file "$tmp/port" 2>"$tmp/web.log" &
pid=$!
while [ ! -s "$tmp/port" ]; do sleep 0.02; done
base="http://127.0.0.1:$(cat "$tmp/port")"

hwm() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status"; }
token=$("$ctl" -c "$tmp/left4me.yaml" token create alice | tail -n1)

echo "web VmHWM at start: $(hwm) kB"
start=$(date +%s.%N)
i=0
jobs=""
while [ "$i" -lt "$n" ]; do
	head -c "$((mib * 1048576))" /dev/zero |
		curl -sS -o /dev/null -w "PUT $i: %{http_code}\n" -T - \
			-H "Authorization: Bearer $token" "$base/api/v1/overlays/1/files/put-$i.bin" &
	jobs="$jobs $!"
	i=$((i + 1))
done
# Only the uploads: a bare wait would wait for the web as well.
for j in $jobs; do wait "$j"; done
end=$(date +%s.%N)
echo "after $n concurrent PUTs of $mib MiB: web VmHWM $(hwm) kB ($(echo "$end - $start" | bc) s)"

# The form: log in, then N multipart uploads at once (curl -F streams the file).
page=$(curl -s -c "$tmp/jar" "$base/login")
csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p')
curl -s -b "$tmp/jar" -c "$tmp/jar" -o /dev/null \
	--data "username=alice&password=bench-password&csrf_token=$csrf" "$base/login"
page=$(curl -s -b "$tmp/jar" "$base/overlays/1")
csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1)
head -c "$((mib * 1048576 - 4096))" /dev/zero >"$tmp/form.bin"
start=$(date +%s.%N)
i=0
jobs=""
while [ "$i" -lt "$n" ]; do
	curl -sS -o /dev/null -w "form $i: %{http_code}\n" -b "$tmp/jar" \
		-F "csrf_token=$csrf" -F "path=form-$i.bin" -F "file=@$tmp/form.bin" \
		"$base/overlays/1/upload" &
	jobs="$jobs $!"
	i=$((i + 1))
done
for j in $jobs; do wait "$j"; done
end=$(date +%s.%N)
rm -f "$tmp/form.bin"
echo "after $n concurrent form uploads of $mib MiB: web VmHWM $(hwm) kB ($(echo "$end - $start" | bc) s)"
ls -l "$tmp/overlays/1" | tail -n +2
