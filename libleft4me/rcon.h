/* A server's RCON password (issue 14): made here, stored in the database
 * (db_rcon.h), staged by the worker as the last line of the instance's
 * server.cfg, and kept out of every log.  docs/SECURITY.md, "RCON",
 * says where it lives and who may read it.
 *
 * The password is RCON_PASSWORD_LEN characters of [A-Za-z0-9] from
 * getrandom(2) (about 190 bits), an alphabet that is safe inside the
 * quoted string of a cfg line: no quote, semicolon, space or backslash.
 * Pure apart from getrandom; the launcher links it for the redaction. */
#ifndef LEFT4ME_RCON_H
#define LEFT4ME_RCON_H

#include <stdbool.h>
#include <stddef.h>

#define RCON_PASSWORD_LEN 32
#define RCON_PASSWORD_MIN 24 /* what a stored password must have at least */
#define RCON_PASSWORD_MAX 64
/* The setting that holds it, matched case-insensitively anywhere in a
 * line (srcds's command names are case-insensitive). */
#define RCON_SETTING  "rcon_password"
#define RCON_WITHHELD " (withheld)"

/* Fill out with a new password and its NUL: 0, or -1 if getrandom failed
 * (errno set). */
int rcon_password_generate(char out[RCON_PASSWORD_LEN + 1]);

/* true if s is RCON_PASSWORD_MIN..RCON_PASSWORD_MAX bytes of [A-Za-z0-9]:
 * what the worker accepts from the database before it stages it. */
bool rcon_password_ok(const char *s);

/* The offset of the first RCON_SETTING in s[0..len) (any case), or -1. */
long rcon_setting_at(const char *s, size_t len);

/* The redaction of one log line: when s[0..len) names RCON_SETTING,
 * everything after the first mention is replaced by RCON_WITHHELD, and
 * every occurrence of secret (may be NULL or "": none) is replaced by
 * "(withheld)".  Returns the new length, written into out (outlen >=
 * len + 16 always fits; a longer line is cut there); out is not
 * NUL-terminated unless room is left.  Returns len unchanged, copying,
 * when nothing was withheld. */
size_t rcon_redact(const char *s, size_t len, const char *secret, char *out, size_t outlen);

#endif
