/* multipart/form-data (RFC 7578) bodies held in memory: the upload form of
 * an overlay's page.  Runs in left4me-web on bodies already capped by
 * web.max_upload; trusts nothing in them.  Part data is returned as
 * pointers into the body (binary, may hold NUL); names are copied. */
#ifndef LEFT4ME_WEB_MULTIPART_H
#define LEFT4ME_WEB_MULTIPART_H

#include <stddef.h>

#define MULTIPART_MAX_PARTS 16

struct multipart_part {
	char *name;	  /* the form field's name */
	char *filename;	  /* NULL unless the part is a file */
	const char *data; /* into the body */
	size_t len;
};

/* Parse body with the boundary named in content_type into parts[0..*n).
 * -1 on a bad content type, a malformed body or too many parts (nothing
 * to free then); else 0 and the caller frees with multipart_free. */
int multipart_parse(const char *content_type, const char *body, size_t len,
		    struct multipart_part *parts, size_t *n);
void multipart_free(struct multipart_part *parts, size_t n);

#endif
