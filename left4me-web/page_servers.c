/* Servers: the list with its create form, one server with its actions
 * and jobs, and its console (live output, a command form).  Another
 * user's server is "not found". */
#include "page_servers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console.h"
#include "db.h"
#include "db_rcon.h"
#include "files.h"
#include "log.h"
#include "ops.h"
#include "page.h"
#include "parse.h"
#include "svgchart.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

/* The charts span the history left4me-status keeps (db_status.h). */
#define CHART_MINUTES 1440

int page_servers(struct req *r)
{
	struct server *servers;
	struct blueprint *bps;
	size_t ns, nb, i;
	struct html h;

	if (db_server_list(web_db(r), r->user.id, &servers, &ns) != DB_OK)
		return ops_db_fail(r, DB_ERROR);
	if (db_blueprint_list(web_db(r), r->user.id, &bps, &nb) != DB_OK) {
		server_list_free(servers, ns);
		return ops_db_fail(r, DB_ERROR);
	}
	html_init(&h);
	page_begin(r, &h, "Servers");
	html_printf(&h, "<h1>Servers</h1><section class=\"card\">");
	page_servers_table(r, &h, servers, ns);
	html_printf(&h, "</section><section class=\"card\"><h2>New server</h2>");
	if (!files_game_installed(r->w->cfg->state_dir) && r->user.admin)
		html_printf(&h, "<p class=\"error\" id=\"no-game\">The game is not installed: "
				"<a href=\"/admin\">install the game first</a> (Install / update "
				"game); no server can start before.</p>");
	else if (!files_game_installed(r->w->cfg->state_dir))
		html_printf(&h, "<p class=\"error\" id=\"no-game\">The game is not installed: "
				"install the game first (an administrator does it on the Admin "
				"page); no server can start before.</p>");
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
				"min=\"1024\" max=\"65535\" value=\"27015\" required></label>");
		page_launch_fields(&h, &(struct launch_settings){0}, true, NULL);
		html_printf(&h, "<button type=\"submit\" class=\"primary\">Create</button></form>");
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
	struct ops_launch ls;
	struct ops_error err;
	int64_t bpid = 0;
	long long p = 0;
	char *loc;
	int ret;

	/* A missing or malformed number is 0, which ops refuses by its rule. */
	if (bp && !valid_id(bp, &bpid))
		bpid = 0;
	if (port && parse_int(port, 0, 65535, &p) < 0)
		p = 0;
	page_launch_read(r, &(struct launch_settings){0}, &ls);
	if (ops_server_create(r, name, bpid, p, &ls, &err) < 0)
		return ops_fail(r, &err);
	loc = xasprintf("/servers/%s", name);
	ret = web_redirect(r, loc);
	free(loc);
	return ret;
}

/* How players join: "connect HOST:PORT" with a copy button (app.js shows
 * it) and the steam:// link. */
static void connect_info(struct req *r, struct html *h, const struct server *s)
{
	char addr[OPS_CONNECT_MAX];

	ops_connect_address(r, s->port, addr, sizeof(addr));
	html_printf(h,
		    "<dt>Connect</dt><dd class=\"connect\"><code id=\"connect\">connect %s</code> "
		    "<button type=\"button\" class=\"copy\" data-copy=\"connect %a\" hidden>"
		    "Copy</button> <a id=\"steam-connect\" href=\"steam://connect/%a\">Join "
		    "with Steam</a></dd>",
		    addr, addr, addr);
}

/* The live facts of s (state, map, players) that app.js keeps current;
 * without a status row yet, "stopped". */
static void live_facts(struct req *r, struct html *h, const struct server *s)
{
	struct status_entry e;

	memset(&e, 0, sizeof(e));
	e.has_status = db_status_get(web_db(r), s->name, &e.st) == DB_OK;
	page_live_cells(h, "dd", &e);
}

