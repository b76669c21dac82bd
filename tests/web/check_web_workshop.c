/* left4me-web, issue 15: Steam Workshop overlays through the real daemon.
 * The API creates one from ids, numbers and Workshop URLs, replaces its
 * list, queues its sync and shows each item's state; every bad entry is a
 * 400 naming it, and nothing changes; quotas apply.  The pages create one
 * from a textarea, list its items (title, size, update, state and error,
 * the Workshop link, the cached preview), add and remove entries and sync.
 * The preview route serves only an image of an item the user's overlay
 * lists, from STATE/workshop_cache/ID.preview, never a link, a FIFO or
 * anything that is not JPEG, PNG, GIF or WebP.  What the fetcher would
 * write (workshop_items, the resolved rows of a collection) is written
 * here with SQL. */
#include <check.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strbuf.h"
#include "testutil.h"
#include "webtest.h"
#include "xalloc.h"

#define JSON "application/json"
#define URL  "https://steamcommunity.com/sharedfiles/filedetails/?id="

static struct wt t;

static void start(void)
{
	wt_start(&t, "fetcher:\n  workshop:\n    max_ids: 4\n");
}

static void stop(void)
{
	wt_stop(&t);
}

static long long count(const char *sql)
{
	return tu_db_int(t.db, sql);
}

/* One API request; its status must be want; the body as JSON. */
static json_object *api(const char *method, const char *path, const char *tok, const char *body,
			long want)
{
	struct wt_resp r;
	json_object *o;

	wt_req(&t, method, path, NULL, tok, body ? JSON : NULL, body, body ? strlen(body) : 0, NULL,
	       &r);
	ck_assert_msg(r.status == want, "%s %s %s: %ld (want %ld): %s", method, path,
		      body ? body : "", r.status, want, r.body);
	o = json_tokener_parse(r.body);
	ck_assert_msg(o != NULL, "%s %s: not JSON: %s", method, path, r.body);
	wt_resp_fini(&r);
	return o;
}

/* A 400 whose error holds every one of want (NULL-terminated). */
static void api_400(const char *method, const char *path, const char *tok, const char *body,
		    const char *want)
{
	json_object *o = api(method, path, tok, body, 400), *e;

	ck_assert_msg(json_object_object_get_ex(o, "error", &e), "%s: no error", body);
	ck_assert_msg(strstr(json_object_get_string(e), want), "%s: error '%s' lacks '%s'", body,
		      json_object_get_string(e), want);
	json_object_put(o);
}

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

static int64_t jint(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : -1;
}

static json_object *jget(json_object *o, const char *k)
{
	json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(o, k, &v), "no %s in %s", k,
		      json_object_to_json_string(o));
	return v;
}

/* The ids of a JSON array as "1,2,3" (new string). */
static char *ids_of(json_object *a)
{
	struct strbuf sb;
	size_t i;
	char *out;

	strbuf_init(&sb);
	for (i = 0; i < json_object_array_length(a); i++)
		strbuf_printf(&sb, "%s%lld", i ? "," : "",
			      (long long)json_object_get_int64(json_object_array_get_idx(a, i)));
	out = xstrdup(sb.buf);
	strbuf_fini(&sb);
	return out;
}

static void assert_ids(json_object *o, const char *want)
{
	char *got = ids_of(jget(o, "workshop_ids"));

	ck_assert_str_eq(got, want);
	free(got);
}

/* ---- the API ----------------------------------------------------------------- */

