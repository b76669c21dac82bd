/* Refresh of an unchanged catalog: the real left4me-fetcher against the
 * loopback test server with ITEMS small archives.
 *
 *   LEFT4ME_BUILD=build build/bench/fetcher_refresh [ITEMS]
 *
 * Two sources are measured: a JSON index (md5s: an unchanged item costs no
 * request at all, the index a 304) and a url_list of the same archives (no
 * md5: one conditional request per item, each answered 304).  After a
 * first full sync (reported, not the target), the second refresh is timed
 * end to end (enqueue-refresh + `--once`, process start included) and the
 * server reports the archive bytes it sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "archive.h"
#include "db.h"
#include "httpd.h"
#include "parse.h"
#include "strbuf.h"
#include "testutil.h"
#include "timeutil.h"
#include "xalloc.h"

/* rm -rf dir. */
static void bench_rmtree(const char *dir)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		execlp("rm", "rm", "-rf", "--", dir, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
}

/* A fresh directory under /tmp (testutil's needs a running check test). */
static char *bench_tmpdir(void)
{
	char *p = xstrdup("/tmp/left4me-bench.XXXXXX");

	if (!mkdtemp(p)) {
		perror("mkdtemp");
		exit(1);
	}
	return p;
}

/* Write a file (testutil's helpers need a running check test). */
static void wfile(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static char *bin, *cfg;

static double run(const char *a1, const char *a2)
{
	int64_t t0 = mono_ns();
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		execl(bin, bin, "-c", cfg, a1, a2, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "left4me-fetcher %s failed\n", a1);
		exit(1);
	}
	return (double)(mono_ns() - t0) / 1e9;
}

static double refresh(void)
{
	return run("enqueue-refresh", NULL) + run("--allow-root", "--once");
}

int main(int argc, char **argv)
{
	long long items = 500;
	char *dir = bench_tmpdir(), *state = xasprintf("%s/state", dir),
	     *www = xasprintf("%s/www", dir), *maps = xasprintf("%s/www/maps", dir);
	struct strbuf idx, urls, conf;
	struct ts_server *srv;
	sqlite3 *db;
	int k, i;

	if (argc > 1 && parse_int(argv[1], 1, 100000, &items) < 0) {
		fprintf(stderr, "usage: fetcher_refresh [ITEMS]\n");
		return 2;
	}
	bin = xasprintf("%s/left4me-fetcher/left4me-fetcher",
			getenv("LEFT4ME_BUILD") ? getenv("LEFT4ME_BUILD") : "build");
	{
		/* The daemon runs the refresh child from the build tree, not from
		 * LIBEXECDIR (as the tests do). */
		char *child = xasprintf("%s-refresh", bin);

		setenv("LEFT4ME_FETCHER_REFRESH", child, 0);
		free(child);
	}
	cfg = xasprintf("%s/left4me.yaml", dir);
	mkdir(state, 0755);
	mkdir(www, 0755);
	mkdir(maps, 0755);
	{
		char err[256], *dbp = xasprintf("%s/left4me.db", state);

		db = db_open(dbp, DB_OPEN_CREATE, err, sizeof(err));
		if (!db || db_migrate(db, DB_SCHEMA_VERSION, NULL, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		db_close(db);
		free(dbp);
	}
	srv = ts_start(www);
	strbuf_init(&idx);
	strbuf_init(&urls);
	strbuf_puts(&idx, "[");
	for (i = 0; i < items; i++) {
		char name[64], file[80], md5[33], *p;
		struct ta_entry e = {.name = name, .fill = 4096, .seed = (unsigned)i + 1};

		snprintf(name, sizeof(name), "map %05d.vpk", i);
		snprintf(file, sizeof(file), "map %05d.zip", i);
		p = xasprintf("%s/%s", maps, file);
		ta_write(p, TA_ZIP, &e, 1);
		free(p);
		ta_md5(&e, md5);
		strbuf_printf(&idx,
			      "%s{\"name\":\"%s\",\"size\":4096,\"md5\":\"%s\","
			      "\"download_link\":\"http://127.0.0.1:%d/maps/%s\"}",
			      i ? ",\n" : "", name, md5, ts_port(srv), file);
		strbuf_printf(&urls, "        - http://127.0.0.1:%d/maps/map%%20%05d.zip\n",
			      ts_port(srv), i);
	}
	strbuf_puts(&idx, "]\n");
	{
		char *p = xasprintf("%s/index.json", www);

		wfile(p, idx.buf);
		free(p);
	}
	printf("catalog: %lld items (4 KiB vpks in zips)\n", items);
	for (k = 0; k < 2; k++) {
		double t1, t2;

		strbuf_init(&conf);
		strbuf_printf(&conf, "state_dir: %s\nlog_level: warning\nfetcher:\n  sources:\n",
			      state);
		if (k == 0)
			strbuf_printf(&conf,
				      "    - name: json-src\n      kind: json_index\n"
				      "      allow_private: true\n"
				      "      url: http://127.0.0.1:%d/index.json\n",
				      ts_port(srv));
		else
			strbuf_printf(&conf,
				      "    - name: list-src\n      kind: url_list\n"
				      "      allow_private: true\n"
				      "      urls:\n%s",
				      urls.buf);
		strbuf_puts(&conf, "  parallel: 8\n  max_host_connections: 8\n");
		wfile(cfg, conf.buf);
		strbuf_fini(&conf);
		ts_reset_counters(srv);
		t1 = refresh();
		printf("%-10s first sync:      %6.2f s, %ld requests, %lld archive bytes\n",
		       k ? "url_list" : "json_index", t1, ts_requests(srv, NULL),
		       ts_archive_bytes(srv));
		ts_reset_counters(srv);
		t2 = refresh();
		printf("%-10s unchanged sync:  %6.2f s, %ld requests, %lld archive bytes "
		       "(target < 2 s, 0 bytes)\n",
		       k ? "url_list" : "json_index", t2, ts_requests(srv, NULL),
		       ts_archive_bytes(srv));
	}
	ts_stop(srv);
	strbuf_fini(&idx);
	strbuf_fini(&urls);
	bench_rmtree(dir);
	free(dir);
	free(state);
	free(www);
	free(maps);
	free(cfg);
	free(bin);
	return 0;
}
