/* The server-rendered HTML pages.  Every dynamic value goes through
 * html_printf's escaping directives (html.h); forms work without
 * JavaScript, /static/app.js only adds live logs and the blueprint preview.
 * Another user's object is "not found". */
#include "pages.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assets.h"
#include "auth.h"
#include "console.h"
#include "db.h"
#include "db_blueprint.h"
#include "db_global.h"
#include "db_job.h"
#include "db_overlay.h"
#include "db_server.h"
#include "db_user.h"
#include "files.h"
#include "handlers.h"
#include "html.h"
#include "hub.h"
#include "log.h"
#include "ops.h"
#include "parse.h"
#include "validate.h"
#include "xalloc.h"

/* ---- layout ------------------------------------------------------------ */

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
			html_printf(h, "<a href=\"/admin\">Admin</a>");
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

static void state_badge(struct html *h, const char *state)
{
	html_printf(h, "<span class=\"badge s-%a\">%s</span>", state, state);
}

static void jobs_table(struct req *r, struct html *h, const struct job *jobs, size_t n)
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
		state_badge(h, job_state_name(j->state));
		html_printf(h, "</td><td>%T</td><td>%T</td><td>", j->created_at, j->finished_at);
		if (j->has_exit_code)
			html_printf(h, "%d", j->exit_code);
		html_printf(h, "</td></tr>");
	}
	html_printf(h, "</tbody></table>");
}

static void servers_table(struct html *h, const struct server *list, size_t n)
{
	size_t i;

	if (n == 0) {
		html_printf(h, "<p class=\"muted\">No servers yet.</p>");
		return;
	}
	html_printf(h, "<table><thead><tr><th>Name</th><th>State</th><th>Port</th>"
		       "<th>Blueprint</th><th>Last job</th></tr></thead><tbody>");
	for (i = 0; i < n; i++) {
		const struct server *s = &list[i];

		html_printf(h, "<tr><td><a href=\"/servers/%u\">%s</a></td><td>", s->name, s->name);
		state_badge(h, server_state_name(s->state));
		html_printf(h, "</td><td>%d</td><td><a href=\"/blueprints/%D\">%s</a></td><td>",
			    s->port, s->blueprint_id, s->blueprint_name);
		if (s->last_job_id)
			html_printf(h, "<a href=\"/jobs/%D\">#%D</a>", s->last_job_id,
				    s->last_job_id);
		html_printf(h, "</td></tr>");
	}
	html_printf(h, "</tbody></table>");
}

static int db_fail(struct req *r, int rc)
{
	if (rc == DB_NOTFOUND)
		return web_error(r, 404, "not found");
	if (rc == DB_BUSY)
		return web_error(r, 503, "the database is busy; try again");
	return web_error(r, 500, "database error");
}

/* ---- dashboard --------------------------------------------------------------- */

int page_dashboard(struct req *r)
{
	struct job_filter f = {r->user.admin ? 0 : r->user.id, NULL, 0, 10};
	struct server *servers;
	struct job *jobs;
	size_t ns, nj;
	struct html h;

	if (db_server_list(web_db(r), r->user.id, &servers, &ns) != DB_OK)
		return db_fail(r, DB_ERROR);
	if (db_job_list(web_db(r), &f, &jobs, &nj) != DB_OK) {
		server_list_free(servers, ns);
		return db_fail(r, DB_ERROR);
	}
	html_init(&h);
	page_begin(r, &h, "Dashboard");
	html_printf(&h, "<h1>Dashboard</h1><section class=\"card\"><h2>Servers</h2>");
	servers_table(&h, servers, ns);
	html_printf(&h, "<p><a class=\"button\" href=\"/servers\">New server</a></p></section>"
			"<section class=\"card\"><h2>Recent jobs</h2>");
	jobs_table(r, &h, jobs, nj);
	html_printf(&h, "<p><a href=\"/jobs\">All jobs</a></p></section>"
			"<section class=\"card\"><h2>API token</h2><p class=\"muted\">For "
			"automation with <code>Authorization: Bearer</code>.</p>"
			"<form method=\"post\" action=\"/tokens\">");
	page_csrf_input(r, &h);
	html_printf(&h, "<label>Label <input name=\"label\" maxlength=\"64\"></label>"
			"<button type=\"submit\">Create token</button></form></section>");
	server_list_free(servers, ns);
	job_list_free(jobs, nj);
	return page_finish(r, &h, 200);
}

int page_tokens_create(struct req *r)
{
	const char *label = web_param(r, "label");
	char tok[AUTH_API_TOKEN_LEN + 1], hash[AUTH_SHA256_HEX + 1];
	struct html h;
	int rc;

	if (!label)
		label = "";
	if (strlen(label) > 64 || (label[0] && !valid_display_name(label)))
		return web_error(r, 400, "a label is at most 64 printable characters");
	if (auth_new_api_token(tok) < 0)
		return web_error(r, 500, "no randomness");
	auth_sha256_hex(tok, hash);
	rc = db_token_add(web_db(r), r->user.id, hash, label, NULL);
	if (rc != DB_OK)
		return db_fail(r, rc);
	(void)db_audit(web_db(r), r->user.id, r->user.name, "token_create", label, "");
	html_init(&h);
	page_begin(r, &h, "API token");
	html_printf(&h,
		    "<section class=\"card\"><h1>New API token</h1><p>Copy it now; it is "
		    "not shown again.</p><pre class=\"token\">%s</pre>"
		    "<p><a href=\"/\">Back</a></p></section>",
		    tok);
	explicit_bzero(tok, sizeof(tok));
	return page_finish(r, &h, 201);
}

/* ---- servers ------------------------------------------------------------------- */

int page_servers(struct req *r)
{
	struct server *servers;
	struct blueprint *bps;
	size_t ns, nb, i;
	struct html h;

	if (db_server_list(web_db(r), r->user.id, &servers, &ns) != DB_OK)
		return db_fail(r, DB_ERROR);
	if (db_blueprint_list(web_db(r), r->user.id, &bps, &nb) != DB_OK) {
		server_list_free(servers, ns);
		return db_fail(r, DB_ERROR);
	}
	html_init(&h);
	page_begin(r, &h, "Servers");
	html_printf(&h, "<h1>Servers</h1><section class=\"card\">");
	servers_table(&h, servers, ns);
	html_printf(&h, "</section><section class=\"card\"><h2>New server</h2>");
	if (nb == 0) {
		html_printf(&h, "<p class=\"muted\">Create a <a href=\"/blueprints\">blueprint</a> "
				"first.</p>");
	} else {
		html_printf(&h, "<form method=\"post\" action=\"/servers\" class=\"grid\">");
		page_csrf_input(r, &h);
		html_printf(&h,
			    "<label>Name <input name=\"name\" required maxlength=\"%d\" "
			    "pattern=\"[a-z0-9][a-z0-9_\\-]*\" placeholder=\"alpha\"></label>"
			    "<label>Blueprint <select name=\"blueprint_id\">",
			    SERVER_NAME_MAX);
		for (i = 0; i < nb; i++)
			html_printf(&h, "<option value=\"%D\">%s</option>", bps[i].id, bps[i].name);
		html_printf(&h, "</select></label><label>Port <input name=\"port\" type=\"number\" "
				"min=\"1024\" max=\"65535\" value=\"27015\" required></label>"
				"<button type=\"submit\" class=\"primary\">Create</button></form>");
	}
	html_printf(&h, "</section>");
	server_list_free(servers, ns);
	blueprint_list_free(bps, nb);
	return page_finish(r, &h, 200);
}

