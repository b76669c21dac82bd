/* left4me-web's live streams (SSE) and who may keep them: a user's
 * streams are capped (web.max_streams_per_user, 429 beyond), and a stream
 * ends at logout, when its API token is revoked, when its user is
 * disabled or deleted, when the streamed
 * object is deleted and when it changes owner (hub.h, hub_claim).  Raw
 * HTTP/1.0 over loopback, so the events arrive unchunked. */
#include <check.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "db_user.h"
#include "strbuf.h"
#include "testutil.h"
#include "timeutil.h"
#include "webtest.h"
#include "xalloc.h"

static struct wt t;

static void start(void)
{
	wt_start(&t, "  max_streams_per_user: 3\n");
}

static void stop(void)
{
	wt_stop(&t);
}

struct stream {
	int fd;
	struct strbuf got;
	bool eof;
};

/* Open path with one header line (auth: "Authorization: Bearer X" or
 * "Cookie: ..."). */
static void stream_open(struct stream *s, const char *path, const char *auth)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)t.port)};
	char *req = xasprintf("GET %s HTTP/1.0\r\nHost: x\r\n%s\r\n\r\n", path, auth);

	memset(s, 0, sizeof(*s));
	strbuf_init(&s->got);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s->fd, 0);
	ck_assert_int_eq(connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(send(s->fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	free(req);
}

/* Read until needle is in what came (NULL: until the end), for up to ms. */
static bool stream_wait(struct stream *s, const char *needle, int ms)
{
	int64_t deadline = mono_ms() + ms;

	for (;;) {
		struct pollfd p = {.fd = s->fd, .events = POLLIN};
		char buf[4096];
		int64_t left;
		ssize_t n;

		if (needle && s->got.len && strstr(s->got.buf, needle))
			return true;
		if (s->eof)
			return !needle;
		left = deadline - mono_ms();
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return false;
		n = recv(s->fd, buf, sizeof(buf), 0);
		if (n <= 0)
			s->eof = true;
		else
			strbuf_append(&s->got, buf, (size_t)n);
	}
}

static void stream_close(struct stream *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	strbuf_fini(&s->got);
}

/* An open stream: its 200 is in. */
static void stream_ok(struct stream *s, const char *path, const char *auth)
{
	stream_open(s, path, auth);
	ck_assert_msg(stream_wait(s, " 200 ", 5000), "no 200: %s", s->got.len ? s->got.buf : "");
}

/* The stream ends with "event: end" and data why, then EOF. */
static void stream_ends(struct stream *s, const char *why)
{
	char *want = xasprintf("event: end\ndata: %s\n\n", why);

	ck_assert_msg(stream_wait(s, want, 5000), "no '%s' end: %s", why,
		      s->got.len ? s->got.buf : "");
	ck_assert_msg(stream_wait(s, NULL, 5000), "the stream did not close");
	free(want);
}

static char *bearer(int64_t uid)
{
	char *tok = wt_token(&t, uid), *h = xasprintf("Authorization: Bearer %s", tok);

	free(tok);
	return h;
}

static void job_of(int64_t uid)
{
	char *sql = xasprintf("INSERT INTO jobs (kind, target, user_id, queue, created_at) VALUES "
			      "('install_game', '', %lld, 'worker', 1)",
			      (long long)uid);

	tu_db_exec(t.db, sql);
	free(sql);
}

/* Three streams per user here: the fourth gets a 429 naming the key, and
 * another user is not affected; once one closes, a new one opens. */
START_TEST(per_user_cap)
{
	int64_t a = wt_user(&t, "alice", "password-alice", false);
	int64_t b = wt_user(&t, "bob", "password-bob", false);
	char *ha = bearer(a), *hb = bearer(b);
	struct stream s[3], extra, other;
	int64_t deadline;
	bool opened = false;

	job_of(a);
	job_of(b);
	for (int i = 0; i < 3; i++)
		stream_ok(&s[i], "/api/v1/jobs/1/events", ha);
	stream_open(&extra, "/api/v1/jobs/1/events", ha);
	ck_assert(stream_wait(&extra, NULL, 5000));
	ck_assert_msg(strstr(extra.got.buf, " 429 "), "not a 429: %s", extra.got.buf);
	ck_assert_ptr_nonnull(strstr(extra.got.buf, "web.max_streams_per_user"));
	stream_close(&extra);
	stream_ok(&other, "/api/v1/jobs/2/events", hb);
	stream_close(&other);
	/* A suspended stream sees its client gone at its next write: a new
	 * log line makes one. */
	stream_close(&s[0]);
	deadline = mono_ms() + 20000;
	while (!opened && mono_ms() < deadline) {
		tu_db_exec(t.db, "INSERT INTO job_log (job_id, ts, stream, line) "
				 "VALUES (1, 1, 'stdout', 'wake')");
		stream_open(&extra, "/api/v1/jobs/1/events", ha);
		ck_assert(stream_wait(&extra, " 20", 5000) || stream_wait(&extra, " 429 ", 10));
		opened = strstr(extra.got.buf, " 200 ") != NULL;
		stream_close(&extra);
	}
	ck_assert_msg(opened, "no stream after one was closed");
	stream_close(&s[1]);
	stream_close(&s[2]);
	free(ha);
	free(hb);
}
END_TEST

/* A stream seen through a session ends when that session logs out. */
START_TEST(ends_at_logout)
{
	int64_t a = wt_user(&t, "alice", "password-alice", false);
	struct wt_session ws;
	struct wt_resp r;
	struct stream s;
	char *cookie;

	job_of(a);
	ck_assert_int_eq(wt_login(&t, "alice", "password-alice", &ws), 303);
	cookie = xasprintf("Cookie: %s", ws.cookie);
	stream_ok(&s, "/api/v1/jobs/1/events", cookie);
	wt_post(&t, &ws, "/logout", "", true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	stream_ends(&s, "logged out");
	stream_close(&s);
	free(cookie);
}
END_TEST

/* A disabled user's streams end (an API token's too: no session); so do
 * a deleted user's. */
START_TEST(ends_when_user_disabled_or_deleted)
{
	int64_t a = wt_user(&t, "alice", "password-alice", false);
	int64_t b = wt_user(&t, "bob", "password-bob", false);
	char *ha = bearer(a), *hb = bearer(b);
	struct stream sa, sb;

	tu_db_exec(t.db, "INSERT INTO jobs (kind, target, user_id, queue, created_at) VALUES "
			 "('install_game', '', NULL, 'worker', 1)"); /* a system job */
	stream_ok(&sa, "/api/v1/jobs/1/events", ha);
	stream_ok(&sb, "/api/v1/jobs/1/events", hb);
	ck_assert_int_eq(db_user_set_disabled(t.db, a, true), DB_OK);
	stream_ends(&sa, "user disabled");
	tu_db_exec(t.db, "DELETE FROM users WHERE name = 'bob'");
	stream_ends(&sb, "user deleted");
	stream_close(&sa);
	stream_close(&sb);
	free(ha);
	free(hb);
}
END_TEST

/* A deleted job's stream ends with "deleted" (it said "cancelled"). */
START_TEST(ends_when_object_deleted)
{
	int64_t a = wt_user(&t, "alice", "password-alice", false);
	char *ha = bearer(a);
	struct stream s;

	job_of(a);
	tu_db_exec(t.db,
		   "INSERT INTO job_log (job_id, ts, stream, line) VALUES (1, 1, 'step', 'x')");
	stream_ok(&s, "/api/v1/jobs/1/events", ha);
	ck_assert(stream_wait(&s, "data: x", 5000));
	tu_db_exec(t.db, "DELETE FROM jobs WHERE id = 1");
	stream_ends(&s, "deleted");
	stream_close(&s);
	free(ha);
}
END_TEST

/* A job or server given to another user: the old owner's streams end,
 * an admin's stay. */
START_TEST(ends_when_owner_changes)
{
	int64_t a = wt_user(&t, "alice", "password-alice", false);
	int64_t b = wt_user(&t, "bob", "password-bob", false);
	int64_t root = wt_user(&t, "root", "password-root", true);
	char *ha = bearer(a), *hr = bearer(root), *jd = xasprintf("%s/journal", t.dir);
	struct stream job, console, admin;

	(void)b;
	mkdir(jd, 0755);
	job_of(a);
	tu_db_exec(t.db, "INSERT INTO blueprints (user_id, name, created_at, updated_at) "
			 "VALUES (1, 'bp', 1, 1)");
	tu_db_exec(t.db, "INSERT INTO servers (name, user_id, blueprint_id, port, created_at, "
			 "updated_at) VALUES ('alpha', 1, 1, 27015, 1, 1)");
	stream_ok(&job, "/api/v1/jobs/1/events", ha);
	stream_ok(&console, "/api/v1/servers/alpha/console", ha);
	stream_ok(&admin, "/api/v1/jobs/1/events", hr);
	tu_db_exec(t.db, "UPDATE jobs SET user_id = 2 WHERE id = 1");
	stream_ends(&job, "access revoked");
	tu_db_exec(t.db, "UPDATE servers SET user_id = 2 WHERE name = 'alpha'");
	stream_ends(&console, "access revoked");
	ck_assert(!stream_wait(&admin, "event: end", 500));
	stream_close(&job);
	stream_close(&console);
	stream_close(&admin);
	free(ha);
	free(hr);
	free(jd);
}
END_TEST

/* A stream opened with an API token ends when that token is revoked
 * (through the API here, through the tokens page below); the user's
 * other token and its stream live on.  Another user cannot revoke it. */
START_TEST(ends_when_token_revoked)
{
	int64_t a = wt_user(&t, "alice", "password-alice", false);
	int64_t b = wt_user(&t, "bob", "password-bob", false);
	char *t1 = wt_token(&t, a), *t2 = wt_token(&t, a), *tb = wt_token(&t, b);
	char *h1 = xasprintf("Authorization: Bearer %s", t1);
	char *h2 = xasprintf("Authorization: Bearer %s", t2);
	struct wt_session ws;
	struct wt_resp r;
	struct stream s1, s2;

	job_of(a); /* tokens 1 and 2 are alice's, 3 bob's */
	stream_ok(&s1, "/api/v1/jobs/1/events", h1);
	stream_ok(&s2, "/api/v1/jobs/1/events", h2);
	wt_req(&t, "DELETE", "/api/v1/tokens/1", NULL, tb, NULL, NULL, 0, NULL, &r);
	ck_assert_int_eq(r.status, 404); /* not bob's */
	wt_resp_fini(&r);
	wt_req(&t, "GET", "/api/v1/tokens", NULL, t2, NULL, NULL, 0, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(strstr(r.body, "\"id\":1,") && strstr(r.body, "\"id\":2,") &&
			  !strstr(r.body, "\"id\":3,") && strstr(r.body, "\"current\":true"),
		      "token list: %s", r.body);
	ck_assert_ptr_null(strstr(r.body, t1)); /* never a token's value */
	wt_resp_fini(&r);
	wt_req(&t, "DELETE", "/api/v1/tokens/1", NULL, t2, NULL, NULL, 0, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	wt_resp_fini(&r);
	stream_ends(&s1, "token revoked");
	ck_assert(!stream_wait(&s2, "event: end", 300));
	wt_req(&t, "GET", "/api/v1/jobs", NULL, t1, NULL, NULL, 0, NULL, &r);
	ck_assert_int_eq(r.status, 401);
	wt_resp_fini(&r);
	ck_assert_int_eq(tu_db_int(t.db, "SELECT count(*) FROM audit_log WHERE "
					 "action = 'token_revoke' AND object = '1'"),
			 1);
	/* The tokens page: alice sees her token and revokes it. */
	ck_assert_int_eq(wt_login(&t, "alice", "password-alice", &ws), 303);
	wt_get(&t, &ws, "/tokens", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "action=\"/tokens/2/revoke\""));
	ck_assert_ptr_null(strstr(r.body, "/tokens/1/revoke"));
	ck_assert_ptr_null(strstr(r.body, "/tokens/3/revoke"));
	wt_resp_fini(&r);
	wt_post(&t, &ws, "/tokens/3/revoke", "", true, &r);
	ck_assert_int_eq(r.status, 404);
	wt_resp_fini(&r);
	wt_post(&t, &ws, "/tokens/2/revoke", "", true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	stream_ends(&s2, "token revoked");
	stream_close(&s1);
	stream_close(&s2);
	free(h1);
	free(h2);
	free(t1);
	free(t2);
	free(tb);
}
END_TEST

/* ---- the live state of servers (/api/v1/status/events) ---------------------- */

/* alice's two servers (alpha, beta), bob's one (bobs); no status rows. */
static void servers_of(int64_t alice, int64_t bob)
{
	char *sql = xasprintf(
	    "INSERT INTO blueprints (user_id, name, created_at, updated_at) VALUES "
	    "(%lld, 'coop', 1, 1), (%lld, 'versus', 1, 1);"
	    "INSERT INTO servers (name, user_id, blueprint_id, port, created_at, updated_at) "
	    "VALUES ('alpha', %lld, 1, 27015, 1, 1), ('beta', %lld, 1, 27016, 1, 1), "
	    "('bobs', %lld, 2, 27017, 1, 1)",
	    (long long)alice, (long long)bob, (long long)alice, (long long)alice, (long long)bob);

	tu_db_exec(t.db, sql);
	free(sql);
}

/* A viewer first gets every server of its scope, then only what changes:
 * the state with its label, the map and players while A2S answers, and a
 * server that leaves the scope.  Another user's servers never show. */
START_TEST(status_scope_and_changes)
{
	int64_t a = wt_user(&t, "alice", "password-alice", false);
	int64_t b = wt_user(&t, "bob", "password-bob", false);
	char *ha = bearer(a);
	struct stream s;
	size_t mark;

	servers_of(a, b);
	stream_ok(&s, "/api/v1/status/events", ha);
	ck_assert(stream_wait(&s,
			      "event: status\ndata: {\"server\":\"alpha\",\"state\":\"stopped\","
			      "\"label\":\"stopped\",\"map\":null,\"players\":null,"
			      "\"max_players\":null}\n\n",
			      5000));
	ck_assert(stream_wait(&s, "\"server\":\"beta\"", 5000));
	/* what left4me-status writes when A2S answers */
	mark = s.got.len;
	tu_db_exec(t.db, "INSERT INTO server_status (server_id, live_state, a2s_map, a2s_players, "
			 "a2s_bots, a2s_max_players, a2s_at, updated_at) VALUES "
			 "(1, 'ready', 'c2m1_highway', 3, 0, 8, 1, 1)");
	ck_assert_msg(stream_wait(&s,
				  "data: {\"server\":\"alpha\",\"state\":\"ready\",\"label\":"
				  "\"ready\",\"map\":\"c2m1_highway\",\"players\":3,"
				  "\"max_players\":8}\n\n",
				  5000),
		      "no change: %s", s.got.buf);
	/* a crash loop, then the start limit */
	tu_db_exec(t.db, "UPDATE server_status SET live_state = 'restarting', restarts = 2 "
			 "WHERE server_id = 1");
	ck_assert(stream_wait(&s, "\"label\":\"restarting (2 crashes)\",\"map\":null", 5000));
	tu_db_exec(t.db, "UPDATE server_status SET live_state = 'failed', exit_signal = 11 "
			 "WHERE server_id = 1");
	ck_assert(stream_wait(&s, "\"label\":\"failed (signal 11, SIGSEGV)\"", 5000));
	/* a write that changes nothing shown sends nothing */
	tu_db_exec(t.db, "UPDATE server_status SET updated_at = 99, cpu_nsec = 5 "
			 "WHERE server_id = 1");
	tu_db_exec(t.db, "DELETE FROM servers WHERE name = 'beta'");
	ck_assert(stream_wait(&s, "event: removed\ndata: beta\n\n", 5000));
	{
		/* between the failed and the removed events, nothing about alpha */
		const char *failed = strstr(s.got.buf + mark, "SIGSEGV");
		const char *removed = strstr(s.got.buf + mark, "event: removed");

		ck_assert_ptr_null(memmem(failed, (size_t)(removed - failed), "alpha", 5));
	}
	ck_assert_ptr_null(strstr(s.got.buf, "bobs"));
	stream_close(&s);
	free(ha);
}
END_TEST

/* An admin's stream has every user's servers, and ends when the user is
 * no longer an admin; a status stream counts toward the per-user cap and
 * ends at logout like any other. */
START_TEST(status_admin_and_machinery)
{
	int64_t a = wt_user(&t, "alice", "password-alice", false);
	int64_t root = wt_user(&t, "root", "password-root", true);
	char *hr = bearer(root), *ha = bearer(a), *cookie;
	struct stream s, c[3], extra;
	struct wt_session ws;
	struct wt_resp r;
	char *sql;

	servers_of(a, a);
	stream_ok(&s, "/api/v1/status/events", hr);
	ck_assert(stream_wait(&s, "\"server\":\"bobs\"", 5000));
	ck_assert(stream_wait(&s, "\"server\":\"alpha\"", 5000));
	sql = xasprintf("UPDATE users SET role = 'user' WHERE id = %lld", (long long)root);
	tu_db_exec(t.db, sql);
	free(sql);
	stream_ends(&s, "access revoked");
	stream_close(&s);

	for (int i = 0; i < 3; i++)
		stream_ok(&c[i], "/api/v1/status/events", ha);
	stream_open(&extra, "/api/v1/status/events", ha);
	ck_assert(stream_wait(&extra, NULL, 5000));
	ck_assert_msg(strstr(extra.got.buf, " 429 "), "not a 429: %s", extra.got.buf);
	stream_close(&extra);
	for (int i = 0; i < 3; i++)
		stream_close(&c[i]);

	/* the closed ones go at their next write; then a session's stream */
	ck_assert_int_eq(wt_login(&t, "alice", "password-alice", &ws), 303);
	cookie = xasprintf("Cookie: %s", ws.cookie);
	for (int64_t deadline = mono_ms() + 20000;;) {
		tu_db_exec(t.db, "UPDATE servers SET updated_at = updated_at + 1");
		stream_open(&s, "/api/v1/status/events", cookie);
		ck_assert(stream_wait(&s, " 20", 5000) || stream_wait(&s, " 429 ", 10));
		if (strstr(s.got.buf, " 200 "))
			break;
		stream_close(&s);
		ck_assert_msg(mono_ms() < deadline, "no stream after three were closed");
	}
	ck_assert(stream_wait(&s, "\"server\":\"alpha\"", 5000));
	wt_post(&t, &ws, "/logout", "", true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	stream_ends(&s, "logged out");
	stream_close(&s);
	free(cookie);
	free(hr);
	free(ha);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("left4me-web streams");
	TCase *tc = tcase_create("streams");

	tcase_add_checked_fixture(tc, start, stop);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, per_user_cap);
	tcase_add_test(tc, ends_at_logout);
	tcase_add_test(tc, ends_when_user_disabled_or_deleted);
	tcase_add_test(tc, ends_when_object_deleted);
	tcase_add_test(tc, ends_when_owner_changes);
	tcase_add_test(tc, ends_when_token_revoked);
	tcase_add_test(tc, status_scope_and_changes);
	tcase_add_test(tc, status_admin_and_machinery);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
