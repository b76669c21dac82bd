/* Workshop overlays (issue 15): left4me-fetcher, the real binary, syncs
 * them against a loopback stand-in of the Steam Web API and the file host
 * (tests/fetcher/httpd.c: POST-only, form-encoded, Steam's reply shapes;
 * requests counted).  A collection with a nested one; an update of one
 * item (only it is downloaded again); a removed item, one without
 * file_url, one of another app, an oversized one and a truncated
 * download (the previous copy keeps serving); two overlays sharing an
 * item (one download; removing one overlay keeps the file); garbage
 * collection; and the network rule without allow_private. */
#include <check.h>
#include <curl/curl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "db_overlay.h"
#include "db_workshop.h"
#include "httpd.h"
#include "testutil.h"
#include "xalloc.h"

#define DETAILS "/ISteamRemoteStorage/GetPublishedFileDetails/v1/"
#define COLLS	"/ISteamRemoteStorage/GetCollectionDetails/v1/"

static char *dir, *state, *www, *cfg, *bin, *dbp;
static struct ts_server *srv;

static void config(bool allow_private)
{
	char *text = xasprintf("state_dir: %s\n"
			       "log_level: debug\n"
			       "worker:\n  heartbeat_interval: 1\n  stale_after: 2\n"
			       "fetcher:\n  parallel: 4\n  low_speed_time: 2\n"
			       "  low_speed_limit: 100\n  retries: 1\n  refresh_timeout: 60\n"
			       "  workshop:\n    api_url: http://127.0.0.1:%d/\n"
			       "    allow_private: %s\n    max_item_bytes: 1048576\n"
			       "    max_preview_bytes: 4096\n    max_depth: 2\n",
			       state, ts_port(srv), allow_private ? "true" : "false");

	tu_write_file(cfg, text);
	free(text);
}

static void setup(void)
{
	sqlite3 *db;
	char *files, *img;

	dir = tu_mkdtemp();
	state = xasprintf("%s/state", dir);
	www = xasprintf("%s/www", dir);
	cfg = xasprintf("%s/left4me.yaml", dir);
	dbp = xasprintf("%s/left4me.db", state);
	files = xasprintf("%s/files", www);
	img = xasprintf("%s/img", www);
	mkdir(state, 0755);
	mkdir(www, 0755);
	mkdir(files, 0755);
	mkdir(img, 0755);
	free(files);
	free(img);
	db = tu_db_new(state);
	tu_db_exec(db, "INSERT INTO users (name, password_hash, created_at, updated_at) VALUES "
		       "('alice', '$y$x', 0, 0)");
	db_close(db);
	srv = ts_start(www);
	config(true);
	bin = tu_build_path("left4me-fetcher/left4me-fetcher");
	{
		char *child = tu_build_path("left4me-fetcher/left4me-fetcher-refresh");

		setenv("LEFT4ME_FETCHER_REFRESH", child, 1);
		free(child);
	}
}

static void teardown(void)
{
	ts_stop(srv);
	tu_rmtree(dir);
	free(dir);
	free(state);
	free(www);
	free(cfg);
	free(bin);
	free(dbp);
}

static sqlite3 *opendb(void)
{
	char err[256];
	sqlite3 *db = db_open(dbp, 0, err, sizeof(err));

	ck_assert_msg(db != NULL, "%s", err);
	return db;
}

static long long qint(const char *sql)
{
	sqlite3 *db = opendb();
	long long v = tu_db_int(db, sql);

	db_close(db);
	return v;
}

/* A column of one row as text ("" for none or NULL). */
static char *qstr(const char *sql)
{
	sqlite3 *db = opendb();
	sqlite3_stmt *st = db_prepare(db, sql);
	char *s;

	s = xstrdup(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)
			? (const char *)sqlite3_column_text(st, 0)
			: "");
	sqlite3_finalize(st);
	db_close(db);
	return s;
}

static int64_t create(const char *name, const int64_t *ids, size_t n)
{
	sqlite3 *db = opendb();
	int64_t id;

	ck_assert_int_eq(db_workshop_create(db, 1, name, ids, n, 100, &id, NULL), DB_OK);
	db_close(db);
	return id;
}

