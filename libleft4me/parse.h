/* Strict parsing of untrusted text: numbers, hex digits, percent-encoding
 * and the HOST:PORT of web.listen.  Each rule has exactly one copy, here. */
#ifndef LEFT4ME_PARSE_H
#define LEFT4ME_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Parse canonical decimal s (no spaces, no '+', no leading zeros, '-' only
 * when min < 0) into *out if min <= value <= max.  Returns 0 or -1; *out is
 * untouched on error. */
int parse_int(const char *s, long long min, long long max, long long *out);

/* Same for a length-delimited string (not NUL-terminated). */
int parse_int_n(const char *s, size_t len, long long min, long long max, long long *out);

/* The value of the hex digit c ([0-9a-fA-F]), or -1. */
int parse_hex_digit(int c);

/* parse_percent_decode flags. */
#define PARSE_PCT_PLUS	 1u /* '+' is a space (application/x-www-form-urlencoded) */
#define PARSE_PCT_STRICT 2u /* a '%' without two hex digits is an error (else kept as is) */

/* Percent-decode s[0..len) into a new NUL-terminated string *out of
 * *outlen bytes (outlen may be NULL).  %00 is always refused: a NUL would
 * cut what is checked later short.  Returns 0, or -1 with nothing
 * allocated. */
int parse_percent_decode(const char *s, size_t len, unsigned flags, char **out, size_t *outlen);

/* HOST:PORT, the one grammar of a listening address (web.listen):
 *   HOST  a dotted-quad IPv4 address, "localhost" (127.0.0.1), or an IPv6
 *         address in brackets ("[::1]", no zone); no host names, no bare
 *         IPv6, no spaces;
 *   PORT  canonical decimal 0..65535 (parse_int; 0 lets the kernel choose).
 * Returns 0 and, when addr is not NULL, the socket address in *addr and its
 * length in *addrlen; else -1 with why it is not one in *why (a static
 * string; why may be NULL). */
int parse_host_port(const char *s, struct sockaddr_storage *addr, socklen_t *addrlen,
		    const char **why);

/* The host players connect to (web.game_host, or the host part of
 * web.public_url): a DNS name or IPv4 address ([A-Za-z0-9.-], dot-separated
 * labels of 1..63 bytes, none starting or ending with '-'), or an IPv6
 * address with or without brackets (no zone).  At most 253 bytes.  Writes
 * the form that goes before ":PORT" into out (an IPv6 address in
 * brackets, the rest as given) and returns 0; else -1 with why (a static
 * string).  out must hold PARSE_GAME_HOST_MAX bytes. */
#define PARSE_GAME_HOST_MAX 256
int parse_game_host(const char *s, char *out, const char **why);

/* The host part of an http(s) URL (no user info, port, path; an IPv6
 * literal keeps its brackets) into out (PARSE_GAME_HOST_MAX bytes):
 * 0, or -1 if it has none that fits. */
int parse_url_host(const char *url, char *out);

/* A point in time for "since" filters, in Unix milliseconds, now_ms
 * being the present: a UTC date "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS][Z]"
 * (a space may stand for the T), or an age "N" followed by s, m, h or d
 * (that long before now).  0, or -1 with why (a static string). */
int parse_since(const char *s, long long now_ms, long long *out, const char **why);

#endif
