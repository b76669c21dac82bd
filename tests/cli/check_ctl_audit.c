/* left4mectl and the audit log (issue 18): every state-changing command
 * writes exactly its row, by "cli", with no secret in it; server reset and
 * delete need --yes and change nothing without it; `left4mectl audit`
 * shows the log with its filters and pages. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "db.h"
#include "testutil.h"
#include "xalloc.h"

static char *dir, *cfg, *ctl, *dbpath;

static void setup(void)
{
	char *text;

	dir = tu_mkdtemp();
	cfg = xasprintf("%s/left4me.yaml", dir);
	dbpath = xasprintf("%s/left4me.db", dir);
	text = xasprintf("state_dir: %s\n", dir);
	tu_write_file(cfg, text);
	free(text);
	ctl = tu_build_path("left4mectl/left4mectl");
}

static void teardown(void)
{
	tu_rmtree(dir);
	free(dir);
	free(cfg);
	free(dbpath);
	free(ctl);
}

static void run(struct tu_run *r, const char *input, const char *const *args)
{
	const char *argv[20];
	int n = 0;

	argv[n++] = ctl;
	argv[n++] = "-c";
	argv[n++] = cfg;
	while (*args && n < 19)
		argv[n++] = *args++;
	argv[n] = NULL;
	tu_run(r, (char *const *)argv, input, NULL);
}

#define RUN(r, input, ...) run(r, input, (const char *const[]){__VA_ARGS__, NULL})

static long long db_int(const char *sql)
{
	char err[256];
	sqlite3 *db = db_open(dbpath, 0, err, sizeof(err));
	long long v;

	ck_assert_msg(db != NULL, "%s", err);
	v = tu_db_int(db, sql);
	db_close(db);
	return v;
}

static void db_exec(const char *sql)
{
	char err[256];
	sqlite3 *db = db_open(dbpath, 0, err, sizeof(err));

	ck_assert_msg(db != NULL, "%s", err);
	tu_db_exec(db, sql);
	db_close(db);
}

/* Run one command that must succeed and add exactly one row, by "cli",
 * of action. */
static void audited(const char *action, const char *input, const char *const *args)
{
	long long before = 0;
	struct tu_run r;
	char *q;

	if (strcmp(action, "db_migrate") != 0)
		before = db_int("SELECT coalesce(max(id), 0) FROM audit_log");
	run(&r, input, args);
	ck_assert_msg(r.status == 0, "%s: exit %d: %s", args[0], r.status, r.err);
	tu_run_fini(&r);
	q = xasprintf("SELECT count(*) FROM audit_log WHERE id > %lld", before);
	ck_assert_msg(db_int(q) == 1, "%s %s: %lld rows", args[0], args[1], db_int(q));
	free(q);
	q = xasprintf("SELECT count(*) FROM audit_log WHERE id > %lld AND actor = 'cli' AND "
		      "action = '%s'",
		      before, action);
	ck_assert_msg(db_int(q) == 1, "%s %s: no '%s' row by cli", args[0], args[1], action);
	free(q);
}

#define AUDITED(action, input, ...) audited(action, input, (const char *const[]){__VA_ARGS__, NULL})

