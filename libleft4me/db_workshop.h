/* Workshop overlays (issue 15): overlays rows of kind 'workshop', their
 * lists (overlay_workshop) and what Steam said about each item
 * (workshop_items), all in migration 5 of db_schema.c.
 *
 * Who calls what:
 *   left4me-web, left4mectl  db_workshop_create, db_workshop_set_ids,
 *                            db_workshop_listed_ids, db_workshop_items,
 *                            db_workshop_enqueue_sync (rename and delete
 *                            go through db_overlay_update/_delete like any
 *                            user overlay; listing through db_overlay_list)
 *   left4me-fetcher          the sync functions at the end
 *
 * Ids come from workshop_ids.h (parse what people type there first); the
 * list's length is bounded by the caller's fetcher.workshop.max_ids
 * (passed as max: more is DB_INVALID).  Creating or changing a list
 * queues a sync_workshop job for the overlay in the same transaction, so
 * the new items appear without a separate "sync" step.
 *
 * On disk (the fetcher's, STATE/workshop_cache/):
 *   ID.vpk                     one copy per item, shared by every overlay
 *   ID.preview                 its preview image (workshop_items.preview_type
 *                              is its Content-Type; serve it, never hotlink)
 *   overlays/OVID/left4dead2/addons/ID.vpk
 *                              the overlay's tree: absolute symlinks to
 *                              STATE/workshop_cache/ID.vpk; this directory
 *                              is the overlay's lowerdir (the worker's
 *                              initialize) and what its file browser shows
 * A workshop overlay has no STATE/overlays/ID: nothing is uploaded into it
 * and it has no build script. */
#ifndef LEFT4ME_DB_WORKSHOP_H
#define LEFT4ME_DB_WORKSHOP_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One row of an overlay's list joined with what is known of the item. */
struct workshop_item {
	int64_t published_id;
	int64_t via;	      /* 0: listed by the user; else the listed collection it came from */
	int64_t position;     /* order within its via (the user's order for via 0) */
	bool is_collection;   /* a collection: its items follow as via = published_id rows */
	char *title;	      /* NULL until synced */
	int64_t file_size;    /* bytes Steam announced, 0 unknown */
	int64_t time_updated; /* unix seconds Steam says it last changed, 0 unknown */
	int64_t app_id;	      /* consumer_app_id, 0 unknown */
	char *state;	      /* "pending", "ok" or "error" */
	char *error;	      /* NULL, or one line: why state is error */
	int64_t checked_at;   /* unix ms of the last sync that asked Steam, 0 never */
	int64_t cached_at;    /* unix ms the cached vpk was written, 0: none */
	int64_t cached_time_updated; /* time_updated of the cached copy, 0: none */
	int64_t cached_size;	     /* its size */
	char *preview_type;	     /* Content-Type of workshop_cache/ID.preview, NULL: none */
};

void workshop_item_fini(struct workshop_item *it);
void workshop_item_list_free(struct workshop_item *list, size_t n);

/* The Workshop page of an item (for a link): buf gets
 * https://steamcommunity.com/sharedfiles/filedetails/?id=ID. */
void workshop_page_url(int64_t published_id, char *buf, size_t len);

/* A new overlay of kind 'workshop' for user_id named name (a display
 * name) listing ids[0..n) (each 1..WORKSHOP_ID_MAX, no duplicates, n <=
 * max; n may be 0), plus a queued sync_workshop job for it (the user's),
 * all in one transaction.  *id gets the overlay id, *job (may be NULL)
 * the job's (0 when n is 0: nothing to sync).  DB_INVALID for a bad name,
 * id, duplicate or a list longer than max. */
int db_workshop_create(sqlite3 *db, int64_t user_id, const char *name, const int64_t *ids, size_t n,
		       size_t max, int64_t *id, int64_t *job);

/* Replace the user's list of a workshop overlay (order as given) and
 * queue a sync (*job may be NULL; a sync already queued for it is
 * reused).  Items resolved from a collection that stays listed are kept
 * until the sync; those of a collection no longer listed go now.
 * DB_NOTFOUND when id is not a workshop overlay; DB_INVALID as for
 * create. */
