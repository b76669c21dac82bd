/* Everyday operation (issue 18), the real left4me-web: destructive actions
 * ask first (pages) or must name the server again (the API's
 * ?confirm=NAME); the connect address in the API and on the page; the
 * audit log's API and page; and the audit of the audit: every
 * state-changing route of routes.c, performed once, writes exactly its
 * row with the right actor, and no secret used along the way is in the
 * table. */
#include <check.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "strbuf.h"
#include "testutil.h"
#include "webtest.h"
#include "xalloc.h"

#define FORM "application/x-www-form-urlencoded"
#define JSON "application/json"

static struct wt t;

static void start(void)
{
	wt_start(&t, NULL);
}

static void stop(void)
{
	wt_stop(&t);
}

static long long count(const char *sql)
{
	return tu_db_int(t.db, sql);
}

/* One API request with a Bearer token; the response (caller finis it). */
static void api(const char *method, const char *path, const char *tok, const char *body,
		struct wt_resp *r)
{
	wt_req(&t, method, path, NULL, tok, body ? JSON : NULL, body, body ? strlen(body) : 0, NULL,
	       r);
}

/* alice's token, blueprint 1 and server alpha (port 27015). */
static char *alice_with_server(int64_t *uid)
{
	struct wt_resp r;
	char *tok;

	*uid = wt_user(&t, "alice", "password-alice", false);
	tok = wt_token(&t, *uid);
	api("POST", "/api/v1/blueprints", tok, "{\"name\": \"bp\"}", &r);
	ck_assert_int_eq(r.status, 201);
	wt_resp_fini(&r);
	api("POST", "/api/v1/servers", tok,
	    "{\"name\": \"alpha\", \"blueprint_id\": 1, \"port\": 27015}", &r);
	ck_assert_int_eq(r.status, 201);
	wt_resp_fini(&r);
	return tok;
}

/* ---- confirmations ------------------------------------------------------------- */

START_TEST(api_delete_needs_confirm)
{
	struct wt_resp r;
	int64_t uid;
	char *tok = alice_with_server(&uid);

	/* No confirm: 400 naming the parameter, nothing queued, the server stays. */
	api("DELETE", "/api/v1/servers/alpha", tok, NULL, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_msg(strstr(r.body, "\"error\"") && strstr(r.body, "confirm"), "%s", r.body);
	wt_resp_fini(&r);
	/* Another name, an empty one: the same. */
	api("DELETE", "/api/v1/servers/alpha?confirm=beta", tok, NULL, &r);
	ck_assert_int_eq(r.status, 400);
	wt_resp_fini(&r);
	api("DELETE", "/api/v1/servers/alpha?confirm=", tok, NULL, &r);
	ck_assert_int_eq(r.status, 400);
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM jobs"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM servers WHERE name = 'alpha'"), 1);
	api("GET", "/api/v1/servers/alpha", tok, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	wt_resp_fini(&r);
	/* Someone else's server is 404 before any confirm is looked at. */
	{
		char *tb = wt_token(&t, wt_user(&t, "bob", "password-bob", false));

		api("DELETE", "/api/v1/servers/alpha?confirm=alpha", tb, NULL, &r);
		ck_assert_int_eq(r.status, 404);
		wt_resp_fini(&r);
		free(tb);
	}
	/* The name: 202 and the delete job. */
	api("DELETE", "/api/v1/servers/alpha?confirm=alpha", tok, NULL, &r);
	ck_assert_msg(r.status == 202, "%ld %s", r.status, r.body);
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM jobs WHERE kind = 'delete' AND target = "
			       "'alpha'"),
			 1);
	free(tok);
}
END_TEST

