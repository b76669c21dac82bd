/* A user's API tokens (page_tokens.h).  Only the requester's own tokens
 * are listed or revoked; a token's value is never shown again after its
 * creation (only its SHA-256 is kept). */
#include "page_tokens.h"

#include <stdlib.h>

#include "db.h"
#include "db_user.h"
#include "ops.h"
#include "page.h"

int page_tokens(struct req *r)
{
	struct api_token *list;
	struct html h;
	size_t n, i;
	int rc;

	rc = db_token_list(web_db(r), r->user.id, &list, &n);
	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	html_init(&h);
	page_begin(r, &h, "API tokens");
	html_printf(&h, "<section class=\"card\"><h1>API tokens</h1><p class=\"muted\">Tokens "
			"for <code>Authorization: Bearer</code>. Revoking one refuses it at once "
			"and ends the live streams opened with it.</p>");
	if (n == 0) {
		html_printf(&h, "<p>You have no API tokens.</p>");
	} else {
		html_printf(&h, "<table><thead><tr><th>Label</th><th>Created</th><th>Last used</th>"
				"<th></th></tr></thead><tbody>");
		for (i = 0; i < n; i++) {
			html_printf(&h, "<tr><td>%s</td><td>%T</td><td>%T</td><td>",
				    list[i].label[0] ? list[i].label : "(no label)",
				    list[i].created_at, list[i].last_used_at);
			page_button(r, &h, "Revoke", "danger", "/tokens/%D/revoke", list[i].id);
			html_printf(&h, "</td></tr>");
		}
		html_printf(&h, "</tbody></table>");
	}
	html_printf(&h, "<form method=\"post\" action=\"/tokens\">");
	page_csrf_input(r, &h);
	html_printf(&h, "<label>Label <input name=\"label\" maxlength=\"64\"></label>"
			"<button type=\"submit\">Create token</button></form></section>");
	api_token_list_free(list, n);
	return page_finish(r, &h, 200);
}

int page_token_revoke(struct req *r)
{
	struct ops_error err;

	if (ops_token_revoke(r, r->cap[0], &err) < 0)
		return ops_fail(r, &err);
	return web_redirect(r, "/tokens");
}
