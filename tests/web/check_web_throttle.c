/* left4me-web's login throttle and trusted proxies (issue 11), against the
 * real daemon: ten wrong passwords from one address do not stop the owner
 * logging in from another; a throttled attempt is a 429 with Retry-After
 * and the password unread; the per-address count spans accounts; behind
 * web.trusted_proxies the X-Forwarded-For client is who is throttled and
 * audited (right-most untrusted, a bad header falls back to the peer, an
 * untrusted peer's header is ignored); /metrics needs an admin once a
 * proxy is trusted.  Every address is a loopback one: requests bind their
 * own 127.0.0.x (webtest.h's src). */
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "testutil.h"
#include "webtest.h"
#include "xalloc.h"

#define FORM "application/x-www-form-urlencoded"

static struct wt t;

/* Delays long enough that no test outruns one by accident. */
#define THROTTLE                                                                                   \
	"  login_max_failures: 3\n  login_ip_max_failures: 6\n  login_delay: 600\n"                \
	"  login_max_delay: 3600\n"

static void start_direct(void)
{
	wt_start(&t, THROTTLE);
}

static void start_proxied(void)
{
	wt_start(&t, THROTTLE "  trusted_proxies:\n    - 127.0.0.1\n    - 127.0.9.0/24\n");
}

static void stop(void)
{
	wt_stop(&t);
}

static long long count(const char *sql)
{
	return tu_db_int(t.db, sql);
}

/* A login through the form as user/pw; the POST's answer in out. */
static void login(const char *user, const char *pw, struct wt_resp *out)
{
	struct wt_resp r;
	char *csrf, *pre, *form, *p;

	wt_req(&t, "GET", "/login", NULL, NULL, NULL, NULL, 0, NULL, &r);
	csrf = wt_csrf_from(r.body);
	p = strstr(r.headers, "l4m_login=");
	ck_assert(csrf && p);
	pre = xstrndup(p, strcspn(p, ";\r\n"));
	wt_resp_fini(&r);
	form = xasprintf("username=%s&password=%s&csrf_token=%s", user, pw, csrf);
	wt_req(&t, "POST", "/login", pre, NULL, FORM, form, strlen(form), NULL, out);
	free(form);
	free(pre);
	free(csrf);
}

static long login_status(const char *user, const char *pw)
{
	struct wt_resp r;
	long status;

	login(user, pw, &r);
	status = r.status;
	wt_resp_fini(&r);
	return status;
}

/* The address of the last login audited. */
static char *last_login_ip(void)
{
	sqlite3_stmt *st;
	char *ip = NULL;

	ck_assert_int_eq(sqlite3_prepare_v2(t.db,
					    "SELECT detail FROM audit_log WHERE action = 'login' "
					    "ORDER BY id DESC LIMIT 1",
					    -1, &st, NULL),
			 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		ip = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	ck_assert_ptr_nonnull(ip);
	return ip;
}

static void assert_last_login_ip(const char *want)
{
	char *ip = last_login_ip();

	ck_assert_str_eq(ip, want);
	free(ip);
}

/* ---- no trusted proxy ------------------------------------------------------ */

/* Today's main: ten failures for an account lock it from everywhere. */
START_TEST(owner_not_locked_out)
{
	struct wt_resp r;
	char *ra;
	int i;

	wt_user(&t, "root", "password-root", true);
	t.src = "127.0.0.2";
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(login_status("root", "wrong-password"), 401);
	for (i = 3; i < 10; i++) {
		login("root", "wrong-password", &r);
		ck_assert_int_eq(r.status, 429);
		ra = wt_header(&r, "Retry-After");
		ck_assert_ptr_nonnull(ra);
		ck_assert_int_ge(atoi(ra), 590);
		ck_assert_int_le(atoi(ra), 600);
		ck_assert_ptr_nonnull(strstr(r.body, "Too many failed logins"));
		ck_assert_ptr_nonnull(strstr(r.body, "Try again in"));
		free(ra);
		wt_resp_fini(&r);
	}
	/* Throttled: even the right password is not looked at. */
	ck_assert_int_eq(login_status("root", "password-root"), 429);
	ck_assert_int_eq(count("SELECT count(*) FROM sessions"), 0);
	/* The owner, elsewhere, logs in at once. */
	t.src = "127.0.0.3";
	ck_assert_int_eq(login_status("root", "password-root"), 303);
	assert_last_login_ip("127.0.0.3");
}
END_TEST

/* The per-address count spans accounts (password spraying), and a
 * success to one's own account does not reset it. */
START_TEST(address_count_spans_accounts)
{
	const char *users[] = {"alice", "bob", "carol"};
	int i;

	for (i = 0; i < 3; i++) {
		char pw[32];

		snprintf(pw, sizeof(pw), "password-%s", users[i]);
		wt_user(&t, users[i], pw, false);
	}
	wt_user(&t, "dave", "password-dave", false);
	t.src = "127.0.0.4";
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(login_status(users[i % 3], "wrong-password"), 401);
		if (i == 2) /* below every limit: one's own login works, counts stay */
			ck_assert_int_eq(login_status("alice", "password-alice"), 303);
	}
	ck_assert_int_eq(login_status("dave", "password-dave"), 429);
	t.src = "127.0.0.5";
	ck_assert_int_eq(login_status("dave", "password-dave"), 303);
}
END_TEST

