/* left4me-overlay: mount kernel overlayfs for one instance.
 *
 * Trusts nothing under the state dir: everything is opened from the state
 * dir's fd one component at a time, never following a symlink
 * (instances/NAME/instance.env, runtime/NAME/{upper,work,merged}).
 * instance.env is parsed strictly; each lowerdir's text must pass the
 * allowlist (libleft4me/lowerdir.c: installation/, overlays/ID,
 * global_overlay_cache/SOURCE, workshop_cache/) before anything is opened,
 * and is then walked O_PATH|O_NOFOLLOW beneath the state dir with
 * left4me's filesystem ids, so root's permissions never answer for it.
 * upper/ and work/ must be directories owned by the left4me user.
 *
 * The game runs as its unit's DynamicUser= uid, learnt from systemd
 * (`systemctl show` of left4me-server@NAME.service; 61184..65519 or
 * refused).  Every layer is an idmapped clone of the checked fd: on-disk
 * left4me is shown as the game's uid/gid (so what the game writes is
 * stored as left4me), left4me-web and root as themselves.  Kernel 6.1's
 * overlayfs takes a layer only from a mount in the caller's namespace, so
 * the clones are attached in a private mount namespace of the helper's own
 * (a tmpfs there, gone when the helper leaves it, also on SIGKILL), the
 * overlay is mounted there and a clone of it is moved onto merged/ in the
 * namespace the helper was started in.  merged/ is looked up by name from
 * the state dir's fd right before and right after that move: a rename of
 * runtime/NAME or merged/ in between (which would carry the mount out of
 * the state dir) makes the helper detach the overlay and refuse.
 *
 * "Mounted" is decided from /proc/self/mountinfo.  umount also removes
 * overlayfs's root-owned work/work and work/index once nothing is mounted,
 * so that the worker (user left4me) can remove runtime/NAME. */
#include "overlay.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <pwd.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"
#include "idmap.h"
#include "instance_env.h"
#include "log.h"
#include "lowerdir.h"
#include "mountinfo.h"
#include "parse.h"
#include "strbuf.h"
#include "xalloc.h"

/* systemd's DynamicUser= range: a uid outside it is not a transient game
 * user (left4me, left4me-web, root, a login user) and is refused. */
#define GAME_ID_MIN 61184
#define GAME_ID_MAX 65519
/* systemd publishes the unit's UID/GID once it has handled the exec'd
 * child's user-lookup message, which may trail our ExecStartPre a little. */
#define GAME_IDS_WAIT_MS     1000
#define GAME_IDS_RETRY_MS    100
#define SYSTEMCTL_TIMEOUT_MS 5000
/* Where the helper mounts its staging tmpfs, inside its own private mount
 * namespace only (the host never sees it): any existing directory does. */
#define STAGING_DIR "/run"

struct game_ids {
	uid_t uid;
	gid_t gid;
};

struct instance_paths {
	int state;		   /* STATE */
	char state_real[PATH_MAX]; /* its canonical path */
	int rt;			   /* runtime/NAME */
	char merged[PATH_MAX];	   /* STATE/runtime/NAME/merged */
};

/* Open state and runtime/NAME without following symlinks.  Returns 0, or
 * ENOENT-ish 1 when runtime/NAME does not exist. */
static int open_instance(const char *name, struct instance_paths *ip)
{
	int rtroot;

	ip->state = helper_open_state();
	helper_fd_path(ip->state, ip->state_real, sizeof(ip->state_real));
	rtroot = helper_open_dir(ip->state, "runtime");
	if (rtroot < 0 && errno == ENOENT)
		return 1;
	if (rtroot < 0)
		helper_die(EX_NOPERM, "runtime: %s", strerror(errno));
	ip->rt = helper_open_dir(rtroot, name);
	close(rtroot);
	if (ip->rt < 0 && errno == ENOENT)
		return 1;
	if (ip->rt < 0)
		helper_die(EX_NOPERM, "runtime/%s: %s", name, strerror(errno));
	if (snprintf(ip->merged, sizeof(ip->merged), "%s/runtime/%s/merged", ip->state_real,
		     name) >= (int)sizeof(ip->merged))
		helper_die(EX_SOFTWARE, "runtime/%s/merged: path too long", name);
	return 0;
}

