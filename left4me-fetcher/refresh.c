/* A refresh of the global overlays; see refresh.h. */
#include "refresh.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "db.h"
#include "db_global.h"
#include "db_job.h"
#include "download.h"
#include "extract.h"
#include "fetcher.h"
#include "index.h"
#include "log.h"
#include "netcheck.h"
#include "reconcile.h"
#include "strbuf.h"
#include "timeutil.h"
#include "xalloc.h"

/* One source's refresh. */
struct src_run {
	struct refresh_ctx *ctx;
	const struct config_source *src;
	int64_t source_id;
	char *base, *cache, *tmp, *addons;
	int cache_fd, tmp_fd, lock_fd;
	size_t items_total, items_done;
	int64_t bytes_expected;
	int failed, downloaded, unchanged;
	/* shared by refresh_source's phases */
	struct global_source gs;   /* the source's row as the run began */
	struct global_item *items; /* its items, read again as they change */
	size_t n_items;
	struct index_list index; /* the fetched index (empty: not modified) */
	bool index_ok;		 /* the index is fetched (or unchanged) and recorded */
	char err[512];		 /* what went wrong, for the source's status */
};

/* A line in the job log (and on stderr at debug level). */
void refresh_log(struct refresh_ctx *ctx, enum job_stream stream, const char *fmt, ...)
{
	struct strbuf sb;
	va_list ap;

	strbuf_init(&sb);
	va_start(ap, fmt);
	strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	if (ctx->job_id)
		db_job_log(ctx->db, ctx->job_id, stream, sb.buf, NULL);
	if (stream == STREAM_STDERR)
		log_warn("job=%lld: %s", (long long)ctx->job_id, sb.buf);
	else
		log_debug("job=%lld: %s", (long long)ctx->job_id, sb.buf);
	strbuf_fini(&sb);
}

/* Untrusted text (names, URLs, upstream errors) for a log line. */
static const char *esc(char *buf, size_t size, const char *s)
{
	return log_escape(buf, size, s ? s : "", s ? strlen(s) : 0);
}

int refresh_tick(struct refresh_ctx *ctx)
{
	int64_t now = mono_ms();

	sd_notify(0, "WATCHDOG=1");
	/* Under the daemon (worker NULL) the parent heartbeats the job. */
	if (ctx->job_id && ctx->worker && now >= ctx->next_heartbeat) {
		ctx->next_heartbeat = now + ctx->cfg->worker.heartbeat_interval * 1000LL;
		if (db_job_heartbeat(ctx->db, ctx->job_id, ctx->worker) == DB_NOTFOUND) {
			log_warn("job=%lld: no longer ours; abandoning it", (long long)ctx->job_id);
			ctx->lost = true;
		}
	}
	if (ctx->lost || (ctx->stop && *ctx->stop))
		return -1;
	if (ctx->deadline && now > ctx->deadline)
		return -1;
	return 0;
}

static int mkdir_p(const char *path)
{
	char *p = xstrdup(path), *s;
	int rc = 0;

	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (rc == 0 && mkdir(p, 0755) < 0 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

/* Remove everything inside dirfd (not dirfd itself), without following
 * symlinks. */
static void empty_dir_at(int dfd)
{
	int fd = dup(dfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dfd, de->d_name, 0) == 0)
			continue;
		if (errno == EISDIR) {
			int sub = openat(dfd, de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0) {
				empty_dir_at(sub);
				close(sub);
			}
			unlinkat(dfd, de->d_name, AT_REMOVEDIR);
		}
	}
	closedir(d);
}

static void src_run_fini(struct src_run *r)
{
	if (r->cache_fd >= 0)
		close(r->cache_fd);
	if (r->tmp_fd >= 0) {
		empty_dir_at(r->tmp_fd);
		close(r->tmp_fd);
	}
	if (r->lock_fd >= 0)
		close(r->lock_fd); /* releases the flock */
	free(r->base);
	free(r->cache);
	free(r->tmp);
	free(r->addons);
	global_item_list_free(r->items, r->n_items);
	index_list_fini(&r->index);
	global_source_fini(&r->gs);
}

