/* left4me-fetcher, the real binary, against a loopback HTTP server serving
 * archives built here: first sync, an unchanged second sync that moves no
 * archive byte (counted by the server), changed and removed items, foreign
 * entries in addons/, the three source kinds, every download fault, hostile
 * archives, a full disk and a SIGKILL mid-download.  After each: the cache,
 * the links and the DB agree.  The sources set allow_private: true (the
 * server is on 127.0.0.1), except where the test is that a source without
 * it reaches nothing private; refused redirects and unsafe names. */
#include <check.h>
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "db.h"
#include "httpd.h"
#include "strbuf.h"
#include "testutil.h"
#include "xalloc.h"

static char *dir, *state, *www, *cfg, *bin;
static int parallel = 4;
static struct ts_server *srv;

static void setup(void)
{
	sqlite3 *db;

	parallel = 4;
	dir = tu_mkdtemp();
	state = xasprintf("%s/state", dir);
	www = xasprintf("%s/www", dir);
	cfg = xasprintf("%s/left4me.yaml", dir);
	mkdir(state, 0755);
	mkdir(www, 0755);
	db = tu_db_new(state);
	db_close(db);
	srv = ts_start(www);
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
}

/* The config with the given sources block (YAML list items, indented 4). */
static void config(const char *sources)
{
	char *text = xasprintf("state_dir: %s\n"
			       "log_level: debug\n"
			       "worker:\n  heartbeat_interval: 1\n  stale_after: 2\n"
			       "fetcher:\n  sources:\n%s"
			       "  parallel: %d\n  max_host_connections: 2\n"
			       "  max_file_size: 2097152\n  max_extract_size: 4194304\n"
			       "  max_entries: 50\n  low_speed_time: 1\n  low_speed_limit: 1000\n"
			       "  retries: 1\n  refresh_timeout: 60\n",
			       state, sources, parallel);

	tu_write_file(cfg, text);
	free(text);
}

static char *url(const char *path)
{
	return xasprintf("http://127.0.0.1:%d%s", ts_port(srv), path);
}

static void json_source(const char *name, const char *index_path)
{
	char *u = url(index_path);
	char *s = xasprintf("    - name: %s\n      kind: json_index\n      url: %s\n"
			    "      allow_private: true\n",
			    name, u);

	config(s);
	free(s);
	free(u);
}

static void run_cmd(struct tu_run *r, const char *a1, const char *a2)
{
	char *argv[] = {bin, "-c", cfg, (char *)a1, (char *)a2, NULL};

	tu_run(r, argv, NULL, NULL);
}

/* Enqueue a refresh and run the fetcher --once; returns the job's state. */
static char *refresh(void)
{
	struct tu_run r;
	char err[256], *st;
	sqlite3 *db;
	sqlite3_stmt *q;
	char *dbp = xasprintf("%s/left4me.db", state);

	run_cmd(&r, "enqueue-refresh", NULL);
	ck_assert_msg(r.status == 0, "enqueue: %s", r.err);
	tu_run_fini(&r);
	run_cmd(&r, "--allow-root", "--once");
	ck_assert_msg(r.status == 0, "fetcher: %d %s", r.status, r.err);
	tu_run_fini(&r);
	db = db_open(dbp, 0, err, sizeof(err));
	free(dbp);
	ck_assert_msg(db != NULL, "%s", err);
	q = db_prepare(db, "SELECT state FROM jobs ORDER BY id DESC LIMIT 1");
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	st = xstrdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	db_close(db);
	return st;
}

static void refresh_ok(void)
{
	char *st = refresh();

	ck_assert_str_eq(st, "succeeded");
	free(st);
}

static long long qint(const char *sql)
{
	char err[256], *dbp = xasprintf("%s/left4me.db", state);
	sqlite3 *db = db_open(dbp, 0, err, sizeof(err));
	long long v;

	v = tu_db_int(db, sql);
	db_close(db);
	free(dbp);
	return v;
}

/* A job log line matches the LIKE pattern (no quotes in it). */
static bool log_has(const char *like)
{
	char *sql = xasprintf("SELECT count(*) FROM job_log WHERE line LIKE '%s'", like);
	long long n = qint(sql);

	free(sql);
	return n > 0;
}

static char *cache_file(const char *src, const char *name)
{
	return xasprintf("%s/global_overlay_cache/%s/cache/%s", state, src, name);
}

static char *addon(const char *src, const char *name)
{
	return xasprintf("%s/global_overlay_cache/%s/overlay/left4dead2/addons/%s", state, src,
			 name);
}

/* A path in a rotating static buffer (tests only: saves the frees). */
static const char *pth(const char *a, const char *b)
{
	static char bufs[8][PATH_MAX];
	static int k;
	char *p = bufs[k++ % 8];

	snprintf(p, PATH_MAX, "%s/%s", a, b);
	return p;
}

static bool exists(const char *p)
{
	struct stat sb;

	return lstat(p, &sb) == 0;
}

