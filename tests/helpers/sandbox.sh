#!/bin/sh
# left4me-script-sandbox (test variant) in a private mount namespace: the
# systemd-run argv property by property, a real idmapped staging mount
# (files the sandbox uid writes land owned by left4me), the script's exit
# status passed through, staging removed after success, failure and
# SIGTERM, and a refusal without cgroup2 (its compiled-in cgroup dir,
# STATE/cgroup here, gets a real cgroup2 mount, or a cgroup v1 or tmpfs one).  The test variant runs the staged script as the sandbox uid
# where the installed build would exec systemd-run.
. "$(dirname "$0")/lib.sh"
need_root_ns "$@"
SB=$TH/left4me-script-sandbox
S=$STATE
STG=$S/staging
mkdir -p $S/scripts $S/overlays/7
chown left4me:left4me $S/scripts $S/overlays/7
echo old >$S/overlays/7/existing
chown left4me:left4me $S/overlays/7/existing
script() { # BODY: write scripts/7.sh as the worker would
	printf '%s\n' "$1" >$S/scripts/7.sh
	chown left4me:left4me $S/scripts/7.sh
	chmod 644 $S/scripts/7.sh
}
staging_gone() {
	[ ! -e $STG/7 ] && ! grep -q " $STG" /proc/self/mountinfo
}
# PID runs (a zombie has ended: it only waits for its parent to reap it)
alive() {
	[ -e /proc/$1 ] && ! grep -q '^State:[[:space:]]*Z' /proc/$1/status 2>/dev/null
}
gone_within() { # SECONDS PID: PID has ended, or does within SECONDS
	n=$(($1 * 20))
	while alive $2 && [ $n -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
	! alive $2
}

# ---- no cgroup2: refused before anything is staged or started ---------------
# On a cgroup v1 or hybrid host (/sys/fs/cgroup a tmpfs) systemd drops
# IPAddressDeny=, so the helper must not build at all.
CG=$S/cgroup
script 'touch nocg-ran'
expect_rc 69 "no cgroup dir: refused (EX_UNAVAILABLE)" $SB 7
check "no cgroup dir: one stderr line" one_line_err
mkdir $CG
mount -t tmpfs none $CG || die "cannot mount a tmpfs on $CG"
expect_rc 69 "tmpfs at the cgroup dir (hybrid host): refused" $SB 7
check "tmpfs: the refusal names cgroup2" grep -q 'is not cgroup2' $STATE.err
check "tmpfs: one stderr line" one_line_err
umount $CG
mount -t cgroup -o none,name=left4me-test cgroup $CG || die "cannot mount a cgroup v1 hierarchy on $CG"
expect_rc 69 "cgroup v1 at the cgroup dir: refused" $SB 7
check "cgroup v1: one stderr line" one_line_err
check "cgroup v1: no systemd-run argv (nothing started)" [ ! -s $STATE.out ]
umount $CG
check "no cgroup2: nothing started" [ ! -e $S/overlays/7/nocg-ran ]
check "no cgroup2: staging not created" [ ! -e $STG ]
mount -t cgroup2 none $CG || die "cannot mount cgroup2 on $CG (the kernel must allow it)"

# ---- success: argv, idmap, cleanup ---------------------------------------
script 'set -e
echo hello > out.txt
mkdir sub && touch sub/f
id -u > who
echo more >> existing
test ! -e /proc/1/root/etc 2>/dev/null || true'
expect_rc 0 "script runs" $SB 7
check "staging removed after success" staging_gone
check "script ran as the sandbox uid" [ "$(cat $S/overlays/7/who)" = $S_UID ]
for f in out.txt sub sub/f who existing; do
	check "$f owned by left4me on disk" [ "$(stat -c %u:%g $S/overlays/7/$f)" = $W_UID:$W_UID ]
done
check "existing left4me file was writable through the idmap" \
	[ "$(tail -n 1 $S/overlays/7/existing)" = more ]
check "umask 0002: files group-writable for the web" [ "$(stat -c %a $S/overlays/7/out.txt)" = 664 ]

# ---- the systemd-run argv, property by property ----------------------------
argv=$STATE.out
prop() {
	if grep -qxF -- "$1" $argv; then ok "argv has $1"; else not_ok "argv lacks $1"; fi
}
absent() { ! grep -q -- "$1" $argv; }
check "argv starts with systemd-run" [ "$(head -n 1 $argv)" = /usr/bin/systemd-run ]
for p in --pipe --wait --collect --service-type=exec --slice=l4d2-build.slice \
	--unit=left4me-build-7 --uid=$S_UID --gid=$S_UID --working-directory=/overlay \
	--property=RuntimeMaxSec=3600 --property=MemoryMax=2G --property=CPUQuota=200% \
	--property=TasksMax=512 --property=UMask=0002 --property=NoNewPrivileges=yes \
	--property=ProtectSystem=strict --property=ProtectHome=yes \
	--property=PrivateDevices=yes --property=ProtectKernelTunables=yes \
	--property=ProtectKernelModules=yes --property=ProtectKernelLogs=yes \
	--property=ProtectControlGroups=yes --property=RestrictNamespaces=yes \
	'--property=RestrictAddressFamilies=AF_INET AF_INET6' \
	--property=RestrictSUIDSGID=yes --property=LockPersonality=yes \
	--property=MemoryDenyWriteExecute=yes --property=SystemCallFilter=@system-service \
	'--property=SystemCallFilter=~@privileged @resources @mount @keyring' \
	--property=CapabilityBoundingSet= --property=AmbientCapabilities= \
	--property=TemporaryFileSystem=/var/lib --property=TemporaryFileSystem=/etc \
	"--property=BindReadOnlyPaths=$S/etc/sandbox-resolv.conf:/etc/resolv.conf" \
	"--property=BindPaths=$STG/7/overlay:/overlay" \
	"--property=BindReadOnlyPaths=$STG/7/build.sh:/var/lib/left4me-build/build.sh"; do
	prop "$p"
done
check "tools' /etc bound back read-only" grep -q -- '^--property=BindReadOnlyPaths=.*-/etc/alternatives.*-/etc/ssl' $argv
deny=$(sed -n 's/^--property=IPAddressDeny=//p' $argv)
for net in 0.0.0.0/8 127.0.0.0/8 ::1/128 169.254.0.0/16 fe80::/10 224.0.0.0/4 ff00::/8 \
	10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 100.64.0.0/10 fc00::/7; do
	case " $deny " in *" $net "*) ok "IPAddressDeny has $net" ;; *) not_ok "IPAddressDeny lacks $net" ;; esac
