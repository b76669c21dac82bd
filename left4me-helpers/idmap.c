/* Idmapped mounts for the root helpers; see idmap.h.  Runs as root inside
 * a helper; trusts only the mapping its caller built from the passwd
 * entries of the left4me users (and, for the overlay, the game's uid). */
#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int add_line(struct idmap_line *lines, size_t *n, unsigned disk, unsigned shown)
{
	if (*n >= IDMAP_MAX_LINES)
		return -1;
	for (size_t i = 0; i < *n; i++)
		if (lines[i].disk == disk || lines[i].shown == shown)
			return -1;
	lines[*n].disk = disk;
	lines[*n].shown = shown;
	(*n)++;
	return 0;
}

int idmap_add_uid(struct idmap *m, uid_t disk, uid_t shown)
{
	return add_line(m->uid, &m->n_uid, (unsigned)disk, (unsigned)shown);
}

int idmap_add_gid(struct idmap *m, gid_t disk, gid_t shown)
{
	return add_line(m->gid, &m->n_gid, (unsigned)disk, (unsigned)shown);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int saved;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	saved = errno;
	close(fd);
	if (n != (ssize_t)strlen(text)) {
		errno = n < 0 ? saved : EIO;
		return -1;
	}
	return 0;
}

/* "inside outside 1\n" per line: the userns's inside id is the on-disk id
 * of an idmapped mount, its outside id the one processes see. */
static int format_map(char *buf, size_t len, const struct idmap_line *lines, size_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + off, len - off, "%u %u 1\n", lines[i].disk, lines[i].shown);
		if (w < 0 || (size_t)w >= len - off) {
			errno = EOVERFLOW;
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

int idmap_userns(const struct idmap *m)
{
	char path[64], map[IDMAP_MAX_LINES * 24 + 1];
	int go[2], fd = -1, saved;
	pid_t pid;
	char c;

	if (m->n_uid == 0 || m->n_gid == 0) {
		errno = EINVAL;
		return -1;
	}
	if (pipe2(go, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		saved = errno;
		close(go[0]);
		close(go[1]);
		errno = saved;
		return -1;
	}
	if (pid == 0) {
		/* The child only holds the namespace open until the parent has
		 * opened it; it never runs anything. */
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(1);
		close(go[1]);
		(void)!read(go[0], &c, 1);
		_exit(0);
	}
	close(go[0]);
	/* Wait until the child has left our user namespace. */
	for (int i = 0; i < 2000; i++) {
		struct stat a, b;
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
		if (stat(path, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 &&
		    a.st_ino != b.st_ino)
			break;
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	if (format_map(map, sizeof(map), m->uid, m->n_uid) < 0 || write_file(path, map) < 0)
		goto out;
	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
	if (write_file(path, "deny\n") < 0)
		goto out;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	if (format_map(map, sizeof(map), m->gid, m->n_gid) < 0 || write_file(path, map) < 0)
		goto out;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
out:
	saved = errno;
	close(go[1]);
	waitpid(pid, NULL, 0);
	errno = saved;
	return fd;
}

int idmap_clone(int dirfd, int userns, uint64_t attr_set)
{
	struct mount_attr attr = {0};
	int tree, saved;

	tree = open_tree(dirfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0)
		return -1;
	attr.attr_set = MOUNT_ATTR_IDMAP | attr_set;
	attr.userns_fd = (uint64_t)userns;
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0) {
		saved = errno;
		close(tree);
		errno = saved;
		return -1;
	}
	return tree;
}