/* "1h 02m", "5m 09s", "42s". */
static const char *duration(int sec, char *buf, size_t len)
{
	if (sec >= 3600)
		snprintf(buf, len, "%dh %02dm", sec / 3600, sec / 60 % 60);
	else if (sec >= 60)
		snprintf(buf, len, "%dm %02ds", sec / 60, sec % 60);
	else
		snprintf(buf, len, "%ds", sec < 0 ? 0 : sec);
	return buf;
}

/* Who is playing: the last A2S_PLAYER answer. */
static void player_list(struct req *r, struct html *h, const struct server *s)
{
	struct status_player *pl;
	char d[32];
	size_t n;

	html_printf(h, "<section class=\"card\" id=\"players\"><h2>Players</h2>");
	if (db_status_players(web_db(r), s->name, &pl, &n) != DB_OK || n == 0) {
		html_printf(h, "<p class=\"muted\">Nobody is playing.</p></section>");
		return;
	}
	html_printf(h, "<table><thead><tr><th>Name</th><th>Score</th><th>Time connected</th>"
		       "</tr></thead><tbody>");
	for (size_t i = 0; i < n; i++)
		html_printf(h, "<tr><td>%s</td><td>%d</td><td>%s</td></tr>", pl[i].name,
			    pl[i].score, duration(pl[i].seconds, d, sizeof(d)));
	html_printf(h, "</tbody></table></section>");
	free(pl);
}

/* The three charts of the last 24 hours: players, CPU (percent of one
 * core, from the cumulative CPU time of neighbouring minutes) and memory. */
static void charts(struct req *r, struct html *h, const struct server *s)
{
	int64_t now = now_ms() / 1000, since = now / 60 - CHART_MINUTES;
	struct svg_point *pl, *cpu, *mem;
	struct status_sample *hs;
	size_t n = 0, i;
	struct svg_chart c = {NULL, NULL, SVG_UNIT_COUNT, since * 60, now, 150};

	if (db_status_history(web_db(r), s->name, since, &hs, &n) != DB_OK)
		n = 0;
	pl = xcalloc(n + 1, sizeof(*pl));
	cpu = xcalloc(n + 1, sizeof(*cpu));
	mem = xcalloc(n + 1, sizeof(*mem));
	for (i = 0; i < n; i++) {
		int64_t t = hs[i].minute * 60;

		pl[i] = (struct svg_point){t, hs[i].players, hs[i].has_players};
		mem[i] = (struct svg_point){t, (double)hs[i].memory_bytes, hs[i].has_memory};
		cpu[i].t = t;
		/* a counter that went back is a restart: no rate across it */
		if (i > 0 && hs[i].has_cpu && hs[i - 1].has_cpu &&
		    hs[i].cpu_nsec >= hs[i - 1].cpu_nsec && hs[i].minute > hs[i - 1].minute) {
			cpu[i].v = (double)(hs[i].cpu_nsec - hs[i - 1].cpu_nsec) * 100 /
				   ((double)(hs[i].minute - hs[i - 1].minute) * 60e9);
			cpu[i].has = true;
		}
	}
	html_printf(h, "<section class=\"card charts\" id=\"charts\"><h2>Last 24 hours</h2>");
	c.id = "chart-players";
	c.title = "Players";
	svgchart_render(h, &c, pl, n);
	c.id = "chart-cpu";
	c.title = "CPU (% of one core)";
	c.unit = SVG_UNIT_PERCENT;
	svgchart_render(h, &c, cpu, n);
	c.id = "chart-memory";
	c.title = "Memory";
	c.unit = SVG_UNIT_BYTES;
	svgchart_render(h, &c, mem, n);
	html_printf(h, "</section>");
	free(pl);
	free(cpu);
	free(mem);
	free(hs);
}

