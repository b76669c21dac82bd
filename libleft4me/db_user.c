/* Users and API tokens; see db_user.h. */
#include "db_user.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "timeutil.h"
#include "xalloc.h"

void user_fini(struct user *u)
{
	if (!u)
		return;
	free(u->name);
	if (u->password_hash) {
		explicit_bzero(u->password_hash, strlen(u->password_hash));
		free(u->password_hash);
	}
	memset(u, 0, sizeof(*u));
}

void user_list_free(struct user *users, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		user_fini(&users[i]);
	free(users);
}

#define USER_COLUMNS                                                                               \
	"u.id, u.name, u.password_hash, u.role, u.disabled, u.created_at, u.updated_at "

static void row_to_user(sqlite3_stmt *st, struct user *u)
{
	const char *role = (const char *)sqlite3_column_text(st, 3);

	u->id = sqlite3_column_int64(st, 0);
	u->name = db_column_strdup(st, 1);
	u->password_hash = db_column_strdup(st, 2);
	u->admin = role && strcmp(role, "admin") == 0;
	u->disabled = sqlite3_column_int(st, 4) != 0;
	u->created_at = sqlite3_column_int64(st, 5);
	u->updated_at = sqlite3_column_int64(st, 6);
}

/* Step a prepared single-row SELECT into *out. */
static int get_one(sqlite3 *db, sqlite3_stmt *st, struct user *out, const char *what)
{
	int rc = db_step_one(db, st, what);

	memset(out, 0, sizeof(*out));
	if (rc == DB_OK)
		row_to_user(st, out);
	sqlite3_finalize(st);
	return rc;
}

int db_user_add(sqlite3 *db, const char *name, const char *password_hash, bool admin, int64_t *id)
{
	static const char sql[] = "INSERT INTO users (name, password_hash, role, created_at, "
				  "updated_at) VALUES (?1, ?2, ?3, ?4, ?4) RETURNING id";
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, password_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, admin ? "admin" : "user", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_ms());
	return db_step_insert(db, st, id, "user add");
}

static int revoke_sessions(sqlite3 *db, int64_t id, bool tokens_too)
{
	static const char sessions_sql[] = "DELETE FROM sessions WHERE user_id = ?";
	static const char tokens_sql[] = "DELETE FROM api_tokens WHERE user_id = ?";
	sqlite3_stmt *st = db_prepare(db, sessions_sql);
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	rc = db_rc_from(db, sqlite3_step(st), "revoke sessions");
	sqlite3_finalize(st);
	if (rc != DB_OK || !tokens_too)
		return rc;
	st = db_prepare(db, tokens_sql);
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	rc = db_rc_from(db, sqlite3_step(st), "revoke tokens");
	sqlite3_finalize(st);
	return rc;
}

int db_user_set_password(sqlite3 *db, int64_t id, const char *password_hash)
{
	static const char sql[] = "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?";
	sqlite3_stmt *st;
	bool nested;
	int rc = db_tx_begin(db, &nested);

	if (rc != DB_OK)
		return rc;
	st = db_prepare(db, sql);
	if (!st)
		return db_tx_end(db, nested, DB_ERROR);
	sqlite3_bind_text(st, 1, password_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms());
	sqlite3_bind_int64(st, 3, id);
	rc = db_step_change(db, st, "user passwd");
	if (rc == DB_OK)
		rc = revoke_sessions(db, id, false);
	return db_tx_end(db, nested, rc);
}

int db_user_set_disabled(sqlite3 *db, int64_t id, bool disabled)
{
	static const char sql[] = "UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?";
	sqlite3_stmt *st;
	bool nested;
	int rc = db_tx_begin(db, &nested);

	if (rc != DB_OK)
		return rc;
	st = db_prepare(db, sql);
	if (!st)
		return db_tx_end(db, nested, DB_ERROR);
	sqlite3_bind_int(st, 1, disabled);
	sqlite3_bind_int64(st, 2, now_ms());
	sqlite3_bind_int64(st, 3, id);
	rc = db_step_change(db, st, "user disable");
	if (rc == DB_OK && disabled)
		rc = revoke_sessions(db, id, true);
	return db_tx_end(db, nested, rc);
}

int db_user_set_admin(sqlite3 *db, int64_t id, bool admin)
{
	static const char sql[] = "UPDATE users SET role = ?, updated_at = ? WHERE id = ?";
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, admin ? "admin" : "user", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms());
	sqlite3_bind_int64(st, 3, id);
	return db_step_change(db, st, "user role");
}

int db_user_get(sqlite3 *db, int64_t id, struct user *out)
{
	static const char sql[] = "SELECT " USER_COLUMNS "FROM users u WHERE u.id = ?";
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	return get_one(db, st, out, "user get");
}

int db_user_get_by_name(sqlite3 *db, const char *name, struct user *out)
{
	static const char sql[] = "SELECT " USER_COLUMNS "FROM users u WHERE u.name = ?";
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return get_one(db, st, out, "user get");
}

