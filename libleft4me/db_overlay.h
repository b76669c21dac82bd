/* Overlays (table overlays) as left4me-web writes them: 'user' rows (files
 * uploaded by hand) and 'script' rows (built by their build_script); (global
 * rows and their tables are db_global.h's).
 * Writers: left4me-web (user/script rows), left4me-fetcher (global rows and
 * global_overlay_*), left4me-worker (build_status, built_at). */
#ifndef LEFT4ME_DB_OVERLAY_H
#define LEFT4ME_DB_OVERLAY_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OVERLAY_SCRIPT_MAX 1048576

struct overlay {
	int64_t id;
	int64_t user_id; /* 0 for a global overlay */
	char *user_name; /* NULL for a global overlay */
	char *name;
	char *kind;	    /* "user", "script", "global" or "workshop" (db_workshop.h) */
	char *build_script; /* NULL unless kind is "script" */
	int64_t source_id;  /* global: its source */
	char *source_name;  /* global: its source's name */
	char *build_status; /* NULL, "never", "building", "ok", "failed" */
	int64_t built_at;
	int64_t created_at, updated_at;
};

void overlay_fini(struct overlay *o);
void overlay_list_free(struct overlay *list, size_t n);

/* A non-empty build_script makes a 'script' overlay (build_status 'never'),
 * NULL or "" a 'user' overlay.  DB_INVALID for a bad name or script. */
int db_overlay_create(sqlite3 *db, int64_t user_id, const char *name, const char *build_script,
		      int64_t *id);
int db_overlay_get(sqlite3 *db, int64_t id, struct overlay *out);
/* user_id's overlays (0: every user's), plus the global ones when
 * with_global; ordered global first, then by name. */
int db_overlay_list(sqlite3 *db, int64_t user_id, bool with_global, struct overlay **list,
		    size_t *n);
/* Rename and set the script (which may turn a user overlay into a script
 * overlay and back).  DB_NOTFOUND for a missing or global overlay.  A
 * workshop overlay is only renamed: a script for it is DB_INVALID. */
int db_overlay_update(sqlite3 *db, int64_t id, const char *name, const char *build_script);
/* Delete the row and, in the same transaction, queue a delete_overlay
 * job (the owner's) for the worker to remove STATE/overlays/ID.
 * DB_INVALID while a blueprint links it (nothing changes); DB_NOTFOUND
 * for a missing or global overlay.  Ids are never reused (migration 2).
 * A workshop overlay queues a sync_workshop job of every workshop overlay
 * instead (the fetcher removes its tree and unused cache files). */
int db_overlay_delete(sqlite3 *db, int64_t id);

#endif
