/* The admin backups page and API, and a server's export (issue 16): who
 * may see and download what, names that are not a backup's (400, no path
 * ever built from them), downloads streamed from STATE/exports (the
 * worker's copy; this test plays the worker by writing the job row and the
 * file), expiry, and a symlink planted there never followed. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "webtest.h"
#include "xalloc.h"

#define B1 "left4me-20260101T000000Z.tar.zst"
#define B2 "left4me-20260102T000000Z.tar.zst"

static struct wt t;
static char *admin_tok, *alice_tok, *bob_tok;

static void put(const char *rel, const char *text, mode_t mode)
{
	char *p = xasprintf("%s/%s", t.dir, rel);

	tu_write_file(p, text);
	ck_assert_int_eq(chmod(p, mode), 0);
	free(p);
}

static void setup(void)
{
	char *p;

	wt_start(&t, NULL);
	wt_user(&t, "root", "password-root", true);
	wt_user(&t, "alice", "password-alice", false);
	wt_user(&t, "bob", "password-bob", false);
	admin_tok = wt_token(&t, 1);
	alice_tok = wt_token(&t, 2);
	bob_tok = wt_token(&t, 3);
	p = xasprintf("%s/backups", t.dir);
	ck_assert_int_eq(mkdir(p, 0750), 0);
	free(p);
	p = xasprintf("%s/exports", t.dir);
	ck_assert_int_eq(mkdir(p, 02750), 0);
	free(p);
	put("backups/" B1, "first backup bytes", 0600);
	put("backups/" B2, "second", 0600);
	put("backups/left4me-20260102T000000Z.json",
	    "{\"schema_version\":5,\"left4me_version\":\"9.9\",\"servers\":3}", 0640);
	put("backups/evil.tar.zst", "not a backup name", 0600);
	tu_db_exec(t.db, "INSERT INTO blueprints (user_id, name, created_at, updated_at) VALUES "
			 "(2, 'bp', 1, 1)");
	tu_db_exec(t.db, "INSERT INTO servers (name, user_id, blueprint_id, port, created_at, "
			 "updated_at) VALUES ('alpha', 2, 1, 27015, 1, 1)");
}

static void teardown(void)
{
	wt_stop(&t);
	free(admin_tok);
	free(alice_tok);
	free(bob_tok);
}

static long api(const char *method, const char *path, const char *tok, struct wt_resp *r)
{
	wt_req(&t, method, path, NULL, tok, method[0] == 'P' ? "application/json" : NULL,
	       method[0] == 'P' ? "{}" : NULL, method[0] == 'P' ? 2 : 0, NULL, r);
	return r->status;
}

static long status(const char *method, const char *path, const char *tok)
{
	struct wt_resp r;
	long s = api(method, path, tok, &r);

	wt_resp_fini(&r);
	return s;
}

/* Play the worker: job id done now (or finished_ms ago), with its file. */
static void job_done(long long id, const char *file, const char *text, long long ago_ms)
{
	char *q = xasprintf("UPDATE jobs SET state = 'succeeded', started_at = 1, "
			    "finished_at = CAST(strftime('%%s', 'now') AS INTEGER) * 1000 - %lld "
			    "WHERE id = %lld",
			    ago_ms, id);
	char *rel = xasprintf("exports/%s", file);

	tu_db_exec(t.db, q);
	if (text)
		put(rel, text, 0640);
	free(rel);
	free(q);
}

START_TEST(non_admin_refused)
{
	ck_assert_int_eq(status("GET", "/api/v1/admin/backups", alice_tok), 403);
	ck_assert_int_eq(status("POST", "/api/v1/admin/backups", alice_tok), 403);
	ck_assert_int_eq(status("POST", "/api/v1/admin/backups/" B1 "/export", alice_tok), 403);
	ck_assert_int_eq(status("GET", "/api/v1/admin/backups/" B1, alice_tok), 403);
	ck_assert_int_eq(tu_db_int(t.db, "SELECT count(*) FROM jobs"), 0);
}
END_TEST

