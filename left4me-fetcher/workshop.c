/* A sync of the workshop overlays; see workshop.h. */
#include "workshop.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "db_job.h"
#include "db_workshop.h"
#include "download.h"
#include "log.h"
#include "netcheck.h"
#include "strbuf.h"
#include "timeutil.h"
#include "validate.h"
#include "workshop_ids.h"
#include "workshop_json.h"
#include "xalloc.h"

#define L4D2_APP_ID   550
#define API_BATCH     100
#define API_REPLY_MAX (16LL * 1024 * 1024)
#define DETAILS_PATH  "ISteamRemoteStorage/GetPublishedFileDetails/v1/"
#define COLL_PATH     "ISteamRemoteStorage/GetCollectionDetails/v1/"

/* What the sync knows of one published id. */
struct item {
	int64_t id;
	bool collection;		/* GetCollectionDetails listed children */
	bool too_deep;			/* a nested collection below max_depth */
	bool asked;			/* GetCollectionDetails was asked about it */
	const struct ws_details *d;	/* Steam's details, NULL if not asked or not given */
	const struct ws_collection *c;	/* its children when a collection */
	int64_t cached_tu, cached_size; /* the DB's record of the cached copy */
	bool have_preview;
	bool download, link;
	char error[320];
};

struct run {
	struct refresh_ctx *ctx;
	const struct config *cfg;
	char *base; /* STATE/workshop_cache */
	int dir_fd, lock_fd;
	struct workshop_overlay *ov;
	size_t n_ov;
	struct item *items; /* sorted by id */
	size_t n_items;
	struct ws_collection **colls; /* every reply, kept for the children */
	size_t *n_colls, n_coll_replies;
	struct ws_details **dets;
	size_t *n_dets, n_det_replies;
	int downloaded, kept, failed, removed_files;
	int64_t bytes;
};

/* ---- items --------------------------------------------------------------- */

static int cmp_item(const void *a, const void *b)
{
	int64_t x = ((const struct item *)a)->id, y = ((const struct item *)b)->id;

	return (x > y) - (x < y);
}

static struct item *find(struct run *r, int64_t id)
{
	struct item key = {.id = id};

	return r->n_items ? bsearch(&key, r->items, r->n_items, sizeof(key), cmp_item) : NULL;
}

/* Add ids not known yet, keeping items sorted (a merge, not a re-sort
 * per id).  Pointers into items are invalid afterwards. */
static void add_ids(struct run *r, const int64_t *ids, size_t n)
{
	size_t old = r->n_items;

	r->items = xreallocarray(r->items, old + n + 1, sizeof(*r->items));
	for (size_t i = 0; i < n; i++) {
		struct item key = {.id = ids[i]};

		if (old && bsearch(&key, r->items, old, sizeof(key), cmp_item))
			continue;
		memset(&r->items[r->n_items], 0, sizeof(struct item));
		r->items[r->n_items++].id = ids[i];
	}
	qsort(r->items, r->n_items, sizeof(*r->items), cmp_item);
	/* drop duplicates among the new ones */
	{
		size_t w = 0;

		for (size_t i = 0; i < r->n_items; i++)
			if (w == 0 || r->items[w - 1].id != r->items[i].id)
				r->items[w++] = r->items[i];
		r->n_items = w;
	}
}

/* ---- the network rule ------------------------------------------------------ */

static int policy_url(const char *url, char *why, size_t whylen, void *arg)
{
	static const char said[] = "(allow_private is not set)";
	const bool *allow_private = arg;
	char *p;

	if (netcheck_url(url, *allow_private, why, whylen) == 0)
		return 0;
	/* name this config's key */
	if ((p = strstr(why, said)) && (size_t)(p - why) + 60 < whylen)
		snprintf(p, whylen - (size_t)(p - why),
			 "(fetcher.workshop.allow_private is not set)");
	return -1;
}

static int policy_addr(const struct sockaddr *sa, size_t len, char *why, size_t whylen, void *arg)
{
	const bool *allow_private = arg;
	char host[INET6_ADDRSTRLEN] = "?";
	const char *cls;

	if (*allow_private || !(cls = netcheck_sockaddr(sa, len)))
		return 0;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, host, sizeof(host));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, host,
			  sizeof(host));
	snprintf(why, whylen, "%s is a %s address (fetcher.workshop.allow_private is not set)",
		 host, cls);
	return -1;
}

static int tick_cb(void *arg)
{
	return refresh_tick(arg);
}

