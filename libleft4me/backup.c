/* Backups: write (backup_create), check (backup_check) and restore
 * (backup_restore) one .tar.zst of a state dir; see backup.h.  Files are
 * walked from directory fds without following a symlink; restore names
 * every entry against one rule (backup_path_refused) before libarchive's
 * secure extraction flags see it. */
#include "backup.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "backup_dir.h"
#include "errbuf.h"
#include "db_schema.h"
#include "strbuf.h"
#include "timeutil.h"
#include "xalloc.h"

#define DEPTH_MAX 64

static void hex(const unsigned char *d, unsigned n, char *out)
{
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

/* ---- the path rule ------------------------------------------------------------ */

/* Each '/'-separated component: 1..255 bytes, not "." or "..". */
static const char *components_refused(const char *path)
{
	const char *p = path;

	if (!*path)
		return "empty name";
	if (*path == '/')
		return "absolute name";
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 0)
			return "empty component (\"//\" or a trailing '/')";
		if (n > 255)
			return "component longer than 255 bytes";
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return "\".\" or \"..\" component";
		if (!slash)
			return NULL;
		p = slash + 1;
	}
}

const char *backup_path_refused(const char *path, unsigned type)
{
	const char *why = components_refused(path);
	const char *rest;

	if (why)
		return why;
	if (strlen(path) >= 4096)
		return "name longer than 4095 bytes";
	if (strcmp(path, "left4me.db") == 0 || strcmp(path, BACKUP_MANIFEST) == 0)
		return type == AE_IFREG ? NULL : "must be a regular file";
	if (strcmp(path, "overlays") == 0 || strcmp(path, "instances") == 0 ||
	    strcmp(path, "runtime") == 0)
		return type == AE_IFDIR ? NULL : "must be a directory";
	if (strncmp(path, "overlays/", 9) == 0)
		return type == AE_IFREG || type == AE_IFDIR || type == AE_IFLNK
			   ? NULL
			   : "only files, directories and symlinks in overlays/";
	if (strncmp(path, "instances/", 10) == 0)
		return type == AE_IFREG || type == AE_IFDIR
			   ? NULL
			   : "only files and directories in instances/";
	if (strncmp(path, "runtime/", 8) != 0)
		return "not part of a left4me backup";
	/* runtime/NAME, runtime/NAME/upper, runtime/NAME/upper/... */
	rest = strchr(path + 8, '/');
	if (!rest)
		return type == AE_IFDIR ? NULL : "must be a directory";
	if (strncmp(rest, "/upper", 6) != 0 || (rest[6] != '\0' && rest[6] != '/'))
		return "only upper/ of a server's runtime dir";
	if (rest[6] == '\0')
		return type == AE_IFDIR ? NULL : "must be a directory";
	return type == AE_IFREG || type == AE_IFDIR || type == AE_IFLNK || type == AE_IFCHR
		   ? NULL
		   : "only files, directories, symlinks and whiteouts in upper/";
}

/* ---- writing ---------------------------------------------------------------- */

struct writer {
	struct archive *a;
	json_object *files, *changed, *unreadable;
	struct backup_stats *st;
	char *err;
	size_t errlen;
	bool files_only;     /* an export: regular files and directories only */
	long long max_bytes; /* an export: 0, or the most its files may hold */
	unsigned char buf[65536];
};

static bool (*progress_fn)(void *);
static void *progress_arg;

void backup_set_progress(bool (*fn)(void *arg), void *arg)
{
	progress_fn = fn;
	progress_arg = arg;
}

/* -1 with err set when the caller's progress function says stop. */
static int progress(struct writer *w)
{
	if (progress_fn && !progress_fn(progress_arg))
		return err_set(w->err, w->errlen, "stopped");
	return 0;
}

static int ar_fail(struct writer *w, const char *what)
{
	return err_set(w->err, w->errlen, "%s: %s", what, archive_error_string(w->a));
}

/* An export keeps no lists (NULL): a hostile upper/ of a million
 * symlinks must not grow one. */
static void note(json_object *list, const char *path, long long *count)
{
	if (list)
		json_object_array_add(list, json_object_new_string(path));
	(*count)++;
}

/* The file's bytes after its header: exactly size of them, hashed. */
static int copy_data(struct writer *w, int fd, const char *rel, long long size, char *sha)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	long long done = 0;
	bool cut = false;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		return err_set(w->err, w->errlen, "sha256: out of memory");
	while (done < size) {
		size_t want =
		    (size_t)(size - done) < sizeof(w->buf) ? (size_t)(size - done) : sizeof(w->buf);
		ssize_t n = cut ? 0 : read(fd, w->buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) { /* shrank (or failed) while read: zeros up to size */
			cut = true;
			memset(w->buf, 0, want);
			n = (ssize_t)want;
		}
		EVP_DigestUpdate(md, w->buf, (size_t)n);
		if (progress(w) < 0) {
			EVP_MD_CTX_free(md);
			return -1;
		}
		if (archive_write_data(w->a, w->buf, (size_t)n) != n) {
			EVP_MD_CTX_free(md);
			return ar_fail(w, rel);
		}
		done += n;
	}
	if (!cut && read(fd, w->buf, 1) > 0)
		cut = true; /* grew while read */
	EVP_DigestFinal_ex(md, d, &dlen);
	EVP_MD_CTX_free(md);
	hex(d, dlen, sha);
	if (cut)
		note(w->changed, rel, &w->st->changed);
	return 0;
}

