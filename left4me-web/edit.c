/* The text editor's load and checked save; see edit.h. */
#include "edit.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "validate.h"
#include "xalloc.h"

/* Checked saves, one at a time: the check of the current ETag and the
 * rename that replaces the file happen under it. */
static pthread_mutex_t edit_lock = PTHREAD_MUTEX_INITIALIZER;

/* A refusal's message naming a number lives in this thread's buffer until
 * its next refusal (a request is answered on the thread that ran it). */
static __thread char edit_msg[160];

static int fail(struct ops_error *err, unsigned status, const char *msg)
{
	err->status = status;
	err->msg = msg;
	return -1;
}

static int too_big(struct req *r, struct ops_error *err, const char *what, long long len)
{
	snprintf(edit_msg, sizeof(edit_msg), "%s: %lld bytes, over web.max_edit (%lld bytes)", what,
		 len, r->w->cfg->web.max_edit);
	return fail(err, 413, edit_msg);
}

void edit_file_fini(struct edit_file *f)
{
	overlay_fini(&f->o);
	free(f->text);
	memset(f, 0, sizeof(*f));
}

/* The file at path in f->o as it is now (f->o set). */
static int edit_read(struct req *r, const char *path, struct edit_file *f, struct ops_error *err)
{
	int rc = files_read_text(r->w->cfg->state_dir, &f->o, path, r->w->cfg->web.max_edit,
				 &f->text, &f->len);

	if (rc == 0) {
		f->exists = true;
		files_etag_of(f->text, f->len, f->etag);
		return 0;
	}
	switch (errno) {
	case ENOENT:
		f->exists = false;
		f->text = xstrdup("");
		f->len = 0;
		f->etag[0] = '\0';
		return 0;
	case EISDIR:
		return fail(err, 400, "path: a directory, not a file");
	case EFBIG:
		snprintf(edit_msg, sizeof(edit_msg),
			 "this file is over web.max_edit (%lld bytes): download it instead",
			 r->w->cfg->web.max_edit);
		return fail(err, 413, edit_msg);
	case EILSEQ:
		return fail(err, 415,
			    "not a text file (not valid UTF-8, or it holds a NUL byte): "
			    "download it instead");
	default:
		return fail(err, 403,
			    "this file cannot be opened (symlinks out of the "
			    "overlay, devices and FIFOs are refused)");
	}
}

int edit_load(struct req *r, const char *id, const char *path, struct edit_file *f,
	      struct ops_error *err)
{
	int rc;

	memset(f, 0, sizeof(*f));
	rc = ops_overlay(r, id, false, &f->o);
	if (rc != DB_OK) {
		ops_db_error(rc, err);
		return -1;
	}
	if (!files_overlay_writable(&f->o))
		return fail(err, 409, "global overlays cannot be changed");
	if (!path || !valid_overlay_path(path))
		return fail(err, 400, ops_bad_path(path));
	return edit_read(r, path, f, err);
}

int edit_save(struct req *r, const char *id, const char *path, const char *text, size_t len,
	      const char *if_match, char etag[FILES_ETAG_SIZE], int64_t *overlay_id,
	      struct ops_error *err)
{
	struct edit_file cur;
	int rc;

	if ((long long)len > r->w->cfg->web.max_edit)
		return too_big(r, err, "text", (long long)len);
	if (memchr(text, '\0', len))
		return fail(err, 400, "text: must not contain a NUL byte");
	if (!valid_utf8(text, len))
		return fail(err, 400, "text: must be valid UTF-8");
	pthread_mutex_lock(&edit_lock);
	rc = edit_load(r, id, path, &cur, err);
	if (rc == 0 && !if_match[0] && cur.exists)
		rc = fail(err, 409,
			  "conflict: this file exists already (someone made it meanwhile); "
			  "reload it to see it");
	else if (rc == 0 && strcmp(if_match, "*") == 0 && !cur.exists)
		rc = fail(err, 409, "conflict: this file does not exist (If-Match: *)");
	else if (rc == 0 && if_match[0] && strcmp(if_match, "*") != 0 &&
		 strcmp(if_match, cur.etag) != 0)
		rc = fail(err, 409,
			  cur.exists ? "conflict: this file changed since you loaded it (someone "
				       "saved it meanwhile); reload it to see the new version"
				     : "conflict: this file was deleted since you loaded it");
	if (rc == 0)
		rc = ops_overlay_file_write(r, id, path, text, len, overlay_id, err);
	pthread_mutex_unlock(&edit_lock);
	edit_file_fini(&cur);
	if (rc == 0)
		files_etag_of(text, len, etag);
	return rc;
}
