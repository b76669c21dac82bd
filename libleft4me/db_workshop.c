/* Workshop overlays; see db_workshop.h.  All SQL for workshop_items and
 * overlay_workshop lives here. */
#include "db_workshop.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_job.h"
#include "timeutil.h"
#include "validate.h"
#include "workshop_ids.h"
#include "xalloc.h"

#define SYNC_COALESCE "sync_workshop"

void workshop_item_fini(struct workshop_item *it)
{
	if (!it)
		return;
	free(it->title);
	free(it->state);
	free(it->error);
	free(it->preview_type);
	memset(it, 0, sizeof(*it));
}

void workshop_item_list_free(struct workshop_item *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		workshop_item_fini(&list[i]);
	free(list);
}

void workshop_page_url(int64_t published_id, char *buf, size_t len)
{
	snprintf(buf, len, "https://steamcommunity.com/sharedfiles/filedetails/?id=%" PRId64,
		 published_id);
}

/* ids: each in range, no duplicates, at most max. */
static bool ids_ok(const int64_t *ids, size_t n, size_t max)
{
	if (n > max || (n && !ids))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (ids[i] <= 0 || ids[i] > WORKSHOP_ID_MAX)
			return false;
		for (size_t j = 0; j < i; j++)
			if (ids[j] == ids[i])
				return false;
	}
	return true;
}

static int is_workshop(sqlite3 *db, int64_t id)
{
	static const char sql[] = "SELECT 1 FROM overlays WHERE id = ? AND kind = 'workshop'";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	rc = db_step_one(db, st, "workshop overlay");
	sqlite3_finalize(st);
	return rc;
}

/* The via 0 rows of id become ids; each id gets a pending workshop_items
 * row unless it has one.  Rows resolved from a collection no longer
 * listed go. */
static int write_list(sqlite3 *db, int64_t id, const int64_t *ids, size_t n)
{
	static const char ins_sql[] =
	    "INSERT INTO overlay_workshop (overlay_id, via, published_id, "
	    "position) VALUES (?, 0, ?, ?)";
	static const char item_sql[] = "INSERT INTO workshop_items (published_id, created_at) "
				       "VALUES (?, ?) ON CONFLICT (published_id) DO NOTHING";
	static const char orphan_sql[] =
	    "DELETE FROM overlay_workshop WHERE overlay_id = ?1 AND via <> 0 AND via NOT IN "
	    "(SELECT published_id FROM overlay_workshop WHERE overlay_id = ?1 AND via = 0)";
	sqlite3_stmt *st;
	int rc;

	/* the old list goes first (only its via 0 rows: resolved items stay) */
	st = db_prepare(db, "DELETE FROM overlay_workshop WHERE overlay_id = ? AND via = 0");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	rc = db_step_change(db, st, "workshop list clear");
	if (rc != DB_OK && rc != DB_NOTFOUND)
		return rc;
	for (size_t i = 0; i < n; i++) {
		st = db_prepare(db, ins_sql);
		if (!st)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, ids[i]);
		sqlite3_bind_int64(st, 3, (int64_t)i);
		rc = db_step_change(db, st, "workshop list add");
		if (rc != DB_OK)
			return rc;
		st = db_prepare(db, item_sql);
		if (!st)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int64(st, 2, now_ms());
		rc = db_step_change(db, st, "workshop item add");
		if (rc != DB_OK && rc != DB_NOTFOUND)
			return rc;
	}
	st = db_prepare(db, orphan_sql);
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	rc = db_step_change(db, st, "workshop list prune");
	return rc == DB_NOTFOUND ? DB_OK : rc;
}

static int enqueue(sqlite3 *db, int64_t overlay_id, int64_t user_id, int64_t *job, bool *coalesced)
{
	char target[24] = "", key[48];
	struct job_request req = {.kind = JOB_SYNC_WORKSHOP, .user_id = user_id};
	int64_t dummy;

	if (overlay_id > 0)
		snprintf(target, sizeof(target), "%" PRId64, overlay_id);
	snprintf(key, sizeof(key), SYNC_COALESCE ":%s", target);
	req.target = target;
	req.coalesce_key = key;
	return db_job_enqueue(db, &req, job ? job : &dummy, coalesced);
}

int db_workshop_create(sqlite3 *db, int64_t user_id, const char *name, const int64_t *ids, size_t n,
		       size_t max, int64_t *id, int64_t *job)
{
	static const char sql[] = "INSERT INTO overlays (user_id, name, kind, created_at, "
				  "updated_at) VALUES (?1, ?2, 'workshop', ?3, ?3) RETURNING id";
	sqlite3_stmt *st;
	bool nested;
	int rc;

	if (job)
		*job = 0;
	if (user_id <= 0 || !valid_display_name(name) || !ids_ok(ids, n, max))
		return DB_INVALID;
	rc = db_tx_begin(db, &nested);
	if (rc != DB_OK)
		return rc;
	st = db_prepare(db, sql);
	if (!st)
		return db_tx_end(db, nested, DB_ERROR);
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms());
	rc = db_step_insert(db, st, id, "workshop overlay create");
	if (rc == DB_OK)
		rc = write_list(db, *id, ids, n);
	if (rc == DB_OK && n)
		rc = enqueue(db, *id, user_id, job, NULL);
	return db_tx_end(db, nested, rc);
}

