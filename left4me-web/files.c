/* Overlay files; see files.h. */
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "auth.h"
#include "validate.h"
#include "xalloc.h"

#define BENEATH_LINKS_MAX 40
#define BENEATH_DEPTH_MAX 64

struct files_writer {
	int dir;    /* the target's directory */
	int fd;	    /* the O_TMPFILE */
	char *name; /* the target's name in dir */
	int64_t size;
};

/* The mount and device an fd is on; -1 with errno. */
static int fd_mount(int fd, uint64_t *mnt_id, dev_t *dev)
{
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MNT_ID, &sx) < 0)
		return -1;
	if (!(sx.stx_mask & STATX_MNT_ID)) {
		errno = ENOTSUP;
		return -1;
	}
	*mnt_id = sx.stx_mnt_id;
	*dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	return 0;
}

/* The one absolute symlink target open_beneath() follows: the fetcher's
 * vpk links in a global overlay point at STATE/global_overlay_cache/
 * SOURCE/cache/NAME (absolute, because the overlay dir is an overlayfs
 * lowerdir).  prefix is that cache dir's configured path with a trailing
 * '/', dirfd the same dir opened beneath the source's base. */
struct link_jail {
	const char *prefix;
	int dirfd;
};

/* Where the symlink fd leads, next being the rest of the path after it:
 * 1 with *rest the remainder to resolve beneath jail->dirfd (an absolute
 * target under jail->prefix), 0 with *rest the path to go on with from
 * the link's directory (a relative target), or -1 with errno (EXDEV for
 * any other absolute or an empty target).  *rest is a new string. */
static int follow_link(int fd, const char *next, const struct link_jail *jail, char **rest)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);

	if (n < 0)
		return -1;
	target[n] = '\0';
	if (n > 0 && target[0] == '/' && jail) {
		size_t plen = strlen(jail->prefix);

		if ((size_t)n > plen && strncmp(target, jail->prefix, plen) == 0) {
			*rest = *next ? xasprintf("%s/%s", target + plen, next)
				      : xstrdup(target + plen);
			return 1;
		}
	}
	if (n == 0 || target[0] == '/') {
		errno = EXDEV;
		return -1;
	}
	*rest = xasprintf("%s/%s", target, next);
	return 0;
}

/* Open the last component name in dirfd with flags, st being what it was
 * when looked at: a regular file only, and still the same object.  If it
 * was swapped for a symlink meanwhile, O_NOFOLLOW refuses it; for
 * anything else the device and inode must match.  O_NONBLOCK: a FIFO a
 * build script swapped in after the look would make a blocking open wait
 * for a writer, holding a server thread (and its connections) forever;
 * opened without blocking, the fstat finds it and refuses it.  -1 with
 * errno (EPERM for what is not a regular file, EAGAIN if it changed). */
static int open_last(int dirfd, const char *name, int flags, const struct stat *st)
{
	struct stat now;
	int fd;

	if (!S_ISREG(st->st_mode)) {
		errno = EPERM; /* a fifo would block, a device is not ours */
		return -1;
	}
	fd = openat(dirfd, name, flags | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0 && (fstat(fd, &now) < 0 || !S_ISREG(now.st_mode) || now.st_dev != st->st_dev ||
			now.st_ino != st->st_ino)) {
		close(fd);
		fd = -1;
		errno = EAGAIN;
	}
	return fd;
}

/* Open path beneath the directory fd base with flags (O_NOFOLLOW added),
 * as openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV)
 * would, resolved in user space one component at a time: under the web
 * unit's RestrictSUIDSGID=, systemd's seccomp filter makes openat2 fail
 * with ENOSYS (it cannot see the mode inside struct open_how).  Every
 * component is opened O_PATH|O_NOFOLLOW relative to its parent's fd; a
 * symlink's target is read and resolved here, relative ones only (an
 * absolute one, or ".." above base, is EXDEV; the exception is an absolute
 * target under jail->prefix, whose remainder is resolved beneath
 * jail->dirfd by these same rules with no jail, so it cannot leave that
 * dir nor follow a second absolute link); ".." pops our own stack of
 * parent fds, so it can never leave base; every step must stay on base's
 * mount (EXDEV otherwise).  Only directories and regular files are
 * opened.  -1 with errno (ENOENT, EXDEV, ELOOP, ENOTDIR, EPERM). */
