#!/bin/sh
# bench/overlay-mount.sh [ITERATIONS]: time `left4me-overlay mount NAME` +
# `umount NAME` for an instance with 20 lowerdirs (DESIGN.md §6: initialize +
# stage + mount of 20 overlays < 50 ms).  Root; runs the test-variant
# helper (state dir under the build dir) in a private mount namespace.
# Build first: make B=build all.   Usage: LEFT4ME_BUILD=build bench/overlay-mount.sh 200
set -eu
N=${1:-100}
BUILD=${LEFT4ME_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
[ "$(id -u)" = 0 ] || { echo "overlay-mount: must run as root" >&2; exit 1; }
if [ "${L4M_BENCH_NS:-}" != 1 ]; then
	L4M_BENCH_NS=1 exec unshare -m --propagation private -- "$0" "$@"
fi
OV=$BUILD/helpers-test/left4me-overlay
S=$(cat "$BUILD/helpers-test/state-dir")
rm -rf "$S"
mkdir -p "$S/installation/builds/1/left4dead2/addons" "$S/instances/bench" \
	"$S/runtime/bench/upper" "$S/runtime/bench/work" "$S/runtime/bench/merged"
# Users as in tests/helpers/lib.sh: a private /etc/passwd with left4me.
grep -v '^left4me:' /etc/passwd >"$S/.passwd"
echo 'left4me:x:61001:61001::/nonexistent:/usr/sbin/nologin' >>"$S/.passwd"
mount --bind "$S/.passwd" /etc/passwd
dirs=""
for i in $(seq 1 19); do
	mkdir -p "$S/overlays/$i/left4dead2/addons"
	echo "$i" >"$S/overlays/$i/left4dead2/addons/o$i.vpk"
	dirs="$S/overlays/$i:$dirs"
done
chown -R 61001:61001 "$S/runtime/bench"
printf 'L4D2_LOWERDIRS="%s"\nL4D2_PORT=27015\nL4D2_MAP=c1m1_hotel\nL4D2_MAXPLAYERS=8\n' \
	"${dirs}$S/installation/builds/1" >"$S/instances/bench/instance.env"

now_us() { echo $(($(date +%s%N) / 1000)); }
for i in $(seq 1 "$N"); do
	t0=$(now_us)
	$OV mount bench
	t1=$(now_us)
	$OV umount bench
	t2=$(now_us)
	echo "$((t1 - t0)) $((t2 - t1)) $((t2 - t0))"
done | sort -n -k3 | awk -v n="$N" '
	{ m[NR] = $1; u[NR] = $2; t[NR] = $3; sm += $1; su += $2 }
	END {
		printf "left4me-overlay, 20 lowerdirs, %d runs (ms): mount mean %.2f, umount mean %.2f\n",
			n, sm / n / 1000, su / n / 1000
		printf "mount+umount: p50 %.2f  p95 %.2f  max %.2f  (target < 50)\n",
			t[int(n * 0.5) + 1] / 1000, t[int(n * 0.95)] / 1000, t[n] / 1000
	}'
rm -rf "$S"
