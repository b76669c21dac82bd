/* left4me-script-sandbox: docs/DESIGN.md §3.4.
 *
 * Inputs it does not trust: STATE/scripts/ID.sh (written by the worker; must
 * be a regular file owned by left4me, not group/other-writable, readable by
 * others) and STATE/overlays/ID (a directory of group left4me, not
 * world-writable, owned by left4me, or by left4me-web and group-writable
 * when an upload created it).  Both are
 * opened without following symlinks and bound from those fds into a
 * root-only staging dir, so nothing can be swapped in between check and use:
 *   STAGING/ID/overlay   idmapped (sandbox uid <-> left4me uid) clone of
 *                        overlays/ID: what the script writes is left4me's
 *   STAGING/ID/build.sh  read-only bind of the script
 * systemd-run then binds those into a transient hardened service.  The
 * staging mounts are removed on every exit path, including SIGTERM/INT/HUP
 * (blocked from before staging exists and handled by sigwait).
 *
 * Fails closed without the unified cgroup hierarchy: IPAddressDeny= is a
 * cgroup BPF program, and on a cgroup v1 or hybrid host systemd ignores it
 * with a log line, so the script would reach loopback and the LAN.
 *
 * Limits (sandbox.* in root's LEFT4ME_SYSCONF_DIR/left4me.yaml, defaults
 * without one): each file's size through LimitFSIZE=, and the overlay
 * dir's total, measured here by walking overlays/ID while the unit runs;
 * over it, the unit is killed and the helper exits 73 with a line naming
 * the limit.  The host's own addresses are added to IPAddressDeny= as
 * they are when the build starts. */
#include "sandbox.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <grp.h>
#include <ifaddrs.h>
#include <pwd.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "helper.h"
#include "idmap.h"
#include "log.h"
#include "strbuf.h"
#include "xalloc.h"

#define SYSTEMD_RUN	   "/usr/bin/systemd-run"
#define SANDBOX_RESOLV	   LEFT4ME_SYSCONF_DIR "/sandbox-resolv.conf"
#define SANDBOX_SCRIPT	   "/var/lib/left4me-build/build.sh"
#define SANDBOX_CONFIG	   LEFT4ME_SYSCONF_DIR "/left4me.yaml"
#define STOP_GRACE_SECONDS 20
/* The output is measured at most every MEASURE_MIN_MS, and no more often
 * than 4 walks' time (a big tree costs at most a fifth of a core), at
 * least every MEASURE_MAX_MS.  A walk that met a vanished or unreadable
 * entry is incomplete; MEASURE_MAX_INCOMPLETE of them in a row stop the
 * build (a build that keeps renaming its tree away from the walk). */
#define MEASURE_MIN_MS	       250
#define MEASURE_MAX_MS	       5000
#define MEASURE_MAX_INCOMPLETE 10
/* Exit code when a limit stopped or failed the build (sysexits: cannot
 * create the output). */
#define EXIT_LIMIT EX_CANTCREAT

struct sandbox {
	char id[24];
	uid_t worker_uid, sandbox_uid;
	uid_t web_uid; /* (uid_t)-1 without a left4me-web user */
	gid_t worker_gid, sandbox_gid;
	int staging; /* STAGING */
	int stage;   /* STAGING/ID, -1 until created */
	char stage_path[PATH_MAX];
	bool ov_mounted, script_mounted;
	long long max_file_size, max_output; /* sandbox.* of the config */
	const char *output_key;		     /* the key max_output came from */
	int ov;				     /* overlays/ID, for measuring */
	char *deny;			     /* IPAddressDeny=, the host's addresses too */
};

/* One walk of overlays/ID. */
struct usage {
	long long bytes; /* allocated, st_blocks * 512, hard links each time */
	bool complete;	 /* no entry vanished or was unreadable */
	char big[256];	 /* a file of max_file_size bytes or more, escaped; "" */
};