static struct dl_opts dl_options(struct run *r)
{
	const struct config *cfg = r->cfg;
	struct dl_opts o = {
	    .parallel = cfg->fetcher.parallel,
	    .max_host_connections = cfg->fetcher.max_host_connections,
	    .low_speed_time = cfg->fetcher.low_speed_time,
	    .low_speed_limit = cfg->fetcher.low_speed_limit,
	    .retries = cfg->fetcher.retries,
	    .deadline = r->ctx->deadline,
	    .backoff_ms = r->ctx->backoff_ms > 0 ? r->ctx->backoff_ms : 1000,
	    .tick = tick_cb,
	    .arg = r->ctx,
	    .bytes_total = &r->bytes,
	    .check_url = policy_url,
	    .check_addr = policy_addr,
	    .policy_arg = (void *)&cfg->fetcher.workshop.allow_private,
	};
	return o;
}

/* ---- the Web API ----------------------------------------------------------- */

/* POST count_key=N&publishedfileids[i]=ID... to api_url + path: the reply's
 * body in *body (free it), or -1 with err. */
static int api_post(struct run *r, const char *path, const char *count_key, const int64_t *ids,
		    size_t n, char **body, size_t *len, char *err, size_t errlen)
{
	const char *base = r->cfg->fetcher.workshop.api_url;
	size_t bl = strlen(base);
	char *url = xasprintf("%s%s%s", base, bl && base[bl - 1] == '/' ? "" : "/", path);
	struct dl_opts o = dl_options(r);
	struct strbuf form;
	struct dl d, *v = &d;
	int rc = -1;

	strbuf_init(&form);
	strbuf_printf(&form, "%s=%zu", count_key, n);
	for (size_t i = 0; i < n; i++)
		strbuf_printf(&form, "&publishedfileids[%zu]=%" PRId64, i, ids[i]);
	dl_init(&d, url);
	d.post = form.buf;
	d.max_size = API_REPLY_MAX;
	o.parallel = 1;
	o.bytes_total = NULL;
	if (dl_run(&v, 1, &o) < 0) {
		snprintf(err, errlen, "%s: stopped", path);
	} else if (d.result != DL_OK) {
		snprintf(err, errlen, "%s: %s", path, d.error);
	} else {
		*len = d.body.len;
		*body = strbuf_detach(&d.body);
		rc = 0;
	}
	dl_fini(&d);
	strbuf_fini(&form);
	free(url);
	return rc;
}

static int api_collections(struct run *r, const int64_t *ids, size_t n, char *err, size_t errlen)
{
	for (size_t off = 0; off < n; off += API_BATCH) {
		size_t k = n - off < API_BATCH ? n - off : API_BATCH, len = 0, got = 0;
		struct ws_collection *v;
		char *body = NULL, why[256];

		if (api_post(r, COLL_PATH, "collectioncount", ids + off, k, &body, &len, err,
			     errlen) < 0)
			return -1;
		if (ws_parse_collections(body, len, &v, &got, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "GetCollectionDetails: %s", why);
			free(body);
			return -1;
		}
		free(body);
		r->colls = xreallocarray(r->colls, r->n_coll_replies + 1, sizeof(*r->colls));
		r->n_colls = xreallocarray(r->n_colls, r->n_coll_replies + 1, sizeof(*r->n_colls));
		r->colls[r->n_coll_replies] = v;
		r->n_colls[r->n_coll_replies++] = got;
		for (size_t i = 0; i < got; i++) {
			struct item *it = find(r, v[i].id);

			if (it && v[i].result == 1 && v[i].n_children) {
				it->collection = true;
				it->c = &v[i];
			}
		}
	}
	return 0;
}

static int api_details(struct run *r, const int64_t *ids, size_t n, char *err, size_t errlen)
{
	for (size_t off = 0; off < n; off += API_BATCH) {
		size_t k = n - off < API_BATCH ? n - off : API_BATCH, len = 0, got = 0;
		struct ws_details *v;
		char *body = NULL, why[256];

		if (api_post(r, DETAILS_PATH, "itemcount", ids + off, k, &body, &len, err, errlen) <
		    0)
			return -1;
		if (ws_parse_details(body, len, &v, &got, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "GetPublishedFileDetails: %s", why);
			free(body);
			return -1;
		}
		free(body);
		r->dets = xreallocarray(r->dets, r->n_det_replies + 1, sizeof(*r->dets));
		r->n_dets = xreallocarray(r->n_dets, r->n_det_replies + 1, sizeof(*r->n_dets));
		r->dets[r->n_det_replies] = v;
		r->n_dets[r->n_det_replies++] = got;
		for (size_t i = 0; i < got; i++) {
			struct item *it = find(r, v[i].id);

			if (it)
				it->d = &v[i];
		}
	}
	return 0;
}

