/* Fuzz target: the streamed multipart/form-data parser
 * (left4me-web/multipart.c), the overlay page's upload form, on bodies a
 * client writes.  The input's first line is the Content-Type, the rest the
 * body.  The body is parsed twice: whole, and fed in chunks whose sizes
 * come from the body's own bytes.  Properties: both parses give the same
 * result and the same events (fields with their values, file parts with
 * their bytes), so no split of the network's reads changes what is seen;
 * at most MULTIPART_MAX_PARTS parts, each name and filename at most 256
 * bytes without NUL; a field's value at most the cap; no leak either way. */
#include "fuzz.h"

#include "../../left4me-web/multipart.h"
#include "strbuf.h"

#define FIELD_MAX 1024

struct events {
	struct strbuf log;
	size_t parts;
};

static void event(struct events *e, char kind, const char *s, size_t len)
{
	strbuf_printf(&e->log, "%c%zu:", kind, len);
	strbuf_append(&e->log, s, len);
}

static int on_field(void *ctx, const char *name, const char *value, size_t len)
{
	struct events *e = ctx;

	FUZZ_CHECK(strlen(name) <= 256 && len <= FIELD_MAX, "field %s: %zu bytes", name, len);
	e->parts++;
	event(e, 'n', name, strlen(name));
	event(e, 'v', value, len);
	return 0;
}

static int on_file(void *ctx, const char *name, const char *filename)
{
	struct events *e = ctx;

	FUZZ_CHECK(strlen(name) <= 256 && strlen(filename) <= 256, "file part names");
	e->parts++;
	event(e, 'n', name, strlen(name));
	event(e, 'f', filename, strlen(filename));
	strbuf_putc(&e->log, 'd');
	return 0;
}

static int on_data(void *ctx, const char *data, size_t len)
{
	struct events *e = ctx;

	FUZZ_CHECK(len > 0, "an empty data call");
	strbuf_append(&e->log, data, len); /* split or not, the same bytes */
	return 0;
}

static const struct multipart_cb cb = {on_field, on_file, on_data};

/* Parse body in chunks (step 0: whole): the result code, e filled. */
static int parse(const char *ct, const char *body, size_t blen, size_t step, struct events *e)
{
	struct multipart *m = multipart_new(ct, &cb, e, FIELD_MAX);
	size_t off = 0, i = 0;
	int rc = 0;

	strbuf_init(&e->log);
	e->parts = 0;
	if (!m)
		return -3;
	while (rc == 0 && off < blen) {
		size_t n = step ? 1 + (unsigned char)body[i++ % blen] % step : blen;

		if (n > blen - off)
			n = blen - off;
		rc = multipart_feed(m, body + off, n);
		off += n;
	}
	if (rc == 0)
		rc = multipart_finish(m);
	multipart_free(m);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	struct events whole, split;
	char *ct;
	const char *body;
	size_t blen;
	int a, b;

	if (!nl)
		return 0;
	ct = fuzz_cstring(data, (size_t)(nl - (const char *)data));
	body = nl + 1;
	blen = size - (size_t)(body - (const char *)data);
	a = parse(ct, body, blen, 0, &whole);
	b = parse(ct, body, blen, 7, &split);
	FUZZ_CHECK(a == 0 || a == -1 || a == -3, "rc %d", a);
	FUZZ_CHECK(a == b, "whole %d, in chunks %d", a, b);
	FUZZ_CHECK(whole.parts <= MULTIPART_MAX_PARTS, "%zu parts", whole.parts);
	/* A refused body may have shown a different prefix, split or not;
	 * one that parsed shows the same events. */
	FUZZ_CHECK(a != 0 || (whole.log.len == split.log.len &&
			      memcmp(whole.log.buf, split.log.buf, whole.log.len) == 0),
		   "the events differ when fed in chunks");
	FUZZ_CHECK(a != 0 || (blen >= 2 && body[0] == '-' && body[1] == '-'),
		   "the body opens with --");
	strbuf_fini(&whole.log);
	strbuf_fini(&split.log);
	free(ct);
	return 0;
}
