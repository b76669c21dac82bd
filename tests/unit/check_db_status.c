/* Live server state (db_status.h): a row written whole and read back,
 * NULL columns, the player list replaced, the minute history and its
 * pruning, the schema's refusals, and everything gone with the server. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_server.h"
#include "db_status.h"
#include "testutil.h"

static char *dir;
static sqlite3 *db;
static int64_t alpha, beta;

static void setup(void)
{
	dir = tu_mkdtemp();
	db = tu_db_new(dir);
	tu_db_exec(db, "INSERT INTO users (name, password_hash, created_at, updated_at) VALUES "
		       "('alice', '$y$x', 0, 0);"
		       "INSERT INTO blueprints (user_id, name, created_at, updated_at) VALUES "
		       "(1, 'coop', 0, 0);");
	ck_assert_int_eq(db_server_create(db, "beta", 1, 1, 27016, &beta), DB_OK);
	ck_assert_int_eq(db_server_create(db, "alpha", 1, 1, 27015, &alpha), DB_OK);
}

static void teardown(void)
{
	db_close(db);
	tu_rmtree(dir);
	free(dir);
}

START_TEST(test_targets)
{
	struct status_target *t;
	size_t n;

	ck_assert_int_eq(db_status_targets(db, &t, &n), DB_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(t[0].name, "alpha");
	ck_assert_int_eq(t[0].port, 27015);
	ck_assert_int_eq(t[0].id, alpha);
	ck_assert_str_eq(t[1].name, "beta");
	free(t);
}
END_TEST

START_TEST(test_put_get)
{
	struct server_status st, got;

	ck_assert_int_eq(db_status_get(db, "alpha", &got), DB_NOTFOUND);
	memset(&st, 0, sizeof(st));
	st.live_state = LIVE_FAILED;
	snprintf(st.active_state, sizeof(st.active_state), "failed");
	snprintf(st.sub_state, sizeof(st.sub_state), "failed");
	snprintf(st.unit_result, sizeof(st.unit_result), "start-limit-hit");
	st.restarts = 5;
	st.has_exit_signal = true;
	st.exit_signal = 11;
	st.has_memory = true;
	st.memory_bytes = 5000000000ULL;
	ck_assert_int_eq(db_status_put(db, alpha, &st), DB_OK);
	ck_assert_int_eq(db_status_get(db, "alpha", &got), DB_OK);
	ck_assert_int_eq(got.live_state, LIVE_FAILED);
	ck_assert_str_eq(got.unit_result, "start-limit-hit");
	ck_assert_uint_eq(got.restarts, 5);
	ck_assert(!got.has_exit_code && got.has_exit_signal && got.exit_signal == 11);
	ck_assert(!got.has_cpu && got.has_memory && !got.has_tasks);
	ck_assert_uint_eq(got.memory_bytes, 5000000000ULL);
	ck_assert(!got.has_a2s);
	ck_assert_str_eq(got.a2s_error, "");
	ck_assert_int_gt(got.updated_at, 0);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM server_status WHERE a2s_map IS NULL "
				       "AND a2s_players IS NULL AND exit_code IS NULL"),
			 1);

	/* a second write replaces the row */
	st.live_state = LIVE_READY;
	st.has_a2s = true;
	st.a2s_at = 1234;
	snprintf(st.map, sizeof(st.map), "c2m1_highway");
	snprintf(st.name, sizeof(st.name), "left4me alpha");
	snprintf(st.version, sizeof(st.version), "2.2.4");
	st.players = 3;
	st.bots = 1;
	st.max_players = 8;
	st.vac = true;
	st.rtt_ms = 7;
	ck_assert_int_eq(db_status_put(db, alpha, &st), DB_OK);
	ck_assert_int_eq(db_status_get(db, "alpha", &got), DB_OK);
	ck_assert_int_eq(got.live_state, LIVE_READY);
	ck_assert(got.has_a2s && got.a2s_at == 1234 && got.vac);
	ck_assert_str_eq(got.map, "c2m1_highway");
	ck_assert_str_eq(got.name, "left4me alpha");
	ck_assert_str_eq(got.version, "2.2.4");
	ck_assert_int_eq(got.players, 3);
	ck_assert_int_eq(got.bots, 1);
	ck_assert_int_eq(got.max_players, 8);
	ck_assert_uint_eq(got.rtt_ms, 7);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM server_status"), 1);

	/* a server that is not there */
	ck_assert_int_eq(db_status_put(db, 999, &st), DB_INVALID);
}
END_TEST

