/* left4me-overlay: mount kernel overlayfs for one instance.
 *
 * Trusts nothing under the state dir: instance.env is parsed strictly,
 * every lowerdir is opened and its resolved path (from the open fd, so no
 * symlink can be swapped in afterwards) must lie inside installation/,
 * overlays/ID, global_overlay_cache/SOURCE or workshop_cache/; overlayfs
 * then receives /proc/self/fd/N paths of exactly those directories.
 * upper/ and work/ must be directories owned by the left4me user.
 * "Mounted" is decided from /proc/self/mountinfo.  umount also removes
 * overlayfs's root-owned work/work and work/index once nothing is mounted,
 * so that the worker (user left4me) can remove runtime/NAME. */
#include "overlay.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper.h"
#include "instance_env.h"
#include "log.h"
#include "mountinfo.h"
#include "strbuf.h"
#include "xalloc.h"

/* Allowed lowerdir roots; `below` means the root itself is not allowed
 * (overlays/ as a whole would expose every user's overlay). */
static const struct {
	const char *dir;
	bool below;
} lower_roots[] = {
    {"installation", false},
    {"overlays", true},
    {"global_overlay_cache", true},
    {"workshop_cache", false},
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
	int inst, fd;

	inst = helper_open_dir(state, "instances");
	if (inst < 0)
		helper_die(errno == ENOENT ? EX_NOINPUT : EX_NOPERM, "instances: %s",
			   strerror(errno));
	snprintf(rel, sizeof(rel), "%s/instance.env", name); /* name <= 64 bytes */
	fd = openat(inst, rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(inst);
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

static bool lower_allowed(const char *state_real, const char *real)
{
	size_t sl = strlen(state_real);

	if (strncmp(real, state_real, sl) != 0 || real[sl] != '/')
		return false;
	real += sl + 1;
	for (size_t i = 0; i < sizeof(lower_roots) / sizeof(lower_roots[0]); i++) {
		size_t rl = strlen(lower_roots[i].dir);
		if (strncmp(real, lower_roots[i].dir, rl) != 0)
			continue;
		if (real[rl] == '\0')
			return !lower_roots[i].below;
		if (real[rl] == '/' && real[rl + 1] != '\0')
			return true;
	}
	return false;
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

int overlay_mount(const char *name)
{
	struct instance_paths ip;
	struct instance_env env;
	struct strbuf opts;
	char err[256], fstype[64], what[128], target[64];
	uid_t uid;
	gid_t gid;
	char *text;
	int upper, work, merged, n;

	helper_lookup_user(HELPER_WORKER_USER, &uid, &gid);
	if (open_instance(name, &ip) != 0)
		helper_die(EX_NOINPUT, "runtime/%s does not exist (initialize first)", name);
	text = read_env(ip.state, name);
	if (instance_env_parse(text, strlen(text), &env, err, sizeof(err)) < 0)
		helper_die(EX_DATAERR, "instances/%s/instance.env: %s", name, err);
	free(text);

	strbuf_init(&opts);
	strbuf_puts(&opts, "lowerdir=");
	for (size_t i = 0; i < env.n_lowerdirs; i++) {
		char real[PATH_MAX], esc[256];
		int fd = open(env.lowerdirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			helper_die(EX_DATAERR, "lowerdir %zu (%s): %s", i + 1,
				   log_escape(esc, sizeof(esc), env.lowerdirs[i],
					      strlen(env.lowerdirs[i])),
				   strerror(errno));
		helper_fd_path(fd, real, sizeof(real));
		if (!lower_allowed(ip.state_real, real))
			helper_die(EX_NOPERM, "lowerdir %zu (%s) resolves outside the allowlist",
				   i + 1, log_escape(esc, sizeof(esc), real, strlen(real)));
		strbuf_printf(&opts, "%s/proc/self/fd/%d", i ? ":" : "", fd);
	}
	snprintf(what, sizeof(what), "runtime/%s/upper", name);
	upper = open_owned_dir(ip.rt, "upper", what, uid);
	snprintf(what, sizeof(what), "runtime/%s/work", name);
	work = open_owned_dir(ip.rt, "work", what, uid);
	snprintf(what, sizeof(what), "runtime/%s/merged", name);
	merged = open_owned_dir(ip.rt, "merged", what, (uid_t)-1);
	strbuf_printf(&opts, ",upperdir=/proc/self/fd/%d,workdir=/proc/self/fd/%d", upper, work);

	n = mountinfo_lookup(ip.merged, fstype, sizeof(fstype));
	if (n < 0)
		helper_die(EX_OSERR, "/proc/self/mountinfo: %s", strerror(errno));
	if (n > 0 && strcmp(fstype, "overlay") == 0) {
		log_info("%s: already mounted", name);
		strbuf_fini(&opts);
		instance_env_fini(&env);
		return EX_OK;
	}
	if (n > 0)
		helper_die(EX_SOFTWARE, "runtime/%s/merged is a %s mount, not overlay", name,
			   fstype);
	if (opts.len >= 4096)
		helper_die(EX_DATAERR, "too many lowerdirs for one mount");
	snprintf(target, sizeof(target), "/proc/self/fd/%d", merged);
	if (mount("overlay", target, "overlay", MS_NOSUID | MS_NODEV, opts.buf) < 0)
		helper_die(errno == EBUSY ? EX_TEMPFAIL : EX_OSERR, "%s: mount overlay: %s", name,
			   strerror(errno));
	strbuf_fini(&opts);
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
	int tries;

	if (open_instance(name, &ip) != 0)
		return EX_OK; /* never initialized: nothing can be mounted */
	/* Unmount "merged" relative to the runtime/NAME fd we opened without
	 * following symlinks: an fd on merged itself would keep it busy. */
	if (fchdir(ip.rt) < 0)
		helper_die(EX_OSERR, "runtime/%s: %s", name, strerror(errno));
	for (tries = 0; tries < 16; tries++) {
		int n = mountinfo_lookup(ip.merged, NULL, 0);

		if (n < 0)
			helper_die(EX_OSERR, "/proc/self/mountinfo: %s", strerror(errno));
		if (n == 0) {
			remove_ovl_workdirs(&ip, name);
			return EX_OK;
		}
		if (umount2("merged", UMOUNT_NOFOLLOW) < 0)
			helper_die(errno == EBUSY ? EX_TEMPFAIL : EX_OSERR, "%s: umount: %s", name,
				   strerror(errno));
	}
	helper_die(EX_SOFTWARE, "runtime/%s/merged: still mounted after %d unmounts", name, tries);
}
