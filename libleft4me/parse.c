/* Strict decimal parsing; see parse.h. */
#include "parse.h"

#include <limits.h>
#include <string.h>

int parse_int_n(const char *s, size_t len, long long min, long long max, long long *out)
{
	unsigned long long mag = 0, limit;
	bool neg = false;
	size_t i = 0;

	if (!s || len == 0 || min > max)
		return -1;
	if (s[0] == '-') {
		if (min >= 0)
			return -1;
		neg = true;
		i = 1;
	}
	if (i == len)
		return -1;
	if (s[i] == '0' && (len - i > 1 || neg))
		return -1; /* leading zero, or "-0" */
	limit = neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
	for (; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (mag > (limit - d) / 10)
			return -1;
		mag = mag * 10 + d;
	}
	{
		long long v;

		if (neg)
			v = mag == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)mag;
		else
			v = (long long)mag;
		if (v < min || v > max)
			return -1;
		*out = v;
	}
	return 0;
}

int parse_int(const char *s, long long min, long long max, long long *out)
{
	if (!s)
		return -1;
	return parse_int_n(s, strlen(s), min, max, out);
}