/* An item of the stand-in and its file on the file host. */
static void item(long long id, const char *title, const char *content, long long size,
		 long long app, long long updated, bool with_url)
{
	char *path = xasprintf("%s/files/%lld.vpk", www, id), *members;

	tu_write_file(path, content);
	members = xasprintf("\"creator\":\"76561198000000001\",\"creator_app_id\":%lld,"
			    "\"consumer_app_id\":%lld,\"filename\":\"\",\"file_size\":\"%lld\","
			    "\"file_url\":\"%s%s%d/files/%lld.vpk\",\"hcontent_file\":\"7\","
			    "\"preview_url\":\"http://127.0.0.1:%d/img/%lld.png\","
			    "\"title\":\"%s\",\"time_created\":1600000000,\"time_updated\":%lld,"
			    "\"visibility\":0,\"banned\":0,\"tags\":[{\"tag\":\"Campaigns\"}]",
			    app, app, size >= 0 ? size : (long long)strlen(content),
			    with_url ? "http://127.0.0.1:" : "", "", with_url ? ts_port(srv) : 0,
			    id, ts_port(srv), id, title, updated);
	if (!with_url) {
		free(members);
		members = xasprintf("\"consumer_app_id\":550,\"creator_app_id\":550,"
				    "\"file_size\":\"5\",\"file_url\":\"\",\"title\":\"%s\","
				    "\"time_updated\":%lld",
				    title, updated);
	}
	ts_ws_item(srv, id, members);
	free(members);
	free(path);
	path = xasprintf("%s/img/%lld.png", www, id);
	tu_write_file(path, "\x89PNG fake");
	free(path);
}

static void simple(long long id, const char *content, long long updated)
{
	char title[32];

	snprintf(title, sizeof(title), "Map %lld", id);
	item(id, title, content, -1, 550, updated, true);
}

/* Run the fetcher --once over the queued jobs; the last sync's state. */
static char *sync_jobs(void)
{
	char *argv[] = {bin, "-c", cfg, "--allow-root", "--once", NULL};
	struct tu_run r;

	tu_run(&r, argv, NULL, NULL);
	ck_assert_msg(r.status == 0, "fetcher: %d %s", r.status, r.err);
	tu_run_fini(&r);
	return qstr("SELECT state || ': ' || coalesce(reason, '') FROM jobs "
		    "WHERE kind = 'sync_workshop' ORDER BY id DESC LIMIT 1");
}

static void sync_ok(void)
{
	char *st = sync_jobs();

	ck_assert_msg(strncmp(st, "succeeded", 9) == 0, "%s", st);
	free(st);
}

static void enqueue_all(void)
{
	sqlite3 *db = opendb();

	ck_assert_int_eq(db_workshop_enqueue_sync(db, 0, 0, NULL, NULL), DB_OK);
	db_close(db);
}

static char *cache(long long id, const char *ext)
{
	return xasprintf("%s/workshop_cache/%lld.%s", state, id, ext);
}

/* overlays/OV/left4dead2/addons/ID.vpk links to the cache copy whose
 * content is want (NULL: there is no link). */
static void linked(int64_t ov, long long id, const char *want)
{
	char *l = xasprintf("%s/workshop_cache/overlays/%lld/left4dead2/addons/%lld.vpk", state,
			    (long long)ov, id);
	char *target = cache(id, "vpk"), buf[PATH_MAX];
	ssize_t n = readlink(l, buf, sizeof(buf) - 1);

	if (!want) {
		ck_assert_msg(n < 0, "%s is linked", l);
	} else {
		char *got;

		ck_assert_msg(n > 0, "%s is not a link", l);
		buf[n] = '\0';
		ck_assert_str_eq(buf, target);
		got = tu_read_file(l);
		ck_assert_str_eq(got, want);
		free(got);
	}
	free(l);
	free(target);
}

static bool exists(const char *p)
{
	struct stat sb;

	return lstat(p, &sb) == 0;
}

static long vpk_requests(long long id)
{
	char p[64];

	snprintf(p, sizeof(p), "/files/%lld.vpk", id);
	return ts_requests(srv, p);
}

static char *item_col(long long id, const char *col)
{
	char *sql = xasprintf("SELECT %s FROM workshop_items WHERE published_id = %lld", col, id);
	char *s = qstr(sql);

	free(sql);
	return s;
}