done
check "no IPAddressAllow (allow would win over deny)" absent IPAddressAllow
check "no --scope (a scope cannot carry the hardening)" absent --scope
check "command is bash on the staged script" \
	[ "$(sed -n '/^--$/,$p' $argv | tr '\n' ' ')" = "-- /bin/bash /var/lib/left4me-build/build.sh " ]

# ---- an overlay an upload created: left4me-web:left4me 2770 ---------------
# (docs/SECURITY.md, shared overlays) The sandbox writes through group
# write; what it creates is left4me:left4me, group-writable.
mkdir $S/overlays/12
chown left4me-web:left4me $S/overlays/12
chmod 2770 $S/overlays/12
echo uploaded >$S/overlays/12/uploaded.txt
chown left4me-web:left4me $S/overlays/12/uploaded.txt
chmod 660 $S/overlays/12/uploaded.txt
printf '%s\n' 'set -e; echo built > built.txt; echo more >> uploaded.txt; mkdir d; touch d/f' >$S/scripts/12.sh
chown left4me:left4me $S/scripts/12.sh
chmod 644 $S/scripts/12.sh
expect_rc 0 "builds in a dir the web created" $SB 12
check "built file is left4me:left4me 664" [ "$(stat -c '%u:%g %a' $S/overlays/12/built.txt)" = "$W_UID:$W_UID 664" ]
check "built dir is left4me:left4me, setgid kept" [ "$(stat -c '%u:%g %a' $S/overlays/12/d)" = "$W_UID:$W_UID 2775" ]
check "the uploaded file was written through group write" [ "$(tail -n 1 $S/overlays/12/uploaded.txt)" = more ]
check "the uploaded file is still the web's" [ "$(stat -c %u $S/overlays/12/uploaded.txt)" = $WEB_UID ]


