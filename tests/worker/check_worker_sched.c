/* Integration tests of left4me-worker's scheduler and update policy
 * (issue 16): the real binary with --once against a temp DB and state
 * dir, the stand-in helpers of check_worker.c, and the clock injected
 * through LEFT4ME_TEST_CLOCK (a file holding the unix time).  TZ is UTC
 * for the worker and the test.  Players come from server_status rows as
 * left4me-status writes them (a2s_players, a2s_bots). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "testutil.h"
#include "xalloc.h"

/* 2027-01-15 04:00:00 UTC, a Friday */
#define T0  1799985600LL
#define DAY 86400LL

struct env {
	char *dir, *state, *cfg, *clock;
	char *env_dir, *env_home, *env_clock;
	sqlite3 *db;
};

static void mkdirs(const char *p)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", p);
	for (char *s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(buf, 0755);
		*s = '/';
	}
	ck_assert_msg(mkdir(buf, 0755) == 0 || errno == EEXIST, "mkdir %s", buf);
}

static void set_clock(struct env *e, long long t)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld\n", t);
	tu_write_file(e->clock, buf);
	ck_assert(chmod(e->clock, 0644) == 0);
}

/* A published build id under installation/builds, current if cur. */
static void add_build(struct env *e, int id, bool cur)
{
	char *p = xasprintf("%s/installation/builds/%d/bin", e->state, id);

	mkdirs(p);
	free(p);
	p = xasprintf("%s/installation/builds/%d/srcds_run", e->state, id);
	tu_write_file(p, "#!/bin/sh\n");
	free(p);
	if (cur) {
		char *link = xasprintf("%s/installation/current", e->state);
		char *to = xasprintf("builds/%d", id);

		unlink(link);
		ck_assert(symlink(to, link) == 0);
		free(link);
		free(to);
	}
}

static void setup_with(struct env *e, const char *extra)
{
	static const char *const helpers[] = {"left4me-overlay", "left4me-systemctl",
					      "left4me-script-sandbox"};
	char src[PATH_MAX], *yaml, *p, *h;

	memset(e, 0, sizeof(*e));
	ck_assert(setenv("TZ", "UTC", 1) == 0);
	tzset();
	e->dir = tu_mkdtemp();
	e->state = xasprintf("%s/state", e->dir);
	h = xasprintf("%s/helpers", e->dir);
	mkdirs(e->state);
	mkdirs(h);
	ck_assert(realpath("tests/worker/stand-in-helper", src) != NULL);
	for (size_t i = 0; i < 3; i++) {
		p = xasprintf("%s/%s", h, helpers[i]);
		ck_assert(symlink(src, p) == 0);
		free(p);
	}
	p = xasprintf("%s/home", e->dir);
	mkdirs(p);
	free(p);
	e->cfg = xasprintf("%s/left4me.yaml", e->dir);
	yaml = xasprintf("state_dir: %s\n"
			 "log_level: debug\n"
			 "worker:\n"
			 "  helper_dir: %s\n"
			 "  sudo: false\n"
			 "  steamcmd: /nonexistent/steamcmd\n"
			 "  heartbeat_interval: 1\n"
			 "  stale_after: 3\n"
			 "schedules:\n"
			 "  grace_seconds: 300\n%s",
			 e->state, h, extra ? extra : "");
	tu_write_file(e->cfg, yaml);
	free(yaml);
	free(h);
	e->clock = xasprintf("%s/clock", e->dir);
	set_clock(e, T0);
	e->env_dir = xasprintf("L4M_TEST_DIR=%s", e->dir);
	e->env_home = xasprintf("HOME=%s/home", e->dir);
	e->env_clock = xasprintf("LEFT4ME_TEST_CLOCK=%s", e->clock);
	e->db = tu_db_new(e->state);
	tu_db_exec(e->db,
		   "INSERT INTO users (id, name, password_hash, created_at, updated_at) "
		   "VALUES (1, 'alice', '$y$x', 0, 0);"
		   "INSERT INTO blueprints (id, user_id, name, config, created_at, updated_at) "
		   "VALUES (1, 1, 'bp', 'hostname test', 0, 0);"
		   "INSERT INTO servers (id, name, user_id, blueprint_id, port, state, created_at, "
		   "updated_at) VALUES (1, 'alpha', 1, 1, 27015, 'running', 0, 0);");
	add_build(e, 1, true);
}