/* ---- resolving collections --------------------------------------------------- */

/* The listed ids of every overlay, then level by level the nested
 * collections (children of filetype 2), max_depth levels in all; a
 * nested collection below that is marked too_deep and not opened. */
static int resolve(struct run *r, char *err, size_t errlen)
{
	int64_t *level = NULL, *kids = NULL;
	bool *nested = NULL;
	size_t n_level = 0, n_kids = 0;
	int rc = 0;

	for (size_t i = 0; i < r->n_ov; i++)
		add_ids(r, r->ov[i].ids, r->ov[i].n_ids);
	level = xcalloc(r->n_items + 1, sizeof(*level));
	for (size_t i = 0; i < r->n_items; i++) {
		r->items[i].asked = true;
		level[n_level++] = r->items[i].id;
	}
	for (int depth = 1; n_level; depth++) {
		if (depth > r->cfg->fetcher.workshop.max_depth) {
			for (size_t i = 0; i < n_level; i++)
				find(r, level[i])->too_deep = true;
			break;
		}
		rc = api_collections(r, level, n_level, err, errlen);
		if (rc < 0)
			break;
		/* every child becomes an item; the nested collections not
		 * asked yet are the next level */
		n_kids = 0;
		for (size_t i = 0; i < n_level; i++) {
			const struct item *it = find(r, level[i]);

			for (size_t k = 0; it->collection && k < it->c->n_children; k++) {
				kids = xreallocarray(kids, n_kids + 1, sizeof(*kids));
				nested = xreallocarray(nested, n_kids + 1, sizeof(*nested));
				nested[n_kids] = it->c->children[k].filetype == 2;
				kids[n_kids++] = it->c->children[k].id;
			}
		}
		add_ids(r, kids, n_kids);
		n_level = 0;
		for (size_t i = 0; i < n_kids; i++) {
			struct item *it = find(r, kids[i]);

			if (it->asked || !nested[i])
				continue;
			it->asked = true;
			level = xreallocarray(level, n_level + 1, sizeof(*level));
			level[n_level++] = kids[i];
		}
	}
	free(level);
	free(kids);
	free(nested);
	return rc;
}

/* The items under collection c, depth first in Steam's order: nested
 * collections as rows of their own, then their items.  path holds the
 * collections above (a cycle is not followed); *leaves counts items
 * against max_items. */
static void flatten(struct run *r, const struct ws_collection *c, int64_t **path, size_t depth,
		    int64_t **out, size_t *n, size_t *leaves, bool *cut)
{
	size_t max = (size_t)r->cfg->fetcher.workshop.max_items;

	*path = xreallocarray(*path, depth + 1, sizeof(**path));
	(*path)[depth] = c->id;
	for (size_t k = 0; k < c->n_children && !*cut; k++) {
		const struct item *it = find(r, c->children[k].id);
		bool cycle = false;

		for (size_t p = 0; p <= depth; p++)
			cycle |= (*path)[p] == c->children[k].id;
		if (!it || cycle)
			continue;
		if (!it->collection && *leaves == max) {
			*cut = true;
			break;
		}
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		(*out)[(*n)++] = it->id;
		if (it->collection)
			flatten(r, it->c, path, depth + 1, out, n, leaves, cut);
		else
			(*leaves)++;
	}
}

/* Each overlay's listed collections, flattened into overlay_workshop. */
static int write_resolved(struct run *r)
{
	size_t max = (size_t)r->cfg->fetcher.workshop.max_items;

	for (size_t o = 0; o < r->n_ov; o++) {
		size_t leaves = 0;

		for (size_t i = 0; i < r->ov[o].n_ids; i++) {
			struct item *it = find(r, r->ov[o].ids[i]);
			int64_t *out = NULL, *path = NULL;
			size_t n = 0;
			bool cut = false;
			int rc;

			if (it->collection)
				flatten(r, it->c, &path, 0, &out, &n, &leaves, &cut);
			else
				leaves++;
			rc = db_workshop_set_resolved(r->ctx->db, r->ov[o].id, it->id, out, n);
			free(out);
			free(path);
			if (rc != DB_OK)
				return -1;
			if (cut && !it->error[0])
				snprintf(it->error, sizeof(it->error),
					 "overlay %" PRId64 " resolves to more than %zu items "
					 "(fetcher.workshop.max_items); the rest are left out",
					 r->ov[o].id, max);
		}
	}
	return 0;
}

/* ---- what to do with each item ----------------------------------------------- */

