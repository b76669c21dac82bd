/* Global overlay sources, items and files; see db_global.h. */
#include "db_global.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

/* Stored error lines are cut here (they come partly from upstream). */
#define GLOBAL_ERROR_MAX 512

static const char *const item_state_names[] = {"pending", "ok", "failed"};

const char *global_item_state_name(enum global_item_state s)
{
	return (unsigned)s < 3 ? item_state_names[s] : "?";
}

static enum global_item_state item_state_parse(const unsigned char *s)
{
	int i;

	for (i = 0; s && i < 3; i++)
		if (strcmp((const char *)s, item_state_names[i]) == 0)
			return (enum global_item_state)i;
	return GITEM_FAILED;
}

void global_source_fini(struct global_source *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->kind);
	free(s->url);
	free(s->last_error);
	free(s->index_etag);
	free(s->index_last_modified);
	memset(s, 0, sizeof(*s));
}

void global_source_list_free(struct global_source *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		global_source_fini(&list[i]);
	free(list);
}

void global_item_fini(struct global_item *it)
{
	size_t i;

	if (!it)
		return;
	free(it->name);
	free(it->url);
	free(it->md5);
	free(it->etag);
	free(it->last_modified);
	free(it->error);
	for (i = 0; i < it->n_files; i++) {
		free(it->files[i].path);
		free(it->files[i].md5);
	}
	free(it->files);
	memset(it, 0, sizeof(*it));
}

void global_item_list_free(struct global_item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		global_item_fini(&items[i]);
	free(items);
}

/* A copy of an error line cut at GLOBAL_ERROR_MAX bytes (on a UTF-8
 * character boundary), or NULL. */
