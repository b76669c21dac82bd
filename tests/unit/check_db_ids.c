/* Ids that name things are never reused (migration 2): a deleted row's id
 * is never handed out again, for every table rebuilt with AUTOINCREMENT;
 * a version-1 database with rows migrates keeping its rows, indexes and
 * foreign keys, and starts each table above every id it still knows of;
 * migrating twice changes nothing; db_migrate_list keeps child rows of a
 * rebuilt table and refuses a migration that breaks a foreign key. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_blueprint.h"
#include "db_job.h"
#include "db_overlay.h"
#include "strbuf.h"
#include "testutil.h"
#include "xalloc.h"

static char *dir;

static void setup(void)
{
	dir = tu_mkdtemp();
}

static void teardown(void)
{
	tu_rmtree(dir);
	free(dir);
}

static sqlite3 *open_at(const char *name, int version)
{
	char *p = xasprintf("%s/%s", dir, name), err[256];
	sqlite3 *db = db_open(p, DB_OPEN_CREATE, err, sizeof(err));

	ck_assert_msg(db != NULL, "%s", err);
	ck_assert_msg(db_migrate(db, version, NULL, err, sizeof(err)) == 0, "%s", err);
	free(p);
	return db;
}

/* Every row of every column of the result of sql, as text. */
static char *dump(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	struct strbuf sb;
	char *s;

	strbuf_init(&sb);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
		      sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const unsigned char *t = sqlite3_column_text(st, i);

			strbuf_printf(&sb, "%s%s", i ? "|" : "", t ? (const char *)t : "NULL");
		}
		strbuf_printf(&sb, "\n");
	}
	sqlite3_finalize(st);
	s = strbuf_detach(&sb);
	strbuf_fini(&sb);
	return s;
}

static const char *const all_tables[] = {
    "users",	 "sessions",   "api_tokens",	       "global_overlay_sources",
    "overlays",	 "blueprints", "blueprint_overlays",   "servers",
    "jobs",	 "job_log",    "global_overlay_items", "global_overlay_item_files",
    "audit_log",
};
#define N_TABLES (sizeof(all_tables) / sizeof(all_tables[0]))

/* Each table's rows, in rowid order (blueprint_overlays has no id). */
static char *dump_rows(sqlite3 *db)
{
	struct strbuf sb;
	char *s;

	strbuf_init(&sb);
	for (size_t i = 0; i < N_TABLES; i++) {
		char *sql = xasprintf("SELECT * FROM %s ORDER BY rowid", all_tables[i]);
		char *rows = dump(db, sql);

		strbuf_printf(&sb, "== %s\n%s", all_tables[i], rows);
		free(rows);
		free(sql);
	}
	s = strbuf_detach(&sb);
	strbuf_fini(&sb);
	return s;
}

/* A table changed by migration 2: two rows in turn, the first deleted
 * before the second is made.  prereq makes what the rows point at. */