/* Number of entries in a directory (without . and ..). */
static int count_dir(const char *src, const char *sub)
{
	char *p = xasprintf("%s/global_overlay_cache/%s/%s", state, src, sub);
	DIR *d = opendir(p);
	struct dirent *de;
	int n = 0;

	free(p);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* The addon link points at the cached file, absolutely. */
static void assert_linked(const char *src, const char *name)
{
	char *l = addon(src, name), *c = cache_file(src, name), buf[PATH_MAX];
	ssize_t n = readlink(l, buf, sizeof(buf) - 1);

	ck_assert_msg(n > 0, "%s is not a link", l);
	buf[n] = '\0';
	ck_assert_str_eq(buf, c);
	ck_assert_msg(exists(c), "%s missing", c);
	free(l);
	free(c);
}

static void assert_absent(const char *src, const char *name)
{
	char *l = addon(src, name), *c = cache_file(src, name);

	ck_assert_msg(!exists(l), "%s exists", l);
	ck_assert_msg(!exists(c), "%s exists", c);
	free(l);
	free(c);
}

static void assert_file_md5(const char *src, const char *name, const char *md5)
{
	char *c = cache_file(src, name), got[33];

	ta_md5_file(c, got);
	ck_assert_str_eq(got, md5);
	free(c);
}

/* A one-vpk archive at www/maps/FILE; md5 of the vpk into md5 (may be NULL). */
static void one_vpk(const char *file, enum ta_format fmt, const char *vpk, const char *data,
		    char md5[33])
{
	char *p = xasprintf("%s/maps/%s", www, file);
	struct ta_entry e[] = {{.name = vpk, .data = data}};

	mkdir(pth(www, "maps"), 0755);
	ta_write(p, fmt, e, 1);
	if (md5)
		ta_md5(&e[0], md5);
	free(p);
}

struct jitem {
	const char *name, *file, *md5;
	long size;
};

/* www/index.json listing items (links raw, spaces and all). */
static void json_index(const struct jitem *it, size_t n)
{
	struct strbuf sb;
	size_t i;
	char *p = xasprintf("%s/index.json", www);

	strbuf_init(&sb);
	strbuf_puts(&sb, "[");
	for (i = 0; i < n; i++)
		strbuf_printf(&sb,
			      "%s\n {\"name\": \"%s\", \"size\": %ld, \"md5\": \"%s\", "
			      "\"download_link\": \"http://127.0.0.1:%d/maps/%s\"}",
			      i ? "," : "", it[i].name, it[i].size, it[i].md5, ts_port(srv),
			      it[i].file);
	strbuf_puts(&sb, "\n]\n");
	tu_write_file(p, sb.buf);
	strbuf_fini(&sb);
	free(p);
}

static void to_upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'f')
			*s = (char)(*s - 32);
}

START_TEST(test_json_sync)
{
	char ma[33], mb[33], mc[33], mb2[33], buf[PATH_MAX];
	char *p, *foreign_link, *foreign_file;

	one_vpk("alpha.7z", TA_7Z, "alpha.vpk", "alpha map v1", ma);
	one_vpk("bravo map.zip", TA_ZIP, "bravo map.vpk", "bravo map v1", mb);
	{
		/* vpk in a subdirectory, plus files that are not vpks */
		struct ta_entry e[] = {{.name = "charlie/", .type = TA_DIR},
				       {.name = "charlie/charlie.vpk", .data = "charlie v1"},
				       {.name = "charlie/readme.txt", .data = "hello"}};

		p = xasprintf("%s/maps/charlie.zip", www);
		ta_write(p, TA_ZIP, e, 3);
		free(p);
		ta_md5(&e[1], mc);
	}
	to_upper(ma); /* the index's md5 compares case-insensitively */
	{
		struct jitem it[] = {{"alpha.vpk", "alpha.7z", ma, 12},
				     {"bravo map.vpk", "bravo map.zip", mb, 12},
				     {"charlie.vpk", "charlie.zip", mc, 10}};
		json_index(it, 3);
	}
	json_source("l4d2center-maps", "/index.json");
	refresh_ok();
	assert_linked("l4d2center-maps", "alpha.vpk");
	assert_linked("l4d2center-maps", "bravo map.vpk");
	assert_linked("l4d2center-maps", "charlie.vpk");
	assert_file_md5("l4d2center-maps", "bravo map.vpk", mb);
	ck_assert_int_eq(count_dir("l4d2center-maps", "cache"), 3);
	ck_assert_int_eq(count_dir("l4d2center-maps", "tmp"), 0);
	ck_assert_int_eq(qint("SELECT complete FROM global_overlay_sources"), 1);
	ck_assert_int_eq(qint("SELECT items_present FROM global_overlay_sources"), 3);
	ck_assert_int_eq(qint("SELECT count(*) FROM global_overlay_items WHERE state = 'ok'"), 3);
	ck_assert_int_eq(qint("SELECT count(*) FROM global_overlay_item_files"), 3);
	ck_assert_int_eq(qint("SELECT count(*) FROM overlays WHERE kind = 'global' AND name = "
			      "'l4d2center-maps' AND user_id IS NULL"),
			 1);
	ck_assert_int_eq(ts_requests(srv, "/maps/bravo map.zip"), 1);
	ck_assert_int_gt(ts_archive_bytes(srv), 0);
	ck_assert_int_gt(qint("SELECT count(*) FROM job_log WHERE stream = 'progress'"), 0);

	/* Foreign entries in addons/ are never touched. */
	foreign_link = addon("l4d2center-maps", "foreign.vpk");
	foreign_file = addon("l4d2center-maps", "own.vpk");
	ck_assert_int_eq(symlink("/etc/hostname", foreign_link), 0);
	tu_write_file(foreign_file, "mine");

	/* Unchanged: no archive byte moves (md5s match the cache). */
	ts_reset_counters(srv);
	refresh_ok();
	ck_assert_int_eq(ts_archive_bytes(srv), 0);
	ck_assert_int_eq(ts_requests(srv, "/index.json"), 1);
	ck_assert_int_eq(ts_bytes(srv, "/index.json"), 0); /* 304 */
	ck_assert_int_eq(qint("SELECT complete FROM global_overlay_sources"), 1);

	/* Changed item: only it is downloaded again. */
	one_vpk("bravo map.zip", TA_ZIP, "bravo map.vpk", "bravo map v2, longer", mb2);
	{
		struct jitem it[] = {{"alpha.vpk", "alpha.7z", ma, 12},
				     {"bravo map.vpk", "bravo map.zip", mb2, 20},
				     {"charlie.vpk", "charlie.zip", mc, 10}};
		json_index(it, 3);
	}
	ts_reset_counters(srv);
	refresh_ok();
	ck_assert_int_eq(ts_requests(srv, "/maps/bravo map.zip"), 1);
	ck_assert_int_eq(ts_requests(srv, "/maps/alpha.7z"), 0);
	ck_assert_int_eq(ts_archive_bytes(srv), ts_bytes(srv, "/maps/bravo map.zip"));
	assert_file_md5("l4d2center-maps", "bravo map.vpk", mb2);

	/* Removed item: its file and link go, nothing else does. */
	{
		struct jitem it[] = {{"alpha.vpk", "alpha.7z", ma, 12},
				     {"bravo map.vpk", "bravo map.zip", mb2, 20}};
		json_index(it, 2);
	}
	refresh_ok();
	assert_absent("l4d2center-maps", "charlie.vpk");
	assert_linked("l4d2center-maps", "alpha.vpk");
	ck_assert_int_eq(qint("SELECT count(*) FROM global_overlay_items"), 2);
	ck_assert_int_eq(qint("SELECT items_expected FROM global_overlay_sources"), 2);
	ck_assert_int_eq(qint("SELECT complete FROM global_overlay_sources"), 1);
	ck_assert_int_eq((int)readlink(foreign_link, buf, sizeof(buf)), 13);
	p = tu_read_file(foreign_file);
	ck_assert_str_eq(p, "mine");
	free(p);

	/* A deleted cache file and a stale link of ours are repaired. */
	p = cache_file("l4d2center-maps", "alpha.vpk");
	unlink(p);
	free(p);
	p = addon("l4d2center-maps", "gone.vpk");
	{
		char *t = cache_file("l4d2center-maps", "gone.vpk");

		ck_assert_int_eq(symlink(t, p), 0);
		free(t);
	}
	ts_reset_counters(srv);
	refresh_ok();
	ck_assert_int_eq(ts_requests(srv, "/maps/alpha.7z"), 1);
	assert_linked("l4d2center-maps", "alpha.vpk");
	ck_assert_msg(!exists(p), "stale link kept");
	free(p);
	ck_assert_int_eq((int)readlink(foreign_link, buf, sizeof(buf)), 13);
	free(foreign_link);
	free(foreign_file);
}
END_TEST

