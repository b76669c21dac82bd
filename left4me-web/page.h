/* The renderer kit of the pages (page.c): the layout every page shares,
 * its error page, and the pieces several pages show.  Pages build into a
 * struct html (html.h) and leave through page_finish. */
#ifndef LEFT4ME_WEB_PAGE_H
#define LEFT4ME_WEB_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "db_job.h"
#include "db_server.h"
#include "db_status.h"
#include "html.h"
#include "ops.h"
#include "web.h"

/* <!doctype> .. <main>; nav only when logged in. */
void page_begin(struct req *r, struct html *h, const char *title);
/* </main> .. </html>, then queue it with status. */
int page_finish(struct req *r, struct html *h, unsigned status);
/* The error page with status and msg; a 401 to a GET instead sends the
 * browser to the login form.  The error renderer of page routes. */
int page_error(struct req *r, unsigned status, const char *msg);
/* 303 to the page of job job_id (after queueing it). */
int page_redirect_job(struct req *r, int64_t job_id);
/* A hidden csrf_token input for the session's forms. */
void page_csrf_input(struct req *r, struct html *h);
/* A one-button POST form (with CSRF token) to the URL html_printf makes
 * of action_fmt and what follows. */
void page_button(struct req *r, struct html *h, const char *label, const char *cls,
		 const char *action_fmt, ...);
/* A confirmation page for a destructive action (DESIGN.md §3.2): the
 * first POST of a delete, reset or disable answers with it, and its form
 * posts again to action with a confirm field: the text the user typed
 * when type_name is set (it must equal type_name), else "yes".  lost[] are
 * the sentences saying what goes; error (or NULL) says why the last try
 * was refused.  Works without JavaScript. */
struct page_confirm {
	const char *title;  /* "Delete server alpha?" */
	const char *action; /* the URL the form posts to */
	const char *button; /* "Delete server" */
	const char *const *lost;
	size_t n_lost;
	const char *type_name; /* the name to type, or NULL */
	const char *error;
	const char *cancel; /* where Cancel leads */
	const char *export; /* NULL, or where "Download ... data first" posts */
};
int page_confirm(struct req *r, unsigned status, const struct page_confirm *c);
/* A byte count as "1.5 MiB" into buf. */
const char *page_bytes(int64_t n, char *buf, size_t len);
/* A state as a badge (its CSS class s-STATE). */
void page_state_badge(struct html *h, const char *state);
/* The live state of one server (db_status.h; NULL: none yet), as the
 * cells the status stream updates (app.js): a badge with
 * data-live="state", and the map and "players/max" in elements with
 * data-live="map" and "players" ("-" unless A2S answers now).  tag is the
 * element of each ("td"; "dd" also writes a <dt> before each). */
void page_live_cells(struct html *h, const char *tag, const struct status_entry *e);
/* The tables of servers and of jobs (the dashboard's, a server's, ...).
 * The servers' live state is user_id's view (db_status_list), kept
 * current by app.js over /api/v1/status/events. */
void page_servers_table(struct req *r, struct html *h, const struct server *list, size_t n);
void page_jobs_table(struct req *r, struct html *h, const struct job *jobs, size_t n);
/* The launch settings' form fields (start_map, max_players, tickrate,
 * launch_args) with ls's values; a server's say that empty means the
 * blueprint's (bp's values when known, else NULL). */
void page_launch_fields(struct html *h, const struct launch_settings *ls, bool server,
			const struct launch_settings *bp);
/* The same fields of the posted form into *out: a field the form leaves
 * out keeps cur's value, an empty one is NULL / 0, a number that is not
 * one -1 (ops_launch_check names the field). */
void page_launch_read(struct req *r, const struct launch_settings *cur, struct ops_launch *out);
/* Lines a job's log page shows at most. */
#define PAGE_LOG_LINES 1000
/* One page of a job's log with links to the pages around it: the newest
 * lines (before and after 0) with the progress bar and the live stream's
 * anchor, else the lines before id before or after id after.  -1 if the
 * database cannot be read. */
int page_job_log(struct req *r, struct html *h, const struct job *j, int64_t before, int64_t after);

#endif