static bool cached_ok(struct run *r, const struct item *it)
{
	char name[40];
	struct stat sb;

	snprintf(name, sizeof(name), "%" PRId64 ".vpk", it->id);
	return it->cached_tu > 0 && fstatat(r->dir_fd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(sb.st_mode) && sb.st_size == it->cached_size;
}

/* Decide, per item, from Steam's details and the cache: an error, keep
 * the cached copy, or download. */
static void judge(struct run *r, struct item *it)
{
	const struct ws_details *d = it->d;
	long long max = r->cfg->fetcher.workshop.max_item_bytes;
	struct workshop_item rec;
	int64_t app;

	if (db_workshop_item_get(r->ctx->db, it->id, &rec) == DB_OK) {
		it->cached_tu = rec.cached_time_updated;
		it->cached_size = rec.cached_size;
		it->have_preview = rec.preview_type != NULL;
		workshop_item_fini(&rec);
	}
	if (it->error[0])
		return; /* max_items */
	if (it->too_deep) {
		snprintf(it->error, sizeof(it->error),
			 "a collection nested deeper than fetcher.workshop.max_depth (%d): not "
			 "opened",
			 r->cfg->fetcher.workshop.max_depth);
		return;
	}
	if (it->collection)
		return;
	if (!d || d->result != 1) {
		snprintf(it->error, sizeof(it->error),
			 "removed from the Workshop, or not visible to everyone (Steam answered "
			 "result %d)",
			 d ? d->result : 9);
		return;
	}
	app = d->consumer_app_id ? d->consumer_app_id : d->creator_app_id;
	if (app != L4D2_APP_ID) {
		snprintf(it->error, sizeof(it->error),
			 "an item of Steam app %" PRId64 ", not Left 4 Dead 2 (%d)", app,
			 L4D2_APP_ID);
		return;
	}
	if (!d->file_url[0]) {
		snprintf(it->error, sizeof(it->error),
			 "Steam gives no file_url for this item: newer Workshop items download "
			 "only through a logged-in Steam client");
		return;
	}
	if (d->file_size > max) {
		snprintf(it->error, sizeof(it->error),
			 "%" PRId64 " bytes, over fetcher.workshop.max_item_bytes (%lld bytes)",
			 d->file_size, max);
		return;
	}
	if (cached_ok(r, it) && it->cached_tu == d->time_updated) {
		it->link = true;
		r->kept++;
		return;
	}
	it->download = true;
}

/* ---- downloads ----------------------------------------------------------------- */

struct work {
	struct run *run;
	struct item *it;
	struct dl dl;
	char tmpname[64], name[40];
	bool preview;
};

/* Move a finished temp file into place: fsync, 0644, rename, fsync dir. */
static int install(struct run *r, struct work *w, char *err, size_t errlen)
{
	if (fchmod(w->dl.fd, 0644) < 0 || fsync(w->dl.fd) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", w->tmpname, strerror(errno));
		return -1;
	}
	if (renameat(r->dir_fd, w->tmpname, r->dir_fd, w->name) < 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", w->tmpname, w->name,
			 strerror(errno));
		return -1;
	}
	if (fsync(r->dir_fd) < 0) {
		snprintf(err, errlen, "cannot sync the cache dir: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void vpk_done(struct run *r, struct work *w)
{
	struct item *it = w->it;
	char why[300] = "";

	if (w->dl.result != DL_OK)
		snprintf(why, sizeof(why), "%s", w->dl.error);
	else if (it->d->file_size >= 0 && w->dl.bytes != it->d->file_size)
		snprintf(why, sizeof(why),
			 "got %" PRId64 " bytes, Steam announced %" PRId64 " (file_size)",
			 w->dl.bytes, it->d->file_size);
	else if (install(r, w, why, sizeof(why)) == 0) {
		db_workshop_item_cached(r->ctx->db, it->id, it->d->time_updated, w->dl.bytes);
		it->cached_tu = it->d->time_updated;
		it->cached_size = w->dl.bytes;
		it->link = true;
		r->downloaded++;
		refresh_log(r->ctx, STREAM_INFO, "item %" PRId64 ": downloaded %" PRId64 " bytes",
			    it->id, w->dl.bytes);
		return;
	}
	unlinkat(r->dir_fd, w->tmpname, 0);
	r->failed++;
	/* the copy of an older time_updated, if any, keeps serving */
	it->link = cached_ok(r, it);
	snprintf(it->error, sizeof(it->error), "download failed: %.200s%s", why,
		 it->link ? "; the previous copy still serves" : "");
	refresh_log(r->ctx, STREAM_STDERR, "item %" PRId64 ": %s", it->id, it->error);
}

/* "image/png; x=y" -> "image/png" when it is an image type: 0, or -1. */
static int image_type(const char *ct, char *out, size_t len)
{
	size_t n = 0;

	if (!ct || strncasecmp(ct, "image/", 6) != 0)
		return -1;
	while (ct[n] && ct[n] != ';' && ct[n] != ' ' && n + 1 < len && n < 64) {
		char c = ct[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("/+.-", c)))
			return -1;
		out[n] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
		n++;
	}
	out[n] = '\0';
	return n > 6 ? 0 : -1;
}

static void preview_done(struct run *r, struct work *w)
{
	char type[72], why[300];

	if (w->dl.result != DL_OK) {
		refresh_log(r->ctx, STREAM_INFO, "item %" PRId64 ": no preview image: %s",
			    w->it->id, w->dl.error);
	} else if (image_type(w->dl.content_type, type, sizeof(type)) < 0) {
		refresh_log(r->ctx, STREAM_INFO,
			    "item %" PRId64 ": the preview is not an image/* type", w->it->id);
	} else if (install(r, w, why, sizeof(why)) < 0) {
		refresh_log(r->ctx, STREAM_STDERR, "item %" PRId64 ": %s", w->it->id, why);
	} else {
		db_workshop_item_preview(r->ctx->db, w->it->id, type);
		w->it->have_preview = true;
		return;
	}
	unlinkat(r->dir_fd, w->tmpname, 0);
}

static void on_done(struct dl *d, void *arg)
{
	struct work *w = d->arg;

	(void)arg;
	if (w->preview)
		preview_done(w->run, w);
	else
		vpk_done(w->run, w);
	close(d->fd);
	d->fd = -1;
}

static bool want_preview(const struct item *it)
{
	return !it->have_preview && it->d && it->d->result == 1 && it->d->preview_url[0];
}

/* Every download and preview of this sync, in parallel. */
static int fetch(struct run *r)
{
	size_t n = 0, k = 0;
	struct work *v;
	struct dl **dls;
	struct dl_opts o = dl_options(r);
	int rc = 0;

	for (size_t i = 0; i < r->n_items; i++)
		n += r->items[i].download + want_preview(&r->items[i]);
	if (!n)
		return 0;
	v = xcalloc(n, sizeof(*v));
	dls = xcalloc(n, sizeof(*dls));
	for (size_t i = 0; i < r->n_items; i++) {
		struct item *it = &r->items[i];

		for (int pv = 0; pv < 2; pv++) {
			struct work *w = &v[k];

			if (pv ? !want_preview(it) : !it->download)
				continue;
			w->run = r;
			w->it = it;
			w->preview = pv;
			snprintf(w->name, sizeof(w->name), "%" PRId64 ".%s", it->id,
				 pv ? "preview" : "vpk");
			snprintf(w->tmpname, sizeof(w->tmpname), ".%s.tmp%d", w->name,
				 (int)getpid());
			dl_init(&w->dl, pv ? it->d->preview_url : it->d->file_url);
			w->dl.arg = w;
			w->dl.max_size = pv ? r->cfg->fetcher.workshop.max_preview_bytes
					    : r->cfg->fetcher.workshop.max_item_bytes;
			w->dl.max_size_name = pv ? "fetcher.workshop.max_preview_bytes"
						 : "fetcher.workshop.max_item_bytes";
			w->dl.fd =
			    openat(r->dir_fd, w->tmpname,
				   O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (w->dl.fd < 0) {
				refresh_log(r->ctx, STREAM_STDERR, "cannot create %s: %s",
					    w->tmpname, strerror(errno));
				dl_fini(&w->dl);
				rc = -1;
				continue;
			}
			dls[k++] = &w->dl;
		}
	}
	o.done = on_done;
	if (rc == 0 && dl_run(dls, k, &o) < 0)
		rc = -1;
	for (size_t i = 0; i < k; i++) {
		if (v[i].dl.fd >= 0) { /* abandoned */
			close(v[i].dl.fd);
			unlinkat(r->dir_fd, v[i].tmpname, 0);
		}
		dl_fini(&v[i].dl);
	}
	free(dls);
	free(v);
	return rc;
}

/* ---- the DB rows ------------------------------------------------------------------ */

static void record(struct run *r, struct item *it)
{
	const struct ws_details *d = it->d && it->d->result == 1 ? it->d : NULL;
	struct workshop_item_update u = {
	    .published_id = it->id,
	    .is_collection = it->collection,
	    .title = d ? d->title : NULL,
	    .file_size = d ? d->file_size : -1,
	    .time_updated = d ? d->time_updated : 0,
	    .app_id = d ? (d->consumer_app_id ? d->consumer_app_id : d->creator_app_id) : 0,
	    .file_url = d ? d->file_url : NULL,
	    .preview_url = d ? d->preview_url : NULL,
	};

	if (it->download && !it->link && !it->error[0])
		snprintf(it->error, sizeof(it->error), "the download was abandoned (sync stopped)");
	u.state = it->error[0] ? "error" : "ok";
	u.error = it->error[0] ? it->error : NULL;
	if (db_workshop_item_update(r->ctx->db, &u) != DB_OK)
		refresh_log(r->ctx, STREAM_STDERR, "item %" PRId64 ": cannot record its state",
			    it->id);
	if (it->error[0] && !it->download)
		refresh_log(r->ctx, STREAM_INFO, "item %" PRId64 ": %s", it->id, it->error);
}

/* ---- the overlay trees --------------------------------------------------------------- */

/* Remove dir name under dfd and all in it, following no symlink. */
static void rmtree_at(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		unlinkat(dfd, name, 0);
		return;
	}
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(fd, de->d_name, 0) < 0 && errno == EISDIR)
			rmtree_at(fd, de->d_name);
	}
	closedir(d);
	unlinkat(dfd, name, AT_REMOVEDIR);
}

