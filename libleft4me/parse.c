/* Strict parsing of untrusted text; see parse.h. */
#include "parse.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xalloc.h"

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

int parse_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int parse_percent_decode(const char *s, size_t len, unsigned flags, char **out, size_t *outlen)
{
	char *res = xmalloc(len + 1);
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		int hi = -1, lo = -1;

		if (s[i] == '%' && len - i > 2) {
			hi = parse_hex_digit((unsigned char)s[i + 1]);
			lo = parse_hex_digit((unsigned char)s[i + 2]);
		}
		if (hi >= 0 && lo >= 0) {
			if (hi == 0 && lo == 0)
				goto bad;
			res[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (s[i] == '%' && (flags & PARSE_PCT_STRICT)) {
			goto bad;
		} else if (s[i] == '+' && (flags & PARSE_PCT_PLUS)) {
			res[o++] = ' ';
		} else {
			res[o++] = s[i];
		}
	}
	res[o] = '\0';
	*out = res;
	if (outlen)
		*outlen = o;
	return 0;
bad:
	free(res);
	return -1;
}

#define HOST_PORT_REASON "expected HOST:PORT with HOST an IPv4 address, localhost or [IPv6]"

int parse_host_port(const char *s, struct sockaddr_storage *addr, socklen_t *addrlen,
		    const char **why)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	char host[INET6_ADDRSTRLEN];
	const char *h = s, *colon, *reason = HOST_PORT_REASON;
	size_t hlen;
	bool v6 = false;
	long long port;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		reason = "expected HOST:PORT";
		if (!close || close[1] != ':')
			goto bad;
		h = s + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
		v6 = true;
	} else {
		colon = strchr(s, ':');
		if (!colon) {
			reason = "expected HOST:PORT";
			goto bad;
		}
		if (strchr(colon + 1, ':'))
			goto bad; /* a bare IPv6 address */
		hlen = (size_t)(colon - s);
	}
	reason = HOST_PORT_REASON;
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memset(&ss, 0, sizeof(ss));
	if (v6) {
		in6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			goto bad;
	} else {
		in->sin_family = AF_INET;
		if (strcmp(host, "localhost") == 0)
			in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			goto bad;
	}
	if (parse_int(colon + 1, 0, 65535, &port) < 0) {
		reason = "expected a port between 0 and 65535";
		goto bad;
	}
	if (v6)
		in6->sin6_port = htons((uint16_t)port);
	else
		in->sin_port = htons((uint16_t)port);
	if (addr) {
		*addr = ss;
		*addrlen = v6 ? sizeof(*in6) : sizeof(*in);
	}
	return 0;
bad:
	if (why)
		*why = reason;
	return -1;
}

/* A DNS name or dotted IPv4 address: labels of [A-Za-z0-9-], 1..63 bytes,
 * no '-' at either end. */
static bool dns_name_ok(const char *s, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i <= len; i++) {
		char c = i < len ? s[i] : '.';

		if (c == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '-') {
			if (label == 0 && c == '-')
				return false;
			label++;
		} else {
			return false;
		}
	}
	return true;
}

int parse_game_host(const char *s, char *out, const char **why)
{
	char v6[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	size_t len = strlen(s);

	if (strchr(s, ':') || s[0] == '[') {
		if (s[0] == '[') {
			if (len < 3 || s[len - 1] != ']')
				goto bad;
			s++;
			len -= 2;
		}
		if (len >= sizeof(v6))
			goto bad;
		memcpy(v6, s, len);
		v6[len] = '\0';
		if (inet_pton(AF_INET6, v6, &a6) != 1)
			goto bad;
		snprintf(out, PARSE_GAME_HOST_MAX, "[%s]", v6);
		return 0;
	}
	if (!dns_name_ok(s, len))
		goto bad;
	memcpy(out, s, len + 1);
	return 0;
bad:
	if (why)
		*why = "expected a host name, an IPv4 address or an IPv6 address (at most 253 "
		       "bytes, no port)";
	return -1;
}

int parse_url_host(const char *url, char *out)
{
	const char *h = strstr(url, "://"), *end, *at;
	char host[PARSE_GAME_HOST_MAX];
	size_t len;

	if (!h)
		return -1;
	h += 3;
	end = h + strcspn(h, "/?#");
	at = memchr(h, '@', (size_t)(end - h));
	if (at)
		h = at + 1;
	if (*h == '[') {
		const char *close = memchr(h, ']', (size_t)(end - h));

		if (!close)
			return -1;
		len = (size_t)(close + 1 - h);
	} else {
		const char *colon = memchr(h, ':', (size_t)(end - h));

		len = (size_t)((colon ? colon : end) - h);
	}
	if (len == 0 || len >= sizeof(host))
		return -1;
	memcpy(host, h, len);
	host[len] = '\0';
	return parse_game_host(host, out, NULL);
}

int parse_since(const char *s, long long now_ms, long long *out, const char **why)
{
	static const struct {
		char unit;
		long long ms;
	} ages[] = {{'s', 1000}, {'m', 60000}, {'h', 3600000}, {'d', 86400000}};
	size_t len = strlen(s), i;
	struct tm tm;
	const char *end;
	long long n;

	for (i = 0; len > 1 && i < sizeof(ages) / sizeof(ages[0]); i++) {
		if (s[len - 1] != ages[i].unit)
			continue;
		if (parse_int_n(s, len - 1, 0, 100LL * 365 * 86400, &n) < 0)
			break;
		*out = now_ms - n * ages[i].ms;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end && (*end == 'T' || *end == ' ') && end[1]) {
		const char *t = strptime(end + 1, "%H:%M", &tm);

		end = t && *t == ':' ? strptime(t + 1, "%S", &tm) : t;
		if (end && *end == 'Z')
			end++;
	}
	if (!end || *end || s[0] == '\0' || len < 10 || s[4] != '-') {
		if (why)
			*why = "expected YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z] (UTC) or an age "
			       "such as 30m, 2h, 7d";
		return -1;
	}
	*out = (long long)timegm(&tm) * 1000;
	return 0;
}