static char *read_env(int state, const char *name)
{
	char rel[128];
	struct stat st;
	struct strbuf sb;
	char buf[4096];
	ssize_t n;
	int inst, dir, fd;

	inst = helper_open_dir(state, "instances");
	if (inst < 0)
		helper_die(errno == ENOENT ? EX_NOINPUT : EX_NOPERM, "instances: %s",
			   strerror(errno));
	/* Each component on its own, O_NOFOLLOW: instances/NAME may not be
	 * a symlink either. */
	dir = helper_open_dir(inst, name);
	close(inst);
	if (dir < 0)
		helper_die(errno == ENOENT ? EX_NOINPUT : EX_NOPERM, "instances/%s: %s", name,
			   strerror(errno));
	snprintf(rel, sizeof(rel), "%s/instance.env", name); /* name <= 64 bytes */
	fd = openat(dir, "instance.env", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dir);
	if (fd < 0)
		helper_die(errno == ENOENT ? EX_NOINPUT : EX_NOPERM, "instances/%s: %s", rel,
			   strerror(errno));
	if (fstat(fd, &st) < 0)
		helper_die(EX_OSERR, "instances/%s: %s", rel, strerror(errno));
	if (!S_ISREG(st.st_mode))
		helper_die(EX_NOPERM, "instances/%s: not a regular file", rel);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		helper_die(EX_NOPERM, "instances/%s: writable by group or others", rel);
	strbuf_init(&sb);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			helper_die(EX_OSERR, "instances/%s: %s", rel, strerror(errno));
		strbuf_append(&sb, buf, (size_t)n);
		if (sb.len > INSTANCE_ENV_MAX_SIZE)
			break; /* the parser reports the size */
	}
	close(fd);
	char *text = strbuf_detach(&sb);
	strbuf_fini(&sb); /* detach leaves a fresh empty buffer */
	return text;
}

/* Switch the filesystem ids (root's DAC override goes with fsuid 0, and
 * comes back with it); dies if the kernel did not take them. */
static void set_fs_ids(uid_t uid, gid_t gid)
{
	setfsgid(gid);
	setfsuid(uid);
	if ((uid_t)setfsuid((uid_t)-1) != uid || (gid_t)setfsgid((gid_t)-1) != gid)
		helper_die(EX_OSERR, "cannot switch the filesystem ids to %u:%u", (unsigned)uid,
			   (unsigned)gid);
}

/* Open lowerdir i (1-based in messages) from its instance.env text.  The
 * text must pass the allowlist before anything is opened, so a lowerdir
 * outside it is refused the same way whether it exists or not.  Then it
 * is walked from the state dir's fd, one O_PATH|O_NOFOLLOW component at a
 * time: a symlink anywhere is refused (and never read), and the caller
 * runs this with left4me's filesystem ids, so what root alone could open
 * is refused like anything left4me cannot search.  Returns an O_PATH fd of
 * the directory. */
