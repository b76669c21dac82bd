/* Database open, migrations (from empty and from every earlier version,
 * concurrent migrators, rollback of a failing migration, newer schema
 * refused) and busy handling. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db.h"
#include "strbuf.h"
#include "testutil.h"
#include "xalloc.h"

static char *dir;
static char *path;

static void setup(void)
{
	dir = tu_mkdtemp();
	path = xasprintf("%s/left4me.db", dir);
}

static void teardown(void)
{
	tu_rmtree(dir);
	free(dir);
	free(path);
}

/* The schema as text: every table, index and its SQL, sorted. */
static char *schema_dump(sqlite3 *db)
{
	sqlite3_stmt *st;
	struct strbuf sb;

	strbuf_init(&sb);
	ck_assert(sqlite3_prepare_v2(db,
				     "SELECT type, name, sql FROM sqlite_schema "
				     "ORDER BY type, name",
				     -1, &st, NULL) == SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		strbuf_printf(
		    &sb, "%s %s %s\n", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
		    sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2) : "");
	sqlite3_finalize(st);
	{
		char *s = strbuf_detach(&sb);

		strbuf_fini(&sb);
		return s;
	}
}

START_TEST(test_open_missing)
{
	char err[256] = "";
	struct stat st;

	ck_assert_ptr_null(db_open(path, 0, err, sizeof(err)));
	ck_assert_msg(strstr(err, "does not exist") && strstr(err, "left4mectl db migrate"), "%s",
		      err);
	ck_assert_int_eq(stat(path, &st), -1); /* nothing created */
}
END_TEST

START_TEST(test_open_not_a_db)
{
	char err[256] = "";

	tu_write_file(path, "this is not a database, just text that is long enough\n");
	ck_assert_ptr_null(db_open(path, 0, err, sizeof(err)));
	ck_assert_msg(strstr(err, "not a database"), "%s", err);
}
END_TEST

START_TEST(test_open_pragmas)
{
	char err[256];
	sqlite3 *db = db_open(path, DB_OPEN_CREATE, err, sizeof(err));
	sqlite3_stmt *st;

	ck_assert_ptr_nonnull(db);
	ck_assert(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK);
	ck_assert(sqlite3_step(st) == SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	ck_assert_int_eq(tu_db_int(db, "PRAGMA foreign_keys"), 1);
	ck_assert_int_eq(tu_db_int(db, "PRAGMA busy_timeout"), DB_BUSY_TIMEOUT_MS);
	ck_assert_int_eq(db_schema_version(db), 0);
	ck_assert_int_eq(db_check_version(db, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "run 'left4mectl db migrate'"), "%s", err);
	db_close(db);
}
END_TEST

START_TEST(test_migrate_from_empty)
{
	char err[256];
	sqlite3 *db = db_open(path, DB_OPEN_CREATE, err, sizeof(err));
	int applied = -1;

	ck_assert_int_eq(db_migrate(db, DB_SCHEMA_VERSION, &applied, err, sizeof(err)), 0);
	ck_assert_int_eq(applied, DB_SCHEMA_VERSION);
	ck_assert_int_eq(db_schema_version(db), DB_SCHEMA_VERSION);
	ck_assert_int_eq(db_check_version(db, err, sizeof(err)), 0);
	/* every entity of DESIGN.md §3.1 has its table */
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM sqlite_schema WHERE type='table' "
				       "AND name IN ('users','sessions','api_tokens','blueprints',"
				       "'overlays','blueprint_overlays','servers','jobs','job_log',"
				       "'global_overlay_sources','global_overlay_items',"
				       "'global_overlay_item_files','audit_log')"),
			 13);
	ck_assert_int_eq(db_migrate(db, DB_SCHEMA_VERSION, &applied, err, sizeof(err)), 0);
	ck_assert_int_eq(applied, 0);
	db_close(db);
}
END_TEST

/* From every earlier version v: migrate to v, then to the latest; the
 * schema must equal the one made from empty in one go. */