int db_workshop_set_ids(sqlite3 *db, int64_t id, const int64_t *ids, size_t n, size_t max,
			int64_t *job)
{
	static const char owner_sql[] = "UPDATE overlays SET updated_at = ? WHERE id = ? AND "
					"kind = 'workshop' RETURNING user_id";
	sqlite3_stmt *st;
	int64_t user_id = 0;
	bool nested;
	int rc;

	if (job)
		*job = 0;
	if (!ids_ok(ids, n, max))
		return DB_INVALID;
	rc = db_tx_begin(db, &nested);
	if (rc != DB_OK)
		return rc;
	st = db_prepare(db, owner_sql);
	if (!st)
		return db_tx_end(db, nested, DB_ERROR);
	sqlite3_bind_int64(st, 1, now_ms());
	sqlite3_bind_int64(st, 2, id);
	rc = db_step_one(db, st, "workshop overlay");
	if (rc == DB_OK) {
		user_id = sqlite3_column_int64(st, 0);
		rc = db_rc_from(db, sqlite3_step(st), "workshop overlay");
	}
	sqlite3_finalize(st);
	if (rc == DB_OK)
		rc = write_list(db, id, ids, n);
	if (rc == DB_OK)
		rc = enqueue(db, id, user_id, job, NULL);
	return db_tx_end(db, nested, rc);
}

int db_workshop_listed_ids(sqlite3 *db, int64_t id, int64_t **ids, size_t *n)
{
	static const char sql[] = "SELECT published_id FROM overlay_workshop WHERE overlay_id = ? "
				  "AND via = 0 ORDER BY position";
	sqlite3_stmt *st;
	int64_t *v = NULL;
	size_t count = 0, cap = 0;
	int rc;

	*ids = NULL;
	*n = 0;
	rc = is_workshop(db, id);
	if (rc != DB_OK)
		return rc;
	st = db_prepare(db, sql);
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[count++] = sqlite3_column_int64(st, 0);
	}
	rc = db_rc_from(db, rc, "workshop list");
	sqlite3_finalize(st);
	if (rc != DB_OK) {
		free(v);
		return rc;
	}
	*ids = v;
	*n = count;
	return DB_OK;
}

#define ITEM_COLUMNS                                                                               \
	"i.published_id, i.is_collection, i.title, i.file_size, i.time_updated, i.app_id, "        \
	"i.state, i.error, i.checked_at, i.cached_at, i.cached_time_updated, i.cached_size, "      \
	"i.preview_type "

static void row_to_item(sqlite3_stmt *st, int col, struct workshop_item *it)
{
	it->published_id = sqlite3_column_int64(st, col);
	it->is_collection = sqlite3_column_int(st, col + 1) != 0;
	it->title = db_column_strdup(st, col + 2);
	it->file_size = sqlite3_column_int64(st, col + 3);
	it->time_updated = sqlite3_column_int64(st, col + 4);
	it->app_id = sqlite3_column_int64(st, col + 5);
	it->state = db_column_strdup(st, col + 6);
	it->error = db_column_strdup(st, col + 7);
	it->checked_at = sqlite3_column_int64(st, col + 8);
	it->cached_at = sqlite3_column_int64(st, col + 9);
	it->cached_time_updated = sqlite3_column_int64(st, col + 10);
	it->cached_size = sqlite3_column_int64(st, col + 11);
	it->preview_type = db_column_strdup(st, col + 12);
	if (!it->state)
		it->state = xstrdup("pending");
}

int db_workshop_items(sqlite3 *db, int64_t id, struct workshop_item **items, size_t *n)
{
	/* each listed entry (p) in the user's order, then its resolved rows */
	static const char sql[] =
	    "SELECT w.via, w.position, " ITEM_COLUMNS "FROM overlay_workshop w "
	    "LEFT JOIN overlay_workshop p ON p.overlay_id = w.overlay_id AND p.via = 0 "
	    "  AND p.published_id = w.via "
	    "LEFT JOIN workshop_items i ON i.published_id = w.published_id "
	    "WHERE w.overlay_id = ? "
	    "ORDER BY coalesce(p.position, w.position), w.via <> 0, w.position";
	struct workshop_item *v = NULL;
	size_t count = 0, cap = 0;
	sqlite3_stmt *st;
	int rc;

	*items = NULL;
	*n = 0;
	rc = is_workshop(db, id);
	if (rc != DB_OK)
		return rc;
	st = db_prepare(db, sql);
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct workshop_item *it;

		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		it = &v[count++];
		memset(it, 0, sizeof(*it));
		it->via = sqlite3_column_int64(st, 0);
		it->position = sqlite3_column_int64(st, 1);
		row_to_item(st, 2, it);
	}
	rc = db_rc_from(db, rc, "workshop items");
	sqlite3_finalize(st);
	if (rc != DB_OK) {
		workshop_item_list_free(v, count);
		return rc;
	}
	*items = v;
	*n = count;
	return DB_OK;
}

