/* Console input of left4me-launcher: splits what arrives on the console
 * FIFO into lines and holds each to console_command_ok() again (whoever
 * wrote the FIFO has checked it too, but a FIFO is no proof of that).  An
 * over-long line is never stored beyond CONSOLE_COMMAND_MAX bytes; it is
 * dropped whole, and the next line is read normally.  Pure: no I/O.
 * Tested in tests/launcher/check_cmdin.c. */
#ifndef LEFT4ME_LAUNCHER_CMDIN_H
#define LEFT4ME_LAUNCHER_CMDIN_H

#include <stdbool.h>
#include <stddef.h>

#include "console.h"

/* A good command, without its newline (cmd[len] is not NUL). */
typedef void cmdin_accept_fn(void *ctx, const char *cmd, size_t len);
/* A dropped line; why names the rule it broke. */
typedef void cmdin_reject_fn(void *ctx, const char *why);

struct cmdin {
	char buf[CONSOLE_COMMAND_MAX];
	size_t len;   /* bytes kept in buf */
	size_t total; /* bytes of the current line so far (saturates) */
};

void cmdin_init(struct cmdin *c);
/* Take data[0..n); call accept or reject once per completed line. */
void cmdin_feed(struct cmdin *c, const char *data, size_t n, cmdin_accept_fn *accept,
		cmdin_reject_fn *reject, void *ctx);
/* Forget an unterminated line (its writer went away); true if there was
 * one. */
bool cmdin_discard(struct cmdin *c);

#endif
