/* Versioned game installations; see builds.h. */
#include "builds.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "instance_env.h"
#include "lowerdir.h"
#include "parse.h"
#include "rmtree.h"
#include "xalloc.h"

#define BUILDS_DIR "installation/builds"

bool builds_id_ok(const char *s, int64_t *id)
{
	size_t n = strspn(s, "0123456789");
	long long v;

	if (n < 1 || n > LOWERDIR_BUILD_ID_MAX || s[n] != '\0' || s[0] == '0' ||
	    parse_int_n(s, n, 1, LLONG_MAX, &v) < 0)
		return false;
	if (id)
		*id = v;
	return true;
}

int builds_lock(const char *state_dir, bool exclusive, char *err, size_t errlen)
{
	char *dir = xasprintf("%s/installation", state_dir);
	char *path = xasprintf("%s/.lock", dir);
	int fd = -1;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
		goto out;
	}
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		goto out;
	}
	while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
		if (errno == EINTR)
			continue;
		snprintf(err, errlen, "lock %s: %s", path, strerror(errno));
		close(fd);
		fd = -1;
		break;
	}
out:
	free(dir);
	free(path);
	return fd;
}

void builds_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

int builds_current(const char *state_dir, int64_t *id, char *err, size_t errlen)
{
	char *path = xasprintf("%s/installation/current", state_dir), *dir = NULL;
	char target[64];
	struct stat st;
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	int rc = -1;

	if (n < 0 && errno == ENOENT) {
		rc = 0;
		goto out;
	}
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	target[n] = '\0';
	if (strncmp(target, "builds/", 7) != 0 || !builds_id_ok(target + 7, id)) {
		snprintf(err, errlen, "%s does not name builds/ID", path);
		goto out;
	}
	dir = xasprintf("%s/installation/%s", state_dir, target);
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s names %s, which is not a directory", path, dir);
		goto out;
	}
	rc = 1;
out:
	free(path);
	free(dir);
	return rc;
}

int64_t builds_of_lowerdir(const char *state_dir, const char *lowerdir)
{
	size_t sl = strlen(state_dir);
	static const char mid[] = "/" BUILDS_DIR "/";
	int64_t id;

	if (strncmp(lowerdir, state_dir, sl) != 0 ||
	    strncmp(lowerdir + sl, mid, sizeof(mid) - 1) != 0 ||
	    !builds_id_ok(lowerdir + sl + sizeof(mid) - 1, &id))
		return 0;
	return id;
}

int builds_of_instance(const char *state_dir, const char *name, int64_t *id, char *err,
		       size_t errlen)
{
	char *path = xasprintf("%s/instances/%s/instance.env", state_dir, name);
	char buf[INSTANCE_ENV_MAX_SIZE + 1], why[256];
	struct instance_env env = {0};
	ssize_t n;
	int fd, rc = -1;

	*id = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		rc = 0;
		goto out;
	}
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	if (n < 0 || n > INSTANCE_ENV_MAX_SIZE) {
		snprintf(err, errlen, "read %s: %s", path, n < 0 ? strerror(errno) : "too large");
		goto out;
	}
	buf[n] = '\0';
	if (instance_env_parse(buf, (size_t)n, &env, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		goto out;
	}
	*id = builds_of_lowerdir(state_dir, env.lowerdirs[env.n_lowerdirs - 1]);
	instance_env_fini(&env);
	rc = *id > 0 ? 1 : 0;
out:
	free(path);
	return rc;
}

/* ---- clone ----------------------------------------------------------------- */

struct clone {
	struct clone_stats *st;
	dev_t dev;
	bool no_reflink; /* FICLONE failed once as unsupported: stop trying */
	char *err;
	size_t errlen;
};

static int clone_fail(struct clone *c, const char *what, const char *name)
{
	snprintf(c->err, c->errlen, "%s %s: %s", what, name, strerror(errno));
	return -1;
}

static int copy_bytes(int in, int out, off_t size)
{
	off_t done = 0;

	while (done < size) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)(size - done), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 &&
		    (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
			char buf[65536];

			n = read(in, buf, sizeof(buf));
			if (n > 0 && write(out, buf, (size_t)n) != n)
				return -1;
		}
		if (n <= 0)
			return n == 0 ? (errno = EIO, -1) : -1;
		done += n;
	}
	return 0;
}

static int clone_file(struct clone *c, int sdir, int ddir, const char *name, const struct stat *sst)
{
	int in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), out = -1, rc = -1;
	struct timespec ts[2] = {sst->st_atim, sst->st_mtim};

	if (in < 0)
		return clone_fail(c, "open", name);
	out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		clone_fail(c, "create", name);
		goto out;
	}
	if (!c->no_reflink && sst->st_size > 0 && ioctl(out, FICLONE, in) == 0) {
		c->st->reflinked += sst->st_size;
	} else {
		if (sst->st_size > 0 && !c->no_reflink &&
		    (errno == EOPNOTSUPP || errno == EXDEV || errno == EINVAL || errno == ENOTTY))
			c->no_reflink = true;
		if (copy_bytes(in, out, sst->st_size) < 0) {
			clone_fail(c, "copy", name);
			goto out;
		}
		c->st->copied += sst->st_size;
	}
	if (fchmod(out, sst->st_mode & 07777) < 0 || futimens(out, ts) < 0) {
		clone_fail(c, "chmod", name);
		goto out;
	}
	c->st->files++;
	c->st->bytes += sst->st_size;
	rc = 0;
