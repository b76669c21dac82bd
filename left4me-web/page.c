/* The HTML layout every page shares and the pieces several pages show
 * (state badges, the tables of servers and jobs, a job's log): the
 * renderer kit of the page_*.c files.  Every dynamic value goes through
 * html_printf's escaping directives (html.h); forms work without
 * JavaScript, /static/app.js only adds live logs and the blueprint
 * preview. */
#include "page.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_status.h"
#include "parse.h"
#include "xalloc.h"

void page_begin(struct req *r, struct html *h, const char *title)
{
	html_printf(h,
		    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		    "<title>%s · left4me</title>"
		    "<link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">"
		    "<link rel=\"stylesheet\" href=\"/static/app.css\">"
		    "<script src=\"/static/app.js\" defer></script></head><body>",
		    title);
	if (r->authed && !r->via_token) {
		html_printf(h,
			    "<header class=\"top\"><a class=\"brand\" href=\"/\">left4me</a><nav>"
			    "<a href=\"/servers\">Servers</a>"
			    "<a href=\"/blueprints\">Blueprints</a>"
			    "<a href=\"/overlays\">Overlays</a>"
			    "<a href=\"/global-overlays\">Global overlays</a>"
			    "<a href=\"/jobs\">Jobs</a>");
		if (r->user.admin)
			html_printf(
			    h, "<a href=\"/admin\">Admin</a><a href=\"/admin/audit\">Audit</a>");
		html_printf(h,
			    "</nav><form class=\"logout\" method=\"post\" action=\"/logout\">"
			    "<span class=\"who\">%s</span>",
			    r->user.name);
		page_csrf_input(r, h);
		html_printf(h, "<button type=\"submit\">Log out</button></form></header>");
	}
	html_printf(h, "<main>");
}

int page_finish(struct req *r, struct html *h, unsigned status)
{
	html_printf(h, "</main></body></html>\n");
	return web_respond_html(r, status, h);
}

int page_redirect_job(struct req *r, int64_t job_id)
{
	char loc[64];

	snprintf(loc, sizeof(loc), "/jobs/%" PRId64, job_id);
	return web_redirect(r, loc);
}

void page_csrf_input(struct req *r, struct html *h)
{
	html_printf(h, "<input type=\"hidden\" name=\"csrf_token\" value=\"%a\">",
		    r->sess.csrf_token);
}

void page_button(struct req *r, struct html *h, const char *label, const char *cls,
		 const char *action_fmt, ...)
{
	va_list ap;

	html_raw_trusted(h, "<form class=\"inline\" method=\"post\" action=\"");
	va_start(ap, action_fmt);
	html_vprintf(h, action_fmt, ap);
	va_end(ap);
	html_raw_trusted(h, "\">");
	page_csrf_input(r, h);
	html_printf(h, "<button type=\"submit\" class=\"%a\">%s</button></form>", cls, label);
}

int page_error(struct req *r, unsigned status, const char *msg)
{
	struct html h;
	char title[16];

	if (status == 401 && strcmp(r->method, "GET") == 0)
		return web_redirect(r, "/login");
	snprintf(title, sizeof(title), "%u", status);
	html_init(&h);
	page_begin(r, &h, title);
	html_printf(&h,
		    "<section class=\"card\"><h1>%s</h1><p class=\"error\">%s</p>"
		    "<p><a href=\"/\">Back to the dashboard</a></p></section>",
		    title, msg);
	return page_finish(r, &h, status);
}

