/* The dashboard (a user's servers, recent jobs, a form for an API token)
 * and the page that shows a new token once. */
#include "page_dashboard.h"

#include <string.h>

#include "auth.h"
#include "db.h"
#include "ops.h"
#include "page.h"
#include "validate.h"

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
	html_printf(&h, "<h1>Dashboard</h1><section class=\"card\"><h2>Servers</h2>");
	page_servers_table(&h, servers, ns);
	html_printf(&h, "<p><a class=\"button\" href=\"/servers\">New server</a></p></section>"
			"<section class=\"card\"><h2>Recent jobs</h2>");
	page_jobs_table(r, &h, jobs, nj);
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
