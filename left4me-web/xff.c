/* X-Forwarded-For, read from the right; see xff.h. */
#include "xff.h"

#include <string.h>

#include "parse.h"

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* The address of one element s[0..len) (whitespace already trimmed). */
static int element(const char *s, size_t len, struct netaddr *out)
{
	const char *colon;
	long long port;

	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);
		size_t rest;

		/* Brackets hold IPv6 text (::ffff:A.B.C.D too), never IPv4. */
		if (!close || !memchr(s + 1, ':', (size_t)(close - s - 1)) ||
		    netaddr_parse(s + 1, (size_t)(close - s - 1), out) < 0)
			return -1;
		rest = len - (size_t)(close + 1 - s);
		if (rest == 0)
			return 0;
		return close[1] == ':' && parse_int_n(close + 2, rest - 1, 0, 65535, &port) == 0
			   ? 0
			   : -1;
	}
	colon = memchr(s, ':', len);
	if (colon && !memchr(colon + 1, ':', len - (size_t)(colon + 1 - s))) {
		/* One colon: A.B.C.D:PORT. */
		if (netaddr_parse(s, (size_t)(colon - s), out) < 0 || out->family != AF_INET ||
		    parse_int_n(colon + 1, len - (size_t)(colon + 1 - s), 0, 65535, &port) < 0)
			return -1;
		return 0;
	}
	return netaddr_parse(s, len, out);
}

int xff_client(const char *header, size_t len, const struct netaddr_block *trusted, size_t n,
	       struct netaddr *client)
{
	size_t end = len;
	struct netaddr a;

	if (!header)
		return -1;
	/* From the right: each element is header[start..end). */
	for (;;) {
		size_t start = end, b, e;

		while (start > 0 && header[start - 1] != ',')
			start--;
		for (b = start; b < end && is_ows(header[b]); b++)
			;
		for (e = end; e > b && is_ows(header[e - 1]); e--)
			;
		if (element(header + b, e - b, &a) < 0)
			return -1;
		*client = a;
		if (!netaddr_in_any(&a, trusted, n) || start == 0)
			return 0;
		end = start - 1;
	}
}