START_TEST(api_create_set_sync)
{
	int64_t alice = wt_user(&t, "alice", "password-alice", false);
	int64_t bob = wt_user(&t, "bob", "password-bob", false);
	char *tok = wt_token(&t, alice), *btok = wt_token(&t, bob), path[256];
	json_object *o, *items, *it;
	int64_t id, job;

	/* Strings, numbers and URLs of both forms; a repeated id counts once. */
	o = api("POST", "/api/v1/overlays", tok,
		"{\"name\": \"maps\", \"kind\": \"workshop\", \"workshop_ids\": [\"123\", 456, "
		"\"" URL "789&searchtext=x\", "
		"\"https://steamcommunity.com/workshop/filedetails/?id=123\"]}",
		201);
	ck_assert_str_eq(jstr(o, "kind"), "workshop");
	ck_assert_str_eq(jstr(o, "name"), "maps");
	assert_ids(o, "123,456,789");
	id = jint(o, "id");
	job = jint(o, "sync_job_id");
	ck_assert_int_gt(job, 0);
	items = jget(o, "items");
	ck_assert_int_eq(json_object_array_length(items), 3);
	it = json_object_array_get_idx(items, 2);
	ck_assert_int_eq(jint(it, "published_id"), 789);
	ck_assert_str_eq(jstr(it, "state"), "pending");
	ck_assert_str_eq(jstr(it, "url"), URL "789");
	ck_assert_ptr_null(jstr(it, "title"));
	ck_assert_ptr_null(jstr(it, "preview"));
	json_object_put(o);
	/* The sync is the fetcher's job, queued for this overlay, audited. */
	snprintf(path, sizeof(path),
		 "SELECT count(*) FROM jobs WHERE id = %lld AND kind = 'sync_workshop' AND "
		 "target = '%lld' AND queue = 'fetcher' AND state = 'queued' AND user_id = %lld",
		 (long long)job, (long long)id, (long long)alice);
	ck_assert_int_eq(count(path), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM audit_log WHERE action = 'overlay_create' "
			       "AND actor = 'alice'"),
			 1);
	ck_assert_int_eq(count("SELECT count(*) FROM audit_log WHERE action = 'sync_workshop' "
			       "AND actor = 'alice'"),
			 1);

	/* What the fetcher learns shows in GET: title, size, update, state. */
	tu_db_exec(t.db, "UPDATE workshop_items SET title = 'Dead Before Dawn', file_size = 2048, "
			 "time_updated = 1700000000, state = 'ok', preview_type = 'image/png' "
			 "WHERE published_id = 123");
	tu_db_exec(t.db, "UPDATE workshop_items SET state = 'error', error = 'item 456 is for app "
			 "4000, not Left 4 Dead 2 (550)' WHERE published_id = 456");
	snprintf(path, sizeof(path), "/api/v1/overlays/%lld", (long long)id);
	o = api("GET", path, tok, NULL, 200);
	items = jget(o, "items");
	it = json_object_array_get_idx(items, 0);
	ck_assert_str_eq(jstr(it, "title"), "Dead Before Dawn");
	ck_assert_int_eq(jint(it, "file_size"), 2048);
	ck_assert_int_eq(jint(it, "time_updated"), 1700000000000LL);
	ck_assert_str_eq(jstr(it, "state"), "ok");
	snprintf(path, sizeof(path), "/overlays/%lld/workshop/123/preview", (long long)id);
	ck_assert_str_eq(jstr(it, "preview"), path);
	it = json_object_array_get_idx(items, 1);
	ck_assert_str_eq(jstr(it, "state"), "error");
	ck_assert_str_eq(jstr(it, "error"), "item 456 is for app 4000, not Left 4 Dead 2 (550)");
	json_object_put(o);
	/* Bob sees none of it. */
	snprintf(path, sizeof(path), "/api/v1/overlays/%lld", (long long)id);
	json_object_put(api("GET", path, btok, NULL, 404));

	/* Replace the list: order as given; a sync is queued (the one still
	 * queued is reused). */
	snprintf(path, sizeof(path), "/api/v1/overlays/%lld/workshop", (long long)id);
	o = api("PUT", path, tok, "{\"workshop_ids\": [\"" URL "1001\", 456]}", 200);
	assert_ids(o, "1001,456");
	ck_assert_int_eq(json_object_array_length(jget(o, "items")), 2);
	ck_assert_int_eq(jint(o, "sync_job_id"), job);
	json_object_put(o);
	ck_assert_int_eq(count("SELECT count(*) FROM audit_log WHERE action = "
			       "'overlay_workshop_update' AND actor = 'alice'"),
			 1);
	json_object_put(api("PUT", path, btok, "{\"workshop_ids\": [1]}", 404));
	/* An empty list is a list. */
	o = api("PUT", path, tok, "{\"workshop_ids\": []}", 200);
	assert_ids(o, "");
	json_object_put(o);
	o = api("PUT", path, tok, "{\"workshop_ids\": [1001]}", 200);
	json_object_put(o);

	/* Sync now: the queued one again while it waits, a new one after. */
	snprintf(path, sizeof(path), "/api/v1/overlays/%lld/sync", (long long)id);
	o = api("POST", path, tok, NULL, 202);
	ck_assert_int_eq(jint(o, "job_id"), job);
	json_object_put(o);
	tu_db_exec(t.db, "UPDATE jobs SET state = 'succeeded', started_at = 1, finished_at = 2");
	o = api("POST", path, tok, NULL, 202);
	ck_assert_int_gt(jint(o, "job_id"), job);
	json_object_put(o);
	json_object_put(api("POST", path, btok, NULL, 404));

	/* Renamed like any overlay, and still a workshop overlay. */
	snprintf(path, sizeof(path), "/api/v1/overlays/%lld", (long long)id);
	o = api("PUT", path, tok, "{\"name\": \"campaigns\"}", 200);
	ck_assert_str_eq(jstr(o, "kind"), "workshop");
	ck_assert_str_eq(jstr(o, "name"), "campaigns");
	json_object_put(o);
	api_400("PUT", path, tok, "{\"build_script\": \"echo\"}",
		"build_script: a workshop overlay has no build script");
	api_400("PUT", path, tok, "{\"kind\": \"user\"}",
		"kind: an overlay's kind cannot be changed");

	/* Usable in a blueprint like any other overlay. */
	snprintf(path, sizeof(path),
		 "{\"name\": \"bp\", \"overlays\": [{\"overlay_id\": %lld, "
		 "\"expose_server_cfg\": false}]}",
		 (long long)id);
	json_object_put(api("POST", "/api/v1/blueprints", tok, path, 201));
	ck_assert_int_eq(count("SELECT count(*) FROM blueprint_overlays"), 1);
	free(tok);
	free(btok);
}
END_TEST

