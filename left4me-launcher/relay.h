/* The console output filter of left4me-launcher: turns the bytes srcds
 * writes to its pseudo-terminal into clean lines for the journal, one entry
 * per console line.  Carriage returns, ANSI/ECMA-48 escape sequences
 * (CSI, OSC, DCS/SOS/PM/APC strings, two-byte escapes) and other control
 * bytes except tab are dropped; a sequence split across reads is still
 * recognised.  A line longer than RELAY_LINE_MAX is cut into pieces (never
 * inside a UTF-8 character); the caller flushes a partial line after
 * RELAY_IDLE_MS without new output.  Pure: no I/O, the text is the game's
 * and is treated as hostile.  Tested in tests/launcher/check_relay.c. */
#ifndef LEFT4ME_LAUNCHER_RELAY_H
#define LEFT4ME_LAUNCHER_RELAY_H

#include <stdbool.h>
#include <stddef.h>

#define RELAY_LINE_MAX 4096
#define RELAY_IDLE_MS  200

/* Called with one line, without its newline; line[len] is not NUL. */
typedef void relay_emit_fn(void *ctx, const char *line, size_t len);

struct relay {
	char line[RELAY_LINE_MAX];
	size_t len;
	int state; /* where inside an escape sequence the input stands */
};

void relay_init(struct relay *r);
/* Filter buf[0..n); emit every line it completes. */
void relay_feed(struct relay *r, const char *buf, size_t n, relay_emit_fn *emit, void *ctx);
/* Emit the partial line, if any (an escape sequence in progress stays
 * in progress). */
void relay_flush(struct relay *r, relay_emit_fn *emit, void *ctx);
/* True when a partial line waits for its end. */
bool relay_pending(const struct relay *r);

#endif
