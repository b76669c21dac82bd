/* Debian's promtool (package prometheus) judges the real /metrics of
 * left4me-web: `promtool check metrics` on what a daemon with servers
 * (one with live data, one that left4me-status has not seen) answers.
 * Run by `make check` (check-promtool), not `make test`: package builds
 * run that offline without prometheus.  No promtool is a failure. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "webtest.h"

#define PROMTOOL "/usr/bin/promtool"

static struct wt t;

static void setup(void)
{
	wt_start(&t, NULL);
	wt_user(&t, "alice", "password-alice", false);
	tu_db_exec(t.db, "INSERT INTO blueprints (user_id, name, created_at, updated_at) "
			 "VALUES (1, 'coop', 1, 1);"
			 "INSERT INTO servers (name, user_id, blueprint_id, port, created_at, "
			 "updated_at) VALUES ('alpha', 1, 1, 27015, 1, 1), "
			 "('beta-2', 1, 1, 27016, 1, 1);"
			 "INSERT INTO server_status (server_id, live_state, restarts, cpu_nsec, "
			 "memory_bytes, tasks, a2s_map, a2s_players, a2s_bots, a2s_max_players, "
			 "a2s_at, updated_at) VALUES (1, 'ready', 0, 12500000000, 734003200, 9, "
			 "'c1m1_hotel', 3, 1, 8, 1, 1)");
}

static void teardown(void)
{
	wt_stop(&t);
}

START_TEST(promtool_accepts)
{
	char *const argv[] = {PROMTOOL, "check", "metrics", NULL};
	struct tu_run run;
	struct wt_resp r;

	ck_assert_msg(access(PROMTOOL, X_OK) == 0,
		      PROMTOOL " is missing: install Debian's prometheus package "
			       "(tools/install-deps test)");
	wt_get(&t, NULL, "/metrics", &r);
	ck_assert_int_eq(r.status, 200);
	/* what promtool is given has the families it judges */
	ck_assert_ptr_nonnull(strstr(r.body, "left4me_server_players{server=\"alpha\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "left4me_server_up{server=\"beta-2\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "left4me_server_cpu_seconds_total{server=\"alpha\"}"));
	tu_run(&run, argv, r.body, NULL);
	if (run.status != 0 || run.out[0] || run.err[0])
		ck_abort_msg("promtool check metrics: exit %d\n%s%s\non:\n%s", run.status, run.out,
			     run.err, r.body);
	tu_run_fini(&run);
	wt_resp_fini(&r);
}
END_TEST

/* promtool is not a rubber stamp: the same check fails on a sample with
 * an unescaped quote in its label value. */
START_TEST(promtool_refuses_bad)
{
	char *const argv[] = {PROMTOOL, "check", "metrics", NULL};
	struct tu_run run;

	tu_run(&run, argv,
	       "# HELP x_total X.\n# TYPE x_total counter\nx_total{server=\"a\"b\"} 1\n", NULL);
	ck_assert_int_ne(run.status, 0);
	tu_run_fini(&run);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("left4me-web metrics, promtool");
	TCase *tc = tcase_create("promtool");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, promtool_accepts);
	tcase_add_test(tc, promtool_refuses_bad);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
