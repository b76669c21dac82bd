/* Fuzz target: xff_client() (left4me-web/xff.h, a trusted proxy's
 * X-Forwarded-For) and netaddr_parse_block() (libleft4me/netaddr.h,
 * web.trusted_proxies).  Input: the first line holds space-separated
 * blocks (the ones netaddr_parse_block refuses are left out), the rest is
 * the header.  Properties: the verdict and the client agree with a
 * reference reader written the other way round (split the whole header
 * forwards, then pick from the right); the client is a trusted proxy only
 * when it is the left-most element; it prints and parses back to itself;
 * an accepted block holds its own base address, prints back as
 * "BASE/PREFIX" and parses to itself; the header is read only within its
 * length (an exact-size copy, for ASan). */
#include "fuzz.h"

#include <arpa/inet.h>
#include <stdbool.h>

#include "netaddr.h"
#include "../../left4me-web/xff.h"

#define MAX_BLOCKS 8

/* A reference element reader: an address with an optional port, IPv6 in
 * brackets when a port follows; inet_pton on a copy. */
static bool ref_element(const char *s, size_t len, struct netaddr *out)
{
	char buf[128];
	char *p, *port = NULL;

	if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	p = buf;
	if (p[0] == '[') {
		char *close = strchr(p, ']');

		if (!close || !memchr(p, ':', (size_t)(close - p)))
			return false;
		*close = '\0';
		p++;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return false;
	} else if (strchr(p, ':') && strchr(p, ':') == strrchr(p, ':')) {
		/* One colon: IPv4 and a port (IPv6 text has at least two). */
		port = strchr(p, ':');
		*port++ = '\0';
	}
	if (port) {
		/* Canonical decimal 0..65535. */
		size_t n = strlen(port);

		if (n == 0 || n > 5 || strspn(port, "0123456789") != n ||
		    (port[0] == '0' && n > 1) || atol(port) > 65535)
			return false;
	}
	return netaddr_parse(p, strlen(p), out) == 0;
}

static bool ref_client(const char *h, size_t len, const struct netaddr_block *b, size_t n,
		       struct netaddr *client)
{
	size_t starts[4096], ends[4096], k = 0, pos = 0, i;

	if (!h)
		return false;
	for (;;) {
		const char *comma = memchr(h + pos, ',', len - pos);
		size_t end = comma ? (size_t)(comma - h) : len;

		if (k == sizeof(starts) / sizeof(starts[0]))
			return false; /* not reached: the input is shorter */
		starts[k] = pos;
		ends[k++] = end;
		if (!comma)
			break;
		pos = end + 1;
	}
	for (i = k; i-- > 0;) {
		size_t s = starts[i], e = ends[i];

		while (s < e && (h[s] == ' ' || h[s] == '\t'))
			s++;
		while (e > s && (h[e - 1] == ' ' || h[e - 1] == '\t'))
			e--;
		if (!ref_element(h + s, e - s, client))
			return false;
		if (!netaddr_in_any(client, b, n) || i == 0)
			return true;
	}
	return false;
}

static void check_block(const char *text, struct netaddr_block *b)
{
	char base[NETADDR_TEXT_MAX], again[NETADDR_TEXT_MAX + 8];
	struct netaddr_block c;

	FUZZ_CHECK(b->base.family == AF_INET || b->base.family == AF_INET6, "family");
	FUZZ_CHECK(b->prefix <= (b->base.family == AF_INET ? 32u : 128u), "prefix %u", b->prefix);
	FUZZ_CHECK(netaddr_in_block(&b->base, b), "%s: base not inside", text);
	netaddr_format(&b->base, base, sizeof(base));
	snprintf(again, sizeof(again), "%s/%u", base, b->prefix);
	FUZZ_CHECK(netaddr_parse_block(again, &c, NULL) == 0, "%s: %s refused", text, again);
	FUZZ_CHECK(c.prefix == b->prefix && memcmp(&c.base, &b->base, sizeof(c.base)) == 0,
		   "%s: %s differs", text, again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t first = nl ? (size_t)(nl - data) : size;
	char *line = fuzz_cstring(data, first), *tok, *save = NULL, text[NETADDR_TEXT_MAX];
	size_t hlen = nl ? size - first - 1 : 0, n = 0;
	char *header = nl ? malloc(hlen ? hlen : 1) : NULL;
	struct netaddr_block blocks[MAX_BLOCKS];
	struct netaddr got, want, back;
	bool ok, ref_ok;

	for (tok = strtok_r(line, " ", &save); tok && n < MAX_BLOCKS;
	     tok = strtok_r(NULL, " ", &save))
		if (netaddr_parse_block(tok, &blocks[n], NULL) == 0)
			check_block(tok, &blocks[n++]);
	if (header && hlen)
		memcpy(header, nl + 1, hlen);
	ok = xff_client(header, hlen, blocks, n, &got) == 0;
	ref_ok = ref_client(header, hlen, blocks, n, &want);
	FUZZ_CHECK(ok == ref_ok, "verdict %d, reference %d", ok, ref_ok);
	if (ok) {
		FUZZ_CHECK(memcmp(&got, &want, sizeof(got)) == 0, "client differs from reference");
		netaddr_format(&got, text, sizeof(text));
		FUZZ_CHECK(netaddr_parse(text, strlen(text), &back) == 0 &&
			       memcmp(&back, &got, sizeof(got)) == 0,
			   "%s does not parse back", text);
	}
	free(header);
	free(line);
	return 0;
}
