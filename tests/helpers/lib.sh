# Shared by the helper tests (sourced, not run).  Each test re-execs itself
# inside a private mount namespace (unshare -m), so its mounts, the fake
# /etc/passwd entries and the state dir's tmp layout never reach the host.
# Root is required: CI runs as root, and a skip would hide a broken helper.

set -u
T_PASS=0
T_FAIL=0
BUILD=${LEFT4ME_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
TH=$BUILD/helpers-test          # test-variant helpers
IH=$BUILD/left4me-helpers       # installed-variant helpers

# Test users: fixed ids unlikely to clash; added to a private copy of
# /etc/passwd bind-mounted inside the namespace only.
W_UID=61001
S_UID=61002
WEB_UID=61003

die() { echo "FATAL: $*" >&2; exit 1; }

need_root_ns() {
	[ "$(id -u)" = 0 ] || die "$0 must run as root (it mounts in a private namespace)"
	if [ "${L4M_TEST_NS:-}" != "$0" ]; then
		L4M_TEST_NS=$0 exec unshare -m --propagation private -- "$0" "$@"
	fi
	[ -f "$TH/state-dir" ] || die "$TH/state-dir missing: build first (make B=... all)"
	STATE=$(cat "$TH/state-dir")
	rm -rf "$STATE"
	mkdir -p "$STATE"
	fake_users
	stub_systemctl
}

# The test variant of left4me-overlay asks $STATE/systemctl (its compiled-in
# LEFT4ME_SYSTEMCTL) for the unit's UID/GID, never systemd.  The stub
# appends its argv to $STATE/systemctl.argv and prints
# $STATE/systemctl.show (game_ids sets it) with exit status
# $STATE/systemctl.rc (default 0); while $STATE/systemctl.unset holds N > 0
# it first answers "[not set]" (and counts down), as systemd does until it
# has the dynamic user; $STATE/systemctl.sleep makes it hang that long.
GAME_UID=61300
game_ids() { printf 'UID=%s\nGID=%s\n' "$1" "$2" >"$STATE/systemctl.show"; }
stub_systemctl() {
	cat >"$STATE/systemctl" <<STUB
#!/bin/sh
S='$STATE'
STUB
	cat >>"$STATE/systemctl" <<'STUB'
printf '%s\n' "$*" >>"$S/systemctl.argv"
[ -f "$S/systemctl.sleep" ] && sleep "$(cat "$S/systemctl.sleep")"
n=$(cat "$S/systemctl.unset" 2>/dev/null || echo 0)
if [ "$n" -gt 0 ]; then
	echo $((n - 1)) >"$S/systemctl.unset"
	printf 'UID=[not set]\nGID=[not set]\n'
	exit 0
fi
cat "$S/systemctl.show"
exit "$(cat "$S/systemctl.rc" 2>/dev/null || echo 0)"
STUB
	chmod 755 "$STATE/systemctl"
	game_ids $GAME_UID $GAME_UID
}

fake_users() {
	p=$STATE/.passwd g=$STATE/.group sh=$STATE/.shadow
	grep -v -e '^left4me:' -e '^l4d2-sandbox:' -e '^left4me-web:' /etc/passwd >"$p"
	grep -v -e '^left4me:' -e '^l4d2-sandbox:' -e '^left4me-web:' /etc/group >"$g"
	echo "left4me:x:$W_UID:$W_UID::/nonexistent:/usr/sbin/nologin" >>"$p"
	echo "l4d2-sandbox:x:$S_UID:$S_UID::/nonexistent:/usr/sbin/nologin" >>"$p"
	echo "left4me-web:x:$WEB_UID:$WEB_UID::/nonexistent:/usr/sbin/nologin" >>"$p"
	echo "left4me:x:$W_UID:left4me-web" >>"$g"
	echo "l4d2-sandbox:x:$S_UID:" >>"$g"
	echo "left4me-web:x:$WEB_UID:" >>"$g"
	chmod 644 "$p" "$g"
	mount --bind "$p" /etc/passwd
	mount --bind "$g" /etc/group
	# A locked-password shadow entry: PAM's account check (sudo) wants one.
	grep -v -e '^left4me:' -e '^l4d2-sandbox:' /etc/shadow >"$sh"
	echo 'left4me:!:19000:0:99999:7:::' >>"$sh"
	echo 'l4d2-sandbox:!:19000:0:99999:7:::' >>"$sh"
	chmod 640 "$sh"
	chgrp shadow "$sh" 2>/dev/null
	mount --bind "$sh" /etc/shadow
	[ "$(id -u left4me)" = $W_UID ] || die "fake left4me user not visible"
}

ok() { T_PASS=$((T_PASS + 1)); echo "ok - $*"; }
not_ok() { T_FAIL=$((T_FAIL + 1)); echo "not ok - $*"; }

# expect_rc WANT DESC CMD...: run CMD, compare its exit status.
expect_rc() {
	want=$1 desc=$2
	shift 2
	"$@" >"$STATE.out" 2>"$STATE.err"
	rc=$?
	if [ "$rc" = "$want" ]; then
		ok "$desc (rc=$rc)"
	else
		not_ok "$desc: rc=$rc, want $want; stderr: $(head -c 300 "$STATE.err")"
	fi
}

# check DESC CMD...: CMD must succeed.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# mounts_at PATH: how many mounts are stacked on PATH (mountinfo field 5).
mounts_at() {
	awk -v p="$1" '$5 == p { n++ } END { print n + 0 }' /proc/self/mountinfo
}

# One stderr line on refusal, naming the helper.
one_line_err() {
	[ "$(wc -l <"$STATE.err")" = 1 ] && grep -q '^left4me-' "$STATE.err"
}

finish() {
	echo "# $0: $T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" = 0 ] || return 1
	rm -rf "$STATE" "$STATE.out" "$STATE.err"
}
