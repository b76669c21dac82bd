/* Opening the database and migrating its schema.  Every program that
 * touches the DB goes through db_open(); only `left4mectl db migrate`
 * calls db_migrate().  Daemons call db_check_version() at start and refuse
 * to serve a schema they were not built for. */
#ifndef LEFT4ME_DB_H
#define LEFT4ME_DB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db_schema.h"

/* Return codes shared by db_*.c functions (0 is success). */
enum db_rc {
	DB_OK = 0,
	DB_ERROR = -1,	  /* unexpected SQLite error, already logged */
	DB_NOTFOUND = -2, /* no such row */
	DB_EXISTS = -3,	  /* a UNIQUE constraint refused the row */
	DB_BUSY = -4,	  /* the lock could not be had within busy_timeout */
	DB_INVALID = -5,  /* a CHECK or FOREIGN KEY constraint refused the row */
};

enum db_open_flags {
	DB_OPEN_CREATE = 1 << 0, /* create the file if missing (db migrate only) */
};

#define DB_BUSY_TIMEOUT_MS 5000

/* Open PATH with WAL, busy_timeout and foreign keys on.  Returns NULL and
 * one line in err when the file is missing (without DB_OPEN_CREATE), not a
 * database, or unreadable. */
sqlite3 *db_open(const char *path, int flags, char *err, size_t errlen);
void db_close(sqlite3 *db);

/* PRAGMA user_version, or -1 on error. */
int db_schema_version(sqlite3 *db);
/* 0 if the schema is exactly DB_SCHEMA_VERSION, else -1 with a message
 * saying to run `left4mectl db migrate` (or that the DB is newer). */
int db_check_version(sqlite3 *db, char *err, size_t errlen);

/* Apply the pending migrations up to target (DB_SCHEMA_VERSION for all) in
 * one BEGIN EXCLUSIVE transaction, so concurrent migrators serialise and
 * the second finds nothing to do.  *applied (may be NULL) gets the number
 * of migrations run.  A failing migration rolls everything back.  A
 * database newer than this build is refused.  Foreign keys are off for the
 * transaction (a migration may rebuild a table) and PRAGMA
 * foreign_key_check must find nothing before the commit. */
int db_migrate(sqlite3 *db, int target, int *applied, char *err, size_t errlen);
/* The same with an explicit migration list (tests). */
int db_migrate_list(sqlite3 *db, const struct db_migration *list, size_t n, int target,
		    int *applied, char *err, size_t errlen);

/* Transactions.  begin_immediate takes the write lock up front
 * (read-then-write); returns DB_BUSY when it cannot within busy_timeout. */
int db_begin_immediate(sqlite3 *db);
int db_commit(sqlite3 *db);
void db_rollback(sqlite3 *db);

/* A write transaction that nests: outside any transaction it is BEGIN
 * IMMEDIATE ... COMMIT/ROLLBACK; inside a caller's transaction it is a
 * SAVEPOINT, so a failure undoes only this part.  *nested records which.
 * db_tx_end commits (rc == DB_OK) or rolls back, and returns the final rc. */
int db_tx_begin(sqlite3 *db, bool *nested);
int db_tx_end(sqlite3 *db, bool nested, int rc);

/* PRAGMA data_version: changes when another connection commits. */
int64_t db_data_version(sqlite3 *db);

/* Prepare a static SQL literal; logs and returns NULL on error. */
sqlite3_stmt *db_prepare(sqlite3 *db, const char *sql);
/* Map a sqlite3 result code from step() to enum db_rc, logging unexpected
 * errors with what (the operation's name). */
int db_rc_from(sqlite3 *db, int rc, const char *what);
/* Step a write statement (UPDATE/DELETE/INSERT without RETURNING) to
 * completion and finalize it: DB_OK if it changed a row, DB_NOTFOUND if it
 * changed none, else the mapped error. */
int db_step_change(sqlite3 *db, sqlite3_stmt *st, const char *what);
/* Step st once, for a read of at most one row: DB_OK with st on the row
 * (read its columns, then finalize st), DB_NOTFOUND when there is no row,
 * else the mapped error (logged with what).  Never finalizes st. */
int db_step_one(sqlite3 *db, sqlite3_stmt *st, const char *what);
/* Step an INSERT ... RETURNING id to completion and finalize it: DB_OK
 * with *id (may be NULL) set, DB_ERROR if it returned no row, else the
 * mapped error (DB_EXISTS, DB_INVALID, DB_BUSY ...). */
int db_step_insert(sqlite3 *db, sqlite3_stmt *st, int64_t *id, const char *what);
/* Bind NULL when s is NULL, else the text (SQLITE_TRANSIENT). */
int db_bind_text_or_null(sqlite3_stmt *st, int idx, const char *s);
/* Copy column i as a new string (NULL for SQL NULL); caller frees. */
char *db_column_strdup(sqlite3_stmt *st, int i);

/* Append a row to audit_log: actor is a user name, "system" or "cli". */
int db_audit(sqlite3 *db, int64_t user_id, const char *actor, const char *action,
	     const char *object, const char *detail);

#endif