/* url_list: no md5, so conditional requests decide; ETag and then
 * Last-Modified alone. */
START_TEST(test_url_list_conditional)
{
	char *s, *u1, *u2, *p;

	one_vpk("one.zip", TA_ZIP, "one.vpk", "one", NULL);
	one_vpk("two campaign.7z", TA_7Z, "two.vpk", "two", NULL);
	u1 = url("/maps/one.zip");
	u2 = url("/maps/two%20campaign.7z");
	s = xasprintf("    - name: cedapug-maps\n      kind: url_list\n      allow_private: true\n"
		      "      urls:\n"
		      "        - %s\n        - \"%s\"\n",
		      u1, u2);
	config(s);
	refresh_ok();
	assert_linked("cedapug-maps", "one.vpk");
	assert_linked("cedapug-maps", "two.vpk");
	ck_assert_int_eq(qint("SELECT count(*) FROM global_overlay_items WHERE name = "
			      "'two campaign.7z' AND etag IS NOT NULL"),
			 1);

	ts_reset_counters(srv);
	refresh_ok();
	ck_assert_int_eq(ts_requests(srv, "/maps/one.zip"), 1);
	ck_assert_int_eq(ts_archive_bytes(srv), 0);

	ts_validators(srv, false, true);
	refresh_ok(); /* stores Last-Modified only */
	ts_reset_counters(srv);
	refresh_ok();
	ck_assert_int_eq(ts_requests(srv, NULL), 2);
	ck_assert_int_eq(ts_archive_bytes(srv), 0);

	/* A changed archive (newer mtime) is fetched again.  Last-Modified
	 * has whole seconds: the new version is dated one second after the
	 * old one, as a later upload would be. */
	{
		char *z = xasprintf("%s/maps/one.zip", www);
		struct stat st;
		struct timespec ts[2];

		ck_assert_int_eq(stat(z, &st), 0);
		one_vpk("one.zip", TA_ZIP, "one.vpk", "one, second version", NULL);
		ts[0] = st.st_atim;
		ts[1] = (struct timespec){.tv_sec = st.st_mtim.tv_sec + 1};
		ck_assert_int_eq(utimensat(AT_FDCWD, z, ts, 0), 0);
		free(z);
	}
	ts_reset_counters(srv);
	refresh_ok();
	ck_assert_int_eq(ts_requests(srv, "/maps/one.zip"), 1);
	ck_assert_int_gt(ts_bytes(srv, "/maps/one.zip"), 0);
	p = cache_file("cedapug-maps", "one.vpk");
	free(tu_read_file(p));
	{
		char *t = tu_read_file(p);

		ck_assert_str_eq(t, "one, second version");
		free(t);
	}
	free(p);
	free(s);
	free(u1);
	free(u2);
}
END_TEST

START_TEST(test_html_index)
{
	char *s, *u, *p;
	const char *page = "<html><body><h1>Maps</h1>\n"
			   "<a href=\"detourahead.zip\">Detour Ahead</a>\n"
			   "<A class=x HREF='sub/dark%20carnival.7z'>dc</A>\n"
			   "<a href=\"/maps/other map.zip?x=1&amp;y=2#frag\">other</a>\n"
			   "<a href=\"readme.txt\">not an archive</a>\n"
			   "<!-- <a href=\"hidden.zip\">commented out</a> -->\n"
			   "<a href=\"ftp://127.0.0.1/evil.zip\">wrong scheme</a>\n"
			   "<a href=detourahead.zip>again</a>\n"
			   "</body></html>\n";

	one_vpk("detourahead.zip", TA_ZIP, "detourahead.vpk", "detour", NULL);
	one_vpk("hidden.zip", TA_ZIP, "hidden.vpk", "hidden", NULL);
	one_vpk("other map.zip", TA_ZIP, "other.vpk", "other", NULL);
	mkdir(pth(www, "maps/sub"), 0755);
	one_vpk("sub/dark carnival.7z", TA_7Z, "dc1.vpk", "dark carnival", NULL);
	p = xasprintf("%s/maps/index.html", www);
	tu_write_file(p, page);
	free(p);
	u = url("/maps/index.html");
	s = xasprintf("    - name: cedapug-html\n      kind: html_index\n      url: %s\n"
		      "      allow_private: true\n",
		      u);
	config(s);
	refresh_ok();
	assert_linked("cedapug-html", "detourahead.vpk");
	assert_linked("cedapug-html", "dc1.vpk");
	assert_linked("cedapug-html", "other.vpk");
	assert_absent("cedapug-html", "hidden.vpk");
	ck_assert_int_eq(qint("SELECT count(*) FROM global_overlay_items"), 3);
	ck_assert_int_eq(ts_requests(srv, "/maps/other map.zip"), 1);
	ck_assert_int_eq(qint("SELECT complete FROM global_overlay_sources"), 1);
	free(s);
	free(u);
}
END_TEST