START_TEST(every_command_audited)
{
	static const char *const secrets[] = {"first-secret-pw", "second-secret-pw",
					      "rcon-secret-value"};
	struct tu_run r;
	char *p, token[128] = "";
	int fd;
	size_t i;

	AUDITED("db_migrate", NULL, "db", "migrate");
	AUDITED("user_add", "first-secret-pw\n", "user", "add", "alice", "--password-stdin");
	AUDITED("user_password", "second-secret-pw\n", "user", "passwd", "alice",
		"--password-stdin");
	AUDITED("user_disable", NULL, "user", "disable", "alice");
	AUDITED("user_enable", NULL, "user", "enable", "alice");
	{
		long long before = db_int("SELECT max(id) FROM audit_log");

		RUN(&r, NULL, "token", "create", "alice", "--label", "ci");
		ck_assert_int_eq(r.status, 0);
		snprintf(token, sizeof(token), "%s", r.out);
		token[strcspn(token, "\n")] = '\0';
		tu_run_fini(&r);
		p = xasprintf("SELECT count(*) FROM audit_log WHERE id > %lld AND actor = 'cli' "
			      "AND action = 'token_create'",
			      before);
		ck_assert_int_eq(db_int(p), 1);
		free(p);
	}
	db_exec("INSERT INTO blueprints (user_id, name, created_at, updated_at) "
		"VALUES (1, 'coop', 0, 0);"
		"INSERT INTO servers (name, user_id, blueprint_id, port, created_at, "
		"updated_at) VALUES ('alpha', 1, 1, 27015, 0, 0);");
	AUDITED("server_update", NULL, "server", "set", "alpha", "--max-players", "12");
	AUDITED("blueprint_update", NULL, "blueprint", "set", "1", "--tickrate", "100");
	AUDITED("start", NULL, "server", "start", "alpha");
	AUDITED("stop", NULL, "server", "stop", "alpha");
	AUDITED("restart", NULL, "server", "restart", "alpha");
	AUDITED("rcon_rotate", NULL, "server", "rcon", "rotate", "alpha");
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit_log, server_rcon WHERE instr(actor || "
				"action || object || detail, password) > 0"),
			 0);
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit_log WHERE action = 'rcon_rotate' AND "
				"object = 'alpha' AND detail = 'rotated'"),
			 1);
	/* reset and delete: refused without --yes, nothing queued or audited. */
	{
		long long jobs = db_int("SELECT count(*) FROM jobs"),
			  rows = db_int("SELECT count(*) FROM audit_log");

		RUN(&r, NULL, "server", "delete", "alpha");
		ck_assert_int_eq(r.status, EX_USAGE);
		ck_assert_msg(strstr(r.err, "--yes"), "%s", r.err);
		tu_run_fini(&r);
		RUN(&r, NULL, "server", "reset", "alpha");
		ck_assert_int_eq(r.status, EX_USAGE);
		ck_assert_msg(strstr(r.err, "--yes"), "%s", r.err);
		tu_run_fini(&r);
		ck_assert_int_eq(db_int("SELECT count(*) FROM jobs"), jobs);
		ck_assert_int_eq(db_int("SELECT count(*) FROM audit_log"), rows);
	}
	AUDITED("reset", NULL, "server", "reset", "alpha", "--yes");
	p = xasprintf("%s/console", dir);
	ck_assert_int_eq(mkdir(p, 0750), 0);
	free(p);
	p = xasprintf("%s/console/alpha", dir);
	ck_assert_int_eq(mkfifo(p, 0660), 0);
	fd = open(p, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	free(p);
	AUDITED("console", NULL, "server", "console", "alpha", "--", "sv_setsteamaccount",
		"rcon-secret-value");
	close(fd);
	/* schedules: add (the command's secret withheld), disable, enable, rm */
	AUDITED("schedule_create", NULL, "server", "schedule", "add", "alpha", "--cron",
		"0 4 * * *", "--action", "command", "--command", "sv_password rcon-secret-value");
	AUDITED("schedule_disable", NULL, "server", "schedule", "disable", "alpha", "1");
	ck_assert_int_eq(db_int("SELECT count(*) FROM schedules WHERE enabled = 0 "
				"AND next_run IS NULL"),
			 1);
	AUDITED("schedule_enable", NULL, "server", "schedule", "enable", "alpha", "1");
	ck_assert_int_eq(
	    db_int("SELECT count(*) FROM schedules WHERE enabled = 1 "
		   "AND next_run > strftime('%s') AND next_run <= strftime('%s') + 86400"),
	    1);
	RUN(&r, NULL, "server", "schedule", "list", "alpha");
	ck_assert_msg(r.status == 0 && strstr(r.out, "command  0 4 * * *") &&
			  !strstr(r.out, "rcon-secret"),
		      "%d %s%s", r.status, r.out, r.err);
	tu_run_fini(&r);
	AUDITED("schedule_delete", NULL, "server", "schedule", "rm", "alpha", "1");
	ck_assert_int_eq(db_int("SELECT count(*) FROM schedules"), 0);
	/* a bad cron names the field, adds nothing */
	RUN(&r, NULL, "server", "schedule", "add", "alpha", "--cron", "0 4 32 * *");
	ck_assert_int_eq(r.status, EX_USAGE);
	ck_assert_msg(strstr(r.err, "--cron: cron: field 3 (day of month): '32' is out of range"),
		      "%s", r.err);
	tu_run_fini(&r);
	RUN(&r, NULL, "server", "schedule", "rm", "alpha", "7");
	ck_assert_int_eq(r.status, EX_DATAERR);
	ck_assert_msg(strstr(r.err, "server alpha has no schedule 7"), "%s", r.err);
	tu_run_fini(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM schedules"), 0);
	AUDITED("delete", NULL, "server", "delete", "alpha", "--yes");
	ck_assert_int_eq(db_int("SELECT count(*) FROM jobs WHERE kind = 'delete'"), 1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit_log WHERE action = 'delete' AND "
				"detail GLOB 'job=[0-9]*'"),
			 1);
	/* No secret in the table. */
	ck_assert(token[0]);
	for (i = 0; i <= sizeof(secrets) / sizeof(secrets[0]); i++) {
		const char *s = i < sizeof(secrets) / sizeof(secrets[0]) ? secrets[i] : token;

		p = xasprintf(
		    "SELECT count(*) FROM audit_log WHERE instr(actor || ' ' || action || "
		    "' ' || object || ' ' || detail, '%s') > 0",
		    s);
		ck_assert_msg(db_int(p) == 0, "secret %.8s... in the audit log", s);
		free(p);
	}
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit_log WHERE action = 'console' AND "
				"detail = 'sv_setsteamaccount (withheld)'"),
			 1);
}
END_TEST

