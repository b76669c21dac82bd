/* Fuzz target: multipart_parse() (left4me-web/multipart.c), the overlay
 * page's upload form, on bodies a client writes.  The input's first line
 * is the Content-Type, the rest the body.  Properties: on success at most
 * MULTIPART_MAX_PARTS parts, each with a name (no NUL, at most 256 bytes,
 * like a filename if there is one), its data inside the body, the parts in
 * order without overlap, each data run followed by CRLF and the delimiter
 * "--" + boundary, and the body opened by that delimiter; on refusal no
 * part (and nothing to free); no leak either way. */
#include "fuzz.h"

#include "../../left4me-web/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	struct multipart_part parts[MULTIPART_MAX_PARTS];
	char *ct;
	const char *body, *cr;
	size_t blen, n = 99, i, dl;
	int rc;

	if (!nl)
		return 0;
	ct = fuzz_cstring(data, (size_t)(nl - (const char *)data));
	body = nl + 1;
	blen = size - (size_t)(body - (const char *)data);
	rc = multipart_parse(ct, body, blen, parts, &n);
	FUZZ_CHECK(rc == 0 || rc == -1, "rc %d", rc);
	if (rc < 0) {
		FUZZ_CHECK(n == 0, "%zu parts on refusal", n);
		free(ct);
		return 0;
	}
	FUZZ_CHECK(n <= MULTIPART_MAX_PARTS, "%zu parts", n);
	FUZZ_CHECK(blen >= 2 && body[0] == '-' && body[1] == '-', "the body opens with --");
	/* A boundary holds no CR: with a part, the delimiter is the body up
	 * to its first CR (the CRLF before the first part's headers). */
	cr = memchr(body, '\r', blen);
	FUZZ_CHECK(n == 0 || cr, "a part but no CRLF");
	dl = cr ? (size_t)(cr - body) : 0;
	for (i = 0; i < n; i++) {
		const struct multipart_part *p = &parts[i];

		FUZZ_CHECK(p->name && strlen(p->name) <= 256, "part %zu: name", i);
		FUZZ_CHECK(!p->filename || strlen(p->filename) <= 256, "part %zu: filename", i);
		FUZZ_CHECK(p->data >= body && p->data + p->len <= body + blen,
			   "part %zu: data outside the body", i);
		FUZZ_CHECK(i == 0 || p->data >= parts[i - 1].data + parts[i - 1].len,
			   "part %zu overlaps the one before", i);
		/* What follows the data: CRLF and the delimiter that opened the
		 * body. */
		FUZZ_CHECK(p->data + p->len + 2 + dl <= body + blen &&
			       memcmp(p->data + p->len, "\r\n", 2) == 0 &&
			       memcmp(p->data + p->len + 2, body, dl) == 0,
			   "part %zu: not followed by CRLF and the delimiter", i);
	}
	multipart_free(parts, n);
	free(ct);
	return 0;
}
