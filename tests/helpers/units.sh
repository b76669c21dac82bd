#!/bin/sh
# units/ and etc/: `systemd-analyze verify` clean on every unit (in a temp
# --root with placeholder binaries), `systemd-analyze security --offline`
# exposure within the targets of units/README.md, the properties DESIGN.md §3.6
# pins, `visudo -cf` on the sudoers file, and sudo itself: left4me may run
# exactly the allowed helper verbs, also under the worker unit's capability
# bounding set (the helpers still mount and idmap), and nothing else.
. "$(dirname "$0")/lib.sh"
need_root_ns "$@"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
# The units and sudoers file as the build filled them (the top Makefile:
# units/* are templates), and the values it filled in: SBINDIR,
# LIBEXECDIR, STATE_DIR, SYSCONFDIR.
U=$BUILD/units
SUDOERS=$BUILD/etc/sudoers.d/left4me
[ -f "$BUILD/install-paths" ] && [ -f "$SUDOERS" ] || die "$BUILD/install-paths missing: build first (make B=... all)"
. "$BUILD/install-paths"
command -v systemd-analyze >/dev/null || die "systemd-analyze missing (apt-get install systemd)"
command -v visudo >/dev/null || die "visudo missing (apt-get install sudo)"

# ---- systemd-analyze verify -------------------------------------------------
R=$STATE/root
mkdir -p $R/etc/systemd/system $R/lib/systemd
cp -a /lib/systemd/system $R/lib/systemd/
for f in $SBINDIR/left4me-web $SBINDIR/left4me-worker $SBINDIR/left4me-fetcher $BINDIR/left4mectl \
	$SBINDIR/left4me-status \
	$LIBEXECDIR/left4me-overlay $LIBEXECDIR/left4me-launcher /usr/bin/nsenter; do
	mkdir -p $R${f%/*}
	printf '#!/bin/sh\n' >$R/$f
	chmod 755 $R/$f
done
cp $U/*.service $U/*.socket $U/*.timer $U/*.slice $R/etc/systemd/system/
cd $R/etc/systemd/system || die "cd"
units="l4d2-build.slice l4d2-game.slice left4me-web.socket left4me-web.service
	left4me-worker.service left4me-fetcher.service left4me-refresh.timer
	left4me-refresh.service left4me-server@alpha.service left4me-backup.timer
	left4me-backup.service left4me-update-check.timer left4me-update-check.service left4me-status.service"
for u in $units; do
	out=$(systemd-analyze verify --root=$R $u 2>&1)
	rc=$?
	if [ $rc = 0 ] && [ -z "$out" ]; then ok "verify $u"; else not_ok "verify $u: $out"; fi
done
check "every unit file is covered" [ "$(ls $SRC/units | grep -c -v README)" = 14 ]

# ---- systemd-analyze security: exposure targets ---------------------------
exposure() {
	systemd-analyze security --offline=true --root=$R "$1" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}
for t in left4me-web.service:2.0 left4me-fetcher.service:2.0 left4me-refresh.service:2.0 \
	left4me-backup.service:2.0 left4me-update-check.service:2.0 \
	left4me-server@alpha.service:1.4 left4me-worker.service:7.0 left4me-status.service:2.0; do
	u=${t%:*} max=${t#*:}
	e=$(exposure $u)
	if [ -n "$e" ] && awk -v e="$e" -v m="$max" 'BEGIN { exit !(e <= m) }'; then
		ok "exposure $u $e <= $max"
	else
		not_ok "exposure $u '$e' > $max"
	fi
done
cd "$SRC" || die "cd"

# ---- properties DESIGN.md §3.6 and docs/STYLE.md pin -------------------------
has() { grep -qxF -- "$2" "$U/$1"; }
lacks() { ! grep -qE -- "$2" "$U/$1"; }
S_UNIT='left4me-server@.service'
for line in \
	"ExecStartPre=+/usr/bin/nsenter --mount=/proc/1/ns/mnt -- $LIBEXECDIR/left4me-overlay mount %i" \
	"ExecStopPost=+/usr/bin/nsenter --mount=/proc/1/ns/mnt -- $LIBEXECDIR/left4me-overlay umount %i" \
	"WorkingDirectory=-$STATE_DIR/runtime/%i/merged" \
	'Restart=on-failure' 'StartLimitBurst=5' 'StartLimitIntervalSec=60s' 'TimeoutStopSec=15s' \
	'Slice=l4d2-game.slice' 'OOMScoreAdjust=-200' 'DynamicUser=yes' 'PrivateTmp=yes' \
	'LogNamespace=left4me' "ExecStart=$LIBEXECDIR/left4me-launcher %i" \
	'RestartPreventExitStatus=64 65 66 77' \
	'TemporaryFileSystem=/var/lib:ro' "BindPaths=$STATE_DIR/runtime/%i" \
	"InaccessiblePaths=-$SYSCONFDIR/left4me" 'WantedBy=multi-user.target'; do
	check "server unit: $line" has "$S_UNIT" "$line"
done
# The fetcher's absolute vpk links must resolve in the game's view; nothing
# else of the state dir is bound back (not the DB, instances/, scripts/,
# overlays/ nor other instances).
for line in "BindReadOnlyPaths=-$STATE_DIR/global_overlay_cache" \
	"BindReadOnlyPaths=-$STATE_DIR/workshop_cache" "BindReadOnlyPaths=-$STATE_DIR/.steam"; do
	check "server unit: $line" has "$S_UNIT" "$line"
done
check "server unit binds back nothing else of /var/lib" sh -c "[ \"\$(grep -E '^(Bind|BindReadOnly)Paths=' $U/$S_UNIT | sort | tr '\n' ' ')\" = \
	'BindPaths=$STATE_DIR/runtime/%i BindReadOnlyPaths=-$STATE_DIR/.steam BindReadOnlyPaths=-$STATE_DIR/global_overlay_cache BindReadOnlyPaths=-$STATE_DIR/workshop_cache BindReadOnlyPaths=$STATE_DIR/console/%i BindReadOnlyPaths=$STATE_DIR/instances/%i/instance.env ' ]"
# No command of any unit gets its environment from a file: systemd applies
# EnvironmentFile= to the root (+) commands too (issue 10).
for f in $U/*.service; do
	check "${f##*/}: no EnvironmentFile=" lacks "${f##*/}" '^EnvironmentFile'
done
# One dynamic user per instance: without User=, systemd names it after
# the template ("left4me-server") and every server shares one uid.
check "server unit: a dynamic user per instance" has "$S_UNIT" 'User=l4m-%i'
check "server unit: no Group= (the dynamic user's own)" lacks "$S_UNIT" '^Group='
check "web: not in systemd-journal (reads only the left4me namespace)" lacks left4me-web.service \
	'^SupplementaryGroups=.*systemd-journal'
for f in $U/*.service; do
	check "${f##*/}: no MountFlags=shared" lacks "${f##*/}" '^MountFlags'
done
for opt in NoNewPrivileges RestrictAddressFamilies SystemCallFilter SystemCallArchitectures \
	ProtectKernelModules ProtectKernelLogs ProtectKernelTunables ProtectClock ProtectHostname PrivateDevices \
	MemoryDenyWriteExecute LockPersonality RestrictNamespaces RestrictSUIDSGID \
	RestrictRealtime DynamicUser PrivateUsers 'CapabilityBoundingSet=[^~]' 'CapabilityBoundingSet=$'; do
	check "worker avoids $opt (sudo must keep working)" lacks left4me-worker.service "^$opt"
done
for u in left4me-web.service left4me-fetcher.service; do
	check "$u: NoNewPrivileges=yes" has $u NoNewPrivileges=yes
	check "$u: Type=notify + WatchdogSec" grep -q '^WatchdogSec=' $U/$u
done
check "worker: Type=notify" has left4me-worker.service Type=notify
check "web runs as its own user" has left4me-web.service User=left4me-web
check "web reaches DB/overlays via the left4me group" grep -q '^SupplementaryGroups=.*left4me' $U/left4me-web.service
check "refresh service only enqueues" has left4me-refresh.service "ExecStart=$SBINDIR/left4me-fetcher enqueue-refresh"
check "update check only records (--check-update)" has left4me-update-check.service "ExecStart=$SBINDIR/left4me-worker --check-update"
check "update check sees no game, overlay or server" sh -c "grep -q '^InaccessiblePaths=.*/installation .*/overlays .*/runtime' $U/left4me-update-check.service && grep -q '^InaccessiblePaths=.*/instances ' $U/left4me-update-check.service"
check "update check: no capabilities, no new privileges" sh -c "grep -qx 'CapabilityBoundingSet=' $U/left4me-update-check.service && grep -qx NoNewPrivileges=yes $U/left4me-update-check.service"
check "build slice weights 10" sh -c "grep -qx CPUWeight=10 $U/l4d2-build.slice && grep -qx IOWeight=10 $U/l4d2-build.slice"

# ---- sudoers -------------------------------------------------------------
check "visudo -cf (filled) etc/sudoers.d/left4me" visudo -cf "$SUDOERS"

# Real sudo in this namespace: helpers at $LIBEXECDIR (an overlay over its
# deepest existing ancestor, e.g. /usr/libexec or /usr/local, so nothing
# lands on the host) and our file as /etc/sudoers.d/left4me.
L=$STATE/libexec
mkdir -p $L/upper $L/work $STATE/sudoers.d
a=$LIBEXECDIR
while [ -n "$a" ] && [ ! -d "$a" ]; do a=${a%/*}; done
case $a in /?*) ;; *) die "no directory to overlay for $LIBEXECDIR" ;; esac
mount -t overlay overlay -o lowerdir=$a,upperdir=$L/upper,workdir=$L/work $a ||
	die "overlay over $a"
mkdir -p $LIBEXECDIR
cp $TH/left4me-overlay $TH/left4me-systemctl $TH/left4me-script-sandbox $LIBEXECDIR/
cp /etc/sudoers.d/* $STATE/sudoers.d/ 2>/dev/null
install -m 0440 -o root -g root $SUDOERS $STATE/sudoers.d/left4me
mount --bind $STATE/sudoers.d /etc/sudoers.d
# The worker unit's bounding set, read from the unit itself.
drop=$(sed -n 's/^CapabilityBoundingSet=~//p' $U/left4me-worker.service |
	tr 'A-Z' 'a-z' | sed 's/cap_/-/g; s/ /,/g')
[ -n "$drop" ] || die "no bounding set in the worker unit"
as_worker() {
	setpriv --reuid=$W_UID --regid=$W_UID --clear-groups --bounding-set="$drop" -- \
		env -i PATH=/usr/bin:/bin sudo -n "$@"
}
H=$LIBEXECDIR
expect_rc 0 "sudo: left4me-systemctl restart alpha allowed" as_worker $H/left4me-systemctl restart alpha
check "sudo ran the helper as root" grep -qx left4me-server@alpha.service $STATE.out
expect_rc 0 "sudo: left4me-systemctl status a-1 allowed" as_worker $H/left4me-systemctl status a-1
for args in "left4me-systemctl stop alpha" "left4me-systemctl restart Alpha" \
	"left4me-systemctl restart alpha beta" "left4me-overlay mount ../x" \
	"left4me-overlay remount alpha" "left4me-script-sandbox 07" "left4me-script-sandbox -1" \
	"left4me-script-sandbox 7 -5" "left4me-script-sandbox 7 1 2" "left4me-script-sandbox 7 +5" \
	"left4me-script-sandbox 7 1.5" "left4me-script-sandbox 7 0x10" \
	"left4me-script-sandbox 7 12345678901234567890" "left4me-script-sandbox 7 5;id"; do
	# shellcheck disable=SC2086
	expect_rc 1 "sudo refuses $args" as_worker $H/$args
done
expect_rc 1 "sudo refuses a shell" as_worker /bin/sh -c id
# The sandbox's optional allowance (a decimal byte count) passes sudo: the
# helper itself runs (and refuses: no cgroup2 in this test), sudo refuses with 1.
expect_rc 69 "sudo: left4me-script-sandbox 999 1048576 allowed" \
	as_worker $H/left4me-script-sandbox 999 1048576
expect_rc 69 "sudo: left4me-script-sandbox 999 allowed" as_worker $H/left4me-script-sandbox 999
expect_rc 1 "sudo refuses the helper without arguments" as_worker $H/left4me-systemctl

# The helpers' real work under the worker's bounding set.
S=$STATE
mkdir -p $S/installation/builds/3 $S/overlays/7 $S/instances/alpha $S/runtime/alpha/upper \
	$S/runtime/alpha/work $S/runtime/alpha/merged $S/scripts
echo x >$S/installation/builds/3/x
printf 'L4D2_LOWERDIRS=%s\nL4D2_PORT=27015\nL4D2_MAP=c1m1_hotel\nL4D2_MAXPLAYERS=8\n' \
	"$S/overlays/7:$S/installation/builds/3" >$S/instances/alpha/instance.env
echo 'echo built > built.txt' >$S/scripts/7.sh
chown -R left4me:left4me $S/overlays $S/runtime $S/scripts $S/instances
chmod 644 $S/scripts/7.sh $S/instances/alpha/instance.env
expect_rc 0 "sudo overlay mount under the worker's bounding set" as_worker $H/left4me-overlay mount alpha
check "merged shows the installation" [ -f $S/runtime/alpha/merged/x ]
expect_rc 0 "sudo overlay umount under the worker's bounding set" as_worker $H/left4me-overlay umount alpha
# The sandbox builds only on the unified hierarchy (its test variant
# checks STATE/cgroup).
mkdir -p $S/cgroup
mount -t cgroup2 none $S/cgroup || die "cannot mount cgroup2 on $S/cgroup"
expect_rc 0 "sudo script sandbox under the worker's bounding set" as_worker $H/left4me-script-sandbox 7
check "sandbox output owned by left4me" [ "$(stat -c %u $S/overlays/7/built.txt)" = $W_UID ]
umount $S/cgroup
finish
