/* Blueprints: the list, one blueprint's form (name, linked overlays with
 * their order and server.cfg, config) and its delete button. */
#include "page_blueprints.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "files.h"
#include "ops.h"
#include "page.h"
#include "templates.h"
#include "parse.h"
#include "validate.h"

int page_blueprints(struct req *r)
{
	struct blueprint *bps;
	size_t nb, i;
	struct html h;

	if (db_blueprint_list(web_db(r), r->user.id, &bps, &nb) != DB_OK)
		return ops_db_fail(r, DB_ERROR);
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
	const char *config = web_param(r, "config");
	struct ops_error err;
	int64_t id;
	char loc[64];

	/* A new blueprint starts from the starter server.cfg (templates.h). */
	if (ops_blueprint_save(r, NULL, web_param(r, "name"), config ? config : template_server_cfg,
			       NULL, NULL, 0, false, &id, &err) < 0)
		return ops_fail(r, &err);
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

/* One exposed overlay's server.cfg, as the worker will stage it. */
static void exposed_cfg(struct req *r, struct html *h, const struct overlay *o)
{
	static const char cfg[] = "left4dead2/cfg/server.cfg";
	char *text = NULL;
	size_t len;

	html_printf(h, "<h3>server_overlay_%D.cfg <span class=\"muted\">from %s</span>", o->id,
		    o->name);
	if (files_overlay_writable(o))
		html_printf(h, " <a class=\"button\" href=\"/overlays/%D/edit?path=%u\">Edit</a>",
			    o->id, cfg);
	html_printf(h, "</h3>");
	if (files_read_text(r->w->cfg->state_dir, o, cfg, r->w->cfg->web.max_edit, &text, &len) ==
	    0)
		html_printf(h, "<pre class=\"preview\" data-overlay=\"%D\">%s</pre>", o->id, text);
	else if (errno == ENOENT)
		html_printf(h,
			    "<p class=\"muted\">No <code>%s</code> in it yet: an empty "
			    "file.</p>",
			    cfg);
	else
		html_printf(h,
			    "<p class=\"muted\">Its <code>%s</code> cannot be shown here "
			    "(not text, over web.max_edit, or not a plain file).</p>",
			    cfg);
	free(text);
}

/* The server.cfg files the exec lines run, lowest overlay first (the
 * preview above is the exec lines as ticked now; this is the saved
 * blueprint's). */
static void exposed_cfgs(struct req *r, struct html *h, const struct blueprint *b,
			 const struct overlay *ovs, size_t no)
{
	size_t i, j, shown = 0;

	html_printf(h, "<section class=\"card\" id=\"exposed\"><h2>Exposed server.cfg files"
		       "</h2><p class=\"muted\">What each <code>exec server_overlay_ID</code> "
		       "line runs: the overlay's own <code>left4dead2/cfg/server.cfg</code>, "
		       "lowest overlay first.</p>");
	for (i = b->n_overlays; i-- > 0;) {
		if (!b->overlays[i].expose_server_cfg)
			continue;
		for (j = 0; j < no; j++)
			if (ovs[j].id == b->overlays[i].overlay_id) {
				exposed_cfg(r, h, &ovs[j]);
				shown++;
			}
	}
	if (!shown)
		html_printf(h, "<p class=\"muted\">None: tick <em>server.cfg</em> of an overlay "
			       "above and save.</p>");
	html_printf(h, "</section>");
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
		return ops_db_fail(r, rc);
	if (db_overlay_list(web_db(r), r->user.id, true, &ovs, &no) != DB_OK) {
		blueprint_fini(&b);
		return ops_db_fail(r, DB_ERROR);
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
		    "<textarea name=\"config\" rows=\"16\" spellcheck=\"false\">%s</textarea>",
		    preview.len ? preview.buf : "(none)\n", b.config);
	page_launch_fields(
	    &h, &(struct launch_settings){b.start_map, b.max_players, b.tickrate, b.launch_args},
	    false, NULL);
	html_printf(&h, "<div class=\"actions\"><button type=\"submit\" class=\"primary\">Save"
			"</button></div></form>");
	exposed_cfgs(r, &h, &b, ovs, no);
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

/* The form's overlays: every "use" id with its "pos_ID" (0..255) and
 * whether "expose" names it too, into ov[0..*n) top first.  NULL, or what
 * is wrong with the form. */
static const char *form_overlays(struct req *r, struct blueprint_overlay *ov, size_t *n)
{
	struct pick picks[BLUEPRINT_OVERLAYS_MAX];
	char key[40];
	size_t i;
	int k;

	*n = 0;
	for (k = 0; k < r->n_params; k++) {
		const char *pos;
		int64_t id;

		if (strcmp(r->params[k].key, "use") != 0)
			continue;
		if (!valid_id(r->params[k].value, &id) || *n >= BLUEPRINT_OVERLAYS_MAX)
			return "bad overlay selection";
		snprintf(key, sizeof(key), "pos_%" PRId64, id);
		pos = web_param(r, key);
		picks[*n].id = id;
		picks[*n].pos = 0;
		if (pos && parse_int(pos, 0, 255, &picks[*n].pos) < 0)
			return "a position is a number from 0 to 255";
		picks[*n].expose = false;
		for (int e = 0; e < r->n_params; e++)
			if (strcmp(r->params[e].key, "expose") == 0 &&
			    strcmp(r->params[e].value, r->params[k].value) == 0)
				picks[*n].expose = true;
		(*n)++;
	}
	qsort(picks, *n, sizeof(picks[0]), cmp_pick);
	for (i = 0; i < *n; i++) {
		memset(&ov[i], 0, sizeof(ov[i]));
		ov[i].overlay_id = picks[i].id;
		ov[i].expose_server_cfg = picks[i].expose;
	}
	return NULL;
}

int page_blueprint_save(struct req *r)
{
	const char *config = web_param(r, "config"), *bad;
	struct blueprint_overlay ov[BLUEPRINT_OVERLAYS_MAX];
	struct ops_launch ls;
	struct ops_error err;
	struct blueprint b;
	size_t n;
	int64_t id;
	char loc[64];
	int rc = ops_blueprint(r, r->cap[0], &b);

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	bad = form_overlays(r, ov, &n);
	if (bad) {
		blueprint_fini(&b);
		return web_error(r, 400, bad);
	}
	page_launch_read(
	    r, &(struct launch_settings){b.start_map, b.max_players, b.tickrate, b.launch_args},
	    &ls);
	rc = ops_blueprint_save(r, &b, web_param(r, "name"), config ? config : "", &ls, ov, n, true,
				&id, &err);
	blueprint_fini(&b);
	if (rc < 0)
		return ops_fail(r, &err);
	snprintf(loc, sizeof(loc), "/blueprints/%" PRId64, id);
	return web_redirect(r, loc);
}

/* The confirmation page of deleting blueprint id (the requester's). */
static int confirm_blueprint_delete(struct req *r)
{
	char title[128], action[64], cancel[64];
	const char *lost[] = {"The blueprint: its server.cfg and its list of overlays (the "
			      "overlays themselves stay)."};
	struct page_confirm c = {title, action, "Delete blueprint", lost, 1, NULL, NULL, cancel};
	struct blueprint b;
	int rc = ops_blueprint(r, r->cap[0], &b);

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	snprintf(title, sizeof(title), "Delete blueprint %s?", b.name);
	snprintf(action, sizeof(action), "/blueprints/%" PRId64 "/delete", b.id);
	snprintf(cancel, sizeof(cancel), "/blueprints/%" PRId64, b.id);
	blueprint_fini(&b);
	return page_confirm(r, 200, &c);
}

int page_blueprint_delete(struct req *r)
{
	struct ops_error err;

	if (!web_param(r, "confirm"))
		return confirm_blueprint_delete(r);
	if (ops_blueprint_delete(r, r->cap[0], &err) < 0)
		return ops_fail(r, &err);
	return web_redirect(r, "/blueprints");
}
