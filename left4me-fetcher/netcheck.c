/* Address and URL checks for upstream links and redirects; see netcheck.h. */
#include "netcheck.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "xalloc.h"

const char *netcheck_ipv4(const unsigned char a[4])
{
	if (a[0] == 0)
		return "this-network (0.0.0.0/8)";
	if (a[0] == 10)
		return "private";
	if (a[0] == 100 && (a[1] & 0xc0) == 64)
		return "shared (CGNAT)";
	if (a[0] == 127)
		return "loopback";
	if (a[0] == 169 && a[1] == 254)
		return "link-local";
	if (a[0] == 172 && (a[1] & 0xf0) == 16)
		return "private";
	if (a[0] == 192 && a[1] == 168)
		return "private";
	if ((a[0] & 0xf0) == 224)
		return "multicast";
	if (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255)
		return "broadcast";
	if ((a[0] & 0xf0) == 240)
		return "reserved";
	return NULL;
}

const char *netcheck_ipv6(const unsigned char a[16])
{
	static const unsigned char zero[12], mapped[12] = {[10] = 0xff, [11] = 0xff},
					     nat64[12] = {0, 0x64, 0xff, 0x9b};
	static const unsigned char nat64_local[6] = {0, 0x64, 0xff, 0x9b, 0, 1};
	size_t i;

	if (memcmp(a, zero, 12) == 0) {
		for (i = 12; i < 15 && a[i] == 0; i++)
			;
		if (i == 15 && a[15] == 0)
			return "unspecified";
		if (i == 15 && a[15] == 1)
			return "loopback";
		return "IPv4-compatible (deprecated)";
	}
	/* Addresses that carry an IPv4 address reach it (mapped: this host's
	 * IPv4 stack; NAT64 and 6to4: a translator or relay). */
	if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
		return netcheck_ipv4(a + 12);
	if (a[0] == 0x20 && a[1] == 0x02)
		return netcheck_ipv4(a + 2);
	if (memcmp(a, nat64_local, 6) == 0)
		return "local-use NAT64";
	if ((a[0] & 0xfe) == 0xfc)
		return "unique-local (private)";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return "link-local";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)
		return "site-local";
	if (a[0] == 0xff)
		return "multicast";
	return NULL;
}

const char *netcheck_sockaddr(const struct sockaddr *sa, size_t len)
{
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in))
		return netcheck_ipv4(
		    (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr);
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
		return netcheck_ipv6(
		    (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return "non-IP";
}

const char *netcheck_host(const char *host)
{
	char buf[256];
	size_t n = strlen(host);
	struct in_addr a4;
	struct in6_addr a6;

	if (host[0] == '[') {
		const char *end = strchr(host, ']');

		if (!end || (size_t)(end - host - 1) >= sizeof(buf))
			return NULL; /* not a literal curl could connect to */
		memcpy(buf, host + 1, (size_t)(end - host - 1));
		buf[end - host - 1] = '\0';
		buf[strcspn(buf, "%")] = '\0'; /* zone id */
		return inet_pton(AF_INET6, buf, &a6) == 1 ? netcheck_ipv6(a6.s6_addr) : NULL;
	}
	if (n == 0 || n >= sizeof(buf))
		return NULL;
	memcpy(buf, host, n + 1);
	if (buf[n - 1] == '.')
		buf[--n] = '\0'; /* the root label: "127.0.0.1." */
	/* Names, localhost included (curl resolves it itself), are judged by
	 * the addresses they resolve to.  inet_aton takes what getaddrinfo would: 127.1, 0x7f.1,
	 * 2130706433. */
	if (inet_aton(buf, &a4))
		return netcheck_ipv4((const unsigned char *)&a4.s_addr);
	return NULL;
}

/* true if the URL has the part (even an empty one). */
static bool has_part(CURLU *u, CURLUPart what)
{
	char *s = NULL;
	bool has = curl_url_get(u, what, &s, 0) == CURLUE_OK;

	curl_free(s);
	return has;
}

int netcheck_url(const char *url, bool allow_private, char *why, size_t whylen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	const char *cls;
	int rc = -1;

	if (!u)
		fatal("out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		snprintf(why, whylen, "not a valid absolute URL");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		snprintf(why, whylen, "not an http or https URL");
		goto out;
	}
	if (has_part(u, CURLUPART_USER) || has_part(u, CURLUPART_PASSWORD) ||
	    has_part(u, CURLUPART_OPTIONS)) {
		snprintf(why, whylen, "the URL carries credentials (user:password@)");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0]) {
		snprintf(why, whylen, "the URL has no host");
		goto out;
	}
	if (!allow_private && (cls = netcheck_host(host))) {
		snprintf(why, whylen, "%.100s is a %s address (allow_private is not set)", host,
			 cls);
		goto out;
	}
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

char *netcheck_redirect_target(const char *base, const char *location)
{
	CURLU *u = curl_url();
	char *full = NULL, *res = NULL;

	if (!u)
		fatal("out of memory");
	/* The flags curl's own redirect following uses (Curl_follow). */
	if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, location, CURLU_URLENCODE | CURLU_ALLOW_SPACE) ==
		CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &full, 0) == CURLUE_OK)
		res = xstrdup(full);
	curl_free(full);
	curl_url_cleanup(u);
	return res;
}
