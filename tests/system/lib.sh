# tests/system/lib.sh: the appliance in a systemd-nspawn container, shared
# by the system test (tests/system/run) and `make demo` (tools/demo).
# Sourced by bash.  The caller sets, before ct_boot:
#
#   ct_root     the container's root directory (a per-run copy of the base)
#   ct_machine  its machine name (distinct per user: the system test and
#               the demo may run at the same time)
#   ct_console  file the container's console is appended to
#   ct_args     array of further systemd-nspawn arguments (binds, network)
#
# ct_boot sets cpid (PID 1 of the container, as the host sees it) and
# ct_nspawn_pid; `c CMD...` runs CMD inside through `nsenter -t $cpid -a`
# (machinectl and systemctl -M need a registered machine, which
# --register=no avoids: no machined on every host).

ct_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ct_top=$(cd "$ct_here/../.." && pwd)
ct_cache=$ct_top/.cache/system
ct_nspawn_pid=
cpid=
ct_boot_s=
ct_args=()
ct_cgroups=()

# ct_name PREFIX: a machine name for this checkout (PREFIX and a hash of
# its path), so that runs from two checkouts never share a name, a
# cgroup or nspawn's /run/systemd/nspawn/propagate/NAME.
ct_name() {
	echo "$1-$(printf '%s' "$ct_top" | sha256sum | cut -c1-8)"
}

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

fail() {
	echo "$*"
	return 1
}

# c CMD...: run CMD inside the container, as root, clean environment.
c() {
	nsenter -t "$cpid" -a -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}
# ctl ARGS...: left4mectl inside, as the left4me user.
ctl() {
	c setpriv --reuid=left4me --regid=left4me --init-groups -- left4mectl "$@"
}

# wait_for SECONDS CMD...: retry CMD every 0.2 s until it succeeds.
wait_for() {
	local deadline=$(($(date +%s) + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt $deadline ] || return 1
		sleep 0.2
	done
}

# ct_base: make or reuse the cached Debian 12 tree (mkbase) and copy it
# to $ct_root.
ct_base() {
	"$ct_here/mkbase" "$ct_cache/bookworm" || return 1
	rm -rf "$ct_root"
	mkdir -p "$(dirname "$ct_root")"
	cp -a "$ct_cache/bookworm" "$ct_root"
}

# ct_cgroup_dirs: the container's cgroup in each hierarchy that
# systemd-nspawn uses (cgroup v2; on a hybrid host, v2 and name=systemd).
ct_cgroup_dirs() {
	local v2 named
	v2=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
	named=$(awk -F: '$2 == "name=systemd" { print $3 }' /proc/self/cgroup)
	if [ -f /sys/fs/cgroup/cgroup.procs ]; then
		echo "/sys/fs/cgroup${v2%/}/$ct_machine"
		return
	fi
	[ -d /sys/fs/cgroup/unified ] && [ -n "$v2" ] && echo "/sys/fs/cgroup/unified${v2%/}/$ct_machine"
	[ -d /sys/fs/cgroup/systemd ] && [ -n "$named" ] && echo "/sys/fs/cgroup/systemd${named%/}/$ct_machine"
}

# ct_boot: boot $ct_root and wait until its systemd is up.
ct_boot() {
	local t=$(date +%s.%N) p
	# As on a Debian 12 host: the unified cgroup hierarchy and bpf()
	# (IPAddressDeny= is a cgroup BPF program; on a cgroup v1 host, or
	# with nspawn's default seccomp filter, systemd silently drops it and
	# the build sandbox would reach loopback).  setsid: a Ctrl-C on the
	# caller's terminal reaches the caller, which powers the container
	# off in order, not systemd-nspawn directly.
	# Its own cgroup, a child of the caller's named after the machine:
	# with --keep-unit, systemd-nspawn puts itself and the container
	# into supervisor/ and payload/ under the cgroup it starts in, and
	# two containers started from one cgroup would share them.
	ct_cgroups=($(ct_cgroup_dirs))
	(
		for d in "${ct_cgroups[@]}"; do
			mkdir -p "$d" && echo "$BASHPID" >"$d/cgroup.procs" || exit 1
		done
		export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1
		exec setsid systemd-nspawn -D "$ct_root" -b --register=no --keep-unit -M "$ct_machine" \
			--console=read-only --system-call-filter=bpf "${ct_args[@]}"
	) >>"$ct_console" 2>&1 </dev/null &
	ct_nspawn_pid=$!
	cpid=
	for _ in $(seq 100); do
		for p in $(pgrep -P "$ct_nspawn_pid" 2>/dev/null); do
			[ "$(cat /proc/$p/comm 2>/dev/null)" = systemd ] && cpid=$p
		done
		[ -n "$cpid" ] && break
		sleep 0.1
	done
	[ -n "$cpid" ] || fail "no systemd under systemd-nspawn (console: $ct_console)" || return 1
	local state deadline=$(($(date +%s) + 90))
	# Until PID 1 has its bus up, systemctl cannot even ask.
	while :; do
		state=$(timeout 90 nsenter -t "$cpid" -a -- systemctl is-system-running --wait 2>&1)
		case $state in
		running | degraded) break ;;
		*"Failed to connect to bus"* | starting | initializing) ;;
		*) fail "system state '$state' after boot" || return 1 ;;
		esac
		[ "$(date +%s)" -lt $deadline ] || fail "system state '$state' 90 s after boot" || return 1
		sleep 0.1
	done
	ct_boot_s=$(elapsed "$t")
	echo "booted in ${ct_boot_s}s (state $state)"
	if [ "$state" = degraded ]; then
		c systemctl --failed --no-legend
	fi
}