START_TEST(metrics_open_on_loopback)
{
	struct wt_resp r;

	t.src = "127.0.0.6";
	wt_get(&t, NULL, "/metrics", &r);
	ck_assert_int_eq(r.status, 200);
	wt_resp_fini(&r);
	/* Without a trusted proxy a forwarded header changes nothing. */
	t.header = "X-Forwarded-For: 127.0.0.77";
	wt_get(&t, NULL, "/metrics", &r);
	ck_assert_int_eq(r.status, 200);
	wt_resp_fini(&r);
}
END_TEST

/* ---- behind a trusted proxy ------------------------------------------------ */

/* Today's main: behind a proxy every client is the proxy, and ten
 * failures lock everyone out. */
START_TEST(forwarded_client_is_throttled)
{
	int i;

	wt_user(&t, "root", "password-root", true);
	t.src = "127.0.0.1";
	t.header = "X-Forwarded-For: 127.0.0.7";
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(login_status("root", "wrong-password"), 401);
	ck_assert_int_eq(login_status("root", "password-root"), 429);
	/* Another client through the same proxy. */
	t.header = "X-Forwarded-For: 127.0.0.8";
	ck_assert_int_eq(login_status("root", "password-root"), 303);
	assert_last_login_ip("127.0.0.8");
	/* The right-most address that is not a trusted proxy; what the
	 * client wrote left of it is not read. */
	t.header = "X-Forwarded-For: not-an-address, 127.0.0.66, 127.0.0.9, 127.0.9.5";
	ck_assert_int_eq(login_status("root", "password-root"), 303);
	assert_last_login_ip("127.0.0.9");
	/* Several headers are one list, in order (webtest sends the extra
	 * line first, then t.header): the last header's address wins. */
	t.header = "X-Forwarded-For: 127.0.0.10";
	{
		struct wt_resp r;
		char *csrf, *pre, *form, *p;

		wt_req(&t, "GET", "/login", NULL, NULL, NULL, NULL, 0, NULL, &r);
		csrf = wt_csrf_from(r.body);
		p = strstr(r.headers, "l4m_login=");
		ck_assert(csrf && p);
		pre = xstrndup(p, strcspn(p, ";\r\n"));
		wt_resp_fini(&r);
		form = xasprintf("username=root&password=password-root&csrf_token=%s", csrf);
		wt_req(&t, "POST", "/login", pre, NULL, FORM, form, strlen(form),
		       "X-Forwarded-For: 127.0.0.11", &r);
		ck_assert_int_eq(r.status, 303);
		wt_resp_fini(&r);
		free(form);
		free(pre);
		free(csrf);
	}
	assert_last_login_ip("127.0.0.10");
	/* The throttled client stays throttled. */
	t.header = "X-Forwarded-For: 127.0.0.7";
	ck_assert_int_eq(login_status("root", "password-root"), 429);
}
END_TEST