/* Every kind of bad item fails alone; the good one lands, the refresh
 * succeeds, nothing of the bad ones is left in the cache or addons/. */
START_TEST(test_faults_and_hostile_archives)
{
	char mgood[33], m404[33], m500[33], mstall[33], mreset[33], mtrunc[33], mslip[33],
	    mlink[33], mbomb[33], mmany[33], mlie[33], *p;
	struct ta_entry big = {.name = "trunc.vpk", .fill = 300000, .seed = 7};

	one_vpk("good.zip", TA_ZIP, "good.vpk", "good map", mgood);
	one_vpk("e404.zip", TA_ZIP, "e404.vpk", "x", m404);
	one_vpk("e500.zip", TA_ZIP, "e500.vpk", "x", m500);
	{
		struct ta_entry e = {.name = "stall.vpk", .fill = 200000, .seed = 3};

		p = xasprintf("%s/maps/stall.zip", www);
		ta_write(p, TA_ZIP_STORE, &e, 1);
		free(p);
		ta_md5(&e, mstall);
		e.name = "reset.vpk";
		p = xasprintf("%s/maps/reset.zip", www);
		ta_write(p, TA_ZIP_STORE, &e, 1);
		free(p);
		ta_md5(&e, mreset);
	}
	p = xasprintf("%s/maps/trunc.7z", www);
	ta_write(p, TA_7Z, &big, 1);
	ta_md5(&big, mtrunc);
	ta_truncate(p, 150000);
	free(p);
	one_vpk("wrongmd5.zip", TA_ZIP, "wrongmd5.vpk", "the real thing", NULL);
	{
		struct ta_entry e[] = {{.name = "slip.vpk", .data = "fine"},
				       {.name = "../../../../slip.vpk", .data = "escape"}};

		p = xasprintf("%s/maps/slip.zip", www);
		ta_write(p, TA_ZIP, e, 2);
		free(p);
		ta_md5(&e[0], mslip);
	}
	{
		struct ta_entry e[] = {
		    {.name = "link.vpk", .type = TA_SYMLINK, .link = "/etc/passwd"}};

		p = xasprintf("%s/maps/link.zip", www);
		ta_write(p, TA_ZIP, e, 1);
		free(p);
		strcpy(mlink, "00000000000000000000000000000000");
	}
	{
		/* 64 MiB of zeros: compresses to little, expands over the 4 MiB cap. */
		struct ta_entry e = {.name = "bomb.vpk", .fill = 64LL << 20};

		p = xasprintf("%s/maps/bomb.zip", www);
		ta_write(p, TA_ZIP, &e, 1);
		free(p);
		strcpy(mbomb, "00000000000000000000000000000000");
	}
	{
		struct ta_entry e[60];
		char names[60][24];
		int i;

		for (i = 0; i < 60; i++) {
			snprintf(names[i], sizeof(names[i]), "f%02d.txt", i);
			e[i] = (struct ta_entry){.name = names[i], .data = "x"};
		}
		e[0].name = "many.vpk";
		p = xasprintf("%s/maps/many.zip", www);
		ta_write(p, TA_ZIP, e, 60);
		free(p);
		ta_md5(&e[0], mmany);
	}
	{
		/* The header claims 10 bytes, the data is 3 MiB + 10 of zeros, 7z
		 * (the declared size is what 7z trusts; the cap still holds). */
		struct ta_entry e = {.name = "lie.vpk", .fill = 5LL << 20};

		p = xasprintf("%s/maps/lie.7z", www);
		ta_write(p, TA_7Z, &e, 1);
		free(p);
		ta_md5(&e, mlie);
	}
	{
		struct jitem it[] = {
		    {"good.vpk", "good.zip", mgood, 8},
		    {"e404.vpk", "e404.zip", m404, 1},
		    {"e500.vpk", "e500.zip", m500, 1},
		    {"stall.vpk", "stall.zip", mstall, 200000},
		    {"reset.vpk", "reset.zip", mreset, 200000},
		    {"trunc.vpk", "trunc.7z", mtrunc, 300000},
		    {"wrongmd5.vpk", "wrongmd5.zip", "0123456789abcdef0123456789abcdef", 1},
		    {"slip.vpk", "slip.zip", mslip, 4},
		    {"link.vpk", "link.zip", mlink, 1},
		    {"bomb.vpk", "bomb.zip", mbomb, 1},
		    {"many.vpk", "many.zip", mmany, 1},
		    {"lie.vpk", "lie.7z", mlie, 1},
		};
		json_index(it, sizeof(it) / sizeof(it[0]));
	}
	ts_fault(srv, "/maps/e404.zip", TS_404, -1);
	ts_fault(srv, "/maps/e500.zip", TS_500, -1);
	ts_fault(srv, "/maps/stall.zip", TS_STALL, -1);
	ts_fault(srv, "/maps/reset.zip", TS_RESET, -1);
	json_source("l4d2center-maps", "/index.json");
	refresh_ok();

	assert_linked("l4d2center-maps", "good.vpk");
	ck_assert_int_eq(count_dir("l4d2center-maps", "cache"), 1);
	ck_assert_int_eq(count_dir("l4d2center-maps", "overlay/left4dead2/addons"), 1);
	ck_assert_int_eq(count_dir("l4d2center-maps", "tmp"), 0);
	ck_assert_msg(!exists(pth(dir, "slip.vpk")), "zip-slip escaped");
	ck_assert_int_eq(qint("SELECT count(*) FROM global_overlay_items WHERE state = 'ok'"), 1);
	ck_assert_int_eq(qint("SELECT count(*) FROM global_overlay_items WHERE state = 'failed'"),
			 11);
	ck_assert_int_eq(qint("SELECT count(*) FROM global_overlay_item_files"), 1);
	ck_assert_int_eq(qint("SELECT complete FROM global_overlay_sources"), 0);
	ck_assert_int_eq(qint("SELECT items_present FROM global_overlay_sources"), 1);
	ck_assert_int_eq(qint("SELECT items_expected FROM global_overlay_sources"), 12);
#define ERR_LIKE(name, pat)                                                                        \
	ck_assert_msg(qint("SELECT count(*) FROM global_overlay_items WHERE name = '" name         \
			   "' AND error LIKE '" pat "'") == 1,                                     \
		      "%s error is not %s", name, pat)
	ERR_LIKE("e404.vpk", "%HTTP status 404%");
	ERR_LIKE("e500.vpk", "%after 2 attempts%HTTP status 500%");
	ERR_LIKE("stall.vpk", "%after 2 attempts%");
	ERR_LIKE("reset.vpk", "%after 2 attempts%");
	ERR_LIKE("trunc.vpk", "%corrupt archive%");
	ERR_LIKE("wrongmd5.vpk", "%md5 mismatch%");
	ERR_LIKE("slip.vpk", "%refused entry%");
	ERR_LIKE("link.vpk", "%symlink%");
	ERR_LIKE("bomb.vpk", "%max_extract_size%");
	ERR_LIKE("many.vpk", "%max_entries%");
	ERR_LIKE("lie.vpk", "%max_extract_size%");
	ck_assert_int_eq(ts_requests(srv, "/maps/e500.zip"), 2);
	ck_assert_int_eq(ts_requests(srv, "/maps/e404.zip"), 1);

	/* Upstream heals: the next refresh fetches what failed. */
	ts_clear_faults(srv);
	ts_reset_counters(srv);
	refresh_ok();
	assert_linked("l4d2center-maps", "e404.vpk");
	assert_linked("l4d2center-maps", "stall.vpk");
	assert_linked("l4d2center-maps", "reset.vpk");
	ck_assert_int_eq(ts_requests(srv, "/maps/good.zip"), 0);
	ck_assert_int_eq(qint("SELECT count(*) FROM global_overlay_items WHERE state = 'ok'"), 5);
	ck_assert_int_eq(qint("SELECT items_present FROM global_overlay_sources"), 5);
}
END_TEST

