/* left4me-web's connection table (left4me-web/conns.h), on the real daemon
 * over loopback: the cap follows RLIMIT_NOFILE and clamps the config's,
 * request headers and bodies have deadlines that trickling clients miss
 * and a slow but progressing upload keeps, and the watchdog tells a full
 * table from a wedged web. */
#include <check.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "notify.h"
#include "strbuf.h"
#include "testutil.h"
#include "timeutil.h"
#include "webtest.h"
#include "xalloc.h"

static struct wt t;
static char *logdir;

static void setup(void)
{
	logdir = tu_mkdtemp();
}

static void teardown(void)
{
	tu_rmtree(logdir);
	free(logdir);
}

/* A connected TCP socket to the daemon on 127.0.0.1. */
static int tcp_connect(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Whether the server closed fd within ms (EOF or reset); what it sent
 * before is read and dropped, unless keep: then any data ends the wait
 * (false) and stays to be read. */
static bool closed_within_keep(int fd, int ms, bool keep)
{
	int64_t deadline = mono_ms() + ms;
	char buf[4096];

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - mono_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return false;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | (keep ? MSG_PEEK : 0));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return true;
		if (n > 0 && keep)
			return false;
	}
}

static bool closed_within(int fd, int ms)
{
	return closed_within_keep(fd, ms, false);
}

static char *log_path(const char *name)
{
	return xasprintf("%s/%s", logdir, name);
}

/* Whether the log at path holds needle, waiting up to ms for it. */
static bool log_has(const char *path, const char *needle, int ms)
{
	int64_t deadline = mono_ms() + ms;

	for (;;) {
		char *text = tu_read_file(path);
		bool found = text && strstr(text, needle);

		free(text);
		if (found || mono_ms() >= deadline)
			return found;
		usleep(20000);
	}
}

/* ---- the cap ---------------------------------------------------------------- */

/* Under RLIMIT_NOFILE 512 the cap is (512 - 256) / 2 = 128, the default
 * web.max_connections of 16384 is clamped to it and the log says why;
 * beyond it, connections are refused; a config value below it stays. */
