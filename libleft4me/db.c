/* Database open, pragmas, migrations and small statement helpers.
 * Used by every program except the root helpers (which link no SQLite). */
#include "db.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "log.h"
#include "timeutil.h"
#include "xalloc.h"

static int exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* journal_mode=WAL touches the file, so it also proves it is a database we
 * can write.  Switching a new file to WAL takes a lock for which SQLite
 * does not call the busy handler, so several processes opening a fresh
 * database at once (two `db migrate`) retry here within the busy timeout. */
static int set_wal(sqlite3 *db, char *msg, size_t msglen)
{
	int waited = 0;

	for (;;) {
		int rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);

		if (rc == SQLITE_OK)
			return 0;
		if (((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) ||
		    waited >= DB_BUSY_TIMEOUT_MS) {
			snprintf(msg, msglen, "%s", sqlite3_errmsg(db));
			return -1;
		}
		usleep(10 * 1000);
		waited += 10;
	}
}

sqlite3 *db_open(const char *path, int flags, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	struct stat st;
	int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	char msg[256];

	if (!(flags & DB_OPEN_CREATE) && stat(path, &st) < 0) {
		if (errno == ENOENT)
			err_set(err, errlen,
				"database %s does not exist (run 'left4mectl db migrate')", path);
		else
			err_set(err, errlen, "database %s: %s", path, strerror(errno));
		return NULL;
	}
	if (flags & DB_OPEN_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &db, oflags, NULL) != SQLITE_OK) {
		err_set(err, errlen, "database %s: %s", path,
			db ? sqlite3_errmsg(db) : "cannot allocate");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS);
	if (set_wal(db, msg, sizeof(msg)) < 0 ||
	    exec_sql(db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;", msg, sizeof(msg)) <
		0) {
		err_set(err, errlen, "database %s: %s", path, msg);
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

void db_close(sqlite3 *db)
{
	if (db)
		sqlite3_close(db);
}

static int pragma_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	}
out:
	sqlite3_finalize(st);
	return rc;
}

int db_schema_version(sqlite3 *db)
{
	int64_t v;

	if (pragma_int(db, "PRAGMA user_version", &v) < 0)
		return -1;
	return (int)v;
}

int64_t db_data_version(sqlite3 *db)
{
	int64_t v = -1;

	pragma_int(db, "PRAGMA data_version", &v);
	return v;
}

int db_check_version(sqlite3 *db, char *err, size_t errlen)
{
	int v = db_schema_version(db);

	if (v < 0)
		return err_set(err, errlen, "cannot read schema version: %s", sqlite3_errmsg(db));
	if (v < DB_SCHEMA_VERSION)
		return err_set(err, errlen,
			       "database schema is version %d, this build needs %d "
			       "(run 'left4mectl db migrate')",
			       v, DB_SCHEMA_VERSION);
	if (v > DB_SCHEMA_VERSION)
		return err_set(err, errlen,
			       "database schema is version %d, newer than this build's %d "
			       "(upgrade left4me)",
			       v, DB_SCHEMA_VERSION);
	return 0;
}

/* PRAGMA foreign_key_check over the whole database: 0 if no row breaks a
 * foreign key, else -1 naming the first that does. */
static int fk_check(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK)
		return err_set(err, errlen, "foreign_key_check: %s", sqlite3_errmsg(db));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err_set(err, errlen, "row %lld of %s names a missing row of %s",
			(long long)sqlite3_column_int64(st, 1), sqlite3_column_text(st, 0),
			sqlite3_column_text(st, 2));
	else if (rc != SQLITE_DONE)
		err_set(err, errlen, "foreign_key_check: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int db_migrate_list(sqlite3 *db, const struct db_migration *list, size_t n, int target,
		    int *applied, char *err, size_t errlen)
{
	int version, count = 0;
	int latest = n ? list[n - 1].version : 0;
	int64_t fk = 0;
	char msg[512];
	size_t i;

	if (applied)
		*applied = 0;
	if (target < 0 || target > latest)
		return err_set(err, errlen, "no migration to version %d (latest is %d)", target,
			       latest);
	/* A migration may rebuild a table, as
	 * https://www.sqlite.org/lang_altertable.html ("Making Other Kinds
	 * Of Table Schema Changes") says: foreign keys off before the
	 * transaction (inside one the pragma does nothing), so a DROP TABLE
	 * deletes no child rows; foreign_key_check before the commit; on
	 * again after. */
	if (pragma_int(db, "PRAGMA foreign_keys", &fk) < 0 ||
	    (fk && exec_sql(db, "PRAGMA foreign_keys=OFF", msg, sizeof(msg)) < 0))
		return err_set(err, errlen, "cannot turn foreign keys off for migration: %s",
			       sqlite3_errmsg(db));
	/* EXCLUSIVE: a second migrator waits here (busy_timeout) and then
	 * sees the version the first one committed. */
	if (exec_sql(db, "BEGIN EXCLUSIVE", msg, sizeof(msg)) < 0) {
		err_set(err, errlen, "cannot lock the database for migration: %s", msg);
		goto restore;
	}
	version = db_schema_version(db);
	if (version < 0) {
		err_set(err, errlen, "cannot read schema version: %s", sqlite3_errmsg(db));
		goto fail;
	}
	if (version > latest) {
		err_set(err, errlen, "database schema is version %d, newer than this build's %d",
			version, latest);
		goto fail;
	}
	for (i = 0; i < n; i++) {
		char pragma[64];

		if (list[i].version <= version || list[i].version > target)
			continue;
		if (list[i].version != version + 1) {
			err_set(err, errlen, "migration %d does not follow version %d",
				list[i].version, version);
			goto fail;
		}
		if (exec_sql(db, list[i].sql, msg, sizeof(msg)) < 0) {
			err_set(err, errlen, "migration %d failed: %s", list[i].version, msg);
			goto fail;
		}
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", list[i].version);
		if (exec_sql(db, pragma, msg, sizeof(msg)) < 0) {
			err_set(err, errlen, "migration %d: %s", list[i].version, msg);
			goto fail;
		}
		version = list[i].version;
		count++;
	}
	if (fk && count > 0 && fk_check(db, msg, sizeof(msg)) < 0) {
		err_set(err, errlen, "migration to version %d breaks a foreign key: %s", version,
			msg);
		goto fail;
	}
	if (exec_sql(db, "COMMIT", msg, sizeof(msg)) < 0) {
		err_set(err, errlen, "cannot commit migration: %s", msg);
		goto fail;
	}
	if (applied)
		*applied = count;
	if (fk && exec_sql(db, "PRAGMA foreign_keys=ON", msg, sizeof(msg)) < 0)
		return err_set(err, errlen, "cannot turn foreign keys back on: %s", msg);
	return 0;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
restore:
	if (fk)
		sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
	return -1;
}