static char *error_copy(const char *s)
{
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	if (n > GLOBAL_ERROR_MAX) {
		n = GLOBAL_ERROR_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return xstrndup(s, n);
}

int db_global_source_ensure(sqlite3 *db, const char *name, const char *kind, const char *url,
			    int64_t *id)
{
	static const char sql_src[] =
	    "INSERT INTO global_overlay_sources (name, kind, url, created_at) "
	    "VALUES (?1, ?2, ?3, ?4) "
	    "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, url = excluded.url "
	    "RETURNING id";
	static const char sql_ovl[] =
	    "INSERT INTO overlays (user_id, name, kind, source_id, created_at, updated_at) "
	    "VALUES (NULL, ?1, 'global', ?2, ?3, ?3) ON CONFLICT (source_id) DO NOTHING";
	sqlite3_stmt *st = NULL;
	bool nested;
	int64_t now = now_ms(), sid = 0;
	int rc;

	if (!valid_source_name(name))
		return DB_INVALID;
	rc = db_tx_begin(db, &nested);
	if (rc != DB_OK)
		return rc;
	st = db_prepare(db, sql_src);
	if (!st) {
		rc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	db_bind_text_or_null(st, 3, url);
	sqlite3_bind_int64(st, 4, now);
	rc = db_step_one(db, st, "global source ensure");
	if (rc == DB_OK)
		sid = sqlite3_column_int64(st, 0);
	else if (rc == DB_NOTFOUND)
		rc = DB_OK;
	sqlite3_finalize(st);
	st = NULL;
	if (rc != DB_OK)
		goto out;
	st = db_prepare(db, sql_ovl);
	if (!st) {
		rc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, sid);
	sqlite3_bind_int64(st, 3, now);
	rc = db_rc_from(db, sqlite3_step(st), "global overlay row");
out:
	sqlite3_finalize(st);
	rc = db_tx_end(db, nested, rc);
	if (rc == DB_OK && id)
		*id = sid;
	return rc;
}

#define SOURCE_COLUMNS                                                                             \
	"s.id, (SELECT o.id FROM overlays o WHERE o.source_id = s.id), s.name, s.kind, s.url, "    \
	"s.complete, s.items_expected, s.items_present, s.last_refresh_at, "                       \
	"s.last_success_at, s.last_error, s.index_etag, s.index_last_modified "

static void row_to_source(sqlite3_stmt *st, struct global_source *s)
{
	memset(s, 0, sizeof(*s));
	s->id = sqlite3_column_int64(st, 0);
	s->overlay_id = sqlite3_column_int64(st, 1);
	s->name = db_column_strdup(st, 2);
	s->kind = db_column_strdup(st, 3);
	s->url = db_column_strdup(st, 4);
	s->complete = sqlite3_column_int(st, 5) != 0;
	s->items_expected = sqlite3_column_int64(st, 6);
	s->items_present = sqlite3_column_int64(st, 7);
	s->last_refresh_at = sqlite3_column_int64(st, 8);
	s->last_success_at = sqlite3_column_int64(st, 9);
	s->last_error = db_column_strdup(st, 10);
	s->index_etag = db_column_strdup(st, 11);
	s->index_last_modified = db_column_strdup(st, 12);
}

int db_global_source_get(sqlite3 *db, const char *name, struct global_source *out)
{
	static const char sql[] =
	    "SELECT " SOURCE_COLUMNS "FROM global_overlay_sources s WHERE s.name = ?";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = db_step_one(db, st, "global source get");
	if (rc == DB_OK)
		row_to_source(st, out);
	sqlite3_finalize(st);
	return rc;
}

int db_global_source_list(sqlite3 *db, struct global_source **list, size_t *n)
{
	static const char sql[] =
	    "SELECT " SOURCE_COLUMNS "FROM global_overlay_sources s ORDER BY s.name";
	sqlite3_stmt *st = db_prepare(db, sql);
	struct global_source *v = NULL;
	size_t cnt = 0;
	int rc;

	*list = NULL;
	*n = 0;
	if (!st)
		return DB_ERROR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xreallocarray(v, cnt + 1, sizeof(*v));
		row_to_source(st, &v[cnt++]);
	}
	rc = db_rc_from(db, rc, "global source list");
	sqlite3_finalize(st);
	if (rc != DB_OK) {
		global_source_list_free(v, cnt);
		return rc;
	}
	*list = v;
	*n = cnt;
	return DB_OK;
}

int db_global_source_complete(sqlite3 *db, const char *name, bool *complete)
{
	static const char sql[] = "SELECT complete FROM global_overlay_sources WHERE name = ?";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	*complete = false;
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = db_step_one(db, st, "global source complete");
	if (rc == DB_OK)
		*complete = sqlite3_column_int(st, 0) == 1;
	else if (rc == DB_NOTFOUND)
		rc = DB_OK; /* no such source: not complete */
	sqlite3_finalize(st);
	return rc;
}

/* Run one UPDATE/DELETE with an int64 id as ?1 and up to three texts as
 * ?2..?4; DB_NOTFOUND when no row changed. */
static int exec_id(sqlite3 *db, const char *sql, const char *what, int64_t id, const char *a,
		   const char *b, const char *c)
{
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_bind_parameter_count(st) >= 2)
		db_bind_text_or_null(st, 2, a);
	if (sqlite3_bind_parameter_count(st) >= 3)
		db_bind_text_or_null(st, 3, b);
	if (sqlite3_bind_parameter_count(st) >= 4)
		db_bind_text_or_null(st, 4, c);
	rc = db_step_change(db, st, what);
	return rc;
}

int db_global_source_set_index(sqlite3 *db, int64_t id, const char *etag, const char *last_modified)
{
	static const char sql[] = "UPDATE global_overlay_sources SET index_etag = ?2, "
				  "index_last_modified = ?3 WHERE id = ?1";

	return exec_id(db, sql, "global source index", id, etag, last_modified, NULL);
}