static int open_beneath(int base, const char *path, int flags, const struct link_jail *jail)
{
	int stack[BENEATH_DEPTH_MAX + 1], depth = 0, links = 0, fd = -1, ret = -1, saved, jailed;
	char *todo = xstrdup(path), *comp = todo, *next, *more;
	uint64_t base_mnt, mnt;
	dev_t base_dev, dev;

	stack[0] = base;
	if (fd_mount(base, &base_mnt, &base_dev) < 0)
		goto out;
	for (;;) {
		struct stat st;

		while (*comp == '/')
			comp++;
		if (*comp == '\0') {
			ret = openat(stack[depth], ".", flags | O_NOFOLLOW | O_CLOEXEC);
			break;
		}
		next = strchr(comp, '/');
		if (next)
			*next++ = '\0';
		else
			next = comp + strlen(comp);
		if (strcmp(comp, ".") == 0) {
			comp = next;
			continue;
		}
		if (strcmp(comp, "..") == 0) {
			if (depth == 0) {
				errno = EXDEV;
				goto out;
			}
			close(stack[depth--]);
			comp = next;
			continue;
		}
		fd = openat(stack[depth], comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 || fd_mount(fd, &mnt, &dev) < 0)
			goto out;
		if (mnt != base_mnt || dev != base_dev) {
			errno = EXDEV;
			goto out;
		}
		if (S_ISLNK(st.st_mode)) {
			if (++links > BENEATH_LINKS_MAX) {
				errno = ELOOP;
				goto out;
			}
			jailed = follow_link(fd, next, jail, &more);
			if (jailed < 0)
				goto out;
			if (jailed) {
				/* No jail in there: no second absolute link. */
				ret = open_beneath(jail->dirfd, more, flags, NULL);
				saved = errno;
				free(more);
				errno = saved;
				goto out;
			}
			close(fd);
			fd = -1;
			free(todo); /* next pointed into it: more is a copy */
			todo = comp = more;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (depth == BENEATH_DEPTH_MAX) {
				errno = ELOOP;
				goto out;
			}
			stack[++depth] = fd;
			fd = -1;
			comp = next;
			continue;
		}
		while (*next == '/')
			next++;
		if (*next != '\0') {
			errno = ENOTDIR;
			goto out;
		}
		/* The last component, not a directory: open it for real. */
		ret = open_last(stack[depth], comp, flags, &st);
		break;
	}
out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	while (depth > 0)
		close(stack[depth--]);
	free(todo);
	errno = saved;
	return ret;
}

/* The directory the overlay's paths are resolved beneath, and the prefix
 * its tree has there.  -1 if it does not exist. */
