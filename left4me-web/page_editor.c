/* The text editor's page; see page_editor.h. */
#include "page_editor.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "edit.h"
#include "page.h"
#include "strbuf.h"
#include "xalloc.h"

/* The editor form for f at path; etag and text are what the form carries
 * (after a conflict: the current file's ETag and the user's text). */
static void editor_form(struct req *r, struct html *h, const struct edit_file *f, const char *path,
			const char *etag, const char *text, bool crlf)
{
	html_printf(h,
		    "<form method=\"post\" action=\"/overlays/%D/edit\" class=\"card editor\" "
		    "id=\"editor-form\">",
		    f->o.id);
	page_csrf_input(r, h);
	/* The newline after <textarea> is dropped by the parser, so a text
	 * that starts with one keeps it. */
	html_printf(h,
		    "<input type=\"hidden\" name=\"path\" value=\"%a\">"
		    "<input type=\"hidden\" name=\"etag\" value=\"%a\">"
		    "<input type=\"hidden\" name=\"eol\" value=\"%s\">"
		    "<textarea name=\"text\" id=\"editor\" rows=\"28\" spellcheck=\"false\" "
		    "autocomplete=\"off\" wrap=\"off\">\n%s</textarea>"
		    "<div class=\"actions\"><button type=\"submit\" class=\"primary\">Save</button>"
		    "<span class=\"muted\">Text only (UTF-8), up to %D bytes "
		    "(<code>web.max_edit</code>); Ctrl-S saves.</span></div></form>",
		    path, etag, crlf ? "crlf" : "lf", text, (int64_t)r->w->cfg->web.max_edit);
}

/* The page around the form; msg (maybe NULL) is a conflict to show. */
static int editor_page(struct req *r, const struct edit_file *f, const char *path, const char *etag,
		       const char *text, unsigned status, const char *msg)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("");
	struct html h;
	int ret;

	html_init(&h);
	page_begin(r, &h, path);
	html_printf(&h,
		    "<h1>%s <span class=\"muted\">in overlay <a href=\"/overlays/%D\">%s</a>"
		    "</span></h1><p><a href=\"/overlays/%D?path=%u\">Back to the folder</a>",
		    path, f->o.id, f->o.name, f->o.id, dir);
	if (f->exists)
		html_printf(&h, " · <a href=\"/overlays/%D/files/%p\">Download</a>", f->o.id, path);
	html_printf(&h, "</p>");
	if (msg)
		html_printf(&h,
			    "<p class=\"error\" id=\"conflict\" role=\"alert\">%s.  Your text is "
			    "below, not saved; Save again to replace the file with it, or "
			    "<a href=\"/overlays/%D/edit?path=%u\" target=\"_blank\">open the "
			    "current file</a> to compare.</p>",
			    msg, f->o.id, path);
	else if (web_query(r, "saved"))
		html_printf(&h, "<p class=\"muted\" id=\"saved\" role=\"status\">Saved.</p>");
	else if (!f->exists)
		html_printf(&h, "<p class=\"muted\" id=\"new-file\">A new file: Save creates "
				"it.</p>");
	editor_form(r, &h, f, path, etag, text, f->exists && strstr(f->text, "\r\n"));
	ret = page_finish(r, &h, status);
	free(dir);
	return ret;
}

int page_editor(struct req *r)
{
	const char *path = web_query(r, "path");
	struct ops_error err;
	struct edit_file f;
	int ret;

	if (!path || !path[0])
		return web_error(r, 400, "path: name the file to edit (?path=...)");
	if (edit_load(r, r->cap[0], path, &f, &err) < 0) {
		edit_file_fini(&f);
		return ops_fail(r, &err);
	}
	ret = editor_page(r, &f, path, f.etag, f.text, 200, NULL);
	edit_file_fini(&f);
	return ret;
}

/* The form's text with CRLF made LF (browsers send a textarea's line
 * ends as CRLF), unless the file had CRLF line ends. */
static char *form_text(const char *text, bool keep_crlf, size_t *len)
{
	char *out = xstrdup(text), *w = out;

	for (const char *p = text; *p; p++)
		if (keep_crlf || !(p[0] == '\r' && p[1] == '\n'))
			*w++ = *p;
	*w = '\0';
	*len = (size_t)(w - out);
	return out;
}

int page_editor_save(struct req *r)
{
	const char *path = web_param(r, "path"), *etag = web_param(r, "etag"),
		   *eol = web_param(r, "eol"), *given = web_param(r, "text");
	char new_etag[FILES_ETAG_SIZE];
	struct ops_error err;
	struct strbuf loc;
	struct edit_file cur = {0};
	int64_t id;
	size_t len;
	char *text;
	int ret;

	if (!path || !given)
		return web_error(r, 400, "the form needs path and text");
	text = form_text(given, eol && strcmp(eol, "crlf") == 0, &len);
	if (edit_save(r, r->cap[0], path, text, len, etag ? etag : "", new_etag, &id, &err) < 0) {
		/* A conflict: the editor again, with the user's text and the
		 * current file's ETag, so that Save now replaces it. */
		if (err.status == 409 && edit_load(r, r->cap[0], path, &cur, &err) == 0) {
			const char *msg = err.msg;

			ret = editor_page(r, &cur, path, cur.etag, text, 409, msg);
		} else {
			ret = ops_fail(r, &err);
		}
		edit_file_fini(&cur);
		free(text);
		return ret;
	}
	free(text);
	strbuf_init(&loc);
	strbuf_printf(&loc, "/overlays/%" PRId64 "/edit?saved=1&path=", id);
	url_escape(&loc, path);
	ret = web_redirect(r, loc.buf);
	strbuf_fini(&loc);
	return ret;
}