int db_user_list(sqlite3 *db, struct user **users, size_t *n)
{
	static const char sql[] = "SELECT " USER_COLUMNS "FROM users u ORDER BY u.name";
	sqlite3_stmt *st = db_prepare(db, sql);
	struct user *list = NULL;
	size_t count = 0, cap = 0;
	int rc;

	*users = NULL;
	*n = 0;
	if (!st)
		return DB_ERROR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			list = xreallocarray(list, cap, sizeof(*list));
		}
		memset(&list[count], 0, sizeof(list[count]));
		row_to_user(st, &list[count++]);
	}
	rc = db_rc_from(db, rc, "user list");
	sqlite3_finalize(st);
	if (rc != DB_OK) {
		user_list_free(list, count);
		return rc;
	}
	*users = list;
	*n = count;
	return DB_OK;
}

int db_user_count(sqlite3 *db, int64_t *count)
{
	static const char sql[] = "SELECT count(*) FROM users";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	rc = db_step_one(db, st, "user count"); /* count(*): always one row */
	if (rc == DB_OK)
		*count = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

int db_user_usage(sqlite3 *db, int64_t user_id, struct user_usage *out)
{
	static const char sql[] =
	    "SELECT (SELECT count(*) FROM servers WHERE user_id = ?1),"
	    "       (SELECT count(*) FROM overlays WHERE user_id = ?1),"
	    "       (SELECT count(*) FROM blueprints WHERE user_id = ?1),"
	    "       (SELECT count(*) FROM jobs WHERE user_id = ?1 AND state = 'queued')";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	rc = db_step_one(db, st, "user usage");
	if (rc == DB_OK) {
		out->servers = sqlite3_column_int64(st, 0);
		out->overlays = sqlite3_column_int64(st, 1);
		out->blueprints = sqlite3_column_int64(st, 2);
		out->queued_jobs = sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	return rc;
}

int db_token_add(sqlite3 *db, int64_t user_id, const char *token_hash, const char *label,
		 int64_t *id)
{
	static const char sql[] = "INSERT INTO api_tokens (user_id, token_hash, label, "
				  "created_at) VALUES (?, ?, ?, ?) RETURNING id";
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, token_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, label ? label : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_ms());
	return db_step_insert(db, st, id, "token add");
}

int db_token_lookup(sqlite3 *db, const char *token_hash, struct user *out, int64_t *token_id)
{
	/* The token's id follows the user's columns (column 7). */
	static const char sql[] =
	    "SELECT " USER_COLUMNS ", t.id FROM api_tokens t JOIN users u ON u.id = t.user_id "
	    "WHERE t.token_hash = ? AND u.disabled = 0";
	static const char touch_sql[] =
	    "UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
	rc = db_step_one(db, st, "token lookup");
	if (rc == DB_OK) {
		row_to_user(st, out);
		if (token_id)
			*token_id = sqlite3_column_int64(st, 7);
	}
	sqlite3_finalize(st);
	if (rc != DB_OK)
		return rc;
	st = db_prepare(db, touch_sql);
	if (st) {
		sqlite3_bind_int64(st, 1, now_ms());
		sqlite3_bind_text(st, 2, token_hash, -1, SQLITE_STATIC);
		/* last_used_at is informational: a busy DB must not fail the
		 * request. */
		(void)db_rc_from(db, sqlite3_step(st), "token touch");
		sqlite3_finalize(st);
	}
	return DB_OK;
}

int db_token_list(sqlite3 *db, int64_t user_id, struct api_token **tokens, size_t *n)
{
	static const char sql[] = "SELECT id, user_id, label, created_at, last_used_at "
				  "FROM api_tokens WHERE user_id = ? ORDER BY id";
	sqlite3_stmt *st = db_prepare(db, sql);
	struct api_token *list = NULL;
	size_t count = 0, cap = 0;
	int rc;

	*tokens = NULL;
	*n = 0;
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct api_token *t;

		if (count == cap) {
			cap = cap ? cap * 2 : 8;
			list = xreallocarray(list, cap, sizeof(*list));
		}
		t = &list[count++];
		t->id = sqlite3_column_int64(st, 0);
		t->user_id = sqlite3_column_int64(st, 1);
		t->label = db_column_strdup(st, 2);
		t->created_at = sqlite3_column_int64(st, 3);
		t->last_used_at = sqlite3_column_int64(st, 4);
	}
	rc = db_rc_from(db, rc, "token list");
	sqlite3_finalize(st);
	if (rc != DB_OK) {
		api_token_list_free(list, count);
		return rc;
	}
	*tokens = list;
	*n = count;
	return DB_OK;
}

void api_token_list_free(struct api_token *tokens, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(tokens[i].label);
	free(tokens);
}

int db_token_live(sqlite3 *db, int64_t token_id)
{
	static const char sql[] = "SELECT 1 FROM api_tokens WHERE id = ?";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, token_id);
	rc = db_step_one(db, st, "token live");
	sqlite3_finalize(st);
	return rc;
}

int db_token_revoke(sqlite3 *db, int64_t user_id, int64_t token_id)
{
	static const char sql[] = "DELETE FROM api_tokens WHERE id = ? AND user_id = ?";
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, token_id);
	sqlite3_bind_int64(st, 2, user_id);
	return db_step_change(db, st, "token revoke");
}
