/* left4me-web's /metrics per server, from server_status: up, ready,
 * players, max_players, cpu_seconds_total and memory_bytes labelled
 * server="NAME", each family's HELP and TYPE once, a value nobody knows
 * left out.  (Its syntax is promtool's to judge: tests/web/promtool_metrics.c,
 * in make check.) */
#include <check.h>
#include <string.h>

#include "testutil.h"
#include "webtest.h"

static struct wt t;

static void setup(void)
{
	wt_start(&t, NULL);
	wt_user(&t, "alice", "password-alice", false);
	tu_db_exec(t.db, "INSERT INTO blueprints (user_id, name, created_at, updated_at) "
			 "VALUES (1, 'coop', 1, 1);"
			 "INSERT INTO servers (name, user_id, blueprint_id, port, created_at, "
			 "updated_at) VALUES ('alpha', 1, 1, 27015, 1, 1), "
			 "('beta-2', 1, 1, 27016, 1, 1), ('gamma', 1, 1, 27017, 1, 1);"
			 /* alpha answers A2S; gamma crashed and keeps its last answer */
			 "INSERT INTO server_status (server_id, live_state, cpu_nsec, "
			 "memory_bytes, a2s_map, a2s_players, a2s_bots, a2s_max_players, a2s_at, "
			 "updated_at) VALUES (1, 'ready', 12500000000, 734003200, 'c1m1_hotel', 3, "
			 "1, 8, 1, 1), (3, 'restarting', 7, NULL, 'c2m1_highway', 5, 0, 4, 1, 1)");
}

static void teardown(void)
{
	wt_stop(&t);
}

static void has(const char *body, const char *line)
{
	if (!strstr(body, line))
		ck_abort_msg("/metrics lacks '%s':\n%s", line, body);
}

static void lacks(const char *body, const char *text)
{
	if (strstr(body, text))
		ck_abort_msg("/metrics has '%s':\n%s", text, body);
}

START_TEST(per_server)
{
	struct wt_resp r;

	wt_get(&t, NULL, "/metrics", &r);
	ck_assert_int_eq(r.status, 200);
	has(r.body, "# TYPE left4me_server_up gauge\n");
	has(r.body, "\nleft4me_server_up{server=\"alpha\"} 1\n");
	has(r.body, "\nleft4me_server_up{server=\"beta-2\"} 0\n");
	has(r.body, "\nleft4me_server_up{server=\"gamma\"} 0\n");
	has(r.body, "\nleft4me_server_ready{server=\"alpha\"} 1\n");
	has(r.body, "\nleft4me_server_ready{server=\"gamma\"} 0\n");
	has(r.body, "\nleft4me_server_players{server=\"alpha\"} 3\n");
	/* gamma's last answer had 5 players; it is not answering now */
	has(r.body, "\nleft4me_server_players{server=\"gamma\"} 0\n");
	has(r.body, "\nleft4me_server_players{server=\"beta-2\"} 0\n");
	has(r.body, "\nleft4me_server_max_players{server=\"alpha\"} 8\n");
	has(r.body, "\nleft4me_server_max_players{server=\"gamma\"} 4\n");
	lacks(r.body, "left4me_server_max_players{server=\"beta-2\"}");
	has(r.body, "# TYPE left4me_server_cpu_seconds_total counter\n");
	has(r.body, "\nleft4me_server_cpu_seconds_total{server=\"alpha\"} 12.500000000\n");
	has(r.body, "\nleft4me_server_cpu_seconds_total{server=\"gamma\"} 0.000000007\n");
	lacks(r.body, "left4me_server_cpu_seconds_total{server=\"beta-2\"}");
	has(r.body, "\nleft4me_server_memory_bytes{server=\"alpha\"} 734003200\n");
	lacks(r.body, "left4me_server_memory_bytes{server=\"gamma\"}");
	lacks(r.body, "left4me_server_memory_bytes{server=\"beta-2\"}");
	/* one HELP per family, whatever the number of servers */
	ck_assert_ptr_eq(
	    strstr(strstr(r.body, "# HELP left4me_server_up ") + 1, "# HELP left4me_server_up "),
	    NULL);
	wt_resp_fini(&r);

	/* a server deleted is gone from /metrics with its status row */
	tu_db_exec(t.db, "DELETE FROM servers WHERE name = 'alpha'");
	wt_get(&t, NULL, "/metrics", &r);
	lacks(r.body, "server=\"alpha\"");
	has(r.body, "\nleft4me_server_up{server=\"gamma\"} 0\n");
	wt_resp_fini(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("left4me-web metrics");
	TCase *tc = tcase_create("metrics");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, per_server);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
