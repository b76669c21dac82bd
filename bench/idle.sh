#!/bin/sh
# Idle footprint (docs/DESIGN.md §6): web + worker + fetcher < 20 MiB RSS
# together, ~0% CPU.  Starts the three real daemons from the build dir
# against a temp state dir with a migrated DB (worker.sudo false, no fetcher
# sources), waits for them to settle, then reads VmRSS and utime+stime from
# /proc for each over a window, prints the table and the total, stops them.
#   make B=build all && LEFT4ME_BUILD=build bench/idle.sh [SETTLE_S] [WINDOW_S]
set -eu
B=${LEFT4ME_BUILD:-build}
settle=${1:-10}
window=${2:-10}
ctl="$B/left4mectl/left4mectl"
tmp=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
root=""
[ "$(id -u)" -eq 0 ] && root=--allow-root

head -c 48 /dev/urandom | base64 >"$tmp/secret"
cat >"$tmp/left4me.yaml" <<EOC
state_dir: $tmp
web:
  listen: 127.0.0.1:0
  secure_cookies: false
  secret_file: $tmp/secret
worker:
  helper_dir: $(cd "$B" && pwd)/helpers-test
  sudo: false
  steamcmd: /bin/false
EOC
"$ctl" -c "$tmp/left4me.yaml" db migrate >/dev/null

"$B/left4me-web/left4me-web" -c "$tmp/left4me.yaml" $root --port-file "$tmp/port" 2>"$tmp/web.log" &
web=$!
"$B/left4me-worker/left4me-worker" -c "$tmp/left4me.yaml" $root 2>"$tmp/worker.log" &
worker=$!
"$B/left4me-fetcher/left4me-fetcher" -c "$tmp/left4me.yaml" $root 2>"$tmp/fetcher.log" &
fetcher=$!
pids="$web $worker $fetcher"
sleep "$settle"
for p in $pids; do
	kill -0 "$p" 2>/dev/null || { echo "a daemon exited; logs:" >&2; cat "$tmp"/*.log >&2; exit 1; }
done

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
kib() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"; }
pss() { sed -n 's/^Pss:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/smaps_rollup"; }
for p in $pids; do eval "t0_$p=\$(ticks $p)"; done
sleep "$window"
hz=$(getconf CLK_TCK)
total=0
ptotal=0
printf '%-16s %10s %10s %10s %12s %8s\n' daemon 'RSS KiB' 'PSS KiB' 'anon KiB' \
	"ticks/${window}s" 'CPU %'
for name in web worker fetcher; do
	eval "p=\$$name"
	eval "t0=\$t0_$p"
	t1=$(ticks "$p")
	rss=$(kib "$p" VmRSS)
	anon=$(kib "$p" RssAnon)
	ps=$(pss "$p")
	total=$((total + rss))
	ptotal=$((ptotal + ps))
	printf '%-16s %10s %10s %10s %12s %8s\n' "left4me-$name" "$rss" "$ps" "$anon" "$((t1 - t0))" \
		"$(echo "$t1 $t0 $hz $window" | awk '{printf "%.2f", 100 * ($1 - $2) / $3 / $4}')"
done
printf '%-16s %10s %10s   (RSS %s MiB, PSS %s MiB; target < 20 MiB)\n' total "$total" \
	"$ptotal" "$(echo "$total" | awk '{printf "%.1f", $1 / 1024}')" \
	"$(echo "$ptotal" | awk '{printf "%.1f", $1 / 1024}')"