static const struct {
	const char *table, *prereq, *insert_a, *insert_b;
} tables[] = {
    {"users", "",
     "INSERT INTO users (name, password_hash, created_at, updated_at) "
     "VALUES ('alice', '$y$x', 0, 0)",
     "INSERT INTO users (name, password_hash, created_at, updated_at) "
     "VALUES ('bob', '$y$x', 0, 0)"},
    {"api_tokens",
     "INSERT INTO users (name, password_hash, created_at, updated_at) "
     "VALUES ('alice', '$y$x', 0, 0)",
     "INSERT INTO api_tokens (user_id, token_hash, created_at) "
     "VALUES (1, printf('%064d', 1), 0)",
     "INSERT INTO api_tokens (user_id, token_hash, created_at) "
     "VALUES (1, printf('%064d', 2), 0)"},
    {"overlays",
     "INSERT INTO users (name, password_hash, created_at, updated_at) "
     "VALUES ('alice', '$y$x', 0, 0)",
     "INSERT INTO overlays (user_id, name, kind, created_at, updated_at) "
     "VALUES (1, 'a', 'user', 0, 0)",
     "INSERT INTO overlays (user_id, name, kind, created_at, updated_at) "
     "VALUES (1, 'b', 'user', 0, 0)"},
    {"blueprints",
     "INSERT INTO users (name, password_hash, created_at, updated_at) "
     "VALUES ('alice', '$y$x', 0, 0)",
     "INSERT INTO blueprints (user_id, name, created_at, updated_at) VALUES (1, 'a', 0, 0)",
     "INSERT INTO blueprints (user_id, name, created_at, updated_at) VALUES (1, 'b', 0, 0)"},
    {"servers",
     "INSERT INTO users (name, password_hash, created_at, updated_at) "
     "VALUES ('alice', '$y$x', 0, 0);"
     "INSERT INTO blueprints (user_id, name, created_at, updated_at) VALUES (1, 'a', 0, 0)",
     "INSERT INTO servers (name, user_id, blueprint_id, port, created_at, updated_at) "
     "VALUES ('alpha', 1, 1, 27015, 0, 0)",
     "INSERT INTO servers (name, user_id, blueprint_id, port, created_at, updated_at) "
     "VALUES ('beta', 1, 1, 27016, 0, 0)"},
    {"jobs", "",
     "INSERT INTO jobs (kind, target, queue, created_at) VALUES ('start', 'alpha', 'worker', 0)",
     "INSERT INTO jobs (kind, target, queue, created_at) VALUES ('stop', 'alpha', 'worker', 0)"},
};

/* Make row 1, delete it, make another: it is row 2, not 1 again. */
START_TEST(test_deleted_id_not_reused)
{
	sqlite3 *db = tu_db_new(dir);
	char *del = xasprintf("DELETE FROM %s", tables[_i].table);
	char *max = xasprintf("SELECT max(id) FROM %s", tables[_i].table);

	if (tables[_i].prereq[0])
		tu_db_exec(db, tables[_i].prereq);
	tu_db_exec(db, tables[_i].insert_a);
	ck_assert_int_eq(tu_db_int(db, max), 1);
	tu_db_exec(db, del);
	tu_db_exec(db, tables[_i].insert_b);
	ck_assert_msg(tu_db_int(db, max) == 2, "%s: id %lld handed out again", tables[_i].table,
		      tu_db_int(db, max));
	free(del);
	free(max);
	db_close(db);
}
END_TEST

/* Through the API: Alice's overlay 1 goes (with a job that removes its
 * directory), Bob's next overlay is 2. */
START_TEST(test_overlay_delete)
{
	sqlite3 *db = tu_db_new(dir);
	struct blueprint_overlay link = {.overlay_id = 3};
	int64_t o, bp;

	tu_db_exec(db, "INSERT INTO users (name, password_hash, created_at, updated_at) VALUES "
		       "('alice', '$y$x', 0, 0), ('bob', '$y$x', 0, 0)");
	ck_assert_int_eq(db_overlay_create(db, 1, "secrets", NULL, &o), DB_OK);
	ck_assert_int_eq(o, 1);
	ck_assert_int_eq(db_overlay_delete(db, 1), DB_OK);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM jobs WHERE kind = 'delete_overlay' "
				       "AND target = '1' AND user_id = 1 AND queue = 'worker' "
				       "AND lock_key = 'overlay:1' AND state = 'queued'"),
			 1);
	ck_assert_int_eq(db_overlay_create(db, 2, "mine", NULL, &o), DB_OK);
	ck_assert_int_eq(o, 2);
	/* gone already, global, or linked: nothing deleted, no job */
	ck_assert_int_eq(db_overlay_delete(db, 1), DB_NOTFOUND);
	ck_assert_int_eq(db_overlay_create(db, 1, "linked", NULL, &o), DB_OK);
	ck_assert_int_eq(o, 3);
	ck_assert_int_eq(db_blueprint_create(db, 1, "bp", "", &bp), DB_OK);
	ck_assert_int_eq(db_blueprint_set_overlays(db, bp, 1, &link, 1), DB_OK);
	ck_assert_int_eq(db_overlay_delete(db, 3), DB_INVALID);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM overlays WHERE id = 3"), 1);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM jobs"), 1);
	/* the job kind: a valid id as target, on the worker's queue */
	ck_assert_int_eq(job_kind_queue(JOB_DELETE_OVERLAY), QUEUE_WORKER);
	ck_assert(!job_kind_is_server(JOB_DELETE_OVERLAY));
	{
		struct job_request bad = {.kind = JOB_DELETE_OVERLAY, .target = "../1"};
		int64_t id;

		ck_assert_int_eq(db_job_enqueue(db, &bad, &id, NULL), DB_INVALID);
	}
	db_close(db);
}
END_TEST