static struct archive_entry *entry_for(const char *rel, const struct stat *st, unsigned type)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, rel);
	archive_entry_set_filetype(e, type);
	/* A directory keeps its setgid bit (overlays pass group left4me
	 * down); nothing keeps setuid, and no file keeps setgid. */
	archive_entry_set_perm(e, st->st_mode & (type == AE_IFDIR ? 02777 : 0777));
	archive_entry_set_mtime(e, st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	return e;
}

static int add_regular(struct writer *w, int dirfd, const char *name, const char *rel)
{
	struct archive_entry *e;
	struct stat st;
	char sha[2 * EVP_MAX_MD_SIZE + 1];
	json_object *f;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		note(w->unreadable, rel, &w->st->unreadable);
		return 0;
	}
	if (w->max_bytes && st.st_size > w->max_bytes - w->st->bytes) {
		close(fd);
		return err_set(w->err, w->errlen,
			       "%s: the files reach %lld bytes, over backup.export_max_bytes (%lld "
			       "bytes)",
			       rel, w->st->bytes + (long long)st.st_size, w->max_bytes);
	}
	e = entry_for(rel, &st, AE_IFREG);
	archive_entry_set_size(e, st.st_size);
	if (archive_write_header(w->a, e) != ARCHIVE_OK ||
	    copy_data(w, fd, rel, st.st_size, sha) < 0) {
		if (!w->err[0])
			ar_fail(w, rel);
		archive_entry_free(e);
		close(fd);
		return -1;
	}
	archive_entry_free(e);
	close(fd);
	if (w->files) {
		f = json_object_new_object();
		json_object_object_add(f, "path", json_object_new_string(rel));
		json_object_object_add(f, "size", json_object_new_int64(st.st_size));
		json_object_object_add(f, "sha256", json_object_new_string(sha));
		json_object_array_add(w->files, f);
	}
	w->st->files++;
	w->st->bytes += st.st_size;
	return 0;
}

static int add_tree(struct writer *w, int parent, const char *name, const char *rel, int depth,
		    bool whiteouts);

/* One directory entry of any type. */
static int add_entry(struct writer *w, int dirfd, const char *name, const char *rel, int depth,
		     bool whiteouts)
{
	struct archive_entry *e;
	struct stat st;
	char target[4096];
	ssize_t n;
	int rc = 0;

	if (progress(w) < 0)
		return -1;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		note(w->unreadable, rel, &w->st->unreadable);
		return 0;
	}
	if (S_ISREG(st.st_mode))
		return add_regular(w, dirfd, name, rel);
	if (S_ISDIR(st.st_mode))
		return add_tree(w, dirfd, name, rel, depth + 1, whiteouts);
	if (w->files_only) { /* symlinks, FIFOs, devices: never followed or opened */
		note(w->unreadable, rel, &w->st->unreadable);
		return 0;
	}
	if (S_ISLNK(st.st_mode) && (n = readlinkat(dirfd, name, target, sizeof(target) - 1)) > 0) {
		target[n] = '\0';
		e = entry_for(rel, &st, AE_IFLNK);
		archive_entry_set_symlink(e, target);
	} else if (whiteouts && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
		e = entry_for(rel, &st, AE_IFCHR); /* overlayfs: "deleted from below" */
		archive_entry_set_rdev(e, 0);
	} else { /* FIFOs, sockets, devices: nothing a game server needs back */
		note(w->unreadable, rel, &w->st->unreadable);
		return 0;
	}
	if (archive_write_header(w->a, e) != ARCHIVE_OK)
		rc = ar_fail(w, rel);
	archive_entry_free(e);
	return rc;
}

/* parent/name as rel/, and everything beneath it. */
static int add_tree(struct writer *w, int parent, const char *name, const char *rel, int depth,
		    bool whiteouts)
{
	struct archive_entry *e;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd, rc = 0;

	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || depth > DEPTH_MAX || fstat(fd, &st) < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		if (errno != ENOENT || depth > 0)
			note(w->unreadable, rel, &w->st->unreadable);
		return 0;
	}
	e = entry_for(rel, &st, AE_IFDIR);
	if (archive_write_header(w->a, e) != ARCHIVE_OK)
		rc = ar_fail(w, rel);
	archive_entry_free(e);
	while (rc == 0 && (de = readdir(d))) {
		char *sub;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		sub = xasprintf("%s/%s", rel, de->d_name);
		rc = add_entry(w, dirfd(d), de->d_name, sub, depth, whiteouts);
		free(sub);
	}
	closedir(d);
	return rc;
}