static int base_fd(const char *state_dir, const struct overlay *o, const char **prefix)
{
	char *dir;
	int fd;

	if (strcmp(o->kind, "global") == 0) {
		if (!o->source_name || !valid_source_name(o->source_name)) {
			errno = ENOENT;
			return -1;
		}
		dir = xasprintf("%s/global_overlay_cache/%s", state_dir, o->source_name);
		*prefix = "overlay";
	} else if (strcmp(o->kind, "workshop") == 0) {
		dir = xasprintf("%s/workshop_cache/overlays/%lld", state_dir, (long long)o->id);
		*prefix = "";
	} else {
		dir = xasprintf("%s/overlays/%lld", state_dir, (long long)o->id);
		*prefix = "";
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	free(dir);
	return fd;
}

bool files_overlay_writable(const struct overlay *o)
{
	return strcmp(o->kind, "user") == 0 || strcmp(o->kind, "script") == 0;
}

int files_open(const char *state_dir, const struct overlay *o, const char *path, bool *is_dir)
{
	struct link_jail jail = {.prefix = NULL, .dirfd = -1};
	const char *prefix;
	char *full, *cache = NULL;
	struct stat st;
	int base, fd, saved;

	if (path[0] && !valid_overlay_path(path)) {
		errno = EINVAL;
		return -1;
	}
	base = base_fd(state_dir, o, &prefix);
	if (base < 0)
		return -1;
	if (prefix[0])
		full = path[0] ? xasprintf("%s/%s", prefix, path) : xstrdup(prefix);
	else
		full = xstrdup(path[0] ? path : ".");
	if (strcmp(o->kind, "global") == 0) {
		/* The fetcher's absolute vpk links, into this source's cache
		 * only: no cache dir, no link followed. */
		jail.dirfd = open_beneath(base, "cache", O_RDONLY | O_DIRECTORY, NULL);
		jail.prefix = cache =
		    xasprintf("%s/global_overlay_cache/%s/cache/", state_dir, o->source_name);
	} else if (strcmp(o->kind, "workshop") == 0) {
		/* A workshop overlay's links lead to workshop_cache/ID.vpk. */
		jail.prefix = cache = xasprintf("%s/workshop_cache/", state_dir);
		jail.dirfd = open(cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	}
	fd = open_beneath(base, full, O_RDONLY, jail.dirfd >= 0 ? &jail : NULL);
	saved = errno;
	if (jail.dirfd >= 0)
		close(jail.dirfd);
	free(cache);
	free(full);
	close(base);
	errno = saved;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	*is_dir = S_ISDIR(st.st_mode);
	return fd;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct dirent_info *x = a, *y = b;

	if (x->is_dir != y->is_dir)
		return x->is_dir ? -1 : 1;
	return strcmp(x->name, y->name);
}

int files_list(int dirfd, struct dirent_info **list, size_t *n)
{
	DIR *d = fdopendir(dirfd);
	struct dirent_info *out = NULL;
	size_t count = 0, cap = 0;
	struct dirent *de;

	*list = NULL;
	*n = 0;
	if (!d) {
		close(dirfd);
		return -1;
	}
	while ((de = readdir(d)) && count < 10000) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 32;
			out = xreallocarray(out, cap, sizeof(*out));
		}
		out[count].name = xstrdup(de->d_name);
		out[count].is_dir = S_ISDIR(st.st_mode);
		out[count].is_link = S_ISLNK(st.st_mode);
		out[count].size = (int64_t)st.st_size;
		count++;
	}
	closedir(d);
	if (count) /* an empty dir: out is NULL, which qsort must not get */
		qsort(out, count, sizeof(*out), cmp_entry);
	*list = out;
	*n = count;
	return 0;
}

void files_list_free(struct dirent_info *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i].name);
	free(list);
}

/* The directory path's file goes in, beneath STATE/overlays/ID, each
 * component created if missing and never followed; *leaf points into path
 * at the file's name.  A directory fd, or -1 with errno. */
static int writer_dir(const char *state_dir, const struct overlay *o, const char *path,
		      const char **leaf)
{
	char *overlays = xasprintf("%s/overlays", state_dir),
	     *copy = xasprintf("%lld/%s", (long long)o->id, path), *comp = copy, *slash;
	int dir = open(overlays, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW), next, saved;
	struct stat st;

	while (dir >= 0 && (slash = strchr(comp, '/'))) {
		*slash = '\0';
		bool made = mkdirat(dir, comp, 0770) == 0;

		next = made || errno == EEXIST
			   ? openat(dir, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
			   : -1;
		/* Shared with the worker and the build sandbox: setgid and
		 * group left4me come from overlays/ (a chmod naming S_ISGID is
		 * refused under RestrictSUIDSGID=), group write from umask
		 * 0007 (main.c).  A dir we made without it would lock them out. */
		if (next >= 0 && made && (fstat(next, &st) < 0 || (st.st_mode & 0070) != 0070)) {
			close(next);
			next = -1;
			errno = EPERM;
		}
		saved = errno;
		close(dir);
		errno = saved;
		dir = next;
		comp = slash + 1;
	}
	*leaf = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	free(overlays);
	free(copy);
	return dir;
}

int files_writer_open(const char *state_dir, const struct overlay *o, const char *path,
		      struct files_writer **out)
{
	struct files_writer *w;
	const char *leaf;
	int dir, fd, saved;

	*out = NULL;
	if (!files_overlay_writable(o) || !valid_overlay_path(path)) {
		errno = EINVAL;
		return -1;
	}
	dir = writer_dir(state_dir, o, path, &leaf);
	if (dir < 0)
		return -1;
	/* Nameless until committed: a crash or an abort leaves nothing. */
	fd = openat(dir, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, OVERLAY_FILE_MODE);
	if (fd < 0 || fchmod(fd, OVERLAY_FILE_MODE) < 0) {
		saved = errno;
		if (fd >= 0)
			close(fd);
		close(dir);
		errno = saved;
		return -1;
	}
	w = xcalloc(1, sizeof(*w));
	w->dir = dir;
	w->fd = fd;
	w->name = xstrdup(leaf);
	*out = w;
	return 0;
}

int files_writer_write(struct files_writer *w, const void *data, size_t len)
{
	const char *p = data;
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(w->fd, p + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)n;
	}
	w->size += (int64_t)len;
	return 0;
}

