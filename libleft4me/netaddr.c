/* IP addresses and blocks as text; see netaddr.h. */
#include "netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* An IPv4-mapped IPv6 address becomes the IPv4 address it maps. */
static void unmap(struct netaddr *a)
{
	if (a->family == AF_INET6 && memcmp(a->addr, v4mapped, 12) == 0) {
		memmove(a->addr, a->addr + 12, 4);
		memset(a->addr + 4, 0, 12);
		a->family = AF_INET;
	}
}

int netaddr_parse(const char *s, size_t len, struct netaddr *out)
{
	char buf[NETADDR_TEXT_MAX];
	struct netaddr a = {0};

	if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, a.addr) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, buf, a.addr) == 1)
		a.family = AF_INET6;
	else
		return -1;
	unmap(&a);
	*out = a;
	return 0;
}

int netaddr_from_sockaddr(const struct sockaddr *sa, struct netaddr *out)
{
	struct netaddr a = {0};

	if (!sa)
		return -1;
	if (sa->sa_family == AF_INET) {
		a.family = AF_INET;
		memcpy(a.addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		a.family = AF_INET6;
		memcpy(a.addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	} else {
		return -1;
	}
	unmap(&a);
	*out = a;
	return 0;
}

static unsigned family_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* Whether a and b agree in their first bits bits. */
static bool prefix_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));

	if (memcmp(a, b, full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ b[full]) & mask) == 0;
}

int netaddr_parse_block(const char *s, struct netaddr_block *out, const char **why)
{
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	struct netaddr_block b = {0};
	long long prefix;

	if (netaddr_parse(s, alen, &b.base) < 0) {
		if (why)
			*why = "not an IPv4 or IPv6 address";
		return -1;
	}
	b.prefix = family_bits(b.base.family);
	if (slash) {
		if (parse_int(slash + 1, 0, b.prefix, &prefix) < 0) {
			if (why)
				*why = b.base.family == AF_INET ? "prefix length is not 0..32"
								: "prefix length is not 0..128";
			return -1;
		}
		b.prefix = (unsigned)prefix;
	}
	/* The host bits: every bit past the prefix is zero. */
	for (unsigned bit = b.prefix; bit < family_bits(b.base.family); bit++)
		if (b.base.addr[bit / 8] & (0x80 >> (bit % 8))) {
			if (why)
				*why = "address has bits set past its prefix length";
			return -1;
		}
	*out = b;
	return 0;
}

bool netaddr_in_block(const struct netaddr *a, const struct netaddr_block *b)
{
	return a->family == b->base.family && prefix_equal(a->addr, b->base.addr, b->prefix);
}

bool netaddr_in_any(const struct netaddr *a, const struct netaddr_block *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (netaddr_in_block(a, &b[i]))
			return true;
	return false;
}

bool netaddr_is_loopback(const struct netaddr *a)
{
	static const unsigned char v6loop[16] = {[15] = 1};

	if (a->family == AF_INET)
		return a->addr[0] == 127;
	return memcmp(a->addr, v6loop, 16) == 0;
}

void netaddr_format(const struct netaddr *a, char *out, size_t outlen)
{
	if (!inet_ntop(a->family, a->addr, out, (socklen_t)outlen))
		snprintf(out, outlen, "?");
}
