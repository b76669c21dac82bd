/* left4me-web's launch settings and starter templates (issue 14), the
 * real daemon against a temp DB: start_map, max_players, tickrate and
 * launch_args on blueprints and servers through the API (defaults, 400s
 * that name the field and the option, a server's null inheriting) and the
 * pages' forms; a new blueprint's starter server.cfg and the overlay
 * templates. */
#include <check.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "templates.h"
#include "testutil.h"
#include "webtest.h"
#include "xalloc.h"

static struct wt t;

/* The first column of sql's first row (a static copy; "" for none). */
static const char *db_text(const char *sql)
{
	static char buf[4096];
	sqlite3_stmt *st;

	ck_assert_int_eq(sqlite3_prepare_v2(t.db, sql, -1, &st, NULL), SQLITE_OK);
	buf[0] = '\0';
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, sizeof(buf), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}

static void start(void)
{
	wt_start(&t, NULL);
}

static void stop(void)
{
	wt_stop(&t);
}

static json_object *api(const char *method, const char *path, const char *tok, const char *body,
			long want)
{
	struct wt_resp r;
	json_object *o;

	wt_req(&t, method, path, NULL, tok, body ? "application/json" : NULL, body,
	       body ? strlen(body) : 0, NULL, &r);
	ck_assert_msg(r.status == want, "%s %s %s: %ld (want %ld): %s", method, path,
		      body ? body : "", r.status, want, r.body);
	o = json_tokener_parse(r.body);
	ck_assert_msg(o != NULL, "%s %s: not JSON: %s", method, path, r.body);
	wt_resp_fini(&r);
	return o;
}

/* The request fails with 400 and an error that starts with want. */
static void api_400(const char *method, const char *path, const char *tok, const char *body,
		    const char *want)
{
	json_object *o = api(method, path, tok, body, 400), *e;
	const char *msg;

	ck_assert_msg(json_object_object_get_ex(o, "error", &e), "no error: %s", body);
	msg = json_object_get_string(e);
	ck_assert_msg(strncmp(msg, want, strlen(want)) == 0, "%s: error '%s', want '%s'", body, msg,
		      want);
	json_object_put(o);
}

static json_object *member(json_object *o, const char *k)
{
	json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, k, &v), "no %s in %s", k,
		      json_object_to_json_string(o));
	return v;
}

/* o's launch settings as one line: "map/max/tick/[args]" (null as -). */
static char *launch_line(json_object *o)
{
	json_object *a = member(o, "launch_args"), *m = member(o, "start_map");
	json_object *p = member(o, "max_players"), *k = member(o, "tickrate");
	char *s =
	    xasprintf("%s/%s/%s/", m ? json_object_get_string(m) : "-",
		      p ? json_object_get_string(p) : "-", k ? json_object_get_string(k) : "-");

	if (!a) {
		char *n = xasprintf("%s-", s);
		free(s);
		return n;
	}
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		char *n =
		    xasprintf("%s[%s]", s, json_object_get_string(json_object_array_get_idx(a, i)));
		free(s);
		s = n;
	}
	return s;
}

static void assert_launch(json_object *o, const char *want)
{
	char *got = launch_line(o);

	ck_assert_msg(strcmp(got, want) == 0, "launch settings %s, want %s", got, want);
	free(got);
}