int db_workshop_item_get(sqlite3 *db, int64_t published_id, struct workshop_item *out)
{
	static const char sql[] = "SELECT " ITEM_COLUMNS "FROM workshop_items i "
				  "WHERE i.published_id = ?";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, published_id);
	rc = db_step_one(db, st, "workshop item");
	if (rc == DB_OK)
		row_to_item(st, 0, out);
	sqlite3_finalize(st);
	return rc;
}

int db_workshop_overlay_lists(sqlite3 *db, int64_t id, int64_t published_id, bool *lists)
{
	static const char sql[] =
	    "SELECT 1 FROM overlay_workshop WHERE overlay_id = ? AND published_id = ? LIMIT 1";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	*lists = false;
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, published_id);
	rc = db_step_one(db, st, "workshop lists");
	sqlite3_finalize(st);
	if (rc == DB_OK)
		*lists = true;
	return rc == DB_NOTFOUND ? DB_OK : rc;
}

int db_workshop_enqueue_sync(sqlite3 *db, int64_t overlay_id, int64_t user_id, int64_t *job,
			     bool *coalesced)
{
	int rc;

	if (coalesced)
		*coalesced = false;
	if (overlay_id < 0)
		return DB_INVALID;
	if (overlay_id > 0) {
		rc = is_workshop(db, overlay_id);
		if (rc != DB_OK)
			return rc;
	}
	return enqueue(db, overlay_id, user_id, job, coalesced);
}

/* ---- the fetcher's side ---------------------------------------------- */

void workshop_overlay_list_free(struct workshop_overlay *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].ids);
	free(v);
}

int db_workshop_sync_list(sqlite3 *db, int64_t only, struct workshop_overlay **v, size_t *n)
{
	static const char sql[] = "SELECT id FROM overlays WHERE kind = 'workshop' AND "
				  "(?1 = 0 OR id = ?1) ORDER BY id";
	struct workshop_overlay *out = NULL;
	size_t count = 0, cap = 0;
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	*v = NULL;
	*n = 0;
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, only);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 8;
			out = xreallocarray(out, cap, sizeof(*out));
		}
		memset(&out[count], 0, sizeof(*out));
		out[count++].id = sqlite3_column_int64(st, 0);
	}
	rc = db_rc_from(db, rc, "workshop sync list");
	sqlite3_finalize(st);
	for (size_t i = 0; rc == DB_OK && i < count; i++)
		rc = db_workshop_listed_ids(db, out[i].id, &out[i].ids, &out[i].n_ids);
	if (rc == DB_OK && only && count == 0)
		rc = DB_NOTFOUND;
	if (rc != DB_OK) {
		workshop_overlay_list_free(out, count);
		return rc;
	}
	*v = out;
	*n = count;
	return DB_OK;
}

static int ensure_item(sqlite3 *db, int64_t published_id)
{
	static const char sql[] = "INSERT INTO workshop_items (published_id, created_at) "
				  "VALUES (?, ?) ON CONFLICT (published_id) DO NOTHING";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, published_id);
	sqlite3_bind_int64(st, 2, now_ms());
	rc = db_step_change(db, st, "workshop item add");
	return rc == DB_NOTFOUND ? DB_OK : rc;
}

int db_workshop_set_resolved(sqlite3 *db, int64_t id, int64_t via, const int64_t *ids, size_t n)
{
	static const char del_sql[] =
	    "DELETE FROM overlay_workshop WHERE overlay_id = ? AND via = ?";
	static const char ins_sql[] =
	    "INSERT INTO overlay_workshop (overlay_id, via, published_id, "
	    "position) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING";
	sqlite3_stmt *st;
	bool nested;
	int rc;

	if (via <= 0)
		return DB_INVALID;
	rc = db_tx_begin(db, &nested);
	if (rc != DB_OK)
		return rc;
	st = db_prepare(db, del_sql);
	if (!st)
		return db_tx_end(db, nested, DB_ERROR);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, via);
	rc = db_step_change(db, st, "workshop resolved clear");
	if (rc == DB_NOTFOUND)
		rc = DB_OK;
	for (size_t i = 0; rc == DB_OK && i < n; i++) {
		rc = ensure_item(db, ids[i]);
		if (rc != DB_OK)
			break;
		st = db_prepare(db, ins_sql);
		if (!st) {
			rc = DB_ERROR;
			break;
		}
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, via);
		sqlite3_bind_int64(st, 3, ids[i]);
		sqlite3_bind_int64(st, 4, (int64_t)i);
		rc = db_step_change(db, st, "workshop resolved add");
		if (rc == DB_NOTFOUND)
			rc = DB_OK;
	}
	return db_tx_end(db, nested, rc);
}

