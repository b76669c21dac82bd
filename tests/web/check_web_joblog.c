/* A job's log is read in pages and streamed in windows (issue 11): a long
 * log (100,000 lines of 1000 bytes, about 100 MB, inserted straight into
 * the database, and a second job with as many short lines) is never held
 * whole by left4me-web.  The log page, the
 * log API's pages both ways and the SSE stream each give every line once,
 * in order, and the web's peak RSS (VmHWM) stays far below the log's
 * size.  The real daemon, driven over loopback. */
#include <check.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "strbuf.h"
#include "testutil.h"
#include "webtest.h"
#include "xalloc.h"

#define LINES	  100000
#define LINE_LEN  1000
#define HWM_LIMIT (64 * 1024) /* kB: well under the log's 100 MB */

static struct wt t;
static char *tok;

static void start(void)
{
	int64_t alice;

	wt_start(&t, NULL);
	alice = wt_user(&t, "alice", "password-alice", false);
	tok = wt_token(&t, alice);
	tu_db_exec(t.db, "INSERT INTO jobs (kind, target, user_id, queue, created_at) VALUES "
			 "('install_game', '', 1, 'worker', 1)");
	/* Line N (id N) reads "line N " and is padded to LINE_LEN bytes. */
	tu_db_exec(t.db, "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
			 "WHERE x < 100000) INSERT INTO job_log (id, job_id, ts, stream, line) "
			 "SELECT x, 1, x, 'stdout', substr('line ' || x || ' ' || "
			 "hex(zeroblob(500)), 1, 1000) FROM n");
	/* Job 2: as many short lines ("line N"), for the API's page walks. */
	tu_db_exec(t.db, "INSERT INTO jobs (kind, target, user_id, queue, created_at) VALUES "
			 "('install_game', '', 1, 'worker', 1)");
	tu_db_exec(t.db, "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
			 "WHERE x < 100000) INSERT INTO job_log (id, job_id, ts, stream, line) "
			 "SELECT 100000 + x, 2, x, 'stdout', 'line ' || (100000 + x) FROM n");
	tu_db_exec(t.db, "UPDATE jobs SET state = 'succeeded', started_at = 2, finished_at = 3, "
			 "exit_code = 0");
}

static void stop(void)
{
	free(tok);
	wt_stop(&t);
}

/* The web's VmHWM in kB. */
static long vm_hwm(void)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)t.pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	ck_assert_int_gt(kb, 0);
	return kb;
}

/* The web's peak RSS is under HWM_LIMIT.  Under ASan (its allocator keeps
 * 256 MB of freed memory in quarantine, plus shadow and redzones) RSS says
 * nothing about the web's own bound: the line is printed, not asserted;
 * `make check` (no sanitizer) asserts it, and bench/ has the figure. */
static void assert_hwm(const char *what)
{
	long kb = vm_hwm();

#if defined(__SANITIZE_ADDRESS__)
	fprintf(stderr, "%s: web VmHWM %ld kB (ASan build: not asserted)\n", what, kb);
#else
	ck_assert_msg(kb < HWM_LIMIT, "%s: VmHWM %ld kB", what, kb);
#endif
}

/* The number in line "line N ...". */
static long line_no(const char *line)
{
	ck_assert_msg(strncmp(line, "line ", 5) == 0, "%.40s", line);
	return strtol(line + 5, NULL, 10);
}

/* GET an API log page: the lines' ids into ids[*n..] (each checked
 * against its text), its "more" returned. */
static bool api_page(int job, const char *query, long *ids, size_t *n)
{
	struct wt_resp r;
	json_object *o, *lines, *more;
	char path[128];
	size_t i, len;

	snprintf(path, sizeof(path), "/api/v1/jobs/%d/log?%s", job, query);
	wt_req(&t, "GET", path, NULL, tok, NULL, NULL, 0, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	o = json_tokener_parse(r.body);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "lines", &lines));
	ck_assert(json_object_object_get_ex(o, "more", &more));
	len = json_object_array_length(lines);
	ck_assert_uint_le(len, 1000);
	for (i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(lines, i), *id, *line;

		ck_assert(json_object_object_get_ex(e, "id", &id));
		ck_assert(json_object_object_get_ex(e, "line", &line));
		ck_assert_int_eq(json_object_get_int64(id), line_no(json_object_get_string(line)));
		ck_assert_int_eq(strlen(json_object_get_string(line)), job == 1 ? LINE_LEN : 11);
		ids[(*n)++] = (long)json_object_get_int64(id);
	}
	bool m = json_object_get_boolean(more);

	json_object_put(o);
	wt_resp_fini(&r);
	return m;
}