START_TEST(cap_follows_nofile)
{
	char *log = log_path("web.log");
	int fds[160], refused = 0;
	int64_t deadline;
	struct wt_resp r;

	wt_start_ex(&t,
		    "  per_ip_connections: 1000\n  header_timeout: 600\n"
		    "  connection_timeout: 600\n",
		    512, log);
	ck_assert_msg(log_has(log,
			      "at most 128 connections: web.max_connections 16384 is clamped to "
			      "what RLIMIT_NOFILE 512 allows",
			      2000),
		      "no clamp line in the log");
	for (int i = 0; i < 160; i++) {
		fds[i] = tcp_connect(t.port);
		ck_assert_int_eq(send(fds[i], "GET / HTTP/1.1\r\n", 16, MSG_NOSIGNAL), 16);
	}
	/* At least 160 - 128 are closed by the server at once. */
	deadline = mono_ms() + 10000;
	while (refused < 32 && mono_ms() < deadline)
		for (int i = 0; i < 160; i++)
			if (fds[i] >= 0 && closed_within(fds[i], 5)) {
				close(fds[i]);
				fds[i] = -1;
				refused++;
			}
	ck_assert_msg(refused >= 32, "only %d of 160 connections refused at a cap of 128", refused);
	ck_assert(
	    log_has(log, "connection refused: the web holds its cap of 128 connections", 2000));
	for (int i = 0; i < 160; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	/* Let go, a new client is answered again. */
	deadline = mono_ms() + 5000;
	do {
		wt_req(&t, "GET", "/healthz", NULL, NULL, NULL, NULL, 0, NULL, &r);
		if (r.status == 200)
			break;
		wt_resp_fini(&r);
	} while (mono_ms() < deadline);
	ck_assert_int_eq(r.status, 200);
	wt_resp_fini(&r);
	wt_stop(&t);
	free(log);

	/* A config value below what the limit allows is kept. */
	log = log_path("web2.log");
	wt_start_ex(&t, "  max_connections: 40\n", 512, log);
	ck_assert(log_has(log,
			  "at most 40 connections (web.max_connections; RLIMIT_NOFILE 512 would "
			  "allow 128)",
			  2000));
	wt_stop(&t);
	free(log);
}
END_TEST

/* A limit that leaves no room for connections: the web refuses to start
 * (EX_UNAVAILABLE) and says why. */
START_TEST(nofile_too_low)
{
	char *log = log_path("web.log");

	ck_assert_int_eq(wt_start_fails(NULL, 200, log), 69);
	ck_assert(log_has(log, "RLIMIT_NOFILE 200 leaves no room for connections", 0));
	free(log);
}
END_TEST

/* ---- deadlines -------------------------------------------------------------- */

/* Send text one byte every gap_ms until the server closes the connection
 * or the text is sent; the ms it took the server to close it, or -1. */
static int64_t trickle(int fd, const char *text, int gap_ms)
{
	int64_t start = mono_ms();

	for (const char *p = text; *p; p++) {
		if (send(fd, p, 1, MSG_NOSIGNAL) != 1 || closed_within(fd, gap_ms))
			return mono_ms() - start;
	}
	return closed_within(fd, 10000) ? mono_ms() - start : -1;
}

/* One byte of the headers every 300 ms: libmicrohttpd's idle timeout
 * (600 s here) never fires, web.header_timeout (2 s) does. */
START_TEST(header_deadline)
{
	char *log = log_path("web.log");
	int64_t ms;
	int fd;

	wt_start_ex(&t, "  header_timeout: 2\n  connection_timeout: 600\n", 0, log);
	fd = tcp_connect(t.port);
	ms = trickle(fd,
		     "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: "
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
		     300);
	close(fd);
	ck_assert_msg(ms >= 1500 && ms < 6000, "closed after %lld ms", (long long)ms);
	ck_assert(log_has(log, "took longer than web.header_timeout (2 s)", 2000));
	{
		struct wt_resp r;

		wt_get(&t, NULL, "/metrics", &r);
		ck_assert_ptr_nonnull(
		    strstr(r.body, "left4me_web_connections_timed_out_total 1\n"));
		ck_assert_ptr_nonnull(strstr(r.body, "left4me_web_connections_open 1\n"));
		wt_resp_fini(&r);
	}
	wt_stop(&t);
	free(log);
}
END_TEST

/* A PUT whose body comes one byte every 300 ms is closed after
 * web.body_timeout (2 s) plus what its bytes earn at web.body_min_rate;
 * one that sends 3,000 B/s, longer than body_timeout in all but above
 * the rate, is answered. */
START_TEST(body_deadline)
{
	char *log = log_path("web.log");
	int64_t uid, ms;
	char *tok, *head, *body;
	int fd;
	size_t sent = 0;
	struct wt_resp r;

	wt_start_ex(&t,
		    "  header_timeout: 30\n  body_timeout: 2\n  body_min_rate: 1000\n"
		    "  connection_timeout: 600\n  max_upload: 65536\n",
		    0, log);
	uid = wt_user(&t, "alice", "password-alice", false);
	tok = wt_token(&t, uid);
	tu_db_exec(t.db, "INSERT INTO overlays (user_id, name, kind, created_at, updated_at) "
			 "VALUES (1, 'up', 'user', 1, 1)");
	head = xasprintf("%s/overlays", t.dir);
	mkdir(head, 0755);
	free(head);

	head = xasprintf("PUT /api/v1/overlays/1/files/slow.txt HTTP/1.1\r\nHost: x\r\n"
			 "Authorization: Bearer %s\r\nContent-Type: application/octet-stream\r\n"
			 "Content-Length: %d\r\n\r\n",
			 tok, 12000);
	/* The trickler. */
	fd = tcp_connect(t.port);
	ck_assert_int_eq(send(fd, head, strlen(head), MSG_NOSIGNAL), (ssize_t)strlen(head));
	body = xcalloc(1, 12001);
	memset(body, 'x', 12000);
	ms = trickle(fd, body, 300);
	close(fd);
	ck_assert_msg(ms >= 1500 && ms < 6000, "closed after %lld ms", (long long)ms);
	ck_assert(log_has(log, "came slower than web.body_timeout (2 s)", 2000));

	/* 300 bytes every 100 ms: 4 s for 12,000 bytes, answered. */
	fd = tcp_connect(t.port);
	ck_assert_int_eq(send(fd, head, strlen(head), MSG_NOSIGNAL), (ssize_t)strlen(head));
	while (sent < 12000) {
		ck_assert_int_eq(send(fd, body + sent, 300, MSG_NOSIGNAL), 300);
		sent += 300;
		ck_assert_msg(!closed_within_keep(fd, 100, true),
			      "a progressing upload was cut at %zu bytes", sent);
	}
	{
		char buf[64] = {0};
		struct pollfd p = {.fd = fd, .events = POLLIN};

		ck_assert_int_eq(poll(&p, 1, 5000), 1);
		ck_assert_int_gt(recv(fd, buf, sizeof(buf) - 1, 0), 12);
		ck_assert_msg(strncmp(buf, "HTTP/1.1 201", 12) == 0, "answer: %s", buf);
	}
	close(fd);
	wt_req(&t, "GET", "/api/v1/overlays/1/files/slow.txt", NULL, tok, NULL, NULL, 0, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.len, 12000);
	wt_resp_fini(&r);
	wt_stop(&t);
	free(body);
	free(head);
	free(tok);
	free(log);
}
END_TEST

/* ---- the watchdog ---------------------------------------------------------- */

static int notify_fd = -1;
static char *notify_path;

/* Start the daemon with a watchdog of 1 s (a ping every 0.5 s) and see
 * the first ping. */
static void start_watched(const char *extra, struct strbuf *sb)
{
	notify_path = xasprintf("/tmp/l4m-web-conns-%d.sock", (int)getpid());
	unlink(notify_path);
	notify_fd = notify_bind(notify_path);
	ck_assert_int_ge(notify_fd, 0);
	setenv("NOTIFY_SOCKET", notify_path, 1);
	setenv("WATCHDOG_USEC", "1000000", 1);
	wt_start(&t, extra);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	notify_read(notify_fd, sb, 5000, "WATCHDOG=1");
	ck_assert_msg(sb->len && strstr(sb->buf, "WATCHDOG=1"), "no ping while healthy: %s",
		      sb->len ? sb->buf : "");
}

static void stop_watched(void)
{
	wt_stop(&t);
	close(notify_fd);
	unlink(notify_path);
	free(notify_path);
}

/* Every connection of the cap held by idle clients: new clients are
 * refused, but the web answers its own check and the pings go on. */
START_TEST(watchdog_full_table)
{
	struct strbuf sb;
	int fds[12], refused = 0;
	int64_t deadline;

	strbuf_init(&sb);
	start_watched("  max_connections: 8\n  per_ip_connections: 100\n"
		      "  header_timeout: 600\n  connection_timeout: 600\n",
		      &sb);
	for (int i = 0; i < 12; i++) {
		fds[i] = tcp_connect(t.port);
		ck_assert_int_eq(send(fds[i], "GET /healthz HTTP/1.1\r\n", 23, MSG_NOSIGNAL), 23);
	}
	deadline = mono_ms() + 10000;
	while (refused < 4 && mono_ms() < deadline)
		for (int i = 0; i < 12; i++)
			if (fds[i] >= 0 && closed_within(fds[i], 5)) {
				close(fds[i]);
				fds[i] = -1;
				refused++;
			}
	ck_assert_msg(refused >= 4, "the table is not full: %d refused", refused);
	/* Full: pings still come, several over 3 s. */
	strbuf_reset(&sb);
	notify_read(notify_fd, &sb, 3000, NULL);
	ck_assert_msg(sb.len && strstr(sb.buf, "WATCHDOG=1"), "no ping with a full table: %s",
		      sb.len ? sb.buf : "");
	for (int i = 0; i < 12; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	strbuf_fini(&sb);
	stop_watched();
}
END_TEST

struct wedger {
	char *tok;
	volatile int stop;
};

/* POSTs that write while the test holds the database's write lock: each
 * blocks a server thread for the busy timeout (5 s). */
static void *wedge(void *arg)
{
	struct wedger *w = arg;

	while (!w->stop) {
		struct wt_resp r;

		wt_req(&t, "POST", "/api/v1/admin/install-game", NULL, w->tok, NULL, NULL, 0, NULL,
		       &r);
		wt_resp_fini(&r);
	}
	return NULL;
}

/* Both server threads blocked (on the database's write lock): no ping;
 * once they are free, the pings come back. */
START_TEST(watchdog_wedged)
{
	struct strbuf sb;
	struct wedger w = {0};
	pthread_t th[4];
	int64_t uid;

	strbuf_init(&sb);
	start_watched(NULL, &sb);
	uid = wt_user(&t, "root", "password-root", true);
	w.tok = wt_token(&t, uid);
	tu_db_exec(t.db, "BEGIN IMMEDIATE");
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, wedge, &w), 0);
	/* Let a ping already on its way arrive, then none for 3 s: all
	 * within the first requests' 5 s of waiting. */
	notify_read(notify_fd, &sb, 1000, NULL);
	strbuf_reset(&sb);
	notify_read(notify_fd, &sb, 3000, "WATCHDOG=1");
	ck_assert_msg(!sb.len || !strstr(sb.buf, "WATCHDOG=1"), "pinged while wedged: %s", sb.buf);
	w.stop = 1;
	tu_db_exec(t.db, "ROLLBACK");
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	notify_read(notify_fd, &sb, 10000, "WATCHDOG=1");
	ck_assert_msg(sb.len && strstr(sb.buf, "WATCHDOG=1"), "no ping after: %s",
		      sb.len ? sb.buf : "");
	free(w.tok);
	strbuf_fini(&sb);
	stop_watched();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("left4me-web connections");
	TCase *tc = tcase_create("conns");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, cap_follows_nofile);
	tcase_add_test(tc, nofile_too_low);
	tcase_add_test(tc, header_deadline);
	tcase_add_test(tc, body_deadline);
	tcase_add_test(tc, watchdog_full_table);
	tcase_add_test(tc, watchdog_wedged);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