/* A peer that is not a trusted proxy cannot pick its address. */
START_TEST(untrusted_peer_cannot_forward)
{
	char hdr[64];
	int i;

	wt_user(&t, "root", "password-root", true);
	t.src = "127.0.0.2";
	for (i = 0; i < 4; i++) {
		snprintf(hdr, sizeof(hdr), "X-Forwarded-For: 127.0.0.%d", 20 + i);
		t.header = hdr;
		ck_assert_int_eq(login_status("root", "wrong-password"), i < 3 ? 401 : 429);
	}
	t.src = "127.0.0.3";
	t.header = "X-Forwarded-For: 127.0.0.2";
	ck_assert_int_eq(login_status("root", "password-root"), 303);
	assert_last_login_ip("127.0.0.3");
}
END_TEST

/* A trusted proxy's bad or missing header: the proxy's own address. */
START_TEST(bad_forwarded_header_falls_back)
{
	static const char *bad[] = {"X-Forwarded-For: 127.0.0.7, garbage",
				    "X-Forwarded-For: 127.0.0.300", "X-Forwarded-For: ", NULL};
	int i;

	wt_user(&t, "root", "password-root", true);
	t.src = "127.0.0.1";
	for (i = 0; i < 4; i++) {
		t.header = bad[i];
		ck_assert_int_eq(login_status("root", "password-root"), 303);
		assert_last_login_ip("127.0.0.1");
	}
	/* A proxy in a trusted block counts too. */
	t.src = "127.0.9.3";
	t.header = "X-Forwarded-For: 127.0.0.12";
	ck_assert_int_eq(login_status("root", "password-root"), 303);
	assert_last_login_ip("127.0.0.12");
}
END_TEST

/* Behind a proxy on this host every client is a loopback peer: /metrics
 * then needs an admin session or an admin API token. */
START_TEST(metrics_needs_admin_behind_proxy)
{
	int64_t admin = wt_user(&t, "root", "password-root", true);
	int64_t user = wt_user(&t, "alice", "password-alice", false);
	char *atok = wt_token(&t, admin), *utok = wt_token(&t, user);
	struct wt_session s;
	struct wt_resp r;

	/* Unauthenticated: a page's 401 is a redirect to the login form. */
	t.src = "127.0.0.1";
	wt_get(&t, NULL, "/metrics", &r);
	ck_assert_int_eq(r.status, 303);
	ck_assert_ptr_null(strstr(r.body, "left4me_web_requests_total"));
	wt_resp_fini(&r);
	t.src = "127.0.0.6"; /* not a proxy, still loopback */
	wt_get(&t, NULL, "/metrics", &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	wt_req(&t, "GET", "/metrics", NULL, utok, NULL, NULL, 0, NULL, &r);
	ck_assert_int_eq(r.status, 403);
	wt_resp_fini(&r);
	wt_req(&t, "GET", "/metrics", NULL, atok, NULL, NULL, 0, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "left4me_web_requests_total"));
	wt_resp_fini(&r);
	ck_assert_int_eq(wt_login(&t, "root", "password-root", &s), 303);
	wt_get(&t, &s, "/metrics", &r);
	ck_assert_int_eq(r.status, 200);
	wt_resp_fini(&r);
	free(atok);
	free(utok);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("web throttle");
	TCase *direct = tcase_create("direct"), *proxied = tcase_create("proxied");

	curl_global_init(CURL_GLOBAL_ALL);
	tcase_set_timeout(direct, 60);
	tcase_add_checked_fixture(direct, start_direct, stop);
	tcase_add_test(direct, owner_not_locked_out);
	tcase_add_test(direct, address_count_spans_accounts);
	tcase_add_test(direct, metrics_open_on_loopback);
	suite_add_tcase(s, direct);
	tcase_set_timeout(proxied, 60);
	tcase_add_checked_fixture(proxied, start_proxied, stop);
	tcase_add_test(proxied, forwarded_client_is_throttled);
	tcase_add_test(proxied, untrusted_peer_cannot_forward);
	tcase_add_test(proxied, bad_forwarded_header_falls_back);
	tcase_add_test(proxied, metrics_needs_admin_behind_proxy);
	suite_add_tcase(s, proxied);
	return tu_main(s);
}
