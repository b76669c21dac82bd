/* An index as large as an index may be (INDEX_MAX_ITEMS, 100,000 items):
 * the fetcher's own per-item cost, in process, best of ROUNDS.
 *
 *   build/bench/fetcher_index [ITEMS] [ROUNDS]
 *
 *   json       index_parse_json of ITEMS distinct entries (name, size, md5,
 *              download_link): parsing, name and URL checks, duplicates
 *   json+dups  the same with the last 10% repeating earlier names
 *   html       index_parse_html of a page of ITEMS archive links
 *   transfers  dl_run of ITEMS transfers to 127.0.0.1:1, each refused by
 *              the kernel at once, no retries: the download loop's own
 *              bookkeeping per transfer (libcurl's handle setup included)
 *
 * Each row prints wall and CPU seconds (this process, user+sys): on a
 * shared box the CPU column is the one to compare.  Nothing leaves the
 * host: the indexes are built in memory and the transfers go to a closed
 * loopback port. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "download.h"
#include "index.h"
#include "parse.h"
#include "strbuf.h"
#include "timeutil.h"
#include "xalloc.h"

static long long items = INDEX_MAX_ITEMS, rounds = 3;

struct secs {
	double wall, cpu;
};

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct secs since(int64_t wall0, double cpu0)
{
	struct secs s = {(double)(mono_ns() - wall0) / 1e9, cpu_now() - cpu0};

	return s;
}

static void json_body(struct strbuf *sb, bool dups)
{
	long long i;

	strbuf_puts(sb, "[");
	for (i = 0; i < items; i++) {
		long long k =
		    dups && i >= items - items / 10 ? (i * 7919) % (items - items / 10) : i;

		strbuf_printf(sb,
			      "%s{\"name\":\"map %06lld.vpk\",\"size\":10166415,"
			      "\"md5\":\"b0bd0123456789abcdef0123456789ab\","
			      "\"download_link\":\"https://l4d2center.com/maps/servers/map "
			      "%06lld.7z\"}",
			      i ? ",\n" : "", k, i);
	}
	strbuf_puts(sb, "]\n");
}

static void html_body(struct strbuf *sb)
{
	long long i;

	strbuf_puts(sb, "<html><body><h1>Maps</h1>\n");
	for (i = 0; i < items; i++)
		strbuf_printf(sb, "<a href=\"campaigns/map%06lld.zip\">Map %lld</a><br>\n", i, i);
	strbuf_puts(sb, "</body></html>\n");
}

/* Seconds for one parse; n and skipped of the result. */
static struct secs parse_once(const struct strbuf *sb, bool html, size_t *n, size_t *skipped)
{
	struct index_list l;
	char err[256];
	int64_t t0 = mono_ns();
	double c0 = cpu_now();
	int rc = html ? index_parse_html(sb->buf, sb->len, "https://cedapug.com/maps/", false, &l,
					 err, sizeof(err))
		      : index_parse_json(sb->buf, sb->len, "https://l4d2center.com/maps/", false,
					 &l, err, sizeof(err));
	struct secs s = since(t0, c0);

	if (rc < 0) {
		fprintf(stderr, "parse failed: %s\n", err);
		exit(1);
	}
	*n = l.n;
	*skipped = l.skipped;
	index_list_fini(&l);
	return s;
}

static struct secs transfers_once(void)
{
	struct dl *d = xcalloc((size_t)items, sizeof(*d));
	struct dl **v = xcalloc((size_t)items, sizeof(*v));
	char **urls = xcalloc((size_t)items, sizeof(*urls));
	struct dl_opts o = {.parallel = 4,
			    .max_host_connections = 4,
			    .low_speed_time = 5,
			    .low_speed_limit = 1,
			    .retries = 0};
	long long i, failed = 0;
	int64_t t0;
	double c0;
	struct secs s;

	for (i = 0; i < items; i++) {
		urls[i] = xasprintf("http://127.0.0.1:1/maps/map%06lld.zip", i);
		dl_init(&d[i], urls[i]);
		d[i].max_size = 1 << 20;
		v[i] = &d[i];
	}
	t0 = mono_ns();
	c0 = cpu_now();
	dl_run(v, (size_t)items, &o);
	s = since(t0, c0);
	for (i = 0; i < items; i++) {
		failed += d[i].result == DL_FAILED;
		dl_fini(&d[i]);
		free(urls[i]);
	}
	if (failed != items) {
		fprintf(stderr, "transfers: %lld of %lld failed, expected all\n", failed, items);
		exit(1);
	}
	free(d);
	free(v);
	free(urls);
	return s;
}

int main(int argc, char **argv)
{
	static const char *const names[] = {"json", "json+dups", "html", "transfers"};
	int k;

	if ((argc > 1 && parse_int(argv[1], 1, INDEX_MAX_ITEMS, &items) < 0) ||
	    (argc > 2 && parse_int(argv[2], 1, 100, &rounds) < 0)) {
		fprintf(stderr, "usage: fetcher_index [ITEMS] [ROUNDS]\n");
		return 2;
	}
	printf("%lld items, best of %lld\n", items, rounds);
	for (k = 0; k < 4; k++) {
		struct strbuf sb;
		struct secs best = {1e30, 1e30};
		size_t n = 0, skipped = 0;
		long long r;

		strbuf_init(&sb);
		if (k < 2)
			json_body(&sb, k == 1);
		else if (k == 2)
			html_body(&sb);
		for (r = 0; r < rounds; r++) {
			struct secs s =
			    k < 3 ? parse_once(&sb, k == 2, &n, &skipped) : transfers_once();

			if (s.wall < best.wall)
				best.wall = s.wall;
			if (s.cpu < best.cpu)
				best.cpu = s.cpu;
		}
		if (k < 3)
			printf("%-10s %9.3f s wall %9.3f s cpu  %zu items, %zu refused, %.1f MiB "
			       "body\n",
			       names[k], best.wall, best.cpu, n, skipped,
			       (double)sb.len / (1 << 20));
		else
			printf("%-10s %9.3f s wall %9.3f s cpu  %lld transfers\n", names[k],
			       best.wall, best.cpu, items);
		strbuf_fini(&sb);
	}
	return 0;
}
