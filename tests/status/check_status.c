/* left4me-status, the real binary, against a stand-in systemd on a
 * private dbus-daemon and strict A2S responders on 127.0.0.1: the live
 * state follows the unit's properties as systemd changes them (starting,
 * running, ready, restarting with its count, failed with the exit code),
 * each within 2 s of the signal; the A2S answers and the player list
 * reach the database; the state is read again when left4me-status starts
 * (across its own restart); a new server is picked up.  The A2S
 * responders answer only with their challenge (standin.h). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "db_server.h"
#include "db_status.h"
#include "standin.h"
#include "testutil.h"
#include "timeutil.h"
#include "xalloc.h"

#define WITHIN_MS 2000 /* the bound: the DB follows within 2 s */

static char *dir, *cfg;
static sqlite3 *db;
static struct fakesd sd;
static struct a2s_standin a2s;
static pid_t daemon_pid = -1;

static void setup(void)
{
	char *yaml;
	int64_t id;

	dir = tu_mkdtemp();
	db = tu_db_new(dir);
	tu_db_exec(db, "INSERT INTO users (name, password_hash, created_at, updated_at) VALUES "
		       "('alice', '$y$x', 0, 0);"
		       "INSERT INTO blueprints (user_id, name, created_at, updated_at) VALUES "
		       "(1, 'coop', 0, 0);");
	a2s_standin_start(&a2s, 2);
	ck_assert_int_eq(db_server_create(db, "alpha", 1, 1, ntohs(a2s.r[0].addr.sin_port), &id),
			 DB_OK);
	ck_assert_int_eq(db_server_create(db, "beta", 1, 1, ntohs(a2s.r[1].addr.sin_port), &id),
			 DB_OK);
	fakesd_start(&sd, dir);
	fakesd_add(&sd, "alpha");
	fakesd_add(&sd, "beta");
	cfg = xasprintf("%s/left4me.yaml", dir);
	yaml = xasprintf("state_dir: %s\nlog_level: debug\nstatus:\n  poll_interval: 1\n"
			 "  a2s_timeout: 300\n",
			 dir);
	tu_write_file(cfg, yaml);
	free(yaml);
}

static void stop_daemon(int sig)
{
	int status;

	if (daemon_pid < 0)
		return;
	kill(daemon_pid, sig);
	ck_assert_int_eq(waitpid(daemon_pid, &status, 0), daemon_pid);
	if (sig == SIGTERM)
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "left4me-status did not stop cleanly: %d", status);
	daemon_pid = -1;
}

static void teardown(void)
{
	stop_daemon(SIGKILL);
	fakesd_stop(&sd);
	a2s_standin_stop(&a2s);
	db_close(db);
	tu_rmtree(dir);
	free(dir);
	free(cfg);
}

static void start_daemon(void)
{
	char *bin = tu_build_path("left4me-status/left4me-status");

	daemon_pid = fork();
	ck_assert_int_ge(daemon_pid, 0);
	if (daemon_pid == 0) {
		setenv("DBUS_SYSTEM_BUS_ADDRESS", sd.address, 1);
		execl(bin, bin, "-c", cfg, "--allow-root", "--no-console", (char *)NULL);
		_exit(127);
	}
	free(bin);
}

/* Wait until server NAME's row says want; fail after ms with what it said. */
static void wait_state(const char *name, enum live_state want, int ms)
{
	int64_t until = mono_ms() + ms;
	struct server_status st = {.live_state = LIVE_STOPPED};
	int rc = DB_NOTFOUND;

	for (;;) {
		struct timespec ts = {0, 10000000};

		rc = db_status_get(db, name, &st);
		if (rc == DB_OK && st.live_state == want)
			return;
		if (mono_ms() > until)
			break;
		ck_assert_msg(waitpid(daemon_pid, NULL, WNOHANG) == 0, "left4me-status died");
		nanosleep(&ts, NULL);
	}
	ck_abort_msg("%s: %s (%s/%s, result %s) after %d ms, want %s", name,
		     rc == DB_OK ? live_state_name(st.live_state) : "no row", st.active_state,
		     st.sub_state, st.unit_result, ms, live_state_name(want));
}

/* Wait until sql counts at least one row. */
static void wait_sql(const char *sql, int ms)
{
	int64_t until = mono_ms() + ms;

	while (tu_db_int(db, sql) < 1) {
		struct timespec ts = {0, 10000000};

		ck_assert_msg(mono_ms() < until, "no row after %d ms: %s", ms, sql);
		nanosleep(&ts, NULL);
	}
}