START_TEST(api_bad_input)
{
	int64_t alice = wt_user(&t, "alice", "password-alice", false);
	char *tok = wt_token(&t, alice), path[64];
	json_object *o;
	int64_t uid;

#define CREATE(ids) "{\"name\": \"w\", \"kind\": \"workshop\", \"workshop_ids\": " ids "}"
	api_400("POST", "/api/v1/overlays", tok, CREATE("\"123\""),
		"workshop_ids: expected an array");
	api_400("POST", "/api/v1/overlays", tok, CREATE("[1, true]"), "workshop_ids[1]: ");
	api_400("POST", "/api/v1/overlays", tok, CREATE("[1, 2, 0]"), "workshop_ids[2]: ");
	api_400("POST", "/api/v1/overlays", tok, CREATE("[-5]"), "workshop_ids[0]: ");
	api_400("POST", "/api/v1/overlays", tok, CREATE("[9007199254740993]"), "workshop_ids[0]: ");
	api_400("POST", "/api/v1/overlays", tok, CREATE("[\"12x\"]"), "workshop_ids[0]: ");
	api_400(
	    "POST", "/api/v1/overlays", tok,
	    CREATE("[1, \"https://steamcommunity.evil.example/sharedfiles/filedetails/?id=5\"]"),
	    "workshop_ids[1]: ");
	api_400("POST", "/api/v1/overlays", tok,
		CREATE("[\"https://steamcommunity.com/sharedfiles/filedetails/?id=5&id=6\"]"),
		"workshop_ids[0]: ");
	api_400("POST", "/api/v1/overlays", tok, CREATE("[\" 123\"]"), "workshop_ids[0]: ");
	/* max_ids is 4 here: the limit's key is named. */
	api_400("POST", "/api/v1/overlays", tok, CREATE("[1, 2, 3, 4, 5]"),
		"fetcher.workshop.max_ids");
	api_400("POST", "/api/v1/overlays", tok,
		"{\"name\": \"w\", \"kind\": \"workshop\", \"build_script\": \"echo\"}",
		"build_script: a workshop overlay has no build script");
	api_400("POST", "/api/v1/overlays", tok, "{\"name\": \"w\", \"kind\": \"steam\"}",
		"kind: ");
	api_400("POST", "/api/v1/overlays", tok, "{\"name\": \"w\", \"kind\": 5}", "kind: ");
	api_400("POST", "/api/v1/overlays", tok, CREATE("[1]") "x", "");
	api_400("POST", "/api/v1/overlays", tok, "{\"kind\": \"workshop\", \"workshop_ids\": [1]}",
		"name: ");
	/* Nothing was made by any of them. */
	ck_assert_int_eq(count("SELECT count(*) FROM overlays"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM jobs"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM workshop_items"), 0);

	/* The replace route checks the same way and keeps the old list. */
	o = api("POST", "/api/v1/overlays", tok, CREATE("[11, 12]"), 201);
	json_object_put(o);
	api_400("PUT", "/api/v1/overlays/1/workshop", tok, "{}", "workshop_ids: expected an array");
	api_400("PUT", "/api/v1/overlays/1/workshop", tok, "{\"workshop_ids\": [13, {}]}",
		"workshop_ids[1]: ");
	api_400("PUT", "/api/v1/overlays/1/workshop", tok, "{\"workshop_ids\": [1, 2, 3, 4, 5]}",
		"fetcher.workshop.max_ids");
	o = api("GET", "/api/v1/overlays/1", tok, NULL, 200);
	assert_ids(o, "11,12");
	json_object_put(o);
	/* Not a workshop overlay: 409; no such overlay: 404. */
	o = api("POST", "/api/v1/overlays", tok, "{\"name\": \"plain\"}", 201);
	uid = jint(o, "id");
	json_object_put(o);
	snprintf(path, sizeof(path), "/api/v1/overlays/%lld/workshop", (long long)uid);
	json_object_put(api("PUT", path, tok, "{\"workshop_ids\": [1]}", 409));
	snprintf(path, sizeof(path), "/api/v1/overlays/%lld/sync", (long long)uid);
	json_object_put(api("POST", path, tok, NULL, 409));
	json_object_put(api("POST", "/api/v1/overlays/99/sync", tok, NULL, 404));
	json_object_put(
	    api("PUT", "/api/v1/overlays/99/workshop", tok, "{\"workshop_ids\": []}", 404));
#undef CREATE
	free(tok);
}
END_TEST