START_TEST(pages_ask_first)
{
	struct wt_session s;
	struct wt_resp r;
	int64_t uid;
	char *tok = alice_with_server(&uid);

	ck_assert_int_eq(wt_login(&t, "alice", "password-alice", &s), 303);
	/* The server page sets reset and delete apart. */
	wt_get(&t, &s, "/servers/alpha", &r);
	ck_assert_int_eq(r.status, 200);
	{
		const char *zone = strstr(r.body, "danger-zone");

		ck_assert_ptr_nonnull(zone);
		ck_assert_ptr_nonnull(strstr(zone, "action=\"/servers/alpha/delete\""));
		ck_assert_ptr_nonnull(strstr(zone, "action=\"/servers/alpha/reset\""));
		ck_assert_ptr_null(strstr(zone, "action=\"/servers/alpha/start\""));
	}
	wt_resp_fini(&r);
	/* Delete: the first POST is the confirmation page, naming what goes. */
	wt_post(&t, &s, "/servers/alpha/delete", "", true, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "Delete server alpha?"));
	ck_assert_ptr_nonnull(strstr(r.body, "name=\"confirm\""));
	ck_assert_ptr_nonnull(strstr(r.body, "never started"));
	wt_resp_fini(&r);
	/* Writable data is measured (a file in upper/). */
	{
		char *p = xasprintf("%s/runtime/alpha/upper", t.dir);
		char *f = xasprintf("%s/bans.cfg", p);

		char *q = xasprintf("%s/runtime", t.dir),
		     *q2 = xasprintf("%s/runtime/alpha", t.dir);

		ck_assert_int_eq(mkdir(q, 0755), 0);
		ck_assert_int_eq(mkdir(q2, 0700), 0);
		ck_assert_int_eq(mkdir(p, 0755), 0);
		free(q);
		free(q2);
		tu_write_file(f, "banid 0 STEAM_1:0:1\n"); /* 20 bytes */
		free(p);
		free(f);
	}
	wt_post(&t, &s, "/servers/alpha/delete", "", true, &r);
	ck_assert_msg(strstr(r.body, "writable data, 20 bytes"), "%s", r.body);
	wt_resp_fini(&r);
	/* A wrong name: 400, the page again with why, nothing queued. */
	wt_post(&t, &s, "/servers/alpha/delete", "confirm=alph", true, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_nonnull(strstr(r.body, "nothing was deleted"));
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM jobs"), 0);
	/* Reset: asks too; confirm=yes queues it. */
	wt_post(&t, &s, "/servers/alpha/reset", "", true, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "Reset server alpha?"));
	ck_assert_ptr_nonnull(strstr(r.body, "20 bytes"));
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM jobs"), 0);
	wt_post(&t, &s, "/servers/alpha/reset", "confirm=yes", true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM jobs WHERE kind = 'reset'"), 1);
	/* Start needs no confirmation. */
	wt_post(&t, &s, "/servers/alpha/start", "", true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	/* The name: queued. */
	wt_post(&t, &s, "/servers/alpha/delete", "confirm=alpha", true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM jobs WHERE kind = 'delete'"), 1);

	/* Overlay and blueprint deletes ask, then delete. */
	api("POST", "/api/v1/overlays", tok, "{\"name\": \"maps\"}", &r);
	ck_assert_int_eq(r.status, 201);
	wt_resp_fini(&r);
	api("POST", "/api/v1/blueprints", tok, "{\"name\": \"spare\"}", &r);
	ck_assert_int_eq(r.status, 201);
	wt_resp_fini(&r);
	wt_post(&t, &s, "/overlays/1/delete", "", true, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "Delete overlay maps?"));
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM overlays"), 1);
	wt_post(&t, &s, "/overlays/1/delete", "confirm=yes", true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM overlays"), 0);
	wt_post(&t, &s, "/blueprints/2/delete", "", true, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "Delete blueprint spare?"));
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM blueprints"), 2);
	wt_post(&t, &s, "/blueprints/2/delete", "confirm=yes", true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM blueprints"), 1);
	free(tok);
}
END_TEST

START_TEST(user_disable_asks_first)
{
	struct wt_session s;
	struct wt_resp r;
	int64_t bob;
	char path[64];

	wt_user(&t, "root", "password-root", true);
	bob = wt_user(&t, "bob", "password-bob", false);
	free(wt_token(&t, bob));
	ck_assert_int_eq(wt_login(&t, "root", "password-root", &s), 303);
	snprintf(path, sizeof(path), "/admin/users/%lld/disable", (long long)bob);
	wt_post(&t, &s, path, "", true, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "Disable user bob?"));
	ck_assert_ptr_nonnull(strstr(r.body, "API token"));
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT disabled FROM users WHERE name = 'bob'"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM api_tokens"), 1);
	wt_post(&t, &s, path, "confirm=yes", true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT disabled FROM users WHERE name = 'bob'"), 1);
	/* Enabling is not destructive: no question. */
	snprintf(path, sizeof(path), "/admin/users/%lld/enable", (long long)bob);
	wt_post(&t, &s, path, "", true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT disabled FROM users WHERE name = 'bob'"), 0);
}
END_TEST

/* ---- connect info ----------------------------------------------------------------- */

/* The address (HOST:PORT) alpha gets under web config extra. */
static char *address_with(const char *extra)
{
	struct wt_resp r;
	json_object *o, *c, *v;
	int64_t uid;
	char *tok, *out, want[300];

	wt_stop(&t);
	wt_start(&t, extra);
	tok = alice_with_server(&uid);
	api("GET", "/api/v1/servers/alpha", tok, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	o = json_tokener_parse(r.body);
	ck_assert(o && json_object_object_get_ex(o, "connect", &c));
	ck_assert(json_object_object_get_ex(c, "address", &v));
	out = xstrdup(json_object_get_string(v));
	ck_assert(json_object_object_get_ex(c, "command", &v));
	snprintf(want, sizeof(want), "connect %s", out);
	ck_assert_str_eq(json_object_get_string(v), want);
	ck_assert(json_object_object_get_ex(c, "steam_url", &v));
	snprintf(want, sizeof(want), "steam://connect/%s", out);
	ck_assert_str_eq(json_object_get_string(v), want);
	json_object_put(o);
	wt_resp_fini(&r);
	free(tok);
	return out;
}

START_TEST(connect_address)
{
	static const struct {
		const char *extra, *want;
	} cases[] = {
	    {NULL, "127.0.0.1:27015"}, /* the default public_url's host */
	    {"  public_url: http://[::1]:8080/\n", "[::1]:27015"},
	    {"  public_url: http://localhost:8080/x\n", "localhost:27015"},
	    {"  public_url: http://[::1]:8080/\n  game_host: 127.0.0.2\n", "127.0.0.2:27015"},
	    {"  game_host: \"::1\"\n", "[::1]:27015"},
	    {"  game_host: \"[::1]\"\n", "[::1]:27015"},
	    {"  game_host: localhost\n", "localhost:27015"},
	};
	struct wt_session s;
	struct wt_resp r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = address_with(cases[i].extra);

		ck_assert_msg(strcmp(got, cases[i].want) == 0, "%s: got %s, want %s",
			      cases[i].extra ? cases[i].extra : "(default)", got, cases[i].want);
		free(got);
	}
	/* The page: the connect line, a copy button for script, the link. */
	ck_assert_int_eq(wt_login(&t, "alice", "password-alice", &s), 303);
	wt_get(&t, &s, "/servers/alpha", &r);
	ck_assert_ptr_nonnull(
	    strstr(r.body, "<code id=\"connect\">connect localhost:27015</code>"));
	ck_assert_ptr_nonnull(strstr(r.body, "data-copy=\"connect localhost:27015\" hidden"));
	ck_assert_ptr_nonnull(strstr(r.body, "href=\"steam://connect/localhost:27015\""));
	wt_resp_fini(&r);
}
END_TEST

/* ---- the audit log: API and page ------------------------------------------------ */

START_TEST(audit_api_and_page)
{
	struct wt_session s;
	struct wt_resp r;
	json_object *o, *e, *v;
	int64_t admin = wt_user(&t, "root", "password-root", true);
	char *atok = wt_token(&t, admin),
	     *utok = wt_token(&t, wt_user(&t, "u", "password-u", false));
	int i;

	for (i = 0; i < 7; i++) {
		char *q = xasprintf("INSERT INTO audit_log (at, actor, action, object, detail) "
				    "VALUES (%d000, '%s', '%s', 'o%d', '')",
				    1700000000 + i * 3600, i % 2 ? "alice" : "bob",
				    i % 3 ? "start" : "stop", i);

		tu_db_exec(t.db, q);
		free(q);
	}
	/* Admins only. */
	api("GET", "/api/v1/audit", utok, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	wt_resp_fini(&r);
	/* Filters, newest first, a cursor for the next page. */
	api("GET", "/api/v1/audit?user=alice&limit=2", atok, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	o = json_tokener_parse(r.body);
	ck_assert(json_object_object_get_ex(o, "entries", &e));
	ck_assert_int_eq((int)json_object_array_length(e), 2);
	ck_assert_str_eq(json_object_get_string(
			     json_object_object_get(json_object_array_get_idx(e, 0), "object")),
			 "o5");
	ck_assert(json_object_object_get_ex(o, "next_before", &v) && v);
	{
		char *next = xasprintf("/api/v1/audit?user=alice&limit=2&before=%lld",
				       (long long)json_object_get_int64(v));

		json_object_put(o);
		wt_resp_fini(&r);
		api("GET", next, atok, NULL, &r);
		free(next);
	}
	o = json_tokener_parse(r.body);
	ck_assert(json_object_object_get_ex(o, "entries", &e));
	ck_assert_int_eq((int)json_object_array_length(e), 1); /* o1 */
	ck_assert_str_eq(json_object_get_string(
			     json_object_object_get(json_object_array_get_idx(e, 0), "object")),
			 "o1");
	ck_assert(json_object_object_get_ex(o, "next_before", &v) && v == NULL);
	json_object_put(o);
	wt_resp_fini(&r);
	/* action, object and time. */
	api("GET", "/api/v1/audit?action=stop&since=2023-11-14T23:00:00Z&until=2023-11-15T02:00Z",
	    atok, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	o = json_tokener_parse(r.body);
	ck_assert(json_object_object_get_ex(o, "entries", &e));
	ck_assert_int_eq((int)json_object_array_length(e), 1); /* o0 at 22:13, o3 at 01:13 */
	json_object_put(o);
	wt_resp_fini(&r);
	/* Bad input names its parameter. */
	api("GET", "/api/v1/audit?since=yesterday", atok, NULL, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_nonnull(strstr(r.body, "since:"));
	wt_resp_fini(&r);
	api("GET", "/api/v1/audit?before=0", atok, NULL, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_nonnull(strstr(r.body, "before:"));
	wt_resp_fini(&r);
	api("GET", "/api/v1/audit?limit=501", atok, NULL, &r);
	ck_assert_int_eq(r.status, 400);
	wt_resp_fini(&r);
	/* The page: the same filters, an Older link carrying them. */
	ck_assert_int_eq(wt_login(&t, "root", "password-root", &s), 303);
	wt_get(&t, &s, "/admin/audit?user=alice&limit=2", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, ">o5<"));
	ck_assert_ptr_null(strstr(r.body, ">o4<"));
	ck_assert_ptr_nonnull(strstr(r.body, "href=\"/admin/audit?user=alice&amp;before="));
	wt_resp_fini(&r);
	ck_assert_int_eq(wt_login(&t, "u", "password-u", &s), 303);
	wt_get(&t, &s, "/admin/audit", &r);
	ck_assert_int_eq(r.status, 403);
	wt_resp_fini(&r);
	free(atok);
	free(utok);
}
END_TEST

/* ---- schedules ---------------------------------------------------------------- */

/* The schedules API: create, list with next_run, PUT (disable), delete;
 * each bad field is a 400 naming it (the cron field by number), nothing
 * stored; another user's server is 404; the 21st is refused naming
 * schedules.max_per_server. */
START_TEST(api_schedules)
{
	static const struct {
		const char *body, *field, *msg;
	} bad[] = {
	    {"{\"action\": \"restart\", \"cron\": \"0 25 * * *\"}", "cron",
	     "cron: field 2 (hour): '25' is out of range 0-23"},
	    {"{\"action\": \"restart\", \"cron\": \"0 4 * *\"}", "cron", "cron: "},
	    {"{\"action\": \"restart\"}", "cron", "cron: a cron expression is required"},
	    {"{\"action\": \"reboot\", \"cron\": \"0 4 * * *\"}", "action", "action: "},
	    {"{\"action\": \"command\", \"cron\": \"0 4 * * *\"}", "command", "command: "},
	    {"{\"action\": \"command\", \"cron\": \"0 4 * * *\", \"command\": \"say\\nhi\"}",
	     "command", "command: "},
	    {"{\"action\": \"restart\", \"cron\": \"0 4 * * *\", \"wait_minutes\": 1441}",
	     "wait_minutes", "wait_minutes: must be 0..1440 (got 1441)"},
	    {"{\"action\": \"restart\", \"cron\": \"0 4 * * *\", \"on_timeout\": \"maybe\"}",
	     "on_timeout", "on_timeout: must be skip or force"},
	    {"{\"action\": \"restart\", \"cron\": 4}", "cron", "cron: wrong type"},
	};
	struct wt_resp r;
	int64_t uid;
	char *tok = alice_with_server(&uid), *tb, want[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		api("POST", "/api/v1/servers/alpha/schedules", tok, bad[i].body, &r);
		snprintf(want, sizeof(want), "\"field\":\"%s\"", bad[i].field);
		ck_assert_msg(r.status == 400 && strstr(r.body, want) && strstr(r.body, bad[i].msg),
			      "%s: %ld %s", bad[i].body, r.status, r.body);
		wt_resp_fini(&r);
	}
	ck_assert_int_eq(count("SELECT count(*) FROM schedules"), 0);
	api("POST", "/api/v1/servers/alpha/schedules", tok,
	    "{\"action\": \"command\", \"cron\": \"*/15 * * * *\", \"command\": \"say hi\", "
	    "\"only_when_empty\": true, \"wait_minutes\": 10, \"on_timeout\": \"force\"}",
	    &r);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	ck_assert_msg(strstr(r.body, "\"next_run\":1") && strstr(r.body, "\"enabled\":true") &&
			  strstr(r.body, "\"on_timeout\":\"force\""),
		      "%s", r.body);
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM schedules WHERE next_run > strftime('%s') "
			       "AND next_run <= strftime('%s') + 900"),
			 1);
	api("GET", "/api/v1/servers/alpha/schedules", tok, NULL, &r);
	ck_assert_msg(r.status == 200 && strstr(r.body, "\"cron\":\"*/15 * * * *\""), "%s", r.body);
	wt_resp_fini(&r);
	api("PUT", "/api/v1/servers/alpha/schedules/1", tok, "{\"enabled\": false}", &r);
	ck_assert_msg(r.status == 200 && strstr(r.body, "\"enabled\":false") &&
			  strstr(r.body, "\"next_run\":null") && strstr(r.body, "say hi"),
		      "%ld %s", r.status, r.body);
	wt_resp_fini(&r);
	api("PUT", "/api/v1/servers/alpha/schedules/1", tok, "{\"cron\": \"61 * * * *\"}", &r);
	ck_assert_msg(r.status == 400 && strstr(r.body, "field 1 (minute)"), "%s", r.body);
	wt_resp_fini(&r);
	tb = wt_token(&t, wt_user(&t, "bob", "password-bob", false));
	api("GET", "/api/v1/servers/alpha/schedules/1", tb, NULL, &r);
	ck_assert_int_eq(r.status, 404);
	wt_resp_fini(&r);
	api("DELETE", "/api/v1/servers/alpha/schedules/1", tb, NULL, &r);
	ck_assert_int_eq(r.status, 404);
	wt_resp_fini(&r);
	free(tb);
	api("DELETE", "/api/v1/servers/alpha/schedules/1", tok, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	wt_resp_fini(&r);
	api("GET", "/api/v1/servers/alpha/schedules/1", tok, NULL, &r);
	ck_assert_int_eq(r.status, 404);
	wt_resp_fini(&r);
	for (int i = 0; i < 20; i++) {
		api("POST", "/api/v1/servers/alpha/schedules", tok,
		    "{\"action\": \"restart\", \"cron\": \"0 4 * * *\"}", &r);
		ck_assert_int_eq(r.status, 201);
		wt_resp_fini(&r);
	}
	api("POST", "/api/v1/servers/alpha/schedules", tok,
	    "{\"action\": \"restart\", \"cron\": \"0 4 * * *\"}", &r);
	ck_assert_msg(r.status == 409 && strstr(r.body, "schedules.max_per_server"), "%s", r.body);
	wt_resp_fini(&r);
	free(tok);
}
END_TEST

/* The server page's schedules: a bad cron shows the page again (400)
 * with the message naming the cron field and the input marked; a good
 * one lists with its next run in the host's time zone; disable shows
 * "disabled"; delete removes it; none of bob's business (404). */
START_TEST(page_schedules)
{
	struct wt_session s, sb;
	struct wt_resp r;
	int64_t uid;
	char *tok = alice_with_server(&uid);

	ck_assert_int_eq(wt_login(&t, "alice", "password-alice", &s), 303);
	wt_post(&t, &s, "/servers/alpha/schedules",
		"action=restart&cron=0+4+*+13+*&wait_minutes=5&on_timeout=skip", true, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_msg(
	    strstr(r.body, "id=\"schedule-error\"") &&
		strstr(r.body, "cron: field 4 (month): &#39;13&#39; is out of range 1-12") &&
		strstr(r.body, "name=\"cron\" required maxlength=\"128\" placeholder=\"0 4 * "
			       "* *\" value=\"0 4 * 13 *\" aria-invalid=\"true\"") &&
		strstr(r.body, "name=\"action\" aria-invalid=\"false\""),
	    "%s", r.body);
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM schedules"), 0);
	wt_post(&t, &s, "/servers/alpha/schedules",
		"action=command&cron=30+3+*+*+*&command=say+hi&only_when_empty=1&wait_minutes=5"
		"&on_timeout=force",
		true, &r);
	ck_assert_msg(r.status == 303, "%ld %s", r.status, r.body);
	wt_resp_fini(&r);
	ck_assert_int_eq(
	    count("SELECT count(*) FROM schedules WHERE action = 'command' AND "
		  "only_when_empty = 1 AND wait_minutes = 5 AND on_timeout = 'force' "
		  "AND strftime('%H:%M', next_run, 'unixepoch', 'localtime') = '03:30'"),
	    1);
	wt_get(&t, &s, "/servers/alpha", &r);
	ck_assert_msg(strstr(r.body, "id=\"schedule-1\"") && strstr(r.body, "<code>30 3 * * *") &&
			  strstr(r.body, "when empty, up to 5 min, then force") &&
			  strstr(r.body, " 03:30 ") &&
			  strstr(r.body, "action=\"/servers/alpha/schedules/1/disable\""),
		      "%s", r.body);
	wt_resp_fini(&r);
	wt_post(&t, &s, "/servers/alpha/schedules/1/disable", "", true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	wt_get(&t, &s, "/servers/alpha", &r);
	ck_assert_msg(strstr(r.body, "<td class=\"next-run\">disabled</td>") &&
			  strstr(r.body, "action=\"/servers/alpha/schedules/1/enable\""),
		      "%s", r.body);
	wt_resp_fini(&r);
	wt_user(&t, "bob", "password-bob", false);
	ck_assert_int_eq(wt_login(&t, "bob", "password-bob", &sb), 303);
	wt_post(&t, &sb, "/servers/alpha/schedules/1/delete", "", true, &r);
	ck_assert_int_eq(r.status, 404);
	wt_resp_fini(&r);
	wt_post(&t, &s, "/servers/alpha/schedules/1/delete", "", true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM schedules"), 0);
	free(tok);
}
END_TEST

/* ---- the audit of the audit -------------------------------------------------------- */

/* A state-changing route performed once: who, the route's method and
 * pattern (as in routes.c), the request, and the audit rows it must add. */
struct step {
	const char *who; /* "alice" or "root": the actor the rows must name */
	const char *method, *pattern;
	const char *path, *body;
	bool api; /* Bearer token and JSON; else the session and a form */
	long status;
	const char *action, *action2; /* action2: a second row (a save that builds) */
};

/* The secrets the run uses, to be found nowhere in audit_log. */
static struct strbuf secrets;

static void secret(const char *s)
{
	strbuf_puts(&secrets, s);
	strbuf_putc(&secrets, '\n');
}

static struct wt_session sess[2]; /* alice, root */
static char *tokens[2];

static void run_step(const struct step *st)
{
	int who = strcmp(st->who, "root") == 0;
	long long before = count("SELECT coalesce(max(id), 0) FROM audit_log");
	struct wt_resp r;
	char *q;

	if (st->api)
		wt_req(&t, st->method, st->path, NULL, tokens[who], st->body ? JSON : NULL,
		       st->body, st->body ? strlen(st->body) : 0, NULL, &r);
	else if (strcmp(st->pattern, "/overlays/{}/upload") == 0) {
		char *b = xasprintf("--XyZzY\r\nContent-Disposition: form-data; name=\"csrf_token\""
				    "\r\n\r\n%s\r\n--XyZzY\r\nContent-Disposition: form-data; "
				    "name=\"path\"\r\n\r\na.txt\r\n--XyZzY\r\nContent-Disposition: "
				    "form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: "
				    "text/plain\r\n\r\nhello\r\n--XyZzY--\r\n",
				    sess[who].csrf);

		wt_req(&t, "POST", st->path, sess[who].cookie, NULL,
		       "multipart/form-data; boundary=XyZzY", b, strlen(b), NULL, &r);
		free(b);
	} else {
		wt_post(&t, &sess[who], st->path, st->body ? st->body : "", true, &r);
	}
	ck_assert_msg(r.status == st->status, "%s %s: %ld (want %ld): %.300s", st->method, st->path,
		      r.status, st->status, r.body ? r.body : "");
	if (strcmp(st->pattern, "/tokens") == 0) {
		const char *tok = strstr(r.body, "<pre class=\"token\">");
		char shown[128];

		ck_assert_msg(tok && sscanf(tok, "<pre class=\"token\">%127[^<]", shown) == 1, "%s",
			      r.body);
		secret(shown);
	}
	wt_resp_fini(&r);
	q = xasprintf("SELECT count(*) FROM audit_log WHERE id > %lld", before);
	ck_assert_msg(count(q) == (st->action2 ? 2 : 1), "%s %s: %lld audit rows", st->method,
		      st->path, count(q));
	free(q);
	q = xasprintf("SELECT count(*) FROM audit_log WHERE id > %lld AND actor = '%s' AND "
		      "action IN ('%s', '%s')",
		      before, st->who, st->action, st->action2 ? st->action2 : st->action);
	ck_assert_msg(count(q) == (st->action2 ? 2 : 1), "%s %s: not %s by %s", st->method,
		      st->path, st->action, st->who);
	free(q);
}

/* "METHOD PATTERN" of every state-changing route of routes.c. */
static char **routes_changing(size_t *n)
{
	char *src = tu_read_file("left4me-web/routes.c"), *p, **out = NULL;
	size_t cap = 0;

	ck_assert_msg(src != NULL, "left4me-web/routes.c not found (run from the top dir)");
	*n = 0;
	for (p = src; (p = strstr(p, "(\"")); p++) {
		char method[8], pattern[128];

		if (sscanf(p + 1, "\"%7[A-Z]\", \"%127[^\"]\"", method, pattern) != 2)
			continue;
		if (strcmp(method, "GET") == 0)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			out = xreallocarray(out, cap, sizeof(*out));
		}
		out[(*n)++] = xasprintf("%s %s", method, pattern);
	}
	/* The brace-initialised rows: {"POST", "/overlays/{}/upload", ... */
	for (p = src; (p = strstr(p, "{\"")); p++) {
		char method[8], pattern[128];

		if (sscanf(p, "{\"%7[A-Z]\", \"%127[^\"]\"", method, pattern) != 2 ||
		    strcmp(method, "GET") == 0)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			out = xreallocarray(out, cap, sizeof(*out));
		}
		out[(*n)++] = xasprintf("%s %s", method, pattern);
	}
	free(src);
	return out;
}

/* long: one table row per state-changing route, in the order they can run */
START_TEST(audit_every_change)
{
	static const struct step steps[] = {
	    /* pages, alice */
	    {"alice", "POST", "/blueprints", "/blueprints", "name=bp1", false, 303,
	     "blueprint_create"},
	    {"alice", "POST", "/blueprints/{}", "/blueprints/1", "name=bp1b&config=hostname+x",
	     false, 303, "blueprint_update"},
	    {"alice", "POST", "/overlays", "/overlays", "name=files", false, 303, "overlay_create"},
	    {"alice", "POST", "/overlays/{}", "/overlays/1", "name=files2&build_script=", false,
	     303, "overlay_update"},
	    {"alice", "POST", "/overlays/{}/upload", "/overlays/1/upload", NULL, false, 303,
	     "overlay_upload"},
	    {"alice", "POST", "/overlays/{}/delete-file", "/overlays/1/delete-file", "path=a.txt",
	     false, 303, "overlay_file_delete"},
	    {"alice", "POST", "/overlays/{}/edit", "/overlays/1/edit",
	     "path=c.txt&text=hi&etag=", false, 303, "overlay_upload"},
	    {"alice", "POST", "/servers", "/servers", "name=alpha&blueprint_id=1&port=27015", false,
	     303, "server_create"},
	    {"alice", "POST", "/servers/{}/settings", "/servers/alpha/settings",
	     "start_map=c2m1_highway&max_players=4&tickrate=&launch_args=-nohltv", false, 303,
	     "server_update"},
	    {"alice", "POST", "/servers/{}/{}", "/servers/alpha/start", NULL, false, 303, "start"},
	    {"alice", "POST", "/servers/{}/schedules", "/servers/alpha/schedules",
	     "action=restart&cron=0+4+*+*+*&wait_minutes=0", false, 303, "schedule_create"},
	    {"alice", "POST", "/servers/{}/schedules/{}/{}", "/servers/alpha/schedules/1/disable",
	     NULL, false, 303, "schedule_disable"},
	    {"alice", "POST", "/servers/{}/console", "/servers/alpha/console",
	     "command=sv_setsteamaccount+s3cret-rcon-pw", false, 303, "console"},
	    {"alice", "POST", "/servers/{}/rcon", "/servers/alpha/rcon", "confirm=yes", false, 303,
	     "rcon_rotate"},
	    {"alice", "POST", "/servers/{}/{}", "/servers/alpha/reset", "confirm=yes", false, 303,
	     "reset"},
	    {"alice", "POST", "/servers/{}/export", "/servers/alpha/export", NULL, false, 303,
	     "export_server"},
	    {"alice", "POST", "/servers/{}/{}", "/servers/alpha/delete", "confirm=alpha", false,
	     303, "delete"},
	    {"alice", "POST", "/tokens", "/tokens", "label=laptop", false, 201, "token_create"},
	    {"alice", "POST", "/tokens", "/tokens", "label=old", false, 201, "token_create"},
	    {"alice", "POST", "/tokens/{}/revoke", "/tokens/4/revoke", NULL, false, 303,
	     "token_revoke"},
	    /* the API, alice */
	    {"alice", "POST", "/api/v1/blueprints", "/api/v1/blueprints", "{\"name\": \"bp2\"}",
	     true, 201, "blueprint_create"},
	    {"alice", "PUT", "/api/v1/blueprints/{}", "/api/v1/blueprints/2",
	     "{\"name\": \"bp2b\"}", true, 200, "blueprint_update"},
	    {"alice", "POST", "/api/v1/overlays", "/api/v1/overlays",
	     "{\"name\": \"built\", \"build_script\": \"echo\"}", true, 201, "overlay_create",
	     "build_overlay"},
	    {"alice", "PUT", "/api/v1/overlays/{}", "/api/v1/overlays/2", "{\"name\": \"built2\"}",
	     true, 200, "overlay_update"},
	    {"alice", "POST", "/api/v1/overlays/{}/build", "/api/v1/overlays/2/build", NULL, true,
	     202, "build_overlay"},
	    {"alice", "PUT", "/api/v1/overlays/{}/files/*", "/api/v1/overlays/1/files/b.txt", "x",
	     true, 201, "overlay_upload"},
	    /* a workshop overlay (3): its list and sync, the API's and the page's */
	    {"alice", "POST", "/api/v1/overlays", "/api/v1/overlays",
	     "{\"name\": \"ws\", \"kind\": \"workshop\", \"workshop_ids\": [123]}", true, 201,
	     "overlay_create", "sync_workshop"},
	    {"alice", "PUT", "/api/v1/overlays/{}/workshop", "/api/v1/overlays/3/workshop",
	     "{\"workshop_ids\": [123, 456]}", true, 200, "overlay_workshop_update",
	     "sync_workshop"},
	    {"alice", "POST", "/api/v1/overlays/{}/sync", "/api/v1/overlays/3/sync", NULL, true,
	     202, "sync_workshop"},
	    {"alice", "POST", "/overlays/{}/workshop", "/overlays/3/workshop", "remove=456", false,
	     303, "overlay_workshop_update", "sync_workshop"},
	    {"alice", "POST", "/overlays/{}/sync", "/overlays/3/sync", NULL, false, 303,
	     "sync_workshop"},
	    {"alice", "POST", "/api/v1/servers", "/api/v1/servers",
	     "{\"name\": \"beta\", \"blueprint_id\": 1, \"port\": 27016}", true, 201,
	     "server_create"},
	    {"alice", "PUT", "/api/v1/servers/{}", "/api/v1/servers/beta",
	     "{\"max_players\": 12, \"launch_args\": [\"+sv_pure 2\"]}", true, 200,
	     "server_update"},
	    {"alice", "POST", "/api/v1/servers/{}/{}", "/api/v1/servers/beta/stop", NULL, true, 202,
	     "stop"},
	    {"alice", "POST", "/api/v1/servers/{}/console", "/api/v1/servers/beta/console",
	     "{\"command\": \"sv_password s3cret-join-pw; say hi\"}", true, 204, "console"},
	    {"alice", "POST", "/api/v1/servers/{}/schedules", "/api/v1/servers/beta/schedules",
	     "{\"action\": \"command\", \"cron\": \"0 4 * * *\", "
	     "\"command\": \"sv_password s3cret-sched-pw\"}",
	     true, 201, "schedule_create"},
	    {"alice", "PUT", "/api/v1/servers/{}/schedules/{}", "/api/v1/servers/beta/schedules/2",
	     "{\"enabled\": false}", true, 200, "schedule_update"},
	    {"alice", "DELETE", "/api/v1/servers/{}/schedules/{}",
	     "/api/v1/servers/beta/schedules/2", NULL, true, 200, "schedule_delete"},
	    {"alice", "POST", "/api/v1/servers/{}/rcon/rotate", "/api/v1/servers/beta/rcon/rotate",
	     NULL, true, 200, "rcon_rotate"},
	    {"alice", "POST", "/api/v1/servers/{}/export", "/api/v1/servers/beta/export", NULL,
	     true, 202, "export_server"},
	    {"alice", "DELETE", "/api/v1/servers/{}", "/api/v1/servers/beta?confirm=beta", NULL,
	     true, 202, "delete"},
	    {"alice", "POST", "/overlays/{}/build", "/overlays/2/build", NULL, false, 303,
	     "build_overlay"},
	    {"alice", "DELETE", "/api/v1/overlays/{}", "/api/v1/overlays/2", NULL, true, 200,
	     "overlay_delete"},
	    {"alice", "DELETE", "/api/v1/blueprints/{}", "/api/v1/blueprints/2", NULL, true, 200,
	     "blueprint_delete"},
	    {"alice", "POST", "/blueprints", "/blueprints", "name=bp3", false, 303,
	     "blueprint_create"},
	    {"alice", "POST", "/blueprints/{}/delete", "/blueprints/3/delete", "confirm=yes", false,
	     303, "blueprint_delete"},
	    {"alice", "POST", "/overlays/{}/delete", "/overlays/1/delete", "confirm=yes", false,
	     303, "overlay_delete"},
	    /* root: pages, then the API */
	    {"root", "POST", "/admin/install-game", "/admin/install-game", NULL, false, 303,
	     "install_game"},
	    {"root", "POST", "/global-overlays/refresh", "/global-overlays/refresh", NULL, false,
	     303, "refresh_global_overlays"},
	    {"root", "POST", "/admin/users", "/admin/users",
	     "username=bob&password=bob-secret-pw-1", false, 303, "user_add"},
	    {"root", "POST", "/admin/users/{}/{}", "/admin/users/3/password",
	     "password=bob-secret-pw-2", false, 303, "user_password"},
	    {"root", "POST", "/admin/users/{}/{}", "/admin/users/3/disable", "confirm=yes", false,
	     303, "user_disable"},
	    {"root", "POST", "/admin/users/{}/{}", "/admin/users/3/enable", NULL, false, 303,
	     "user_enable"},
	    {"root", "POST", "/api/v1/global-overlays/refresh", "/api/v1/global-overlays/refresh",
	     NULL, true, 202, "refresh_global_overlays"},
	    {"root", "POST", "/api/v1/admin/install-game", "/api/v1/admin/install-game", NULL, true,
	     202, "install_game"},
	    {"root", "POST", "/tokens", "/tokens", "label=spare", false, 201, "token_create"},
	    {"root", "DELETE", "/api/v1/tokens/{}", "/api/v1/tokens/5", NULL, true, 200,
	     "token_revoke"},
	    {"root", "POST", "/admin/backups", "/admin/backups", NULL, false, 303, "backup"},
	    {"root", "POST", "/api/v1/admin/backups", "/api/v1/admin/backups", NULL, true, 202,
	     "backup"},
	    {"root", "POST", "/admin/backups/{}/download",
	     "/admin/backups/left4me-20260101T000000Z.tar.zst/download", NULL, false, 303,
	     "export_backup"},
	    {"root", "POST", "/api/v1/admin/backups/{}/export",
	     "/api/v1/admin/backups/left4me-20260101T000000Z.tar.zst/export", NULL, true, 202,
	     "export_backup"},
	};
	size_t nsteps = sizeof(steps) / sizeof(steps[0]), nroutes, i, j;
	char **routes = routes_changing(&nroutes);
	int fds[2];
	long long before;

	strbuf_init(&secrets);
	wt_user(&t, "alice", "password-alice", false);
	wt_user(&t, "root", "password-root", true);
	secret("password-alice");
	secret("password-root");
	secret("bob-secret-pw-1");
	secret("bob-secret-pw-2");
	secret("s3cret-rcon-pw");
	secret("s3cret-join-pw");
	secret("s3cret-sched-pw");
	tokens[0] = wt_token(&t, 1);
	tokens[1] = wt_token(&t, 2);
	secret(tokens[0]);
	secret(tokens[1]);
	{
		char *dir = xasprintf("%s/overlays", t.dir);

		mkdir(dir, 0755);
		free(dir);
		dir = xasprintf("%s/console", t.dir);
		mkdir(dir, 0750);
		free(dir);
		dir = xasprintf("%s/backups", t.dir);
		mkdir(dir, 0750);
		free(dir);
		dir = xasprintf("%s/backups/left4me-20260101T000000Z.tar.zst", t.dir);
		tu_write_file(dir, "a backup");
		free(dir);
	}
	for (i = 0; i < 2; i++) {
		char *p = xasprintf("%s/console/%s", t.dir, i ? "beta" : "alpha");

		ck_assert_int_eq(mkfifo(p, 0660), 0);
		fds[i] = open(p, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		ck_assert_int_ge(fds[i], 0);
		free(p);
	}
	/* Log in: one "login" row each, by the user. */
	for (i = 0; i < 2; i++) {
		before = count("SELECT coalesce(max(id), 0) FROM audit_log");
		ck_assert_int_eq(wt_login(&t, i ? "root" : "alice",
					  i ? "password-root" : "password-alice", &sess[i]),
				 303);
		{
			char *q = xasprintf("SELECT count(*) FROM audit_log WHERE id > %lld AND "
					    "action = 'login' AND actor = '%s'",
					    before, i ? "root" : "alice");

			ck_assert_int_eq(count(q), 1);
			free(q);
		}
		secret(strchr(sess[i].cookie, '=') + 1);
		secret(sess[i].csrf);
	}
	for (i = 0; i < nsteps; i++)
		run_step(&steps[i]);
	ck_assert_int_eq(count("SELECT count(*) FROM api_tokens WHERE label = 'laptop'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM api_tokens WHERE label IN ('old', 'spare')"),
			 0); /* revoked */
	/* Log out: the last change of each session. */
	for (i = 0; i < 2; i++) {
		struct step out = {
		    i ? "root" : "alice", "POST", "/logout", "/logout", NULL, false, 303, "logout"};

		run_step(&out);
	}
	/* Every state-changing route of routes.c was taken above. */
	for (j = 0; j < nroutes; j++) {
		bool seen =
		    strcmp(routes[j], "POST /login") == 0 || strcmp(routes[j], "POST /logout") == 0;

		for (i = 0; i < nsteps && !seen; i++) {
			char *k = xasprintf("%s %s", steps[i].method, steps[i].pattern);

			seen = strcmp(k, routes[j]) == 0;
			free(k);
		}
		ck_assert_msg(seen, "route %s changes state but no step of this test takes it",
			      routes[j]);
		free(routes[j]);
	}
	free(routes);
	ck_assert_int_gt((long long)nroutes, 30);
	for (i = 0; i < 2; i++)
		close(fds[i]);
	/* No secret anywhere in the table, nor a session's or token's hash. */
	tu_db_exec(t.db, "CREATE TEMP TABLE hashes AS SELECT token_hash AS h FROM sessions UNION "
			 "SELECT token_hash FROM api_tokens");
	ck_assert_int_eq(count("SELECT count(*) FROM audit_log, temp.hashes WHERE instr(actor || "
			       "action || object || detail, h) > 0"),
			 0);
	for (char *p = secrets.buf, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
		char *q;

		*nl = '\0';
		q = xasprintf(
		    "SELECT count(*) FROM audit_log WHERE instr(actor || ' ' || action || "
		    "' ' || object || ' ' || detail, '%s') > 0",
		    p);
		ck_assert_msg(count(q) == 0, "secret %.12s... is in the audit log", p);
		free(q);
	}
	/* What the console rows keep instead. */
	ck_assert_int_eq(count("SELECT count(*) FROM audit_log WHERE action = 'console' AND detail "
			       "= 'sv_setsteamaccount (withheld)'"),
			 1);
	/* The RCON passwords (made with each server, rotated twice) are in
	 * no row; a rotation says only "rotated". */
	ck_assert_int_eq(count("SELECT count(*) FROM server_rcon"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM audit_log, server_rcon WHERE instr(actor || "
			       "action || object || detail, password) > 0"),
			 0);
	ck_assert_int_eq(count("SELECT count(*) FROM audit_log WHERE action = 'rcon_rotate' AND "
			       "detail = 'rotated'"),
			 2);
	ck_assert_int_eq(count("SELECT count(*) FROM audit_log WHERE action = 'console' AND detail "
			       "= 'sv_password (withheld); say hi'"),
			 1);
	strbuf_fini(&secrets);
	free(tokens[0]);
	free(tokens[1]);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ops");
	TCase *tc = tcase_create("ops");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, start, stop);
	tcase_add_test(tc, api_delete_needs_confirm);
	tcase_add_test(tc, api_schedules);
	tcase_add_test(tc, page_schedules);
	tcase_add_test(tc, pages_ask_first);
	tcase_add_test(tc, user_disable_asks_first);
	tcase_add_test(tc, connect_address);
	tcase_add_test(tc, audit_api_and_page);
	tcase_add_test(tc, audit_every_change);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
