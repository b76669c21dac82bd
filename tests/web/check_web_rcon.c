/* left4me-web, issue 14's RCON for external tools: a server's password
 * comes with the server; GET /api/v1/servers/NAME/rcon and POST
 * .../rcon/rotate for the owner and admins (404 for anyone else, 401
 * without a login); the server page hides it behind a reveal and asks
 * before a rotation; a console command naming rcon_password is refused
 * and not audited; no audit row and no line of the daemon's stderr holds
 * any password it served. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rcon.h"
#include "testutil.h"
#include "webtest.h"
#include "xalloc.h"

static struct wt t;
static char *logdir, *logpath;
static char *seen[16];
static size_t n_seen;

static void start(void)
{
	logdir = tu_mkdtemp();
	logpath = xasprintf("%s/web.log", logdir);
	wt_start_ex(&t, NULL, 0, logpath);
	n_seen = 0;
}

static void stop(void)
{
	wt_stop(&t);
	for (size_t i = 0; i < n_seen; i++)
		free(seen[i]);
	free(logpath);
	tu_rmtree(logdir);
	free(logdir);
}

static long long count(const char *sql)
{
	return tu_db_int(t.db, sql);
}

/* server_rcon's password of server name (new string). */
static char *db_password(const char *name)
{
	char *q = sqlite3_mprintf("SELECT r.password FROM server_rcon r JOIN servers s ON s.id = "
				  "r.server_id WHERE s.name = %Q",
				  name);
	sqlite3_stmt *st;
	char *pw = NULL;

	ck_assert_int_eq(sqlite3_prepare_v2(t.db, q, -1, &st, NULL), SQLITE_OK);
	sqlite3_free(q);
	if (sqlite3_step(st) == SQLITE_ROW)
		pw = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return pw;
}

static void remember(const char *pw)
{
	ck_assert_uint_lt(n_seen, sizeof(seen) / sizeof(seen[0]));
	seen[n_seen++] = xstrdup(pw);
}

/* An API request with token tok; the status, and the answer's
 * "password" (new string, or NULL) into *pw. */
static long api(const char *method, const char *path, const char *tok, char **pw)
{
	struct wt_resp r;
	json_object *o, *v;
	long status;

	wt_req(&t, method, path, NULL, tok, NULL, "", 0, NULL, &r);
	status = r.status;
	if (pw) {
		*pw = NULL;
		o = json_tokener_parse(r.body);
		if (o && json_object_object_get_ex(o, "password", &v))
			*pw = xstrdup(json_object_get_string(v));
		if (o && status == 200) {
			ck_assert(json_object_object_get_ex(o, "port", &v));
			ck_assert_int_eq(json_object_get_int(v), 27015);
			ck_assert(json_object_object_get_ex(o, "address", &v));
			ck_assert_ptr_nonnull(strstr(json_object_get_string(v), ":27015"));
			ck_assert(json_object_object_get_ex(o, "note", &v));
			ck_assert_ptr_nonnull(strstr(json_object_get_string(v), "next start"));
		}
		json_object_put(o);
	}
	wt_resp_fini(&r);
	return status;
}