static int open_lowerdir(int state, const char *text, size_t i)
{
	char esc[256], part[256];
	const char *rel, *p;
	struct stat st;
	int cur = state;

	log_escape(esc, sizeof(esc), text, strlen(text));
	if (!lowerdir_allowed(LEFT4ME_STATE_DIR, text, &rel))
		helper_die(EX_NOPERM,
			   "lowerdir %zu (%s) is outside the allowlist (" LEFT4ME_STATE_DIR
			   "/installation/builds/ID, overlays/ID, global_overlay_cache/SOURCE, "
			   "workshop_cache)",
			   i + 1, esc);
	for (p = rel;; p += strcspn(p, "/") + 1) {
		size_t len = strcspn(p, "/");
		char comp[NAME_MAX + 1];
		int next, err;

		log_escape(part, sizeof(part), rel, (size_t)(p - rel) + len);
		if (len > NAME_MAX)
			helper_die(EX_DATAERR, "lowerdir %zu (%s): %s: name too long", i + 1, esc,
				   part);
		memcpy(comp, p, len);
		comp[len] = '\0';
		next = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		err = errno;
		if (cur != state)
			close(cur);
		if (next < 0)
			helper_die(err == ENOENT || err == ENOTDIR ? EX_DATAERR
				   : err == EACCES		   ? EX_NOPERM
								   : EX_OSERR,
				   "lowerdir %zu (%s): %s: %s", i + 1, esc, part, strerror(err));
		if (fstat(next, &st) < 0)
			helper_die(EX_OSERR, "lowerdir %zu (%s): %s: %s", i + 1, esc, part,
				   strerror(errno));
		if (S_ISLNK(st.st_mode))
			helper_die(EX_NOPERM, "lowerdir %zu (%s): %s is a symlink", i + 1, esc,
				   part);
		if (!S_ISDIR(st.st_mode))
			helper_die(EX_DATAERR, "lowerdir %zu (%s): %s is not a directory", i + 1,
				   esc, part);
		cur = next;
		if (p[len] == '\0')
			return cur;
	}
}

static int open_owned_dir(int dirfd, const char *name, const char *what, uid_t uid)
{
	struct stat st;
	int fd = helper_open_dir(dirfd, name);

	if (fd < 0)
		helper_die(errno == ENOENT ? EX_NOINPUT : EX_NOPERM, "%s: %s", what,
			   strerror(errno));
	if (fstat(fd, &st) < 0)
		helper_die(EX_OSERR, "%s: %s", what, strerror(errno));
	if (uid != (uid_t)-1 && st.st_uid != uid)
		helper_die(EX_NOPERM, "%s: owned by uid %u, expected %u", what, (unsigned)st.st_uid,
			   (unsigned)uid);
	return fd;
}

enum ids_result { IDS_OK, IDS_NOT_SET, IDS_BAD };

/* Parse `systemctl show --property=UID,GID`: exactly the lines UID=V and
 * GID=V, once each, in either order; V is canonical decimal, or unset
 * ("[not set]", or 4294967295 from an older systemd).  On IDS_NOT_SET and
 * IDS_BAD, why names the line. */
static enum ids_result parse_game_ids(const char *text, long long *uid, long long *gid, char *why,
				      size_t whylen)
{
	bool have_uid = false, have_gid = false, unset = false;
	const char *line = text;

	snprintf(why, whylen, "no output");
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char esc[80], val[32];
		bool is_uid, *have;

		log_escape(esc, sizeof(esc), line, len);
		if (len < 4 || (strncmp(line, "UID=", 4) != 0 && strncmp(line, "GID=", 4) != 0)) {
			snprintf(why, whylen, "unexpected line '%s'", esc);
			return IDS_BAD;
		}
		is_uid = line[0] == 'U';
		have = is_uid ? &have_uid : &have_gid;
		if (*have || len - 4 >= sizeof(val)) {
			snprintf(why, whylen, "%s '%s'", *have ? "repeated" : "overlong", esc);
			return IDS_BAD;
		}
		*have = true;
		memcpy(val, line + 4, len - 4);
		val[len - 4] = '\0';
		if (strcmp(val, "[not set]") == 0 || strcmp(val, "4294967295") == 0) {
			if (!unset)
				snprintf(why, whylen, "%s", esc);
			unset = true;
		} else if (parse_int(val, 0, 4294967294LL, is_uid ? uid : gid) < 0) {
			snprintf(why, whylen, "not a number: '%s'", esc);
			return IDS_BAD;
		}
		line += len + (nl ? 1 : 0);
	}
	if (!have_uid || !have_gid) {
		snprintf(why, whylen, "no %s line", have_uid ? "GID" : "UID");
		return IDS_BAD;
	}
	return unset ? IDS_NOT_SET : IDS_OK;
}