int db_migrate(sqlite3 *db, int target, int *applied, char *err, size_t errlen)
{
	return db_migrate_list(db, db_migrations, db_n_migrations, target, applied, err, errlen);
}

int db_begin_immediate(sqlite3 *db)
{
	int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	if (rc == SQLITE_OK)
		return DB_OK;
	return db_rc_from(db, rc, "begin");
}

int db_commit(sqlite3 *db)
{
	int rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);

	if (rc == SQLITE_OK)
		return DB_OK;
	rc = db_rc_from(db, rc, "commit");
	db_rollback(db);
	return rc;
}

int db_tx_begin(sqlite3 *db, bool *nested)
{
	int rc;

	*nested = !sqlite3_get_autocommit(db);
	if (!*nested)
		return db_begin_immediate(db);
	rc = sqlite3_exec(db, "SAVEPOINT db_tx", NULL, NULL, NULL);
	return rc == SQLITE_OK ? DB_OK : db_rc_from(db, rc, "savepoint");
}

int db_tx_end(sqlite3 *db, bool nested, int rc)
{
	if (!nested) {
		if (rc == DB_OK)
			return db_commit(db);
		db_rollback(db);
		return rc;
	}
	if (rc != DB_OK)
		sqlite3_exec(db, "ROLLBACK TO db_tx", NULL, NULL, NULL);
	sqlite3_exec(db, "RELEASE db_tx", NULL, NULL, NULL);
	return rc;
}

void db_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

sqlite3_stmt *db_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_err("sqlite prepare failed: %s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

int db_rc_from(sqlite3 *db, int rc, const char *what)
{
	switch (rc) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return DB_OK;
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return DB_EXISTS;
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_FOREIGNKEY:
	case SQLITE_CONSTRAINT_NOTNULL:
	case SQLITE_CONSTRAINT_TRIGGER:
		return DB_INVALID;
	}
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
		log_warn("%s: database is busy", what);
		return DB_BUSY;
	}
	log_err("%s: sqlite error %d: %s", what, rc, sqlite3_errmsg(db));
	return DB_ERROR;
}

int db_step_change(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int rc = db_rc_from(db, sqlite3_step(st), what);

	if (rc == DB_OK && sqlite3_changes(db) == 0)
		rc = DB_NOTFOUND;
	sqlite3_finalize(st);
	return rc;
}

int db_step_one(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return DB_OK;
	if (rc == SQLITE_DONE)
		return DB_NOTFOUND;
	return db_rc_from(db, rc, what);
}

int db_step_insert(sqlite3 *db, sqlite3_stmt *st, int64_t *id, const char *what)
{
	int rc = db_step_one(db, st, what);

	if (rc == DB_OK) {
		if (id)
			*id = sqlite3_column_int64(st, 0);
		rc = db_rc_from(db, sqlite3_step(st), what);
	} else if (rc == DB_NOTFOUND) {
		rc = DB_ERROR;
	}
	sqlite3_finalize(st);
	return rc;
}

int db_bind_text_or_null(sqlite3_stmt *st, int idx, const char *s)
{
	if (!s)
		return sqlite3_bind_null(st, idx);
	return sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
}

char *db_column_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? xstrdup((const char *)t) : NULL;
}

int db_audit(sqlite3 *db, int64_t user_id, const char *actor, const char *action,
	     const char *object, const char *detail)
{
	static const char sql[] = "INSERT INTO audit_log (at, user_id, actor, action, object, "
				  "detail) VALUES (?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, now_ms());
	if (user_id > 0)
		sqlite3_bind_int64(st, 2, user_id);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_text(st, 3, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, object ? object : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, detail ? detail : "", -1, SQLITE_STATIC);
	rc = db_rc_from(db, sqlite3_step(st), "audit");
	sqlite3_finalize(st);
	return rc;
}