/* runtime/ and, of each runtime/NAME, only upper/. */
static int add_runtime(struct writer *w, int state)
{
	struct archive_entry *e;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd = openat(state, "runtime", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc = 0;

	if (fd < 0 || fstat(fd, &st) < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	e = entry_for("runtime", &st, AE_IFDIR);
	if (archive_write_header(w->a, e) != ARCHIVE_OK)
		rc = ar_fail(w, "runtime");
	archive_entry_free(e);
	while (rc == 0 && (de = readdir(d))) {
		char *rel;
		int inst;

		if (de->d_name[0] == '.' ||
		    (inst = openat(dirfd(d), de->d_name,
				   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			continue;
		rel = xasprintf("runtime/%s", de->d_name);
		if (fstat(inst, &st) == 0) {
			e = entry_for(rel, &st, AE_IFDIR);
			if (archive_write_header(w->a, e) != ARCHIVE_OK)
				rc = ar_fail(w, rel);
			archive_entry_free(e);
		}
		free(rel);
		rel = xasprintf("runtime/%s/upper", de->d_name);
		if (rc == 0)
			rc = add_tree(w, inst, "upper", rel, 1, true);
		free(rel);
		close(inst);
	}
	closedir(d);
	return rc;
}

/* ---- the database copy -------------------------------------------------------- */

static long long count_rows(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	long long n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

static void db_counts(sqlite3 *db, struct backup_stats *st)
{
	st->schema_version = (int)count_rows(db, "PRAGMA user_version");
	st->users = count_rows(db, "SELECT count(*) FROM users");
	st->overlays = count_rows(db, "SELECT count(*) FROM overlays");
	st->blueprints = count_rows(db, "SELECT count(*) FROM blueprints");
	st->servers = count_rows(db, "SELECT count(*) FROM servers");
}

/* Copy db into the (empty) file path with the online backup API: one read
 * transaction, so the copy is one consistent state. */
static int db_snapshot(sqlite3 *db, const char *path, struct backup_stats *st, char *err,
		       size_t errlen)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int rc;

	if (sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		rc = err_set(err, errlen, "%s: %s", path,
			     dst ? sqlite3_errmsg(dst) : "out of memory");
		sqlite3_close(dst);
		return rc;
	}
	sqlite3_busy_timeout(dst, 5000);
	b = sqlite3_backup_init(dst, "main", db, "main");
	if (!b) {
		rc = err_set(err, errlen, "database backup: %s", sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return rc;
	}
	while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED)
		sqlite3_sleep(50);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		err_set(err, errlen, "database backup: %s", sqlite3_errstr(rc));
		sqlite3_close(dst);
		return -1;
	}
	db_counts(dst, st);
	sqlite3_close(dst);
	return 0;
}

/* ---- backup_create ------------------------------------------------------------ */

static int write_manifest(struct writer *w)
{
	json_object *m = json_object_new_object(), *c = json_object_new_object();
	struct archive_entry *e;
	const char *text;
	size_t len;
	char when[32];
	int rc = 0;

	time_format_utc(now_ms(), when, sizeof(when));
	snprintf(w->st->created_at, sizeof(w->st->created_at), "%s", when);
	json_object_object_add(m, "format", json_object_new_string(BACKUP_FORMAT));
	json_object_object_add(m, "format_version", json_object_new_int(BACKUP_FORMAT_VERSION));
	json_object_object_add(m, "left4me_version", json_object_new_string(LEFT4ME_VERSION));
	json_object_object_add(m, "schema_version", json_object_new_int(w->st->schema_version));
	json_object_object_add(m, "created_at", json_object_new_string(when));
	json_object_object_add(c, "users", json_object_new_int64(w->st->users));
	json_object_object_add(c, "overlays", json_object_new_int64(w->st->overlays));
	json_object_object_add(c, "blueprints", json_object_new_int64(w->st->blueprints));
	json_object_object_add(c, "servers", json_object_new_int64(w->st->servers));
	json_object_object_add(c, "files", json_object_new_int64(w->st->files));
	json_object_object_add(c, "bytes", json_object_new_int64(w->st->bytes));
	json_object_object_add(m, "counts", c);
	json_object_object_add(m, "files", json_object_get(w->files));
	json_object_object_add(m, "changed", json_object_get(w->changed));
	json_object_object_add(m, "unreadable", json_object_get(w->unreadable));
	text = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PRETTY |
						     JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	e = archive_entry_new();
	archive_entry_set_pathname(e, BACKUP_MANIFEST);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_mtime(e, now_ms() / 1000, 0);
	archive_entry_set_size(e, (la_int64_t)len);
	if (archive_write_header(w->a, e) != ARCHIVE_OK ||
	    archive_write_data(w->a, text, len) != (la_ssize_t)len)
		rc = ar_fail(w, BACKUP_MANIFEST);
	archive_entry_free(e);
	json_object_put(m);
	return rc;
}

/* The DB copy, the trees, the manifest: everything but opening and
 * closing the archive. */
static int write_all(struct writer *w, sqlite3 *db, int state, const char *dbtmp)
{
	int rc;

	if (db_snapshot(db, dbtmp, w->st, w->err, w->errlen) < 0)
		return -1;
	rc = add_regular(w, AT_FDCWD, dbtmp, "left4me.db");
	if (rc == 0 && w->st->unreadable)
		rc = err_set(w->err, w->errlen, "%s: the database copy could not be read", dbtmp);
	if (rc == 0)
		rc = add_tree(w, state, "overlays", "overlays", 0, false);
	if (rc == 0)
		rc = add_tree(w, state, "instances", "instances", 0, false);
	if (rc == 0)
		rc = add_runtime(w, state);
	return rc == 0 ? write_manifest(w) : -1;
}

int backup_create(sqlite3 *db, const char *state_dir, const char *out_path, struct backup_stats *st,
		  char *err, size_t errlen)
{
	struct writer *w = xcalloc(1, sizeof(*w));
	char *tmp = xasprintf("%s.partial-XXXXXX", out_path);
	char *dbtmp = xasprintf("%s.db-XXXXXX", out_path);
	int fd, dbfd = -1, state = -1, rc = -1;

	memset(st, 0, sizeof(*st));
	err[0] = '\0';
	*w = (struct writer){.st = st, .err = err, .errlen = errlen};
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0 || (dbfd = mkostemp(dbtmp, O_CLOEXEC)) < 0) {
		err_set(err, errlen, "%s: %s", out_path, strerror(errno));
		goto out;
	}
	state = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (state < 0) {
		err_set(err, errlen, "%s: %s", state_dir, strerror(errno));
		goto out;
	}
	w->files = json_object_new_array();
	w->changed = json_object_new_array();
	w->unreadable = json_object_new_array();
	w->a = archive_write_new();
	if (archive_write_add_filter_zstd(w->a) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
	    archive_write_open_fd(w->a, fd) != ARCHIVE_OK) {
		ar_fail(w, out_path);
		goto out;
	}
	rc = write_all(w, db, state, dbtmp);
	if (archive_write_close(w->a) != ARCHIVE_OK && rc == 0)
		rc = ar_fail(w, out_path);
	if (rc == 0 &&
	    (fsync(fd) < 0 || renameat2(AT_FDCWD, tmp, AT_FDCWD, out_path, RENAME_NOREPLACE) < 0))
		rc = err_set(err, errlen, "%s: %s", out_path, strerror(errno));
out:
	if (w->a)
		archive_write_free(w->a);
	json_object_put(w->files);
	json_object_put(w->changed);
	json_object_put(w->unreadable);
	if (fd >= 0)
		close(fd);
	if (dbfd >= 0) {
		close(dbfd);
		unlink(dbtmp);
	}
	if (state >= 0)
		close(state);
	if (rc < 0 && fd >= 0)
		unlink(tmp);
	free(tmp);
	free(dbtmp);
	free(w);
	return rc;
}

/* ---- backup_create_dated (backup_dir.h) ------------------------------------- */

int backup_create_dated(sqlite3 *db, const char *state_dir, const char *dir, int retention,
			char name[BACKUP_NAME_MAX], struct backup_stats *st,
			void (*removed)(void *arg, const char *path), void *arg, char *err,
			size_t errlen)
{
	time_t now = time(NULL);
	char when[24], *out = NULL;
	int rc, tries;

	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return err_set(err, errlen, "%s: %s (backup.dir)", dir, strerror(errno));
	/* Names have one-second resolution: a second backup within the same
	 * second (the timer's and an admin's "Make one now") takes the next
	 * free second rather than failing on the first one's name. */
	for (tries = 0; tries < BACKUP_NAME_TRIES; tries++, now++) {
		free(out);
		strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", gmtime(&now));
		snprintf(name, BACKUP_NAME_MAX, BACKUP_NAME_PREFIX "%s" BACKUP_NAME_SUFFIX, when);
		out = xasprintf("%s/%s", dir, name);
		if (access(out, F_OK) < 0 && errno == ENOENT)
			break;
	}
	rc = backup_create(db, state_dir, out, st, err, errlen);
	free(out);
	if (rc < 0)
		return -1;
	backup_info_write(dir, name, st);
	backup_prune(dir, retention, removed, arg);
	return 0;
}

/* ---- backup_export_server ------------------------------------------------------ */

/* state_dir/runtime/NAME as a directory fd, no component a symlink. */
static int open_beneath(const char *state_dir, const char *rel)
{
	int state = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;

	if (state < 0)
		return -1;
	fd = openat(state, "runtime", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(state);
	if (fd < 0)
		return -1;
	state = fd;
	fd = openat(state, strchr(rel, '/') + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(state);
	return fd;
}

int backup_export_server(const char *state_dir, const char *name, const char *out_path,
			 long long max_bytes, struct backup_stats *st, char *err, size_t errlen)
{
	struct writer *w = xcalloc(1, sizeof(*w));
	char *tmp = xasprintf("%s.partial-XXXXXX", out_path);
	char *rel = xasprintf("runtime/%s", name);
	int fd, inst = -1, rc = -1;

	memset(st, 0, sizeof(*st));
	err[0] = '\0';
	*w = (struct writer){
	    .st = st, .err = err, .errlen = errlen, .files_only = true, .max_bytes = max_bytes};
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0640) < 0) {
		err_set(err, errlen, "%s: %s", out_path, strerror(errno));
		goto out;
	}
	inst = open_beneath(state_dir, rel);
	if (inst < 0) {
		err_set(err, errlen, "%s/%s: %s", state_dir, rel, strerror(errno));
		goto out;
	}
	w->a = archive_write_new();
	/* zstd, as backups: on 200 MiB of a game's incompressible demos it
	 * took 1.8 s where gzip -1 took 20 s (bench/README.md), and the
	 * worker runs one job at a time. */
	if (archive_write_add_filter_zstd(w->a) != ARCHIVE_OK ||
	    archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
	    archive_write_open_fd(w->a, fd) != ARCHIVE_OK) {
		ar_fail(w, out_path);
		goto out;
	}
	rc = add_tree(w, inst, "upper", name, 1, false);
	if (archive_write_close(w->a) != ARCHIVE_OK && rc == 0)
		rc = ar_fail(w, out_path);
	if (rc == 0 &&
	    (fsync(fd) < 0 || renameat2(AT_FDCWD, tmp, AT_FDCWD, out_path, RENAME_NOREPLACE) < 0))
		rc = err_set(err, errlen, "%s: %s", out_path, strerror(errno));
out:
	if (w->a)
		archive_write_free(w->a);
	if (fd >= 0)
		close(fd);
	if (inst >= 0)
		close(inst);
	if (rc < 0 && fd >= 0)
		unlink(tmp);
	free(rel);
	free(tmp);
	free(w);
	return rc;
}

/* ---- backup_check --------------------------------------------------------------- */

struct seen {
	char *path;
	long long size;
	char sha[2 * EVP_MAX_MD_SIZE + 1];
};

struct checker {
	struct seen *files;
	size_t n, cap;
	struct strbuf manifest;
	bool manifest_seen;
	char *err;
	size_t errlen;
};

/* The archive on fd (read from its start: both passes read one inode).
 * Only what backup_create writes: tar (pax) through zstd. */
static struct archive *read_open(int fd, const char *path, char *err, size_t errlen)
{
	struct archive *a = archive_read_new();

	if (lseek(fd, 0, SEEK_SET) < 0) {
		err_set(err, errlen, "%s: %s", path, strerror(errno));
		archive_read_free(a);
		return NULL;
	}
	if (archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
	    archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
		err_set(err, errlen, "%s: %s", path, archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* The entry's type and name under the rule (a directory's name may end
 * in the '/' tar gives it; it is dropped).  0, or -1 with err. */
static int entry_ok(struct archive_entry *e, char *err, size_t errlen)
{
	const char *path = archive_entry_pathname(e);
	unsigned type = archive_entry_filetype(e);
	const char *why;
	char name[4096];
	size_t n;

	if (!path)
		return err_set(err, errlen, "an entry without a name");
	n = strlen(path);
	if (n >= sizeof(name))
		return err_set(err, errlen, "an entry name longer than %zu bytes",
			       sizeof(name) - 1);
	memcpy(name, path, n + 1);
	if (type == AE_IFDIR && n > 1 && name[n - 1] == '/')
		name[n - 1] = '\0';
	if (archive_entry_hardlink(e))
		return err_set(err, errlen, "%s: hard links are not part of a backup", name);
	why = backup_path_refused(name, type);
	if (!why && type == AE_IFCHR && archive_entry_rdev(e) != 0)
		why = "a character device that is not an overlayfs whiteout";
	if (why)
		return err_set(err, errlen, "%s: %s", name, why);
	return 0;
}

static int hash_entry(struct archive *a, struct seen *s, char *err, size_t errlen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	s->size = 0;
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
		if (off != s->size) {
			EVP_MD_CTX_free(md);
			return err_set(err, errlen, "%s: sparse data is not part of a backup",
				       s->path);
		}
		EVP_DigestUpdate(md, buf, len);
		s->size += (long long)len;
	}
	EVP_DigestFinal_ex(md, d, &dlen);
	EVP_MD_CTX_free(md);
	if (r != ARCHIVE_EOF)
		return err_set(err, errlen, "%s: %s", s->path, archive_error_string(a));
	hex(d, dlen, s->sha);
	return 0;
}

static int read_manifest(struct archive *a, struct checker *c)
{
	char buf[65536];
	la_ssize_t n;

	while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
		if ((long long)(c->manifest.len + (size_t)n) > BACKUP_MANIFEST_MAX)
			return err_set(c->err, c->errlen, "%s: larger than %lld bytes",
				       BACKUP_MANIFEST, BACKUP_MANIFEST_MAX);
		strbuf_append(&c->manifest, buf, (size_t)n);
	}
	if (n < 0)
		return err_set(c->err, c->errlen, "%s: %s", BACKUP_MANIFEST,
			       archive_error_string(a));
	c->manifest_seen = true;
	return 0;
}

/* Pass over every entry: the rule, each file's hash, the manifest (which
 * must come last). */
static int scan_archive(int fd, const char *path, struct checker *c)
{
	struct archive *a = read_open(fd, path, c->err, c->errlen);
	struct archive_entry *e;
	int r, rc = 0;

	if (!a)
		return -1;
	while (rc == 0 && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if (c->manifest_seen)
			rc = err_set(c->err, c->errlen, "%s: entries after %s", path,
				     BACKUP_MANIFEST);
		else if (entry_ok(e, c->err, c->errlen) < 0)
			rc = -1;
		else if (strcmp(archive_entry_pathname(e), BACKUP_MANIFEST) == 0)
			rc = read_manifest(a, c);
		else if (archive_entry_filetype(e) == AE_IFREG) {
			if (c->n == c->cap) {
				c->cap = c->cap ? 2 * c->cap : 256;
				c->files = xreallocarray(c->files, c->cap, sizeof(*c->files));
			}
			c->files[c->n].path = xstrdup(archive_entry_pathname(e));
			rc = hash_entry(a, &c->files[c->n++], c->err, c->errlen);
		}
	}
	if (rc == 0 && r != ARCHIVE_EOF)
		rc = err_set(c->err, c->errlen, "%s: %s", path, archive_error_string(a));
	if (rc == 0 && !c->manifest_seen)
		rc = err_set(c->err, c->errlen, "%s: no %s: not a left4me backup, or cut short",
			     path, BACKUP_MANIFEST);
	archive_read_free(a);
	return rc;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct seen *)a)->path, ((const struct seen *)b)->path);
}

