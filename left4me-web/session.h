/* Who is asking (left4me-web's auth layer): sessions (cookie l4m_session,
 * stored hashed), API tokens (Bearer, stored hashed), the session's CSRF
 * token, the login form's pre-login signed double-submit token (nonce in
 * the l4m_login cookie, nonce "." HMAC(secret, "login:" nonce) in the
 * form), and logging in and out with the failed-login throttle per client
 * address and per (address, account) (ratelimit.h: growing delays, never
 * a lock).  No HTML: page_login.c draws the
 * form. */
#ifndef LEFT4ME_WEB_SESSION_H
#define LEFT4ME_WEB_SESSION_H

#include <stdbool.h>

#include "web.h"

#define SESSION_COOKIE "l4m_session"
#define LOGIN_COOKIE   "l4m_login"

/* Authenticate r from the Bearer header or the session cookie (the
 * transport's web_hooks.authenticate). */
void session_authenticate(struct req *r);
/* true if the request's csrf_token (form field or X-CSRF-Token header)
 * matches the session's; a Bearer request needs none (web_hooks.csrf_ok). */
bool session_csrf_ok(struct req *r);
/* A new pre-login CSRF token for the login form (new string); sets the
 * l4m_login cookie of r that goes with it. */
char *session_login_form_token(struct req *r);

enum session_login {
	SESSION_LOGIN_OK,	   /* a new session; its cookie is set on r */
	SESSION_LOGIN_CSRF,	   /* the form's token does not match its cookie */
	SESSION_LOGIN_INCOMPLETE,  /* no name or no password */
	SESSION_LOGIN_THROTTLED,   /* too many failures from there (or from there
				    * for name): r->retry_after says how long */
	SESSION_LOGIN_WRONG,	   /* no such user, disabled, or a wrong password */
	SESSION_LOGIN_UNAVAILABLE, /* the session cannot be stored now */
};
/* Check the login form of r (its CSRF token, then name and pw under the
 * throttle, which is asked before the password is looked at) and on
 * success replace any old session with a new one. */
enum session_login session_login(struct req *r, const char *name, const char *pw);
/* End the request's session (if any) and clear its cookie. */
void session_logout(struct req *r);

#endif