START_TEST(test_migrate_from_every_version)
{
	char err[256], *ref_path = xasprintf("%s/ref.db", dir);
	sqlite3 *ref = db_open(ref_path, DB_OPEN_CREATE, err, sizeof(err));
	char *want;
	int v;

	ck_assert_int_eq(db_migrate(ref, DB_SCHEMA_VERSION, NULL, err, sizeof(err)), 0);
	want = schema_dump(ref);
	db_close(ref);
	for (v = 0; v <= DB_SCHEMA_VERSION; v++) {
		char *p = xasprintf("%s/v%d.db", dir, v), *got;
		sqlite3 *db = db_open(p, DB_OPEN_CREATE, err, sizeof(err));
		int applied;

		ck_assert_int_eq(db_migrate(db, v, NULL, err, sizeof(err)), 0);
		ck_assert_int_eq(db_schema_version(db), v);
		ck_assert_int_eq(db_migrate(db, DB_SCHEMA_VERSION, &applied, err, sizeof(err)), 0);
		ck_assert_int_eq(applied, DB_SCHEMA_VERSION - v);
		got = schema_dump(db);
		ck_assert_str_eq(got, want);
		free(got);
		db_close(db);
		free(p);
	}
	free(want);
	free(ref_path);
}
END_TEST

START_TEST(test_migrate_newer_refused)
{
	char err[256];
	sqlite3 *db = db_open(path, DB_OPEN_CREATE, err, sizeof(err));

	tu_db_exec(db, "PRAGMA user_version = 999");
	ck_assert_int_eq(db_migrate(db, DB_SCHEMA_VERSION, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "newer"), "%s", err);
	ck_assert_int_eq(db_check_version(db, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "newer than this build"), "%s", err);
	ck_assert_int_eq(db_schema_version(db), 999);
	db_close(db);
}
END_TEST

START_TEST(test_migrate_failure_rolls_back)
{
	static const struct db_migration list[] = {
	    {1, "one", "CREATE TABLE a (x INTEGER);"},
	    {2, "two", "CREATE TABLE b (y INTEGER); INSERT INTO nonexistent VALUES (1);"},
	};
	char err[256];
	sqlite3 *db = db_open(path, DB_OPEN_CREATE, err, sizeof(err));

	ck_assert_int_eq(db_migrate_list(db, list, 2, 2, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "migration 2 failed"), "%s", err);
	/* nothing of migration 1 or 2 stayed: one transaction */
	ck_assert_int_eq(db_schema_version(db), 0);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM sqlite_schema"), 0);
	/* and a bad target is refused */
	ck_assert_int_eq(db_migrate_list(db, list, 2, 3, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "no migration to version 3"), "%s", err);
	db_close(db);
}
END_TEST

/* Several processes migrate the same new database at once: exactly one
 * applies the migrations, the others find nothing to do, none fails. */
START_TEST(test_migrate_concurrent)
{
	enum { N = 4 };
	pid_t pids[N];
	int pipefd[2], i, total = 0;
	char err[256];
	sqlite3 *db;

	ck_assert_int_eq(pipe(pipefd), 0);
	for (i = 0; i < N; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			sqlite3 *c = db_open(path, DB_OPEN_CREATE, err, sizeof(err));
			int applied = -1;

			if (!c || db_migrate(c, DB_SCHEMA_VERSION, &applied, err, sizeof(err)) < 0)
				_exit(1);
			if (write(pipefd[1], &applied, sizeof(applied)) != sizeof(applied))
				_exit(2);
			db_close(c);
			_exit(0);
		}
	}
	close(pipefd[1]);
	for (i = 0; i < N; i++) {
		int status;

		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "migrator %d failed",
			      i);
	}
	for (i = 0; i < N; i++) {
		int applied;

		ck_assert_int_eq(read(pipefd[0], &applied, sizeof(applied)), sizeof(applied));
		total += applied;
	}
	close(pipefd[0]);
	ck_assert_int_eq(total, DB_SCHEMA_VERSION);
	db = db_open(path, 0, err, sizeof(err));
	ck_assert_int_eq(db_schema_version(db), DB_SCHEMA_VERSION);
	db_close(db);
}
END_TEST

/* A second connection holds the write lock: a writer waits busy_timeout
 * and then reports DB_BUSY; nothing half-written remains; once the lock
 * is released the write goes through. */
START_TEST(test_busy)
{
	char err[256];
	sqlite3 *a = tu_db_new(dir), *b = db_open(path, 0, err, sizeof(err));

	ck_assert_ptr_nonnull(b);
	sqlite3_busy_timeout(b, 100);
	tu_db_exec(a, "BEGIN IMMEDIATE");
	ck_assert_int_eq(db_begin_immediate(b), DB_BUSY);
	ck_assert_int_eq(db_audit(b, 0, "test", "busy", "", ""), DB_BUSY);
	tu_db_exec(a, "COMMIT");
	ck_assert_int_eq(db_audit(b, 0, "test", "free", "", ""), DB_OK);
	ck_assert_int_eq(tu_db_int(a, "SELECT count(*) FROM audit_log"), 1);
	db_close(a);
	db_close(b);
}
END_TEST