out:
	close(in);
	if (out >= 0 && close(out) < 0 && rc == 0)
		rc = clone_fail(c, "close", name);
	return rc;
}

static int clone_dir(struct clone *c, int sfd, int dfd, int depth);

static int clone_entry(struct clone *c, int sfd, int dfd, const char *name, int depth)
{
	struct stat st;
	char target[PATH_MAX];
	ssize_t n;
	int s2, d2, rc;

	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return clone_fail(c, "stat", name);
	if (S_ISREG(st.st_mode))
		return clone_file(c, sfd, dfd, name, &st);
	if (S_ISLNK(st.st_mode)) {
		n = readlinkat(sfd, name, target, sizeof(target) - 1);
		if (n < 0)
			return clone_fail(c, "readlink", name);
		target[n] = '\0';
		if (symlinkat(target, dfd, name) < 0)
			return clone_fail(c, "symlink", name);
		c->st->links++;
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return 0; /* no device, FIFO or socket belongs in a game tree */
	if (st.st_dev != c->dev) {
		snprintf(c->err, c->errlen, "%s is on another filesystem (a mount)", name);
		return -1;
	}
	if (depth > 64) {
		snprintf(c->err, c->errlen, "%s: deeper than 64 levels", name);
		return -1;
	}
	if (mkdirat(dfd, name, 0700) < 0)
		return clone_fail(c, "mkdir", name);
	s2 = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	d2 = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s2 < 0 || d2 < 0) {
		rc = clone_fail(c, "open", name);
		if (s2 >= 0)
			close(s2);
		if (d2 >= 0)
			close(d2);
		return rc;
	}
	rc = clone_dir(c, s2, d2, depth + 1); /* closes s2 */
	if (rc == 0) {
		struct timespec ts[2] = {st.st_atim, st.st_mtim};

		if (fchmod(d2, st.st_mode & 07777) < 0 || futimens(d2, ts) < 0)
			rc = clone_fail(c, "chmod", name);
	}
	close(d2);
	return rc;
}

/* Copy what sfd holds into dfd; closes sfd. */
static int clone_dir(struct clone *c, int sfd, int dfd, int depth)
{
	DIR *d = fdopendir(sfd);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		close(sfd);
		return clone_fail(c, "read", "directory");
	}
	c->st->dirs++;
	while ((de = readdir(d)) != NULL && rc == 0) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		rc = clone_entry(c, dirfd(d), dfd, de->d_name, depth);
	}
	closedir(d);
	return rc;
}

int builds_clone(const char *src, const char *dst, struct clone_stats *st, char *err, size_t errlen)
{
	struct clone c = {.st = st, .err = err, .errlen = errlen};
	struct stat sst;
	int sfd, dfd, rc;

	memset(st, 0, sizeof(*st));
	sfd = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0 || fstat(sfd, &sst) < 0) {
		snprintf(err, errlen, "open %s: %s", src, strerror(errno));
		if (sfd >= 0)
			close(sfd);
		return -1;
	}
	c.dev = sst.st_dev;
	if (mkdir(dst, 0700) < 0 ||
	    (dfd = open(dst, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "create %s: %s", dst, strerror(errno));
		close(sfd);
		return -1;
	}
	rc = clone_dir(&c, sfd, dfd, 0);
	if (rc == 0 && fchmod(dfd, sst.st_mode & 07777) < 0)
		rc = clone_fail(&c, "chmod", dst);
	close(dfd);
	return rc;
}

/* ---- publish and gc --------------------------------------------------------- */