/* Directories, lock, clean tmp/.  -1 with err. */
static int src_open(struct src_run *r, char *err, size_t errlen)
{
	const struct config *cfg = r->ctx->cfg;
	char *lock;

	r->base = xasprintf("%s/global_overlay_cache/%s", cfg->state_dir, r->src->name);
	r->cache = xasprintf("%s/cache", r->base);
	r->tmp = xasprintf("%s/tmp", r->base);
	r->addons = xasprintf("%s/overlay/left4dead2/addons", r->base);
	if (mkdir_p(r->cache) < 0 || mkdir_p(r->tmp) < 0 || mkdir_p(r->addons) < 0) {
		snprintf(err, errlen, "cannot create the directories under %s: %s", r->base,
			 strerror(errno));
		return -1;
	}
	lock = xasprintf("%s/.lock", r->base);
	r->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	free(lock);
	if (r->lock_fd < 0 || flock(r->lock_fd, LOCK_EX) < 0) {
		snprintf(err, errlen, "cannot lock %s/.lock: %s", r->base, strerror(errno));
		return -1;
	}
	r->cache_fd = open(r->cache, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r->tmp_fd = open(r->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r->cache_fd < 0 || r->tmp_fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", r->base, strerror(errno));
		return -1;
	}
	/* Leftovers of a killed run: partial downloads, staging dirs. */
	empty_dir_at(r->tmp_fd);
	return 0;
}

/* Whether every recorded file of an item is in the cache at its size. */
static bool item_present(const struct src_run *r, const struct global_item *it)
{
	size_t i;

	if (it->n_files == 0)
		return false;
	for (i = 0; i < it->n_files; i++) {
		struct stat sb;

		if (!fetch_safe_name(it->files[i].path) ||
		    fstatat(r->cache_fd, it->files[i].path, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(sb.st_mode) || sb.st_size != it->files[i].size)
			return false;
	}
	return true;
}

static bool item_has_md5(const struct global_item *it)
{
	size_t i;

	for (i = 0; it->md5 && i < it->n_files; i++)
		if (it->files[i].md5 && strcasecmp(it->files[i].md5, it->md5) == 0)
			return true;
	return false;
}

/* Copy src (in staging) to cache/.NAME.tmp, fsync, rename over NAME. */
static int copy_into_cache(struct src_run *r, int staging_fd, const char *name, char *err,
			   size_t errlen)
{
	char *tmpname = xasprintf(".%s.tmp%d", name, (int)getpid());
	char buf[1 << 16];
	int in = openat(staging_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), out = -1, rc = -1;
	ssize_t n;

	if (in < 0) {
		snprintf(err, errlen, "cannot open staged %.100s: %s", name, strerror(errno));
		goto out;
	}
	out = openat(r->cache_fd, tmpname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		     0644);
	if (out < 0)
		goto werr;
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		ssize_t off = 0;

		while (off < n) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				goto werr;
			off += w;
		}
	}
	if (n < 0)
		goto werr;
	if (fsync(out) < 0 || close(out) < 0) {
		out = -1;
		goto werr;
	}
	out = -1;
	if (renameat(r->cache_fd, tmpname, r->cache_fd, name) < 0)
		goto werr;
	unlinkat(staging_fd, name, 0);
	rc = 0;
	goto out;
werr:
	snprintf(err, errlen, "cannot copy %.100s into the cache: %s", name, strerror(errno));
	unlinkat(r->cache_fd, tmpname, 0);
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	free(tmpname);
	return rc;
}

