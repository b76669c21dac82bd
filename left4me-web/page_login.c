/* The login form, logging in and out: pages over session.c. */
#include "page_login.h"

#include <stdio.h>
#include <stdlib.h>

#include "page.h"
#include "session.h"

/* The login form with status, an optional error msg and the name to fill
 * in again. */
static int login_page(struct req *r, unsigned status, const char *msg, const char *username)
{
	struct html h;
	char *token = session_login_form_token(r);

	html_init(&h);
	page_begin(r, &h, "Log in");
	html_printf(&h, "<section class=\"login card\"><h1>left4me</h1>");
	if (msg)
		html_printf(&h, "<p class=\"error\" role=\"alert\">%s</p>", msg);
	html_printf(&h,
		    "<form method=\"post\" action=\"/login\">"
		    "<input type=\"hidden\" name=\"csrf_token\" value=\"%a\">"
		    "<label>Username <input name=\"username\" autocomplete=\"username\" "
		    "required autofocus value=\"%a\"></label>"
		    "<label>Password <input name=\"password\" type=\"password\" "
		    "autocomplete=\"current-password\" required></label>"
		    "<button type=\"submit\" class=\"primary\">Log in</button></form></section>",
		    token, username ? username : "");
	free(token);
	return page_finish(r, &h, status);
}

int page_login_form(struct req *r)
{
	if (r->authed)
		return web_redirect(r, "/");
	return login_page(r, 200, NULL, NULL);
}

int page_login(struct req *r)
{
	const char *name = web_param(r, "username"), *pw = web_param(r, "password");
	char msg[128];

	switch (session_login(r, name, pw)) {
	case SESSION_LOGIN_OK:
		return web_redirect(r, "/");
	case SESSION_LOGIN_CSRF:
		return web_error(r, 403, "missing or wrong CSRF token");
	case SESSION_LOGIN_INCOMPLETE:
		return login_page(r, 400, "Enter a username and a password.", NULL);
	case SESSION_LOGIN_THROTTLED:
		/* r->retry_after is also sent as the Retry-After header. */
		snprintf(msg, sizeof(msg),
			 "Too many failed logins from your address. Try again in %u second%s.",
			 r->retry_after, r->retry_after == 1 ? "" : "s");
		return login_page(r, 429, msg, name);
	case SESSION_LOGIN_WRONG:
		return login_page(r, 401, "Wrong username or password.", name);
	case SESSION_LOGIN_UNAVAILABLE:
		break;
	}
	return web_error(r, 503, "cannot create a session now");
}

int page_logout(struct req *r)
{
	session_logout(r);
	return web_redirect(r, "/login");
}
