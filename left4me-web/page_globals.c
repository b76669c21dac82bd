/* The global overlays the fetcher keeps (sources, items, their state)
 * and the admin's refresh button. */
#include "page_globals.h"

#include "db.h"
#include "db_global.h"
#include "ops.h"
#include "page.h"

int page_globals(struct req *r)
{
	struct global_source *src;
	size_t ns, i, k;
	struct html h;

	if (db_global_source_list(web_db(r), &src, &ns) != DB_OK)
		return ops_db_fail(r, DB_ERROR);
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
		page_state_badge(&h, src[i].complete ? "complete" : "incomplete");
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
			page_state_badge(&h, global_item_state_name(items[k].state));
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
	struct ops_error err;
	int64_t job;

	if (ops_enqueue_system(r, JOB_REFRESH_GLOBAL_OVERLAYS, &job, &err) < 0)
		return ops_fail(r, &err);
	return page_redirect_job(r, job);
}