static long long jint(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)
		   ? json_object_get_int64(v)
		   : -1;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		   ? json_object_get_string(v)
		   : NULL;
}

/* The manifest's header fields into st. */
static int manifest_header(json_object *m, struct backup_stats *st, char *err, size_t errlen)
{
	json_object *counts;
	const char *fmt = jstr(m, "format"), *when = jstr(m, "created_at"),
		   *ver = jstr(m, "left4me_version");

	if (!fmt || strcmp(fmt, BACKUP_FORMAT) != 0)
		return err_set(err, errlen, "%s: not a left4me backup manifest", BACKUP_MANIFEST);
	if (jint(m, "format_version") != BACKUP_FORMAT_VERSION)
		return err_set(err, errlen, "%s: format version %lld, this left4me reads %d",
			       BACKUP_MANIFEST, jint(m, "format_version"), BACKUP_FORMAT_VERSION);
	st->schema_version = (int)jint(m, "schema_version");
	if (st->schema_version < 1)
		return err_set(err, errlen, "%s: no schema_version", BACKUP_MANIFEST);
	if (st->schema_version > DB_SCHEMA_VERSION)
		return err_set(
		    err, errlen,
		    "the backup's database is at schema %d, this left4me knows up to %d: "
		    "install a left4me at least as new as the one that made it (%s)",
		    st->schema_version, DB_SCHEMA_VERSION, ver ? ver : "unknown");
	snprintf(st->created_at, sizeof(st->created_at), "%s", when ? when : "?");
	snprintf(st->version, sizeof(st->version), "%s", ver ? ver : "?");
	if (json_object_object_get_ex(m, "counts", &counts)) {
		st->users = jint(counts, "users");
		st->overlays = jint(counts, "overlays");
		st->blueprints = jint(counts, "blueprints");
		st->servers = jint(counts, "servers");
	}
	return 0;
}

