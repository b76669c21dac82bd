/* left4mectl overlay workshop (issue 15): create with ids and page URLs,
 * add and remove, sync (one coalesced fetcher job), show; bad ids, a list
 * over fetcher.workshop.max_ids and a non-workshop overlay each give one
 * stderr line, a non-zero exit and no change. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "db.h"
#include "testutil.h"
#include "xalloc.h"

static char *dir, *cfg, *ctl, *dbpath;

static void setup(void)
{
	char *text;
	struct tu_run r;
	char *argv[6];

	dir = tu_mkdtemp();
	cfg = xasprintf("%s/left4me.yaml", dir);
	dbpath = xasprintf("%s/left4me.db", dir);
	text = xasprintf("state_dir: %s\nfetcher:\n  workshop:\n    max_ids: 3\n", dir);
	tu_write_file(cfg, text);
	free(text);
	ctl = tu_build_path("left4mectl/left4mectl");
	argv[0] = ctl;
	argv[1] = "-c";
	argv[2] = cfg;
	argv[3] = "db";
	argv[4] = "migrate";
	argv[5] = NULL;
	tu_run(&r, argv, NULL, NULL);
	ck_assert_msg(r.status == 0, "%s", r.err);
	tu_run_fini(&r);
	{
		char err[256];
		sqlite3 *db = db_open(dbpath, 0, err, sizeof(err));

		tu_db_exec(db, "INSERT INTO users (name, password_hash, created_at, updated_at) "
			       "VALUES ('alice', '$y$x', 0, 0);"
			       "INSERT INTO overlays (user_id, name, kind, created_at, updated_at) "
			       "VALUES (1, 'plain', 'user', 0, 0)");
		db_close(db);
	}
}

static void teardown(void)
{
	tu_rmtree(dir);
	free(dir);
	free(cfg);
	free(dbpath);
	free(ctl);
}

static void run(struct tu_run *r, const char *const *args)
{
	const char *argv[20];
	int n = 0;

	argv[n++] = ctl;
	argv[n++] = "-c";
	argv[n++] = cfg;
	while (*args && n < 19)
		argv[n++] = *args++;
	argv[n] = NULL;
	tu_run(r, (char *const *)argv, NULL, NULL);
}

#define RUN(r, ...) run(r, (const char *const[]){__VA_ARGS__, NULL})

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

START_TEST(test_create_add_remove_sync_show)
{
	struct tu_run r;

	RUN(&r, "overlay", "workshop", "create", "alice", "maps", "11",
	    "https://steamcommunity.com/sharedfiles/filedetails/?id=22&searchtext=");
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_msg(strstr(r.out, "overlay 2: job 1 queued: sync_workshop"), "%s", r.out);
	tu_run_fini(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM overlays WHERE kind = 'workshop' AND "
				"user_id = 1 AND name = 'maps'"),
			 1);
	ck_assert_int_eq(db_int("SELECT sum(published_id) FROM overlay_workshop"), 33);
	RUN(&r, "overlay", "workshop", "add", "2", "33", "11");
	ck_assert_msg(r.status == 0, "%s", r.err);
	tu_run_fini(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM overlay_workshop WHERE overlay_id = 2"), 3);
	RUN(&r, "overlay", "workshop", "remove", "2", "22");
	ck_assert_msg(r.status == 0, "%s", r.err);
	tu_run_fini(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM overlay_workshop WHERE overlay_id = 2 AND "
				"published_id = 22"),
			 0);
	/* every change queued the same sync while it waited */
	ck_assert_int_eq(db_int("SELECT count(*) FROM jobs"), 1);
	RUN(&r, "overlay", "workshop", "sync", "2");
	ck_assert_msg(r.status == 0 && strstr(r.out, "job 1 already queued"), "%s", r.out);
	tu_run_fini(&r);
	RUN(&r, "overlay", "workshop", "sync");
	ck_assert_msg(r.status == 0 && strstr(r.out, "job 2 queued: sync_workshop (all)"), "%s",
		      r.out);
	tu_run_fini(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM jobs WHERE kind = 'sync_workshop' AND "
				"queue = 'fetcher'"),
			 2);
	RUN(&r, "overlay", "workshop", "show", "2");
	ck_assert_msg(r.status == 0 && strstr(r.out, "11 ") && strstr(r.out, "pending"), "%s",
		      r.out);
	tu_run_fini(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit_log WHERE actor = 'cli' AND "
				"action LIKE 'workshop_%'"),
			 3);
}
END_TEST

static const struct {
	const char *args[10];
	int status;
	const char *msg;
} bad[] = {
    {{"overlay", "workshop", "create", "alice", "m", "12abc"}, EX_USAGE, "not a Workshop id"},
    {{"overlay", "workshop", "create", "alice", "m", "https://example.com/?id=1"},
     EX_USAGE,
     "not a steamcommunity.com URL"},
    {{"overlay", "workshop", "create", "alice", "m", "1", "2", "3", "4"},
     EX_USAGE,
     "fetcher.workshop.max_ids"},
    {{"overlay", "workshop", "create", "nobody", "m", "1"}, EX_DATAERR, "no user"},
    {{"overlay", "workshop", "add", "1", "5"}, EX_DATAERR, "not a workshop overlay"},
    {{"overlay", "workshop", "add", "x", "5"}, EX_USAGE, "invalid overlay id"},
    {{"overlay", "workshop", "sync", "1"}, EX_DATAERR, "not a workshop overlay"},
    {{"overlay", "workshop", "frobnicate"}, EX_USAGE, "usage"},
};

START_TEST(test_bad_input)
{
	struct tu_run r;
	const char *argv[10];
	int n = 0;

	for (; bad[_i].args[n]; n++)
		argv[n] = bad[_i].args[n];
	argv[n] = NULL;
	run(&r, argv);
	ck_assert_int_eq(r.status, bad[_i].status);
	ck_assert_msg(strstr(r.err, bad[_i].msg), "%s", r.err);
	ck_assert_msg(strchr(r.err, '\n') == r.err + strlen(r.err) - 1, "one line: %s", r.err);
	tu_run_fini(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM overlays"), 1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM jobs"), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl_workshop");
	TCase *tc = tcase_create("workshop");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60); /* ASan on a busy machine */
	tcase_add_test(tc, test_create_add_remove_sync_show);
	tcase_add_loop_test(tc, test_bad_input, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	suite_add_tcase(s, tc);
	return tu_main(s);
}