# ---- exit status passed through, cleanup after failure ---------------------
script 'echo partial > partial.txt; exit 7'
expect_rc 7 "script exit status passed through" $SB 7
check "staging removed after failure" staging_gone
script 'kill -KILL $$'
expect_rc 137 "script killed by a signal -> 128+N" $SB 7
check "staging removed after a killed script" staging_gone

# ---- SIGTERM to the helper ------------------------------------------------
# The script leaves a background process behind it (the shell waits for it):
# the helper must stop the script's whole process group, not only the shell.
script 'sleep 60 & echo $! > bgpid; echo $$ > started; wait'
rm -f $S/overlays/7/started $S/overlays/7/bgpid
$SB 7 >/dev/null 2>&1 &
pid=$!
i=0
while [ ! -s $S/overlays/7/started ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
check "script started" [ -s $S/overlays/7/started ]
check "staging mounted while running" [ -d $STG/7/overlay ]
sh_pid=$(cat $S/overlays/7/started)
bg_pid=$(cat $S/overlays/7/bgpid)
check "the script's background process is running" alive $bg_pid
kill -TERM $pid
wait $pid
rc=$?
check "SIGTERM -> exit 143 (rc=$rc)" [ $rc = 143 ]
check "staging removed after SIGTERM" staging_gone
check "script's shell was stopped" gone_within 5 $sh_pid
check "script's background process was stopped" gone_within 5 $bg_pid
alive $bg_pid && kill -KILL $bg_pid

# ---- stale staging from a SIGKILLed run is cleaned up -----------------------
mkdir -p $STG/7/overlay && touch $STG/7/build.sh && mount --bind $S/overlays/7 $STG/7/overlay
script 'true'
expect_rc 0 "stale staging replaced" $SB 7
check "staging removed after stale cleanup" staging_gone

# ---- the output is mounted nosuid,nodev --------------------------------------
# (The idmapped staging clone carries both flags, and systemd's BindPaths=
# bind of it keeps a mount's flags.)  The script looks at its own cwd.
script 'awk -v d="$(pwd -P)" '"'"'$5 == d { print $6 }'"'"' /proc/self/mountinfo >mountopts'
expect_rc 0 "output mount: script ran" $SB 7
opts=$(cat $S/overlays/7/mountopts)
check "output mount is nosuid ($opts)" [ -n "$(echo ",$opts," | grep ,nosuid,)" ]
check "output mount is nodev ($opts)" [ -n "$(echo ",$opts," | grep ,nodev,)" ]
rm -f $S/overlays/7/mountopts

# ---- writable state is each build's own --------------------------------------
# Before: PrivateTmp= (on disk, unmetered), PrivateDevices= binding the
# host's /dev/shm and /dev/mqueue (both outlive the unit), and the kernel
# keyring syscalls (l4d2-sandbox's user keyring outlives the unit too).
script 'true'
expect_rc 0 "writable state: script ran" $SB 7
for p in '--property=TemporaryFileSystem=/tmp:mode=1777,nosuid,nodev' \
	'--property=TemporaryFileSystem=/var/tmp:mode=1777,nosuid,nodev' \
	'--property=TemporaryFileSystem=/dev/shm:mode=1777,nosuid,nodev' \
	'--property=InaccessiblePaths=-/dev/mqueue' \
	'--property=Environment=HOME=/tmp LANG=C.UTF-8' \
	'--property=SystemCallFilter=~@privileged @resources @mount @keyring'; do
	prop "$p"
done
check "no PrivateTmp= (a disk-backed /tmp no limit sees)" absent PrivateTmp
check "HOME is set once, to the fresh /tmp" [ "$(grep -c 'HOME=' $argv)" = 1 ]

# ---- no AF_UNIX, and what builds do still works ------------------------------
# The test build runs the script under the unit's NoNewPrivileges= and its
# RestrictAddressFamilies= as systemd applies it (socket() of another
# family: EAFNOSUPPORT; socketpair() unfiltered): the system test's build
# steps (files, /dev/tcp, id -un) plus name lookups and an HTTP download by
# name from a loopback server (curl's threaded resolver uses socketpair()).
check "argv: AF_UNIX is not an allowed family" absent 'RestrictAddressFamilies=.*AF_UNIX'
/usr/bin/python3 -c 'import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"served\n")
    def log_message(self, *a): pass
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(srv.server_address[1]))
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()' $S/http.port &
http_pid=$!
i=0
while [ ! -s $S/http.port ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
port=$(cat $S/http.port)
script "set -e
mkdir -p left4dead2/addons && echo built >left4dead2/addons/built.txt && echo more >>left4dead2/addons/built.txt
if cat $S/left4me.db >/dev/null 2>&1; then echo db=readable; else echo db=denied; fi >probe.txt
if timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$port' 2>/dev/null; then echo tcp=ok; else echo tcp=failed; fi >>probe.txt
id -un >>probe.txt
getent hosts localhost | head -n 1 | awk '{ print \"hosts=\" \$1 }' >>probe.txt
curl -sS --max-time 10 http://localhost:$port/ >>probe.txt
if /usr/bin/python3 -c 'import socket; socket.socket(socket.AF_UNIX)' 2>unix.err; then echo unix=allowed; else echo unix=refused; fi >>probe.txt
/usr/bin/python3 -c 'import socket; socket.socketpair()' && echo socketpair=ok >>probe.txt"
expect_rc 0 "a build's usual steps work without AF_UNIX" $SB 7
kill $http_pid
probe=$(cat $S/overlays/7/probe.txt)
check "files written and appended" [ "$(cat $S/overlays/7/left4dead2/addons/built.txt)" = "$(printf 'built\nmore')" ]
for want in tcp=ok l4d2-sandbox hosts=127.0.0.1 served unix=refused socketpair=ok; do
	check "build probe: $want" grep -qx "$want" $S/overlays/7/probe.txt
done
check "AF_UNIX refused as systemd refuses it (EAFNOSUPPORT)" grep -q 'Address family not supported' $S/overlays/7/unix.err
rm -rf $S/overlays/7/probe.txt $S/overlays/7/unix.err $S/overlays/7/left4dead2 $S/http.port

# ---- the host's own addresses are denied ------------------------------------
# In a network namespace of known addresses: each of them is in
# IPAddressDeny=, as /32 or /128, and nothing else changed.
script 'true'
unshare -n sh -c "ip link set lo up && ip addr add 192.0.2.7/32 dev lo &&
	ip -6 addr add 2001:db8::7/128 dev lo && exec $SB 7" >$STATE.out 2>$STATE.err
check "netns: script ran (rc=$?)" [ -s $STATE.out ]
deny=$(sed -n 's/^--property=IPAddressDeny=//p' $argv)
for net in 192.0.2.7/32 2001:db8::7/128 127.0.0.1/32 ::1/128 10.0.0.0/8 fc00::/7; do
	case " $deny " in *" $net "*) ok "netns: IPAddressDeny has $net" ;; *) not_ok "netns: IPAddressDeny lacks $net" ;; esac