int db_global_source_set_status(sqlite3 *db, int64_t id, const struct global_source_status *s)
{
	static const char sql[] =
	    "UPDATE global_overlay_sources SET complete = ?2, items_expected = ?3, "
	    "items_present = ?4, last_error = ?5, last_refresh_at = ?6, "
	    "last_success_at = CASE WHEN ?7 THEN ?6 ELSE last_success_at END WHERE id = ?1";
	sqlite3_stmt *st = db_prepare(db, sql);
	char *err = error_copy(s->error);
	int rc;

	if (!st) {
		free(err);
		return DB_ERROR;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, s->complete ? 1 : 0);
	sqlite3_bind_int64(st, 3, s->items_expected);
	sqlite3_bind_int64(st, 4, s->items_present);
	db_bind_text_or_null(st, 5, err);
	sqlite3_bind_int64(st, 6, now_ms());
	sqlite3_bind_int(st, 7, s->success ? 1 : 0);
	rc = db_step_change(db, st, "global source status");
	free(err);
	return rc;
}

int db_global_item_list(sqlite3 *db, int64_t source_id, struct global_item **items, size_t *n)
{
	static const char sql_items[] =
	    "SELECT id, name, url, size, md5, etag, last_modified, state, error, fetched_at "
	    "FROM global_overlay_items WHERE source_id = ? ORDER BY name";
	static const char sql_files[] =
	    "SELECT f.item_id, f.path, f.size, f.md5 FROM global_overlay_item_files f "
	    "JOIN global_overlay_items i ON i.id = f.item_id WHERE i.source_id = ? "
	    "ORDER BY i.name, f.path";
	sqlite3_stmt *st = db_prepare(db, sql_items);
	struct global_item *v = NULL;
	size_t cnt = 0, k = 0;
	int rc;

	*items = NULL;
	*n = 0;
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, source_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct global_item *it;

		v = xreallocarray(v, cnt + 1, sizeof(*v));
		it = &v[cnt++];
		memset(it, 0, sizeof(*it));
		it->id = sqlite3_column_int64(st, 0);
		it->name = db_column_strdup(st, 1);
		it->url = db_column_strdup(st, 2);
		it->size =
		    sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 3);
		it->md5 = db_column_strdup(st, 4);
		it->etag = db_column_strdup(st, 5);
		it->last_modified = db_column_strdup(st, 6);
		it->state = item_state_parse(sqlite3_column_text(st, 7));
		it->error = db_column_strdup(st, 8);
		it->fetched_at = sqlite3_column_int64(st, 9);
	}
	rc = db_rc_from(db, rc, "global item list");
	sqlite3_finalize(st);
	if (rc != DB_OK)
		goto fail;
	st = db_prepare(db, sql_files);
	if (!st) {
		rc = DB_ERROR;
		goto fail;
	}
	sqlite3_bind_int64(st, 1, source_id);
	/* Both queries are ordered by item name, so one merge pass pairs them. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t item_id = sqlite3_column_int64(st, 0);
		struct global_item *it;
		struct global_file *f;

		while (k < cnt && v[k].id != item_id)
			k++;
		if (k == cnt)
			break; /* an item added between the two reads: ignore */
		it = &v[k];
		it->files = xreallocarray(it->files, it->n_files + 1, sizeof(*it->files));
		f = &it->files[it->n_files++];
		f->path = db_column_strdup(st, 1);
		f->size = sqlite3_column_int64(st, 2);
		f->md5 = db_column_strdup(st, 3);
	}
	rc = db_rc_from(db, rc == SQLITE_ROW ? SQLITE_DONE : rc, "global item files");
	sqlite3_finalize(st);
	if (rc != DB_OK)
		goto fail;
	*items = v;
	*n = cnt;
	return DB_OK;
fail:
	global_item_list_free(v, cnt);
	return rc;
}