/* An index that cannot be fetched changes nothing: items, files and links
 * stay, the source records the error. */
START_TEST(test_index_failure_keeps_items)
{
	char ma[33];

	one_vpk("alpha.zip", TA_ZIP, "alpha.vpk", "alpha", ma);
	{
		struct jitem it[] = {{"alpha.vpk", "alpha.zip", ma, 5}};
		json_index(it, 1);
	}
	json_source("l4d2center-maps", "/index.json");
	refresh_ok();
	tu_write_file(pth(www, "index.json"), "[]\n");
	ts_fault(srv, "/index.json", TS_500, -1);
	{
		char *st = refresh();

		ck_assert_str_eq(st, "failed");
		free(st);
	}
	assert_linked("l4d2center-maps", "alpha.vpk");
	ck_assert_int_eq(qint("SELECT count(*) FROM global_overlay_items"), 1);
	ck_assert_int_eq(qint("SELECT complete FROM global_overlay_sources"), 1);
	ck_assert_int_eq(qint("SELECT last_error LIKE '%500%' FROM global_overlay_sources"), 1);
	/* Not JSON at all: the same. */
	ts_clear_faults(srv);
	tu_write_file(pth(www, "index.json"), "<html>oops</html>");
	free(refresh());
	assert_linked("l4d2center-maps", "alpha.vpk");
	ck_assert_int_eq(qint("SELECT last_error LIKE '%not valid JSON%' FROM "
			      "global_overlay_sources"),
			 1);
}
END_TEST

/* Without allow_private nothing private is reached, and the job says why:
 * a loopback source by its literal host (also IPv4-mapped IPv6), a name
 * (localhost) at the address it resolves to, url_list links to private
 * literals by their text.  The server sees no request at all.  With
 * allow_private: true the same source works. */
START_TEST(test_private_refused)
{
	char ma[33], *u, *s, *st;

	one_vpk("alpha.zip", TA_ZIP, "alpha.vpk", "alpha", ma);
	{
		struct jitem it[] = {{"alpha.vpk", "alpha.zip", ma, 5}};
		json_index(it, 1);
	}
	u = url("/index.json");
	s = xasprintf("    - name: lan\n      kind: json_index\n      url: %s\n", u);
	config(s);
	free(s);
	st = refresh();
	ck_assert_str_eq(st, "failed");
	free(st);
	ck_assert_int_eq(qint("SELECT count(*) FROM global_overlay_sources WHERE name = 'lan' AND "
			      "last_error = 'index: refused: 127.0.0.1 is a loopback address "
			      "(allow_private is not set)'"),
			 1);
	ck_assert(log_has("source=lan: index: refused: 127.0.0.1 is a loopback address%"));

	s = xasprintf("    - name: mapped\n      kind: json_index\n"
		      "      url: http://[::ffff:127.0.0.1]:%d/index.json\n",
		      ts_port(srv));
	config(s);
	free(s);
	free(refresh());
	ck_assert_int_eq(qint("SELECT count(*) FROM global_overlay_sources WHERE name = 'mapped' "
			      "AND last_error LIKE 'index: refused: [::ffff:127.0.0.1] is a "
			      "loopback address%'"),
			 1);

	/* A name: curl resolves localhost itself; the address is refused
	 * before connect(). */
	s = xasprintf("    - name: named\n      kind: json_index\n"
		      "      url: http://localhost:%d/index.json\n",
		      ts_port(srv));
	config(s);
	free(s);
	st = refresh();
	ck_assert_str_eq(st, "failed");
	free(st);
	ck_assert_int_eq(qint("SELECT count(*) FROM global_overlay_sources WHERE name = 'named' "
			      "AND last_error LIKE 'index: refused connection: % is a loopback "
			      "address (allow_private is not set)'"),
			 1);

	s = xasprintf("    - name: links\n      kind: url_list\n      urls:\n"
		      "        - http://10.1.2.3/maps/lan.zip\n"
		      "        - http://[fe80::1]/maps/ll.zip\n"
		      "        - %s\n",
		      u);
	config(s);
	free(s);
	free(refresh());
	ck_assert_int_eq(qint("SELECT count(*) FROM global_overlay_items"), 0);
	ck_assert(log_has("source=links: index: 3 entries refused, first: link 0 (lan.zip): "
			  "refused: 10.1.2.3 is a private address (allow_private is not set)"));
	ck_assert_int_eq(qint("SELECT count(*) FROM global_overlay_sources WHERE name = 'links' "
			      "AND last_error LIKE 'index: 3 entries refused, first: link 0%'"),
			 1);
	ck_assert_int_eq(ts_requests(srv, NULL), 0);

	s = xasprintf("    - name: lan\n      kind: json_index\n      url: %s\n"
		      "      allow_private: true\n",
		      u);
	config(s);
	free(s);
	refresh_ok();
	assert_linked("lan", "alpha.vpk");
	free(u);
}
END_TEST