/* The server's own launch settings, a form over the blueprint's. */
static void launch_card(struct req *r, struct html *h, const struct server *s)
{
	const struct launch_settings own = {s->start_map, s->max_players, s->tickrate,
					    s->launch_args};
	const struct launch_settings bp = {s->bp_start_map, s->bp_max_players, s->bp_tickrate,
					   s->bp_launch_args};

	html_printf(h,
		    "<section class=\"card\" id=\"launch\"><h2>Launch settings</h2>"
		    "<form method=\"post\" action=\"/servers/%u/settings\">",
		    s->name);
	page_csrf_input(r, h);
	page_launch_fields(h, &own, true, &bp);
	html_printf(h, "<div class=\"actions\"><button type=\"submit\" class=\"primary\">Save"
		       "</button></div></form></section>");
}

int page_server_settings(struct req *r)
{
	struct ops_launch ls;
	struct ops_error err;
	struct server s;
	char *loc;
	int ret, rc = ops_server(r, r->cap[0], &s);

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	page_launch_read(
	    r, &(struct launch_settings){s.start_map, s.max_players, s.tickrate, s.launch_args},
	    &ls);
	rc = ops_server_launch(r, s.name, &ls, &err);
	server_fini(&s);
	if (rc < 0)
		return ops_fail(r, &err);
	loc = xasprintf("/servers/%s#launch", r->cap[0]);
	ret = web_redirect(r, loc);
	free(loc);
	return ret;
}

/* ---- schedules (issue 16) ------------------------------------------------------ */

