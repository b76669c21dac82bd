#!/bin/sh
# make run's supervisor (tools/run-dev, issue 18): start the stack from a
# scratch checkout (this build, a temp var/), kill left4me-web, and make
# run must end within 2 s, non-zero, naming the web and the signal, with
# its last log lines, and having stopped the worker and the fetcher.
# Waits on conditions with deadlines, never a fixed sleep.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${LEFT4ME_BUILD:-build}
case $build in /*) ;; *) build="$top/$build" ;; esac
for d in left4me-web left4me-worker left4me-fetcher left4mectl; do
	[ -x "$build/$d/$d" ] || { echo "run-dev-supervises: $build/$d/$d is not built" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "run-dev-supervises: curl missing" >&2; exit 1; }

tmp=$(mktemp -d)
rd=""
fail() {
	echo "run-dev-supervises: FAILED: $*" >&2
	echo "--- make run's output:" >&2
	cat "$tmp/out" >&2
	exit 1
}
cleanup() {
	if [ -n "$rd" ] && kill -0 "$rd" 2>/dev/null; then
		kill "$rd" 2>/dev/null
		wait "$rd" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# A scratch "checkout": the shipped config (run-dev copies its fetcher
# section) and this build.
mkdir -p "$tmp/etc"
cp -R "$top/etc/left4me" "$tmp/etc/"
ln -s "$build" "$tmp/build"
# A free loopback port: one nobody answers on (bash's /dev/tcp).
port=""
for _ in $(seq 1 50); do
	p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
	if ! bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null; then
		port=$p
		break
	fi
done
[ -n "$port" ] || fail "no free port found"

(cd "$tmp" && B=build PORT=$port exec bash "$top/tools/run-dev") > "$tmp/out" 2>&1 &
rd=$!

# Until it says all three run (60 s: it migrates and hashes a password).
deadline=$(($(date +%s) + 60))
until grep -q 'running: left4me-web left4me-worker left4me-fetcher' "$tmp/out"; do
	kill -0 "$rd" 2>/dev/null || fail "make run ended before the stack was up"
	[ "$(date +%s)" -lt "$deadline" ] || fail "the stack did not come up within 60 s"
	sleep 0.05
done
web=$(pgrep -P "$rd" -x left4me-web) || fail "no left4me-web child of make run"
others=$(pgrep -P "$rd" -x left4me-worker; pgrep -P "$rd" -x left4me-fetcher)
[ "$(echo "$others" | wc -w)" -eq 2 ] || fail "not one worker and one fetcher: $others"

kill -KILL "$web"
start=$(date +%s%N)
while kill -0 "$rd" 2>/dev/null; do
	[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 2000 ] || fail "make run still running 2 s after the web died"
	sleep 0.02
done
took=$(( ($(date +%s%N) - start) / 1000000 ))
wait "$rd"
rc=$?
rd=""

[ "$rc" -ne 0 ] || fail "make run exited 0"
grep -q 'make run: left4me-web killed by signal KILL (9); its last log lines' "$tmp/out" ||
	fail "no line naming the web and the signal"
grep -q '  | left4me-web: listening on 127.0.0.1' "$tmp/out" || fail "no last log lines of the web"
grep -q 'make run: stopping the others: left4me-worker left4me-fetcher' "$tmp/out" ||
	fail "no line naming the daemons it stops"
for p in $others; do
	! kill -0 "$p" 2>/dev/null || fail "pid $p ($(cat /proc/$p/comm 2>/dev/null)) still running"
done
[ -z "${VERBOSE:-}" ] || cat "$tmp/out"
echo "run-dev-supervises: passed (make run ended ${took} ms after the web was killed, exit $rc)"