/* blueprint set / server set: the launch settings with the web's rules;
 * a refusal names the option and changes nothing. */
START_TEST(launch_settings)
{
	struct tu_run r;
	long long rows;

	RUN(&r, NULL, "db", "migrate");
	tu_run_fini(&r);
	RUN(&r, "first-secret-pw\n", "user", "add", "alice", "--password-stdin");
	tu_run_fini(&r);
	db_exec("INSERT INTO blueprints (user_id, name, created_at, updated_at) "
		"VALUES (1, 'coop', 0, 0);"
		"INSERT INTO servers (name, user_id, blueprint_id, port, created_at, "
		"updated_at) VALUES ('alpha', 1, 1, 27015, 0, 0);");
	RUN(&r, NULL, "blueprint", "set", "1", "--start-map", "c2m1_highway", "--max-players", "4",
	    "--tickrate", "100", "--launch-args", " -nohltv  +sv_pure 2 ");
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_str_eq(r.out, "blueprint  start_map=c2m1_highway max_players=4 tickrate=100 "
				"launch_args=-nohltv +sv_pure 2\n");
	tu_run_fini(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM blueprints WHERE start_map = 'c2m1_highway' "
				"AND max_players = 4 AND tickrate = 100 "
				"AND launch_args = '-nohltv +sv_pure 2'"),
			 1);
	RUN(&r, NULL, "server", "set", "alpha", "--max-players", "12", "--launch-args", "");
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_str_eq(r.out, "server     start_map=inherit max_players=12 tickrate=inherit "
				"launch_args=none\n"
				"effective  start_map=c2m1_highway max_players=12 tickrate=100 "
				"launch_args=none\n");
	tu_run_fini(&r);
	RUN(&r, NULL, "server", "set", "alpha", "--max-players", "inherit", "--launch-args",
	    "inherit", "--tickrate", "66");
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_str_eq(r.out, "server     start_map=inherit max_players=inherit tickrate=66 "
				"launch_args=inherit\n"
				"effective  start_map=c2m1_highway max_players=4 tickrate=66 "
				"launch_args=-nohltv +sv_pure 2\n");
	tu_run_fini(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM servers WHERE max_players IS NULL AND "
				"launch_args IS NULL AND tickrate = 66"),
			 1);
	rows = db_int("SELECT count(*) FROM audit_log");
	RUN(&r, NULL, "server", "set", "alpha", "--launch-args", "-nohltv +ip 127.0.0.2");
	ck_assert_int_eq(r.status, EX_USAGE);
	ck_assert_msg(strstr(r.err, "left4mectl: --launch-args: launch_args: +ip is not an allowed "
				    "option"),
		      "%s", r.err);
	tu_run_fini(&r);
	RUN(&r, NULL, "blueprint", "set", "1", "--max-players", "33");
	ck_assert_int_eq(r.status, EX_USAGE);
	ck_assert_msg(strstr(r.err, "--max-players: a number from 1 to 32"), "%s", r.err);
	tu_run_fini(&r);
	RUN(&r, NULL, "blueprint", "set", "1", "--start-map", "inherit;quit");
	ck_assert_int_eq(r.status, EX_USAGE);
	tu_run_fini(&r);
	RUN(&r, NULL, "blueprint", "set", "1", "--tickrate", "inherit");
	ck_assert_int_eq(r.status, EX_USAGE);
	ck_assert_msg(strstr(r.err, "--tickrate: a number from 30 to 128, or none"), "%s", r.err);
	tu_run_fini(&r);
	RUN(&r, NULL, "blueprint", "set", "9");
	ck_assert_int_eq(r.status, EX_DATAERR);
	tu_run_fini(&r);
	/* no flag: shows, changes nothing */
	RUN(&r, NULL, "blueprint", "set", "1");
	ck_assert_int_eq(r.status, 0);
	tu_run_fini(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit_log"), rows);
	RUN(&r, NULL, "blueprint", "list");
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "c2m1_highway     4       100      -nohltv +sv_pure 2\n"), "%s",
		      r.out);
	tu_run_fini(&r);
}
END_TEST

