/* /admin/audit: the audit log, newest first, a GET filter form (user,
 * action, object, since, until) and an "Older" link that carries the
 * filters and the cursor (before=ID of the last row shown). */
#include "page_audit.h"

#include "db.h"
#include "ops.h"
#include "page.h"

/* The filter form, filled with what the request asked for. */
static void filter_form(struct html *h, struct req *r)
{
	static const char *const fields[][2] = {{"user", "User"},
						{"action", "Action"},
						{"object", "Object"},
						{"since", "Since"},
						{"until", "Until"}};
	size_t i;

	html_printf(h, "<form method=\"get\" action=\"/admin/audit\" class=\"grid\" "
		       "id=\"audit-filter\">");
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *v = web_query(r, fields[i][0]);

		html_printf(h, "<label>%s <input name=\"%a\" value=\"%a\"%s></label>", fields[i][1],
			    fields[i][0], v ? v : "",
			    i >= 3 ? " placeholder=\"2026-01-31 or 2h\"" : "");
	}
	html_printf(h, "<button type=\"submit\">Filter</button></form>");
}

/* ?user=..&action=..&..&before=ID: the next page's link. */
static void older_link(struct html *h, struct req *r, int64_t before)
{
	static const char *const keep[] = {"user", "action", "object", "since", "until"};
	size_t i;

	html_printf(h, "<p class=\"actions\"><a class=\"button\" id=\"audit-older\" "
		       "href=\"/admin/audit?");
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		const char *v = web_query(r, keep[i]);

		if (v && v[0])
			html_printf(h, "%u=%u&amp;", keep[i], v);
	}
	html_printf(h, "before=%D\">Older</a></p>", before);
}

static void entries_table(struct html *h, const struct audit_entry *e, size_t n)
{
	size_t i;

	if (n == 0) {
		html_printf(h, "<p class=\"muted\">Nothing matches.</p>");
		return;
	}
	html_printf(h, "<table id=\"audit\"><thead><tr><th>#</th><th>Time (UTC)</th><th>User</th>"
		       "<th>Action</th><th>Object</th><th>Detail</th></tr></thead><tbody>");
	for (i = 0; i < n; i++)
		html_printf(h,
			    "<tr><td>%D</td><td>%T</td><td class=\"a-user\">%s</td>"
			    "<td class=\"a-action\">%s</td><td class=\"a-object\">%s</td>"
			    "<td class=\"a-detail\">%s</td></tr>",
			    e[i].id, e[i].at, e[i].actor, e[i].action, e[i].object, e[i].detail);
	html_printf(h, "</tbody></table>");
}

int page_audit(struct req *r)
{
	struct audit_filter f;
	struct audit_entry *e;
	struct ops_error err;
	struct html h;
	size_t n;
	int more, rc;

	if (ops_audit_filter(r, &f, &err) < 0)
		return ops_fail(r, &err);
	rc = db_audit_list(web_db(r), &f, &e, &n, &more);
	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	html_init(&h);
	page_begin(r, &h, "Audit log");
	html_printf(&h, "<h1>Audit log</h1><section class=\"card\"><p class=\"muted\">Every change "
			"made through the web, the API and left4mectl, newest first. Times are "
			"UTC.</p>");
	filter_form(&h, r);
	entries_table(&h, e, n);
	if (more && n > 0)
		older_link(&h, r, e[n - 1].id);
	if (f.before)
		html_printf(&h, "<p><a href=\"/admin/audit\">Newest</a></p>");
	html_printf(&h, "</section>");
	audit_list_free(e, n);
	return page_finish(r, &h, 200);
}
