/* Server rows: creation rules, state, listing, deletion. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_job.h"
#include "db_server.h"
#include "testutil.h"

static char *dir;
static sqlite3 *db;

static void setup(void)
{
	dir = tu_mkdtemp();
	db = tu_db_new(dir);
	tu_db_exec(db, "INSERT INTO users (name, password_hash, created_at, updated_at) VALUES "
		       "('alice', '$y$x', 0, 0), ('bob', '$y$x', 0, 0);"
		       "INSERT INTO blueprints (user_id, name, created_at, updated_at) VALUES "
		       "(1, 'coop', 0, 0), (2, 'versus', 0, 0);");
}

static void teardown(void)
{
	db_close(db);
	tu_rmtree(dir);
	free(dir);
}

START_TEST(test_create_rules)
{
	int64_t id;

	ck_assert_int_eq(db_server_create(db, "alpha", 1, 1, 27015, &id), DB_OK);
	ck_assert_int_eq(db_server_create(db, "alpha", 1, 1, 27016, NULL), DB_EXISTS);
	ck_assert_int_eq(db_server_create(db, "beta", 1, 1, 27015, NULL), DB_EXISTS);
	ck_assert_int_eq(db_server_create(db, "beta", 1, 2, 27016, NULL), DB_INVALID); /* bob's */
	ck_assert_int_eq(db_server_create(db, "beta", 1, 99, 27016, NULL), DB_INVALID);
	ck_assert_int_eq(db_server_create(db, "../x", 1, 1, 27016, NULL), DB_INVALID);
	ck_assert_int_eq(db_server_create(db, "beta", 1, 1, 80, NULL), DB_INVALID);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM servers"), 1);
}
END_TEST

START_TEST(test_get_list_state_delete)
{
	struct server s, *list;
	struct job_request req = {.kind = JOB_START, .target = "alpha"};
	int64_t job;
	size_t n;

	ck_assert_int_eq(db_server_create(db, "beta", 2, 2, 27016, NULL), DB_OK);
	ck_assert_int_eq(db_server_create(db, "alpha", 1, 1, 27015, NULL), DB_OK);
	ck_assert_int_eq(db_job_enqueue(db, &req, &job, NULL), DB_OK);
	ck_assert_int_eq(db_server_get(db, "alpha", &s), DB_OK);
	ck_assert_str_eq(s.user_name, "alice");
	ck_assert_str_eq(s.blueprint_name, "coop");
	ck_assert_int_eq(s.port, 27015);
	ck_assert_int_eq(s.state, SERVER_NEW);
	ck_assert_int_eq(s.last_job_id, job);
	server_fini(&s);
	ck_assert_int_eq(db_server_list(db, 0, &list, &n), DB_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[0].name, "alpha");
	server_list_free(list, n);
	ck_assert_int_eq(db_server_list(db, 2, &list, &n), DB_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(list[0].name, "beta");
	ck_assert_int_eq(list[0].last_job_id, 0);
	server_list_free(list, n);
	ck_assert_int_eq(db_server_set_state(db, "alpha", SERVER_FAILED, "helper exited 65"),
			 DB_OK);
	ck_assert_int_eq(db_server_get(db, "alpha", &s), DB_OK);
	ck_assert_int_eq(s.state, SERVER_FAILED);
	ck_assert_str_eq(s.state_reason, "helper exited 65");
	server_fini(&s);
	ck_assert_int_eq(db_server_set_state(db, "nope", SERVER_RUNNING, NULL), DB_NOTFOUND);
	ck_assert_int_eq(db_server_delete(db, "alpha"), DB_OK);
	ck_assert_int_eq(db_server_delete(db, "alpha"), DB_NOTFOUND);
	ck_assert_int_eq(db_server_get(db, "alpha", &s), DB_NOTFOUND);
	{
		enum server_state st;

		ck_assert_int_eq(server_state_parse("running", &st), 0);
		ck_assert_int_eq(st, SERVER_RUNNING);
		ck_assert_int_eq(server_state_parse("exploded", &st), -1);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("db_server");
	TCase *tc = tcase_create("servers");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_create_rules);
	tcase_add_test(tc, test_get_list_state_delete);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
