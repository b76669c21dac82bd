/* Who is asking; see session.h.  The cost of a login does not reveal
 * whether the user exists. */
#include "session.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "cache.h"
#include "db.h"
#include "db_session.h"
#include "db_user.h"
#include "log.h"
#include "netaddr.h"
#include "ratelimit.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

/* ---- authentication of a request ----------------------------------------- */

void session_authenticate(struct req *r)
{
	const char *authz = web_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *cookie;
	char hash[AUTH_SHA256_HEX + 1];
	uint64_t gen;

	if (authz && strncasecmp(authz, "Bearer ", 7) == 0) {
		const char *tok = authz + 7;

		if (strlen(tok) != AUTH_API_TOKEN_LEN)
			return;
		auth_sha256_hex(tok, hash);
		if (db_token_lookup(web_db(r), hash, &r->user, &r->token_id) == DB_OK) {
			r->authed = true;
			r->via_token = true;
		} else {
			user_fini(&r->user);
		}
		return;
	}
	cookie = web_cookie(r, SESSION_COOKIE);
	if (!cookie || strlen(cookie) != AUTH_TOKEN_HEX)
		return;
	auth_sha256_hex(cookie, hash);
	gen = atomic_load(&r->w->generation);
	if (cache_session_get(r->w->cache, gen, hash, &r->sess, &r->user)) {
		r->authed = true;
	} else if (db_session_lookup(web_db(r), hash, &r->sess, &r->user) == DB_OK) {
		r->authed = true;
		cache_session_put(r->w->cache, gen, hash, &r->sess, &r->user);
	} else {
		user_fini(&r->user);
	}
}

bool session_csrf_ok(struct req *r)
{
	const char *tok = web_param(r, "csrf_token");

	if (r->via_token)
		return true; /* a Bearer token is not sent by browsers on their own */
	if (!tok)
		tok = web_header(r, "X-CSRF-Token");
	return tok && r->sess.csrf_token[0] && auth_ct_streq(tok, r->sess.csrf_token);
}

/* A Set-Cookie value for name (new string); max_age 0 deletes it. */
static char *cookie_header(struct web *w, const char *name, const char *value, int max_age)
{
	return xasprintf("%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Strict%s", name, value,
			 max_age, w->cfg->web.secure_cookies ? "; Secure" : "");
}

/* ---- pre-login CSRF: nonce "." HMAC-SHA256(secret, "login:" nonce) -------- */

static void login_mac(struct web *w, const char *nonce, char out[65])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char *msg = xasprintf("login:%s", nonce);
	unsigned i;

	HMAC(EVP_sha256(), w->secret, (int)w->secret_len, (const unsigned char *)msg, strlen(msg),
	     mac, &maclen);
	free(msg);
	for (i = 0; i < 32 && i < maclen; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	out[64] = '\0';
}

char *session_login_form_token(struct req *r)
{
	char nonce[AUTH_TOKEN_HEX + 1], mac[65];

	if (auth_random_hex(nonce) < 0)
		fatal("getrandom failed");
	login_mac(r->w, nonce, mac);
	free(r->set_cookie[1]);
	r->set_cookie[1] = cookie_header(r->w, LOGIN_COOKIE, nonce, 3600);
	return xasprintf("%s.%s", nonce, mac);
}

/* true if the login form's csrf_token matches its l4m_login cookie. */
static bool login_csrf_ok(struct req *r)
{
	const char *tok = web_param(r, "csrf_token");
	const char *cookie = web_cookie(r, LOGIN_COOKIE);
	char nonce[AUTH_TOKEN_HEX + 1], mac[65];

	if (!tok || !cookie || strlen(tok) != 2 * AUTH_TOKEN_HEX + 1 || tok[64] != '.' ||
	    strlen(cookie) != AUTH_TOKEN_HEX)
		return false;
	memcpy(nonce, tok, AUTH_TOKEN_HEX);
	nonce[AUTH_TOKEN_HEX] = '\0';
	if (!auth_ct_streq(nonce, cookie))
		return false;
	login_mac(r->w, nonce, mac);
	return auth_ct_streq(tok + 65, mac);
}

/* ---- login and logout -------------------------------------------------------- */

/* The throttle's keys for a login from r as name: "a:ADDR" for the
 * address, any account, and "u:ADDR NAME" for the address with that
 * account.  An IPv6 address counts by its /64: one host usually has a
 * whole /64 to pick addresses from. */
static void throttle_keys(struct req *r, const char *name, char *ipkey, size_t iplen, char *userkey,
			  size_t userlen)
{
	struct netaddr a;
	char addr[sizeof(r->ip) + 4];

	snprintf(addr, sizeof(addr), "%s", r->ip);
	if (netaddr_parse(r->ip, strlen(r->ip), &a) == 0 && a.family == AF_INET6) {
		memset(a.addr + 8, 0, 8);
		netaddr_format(&a, addr, NETADDR_TEXT_MAX);
		strcat(addr, "/64");
	}
	snprintf(ipkey, iplen, "a:%s", addr);
	snprintf(userkey, userlen, "u:%s %.64s", addr, name);
}

