/* Overlays: the list, one overlay's form and build button, and its
 * files (browse, download, upload, delete); a workshop overlay's items
 * (add, remove, sync, their cached previews).  Files are reached only
 * through files.h. */
#include "page_overlays.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "db_workshop.h"
#include "files.h"
#include "ops.h"
#include "page.h"
#include "templates.h"
#include "validate.h"
#include "xalloc.h"

/* "New overlay from template": each template of templates.h, whose link
 * fills the New overlay form with its name and build script. */
static void template_card(struct html *h)
{
	html_printf(h, "<section class=\"card\" id=\"templates\"><h2>New overlay from template"
		       "</h2><p class=\"muted\">A template fills the form below with a build "
		       "script; read it, change it if you like, then create the overlay (its "
		       "build starts at once).</p><ul class=\"templates\">");
	for (size_t i = 0; i < overlay_templates_len; i++)
		html_printf(h,
			    "<li><a href=\"/overlays?template=%u#new\">%s</a> <span "
			    "class=\"muted\">%s</span></li>",
			    overlay_templates[i].id, overlay_templates[i].name,
			    overlay_templates[i].description);
	html_printf(h, "</ul></section>");
}

int page_overlays(struct req *r)
{
	const char *tid = web_query(r, "template");
	const struct overlay_template *tpl = NULL;
	struct overlay *ovs;
	size_t no, i;
	struct html h;

	if (tid && !(tpl = overlay_template_find(tid)))
		return web_error(r, 404, "no such template");
	if (db_overlay_list(web_db(r), r->user.id, true, &ovs, &no) != DB_OK)
		return ops_db_fail(r, DB_ERROR);
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
			page_state_badge(&h, ovs[i].build_status);
		html_printf(&h, "</td><td>%T</td></tr>", ovs[i].updated_at);
	}
	if (no)
		html_printf(&h, "</tbody></table>");
	html_printf(&h, "</section>");
	template_card(&h);
	html_printf(&h, "<section class=\"card\" id=\"new\"><h2>New overlay</h2>");
	if (tpl)
		html_printf(&h, "<p class=\"muted\">From the template <em>%s</em>.</p>", tpl->name);
	html_printf(&h, "<form method=\"post\" action=\"/overlays\">");
	page_csrf_input(r, &h);
	html_printf(&h,
		    "<label>Name <input name=\"name\" required maxlength=\"64\" value=\"%a\">"
		    "</label><label>Build script (optional; runs in a sandbox with the overlay "
		    "at <code>/overlay</code>) <textarea name=\"build_script\" rows=\"%d\" "
		    "spellcheck=\"false\">%s</textarea></label>"
		    "<button type=\"submit\" class=\"primary\">Create</button></form></section>",
		    tpl ? tpl->name : "", tpl ? 24 : 8, tpl ? tpl->build_script : "");
	html_printf(&h, "<section class=\"card\"><h2>New Workshop overlay</h2>"
			"<form method=\"post\" action=\"/overlays\" id=\"new-workshop\">");
	page_csrf_input(r, &h);
	html_printf(&h,
		    "<input type=\"hidden\" name=\"kind\" value=\"workshop\">"
		    "<label>Name <input name=\"name\" required maxlength=\"64\"></label>"
		    "<label>Workshop items and collections: ids or their Steam Workshop page "
		    "URLs, one per line <textarea name=\"workshop_ids\" rows=\"5\" "
		    "spellcheck=\"false\" placeholder=\"https://steamcommunity.com/sharedfiles/"
		    "filedetails/?id=123456789\"></textarea></label>"
		    "<button type=\"submit\" class=\"primary\">Create</button></form></section>");
	overlay_list_free(ovs, no);
	return page_finish(r, &h, 200);
}

