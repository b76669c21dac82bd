/* multipart/form-data parsing, streamed; see multipart.h. */
#include "multipart.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <strings.h>

#include "strbuf.h"
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

struct part {
	char *name, *filename;
};

/* Headers of one part (between start and end): name and filename. */
static int part_headers(const char *start, size_t len, struct part *part)
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

enum state { S_OPEN, S_AFTER_DELIM, S_HEADERS, S_DATA, S_DONE, S_FAILED };

struct multipart {
	const struct multipart_cb *cb;
	void *ctx;
	size_t field_max;
	char crlf_delim[4 + BOUNDARY_MAX + 1]; /* CRLF "--" boundary */
	size_t dl;			       /* strlen of the delimiter without CRLF */
	enum state state;
	size_t n_parts;
	struct part part;  /* the current one */
	struct strbuf buf; /* bytes not yet parsed */
	size_t off;	   /* parsed bytes at buf's head */
	struct strbuf field;
};

struct multipart *multipart_new(const char *content_type, const struct multipart_cb *cb, void *ctx,
				size_t field_max)
{
	char delim[2 + BOUNDARY_MAX + 1];
	struct multipart *m;

	if (boundary_of(content_type, delim, sizeof(delim)) < 0)
		return NULL;
	m = xcalloc(1, sizeof(*m));
	m->cb = cb;
	m->ctx = ctx;
	m->field_max = field_max;
	m->dl = strlen(delim);
	m->crlf_delim[0] = '\r';
	m->crlf_delim[1] = '\n';
	memcpy(m->crlf_delim + 2, delim, m->dl + 1);
	strbuf_init(&m->buf);
	strbuf_init(&m->field);
	return m;
}

static void part_fini(struct part *p)
{
	free(p->name);
	free(p->filename);
	p->name = p->filename = NULL;
}

/* Bytes of the current part's data: to the file callback, or into the
 * field's value.  0, or the return code of the step. */
static int part_data(struct multipart *m, const char *data, size_t len)
{
	if (!len)
		return 0;
	if (m->part.filename)
		return m->cb->file_data(m->ctx, data, len) < 0 ? -2 : 0;
	if (m->field.len + len > m->field_max)
		return -1;
	strbuf_append(&m->field, data, len);
	return 0;
}

/* One step of the state machine on the unparsed bytes p[0..len): how many
 * it used (0: it needs more), or -1 malformed, -2 stopped by a callback. */
static ssize_t step(struct multipart *m, const char *p, size_t len)
{
	const char *hit;
	size_t keep;
	int rc;

	switch (m->state) {
	case S_OPEN: /* the first delimiter opens the body (no preamble) */
		if (len < m->dl)
			return memcmp(p, m->crlf_delim + 2, len) == 0 ? 0 : -1;
		if (memcmp(p, m->crlf_delim + 2, m->dl) != 0)
			return -1;
		m->state = S_AFTER_DELIM;
		return (ssize_t)m->dl;
	case S_AFTER_DELIM:
		if (len < 2)
			return 0;
		if (memcmp(p, "--", 2) == 0) {
			m->state = S_DONE; /* the close delimiter; an epilogue is ignored */
			return (ssize_t)len;
		}
		if (memcmp(p, "\r\n", 2) != 0 || m->n_parts == MULTIPART_MAX_PARTS)
			return -1;
		m->state = S_HEADERS;
		return 2;
	case S_HEADERS:
		hit = memmem(p, len, "\r\n\r\n", 4);
		if (!hit)
			return len > HEADERS_MAX + 3 ? -1 : 0;
		m->n_parts++;
		if (part_headers(p, (size_t)(hit - p), &m->part) < 0)
			return -1;
		strbuf_reset(&m->field);
		if (m->part.filename &&
		    m->cb->file_begin(m->ctx, m->part.name, m->part.filename) < 0)
			return -2;
		m->state = S_DATA;
		return hit + 4 - p;
	case S_DATA:
		hit = memmem(p, len, m->crlf_delim, m->dl + 2);
		if (!hit) {
			/* Keep what could be the start of a delimiter. */
			keep = len < m->dl + 1 ? len : m->dl + 1;
			rc = part_data(m, p, len - keep);
			return rc < 0 ? rc : (ssize_t)(len - keep);
		}
		if ((rc = part_data(m, p, (size_t)(hit - p))) < 0)
			return rc;
		if (!m->part.filename &&
		    m->cb->field(m->ctx, m->part.name, m->field.buf, m->field.len) < 0)
			return -2;
		part_fini(&m->part);
		m->state = S_AFTER_DELIM;
		return hit + m->dl + 2 - p;
	default:
		return (ssize_t)len;
	}
}

int multipart_feed(struct multipart *m, const char *data, size_t len)
{
	ssize_t used;

	if (m->state == S_FAILED)
		return -1;
	if (m->state == S_DONE)
		return 0;
	strbuf_append(&m->buf, data, len);
	while (m->off < m->buf.len) {
		used = step(m, m->buf.buf + m->off, m->buf.len - m->off);
		if (used < 0) {
			m->state = S_FAILED;
			return (int)used;
		}
		if (used == 0)
			break;
		m->off += (size_t)used;
	}
	/* Bounded: what is left is a part's headers or a delimiter's length. */
	memmove(m->buf.buf, m->buf.buf + m->off, m->buf.len - m->off);
	m->buf.len -= m->off;
	m->buf.buf[m->buf.len] = '\0';
	m->off = 0;
	return 0;
}

int multipart_finish(struct multipart *m)
{
	return m->state == S_DONE ? 0 : -1;
}

void multipart_free(struct multipart *m)
{
	if (!m)
		return;
	part_fini(&m->part);
	strbuf_fini(&m->buf);
	strbuf_fini(&m->field);
	free(m);
}