int page_confirm(struct req *r, unsigned status, const struct page_confirm *c)
{
	struct html h;
	size_t i;

	html_init(&h);
	page_begin(r, &h, c->title);
	html_printf(&h,
		    "<section class=\"card confirm\"><h1>%s</h1><p>This cannot be undone. "
		    "It will remove:</p><ul class=\"lost\">",
		    c->title);
	for (i = 0; i < c->n_lost; i++)
		html_printf(&h, "<li>%s</li>", c->lost[i]);
	html_printf(&h, "</ul>");
	if (c->export) {
		html_printf(&h,
			    "<form method=\"post\" action=\"%a\" class=\"inline\" "
			    "id=\"export-first\">",
			    c->export);
		page_csrf_input(r, &h);
		html_printf(&h, "<button type=\"submit\">Download this server's data first</button>"
				"</form>");
	}
	if (c->error)
		html_printf(&h, "<p class=\"error\" id=\"confirm-error\">%s</p>", c->error);
	html_printf(&h, "<form method=\"post\" action=\"%a\" class=\"confirm\">", c->action);
	page_csrf_input(r, &h);
	if (c->type_name)
		html_printf(&h,
			    "<label>Type <strong>%s</strong> to confirm <input name=\"confirm\" "
			    "required autocomplete=\"off\" spellcheck=\"false\"></label>",
			    c->type_name);
	else
		html_printf(&h, "<input type=\"hidden\" name=\"confirm\" value=\"yes\">");
	html_printf(&h,
		    "<div class=\"actions\"><button type=\"submit\" class=\"danger solid\">%s"
		    "</button><a class=\"button\" href=\"%a\">Cancel</a></div></form></section>",
		    c->button, c->cancel);
	return page_finish(r, &h, status);
}

const char *page_bytes(int64_t n, char *buf, size_t len)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	int u = -1;

	if (n < 1024) {
		snprintf(buf, len, "%" PRId64 " bytes", n);
		return buf;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

void page_state_badge(struct html *h, const char *state)
{
	html_printf(h, "<span class=\"badge s-%a\">%s</span>", state, state);
}

void page_jobs_table(struct req *r, struct html *h, const struct job *jobs, size_t n)
{
	size_t i;

	(void)r;
	if (n == 0) {
		html_printf(h, "<p class=\"muted\">No jobs yet.</p>");
		return;
	}
	html_printf(h, "<table><thead><tr><th>#</th><th>Kind</th><th>Target</th><th>User</th>"
		       "<th>State</th><th>Created</th><th>Finished</th><th>Exit</th></tr>"
		       "</thead><tbody>");
	for (i = 0; i < n; i++) {
		const struct job *j = &jobs[i];

		html_printf(h,
			    "<tr><td><a href=\"/jobs/%D\">%D</a></td><td>%s</td><td>%s</td>"
			    "<td>%s</td><td>",
			    j->id, j->id, job_kind_name(j->kind), j->target,
			    j->user_name ? j->user_name : "system");
		page_state_badge(h, job_state_name(j->state));
		html_printf(h, "</td><td>%T</td><td>%T</td><td>", j->created_at, j->finished_at);
		if (j->has_exit_code)
			html_printf(h, "%d", j->exit_code);
		html_printf(h, "</td></tr>");
	}
	html_printf(h, "</tbody></table>");
}

void page_live_cells(struct html *h, const char *tag, const struct status_entry *e)
{
	char label[96], players[32] = "-";
	bool now = e && live_a2s_current(&e->st, e->has_status);
	const char *state = live_state_name(e && e->has_status ? e->st.live_state : LIVE_STOPPED);
	bool dl = strcmp(tag, "dd") == 0;

	if (now)
		snprintf(players, sizeof(players), "%d/%d", e->st.players, e->st.max_players);
	if (dl)
		html_printf(h, "<dt>Live</dt>");
	html_printf(h,
		    "<%a class=\"live-state\"><span class=\"badge s-%a\" "
		    "data-live=\"state\">%s</span></%a>",
		    tag, state,
		    e ? live_state_label(&e->st, e->has_status, label, sizeof(label)) : "stopped",
		    tag);
	if (dl)
		html_printf(h, "<dt>Map</dt>");
	html_printf(h, "<%a data-live=\"map\">%s</%a>", tag, now ? e->st.map : "-", tag);
	if (dl)
		html_printf(h, "<dt>Players</dt>");
	html_printf(h, "<%a data-live=\"players\">%s</%a>", tag, players, tag);
}

/* The entry of server name in live[0..n) (sorted by name), or NULL. */
static const struct status_entry *live_find(const struct status_entry *live, size_t n,
					    const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(live[i].name, name) == 0)
			return &live[i];
	return NULL;
}