START_TEST(test_collection_nested)
{
	static const int64_t ids[] = {100};
	int64_t ov;
	char *s;

	simple(101, "one", 1000);
	simple(102, "two", 1000);
	simple(103, "three", 1000);
	item(100, "The Collection", "", 0, 550, 1000, false);
	item(200, "Nested", "", 0, 550, 1000, false);
	ts_ws_collection(srv, 100,
			 "[{\"publishedfileid\":\"101\",\"sortorder\":1,\"filetype\":0},"
			 "{\"publishedfileid\":\"102\",\"sortorder\":2,\"filetype\":0},"
			 "{\"publishedfileid\":\"200\",\"sortorder\":3,\"filetype\":2}]");
	ts_ws_collection(srv, 200,
			 "[{\"publishedfileid\":\"103\",\"sortorder\":1,\"filetype\":0}]");
	ov = create("coll", ids, 1);
	sync_ok();
	linked(ov, 101, "one");
	linked(ov, 102, "two");
	linked(ov, 103, "three");
	/* one download each, two collection levels asked, one details call */
	ck_assert_int_eq(vpk_requests(101) + vpk_requests(102) + vpk_requests(103), 3);
	ck_assert_int_eq(ts_requests(srv, COLLS), 2);
	ck_assert_int_eq(ts_requests(srv, DETAILS), 1);
	ck_assert_int_eq(ts_ws_refused(srv), 0);
	/* the list: the collection, then its items in Steam's order, the
	 * nested collection as a row of its own */
	s = qstr("SELECT group_concat(published_id, ',') FROM (SELECT published_id FROM "
		 "overlay_workshop WHERE via = 100 ORDER BY position)");
	ck_assert_str_eq(s, "101,102,200,103");
	free(s);
	s = item_col(101, "title || '|' || state || '|' || file_size || '|' || app_id");
	ck_assert_str_eq(s, "Map 101|ok|3|550");
	free(s);
	ck_assert_int_eq(qint("SELECT is_collection FROM workshop_items WHERE published_id = 200"),
			 1);
	/* a preview, fetched once, for the web to serve */
	s = item_col(101, "preview_type");
	ck_assert_str_eq(s, "image/png");
	free(s);
	s = cache(101, "preview");
	ck_assert(exists(s));
	free(s);
	/* the collections' rows are not linked */
	linked(ov, 100, NULL);
	linked(ov, 200, NULL);
	/* unchanged: a second sync downloads nothing */
	ts_reset_counters(srv);
	enqueue_all();
	sync_ok();
	ck_assert_int_eq(vpk_requests(101) + vpk_requests(102) + vpk_requests(103), 0);
	ck_assert_int_eq(ts_requests(srv, "/img/101.png"), 0);
	linked(ov, 103, "three");
}
END_TEST

START_TEST(test_update_one)
{
	static const int64_t ids[] = {11, 12, 13};
	int64_t ov;

	simple(11, "a1", 5);
	simple(12, "b1", 5);
	simple(13, "c1", 5);
	ov = create("three", ids, 3);
	struct stat before, after;
	char *addons;

	sync_ok();
	linked(ov, 12, "b1");
	addons =
	    xasprintf("%s/workshop_cache/overlays/%lld/left4dead2/addons", state, (long long)ov);
	ck_assert_int_eq(stat(addons, &before), 0);
	ts_reset_counters(srv);
	simple(12, "b2-longer", 6);
	enqueue_all();
	sync_ok();
	/* changed in place: a running server's lowerdir is this directory */
	ck_assert_int_eq(stat(addons, &after), 0);
	ck_assert_int_eq(before.st_ino, after.st_ino);
	free(addons);
	/* only the changed one came again */
	ck_assert_int_eq(vpk_requests(12), 1);
	ck_assert_int_eq(vpk_requests(11) + vpk_requests(13), 0);
	ck_assert_int_eq(ts_requests(srv, DETAILS), 1);
	linked(ov, 12, "b2-longer");
	linked(ov, 11, "a1");
	ck_assert_int_eq(qint("SELECT cached_time_updated FROM workshop_items "
			      "WHERE published_id = 12"),
			 6);
}
END_TEST

START_TEST(test_item_errors)
{
	static const int64_t ids[] = {301, 302, 303, 304, 305, 306};
	int64_t ov;
	char *s;

	/* 301 is not on the stand-in: result 9 */
	item(302, "No URL", "", 0, 550, 1, false);
	item(303, "CS map", "x", -1, 730, 1, true);
	item(304, "Huge", "small really", 2 * 1048576, 550, 1, true);
	simple(305, "fine", 1);
	simple(306, "old copy", 1);
	ov = create("errors", ids, 6);
	sync_ok();
	s = item_col(301, "state || ': ' || error");
	ck_assert_msg(strstr(s, "error: removed from the Workshop") && strstr(s, "result 9"), "%s",
		      s);
	free(s);
	s = item_col(302, "state || ': ' || error");
	ck_assert_msg(strstr(s, "error: Steam gives no file_url"), "%s", s);
	free(s);
	s = item_col(303, "state || ': ' || error");
	ck_assert_msg(strstr(s, "error: an item of Steam app 730, not Left 4 Dead 2"), "%s", s);
	free(s);
	s = item_col(304, "state || ': ' || error");
	ck_assert_msg(strstr(s, "error: 2097152 bytes, over fetcher.workshop.max_item_bytes "
				"(1048576 bytes)"),
		      "%s", s);
	free(s);
	ck_assert_int_eq(vpk_requests(303) + vpk_requests(304), 0);
	linked(ov, 301, NULL);
	linked(ov, 302, NULL);
	linked(ov, 303, NULL);
	linked(ov, 304, NULL);
	/* the rest still synced */
	linked(ov, 305, "fine");
	linked(ov, 306, "old copy");
	/* 306 changes, and its download is cut short every time */
	simple(306, "new copy, never arriving whole", 2);
	ts_fault(srv, "/files/306.vpk", TS_RESET, -1);
	enqueue_all();
	sync_ok();
	s = item_col(306, "state || ': ' || error");
	ck_assert_msg(strstr(s, "error: download failed") &&
			  strstr(s, "the previous copy still serves"),
		      "%s", s);
	free(s);
	linked(ov, 306, "old copy");
	ck_assert_int_eq(qint("SELECT cached_time_updated FROM workshop_items "
			      "WHERE published_id = 306"),
			 1);
	/* no half file anywhere in the cache */
	s = xasprintf("%s/workshop_cache", state);
	{
		char *cmd = xasprintf("ls -a %s | grep -c tmp", s);
		FILE *p = popen(cmd, "r");
		int n = -1;

		ck_assert(p && fscanf(p, "%d", &n) == 1);
		pclose(p);
		ck_assert_int_eq(n, 0);
		free(cmd);
	}
	free(s);
	/* once it arrives whole, the new copy serves */
	ts_clear_faults(srv);
	enqueue_all();
	sync_ok();
	linked(ov, 306, "new copy, never arriving whole");
	s = item_col(306, "state");
	ck_assert_str_eq(s, "ok");
	free(s);
}
END_TEST

