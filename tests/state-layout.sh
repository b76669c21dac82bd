#!/bin/sh
# The state dir's one description (etc/left4me/state-layout, issue 17):
# `make run`'s layout step (tools/run-dev --layout-only) and
# left4me-common's postinst (its create_dirs, run here without the chown
# that needs the left4me user) both lay out a fresh dir from it, and both
# end with exactly the table's directories and modes.  The postinst names
# no state-dir mode of its own.  make run's worker runs stand-ins of the
# root helpers that fail with one clear line.
set -eu
cd "$(dirname "$0")/.."
build=${LEFT4ME_BUILD:-build}
case $build in /*) build=${build#"$(pwd)"/} ;; esac
table=etc/left4me/state-layout
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0

entries() {
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$table"
}

# check DIR WHO: every table entry is a directory of its mode under DIR,
# and DIR has no other directory.
check() {
	n=0
	while read -r path mode; do
		n=$((n + 1))
		d=$1/$path
		[ "$path" != . ] || d=$1
		got=$(stat -c %a "$d" 2>/dev/null || echo missing)
		if [ "$got" != "$(echo "$mode" | sed 's/^0*//')" ]; then
			echo "state-layout: $2: $path is $got, the table says $mode"
			bad=$((bad + 1))
		fi
	done <<-EOT
		$(entries)
	EOT
	others=$(find "$1" -mindepth 1 -maxdepth 1 -type d | wc -l)
	if [ "$((others + 1))" -ne "$n" ]; then
		echo "state-layout: $2: $others subdirectories, the table has $((n - 1))"
		bad=$((bad + 1))
	fi
}

[ "$(entries | head -n 1 | awk '{ print $1 }')" = . ] ||
	{ echo "state-layout: the table's first entry must be . (parents first)"; exit 1; }

# make run's layout step, into a state dir of its own.
if ! B=$build LEFT4ME_VAR=$tmp/run PORT=0 tools/run-dev --layout-only >"$tmp/run.log" 2>&1; then
	cat "$tmp/run.log"
	echo "state-layout: tools/run-dev --layout-only failed"
	exit 1
fi
check "$tmp/run" "make run"

# make run's worker gets stand-ins for the root helpers: each says, in one
# line, what the step needs, and exits 69 (EX_UNAVAILABLE).
hdir=$(sed -n 's/^  helper_dir: //p' "$tmp/run/left4me.yaml")
for h in left4me-overlay left4me-systemctl left4me-script-sandbox; do
	rc=0
	out=$("$hdir/$h" enable alpha 2>&1) || rc=$?
	case $rc:$out in
	"69:$h enable alpha: not available under make run: "*"; install the packages"*) ;;
	*)
		echo "state-layout: make run's $hdir/$h: exit $rc, '$out'"
		bad=$((bad + 1))
		;;
	esac
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] ||
		{ echo "state-layout: $h: more than one line"; bad=$((bad + 1)); }
done

# The postinst's create_dirs, with its dir() minus chown (root's part) and
# the table from the source tree instead of /usr/share/left4me (and no
# upgrade fix-up of old overlay dirs: it names group left4me).
mkdir "$tmp/pkg"
fn=$(awk '/^create_dirs\(\) \{/,/^\}/' debian/left4me-common.postinst)
[ -n "$fn" ] || { echo "state-layout: no create_dirs in the postinst"; exit 1; }
(
	die() { echo "postinst: $*" >&2; exit 1; }
	dir() { [ -d "$1" ] || mkdir "$1"; chmod "0$2" "$1"; }
	find() { :; } # the upgrade fix-up needs group left4me
	STATE=$tmp/pkg/state
	LAYOUT=$table
	eval "$fn"
	create_dirs
) || { echo "state-layout: the postinst's create_dirs failed"; exit 1; }
check "$tmp/pkg/state" "postinst"

if grep -nE 'dir "\$STATE[^"]*" [0-7]{4}' debian/left4me-common.postinst; then
	echo "state-layout: the postinst names a mode of its own: put it in $table"
	bad=$((bad + 1))
fi

[ "$bad" -eq 0 ] || exit 1
echo "state-layout: make run and the postinst both lay out $table"