/* None of the passwords served is in the audit log or the daemon's log. */
static void assert_never_logged(void)
{
	int status = -1;
	char *log;

	for (size_t i = 0; i < n_seen; i++) {
		char *q = sqlite3_mprintf("SELECT count(*) FROM audit_log WHERE instr(actor || "
					  "action || object || detail, %Q)",
					  seen[i]);

		ck_assert_int_eq(count(q), 0);
		sqlite3_free(q);
	}
	/* the log is whole once the daemon is gone */
	ck_assert_int_eq(kill(t.pid, SIGTERM), 0);
	ck_assert_int_eq(waitpid(t.pid, &status, 0), t.pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	t.pid = 0;
	log = tu_read_file(logpath);
	ck_assert_ptr_nonnull(log);
	ck_assert_ptr_nonnull(strstr(log, "RCON password rotated")); /* it is the log */
	for (size_t i = 0; i < n_seen; i++)
		ck_assert_msg(!strstr(log, seen[i]), "password %zu is in the web's log", i);
	free(log);
}

static void make_server(const char *tok)
{
	const char *bp = "{\"name\": \"coop\", \"config\": \"hostname a\"}";
	const char *srv = "{\"name\": \"alpha\", \"blueprint_id\": 1, \"port\": 27015}";
	struct wt_resp r;

	wt_req(&t, "POST", "/api/v1/blueprints", NULL, tok, "application/json", bp, strlen(bp),
	       NULL, &r);
	ck_assert_int_eq(r.status, 201);
	wt_resp_fini(&r);
	wt_req(&t, "POST", "/api/v1/servers", NULL, tok, "application/json", srv, strlen(srv), NULL,
	       &r);
	ck_assert_int_eq(r.status, 201);
	wt_resp_fini(&r);
}

START_TEST(api_owner_admin_others)
{
	int64_t a = wt_user(&t, "alice", "password-alice", false);
	int64_t b = wt_user(&t, "bob", "password-bob", false);
	int64_t c = wt_user(&t, "root", "password-root", true);
	char *ta = wt_token(&t, a), *tb = wt_token(&t, b), *tc = wt_token(&t, c);
	char *pw, *pw2, *stored;
	const char *cmd = "{\"command\": \"say x; rcon_password mine-now\"}";
	struct wt_resp r;

	make_server(ta);
	/* the server comes with its password */
	stored = db_password("alpha");
	ck_assert_msg(stored && rcon_password_ok(stored), "no password made with the server");
	remember(stored);
	ck_assert_int_eq(api("GET", "/api/v1/servers/alpha/rcon", ta, &pw), 200);
	ck_assert_str_eq(pw, stored);
	free(pw);
	/* another user: 404 for both, nothing changes */
	ck_assert_int_eq(api("GET", "/api/v1/servers/alpha/rcon", tb, &pw), 404);
	ck_assert_ptr_null(pw);
	ck_assert_int_eq(api("POST", "/api/v1/servers/alpha/rcon/rotate", tb, &pw), 404);
	ck_assert_ptr_null(pw);
	pw = db_password("alpha");
	ck_assert_str_eq(pw, stored);
	free(pw);
	/* no login: 401; a missing server: 404 */
	ck_assert_int_eq(api("GET", "/api/v1/servers/alpha/rcon", NULL, NULL), 401);
	ck_assert_int_eq(api("GET", "/api/v1/servers/ghost/rcon", ta, NULL), 404);
	/* an admin sees it */
	ck_assert_int_eq(api("GET", "/api/v1/servers/alpha/rcon", tc, &pw), 200);
	ck_assert_str_eq(pw, stored);
	free(pw);
	/* the owner rotates: a new one, stored, shown, audited without it */
	ck_assert_int_eq(api("POST", "/api/v1/servers/alpha/rcon/rotate", ta, &pw), 200);
	ck_assert(rcon_password_ok(pw));
	ck_assert_str_ne(pw, stored);
	remember(pw);
	pw2 = db_password("alpha");
	ck_assert_str_eq(pw2, pw);
	free(pw2);
	ck_assert_int_eq(api("GET", "/api/v1/servers/alpha/rcon", ta, &pw2), 200);
	ck_assert_str_eq(pw2, pw);
	free(pw2);
	free(pw);
	ck_assert_int_eq(count("SELECT count(*) FROM audit_log WHERE action = 'rcon_rotate' AND "
			       "actor = 'alice' AND object = 'alpha' AND detail = 'rotated'"),
			 1);
	/* so does an admin */
	ck_assert_int_eq(api("POST", "/api/v1/servers/alpha/rcon/rotate", tc, &pw), 200);
	remember(pw);
	free(pw);
	ck_assert_int_eq(count("SELECT count(*) FROM audit_log WHERE action = 'rcon_rotate' AND "
			       "actor = 'root'"),
			 1);
	/* a console command naming it is refused, not audited */
	wt_req(&t, "POST", "/api/v1/servers/alpha/console", NULL, ta, "application/json", cmd,
	       strlen(cmd), NULL, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_nonnull(strstr(r.body, "must not name rcon_password"));
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM audit_log WHERE action = 'console'"), 0);
	assert_never_logged();
	free(stored);
	free(ta);
	free(tb);
	free(tc);
}
END_TEST

START_TEST(page_reveal_and_rotate)
{
	int64_t a = wt_user(&t, "alice", "password-alice", false);
	char *ta = wt_token(&t, a), *pw, *pw2, *loc, *want;
	struct wt_session s;
	struct wt_resp r;

	make_server(ta);
	pw = db_password("alpha");
	remember(pw);
	ck_assert_int_eq(wt_login(&t, "alice", "password-alice", &s), 303);
	wt_get(&t, &s, "/servers/alpha", &r);
	ck_assert_int_eq(r.status, 200);
	/* hidden until revealed: inside a closed <details> */
	ck_assert_ptr_nonnull(strstr(r.body, "<details id=\"rcon-reveal\"><summary>"));
	want = xasprintf("<code id=\"rcon-password\">%s</code>", pw);
	ck_assert_ptr_nonnull(strstr(r.body, want));
	ck_assert(strstr(r.body, "<details id=\"rcon-reveal\">") < strstr(r.body, want));
	free(want);
	ck_assert_ptr_nonnull(strstr(r.body, "next start"));
	wt_resp_fini(&r);
	/* the first POST asks; nothing changes */
	wt_post(&t, &s, "/servers/alpha/rcon", "", true, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "Rotate the RCON password of alpha?"));
	ck_assert_ptr_nonnull(strstr(r.body, "keeps the old one"));
	ck_assert_ptr_null(strstr(r.body, pw));
	wt_resp_fini(&r);
	pw2 = db_password("alpha");
	ck_assert_str_eq(pw2, pw);
	free(pw2);
	/* a confirm of anything but yes asks again */
	wt_post(&t, &s, "/servers/alpha/rcon", "confirm=no", true, &r);
	ck_assert_int_eq(r.status, 200);
	wt_resp_fini(&r);
	/* confirmed: rotated, back to the page, which says when it applies */
	wt_post(&t, &s, "/servers/alpha/rcon", "confirm=yes", true, &r);
	ck_assert_int_eq(r.status, 303);
	loc = wt_header(&r, "Location");
	ck_assert_str_eq(loc, "/servers/alpha?rcon=rotated#rcon");
	free(loc);
	wt_resp_fini(&r);
	pw2 = db_password("alpha");
	ck_assert_str_ne(pw2, pw);
	remember(pw2);
	wt_get(&t, &s, "/servers/alpha?rcon=rotated", &r);
	ck_assert_ptr_nonnull(strstr(r.body, "id=\"rcon-rotated\""));
	ck_assert_ptr_nonnull(strstr(r.body, pw2));
	ck_assert_ptr_null(strstr(r.body, pw));
	wt_resp_fini(&r);
	/* without the CSRF token: refused, nothing changes */
	wt_post(&t, &s, "/servers/alpha/rcon", "confirm=yes", false, &r);
	ck_assert_int_eq(r.status, 403);
	wt_resp_fini(&r);
	free(pw);
	pw = db_password("alpha");
	ck_assert_str_eq(pw, pw2);
	free(pw);
	free(pw2);
	assert_never_logged();
	free(ta);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("web_rcon");
	TCase *tc = tcase_create("rcon");

	tcase_add_checked_fixture(tc, start, stop);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, api_owner_admin_others);
	tcase_add_test(tc, page_reveal_and_rotate);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