int db_workshop_item_update(sqlite3 *db, const struct workshop_item_update *u)
{
	static const char sql[] =
	    "UPDATE workshop_items SET is_collection = ?2, title = coalesce(?3, title), "
	    "file_size = ?4, time_updated = ?5, app_id = ?6, "
	    "file_url = coalesce(?7, file_url), preview_url = coalesce(?8, preview_url), "
	    "state = ?9, error = ?10, checked_at = ?11 WHERE published_id = ?1";
	sqlite3_stmt *st;
	int rc;

	rc = ensure_item(db, u->published_id);
	if (rc != DB_OK)
		return rc;
	st = db_prepare(db, sql);
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, u->published_id);
	sqlite3_bind_int(st, 2, u->is_collection ? 1 : 0);
	db_bind_text_or_null(st, 3, u->title);
	if (u->file_size >= 0)
		sqlite3_bind_int64(st, 4, u->file_size);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, u->time_updated);
	sqlite3_bind_int64(st, 6, u->app_id);
	db_bind_text_or_null(st, 7, u->file_url);
	db_bind_text_or_null(st, 8, u->preview_url);
	sqlite3_bind_text(st, 9, u->state ? u->state : "pending", -1, SQLITE_STATIC);
	db_bind_text_or_null(st, 10, u->error);
	sqlite3_bind_int64(st, 11, now_ms());
	return db_step_change(db, st, "workshop item update");
}

int db_workshop_item_cached(sqlite3 *db, int64_t published_id, int64_t time_updated, int64_t size)
{
	static const char sql[] =
	    "UPDATE workshop_items SET cached_time_updated = ?2, cached_size = ?3, "
	    "cached_at = ?4 WHERE published_id = ?1";
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, published_id);
	if (time_updated > 0) {
		sqlite3_bind_int64(st, 2, time_updated);
		sqlite3_bind_int64(st, 3, size);
		sqlite3_bind_int64(st, 4, now_ms());
	}
	return db_step_change(db, st, "workshop item cached");
}

int db_workshop_item_preview(sqlite3 *db, int64_t published_id, const char *type)
{
	static const char sql[] =
	    "UPDATE workshop_items SET preview_type = ?2 WHERE published_id = ?1";
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, published_id);
	db_bind_text_or_null(st, 2, type);
	return db_step_change(db, st, "workshop item preview");
}

static int read_ids(sqlite3 *db, const char *sql, int64_t **ids, size_t *n)
{
	sqlite3_stmt *st = db_prepare(db, sql);
	int64_t *v = NULL;
	size_t count = 0, cap = 0;
	int rc;

	*ids = NULL;
	*n = 0;
	if (!st)
		return DB_ERROR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[count++] = sqlite3_column_int64(st, 0);
	}
	rc = db_rc_from(db, rc, "workshop ids");
	sqlite3_finalize(st);
	if (rc != DB_OK) {
		free(v);
		return rc;
	}
	*ids = v;
	*n = count;
	return DB_OK;
}

int db_workshop_referenced(sqlite3 *db, int64_t **ids, size_t *n, int64_t **overlays,
			   size_t *n_overlays)
{
	int rc;

	*overlays = NULL;
	*n_overlays = 0;
	/* one snapshot for both lists */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return db_rc_from(db, sqlite3_errcode(db), "workshop referenced");
	rc = read_ids(
	    db, "SELECT DISTINCT published_id FROM overlay_workshop ORDER BY published_id", ids, n);
	if (rc == DB_OK)
		rc = read_ids(db, "SELECT id FROM overlays WHERE kind = 'workshop' ORDER BY id",
			      overlays, n_overlays);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != DB_OK) {
		free(*ids);
		*ids = NULL;
		*n = 0;
	}
	return rc;
}

int db_workshop_forget_unreferenced(sqlite3 *db, int *deleted)
{
	static const char sql[] = "DELETE FROM workshop_items WHERE published_id NOT IN "
				  "(SELECT published_id FROM overlay_workshop)";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (deleted)
		*deleted = 0;
	if (!st)
		return DB_ERROR;
	rc = db_step_change(db, st, "workshop forget");
	if (rc == DB_OK && deleted)
		*deleted = sqlite3_changes(db);
	return rc == DB_NOTFOUND ? DB_OK : rc;
}