/* A unix time (s) in the host's time zone, as schedules run on it. */
static const char *local_when(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !localtime_r(&tt, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M %Z", &tm) == 0)
		snprintf(buf, len, "-");
	return buf;
}

/* A refused create: the bad field (marked in the form), the sentence
 * and what was typed, shown again. */
struct sched_form {
	const char *field, *msg;
	struct schedule_input in;
};

static const char *invalid(const struct sched_form *f, const char *field)
{
	return f && f->field && strcmp(f->field, field) == 0 ? "true" : "false";
}

static void schedule_row(struct req *r, struct html *h, const struct server *s,
			 const struct schedule *c)
{
	char next[48], last[48], cmd[CONSOLE_COMMAND_MAX + 16] = "";

	if (c->action == SCHED_COMMAND)
		console_audit_text(c->command, cmd, sizeof(cmd));
	html_printf(h,
		    "<tr id=\"schedule-%D\"><td>%D</td><td>%s</td><td><code>%s</code></td>"
		    "<td>%s</td><td>",
		    c->id, c->id, sched_action_name(c->action), c->cron, cmd);
	if (c->only_when_empty)
		html_printf(h, "when empty, up to %d min, then %s", c->wait_minutes,
			    c->force_on_timeout ? "force" : "skip");
	else
		html_printf(h, "always");
	html_printf(h, "</td><td class=\"next-run\">%s</td><td>%s</td><td>%s</td><td>",
		    c->enabled ? local_when(c->next_run, next, sizeof(next)) : "disabled",
		    local_when(c->last_run, last, sizeof(last)), c->last_result);
	page_button(r, h, c->enabled ? "disable" : "enable", "", "/servers/%u/schedules/%D/%u",
		    s->name, c->id, c->enabled ? "disable" : "enable");
	page_button(r, h, "delete", "danger", "/servers/%u/schedules/%D/delete", s->name, c->id);
	html_printf(h, "</td></tr>");
}

static void schedule_form(struct req *r, struct html *h, const struct server *s,
			  const struct sched_form *f)
{
	static const char *const actions[] = {"restart", "update", "command"};
	const struct schedule_input *in = f ? &f->in : NULL;
	const char *act = in && in->action ? in->action : "restart";

	if (f)
		html_printf(h, "<p class=\"error\" id=\"schedule-error\" role=\"alert\">%s</p>",
			    f->msg);
	html_printf(h, "<form method=\"post\" action=\"/servers/%u/schedules\" class=\"grid\">",
		    s->name);
	page_csrf_input(r, h);
	html_printf(h, "<label>Action <select name=\"action\" aria-invalid=\"%s\">",
		    invalid(f, "action"));
	for (size_t i = 0; i < 3; i++)
		html_printf(h, "<option%s>%s</option>",
			    strcmp(act, actions[i]) == 0 ? " selected" : "", actions[i]);
	html_printf(
	    h,
	    "</select></label><label>Cron (min hour day month weekday, host time) "
	    "<input name=\"cron\" required maxlength=\"%d\" placeholder=\"0 4 * * *\" "
	    "value=\"%a\" aria-invalid=\"%s\"></label>"
	    "<label>Command (for action command) <input name=\"command\" maxlength=\"%d\" "
	    "value=\"%a\" aria-invalid=\"%s\"></label>"
	    "<label><input type=\"checkbox\" name=\"only_when_empty\" value=\"1\"%s> "
	    "Only when no human players</label>"
	    "<label>Wait up to (minutes) <input name=\"wait_minutes\" type=\"number\" "
	    "min=\"0\" max=\"%d\" value=\"%d\" aria-invalid=\"%s\"></label>"
	    "<label>Then <select name=\"on_timeout\" aria-invalid=\"%s\"><option "
	    "value=\"skip\">skip"
	    "</option><option value=\"force\"%s>force</option></select></label>"
	    "<button type=\"submit\" class=\"primary\">Add schedule</button></form>",
	    CRON_TEXT_MAX, in && in->cron ? in->cron : "", invalid(f, "cron"), CONSOLE_COMMAND_MAX,
	    in && in->command ? in->command : "", invalid(f, "command"),
	    in && in->only_when_empty ? " checked" : "", SCHED_WAIT_MAX,
	    in ? (int)in->wait_minutes : 15, invalid(f, "wait_minutes"), invalid(f, "on_timeout"),
	    in && in->on_timeout && strcmp(in->on_timeout, "force") == 0 ? " selected" : "");
}

static void schedules_section(struct req *r, struct html *h, const struct server *s,
			      const struct sched_form *f)
{
	struct schedule *list = NULL;
	size_t n = 0;

	html_printf(h, "<section class=\"card\" id=\"schedules\"><h2>Schedules</h2>");
	if (db_schedule_list(web_db(r), s->id, &list, &n) != DB_OK)
		html_printf(h, "<p class=\"error\">The schedules cannot be read.</p>");
	else if (n == 0)
		html_printf(h, "<p class=\"muted\">No schedules.</p>");
	else {
		html_printf(h, "<table><thead><tr><th>Id</th><th>Action</th><th>Cron</th>"
			       "<th>Command</th><th>Policy</th><th>Next run</th><th>Last run</th>"
			       "<th>Last result</th><th></th></tr></thead><tbody>");
		for (size_t i = 0; i < n; i++)
			schedule_row(r, h, s, &list[i]);
		html_printf(h, "</tbody></table>");
	}
	free(list);
	schedule_form(r, h, s, f);
	html_printf(h, "</section>");
}

/* The RCON card (docs/SECURITY.md, "RCON"): the password hidden until
 * revealed (a <details>, no script needed), the address tools connect
 * to, and the rotate button, which asks first. */
static void rcon_card(struct req *r, struct html *h, const struct server *s)
{
	const char *done = web_query(r, "rcon");
	char addr[OPS_CONNECT_MAX];
	struct rcon_row rc;

	html_printf(h, "<section class=\"card\" id=\"rcon\"><h2>RCON</h2>");
	if (db_rcon_get(web_db(r), s->id, &rc) != DB_OK) {
		html_printf(h,
			    "<p class=\"error\">The RCON password cannot be read.</p></section>");
		return;
	}
	ops_connect_address(r, s->port, addr, sizeof(addr));
	html_printf(h,
		    "<p class=\"muted\">For external tools (HLSW, SourceBans): RCON over TCP at "
		    "<code id=\"rcon-address\">%s</code>.  Only you and the administrators see "
		    "this password.</p>",
		    addr);
	if (done && strcmp(done, "rotated") == 0)
		html_printf(h, "<p class=\"muted\" id=\"rcon-rotated\">A new password was made.  "
			       "It takes effect at the server's next start; a running server "
			       "keeps the old one until then.</p>");
	html_printf(h,
		    "<details id=\"rcon-reveal\"><summary>Show the RCON password</summary>"
		    "<p><code id=\"rcon-password\">%s</code> <button type=\"button\" "
		    "class=\"copy\" data-copy=\"%a\" hidden>Copy</button></p><p class=\"muted\">"
		    "Made %T.  The server gets it at its next start.</p></details>"
		    "<div class=\"actions\">",
		    rc.password, rc.password, rc.rotated_at);
	explicit_bzero(&rc, sizeof(rc));
	page_button(r, h, "Rotate RCON password", "", "/servers/%u/rcon", s->name);
	html_printf(h, "</div></section>");
}

/* The server page (sf: a refused schedule form to show again, or NULL). */
static int server_page(struct req *r, const char *name, const struct sched_form *sf,
		       unsigned status)
{
	struct job_filter f = {0, NULL, 0, 20};
	struct server s;
	struct job *jobs;
	size_t nj, i;
	struct html h;
	static const char *const actions[] = {"start", "stop", "restart"};
	int rc = ops_server(r, name, &s);

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	f.target = s.name;
	f.user_id = r->user.id;
	if (db_job_list(web_db(r), &f, &jobs, &nj) != DB_OK) {
		server_fini(&s);
		return ops_db_fail(r, DB_ERROR);
	}
	html_init(&h);
	page_begin(r, &h, s.name);
	html_printf(&h,
		    "<h1>Server %s</h1><section class=\"card\"><dl class=\"facts\" "
		    "data-server=\"%a\" data-status-events=\"/api/v1/status/events\">",
		    s.name, s.name);
	live_facts(r, &h, &s);
	html_printf(&h, "<dt>State</dt><dd>");
	page_state_badge(&h, server_state_name(s.state));
	if (s.state_reason)
		html_printf(&h, " <span class=\"muted\">%s</span>", s.state_reason);
	html_printf(&h, "</dd><dt>Port</dt><dd>%d</dd>", s.port);
	connect_info(r, &h, &s);
	html_printf(&h,
		    "<dt>Blueprint</dt><dd><a href=\"/blueprints/%D\">%s</a></dd><dt>Created</dt>"
		    "<dd>%T</dd></dl><div class=\"actions\">",
		    s.blueprint_id, s.blueprint_name, s.created_at);
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		page_button(r, &h, actions[i], "", "/servers/%u/%u", s.name, actions[i]);
	page_button(r, &h, "Download its data", "", "/servers/%u/export", s.name);
	html_printf(&h,
		    "<a class=\"button\" href=\"/servers/%u/console\">Console</a></div>"
		    "<div class=\"danger-zone\"><h3>Danger zone</h3><p class=\"muted\">Each asks "
		    "first and says what goes.</p><div class=\"actions\">",
		    s.name);
	page_button(r, &h, "reset", "danger", "/servers/%u/reset", s.name);
	page_button(r, &h, "delete", "danger", "/servers/%u/delete", s.name);
	html_printf(&h, "</div></div></section>");
	player_list(r, &h, &s);
	charts(r, &h, &s);
	schedules_section(r, &h, &s, sf);
	launch_card(r, &h, &s);
	rcon_card(r, &h, &s);
	html_printf(&h, "<section class=\"card\"><h2>Jobs</h2>");
	page_jobs_table(r, &h, jobs, nj);
	html_printf(&h, "</section>");
	job_list_free(jobs, nj);
	server_fini(&s);
	return page_finish(r, &h, status);
}

int page_server(struct req *r)
{
	return server_page(r, r->cap[0], NULL, 200);
}

static int back_to_schedules(struct req *r, const char *name)
{
	char *loc = xasprintf("/servers/%s#schedules", name);
	int ret = web_redirect(r, loc);

	free(loc);
	return ret;
}

int page_schedule_create(struct req *r)
{
	const char *wait = web_param(r, "wait_minutes"), *empty = web_param(r, "only_when_empty");
	struct sched_form f = {0};
	struct server s;
	long long w = 0;
	char msg[512];
	unsigned status;
	int64_t id;
	int rc = ops_server(r, r->cap[0], &s);

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	f.in.action = web_param(r, "action");
	f.in.cron = web_param(r, "cron");
	f.in.command = web_param(r, "command");
	if (f.in.command && !f.in.command[0])
		f.in.command = NULL;
	f.in.only_when_empty = empty && strcmp(empty, "1") == 0;
	f.in.on_timeout = web_param(r, "on_timeout");
	f.in.enabled = true;
	/* a malformed number is -1, which the rule refuses by name */
	f.in.wait_minutes = !wait || !wait[0] ? 0 : parse_int(wait, 0, 1000000, &w) < 0 ? -1 : w;
	status = ops_schedule_save(r, &s, NULL, &f.in, &id, &f.field, msg, sizeof(msg));
	if (status >= 300) {
		f.msg = msg;
		if (!f.field)
			f.field = "";
		rc = server_page(r, s.name, &f, status);
	} else {
		rc = back_to_schedules(r, s.name);
	}
	server_fini(&s);
	return rc;
}

/* POST /servers/NAME/schedules/ID/enable|disable|delete */
int page_schedule_action(struct req *r)
{
	const char *verb = r->cap[2];
	struct ops_error err;
	struct server s;
	int64_t id;
	int rc;

	if (!valid_id(r->cap[1], &id) ||
	    (strcmp(verb, "enable") != 0 && strcmp(verb, "disable") != 0 &&
	     strcmp(verb, "delete") != 0))
		return web_error(r, 404, "not found");
	if ((rc = ops_server(r, r->cap[0], &s)) != DB_OK)
		return ops_db_fail(r, rc);
	if (strcmp(verb, "delete") == 0)
		rc = ops_schedule_delete(r, &s, id, &err);
	else
		rc = ops_schedule_set_enabled(r, &s, id, strcmp(verb, "enable") == 0, &err);
	rc = rc < 0 ? ops_fail(r, &err) : back_to_schedules(r, s.name);
	server_fini(&s);
	return rc;
}

/* The confirmation page of a reset or delete of s (error: why the last
 * try was refused, or NULL). */
static int confirm_server(struct req *r, const struct server *s, bool del, const char *error)
{
	char title[96], action[96], cancel[96], size[32], data[192], what[192];
	const char *lost[2];
	char export[96];
	struct page_confirm c = {title, action, del ? "Delete server" : "Reset server",
				 lost,	0,	del ? s->name : NULL,
				 error, cancel, export};
	int64_t bytes;
	int rc = ops_server_data_bytes(r, s, &bytes);

	snprintf(title, sizeof(title), "%s server %s?", del ? "Delete" : "Reset", s->name);
	snprintf(action, sizeof(action), "/servers/%s/%s", s->name, del ? "delete" : "reset");
	snprintf(cancel, sizeof(cancel), "/servers/%s", s->name);
	snprintf(export, sizeof(export), "/servers/%s/export", s->name);
	if (del) {
		snprintf(what, sizeof(what),
			 "The server %s and its settings (port %d); its blueprint and its "
			 "jobs stay.",
			 s->name, s->port);
		lost[c.n_lost++] = what;
	}
	if (rc == 0)
		snprintf(data, sizeof(data),
			 "Its writable data, %s (SourceMod data, bans, logs, the staged "
			 "config; STATE/runtime/%s).",
			 page_bytes(bytes, size, sizeof(size)), s->name);
	else if (rc == 1)
		snprintf(data, sizeof(data), "No writable data: the server was never started.");
	else
		snprintf(data, sizeof(data),
			 "Its writable data (SourceMod data, bans, logs; STATE/runtime/%s); "
			 "the web cannot read its size.",
			 s->name);
	lost[c.n_lost++] = data;
	return page_confirm(r, error ? 400 : 200, &c);
}

/* A reset or delete needs the confirm field of its confirmation page
 * (the server's name for a delete); without it, that page. */
static int server_destroy(struct req *r, enum job_kind kind)
{
	const char *confirm = web_param(r, "confirm");
	struct ops_error err;
	struct server s;
	int64_t job_id;
	int rc = ops_server(r, r->cap[0], &s), ret;

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	if (!confirm) {
		ret = confirm_server(r, &s, kind == JOB_DELETE, NULL);
	} else if (kind == JOB_DELETE ? ops_server_delete(r, s.name, confirm, &job_id, &err) < 0
				      : ops_server_enqueue(r, s.name, kind, &job_id, &err) < 0) {
		ret = err.status == 400 && kind == JOB_DELETE
			  ? confirm_server(r, &s, true,
					   "That is not the server's name; nothing was deleted.")
			  : ops_fail(r, &err);
	} else {
		ret = page_redirect_job(r, job_id);
	}
	server_fini(&s);
	return ret;
}

/* POST /servers/NAME/export: the worker archives its upper/ (a job). */
int page_server_export(struct req *r)
{
	struct ops_error err;
	int64_t job_id;

	if (ops_export_server(r, r->cap[0], &job_id, &err) < 0)
		return ops_fail(r, &err);
	return page_redirect_job(r, job_id);
}

int page_server_action(struct req *r)
{
	int kind = ops_server_action_kind(r->cap[1]);
	struct ops_error err;
	int64_t job_id;

	if (kind < 0)
		return web_error(r, 404, "not found");
	if (kind == JOB_RESET || kind == JOB_DELETE)
		return server_destroy(r, (enum job_kind)kind);
	if (ops_server_enqueue(r, r->cap[0], (enum job_kind)kind, &job_id, &err) < 0)
		return ops_fail(r, &err);
	return page_redirect_job(r, job_id);
}

/* POST /servers/NAME/rcon: without confirm=yes, the confirmation page;
 * with it, a new RCON password (audited), then back to the server page. */
int page_server_rcon_rotate(struct req *r)
{
	const char *confirm = web_param(r, "confirm");
	char title[96], action[96], cancel[96];
	static const char *const lost[] = {
	    "The current RCON password: tools that use it (HLSW, SourceBans) need the new one.",
	    "The new one takes effect at the server's next start (start or restart); until then "
	    "a running server keeps the old one."};
	struct page_confirm c = {title, action, "Rotate RCON password", lost, 2, NULL,
				 NULL,	cancel};
	struct ops_error err;
	struct rcon_row rc;
	struct server s;
	char *loc;
	int ret;

	if (!confirm || strcmp(confirm, "yes") != 0) {
		if (ops_server(r, r->cap[0], &s) != DB_OK)
			return ops_db_fail(r, DB_NOTFOUND);
		snprintf(title, sizeof(title), "Rotate the RCON password of %s?", s.name);
		snprintf(action, sizeof(action), "/servers/%s/rcon", s.name);
		snprintf(cancel, sizeof(cancel), "/servers/%s#rcon", s.name);
		ret = page_confirm(r, 200, &c);
		server_fini(&s);
		return ret;
	}
	if (ops_rcon_rotate(r, r->cap[0], &s, &rc, &err) < 0)
		return ops_fail(r, &err);
	explicit_bzero(&rc, sizeof(rc));
	loc = xasprintf("/servers/%s?rcon=rotated#rcon", s.name);
	ret = web_redirect(r, loc);
	free(loc);
	server_fini(&s);
	return ret;
}

#define STRINGIFY_(x) #x

#define STRINGIFY(x) STRINGIFY_(x)

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
		return ops_db_fail(r, rc);
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
		return ops_db_fail(r, rc);
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