static int fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int point_current(const char *state_dir, int64_t id, char *err, size_t errlen)
{
	char *inst = xasprintf("%s/installation", state_dir);
	char *tmp = xasprintf("%s/.current.tmp", inst), *cur = xasprintf("%s/current", inst);
	char *target = xasprintf("builds/%lld", (long long)id);
	int rc = -1;

	unlink(tmp);
	if (symlink(target, tmp) < 0 || rename(tmp, cur) < 0) {
		snprintf(err, errlen, "point %s at %s: %s", cur, target, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (fsync_dir(inst) < 0) {
		snprintf(err, errlen, "fsync %s: %s", inst, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(inst);
	free(tmp);
	free(cur);
	free(target);
	return rc;
}

int builds_publish(const char *state_dir, int64_t id, bool *existed, char *err, size_t errlen)
{
	char *builds = xasprintf("%s/" BUILDS_DIR, state_dir);
	char *staging = xasprintf("%s/installation/" BUILDS_STAGING, state_dir);
	char *dst = xasprintf("%s/%lld", builds, (long long)id);
	struct stat st;
	bool removed = false;
	int lock = builds_lock(state_dir, true, err, errlen), rc = -1;

	*existed = false;
	if (lock < 0)
		goto out;
	if (mkdir(builds, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", builds, strerror(errno));
		goto out;
	}
	if (lstat(dst, &st) == 0) {
		*existed = true;
		if (rmtree_under(state_dir, "installation", BUILDS_STAGING, &removed, err, errlen) <
		    0)
			goto out;
	} else if (rename(staging, dst) < 0 || fsync_dir(builds) < 0) {
		snprintf(err, errlen, "rename %s to %s: %s", staging, dst, strerror(errno));
		goto out;
	}
	rc = point_current(state_dir, id, err, errlen);
out:
	builds_unlock(lock);
	free(builds);
	free(staging);
	free(dst);
	return rc;
}

/* The builds instances/NAME/instance.env name (with repeats). */
static int used_builds(const char *state_dir, int64_t **ids, size_t *n, char *err, size_t errlen)
{
	char *dir = xasprintf("%s/instances", state_dir);
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	*ids = NULL;
	*n = 0;
	if (!d) {
		rc = errno == ENOENT ? 0 : -1;
		if (rc < 0)
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		free(dir);
		return rc;
	}
	while ((de = readdir(d)) != NULL && rc == 0) {
		int64_t id;

		if (de->d_name[0] == '.')
			continue;
		if (builds_of_instance(state_dir, de->d_name, &id, err, errlen) < 0) {
			rc = -1;
			break;
		}
		if (id > 0) {
			*ids = xreallocarray(*ids, *n + 1, sizeof(**ids));
			(*ids)[(*n)++] = id;
		}
	}
	closedir(d);
	free(dir);
	return rc;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

int builds_list(const char *state_dir, int64_t **ids, size_t *n, char *err, size_t errlen)
{
	char *dir = xasprintf("%s/" BUILDS_DIR, state_dir);
	DIR *d = opendir(dir);
	struct dirent *de;

	*ids = NULL;
	*n = 0;
	if (!d) {
		int rc = errno == ENOENT ? 0 : -1;

		if (rc < 0)
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		free(dir);
		return rc;
	}
	while ((de = readdir(d)) != NULL) {
		int64_t id;

		if (!builds_id_ok(de->d_name, &id))
			continue;
		*ids = xreallocarray(*ids, *n + 1, sizeof(**ids));
		(*ids)[(*n)++] = id;
	}
	closedir(d);
	free(dir);
	if (*n > 1)
		qsort(*ids, *n, sizeof(**ids), cmp_id);
	return 0;
}

static void say_build(void (*say)(void *, const char *), void *ctx, long long id, const char *what)
{
	char line[160];

	snprintf(line, sizeof(line), "build %lld: %s", id, what);
	say(ctx, line);
}

int builds_gc(const char *state_dir, void (*say)(void *ctx, const char *line), void *ctx, char *err,
	      size_t errlen)
{
	char *dir = xasprintf("%s/" BUILDS_DIR, state_dir);
	int64_t cur = 0, newest = 0, *used = NULL, *all = NULL;
	size_t n_used = 0, n_all = 0;
	int lock = builds_lock(state_dir, true, err, errlen), rc = -1;
	struct dirent *de;
	DIR *d = NULL;

	if (lock < 0 || builds_current(state_dir, &cur, err, errlen) < 0 ||
	    used_builds(state_dir, &used, &n_used, err, errlen) < 0)
		goto out;
	d = opendir(dir);
	if (!d) {
		rc = errno == ENOENT ? 0 : -1;
		if (rc < 0)
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		int64_t id;

		if (!builds_id_ok(de->d_name, &id))
			continue;
		all = xreallocarray(all, n_all + 1, sizeof(*all));
		all[n_all++] = id;
		if (id > newest)
			newest = id;
	}
	rc = 0;
	for (size_t i = 0; i < n_all && rc == 0; i++) {
		bool in_use = false, removed = false;
		char name[24];

		for (size_t j = 0; j < n_used; j++)
			in_use |= used[j] == all[i];
		if (all[i] == cur || all[i] == newest)
			continue;
		if (in_use) {
			say_build(say, ctx, (long long)all[i],
				  "kept, a server's instance.env names it");
			continue;
		}
		snprintf(name, sizeof(name), "%lld", (long long)all[i]);
		rc = rmtree_under(state_dir, BUILDS_DIR, name, &removed, err, errlen);
		if (rc == 0)
			say_build(say, ctx, (long long)all[i], "removed (no server uses it)");
	}
out:
	if (d)
		closedir(d);
	builds_unlock(lock);
	free(dir);
	free(used);
	free(all);
	return rc;
}
