/* Browser sessions; see db_session.h. */
#include "db_session.h"

#include <string.h>

#include "db.h"
#include "timeutil.h"

int db_session_create(sqlite3 *db, int64_t user_id, const char *token_hash, const char *csrf,
		      int64_t ttl_ms, int64_t *id)
{
	static const char purge_sql[] = "DELETE FROM sessions WHERE expires_at <= ?";
	static const char insert_sql[] =
	    "INSERT INTO sessions (user_id, token_hash, csrf_token, created_at, expires_at, "
	    "last_seen_at) VALUES (?1, ?2, ?3, ?4, ?4 + ?5, ?4) RETURNING id";
	sqlite3_stmt *st = NULL;
	int64_t now = now_ms();
	bool nested;
	int rc;

	if (ttl_ms <= 0)
		return DB_INVALID;
	rc = db_tx_begin(db, &nested);
	if (rc != DB_OK)
		return rc;
	st = db_prepare(db, purge_sql);
	if (!st) {
		rc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, now);
	rc = db_rc_from(db, sqlite3_step(st), "session purge");
	sqlite3_finalize(st);
	st = NULL;
	if (rc != DB_OK)
		goto out;
	st = db_prepare(db, insert_sql);
	if (!st) {
		rc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, csrf, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, ttl_ms);
	rc = db_step_insert(db, st, id, "session create");
	st = NULL;
out:
	sqlite3_finalize(st);
	return db_tx_end(db, nested, rc);
}

int db_session_lookup(sqlite3 *db, const char *token_hash, struct session *s, struct user *u)
{
	static const char sql[] =
	    "SELECT s.id, s.user_id, s.csrf_token, s.expires_at, s.last_seen_at, u.name, "
	    "u.role, u.disabled, u.created_at, u.updated_at FROM sessions s "
	    "JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ? "
	    "AND u.disabled = 0";
	static const char touch_sql[] = "UPDATE sessions SET last_seen_at = ? WHERE id = ?";
	sqlite3_stmt *st = db_prepare(db, sql);
	int64_t now = now_ms();
	const char *csrf, *role;
	int rc;

	memset(s, 0, sizeof(*s));
	memset(u, 0, sizeof(*u));
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	rc = db_step_one(db, st, "session lookup");
	if (rc == DB_OK) {
		s->id = sqlite3_column_int64(st, 0);
		s->user_id = sqlite3_column_int64(st, 1);
		csrf = (const char *)sqlite3_column_text(st, 2);
		if (csrf)
			strncpy(s->csrf_token, csrf, sizeof(s->csrf_token) - 1);
		s->expires_at = sqlite3_column_int64(st, 3);
		s->last_seen_at = sqlite3_column_int64(st, 4);
		u->id = s->user_id;
		u->name = db_column_strdup(st, 5);
		role = (const char *)sqlite3_column_text(st, 6);
		u->admin = role && strcmp(role, "admin") == 0;
		u->disabled = sqlite3_column_int(st, 7) != 0;
		u->created_at = sqlite3_column_int64(st, 8);
		u->updated_at = sqlite3_column_int64(st, 9);
	}
	sqlite3_finalize(st);
	if (rc == DB_OK && now - s->last_seen_at > 60000) {
		st = db_prepare(db, touch_sql);
		if (st) {
			sqlite3_bind_int64(st, 1, now);
			sqlite3_bind_int64(st, 2, s->id);
			(void)db_rc_from(db, sqlite3_step(st), "session touch");
			sqlite3_finalize(st);
		}
	}
	return rc;
}

int db_session_delete(sqlite3 *db, const char *token_hash)
{
	static const char sql[] = "DELETE FROM sessions WHERE token_hash = ?";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
	rc = db_step_change(db, st, "session delete");
	return rc;
}

int db_session_live(sqlite3 *db, int64_t id)
{
	static const char sql[] = "SELECT 1 FROM sessions WHERE id = ? AND expires_at > ?";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms());
	rc = db_step_one(db, st, "session live");
	sqlite3_finalize(st);
	return rc;
}

int db_session_count(sqlite3 *db, int64_t user_id, int64_t *count)
{
	static const char sql[] =
	    "SELECT count(*) FROM sessions WHERE user_id = ? AND expires_at > ?";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, now_ms());
	rc = db_step_one(db, st, "session count"); /* count(*): always one row */
	if (rc == DB_OK)
		*count = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}
