/* vpk extraction from hostile archives; see extract.h. */
#include "extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filehash.h"
#include "index.h"
#include "log.h"
#include "xalloc.h"

void extract_result_fini(struct extract_result *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		free(r->files[i].name);
	free(r->files);
	r->files = NULL;
	r->n = 0;
}

static int fail(struct extract_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct extract_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	return -1;
}

/* Why a path may not be extracted (NULL if it may); sets *base to its last
 * component.  '\\' counts as a separator too: zips from Windows use it. */
static const char *path_problem(const char *path, const char **base)
{
	const char *p = path, *seg;

	if (!*path)
		return "empty name";
	if (path[0] == '/' || path[0] == '\\')
		return "absolute path";
	if (((path[0] | 0x20) >= 'a' && (path[0] | 0x20) <= 'z') && path[1] == ':')
		return "absolute path";
	*base = path;
	while (*p) {
		size_t len;

		seg = p;
		len = strcspn(p, "/\\");
		if (len == 2 && seg[0] == '.' && seg[1] == '.')
			return "'..' in path";
		p += len;
		if (*p)
			p++;
		if (len)
			*base = seg;
	}
	return NULL;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* With lim->fsync, start writeback every this many bytes: the disk then
 * works while we decompress, and the final fsync waits only for the tail. */
#define EXTRACT_FLUSH_AFTER (1LL << 20)

/* Copy the current entry's data into fd, counting into *total and telling
 * the md5 thread (fh, unless NULL) how far the file is written. */
static int copy_entry(struct archive *a, int fd, const struct extract_limits *lim, long long *total,
		      struct filehash *fh, int64_t *size, struct extract_result *r)
{
	const void *buf;
	size_t len;
	la_int64_t off, pos = 0, flushed = 0;
	static const char zeros[4096];

	for (;;) {
		int ar = archive_read_data_block(a, &buf, &len, &off);

		if (ar == ARCHIVE_EOF)
			break;
		if (ar != ARCHIVE_OK)
			return fail(r, "corrupt archive: %s", archive_error_string(a));
		if (off < pos)
			return fail(r, "corrupt archive: data blocks out of order");
		/* Sparse holes come as offsets: fill them (counted like data). */
		while (pos < off) {
			size_t z = off - pos > (la_int64_t)sizeof(zeros) ? sizeof(zeros)
									 : (size_t)(off - pos);

			if ((*total += (long long)z) > lim->max_total)
				return fail(r,
					    "archive expands beyond max_extract_size (%lld bytes)",
					    lim->max_total);
			if (write_all(fd, zeros, z) < 0)
				goto werr;
			pos += (la_int64_t)z;
		}
		if ((*total += (long long)len) > lim->max_total)
			return fail(r, "archive expands beyond max_extract_size (%lld bytes)",
				    lim->max_total);
		if (write_all(fd, buf, len) < 0)
			goto werr;
		pos += (la_int64_t)len;
		if (fh)
			filehash_advance(fh, pos);
		if (lim->fsync && pos - flushed >= EXTRACT_FLUSH_AFTER) {
			/* Only a hint (asynchronous): fsync reports errors. */
			(void)sync_file_range(fd, flushed, pos - flushed, SYNC_FILE_RANGE_WRITE);
			flushed = pos;
		}
	}
	*size = pos;
	return 0;
werr:
	r->no_space = errno == ENOSPC || errno == EDQUOT || errno == EFBIG;
	return fail(r, "cannot write: %s", strerror(errno));
}

/* One extract_vpks: the archive and what it has produced so far. */
struct xrun {
	struct archive *a;
	int staging_fd;
	const struct extract_limits *lim;
	struct filehash *fh; /* with lim->md5: the md5 thread */
	long long total;     /* bytes written so far */
	struct extract_result *r;
};

/* Judge one entry: -1 refused (r->error says why, the whole archive
 * fails), 0 not ours (a directory, not a .vpk), 1 a vpk to extract, its
 * name in *base. */
static int entry_check(struct xrun *x, struct archive_entry *e, const char **base)
{
	struct extract_result *r = x->r;
	const char *path = archive_entry_pathname(e), *why;
	mode_t type = archive_entry_filetype(e);
	char why_name[96];
	size_t i;

	if (++r->entries > x->lim->max_entries)
		return fail(r, "more than max_entries (%lld) entries", x->lim->max_entries);
	if (!path)
		return fail(r, "entry %lld: unreadable name", (long long)r->entries);
	why = path_problem(path, base);
	if (why)
		return fail(r, "refused entry: %s", why);
	if (archive_entry_hardlink(e))
		return fail(r, "refused entry: hardlink");
	if (type == AE_IFDIR)
		return 0;
	if (type != AE_IFREG)
		return fail(r, "refused entry: %s", type == AE_IFLNK ? "symlink" : "special file");
	if (!fetch_has_suffix(*base, ".vpk"))
		return 0; /* not ours: libarchive skips its data */
	if (fetch_name_check(*base, why_name, sizeof(why_name)) < 0) {
		char shown[160];

		/* Escaped: the reason may be a bidi control in the name. */
		return fail(r, "refused entry %s: name %s",
			    log_escape(shown, sizeof(shown), *base, strlen(*base)), why_name);
	}
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > x->lim->max_total - x->total)
		return fail(r, "archive expands beyond max_extract_size (%lld bytes)",
			    x->lim->max_total);
	for (i = 0; i < r->n; i++) {
		if (strcasecmp(r->files[i].name, *base) == 0)
			return fail(r, "two vpks named %.100s", *base);
	}
	return 1;
}