START_TEST(quotas_apply)
{
	int64_t alice;
	char *tok;

	wt_stop(&t);
	wt_start(&t, "quotas:\n  overlays: 1\n  queued_jobs: 1\n");
	alice = wt_user(&t, "alice", "password-alice", false);
	tok = wt_token(&t, alice);
	json_object_put(api("POST", "/api/v1/overlays", tok,
			    "{\"name\": \"a\", \"kind\": \"workshop\", \"workshop_ids\": [1]}",
			    201));
	api_400("POST", "/api/v1/overlays", tok, "{}", "name: "); /* the shape first */
	{
		json_object *o =
		    api("POST", "/api/v1/overlays", tok,
			"{\"name\": \"b\", \"kind\": \"workshop\", \"workshop_ids\": []}", 409);

		ck_assert_str_eq(jstr(o, "error"),
				 "quota: overlays: 1 of 1 used (quotas.overlays)");
		json_object_put(o);
	}
	ck_assert_int_eq(count("SELECT count(*) FROM overlays"), 1);
	/* The queued sync is alice's one queued job: a second sync coalesces
	 * in the DB, but the quota is checked first, as for builds. */
	{
		json_object *o = api("POST", "/api/v1/overlays/1/sync", tok, NULL, 409);

		ck_assert_str_eq(jstr(o, "error"),
				 "quota: queued_jobs: 1 of 1 used (quotas.queued_jobs)");
		json_object_put(o);
	}
	free(tok);
}
END_TEST

