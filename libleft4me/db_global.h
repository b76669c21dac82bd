/* Global overlays: the global_overlay_sources / _items / _item_files tables
 * and the kind 'global' rows of overlays (one per source).  left4me-fetcher
 * is the only writer; the web lists them and the worker's initialize asks
 * db_global_source_complete() before it links a global overlay.
 * Values from upstream (names, URLs, ETags) are stored as given after the
 * fetcher validated them; readers re-validate what they use as paths. */
#ifndef LEFT4ME_DB_GLOBAL_H
#define LEFT4ME_DB_GLOBAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct global_source {
	int64_t id;
	int64_t overlay_id; /* the overlays row of kind 'global', 0 if none yet */
	char *name;
	char *kind; /* json_index, url_list, html_index */
	char *url;  /* NULL for url_list */
	bool complete;
	int64_t items_expected, items_present;
	int64_t last_refresh_at, last_success_at; /* unix ms, 0 = never */
	char *last_error;			  /* NULL after a clean refresh */
	char *index_etag, *index_last_modified;
};

void global_source_fini(struct global_source *s);
void global_source_list_free(struct global_source *list, size_t n);

/* Create the source row (or update kind and url of an existing one) and its
 * overlay row of kind 'global' named after it.  *id gets the source id. */
int db_global_source_ensure(sqlite3 *db, const char *name, const char *kind, const char *url,
			    int64_t *id);
/* DB_NOTFOUND when no such source. */
int db_global_source_get(sqlite3 *db, const char *name, struct global_source *out);
/* Every source, by name. */
int db_global_source_list(sqlite3 *db, struct global_source **list, size_t *n);
/* For the worker's initialize: *complete is false for an unknown source. */
int db_global_source_complete(sqlite3 *db, const char *name, bool *complete);

/* Remember the index validators after a successful index fetch. */
int db_global_source_set_index(sqlite3 *db, int64_t id, const char *etag,
			       const char *last_modified);

struct global_source_status {
	bool success;	   /* the refresh ran without a source-level error */
	const char *error; /* NULL, or one line (stored as last_error) */
	bool complete;
	int64_t items_expected, items_present;
};
/* After a refresh: counts, completeness, last_refresh_at (and
 * last_success_at when success). */
int db_global_source_set_status(sqlite3 *db, int64_t id, const struct global_source_status *st);

enum global_item_state { GITEM_PENDING, GITEM_OK, GITEM_FAILED };
const char *global_item_state_name(enum global_item_state s);

struct global_file {
	char *path; /* a file name in the source's cache/ (no '/') */
	int64_t size;
	char *md5; /* lower-case hex, or NULL */
};

struct global_item {
	int64_t id;
	char *name; /* json_index: the vpk name; else the archive's file name */
	char *url;
	int64_t size; /* -1 when unknown */
	char *md5;    /* expected md5 of the vpk (lower-case), or NULL */
	char *etag, *last_modified;
	enum global_item_state state;
	char *error;
	int64_t fetched_at;
	struct global_file *files;
	size_t n_files;
};

void global_item_fini(struct global_item *it);
void global_item_list_free(struct global_item *items, size_t n);

/* Every item of a source with its files, by name. */
int db_global_item_list(sqlite3 *db, int64_t source_id, struct global_item **items, size_t *n);
/* Insert or update (url, size, md5) an item by name; a changed url forgets
 * the stored ETag / Last-Modified.  *id gets the item id. */
int db_global_item_upsert(sqlite3 *db, int64_t source_id, const char *name, const char *url,
			  int64_t size, const char *md5, int64_t *id);
/* Mark an item pending (before its files in the cache are replaced). */
int db_global_item_set_pending(sqlite3 *db, int64_t id);
/* The item's files now are exactly files[0..n): state ok, validators
 * stored, error cleared.  One transaction. */
int db_global_item_set_ok(sqlite3 *db, int64_t id, const char *etag, const char *last_modified,
			  const struct global_file *files, size_t n);
/* Record a failed download or extraction; files stay as they are. */
int db_global_item_set_failed(sqlite3 *db, int64_t id, const char *error);
/* Refreshed and unchanged (304 or same md5): state ok, error cleared. */
int db_global_item_set_unchanged(sqlite3 *db, int64_t id);
/* Drop an item and its file rows. */
int db_global_item_delete(sqlite3 *db, int64_t id);

#endif
