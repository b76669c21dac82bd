/* A game server's console input: the one rule for a console command and
 * the one way to hand it to a running server.
 *
 * The channel is a FIFO, STATE/console/NAME, made by the worker when it
 * stages the instance (owner and group left4me, mode 0664: the worker and
 * the web, through group left4me, write; left4me-launcher, which runs as
 * the server's own dynamic uid and gets it bound into its unit, reads it
 * as "other").  console/ is 0750 left4me:left4me, so on the host nobody
 * else reaches the FIFOs, and the web, which may not see runtime/, needs
 * nothing else of the state dir for it.  The
 * launcher keeps it open for reading while the server runs (read-only:
 * it has no write permission; it takes a new reader before dropping the
 * old one when the last writer leaves) and writes each command line to
 * srcds's pseudo-terminal.  A writer opens it
 * non-blocking, so with no launcher reading the open fails with ENXIO
 * ("not running") instead of hanging, and one write(2) of at most
 * PIPE_BUF bytes is atomic: lines of two writers never interleave. */
#ifndef LEFT4ME_CONSOLE_H
#define LEFT4ME_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

/* A console command is one line of 1..CONSOLE_COMMAND_MAX bytes with no
 * control characters (bytes below 0x20 and 0x7f; so no newline) that does
 * not name rcon_password in any case (rcon.h: left4me owns it). */
#define CONSOLE_COMMAND_MAX 512

/* The directory of the FIFOs, under the state dir; each is named NAME. */
#define CONSOLE_DIR "console"

/* True when cmd[0..len) is an acceptable command.  Otherwise false and a
 * sentence naming the rule in why (may be NULL), e.g. "a console command
 * is at most 512 bytes (got 600)". */
bool console_command_ok(const char *cmd, size_t len, char *why, size_t whylen);

/* What the audit log keeps of console command cmd (console_command_ok):
 * cmd itself, except that the value of a setting that holds a secret is
 * replaced by "(withheld)" in each ';'-separated statement whose first word
 * names a password, token, secret or key (rcon_password, sv_password,
 * sv_setsteamaccount, ...), case-insensitively.  out gets at most outlen - 1
 * bytes; an outlen of len + 16 always fits. */
void console_audit_text(const char *cmd, char *out, size_t outlen);

enum console_send_result {
	CONSOLE_SENT = 0,
	CONSOLE_INVALID,     /* the command breaks the rule above */
	CONSOLE_NOT_RUNNING, /* no FIFO or no reader: the server is not running */
	CONSOLE_BUSY,	     /* the FIFO is full (nobody drains it) */
	CONSOLE_ERROR,	     /* anything else (refused path, I/O error) */
};

/* Send cmd to the console of server `name` under state_dir: opens
 * console/NAME beneath state_dir without following a symlink in
 * any component, requires a FIFO, writes "cmd\n" in one write.  On any
 * result but CONSOLE_SENT, err holds one line saying why. */
enum console_send_result console_send(const char *state_dir, const char *name, const char *cmd,
				      char *err, size_t errlen);

#endif