/* The workshop form of the list page: a name and a textarea of ids. */
static int workshop_create(struct req *r)
{
	struct ops_error err;
	int64_t *ids, id, job;
	char loc[64];
	size_t n;
	int rc;

	if (ops_workshop_parse(r, "workshop_ids", web_param(r, "workshop_ids"), &ids, &n, &err) < 0)
		return ops_fail(r, &err);
	rc = ops_workshop_create(r, web_param(r, "name"), ids, n, &id, &job, &err);
	free(ids);
	if (rc < 0)
		return ops_fail(r, &err);
	snprintf(loc, sizeof(loc), "/overlays/%" PRId64, id);
	return web_redirect(r, loc);
}

int page_overlay_create(struct req *r)
{
	const char *kind = web_param(r, "kind");
	struct ops_error err;
	int64_t id, job;
	char loc[64];

	if (kind && strcmp(kind, "workshop") == 0)
		return workshop_create(r);
	if (ops_overlay_save(r, NULL, web_param(r, "name"), web_param(r, "build_script"), true, &id,
			     &job, &err) < 0)
		return ops_fail(r, &err);
	snprintf(loc, sizeof(loc), "/overlays/%" PRId64, id);
	return web_redirect(r, loc);
}

/* The links to each directory above path. */
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

/* The name and build script form with the build and delete buttons of a
 * user or script overlay, or a global one's note. */
static void overlay_settings(struct req *r, struct html *h, const struct overlay *o)
{
	if (strcmp(o->kind, "global") == 0) {
		html_printf(h,
			    "<p class=\"muted\">Kept by the fetcher from source %s; read only.</p>",
			    o->source_name);
		return;
	}
	html_printf(h, "<form method=\"post\" action=\"/overlays/%D\" class=\"card\">", o->id);
	page_csrf_input(r, h);
	if (strcmp(o->kind, "workshop") == 0) {
		html_printf(h,
			    "<label>Name <input name=\"name\" required maxlength=\"64\" "
			    "value=\"%a\"></label><div class=\"actions\"><button "
			    "type=\"submit\" class=\"primary\">Save</button></div></form>"
			    "<section class=\"card actions\">",
			    o->name);
		page_button(r, h, "Sync now", "primary", "/overlays/%D/sync", o->id);
		page_button(r, h, "Delete overlay", "danger", "/overlays/%D/delete", o->id);
		html_printf(h, "</section>");
		return;
	}
	html_printf(h,
		    "<label>Name <input name=\"name\" required maxlength=\"64\" "
		    "value=\"%a\"></label><label>Build script <textarea "
		    "name=\"build_script\" rows=\"12\" spellcheck=\"false\">%s</textarea>"
		    "</label><div class=\"actions\"><button type=\"submit\" "
		    "class=\"primary\">Save</button>",
		    o->name, o->build_script ? o->build_script : "");
	if (o->build_status) {
		html_printf(h, " <span>Build: ");
		page_state_badge(h, o->build_status);
		html_printf(h, " %T</span>", o->built_at);
	}
	html_printf(h, "</div></form><section class=\"card actions\">");
	if (strcmp(o->kind, "script") == 0)
		page_button(r, h, "Build now", "primary", "/overlays/%D/build", o->id);
	page_button(r, h, "Delete overlay", "danger", "/overlays/%D/delete", o->id);
	html_printf(h, "</section>");
}

/* The editor's "new text file" form (a GET: the editor opens on the
 * path), its path field set to dir ("" or ending in '/'). */
static void new_file_form(struct html *h, int64_t id, const char *dir)
{
	html_printf(h,
		    "<form method=\"get\" action=\"/overlays/%D/edit\" class=\"upload\">"
		    "<label>New text file <input name=\"path\" value=\"%a\" required "
		    "placeholder=\"left4dead2/cfg/server.cfg\"></label><div class=\"actions\">"
		    "<button type=\"submit\">Edit new file</button></div></form>",
		    id, dir);
}