# ct_shutdown: power the container off (SIGTERM to systemd-nspawn after
# 30 s, SIGKILL after 10 more) and reap systemd-nspawn.
ct_shutdown() {
	[ -n "$ct_nspawn_pid" ] || return 0
	if kill -0 "$ct_nspawn_pid" 2>/dev/null; then
		[ -n "$cpid" ] && nsenter -t "$cpid" -a -- systemctl poweroff >/dev/null 2>&1
		for _ in $(seq 150); do
			kill -0 "$ct_nspawn_pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -0 "$ct_nspawn_pid" 2>/dev/null && kill "$ct_nspawn_pid"
		for _ in $(seq 50); do
			kill -0 "$ct_nspawn_pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -0 "$ct_nspawn_pid" 2>/dev/null && kill -KILL "$ct_nspawn_pid"
	fi
	wait "$ct_nspawn_pid" 2>/dev/null
	ct_nspawn_pid=
	cpid=
}

# ct_remove: shut down, unmount whatever is left under the root (there
# should be nothing), delete the root and the container's cgroups.
ct_remove() {
	ct_shutdown
	awk -v r="$ct_root/" 'index($5 "/", r) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m"; done
	rm -rf "$ct_root"
	local d
	for d in "${ct_cgroups[@]}"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} +
	done
	ct_cgroups=()
}

# ct_install PORT PUBLIC_URL ADMIN PASSWORD: preseed debconf (listen on
# 127.0.0.1:PORT inside) and install /debs/*.deb.
ct_install() {
	c debconf-set-selections <<-EOF || return 1
		left4me-common left4me-common/listen_address string 127.0.0.1
		left4me-common left4me-common/listen_port string $1
		left4me-common left4me-common/public_url string $2
		left4me-common left4me-common/admin_name string $3
		left4me-common left4me-common/admin_password password $4
	EOF
	# Dependencies are in the base tree; no network, no recommends (the
	# 32-bit libraries are for the real game, not the stand-in).
	c sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		-o Dpkg::Options::=--force-confold /debs/*.deb'
}

# ct_steamcmd_standin WORKDIR: point worker.steamcmd at steamcmd-standin
# (bound at /system).  An operator would install Debian's steamcmd
# (non-free); this is an edit of the settings file by hand, as
# README.Debian describes for Valve's tarball, which dpkg-reconfigure and
# upgrades must keep.  A file steamcmd-pace next to it (seconds)
# slows its progress lines down to what a person can watch.
ct_steamcmd_standin() {
	local work=$1 lib=/usr/local/lib/left4me-test
	c install -d $lib/linux32 $lib/linux64 || return 1
	c install -m 0755 /system/steamcmd-standin $lib/steamcmd.sh || return 1
	c install -m 0755 /system/srcds-standin $lib/srcds-standin || return 1
	# steamclient.so: a real (64-bit) shared object, so the test can
	# dlopen it from inside a running server unit; sdk32 gets the same
	# bytes (a 32-bit one needs a multilib compiler; the copy and its
	# visibility are what is tested there).
	printf 'int SteamAPI_Standin(void) { return 42; }\n' >"$work/steamclient.c"
	gcc -shared -fPIC -o "$work/steamclient.so" "$work/steamclient.c" || return 1
	c sh -c "cat >$lib/linux64/steamclient.so" <"$work/steamclient.so" || return 1
	c sh -c "cat >$lib/linux32/steamclient.so" <"$work/steamclient.so" || return 1
	c sed -i "s|^  steamcmd: .*|  steamcmd: $lib/steamcmd.sh|" /etc/left4me/left4me.yaml || return 1
	c grep -q "steamcmd: $lib/steamcmd.sh" /etc/left4me/left4me.yaml || return 1
	ctl config check || return 1
	c systemctl restart left4me-worker.service || return 1
	wait_for 10 c systemctl is-active --quiet left4me-worker.service || fail "worker not active after restart"
}