int page_server_create(struct req *r)
{
	const char *name = web_param(r, "name"), *bp = web_param(r, "blueprint_id"),
		   *port = web_param(r, "port");
	int64_t bpid;
	long long p;
	char *loc;
	int rc, ret;

	if (!name || !valid_server_name(name))
		return web_error(r, 400,
				 "a server name is [a-z0-9][a-z0-9_-]{0,26}: at most 27 bytes, "
				 "because each server runs as its own system user l4m-NAME");
	if (!bp || !valid_id(bp, &bpid))
		return web_error(r, 400, "choose a blueprint");
	if (!port || parse_int(port, 1024, 65535, &p) < 0)
		return web_error(r, 400, "the port must be between 1024 and 65535");
	rc = db_server_create(web_db(r), name, r->user.id, bpid, (int)p, NULL);
	if (rc == DB_EXISTS)
		return web_error(r, 409, "that name or port is already taken");
	if (rc == DB_INVALID)
		return web_error(r, 400, "no such blueprint");
	if (rc != DB_OK)
		return db_fail(r, rc);
	(void)db_audit(web_db(r), r->user.id, r->user.name, "server_create", name, "");
	loc = xasprintf("/servers/%s", name);
	ret = web_redirect(r, loc);
	free(loc);
	return ret;
}

int page_server(struct req *r)
{
	struct job_filter f = {0, NULL, 0, 20};
	struct server s;
	struct job *jobs;
	size_t nj, i;
	struct html h;
	static const char *const actions[] = {"start", "stop", "restart", "reset", "delete"};
	int rc = ops_server(r, r->cap[0], &s);

	if (rc != DB_OK)
		return db_fail(r, rc);
	f.target = s.name;
	f.user_id = r->user.id;
	if (db_job_list(web_db(r), &f, &jobs, &nj) != DB_OK) {
		server_fini(&s);
		return db_fail(r, DB_ERROR);
	}
	html_init(&h);
	page_begin(r, &h, s.name);
	html_printf(&h,
		    "<h1>Server %s</h1><section class=\"card\"><dl class=\"facts\">"
		    "<dt>State</dt><dd>",
		    s.name);
	state_badge(&h, server_state_name(s.state));
	if (s.state_reason)
		html_printf(&h, " <span class=\"muted\">%s</span>", s.state_reason);
	html_printf(&h,
		    "</dd><dt>Port</dt><dd>%d</dd><dt>Blueprint</dt><dd><a "
		    "href=\"/blueprints/%D\">%s</a></dd><dt>Created</dt><dd>%T</dd></dl>"
		    "<div class=\"actions\">",
		    s.port, s.blueprint_id, s.blueprint_name, s.created_at);
	for (i = 0; i < 5; i++)
		page_button(r, &h, actions[i], i == 4 ? "danger" : "", "/servers/%u/%u", s.name,
			    actions[i]);
	html_printf(&h,
		    "<a class=\"button\" href=\"/servers/%u/console\">Console</a></div>"
		    "</section><section class=\"card\"><h2>Jobs</h2>",
		    s.name);
	jobs_table(r, &h, jobs, nj);
	html_printf(&h, "</section>");
	job_list_free(jobs, nj);
	server_fini(&s);
	return page_finish(r, &h, 200);
}

int page_server_action(struct req *r)
{
	int kind = ops_server_action_kind(r->cap[1]);
	struct server s;
	int64_t job_id;
	char loc[64];
	int rc;

	if (kind < 0)
		return web_error(r, 404, "not found");
	rc = ops_server(r, r->cap[0], &s);
	if (rc != DB_OK)
		return db_fail(r, rc);
	rc = ops_enqueue(r, (enum job_kind)kind, s.name, NULL, &job_id);
	server_fini(&s);
	if (rc != DB_OK)
		return db_fail(r, rc);
	snprintf(loc, sizeof(loc), "/jobs/%" PRId64, job_id);
	return web_redirect(r, loc);
}

#define STRINGIFY_(x)	 #x
#define STRINGIFY(x)	 STRINGIFY_(x)
#define CONSOLE_MAX_TEXT STRINGIFY(CONSOLE_COMMAND_MAX)

/* The outcome of a console form POST, carried by the redirect back as
 * ?error=KEY: a fixed key and a fixed sentence, so nothing a client puts
 * in the URL is echoed into the page. */
static const struct {
	const char *key;
	unsigned status; /* what ops_console_send answered */
	const char *text;
} console_errors[] = {
    {"invalid", 400,
     "Not sent: a console command is one line of 1 to " CONSOLE_MAX_TEXT
     " bytes without control characters."},
    {"not_running", 409, "Not sent: the server is not running."},
    {"busy", 503, "Not sent: the server's console (or the database) is busy; try again."},
    {"failed", 500, "Not sent: the console cannot be written."},
};

int page_console(struct req *r)
{
	const char *error = web_query(r, "error"), *sent = web_query(r, "sent");
	struct server s;
	struct html h;
	size_t i;
	int rc = ops_server_console(r, r->cap[0], &s);

	if (rc != DB_OK)
		return db_fail(r, rc);
	html_init(&h);
	page_begin(r, &h, "Console");
	html_printf(&h,
		    "<h1>Console of <a href=\"/servers/%u\">%s</a></h1><section class=\"card\">"
		    "<p class=\"muted\">The console of left4me-server@%s.service, live.</p>",
		    s.name, s.name, s.name);
	for (i = 0; error && i < sizeof(console_errors) / sizeof(console_errors[0]); i++)
		if (strcmp(error, console_errors[i].key) == 0)
			html_printf(&h, "<p class=\"error\" id=\"console-result\">%s</p>",
				    console_errors[i].text);
	if (!error && sent && strcmp(sent, "1") == 0)
		html_printf(&h, "<p class=\"muted\" id=\"console-result\">Sent.</p>");
	html_printf(&h,
		    "<pre class=\"log\" id=\"log\" data-events=\"/api/v1/servers/%u/console\">"
		    "</pre><noscript><p>Live output needs JavaScript.</p></noscript>"
		    "<form class=\"console\" id=\"console-form\" method=\"post\" "
		    "action=\"/servers/%u/console\" data-api=\"/api/v1/servers/%u/console\" "
		    "data-server=\"%a\">",
		    s.name, s.name, s.name, s.name);
	page_csrf_input(r, &h);
	html_printf(&h,
		    "<input name=\"command\" id=\"console-input\" autocomplete=\"off\" "
		    "spellcheck=\"false\" required maxlength=\"%d\" placeholder=\"status\" "
		    "aria-label=\"Console command\">"
		    "<button type=\"submit\" class=\"primary\">Send</button></form>"
		    "<p class=\"error\" id=\"console-status\" hidden></p></section>",
		    CONSOLE_COMMAND_MAX);
	server_fini(&s);
	return page_finish(r, &h, 200);
}