/* The upload form, its path field set to dir ("" or ending in '/'). */
static void upload_form(struct req *r, struct html *h, int64_t id, const char *dir)
{
	html_printf(h,
		    "<form method=\"post\" action=\"/overlays/%D/upload\" "
		    "enctype=\"multipart/form-data\" class=\"upload\">",
		    id);
	page_csrf_input(r, h);
	html_printf(h,
		    "<label>Path in the overlay <input name=\"path\" value=\"%a\" "
		    "placeholder=\"left4dead2/addons/\"></label><label>File <input "
		    "type=\"file\" name=\"file\" required></label><div class=\"actions\">"
		    "<button type=\"submit\" class=\"primary\">Upload</button></div></form>",
		    dir);
}

/* One row of a directory listing: e at child (its path in the overlay). */
static void dir_row(struct req *r, struct html *h, const struct overlay *o,
		    const struct dirent_info *e, const char *child)
{
	if (!valid_overlay_path(child)) {
		html_printf(h, "<tr><td>%s</td><td></td></tr>", e->name);
		return;
	}
	if (e->is_dir) {
		html_printf(h,
			    "<tr><td><a href=\"/overlays/%D?path=%u\">%s/</a></td><td></td></tr>",
			    o->id, child, e->name);
		return;
	}
	html_printf(h, "<tr><td><a href=\"/overlays/%D/files/%p\">%s</a>", o->id, child, e->name);
	if (e->is_link)
		html_raw_trusted(h, " <span class=\"muted\">(link)</span>");
	html_printf(h, "</td><td>%D bytes</td><td>", e->size);
	if (files_overlay_writable(o) && !e->is_link && e->size <= r->w->cfg->web.max_edit)
		html_printf(h, "<a class=\"button\" href=\"/overlays/%D/edit?path=%u\">Edit</a> ",
			    o->id, child);
	if (files_overlay_writable(o))
		delete_file_button(r, h, o->id, child);
	html_printf(h, "</td></tr>");
}

/* The entries of the directory fd (consumed) at path. */
static void dir_listing(struct req *r, struct html *h, const struct overlay *o, const char *path,
			int fd)
{
	struct dirent_info *ents;
	size_t n, i;

	if (files_list(fd, &ents, &n) < 0)
		return;
	html_printf(h, "<table class=\"files\"><tbody>");
	for (i = 0; i < n; i++) {
		char *child =
		    path[0] ? xasprintf("%s/%s", path, ents[i].name) : xstrdup(ents[i].name);

		dir_row(r, h, o, &ents[i], child);
		free(child);
	}
	if (n == 0)
		html_printf(h, "<tr><td class=\"muted\">Empty.</td></tr>");
	html_printf(h, "</tbody></table>");
	files_list_free(ents, n);
}

/* One item of a workshop overlay's list: its cached preview, title
 * linked to its Workshop page, size, last update, state (and why it is an
 * error), and a remove button for the entries the user listed. */
static void workshop_row(struct req *r, struct html *h, int64_t ov, const struct workshop_item *it)
{
	const char *state = it->state ? it->state : "pending", *title = it->title;
	char url[96], size[32];

	if (!title)
		title = strcmp(state, "pending") == 0 ? "(not synced yet)" : "(no title)";
	workshop_page_url(it->published_id, url, sizeof(url));
	html_printf(h, "<tr class=\"%a\" data-id=\"%D\"><td>", it->via ? "ws-item via" : "ws-item",
		    it->published_id);
	if (it->preview_type)
		html_printf(h,
			    "<img class=\"preview\" src=\"/overlays/%D/workshop/%D/preview\" "
			    "alt=\"\" width=\"64\" height=\"64\" loading=\"lazy\">",
			    ov, it->published_id);
	html_printf(h,
		    "</td><td><a class=\"title\" href=\"%a\" rel=\"noopener noreferrer\" "
		    "target=\"_blank\">%s</a>",
		    url, title);
	html_printf(h, " <span class=\"muted\">#%D%s</span></td><td class=\"size\">",
		    it->published_id, it->is_collection ? " · collection" : "");
	if (it->file_size && !it->is_collection)
		html_printf(h, "%s", page_bytes(it->file_size, size, sizeof(size)));
	html_printf(h, "</td><td>%T</td><td>", it->time_updated * 1000);
	page_state_badge(h, state);
	if (it->error)
		html_printf(h, " <span class=\"error\">%s</span>", it->error);
	html_printf(h, "</td><td>");
	if (!it->via) {
		html_printf(
		    h, "<form class=\"inline\" method=\"post\" action=\"/overlays/%D/workshop\">",
		    ov);
		page_csrf_input(r, h);
		html_printf(h,
			    "<input type=\"hidden\" name=\"remove\" value=\"%D\"><button "
			    "type=\"submit\" class=\"danger\">Remove</button></form>",
			    it->published_id);
	}
	html_printf(h, "</td></tr>");
}