START_TEST(list_and_page)
{
	struct wt_resp r;
	struct wt_session s;

	ck_assert_int_eq(api("GET", "/api/v1/admin/backups", admin_tok, &r), 200);
	/* newest first, the info file read, the junk name left out */
	ck_assert_msg(strstr(r.body, "\"name\": \"" B2 "\", \"bytes\": 6") ||
			  strstr(r.body, "\"name\":\"" B2 "\",\"bytes\":6"),
		      "%s", r.body);
	ck_assert_ptr_nonnull(strstr(r.body, "\"schema_version\""));
	ck_assert_ptr_nonnull(strstr(r.body, B1));
	ck_assert(strstr(r.body, B2) < strstr(r.body, B1));
	ck_assert_ptr_null(strstr(r.body, "evil"));
	ck_assert_ptr_null(strstr(r.body, "first backup bytes"));
	wt_resp_fini(&r);
	ck_assert_int_eq(wt_login(&t, "root", "password-root", &s), 303);
	wt_get(&t, &s, "/admin/backups", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, B1));
	ck_assert_ptr_nonnull(strstr(r.body, "action=\"/admin/backups/" B2 "/download\""));
	wt_resp_fini(&r);
	wt_post(&t, &s, "/admin/backups", "", true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	ck_assert_int_eq(tu_db_int(t.db, "SELECT count(*) FROM jobs WHERE kind = 'backup' AND "
					 "user_id = 1"),
			 1);
	ck_assert_int_eq(tu_db_int(t.db, "SELECT count(*) FROM audit_log WHERE action = 'backup'"),
			 1);
}
END_TEST

START_TEST(bad_names)
{
	const char *bad[] = {"..%2F..%2Fetc%2Fpasswd",
			     "evil.tar.zst",
			     "left4me-x.tar.zst",
			     "left4me-20260101T000000Z.tar.zst.json",
			     "..",
			     "left4me-20260101T000000Z.tar.gz"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *p = xasprintf("/api/v1/admin/backups/%s/export", bad[i]);

		long st = status("POST", p, admin_tok);

		/* an encoded '/' is decoded first: no route takes it (404) */
		ck_assert_msg(st == (strchr(bad[i], '%') ? 404 : 400), "%s: %ld", p, st);
		free(p);
		p = xasprintf("/api/v1/admin/backups/%s", bad[i]);
		st = status("GET", p, admin_tok);
		ck_assert_msg(st == (strchr(bad[i], '%') ? 404 : 400), "%s: %ld", p, st);
		free(p);
	}
	/* a good name backup.dir does not hold */
	ck_assert_int_eq(status("POST",
				"/api/v1/admin/backups/left4me-20250101T000000Z.tar.zst/export",
				admin_tok),
			 404);
	ck_assert_int_eq(tu_db_int(t.db, "SELECT count(*) FROM jobs"), 0);
}
END_TEST

START_TEST(backup_download_streams)
{
	struct wt_resp r;
	char *disp;

	ck_assert_int_eq(status("GET", "/api/v1/admin/backups/" B1, admin_tok), 404);
	ck_assert_int_eq(api("POST", "/api/v1/admin/backups/" B1 "/export", admin_tok, &r), 202);
	wt_resp_fini(&r);
	ck_assert_int_eq(tu_db_int(t.db, "SELECT count(*) FROM jobs WHERE kind = 'export_backup' "
					 "AND target = '" B1 "'"),
			 1);
	ck_assert_int_eq(status("GET", "/api/v1/exports/1", admin_tok), 409); /* not done */
	job_done(1, "1.tar.zst", "first backup bytes", 0);
	ck_assert_int_eq(api("GET", "/api/v1/admin/backups/" B1, admin_tok, &r), 200);
	ck_assert_uint_eq(r.len, 18);
	ck_assert_int_eq(memcmp(r.body, "first backup bytes", 18), 0);
	disp = wt_header(&r, "Content-Disposition");
	ck_assert_ptr_nonnull(disp);
	ck_assert_ptr_nonnull(strstr(disp, B1));
	free(disp);
	wt_resp_fini(&r);
	ck_assert_int_eq(status("GET", "/api/v1/exports/1", admin_tok), 200);
	/* another user: not theirs, and no admin */
	ck_assert_int_eq(status("GET", "/api/v1/exports/1", alice_tok), 404);
	/* expired */
	tu_db_exec(t.db, "UPDATE jobs SET finished_at = finished_at - 3601000 WHERE id = 1");
	ck_assert_int_eq(api("GET", "/api/v1/exports/1", admin_tok, &r), 410);
	ck_assert_ptr_nonnull(strstr(r.body, "backup.export_ttl"));
	wt_resp_fini(&r);
}
END_TEST

