/* Strict number parsing for untrusted text: the only way numbers enter. */
#ifndef LEFT4ME_PARSE_H
#define LEFT4ME_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/* Parse canonical decimal s (no spaces, no '+', no leading zeros, '-' only
 * when min < 0) into *out if min <= value <= max.  Returns 0 or -1; *out is
 * untouched on error. */
int parse_int(const char *s, long long min, long long max, long long *out);

/* Same for a length-delimited string (not NUL-terminated). */
int parse_int_n(const char *s, size_t len, long long min, long long max, long long *out);

#endif
