/* Fuzz target: left4me-launcher's console input lines
 * (left4me-launcher/cmdin.c), which read whatever is written into a
 * server's console FIFO.  Properties:
 *  - exactly one verdict (accepted or dropped) per '\n' of the input;
 *  - line by line, a line is accepted exactly when console_command_ok
 *    accepts it, and then verbatim; a dropped line is named by a rule
 *    ("a console command ...");
 *  - the input fed whole and fed in chunks (sizes from the input) gives
 *    the same verdicts;
 *  - cmdin_discard reports exactly an unterminated last line. */
#include "fuzz.h"

#include "cmdin.h"
#include "strbuf.h"

struct verdicts {
	struct strbuf log; /* "+CMD\n" per accepted, "-WHY\n" per dropped line */
	size_t n;
};

static void accept_cmd(void *ctx, const char *cmd, size_t len)
{
	struct verdicts *v = ctx;

	FUZZ_CHECK(len >= 1 && len <= CONSOLE_COMMAND_MAX, "accepted %zu bytes", len);
	FUZZ_CHECK(!fuzz_has_control(cmd, len, 0), "accepted a control byte");
	strbuf_putc(&v->log, '+');
	strbuf_append(&v->log, cmd, len);
	strbuf_putc(&v->log, '\n');
	v->n++;
}

static void reject_cmd(void *ctx, const char *why)
{
	struct verdicts *v = ctx;

	FUZZ_CHECK(strncmp(why, "a console command ", 18) == 0, "reason \"%s\"", why);
	strbuf_putc(&v->log, '-');
	strbuf_puts(&v->log, why);
	strbuf_putc(&v->log, '\n');
	v->n++;
}

static bool run(struct verdicts *v, const uint8_t *data, size_t size, bool chunked)
{
	struct cmdin c;
	size_t i = 0;

	strbuf_init(&v->log);
	v->n = 0;
	cmdin_init(&c);
	while (i < size) {
		size_t n = chunked ? 1 + (size_t)(data[i] % 11) : size - i;

		if (n > size - i)
			n = size - i;
		cmdin_feed(&c, (const char *)data + i, n, accept_cmd, reject_cmd, v);
		i += n;
	}
	return cmdin_discard(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verdicts whole, chunked;
	bool tail_w = run(&whole, data, size, false);
	bool tail_c = run(&chunked, data, size, true);
	const char *s = (const char *)data, *log;
	size_t lines = 0, start = 0;

	FUZZ_CHECK(tail_w == tail_c && whole.log.len == chunked.log.len &&
		       memcmp(whole.log.buf, chunked.log.buf, whole.log.len) == 0,
		   "whole and chunked input differ");
	FUZZ_CHECK(tail_w == (size > 0 && data[size - 1] != '\n'), "discard %d", tail_w);
	/* the reference: split on '\n' and ask console_command_ok */
	log = whole.log.buf;
	for (size_t i = 0; i < size; i++) {
		if (data[i] != '\n')
			continue;
		size_t len = i - start;
		bool ok = console_command_ok(s + start, len, NULL, 0);
		const char *end = strchr(log, '\n');

		FUZZ_CHECK(end != NULL, "no verdict for line %zu", lines);
		if (ok)
			FUZZ_CHECK(log[0] == '+' && (size_t)(end - log - 1) == len &&
				       memcmp(log + 1, s + start, len) == 0,
				   "line %zu not accepted verbatim", lines);
		else
			FUZZ_CHECK(log[0] == '-', "line %zu accepted against the rule", lines);
		log = end + 1;
		lines++;
		start = i + 1;
	}
	FUZZ_CHECK(*log == '\0' && whole.n == lines, "%zu verdicts for %zu lines", whole.n, lines);
	strbuf_fini(&whole.log);
	strbuf_fini(&chunked.log);
	return 0;
}
