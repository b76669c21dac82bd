/* Console input lines; see cmdin.h. */
#include "cmdin.h"

#include <stdint.h>
#include <stdio.h>

void cmdin_init(struct cmdin *c)
{
	c->len = 0;
	c->total = 0;
}

static void end_line(struct cmdin *c, cmdin_accept_fn *accept, cmdin_reject_fn *reject, void *ctx)
{
	char why[160];

	if (c->total > CONSOLE_COMMAND_MAX) {
		/* console_command_ok's wording; the bytes are gone. */
		snprintf(why, sizeof(why), "a console command is at most %d bytes (got %zu)",
			 CONSOLE_COMMAND_MAX, c->total);
		reject(ctx, why);
	} else if (!console_command_ok(c->buf, c->len, why, sizeof(why))) {
		reject(ctx, why);
	} else {
		accept(ctx, c->buf, c->len);
	}
	c->len = 0;
	c->total = 0;
}

void cmdin_feed(struct cmdin *c, const char *data, size_t n, cmdin_accept_fn *accept,
		cmdin_reject_fn *reject, void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n') {
			end_line(c, accept, reject, ctx);
			continue;
		}
		if (c->len < sizeof(c->buf))
			c->buf[c->len++] = data[i];
		if (c->total < SIZE_MAX)
			c->total++;
	}
}

bool cmdin_discard(struct cmdin *c)
{
	bool had = c->total > 0;

	c->len = 0;
	c->total = 0;
	return had;
}