/* A workshop overlay's items and the form that adds more; -1 if the
 * database cannot be read. */
static int workshop_section(struct req *r, struct html *h, const struct overlay *o)
{
	struct workshop_item *items;
	size_t n, i;

	if (db_workshop_items(web_db(r), o->id, &items, &n) != DB_OK)
		return -1;
	html_printf(h, "<section class=\"card\" id=\"workshop\"><h2>Workshop items</h2>");
	if (n == 0)
		html_printf(h, "<p class=\"muted\">No items yet: add some below.</p>");
	else
		html_printf(h, "<table class=\"workshop\"><thead><tr><th></th><th>Title</th>"
			       "<th>Size</th><th>Updated</th><th>State</th><th></th></tr></thead>"
			       "<tbody>");
	for (i = 0; i < n; i++)
		workshop_row(r, h, o->id, &items[i]);
	if (n)
		html_printf(h, "</tbody></table>");
	workshop_item_list_free(items, n);
	html_printf(h,
		    "<form method=\"post\" action=\"/overlays/%D/workshop\" id=\"workshop-add\">",
		    o->id);
	page_csrf_input(r, h);
	html_printf(h, "<label>Add items or collections: ids or their Workshop page URLs, one per "
		       "line <textarea name=\"add\" rows=\"3\" spellcheck=\"false\" required>"
		       "</textarea></label><div class=\"actions\"><button type=\"submit\" "
		       "class=\"primary\">Add</button></div></form></section>");
	return 0;
}

int page_overlay(struct req *r)
{
	const char *path = web_query(r, "path");
	struct overlay o;
	struct html h;
	bool is_dir = false;
	int rc = ops_overlay(r, r->cap[0], true, &o), fd, open_errno;

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	if (!path)
		path = "";
	if (path[0] && !valid_overlay_path(path)) {
		overlay_fini(&o);
		return web_error(r, 400, ops_bad_path(path));
	}
	html_init(&h);
	page_begin(r, &h, o.name);
	html_printf(&h, "<h1>Overlay %s <span class=\"muted\">#%D · %s</span></h1>", o.name, o.id,
		    o.kind);
	overlay_settings(r, &h, &o);
	if (strcmp(o.kind, "workshop") == 0 && workshop_section(r, &h, &o) < 0) {
		overlay_fini(&o);
		html_fini(&h);
		return ops_db_fail(r, DB_ERROR);
	}
	html_printf(&h, "<section class=\"card\"><h2>Files</h2>");
	breadcrumbs(&h, o.id, path);
	fd = files_open(r->w->cfg->state_dir, &o, path, &is_dir);
	open_errno = errno;
	if (files_overlay_writable(&o)) {
		char *dir = path[0] && (fd < 0 || is_dir) ? xasprintf("%s/", path) : xstrdup("");

		upload_form(r, &h, o.id, dir);
		new_file_form(&h, o.id, dir);
		free(dir);
	}
	if (fd < 0 && open_errno == ENOENT && !path[0] && files_overlay_writable(&o)) {
		html_printf(&h,
			    "<p class=\"muted\" id=\"no-dir\">This overlay has no directory "
			    "(<code>overlays/%D</code>) yet: it is an empty layer.  Uploading or "
			    "creating a file makes it, and so does starting a server that uses "
			    "it.</p>",
			    o.id);
	} else if (fd < 0) {
		html_printf(&h, "<p class=\"muted\">%s</p>",
			    open_errno == ENOENT ? "Empty: nothing here yet."
						 : "This path cannot be shown.");
	} else if (!is_dir) {
		close(fd);
		html_printf(&h, "<p><a href=\"/overlays/%D/files/%p\">Download %s</a>", o.id, path,
			    path);
		if (files_overlay_writable(&o))
			html_printf(&h, " · <a href=\"/overlays/%D/edit?path=%u\">Edit</a>", o.id,
				    path);
		html_printf(&h, "</p>");
	} else {
		dir_listing(r, &h, &o, path, fd);
	}
	html_printf(&h, "</section>");
	overlay_fini(&o);
	return page_finish(r, &h, 200);
}

