/* Overlays: the list, one overlay's form and build button, and its
 * files (browse, download, upload, delete).  Files are reached only
 * through files.h. */
#include "page_overlays.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "files.h"
#include "ops.h"
#include "page.h"
#include "validate.h"
#include "xalloc.h"

int page_overlays(struct req *r)
{
	struct overlay *ovs;
	size_t no, i;
	struct html h;

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
	struct ops_error err;
	int64_t id, job;
	char loc[64];

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
	snprintf(files, sizeof(files), "The overlay, its build script and every file in it (%s).",
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