static void setup(struct env *e)
{
	setup_with(e, NULL);
}

static void teardown(struct env *e)
{
	db_close(e->db);
	tu_rmtree(e->dir);
	free(e->dir);
	free(e->state);
	free(e->cfg);
	free(e->clock);
	free(e->env_dir);
	free(e->env_home);
	free(e->env_clock);
}

static void run_once(struct env *e)
{
	char *w = tu_build_path("left4me-worker/left4me-worker");
	char *argv[] = {w, (char *)"-c", e->cfg, (char *)"--allow-root", (char *)"--once", NULL};
	char *envp[] = {e->env_dir, e->env_home, e->env_clock, (char *)"TZ=UTC", NULL};
	struct tu_run r;

	tu_run(&r, argv, NULL, envp);
	ck_assert_msg(r.status == 0, "worker exited %d:\n%s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "LEFT4ME_TEST_CLOCK is set") != NULL, "no clock warning:\n%s",
		      r.err);
	tu_run_fini(&r);
	free(w);
}

/* A schedule of alpha (id 1 unless more) due at next_run. */
static void add_schedule(struct env *e, const char *action, const char *cron, int empty, int wait,
			 const char *on_timeout, long long next_run)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "INSERT INTO schedules (server_id, action, cron, command, only_when_empty, "
		 "wait_minutes, on_timeout, next_run, created_at, updated_at) "
		 "VALUES (1, '%s', '%s', %s, %d, %d, '%s', %lld, 0, 0)",
		 action, cron, strcmp(action, "command") == 0 ? "'say hello'" : "NULL", empty, wait,
		 on_timeout, next_run);
	tu_db_exec(e->db, sql);
}

/* server_status of server id as left4me-status writes it. */
static void set_players(struct env *e, int server, int players, int bots)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "INSERT OR REPLACE INTO server_status (server_id, live_state, a2s_players, "
		 "a2s_bots, a2s_max_players, a2s_at, updated_at) "
		 "VALUES (%d, 'ready', %d, %d, 8, 1, 1)",
		 server, players, bots);
	tu_db_exec(e->db, sql);
}

