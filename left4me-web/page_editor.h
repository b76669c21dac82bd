/* The in-browser text editor of overlay files (edit.h): a plain form that
 * works without JavaScript (app.js adds line numbers and Ctrl-S). */
#ifndef LEFT4ME_WEB_PAGE_EDITOR_H
#define LEFT4ME_WEB_PAGE_EDITOR_H

#include "web.h"

/* GET /overlays/ID/edit?path=P: the file's text in a form (empty for a
 * new file). */
int page_editor(struct req *r);
/* POST /overlays/ID/edit: path, etag (what was loaded; "" for a new
 * file), eol ("crlf" keeps the browser's CRLF line ends, else LF) and
 * text; back to the editor, or the editor again with 409 and the
 * conflict. */
int page_editor_save(struct req *r);

#endif