START_TEST(test_shared_and_gc)
{
	static const int64_t a_ids[] = {401, 402};
	static const int64_t b_ids[] = {401};
	int64_t a, b;
	sqlite3 *db;
	char *f401 = cache(401, "vpk"), *f402 = cache(402, "vpk"), *p401 = cache(401, "preview"),
	     *tree;

	simple(401, "shared", 1);
	simple(402, "only a", 1);
	a = create("a", a_ids, 2);
	b = create("b", b_ids, 1);
	sync_ok();
	/* one download for both overlays */
	ck_assert_int_eq(vpk_requests(401), 1);
	linked(a, 401, "shared");
	linked(b, 401, "shared");
	linked(a, 402, "only a");
	/* a goes: its tree and 402 go, 401 stays for b */
	db = opendb();
	ck_assert_int_eq(db_overlay_delete(db, a), DB_OK);
	db_close(db);
	sync_ok();
	ck_assert(exists(f401));
	ck_assert(!exists(f402));
	tree = xasprintf("%s/workshop_cache/overlays/%lld", state, (long long)a);
	ck_assert(!exists(tree));
	free(tree);
	linked(b, 401, "shared");
	ck_assert_int_eq(qint("SELECT count(*) FROM workshop_items WHERE published_id = 402"), 0);
	/* b lists nothing any more: the file and its preview go too */
	db = opendb();
	ck_assert_int_eq(db_workshop_set_ids(db, b, NULL, 0, 100, NULL), DB_OK);
	db_close(db);
	sync_ok();
	ck_assert(!exists(f401));
	ck_assert(!exists(p401));
	linked(b, 401, NULL);
	ck_assert_int_eq(vpk_requests(401), 1);
	free(f401);
	free(f402);
	free(p401);
}
END_TEST

START_TEST(test_private_refused)
{
	static const int64_t ids[] = {501};
	char *st;

	simple(501, "x", 1);
	config(false);
	create("p", ids, 1);
	st = sync_jobs();
	ck_assert_msg(strstr(st, "failed") && strstr(st, "loopback") &&
			  strstr(st, "fetcher.workshop.allow_private"),
		      "%s", st);
	free(st);
	ck_assert_int_eq(ts_requests(srv, NULL), 0);
}
END_TEST

/* The stand-in itself is strict: a GET or a form of the wrong shape is
 * refused, so the syncs above prove the fetcher's requests are right. */
START_TEST(test_standin_strict)
{
	char *u = xasprintf("http://127.0.0.1:%d%s", ts_port(srv), DETAILS);
	CURL *h = curl_easy_init();
	long code = 0;
	FILE *devnull = fopen("/dev/null", "w");

	curl_easy_setopt(h, CURLOPT_URL, u);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, devnull);
	ck_assert_int_eq(curl_easy_perform(h), CURLE_OK);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	ck_assert_int_eq(code, 405);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, "itemcount=2&publishedfileids[0]=1");
	ck_assert_int_eq(curl_easy_perform(h), CURLE_OK);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	ck_assert_int_eq(code, 400);
	ck_assert_int_eq(ts_ws_refused(srv), 2);
	curl_easy_cleanup(h);
	fclose(devnull);
	free(u);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("workshop");
	TCase *tc = tcase_create("sync");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_collection_nested);
	tcase_add_test(tc, test_update_one);
	tcase_add_test(tc, test_item_errors);
	tcase_add_test(tc, test_shared_and_gc);
	tcase_add_test(tc, test_private_refused);
	tcase_add_test(tc, test_standin_strict);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