START_TEST(api_blueprint_launch)
{
	int64_t a = wt_user(&t, "alice", "password-alice", false);
	char *tok = wt_token(&t, a);
	json_object *o;

	/* Omitted: the defaults and the starter server.cfg. */
	o = api("POST", "/api/v1/blueprints", tok, "{\"name\": \"bp\"}", 201);
	assert_launch(o, "c1m1_hotel/8/-/");
	ck_assert(strstr(json_object_get_string(member(o, "config")),
			 "\nsv_allow_lobby_connect_only 0\n"));
	ck_assert(strstr(json_object_get_string(member(o, "config")), "\n// sv_steamgroup "));
	ck_assert(strstr(json_object_get_string(member(o, "config")), "\n// sv_search_key "));
	ck_assert(strncmp(strstr(json_object_get_string(member(o, "config")), "hostname "),
			  "hostname ", 9) == 0);
	json_object_put(o);
	/* Given: stored, and the options in their canonical form. */
	o = api("PUT", "/api/v1/blueprints/1", tok,
		"{\"start_map\": \"c2m1_highway\", \"max_players\": 4, \"tickrate\": 100, "
		"\"launch_args\": [\"-nohltv\", \"+sv_pure  2\", \"+mp_gamemode\", \"versus\"]}",
		200);
	assert_launch(o, "c2m1_highway/4/100/[-nohltv][+sv_pure 2][+mp_gamemode versus]");
	json_object_put(o);
	ck_assert_str_eq(db_text("SELECT launch_args FROM blueprints WHERE id = 1"),
			 "-nohltv +sv_pure 2 +mp_gamemode versus");
	/* What a PUT leaves out stays; tickrate null is none. */
	o = api("PUT", "/api/v1/blueprints/1", tok, "{\"tickrate\": null}", 200);
	assert_launch(o, "c2m1_highway/4/-/[-nohltv][+sv_pure 2][+mp_gamemode versus]");
	json_object_put(o);
	o = api("POST", "/api/v1/blueprints", tok,
		"{\"name\": \"bp2\", \"config\": \"\", \"start_map\": \"c5m1_waterfront\", "
		"\"launch_args\": []}",
		201);
	assert_launch(o, "c5m1_waterfront/8/-/");
	ck_assert_str_eq(json_object_get_string(member(o, "config")), "");
	json_object_put(o);

	/* Each bad value: 400 naming the field, and the option. */
	api_400("PUT", "/api/v1/blueprints/1", tok, "{\"launch_args\": [\"-foo\"]}",
		"launch_args: -foo is not an allowed option (allowed: -nohltv ");
	api_400("PUT", "/api/v1/blueprints/1", tok, "{\"launch_args\": [\"+sv_pure 5\"]}",
		"launch_args: +sv_pure: '5' is not -1..2");
	api_400("PUT", "/api/v1/blueprints/1", tok, "{\"launch_args\": [\"+map c1m2_streets\"]}",
		"launch_args: +map is not allowed here: set start_map instead");
	api_400("PUT", "/api/v1/blueprints/1", tok, "{\"launch_args\": [\"-port\", \"1\"]}",
		"launch_args: -port is not an allowed option");
	api_400("PUT", "/api/v1/blueprints/1", tok, "{\"launch_args\": [\"+exec ../x\"]}",
		"launch_args: +exec: '../x' is not a cfg name");
	api_400("PUT", "/api/v1/blueprints/1", tok, "{\"launch_args\": \"-nohltv\"}",
		"launch_args: expected an array of strings");
	api_400("PUT", "/api/v1/blueprints/1", tok, "{\"launch_args\": [1]}",
		"launch_args: expected an array of strings");
	api_400("PUT", "/api/v1/blueprints/1", tok, "{\"start_map\": \"c1m1-hotel\"}",
		"start_map: a map name of [A-Za-z0-9_]");
	api_400("PUT", "/api/v1/blueprints/1", tok, "{\"start_map\": null}",
		"start_map: expected a map name");
	api_400("PUT", "/api/v1/blueprints/1", tok, "{\"max_players\": 33}",
		"max_players: a number from 1 to 32");
	api_400("PUT", "/api/v1/blueprints/1", tok, "{\"max_players\": \"8\"}",
		"max_players: a number from 1 to 32");
	api_400("PUT", "/api/v1/blueprints/1", tok, "{\"tickrate\": 29}",
		"tickrate: a number from 30 to 128");
	api_400("POST", "/api/v1/blueprints", tok, "{\"name\": \"bp3\", \"tickrate\": 129}",
		"tickrate: a number from 30 to 128");
	/* nothing of a refused request was stored */
	o = api("GET", "/api/v1/blueprints/1", tok, NULL, 200);
	assert_launch(o, "c2m1_highway/4/-/[-nohltv][+sv_pure 2][+mp_gamemode versus]");
	json_object_put(o);
	ck_assert_int_eq(tu_db_int(t.db, "SELECT count(*) FROM blueprints"), 2);
	free(tok);
}
END_TEST