/* The manifest's file list equals what the archive holds. */
static int manifest_files(json_object *m, struct checker *c, struct backup_stats *st)
{
	json_object *files;
	size_t n;

	if (!json_object_object_get_ex(m, "files", &files) ||
	    !json_object_is_type(files, json_type_array))
		return err_set(c->err, c->errlen, "%s: no file list", BACKUP_MANIFEST);
	n = json_object_array_length(files);
	qsort(c->files, c->n, sizeof(*c->files), by_path);
	for (size_t i = 1; i < c->n; i++)
		if (strcmp(c->files[i - 1].path, c->files[i].path) == 0)
			return err_set(c->err, c->errlen, "%s: stored twice", c->files[i].path);
	for (size_t i = 0; i < n; i++) {
		json_object *f = json_object_array_get_idx(files, i);
		const char *p = jstr(f, "path"), *sha = jstr(f, "sha256");
		struct seen key = {.path = (char *)p}, *hit;

		if (!p || !sha)
			return err_set(c->err, c->errlen, "%s: file %zu has no path or sha256",
				       BACKUP_MANIFEST, i);
		hit = bsearch(&key, c->files, c->n, sizeof(*c->files), by_path);
		if (!hit)
			return err_set(c->err, c->errlen,
				       "%s: in the manifest but not in the archive", p);
		if (hit->size != jint(f, "size") || strcmp(hit->sha, sha) != 0)
			return err_set(c->err, c->errlen,
				       "%s: size or sha256 differs from the manifest", p);
		st->bytes += hit->size;
	}
	if (n != c->n)
		return err_set(c->err, c->errlen, "%zu files in the archive, %zu in the manifest",
			       c->n, n);
	st->files = (long long)n;
	return 0;
}