/* The CHECK constraints refuse what validators refuse, as a second line. */
START_TEST(test_checks)
{
	sqlite3 *db = tu_db_new(dir);
	static const char *const bad[] = {
	    "INSERT INTO users (name, password_hash, created_at, updated_at) "
	    "VALUES ('Bad Name', '$y$x', 0, 0)",
	    "INSERT INTO users (name, password_hash, created_at, updated_at) "
	    "VALUES ('ok', 'plaintext', 0, 0)",
	    "INSERT INTO users (name, password_hash, role, created_at, updated_at) "
	    "VALUES ('ok', '$y$x', 'root', 0, 0)",
	    "INSERT INTO jobs (kind, queue, created_at) VALUES ('format_disk', 'worker', 0)",
	    "INSERT INTO jobs (kind, queue, state, created_at) "
	    "VALUES ('start', 'worker', 'running', 0)", /* running needs started_at */
	    "INSERT INTO overlays (name, kind, created_at, updated_at) "
	    "VALUES ('x', 'user', 0, 0)", /* user overlay without an owner */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg((sqlite3_exec(db, bad[i], NULL, NULL, NULL) & 0xff) ==
				  SQLITE_CONSTRAINT,
			      "accepted: %s", bad[i]);
	tu_db_exec(db, "INSERT INTO users (name, password_hash, created_at, updated_at) "
		       "VALUES ('u', '$y$x', 0, 0)");
	tu_db_exec(db, "INSERT INTO blueprints (user_id, name, created_at, updated_at) "
		       "VALUES (1, 'b', 0, 0)");
	ck_assert(sqlite3_exec(db,
			       "INSERT INTO servers (name, user_id, blueprint_id, port, "
			       "created_at, updated_at) VALUES ('../etc', 1, 1, 27015, 0, 0)",
			       NULL, NULL, NULL) == SQLITE_CONSTRAINT_CHECK);
	ck_assert(sqlite3_exec(db,
			       "INSERT INTO servers (name, user_id, blueprint_id, port, "
			       "created_at, updated_at) VALUES ('ok', 1, 1, 80, 0, 0)",
			       NULL, NULL, NULL) == SQLITE_CONSTRAINT_CHECK);
	ck_assert(sqlite3_exec(db,
			       "INSERT INTO servers (name, user_id, blueprint_id, port, "
			       "created_at, updated_at) VALUES ('ok', 1, 99, 27015, 0, 0)",
			       NULL, NULL, NULL) == SQLITE_CONSTRAINT_FOREIGNKEY);
	db_close(db);
}
END_TEST

/* db_step_one: a row (st stays on it), no row, and an error, each mapped
 * to its one return code; st is never finalized by it. */
START_TEST(test_step_one)
{
	sqlite3 *db = tu_db_new(dir);
	sqlite3_stmt *st;

	st = db_prepare(db, "SELECT 42, 'x'");
	ck_assert_int_eq(db_step_one(db, st, "test row"), DB_OK);
	ck_assert_int_eq(sqlite3_column_int(st, 0), 42);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 1), "x");
	ck_assert_int_eq(sqlite3_finalize(st), SQLITE_OK);

	st = db_prepare(db, "SELECT id FROM users WHERE id = 1");
	ck_assert_int_eq(db_step_one(db, st, "test none"), DB_NOTFOUND);
	ck_assert_int_eq(sqlite3_finalize(st), SQLITE_OK);

	/* an error at step time: the overflow, and a CHECK refusing a row */
	st = db_prepare(db, "SELECT abs(-9223372036854775807 - 1)");
	ck_assert_int_eq(db_step_one(db, st, "test error"), DB_ERROR);
	sqlite3_finalize(st);
	st = db_prepare(db, "INSERT INTO users (name, password_hash, created_at, updated_at) "
			    "VALUES ('Bad Name', '$y$x', 0, 0) RETURNING id");
	ck_assert_int_eq(db_step_one(db, st, "test check"), DB_INVALID);
	sqlite3_finalize(st);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM users"), 0);
	db_close(db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("db");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_open_missing);
	tcase_add_test(tc, test_open_not_a_db);
	tcase_add_test(tc, test_open_pragmas);
	tcase_add_test(tc, test_migrate_from_empty);
	tcase_add_test(tc, test_migrate_from_every_version);
	tcase_add_test(tc, test_migrate_newer_refused);
	tcase_add_test(tc, test_migrate_failure_rolls_back);
	tcase_add_test(tc, test_migrate_concurrent);
	tcase_add_test(tc, test_busy);
	tcase_add_test(tc, test_checks);
	tcase_add_test(tc, test_step_one);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