START_TEST(test_schema_refuses)
{
	sqlite3_stmt *st;

	ck_assert_int_eq(sqlite3_prepare_v2(db,
					    "INSERT INTO server_status (server_id, live_state, "
					    "updated_at) VALUES (1, 'exploded', 0)",
					    -1, &st, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st) & 0xff, SQLITE_CONSTRAINT);
	sqlite3_finalize(st);
	ck_assert_int_eq(sqlite3_prepare_v2(db,
					    "INSERT INTO server_status (server_id, restarts, "
					    "updated_at) VALUES (1, -1, 0)",
					    -1, &st, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st) & 0xff, SQLITE_CONSTRAINT);
	sqlite3_finalize(st);
}
END_TEST

START_TEST(test_players)
{
	struct a2s_player p[3];
	struct status_player *got;
	size_t n;

	memset(p, 0, sizeof(p));
	snprintf(p[0].name, sizeof(p[0].name), "Zoey");
	p[0].score = 12;
	p[0].duration = 61.9f;
	snprintf(p[1].name, sizeof(p[1].name), "Bill");
	p[1].score = -3;
	p[1].duration = -1.0f; /* off the wire: not a time */
	ck_assert_int_eq(db_status_put_players(db, alpha, p, 2), DB_OK);
	ck_assert_int_eq(db_status_players(db, "alpha", &got, &n), DB_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(got[0].name, "Zoey");
	ck_assert_int_eq(got[0].score, 12);
	ck_assert_int_eq(got[0].seconds, 61);
	ck_assert_str_eq(got[1].name, "Bill");
	ck_assert_int_eq(got[1].seconds, 0);
	free(got);

	/* replaced whole */
	ck_assert_int_eq(db_status_put_players(db, alpha, p + 1, 1), DB_OK);
	ck_assert_int_eq(db_status_players(db, "alpha", &got, &n), DB_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(got[0].name, "Bill");
	free(got);
	ck_assert_int_eq(db_status_put_players(db, alpha, NULL, 0), DB_OK);
	ck_assert_int_eq(db_status_players(db, "alpha", &got, &n), DB_OK);
	ck_assert_uint_eq(n, 0);
	free(got);
	ck_assert_int_eq(db_status_put_players(db, alpha, p, 257), DB_INVALID);
	ck_assert_int_eq(db_status_put_players(db, 999, p, 1), DB_INVALID);
}
END_TEST

START_TEST(test_history_prune)
{
	struct status_sample s = {.has_players = true, .has_memory = true}, *got;
	size_t n;
	int deleted;

	for (int64_t m = 1000; m < 1000 + 1500; m += 10) {
		s.minute = m;
		s.players = (int)(m % 7);
		s.memory_bytes = (uint64_t)m * 1000;
		ck_assert_int_eq(db_status_record(db, alpha, &s), DB_OK);
	}
	s.minute = 2490;
	s.players = 5; /* the same minute again: replaced */
	ck_assert_int_eq(db_status_record(db, alpha, &s), DB_OK);
	ck_assert_int_eq(db_status_record(db, beta, &s), DB_OK);
	ck_assert_int_eq(db_status_history(db, "alpha", 0, &got, &n), DB_OK);
	ck_assert_uint_eq(n, 150);
	ck_assert_int_eq(got[0].minute, 1000);
	ck_assert(got[0].has_players && !got[0].has_cpu && got[0].has_memory);
	ck_assert_int_eq(got[149].minute, 2490);
	ck_assert_int_eq(got[149].players, 5);
	free(got);

	/* 24 h before minute 2500 is minute 1060: 1000..1050 go (6 rows) */
	ck_assert_int_eq(db_status_prune(db, 2500, 1440, &deleted), DB_OK);
	ck_assert_int_eq(deleted, 6);
	ck_assert_int_eq(db_status_history(db, "alpha", 0, &got, &n), DB_OK);
	ck_assert_uint_eq(n, 144);
	ck_assert_int_eq(got[0].minute, 1060);
	free(got);
	ck_assert_int_eq(db_status_history(db, "alpha", 2400, &got, &n), DB_OK);
	ck_assert_uint_eq(n, 10);
	free(got);
	ck_assert_int_eq(db_status_prune(db, 2500, 1440, &deleted), DB_OK);
	ck_assert_int_eq(deleted, 0);
	ck_assert_int_eq(db_status_record(db, 999, &s), DB_INVALID);
}
END_TEST

START_TEST(test_cascade)
{
	struct server_status st;
	struct a2s_player p = {.name = "Louis"};
	struct status_sample s = {.minute = 5};

	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(db_status_put(db, alpha, &st), DB_OK);
	ck_assert_int_eq(db_status_put(db, beta, &st), DB_OK);
	ck_assert_int_eq(db_status_put_players(db, alpha, &p, 1), DB_OK);
	ck_assert_int_eq(db_status_record(db, alpha, &s), DB_OK);
	ck_assert_int_eq(db_server_delete(db, "alpha"), DB_OK);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM server_status"), 1);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM server_players"), 0);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM server_history"), 0);
}
END_TEST

