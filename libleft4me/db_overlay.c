/* Overlays; see db_overlay.h. */
#include "db_overlay.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_job.h"
#include "db_workshop.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

void overlay_fini(struct overlay *o)
{
	if (!o)
		return;
	free(o->user_name);
	free(o->name);
	free(o->kind);
	free(o->build_script);
	free(o->source_name);
	free(o->build_status);
	memset(o, 0, sizeof(*o));
}

void overlay_list_free(struct overlay *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		overlay_fini(&list[i]);
	free(list);
}

static bool script_ok(const char *s)
{
	size_t len;

	if (!s)
		return true;
	len = strlen(s);
	return len <= OVERLAY_SCRIPT_MAX && valid_utf8(s, len);
}

int db_overlay_create(sqlite3 *db, int64_t user_id, const char *name, const char *build_script,
		      int64_t *id)
{
	static const char sql[] =
	    "INSERT INTO overlays (user_id, name, kind, build_script, build_status, "
	    "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) RETURNING id";
	bool script = build_script && build_script[0];
	sqlite3_stmt *st;

	if (user_id <= 0 || !valid_display_name(name) || !script_ok(build_script))
		return DB_INVALID;
	st = db_prepare(db, sql);
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, script ? "script" : "user", -1, SQLITE_STATIC);
	db_bind_text_or_null(st, 4, script ? build_script : NULL);
	db_bind_text_or_null(st, 5, script ? "never" : NULL);
	sqlite3_bind_int64(st, 6, now_ms());
	return db_step_insert(db, st, id, "overlay create");
}

#define OV_COLUMNS                                                                                 \
	"o.id, o.user_id, u.name, o.name, o.kind, o.build_script, o.source_id, s.name, "           \
	"o.build_status, o.built_at, o.created_at, o.updated_at "
#define OV_FROM                                                                                    \
	"FROM overlays o LEFT JOIN users u ON u.id = o.user_id "                                   \
	"LEFT JOIN global_overlay_sources s ON s.id = o.source_id "

static void row_to_overlay(sqlite3_stmt *st, struct overlay *o)
{
	memset(o, 0, sizeof(*o));
	o->id = sqlite3_column_int64(st, 0);
	o->user_id = sqlite3_column_int64(st, 1);
	o->user_name = db_column_strdup(st, 2);
	o->name = db_column_strdup(st, 3);
	o->kind = db_column_strdup(st, 4);
	o->build_script = db_column_strdup(st, 5);
	o->source_id = sqlite3_column_int64(st, 6);
	o->source_name = db_column_strdup(st, 7);
	o->build_status = db_column_strdup(st, 8);
	o->built_at = sqlite3_column_int64(st, 9);
	o->created_at = sqlite3_column_int64(st, 10);
	o->updated_at = sqlite3_column_int64(st, 11);
	if (!o->kind)
		o->kind = xstrdup("user");
}

int db_overlay_get(sqlite3 *db, int64_t id, struct overlay *out)
{
	static const char sql[] = "SELECT " OV_COLUMNS OV_FROM "WHERE o.id = ?";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	rc = db_step_one(db, st, "overlay get");
	if (rc == DB_OK)
		row_to_overlay(st, out);
	sqlite3_finalize(st);
	return rc;
}

int db_overlay_list(sqlite3 *db, int64_t user_id, bool with_global, struct overlay **list,
		    size_t *n)
{
	static const char sql[] = "SELECT " OV_COLUMNS OV_FROM
				  "WHERE (o.kind <> 'global' AND (?1 = 0 OR o.user_id = ?1)) "
				  "OR (?2 AND o.kind = 'global') "
				  "ORDER BY o.kind = 'global' DESC, o.name, o.id";
	sqlite3_stmt *st = db_prepare(db, sql);
	struct overlay *out = NULL;
	size_t count = 0, cap = 0;
	int rc;

	*list = NULL;
	*n = 0;
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int(st, 2, with_global ? 1 : 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			out = xreallocarray(out, cap, sizeof(*out));
		}
		row_to_overlay(st, &out[count++]);
	}
	rc = db_rc_from(db, rc, "overlay list");
	sqlite3_finalize(st);
	if (rc != DB_OK) {
		overlay_list_free(out, count);
		return rc;
	}
	*list = out;
	*n = count;
	return DB_OK;
}

int db_overlay_update(sqlite3 *db, int64_t id, const char *name, const char *build_script)
{
	/* build_status becomes 'never' when a user overlay gains a script.  A
	 * workshop overlay stays one: a script for it fails the CHECK
	 * (kind = 'script' OR build_script IS NULL), DB_INVALID. */
	static const char sql[] =
	    "UPDATE overlays SET name = ?1, "
	    "kind = CASE WHEN kind = 'workshop' THEN kind ELSE ?2 END, build_script = ?3, "
	    "build_status = CASE WHEN ?2 = 'script' THEN coalesce(build_status, 'never') "
	    "ELSE NULL END, updated_at = ?4 WHERE id = ?5 AND kind <> 'global'";
	bool script = build_script && build_script[0];
	sqlite3_stmt *st;
	int rc;

	if (!valid_display_name(name) || !script_ok(build_script))
		return DB_INVALID;
	st = db_prepare(db, sql);
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, script ? "script" : "user", -1, SQLITE_STATIC);
	db_bind_text_or_null(st, 3, script ? build_script : NULL);
	sqlite3_bind_int64(st, 4, now_ms());
	sqlite3_bind_int64(st, 5, id);
	rc = db_step_change(db, st, "overlay update");
	return rc;
}

int db_overlay_delete(sqlite3 *db, int64_t id)
{
	static const char sql[] = "DELETE FROM overlays WHERE id = ? AND kind <> 'global' "
				  "RETURNING user_id, kind = 'workshop'";
	struct job_request req = {.kind = JOB_DELETE_OVERLAY};
	char target[24];
	int64_t job;
	sqlite3_stmt *st;
	bool nested, workshop = false;
	int rc = db_tx_begin(db, &nested);

	if (rc != DB_OK)
		return rc;
	st = db_prepare(db, sql);
	if (!st)
		return db_tx_end(db, nested, DB_ERROR);
	sqlite3_bind_int64(st, 1, id);
	/* A blueprint's link (ON DELETE RESTRICT) refuses it here: DB_INVALID. */
	rc = db_step_one(db, st, "overlay delete");
	if (rc == DB_OK) {
		req.user_id = sqlite3_column_int64(st, 0);
		workshop = sqlite3_column_int(st, 1) != 0;
		rc = db_rc_from(db, sqlite3_step(st), "overlay delete");
	}
	sqlite3_finalize(st);
	/* The row and the job that removes its directory go together: the
	 * worker (user left4me) can empty what the web, the worker and the
	 * sandbox wrote there (docs/SECURITY.md, "Shared overlays"). */
	/* A workshop overlay's tree is the fetcher's (workshop_cache/): a
	 * sync of every workshop overlay removes it and collects the cache
	 * files no overlay uses any more. */
	if (rc == DB_OK && workshop)
		return db_tx_end(db, nested,
				 db_workshop_enqueue_sync(db, 0, req.user_id, &job, NULL));
	if (rc == DB_OK) {
		snprintf(target, sizeof(target), "%" PRId64, id);
		req.target = target;
		rc = db_job_enqueue(db, &req, &job, NULL);
	}
	return db_tx_end(db, nested, rc);
}