/* The console form without JavaScript: send, then back to the console
 * page (303) with the outcome as ?sent=1 or ?error=KEY. */
int page_console_send(struct req *r)
{
	const char *cmd = web_param(r, "command");
	const char *key = "failed";
	struct server s;
	unsigned status;
	char msg[256], *loc;
	size_t i;
	int rc = ops_server_console(r, r->cap[0], &s), ret;

	if (rc != DB_OK)
		return db_fail(r, rc);
	status = ops_console_send(r, &s, cmd ? cmd : "", cmd ? strlen(cmd) : 0, msg, sizeof(msg));
	for (i = 0; i < sizeof(console_errors) / sizeof(console_errors[0]); i++)
		if (console_errors[i].status == status)
			key = console_errors[i].key;
	if (status == 204) {
		loc = xasprintf("/servers/%s/console?sent=1", s.name);
	} else {
		log_info("server=%s user=%s: console command not sent: %s", s.name, r->user.name,
			 msg);
		loc = xasprintf("/servers/%s/console?error=%s", s.name, key);
	}
	ret = web_redirect(r, loc);
	free(loc);
	server_fini(&s);
	return ret;
}

/* ---- blueprints ------------------------------------------------------------- */

int page_blueprints(struct req *r)
{
	struct blueprint *bps;
	size_t nb, i;
	struct html h;

	if (db_blueprint_list(web_db(r), r->user.id, &bps, &nb) != DB_OK)
		return db_fail(r, DB_ERROR);
	html_init(&h);
	page_begin(r, &h, "Blueprints");
	html_printf(&h, "<h1>Blueprints</h1><section class=\"card\">");
	if (nb == 0)
		html_printf(&h, "<p class=\"muted\">No blueprints yet.</p>");
	else
		html_printf(&h, "<table><thead><tr><th>Name</th><th>Overlays</th><th>Servers</th>"
				"<th>Updated</th></tr></thead><tbody>");
	for (i = 0; i < nb; i++)
		html_printf(&h,
			    "<tr><td><a href=\"/blueprints/%D\">%s</a></td><td>%D</td><td>%D</td>"
			    "<td>%T</td></tr>",
			    bps[i].id, bps[i].name, bps[i].n_linked, bps[i].n_servers,
			    bps[i].updated_at);
	if (nb)
		html_printf(&h, "</tbody></table>");
	html_printf(&h, "</section><section class=\"card\"><h2>New blueprint</h2>"
			"<form method=\"post\" action=\"/blueprints\" class=\"grid\">");
	page_csrf_input(r, &h);
	html_printf(&h,
		    "<label>Name <input name=\"name\" required maxlength=\"64\"></label>"
		    "<button type=\"submit\" class=\"primary\">Create</button></form></section>");
	blueprint_list_free(bps, nb);
	return page_finish(r, &h, 200);
}

int page_blueprint_create(struct req *r)
{
	const char *name = web_param(r, "name"), *config = web_param(r, "config");
	int64_t id;
	char loc[64];
	int rc;

	if (!name || !valid_display_name(name))
		return web_error(r, 400, "a name is 1 to 64 printable characters");
	rc = db_blueprint_create(web_db(r), r->user.id, name, config ? config : "", &id);
	if (rc == DB_EXISTS)
		return web_error(r, 409, "you already have a blueprint of that name");
	if (rc == DB_INVALID)
		return web_error(r, 400, "the config is too long or not text");
	if (rc != DB_OK)
		return db_fail(r, rc);
	(void)db_audit(web_db(r), r->user.id, r->user.name, "blueprint_create", name, "");
	snprintf(loc, sizeof(loc), "/blueprints/%" PRId64, id);
	return web_redirect(r, loc);
}

/* A blueprint's checkbox for overlay o: <input type="checkbox" name=NAME
 * value=ID aria-label="LABEL O's name"> (checked when checked). */
static void overlay_checkbox(struct html *h, const char *name, const char *label,
			     const struct overlay *o, bool checked)
{
	html_printf(h, "<input type=\"checkbox\" name=\"%a\" value=\"%D\" aria-label=\"%a %a\"",
		    name, o->id, label, o->name);
	html_raw_trusted(h, checked ? " checked>" : ">");
}

int page_blueprint(struct req *r)
{
	struct blueprint b;
	struct overlay *ovs;
	size_t no, i, j;
	struct strbuf preview;
	struct html h;
	int rc = ops_blueprint(r, r->cap[0], &b);

	if (rc != DB_OK)
		return db_fail(r, rc);
	if (db_overlay_list(web_db(r), r->user.id, true, &ovs, &no) != DB_OK) {
		blueprint_fini(&b);
		return db_fail(r, DB_ERROR);
	}
	html_init(&h);
	strbuf_init(&preview);
	ops_preview(b.overlays, b.n_overlays, &preview);
	page_begin(r, &h, b.name);
	html_printf(&h,
		    "<h1>Blueprint %s</h1><form id=\"blueprint\" method=\"post\" "
		    "action=\"/blueprints/%D\" class=\"card\">",
		    b.name, b.id);
	page_csrf_input(r, &h);
	html_printf(&h,
		    "<label>Name <input name=\"name\" required maxlength=\"64\" value=\"%a\">"
		    "</label><h2>Overlays</h2><p class=\"muted\">Position 0 is the top layer. "
		    "Tick <em>server.cfg</em> to execute the overlay's own "
		    "<code>left4dead2/cfg/server.cfg</code>.</p>",
		    b.name);
	if (no == 0)
		html_printf(&h, "<p class=\"muted\">No overlays yet.</p>");
	else
		html_printf(&h, "<table class=\"overlays\"><thead><tr><th>Use</th><th>Overlay</th>"
				"<th>Kind</th><th>Position</th><th>server.cfg</th></tr></thead>"
				"<tbody>");
	for (i = 0; i < no; i++) {
		const struct blueprint_overlay *link = NULL;
		size_t pos = b.n_overlays + i;

		for (j = 0; j < b.n_overlays; j++)
			if (b.overlays[j].overlay_id == ovs[i].id) {
				link = &b.overlays[j];
				pos = j;
			}
		html_printf(&h, "<tr data-overlay=\"%D\"><td>", ovs[i].id);
		overlay_checkbox(&h, "use", "use", &ovs[i], link != NULL);
		html_printf(&h,
			    "</td><td>%s</td><td>%s</td><td><input type=\"number\" class=\"pos\" "
			    "name=\"pos_%D\" min=\"0\" max=\"255\" value=\"%d\"></td><td>",
			    ovs[i].name, ovs[i].kind, ovs[i].id, (int)pos);
		overlay_checkbox(&h, "expose", "server.cfg of", &ovs[i],
				 link && link->expose_server_cfg);
		html_printf(&h, "</td></tr>");
	}
	if (no)
		html_printf(&h, "</tbody></table>");
	html_printf(&h,
		    "<h2>server.cfg</h2><p class=\"muted\">These lines are prepended, lowest "
		    "overlay first:</p><pre id=\"preview\" class=\"preview\">%s</pre>"
		    "<textarea name=\"config\" rows=\"16\" spellcheck=\"false\">%s</textarea>"
		    "<div class=\"actions\"><button type=\"submit\" class=\"primary\">Save"
		    "</button></div></form>",
		    preview.len ? preview.buf : "(none)\n", b.config);
	html_printf(&h, "<section class=\"card\"><h2>Delete</h2>");
	page_button(r, &h, "Delete blueprint", "danger", "/blueprints/%D/delete", b.id);
	html_printf(&h, "</section>");
	strbuf_fini(&preview);
	overlay_list_free(ovs, no);
	blueprint_fini(&b);
	return page_finish(r, &h, 200);
}