START_TEST(api_server_launch)
{
	int64_t a = wt_user(&t, "alice", "password-alice", false);
	int64_t b = wt_user(&t, "bob", "password-bob", false);
	char *tok = wt_token(&t, a), *tb = wt_token(&t, b);
	json_object *o;

	json_object_put(api("POST", "/api/v1/blueprints", tok,
			    "{\"name\": \"bp\", \"start_map\": \"c2m1_highway\", \"max_players\": "
			    "4, \"tickrate\": 60, \"launch_args\": [\"-nohltv\"]}",
			    201));
	/* A new server inherits everything: its own are null. */
	o = api("POST", "/api/v1/servers", tok,
		"{\"name\": \"alpha\", \"blueprint_id\": 1, \"port\": 27015}", 201);
	assert_launch(o, "-/-/-/-");
	assert_launch(member(o, "effective"), "c2m1_highway/4/60/[-nohltv]");
	json_object_put(o);
	/* Its own values win, field by field; [] is "no options". */
	o = api("PUT", "/api/v1/servers/alpha", tok,
		"{\"max_players\": 12, \"launch_args\": [], \"tickrate\": 100}", 200);
	assert_launch(o, "-/12/100/");
	assert_launch(member(o, "effective"), "c2m1_highway/12/100/");
	json_object_put(o);
	o = api("GET", "/api/v1/servers/alpha", tok, NULL, 200);
	assert_launch(member(o, "effective"), "c2m1_highway/12/100/");
	json_object_put(o);
	/* The blueprint's later change reaches what the server inherits. */
	json_object_put(
	    api("PUT", "/api/v1/blueprints/1", tok, "{\"start_map\": \"c3m1_plankcountry\"}", 200));
	o = api("GET", "/api/v1/servers/alpha", tok, NULL, 200);
	assert_launch(member(o, "effective"), "c3m1_plankcountry/12/100/");
	json_object_put(o);
	/* null inherits again */
	o = api("PUT", "/api/v1/servers/alpha", tok,
		"{\"max_players\": null, \"launch_args\": null, \"tickrate\": null}", 200);
	assert_launch(o, "-/-/-/-");
	assert_launch(member(o, "effective"), "c3m1_plankcountry/4/60/[-nohltv]");
	json_object_put(o);
	/* create with settings; a bad one creates nothing */
	o = api("POST", "/api/v1/servers", tok,
		"{\"name\": \"beta\", \"blueprint_id\": 1, \"port\": 27016, \"start_map\": "
		"\"c8m1_apartment\", \"launch_args\": [\"+sv_lan 1\"]}",
		201);
	assert_launch(o, "c8m1_apartment/-/-/[+sv_lan 1]");
	json_object_put(o);
	api_400("POST", "/api/v1/servers", tok,
		"{\"name\": \"gamma\", \"blueprint_id\": 1, \"port\": 27017, \"launch_args\": "
		"[\"-insecure\", \"-game\", \"csgo\"]}",
		"launch_args: -game is not an allowed option");
	ck_assert_int_eq(tu_db_int(t.db, "SELECT count(*) FROM servers WHERE name = 'gamma'"), 0);
	api_400("PUT", "/api/v1/servers/alpha", tok, "{\"launch_args\": [\"-nohltv -nohltv\"]}",
		"launch_args: -nohltv is given twice");
	api_400("PUT", "/api/v1/servers/alpha", tok, "{\"max_players\": 0}",
		"max_players: a number from 1 to 32");
	api_400("PUT", "/api/v1/servers/alpha", tok, "{\"start_map\": \"\"}",
		"start_map: a map name");
	/* another user's server is not found */
	json_object_put(api("PUT", "/api/v1/servers/alpha", tb, "{\"max_players\": 2}", 404));
	ck_assert_int_eq(tu_db_int(t.db, "SELECT count(*) FROM servers WHERE max_players = 2"), 0);
	free(tok);
	free(tb);
}
END_TEST

