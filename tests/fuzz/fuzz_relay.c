/* Fuzz target: left4me-launcher's console output filter
 * (left4me-launcher/relay.c), which sees whatever the game prints.
 * Properties:
 *  - every emitted piece is at most RELAY_LINE_MAX bytes and holds no
 *    control byte but tab (no \r, ESC or \n reaches the journal);
 *  - the input fed whole and fed in chunks (sizes taken from the input)
 *    gives the same pieces: a sequence split across reads is the same;
 *  - text without control bytes but '\n' passes unchanged: the pieces
 *    concatenated are the input without its '\n's, and when each of its
 *    lines is valid UTF-8 every piece is too (a cut never splits a
 *    character). */
#include "fuzz.h"

#include "relay.h"
#include "strbuf.h"
#include "validate.h"

struct pieces {
	struct strbuf bytes; /* the pieces, concatenated */
	struct strbuf lens;  /* their lengths, as size_t */
};

static void collect(void *ctx, const char *line, size_t len)
{
	struct pieces *p = ctx;

	FUZZ_CHECK(len <= RELAY_LINE_MAX, "piece of %zu bytes", len);
	FUZZ_CHECK(!fuzz_has_control(line, len, 1), "control byte in \"%.*s\"",
		   (int)(len > 60 ? 60 : len), line);
	strbuf_append(&p->bytes, line, len);
	strbuf_append(&p->lens, (const char *)&len, sizeof(len));
}

static void run(struct pieces *p, const uint8_t *data, size_t size, bool chunked)
{
	struct relay r;
	size_t i = 0;

	strbuf_init(&p->bytes);
	strbuf_init(&p->lens);
	relay_init(&r);
	while (i < size) {
		size_t n = chunked ? 1 + (size_t)(data[i] % 7) : size - i;

		if (n > size - i)
			n = size - i;
		relay_feed(&r, (const char *)data + i, n, collect, p);
		i += n;
	}
	relay_flush(&r, collect, p);
	FUZZ_CHECK(!relay_pending(&r), "pending after flush");
}

static bool clean_text(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < size; i++)
		if ((data[i] < 0x20 && data[i] != '\n' && data[i] != '\t') || data[i] == 0x7f)
			return false;
	return true;
}

/* Is every '\n'-separated line of the input valid UTF-8? */
static bool lines_utf8(const uint8_t *data, size_t size)
{
	size_t start = 0;

	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		if (!valid_utf8((const char *)data + start, i - start))
			return false;
		start = i + 1;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pieces whole, chunked;

	run(&whole, data, size, false);
	run(&chunked, data, size, true);
	FUZZ_CHECK(whole.bytes.len == chunked.bytes.len &&
		       memcmp(whole.bytes.buf, chunked.bytes.buf, whole.bytes.len) == 0 &&
		       whole.lens.len == chunked.lens.len &&
		       memcmp(whole.lens.buf, chunked.lens.buf, whole.lens.len) == 0,
		   "whole and chunked input differ");
	if (clean_text(data, size)) {
		struct strbuf want;
		size_t off = 0;

		strbuf_init(&want);
		for (size_t i = 0; i < size; i++)
			if (data[i] != '\n')
				strbuf_putc(&want, (char)data[i]);
		FUZZ_CHECK(want.len == whole.bytes.len &&
			       memcmp(want.buf, whole.bytes.buf, want.len) == 0,
			   "clean text changed");
		if (lines_utf8(data, size)) {
			for (size_t k = 0; k + sizeof(size_t) <= whole.lens.len;
			     k += sizeof(size_t)) {
				size_t len;

				memcpy(&len, whole.lens.buf + k, sizeof(len));
				FUZZ_CHECK(valid_utf8(whole.bytes.buf + off, len),
					   "a piece cuts a UTF-8 character");
				off += len;
			}
		}
		strbuf_fini(&want);
	}
	strbuf_fini(&whole.bytes);
	strbuf_fini(&whole.lens);
	strbuf_fini(&chunked.bytes);
	strbuf_fini(&chunked.lens);
	return 0;
}
