/* The text editor of overlay files, shared by its page (page_editor.c)
 * and the API (a PUT with If-Match or If-None-Match): text files only
 * (valid UTF-8, no NUL), up to web.max_edit bytes, in the requester's
 * user and script overlays.  A save names what it replaces by the ETag
 * the client loaded (files_etag_of: a hash of the content), or "" for a
 * file that must not exist yet, and is refused with 409 if the file is no
 * longer that; saves are checked and written under one lock, so of two
 * saves from the same version exactly one wins.  (A plain upload, which
 * names no ETag, replaces whatever is there, as always.)  The write is
 * ops_overlay_file_write's: a temp file renamed over the target, with the
 * byte quotas and the audit of any upload. */
#ifndef LEFT4ME_WEB_EDIT_H
#define LEFT4ME_WEB_EDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db_overlay.h"
#include "files.h"
#include "ops.h"
#include "web.h"

struct edit_file {
	struct overlay o; /* the requester's user or script overlay */
	bool exists;	  /* false: a new file, text "" */
	char *text;	  /* NUL-terminated, len bytes */
	size_t len;
	char etag[FILES_ETAG_SIZE]; /* "" when !exists */
};

void edit_file_fini(struct edit_file *f);
/* Load path in the requester's overlay id for editing: 0, or -1 with
 * err: 404 no such overlay (a global one is not the requester's to edit),
 * 400 a bad path or a directory, 413 over web.max_edit, 415 not text. */
int edit_load(struct req *r, const char *id, const char *path, struct edit_file *f,
	      struct ops_error *err);
/* Save text (len bytes) at path if the file is still the one the client
 * loaded: if_match is its ETag, or "" for a file that must not exist yet.
 * 0 with the new ETag in etag and the overlay's id in *overlay_id, or -1
 * with err: 409 the file changed (or exists already), 413 over
 * web.max_edit, 400 not text, or ops_overlay_file_write's refusals. */
int edit_save(struct req *r, const char *id, const char *path, const char *text, size_t len,
	      const char *if_match, char etag[FILES_ETAG_SIZE], int64_t *overlay_id,
	      struct ops_error *err);

#endif