/* A version-1 database as a deployment has it, with ids deleted before
 * the migration, some of them (overlay 7, job 9) the highest ever made
 * and known only from what still names them. */
static const char v1_rows[] =
    "INSERT INTO users (id, name, password_hash, created_at, updated_at) VALUES "
    "  (1, 'alice', '$y$a', 1, 1), (2, 'bob', '$y$b', 2, 2), (3, 'carol', '$y$c', 3, 3);"
    "DELETE FROM users WHERE id = 2;"
    "INSERT INTO sessions (user_id, token_hash, csrf_token, created_at, expires_at, "
    "  last_seen_at) VALUES (1, printf('%064d', 1), printf('%032d', 1), 1, 9, 1);"
    "INSERT INTO api_tokens (id, user_id, token_hash, label, created_at) VALUES "
    "  (1, 1, printf('%064d', 7), 'ci', 1), (2, 3, printf('%064d', 8), '', 1);"
    "INSERT INTO global_overlay_sources (id, name, kind, url, created_at) VALUES "
    "  (1, 'maps', 'json_index', 'https://example.org/i.json', 1);"
    "INSERT INTO overlays (id, user_id, name, kind, source_id, created_at, updated_at) VALUES "
    "  (1, NULL, 'maps', 'global', 1, 1, 1);"
    "INSERT INTO overlays (id, user_id, name, kind, build_script, build_status, created_at, "
    "  updated_at) VALUES (2, 1, 'cfg', 'user', NULL, NULL, 1, 1),"
    "  (3, 1, 'sm', 'script', 'echo', 'ok', 1, 1), (4, 3, 'c', 'user', NULL, NULL, 1, 1),"
    "  (5, 1, 'old', 'script', 'echo', 'ok', 1, 1), (6, 1, 'up', 'user', NULL, NULL, 1, 1),"
    "  (7, 1, 'newest', 'user', NULL, NULL, 1, 1);"
    "INSERT INTO blueprints (id, user_id, name, config, created_at, updated_at) VALUES "
    "  (1, 1, 'coop', 'sv_lan 0', 1, 1), (2, 3, 'vs', '', 1, 1);"
    "INSERT INTO blueprint_overlays VALUES (1, 3, 0, 1), (1, 1, 1, 0), (2, 4, 0, 0);"
    "INSERT INTO servers (id, name, user_id, blueprint_id, port, state, created_at, "
    "  updated_at) VALUES (1, 'alpha', 1, 1, 27015, 'running', 1, 1),"
    "  (2, 'beta', 3, 2, 27016, 'new', 1, 1);"
    "INSERT INTO jobs (id, kind, target, user_id, queue, lock_key, state, created_at, "
    "  started_at, finished_at) VALUES "
    "  (1, 'start', 'alpha', 1, 'worker', 'server:alpha', 'succeeded', 1, 1, 2),"
    "  (2, 'build_overlay', '5', 1, 'worker', 'overlay:5', 'succeeded', 1, 1, 2),"
    "  (3, 'refresh_global_overlays', '', NULL, 'fetcher', 'global', 'failed', 1, 1, 2),"
    "  (9, 'stop', 'alpha', 1, 'worker', 'server:alpha', 'succeeded', 1, 1, 2);"
    "INSERT INTO jobs (id, kind, target, user_id, queue, lock_key, coalesce_key, created_at) "
    "  VALUES (4, 'build_overlay', '3', 1, 'worker', 'overlay:3', 'build_overlay:3', 5);"
    "INSERT INTO job_log (job_id, ts, stream, line) VALUES (1, 1, 'step', 'start alpha'),"
    "  (2, 1, 'stdout', 'built'), (9, 1, 'step', 'stop alpha');"
    "INSERT INTO global_overlay_items (id, source_id, name, url, created_at) VALUES "
    "  (1, 1, 'm.zip', 'https://example.org/m.zip', 1);"
    "INSERT INTO global_overlay_item_files (item_id, path, size) VALUES (1, 'm.vpk', 3);"
    "INSERT INTO audit_log (at, user_id, actor, action, object, detail) VALUES "
    "  (1, 1, 'alice', 'overlay_upload', '6', ''),"
    "  (2, 1, 'alice', 'overlay_file_delete', '7', ''),"
    "  (3, 1, 'alice', 'build_overlay', '5', 'job=2'),"
    "  (4, 1, 'alice', 'stop', 'alpha', 'job=9'),"
    "  (5, 1, 'alice', 'overlay_upload', '99999999999999999999', ''),"
    "  (6, 1, 'alice', 'overlay_upload', '12abc', ''),"
    "  (7, NULL, 'cli', 'user.add', 'carol', 'user');"
    /* gone before the migration: overlays 5 to 7 (5 built, 6 uploaded
     * to, 7 had a file deleted), job 9 (its log with it) */
    "DELETE FROM overlays WHERE id IN (5, 6, 7);"
    "DELETE FROM jobs WHERE id = 9;";