/* Redirects are followed within the policy: a relative one lands; one to a
 * URL with credentials or to another scheme is refused before it is
 * followed, the item fails saying why, and the credentials appear nowhere. */
START_TEST(test_redirects)
{
	char ma[33], mb[33], mc[33], *to;

	one_vpk("alpha.zip", TA_ZIP, "alpha.vpk", "alpha", ma);
	one_vpk("bravo.zip", TA_ZIP, "bravo.vpk", "bravo", mb);
	one_vpk("charlie.zip", TA_ZIP, "charlie.vpk", "charlie", mc);
	{
		struct jitem it[] = {{"alpha.vpk", "moved.zip", ma, 5},
				     {"bravo.vpk", "cred.zip", mb, 5},
				     {"charlie.vpk", "ftp.zip", mc, 7}};
		json_index(it, 3);
	}
	ts_redirect(srv, "/maps/moved.zip", "/maps/alpha.zip");
	to = xasprintf("http://user:secret@127.0.0.1:%d/maps/bravo.zip", ts_port(srv));
	ts_redirect(srv, "/maps/cred.zip", to);
	free(to);
	to = xasprintf("ftp://127.0.0.1:%d/maps/charlie.zip", ts_port(srv));
	ts_redirect(srv, "/maps/ftp.zip", to);
	free(to);
	json_source("l4d2center-maps", "/index.json");
	refresh_ok();
	assert_linked("l4d2center-maps", "alpha.vpk");
	assert_absent("l4d2center-maps", "bravo.vpk");
	assert_absent("l4d2center-maps", "charlie.vpk");
	ERR_LIKE("bravo.vpk", "%refused redirect: the URL carries credentials (user:password@)%");
	ERR_LIKE("charlie.vpk", "%refused redirect: not an http or https URL%");
	ck_assert_int_eq(ts_requests(srv, "/maps/cred.zip"), 1); /* not retried */
	ck_assert_int_eq(ts_requests(srv, "/maps/bravo.zip"), 0);
	ck_assert_int_eq(ts_requests(srv, "/maps/alpha.zip"), 1);
	ck_assert_int_eq(qint("SELECT count(*) FROM job_log WHERE line LIKE '%secret%'"), 0);
	ck_assert_int_eq(qint("SELECT count(*) FROM global_overlay_items WHERE error LIKE "
			      "'%secret%'"),
			 0);
}
END_TEST

/* Names with control or bidi characters are refused by name (escaped in
 * the log and on the source), from the index and from inside an archive;
 * the good item lands. */
START_TEST(test_unsafe_names)
{
	char mg[33], mr[33], *p;

	one_vpk("good.zip", TA_ZIP, "good.vpk", "good", mg);
	one_vpk("evil.zip", TA_ZIP, "evil.vpk", "evil", NULL);
	{
		struct ta_entry e = {.name = "rtl\xe2\x80\xaekpv.vpk", .data = "rtl"};

		p = xasprintf("%s/maps/rtl.zip", www);
		ta_write(p, TA_ZIP, &e, 1);
		ta_md5(&e, mr);
		free(p);
	}
	{
		struct jitem it[] = {{"evil\\u202egpj.vpk", "evil.zip", mg, 4},
				     {"bell\\u0007.vpk", "evil.zip", mg, 4},
				     {"c1\\u0085.vpk", "evil.zip", mg, 4},
				     {"iso\\u2066.vpk", "evil.zip", mg, 4},
				     {"good.vpk", "good.zip", mg, 4},
				     {"rtl.vpk", "rtl.zip", mr, 3}};
		json_index(it, 6);
	}
	json_source("l4d2center-maps", "/index.json");
	refresh_ok();
	assert_linked("l4d2center-maps", "good.vpk");
	ck_assert_int_eq(count_dir("l4d2center-maps", "cache"), 1);
	ck_assert_int_eq(qint("SELECT count(*) FROM global_overlay_items"), 2);
	ck_assert_int_eq(ts_requests(srv, "/maps/evil.zip"), 0);
	ck_assert(log_has("%index: 4 entries refused, first: entry 0: name "
			  "\"evil\\xe2\\x80\\xaegpj.vpk\" has the bidi control U+202E%"));
	ERR_LIKE("rtl.vpk", "%refused entry rtl\\xe2\\x80\\xaekpv.vpk: name has the bidi control "
			    "U+202E%");
	/* No raw control or bidi character reached the log, items or sources. */
	ck_assert_int_eq(qint("SELECT count(*) FROM job_log WHERE instr(line, char(8238)) OR "
			      "instr(line, char(7)) OR instr(line, char(133)) OR "
			      "instr(line, char(8294))"),
			 0);
	ck_assert_int_eq(qint("SELECT count(*) FROM global_overlay_items WHERE "
			      "instr(error, char(8238)) OR instr(name, char(8238))"),
			 0);
	ck_assert_int_eq(qint("SELECT count(*) FROM global_overlay_sources WHERE "
			      "instr(last_error, char(8238))"),
			 0);
}
END_TEST