START_TEST(audit_command)
{
	struct tu_run r;
	int i;

	RUN(&r, NULL, "db", "migrate");
	ck_assert_int_eq(r.status, 0);
	tu_run_fini(&r);
	for (i = 0; i < 6; i++) {
		char *q = xasprintf("INSERT INTO audit_log (at, actor, action, object, detail) "
				    "VALUES (%lld, '%s', 'start', 'srv%d', '')",
				    (long long)(1700000000 + i * 3600) * 1000,
				    i % 2 ? "alice" : "bob", i);

		db_exec(q);
		free(q);
	}
	/* Newest first; --user filters. */
	RUN(&r, NULL, "audit", "--user", "alice");
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "srv5") && strstr(r.out, "srv1") && !strstr(r.out, "srv4"),
		      "%s", r.out);
	ck_assert(strstr(r.out, "srv5") < strstr(r.out, "srv3"));
	ck_assert_ptr_nonnull(strstr(r.out, "2023-11-15T03:13:20Z"));
	tu_run_fini(&r);
	/* --since: a UTC time (srv2 is at 00:13:20 on the 15th). */
	RUN(&r, NULL, "audit", "--since", "2023-11-15T00:13:20Z");
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "srv2") && !strstr(r.out, "srv1"), "%s", r.out);
	tu_run_fini(&r);
	/* Pages: --limit, then --before the id it names. */
	RUN(&r, NULL, "audit", "--limit", "2", "--action", "start");
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "srv5") && strstr(r.out, "srv4") && !strstr(r.out, "srv3"),
		      "%s", r.out);
	ck_assert_msg(strstr(r.out, "(older entries: add --before "), "%s", r.out);
	{
		char before[32];

		ck_assert_int_eq(sscanf(strstr(r.out, "--before ") + 9, "%31[0-9]", before), 1);
		tu_run_fini(&r);
		RUN(&r, NULL, "audit", "--limit", "2", "--action", "start", "--before", before);
		ck_assert_int_eq(r.status, 0);
		ck_assert_msg(strstr(r.out, "srv3") && strstr(r.out, "srv2") &&
				  !strstr(r.out, "srv4"),
			      "%s", r.out);
		tu_run_fini(&r);
	}
	/* Bad input: one line naming the option, exit 64. */
	RUN(&r, NULL, "audit", "--since", "last tuesday");
	ck_assert_int_eq(r.status, EX_USAGE);
	ck_assert_msg(strstr(r.err, "--since"), "%s", r.err);
	tu_run_fini(&r);
	RUN(&r, NULL, "audit", "--limit", "0");
	ck_assert_int_eq(r.status, EX_USAGE);
	tu_run_fini(&r);
	RUN(&r, NULL, "audit", "--before", "x");
	ck_assert_int_eq(r.status, EX_USAGE);
	tu_run_fini(&r);
	RUN(&r, NULL, "audit", "extra");
	ck_assert_int_eq(r.status, EX_USAGE);
	tu_run_fini(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl_audit");
	TCase *tc = tcase_create("ctl_audit");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, every_command_audited);
	tcase_add_test(tc, audit_command);
	tcase_add_test(tc, launch_settings);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