/* The wait before a login from r as name may be tried (ms, 0: none): the
 * longer of its address's and its (address, account)'s.  No limit is per
 * account alone: docs/SECURITY.md says why. */
static int64_t throttle_wait(struct req *r, const char *ipkey, const char *userkey, int64_t now)
{
	const struct config *cfg = r->w->cfg;
	struct rl_policy ip = {cfg->web.login_ip_max_failures, (int64_t)cfg->web.login_delay * 1000,
			       (int64_t)cfg->web.login_max_delay * 1000};
	struct rl_policy user = ip;
	int64_t a, b;

	user.free = cfg->web.login_max_failures;
	a = ratelimit_wait(r->w->rl, ipkey, &ip, now);
	b = ratelimit_wait(r->w->rl, userkey, &user, now);
	return a > b ? a : b;
}

enum session_login session_login(struct req *r, const char *name, const char *pw)
{
	const struct config *cfg = r->w->cfg;
	char ipkey[sizeof(r->ip) + 8], userkey[sizeof(r->ip) + 80], hash[AUTH_SHA256_HEX + 1],
	    token[AUTH_TOKEN_HEX + 1], csrf[AUTH_TOKEN_HEX + 1], esc[80];
	const char *old;
	struct user u;
	bool ok = false;
	int64_t wait;
	int rc;

	if (!login_csrf_ok(r))
		return SESSION_LOGIN_CSRF;
	if (!name || !pw)
		return SESSION_LOGIN_INCOMPLETE;
	throttle_keys(r, name, ipkey, sizeof(ipkey), userkey, sizeof(userkey));
	/* Limits before any password work (and before telling anything). */
	wait = throttle_wait(r, ipkey, userkey, mono_ms());
	if (wait > 0) {
		r->retry_after = (unsigned)((wait + 999) / 1000);
		log_notice("login: throttled for %us ip=%s user=%s", r->retry_after, r->ip,
			   log_escape(esc, sizeof(esc), name, strlen(name)));
		return SESSION_LOGIN_THROTTLED;
	}
	memset(&u, 0, sizeof(u));
	rc = valid_username(name) ? db_user_get_by_name(web_db(r), name, &u) : DB_NOTFOUND;
	if (rc == DB_OK && !u.disabled)
		ok = auth_verify_password(pw, u.password_hash);
	else
		auth_dummy_verify(pw); /* the same cost as a wrong password */
	if (!ok) {
		ratelimit_fail(r->w->rl, ipkey, mono_ms());
		ratelimit_fail(r->w->rl, userkey, mono_ms());
		log_notice("login: failed ip=%s user=%s", r->ip,
			   log_escape(esc, sizeof(esc), name, strlen(name)));
		user_fini(&u);
		return SESSION_LOGIN_WRONG;
	}
	/* The address's count stays: a login to one's own account must not
	 * buy more guesses at others'. */
	ratelimit_clear(r->w->rl, userkey);
	/* Rotate: the old session (if any) goes, a new one is made. */
	old = web_cookie(r, SESSION_COOKIE);
	if (old && strlen(old) == AUTH_TOKEN_HEX) {
		auth_sha256_hex(old, hash);
		(void)db_session_delete(web_db(r), hash);
	}
	if (auth_random_hex(token) < 0 || auth_random_hex(csrf) < 0)
		fatal("getrandom failed");
	auth_sha256_hex(token, hash);
	rc = db_session_create(web_db(r), u.id, hash, csrf, (int64_t)cfg->web.session_ttl * 1000,
			       NULL);
	if (rc != DB_OK) {
		user_fini(&u);
		return SESSION_LOGIN_UNAVAILABLE;
	}
	(void)db_audit(web_db(r), u.id, u.name, "login", "", r->ip);
	log_info("login: user=%s ip=%s", u.name, r->ip);
	user_fini(&u);
	r->set_cookie[0] = cookie_header(r->w, SESSION_COOKIE, token, cfg->web.session_ttl);
	free(r->set_cookie[1]);
	r->set_cookie[1] = cookie_header(r->w, LOGIN_COOKIE, "", 0);
	explicit_bzero(token, sizeof(token));
	return SESSION_LOGIN_OK;
}

void session_logout(struct req *r)
{
	const char *cookie = web_cookie(r, SESSION_COOKIE);
	char hash[AUTH_SHA256_HEX + 1];

	if (cookie && strlen(cookie) == AUTH_TOKEN_HEX) {
		auth_sha256_hex(cookie, hash);
		if (db_session_delete(web_db(r), hash) == DB_OK && r->authed)
			(void)db_audit(web_db(r), r->user.id, r->user.name, "logout", "", r->ip);
	}
	free(r->set_cookie[0]);
	r->set_cookie[0] = cookie_header(r->w, SESSION_COOKIE, "", 0);
}