START_TEST(test_migrate_v1_with_rows)
{
	sqlite3 *db = open_at("v1.db", 1), *fresh = open_at("fresh.db", DB_SCHEMA_VERSION);
	char err[256], *before, *after, *schema, *want, *seq;
	int applied = -1;
	int64_t id;

	tu_db_exec(db, v1_rows);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM sqlite_schema "
				       "WHERE name = 'sqlite_sequence'"),
			 0);
	before = dump_rows(db);
	ck_assert_int_eq(db_migrate(db, 2, &applied, err, sizeof(err)), 0);
	ck_assert_int_eq(applied, 1);
	/* every row kept, ids and all (by migration 2; later ones add columns) */
	after = dump_rows(db);
	ck_assert_str_eq(after, before);
	free(after);
	ck_assert_int_eq(db_migrate(db, DB_SCHEMA_VERSION, &applied, err, sizeof(err)), 0);
	ck_assert_int_eq(applied, DB_SCHEMA_VERSION - 2);
	/* the same tables, indexes and foreign keys as a database made new */
	schema = dump(db, "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name");
	want = dump(fresh, "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name");
	ck_assert_str_eq(schema, want);
	free(want);
	ck_assert(strstr(schema, "index|jobs_pending|jobs|CREATE INDEX jobs_pending"));
	ck_assert(strstr(schema, "index|overlays_user|overlays|"));
	ck_assert(strstr(schema, "\"overlays\" (  id           INTEGER PRIMARY KEY AUTOINCREMENT"));
	ck_assert_int_eq(tu_db_int(db, "PRAGMA foreign_keys"), 1);
	ck_assert_str_eq((want = dump(db, "PRAGMA foreign_key_check")), "");
	free(want);
	/* and they still hold, against the rebuilt tables */
	/* (a RESTRICT action fails as SQLITE_CONSTRAINT_TRIGGER) */
	ck_assert(sqlite3_exec(db, "DELETE FROM users WHERE id = 3", NULL, NULL, NULL) ==
		  SQLITE_CONSTRAINT_TRIGGER); /* carol's server */
	ck_assert(sqlite3_exec(db, "DELETE FROM overlays WHERE id = 3", NULL, NULL, NULL) ==
		  SQLITE_CONSTRAINT_TRIGGER); /* linked by blueprint 1 */
	ck_assert(
	    sqlite3_exec(db,
			 "INSERT INTO servers (name, user_id, blueprint_id, port, created_at, "
			 "updated_at) VALUES ('gamma', 1, 42, 27017, 1, 1)",
			 NULL, NULL, NULL) == SQLITE_CONSTRAINT_FOREIGNKEY);
	/* carol goes, and what is hers with her (cascades to rebuilt tables) */
	tu_db_exec(db, "DELETE FROM servers WHERE id = 2; DELETE FROM blueprints WHERE id = 2;"
		       "DELETE FROM users WHERE id = 3");
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM api_tokens WHERE user_id = 3"), 0);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM overlays WHERE user_id = 3"), 0);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM blueprint_overlays"), 2);
	/* sqlite_sequence starts above every id still named: overlay 7 (the
	 * audit log), job 9 (the audit detail); a 20-digit object is no id */
	seq = dump(db, "SELECT name, seq FROM sqlite_sequence ORDER BY name");
	ck_assert_str_eq(seq, "api_tokens|2\nblueprints|2\njobs|9\noverlays|7\nservers|2\n"
			      "users|3\n");
	/* idempotent: a second run applies nothing and changes nothing */
	free(before);
	before = dump_rows(db);
	ck_assert_int_eq(db_migrate(db, DB_SCHEMA_VERSION, &applied, err, sizeof(err)), 0);
	ck_assert_int_eq(applied, 0);
	after = dump_rows(db);
	ck_assert_str_eq(after, before);
	free(after);
	after = dump(db, "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name");
	ck_assert_str_eq(after, schema);
	free(after);
	after = dump(db, "SELECT name, seq FROM sqlite_sequence ORDER BY name");
	ck_assert_str_eq(after, seq);
	free(after);
	/* no old id comes back, even one deleted just now */
	tu_db_exec(db, "INSERT INTO users (name, password_hash, created_at, updated_at) "
		       "VALUES ('dave', '$y$d', 9, 9)");
	ck_assert_int_eq(tu_db_int(db, "SELECT id FROM users WHERE name = 'dave'"), 4);
	ck_assert_int_eq(db_overlay_create(db, 4, "fresh", NULL, &id), DB_OK);
	ck_assert_int_eq(id, 8);
	ck_assert_int_eq(db_overlay_delete(db, 8), DB_OK);
	ck_assert_int_eq(tu_db_int(db, "SELECT id FROM jobs WHERE kind = 'delete_overlay'"), 10);
	ck_assert_int_eq(db_overlay_create(db, 4, "again", NULL, &id), DB_OK);
	ck_assert_int_eq(id, 9);
	ck_assert_int_eq(db_blueprint_create(db, 4, "b", "", &id), DB_OK);
	ck_assert_int_eq(id, 3);
	tu_db_exec(db, "INSERT INTO servers (name, user_id, blueprint_id, port, created_at, "
		       "updated_at) VALUES ('gamma', 4, 3, 27017, 1, 1);"
		       "INSERT INTO api_tokens (user_id, token_hash, created_at) "
		       "VALUES (4, printf('%064d', 9), 1)");
	ck_assert_int_eq(tu_db_int(db, "SELECT id FROM servers WHERE name = 'gamma'"), 3);
	ck_assert_int_eq(tu_db_int(db, "SELECT max(id) FROM api_tokens"), 3);
	free(before);
	free(seq);
	free(schema);
	db_close(db);
	db_close(fresh);
}
END_TEST