/* Move extracted files from staging into cache/. */
static int move_into_cache(struct src_run *r, int staging_fd, const struct extract_result *x,
			   char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < x->n; i++) {
		const char *name = x->files[i].name;

		if (renameat(staging_fd, name, r->cache_fd, name) == 0)
			continue;
		if (errno != EXDEV) {
			snprintf(err, errlen, "cannot move %.100s into the cache: %s", name,
				 strerror(errno));
			return -1;
		}
		if (copy_into_cache(r, staging_fd, name, err, errlen) < 0)
			return -1;
	}
	if (fsync(r->cache_fd) < 0) {
		snprintf(err, errlen, "cannot sync the cache dir: %s", strerror(errno));
		return -1;
	}
	return 0;
}

struct work {
	struct src_run *run;
	struct global_item *it;
	struct dl dl;
	char tmpname[64];
};

static void progress(struct src_run *r)
{
	struct refresh_ctx *ctx = r->ctx;
	char label[128];
	double pct = r->items_total ? 100.0 * (double)r->items_done / (double)r->items_total : 100;

	snprintf(label, sizeof(label), "%s: %zu/%zu items", r->src->name, r->items_done,
		 r->items_total);
	if (ctx->job_id)
		db_job_progress(ctx->db, ctx->job_id, pct, ctx->bytes, r->bytes_expected, label);
}

static void item_failed(struct src_run *r, struct global_item *it, const char *why)
{
	char b1[160], b2[300];

	r->failed++;
	r->ctx->items_failed++;
	db_global_item_set_failed(r->ctx->db, it->id, why);
	refresh_log(r->ctx, STREAM_STDERR, "source=%s item=%s: failed: %s", r->src->name,
		    esc(b1, sizeof(b1), it->name), esc(b2, sizeof(b2), why));
}