/* Run the fetcher with tmp/ on a 256 KiB tmpfs in a private mount
 * namespace: a download that does not fit and an archive whose vpk does
 * not fit fail alone; the small one crosses filesystems (EXDEV: copy,
 * fsync, rename) into the cache. */
START_TEST(test_disk_full)
{
	char msmall[33], mbig[33], mexp[33], *tmp;
	pid_t pid;
	int status;

	ck_assert_msg(geteuid() == 0, "the disk-full test needs root (CI runs as root)");
	one_vpk("small.zip", TA_ZIP, "small.vpk", "small map", msmall);
	{
		struct ta_entry e = {.name = "big.vpk", .fill = 600000, .seed = 9};
		char *p = xasprintf("%s/maps/big.zip", www);

		ta_write(p, TA_ZIP_STORE, &e, 1);
		ta_md5(&e, mbig);
		free(p);
		e = (struct ta_entry){.name = "expands.vpk", .fill = 1000000};
		p = xasprintf("%s/maps/expands.zip", www);
		ta_write(p, TA_ZIP, &e, 1);
		ta_md5(&e, mexp);
		free(p);
	}
	{
		struct jitem it[] = {{"small.vpk", "small.zip", msmall, 9},
				     {"big.vpk", "big.zip", mbig, 600000},
				     {"expands.vpk", "expands.zip", mexp, 1000000}};
		json_index(it, 3);
	}
	parallel = 1; /* one at a time: which download fills the disk is fixed */
	json_source("l4d2center-maps", "/index.json");
	{
		struct tu_run r;

		run_cmd(&r, "enqueue-refresh", NULL);
		ck_assert_int_eq(r.status, 0);
		tu_run_fini(&r);
	}
	tmp = xasprintf("%s/global_overlay_cache/l4d2center-maps/tmp", state);
	mkdir(pth(state, "global_overlay_cache"), 0755);
	mkdir(pth(state, "global_overlay_cache/l4d2center-maps"), 0755);
	ck_assert_int_eq(mkdir(tmp, 0755) == 0 || errno == EEXIST, 1);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("tmpfs", tmp, "tmpfs", 0, "size=256k") < 0)
			_exit(99);
		execl(bin, bin, "-c", cfg, "--allow-root", "--once", (char *)NULL);
		_exit(98);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "fetcher status %d", status);
	assert_linked("l4d2center-maps", "small.vpk");
	assert_file_md5("l4d2center-maps", "small.vpk", msmall);
	assert_absent("l4d2center-maps", "big.vpk");
	assert_absent("l4d2center-maps", "expands.vpk");
	ck_assert_int_eq(count_dir("l4d2center-maps", "cache"), 1);
	ck_assert_int_eq(qint("SELECT count(*) FROM global_overlay_items WHERE state = 'failed' "
			      "AND (error LIKE '%space%' OR error LIKE '%write%')"),
			 2);
	ck_assert_int_eq(qint("SELECT complete FROM global_overlay_sources"), 0);
	ck_assert_int_eq(qint("SELECT items_present FROM global_overlay_sources"), 1);
	/* With room again, everything lands. */
	refresh_ok();
	assert_linked("l4d2center-maps", "big.vpk");
	assert_linked("l4d2center-maps", "expands.vpk");
	ck_assert_int_eq(qint("SELECT complete FROM global_overlay_sources"), 1);
	free(tmp);
}
END_TEST

/* SIGKILL while a download is half done: no partial vpk anywhere the game
 * could see it; the next fetcher recovers the job and completes. */
START_TEST(test_sigkill_mid_download)
{
	char ma[33], mb[33];
	pid_t pid;
	int status, i;

	one_vpk("alpha.zip", TA_ZIP, "alpha.vpk", "alpha", ma);
	{
		struct ta_entry e = {.name = "slow.vpk", .fill = 400000, .seed = 5};
		char *p = xasprintf("%s/maps/slow.zip", www);

		ta_write(p, TA_ZIP_STORE, &e, 1);
		ta_md5(&e, mb);
		free(p);
	}
	{
		struct jitem it[] = {{"alpha.vpk", "alpha.zip", ma, 5},
				     {"slow.vpk", "slow.zip", mb, 400000}};
		json_index(it, 2);
	}
	json_source("l4d2center-maps", "/index.json");
	ts_fault(srv, "/maps/slow.zip", TS_STALL, -1);
	{
		struct tu_run r;

		run_cmd(&r, "enqueue-refresh", NULL);
		ck_assert_int_eq(r.status, 0);
		tu_run_fini(&r);
	}
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		execl(bin, bin, "-c", cfg, "--allow-root", "--once", (char *)NULL);
		_exit(98);
	}
	for (i = 0; i < 500 && ts_bytes(srv, "/maps/slow.zip") == 0; i++)
		usleep(10 * 1000);
	ck_assert_int_gt(ts_bytes(srv, "/maps/slow.zip"), 0);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	assert_absent("l4d2center-maps", "slow.vpk");
	ck_assert_int_eq(qint("SELECT count(*) FROM jobs WHERE state = 'running'"), 1);
	ck_assert_int_eq(qint("SELECT complete FROM global_overlay_sources"), 0);

	ts_clear_faults(srv);
	refresh_ok();
	assert_linked("l4d2center-maps", "slow.vpk");
	assert_linked("l4d2center-maps", "alpha.vpk");
	assert_file_md5("l4d2center-maps", "slow.vpk", mb);
	ck_assert_int_eq(count_dir("l4d2center-maps", "tmp"), 0);
	ck_assert_int_eq(qint("SELECT count(*) FROM jobs WHERE state = 'running'"), 0);
	ck_assert_int_eq(qint("SELECT count(*) FROM jobs WHERE state = 'failed'"), 1);
	ck_assert_int_eq(qint("SELECT complete FROM global_overlay_sources"), 1);
}
END_TEST

