/* The dashboard (a user's servers, recent jobs, a form for an API token)
 * and the page that shows a new token once. */
#include "page_dashboard.h"

#include <string.h>

#include "auth.h"
#include "db.h"
#include "files.h"
#include "ops.h"
#include "page.h"
#include "validate.h"

/* The first-run checklist: the five steps from an empty install to a
 * running server, each done or linking to where it is done; nothing once
 * all are done.  -1 on a database error. */
static int checklist(struct req *r, struct html *h, const struct server *servers, size_t ns)
{
	struct overlay *ovs;
	struct blueprint *bps;
	size_t no, nb, i, done = 0;
	bool running = false, game = files_game_installed(r->w->cfg->state_dir);
	struct {
		bool done;
		const char *href, *text;
	} step[5];

	if (db_overlay_list(web_db(r), r->user.id, false, &ovs, &no) != DB_OK)
		return -1;
	if (db_blueprint_list(web_db(r), r->user.id, &bps, &nb) != DB_OK) {
		overlay_list_free(ovs, no);
		return -1;
	}
	for (i = 0; i < ns; i++)
		running = running || servers[i].state == SERVER_RUNNING;
	step[0].done = game;
	step[0].href = r->user.admin ? "/admin" : NULL;
	step[0].text = r->user.admin ? "Install the game (Admin: Install / update game)"
				     : "The game is installed (ask an administrator to install it)";
	step[1].done = no > 0;
	step[1].href = "/overlays";
	step[1].text = "Create an overlay (upload or edit its files, e.g. server.cfg)";
	step[2].done = nb > 0;
	step[2].href = "/blueprints";
	step[2].text = "Write a blueprint that uses it";
	step[3].done = ns > 0;
	step[3].href = "/servers";
	step[3].text = "Create a server on the blueprint";
	step[4].done = running;
	step[4].href = ns > 0 ? "/servers" : NULL;
	step[4].text = "Start it";
	for (i = 0; i < 5; i++)
		done += step[i].done;
	if (done < 5) {
		html_printf(
		    h,
		    "<section class=\"card\" id=\"checklist\"><h2>First steps "
		    "<span class=\"muted\">%d of 5 done</span></h2><ol class=\"checklist\">",
		    (int)done);
		for (i = 0; i < 5; i++) {
			html_printf(h, "<li class=\"%s\">", step[i].done ? "done" : "todo");
			if (step[i].href && !step[i].done)
				html_printf(h, "<a href=\"%a\">%s</a>", step[i].href, step[i].text);
			else
				html_printf(h, "%s", step[i].text);
			html_printf(h, " <span class=\"muted\">%s</span></li>",
				    step[i].done ? "(done)" : "");
		}
		html_printf(h, "</ol></section>");
	}
	overlay_list_free(ovs, no);
	blueprint_list_free(bps, nb);
	return 0;
}

int page_dashboard(struct req *r)
{
	struct job_filter f = {r->user.admin ? 0 : r->user.id, NULL, 0, 10};
	struct server *servers;
	struct job *jobs;
	size_t ns, nj;
	struct html h;

	if (db_server_list(web_db(r), r->user.id, &servers, &ns) != DB_OK)
		return ops_db_fail(r, DB_ERROR);
	if (db_job_list(web_db(r), &f, &jobs, &nj) != DB_OK) {
		server_list_free(servers, ns);
		return ops_db_fail(r, DB_ERROR);
	}
	html_init(&h);
	page_begin(r, &h, "Dashboard");
	html_printf(&h, "<h1>Dashboard</h1>");
	if (checklist(r, &h, servers, ns) < 0) {
		html_fini(&h);
		server_list_free(servers, ns);
		job_list_free(jobs, nj);
		return ops_db_fail(r, DB_ERROR);
	}
	html_printf(&h, "<section class=\"card\"><h2>Servers</h2>");
	page_servers_table(r, &h, servers, ns);
	html_printf(&h, "<p><a class=\"button\" href=\"/servers\">New server</a></p></section>"
			"<section class=\"card\"><h2>Recent jobs</h2>");
	page_jobs_table(r, &h, jobs, nj);
	html_printf(&h, "<p><a href=\"/jobs\">All jobs</a></p></section>"
			"<section class=\"card\"><h2>API token</h2><p class=\"muted\">For "
			"automation with <code>Authorization: Bearer</code>.</p>"
			"<form method=\"post\" action=\"/tokens\">");
	page_csrf_input(r, &h);
	html_printf(&h, "<label>Label <input name=\"label\" maxlength=\"64\"></label>"
			"<button type=\"submit\">Create token</button></form>"
			"<p><a href=\"/tokens\">Your API tokens</a></p></section>");
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
		return ops_db_fail(r, rc);
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
