/* Removing a tree under the state dir with *at() calls from the state
 * dir's fd: never following a symlink, never crossing a mount.  Used for
 * runtime/NAME, instances/NAME and console/NAME (instance.c) and for a
 * deleted overlay's overlays/ID (jobs.c).  Runs in left4me-worker as the
 * left4me user; trusts only its config's state dir. */
#include "rmtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Remove dirfd/name and everything below it, never following a symlink
 * and never crossing into another filesystem (dev).  The game wrote much
 * of runtime/NAME through its idmapped upper: on disk it is ours, but the
 * game may have left a directory without our permission bits (chmod
 * 000), so a directory we cannot open or empty gets u+rwx first.  (What
 * left4me-web made in an overlay is not ours: it goes through the group
 * write bit of the shared overlay model instead.)  The first error is
 * kept in err. */
static int rm_at(int dirfd, const char *name, dev_t dev, int depth, char *err, size_t errlen)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int fd, rc = 0;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT) {
			snprintf(err, errlen, "remove %s: %s", name, strerror(errno));
			return -1;
		}
		return 0;
	}
	if (st.st_dev != dev) {
		snprintf(err, errlen, "%s is another filesystem (a mount?): not removed", name);
		return -1;
	}
	if (depth > 256) {
		snprintf(err, errlen, "%s: nested deeper than 256 directories", name);
		return -1;
	}
	/* a failure here shows as the open's or the unlink's error below */
	if ((st.st_mode & S_IRWXU) != S_IRWXU &&
	    fchmodat(dirfd, name, (st.st_mode & 07777) | S_IRWXU, 0) < 0)
		st.st_mode |= S_IRWXU;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "open %s: %s", name, strerror(errno));
		return -1;
	}
	d = fdopendir(fd);
	if (!d) {
		snprintf(err, errlen, "read %s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (rm_at(fd, de->d_name, dev, depth + 1, err, errlen) < 0) {
			rc = -1;
			break;
		}
	}
	closedir(d);
	if (rc == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "remove %s: %s", name, strerror(errno));
		rc = -1;
	}
	return rc;
}

int rmtree_under(const char *state_dir, const char *sub, const char *name, bool *removed, char *err,
		 size_t errlen)
{
	struct stat st;
	int state, parent, rc = -1;
	char why[512] = "";

	state = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (state < 0) {
		snprintf(err, errlen, "state dir %s: %s", state_dir, strerror(errno));
		return -1;
	}
	parent = openat(state, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (parent < 0) {
		rc = errno == ENOENT ? 0 : -1;
		if (rc < 0)
			snprintf(err, errlen, "%s/%s: %s", state_dir, sub, strerror(errno));
		close(state);
		return rc;
	}
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = errno == ENOENT ? 0 : -1;
		if (rc < 0)
			snprintf(err, errlen, "%s/%s: %s", sub, name, strerror(errno));
		goto out;
	}
	*removed = true;
	if (fstat(parent, &st) < 0 || rm_at(parent, name, st.st_dev, 0, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s/%s: %s", sub, name, why[0] ? why : strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(parent);
	close(state);
	return rc;
}

/* Bytes beneath dirfd's entry name (see du_under). */
static long long du_at(int dirfd, const char *name, dev_t dev, int depth)
{
	struct stat st;
	struct dirent *de;
	long long sum;
	DIR *d;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	sum = (long long)st.st_blocks * 512;
	if (!S_ISDIR(st.st_mode) || st.st_dev != dev || depth > 256)
		return sum;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return sum;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return sum;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			sum += du_at(fd, de->d_name, dev, depth + 1);
	closedir(d);
	return sum;
}

long long du_under(const char *state_dir, const char *sub, const char *name)
{
	struct stat st;
	long long sum = 0;
	int state = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), dir = -1;

	if (state >= 0)
		dir = openat(state, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir >= 0 && fstat(dir, &st) == 0)
		sum = du_at(dir, name, st.st_dev, 0);
	if (dir >= 0)
		close(dir);
	if (state >= 0)
		close(state);
	return sum;
}