int page_overlay_save(struct req *r)
{
	struct ops_error err;
	struct overlay o;
	int64_t id, job;
	char loc[64];
	int rc = ops_overlay(r, r->cap[0], false, &o);

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	rc = ops_overlay_save(r, &o, web_param(r, "name"), web_param(r, "build_script"), true, &id,
			      &job, &err);
	overlay_fini(&o);
	if (rc < 0)
		return ops_fail(r, &err);
	snprintf(loc, sizeof(loc), "/overlays/%" PRId64, id);
	return web_redirect(r, loc);
}

int page_overlay_build(struct req *r)
{
	struct ops_error err;
	int64_t job;

	if (ops_overlay_build(r, r->cap[0], &job, &err) < 0)
		return ops_fail(r, &err);
	return page_redirect_job(r, job);
}

/* The confirmation page of deleting overlay id (the requester's). */
static int confirm_overlay_delete(struct req *r)
{
	char title[128], action[64], cancel[64], size[32], files[160];
	const char *lost[] = {files};
	struct page_confirm c = {title, action, "Delete overlay", lost, 1, NULL, NULL, cancel};
	struct overlay o;
	int rc = ops_overlay(r, r->cap[0], false, &o);

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	snprintf(title, sizeof(title), "Delete overlay %s?", o.name);
	snprintf(action, sizeof(action), "/overlays/%" PRId64 "/delete", o.id);
	snprintf(cancel, sizeof(cancel), "/overlays/%" PRId64, o.id);
	if (strcmp(o.kind, "workshop") == 0)
		/* Its tree is links: the vpks are the cache's, kept while
		 * another overlay lists them. */
		snprintf(files, sizeof(files),
			 "The overlay and its list of Workshop items (cached files another "
			 "overlay uses stay).");
	else
		snprintf(files, sizeof(files),
			 "The overlay, its build script and every file in it (%s).",
			 page_bytes(ops_overlay_bytes(r, &o), size, sizeof(size)));
	overlay_fini(&o);
	return page_confirm(r, 200, &c);
}

