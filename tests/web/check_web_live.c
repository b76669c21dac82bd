/* The live state in left4me-web's pages, as rendered (no JavaScript):
 * the dashboard's and the server list's state, map and players/max from
 * server_status, and a server's page with its player list and the three
 * charts of the last 24 hours (inline SVG, "No data yet" without
 * history).  The stream that keeps them current is check_web_streams'. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "timeutil.h"
#include "webtest.h"
#include "xalloc.h"

static struct wt t;
static struct wt_session ws;

static void setup(void)
{
	wt_start(&t, NULL);
	wt_user(&t, "alice", "password-alice", false);
	tu_db_exec(t.db, "INSERT INTO blueprints (user_id, name, created_at, updated_at) "
			 "VALUES (1, 'coop', 1, 1);"
			 "INSERT INTO servers (name, user_id, blueprint_id, port, created_at, "
			 "updated_at) VALUES ('alpha', 1, 1, 27015, 1, 1), "
			 "('beta', 1, 1, 27016, 1, 1), ('gamma', 1, 1, 27017, 1, 1);"
			 "INSERT INTO server_status (server_id, live_state, a2s_map, a2s_players, "
			 "a2s_bots, a2s_max_players, a2s_at, updated_at) VALUES "
			 "(1, 'ready', 'c2m1_highway', 3, 0, 8, 1, 1);"
			 "INSERT INTO server_status (server_id, live_state, restarts, exit_code, "
			 "updated_at) VALUES (3, 'failed', 5, 1, 1);"
			 "INSERT INTO server_players (server_id, idx, name, score, seconds) VALUES "
			 "(1, 0, 'Zoey', 12, 3725), (1, 1, '<script>x</script>', 0, 42)");
	ck_assert_int_eq(wt_login(&t, "alice", "password-alice", &ws), 303);
}

static void teardown(void)
{
	wt_stop(&t);
}

static void has(const char *body, const char *text)
{
	if (!strstr(body, text))
		ck_abort_msg("the page lacks '%s':\n%s", text, body);
}

static int count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

START_TEST(lists_show_live_state)
{
	const char *pages[] = {"/", "/servers"};

	for (size_t i = 0; i < 2; i++) {
		struct wt_resp r;

		wt_get(&t, &ws, pages[i], &r);
		ck_assert_int_eq(r.status, 200);
		has(r.body, "data-status-events=\"/api/v1/status/events\"");
		has(r.body,
		    "<tr data-server=\"alpha\"><td><a href=\"/servers/alpha\">alpha</a></td>"
		    "<td class=\"live-state\"><span class=\"badge s-ready\" "
		    "data-live=\"state\">ready</span></td><td data-live=\"map\">c2m1_highway"
		    "</td><td data-live=\"players\">3/8</td>");
		has(r.body,
		    "<span class=\"badge s-stopped\" data-live=\"state\">stopped</span></td>"
		    "<td data-live=\"map\">-</td><td data-live=\"players\">-</td>");
		has(r.body,
		    "<span class=\"badge s-failed\" data-live=\"state\">failed (exit code 1)"
		    "</span>");
		wt_resp_fini(&r);
	}
}
END_TEST

START_TEST(server_page_players_and_charts)
{
	int64_t minute = now_ms() / 60000;
	struct wt_resp r;
	char *sql;

	/* half an hour of history for alpha, with a restart in it */
	for (int i = 30; i > 0; i--) {
		sql = xasprintf(
		    "INSERT INTO server_history (server_id, minute, players, cpu_nsec, "
		    "memory_bytes) VALUES (1, %lld, %d, %lld, %lld)",
		    (long long)(minute - i), i % 4,
		    (long long)(i > 10 ? (30 - i) * 6000000000LL : (10 - i) * 3000000000LL),
		    (long long)(700 + i) * 1024 * 1024);
		tu_db_exec(t.db, sql);
		free(sql);
	}
	wt_get(&t, &ws, "/servers/alpha", &r);
	ck_assert_int_eq(r.status, 200);
	has(r.body, "data-server=\"alpha\" data-status-events=\"/api/v1/status/events\"");
	has(r.body, "<dt>Map</dt><dd data-live=\"map\">c2m1_highway</dd>");
	has(r.body, "<dt>Players</dt><dd data-live=\"players\">3/8</dd>");
	has(r.body, "<tr><td>Zoey</td><td>12</td><td>1h 02m</td></tr>");
	has(r.body, "<td>&lt;script&gt;x&lt;/script&gt;</td><td>0</td><td>42s</td>");
	ck_assert_ptr_null(strstr(r.body, "<script>x"));
	has(r.body, "id=\"chart-players\"");
	has(r.body, "id=\"chart-cpu\"");
	has(r.body, "id=\"chart-memory\"");
	ck_assert_int_eq(count(r.body, "<svg "), 3);
	ck_assert_int_eq(count(r.body, "</svg>"), 3);
	ck_assert_ptr_null(strstr(r.body, "No data yet"));
	/* the restart splits the CPU line; players and memory are one line */
	ck_assert_int_eq(count(r.body, "<polyline"), 4);
	has(r.body, "MiB</text>");
	/* 6e9 ns a minute is 10% of one core */
	has(r.body, ">10%</text>");
	wt_resp_fini(&r);

	wt_get(&t, &ws, "/servers/beta", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(count(r.body, "No data yet"), 3);
	has(r.body, "Nobody is playing.");
	has(r.body, "<dd class=\"live-state\"><span class=\"badge s-stopped\"");
	wt_resp_fini(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("left4me-web live pages");
	TCase *tc = tcase_create("live");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, lists_show_live_state);
	tcase_add_test(tc, server_page_players_and_charts);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