/* Unmount and remove STAGING/ID; safe to call at any point. */
static void staging_cleanup(struct sandbox *sb)
{
	char p[PATH_MAX + 16];

	if (sb->stage < 0)
		return;
	snprintf(p, sizeof(p), "%s/overlay", sb->stage_path);
	while (umount2(p, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
		;
	snprintf(p, sizeof(p), "%s/build.sh", sb->stage_path);
	while (umount2(p, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
		;
	if (unlinkat(sb->stage, "build.sh", 0) < 0 && errno != ENOENT)
		log_warn("overlay=%s: cannot remove staging build.sh: %s", sb->id, strerror(errno));
	if (unlinkat(sb->stage, "overlay", AT_REMOVEDIR) < 0 && errno != ENOENT)
		log_warn("overlay=%s: cannot remove staging overlay: %s", sb->id, strerror(errno));
	close(sb->stage);
	sb->stage = -1;
	if (unlinkat(sb->staging, sb->id, AT_REMOVEDIR) < 0 && errno != ENOENT)
		log_warn("overlay=%s: cannot remove staging dir: %s", sb->id, strerror(errno));
}

static void die_clean(struct sandbox *sb, int code, const char *what, int err)
{
	staging_cleanup(sb);
	helper_die(code, "overlay=%s: %s: %s", sb->id, what, strerror(err));
}

static int open_script(int state, const struct sandbox *sb)
{
	char name[40];
	struct stat st;
	int dir, fd;

	dir = helper_open_dir(state, "scripts");
	if (dir < 0)
		helper_die(errno == ENOENT ? EX_NOINPUT : EX_NOPERM, "scripts: %s",
			   strerror(errno));
	snprintf(name, sizeof(name), "%s.sh", sb->id);
	fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dir);
	if (fd < 0)
		helper_die(errno == ENOENT ? EX_NOINPUT : EX_NOPERM, "scripts/%s: %s", name,
			   strerror(errno));
	if (fstat(fd, &st) < 0)
		helper_die(EX_OSERR, "scripts/%s: %s", name, strerror(errno));
	if (!S_ISREG(st.st_mode))
		helper_die(EX_NOPERM, "scripts/%s: not a regular file", name);
	if (st.st_uid != sb->worker_uid)
		helper_die(EX_NOPERM, "scripts/%s: owned by uid %u, not %s", name,
			   (unsigned)st.st_uid, HELPER_WORKER_USER);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		helper_die(EX_NOPERM, "scripts/%s: writable by group or others", name);
	if (!(st.st_mode & S_IROTH))
		helper_die(EX_NOPERM, "scripts/%s: not readable by the sandbox user", name);
	return fd;
}

static int open_overlay(int state, const struct sandbox *sb)
{
	struct stat st;
	int dir, fd;

	dir = helper_open_dir(state, "overlays");
	if (dir < 0)
		helper_die(errno == ENOENT ? EX_NOINPUT : EX_NOPERM, "overlays: %s",
			   strerror(errno));
	fd = helper_open_dir(dir, sb->id);
	close(dir);
	if (fd < 0)
		helper_die(errno == ENOENT ? EX_NOINPUT : EX_NOPERM, "overlays/%s: %s", sb->id,
			   strerror(errno));
	if (fstat(fd, &st) < 0)
		helper_die(EX_OSERR, "overlays/%s: %s", sb->id, strerror(errno));
	/* The shared-overlay model (docs/SECURITY.md): group left4me, never
	 * world-writable; owned by the worker, or by the web when an upload
	 * made it, in which case the sandbox writes through group write. */
	if (!S_ISDIR(st.st_mode))
		helper_die(EX_NOPERM, "overlays/%s: not a directory", sb->id);
	if (st.st_gid != sb->worker_gid)
		helper_die(EX_NOPERM, "overlays/%s: group %u, not %s", sb->id, (unsigned)st.st_gid,
			   HELPER_WORKER_USER);
	if (st.st_mode & S_IWOTH)
		helper_die(EX_NOPERM, "overlays/%s: writable by others", sb->id);
	if (st.st_uid != sb->worker_uid) {
		if (sb->web_uid == (uid_t)-1 || st.st_uid != sb->web_uid)
			helper_die(EX_NOPERM, "overlays/%s: owned by uid %u, not %s or %s", sb->id,
				   (unsigned)st.st_uid, HELPER_WORKER_USER, HELPER_WEB_USER);
		if (!(st.st_mode & S_IWGRP))
			helper_die(EX_NOPERM, "overlays/%s: owned by %s and not group-writable",
				   sb->id, HELPER_WEB_USER);
	}
	return fd;
}

/* Refuse (EX_UNAVAILABLE) unless LEFT4ME_CGROUP_DIR is cgroup2. */
static void require_cgroup2(const struct sandbox *sb)
{
	struct statfs fs;

	if (statfs(LEFT4ME_CGROUP_DIR, &fs) < 0)
		helper_die(EX_UNAVAILABLE, "overlay=%s: %s: %s; refusing to build without cgroup2",
			   sb->id, LEFT4ME_CGROUP_DIR, strerror(errno));
	if (fs.f_type != CGROUP2_SUPER_MAGIC)
		helper_die(EX_UNAVAILABLE,
			   "overlay=%s: %s is not cgroup2 (f_type 0x%lx): systemd would ignore "
			   "IPAddressDeny=; refusing to build",
			   sb->id, LEFT4ME_CGROUP_DIR, (unsigned long)fs.f_type);
}

/* The build's mapping: what the sandbox user creates is stored as left4me,
 * and left4me's files are the sandbox user's in its view.  The left4me-web
 * uid maps onto itself: the kernel refuses every write to an inode whose
 * owner is unmapped on an idmapped mount, and uploads are the web's (group
 * left4me, so the sandbox writes them via the group). */
static int make_userns(const struct sandbox *sb)
{
	struct idmap m = {0};

	if (idmap_add_uid(&m, sb->worker_uid, sb->sandbox_uid) < 0 ||
	    (sb->web_uid != (uid_t)-1 && idmap_add_uid(&m, sb->web_uid, sb->web_uid) < 0) ||
	    idmap_add_gid(&m, sb->worker_gid, sb->sandbox_gid) < 0) {
		errno = EINVAL;
		return -1;
	}
	return idmap_userns(&m);
}

/* Create STAGING/ID/{overlay,build.sh} and mount both. */
static void stage(struct sandbox *sb, int ov, int script)
{
	struct mount_attr attr = {0};
	int tree, target, userns;

	if (mkdirat(sb->staging, sb->id, 0700) < 0)
		die_clean(sb, EX_OSERR, "mkdir staging", errno);
	sb->stage = helper_open_dir(sb->staging, sb->id);
	if (sb->stage < 0)
		helper_die(EX_OSERR, "overlay=%s: open staging: %s", sb->id, strerror(errno));
	if (mkdirat(sb->stage, "overlay", 0700) < 0)
		die_clean(sb, EX_OSERR, "mkdir staging/overlay", errno);
	target = openat(sb->stage, "build.sh", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (target < 0)
		die_clean(sb, EX_OSERR, "create staging/build.sh", errno);
	close(target);

	userns = make_userns(sb);
	if (userns < 0)
		die_clean(sb, EX_OSERR, "user namespace for the idmap", errno);
	tree = idmap_clone(ov, userns, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (tree < 0)
		die_clean(sb, EX_OSERR, "idmapped clone of the overlay", errno);
	close(userns);
	target = helper_open_dir(sb->stage, "overlay");
	if (target < 0 ||
	    move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		die_clean(sb, EX_OSERR, "move_mount overlay", errno);
	sb->ov_mounted = true;
	close(target);
	close(tree);

	tree = open_tree(script, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0)
		die_clean(sb, EX_OSERR, "open_tree script", errno);
	memset(&attr, 0, sizeof(attr));
	attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		die_clean(sb, EX_OSERR, "read-only script bind", errno);
	target = openat(sb->stage, "build.sh", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (target < 0 ||
	    move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		die_clean(sb, EX_OSERR, "move_mount script", errno);
	sb->script_mounted = true;
	close(target);
	close(tree);
}

/* Remove what an earlier run killed with SIGKILL left behind, then make
 * sure STAGING is a root-only directory. */
static void open_staging(struct sandbox *sb)
{
	struct stat st;

	if (mkdir(LEFT4ME_STAGING_DIR, 0700) < 0 && errno != EEXIST)
		helper_die(EX_OSERR, "%s: %s", LEFT4ME_STAGING_DIR, strerror(errno));
	sb->staging = open(LEFT4ME_STAGING_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sb->staging < 0 || fstat(sb->staging, &st) < 0)
		helper_die(EX_OSERR, "%s: %s", LEFT4ME_STAGING_DIR, strerror(errno));
	if (st.st_uid != 0 || (st.st_mode & 077))
		helper_die(EX_NOPERM, "%s: not a root-only directory", LEFT4ME_STAGING_DIR);
	if (snprintf(sb->stage_path, sizeof(sb->stage_path), "%s/%s", LEFT4ME_STAGING_DIR,
		     sb->id) >= (int)sizeof(sb->stage_path))
		helper_die(EX_SOFTWARE, "staging path too long");
	sb->stage = helper_open_dir(sb->staging, sb->id);
	if (sb->stage >= 0) {
		log_notice("overlay=%s: removing stale staging from an earlier run", sb->id);
		staging_cleanup(sb);
	}
}

/* sandbox.* from the installed config.  Root's file: it must be a regular
 * file owned by root that no group or other may write (the limits bind
 * what left4me's build may do); none at all means the defaults. */
static void load_limits(struct sandbox *sb)
{
	struct config *cfg;
	struct stat st;
	char err[512];
	int fd;

	fd = open(SANDBOX_CONFIG, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		cfg = config_defaults();
	} else {
		if (fd < 0 || fstat(fd, &st) < 0)
			helper_die(EX_CONFIG, "%s: %s", SANDBOX_CONFIG, strerror(errno));
		if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
			helper_die(EX_CONFIG,
				   "%s: not a regular file of root's that only root may write",
				   SANDBOX_CONFIG);
		cfg = config_load_fd(fd, SANDBOX_CONFIG, err, sizeof(err));
		close(fd);
		if (!cfg)
			helper_die(EX_CONFIG, "%s", err);
	}
	sb->max_file_size = cfg->sandbox.max_file_size;
	sb->max_output = cfg->sandbox.max_output;
	config_free(cfg);
}

/* IPAddressDeny=: loopback, "this host", link-local, multicast, RFC1918,
 * CGNAT, ULA, and every address of every interface of the host (as /32 or
 * /128, each once), so the build reaches none of the host's own services
 * on its public addresses either.  Computed when the build starts; an
 * address added later is not in it.  No IPAddressAllow=: with both set,
 * allow won (systemd 257). */
static char *deny_list(const struct sandbox *sb)
{
	struct ifaddrs *ifa, *i;
	struct strbuf out;

	if (getifaddrs(&ifa) < 0)
		helper_die(EX_OSERR, "overlay=%s: getifaddrs: %s", sb->id, strerror(errno));
	strbuf_init(&out);
	strbuf_puts(&out, "0.0.0.0/8 127.0.0.0/8 ::1/128 ::/128 169.254.0.0/16 fe80::/10 "
			  "224.0.0.0/4 ff00::/8 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 "
			  "100.64.0.0/10 fc00::/7");
	for (i = ifa; i; i = i->ifa_next) {
		char text[INET6_ADDRSTRLEN + 8];
		const void *addr;
		int family = i->ifa_addr ? i->ifa_addr->sa_family : AF_UNSPEC;

		if (family == AF_INET)
			addr = &((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr;
		else if (family == AF_INET6)
			addr = &((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr;
		else
			continue;
		if (!inet_ntop(family, addr, text, INET6_ADDRSTRLEN))
			helper_die(EX_OSERR, "overlay=%s: inet_ntop: %s", sb->id, strerror(errno));
		strcat(text, family == AF_INET ? "/32" : "/128");
		/* ::1 is in the list already; an address on two interfaces once */
		char *hay = xasprintf(" %s ", out.buf), *needle = xasprintf(" %s ", text);
		bool dup = strstr(hay, needle) != NULL;

		free(hay);
		free(needle);
		if (dup)
			continue;
		strbuf_putc(&out, ' ');
		strbuf_puts(&out, text);
	}
	freeifaddrs(ifa);
	char *list = strbuf_detach(&out);
	strbuf_fini(&out); /* detach leaves a fresh empty buffer */
	return list;
}

/* Walk overlays/ID (its real directory, not the idmapped staging view:
 * root reads everything there) without following a symlink or crossing a
 * mount, adding up what is allocated and noting a file that reached
 * max_file_size. */
static void measure(const struct sandbox *sb, struct usage *u)
{
	char root[64];
	char *const paths[] = {root, NULL};
	size_t rootlen;
	FTSENT *e;
	FTS *fts;

	memset(u, 0, sizeof(*u));
	u->complete = true;
	rootlen = (size_t)snprintf(root, sizeof(root), "/proc/self/fd/%d", sb->ov);
	fts = fts_open(paths, FTS_PHYSICAL | FTS_COMFOLLOW | FTS_XDEV, NULL);
	if (!fts) {
		u->complete = false;
		return;
	}
	while ((e = fts_read(fts)) != NULL) {
		switch (e->fts_info) {
		case FTS_DP:
			continue; /* counted on the way in */
		case FTS_DNR:
		case FTS_ERR:
		case FTS_NS:
			u->complete = false;
			continue;
		default:
			break;
		}
		u->bytes += (long long)e->fts_statp->st_blocks * 512;
		if (S_ISREG(e->fts_statp->st_mode) && e->fts_statp->st_size >= sb->max_file_size &&
		    !u->big[0]) {
			const char *rel =
			    e->fts_path + rootlen + (e->fts_pathlen > rootlen ? 1 : 0);

			log_escape(u->big, sizeof(u->big), rel, strlen(rel));
		}
	}
	if (errno != 0)
		u->complete = false;
	fts_close(fts);
}

/* The systemd-run argv (NULL-terminated, caller frees the array and its
 * strings).  Every property is one argv element: no shell, no splitting. */
static char **build_argv(const struct sandbox *sb)
{
	static const char *const fixed[] = {
	    "--pipe",
	    "--wait",
	    "--collect",
	    "--quiet",
	    "--service-type=exec",
	    "--slice=l4d2-build.slice",
	    "--working-directory=/overlay",
	    "--property=RuntimeMaxSec=3600",
	    "--property=MemoryMax=2G",
	    "--property=MemorySwapMax=0",
	    "--property=CPUQuota=200%",
	    "--property=TasksMax=512",
	    "--property=LimitCORE=0",
	    /* Group-writable for left4me-web (overlays/ is 2770, so "other"
	     * reaches nothing); docs/SECURITY.md, shared overlays. */
	    "--property=UMask=0002",
	    "--property=NoNewPrivileges=yes",
	    "--property=ProtectSystem=strict",
	    "--property=ProtectHome=yes",
	    /* Writable state is the build's own: a fresh tmpfs on /tmp
	     * (HOME), /var/tmp and /dev/shm (PrivateDevices= would bind the
	     * host's), no /dev/mqueue (the host's queues), no kernel keyrings
	     * (l4d2-sandbox's user keyring outlives the unit); tmpfs pages
	     * count against MemoryMax=, so they cannot fill the disk. */
	    "--property=TemporaryFileSystem=/tmp:mode=1777,nosuid,nodev",
	    "--property=TemporaryFileSystem=/var/tmp:mode=1777,nosuid,nodev",
	    "--property=TemporaryFileSystem=/dev/shm:mode=1777,nosuid,nodev",
	    "--property=InaccessiblePaths=-/dev/mqueue",
	    "--property=PrivateDevices=yes",
	    "--property=PrivateIPC=yes",
	    "--property=ProtectKernelTunables=yes",
	    "--property=ProtectKernelModules=yes",
	    "--property=ProtectKernelLogs=yes",
	    "--property=ProtectControlGroups=yes",
	    "--property=ProtectClock=yes",
	    "--property=ProtectHostname=yes",
	    "--property=ProtectProc=invisible",
	    "--property=ProcSubset=pid",
	    "--property=KeyringMode=private",
	    "--property=RestrictNamespaces=yes",
	    /* No AF_UNIX socket(): no host daemon (D-Bus, journald, nscd,
	     * resolved) and no abstract socket.  DNS goes over UDP/TCP to the
	     * sandbox's resolv.conf; NSS and syslog fall back quietly;
	     * socketpair() is not filtered. */
	    "--property=RestrictAddressFamilies=AF_INET AF_INET6",
	    "--property=RestrictSUIDSGID=yes",
	    "--property=RestrictRealtime=yes",
	    "--property=LockPersonality=yes",
	    "--property=MemoryDenyWriteExecute=yes",
	    "--property=SystemCallArchitectures=native",
	    "--property=SystemCallFilter=@system-service",
	    "--property=SystemCallFilter=~@privileged @resources @mount @keyring",
	    "--property=SystemCallErrorNumber=EPERM",
	    "--property=CapabilityBoundingSet=",
	    "--property=AmbientCapabilities=",
	    "--property=SupplementaryGroups=",
	    "--property=TemporaryFileSystem=/var/lib",
	    "--property=TemporaryFileSystem=/etc",
	    "--property=BindReadOnlyPaths=-/etc/alternatives -/etc/ssl -/etc/ca-certificates "
	    "-/etc/ld.so.cache -/etc/localtime -/etc/nsswitch.conf -/etc/passwd -/etc/group "
	    "-/etc/hosts -/etc/protocols -/etc/services -/etc/mime.types",
	    "--property=BindReadOnlyPaths=" SANDBOX_RESOLV ":/etc/resolv.conf",
	    "--property=Environment=HOME=/tmp LANG=C.UTF-8",
	};
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]), n = 0;
	char **av = xcalloc(nfixed + 16, sizeof(*av));

	av[n++] = xstrdup(SYSTEMD_RUN);
	av[n++] = xasprintf("--unit=left4me-build-%s", sb->id);
	av[n++] = xasprintf("--description=left4me build script of overlay %s", sb->id);
	av[n++] = xasprintf("--uid=%u", (unsigned)sb->sandbox_uid);
	av[n++] = xasprintf("--gid=%u", (unsigned)sb->sandbox_gid);
	for (size_t i = 0; i < nfixed; i++)
		av[n++] = xstrdup(fixed[i]);
	av[n++] = xasprintf("--property=LimitFSIZE=%lld", sb->max_file_size);
	av[n++] = xasprintf("--property=IPAddressDeny=%s", sb->deny);
	av[n++] = xasprintf("--property=BindPaths=%s/overlay:/overlay", sb->stage_path);
	av[n++] =
	    xasprintf("--property=BindReadOnlyPaths=%s/build.sh:" SANDBOX_SCRIPT, sb->stage_path);
	av[n++] = xstrdup("--");
	av[n++] = xstrdup("/bin/bash");
	av[n++] = xstrdup(SANDBOX_SCRIPT);
	av[n] = NULL;
	return av;
}

static void free_argv(char **av)
{
	for (size_t i = 0; av[i]; i++)
		free(av[i]);
	free(av);
}

#if defined(__x86_64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

/* Test variant: what the unit's NoNewPrivileges= and
 * RestrictAddressFamilies=AF_INET AF_INET6 do to the script, as systemd
 * does it (socket() of any other family fails with EAFNOSUPPORT;
 * socketpair() is not filtered), so the tests run real tools under it.
 * -1 where the emulation does not know the architecture. */
static int test_restrict_families(void)
{
#ifdef TEST_AUDIT_ARCH
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TEST_AUDIT_ARCH, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 4),
	    /* the low half of the first argument (little-endian) */
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 2, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAFNOSUPPORT),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
#else
	return -1;
#endif
}

/* In the child: what runs in place of systemd-run. */
static void child_exec(const struct sandbox *sb, char **av, const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
	setpgid(0, 0);
	if (!HELPER_TEST_MODE) {
		execv(av[0], av);
		fprintf(stderr, "left4me-script-sandbox: exec %s: %s\n", av[0], strerror(errno));
		_exit(EX_OSERR);
	}
	/* Test variant: stand in for the transient service, just enough to
	 * exercise the idmapped staging mount for real: run the staged script
	 * as the sandbox user with /overlay's staging source as cwd. */
	char path[PATH_MAX + 16];
	int fd, dir;

	snprintf(path, sizeof(path), "%s/build.sh", sb->stage_path);
	fd = open(path, O_RDONLY);
	snprintf(path, sizeof(path), "%s/overlay", sb->stage_path);
	/* As systemd does: enter /overlay after the uid change (root has no
	 * DAC override on an idmapped inode whose owner is unmapped, such as
	 * an overlay dir the web created; the root-only staging path is
	 * crossed by an O_PATH fd first), and the service's UMask=. */
	dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	umask(0002);
	/* and its LimitFSIZE= */
	struct rlimit fsize = {(rlim_t)sb->max_file_size, (rlim_t)sb->max_file_size};
	if (fd < 0 || dir < 0 || setrlimit(RLIMIT_FSIZE, &fsize) < 0 || setgroups(0, NULL) < 0 ||
	    setresgid(sb->sandbox_gid, sb->sandbox_gid, sb->sandbox_gid) < 0 ||
	    setresuid(sb->sandbox_uid, sb->sandbox_uid, sb->sandbox_uid) < 0 || fchdir(dir) < 0 ||
	    test_restrict_families() < 0)
		_exit(EX_OSERR);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	execl("/bin/sh", "sh", path, (char *)NULL);
	_exit(EX_OSERR);
}

/* Kill the build's unit (and the systemd-run client, or in the test
 * variant the stand-in's process group). */
static void stop_build(const struct sandbox *sb, pid_t pid)
{
	char unit[64], out[256];
	const char *argv[] = {LEFT4ME_SYSTEMCTL, "kill", "--signal=SIGKILL", unit, NULL};
	int rc;

	snprintf(unit, sizeof(unit), "left4me-build-%s.service", sb->id);
	rc = helper_run_read(argv, out, sizeof(out), 5000);
	if (rc != 0)
		log_warn("overlay=%s: %s kill %s failed (%d)", sb->id, LEFT4ME_SYSTEMCTL, unit, rc);
	kill(-pid, SIGKILL);
}

/* Wait for the child, measuring the output while it runs; a stop signal is
 * forwarded and remembered.  *limit says why a limit stopped the build. */
static int wait_child(const struct sandbox *sb, pid_t pid, const sigset_t *set, char *limit,
		      size_t limitlen)
{
	long long next = helper_now_ms() + MEASURE_MIN_MS;
	int stop_sig = 0, status, incomplete = 0;
	time_t deadline = 0;
	struct usage u;

	limit[0] = '\0';
	for (;;) {
		long long left = next - helper_now_ms();
		struct timespec ts = {0, 0};
		siginfo_t si;
		int sig;

		if (left > 1000)
			left = 1000;
		if (left > 0) {
			ts.tv_sec = left / 1000;
			ts.tv_nsec = (left % 1000) * 1000000L;
		}
		sig = sigtimedwait(set, &si, &ts);
		if (sig == SIGCHLD || sig < 0) {
			pid_t r = waitpid(pid, &status, WNOHANG);
			if (r == pid)
				break;
			if (stop_sig && time(NULL) > deadline)
				kill(-pid, SIGKILL);
			if (limit[0] || stop_sig || helper_now_ms() < next)
				continue;
			long long t0 = helper_now_ms(), took;
			measure(sb, &u);
			took = helper_now_ms() - t0;
			incomplete = u.complete ? 0 : incomplete + 1;
			if (u.bytes > sb->max_output)
				snprintf(limit, limitlen,
					 "the output reached %lld bytes, over %s "
					 "(%lld bytes); the build was stopped",
					 u.bytes, sb->output_key, sb->max_output);
			else if (incomplete >= MEASURE_MAX_INCOMPLETE)
				snprintf(limit, limitlen,
					 "the output could not be measured for %s "
					 "(%lld bytes): entries vanished during %d walks in a row; "
					 "the build was stopped",
					 sb->output_key, sb->max_output, incomplete);
			if (limit[0])
				stop_build(sb, pid);
			took *= 4;
			next = helper_now_ms() + (took < MEASURE_MIN_MS	  ? MEASURE_MIN_MS
						  : took > MEASURE_MAX_MS ? MEASURE_MAX_MS
									  : took);
			continue;
		}
		/* SIGTERM, SIGINT or SIGHUP */
		if (!stop_sig) {
			stop_sig = sig;
			deadline = time(NULL) + STOP_GRACE_SECONDS;
		}
		kill(-pid, SIGTERM);
	}
	if (stop_sig)
		return 128 + stop_sig;
	if (!limit[0]) {
		/* What the build left: over the total, or a file at the size
		 * limit (whose writes past it failed). */
		measure(sb, &u);
		if (u.bytes > sb->max_output)
			snprintf(limit, limitlen, "the output is %lld bytes, over %s (%lld bytes)",
				 u.bytes, sb->output_key, sb->max_output);
		else if (u.big[0])
			snprintf(limit, limitlen,
				 "%s reached sandbox.max_file_size (%lld bytes): writing past it "
				 "failed",
				 u.big, sb->max_file_size);
	}
	if (limit[0])
		return EXIT_LIMIT;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int sandbox_run(int64_t overlay_id, long long allowance)
{
	struct sandbox sb = {.stage = -1, .ov = -1};
	char limit[512];
	struct passwd *web;
	sigset_t set, old;
	int state, ov, script, rc;
	char **av;
	pid_t pid;

	snprintf(sb.id, sizeof(sb.id), "%" PRId64, overlay_id);
	require_cgroup2(&sb);
	helper_lookup_user(HELPER_WORKER_USER, &sb.worker_uid, &sb.worker_gid);
	helper_lookup_user(HELPER_SANDBOX_USER, &sb.sandbox_uid, &sb.sandbox_gid);
	if (sb.worker_uid == sb.sandbox_uid)
		helper_die(EX_CONFIG, "%s and %s share a uid", HELPER_WORKER_USER,
			   HELPER_SANDBOX_USER);
	/* Optional: without it, overlay dirs must simply be left4me's. */
	web = getpwnam(HELPER_WEB_USER);
	sb.web_uid = web ? web->pw_uid : (uid_t)-1;
	if (sb.web_uid == sb.worker_uid || sb.web_uid == sb.sandbox_uid)
		helper_die(EX_CONFIG, "%s shares a uid with %s or %s", HELPER_WEB_USER,
			   HELPER_WORKER_USER, HELPER_SANDBOX_USER);
	load_limits(&sb);
	sb.output_key = "sandbox.max_output";
	if (allowance >= 0 && allowance < sb.max_output) {
		/* the user's quota leaves less than one build may take */
		sb.max_output = allowance;
		sb.output_key = "quotas.build_output_bytes";
	}
	state = helper_open_state();
	script = open_script(state, &sb);
	ov = open_overlay(state, &sb);
	close(state);
	sb.ov = ov;
	sb.deny = deny_list(&sb);

	/* From here on a stop signal must not kill us before cleanup. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);

	open_staging(&sb);
	stage(&sb, ov, script);
	close(script);

	av = build_argv(&sb);
	if (HELPER_TEST_MODE) {
		for (size_t i = 0; av[i]; i++)
			printf("%s\n", av[i]);
		fflush(stdout);
	}
	pid = fork();
	if (pid < 0)
		die_clean(&sb, EX_OSERR, "fork", errno);
	if (pid == 0)
		child_exec(&sb, av, &old);
	free_argv(av);
	rc = wait_child(&sb, pid, &set, limit, sizeof(limit));
	staging_cleanup(&sb);
	close(ov);
	free(sb.deny);
	if (limit[0])
		log_err("overlay=%s: %s", sb.id, limit);
	return rc;
}