START_TEST(pages_launch)
{
	struct wt_session s;
	struct wt_resp r;

	wt_user(&t, "alice", "password-alice", false);
	ck_assert_int_eq(wt_login(&t, "alice", "password-alice", &s), 303);
	/* the create form: a blueprint with the starter server.cfg */
	wt_post(&t, &s, "/blueprints", "name=bp", true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	ck_assert(strstr(db_text("SELECT config FROM blueprints WHERE id = 1"),
			 "\nsv_allow_lobby_connect_only 0\n"));
	wt_get(&t, &s, "/blueprints/1", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(r.body, "name=\"start_map\""));
	ck_assert(strstr(r.body, "value=\"c1m1_hotel\""));
	ck_assert(strstr(r.body, "name=\"launch_args\""));
	ck_assert(strstr(r.body, "sv_allow_lobby_connect_only 0"));
	wt_resp_fini(&r);
	wt_post(&t, &s, "/blueprints/1",
		"name=bp&config=&start_map=c2m1_highway&max_players=6&tickrate=100&"
		"launch_args=-nohltv+%2Bsv_pure+1",
		true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	ck_assert_str_eq(db_text("SELECT start_map || '/' || max_players || '/' || "
				 "tickrate || '/' || launch_args FROM blueprints"),
			 "c2m1_highway/6/100/-nohltv +sv_pure 1");
	wt_post(&t, &s, "/blueprints/1", "name=bp&config=&launch_args=-nohltv+-condebug+-debug",
		true, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert(strstr(r.body, "launch_args: -debug is not an allowed option"));
	wt_resp_fini(&r);
	/* a server from the form inherits what it leaves empty */
	wt_post(&t, &s, "/servers",
		"name=alpha&blueprint_id=1&port=27015&start_map=&max_players=&tickrate=&"
		"launch_args=",
		true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	ck_assert_int_eq(tu_db_int(t.db, "SELECT count(*) FROM servers WHERE start_map IS NULL "
					 "AND max_players IS NULL AND tickrate IS NULL "
					 "AND launch_args IS NULL"),
			 1);
	wt_get(&t, &s, "/servers/alpha", &r);
	ck_assert(strstr(r.body, "action=\"/servers/alpha/settings\""));
	ck_assert(strstr(r.body, "Empty: the blueprint's (map c2m1_highway, 6 players, tickrate "
				 "100, options <code>-nohltv +sv_pure 1</code>)"));
	wt_resp_fini(&r);
	wt_post(&t, &s, "/servers/alpha/settings",
		"start_map=c5m1_waterfront&max_players=&tickrate=&launch_args=%2Bsv_lan+1", true,
		&r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	ck_assert_str_eq(db_text("SELECT start_map || '/' || coalesce(max_players, '-') "
				 "|| '/' || launch_args FROM servers"),
			 "c5m1_waterfront/-/+sv_lan 1");
	wt_post(&t, &s, "/servers/alpha/settings", "max_players=40", true, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert(strstr(r.body, "max_players: a number from 1 to 32"));
	wt_resp_fini(&r);
}
END_TEST

/* "New overlay from template": the overlays page offers each template, its
 * link fills the form with the script, and creating from the form (with a
 * browser's CRLF line ends) stores the script as it is, LF, and builds. */
START_TEST(overlay_templates_page)
{
	const struct overlay_template *tpl = overlay_template_find("metamod-sourcemod");
	struct wt_session s;
	struct wt_resp r;
	struct strbuf crlf;
	char *form, *esc;
	CURL *c = curl_easy_init();

	ck_assert_ptr_nonnull(tpl);
	wt_user(&t, "alice", "password-alice", false);
	ck_assert_int_eq(wt_login(&t, "alice", "password-alice", &s), 303);
	wt_get(&t, &s, "/overlays", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(r.body, "New overlay from template"));
	ck_assert(strstr(r.body, "href=\"/overlays?template=metamod-sourcemod#new\""));
	ck_assert(!strstr(r.body, "mms.alliedmods.net")); /* the plain form is empty */
	wt_resp_fini(&r);
	wt_get(&t, &s, "/overlays?template=metamod-sourcemod", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strstr(r.body, "value=\"Metamod:Source + SourceMod\""));
	ck_assert(strstr(r.body, "MMS_URL=https://mms.alliedmods.net/mmsdrop/1.12/"
				 "mmsource-1.12.0-git1219-linux.tar.gz\n"));
	ck_assert(strstr(r.body, "SM_URL=https://sm.alliedmods.net/smdrop/1.12/"
				 "sourcemod-1.12.0-git7221-linux.tar.gz\n"));
	wt_resp_fini(&r);
	wt_get(&t, &s, "/overlays?template=nope", &r);
	ck_assert_int_eq(r.status, 404);
	wt_resp_fini(&r);
	/* what the browser posts back */
	strbuf_init(&crlf);
	for (const char *p = tpl->build_script; *p; p++) {
		if (*p == '\n')
			strbuf_putc(&crlf, '\r');
		strbuf_putc(&crlf, *p);
	}
	esc = curl_easy_escape(c, crlf.buf, (int)crlf.len);
	form = xasprintf("name=mmsm&build_script=%s", esc);
	wt_post(&t, &s, "/overlays", form, true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	ck_assert_str_eq(db_text("SELECT build_script FROM overlays WHERE name = 'mmsm'"),
			 tpl->build_script);
	ck_assert_str_eq(db_text("SELECT kind FROM overlays WHERE name = 'mmsm'"), "script");
	ck_assert_int_eq(tu_db_int(t.db, "SELECT count(*) FROM jobs WHERE kind = 'build_overlay'"),
			 1);
	free(form);
	curl_free(esc);
	strbuf_fini(&crlf);
	curl_easy_cleanup(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("web_launch");
	TCase *tc = tcase_create("launch");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, start, stop);
	tcase_add_test(tc, api_blueprint_launch);
	tcase_add_test(tc, api_server_launch);
	tcase_add_test(tc, pages_launch);
	tcase_add_test(tc, overlay_templates_page);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