void page_servers_table(struct req *r, struct html *h, const struct server *list, size_t n)
{
	struct status_entry *live = NULL;
	size_t i, nl = 0;

	if (n == 0) {
		html_printf(h, "<p class=\"muted\">No servers yet.</p>");
		return;
	}
	/* Without the live state the table still lists the servers. */
	if (db_status_list(web_db(r), r->user.id, &live, &nl) != DB_OK)
		nl = 0;
	html_printf(h, "<table class=\"servers\" data-status-events=\"/api/v1/status/events\">"
		       "<thead><tr><th>Name</th><th>State</th><th>Map</th><th>Players</th>"
		       "<th>Port</th><th>Blueprint</th><th>Last job</th></tr></thead><tbody>");
	for (i = 0; i < n; i++) {
		const struct server *s = &list[i];

		html_printf(h, "<tr data-server=\"%a\"><td><a href=\"/servers/%u\">%s</a></td>",
			    s->name, s->name, s->name);
		page_live_cells(h, "td", live_find(live, nl, s->name));
		html_printf(h, "<td>%d</td><td><a href=\"/blueprints/%D\">%s</a></td><td>", s->port,
			    s->blueprint_id, s->blueprint_name);
		if (s->last_job_id)
			html_printf(h, "<a href=\"/jobs/%D\">#%D</a>", s->last_job_id,
				    s->last_job_id);
		html_printf(h, "</td></tr>");
	}
	html_printf(h, "</tbody></table>");
	free(live);
}

/* The progress bar of a job whose last progress line is progress
 * ("PERCENT DONE TOTAL LABEL"; NULL: none yet, the bar is hidden). */
static void progress_bar(struct html *h, const char *progress)
{
	double pct = progress ? strtod(progress, NULL) : 0;
	char pbuf[16];
	const char *label = "";

	if (progress) {
		const char *sp = progress;

		for (int k = 0; k < 3 && sp; k++) {
			sp = strchr(sp, ' ');
			if (sp)
				sp++;
		}
		label = sp ? sp : "";
	}
	if (pct < 0 || pct != pct)
		pct = 0;
	if (pct > 100)
		pct = 100;
	snprintf(pbuf, sizeof(pbuf), "%.1f", pct);
	html_printf(h,
		    "<div class=\"progress%a\" id=\"progress-box\"><progress id=\"progress\" "
		    "max=\"100\" value=\"%s\"></progress> <span id=\"progress-label\">%s%% "
		    "%s</span></div>",
		    progress ? "" : " hidden", pbuf, pbuf, label);
}

/* The log so far, a progress bar and the live stream's anchor. */
int page_job_log(struct req *r, struct html *h, const struct job *j, int64_t before, int64_t after)
{
	struct job_log_line *lines;
	size_t n, total, i, first = 0;
	const char *progress = NULL;
	bool earlier, later, latest = !before && !after;
	int rc;

	/* One line more than shown says whether there is more that way. */
	if (after)
		rc = db_job_log_read(web_db(r), j->id, after, PAGE_LOG_LINES + 1, &lines, &n);
	else
		rc = db_job_log_read_before(web_db(r), j->id, before, PAGE_LOG_LINES + 1, &lines,
					    &n);
	if (rc != DB_OK)
		return -1;
	total = n;
	if (after) {
		earlier = true; /* line after itself, at least */
		later = n > PAGE_LOG_LINES;
		if (later)
			n = PAGE_LOG_LINES;
	} else {
		earlier = n > PAGE_LOG_LINES;
		first = earlier ? 1 : 0;
		later = before != 0;
	}
	for (i = first; i < n; i++)
		if (lines[i].stream == STREAM_PROGRESS)
			progress = lines[i].line;
	progress_bar(h, latest ? progress : NULL);
	if (earlier)
		html_printf(h,
			    "<p class=\"log-pages\"><a href=\"/jobs/%D?log_before=%D\" "
			    "rel=\"prev\">Earlier lines</a></p>",
			    j->id, n > first ? lines[first].id : after + 1);
	html_printf(h, "<pre class=\"log\" id=\"log\" ");
	if (latest && !job_state_is_final(j->state))
		html_printf(h, "data-events=\"/api/v1/jobs/%D/events?after=%D\" ", j->id,
			    n > first ? lines[n - 1].id : (int64_t)0);
	html_printf(h, "data-state=\"%a\">", job_state_name(j->state));
	for (i = first; i < n; i++)
		html_printf(h, "<span class=\"l-%a\">%s</span>\n", job_stream_name(lines[i].stream),
			    lines[i].line);
	html_printf(h, "</pre>");
	if (later)
		html_printf(
		    h,
		    "<p class=\"log-pages\"><a href=\"/jobs/%D?log_after=%D\" "
		    "rel=\"next\">Later lines</a> <a href=\"/jobs/%D\">Latest lines</a></p>",
		    j->id, n > first ? lines[n - 1].id : (before ? before - 1 : after), j->id);
	job_log_lines_free(lines, total);
	return 0;
}