/* The whole text as one JSON value, or NULL (a NUL byte or trailing
 * text is not JSON). */
static json_object *parse_json(const char *text, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *o;

	if (!tok || len > (size_t)INT32_MAX || memchr(text, '\0', len)) {
		json_tokener_free(tok);
		return NULL;
	}
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (o && json_tokener_get_parse_end(tok) != len) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* backup_check on an open archive. */
static int check_fd(int fd, const char *path, struct backup_stats *st, char *err, size_t errlen)
{
	struct checker c = {.err = err, .errlen = errlen};
	json_object *m = NULL;
	int rc;

	memset(st, 0, sizeof(*st));
	strbuf_init(&c.manifest);
	rc = scan_archive(fd, path, &c);
	if (rc == 0) {
		m = parse_json(c.manifest.buf, c.manifest.len);
		if (!m || !json_object_is_type(m, json_type_object))
			rc = err_set(err, errlen, "%s: not valid JSON", BACKUP_MANIFEST);
	}
	if (rc == 0)
		rc = manifest_header(m, st, err, errlen);
	if (rc == 0)
		rc = manifest_files(m, &c, st);
	json_object_put(m);
	for (size_t i = 0; i < c.n; i++)
		free(c.files[i].path);
	free(c.files);
	strbuf_fini(&c.manifest);
	return rc;
}

int backup_check(const char *path, struct backup_stats *st, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return err_set(err, errlen, "%s: %s", path, strerror(errno));
	rc = check_fd(fd, path, st, err, errlen);
	close(fd);
	return rc;
}

/* ---- backup_restore ------------------------------------------------------------- */

static const char *const tops[] = {"overlays", "instances", "runtime"};

/* Does any process have the DB (or its WAL) open?  Its pid and name go
 * into who.  Only the processes this user may inspect are seen: run as
 * root or as the daemons' user. */
static bool db_in_use(const char *db_path, char *who, size_t wholen)
{
	size_t dl = strlen(db_path);
	struct dirent *p;
	DIR *proc = opendir("/proc");
	bool busy = false;

	while (proc && !busy && (p = readdir(proc))) {
		char fdpath[300], link[4096];
		struct dirent *f;
		DIR *fds;

		if (p->d_name[0] < '1' || p->d_name[0] > '9' || atoi(p->d_name) == getpid())
			continue;
		snprintf(fdpath, sizeof(fdpath), "/proc/%s/fd", p->d_name);
		if (!(fds = opendir(fdpath)))
			continue;
		while (!busy && (f = readdir(fds))) {
			ssize_t n = readlinkat(dirfd(fds), f->d_name, link, sizeof(link) - 1);

			if (n < 0)
				continue;
			link[n] = '\0';
			busy = strncmp(link, db_path, dl) == 0 &&
			       (link[dl] == '\0' || strcmp(link + dl, "-wal") == 0);
		}
		closedir(fds);
		if (busy) {
			char comm[64] = "?", cpath[300];
			FILE *cf;

			snprintf(cpath, sizeof(cpath), "/proc/%s/comm", p->d_name);
			if ((cf = fopen(cpath, "re"))) {
				if (fgets(comm, sizeof(comm), cf))
					comm[strcspn(comm, "\n")] = '\0';
				fclose(cf);
			}
			snprintf(who, wholen, "%s (pid %s)", comm, p->d_name);
		}
	}
	if (proc)
		closedir(proc);
	return busy;
}

/* The first mount point under prefix (".../runtime/") in this namespace,
 * into where; false if none. */
static bool mounted_under(const char *prefix, char *where, size_t wherelen)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192];
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f)) {
		char *save = NULL, *tok = strtok_r(line, " ", &save);

		for (int i = 0; tok && i < 4; i++) /* the 5th field: mount point */
			tok = strtok_r(NULL, " ", &save);
		if (tok && strncmp(tok, prefix, strlen(prefix)) == 0) {
			snprintf(where, wherelen, "%s", tok);
			found = true;
		}
	}
	if (f)
		fclose(f);
	return found;
}