/* Extract, verify and install a downloaded archive. */
static void install_item(struct work *w)
{
	struct src_run *r = w->run;
	struct refresh_ctx *ctx = r->ctx;
	struct global_item *it = w->it;
	const struct config *cfg = ctx->cfg;
	struct extract_limits lim = {.max_total = cfg->fetcher.max_extract_size,
				     .max_entries = cfg->fetcher.max_entries,
				     .md5 = it->md5 != NULL, /* only to verify: a 2nd core */
				     .fsync = true};
	struct extract_result x = {0};
	struct global_file *files = NULL;
	char stage[64], err[256], b1[160];
	int sfd = -1;
	size_t i;

	snprintf(stage, sizeof(stage), "x-%lld", (long long)it->id);
	if (mkdirat(r->tmp_fd, stage, 0700) < 0 ||
	    (sfd = openat(r->tmp_fd, stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		snprintf(err, sizeof(err), "cannot create a staging dir: %s", strerror(errno));
		item_failed(r, it, err);
		goto out;
	}
	{
		char *apath = xasprintf("%s/%s", r->tmp, w->tmpname);
		int xr = extract_vpks(apath, sfd, &lim, &x);

		free(apath);
		if (xr < 0) {
			item_failed(r, it, x.error);
			goto out;
		}
	}
	if (x.n == 0) {
		item_failed(r, it, "the archive holds no .vpk");
		goto out;
	}
	if (it->md5) {
		const struct extract_file *f = NULL;

		for (i = 0; i < x.n; i++)
			if (strcasecmp(x.files[i].name, it->name) == 0)
				f = &x.files[i];
		if (!f && x.n == 1)
			f = &x.files[0];
		if (!f) {
			item_failed(r, it, "the archive holds no vpk of the index's name");
			goto out;
		}
		if (strcasecmp(f->md5, it->md5) != 0) {
			snprintf(err, sizeof(err), "md5 mismatch: index says %s, vpk has %s",
				 it->md5, f->md5);
			item_failed(r, it, err);
			goto out;
		}
	}
	/* From here the cache changes: a crash leaves the item pending, and
	 * the next run downloads it again. */
	db_global_item_set_pending(ctx->db, it->id);
	if (move_into_cache(r, sfd, &x, err, sizeof(err)) < 0) {
		item_failed(r, it, err);
		goto out;
	}
	files = xcalloc(x.n, sizeof(*files));
	for (i = 0; i < x.n; i++) {
		files[i].path = x.files[i].name;
		files[i].size = x.files[i].size;
		files[i].md5 = x.files[i].md5[0] ? x.files[i].md5 : NULL;
	}
	if (db_global_item_set_ok(ctx->db, it->id, w->dl.new_etag, w->dl.new_last_modified, files,
				  x.n) != DB_OK) {
		item_failed(r, it, "cannot record the item's files");
		goto out;
	}
	r->downloaded++;
	refresh_log(ctx, STREAM_INFO,
		    "source=%s item=%s: %zu vpk%s installed (%lld bytes downloaded)", r->src->name,
		    esc(b1, sizeof(b1), it->name), x.n, x.n == 1 ? "" : "s",
		    (long long)w->dl.bytes);
out:
	free(files);
	extract_result_fini(&x);
	if (sfd >= 0) {
		empty_dir_at(sfd);
		close(sfd);
		unlinkat(r->tmp_fd, stage, AT_REMOVEDIR);
	}
}

static void on_done(struct dl *d, void *arg)
{
	struct work *w = d->arg;
	struct src_run *r = w->run;
	char b1[160];

	(void)arg;
	if (d->result == DL_NOT_MODIFIED) {
		r->unchanged++;
		db_global_item_set_unchanged(r->ctx->db, w->it->id);
		refresh_log(r->ctx, STREAM_INFO, "source=%s item=%s: not modified", r->src->name,
			    esc(b1, sizeof(b1), w->it->name));
	} else if (d->result == DL_OK) {
		install_item(w);
	} else {
		char why[300];

		snprintf(why, sizeof(why), "download failed after %d attempt%s: %s", d->attempts,
			 d->attempts == 1 ? "" : "s", d->error);
		item_failed(r, w->it, why);
	}
	if (d->fd >= 0) {
		close(d->fd);
		d->fd = -1;
	}
	unlinkat(r->tmp_fd, w->tmpname, 0);
	r->items_done++;
	progress(r);
}

static int tick_cb(void *arg)
{
	return refresh_tick(arg);
}

/* The source's network policy for download.c (arg: the config_source). */
static int policy_url(const char *url, char *why, size_t whylen, void *arg)
{
	const struct config_source *src = arg;

	return netcheck_url(url, src->allow_private, why, whylen);
}

static int policy_addr(const struct sockaddr *sa, size_t len, char *why, size_t whylen, void *arg)
{
	const struct config_source *src = arg;
	char host[INET6_ADDRSTRLEN] = "?";
	const char *cls;

	if (src->allow_private || !(cls = netcheck_sockaddr(sa, len)))
		return 0;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, host, sizeof(host));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, host,
			  sizeof(host));
	snprintf(why, whylen, "%s is a %s address (allow_private is not set)", host, cls);
	return -1;
}

static struct dl_opts dl_options(struct refresh_ctx *ctx, const struct config_source *src)
{
	const struct config *cfg = ctx->cfg;
	struct dl_opts o = {
	    .parallel = cfg->fetcher.parallel,
	    .max_host_connections = cfg->fetcher.max_host_connections,
	    .low_speed_time = cfg->fetcher.low_speed_time,
	    .low_speed_limit = cfg->fetcher.low_speed_limit,
	    .retries = cfg->fetcher.retries,
	    .deadline = ctx->deadline,
	    .backoff_ms = ctx->backoff_ms > 0 ? ctx->backoff_ms : 1000,
	    .tick = tick_cb,
	    .arg = ctx,
	    .bytes_total = &ctx->bytes,
	    .check_url = policy_url,
	    .check_addr = policy_addr,
	    .policy_arg = (void *)src,
	};
	return o;
}

/* Fetch and parse the index.  1: a new list in *l; 0: not modified; -1:
 * failed (err). */
static int fetch_index(struct src_run *r, const struct global_source *gs, bool have_items,
		       struct index_list *l, char **etag, char **lm, char *err, size_t errlen)
{
	struct refresh_ctx *ctx = r->ctx;
	struct dl_opts o = dl_options(ctx, r->src);
	struct dl d, *v = &d;
	int ret = -1;