done
check "netns: one IPAddressDeny= line" [ "$(grep -c '^--property=IPAddressDeny=' $argv)" = 1 ]
check "netns: every address once" [ -z "$(echo $deny | tr ' ' '\n' | sort | uniq -d)" ]
# And on this host: every address `ip` lists.
expect_rc 0 "host: script ran" $SB 7
deny=$(sed -n 's/^--property=IPAddressDeny=//p' $argv)
for a in $(ip -o addr show | awk '{ split($4, p, "/"); print p[1] ($3 == "inet" ? "/32" : "/128") }'); do
	case " $deny " in *" $a "*) ok "host: IPAddressDeny has $a" ;; *) not_ok "host: IPAddressDeny lacks $a" ;; esac
done

# ---- limits: sandbox.max_file_size and sandbox.max_output -------------------
# Root's config (the test build reads STATE/etc/left4me.yaml); without one
# the defaults apply.
check "no config: LimitFSIZE= is the default 4 GiB" grep -qx -- --property=LimitFSIZE=4294967296 $argv
CONF=$S/etc/left4me.yaml
mkdir -p $S/etc
printf 'sandbox:\n  max_file_size: 1048576\n  max_output: 3145728\n' >$CONF
chmod 644 $CONF
script 'true'
expect_rc 0 "with limits: a small build passes" $SB 7
check "argv: LimitFSIZE= from sandbox.max_file_size" grep -qx -- --property=LimitFSIZE=1048576 $argv
# One file past max_file_size: the writer dies of SIGXFSZ (here the script
# carries on and exits 0), the file stops at the limit, the build fails and
# the last stderr line names the limit.
script 'head -c 2000000 /dev/zero >big; echo $? >head.rc; exit 0'
expect_rc 73 "file past sandbox.max_file_size: build failed" $SB 7
check "the writer died of SIGXFSZ" [ "$(cat $S/overlays/7/head.rc)" = 153 ]
check "the file stopped at the limit" [ "$(stat -c %s $S/overlays/7/big)" = 1048576 ]
check "the error names the file and the limit" \
	[ "$(tail -n 1 $STATE.err)" = "left4me-script-sandbox: overlay=7: big reached sandbox.max_file_size (1048576 bytes): writing past it failed" ]