int page_overlay_delete(struct req *r)
{
	struct ops_error err;

	if (!web_param(r, "confirm"))
		return confirm_overlay_delete(r);
	if (ops_overlay_delete(r, r->cap[0], &err) < 0)
		return ops_fail(r, &err);
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

/* The upload form's file part begins: it goes into the overlay at the
 * "path" field (a path ending in "/" or an empty one takes the file's own
 * name), which comes before the file in the form. */
int page_overlay_upload_begin(struct req *r)
{
	const char *field = web_param(r, "path");
	struct ops_error err;
	char *path;
	int rc;

	if (!field)
		field = "";
	if (!field[0] || field[strlen(field) - 1] == '/') {
		const char *base = strrchr(r->filename, '/');

		path = xasprintf("%s%s", field, base ? base + 1 : r->filename);
	} else {
		path = xstrdup(field);
	}
	rc = ops_overlay_upload_begin(r, r->cap[0], path, -1, &err);
	free(path);
	if (rc < 0)
		web_upload_fail(r, err.status, err.msg);
	return rc;
}

/* The upload form, once its file has come: put it in place. */
int page_overlay_upload(struct req *r)
{
	struct ops_error err;
	int64_t id, size;
	char *path;
	int rc;

	if (!r->upload.ctx)
		return web_error(r, 400, "no file in the form");
	path = xstrdup(web_param(r, "path") ? web_param(r, "path") : "");
	if (ops_overlay_upload_commit(r, &id, &size, &err) < 0)
		rc = ops_fail(r, &err);
	else
		rc = redirect_to_dir(r, id, path);
	free(path);
	return rc;
}

int page_overlay_delete_file(struct req *r)
{
	const char *path = web_param(r, "path");
	struct ops_error err;
	int64_t id;

	if (ops_overlay_file_delete(r, r->cap[0], path, &id, &err) < 0)
		return ops_fail(r, &err);
	return redirect_to_dir(r, id, path);
}

/* A file of an overlay as a download (the API has its twin, both open
 * it through ops_overlay_file_open). */
int page_overlay_file(struct req *r)
{
	struct ops_error err;
	int fd = ops_overlay_file_open(r, r->cap[0], r->cap[1], &err);

	if (fd < 0)
		return ops_fail(r, &err);
	return web_respond_file(r, fd, r->cap[1]);
}

/* The list with the "add" textarea's entries appended, or without the
 * "remove" one: the whole list, parsed again as one text (so its length
 * and duplicates follow the one rule of workshop_ids.h).  0 with *ids
 * (free it) and *n, or -1 with err. */
static int workshop_new_list(struct req *r, int64_t **ids, size_t *n, struct ops_error *err)
{
	const char *add = web_param(r, "add"), *remove = web_param(r, "remove");
	int64_t *cur, gone = 0;
	struct strbuf text;
	size_t ncur, i;
	int rc;

	if (!add && (!remove || !valid_id(remove, &gone))) {
		err->status = 400;
		err->msg = "give add (ids or URLs) or remove (an id of the list)";
		return -1;
	}
	/* The textarea alone first, so a bad entry's number is its own. */
	if (add) {
		if (ops_workshop_parse(r, "add", add, ids, n, err) < 0)
			return -1;
		free(*ids);
	}
	if (ops_workshop_listed(r, r->cap[0], &cur, &ncur, err) < 0)
		return -1;
	strbuf_init(&text);
	for (i = 0; i < ncur; i++)
		if (cur[i] != gone)
			strbuf_printf(&text, "%" PRId64 "\n", cur[i]);
	free(cur);
	if (add)
		strbuf_puts(&text, add);
	rc = ops_workshop_parse(r, add ? "add" : "workshop_ids", text.buf ? text.buf : "", ids, n,
				err);
	strbuf_fini(&text);
	return rc;
}

int page_overlay_workshop(struct req *r)
{
	struct ops_error err;
	int64_t *ids, id, job;
	char loc[64];
	size_t n;
	int rc;

	if (workshop_new_list(r, &ids, &n, &err) < 0)
		return ops_fail(r, &err);
	rc = ops_workshop_set(r, r->cap[0], ids, n, &id, &job, &err);
	free(ids);
	if (rc < 0)
		return ops_fail(r, &err);
	snprintf(loc, sizeof(loc), "/overlays/%" PRId64, id);
	return web_redirect(r, loc);
}

int page_overlay_sync(struct req *r)
{
	struct ops_error err;
	int64_t job;

	if (ops_workshop_sync(r, r->cap[0], &job, &err) < 0)
		return ops_fail(r, &err);
	return page_redirect_job(r, job);
}

/* A cached preview image of a workshop overlay's item, from the web's
 * own host (the page never points the browser at Steam's). */
int page_workshop_preview(struct req *r)
{
	struct ops_error err;
	const char *type;
	int fd = ops_workshop_preview(r, r->cap[0], r->cap[1], &type, &err);

	if (fd < 0)
		return ops_fail(r, &err);
	return web_respond_inline(r, fd, type);
}