/* The API's pages of job 2, forward with after= and backward with
 * before=: every line once, in order; job 1's pages, without holding its
 * log. */
START_TEST(api_pages_every_line_once)
{
	long *ids = xcalloc(LINES + 1000, sizeof(*ids)), first = 0;
	char q[64];
	size_t n = 0, i, prev;
	bool more = true;

	while (more) {
		prev = n;
		snprintf(q, sizeof(q), "after=%ld&limit=1000", n ? ids[n - 1] : 0L);
		more = api_page(2, q, ids, &n);
		ck_assert_uint_gt(n, prev);
	}
	ck_assert_uint_eq(n, LINES);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(ids[i], LINES + (long)i + 1);

	/* Backward: each page is the lines just before the last one's first,
	 * oldest first within a page. */
	n = 0;
	more = true;
	while (more) {
		long page[1000];
		size_t pn = 0;

		snprintf(q, sizeof(q), "before=%ld&limit=1000", first);
		more = api_page(2, q, page, &pn);
		ck_assert_uint_gt(pn, 0);
		for (i = 0; i < pn; i++) {
			ck_assert_int_eq(page[i],
					 (first ? first : 2 * LINES + 1) - (long)pn + (long)i);
			ids[n++] = page[i];
		}
		first = page[0];
	}
	ck_assert_uint_eq(n, LINES);
	ck_assert_int_eq(first, LINES + 1);

	/* Job 1's long lines: the newest and the oldest pages, small limits,
	 * bad arguments. */
	n = 0;
	ck_assert(api_page(1, "before=0&limit=1000", ids, &n));
	ck_assert_uint_eq(n, 1000);
	ck_assert_int_eq(ids[0], LINES - 999);
	n = 0;
	ck_assert(api_page(1, "", ids, &n));
	ck_assert_uint_eq(n, 1000);
	ck_assert_int_eq(ids[999], 1000);
	n = 0;
	ck_assert(api_page(1, "before=0&limit=3", ids, &n));
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(ids[0], LINES - 2);
	n = 0;
	ck_assert(!api_page(1, "after=99995&limit=5", ids, &n));
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(ids[4], LINES);
	{
		struct wt_resp r;
		static const char *const bad[] = {"limit=0", "limit=1001", "after=x",
						  "after=1&before=5", "before=-1"};

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(q, sizeof(q), "/api/v1/jobs/1/log?%s", bad[i]);
			wt_req(&t, "GET", q, NULL, tok, NULL, NULL, 0, NULL, &r);
			ck_assert_msg(r.status == 400, "%s: %ld", bad[i], r.status);
			wt_resp_fini(&r);
		}
	}
	free(ids);
	assert_hwm("api pages");
}
END_TEST

/* The ids of the lines a log page shows (checked in order against their
 * text), and its links. */
static size_t html_page(struct wt_session *s, const char *path, long *first, long *last,
			char **earlier, char **later)
{
	struct wt_resp r;
	const char *p;
	size_t n = 0;
	long prev = 0;

	wt_get(&t, s, path, &r);
	ck_assert_int_eq(r.status, 200);
	for (p = r.body; (p = strstr(p, "<span class=\"l-stdout\">")); p++) {
		long no = line_no(p + strlen("<span class=\"l-stdout\">"));

		ck_assert_msg(!prev || no == prev + 1, "%ld after %ld", no, prev);
		if (!n)
			*first = no;
		prev = *last = no;
		n++;
	}
	*earlier = *later = NULL;
	if ((p = strstr(r.body, "?log_before=")))
		*earlier = strndup(p, strcspn(p, "\""));
	if ((p = strstr(r.body, "?log_after=")))
		*later = strndup(p, strcspn(p, "\""));
	wt_resp_fini(&r);
	return n;
}

/* The page shows the newest thousand lines and links to the ones before;
 * following the links back and forth gives every line once. */