rm -f $S/overlays/7/big $S/overlays/7/head.rc
# More than max_output in total, quickly: stopped or failed at the end.
script 'for i in 1 2 3 4; do head -c 1000000 /dev/zero >f$i; done'
expect_rc 73 "output over sandbox.max_output: build failed" $SB 7
check "the error names the limit" tail -n 1 $STATE.err | grep -q 'over sandbox.max_output (3145728 bytes)'
check "one line about it" [ "$(grep -c sandbox.max_output $STATE.err)" = 1 ]
rm -f $S/overlays/7/f?
# ... and a build that goes on after passing it is stopped while it runs:
# the unit is killed (systemctl kill) and so is the script.
script 'for i in 1 2 3 4; do head -c 1000000 /dev/zero >f$i; done; echo $$ >running; sleep 60'
: >$S/systemctl.argv
t0=$(date +%s)
expect_rc 73 "output over sandbox.max_output while running: stopped" $SB 7
took=$(($(date +%s) - t0))
check "stopped within seconds ($took s), not after the script's 60" [ $took -lt 20 ]
check "the error says it was stopped" \
	tail -n 1 $STATE.err | grep -q 'over sandbox.max_output (3145728 bytes); the build was stopped'
check "the unit was killed" grep -qx 'kill --signal=SIGKILL left4me-build-7.service' $S/systemctl.argv
check "the script is gone" gone_within 5 "$(cat $S/overlays/7/running)"
check "staging removed after a stopped build" staging_gone
rm -f $S/overlays/7/f? $S/overlays/7/running
# What the overlay already held counts: 3 MiB there before the build.
head -c 3200000 /dev/zero >$S/overlays/7/old.bin && chown left4me:left4me $S/overlays/7/old.bin
script 'true'
expect_rc 73 "existing content over sandbox.max_output: build failed" $SB 7
rm -f $S/overlays/7/old.bin
# The worker's allowance (what quotas.build_output_bytes leaves the user)
# binds when it is below sandbox.max_output, and the error names the quota:
# 2.7 MB in files under max_file_size is within max_output, not 2 MB.
script 'for f in f1 f2 f3; do head -c 900000 /dev/zero >$f; done'
expect_rc 73 "output over the allowance: build failed" $SB 7 2000000
check "the error names quotas.build_output_bytes" \
	tail -n 1 $STATE.err | grep -q 'over quotas.build_output_bytes (2000000 bytes)'
check "staging removed after a build over the allowance" staging_gone
rm -f $S/overlays/7/f?
expect_rc 0 "the same build without an allowance: within sandbox.max_output" $SB 7
rm -f $S/overlays/7/f?
script 'head -c 900000 /dev/zero >f1'
expect_rc 0 "a build within the allowance succeeds" $SB 7 2000000
# What the overlay already held counts against the allowance too.
rm -f $S/overlays/7/f?
head -c 1100000 /dev/zero >$S/overlays/7/old.bin && chown left4me:left4me $S/overlays/7/old.bin
script 'true'
expect_rc 73 "existing content over the allowance: build failed" $SB 7 1000000
check "the error names quotas.build_output_bytes (existing content)" \
	tail -n 1 $STATE.err | grep -q 'over quotas.build_output_bytes (1000000 bytes)'