	if (r->src->kind == SOURCE_URL_LIST)
		return index_from_urls(r->src->urls, r->src->n_urls, r->src->allow_private, l, err,
				       errlen) < 0
			   ? -1
			   : 1;
	dl_init(&d, r->src->url);
	d.max_size = INDEX_MAX_BYTES;
	if (have_items) {
		d.etag = gs->index_etag;
		d.last_modified = gs->index_last_modified;
	}
	if (dl_run(&v, 1, &o) < 0) {
		snprintf(err, errlen, "index: refresh stopped");
		goto out;
	}
	if (d.result == DL_NOT_MODIFIED) {
		ret = 0;
		goto out;
	}
	if (d.result != DL_OK) {
		snprintf(err, errlen, "index: %s", d.error);
		goto out;
	}
	if (r->src->kind == SOURCE_JSON_INDEX)
		ret = index_parse_json(d.body.buf, d.body.len, r->src->url, r->src->allow_private,
				       l, err, errlen);
	else
		ret = index_parse_html(d.body.buf, d.body.len, r->src->url, r->src->allow_private,
				       l, err, errlen);
	if (ret == 0) {
		ret = 1;
		*etag = d.new_etag ? xstrdup(d.new_etag) : NULL;
		*lm = d.new_last_modified ? xstrdup(d.new_last_modified) : NULL;
	}
out:
	dl_fini(&d);
	return ret;
}

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* true if name is in sorted (n strings sorted by cmp_str_ptr). */
static bool sorted_has(char *const *sorted, size_t n, const char *name)
{
	return n && bsearch(&name, sorted, n, sizeof(*sorted), cmp_str_ptr) != NULL;
}

/* Make the DB's item list match a fresh index, in one transaction.  Names
 * are matched through sorted copies: O(n log n) for 100,000 items. */
static int apply_index(struct src_run *r, const struct index_list *l, const char *etag,
		       const char *lm, size_t *added, size_t *removed)
{
	sqlite3 *db = r->ctx->db;
	struct global_item *items = NULL;
	char **listed = xcalloc(l->n ? l->n : 1, sizeof(*listed)), **known = NULL;
	size_t n = 0, i, k;
	bool nested;
	int rc = db_tx_begin(db, &nested);

	*added = *removed = 0;
	if (rc != DB_OK) {
		free(listed);
		return rc;
	}
	for (k = 0; k < l->n; k++)
		listed[k] = l->items[k].name;
	qsort(listed, l->n, sizeof(*listed), cmp_str_ptr);
	rc = db_global_item_list(db, r->source_id, &items, &n);
	known = xcalloc(n ? n : 1, sizeof(*known));
	for (i = 0; rc == DB_OK && i < n; i++) {
		known[i] = items[i].name;
		if (!sorted_has(listed, l->n, items[i].name)) {
			rc = db_global_item_delete(db, items[i].id);
			(*removed)++;
		}
	}
	qsort(known, n, sizeof(*known), cmp_str_ptr);
	for (k = 0; rc == DB_OK && k < l->n; k++) {
		const struct index_item *ii = &l->items[k];

		if (!sorted_has(known, n, ii->name))
			(*added)++;
		rc = db_global_item_upsert(db, r->source_id, ii->name, ii->url, ii->size, ii->md5,
					   NULL);
	}
	if (rc == DB_OK && r->src->kind != SOURCE_URL_LIST)
		rc = db_global_source_set_index(db, r->source_id, etag, lm);
	free(listed);
	free(known);
	global_item_list_free(items, n);
	return db_tx_end(db, nested, rc);
}

/* Remove cache entries no item lists (items dropped, old versions, temp
 * files of a killed copy). */