START_TEST(server_export)
{
	struct wt_resp r;
	char *p;

	ck_assert_int_eq(status("POST", "/api/v1/servers/alpha/export", bob_tok), 404);
	ck_assert_int_eq(status("GET", "/api/v1/servers/alpha/export", alice_tok), 404);
	ck_assert_int_eq(status("GET", "/api/v1/servers/..%2Fetc/export", alice_tok), 404);
	ck_assert_int_eq(status("GET", "/api/v1/servers/..%2Fetc%2Fx/export", alice_tok), 404);
	ck_assert_int_eq(status("GET", "/api/v1/servers/Alpha!/export", alice_tok), 400);
	ck_assert_int_eq(status("POST", "/api/v1/servers/alpha/export", alice_tok), 202);
	ck_assert_int_eq(status("POST", "/api/v1/servers/alpha/export", admin_tok), 202);
	job_done(1, "1.tar.zst", "gzip bytes of alpha", 0);
	ck_assert_int_eq(api("GET", "/api/v1/servers/alpha/export", alice_tok, &r), 200);
	ck_assert_uint_eq(r.len, 19);
	ck_assert_int_eq(memcmp(r.body, "gzip bytes of alpha", 19), 0);
	wt_resp_fini(&r);
	ck_assert_int_eq(status("GET", "/api/v1/servers/alpha/export", bob_tok), 404);
	ck_assert_int_eq(status("GET", "/api/v1/exports/1", bob_tok), 404);
	/* a symlink where the file should be is not followed */
	p = xasprintf("%s/exports/2.tar.zst", t.dir);
	ck_assert_int_eq(symlink("/etc/passwd", p), 0);
	free(p);
	job_done(2, "2-unused", NULL, 0);
	ck_assert_int_eq(api("GET", "/api/v1/exports/2", admin_tok, &r), 410);
	ck_assert_ptr_null(strstr(r.body, "root:"));
	wt_resp_fini(&r);
	ck_assert_int_eq(tu_db_int(t.db, "SELECT count(*) FROM audit_log WHERE action = "
					 "'export_server' AND object = 'alpha'"),
			 2);
}
END_TEST

START_TEST(confirm_pages_offer_export)
{
	struct wt_session s;
	struct wt_resp r;

	ck_assert_int_eq(wt_login(&t, "alice", "password-alice", &s), 303);
	wt_post(&t, &s, "/servers/alpha/reset", "", true, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "action=\"/servers/alpha/export\""));
	ck_assert_ptr_nonnull(strstr(r.body, "Download this server&#39;s data first")
				  ?: strstr(r.body, "Download this server's data first"));
	wt_resp_fini(&r);
	wt_post(&t, &s, "/servers/alpha/delete", "", true, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "action=\"/servers/alpha/export\""));
	wt_resp_fini(&r);
	wt_post(&t, &s, "/servers/alpha/export", "", true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	wt_get(&t, &s, "/jobs/1", &r);
	ck_assert_ptr_nonnull(strstr(r.body, "href=\"/exports/1\""));
	wt_resp_fini(&r);
	job_done(1, "1.tar.zst", "page download", 0);
	wt_get(&t, &s, "/exports/1", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(memcmp(r.body, "page download", 13), 0);
	wt_resp_fini(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("web_backups");
	TCase *tc = tcase_create("backups");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, non_admin_refused);
	tcase_add_test(tc, list_and_page);
	tcase_add_test(tc, bad_names);
	tcase_add_test(tc, backup_download_streams);
	tcase_add_test(tc, server_export);
	tcase_add_test(tc, confirm_pages_offer_export);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