/* ---- the pages ---------------------------------------------------------------- */

START_TEST(pages)
{
	struct wt_session s, sb;
	struct wt_resp r;
	char *loc;

	wt_user(&t, "alice", "password-alice", false);
	wt_user(&t, "bob", "password-bob", false);
	ck_assert_int_eq(wt_login(&t, "alice", "password-alice", &s), 303);
	ck_assert_int_eq(wt_login(&t, "bob", "password-bob", &sb), 303);

	/* The list page offers the form; it creates from a textarea. */
	wt_get(&t, &s, "/overlays", &r);
	ck_assert_ptr_nonnull(strstr(r.body, "id=\"new-workshop\""));
	ck_assert_ptr_nonnull(strstr(r.body, "name=\"workshop_ids\""));
	wt_resp_fini(&r);
	wt_post(&t, &s, "/overlays",
		"kind=workshop&name=maps&workshop_ids=123%0D%0A" URL "777%0A%0A456", true, &r);
	ck_assert_msg(r.status == 303, "%ld %s", r.status, r.body);
	loc = wt_header(&r, "Location");
	ck_assert_str_eq(loc, "/overlays/1");
	free(loc);
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM overlay_workshop WHERE overlay_id = 1"), 3);
	ck_assert_int_eq(count("SELECT count(*) FROM jobs WHERE kind = 'sync_workshop'"), 1);
	/* A bad entry is named; nothing is made. */
	wt_post(&t, &s, "/overlays", "kind=workshop&name=bad&workshop_ids=1%0Ahttp://example.org/",
		true, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_msg(strstr(r.body, "workshop_ids: entry 2"), "%s", r.body);
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM overlays"), 1);

	/* What the fetcher learned, one item an error, one a collection
	 * with one resolved item. */
	tu_db_exec(
	    t.db, "UPDATE workshop_items SET title = '<b>Dead</b> & Dawn', file_size = 3145728, "
		  "time_updated = 1700000000, state = 'ok', preview_type = 'image/jpeg' "
		  "WHERE published_id = 123;"
		  "UPDATE workshop_items SET state = 'error', error = 'removed from the Workshop' "
		  "WHERE published_id = 777;"
		  "UPDATE workshop_items SET is_collection = 1, title = 'Collection', state = 'ok' "
		  "WHERE published_id = 456;"
		  "INSERT INTO workshop_items (published_id, title, state, created_at) "
		  "VALUES (5001, 'Inside', 'ok', 1);"
		  "INSERT INTO overlay_workshop (overlay_id, via, published_id, position) "
		  "VALUES (1, 456, 5001, 0);");
	wt_get(&t, &s, "/overlays/1", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(strstr(r.body, "&lt;b&gt;Dead&lt;/b&gt; &amp; Dawn"), "%s", r.body);
	ck_assert_ptr_null(strstr(r.body, "<b>Dead"));
	ck_assert_ptr_nonnull(strstr(r.body, "href=\"" URL "123\""));
	ck_assert_ptr_nonnull(strstr(r.body, "src=\"/overlays/1/workshop/123/preview\""));
	ck_assert_ptr_null(strstr(r.body, "/workshop/777/preview"));
	ck_assert_ptr_nonnull(strstr(r.body, "3.0 MiB"));
	ck_assert_ptr_nonnull(strstr(r.body, "removed from the Workshop"));
	ck_assert_ptr_nonnull(strstr(r.body, "Inside"));
	ck_assert_ptr_nonnull(strstr(r.body, "action=\"/overlays/1/sync\""));
	/* Remove buttons for the listed entries only (not the resolved one). */
	ck_assert_ptr_nonnull(strstr(r.body, "name=\"remove\" value=\"777\""));
	ck_assert_ptr_null(strstr(r.body, "name=\"remove\" value=\"5001\""));
	/* No Steam host in any src: the page never hotlinks. */
	ck_assert_ptr_null(strstr(r.body, "src=\"http"));
	wt_resp_fini(&r);
	wt_get(&t, &sb, "/overlays/1", &r);
	ck_assert_int_eq(r.status, 404);
	wt_resp_fini(&r);

	/* Add (a URL and a repeated id), remove, a bad entry. */
	wt_post(&t, &s, "/overlays/1/workshop", "add=" URL "888+123", true, &r);
	ck_assert_msg(r.status == 303, "%ld %s", r.status, r.body);
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM overlay_workshop WHERE overlay_id = 1 AND "
			       "via = 0 AND published_id = 888"),
			 1);
	ck_assert_int_eq(count("SELECT count(*) FROM overlay_workshop WHERE overlay_id = 1 AND "
			       "via = 0"),
			 4);
	wt_post(&t, &s, "/overlays/1/workshop", "remove=777", true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM overlay_workshop WHERE overlay_id = 1 AND "
			       "via = 0 AND published_id = 777"),
			 0);
	wt_post(&t, &s, "/overlays/1/workshop", "add=12+abc", true, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_msg(strstr(r.body, "add: entry 2"), "%s", r.body);
	wt_resp_fini(&r);
	wt_post(&t, &s, "/overlays/1/workshop", "add=1+2", true, &r);
	ck_assert_int_eq(r.status, 400); /* 123, 456, 888 + 2 > max_ids 4 */
	ck_assert_msg(strstr(r.body, "fetcher.workshop.max_ids"), "%s", r.body);
	wt_resp_fini(&r);
	wt_post(&t, &s, "/overlays/1/workshop", "", true, &r);
	ck_assert_int_eq(r.status, 400);
	wt_resp_fini(&r);
	wt_post(&t, &sb, "/overlays/1/workshop", "add=5", true, &r);
	ck_assert_int_eq(r.status, 404);
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM overlay_workshop WHERE overlay_id = 1 AND "
			       "via = 0"),
			 3);

	/* Sync now leads to the job; Save renames. */
	tu_db_exec(t.db, "UPDATE jobs SET state = 'succeeded', started_at = 1, finished_at = 2");
	wt_post(&t, &s, "/overlays/1/sync", "", true, &r);
	ck_assert_int_eq(r.status, 303);
	loc = wt_header(&r, "Location");
	ck_assert_msg(loc && strncmp(loc, "/jobs/", 6) == 0, "%s", loc ? loc : "(none)");
	free(loc);
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM jobs WHERE kind = 'sync_workshop' AND "
			       "state = 'queued' AND target = '1'"),
			 1);
	wt_post(&t, &s, "/overlays/1", "name=renamed", true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM overlays WHERE name = 'renamed' AND "
			       "kind = 'workshop'"),
			 1);

	/* Delete asks first, saying what goes; then the fetcher is asked to
	 * tidy the cache (a sync of every workshop overlay). */
	wt_post(&t, &s, "/overlays/1/delete", "", true, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(strstr(r.body, "The overlay and its list of Workshop items"), "%s", r.body);
	wt_resp_fini(&r);
	wt_post(&t, &s, "/overlays/1/delete", "confirm=yes", true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	ck_assert_int_eq(count("SELECT count(*) FROM overlays"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM overlay_workshop"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM jobs WHERE kind = 'sync_workshop' AND "
			       "target = '' AND state = 'queued'"),
			 1);
}
END_TEST

/* ---- the preview route --------------------------------------------------------- */

/* mkdir -p */
static int mkdir_p(const char *path)
{
	char *p = xstrdup(path), *c;

	for (c = p + 1; *c; c++)
		if (*c == '/') {
			*c = '\0';
			mkdir(p, 0755);
			*c = '/';
		}
	free(p);
	return mkdir(path, 0755);
}

static void put_preview(const char *name, const void *data, size_t len)
{
	char *dir = xasprintf("%s/workshop_cache", t.dir), *p = xasprintf("%s/%s", dir, name);
	int fd;

	mkdir(dir, 0755);
	unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	free(p);
	free(dir);
}

static long get_preview(struct wt_session *s, const char *path, char **type, struct wt_resp *r)
{
	wt_get(&t, s, path, r);
	if (type)
		*type = wt_header(r, "Content-Type");
	return r->status;
}

START_TEST(preview_route)
{
	static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
					    0,	  0,   0,   13,	 'I',  'H',  'D',  'R'};
	static const unsigned char webp[] = {'R', 'I', 'F', 'F', 4,   0,   0,	0,
					     'W', 'E', 'B', 'P', 'V', 'P', '8', ' '};
	struct wt_session s, sb;
	struct wt_resp r;
	char *type, *p, *corp;
	int64_t alice = wt_user(&t, "alice", "password-alice", false);
	char *tok = wt_token(&t, alice);

	wt_user(&t, "bob", "password-bob", false);
	json_object_put(
	    api("POST", "/api/v1/overlays", tok,
		"{\"name\": \"w\", \"kind\": \"workshop\", \"workshop_ids\": [123, 124]}", 201));
	json_object_put(api("POST", "/api/v1/overlays", tok, "{\"name\": \"plain\"}", 201));
	ck_assert_int_eq(wt_login(&t, "alice", "password-alice", &s), 303);
	ck_assert_int_eq(wt_login(&t, "bob", "password-bob", &sb), 303);

	/* Nothing cached yet: 404. */
	ck_assert_int_eq(get_preview(&s, "/overlays/1/workshop/123/preview", NULL, &r), 404);
	wt_resp_fini(&r);
	/* A PNG: its bytes, image/png, not for other sites. */
	put_preview("123.preview", png, sizeof(png));
	ck_assert_int_eq(get_preview(&s, "/overlays/1/workshop/123/preview", &type, &r), 200);
	ck_assert_str_eq(type, "image/png");
	ck_assert_uint_eq(r.len, sizeof(png));
	ck_assert_int_eq(memcmp(r.body, png, sizeof(png)), 0);
	corp = wt_header(&r, "Cross-Origin-Resource-Policy");
	ck_assert_str_eq(corp, "same-origin");
	free(corp);
	free(type);
	wt_resp_fini(&r);
	/* The type is what the bytes are, whatever the DB says. */
	tu_db_exec(t.db, "UPDATE workshop_items SET preview_type = 'image/svg+xml' WHERE "
			 "published_id = 124");
	put_preview("124.preview", webp, sizeof(webp));
	ck_assert_int_eq(get_preview(&s, "/overlays/1/workshop/124/preview", &type, &r), 200);
	ck_assert_str_eq(type, "image/webp");
	free(type);
	wt_resp_fini(&r);
	/* Not an image the web names: SVG, HTML. */
	put_preview("124.preview", "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>", 47);
	ck_assert_int_eq(get_preview(&s, "/overlays/1/workshop/124/preview", NULL, &r), 404);
	wt_resp_fini(&r);
	/* Another user's overlay, an item the overlay does not list (though
	 * cached), a plain overlay, a bad id: 404 or 409, never the file. */
	ck_assert_int_eq(get_preview(&sb, "/overlays/1/workshop/123/preview", NULL, &r), 404);
	wt_resp_fini(&r);
	put_preview("999.preview", png, sizeof(png));
	ck_assert_int_eq(get_preview(&s, "/overlays/1/workshop/999/preview", NULL, &r), 404);
	wt_resp_fini(&r);
	ck_assert_int_eq(get_preview(&s, "/overlays/2/workshop/123/preview", NULL, &r), 409);
	wt_resp_fini(&r);
	ck_assert_int_eq(get_preview(&s, "/overlays/1/workshop/..%2F123/preview", NULL, &r), 404);
	wt_resp_fini(&r);
	ck_assert_int_eq(get_preview(&s, "/overlays/1/workshop/0123/preview", NULL, &r), 404);
	wt_resp_fini(&r);
	/* A symlink (to a PNG) and a FIFO in its place: refused, no hang. */
	p = xasprintf("%s/workshop_cache/123.preview", t.dir);
	unlink(p);
	ck_assert_int_eq(symlink("999.preview", p), 0);
	ck_assert_int_eq(get_preview(&s, "/overlays/1/workshop/123/preview", NULL, &r), 404);
	wt_resp_fini(&r);
	unlink(p);
	ck_assert_int_eq(mkfifo(p, 0644), 0);
	ck_assert_int_eq(get_preview(&s, "/overlays/1/workshop/123/preview", NULL, &r), 404);
	wt_resp_fini(&r);
	free(p);
	free(tok);
}
END_TEST