int db_global_item_upsert(sqlite3 *db, int64_t source_id, const char *name, const char *url,
			  int64_t size, const char *md5, int64_t *id)
{
	static const char sql[] =
	    "INSERT INTO global_overlay_items (source_id, name, url, size, md5, created_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (source_id, name) DO UPDATE SET "
	    "etag = CASE WHEN url = excluded.url THEN etag ELSE NULL END, "
	    "last_modified = CASE WHEN url = excluded.url THEN last_modified ELSE NULL END, "
	    "url = excluded.url, size = excluded.size, md5 = excluded.md5 RETURNING id";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, source_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, url, -1, SQLITE_STATIC);
	if (size < 0)
		sqlite3_bind_null(st, 4);
	else
		sqlite3_bind_int64(st, 4, size);
	db_bind_text_or_null(st, 5, md5);
	sqlite3_bind_int64(st, 6, now_ms());
	rc = db_step_one(db, st, "global item upsert");
	if (rc == DB_OK && id)
		*id = sqlite3_column_int64(st, 0);
	else if (rc == DB_NOTFOUND)
		rc = DB_OK;
	sqlite3_finalize(st);
	return rc;
}

int db_global_item_set_pending(sqlite3 *db, int64_t id)
{
	static const char sql[] = "UPDATE global_overlay_items SET state = 'pending' WHERE id = ?1";

	return exec_id(db, sql, "global item pending", id, NULL, NULL, NULL);
}

int db_global_item_set_ok(sqlite3 *db, int64_t id, const char *etag, const char *last_modified,
			  const struct global_file *files, size_t n)
{
	static const char sql_item[] =
	    "UPDATE global_overlay_items SET state = 'ok', error = NULL, etag = ?2, "
	    "last_modified = ?3, fetched_at = ?4 WHERE id = ?1";
	static const char sql_del[] = "DELETE FROM global_overlay_item_files WHERE item_id = ?";
	static const char sql_ins[] = "INSERT INTO global_overlay_item_files (item_id, path, size, "
				      "md5) VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st = NULL;
	bool nested;
	size_t i;
	int rc;

	rc = db_tx_begin(db, &nested);
	if (rc != DB_OK)
		return rc;
	st = db_prepare(db, sql_item);
	if (!st) {
		rc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, id);
	db_bind_text_or_null(st, 2, etag);
	db_bind_text_or_null(st, 3, last_modified);
	sqlite3_bind_int64(st, 4, now_ms());
	rc = db_step_change(db, st, "global item ok");
	st = NULL;
	if (rc != DB_OK)
		goto out;
	st = db_prepare(db, sql_del);
	if (!st) {
		rc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, id);
	rc = db_rc_from(db, sqlite3_step(st), "global item files delete");
	sqlite3_finalize(st);
	st = NULL;
	if (rc != DB_OK)
		goto out;
	st = db_prepare(db, sql_ins);
	if (!st) {
		rc = DB_ERROR;
		goto out;
	}
	for (i = 0; i < n && rc == DB_OK; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, files[i].path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, files[i].size);
		db_bind_text_or_null(st, 4, files[i].md5);
		rc = db_rc_from(db, sqlite3_step(st), "global item file insert");
	}
out:
	sqlite3_finalize(st);
	return db_tx_end(db, nested, rc);
}

int db_global_item_set_failed(sqlite3 *db, int64_t id, const char *error)
{
	static const char sql[] =
	    "UPDATE global_overlay_items SET state = 'failed', error = ?2 WHERE id = ?1";
	char *err = error_copy(error ? error : "failed");
	int rc = exec_id(db, sql, "global item failed", id, err, NULL, NULL);

	free(err);
	return rc;
}

int db_global_item_set_unchanged(sqlite3 *db, int64_t id)
{
	static const char sql[] =
	    "UPDATE global_overlay_items SET state = 'ok', error = NULL WHERE id = ?1";

	return exec_id(db, sql, "global item unchanged", id, NULL, NULL, NULL);
}

int db_global_item_delete(sqlite3 *db, int64_t id)
{
	static const char sql[] = "DELETE FROM global_overlay_items WHERE id = ?1";

	return exec_id(db, sql, "global item delete", id, NULL, NULL, NULL);
}