static bool dir_empty(int state, const char *name)
{
	int fd = openat(state, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *de;
	bool empty = true;
	DIR *d;

	if (fd < 0)
		return errno == ENOENT;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return false;
	}
	while (empty && (de = readdir(d)))
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(d);
	return empty;
}

/* Is the target state empty (a fresh install: a migrated DB without rows,
 * empty dirs)?  If not, what is there goes into what. */
static bool state_empty(int state, const char *db_path, char *what, size_t whatlen)
{
	struct backup_stats cur = {0};
	sqlite3 *db = NULL;

	for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]); i++)
		if (!dir_empty(state, tops[i])) {
			snprintf(what, whatlen, "%s/ is not empty", tops[i]);
			return false;
		}
	if (access(db_path, F_OK) != 0)
		return true;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(what, whatlen, "left4me.db: %s", sqlite3_errmsg(db));
		sqlite3_close(db);
		return false;
	}
	db_counts(db, &cur);
	sqlite3_close(db);
	if (cur.users > 0 || cur.overlays > 0 || cur.blueprints > 0 || cur.servers > 0) {
		snprintf(what, whatlen, "left4me.db holds %lld users, %lld servers", cur.users,
			 cur.servers);
		return false;
	}
	return true;
}

/* Extract every entry but the manifest into the cwd (the staging dir).
 * As root, everything belongs to owner:group. */
static int extract(int fd, const char *path, uid_t owner, gid_t group, char *err, size_t errlen)
{
	struct archive *a = read_open(fd, path, err, errlen), *disk;
	struct archive_entry *e;
	int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
		    ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS |
		    ARCHIVE_EXTRACT_NO_OVERWRITE;
	int r, rc = 0;

	if (!a)
		return -1;
	if (geteuid() == 0)
		flags |= ARCHIVE_EXTRACT_OWNER;
	disk = archive_write_disk_new();
	archive_write_disk_set_options(disk, flags);
	while (rc == 0 && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const void *buf;
		size_t len;
		la_int64_t off;

		if (entry_ok(e, err, errlen) < 0) {
			rc = -1;
			break;
		}
		if (strcmp(archive_entry_pathname(e), BACKUP_MANIFEST) == 0)
			continue;
		/* Never setuid, setgid only on a directory (overlays pass
		 * group left4me down), whatever the archive says. */
		archive_entry_set_perm(e,
				       archive_entry_perm(e) &
					   (archive_entry_filetype(e) == AE_IFDIR ? 02777 : 0777));
		archive_entry_set_uid(e, owner);
		archive_entry_set_gid(e, group);
		archive_entry_set_uname(e, NULL);
		archive_entry_set_gname(e, NULL);
		if (archive_write_header(disk, e) != ARCHIVE_OK) {
			rc = err_set(err, errlen, "%s: %s", archive_entry_pathname(e),
				     archive_error_string(disk));
			break;
		}
		while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK)
			if (archive_write_data_block(disk, buf, len, off) != ARCHIVE_OK)
				break;
		if (r != ARCHIVE_EOF || archive_write_finish_entry(disk) != ARCHIVE_OK)
			rc = err_set(err, errlen, "%s: %s", archive_entry_pathname(e),
				     archive_error_string(r != ARCHIVE_EOF ? a : disk));
	}
	if (archive_write_close(disk) != ARCHIVE_OK && rc == 0)
		rc = err_set(err, errlen, "%s", archive_error_string(disk));
	archive_write_free(disk);
	archive_read_free(a);
	return rc;
}

/* Move every child of from/name to to/name (made like from/name if
 * missing).  0, or -1 with err. */
static int move_children(int from, int to, const char *name, char *err, size_t errlen)
{
	int src = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), dst;
	struct dirent *de;
	struct stat st;
	int rc = 0;
	DIR *d;

	if (src < 0)
		return errno == ENOENT ? 0 : err_set(err, errlen, "%s: %s", name, strerror(errno));
	if (fstat(src, &st) < 0 || (mkdirat(to, name, st.st_mode & 07777) < 0 && errno != EEXIST) ||
	    (dst = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		close(src);
		return err_set(err, errlen, "%s: %s", name, strerror(errno));
	}
	if (!(d = fdopendir(src))) {
		close(src);
		close(dst);
		return err_set(err, errlen, "%s: %s", name, strerror(errno));
	}
	while (rc == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (renameat(dirfd(d), de->d_name, dst, de->d_name) < 0)
			rc = err_set(err, errlen, "%s/%s: %s", name, de->d_name, strerror(errno));
	}
	closedir(d);
	close(dst);
	return rc;
}

/* The current DB files out of the way: into replaced, or removed when
 * replaced is -1 (an empty state). */