static void wait_subscribed(void)
{
	int64_t until = mono_ms() + 5000;

	while (sd.subscribed == 0) {
		struct timespec ts = {0, 10000000};

		ck_assert_msg(mono_ms() < until, "left4me-status never called Subscribe");
		nanosleep(&ts, NULL);
	}
}

START_TEST(test_lifecycle)
{
	struct server_status st;
	struct status_player *pl;
	size_t n;

	/* beta hit its start limit before left4me-status started */
	fakesd_set(&sd, "beta", "failed", "failed", "start-limit-hit", 4, CLD_EXITED, 3, false);
	a2s.r[0].mode = A2S_SILENT;
	start_daemon();
	wait_state("beta", LIVE_FAILED, 5000);
	wait_state("alpha", LIVE_STOPPED, WITHIN_MS);
	ck_assert_int_eq(db_status_get(db, "beta", &st), DB_OK);
	ck_assert(st.has_exit_code && st.exit_code == 3);
	ck_assert_uint_eq(st.restarts, 4);
	wait_subscribed();

	fakesd_set(&sd, "alpha", "activating", "start-pre", "success", 0, 0, 0, true);
	wait_state("alpha", LIVE_STARTING, WITHIN_MS);
	fakesd_resources(&sd, "alpha", 2500000000ULL, 300ULL << 20, 7);
	fakesd_set(&sd, "alpha", "active", "running", NULL, -1, -1, -1, true);
	wait_state("alpha", LIVE_RUNNING, WITHIN_MS);

	/* the game answers: ready, with what it says */
	a2s_standin_set(&a2s, 0, "c2m1_highway", 3, 1);
	a2s.r[0].mode = A2S_STRICT;
	wait_state("alpha", LIVE_READY, WITHIN_MS + 1000); /* + one poll_interval */
	ck_assert_int_eq(db_status_get(db, "alpha", &st), DB_OK);
	ck_assert_str_eq(st.map, "c2m1_highway");
	ck_assert_int_eq(st.players, 3);
	ck_assert_int_eq(st.bots, 1);
	ck_assert_int_eq(st.max_players, 8);
	ck_assert_str_eq(st.name, "left4me stand-in");
	ck_assert_str_eq(st.version, "2.2.4");
	ck_assert(st.vac);
	ck_assert(st.has_cpu && st.cpu_nsec == 2500000000ULL);
	ck_assert(st.has_memory && st.memory_bytes == 300ULL << 20);
	ck_assert(st.has_tasks && st.tasks == 7);
	ck_assert_int_eq(db_status_players(db, "alpha", &pl, &n), DB_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(pl[2].name, "player2");
	ck_assert_int_eq(pl[2].score, 6);
	ck_assert_int_eq(pl[2].seconds, 90);
	free(pl);
	wait_sql("SELECT count(*) FROM server_history h JOIN servers s ON s.id = h.server_id "
		 "WHERE s.name = 'alpha' AND h.players = 3 AND h.memory_bytes = 314572800",
		 WITHIN_MS);

	/* it crashes by itself: exit 2, ExecStopPost, then auto-restart */
	fakesd_set(&sd, "alpha", "deactivating", "stop-post", "exit-code", -1, CLD_EXITED, 2, true);
	wait_state("alpha", LIVE_RESTARTING, WITHIN_MS);
	fakesd_set(&sd, "alpha", "activating", "auto-restart", NULL, 1, -1, -1, true);
	wait_state("alpha", LIVE_RESTARTING, WITHIN_MS);
	{
		int64_t until = mono_ms() + WITHIN_MS;

		while (db_status_get(db, "alpha", &st) == DB_OK && st.restarts != 1 &&
		       mono_ms() < until) {
			struct timespec ts = {0, 10000000};

			nanosleep(&ts, NULL);
		}
		ck_assert_uint_eq(st.restarts, 1);
		ck_assert(st.has_exit_code && st.exit_code == 2);
	}
	/* ... and again until systemd gives up */
	fakesd_set(&sd, "alpha", "failed", "failed", "start-limit-hit", 5, CLD_KILLED, SIGSEGV,
		   true);
	wait_state("alpha", LIVE_FAILED, WITHIN_MS);
	ck_assert_int_eq(db_status_get(db, "alpha", &st), DB_OK);
	ck_assert(st.has_exit_signal && st.exit_signal == SIGSEGV && !st.has_exit_code);
	ck_assert_str_eq(st.unit_result, "start-limit-hit");
	ck_assert_uint_eq(st.restarts, 5);

	ck_assert_int_gt(a2s.r[0].requests, 0);
	/* beta's process was never up: never asked */
	ck_assert_int_eq(a2s.r[1].requests, 0);
	stop_daemon(SIGTERM);
}
END_TEST

/* A steady round costs one GetAll (.Service: the counters; .Unit's
 * states come with signals) and two datagrams (the challenge is kept) per
 * server: bench/status_poll measures what that buys. */
START_TEST(test_steady_round)
{
	int r0, c0, u0, g0;
	int64_t until;

	fakesd_set(&sd, "alpha", "active", "running", "success", 0, 0, 0, false);
	start_daemon();
	wait_state("alpha", LIVE_READY, 5000);
	r0 = a2s.r[0].requests;
	c0 = a2s.r[0].challenged;
	u0 = sd.getall_unit;
	g0 = sd.getall;
	until = mono_ms() + 10000;
	while (a2s.r[0].requests < r0 + 6) { /* three rounds (poll_interval: 1 s) */
		struct timespec ts = {0, 10000000};

		ck_assert_msg(mono_ms() < until, "no three rounds in 10 s");
		nanosleep(&ts, NULL);
	}
	ck_assert_int_eq(a2s.r[0].challenged, c0);
	ck_assert_int_eq(sd.getall_unit, u0);
	ck_assert_int_ge(sd.getall, g0 + 3);
	/* a signal still reads .Unit */
	fakesd_set(&sd, "alpha", "deactivating", "stop-sigterm", NULL, -1, -1, -1, true);
	wait_state("alpha", LIVE_STOPPED, WITHIN_MS);
	ck_assert_int_gt(sd.getall_unit, u0);
	stop_daemon(SIGTERM);
}
END_TEST

START_TEST(test_restart_of_status)
{
	fakesd_set(&sd, "alpha", "active", "running", "success", 0, 0, 0, false);
	start_daemon();
	wait_state("alpha", LIVE_READY, 5000);
	stop_daemon(SIGTERM);
	/* while left4me-status is down, the server crashes for good */
	fakesd_set(&sd, "alpha", "failed", "failed", "exit-code", 0, CLD_EXITED, 65, true);
	start_daemon();
	wait_state("alpha", LIVE_FAILED, 5000);
	stop_daemon(SIGTERM);
}
END_TEST

START_TEST(test_new_server_and_delete)
{
	int64_t id;

	start_daemon();
	wait_state("alpha", LIVE_STOPPED, 5000);
	wait_subscribed();
	/* a server created after the start, then started */
	ck_assert_int_eq(db_server_create(db, "gamma", 1, 1, 27999, &id), DB_OK);
	fakesd_add(&sd, "gamma");
	fakesd_set(&sd, "gamma", "activating", "start-pre", NULL, -1, -1, -1, true);
	wait_state("gamma", LIVE_STARTING, WITHIN_MS);
	ck_assert_int_eq(db_server_delete(db, "gamma"), DB_OK);
	fakesd_set(&sd, "gamma", "inactive", "dead", NULL, -1, -1, -1, true);
	/* the daemon carries on with the others */
	fakesd_set(&sd, "alpha", "activating", "start", NULL, -1, -1, -1, true);
	wait_state("alpha", LIVE_STARTING, WITHIN_MS);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM server_status"), 2);
	stop_daemon(SIGTERM);
}
END_TEST

START_TEST(test_no_bus)
{
	char *bin = tu_build_path("left4me-status/left4me-status");
	char *addr = xasprintf("DBUS_SYSTEM_BUS_ADDRESS=unix:path=%s/nobus", dir);
	char *argv[] = {bin, (char *)"-c", cfg, (char *)"--allow-root", NULL};
	char *env[] = {addr, NULL};
	struct tu_run r;

	tu_run(&r, argv, NULL, env);
	ck_assert_int_eq(r.status, 71);
	ck_assert_msg(strstr(r.err, "system bus") != NULL, "%s", r.err);
	tu_run_fini(&r);
	free(bin);
	free(addr);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("daemon");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_lifecycle);
	tcase_add_test(tc, test_steady_round);
	tcase_add_test(tc, test_restart_of_status);
	tcase_add_test(tc, test_new_server_and_delete);
	tcase_add_test(tc, test_no_bus);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