START_TEST(test_state_names)
{
	enum live_state s;

	for (int i = 0; i < LIVE_STATE_COUNT; i++) {
		ck_assert_int_eq(live_state_parse(live_state_name((enum live_state)i), &s), 0);
		ck_assert_int_eq(s, i);
	}
	ck_assert_int_eq(live_state_parse("crashed", &s), -1);
	ck_assert_int_eq(live_state_parse(NULL, &s), -1);
	ck_assert_str_eq(live_state_name((enum live_state)99), "?");
}
END_TEST

/* Every server of a user (or of all), with its row when there is one. */
START_TEST(test_list)
{
	struct status_entry *l;
	struct server_status st;
	size_t n;

	tu_db_exec(db, "INSERT INTO users (name, password_hash, created_at, updated_at) VALUES "
		       "('bob', '$y$x', 0, 0);"
		       "INSERT INTO blueprints (user_id, name, created_at, updated_at) VALUES "
		       "(2, 'versus', 0, 0);");
	ck_assert_int_eq(db_server_create(db, "bobs", 2, 2, 27020, NULL), DB_OK);
	memset(&st, 0, sizeof(st));
	st.live_state = LIVE_READY;
	st.has_a2s = true;
	st.players = 4;
	snprintf(st.map, sizeof(st.map), "c5m1_waterfront");
	ck_assert_int_eq(db_status_put(db, beta, &st), DB_OK);
	ck_assert_int_eq(db_status_list(db, 1, &l, &n), DB_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(l[0].name, "alpha");
	ck_assert(!l[0].has_status && l[0].st.live_state == LIVE_STOPPED);
	ck_assert_str_eq(l[1].name, "beta");
	ck_assert(l[1].has_status && l[1].st.live_state == LIVE_READY && l[1].st.players == 4);
	ck_assert_str_eq(l[1].st.map, "c5m1_waterfront");
	ck_assert_int_eq(l[1].server_id, beta);
	ck_assert_int_eq(l[1].user_id, 1);
	free(l);
	ck_assert_int_eq(db_status_list(db, 0, &l, &n), DB_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(l[2].name, "bobs");
	free(l);
	ck_assert_int_eq(db_status_list(db, 99, &l, &n), DB_OK);
	ck_assert_uint_eq(n, 0);
	free(l);
}
END_TEST

static const struct {
	enum live_state s;
	uint32_t restarts;
	int code, signal; /* -1: not set */
	const char *label;
} labels[] = {
    {LIVE_READY, 0, -1, -1, "ready"},
    {LIVE_STARTING, 2, -1, -1, "starting"},
    {LIVE_RESTARTING, 1, 1, -1, "restarting (1 crash)"},
    {LIVE_RESTARTING, 3, -1, 11, "restarting (3 crashes)"},
    {LIVE_RESTARTING, 0, -1, -1, "restarting"},
    {LIVE_FAILED, 5, 1, -1, "failed (exit code 1)"},
    {LIVE_FAILED, 5, -1, 11, "failed (signal 11, SIGSEGV)"},
    {LIVE_FAILED, 0, -1, 200, "failed (signal 200)"},
    {LIVE_FAILED, 0, -1, -1, "failed"},
    {LIVE_STOPPED, 0, 0, -1, "stopped"},
};

START_TEST(test_label)
{
	struct server_status st;
	char buf[64];

	memset(&st, 0, sizeof(st));
	st.live_state = labels[_i].s;
	st.restarts = labels[_i].restarts;
	st.has_exit_code = labels[_i].code >= 0;
	st.exit_code = labels[_i].code;
	st.has_exit_signal = labels[_i].signal >= 0;
	st.exit_signal = labels[_i].signal;
	ck_assert_str_eq(live_state_label(&st, true, buf, sizeof(buf)), labels[_i].label);
	/* no row yet: stopped, whatever the struct holds */
	ck_assert_str_eq(live_state_label(&st, false, buf, sizeof(buf)), "stopped");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("db_status");
	TCase *tc = tcase_create("status");

	tcase_add_checked_fixture(tc, setup, teardown);
	/* a migrated database per test: slow under ASan on a loaded machine */
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_targets);
	tcase_add_test(tc, test_put_get);
	tcase_add_test(tc, test_schema_refuses);
	tcase_add_test(tc, test_players);
	tcase_add_test(tc, test_history_prune);
	tcase_add_test(tc, test_cascade);
	tcase_add_test(tc, test_state_names);
	tcase_add_test(tc, test_list);
	suite_add_tcase(s, tc);
	/* the wording needs no database */
	tc = tcase_create("label");
	tcase_add_loop_test(tc, test_label, 0, (int)(sizeof(labels) / sizeof(labels[0])));
	suite_add_tcase(s, tc);
	return tu_main(s);
}
