#!/bin/sh
# bench/update-copy.sh [SIZE_MIB]: the disk cost of a game update that
# changes 1% of a SIZE_MIB (default 2048, 2 GiB) build, the way
# install_game stages it (left4me-worker/builds.c): copy the current
# build to a staging tree (FICLONE per file where the filesystem can,
# else a full copy), then rewrite 1% of its bytes as SteamCMD would.
# Measured twice: in a directory on the filesystem the bench runs on
# (BENCH_DIR, default /var/tmp) and on a loopback xfs image (mkfs.xfs -m
# reflink=1; xfsprogs, tools/install-deps bench), each reporting the
# filesystem's used bytes after the copy and after the change.  Root (the
# loop mount); runs in a private mount namespace.
# Build first: make B=build bench.   Usage: LEFT4ME_BUILD=build bench/update-copy.sh
set -eu
MIB=${1:-2048}
BUILD=${LEFT4ME_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
CLONE=$BUILD/bench/build_clone
[ -x "$CLONE" ] || { echo "update-copy: build $CLONE first (make B=$BUILD bench)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "update-copy: must run as root" >&2; exit 1; }
command -v mkfs.xfs >/dev/null || { echo "update-copy: mkfs.xfs is missing (tools/install-deps bench)" >&2; exit 1; }
if [ "${L4M_BENCH_NS:-}" != 1 ]; then
	L4M_BENCH_NS=1 exec unshare -m --propagation private -- "$0" "$@"
fi
WORK=$(mktemp -d "${BENCH_DIR:-/var/tmp}/left4me-update-copy.XXXXXX")
trap 'umount "$WORK/xfs" 2>/dev/null; rm -rf "$WORK"' EXIT
FILES=200 # like a game tree's big vpks: SIZE/200 each
PER=$((MIB / FILES))
CHANGE=$((FILES / 100)) # 1% of the files, rewritten whole

used() { sync; df --output=used -B1 "$1" | tail -n 1 | tr -d ' '; }
mib() { echo $(($1 / 1048576)); }

run() { # DIR LABEL
	dir=$1
	mkdir -p "$dir/builds/100"
	i=0
	while [ $i -lt $FILES ]; do
		head -c $((PER * 1048576)) /dev/urandom >"$dir/builds/100/pak$i.vpk"
		i=$((i + 1))
	done
	base=$(used "$dir")
	out=$("$CLONE" "$dir/builds/100" "$dir/staging")
	copied=$(used "$dir")
	i=0
	while [ $i -lt $CHANGE ]; do
		head -c $((PER * 1048576)) /dev/urandom | dd of="$dir/staging/pak$i.vpk" bs=1M conv=notrunc status=none
		i=$((i + 1))
	done
	changed=$(used "$dir")
	fs=$(df --output=fstype "$dir" | tail -n 1 | tr -d ' ')
	printf '%-5s %s MiB build: copy +%s MiB, after the 1%% change +%s MiB (%s)\n' \
		"$fs" "$MIB" "$(mib $((copied - base)))" "$(mib $((changed - base)))" "$out"
	rm -rf "$dir/builds" "$dir/staging"
}

run "$WORK/here" "bench fs"
truncate -s $((MIB * 3))M "$WORK/xfs.img"
mkfs.xfs -q -m reflink=1 "$WORK/xfs.img"
mkdir "$WORK/xfs"
mount -o loop "$WORK/xfs.img" "$WORK/xfs"
run "$WORK/xfs/t" "xfs"