struct pick {
	int64_t id;
	long long pos;
	bool expose;
};

static int cmp_pick(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;

	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

int page_blueprint_save(struct req *r)
{
	const char *name = web_param(r, "name"), *config = web_param(r, "config");
	struct pick picks[BLUEPRINT_OVERLAYS_MAX];
	struct blueprint_overlay ov[BLUEPRINT_OVERLAYS_MAX];
	size_t n = 0, i;
	struct blueprint b;
	char loc[64], key[40];
	bool nested;
	int rc = ops_blueprint(r, r->cap[0], &b);
	int k;

	if (rc != DB_OK)
		return db_fail(r, rc);
	if (!name || !valid_display_name(name)) {
		blueprint_fini(&b);
		return web_error(r, 400, "a name is 1 to 64 printable characters");
	}
	for (k = 0; k < r->n_params; k++) {
		const char *pos;
		int64_t id;

		if (strcmp(r->params[k].key, "use") != 0)
			continue;
		if (!valid_id(r->params[k].value, &id) || n >= BLUEPRINT_OVERLAYS_MAX) {
			blueprint_fini(&b);
			return web_error(r, 400, "bad overlay selection");
		}
		snprintf(key, sizeof(key), "pos_%" PRId64, id);
		pos = web_param(r, key);
		picks[n].id = id;
		picks[n].pos = 0;
		if (pos && parse_int(pos, 0, 255, &picks[n].pos) < 0) {
			blueprint_fini(&b);
			return web_error(r, 400, "a position is a number from 0 to 255");
		}
		picks[n].expose = false;
		for (int e = 0; e < r->n_params; e++)
			if (strcmp(r->params[e].key, "expose") == 0 &&
			    strcmp(r->params[e].value, r->params[k].value) == 0)
				picks[n].expose = true;
		n++;
	}
	qsort(picks, n, sizeof(picks[0]), cmp_pick);
	for (i = 0; i < n; i++) {
		memset(&ov[i], 0, sizeof(ov[i]));
		ov[i].overlay_id = picks[i].id;
		ov[i].expose_server_cfg = picks[i].expose;
	}
	rc = db_tx_begin(web_db(r), &nested);
	if (rc == DB_OK)
		rc = db_blueprint_update(web_db(r), b.id, name, config ? config : "");
	if (rc == DB_OK)
		rc = db_blueprint_set_overlays(web_db(r), b.id, r->user.id, ov, n);
	rc = db_tx_end(web_db(r), nested, rc);
	snprintf(loc, sizeof(loc), "/blueprints/%" PRId64, b.id);
	blueprint_fini(&b);
	if (rc == DB_EXISTS)
		return web_error(r, 409, "you already have a blueprint of that name");
	if (rc == DB_INVALID)
		return web_error(r, 400, "an overlay is not yours, or the config is too long");
	if (rc != DB_OK)
		return db_fail(r, rc);
	return web_redirect(r, loc);
}

int page_blueprint_delete(struct req *r)
{
	struct blueprint b;
	int rc = ops_blueprint(r, r->cap[0], &b);

	if (rc != DB_OK)
		return db_fail(r, rc);
	rc = db_blueprint_delete(web_db(r), b.id);
	blueprint_fini(&b);
	if (rc == DB_INVALID)
		return web_error(r, 409, "servers still use this blueprint");
	if (rc != DB_OK)
		return db_fail(r, rc);
	return web_redirect(r, "/blueprints");
}

/* ---- overlays ------------------------------------------------------------------ */

int page_overlays(struct req *r)
{
	struct overlay *ovs;
	size_t no, i;
	struct html h;

	if (db_overlay_list(web_db(r), r->user.id, true, &ovs, &no) != DB_OK)
		return db_fail(r, DB_ERROR);
	html_init(&h);
	page_begin(r, &h, "Overlays");
	html_printf(&h, "<h1>Overlays</h1><section class=\"card\">");
	if (no == 0)
		html_printf(&h, "<p class=\"muted\">No overlays yet.</p>");
	else
		html_printf(&h, "<table><thead><tr><th>Name</th><th>Kind</th><th>Build</th>"
				"<th>Updated</th></tr></thead><tbody>");
	for (i = 0; i < no; i++) {
		html_printf(&h, "<tr><td><a href=\"/overlays/%D\">%s</a></td><td>%s</td><td>",
			    ovs[i].id, ovs[i].name, ovs[i].kind);
		if (ovs[i].build_status)
			state_badge(&h, ovs[i].build_status);
		html_printf(&h, "</td><td>%T</td></tr>", ovs[i].updated_at);
	}
	if (no)
		html_printf(&h, "</tbody></table>");
	html_printf(&h, "</section><section class=\"card\"><h2>New overlay</h2>"
			"<form method=\"post\" action=\"/overlays\">");
	page_csrf_input(r, &h);
	html_printf(&h,
		    "<label>Name <input name=\"name\" required maxlength=\"64\"></label>"
		    "<label>Build script (optional; runs in a sandbox with the overlay at "
		    "<code>/overlay</code>) <textarea name=\"build_script\" rows=\"8\" "
		    "spellcheck=\"false\"></textarea></label>"
		    "<button type=\"submit\" class=\"primary\">Create</button></form></section>");
	overlay_list_free(ovs, no);
	return page_finish(r, &h, 200);
}

int page_overlay_create(struct req *r)
{
	const char *name = web_param(r, "name"), *script = web_param(r, "build_script");
	int64_t id, job;
	char loc[64];
	int rc;

	if (!name || !valid_display_name(name))
		return web_error(r, 400, "a name is 1 to 64 printable characters");
	rc = db_overlay_create(web_db(r), r->user.id, name, script, &id);
	if (rc == DB_INVALID)
		return web_error(r, 400, "the build script is too long or not text");
	if (rc != DB_OK)
		return db_fail(r, rc);
	(void)db_audit(web_db(r), r->user.id, r->user.name, "overlay_create", name, "");
	if (script && script[0] && ops_enqueue_build(r, id, &job) != DB_OK)
		return web_error(r, 503, "saved, but the build could not be queued");
	snprintf(loc, sizeof(loc), "/overlays/%" PRId64, id);
	return web_redirect(r, loc);
}

static void breadcrumbs(struct html *h, int64_t id, const char *path)
{
	const char *p = path, *slash;

	html_printf(h, "<nav class=\"crumbs\"><a href=\"/overlays/%D\">/</a>", id);
	while (*p) {
		char *upto, *comp;

		slash = strchr(p, '/');
		upto = xstrndup(path, slash ? (size_t)(slash - path) : strlen(path));
		comp = xstrndup(p, slash ? (size_t)(slash - p) : strlen(p));
		html_printf(h, " <a href=\"/overlays/%D?path=%u\">%s</a> /", id, upto, comp);
		free(upto);
		free(comp);
		if (!slash)
			break;
		p = slash + 1;
	}
	html_printf(h, "</nav>");
}

/* The delete button of one file of a user overlay (POST + CSRF). */
static void delete_file_button(struct req *r, struct html *h, int64_t id, const char *path)
{
	html_printf(
	    h, "<form class=\"inline\" method=\"post\" action=\"/overlays/%D/delete-file\">", id);
	page_csrf_input(r, h);
	html_printf(h,
		    "<input type=\"hidden\" name=\"path\" value=\"%a\"><button type=\"submit\" "
		    "class=\"danger\">Delete</button></form>",
		    path);
}

int page_overlay(struct req *r)
{
	const char *path = web_query(r, "path");
	struct overlay o;
	struct html h;
	bool global, is_dir = false;
	int rc = ops_overlay(r, r->cap[0], true, &o), fd;

	if (rc != DB_OK)
		return db_fail(r, rc);
	if (!path)
		path = "";
	if (path[0] && !valid_overlay_path(path)) {
		overlay_fini(&o);
		return web_error(r, 400, "bad path");
	}
	global = strcmp(o.kind, "global") == 0;
	html_init(&h);
	page_begin(r, &h, o.name);
	html_printf(&h, "<h1>Overlay %s <span class=\"muted\">#%D · %s</span></h1>", o.name, o.id,
		    o.kind);
	if (!global) {
		html_printf(&h, "<form method=\"post\" action=\"/overlays/%D\" class=\"card\">",
			    o.id);
		page_csrf_input(r, &h);
		html_printf(&h,
			    "<label>Name <input name=\"name\" required maxlength=\"64\" "
			    "value=\"%a\"></label><label>Build script <textarea "
			    "name=\"build_script\" rows=\"12\" spellcheck=\"false\">%s</textarea>"
			    "</label><div class=\"actions\"><button type=\"submit\" "
			    "class=\"primary\">Save</button>",
			    o.name, o.build_script ? o.build_script : "");
		if (o.build_status) {
			html_printf(&h, " <span>Build: ");
			state_badge(&h, o.build_status);
			html_printf(&h, " %T</span>", o.built_at);
		}
		html_printf(&h, "</div></form><section class=\"card actions\">");
		if (strcmp(o.kind, "script") == 0)
			page_button(r, &h, "Build now", "primary", "/overlays/%D/build", o.id);
		page_button(r, &h, "Delete overlay", "danger", "/overlays/%D/delete", o.id);
		html_printf(&h, "</section>");
	} else {
		html_printf(&h,
			    "<p class=\"muted\">Kept by the fetcher from source %s; read "
			    "only.</p>",
			    o.source_name);
	}
	html_printf(&h, "<section class=\"card\"><h2>Files</h2>");
	breadcrumbs(&h, o.id, path);
	fd = files_open(r->w->cfg->state_dir, &o, path, &is_dir);
	if (files_overlay_writable(&o)) {
		char *dir = path[0] && (fd < 0 || is_dir) ? xasprintf("%s/", path) : xstrdup("");

		html_printf(&h,
			    "<form method=\"post\" action=\"/overlays/%D/upload\" "
			    "enctype=\"multipart/form-data\" class=\"upload\">",
			    o.id);
		page_csrf_input(r, &h);
		html_printf(
		    &h,
		    "<label>Path in the overlay <input name=\"path\" value=\"%a\" "
		    "placeholder=\"left4dead2/addons/\"></label><label>File <input "
		    "type=\"file\" name=\"file\" required></label><div class=\"actions\">"
		    "<button type=\"submit\" class=\"primary\">Upload</button></div></form>",
		    dir);
		free(dir);
	}
	if (fd < 0) {
		html_printf(&h, "<p class=\"muted\">%s</p>",
			    errno == ENOENT ? "Empty: nothing here yet."
					    : "This path cannot be shown.");
	} else if (!is_dir) {
		close(fd);
		html_printf(&h, "<p><a href=\"/overlays/%D/files/%p\">Download %s</a></p>", o.id,
			    path, path);
	} else {
		struct dirent_info *ents;
		size_t n, i;

		if (files_list(fd, &ents, &n) == 0) {
			html_printf(&h, "<table class=\"files\"><tbody>");
			for (i = 0; i < n; i++) {
				char *child = path[0] ? xasprintf("%s/%s", path, ents[i].name)
						      : xstrdup(ents[i].name);

				if (!valid_overlay_path(child))
					html_printf(&h, "<tr><td>%s</td><td></td></tr>",
						    ents[i].name);
				else if (ents[i].is_dir)
					html_printf(&h,
						    "<tr><td><a href=\"/overlays/%D?path=%u\">%s/"
						    "</a></td><td></td></tr>",
						    o.id, child, ents[i].name);
				else {
					html_printf(&h,
						    "<tr><td><a href=\"/overlays/%D/files/%p\">%s"
						    "</a>",
						    o.id, child, ents[i].name);
					if (ents[i].is_link)
						html_raw_trusted(&h, " <span class=\"muted\">"
								     "(link)</span>");
					html_printf(&h, "</td><td>%D bytes</td><td>", ents[i].size);
					if (files_overlay_writable(&o))
						delete_file_button(r, &h, o.id, child);
					html_printf(&h, "</td></tr>");
				}
				free(child);
			}
			if (n == 0)
				html_printf(&h, "<tr><td class=\"muted\">Empty.</td></tr>");
			html_printf(&h, "</tbody></table>");
			files_list_free(ents, n);
		}
	}
	html_printf(&h, "</section>");
	overlay_fini(&o);
	return page_finish(r, &h, 200);
}

int page_overlay_save(struct req *r)
{
	const char *name = web_param(r, "name"), *script = web_param(r, "build_script");
	struct overlay o;
	int64_t job;
	char loc[64];
	int rc = ops_overlay(r, r->cap[0], false, &o);

	if (rc != DB_OK)
		return db_fail(r, rc);
	if (!name || !valid_display_name(name)) {
		overlay_fini(&o);
		return web_error(r, 400, "a name is 1 to 64 printable characters");
	}
	rc = db_overlay_update(web_db(r), o.id, name, script);
	snprintf(loc, sizeof(loc), "/overlays/%" PRId64, o.id);
	if (rc == DB_OK && script && script[0])
		rc = ops_enqueue_build(r, o.id, &job);
	overlay_fini(&o);
	if (rc == DB_INVALID)
		return web_error(r, 400, "the build script is too long or not text");
	if (rc != DB_OK)
		return db_fail(r, rc);
	return web_redirect(r, loc);
}

int page_overlay_build(struct req *r)
{
	struct overlay o;
	int64_t job;
	char loc[64];
	int rc = ops_overlay(r, r->cap[0], false, &o);

	if (rc != DB_OK)
		return db_fail(r, rc);
	if (strcmp(o.kind, "script") != 0) {
		overlay_fini(&o);
		return web_error(r, 400, "this overlay has no build script");
	}
	rc = ops_enqueue_build(r, o.id, &job);
	overlay_fini(&o);
	if (rc != DB_OK)
		return db_fail(r, rc);
	snprintf(loc, sizeof(loc), "/jobs/%" PRId64, job);
	return web_redirect(r, loc);
}

int page_overlay_delete(struct req *r)
{
	struct overlay o;
	int rc = ops_overlay(r, r->cap[0], false, &o);

	if (rc != DB_OK)
		return db_fail(r, rc);
	rc = db_overlay_delete(web_db(r), o.id);
	overlay_fini(&o);
	if (rc == DB_INVALID)
		return web_error(r, 409, "a blueprint still uses this overlay");
	if (rc != DB_OK)
		return db_fail(r, rc);
	return web_redirect(r, "/overlays");
}

/* Where to go after changing a file: the overlay page at path's directory. */
static int redirect_to_dir(struct req *r, int64_t id, const char *path)
{
	const char *slash = strrchr(path, '/');
	struct strbuf loc;
	int ret;

	strbuf_init(&loc);
	strbuf_printf(&loc, "/overlays/%" PRId64, id);
	if (slash) {
		char *dir = xstrndup(path, (size_t)(slash - path));

		strbuf_puts(&loc, "?path=");
		url_escape(&loc, dir);
		free(dir);
	}
	ret = web_redirect(r, loc.buf);
	strbuf_fini(&loc);
	return ret;
}

/* The upload form: a file into a user overlay at the "path" field (a path
 * ending in "/" or an empty one takes the file's own name). */
int page_overlay_upload(struct req *r)
{
	const char *field = web_param(r, "path");
	struct overlay o;
	char *path;
	int rc = ops_overlay(r, r->cap[0], false, &o);

	if (rc != DB_OK)
		return db_fail(r, rc);
	if (!files_overlay_writable(&o)) {
		overlay_fini(&o);
		return web_error(r, 409, "global overlays take no uploads");
	}
	if (!r->file) {
		overlay_fini(&o);
		return web_error(r, 400, "no file in the form");
	}
	if (!field)
		field = "";
	if (!field[0] || field[strlen(field) - 1] == '/') {
		const char *base = strrchr(r->file->filename, '/');

		path = xasprintf("%s%s", field, base ? base + 1 : r->file->filename);
	} else {
		path = xstrdup(field);
	}
	if (!valid_overlay_path(path)) {
		overlay_fini(&o);
		free(path);
		return web_error(r, 400, "not a valid overlay path");
	}
	if (files_write(r->w->cfg->state_dir, &o, path, r->file->data, r->file->len) < 0) {
		rc = errno;
		overlay_fini(&o);
		free(path);
		return web_error(r, rc == EINVAL ? 400 : 409, "cannot write that path");
	}
	(void)db_audit(web_db(r), r->user.id, r->user.name, "overlay_upload", r->cap[0], "");
	rc = redirect_to_dir(r, o.id, path);
	overlay_fini(&o);
	free(path);
	return rc;
}

int page_overlay_delete_file(struct req *r)
{
	const char *path = web_param(r, "path");
	struct overlay o;
	int rc = ops_overlay(r, r->cap[0], false, &o);

	if (rc != DB_OK)
		return db_fail(r, rc);
	if (!files_overlay_writable(&o)) {
		overlay_fini(&o);
		return web_error(r, 409, "global overlays cannot be changed");
	}
	if (!path || !valid_overlay_path(path)) {
		overlay_fini(&o);
		return web_error(r, 400, "not a valid overlay path");
	}
	if (files_delete(r->w->cfg->state_dir, &o, path) < 0) {
		rc = errno;
		overlay_fini(&o);
		return web_error(r, rc == ENOENT ? 404 : 409,
				 rc == ENOENT ? "no such file" : "cannot delete that path");
	}
	(void)db_audit(web_db(r), r->user.id, r->user.name, "overlay_file_delete", r->cap[0], "");
	rc = redirect_to_dir(r, o.id, path);
	overlay_fini(&o);
	return rc;
}

/* Shared with the API: the download route. */
int page_overlay_file(struct req *r)
{
	struct overlay o;
	bool is_dir = false;
	int rc = ops_overlay(r, r->cap[0], true, &o), fd;

	if (rc != DB_OK)
		return db_fail(r, rc);
	if (!valid_overlay_path(r->cap[1])) {
		overlay_fini(&o);
		return web_error(r, 400, "bad path");
	}
	fd = files_open(r->w->cfg->state_dir, &o, r->cap[1], &is_dir);
	overlay_fini(&o);
	if (fd < 0)
		return web_error(r, errno == ENOENT ? 404 : 403,
				 errno == ENOENT ? "no such file" : "refused");
	if (is_dir) {
		close(fd);
		return web_error(r, 400, "a directory");
	}
	return web_respond_file(r, fd, r->cap[1]);
}

/* ---- global overlays ------------------------------------------------------------ */

int page_globals(struct req *r)
{
	struct global_source *src;
	size_t ns, i, k;
	struct html h;

	if (db_global_source_list(web_db(r), &src, &ns) != DB_OK)
		return db_fail(r, DB_ERROR);
	html_init(&h);
	page_begin(r, &h, "Global overlays");
	html_printf(&h, "<h1>Global overlays</h1>");
	if (r->user.admin) {
		html_printf(&h, "<section class=\"card actions\">");
		page_button(r, &h, "Refresh now", "primary", "/global-overlays/refresh");
		html_printf(&h, "</section>");
	}
	if (ns == 0)
		html_printf(&h, "<section class=\"card\"><p class=\"muted\">No sources yet: the "
				"fetcher creates them at its first refresh.</p></section>");
	for (i = 0; i < ns; i++) {
		struct global_item *items;
		int64_t counts[3] = {0, 0, 0};
		size_t ni;

		html_printf(&h,
			    "<section class=\"card\"><h2>%s</h2><dl class=\"facts\">"
			    "<dt>Kind</dt><dd>%s</dd><dt>Complete</dt><dd>",
			    src[i].name, src[i].kind);
		state_badge(&h, src[i].complete ? "complete" : "incomplete");
		items = NULL;
		ni = 0;
		(void)db_global_item_list(web_db(r), src[i].id, &items, &ni);
		for (k = 0; k < ni; k++)
			counts[items[k].state]++;
		html_printf(&h,
			    "</dd><dt>Items</dt><dd>%D of %D present (%D ok, %D failed, %D "
			    "pending)</dd><dt>Last refresh</dt><dd>%T</dd><dt>Last success</dt>"
			    "<dd>%T</dd>",
			    src[i].items_present, src[i].items_expected, counts[GITEM_OK],
			    counts[GITEM_FAILED], counts[GITEM_PENDING], src[i].last_refresh_at,
			    src[i].last_success_at);
		if (src[i].last_error)
			html_printf(&h, "<dt>Last error</dt><dd class=\"error\">%s</dd>",
				    src[i].last_error);
		if (src[i].overlay_id)
			html_printf(&h, "<dt>Overlay</dt><dd><a href=\"/overlays/%D\">#%D</a></dd>",
				    src[i].overlay_id, src[i].overlay_id);
		html_printf(&h, "</dl>");
		if (ni)
			html_printf(&h,
				    "<details><summary>%D items</summary><table>"
				    "<thead><tr><th>Item</th><th>State</th><th>Files</th>"
				    "<th>Fetched</th></tr></thead><tbody>",
				    (int64_t)ni);
		for (k = 0; k < ni; k++) {
			html_printf(&h, "<tr><td>%s</td><td>", items[k].name);
			state_badge(&h, global_item_state_name(items[k].state));
			if (items[k].error)
				html_printf(&h, " <span class=\"muted\">%s</span>", items[k].error);
			html_printf(&h, "</td><td>%D</td><td>%T</td></tr>",
				    (int64_t)items[k].n_files, items[k].fetched_at);
		}
		if (ni)
			html_printf(&h, "</tbody></table></details>");
		global_item_list_free(items, ni);
		html_printf(&h, "</section>");
	}
	global_source_list_free(src, ns);
	return page_finish(r, &h, 200);
}

int page_globals_refresh(struct req *r)
{
	int64_t job;
	char loc[64];
	int rc = ops_enqueue(r, JOB_REFRESH_GLOBAL_OVERLAYS, NULL, "refresh_global_overlays", &job);

	if (rc != DB_OK)
		return db_fail(r, rc);
	snprintf(loc, sizeof(loc), "/jobs/%" PRId64, job);
	return web_redirect(r, loc);
}

/* ---- jobs ------------------------------------------------------------------------- */

int page_jobs(struct req *r)
{
	struct job_filter f = {r->user.admin ? 0 : r->user.id, NULL, 0, 50};
	const char *before = web_query(r, "before");
	struct job *jobs;
	size_t nj;
	struct html h;

	if (before && !valid_id(before, &f.before_id))
		return web_error(r, 400, "bad page");
	if (db_job_list(web_db(r), &f, &jobs, &nj) != DB_OK)
		return db_fail(r, DB_ERROR);
	html_init(&h);
	page_begin(r, &h, "Jobs");
	html_printf(&h, "<h1>Jobs</h1><section class=\"card\">");
	jobs_table(r, &h, jobs, nj);
	if (nj == 50)
		html_printf(&h, "<p><a href=\"/jobs?before=%D\">Older</a></p>", jobs[nj - 1].id);
	html_printf(&h, "</section>");
	job_list_free(jobs, nj);
	return page_finish(r, &h, 200);
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
static int job_log_block(struct req *r, struct html *h, const struct job *j)
{
	struct job_log_line *lines;
	size_t n, i;
	int64_t last = 0;
	char *progress = NULL;
	struct html body;

	html_init(&body);
	for (;;) {
		if (db_job_log_read(web_db(r), j->id, last, 1000, &lines, &n) != DB_OK) {
			html_fini(&body);
			free(progress);
			return -1;
		}
		for (i = 0; i < n; i++) {
			html_printf(&body, "<span class=\"l-%a\">%s</span>\n",
				    job_stream_name(lines[i].stream), lines[i].line);
			last = lines[i].id;
			if (lines[i].stream == STREAM_PROGRESS) {
				free(progress);
				progress = xstrdup(lines[i].line);
			}
		}
		job_log_lines_free(lines, n);
		if (n < 1000 || html_len(&body) > 4 * 1024 * 1024)
			break;
	}
	progress_bar(h, progress);
	html_printf(h, "<pre class=\"log\" id=\"log\" ");
	if (!job_state_is_final(j->state))
		html_printf(h, "data-events=\"/api/v1/jobs/%D/events?after=%D\" ", j->id, last);
	html_printf(h, "data-state=\"%a\">", job_state_name(j->state));
	html_append(h, &body);
	html_printf(h, "</pre>");
	free(progress);
	html_fini(&body);
	return 0;
}

int page_job(struct req *r)
{
	struct job j;
	struct html h;
	char title[32];
	int rc = ops_job(r, r->cap[0], &j);

	if (rc != DB_OK)
		return db_fail(r, rc);
	snprintf(title, sizeof(title), "Job #%" PRId64, j.id);
	html_init(&h);
	page_begin(r, &h, title);
	html_printf(&h,
		    "<h1>Job #%D <span class=\"muted\">%s %s</span></h1><section class=\"card\">"
		    "<dl class=\"facts\"><dt>State</dt><dd id=\"job-state\">",
		    j.id, job_kind_name(j.kind), j.target);
	state_badge(&h, job_state_name(j.state));
	html_printf(&h,
		    "</dd><dt>User</dt><dd>%s</dd><dt>Created</dt><dd>%T</dd><dt>Started</dt>"
		    "<dd>%T</dd><dt>Finished</dt><dd>%T</dd>",
		    j.user_name ? j.user_name : "system", j.created_at, j.started_at,
		    j.finished_at);
	if (j.has_exit_code)
		html_printf(&h, "<dt>Exit status</dt><dd>%d</dd>", j.exit_code);
	if (j.reason)
		html_printf(&h, "<dt>Reason</dt><dd>%s</dd>", j.reason);
	if (job_kind_is_server(j.kind))
		html_printf(&h, "<dt>Server</dt><dd><a href=\"/servers/%u\">%s</a></dd>", j.target,
			    j.target);
	html_printf(&h, "</dl></section><section class=\"card\"><h2>Log</h2>");
	if (job_log_block(r, &h, &j) < 0) {
		html_fini(&h);
		job_fini(&j);
		return db_fail(r, DB_ERROR);
	}
	html_printf(&h, "</section>");
	job_fini(&j);
	return page_finish(r, &h, 200);
}

/* ---- admin ------------------------------------------------------------------------- */

int page_admin(struct req *r)
{
	struct user *users;
	size_t nu, i;
	struct job_filter f = {0, NULL, 0, 200};
	struct job *jobs;
	size_t nj;
	struct html h;

	if (db_user_list(web_db(r), &users, &nu) != DB_OK)
		return db_fail(r, DB_ERROR);
	if (db_job_list(web_db(r), &f, &jobs, &nj) != DB_OK) {
		user_list_free(users, nu);
		return db_fail(r, DB_ERROR);
	}
	html_init(&h);
	page_begin(r, &h, "Admin");
	html_printf(&h, "<h1>Admin</h1><section class=\"card\"><h2>Game installation</h2>"
			"<p class=\"muted\">SteamCMD installs or updates Left 4 Dead 2 "
			"(app 222860).</p>");
	page_button(r, &h, "Install / update game", "primary", "/admin/install-game");
	for (i = 0; i < nj; i++) {
		if (jobs[i].kind != JOB_INSTALL_GAME)
			continue;
		html_printf(&h, "<h3>Last run: <a href=\"/jobs/%D\">job #%D</a> ", jobs[i].id,
			    jobs[i].id);
		state_badge(&h, job_state_name(jobs[i].state));
		html_printf(&h, "</h3>");
		if (job_log_block(r, &h, &jobs[i]) < 0) {
			html_fini(&h);
			job_list_free(jobs, nj);
			user_list_free(users, nu);
			return db_fail(r, DB_ERROR);
		}
		break;
	}
	html_printf(&h, "</section><section class=\"card\"><h2>Users</h2><table><thead><tr>"
			"<th>Name</th><th>Role</th><th>Status</th><th>Actions</th>"
			"<th>New password</th></tr></thead><tbody>");
	for (i = 0; i < nu; i++) {
		html_printf(&h, "<tr><td>%s</td><td>%s</td><td>", users[i].name,
			    users[i].admin ? "admin" : "user");
		state_badge(&h, users[i].disabled ? "disabled" : "active");
		html_printf(&h, "</td><td>");
		if (users[i].id != r->user.id)
			page_button(r, &h, users[i].disabled ? "Enable" : "Disable",
				    users[i].disabled ? "" : "danger", "/admin/users/%D/%u",
				    users[i].id, users[i].disabled ? "enable" : "disable");
		html_printf(&h,
			    "</td><td><form class=\"inline\" method=\"post\" "
			    "action=\"/admin/users/%D/password\">",
			    users[i].id);
		page_csrf_input(r, &h);
		html_printf(&h,
			    "<input type=\"password\" name=\"password\" minlength=\"8\" "
			    "required autocomplete=\"new-password\" aria-label=\"new password "
			    "for %a\"><button type=\"submit\">Reset</button></form></td></tr>",
			    users[i].name);
	}
	html_printf(&h, "</tbody></table><h3>Add user</h3><form method=\"post\" "
			"action=\"/admin/users\" class=\"grid\">");
	page_csrf_input(r, &h);
	html_printf(&h, "<label>Name <input name=\"username\" required maxlength=\"32\"></label>"
			"<label>Password <input type=\"password\" name=\"password\" "
			"minlength=\"8\" required autocomplete=\"new-password\"></label>"
			"<label class=\"check\"><input type=\"checkbox\" name=\"admin\" "
			"value=\"1\"> admin</label><button type=\"submit\" class=\"primary\">Add"
			"</button></form></section>");
	job_list_free(jobs, nj);
	user_list_free(users, nu);
	return page_finish(r, &h, 200);
}

int page_admin_install(struct req *r)
{
	int64_t job;
	char loc[64];
	int rc = ops_enqueue(r, JOB_INSTALL_GAME, NULL, "install_game", &job);

	if (rc != DB_OK)
		return db_fail(r, rc);
	snprintf(loc, sizeof(loc), "/jobs/%" PRId64, job);
	return web_redirect(r, loc);
}

int page_admin_user_add(struct req *r)
{
	const char *name = web_param(r, "username"), *pw = web_param(r, "password"),
		   *admin = web_param(r, "admin");
	char hash[AUTH_HASH_MAX];
	int rc;

	if (!name || !valid_username(name))
		return web_error(r, 400, "a user name is [a-z0-9][a-z0-9._-]{0,31}");
	if (!pw || !valid_password(pw))
		return web_error(r, 400, "a password is 8 to 1024 characters");
	if (auth_hash_password(pw, hash) < 0)
		return web_error(r, 500, "cannot hash the password");
	rc = db_user_add(web_db(r), name, hash, admin && strcmp(admin, "1") == 0, NULL);
	explicit_bzero(hash, sizeof(hash));
	if (rc == DB_EXISTS)
		return web_error(r, 409, "that user exists");
	if (rc != DB_OK)
		return db_fail(r, rc);
	(void)db_audit(web_db(r), r->user.id, r->user.name, "user_add", name, "");
	return web_redirect(r, "/admin");
}

int page_admin_user_action(struct req *r)
{
	const char *act = r->cap[1];
	char hash[AUTH_HASH_MAX];
	int64_t id;
	struct user u;
	int rc;

	if (!valid_id(r->cap[0], &id) || db_user_get(web_db(r), id, &u) != DB_OK)
		return web_error(r, 404, "not found");
	if (strcmp(act, "disable") == 0 || strcmp(act, "enable") == 0) {
		if (id == r->user.id) {
			user_fini(&u);
			return web_error(r, 400, "you cannot disable yourself");
		}
		rc = db_user_set_disabled(web_db(r), id, act[0] == 'd');
	} else if (strcmp(act, "password") == 0) {
		const char *pw = web_param(r, "password");

		if (!pw || !valid_password(pw)) {
			user_fini(&u);
			return web_error(r, 400, "a password is 8 to 1024 characters");
		}
		if (auth_hash_password(pw, hash) < 0) {
			user_fini(&u);
			return web_error(r, 500, "cannot hash the password");
		}
		rc = db_user_set_password(web_db(r), id, hash);
		explicit_bzero(hash, sizeof(hash));
	} else {
		user_fini(&u);
		return web_error(r, 404, "not found");
	}
	if (rc == DB_OK)
		(void)db_audit(web_db(r), r->user.id, r->user.name, act, u.name, "");
	user_fini(&u);
	if (rc != DB_OK)
		return db_fail(r, rc);
	return web_redirect(r, "/admin");
}

/* ---- static, health, metrics -------------------------------------------------------- */

int page_static(struct req *r)
{
	const char *type;
	size_t len;
	const char *data = asset_get(r->cap[0], &type, &len);

	if (!data)
		return web_error(r, 404, "not found");
	return web_respond_static(r, type, data, len);
}

int page_healthz(struct req *r)
{
	return web_respond_text(r, 200, "ok\n");
}

int page_metrics(struct req *r)
{
	int64_t counts[5] = {0};
	struct strbuf sb;
	int i;

	strbuf_init(&sb);
	strbuf_printf(&sb,
		      "# HELP left4me_web_requests_total HTTP requests received.\n"
		      "# TYPE left4me_web_requests_total counter\n"
		      "left4me_web_requests_total %llu\n",
		      (unsigned long long)atomic_load(&r->w->requests_total));
	strbuf_puts(&sb, "# HELP left4me_web_responses_total HTTP responses by status class.\n"
			 "# TYPE left4me_web_responses_total counter\n");
	for (i = 1; i < 6; i++)
		strbuf_printf(&sb, "left4me_web_responses_total{code=\"%dxx\"} %llu\n", i,
			      (unsigned long long)atomic_load(&r->w->responses_by_class[i]));
	strbuf_printf(&sb,
		      "# HELP left4me_web_streams_open Open SSE streams.\n"
		      "# TYPE left4me_web_streams_open gauge\n"
		      "left4me_web_streams_open %zu\n",
		      hub_streams_open(r->w->hub));
	if (db_job_count_by_state(web_db(r), counts) == DB_OK) {
		strbuf_puts(&sb, "# HELP left4me_jobs Jobs by state.\n# TYPE left4me_jobs gauge\n");
		for (i = 0; i < 5; i++)
			strbuf_printf(&sb, "left4me_jobs{state=\"%s\"} %lld\n",
				      job_state_name((enum job_state)i), (long long)counts[i]);
	}
	return web_respond(r, 200, "text/plain; version=0.0.4; charset=utf-8", &sb);
}