/* Write the entry's data to staging/base (listed in r->files first, so a
 * failure's cleanup removes it), hashed by the md5 thread as it goes.
 * -1 with r->error. */
static int entry_extract(struct xrun *x, const char *base)
{
	struct extract_result *r = x->r;
	struct extract_file *f;
	int64_t size = 0;
	int fd;

	r->files = xreallocarray(r->files, r->n + 1, sizeof(*r->files));
	f = &r->files[r->n++];
	memset(f, 0, sizeof(*f));
	f->name = xstrdup(base);
	/* O_RDWR: the md5 thread reads the written bytes back. */
	fd = openat(x->staging_fd, base, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		r->no_space = errno == ENOSPC || errno == EDQUOT;
		fail(r, "cannot create %.100s: %s", base, strerror(errno));
		free(f->name);
		r->n--;
		return -1;
	}
	/* The md5 thread works on its own dup: ours may close any time. */
	if (x->fh && filehash_add(x->fh, fd) < 0) {
		fail(r, "cannot hash %.100s: %s", base, strerror(errno));
		close(fd);
		return -1;
	}
	if (copy_entry(x->a, fd, x->lim, &x->total, x->fh, &size, r) < 0) {
		close(fd);
		return -1;
	}
	if (x->fh)
		filehash_end(x->fh); /* hashed while we go on */
	if (x->lim->fsync && fsync(fd) < 0) {
		r->no_space = errno == ENOSPC || errno == EDQUOT;
		fail(r, "cannot write %.100s: %s", base, strerror(errno));
		close(fd);
		return -1;
	}
	if (close(fd) < 0) {
		r->no_space = errno == ENOSPC || errno == EDQUOT;
		return fail(r, "cannot write %.100s: %s", base, strerror(errno));
	}
	f->size = size;
	return 0;
}

/* Every entry in turn: check it, extract it if it is a vpk. */
static int extract_entries(struct xrun *x)
{
	struct archive_entry *e;
	int ar, kind;

	while ((ar = archive_read_next_header(x->a, &e)) == ARCHIVE_OK || ar == ARCHIVE_WARN) {
		const char *base = NULL;

		if (ar == ARCHIVE_WARN)
			return fail(x->r, "corrupt archive: %s", archive_error_string(x->a));
		kind = entry_check(x, e, &base);
		if (kind < 0 || (kind > 0 && entry_extract(x, base) < 0))
			return -1;
	}
	if (ar != ARCHIVE_EOF)
		return fail(x->r, "corrupt archive: %s", archive_error_string(x->a));
	return 0;
}

int extract_vpks(const char *archive_path, int staging_fd, const struct extract_limits *lim,
		 struct extract_result *r)
{
	struct xrun x = {.a = archive_read_new(), .staging_fd = staging_fd, .lim = lim, .r = r};
	size_t i;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (!x.a) {
		fail(r, "out of memory");
		goto out;
	}
	if (lim->md5 && !(x.fh = filehash_new())) {
		fail(r, "cannot start the md5 thread: %s", strerror(errno));
		goto out;
	}
	archive_read_support_format_zip(x.a);
	archive_read_support_format_7zip(x.a);
	if (archive_read_open_filename(x.a, archive_path, 128 * 1024) != ARCHIVE_OK) {
		fail(r, "not a zip or 7z archive: %s", archive_error_string(x.a));
		goto out;
	}
	if (extract_entries(&x) < 0)
		goto out;
	for (i = 0; x.fh && i < r->n; i++) {
		if (filehash_result(x.fh, i, r->files[i].md5) < 0) {
			fail(r, "cannot read back %.100s: %s", r->files[i].name, strerror(errno));
			goto out;
		}
	}
	rc = 0;
out:
	filehash_free(x.fh);
	if (rc < 0) {
		for (i = 0; i < r->n; i++)
			unlinkat(staging_fd, r->files[i].name, 0);
		extract_result_fini(r);
	}
	archive_read_free(x.a);
	return rc;
}