int files_writer_commit(struct files_writer *w)
{
	char proc[64], tmp[80], rnd[AUTH_TOKEN_HEX + 1];
	int ret = -1, saved;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w->fd);
	if (fsync(w->fd) < 0 || auth_random_hex(rnd) < 0)
		goto out;
	/* Named beside the target, then renamed over it: readers see the
	 * old file or the new one, never a part. */
	snprintf(tmp, sizeof(tmp), ".l4m-upload-%.16s", rnd);
	if (linkat(AT_FDCWD, proc, w->dir, tmp, AT_SYMLINK_FOLLOW) < 0)
		goto out;
	if (renameat(w->dir, tmp, w->dir, w->name) < 0) {
		saved = errno;
		unlinkat(w->dir, tmp, 0);
		errno = saved;
		goto out;
	}
	ret = 0;
out:
	saved = errno;
	files_writer_free(w);
	errno = saved;
	return ret;
}

int64_t files_writer_size(const struct files_writer *w)
{
	return w->size;
}

void files_writer_free(struct files_writer *w)
{
	if (!w)
		return;
	close(w->fd);
	close(w->dir);
	free(w->name);
	free(w);
}

int files_write(const char *state_dir, const struct overlay *o, const char *path, const char *data,
		size_t len)
{
	struct files_writer *w;
	int saved;

	if (files_writer_open(state_dir, o, path, &w) < 0)
		return -1;
	if (files_writer_write(w, data, len) < 0) {
		saved = errno;
		files_writer_free(w);
		errno = saved;
		return -1;
	}
	return files_writer_commit(w);
}

void files_etag_of(const char *data, size_t len, char out[FILES_ETAG_SIZE])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0, i;

	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) || n < 16)
		memset(md, 0, 16); /* cannot happen; an ETag nothing matches */
	out[0] = '"';
	for (i = 0; i < 16; i++)
		snprintf(out + 1 + 2 * i, 3, "%02x", md[i]);
	out[33] = '"';
	out[34] = '\0';
}