/* Rebuilding a parent table keeps its children (foreign keys are off for
 * the migration, so DROP TABLE deletes nothing); a migration that leaves a
 * child naming a missing parent is refused and rolled back; foreign keys
 * are on again after either. */
START_TEST(test_migrate_foreign_keys)
{
	static const struct db_migration list[] = {
	    {1, "one",
	     "CREATE TABLE p (id INTEGER PRIMARY KEY);"
	     "CREATE TABLE c (p_id INTEGER NOT NULL REFERENCES p(id) ON DELETE CASCADE);"
	     "INSERT INTO p VALUES (1), (2); INSERT INTO c VALUES (1), (2);"},
	    {2, "rebuild p",
	     "CREATE TABLE p_new (id INTEGER PRIMARY KEY AUTOINCREMENT);"
	     "INSERT INTO p_new SELECT id FROM p; DROP TABLE p; ALTER TABLE p_new RENAME TO p;"},
	    {3, "lose a parent", "DELETE FROM p WHERE id = 2;"},
	};
	char err[256], *p = xasprintf("%s/fk.db", dir);
	sqlite3 *db = db_open(p, DB_OPEN_CREATE, err, sizeof(err));

	ck_assert_int_eq(db_migrate_list(db, list, 3, 2, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM c"), 2);
	ck_assert_int_eq(tu_db_int(db, "PRAGMA foreign_keys"), 1);
	ck_assert_int_eq(db_migrate_list(db, list, 3, 3, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "breaks a foreign key") && strstr(err, "of c names a missing "
									 "row of p"),
		      "%s", err);
	ck_assert_int_eq(db_schema_version(db), 2);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM p"), 2);
	ck_assert_int_eq(tu_db_int(db, "PRAGMA foreign_keys"), 1);
	db_close(db);
	free(p);
}
END_TEST

/* Migration 5 rebuilds jobs (kind command, schedule_id): the rows and
 * their ids stay, and a job id deleted just before is not handed out
 * again; a queued command job needs a schedule, and deleting the
 * schedule keeps its jobs. */
START_TEST(test_migrate_v4_jobs_keep_sequence)
{
	sqlite3 *db = open_at("v4.db", 4);
	char err[256], *before, *after;
	struct job_request req = {.kind = JOB_COMMAND, .target = "alpha", .user_id = 1};
	int64_t id;

	tu_db_exec(db, "INSERT INTO users (id, name, password_hash, created_at, updated_at) "
		       "VALUES (1, 'alice', '$y$a', 1, 1);"
		       "INSERT INTO blueprints (id, user_id, name, created_at, updated_at) "
		       "VALUES (1, 1, 'bp', 1, 1);"
		       "INSERT INTO servers (id, name, user_id, blueprint_id, port, created_at, "
		       "updated_at) VALUES (1, 'alpha', 1, 1, 27015, 1, 1);"
		       "INSERT INTO jobs (id, kind, target, user_id, queue, lock_key, created_at) "
		       "VALUES (1, 'start', 'alpha', 1, 'worker', 'server:alpha', 1),"
		       "(2, 'stop', 'alpha', 1, 'worker', 'server:alpha', 1),"
		       "(3, 'restart', 'alpha', 1, 'worker', 'server:alpha', 1);"
		       "INSERT INTO job_log (job_id, ts, stream, line) VALUES (2, 1, 'step', 'x');"
		       "DELETE FROM jobs WHERE id = 3;");
	before = dump(db, "SELECT id, kind, target, state FROM jobs ORDER BY id");
	ck_assert_msg(db_migrate(db, DB_SCHEMA_VERSION, NULL, err, sizeof(err)) == 0, "%s", err);
	after = dump(db, "SELECT id, kind, target, state FROM jobs ORDER BY id");
	ck_assert_str_eq(after, before);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM job_log WHERE job_id = 2"), 1);
	ck_assert_int_eq(tu_db_int(db, "SELECT seq FROM sqlite_sequence WHERE name = 'jobs'"), 3);
	ck_assert_int_eq(db_job_enqueue(db, &req, &id, NULL), DB_INVALID);
	tu_db_exec(db, "INSERT INTO schedules (id, server_id, action, cron, command, created_at, "
		       "updated_at) VALUES (1, 1, 'command', '* * * * *', 'say hi', 1, 1)");
	req.schedule_id = 1;
	ck_assert_int_eq(db_job_enqueue(db, &req, &id, NULL), DB_OK);
	ck_assert_int_eq(id, 4);
	tu_db_exec(db, "DELETE FROM schedules");
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM jobs WHERE id = 4 "
				       "AND schedule_id IS NULL"),
			 1);
	/* a server's schedules go with it */
	tu_db_exec(db, "INSERT INTO schedules (server_id, action, cron, created_at, updated_at) "
		       "VALUES (1, 'restart', '0 4 * * *', 1, 1);"
		       "DELETE FROM jobs; DELETE FROM servers");
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM schedules"), 0);
	free(before);
	free(after);
	db_close(db);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("db_ids");
	TCase *tc = tcase_create("ids");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_deleted_id_not_reused, 0, sizeof(tables) / sizeof(tables[0]));
	tcase_add_test(tc, test_overlay_delete);
	tcase_add_test(tc, test_migrate_v1_with_rows);
	tcase_add_test(tc, test_migrate_foreign_keys);
	tcase_add_test(tc, test_migrate_v4_jobs_keep_sequence);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