rm -f $S/overlays/7/f? $S/overlays/7/old.bin
# An allowance above sandbox.max_output: max_output binds and is named.
script 'for f in f1 f2 f3 f4; do head -c 900000 /dev/zero >$f; done'
expect_rc 73 "an allowance above sandbox.max_output: max_output binds" $SB 7 99999999999
check "the error names sandbox.max_output" \
	tail -n 1 $STATE.err | grep -q 'over sandbox.max_output (3145728 bytes)'
rm -f $S/overlays/7/f?
# The config must be root's and not writable by others; a bad value is
# refused with the key; nothing starts either way.
bad_config() { # DESC
	script 'touch conf-ran'
	expect_rc 78 "config: $1: refused (EX_CONFIG)" $SB 7
	check "config: $1: one stderr line" one_line_err
	check "config: $1: nothing started" [ ! -s $STATE.out -a ! -e $S/overlays/7/conf-ran ]
}
chmod 664 $CONF
bad_config "group-writable"
chmod 644 $CONF && chown left4me $CONF
bad_config "owned by left4me"
chown root $CONF && mv $CONF $CONF.real && ln -s $CONF.real $CONF
bad_config "a symlink"
rm $CONF && mv $CONF.real $CONF
printf 'sandbox:\n  max_output: 5\n' >$CONF
bad_config "max_output too small"
check "config: the error names the key" grep -q 'sandbox.max_output: expected an integer between 1048576' $STATE.err
rm $CONF

# ---- refusals: nothing staged ------------------------------------------------
script 'touch refused-ran'
chown root $S/scripts/7.sh
expect_rc 77 "script not owned by left4me refused" $SB 7
script 'touch refused-ran'
chmod 664 $S/scripts/7.sh
expect_rc 77 "group-writable script refused" $SB 7
chmod 646 $S/scripts/7.sh
expect_rc 77 "other-writable script refused" $SB 7
chmod 640 $S/scripts/7.sh
expect_rc 77 "script unreadable by the sandbox refused" $SB 7
chmod 644 $S/scripts/7.sh
ln -s 7.sh $S/scripts/8.sh && mkdir -p $S/overlays/8 && chown left4me $S/overlays/8
expect_rc 77 "script symlink refused" $SB 8
expect_rc 66 "missing script" $SB 9
ln -s 7 $S/overlays/10 && cp -p $S/scripts/7.sh $S/scripts/10.sh
expect_rc 77 "overlay dir symlink refused" $SB 10
mkdir $S/overlays/11 && cp -p $S/scripts/7.sh $S/scripts/11.sh
expect_rc 77 "overlay dir of root:root refused" $SB 11
chgrp left4me $S/overlays/11
expect_rc 77 "overlay dir of root:left4me refused" $SB 11
mkdir -m 2750 $S/overlays/13 && chown left4me-web:left4me $S/overlays/13 && cp -p $S/scripts/7.sh $S/scripts/13.sh
expect_rc 77 "web-owned overlay dir without group write refused" $SB 13
mkdir -m 0775 $S/overlays/14 && chown left4me:root $S/overlays/14 && cp -p $S/scripts/7.sh $S/scripts/14.sh
expect_rc 77 "overlay dir of another group refused" $SB 14
mkdir $S/overlays/15 && chown left4me:left4me $S/overlays/15 && chmod 0777 $S/overlays/15 && cp -p $S/scripts/7.sh $S/scripts/15.sh
expect_rc 77 "world-writable overlay dir refused" $SB 15
check "no refused script ran" [ ! -e $S/overlays/7/refused-ran ]
check "nothing staged after refusals" [ -z "$(ls -A $STG)" ]
chmod 755 $STG
expect_rc 77 "staging dir not root-only refused" $SB 7
umount $CG
finish