START_TEST(html_pages)
{
	struct wt_session s;
	long first = 0, last = 0, expect_last = LINES;
	char *earlier, *later, path[128];
	size_t n, seen = 0;

	ck_assert_int_eq(wt_login(&t, "alice", "password-alice", &s), 303);
	n = html_page(&s, "/jobs/1", &first, &last, &earlier, &later);
	ck_assert_uint_eq(n, 1000);
	ck_assert_int_eq(last, LINES);
	ck_assert_ptr_nonnull(earlier);
	ck_assert_ptr_null(later);
	seen += n;
	while (earlier) {
		snprintf(path, sizeof(path), "/jobs/1%s", earlier);
		free(earlier);
		free(later);
		expect_last = first - 1;
		n = html_page(&s, path, &first, &last, &earlier, &later);
		ck_assert_int_eq(last, expect_last);
		ck_assert_ptr_nonnull(later);
		seen += n;
		if (seen > 5000)
			break; /* enough of the way back; the API test walks it all */
	}
	/* And forward again from there. */
	expect_last = last;
	snprintf(path, sizeof(path), "/jobs/1%s", later);
	free(earlier);
	free(later);
	n = html_page(&s, path, &first, &last, &earlier, &later);
	ck_assert_uint_eq(n, 1000);
	ck_assert_int_eq(first, expect_last + 1);
	free(earlier);
	free(later);
	/* Bad page arguments. */
	{
		struct wt_resp r;

		wt_get(&t, &s, "/jobs/1?log_before=x", &r);
		ck_assert_int_eq(r.status, 400);
		wt_resp_fini(&r);
		wt_get(&t, &s, "/jobs/1?log_before=5&log_after=2", &r);
		ck_assert_int_eq(r.status, 400);
		wt_resp_fini(&r);
	}
	assert_hwm("html pages");
}
END_TEST

/* Read an SSE stream of job 1 from after on a raw connection (HTTP/1.0:
 * no chunked framing) with a small receive buffer, to its end: every id
 * after `after` once and in order, each event's data that line. */
static void sse_all(long after)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)t.port)};
	struct timeval tv = {.tv_sec = 30};
	char req[512], buf[65536];
	struct strbuf in;
	long expect = after + 1;
	size_t off = 0, reads = 0;
	bool ended = false, headers = false;
	ssize_t got;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int small = 4096;

	ck_assert_int_ge(fd, 0);
	/* A small receive buffer, so that a slow reader pushes back. */
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(req, sizeof(req),
		 "GET /api/v1/jobs/1/events HTTP/1.0\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
		 "Last-Event-ID: %ld\r\nConnection: close\r\n\r\n",
		 tok, after);
	ck_assert_int_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	strbuf_init(&in);
	while (!ended && (got = read(fd, buf, reads < 50 ? 1024 : sizeof(buf))) > 0) {
		char *ev, *end;

		reads++;
		strbuf_append(&in, buf, (size_t)got);
		if (!headers) {
			char *h = strstr(in.buf, "\r\n\r\n");

			if (!h)
				continue;
			ck_assert_msg(strncmp(in.buf, "HTTP/1.", 7) == 0 &&
					  strncmp(in.buf + 8, " 200", 4) == 0,
				      "%.60s", in.buf);
			off = (size_t)(h + 4 - in.buf);
			headers = true;
		}
		/* Whole events (a comment such as a keepalive has no id). */
		while ((end = strstr(in.buf + off, "\n\n"))) {
			long id;

			ev = strstr(in.buf + off, "id: ");
			if (strstr(in.buf + off, "event: end\ndata: succeeded") &&
			    (!ev || ev > end)) {
				ended = true;
				break;
			}
			if (!ev || ev > end) {
				off = (size_t)(end + 2 - in.buf);
				continue;
			}
			id = strtol(ev + 4, NULL, 10);
			ck_assert_msg(id == expect, "id %ld, expected %ld", id, expect);
			ev = strstr(ev, "data: ");
			ck_assert(ev && ev < end);
			ck_assert_int_eq(line_no(ev + 6), id);
			expect++;
			off = (size_t)(end + 2 - in.buf);
		}
		if (off > 1 << 20) {
			memmove(in.buf, in.buf + off, in.len - off + 1);
			in.len -= off;
			off = 0;
		}
	}
	close(fd);
	strbuf_fini(&in);
	ck_assert_msg(ended, "no end event (at id %ld)", expect);
	ck_assert_int_eq(expect, LINES + 1);
}

/* The SSE stream of the whole log, and one resumed from Last-Event-ID. */
START_TEST(sse_streams_in_windows)
{
	sse_all(0);
	sse_all(LINES - 1500);
	fprintf(stderr, "web VmHWM after streaming a %d-line log twice: %ld kB\n", LINES, vm_hwm());
	assert_hwm("sse windows");
}
END_TEST

static Suite *suite(void)
{
	Suite *su = suite_create("web_joblog");
	TCase *tc = tcase_create("web_joblog");

	tcase_set_timeout(tc, 120);
	/* One daemon and one 100 MB log for every test (they only read). */
	tcase_add_unchecked_fixture(tc, start, stop);
	tcase_add_test(tc, api_pages_every_line_once);
	tcase_add_test(tc, html_pages);
	tcase_add_test(tc, sse_streams_in_windows);
	suite_add_tcase(su, tc);
	return su;
}

int main(void)
{
	return tu_main(suite());
}