static int db_aside(int state, int replaced, char *err, size_t errlen)
{
	static const char *const names[] = {"left4me.db", "left4me.db-wal", "left4me.db-shm"};

	for (size_t i = 0; i < 3; i++) {
		int r = replaced >= 0 ? renameat(state, names[i], replaced, names[i])
				      : unlinkat(state, names[i], 0);

		if (r < 0 && errno != ENOENT)
			return err_set(err, errlen, "%s: %s", names[i], strerror(errno));
	}
	return 0;
}

/* Everything the staging dir holds into the state dir; what was there
 * (force) into a new .replaced-TIME dir. */
static int swap_in(int state, int staging, bool force, const struct stat *sst,
		   struct backup_stats *st, char *err, size_t errlen)
{
	char name[64], when[32];
	int replaced = -1, rc = 0, dbfd;

	if (force) {
		time_format_utc(now_ms(), when, sizeof(when));
		snprintf(name, sizeof(name), ".replaced-%s", when);
		if (mkdirat(state, name, 0700) < 0 ||
		    (replaced = openat(state, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			return err_set(err, errlen, "%s: %s", name, strerror(errno));
		snprintf(st->replaced, sizeof(st->replaced), "%s", name);
		for (size_t i = 0; rc == 0 && i < sizeof(tops) / sizeof(tops[0]); i++)
			rc = move_children(state, replaced, tops[i], err, errlen);
	}
	if (rc == 0)
		rc = db_aside(state, replaced, err, errlen);
	if (rc == 0 && renameat(staging, "left4me.db", state, "left4me.db") < 0)
		rc = err_set(err, errlen, "left4me.db: %s", strerror(errno));
	for (size_t i = 0; rc == 0 && i < sizeof(tops) / sizeof(tops[0]); i++)
		rc = move_children(staging, state, tops[i], err, errlen);
	/* As the package leaves it: the web (group left4me) writes sessions. */
	dbfd = openat(state, "left4me.db", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (dbfd >= 0) {
		if (fchmod(dbfd, 0660) < 0 ||
		    (geteuid() == 0 && fchown(dbfd, sst->st_uid, sst->st_gid) < 0))
			rc = rc ? rc : err_set(err, errlen, "left4me.db: %s", strerror(errno));
		close(dbfd);
	}
	if (replaced >= 0)
		close(replaced);
	return rc;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

/* Remove the staging dir STATE/name: empty dirs after swap_in, whatever
 * was extracted after a failure.  It is ours (mkdtemp, 0700): a path walk
 * that follows no symlink (FTW_PHYS) is safe there. */
static void remove_staging(const char *state_dir, const char *name)
{
	char *path = xasprintf("%s/%s", state_dir, name);

	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	free(path);
}

/* Refusals before anything is written: processes using the DB, mounts
 * under runtime/, a non-empty state without force. */
static int restore_preflight(int state, const char *state_dir, const char *db_path, bool force,
			     char *err, size_t errlen)
{
	char what[4096], *prefix;
	bool mounted;

	if (db_in_use(db_path, what, sizeof(what)))
		return err_set(err, errlen,
			       "%s has the database open: stop the daemons first (systemctl stop "
			       "left4me-web left4me-worker left4me-fetcher)",
			       what);
	prefix = xasprintf("%s/runtime/", state_dir);
	mounted = mounted_under(prefix, what, sizeof(what));
	free(prefix);
	if (mounted)
		return err_set(err, errlen, "%s is mounted: stop every server first", what);
	if (!force && !state_empty(state, db_path, what, sizeof(what)))
		return err_set(
		    err, errlen,
		    "%s: the state is not empty (%s); restore with --force to replace it "
		    "(the current state is kept in %s/.replaced-TIME)",
		    state_dir, what, state_dir);
	return 0;
}

int backup_restore(const char *path, const char *state_dir, bool force, struct backup_stats *st,
		   char *err, size_t errlen)
{
	char real[PATH_MAX], staging[64] = "", *db_path = NULL;
	int state = -1, stage = -1, cwd = -1, rc = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sst;

	if (fd < 0)
		return err_set(err, errlen, "%s: %s", path, strerror(errno));
	if (check_fd(fd, path, st, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	if (!realpath(state_dir, real) ||
	    (state = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fstat(state, &sst) < 0) {
		err_set(err, errlen, "%s: %s", state_dir, strerror(errno));
		goto out;
	}
	db_path = xasprintf("%s/left4me.db", real);
	if (restore_preflight(state, real, db_path, force, err, errlen) < 0)
		goto out;
	/* Inside the state dir: one filesystem, so every move is a rename. */
	snprintf(staging, sizeof(staging), ".restore-%lld", (long long)getpid());
	if (mkdirat(state, staging, 0700) < 0) {
		err_set(err, errlen, "%s/%s: %s", real, staging, strerror(errno));
		staging[0] = '\0'; /* not ours to remove */
		goto out;
	}
	if ((stage = openat(state, staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (cwd = open(".", O_PATH | O_CLOEXEC)) < 0 || fchdir(stage) < 0) {
		err_set(err, errlen, "%s/%s: %s", real, staging, strerror(errno));
		goto out;
	}
	rc = extract(fd, path, sst.st_uid, sst.st_gid, err, errlen);
	if (fchdir(cwd) < 0 && rc == 0)
		rc = err_set(err, errlen, "back to the working directory: %s", strerror(errno));
	if (rc == 0)
		rc = swap_in(state, stage, force, &sst, st, err, errlen);
out:
	if (staging[0])
		remove_staging(real, staging);
	if (stage >= 0)
		close(stage);
	if (cwd >= 0)
		close(cwd);
	if (state >= 0)
		close(state);
	close(fd);
	free(db_path);
	return rc;
}