static bool links(struct run *r, int64_t id)
{
	const struct item *it = find(r, id);

	return it && it->link && !it->collection;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int64_t name_id(const char *name, const char *suffix);

/* A link ID.vpk -> BASE/ID.vpk in afd for each wanted id (sorted); with
 * prune, our links (that target) of ids not wanted go.  Each step is one
 * atomic symlink or unlink: a running server never misses a link it
 * keeps. */
static int reconcile(struct run *r, int afd, const int64_t *want, size_t n, bool prune,
		     int *n_links)
{
	char lname[40], buf[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int fd;

	for (size_t i = 0; i < n; i++) {
		char *target;

		snprintf(lname, sizeof(lname), "%" PRId64 ".vpk", want[i]);
		target = xasprintf("%s/%s", r->base, lname);
		if (symlinkat(target, afd, lname) == 0 || errno == EEXIST)
			(*n_links)++;
		else {
			free(target);
			return -1;
		}
		free(target);
	}
	fd = prune ? openat(afd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	d = fd >= 0 ? fdopendir(fd) : NULL;
	while (d && (de = readdir(d))) {
		int64_t id = name_id(de->d_name, ".vpk");
		ssize_t len;
		char *target;

		if (!id || (n && bsearch(&id, want, n, sizeof(id), cmp_i64)))
			continue;
		len = readlinkat(afd, de->d_name, buf, sizeof(buf) - 1);
		if (len < 0)
			continue; /* not a link: not ours */
		buf[len] = '\0';
		target = xasprintf("%s/%s", r->base, de->d_name);
		if (strcmp(buf, target) == 0)
			unlinkat(afd, de->d_name, 0);
		free(target);
	}
	if (d)
		closedir(d);
	else if (fd >= 0)
		close(fd);
	return 0;
}

/* The overlay's tree.  The first time it is built whole in
 * overlays/.new-OVID and renamed into place (never seen half made); after
 * that it is reconciled in place, link by link, because a running server
 * holds the directory itself as its lowerdir (a swapped-out tree would be
 * gone under it). */
static int build_tree(struct run *r, int ovfd, const struct workshop_overlay *ov, int *n_links)
{
	char fresh[48], name[32], path[96];
	struct workshop_item *rows = NULL;
	int64_t *want = NULL;
	size_t n = 0, n_want = 0;
	struct stat sb;
	bool exists;
	int afd = -1, rc = -1;

	*n_links = 0;
	snprintf(fresh, sizeof(fresh), ".new-%" PRId64, ov->id);
	snprintf(name, sizeof(name), "%" PRId64, ov->id);
	if (db_workshop_items(r->ctx->db, ov->id, &rows, &n) != DB_OK)
		return -1;
	want = xcalloc(n + 1, sizeof(*want));
	for (size_t i = 0; i < n; i++)
		if (links(r, rows[i].published_id))
			want[n_want++] = rows[i].published_id;
	qsort(want, n_want, sizeof(*want), cmp_i64);
	exists = fstatat(ovfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode);
	rmtree_at(ovfd, fresh);
	snprintf(path, sizeof(path), "%s", exists ? name : fresh);
	if (mkdirat(ovfd, path, 0755) < 0 && errno != EEXIST)
		goto out;
	snprintf(path, sizeof(path), "%s/left4dead2", exists ? name : fresh);
	if (mkdirat(ovfd, path, 0755) < 0 && errno != EEXIST)
		goto out;
	snprintf(path, sizeof(path), "%s/left4dead2/addons", exists ? name : fresh);
	if (mkdirat(ovfd, path, 0755) < 0 && errno != EEXIST)
		goto out;
	afd = openat(ovfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (afd < 0 || reconcile(r, afd, want, n_want, exists, n_links) < 0 || fsync(afd) < 0)
		goto out;
	if (!exists && renameat(ovfd, fresh, ovfd, name) < 0)
		goto out;
	rc = fsync(ovfd) < 0 ? -1 : 0;
out:
	if (afd >= 0)
		close(afd);
	workshop_item_list_free(rows, n);
	free(want);
	if (rc < 0 && !exists)
		rmtree_at(ovfd, fresh);
	return rc;
}

/* ---- garbage collection ------------------------------------------------------------------ */

/* "123.vpk" / "123.preview" / "123": the id, or 0 for anything else. */
static int64_t name_id(const char *name, const char *suffix)
{
	const char *dot = suffix ? strchr(name, '.') : NULL;
	size_t len = suffix ? (dot ? (size_t)(dot - name) : 0) : strlen(name);
	char digits[24];
	int64_t id;

	if (len == 0 || len >= sizeof(digits) || (suffix && strcmp(dot, suffix) != 0))
		return 0;
	memcpy(digits, name, len);
	digits[len] = '\0';
	return valid_id(digits, &id) && id <= WORKSHOP_ID_MAX ? id : 0;
}

/* Cache files no overlay lists and trees of overlays that are gone. */
static int collect_garbage(struct run *r)
{
	int64_t *ids = NULL, *ovs = NULL;
	size_t n = 0, n_ovs = 0;
	int fd, forgotten = 0;
	DIR *d;
	struct dirent *de;

	if (db_workshop_referenced(r->ctx->db, &ids, &n, &ovs, &n_ovs) != DB_OK)
		return -1;
	fd = openat(r->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* own offset */
	d = fd >= 0 ? fdopendir(fd) : NULL;
	while (d && (de = readdir(d))) {
		int64_t id = name_id(de->d_name, ".vpk");

		if (!id)
			id = name_id(de->d_name, ".preview");
		if (!id || (n && bsearch(&id, ids, n, sizeof(id), cmp_i64)))
			continue;
		if (unlinkat(r->dir_fd, de->d_name, 0) == 0) {
			r->removed_files++;
			refresh_log(r->ctx, STREAM_INFO, "removed %s: no overlay lists it",
				    de->d_name);
		}
	}
	if (d)
		closedir(d);
	fd = openat(r->dir_fd, "overlays", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	while (d && (de = readdir(d))) {
		int64_t id = name_id(de->d_name, NULL);

		if (!id || (n_ovs && bsearch(&id, ovs, n_ovs, sizeof(id), cmp_i64)))
			continue;
		rmtree_at(fd, de->d_name);
		refresh_log(r->ctx, STREAM_INFO, "removed overlays/%s: no such workshop overlay",
			    de->d_name);
	}
	if (d)
		closedir(d);
	else if (fd >= 0)
		close(fd);
	db_workshop_forget_unreferenced(r->ctx->db, &forgotten);
	free(ids);
	free(ovs);
	return 0;
}

/* ---- the run -------------------------------------------------------------------------------- */

/* The directories, the lock, no leftover temp files.  -1 with err. */
static int open_cache(struct run *r, char *err, size_t errlen)
{
	char *ovdir;
	DIR *d;
	struct dirent *de;
	int fd;

	r->base = xasprintf("%s/workshop_cache", r->cfg->state_dir);
	ovdir = xasprintf("%s/overlays", r->base);
	if ((mkdir(r->base, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(ovdir, 0755) < 0 && errno != EEXIST)) {
		snprintf(err, errlen, "cannot create %s: %s", ovdir, strerror(errno));
		free(ovdir);
		return -1;
	}
	free(ovdir);
	r->dir_fd = open(r->base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r->lock_fd = r->dir_fd < 0 ? -1
				   : openat(r->dir_fd, ".lock",
					    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (r->lock_fd < 0 || flock(r->lock_fd, LOCK_EX) < 0) {
		snprintf(err, errlen, "cannot lock %s/.lock: %s", r->base, strerror(errno));
		return -1;
	}
	/* a killed run's partial downloads (".ID.vpk.tmpPID") */
	fd = openat(r->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* own offset */
	d = fd >= 0 ? fdopendir(fd) : NULL;
	while (d && (de = readdir(d)))
		if (de->d_name[0] == '.' && strstr(de->d_name, ".tmp"))
			unlinkat(r->dir_fd, de->d_name, 0);
	if (d)
		closedir(d);
	return 0;
}

static void run_fini(struct run *r)
{
	if (r->lock_fd >= 0)
		close(r->lock_fd);
	if (r->dir_fd >= 0)
		close(r->dir_fd);
	for (size_t i = 0; i < r->n_coll_replies; i++)
		ws_collections_free(r->colls[i], r->n_colls[i]);
	for (size_t i = 0; i < r->n_det_replies; i++)
		ws_details_free(r->dets[i], r->n_dets[i]);
	free(r->colls);
	free(r->n_colls);
	free(r->dets);
	free(r->n_dets);
	free(r->items);
	free(r->base);
	workshop_overlay_list_free(r->ov, r->n_ov);
}

/* Steam's side: collections, details, the verdicts.  -1 with err. */
static int ask_steam(struct run *r, char *err, size_t errlen)
{
	int64_t *all;

	if (resolve(r, err, errlen) < 0)
		return -1;
	all = xcalloc(r->n_items + 1, sizeof(*all));
	for (size_t i = 0; i < r->n_items; i++)
		all[i] = r->items[i].id;
	if (api_details(r, all, r->n_items, err, errlen) < 0) {
		free(all);
		return -1;
	}
	free(all);
	if (write_resolved(r) < 0) {
		snprintf(err, errlen, "cannot record the collections' items");
		return -1;
	}
	for (size_t i = 0; i < r->n_items; i++)
		judge(r, &r->items[i]);
	return 0;
}

static int write_trees(struct run *r, char *err, size_t errlen)
{
	int ovfd = openat(r->dir_fd, "overlays", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc = 0;

	if (ovfd < 0) {
		snprintf(err, errlen, "cannot open %s/overlays: %s", r->base, strerror(errno));
		return -1;
	}
	for (size_t o = 0; o < r->n_ov; o++) {
		int n_links = 0;

		if (build_tree(r, ovfd, &r->ov[o], &n_links) < 0) {
			snprintf(err, errlen, "cannot write overlays/%" PRId64 ": %s", r->ov[o].id,
				 strerror(errno));
			rc = -1;
			continue;
		}
		refresh_log(r->ctx, STREAM_STEP, "overlay %" PRId64 ": %d vpk%s linked",
			    r->ov[o].id, n_links, n_links == 1 ? "" : "s");
	}
	close(ovfd);
	return rc;
}

int workshop_sync_run(struct refresh_ctx *ctx, const char *target, char *err, size_t errlen)
{
	struct run r = {.ctx = ctx, .cfg = ctx->cfg, .dir_fd = -1, .lock_fd = -1};
	int64_t only = 0;
	int rc = -1, n_errors = 0;

	ctx->deadline = mono_ms() + ctx->cfg->fetcher.refresh_timeout * 1000LL;
	ctx->next_heartbeat = 0;
	if (target && *target && !valid_id(target, &only)) {
		snprintf(err, errlen, "invalid overlay id '%.32s'", target);
		return -1;
	}
	refresh_log(ctx, STREAM_STEP, "sync workshop overlay%s%s", only ? " " : "s",
		    only ? target : " (all)");
	if (open_cache(&r, err, errlen) < 0)
		goto out;
	if (db_workshop_sync_list(ctx->db, only, &r.ov, &r.n_ov) != DB_OK) {
		snprintf(err, errlen, "no workshop overlay %" PRId64, only);
		goto out;
	}
	if (ask_steam(&r, err, errlen) < 0)
		goto out;
	if (fetch(&r) < 0 && (ctx->lost || (ctx->stop && *ctx->stop))) {
		snprintf(err, errlen, "stopped");
		goto out;
	}
	for (size_t i = 0; i < r.n_items; i++) {
		record(&r, &r.items[i]);
		n_errors += r.items[i].error[0] != '\0';
	}
	if (write_trees(&r, err, errlen) < 0)
		goto out;
	if (collect_garbage(&r) < 0)
		refresh_log(ctx, STREAM_STDERR,
			    "the garbage collection could not read the database");
	snprintf(err, errlen,
		 "%zu overlay%s synced: %zu item%s, %d downloaded, %d unchanged, %d with an "
		 "error; %d unused file%s removed; %lld bytes",
		 r.n_ov, r.n_ov == 1 ? "" : "s", r.n_items, r.n_items == 1 ? "" : "s", r.downloaded,
		 r.kept, n_errors, r.removed_files, r.removed_files == 1 ? "" : "s",
		 (long long)r.bytes);
	rc = 0;
out:
	run_fini(&r);
	return rc;
}