/* The overlay's files are the fetcher's tree, its links followed into
 * workshop_cache/ only; nothing can be uploaded into it. */
START_TEST(files_read_only)
{
	int64_t alice = wt_user(&t, "alice", "password-alice", false);
	char *tok = wt_token(&t, alice), *p, *target;
	struct wt_resp r;

	json_object_put(api("POST", "/api/v1/overlays", tok,
			    "{\"name\": \"w\", \"kind\": \"workshop\", \"workshop_ids\": [123]}",
			    201));
	p = xasprintf("%s/workshop_cache/overlays/1/left4dead2/addons", t.dir);
	ck_assert_int_eq(mkdir_p(p), 0);
	free(p);
	p = xasprintf("%s/workshop_cache/123.vpk", t.dir);
	tu_write_file(p, "VPK 123\n");
	target = p;
	p = xasprintf("%s/workshop_cache/overlays/1/left4dead2/addons/123.vpk", t.dir);
	ck_assert_int_eq(symlink(target, p), 0);
	free(p);
	free(target);
	p = xasprintf("%s/workshop_cache/overlays/1/left4dead2/addons/evil.vpk", t.dir);
	ck_assert_int_eq(symlink("/etc/passwd", p), 0);
	free(p);
	wt_req(&t, "GET", "/api/v1/overlays/1/files/left4dead2/addons/123.vpk", NULL, tok, NULL,
	       NULL, 0, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "VPK 123\n");
	wt_resp_fini(&r);
	wt_req(&t, "GET", "/api/v1/overlays/1/files/left4dead2/addons/evil.vpk", NULL, tok, NULL,
	       NULL, 0, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	wt_resp_fini(&r);
	wt_req(&t, "PUT", "/api/v1/overlays/1/files/left4dead2/addons/x.vpk", NULL, tok,
	       "application/octet-stream", "x", 1, NULL, &r);
	ck_assert_int_eq(r.status, 409);
	wt_resp_fini(&r);
	free(tok);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("web_workshop");
	TCase *tc = tcase_create("web_workshop");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, start, stop);
	tcase_add_test(tc, api_create_set_sync);
	tcase_add_test(tc, api_bad_input);
	tcase_add_test(tc, quotas_apply);
	tcase_add_test(tc, pages);
	tcase_add_test(tc, preview_route);
	tcase_add_test(tc, files_read_only);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