int files_read_fd(int fd, long long max, char **data, size_t *len)
{
	struct stat st;
	size_t cap, n = 0;
	char *buf;

	if (fstat(fd, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EPERM;
		return -1;
	}
	if (st.st_size > max) {
		errno = EFBIG;
		return -1;
	}
	/* One byte more than max, to see a file that grew meanwhile. */
	cap = (size_t)st.st_size + 1;
	buf = xmalloc(cap + 1);
	for (;;) {
		ssize_t got = pread(fd, buf + n, cap - n, (off_t)n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			free(buf);
			return -1;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if ((long long)n > max) {
			free(buf);
			errno = EFBIG;
			return -1;
		}
		if (n == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

bool files_is_text(const char *data, size_t len)
{
	return !memchr(data, '\0', len) && valid_utf8(data, len);
}

int files_read_text(const char *state_dir, const struct overlay *o, const char *path, long long max,
		    char **data, size_t *len)
{
	bool is_dir = false;
	int fd = files_open(state_dir, o, path, &is_dir), rc, saved;

	if (fd < 0)
		return -1;
	if (is_dir) {
		close(fd);
		errno = EISDIR;
		return -1;
	}
	rc = files_read_fd(fd, max, data, len);
	saved = errno;
	close(fd);
	if (rc == 0 && !files_is_text(*data, *len)) {
		free(*data);
		*data = NULL;
		saved = EILSEQ;
		rc = -1;
	}
	errno = saved;
	return rc;
}

bool files_game_installed(const char *state_dir)
{
	char *path = xasprintf("%s/installation/current/srcds_run", state_dir);
	struct stat st;
	bool ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);

	free(path);
	return ok;
}

int files_overlay_mkdir(const char *state_dir, const struct overlay *o)
{
	char *overlays = NULL, name[32];
	int dir = -1, fd = -1, ret = -1, saved;
	struct stat st;

	if (!files_overlay_writable(o)) {
		errno = EINVAL;
		return -1;
	}
	overlays = xasprintf("%s/overlays", state_dir);
	snprintf(name, sizeof(name), "%lld", (long long)o->id);
	dir = open(overlays, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dir < 0)
		goto out;
	if (mkdirat(dir, name, 0770) < 0) {
		if (errno == EEXIST)
			ret = 0;
		goto out;
	}
	/* As files_write's directories: group write from umask 0007, setgid
	 * and group left4me from overlays/ (docs/SECURITY.md). */
	fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0)
		goto out;
	if ((st.st_mode & 0070) != 0070) {
		errno = EPERM;
		goto out;
	}
	ret = 0;
out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (dir >= 0)
		close(dir);
	free(overlays);
	errno = saved;
	return ret;
}

const char *files_image_type(const unsigned char *data, size_t len)
{
	static const struct {
		size_t off, len;
		const char *magic, *type;
	} types[] = {
	    {0, 3, "\xff\xd8\xff", "image/jpeg"}, {0, 8, "\x89PNG\r\n\x1a\n", "image/png"},
	    {0, 6, "GIF87a", "image/gif"},	  {0, 6, "GIF89a", "image/gif"},
	    {8, 4, "WEBP", "image/webp"},
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (len >= types[i].off + types[i].len &&
		    memcmp(data + types[i].off, types[i].magic, types[i].len) == 0 &&
		    (types[i].off == 0 || memcmp(data, "RIFF", 4) == 0))
			return types[i].type;
	return NULL;
}

int files_workshop_preview_open(const char *state_dir, int64_t published_id, const char **type)
{
	char *cache = xasprintf("%s/workshop_cache", state_dir), name[40];
	unsigned char head[16];
	int dir, fd = -1, saved;
	struct stat st;
	ssize_t got;

	*type = NULL;
	snprintf(name, sizeof(name), "%lld.preview", (long long)published_id);
	dir = open(cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	free(cache);
	if (dir < 0)
		return -1;
	fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	saved = errno;
	close(dir);
	errno = saved;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	got = pread(fd, head, sizeof(head), 0);
	if (got < 0 || !(*type = files_image_type(head, (size_t)got))) {
		close(fd);
		errno = got < 0 ? EIO : EMEDIUMTYPE;
		return -1;
	}
	return fd;
}

int files_delete(const char *state_dir, const struct overlay *o, const char *path)
{
	const char *prefix, *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
	char *parent = NULL;
	struct stat st;
	int base = -1, dir = -1, ret = -1, saved;

	if (!files_overlay_writable(o) || !valid_overlay_path(path)) {
		errno = EINVAL;
		return -1;
	}
	base = base_fd(state_dir, o, &prefix);
	if (base < 0)
		goto out;
	parent = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
	dir = open_beneath(base, parent, O_RDONLY | O_DIRECTORY, NULL);
	if (dir < 0)
		goto out;
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		goto out;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto out;
	}
	ret = unlinkat(dir, name, 0);
out:
	saved = errno;
	if (dir >= 0)
		close(dir);
	if (base >= 0)
		close(base);
	free(parent);
	errno = saved;
	return ret;
}