static void gc_cache(struct src_run *r, const struct global_item *items, size_t n)
{
	int fd = dup(r->cache_fd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	size_t removed = 0, n_files = 0, i, j;
	char **files;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (i = 0; i < n; i++)
		n_files += items[i].n_files;
	files = xcalloc(n_files ? n_files : 1, sizeof(*files));
	n_files = 0;
	for (i = 0; i < n; i++)
		for (j = 0; j < items[i].n_files; j++)
			files[n_files++] = items[i].files[j].path;
	qsort(files, n_files, sizeof(*files), cmp_str_ptr);
	rewinddir(d);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (!sorted_has(files, n_files, de->d_name) &&
		    unlinkat(r->cache_fd, de->d_name, 0) == 0)
			removed++;
	}
	closedir(d);
	free(files);
	if (removed)
		refresh_log(r->ctx, STREAM_INFO,
			    "source=%s: removed %zu unlisted file%s from the cache", r->src->name,
			    removed, removed == 1 ? "" : "s");
}

/* Drop the items read so far. */
static void src_drop_items(struct src_run *r)
{
	global_item_list_free(r->items, r->n_items);
	r->items = NULL;
	r->n_items = 0;
}

/* Read the source's items again (they changed); false if the DB fails. */
static bool src_reload_items(struct src_run *r)
{
	src_drop_items(r);
	return db_global_item_list(r->ctx->db, r->source_id, &r->items, &r->n_items) == DB_OK;
}

/* Phase 1: the directories, the lock, the source's row and items.  false
 * (r->err set) when the refresh cannot even start. */
static bool src_begin(struct src_run *r)
{
	if (src_open(r, r->err, sizeof(r->err)) < 0)
		return false;
	if (db_global_source_get(r->ctx->db, r->src->name, &r->gs) != DB_OK ||
	    !src_reload_items(r)) {
		snprintf(r->err, sizeof(r->err), "cannot read the source's items");
		return false;
	}
	return true;
}

/* Phase 2: fetch the index and make the DB's items match it.  false when
 * the items stay as they were (r->err set, index_ok false): no downloads,
 * straight to the links. */
static bool src_update_index(struct src_run *r)
{
	struct refresh_ctx *ctx = r->ctx;
	const char *name = r->src->name;
	char ierr[300] = "", b1[300], *etag = NULL, *lm = NULL;
	size_t added, removed;
	int got;

	got = fetch_index(r, &r->gs, r->n_items > 0, &r->index, &etag, &lm, ierr, sizeof(ierr));
	if (got < 0) {
		snprintf(r->err, sizeof(r->err), "%s", ierr);
		refresh_log(ctx, STREAM_STDERR, "source=%s: %s; keeping the items as they are",
			    name, esc(b1, sizeof(b1), ierr));
		return false;
	}
	r->index_ok = true;
	if (got == 0) {
		refresh_log(ctx, STREAM_INFO, "source=%s: index not modified (%zu items)", name,
			    r->n_items);
		return true;
	}
	if (r->index.skipped)
		refresh_log(ctx, STREAM_STDERR, "source=%s: index: %zu entr%s refused, first: %s",
			    name, r->index.skipped, r->index.skipped == 1 ? "y" : "ies",
			    esc(b1, sizeof(b1), r->index.problem));
	if (apply_index(r, &r->index, etag, lm, &added, &removed) != DB_OK) {
		snprintf(r->err, sizeof(r->err), "cannot record the index");
		r->index_ok = false;
	} else {
		refresh_log(ctx, STREAM_INFO,
			    "source=%s: index lists %zu items (%zu new, %zu dropped)", name,
			    r->index.n, added, removed);
		if (!src_reload_items(r)) {
			snprintf(r->err, sizeof(r->err), "cannot read the source's items");
			r->index_ok = false;
		}
	}
	free(etag);
	free(lm);
	return r->index_ok;
}

/* What to download: a listed md5 that the cache already has needs no
 * request at all; otherwise ask conditionally when the files we have came
 * with validators.  Each work has its temp file open; *n of them. */