/* The launch settings' fieldset (page.h). */
void page_launch_fields(struct html *h, const struct launch_settings *ls, bool server,
			const struct launch_settings *bp)
{
	char max[8] = "", tick[8] = "", bp_max[8], bp_tick[16];

	if (ls->max_players)
		snprintf(max, sizeof(max), "%d", ls->max_players);
	if (ls->tickrate)
		snprintf(tick, sizeof(tick), "%d", ls->tickrate);
	html_printf(h, "<fieldset class=\"launch\"><legend>Launch settings</legend>");
	if (bp) {
		snprintf(bp_max, sizeof(bp_max), "%d", bp->max_players);
		snprintf(bp_tick, sizeof(bp_tick), "%d", bp->tickrate);
		html_printf(h,
			    "<p class=\"muted\">Empty: the blueprint's (map %s, %s players, "
			    "tickrate %s, options <code>%s</code>). They apply at the next "
			    "start.</p>",
			    bp->start_map, bp_max, bp->tickrate ? bp_tick : "default",
			    bp->launch_args && bp->launch_args[0] ? bp->launch_args : "none");
	} else if (server) {
		html_printf(h, "<p class=\"muted\">Empty: the blueprint's.</p>");
	}
	html_printf(h,
		    "<label>Start map <input name=\"start_map\" maxlength=\"64\" "
		    "pattern=\"[A-Za-z0-9_]{1,64}\" placeholder=\"%a\" value=\"%a\"%s></label>"
		    "<label>Max players <input type=\"number\" name=\"max_players\" min=\"1\" "
		    "max=\"32\" value=\"%a\"%s></label>"
		    "<label>Tickrate <input type=\"number\" name=\"tickrate\" min=\"30\" "
		    "max=\"128\" placeholder=\"%a\" value=\"%a\"></label>"
		    "<label>Options <input name=\"launch_args\" maxlength=\"1024\" "
		    "spellcheck=\"false\" placeholder=\"-nohltv +sv_pure 2\" value=\"%a\"></label>"
		    "<p class=\"muted\">Options: srcds options from the allowlist (see the API "
		    "docs), separated by spaces, such as <code>-nohltv +sv_pure 2 "
		    "+mp_gamemode versus</code>. A tickrate above 30 needs a tickrate plugin.</p>"
		    "</fieldset>",
		    bp ? bp->start_map : LAUNCH_MAP_DEFAULT, ls->start_map ? ls->start_map : "",
		    server ? "" : " required", max, server ? "" : " required",
		    server ? "inherit" : "default", tick, ls->launch_args ? ls->launch_args : "");
}

static long long form_number(struct req *r, const char *key, int cur)
{
	const char *v = web_param(r, key);
	long long n;

	if (!v)
		return cur;
	if (!v[0])
		return 0;
	return parse_int(v, 1, 1000, &n) == 0 ? n : -1;
}

static const char *form_text(struct req *r, const char *key, const char *cur)
{
	const char *v = web_param(r, key);

	if (!v)
		return cur;
	return v[0] ? v : NULL;
}

void page_launch_read(struct req *r, const struct launch_settings *cur, struct ops_launch *out)
{
	out->start_map = form_text(r, "start_map", cur->start_map);
	out->max_players = form_number(r, "max_players", cur->max_players);
	out->tickrate = form_number(r, "tickrate", cur->tickrate);
	out->launch_args = form_text(r, "launch_args", cur->launch_args);
}