int db_workshop_set_ids(sqlite3 *db, int64_t id, const int64_t *ids, size_t n, size_t max,
			int64_t *job);

/* The user's list (via 0), in order.  *ids malloc'd (NULL when *n is 0).
 * DB_NOTFOUND when id is not a workshop overlay. */
int db_workshop_listed_ids(sqlite3 *db, int64_t id, int64_t **ids, size_t *n);

/* Every row of the overlay's list with its item: each listed entry in the
 * user's order, a collection's resolved items right after it in the
 * collection's order.  DB_NOTFOUND when id is not a workshop overlay. */
int db_workshop_items(sqlite3 *db, int64_t id, struct workshop_item **items, size_t *n);

/* One item by id (whether or not an overlay lists it): DB_NOTFOUND when
 * unknown.  For the web's preview route: check the caller may see an
 * overlay listing it first (db_workshop_overlay_lists). */
int db_workshop_item_get(sqlite3 *db, int64_t published_id, struct workshop_item *out);
/* *lists is true when overlay id's list (any via) holds published_id. */
int db_workshop_overlay_lists(sqlite3 *db, int64_t id, int64_t published_id, bool *lists);

/* Queue a sync_workshop job: overlay_id > 0 syncs that workshop overlay
 * (DB_NOTFOUND if it is none), 0 syncs every workshop overlay and then
 * collects the cache's garbage (the refresh timer's, a system job when
 * user_id is 0).  Coalesced: a sync of the same target already queued is
 * returned (*coalesced set; may be NULL). */
int db_workshop_enqueue_sync(sqlite3 *db, int64_t overlay_id, int64_t user_id, int64_t *job,
			     bool *coalesced);

/* ---- left4me-fetcher's side (the sync) ---------------------------------- */

/* A workshop overlay to sync: its id and the user's list. */
struct workshop_overlay {
	int64_t id;
	int64_t *ids;
	size_t n_ids;
};
void workshop_overlay_list_free(struct workshop_overlay *v, size_t n);
/* The workshop overlay only (> 0; DB_NOTFOUND if it is none) or every
 * one (0), by id. */
int db_workshop_sync_list(sqlite3 *db, int64_t only, struct workshop_overlay **v, size_t *n);

/* Replace the via rows of overlay id for the listed collection via with
 * ids[0..n) in order (items and nested collections, flattened); each gets
 * a workshop_items row if it has none. */
int db_workshop_set_resolved(sqlite3 *db, int64_t id, int64_t via, const int64_t *ids, size_t n);

/* What a sync learnt of an item from Steam (NULL strings: keep). */
struct workshop_item_update {
	int64_t published_id;
	bool is_collection;
	const char *title;
	int64_t file_size, time_updated, app_id;
	const char *file_url, *preview_url;
	const char *state; /* "ok", "error" or "pending" */
	const char *error; /* NULL: none */
};
int db_workshop_item_update(sqlite3 *db, const struct workshop_item_update *u);
/* The cached vpk is now the copy of time_updated, size bytes (written
 * now), or gone (time_updated 0: the cached_* columns become NULL). */
int db_workshop_item_cached(sqlite3 *db, int64_t published_id, int64_t time_updated, int64_t size);
/* The preview image is cached with this Content-Type (NULL: none). */
int db_workshop_item_preview(sqlite3 *db, int64_t published_id, const char *type);

/* Every published id any overlay lists or resolved (sorted, unique) and
 * every workshop overlay id (sorted): what the garbage collection keeps. */
int db_workshop_referenced(sqlite3 *db, int64_t **ids, size_t *n, int64_t **overlays,
			   size_t *n_overlays);
/* Delete workshop_items rows no overlay lists; *deleted (may be NULL)
 * gets the count. */
int db_workshop_forget_unreferenced(sqlite3 *db, int *deleted);

#endif