/* The game's uid/gid: the DynamicUser= credentials systemd allocated for
 * left4me-server@NAME.service (realized for every Exec line, `+` ones
 * too).  Fixed program and argv, clean environment; strict parse; both
 * ids in systemd's dynamic range, else refused. */
static void lookup_game_ids(const char *name, struct game_ids *g)
{
	char unit[128], out[512], why[160];
	const char *argv[] = {LEFT4ME_SYSTEMCTL, "show", "--property=UID,GID", unit, NULL};
	const struct timespec retry = {0, GAME_IDS_RETRY_MS * 1000000L};
	long long uid = -1, gid = -1;
	enum ids_result r;

	if (snprintf(unit, sizeof(unit), "left4me-server@%s.service", name) >= (int)sizeof(unit))
		helper_die(EX_SOFTWARE, "%s: unit name too long", name);
	for (long long deadline = helper_now_ms() + GAME_IDS_WAIT_MS;;) {
		int rc = helper_run_read(argv, out, sizeof(out), SYSTEMCTL_TIMEOUT_MS);

		if (rc < 0)
			helper_die(EX_OSERR, "%s: %s show: %s", name, LEFT4ME_SYSTEMCTL,
				   strerror(errno));
		if (rc != 0)
			helper_die(EX_OSERR, "%s: %s show exited with status %d", name,
				   LEFT4ME_SYSTEMCTL, rc);
		r = parse_game_ids(out, &uid, &gid, why, sizeof(why));
		if (r == IDS_BAD)
			helper_die(EX_SOFTWARE,
				   "%s: cannot read the unit's UID/GID from %s show: %s", name,
				   LEFT4ME_SYSTEMCTL, why);
		if (r == IDS_OK)
			break;
		if (helper_now_ms() + GAME_IDS_RETRY_MS > deadline)
			helper_die(EX_NOPERM,
				   "%s: the unit has no dynamic user (%s); refusing to mount", name,
				   why);
		nanosleep(&retry, NULL);
	}
	if (uid < GAME_ID_MIN || uid > GAME_ID_MAX || gid < GAME_ID_MIN || gid > GAME_ID_MAX)
		helper_die(
		    EX_NOPERM,
		    "%s: UID=%lld GID=%lld are not a dynamic user (%d..%d); refusing to mount",
		    name, uid, gid, GAME_ID_MIN, GAME_ID_MAX);
	g->uid = (uid_t)uid;
	g->gid = (gid_t)gid;
}

/* The checked fds of one mount. */
struct layers {
	int *lower; /* lowerdirs, top first */
	size_t n_lower;
	int state, rt, upper, work, merged;
};

/* The game's mapping (on disk -> shown): root -> root, left4me -> the
 * game's ids, left4me-web -> itself (its uploads keep their owner when
 * copied up; an unmapped owner could not be written at all). */
static int game_userns(const char *name, const struct game_ids *g)
{
	struct idmap m = {0};
	struct passwd *web;
	uid_t wuid;
	gid_t wgid;
	int fd;

	helper_lookup_user(HELPER_WORKER_USER, &wuid, &wgid);
	if (idmap_add_uid(&m, 0, 0) < 0 || idmap_add_uid(&m, wuid, g->uid) < 0 ||
	    idmap_add_gid(&m, 0, 0) < 0 || idmap_add_gid(&m, wgid, g->gid) < 0)
		helper_die(EX_CONFIG, "%s: the game's ids %u/%u collide with root or %s", name,
			   (unsigned)g->uid, (unsigned)g->gid, HELPER_WORKER_USER);
	web = getpwnam(HELPER_WEB_USER); /* optional, as in the sandbox */
	if (web && (idmap_add_uid(&m, web->pw_uid, web->pw_uid) < 0 ||
		    (web->pw_gid != wgid && idmap_add_gid(&m, web->pw_gid, web->pw_gid) < 0)))
		helper_die(EX_CONFIG, "%s: %s's ids %u/%u collide with root, %s or the game's",
			   name, HELPER_WEB_USER, (unsigned)web->pw_uid, (unsigned)web->pw_gid,
			   HELPER_WORKER_USER);
	fd = idmap_userns(&m);
	if (fd < 0)
		helper_die(EX_OSERR, "%s: user namespace for the idmap: %s", name, strerror(errno));
	return fd;
}