static long long q(struct env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static long long q(struct env *e, const char *fmt, ...)
{
	char sql[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return tu_db_int(e->db, sql);
}

static char *text(struct env *e, const char *sql)
{
	sqlite3_stmt *st;
	char *v = NULL;

	ck_assert(sqlite3_prepare_v2(e->db, sql, -1, &st, NULL) == SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v ? v : xstrdup("(null)");
}

/* Job id's log has a line containing part. */
static void assert_log(struct env *e, long long id, const char *part)
{
	sqlite3_stmt *st;
	long long n;

	ck_assert(sqlite3_prepare_v2(e->db,
				     "SELECT count(*) FROM job_log WHERE job_id = ? "
				     "AND instr(line, ?) > 0",
				     -1, &st, NULL) == SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, part, -1, SQLITE_STATIC);
	ck_assert(sqlite3_step(st) == SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (n < 1) {
		char sql[128], *all;

		snprintf(sql, sizeof(sql),
			 "SELECT group_concat(line, char(10)) FROM job_log WHERE job_id = %lld",
			 id);
		all = text(e, sql);
		ck_abort_msg("job %lld's log lacks '%s':\n%s", id, part, all);
	}
}

static void assert_job(struct env *e, long long id, const char *kind, const char *state,
		       const char *reason_part)
{
	char sql[256], *k, *s, *r;

	snprintf(sql, sizeof(sql), "SELECT kind FROM jobs WHERE id = %lld", id);
	k = text(e, sql);
	snprintf(sql, sizeof(sql), "SELECT state FROM jobs WHERE id = %lld", id);
	s = text(e, sql);
	snprintf(sql, sizeof(sql), "SELECT reason FROM jobs WHERE id = %lld", id);
	r = text(e, sql);
	ck_assert_msg(strcmp(k, kind) == 0 && strcmp(s, state) == 0 &&
			  (!reason_part || strstr(r, reason_part)),
		      "job %lld: %s %s (%s), want %s %s (%s)", id, k, s, r, kind, state,
		      reason_part ? reason_part : "");
	free(k);
	free(s);
	free(r);
}

static long long njobs(struct env *e)
{
	return q(e, "SELECT count(*) FROM jobs");
}

/* A restart schedule fires at its time (and not before), becomes a
 * restart job with the why in its log, and the next firing is the next
 * day; a second worker process (a restart) fires it again then. */
START_TEST(restart_schedule_fires)
{
	struct env e;
	long long id;

	setup(&e);
	add_schedule(&e, "restart", "0 4 * * *", 0, 0, "skip", T0);
	set_clock(&e, T0 - 60);
	run_once(&e);
	ck_assert_int_eq(njobs(&e), 0);
	set_clock(&e, T0 + 20);
	run_once(&e);
	ck_assert_int_eq(njobs(&e), 1);
	id = q(&e, "SELECT max(id) FROM jobs");
	assert_job(&e, id, "restart", "succeeded", "restarted");
	assert_log(&e, id, "schedule 1 '0 4 * * *': fired at 2027-01-15 04:00 UTC");
	assert_log(&e, id, "scheduled: restarting");
	ck_assert_int_eq(q(&e, "SELECT schedule_id FROM jobs WHERE id = %lld", id), 1);
	ck_assert_int_eq(q(&e, "SELECT user_id FROM jobs WHERE id = %lld", id), 1);
	ck_assert_int_eq(q(&e, "SELECT next_run FROM schedules"), T0 + DAY);
	ck_assert_int_eq(q(&e, "SELECT last_run FROM schedules"), T0);
	ck_assert_int_eq(q(&e, "SELECT last_job_id FROM schedules"), id);
	/* the same minute again: nothing more */
	run_once(&e);
	ck_assert_int_eq(njobs(&e), 1);
	/* the next day, another worker process */
	set_clock(&e, T0 + DAY + 5);
	run_once(&e);
	ck_assert_int_eq(njobs(&e), 2);
	assert_log(&e, q(&e, "SELECT max(id) FROM jobs"), "fired at 2027-01-16 04:00 UTC");
	/* disabled: never */
	tu_db_exec(e.db, "UPDATE schedules SET enabled = 0, next_run = NULL");
	set_clock(&e, T0 + 2 * DAY + 5);
	run_once(&e);
	ck_assert_int_eq(njobs(&e), 2);
	teardown(&e);
}
END_TEST

/* only_when_empty: 3 players of whom 1 bot is 2 humans; the firing waits
 * (no job, the schedule says so), keeps waiting across worker runs, then
 * is skipped after wait_minutes (a cancelled job saying why). */
START_TEST(when_empty_waits_then_skips)
{
	struct env e;
	long long id;
	char *r;

	setup(&e);
	add_schedule(&e, "restart", "0 4 * * *", 1, 15, "skip", T0);
	set_players(&e, 1, 3, 1);
	set_clock(&e, T0 + 10);
	run_once(&e);
	ck_assert_int_eq(njobs(&e), 0);
	ck_assert_int_eq(q(&e, "SELECT waiting_since FROM schedules"), T0);
	ck_assert_int_eq(q(&e, "SELECT next_run FROM schedules"), T0 + DAY);
	r = text(&e, "SELECT last_result FROM schedules");
	ck_assert_msg(strstr(r, "waiting: 2 human players at 2027-01-15 04:00 UTC, up to 15 min"),
		      "%s", r);
	free(r);
	set_clock(&e, T0 + 14 * 60);
	run_once(&e);
	ck_assert_int_eq(njobs(&e), 0);
	set_clock(&e, T0 + 15 * 60 + 1);
	run_once(&e);
	ck_assert_int_eq(njobs(&e), 1);
	id = q(&e, "SELECT max(id) FROM jobs");
	assert_job(&e, id, "restart", "cancelled", "skipped: still 2 human players after 15 min");
	assert_log(&e, id, "fired at 2027-01-15 04:00 UTC; human players were on");
	ck_assert_int_eq(q(&e, "SELECT count(*) FROM schedules WHERE waiting_since IS NULL"), 1);
	ck_assert_int_eq(q(&e, "SELECT next_run FROM schedules"), T0 + DAY);
	teardown(&e);
}
END_TEST

/* on_timeout force: the restart runs after the wait, saying "forced". */
START_TEST(when_empty_forces)
{
	struct env e;
	long long id;

	setup(&e);
	add_schedule(&e, "restart", "0 4 * * *", 1, 15, "force", T0);
	set_players(&e, 1, 1, 0);
	set_clock(&e, T0 + 10);
	run_once(&e);
	ck_assert_int_eq(njobs(&e), 0);
	set_clock(&e, T0 + 16 * 60);
	run_once(&e);
	id = q(&e, "SELECT max(id) FROM jobs");
	assert_job(&e, id, "restart", "succeeded", "restarted");
	assert_log(&e, id, "forced: still 1 human player after 15 min (on_timeout force)");
	teardown(&e);
}
END_TEST

/* The server empties during the wait (only bots left): it runs then. */
START_TEST(when_empty_runs_once_empty)
{
	struct env e;
	long long id;

	setup(&e);
	add_schedule(&e, "restart", "0 4 * * *", 1, 15, "skip", T0);
	set_players(&e, 1, 2, 0);
	set_clock(&e, T0 + 10);
	run_once(&e);
	ck_assert_int_eq(njobs(&e), 0);
	set_players(&e, 1, 4, 4);
	set_clock(&e, T0 + 7 * 60 + 5);
	run_once(&e);
	id = q(&e, "SELECT max(id) FROM jobs");
	assert_job(&e, id, "restart", "succeeded", "restarted");
	assert_log(&e, id, "no human players after 7 min");
	teardown(&e);
}
END_TEST

/* A firing missed while the worker was down: within grace_seconds it runs
 * once (however many were missed); beyond, a cancelled job says missed. */
START_TEST(missed_within_and_beyond_grace)
{
	struct env e;
	long long id;

	setup(&e);
	add_schedule(&e, "restart", "*/10 * * * *", 0, 0, "skip", T0);
	set_clock(&e, T0 + 299);
	run_once(&e);
	ck_assert_int_eq(njobs(&e), 1);
	id = q(&e, "SELECT max(id) FROM jobs");
	assert_job(&e, id, "restart", "succeeded", "restarted");
	assert_log(&e, id, "fired at 2027-01-15 04:00 UTC");
	ck_assert_int_eq(q(&e, "SELECT next_run FROM schedules"), T0 + 600);
	/* down from 04:05 to 05:03: the 04:10 firing is 53 min late */
	set_clock(&e, T0 + 3600 + 180);
	run_once(&e);
	ck_assert_int_eq(njobs(&e), 2);
	id = q(&e, "SELECT max(id) FROM jobs");
	assert_job(&e, id, "restart", "cancelled",
		   "missed: the worker was not running then; 3180 s late is more than "
		   "schedules.grace_seconds (300)");
	assert_log(&e, id, "due at 2027-01-15 04:10 UTC");
	ck_assert_int_eq(q(&e, "SELECT next_run FROM schedules"), T0 + 3600 + 600);
	teardown(&e);
}
END_TEST

/* A scheduled restart of a stopped server is skipped: it never starts
 * what its owner stopped. */
START_TEST(stopped_server_is_skipped)
{
	struct env e;

	setup(&e);
	tu_db_exec(e.db, "UPDATE servers SET state = 'stopped'");
	add_schedule(&e, "restart", "0 4 * * *", 0, 0, "skip", T0);
	set_clock(&e, T0 + 1);
	run_once(&e);
	assert_job(&e, q(&e, "SELECT max(id) FROM jobs"), "restart", "cancelled",
		   "skipped: server alpha is stopped, not running");
	ck_assert_int_eq(q(&e, "SELECT state = 'stopped' FROM servers"), 1);
	teardown(&e);
}
END_TEST

/* command: the schedule's console command reaches the console FIFO. */
START_TEST(command_schedule_sends)
{
	struct env e;
	char *p, buf[64];
	long long id;
	ssize_t n;
	int fd;

	setup(&e);
	p = xasprintf("%s/console", e.state);
	mkdirs(p);
	free(p);
	p = xasprintf("%s/console/alpha", e.state);
	ck_assert(mkfifo(p, 0664) == 0);
	fd = open(p, O_RDONLY | O_NONBLOCK);
	ck_assert(fd >= 0);
	free(p);
	add_schedule(&e, "command", "0 4 * * *", 0, 0, "skip", T0);
	set_clock(&e, T0 + 1);
	run_once(&e);
	id = q(&e, "SELECT max(id) FROM jobs");
	assert_job(&e, id, "command", "succeeded", "command sent");
	assert_log(&e, id, "console alpha: say hello");
	n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_eq(n, 10);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "say hello\n");
	close(fd);
	/* deleting the schedule keeps the job, without its schedule */
	tu_db_exec(e.db, "DELETE FROM schedules");
	ck_assert_int_eq(q(&e, "SELECT count(*) FROM jobs WHERE schedule_id IS NULL"), 1);
	teardown(&e);
}
END_TEST

/* update: install_game (system job), then a restart of the server. */
START_TEST(update_schedule_installs_then_restarts)
{
	struct env e;
	long long install, restart;

	setup(&e);
	add_schedule(&e, "update", "0 4 * * *", 0, 0, "skip", T0);
	set_clock(&e, T0 + 1);
	run_once(&e);
	ck_assert_int_eq(njobs(&e), 2);
	install = q(&e, "SELECT id FROM jobs WHERE kind = 'install_game'");
	restart = q(&e, "SELECT id FROM jobs WHERE kind = 'restart'");
	ck_assert_int_lt(install, restart);
	/* the stand-in config names no SteamCMD: the install fails, saying so */
	assert_job(&e, install, "install_game", "failed", "SteamCMD not found");
	assert_log(&e, restart, "then restart alpha onto the newest build, after job");
	ck_assert_int_eq(q(&e, "SELECT user_id IS NULL FROM jobs WHERE id = %lld", install), 1);
	teardown(&e);
}
END_TEST

/* Policy when_empty: build 2 is current; alpha (empty) and beta (2
 * humans) run build 1.  alpha is restarted at once, beta once empty. */
START_TEST(policy_when_empty)
{
	struct env e;
	long long id;

	setup_with(&e, "updates:\n  policy: when_empty\n");
	add_build(&e, 2, true);
	tu_db_exec(e.db, "INSERT INTO servers (id, name, user_id, blueprint_id, port, state, "
			 "created_at, updated_at) VALUES (2, 'beta', 1, 1, 27016, 'running', 0, 0);"
			 "UPDATE servers SET game_build = 1;"
			 "INSERT INTO game_builds VALUES (1, 0), (2, 1);"
			 "INSERT INTO game_latest VALUES (1, 2, 0);");
	set_players(&e, 1, 0, 0);
	set_players(&e, 2, 2, 0);
	run_once(&e);
	ck_assert_int_eq(njobs(&e), 1);
	id = q(&e, "SELECT max(id) FROM jobs");
	assert_job(&e, id, "restart", "succeeded", "restarted");
	ck_assert_int_eq(q(&e, "SELECT count(*) FROM jobs WHERE target = 'alpha'"), 1);
	assert_log(&e, id, "update policy when_empty: server alpha runs an older build than 2");
	ck_assert_int_eq(q(&e, "SELECT game_build FROM servers WHERE name = 'alpha'"), 2);
	ck_assert_int_eq(q(&e, "SELECT game_build FROM servers WHERE name = 'beta'"), 1);
	/* beta still has players: nothing */
	run_once(&e);
	ck_assert_int_eq(njobs(&e), 1);
	set_players(&e, 2, 1, 1);
	run_once(&e);
	ck_assert_int_eq(njobs(&e), 2);
	ck_assert_int_eq(q(&e, "SELECT game_build FROM servers WHERE name = 'beta'"), 2);
	/* a newer build known: the policy installs it (once per build) */
	tu_db_exec(e.db, "UPDATE game_latest SET build_id = 3");
	run_once(&e);
	id = q(&e, "SELECT max(id) FROM jobs");
	assert_job(&e, id, "install_game", "failed", "SteamCMD not found");
	assert_log(&e, id, "update policy when_empty: build 3 is available (installed: 2)");
	teardown(&e);
}
END_TEST

/* Policy manual: the same state restarts nothing. */
START_TEST(policy_manual_only_shows)
{
	struct env e;

	setup(&e);
	add_build(&e, 2, true);
	tu_db_exec(e.db, "UPDATE servers SET game_build = 1;"
			 "INSERT INTO game_builds VALUES (1, 0), (2, 1);"
			 "INSERT INTO game_latest VALUES (1, 3, 0);");
	run_once(&e);
	ck_assert_int_eq(njobs(&e), 0);
	teardown(&e);
}
END_TEST

/* Policy window 04:00-05:00: nothing at 03:59, every outdated server
 * (players or not) restarted at 04:10. */
START_TEST(policy_window)
{
	struct env e;

	setup_with(&e, "updates:\n  policy: window\n  window: \"04:00-05:00\"\n");
	add_build(&e, 2, true);
	tu_db_exec(e.db, "UPDATE servers SET game_build = 1;"
			 "INSERT INTO game_builds VALUES (1, 0), (2, 1);"
			 "INSERT INTO game_latest VALUES (1, 2, 0);");
	set_players(&e, 1, 5, 0);
	set_clock(&e, T0 - 60);
	run_once(&e);
	ck_assert_int_eq(njobs(&e), 0);
	set_clock(&e, T0 + 600);
	run_once(&e);
	ck_assert_int_eq(njobs(&e), 1);
	assert_job(&e, q(&e, "SELECT max(id) FROM jobs"), "restart", "succeeded", "restarted");
	assert_log(&e, q(&e, "SELECT max(id) FROM jobs"),
		   "update policy window (04:00-05:00): server alpha");
	ck_assert_int_eq(q(&e, "SELECT game_build FROM servers"), 2);
	teardown(&e);
}
END_TEST

/* The test clock is honoured only from a file of ours no one else may
 * write: group-writable, the worker keeps the real time (and says so). */
START_TEST(test_clock_must_be_private)
{
	struct env e;

	setup(&e);
	add_schedule(&e, "restart", "0 4 * * *", 0, 0, "skip", 1700000000);
	set_clock(&e, 1700000001);
	ck_assert(chmod(e.clock, 0666) == 0);
	run_once(&e);
	/* the real time is long past 2023-11-14 + grace: missed, not run */
	assert_job(&e, q(&e, "SELECT max(id) FROM jobs"), "restart", "cancelled", "missed");
	teardown(&e);
}
END_TEST

static Suite *sched_suite(void)
{
	Suite *s = suite_create("worker_sched");
	TCase *tc = tcase_create("sched");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, restart_schedule_fires);
	tcase_add_test(tc, when_empty_waits_then_skips);
	tcase_add_test(tc, when_empty_forces);
	tcase_add_test(tc, when_empty_runs_once_empty);
	tcase_add_test(tc, missed_within_and_beyond_grace);
	tcase_add_test(tc, stopped_server_is_skipped);
	tcase_add_test(tc, command_schedule_sends);
	tcase_add_test(tc, update_schedule_installs_then_restarts);
	tcase_add_test(tc, policy_when_empty);
	tcase_add_test(tc, policy_manual_only_shows);
	tcase_add_test(tc, policy_window);
	tcase_add_test(tc, test_clock_must_be_private);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(sched_suite());
}
