/* multipart/form-data parsing; see multipart.h. */
#include "multipart.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

#define BOUNDARY_MAX 70
#define HEADERS_MAX  4096
#define VALUE_MAX    256

/* The boundary parameter of a multipart/form-data content type into out
 * ("--" + boundary).  -1 if there is none or it is malformed. */
static int boundary_of(const char *ct, char *out, size_t outlen)
{
	const char *p;
	size_t n = 0;
	bool quoted;

	if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0)
		return -1;
	for (p = ct + 19; (p = strchr(p, ';'));) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "boundary=", 9) == 0)
			break;
	}
	if (!p)
		return -1;
	p += 9;
	quoted = *p == '"';
	if (quoted)
		p++;
	out[0] = out[1] = '-';
	while (*p && *p != (quoted ? '"' : ';') && !(!quoted && (*p == ' ' || *p == '\t'))) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f || n >= BOUNDARY_MAX ||
		    n + 3 > outlen)
			return -1;
		out[2 + n++] = *p++;
	}
	if (n == 0 || (quoted && *p != '"'))
		return -1;
	out[2 + n] = '\0';
	return 0;
}

/* A parameter (name="..." or filename="...") of a Content-Disposition
 * value, as a new string; NULL if absent.  *bad on a malformed one. */
static char *disposition_param(const char *v, const char *key, bool *bad)
{
	size_t kl = strlen(key);
	const char *p = v, *end;

	while ((p = strchr(p, ';'))) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, key, kl) != 0 || p[kl] != '=')
			continue;
		p += kl + 1;
		if (*p != '"' || !(end = strchr(p + 1, '"')) || (size_t)(end - p - 1) > VALUE_MAX) {
			*bad = true;
			return NULL;
		}
		return xstrndup(p + 1, (size_t)(end - p - 1));
	}
	return NULL;
}

/* Headers of one part (between start and end): name and filename. */
static int part_headers(const char *start, size_t len, struct multipart_part *part)
{
	char *h, *line, *save = NULL;
	bool bad = false, seen = false;

	if (len > HEADERS_MAX || memchr(start, '\0', len))
		return -1;
	h = xstrndup(start, len);
	for (line = strtok_r(h, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		for (const char *c = line; *c; c++)
			if ((unsigned char)*c < 0x20 && *c != '\t')
				bad = true;
		if (strncasecmp(line, "Content-Disposition:", 20) != 0)
			continue;
		if (seen) {
			/* A second one is refused and not read: reading it
			 * would drop (and leak) the first one's name. */
			bad = true;
			continue;
		}
		seen = true;
		line += 20;
		while (*line == ' ' || *line == '\t')
			line++;
		if (strncasecmp(line, "form-data", 9) != 0) {
			bad = true;
			continue;
		}
		part->name = disposition_param(line, "name", &bad);
		part->filename = disposition_param(line, "filename", &bad);
	}
	free(h);
	return bad || !part->name ? -1 : 0;
}

int multipart_parse(const char *content_type, const char *body, size_t len,
		    struct multipart_part *parts, size_t *n)
{
	char delim[2 + BOUNDARY_MAX + 1], crlf_delim[4 + BOUNDARY_MAX + 1];
	const char *p, *end = body + len, *hdr_end, *next;
	size_t dl;

	*n = 0;
	if (boundary_of(content_type, delim, sizeof(delim)) < 0)
		return -1;
	dl = strlen(delim);
	crlf_delim[0] = '\r';
	crlf_delim[1] = '\n';
	memcpy(crlf_delim + 2, delim, dl + 1);
	/* The first delimiter opens the body (no preamble from browsers). */
	if (len < dl || memcmp(body, delim, dl) != 0)
		return -1;
	p = body + dl;
	for (;;) {
		struct multipart_part *part;

		if (end - p >= 2 && memcmp(p, "--", 2) == 0)
			return 0; /* the close delimiter; an epilogue is ignored */
		if (end - p < 2 || memcmp(p, "\r\n", 2) != 0 || *n == MULTIPART_MAX_PARTS)
			goto bad;
		p += 2;
		hdr_end = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (!hdr_end)
			goto bad;
		part = &parts[*n];
		memset(part, 0, sizeof(*part));
		(*n)++;
		if (part_headers(p, (size_t)(hdr_end - p), part) < 0)
			goto bad;
		p = hdr_end + 4;
		next = memmem(p, (size_t)(end - p), crlf_delim, dl + 2);
		if (!next)
			goto bad;
		part->data = p;
		part->len = (size_t)(next - p);
		p = next + dl + 2;
	}
bad:
	multipart_free(parts, *n);
	*n = 0;
	return -1;
}

void multipart_free(struct multipart_part *parts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(parts[i].name);
		free(parts[i].filename);
	}
}
