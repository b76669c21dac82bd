/* Console output filter; see relay.h. */
#include "relay.h"

#include <string.h>

enum relay_state {
	ST_TEXT,
	ST_ESC,	      /* after ESC */
	ST_ESC_INTER, /* ESC and intermediate bytes: waiting for the final byte */
	ST_CSI,	      /* ESC [ parameters */
	ST_STR,	      /* OSC, DCS, SOS, PM or APC string: up to BEL or ESC \ */
	ST_STR_ESC,   /* ESC inside such a string */
};

void relay_init(struct relay *r)
{
	r->len = 0;
	r->state = ST_TEXT;
}

bool relay_pending(const struct relay *r)
{
	return r->len > 0;
}

/* Bytes at the end of line[0..len) that begin a UTF-8 character whose
 * remaining bytes have not arrived yet (0..3). */
static size_t utf8_incomplete_tail(const char *line, size_t len)
{
	for (size_t i = 1; i <= 3 && i <= len; i++) {
		unsigned char c = (unsigned char)line[len - i];
		size_t need;

		if ((c & 0xc0) == 0x80)
			continue; /* continuation byte: look further back */
		if (c < 0xc0)
			return 0; /* ASCII */
		need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		return need > i ? i : 0;
	}
	return 0;
}

/* The line is full: emit it, keeping a cut UTF-8 character for the next. */
static void emit_full(struct relay *r, relay_emit_fn *emit, void *ctx)
{
	size_t keep = utf8_incomplete_tail(r->line, r->len);

	emit(ctx, r->line, r->len - keep);
	memmove(r->line, r->line + r->len - keep, keep);
	r->len = keep;
}

static void text_byte(struct relay *r, unsigned char c, relay_emit_fn *emit, void *ctx)
{
	if (c == '\n') {
		emit(ctx, r->line, r->len);
		r->len = 0;
		return;
	}
	if (c == 0x1b) {
		r->state = ST_ESC;
		return;
	}
	if ((c < 0x20 && c != '\t') || c == 0x7f)
		return; /* \r, backspace, bell, ...: nothing the journal should keep */
	if (r->len == RELAY_LINE_MAX)
		emit_full(r, emit, ctx);
	r->line[r->len++] = (char)c;
}

/* One byte through the escape-sequence state machine. */
static void step(struct relay *r, unsigned char c, relay_emit_fn *emit, void *ctx)
{
	switch (r->state) {
	case ST_ESC:
		if (c == '[') {
			r->state = ST_CSI;
		} else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') {
			r->state = ST_STR;
		} else if (c >= 0x20 && c <= 0x2f) {
			r->state = ST_ESC_INTER;
		} else if (c >= 0x30 && c <= 0x7e) {
			r->state = ST_TEXT; /* a two-byte escape, e.g. ESC 7 */
		} else if (c != 0x1b) {
			r->state = ST_TEXT; /* not an escape after all */
			text_byte(r, c, emit, ctx);
		}
		return;
	case ST_ESC_INTER:
		if (c >= 0x20 && c <= 0x2f)
			return;
		r->state = ST_TEXT;
		if (c < 0x30 || c > 0x7e)
			text_byte(r, c, emit, ctx);
		return;
	case ST_CSI:
		if (c >= 0x20 && c <= 0x3f)
			return; /* parameter and intermediate bytes */
		r->state = ST_TEXT;
		/* A final byte ends the sequence; anything else (a newline
		 * above all) aborts it and counts as text. */
		if (c < 0x40 || c > 0x7e)
			text_byte(r, c, emit, ctx);
		return;
	case ST_STR:
		if (c == 0x07) {
			r->state = ST_TEXT;
		} else if (c == 0x1b) {
			r->state = ST_STR_ESC;
		} else if (c == '\n') {
			r->state = ST_TEXT; /* never swallow a line end */
			text_byte(r, c, emit, ctx);
		}
		return;
	case ST_STR_ESC:
		if (c == '\\') {
			r->state = ST_TEXT; /* ST: the string ends */
		} else {
			r->state = ST_ESC; /* a new sequence begins */
			step(r, c, emit, ctx);
		}
		return;
	default:
		text_byte(r, c, emit, ctx);
		return;
	}
}

void relay_feed(struct relay *r, const char *buf, size_t n, relay_emit_fn *emit, void *ctx)
{
	for (size_t i = 0; i < n; i++)
		step(r, (unsigned char)buf[i], emit, ctx);
}

void relay_flush(struct relay *r, relay_emit_fn *emit, void *ctx)
{
	if (r->len == 0)
		return;
	emit(ctx, r->line, r->len);
	r->len = 0;
}