/* Processes running the refresh program (0 once the daemon reaped it). */
static int refresh_children(void)
{
	char *rel = tu_build_path("left4me-fetcher/left4me-fetcher-refresh");
	char *child = realpath(rel, NULL);
	char link[PATH_MAX + 1], path[300];
	struct dirent *e;
	DIR *d = opendir("/proc");
	int n = 0;
	ssize_t len;

	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(child);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/exe", e->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (strcmp(link, child) == 0)
			n++;
	}
	closedir(d);
	free(child);
	free(rel);
	return n;
}

/* SIGTERM while the refresh child is downloading: the daemon stops the
 * child, finishes the job as failed ("stopped") and exits cleanly. */
START_TEST(test_sigterm_mid_download)
{
	char mb[33];
	pid_t pid;
	int status, i;

	{
		struct ta_entry e = {.name = "slow.vpk", .fill = 400000, .seed = 5};
		char *p = xasprintf("%s/maps", www);

		mkdir(p, 0755);
		free(p);
		p = xasprintf("%s/maps/slow.zip", www);

		ta_write(p, TA_ZIP_STORE, &e, 1);
		ta_md5(&e, mb);
		free(p);
	}
	{
		struct jitem it[] = {{"slow.vpk", "slow.zip", mb, 400000}};
		json_index(it, 1);
	}
	json_source("l4d2center-maps", "/index.json");
	ts_fault(srv, "/maps/slow.zip", TS_STALL, -1);
	{
		struct tu_run r;

		run_cmd(&r, "enqueue-refresh", NULL);
		ck_assert_int_eq(r.status, 0);
		tu_run_fini(&r);
	}
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 2);
		execl(bin, bin, "-c", cfg, "--allow-root", (char *)NULL);
		_exit(98);
	}
	for (i = 0; i < 500 && ts_bytes(srv, "/maps/slow.zip") == 0; i++)
		usleep(10 * 1000);
	ck_assert_int_gt(ts_bytes(srv, "/maps/slow.zip"), 0);
	ck_assert_int_eq(refresh_children(), 1);
	kill(pid, SIGTERM);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "fetcher status %d", status);
	ck_assert_int_eq(refresh_children(), 0);
	assert_absent("l4d2center-maps", "slow.vpk");
	ck_assert_int_eq(qint("SELECT count(*) FROM jobs WHERE state = 'failed' AND reason = "
			      "'stopped'"),
			 1);
	ts_clear_faults(srv);
}
END_TEST

/* A missing refresh program fails the job, saying so; the daemon lives. */
START_TEST(test_refresh_program_missing)
{
	char *st;

	json_source("l4d2center-maps", "/index.json");
	setenv("LEFT4ME_FETCHER_REFRESH", "/nonexistent/left4me-fetcher-refresh", 1);
	st = refresh();
	ck_assert_str_eq(st, "failed");
	free(st);
	ck_assert_int_eq(qint("SELECT count(*) FROM jobs WHERE exit_code = 127 AND reason LIKE "
			      "'%status 127%'"),
			 1);
}
END_TEST

START_TEST(test_commands)
{
	struct tu_run r;
	char *s;

	json_source("l4d2center-maps", "/index.json");
	run_cmd(&r, "enqueue-refresh", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "queued refresh job 1"), "%s", r.out);
	tu_run_fini(&r);
	run_cmd(&r, "enqueue-refresh", NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "already queued"), "%s", r.out);
	tu_run_fini(&r);
	ck_assert_int_eq(qint("SELECT count(*) FROM jobs WHERE user_id IS NULL AND kind = "
			      "'refresh_global_overlays' AND queue = 'fetcher'"),
			 1);
	if (geteuid() == 0) {
		run_cmd(&r, "--once", NULL);
		ck_assert_int_ne(r.status, 0);
		ck_assert_msg(strstr(r.err, "root"), "%s", r.err);
		tu_run_fini(&r);
	}
	run_cmd(&r, "bogus", NULL);
	ck_assert_int_ne(r.status, 0);
	tu_run_fini(&r);
	tu_write_file(cfg, "fetcher:\n  parallel: lots\n");
	run_cmd(&r, "enqueue-refresh", NULL);
	ck_assert_int_ne(r.status, 0);
	ck_assert_msg(strstr(r.err, "parallel"), "%s", r.err);
	tu_run_fini(&r);
	/* An old schema is refused. */
	json_source("l4d2center-maps", "/index.json");
	s = xasprintf("%s/left4me.db", state);
	{
		char err[256];
		sqlite3 *db = db_open(s, 0, err, sizeof(err));

		tu_db_exec(db, "PRAGMA user_version = 0");
		db_close(db);
	}
	run_cmd(&r, "--allow-root", "--once");
	ck_assert_int_ne(r.status, 0);
	ck_assert_msg(strstr(r.err, "migrate"), "%s", r.err);
	tu_run_fini(&r);
	free(s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fetcher");
	TCase *tc = tcase_create("fetcher");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_commands);
	tcase_add_test(tc, test_json_sync);
	tcase_add_test(tc, test_url_list_conditional);
	tcase_add_test(tc, test_html_index);
	tcase_add_test(tc, test_faults_and_hostile_archives);
	tcase_add_test(tc, test_index_failure_keeps_items);
	tcase_add_test(tc, test_private_refused);
	tcase_add_test(tc, test_redirects);
	tcase_add_test(tc, test_unsafe_names);
	tcase_add_test(tc, test_disk_full);
	tcase_add_test(tc, test_sigkill_mid_download);
	tcase_add_test(tc, test_sigterm_mid_download);
	tcase_add_test(tc, test_refresh_program_missing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
