/* RCON passwords in the database; see db_rcon.h. */
#include "db_rcon.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "timeutil.h"

static int rcon_read(sqlite3 *db, int64_t server_id, struct rcon_row *out)
{
	static const char sql[] =
	    "SELECT password, rotated_at FROM server_rcon WHERE server_id = ?";
	sqlite3_stmt *st = db_prepare(db, sql);
	const unsigned char *t;
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, server_id);
	rc = db_step_one(db, st, "rcon read");
	if (rc == DB_OK) {
		t = sqlite3_column_text(st, 0);
		if (!t || !rcon_password_ok((const char *)t)) {
			log_err("server id %lld: the stored RCON password is malformed",
				(long long)server_id);
			rc = DB_ERROR;
		} else {
			snprintf(out->password, sizeof(out->password), "%s", (const char *)t);
			out->rotated_at = sqlite3_column_int64(st, 1);
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/* Write a new password for server_id (replacing any): DB_NOTFOUND if the
 * server does not exist. */
static int rcon_store(sqlite3 *db, int64_t server_id, struct rcon_row *out)
{
	static const char sql[] =
	    "INSERT INTO server_rcon (server_id, password, rotated_at) "
	    "SELECT id, ?2, ?3 FROM servers WHERE id = ?1 "
	    "ON CONFLICT (server_id) DO UPDATE SET password = excluded.password, "
	    "rotated_at = excluded.rotated_at";
	char pw[RCON_PASSWORD_LEN + 1];
	sqlite3_stmt *st;
	int rc;

	if (rcon_password_generate(pw) < 0) {
		log_err("server id %lld: getrandom failed: no RCON password made",
			(long long)server_id);
		return DB_ERROR;
	}
	st = db_prepare(db, sql);
	if (!st) {
		explicit_bzero(pw, sizeof(pw));
		return DB_ERROR;
	}
	out->rotated_at = now_ms();
	sqlite3_bind_int64(st, 1, server_id);
	sqlite3_bind_text(st, 2, pw, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, out->rotated_at);
	rc = db_step_change(db, st, "rcon store");
	if (rc == DB_OK)
		snprintf(out->password, sizeof(out->password), "%s", pw);
	explicit_bzero(pw, sizeof(pw));
	return rc;
}

int db_rcon_get(sqlite3 *db, int64_t server_id, struct rcon_row *out)
{
	bool nested;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = rcon_read(db, server_id, out);
	if (rc != DB_NOTFOUND)
		return rc;
	rc = db_tx_begin(db, &nested);
	if (rc != DB_OK)
		return rc;
	rc = rcon_read(db, server_id, out); /* another writer may have been first */
	if (rc == DB_NOTFOUND)
		rc = rcon_store(db, server_id, out);
	return db_tx_end(db, nested, rc);
}

int db_rcon_rotate(sqlite3 *db, int64_t server_id, const char *server_name, int64_t user_id,
		   const char *actor, struct rcon_row *out)
{
	bool nested;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = db_tx_begin(db, &nested);
	if (rc != DB_OK)
		return rc;
	rc = rcon_store(db, server_id, out);
	if (rc == DB_OK)
		rc = db_audit(db, user_id, actor, "rcon_rotate", server_name, "rotated");
	rc = db_tx_end(db, nested, rc);
	if (rc != DB_OK)
		explicit_bzero(out, sizeof(*out));
	return rc;
}
