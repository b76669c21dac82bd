/* The HTML layout shared by every page (pages.c). */
#ifndef LEFT4ME_WEB_PAGES_H
#define LEFT4ME_WEB_PAGES_H

#include "html.h"
#include "web.h"

/* <!doctype> .. <main>; nav only when logged in. */
void page_begin(struct req *r, struct html *h, const char *title);
/* </main> .. </html>, then queue it with status. */
int page_finish(struct req *r, struct html *h, unsigned status);
/* The error page with status and msg; a 401 to a GET instead sends the
 * browser to the login form. */
int page_error(struct req *r, unsigned status, const char *msg);
/* A hidden csrf_token input for the session's forms. */
void page_csrf_input(struct req *r, struct html *h);
/* A one-button POST form (with CSRF token) to the URL html_printf makes
 * of action_fmt and what follows. */
void page_button(struct req *r, struct html *h, const char *label, const char *cls,
		 const char *action_fmt, ...);

#endif
