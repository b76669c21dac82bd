/* multipart/form-data (RFC 7578) bodies, parsed as they arrive: the upload
 * form of an overlay's page.  Runs in left4me-web; trusts nothing in the
 * body.  Memory stays bounded whatever the body's size: a file part's
 * bytes go to a callback as they come, a text field is kept whole up to
 * field_max bytes, a part's headers up to 4 KiB. */
#ifndef LEFT4ME_WEB_MULTIPART_H
#define LEFT4ME_WEB_MULTIPART_H

#include <stddef.h>

#define MULTIPART_MAX_PARTS 16

/* What the parser finds, in body order.  Each returns 0 to go on, or -1
 * to stop the parse (multipart_feed then returns -2). */
struct multipart_cb {
	/* A text field, whole: value is len bytes (binary, may hold NUL). */
	int (*field)(void *ctx, const char *name, const char *value, size_t len);
	/* A file part begins (name and filename from its headers). */
	int (*file_begin)(void *ctx, const char *name, const char *filename);
	/* The file part's next bytes. */
	int (*file_data)(void *ctx, const char *data, size_t len);
};

struct multipart;

/* A parser of the body whose boundary content_type names, calling cb with
 * ctx; NULL on a bad content type. */
struct multipart *multipart_new(const char *content_type, const struct multipart_cb *cb, void *ctx,
				size_t field_max);
/* The body's next len bytes: 0, -1 if malformed (a field over field_max,
 * more than MULTIPART_MAX_PARTS parts, bad headers or delimiters), -2 if
 * a callback stopped it.  After an error every call returns -1. */
int multipart_feed(struct multipart *m, const char *data, size_t len);
/* The body has ended: 0 if it ended with the close delimiter, else -1. */
int multipart_finish(struct multipart *m);
void multipart_free(struct multipart *m);

#endif