/* Attach the detached tree at stage/dir (a new dir in the staging tmpfs). */
static void attach(const char *name, int stage, const char *dir, int tree)
{
	if (mkdirat(stage, dir, 0700) < 0 ||
	    move_mount(tree, "", stage, dir, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		helper_die(EX_OSERR, "%s: attach staging %s: %s", name, dir, strerror(errno));
}

/* Open rt_tree/dir (upper or work through the idmapped clone of
 * runtime/NAME), make sure it is the directory that was checked (owned by
 * left4me on disk) and that the idmap shows it as the game's. */
static int open_through(const char *name, int rt_tree, const char *dir, int checked,
			const struct game_ids *g)
{
	struct stat a, b;
	int fd = helper_open_dir(rt_tree, dir);

	if (fd < 0 || fstat(fd, &a) < 0 || fstat(checked, &b) < 0)
		helper_die(EX_OSERR, "%s: staging %s: %s", name, dir, strerror(errno));
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		helper_die(EX_NOPERM, "runtime/%s/%s was replaced while mounting", name, dir);
	if (a.st_uid != g->uid) /* the mapping's direction, checked on the real thing */
		helper_die(EX_SOFTWARE, "%s: idmapped %s shows uid %u, expected the game's %u",
			   name, dir, (unsigned)a.st_uid, (unsigned)g->uid);
	return fd;
}

/* STATE/runtime/NAME/merged looked up again from the state dir's fd, no
 * symlink followed (a mount on merged/ is crossed).  O_PATH fd, or -1. */
static int walk_merged(int state, const char *name)
{
	int root, rt, fd = -1;

	root = openat(state, "runtime", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (root < 0)
		return -1;
	rt = openat(root, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(root);
	if (rt < 0)
		return -1;
	fd = openat(rt, "merged", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(rt);
	return fd;
}

static bool same_inode(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* The id of the mount fd is on (statx STATX_MNT_ID); 0 if unknown. */
static uint64_t mount_id(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID))
		return 0;
	return stx.stx_mnt_id;
}

/* Attach the overlay clone on STATE/runtime/NAME/merged.  merged/ is
 * checked by name right before (it must still be the directory that was
 * checked) and right after: a rename of runtime/NAME or merged/ in
 * between would have carried the mount to wherever the directory went
 * (/tmp, say), so then the overlay is detached again and the helper
 * refuses. */
static void attach_overlay(const char *name, const struct layers *L, int ovl_tree)
{
	char self[64];
	uint64_t id;
	int target, check;

	helper_test_hook("recheck");
	target = walk_merged(L->state, name);
	if (target < 0 || !same_inode(target, L->merged))
		helper_die(EX_NOPERM, "runtime/%s/merged was moved or replaced while mounting",
			   name);
	helper_test_hook("attach");
	if (move_mount(ovl_tree, "", target, "",
		       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		helper_die(errno == EBUSY ? EX_TEMPFAIL : EX_OSERR, "%s: attach the overlay: %s",
			   name, strerror(errno));
	close(target);
	id = mount_id(ovl_tree);
	check = walk_merged(L->state, name);
	if (id != 0 && check >= 0 && mount_id(check) == id) {
		close(check);
		return;
	}
	/* Wherever it went: detach it through its own fd. */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", ovl_tree);
	if (umount2(self, MNT_DETACH) < 0)
		helper_die(EX_OSERR,
			   "runtime/%s/merged was moved while mounting, and detaching the overlay "
			   "failed: %s",
			   name, strerror(errno));
	helper_die(EX_NOPERM,
		   "runtime/%s/merged was moved while mounting; the overlay was detached again",
		   name);
}

/* Mount the overlay of L on merged with every layer idmapped for g.  Any
 * failure exits; nothing is left mounted anywhere (the staging lives in
 * the private namespace, which dies with the helper). */
static void mount_idmapped(const char *name, const struct layers *L, const struct game_ids *g)
{
	struct strbuf opts;
	struct statfs fs;
	char dir[32], target[64];
	/* on the stack: every failure below exits (parse caps the count) */
	int tree[INSTANCE_ENV_MAX_LOWERDIRS];
	int userns, rt_tree, host_ns, stage, upper, work, at, ovl, ovl_tree;

	/* Clone while still in the caller's namespace: open_tree copies only
	 * a mount of the current namespace. */
	userns = game_userns(name, g);
	assert(L->n_lower <= INSTANCE_ENV_MAX_LOWERDIRS);
	for (size_t i = 0; i < L->n_lower; i++) {
		tree[i] = idmap_clone(L->lower[i], userns, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
		if (tree[i] < 0)
			helper_die(EX_OSERR, "%s: idmapped clone of lowerdir %zu: %s", name, i + 1,
				   strerror(errno));
	}
	/* upper/ and work/ must be on one mount: clone runtime/NAME once. */
	rt_tree = idmap_clone(L->rt, userns, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (rt_tree < 0)
		helper_die(EX_OSERR, "%s: idmapped clone of runtime/%s: %s", name, name,
			   strerror(errno));
	close(userns);

	host_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (host_ns < 0)
		helper_die(EX_OSERR, "%s: /proc/self/ns/mnt: %s", name, strerror(errno));
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		helper_die(EX_OSERR, "%s: private mount namespace: %s", name, strerror(errno));
	if (mount("left4me-overlay", STAGING_DIR, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0700,size=64k") < 0)
		helper_die(EX_OSERR, "%s: staging tmpfs: %s", name, strerror(errno));
	stage = helper_open_dir(AT_FDCWD, STAGING_DIR);
	if (stage < 0)
		helper_die(EX_OSERR, "%s: staging: %s", name, strerror(errno));
	for (size_t i = 0; i < L->n_lower; i++) {
		snprintf(dir, sizeof(dir), "lower%zu", i);
		attach(name, stage, dir, tree[i]);
	}
	attach(name, stage, "rt", rt_tree);
	upper = open_through(name, rt_tree, "upper", L->upper, g);
	work = open_through(name, rt_tree, "work", L->work, g);

	/* Each layer by its attached clone's fd: no path is walked again. */
	strbuf_init(&opts);
	strbuf_puts(&opts, "lowerdir=");
	for (size_t i = 0; i < L->n_lower; i++)
		strbuf_printf(&opts, "%s/proc/self/fd/%d", i ? ":" : "", tree[i]);
	strbuf_printf(&opts, ",upperdir=/proc/self/fd/%d,workdir=/proc/self/fd/%d", upper, work);
	if (opts.len >= 4096)
		helper_die(EX_DATAERR, "too many lowerdirs for one mount");
	if (mkdirat(stage, "merged", 0700) < 0 ||
	    (at = openat(stage, "merged", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		helper_die(EX_OSERR, "%s: staging merged: %s", name, strerror(errno));
	snprintf(target, sizeof(target), "/proc/self/fd/%d", at);
	if (mount("overlay", target, "overlay", MS_NOSUID | MS_NODEV, opts.buf) < 0)
		helper_die(errno == EBUSY ? EX_TEMPFAIL : EX_OSERR, "%s: mount overlay: %s", name,
			   strerror(errno));
	strbuf_fini(&opts);
	/* Reopen: the lookup now crosses into the overlay just mounted. */
	ovl = openat(stage, "merged", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ovl < 0 || fstatfs(ovl, &fs) < 0 || fs.f_type != OVERLAYFS_SUPER_MAGIC)
		helper_die(EX_SOFTWARE, "%s: staging merged is not the overlay", name);
	ovl_tree = open_tree(ovl, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (ovl_tree < 0)
		helper_die(EX_OSERR, "%s: clone of the overlay: %s", name, strerror(errno));

	/* Back to the caller's (the host's) namespace; the private one, with
	 * the staging tmpfs and every clone attached in it, is gone once no
	 * process is in it.  The overlay keeps its own private layer mounts. */
	if (setns(host_ns, CLONE_NEWNS) < 0)
		helper_die(EX_OSERR, "%s: back to the host mount namespace: %s", name,
			   strerror(errno));
	attach_overlay(name, L, ovl_tree);
	for (size_t i = 0; i < L->n_lower; i++)
		close(tree[i]);
	close(rt_tree);
	close(host_ns);
	close(stage);
	close(upper);
	close(work);
	close(at);
	close(ovl);
	close(ovl_tree);
}

/* Unmount everything stacked on runtime/NAME/merged, relative to the
 * checked runtime/NAME fd (an fd on merged itself would keep it busy).
 * Leaves the cwd at runtime/NAME. */
static void unmount_merged(const struct instance_paths *ip, const char *name)
{
	int tries;

	if (fchdir(ip->rt) < 0)
		helper_die(EX_OSERR, "runtime/%s: %s", name, strerror(errno));
	for (tries = 0; tries < 16; tries++) {
		int n = mountinfo_lookup(ip->merged, NULL, 0);

		if (n < 0)
			helper_die(EX_OSERR, "/proc/self/mountinfo: %s", strerror(errno));
		if (n == 0)
			return;
		if (umount2("merged", UMOUNT_NOFOLLOW) < 0)
			helper_die(errno == EBUSY ? EX_TEMPFAIL : EX_OSERR, "%s: umount: %s", name,
				   strerror(errno));
	}
	helper_die(EX_SOFTWARE, "runtime/%s/merged: still mounted after %d unmounts", name, tries);
}

int overlay_mount(const char *name)
{
	struct instance_paths ip;
	struct instance_env env;
	struct game_ids g;
	struct layers L;
	struct stat st;
	char err[256], fstype[64], what[128];
	uid_t uid;
	gid_t gid;
	char *text;
	int n;

	helper_lookup_user(HELPER_WORKER_USER, &uid, &gid);
	/* First: without a dynamic user nothing is opened or mounted. */
	lookup_game_ids(name, &g);
	if (open_instance(name, &ip) != 0)
		helper_die(EX_NOINPUT, "runtime/%s does not exist (initialize first)", name);
	text = read_env(ip.state, name);
	if (instance_env_parse(text, strlen(text), &env, err, sizeof(err)) < 0)
		helper_die(EX_DATAERR, "instances/%s/instance.env: %s", name, err);
	free(text);

	L.n_lower = env.n_lowerdirs;
	L.lower = xcalloc(env.n_lowerdirs, sizeof(*L.lower));
	/* As left4me, not root: the walk is only as good as what the worker
	 * could see itself. */
	set_fs_ids(uid, gid);
	for (size_t i = 0; i < env.n_lowerdirs; i++)
		L.lower[i] = open_lowerdir(ip.state, env.lowerdirs[i], i);
	set_fs_ids(0, 0);
	L.state = ip.state;
	L.rt = ip.rt;
	snprintf(what, sizeof(what), "runtime/%s/upper", name);
	L.upper = open_owned_dir(ip.rt, "upper", what, uid);
	snprintf(what, sizeof(what), "runtime/%s/work", name);
	L.work = open_owned_dir(ip.rt, "work", what, uid);

	n = mountinfo_lookup(ip.merged, fstype, sizeof(fstype));
	if (n < 0)
		helper_die(EX_OSERR, "/proc/self/mountinfo: %s", strerror(errno));
	if (n > 0 && strcmp(fstype, "overlay") != 0)
		helper_die(EX_SOFTWARE, "runtime/%s/merged is a %s mount, not overlay", name,
			   fstype);
	if (n > 0) {
		/* The overlay's root is upper/, shown through the idmap. */
		if (fstatat(ip.rt, "merged", &st, AT_SYMLINK_NOFOLLOW) < 0)
			helper_die(EX_OSERR, "runtime/%s/merged: %s", name, strerror(errno));
		if (st.st_uid == g.uid && st.st_gid == g.gid) {
			log_info("%s: already mounted", name);
			goto done;
		}
		/* Mounted for an earlier run's uid: that game is gone (this is
		 * ExecStartPre), and its mapping is wrong for this one. */
		log_notice("%s: mounted for %u:%u, not %u:%u; mounting again", name,
			   (unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)g.uid,
			   (unsigned)g.gid);
		unmount_merged(&ip, name);
	}
	snprintf(what, sizeof(what), "runtime/%s/merged", name);
	L.merged = open_owned_dir(ip.rt, "merged", what, (uid_t)-1);
	mount_idmapped(name, &L, &g);
	close(L.merged);
done:
	for (size_t i = 0; i < L.n_lower; i++)
		close(L.lower[i]);
	free(L.lower);
	close(L.upper);
	close(L.work);
	instance_env_fini(&env);
	return EX_OK;
}

/* Remove dirfd/name and everything below it, never following a symlink
 * (every directory is opened O_NOFOLLOW relative to its parent's fd).
 * ENOENT counts as done.  Returns 0, or -1 with errno. */
static int remove_tree_at(int dirfd, const char *name, int depth)
{
	struct dirent *de;
	DIR *d;
	int fd, saved;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	if (depth >= 64) {
		errno = ELOOP;
		return -1;
	}
	fd = helper_open_dir(dirfd, name);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	d = fdopendir(fd);
	if (!d) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (remove_tree_at(fd, de->d_name, depth + 1) < 0)
			break;
	}
	saved = errno;
	closedir(d);
	if (saved != 0) {
		errno = saved;
		return -1;
	}
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

/* Remove overlayfs's own work/work and work/index (root-owned, mode 000:
 * the left4me user could not remove runtime/NAME after an unmount).  Only
 * called when nothing is mounted on merged; work/ itself stays. */
static void remove_ovl_workdirs(const struct instance_paths *ip, const char *name)
{
	static const char *const internal[] = {"work", "index"};
	struct stat st;
	uid_t uid;
	gid_t gid;
	int work;

	work = helper_open_dir(ip->rt, "work");
	if (work < 0 && errno == ENOENT)
		return;
	if (work < 0)
		helper_die(EX_NOPERM, "runtime/%s/work: %s", name, strerror(errno));
	helper_lookup_user(HELPER_WORKER_USER, &uid, &gid);
	if (fstat(work, &st) < 0)
		helper_die(EX_OSERR, "runtime/%s/work: %s", name, strerror(errno));
	if (st.st_uid != uid)
		helper_die(EX_NOPERM, "runtime/%s/work: owned by uid %u, expected %u", name,
			   (unsigned)st.st_uid, (unsigned)uid);
	for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
		if (remove_tree_at(work, internal[i], 0) < 0)
			helper_die(EX_OSERR, "runtime/%s/work/%s: %s", name, internal[i],
				   strerror(errno));
	close(work);
}

int overlay_umount(const char *name)
{
	struct instance_paths ip;

	if (open_instance(name, &ip) != 0)
		return EX_OK; /* never initialized: nothing can be mounted */
	unmount_merged(&ip, name);
	remove_ovl_workdirs(&ip, name);
	return EX_OK;
}