static struct work *src_plan_downloads(struct src_run *r, size_t *n)
{
	struct refresh_ctx *ctx = r->ctx;
	struct work *works = xcalloc(r->n_items ? r->n_items : 1, sizeof(*works));
	char why[300];
	size_t i, n_work = 0;

	for (i = 0; i < r->n_items; i++) {
		struct global_item *it = &r->items[i];
		bool have = item_present(r, it);
		struct work *w;

		if (it->md5 && have && item_has_md5(it)) {
			if (it->state != GITEM_OK)
				db_global_item_set_unchanged(ctx->db, it->id);
			r->unchanged++;
			continue;
		}
		w = &works[n_work++];
		w->run = r;
		w->it = it;
		dl_init(&w->dl, it->url);
		w->dl.arg = w;
		w->dl.max_size = ctx->cfg->fetcher.max_file_size;
		if (have && !it->md5) {
			w->dl.etag = it->etag;
			w->dl.last_modified = it->last_modified;
		}
		snprintf(w->tmpname, sizeof(w->tmpname), "dl-%lld", (long long)it->id);
		w->dl.fd = openat(r->tmp_fd, w->tmpname,
				  O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (w->dl.fd < 0) {
			snprintf(why, sizeof(why), "cannot create a temp file: %s",
				 strerror(errno));
			item_failed(r, it, why);
			dl_fini(&w->dl);
			n_work--;
			continue;
		}
		if (it->size > 0)
			r->bytes_expected += it->size;
	}
	r->items_total = n_work;
	*n = n_work;
	return works;
}

/* Phase 3: download and install what changed (on_done installs each as it
 * arrives), then drop from the cache what no item lists.  A stopped run
 * clears index_ok: its items are unfinished, so nothing is cleaned up. */
static void src_fetch_items(struct src_run *r)
{
	struct refresh_ctx *ctx = r->ctx;
	size_t n_work, i;
	struct work *works = src_plan_downloads(r, &n_work);

	if (n_work) {
		struct dl_opts o = dl_options(ctx, r->src);
		struct dl **dls = xcalloc(n_work, sizeof(*dls));

		refresh_log(ctx, STREAM_INFO, "source=%s: %zu to fetch, %d unchanged", r->src->name,
			    n_work, r->unchanged);
		progress(r);
		for (i = 0; i < n_work; i++)
			dls[i] = &works[i].dl;
		o.done = on_done;
		if (dl_run(dls, n_work, &o) < 0) {
			snprintf(r->err, sizeof(r->err), "refresh stopped");
			r->index_ok = false;
		}
		for (i = 0; i < n_work; i++) {
			if (works[i].dl.fd >= 0)
				close(works[i].dl.fd);
			dl_fini(&works[i].dl);
		}
		free(dls);
	}
	free(works);
	if (r->index_ok && src_reload_items(r))
		gc_cache(r, r->items, r->n_items);
}

/* Phase 4: the overlay's symlinks follow the cache, whatever happened to
 * the index (a failed one leaves the items and so the links as they are). */
static void src_link(struct src_run *r)
{
	struct reconcile_stats rs;
	char ierr[300] = "";

	if (reconcile_links(r->cache, r->addons, &rs, ierr, sizeof(ierr)) < 0) {
		snprintf(r->err, sizeof(r->err), "links: %s", ierr);
		r->index_ok = false;
		return;
	}
	refresh_log(r->ctx, STREAM_INFO,
		    "source=%s: links: %zu cached, %zu added, %zu removed, %zu kept, %zu foreign%s",
		    r->src->name, rs.cached, rs.added, rs.removed, rs.kept, rs.foreign,
		    rs.conflicts ? " (a foreign entry holds a cached vpk's name)" : "");
}

/* Phase 5: record how the source stands (the web shows it) and log it. */
static void src_record_status(struct src_run *r)
{
	struct global_source_status status = {0};
	size_t i, present = 0;
	char b1[300];

	/* Count what is in the cache now, whatever phase stopped. */
	src_drop_items(r);
	if (r->cache_fd >= 0 && src_reload_items(r)) {
		for (i = 0; i < r->n_items; i++)
			present += item_present(r, &r->items[i]);
	}
	if (r->index_ok && !r->err[0] && r->failed)
		snprintf(r->err, sizeof(r->err), "%d item%s failed", r->failed,
			 r->failed == 1 ? "" : "s");
	/* Refused entries (unsafe names, refused links) show on the source's
	 * page too, escaped like the log: a name may carry bidi controls. */
	if (r->index_ok && !r->err[0] && r->index.skipped)
		snprintf(r->err, sizeof(r->err), "index: %zu entr%s refused, first: %s",
			 r->index.skipped, r->index.skipped == 1 ? "y" : "ies",
			 esc(b1, sizeof(b1), r->index.problem));
	status.success = r->index_ok;
	status.error = r->err[0] ? r->err : NULL;
	status.items_expected = (int64_t)r->n_items;
	status.items_present = (int64_t)present;
	status.complete = (r->index_ok || r->gs.last_success_at) && present == r->n_items;
	db_global_source_set_status(r->ctx->db, r->source_id, &status);
	refresh_log(
	    r->ctx, r->index_ok ? STREAM_STEP : STREAM_STDERR,
	    "source=%s: %s: %zu/%zu items present, %d downloaded, %d unchanged, %d failed%s%s",
	    r->src->name, status.complete ? "complete" : "incomplete", present, r->n_items,
	    r->downloaded, r->unchanged, r->failed, r->err[0] ? "; " : "", r->err);
}

/* One source, in phases; each phase that fails says why in r.err and the
 * later ones see it (index_ok).  0 when the index was fetched and the
 * links follow it, else -1. */
static int refresh_source(struct refresh_ctx *ctx, const struct config_source *src)
{
	struct src_run r = {.ctx = ctx, .src = src, .cache_fd = -1, .tmp_fd = -1, .lock_fd = -1};
	int ret = -1;

	refresh_log(ctx, STREAM_STEP, "source=%s: refresh (%s)", src->name,
		    fetcher_source_kind_name(src->kind));
	/* Without its row there is nowhere to record a status. */
	if (db_global_source_ensure(ctx->db, src->name, fetcher_source_kind_name(src->kind),
				    src->url, &r.source_id) == DB_OK) {
		if (src_begin(&r)) {
			if (src_update_index(&r))
				src_fetch_items(&r);
			src_link(&r);
		}
		src_record_status(&r);
		ret = r.index_ok ? 0 : -1;
	}
	if (ret < 0)
		ctx->sources_failed++;
	src_run_fini(&r);
	return ret;
}

int refresh_run(struct refresh_ctx *ctx, const char *only, char *err, size_t errlen)
{
	size_t i, done = 0;

	ctx->deadline = mono_ms() + ctx->cfg->fetcher.refresh_timeout * 1000LL;
	ctx->next_heartbeat = 0;
	ctx->items_failed = ctx->sources_failed = 0;
	ctx->bytes = 0;
	for (i = 0; i < ctx->cfg->fetcher.n_sources; i++) {
		const struct config_source *s = &ctx->cfg->fetcher.sources[i];

		if (only && *only && strcmp(only, s->name) != 0)
			continue;
		if (refresh_tick(ctx))
			break;
		refresh_source(ctx, s);
		done++;
	}
	if (only && *only && done == 0) {
		snprintf(err, errlen, "no source named %s in the config", only);
		return -1;
	}
	if (ctx->lost || (ctx->stop && *ctx->stop)) {
		snprintf(err, errlen, "stopped");
		return -1;
	}
	snprintf(err, errlen, "%zu source%s refreshed, %d failed; %d item%s failed; %lld bytes",
		 done, done == 1 ? "" : "s", ctx->sources_failed, ctx->items_failed,
		 ctx->items_failed == 1 ? "" : "s", (long long)ctx->bytes);
	return ctx->sources_failed ? -1 : 0;
}
