/* Fuzz target: the fetcher's network policy (left4me-fetcher/netcheck.c)
 * and its item-name check (fetch_name_check in index.c), each asked about
 * every '\n'-separated line of the input (seed files hold one candidate per
 * line) as a host, a URL, a redirect Location and a file name.  Properties:
 *  - netcheck_host of an IPv4 literal (any inet_aton form) or a bracketed
 *    IPv6 literal refuses exactly the ranges of docs/SECURITY.md, written
 *    here again as a CIDR table; names are never refused by their text;
 *  - netcheck_url accepts only what curl parses as http(s) with no user,
 *    password or options, and without allow_private only a host that is
 *    not a refused literal; what it accepts without allow_private it
 *    accepts with it; a refusal is one line and never repeats a password;
 *  - a redirect target (netcheck_redirect_target against a fixed base) that
 *    netcheck_url accepts keeps the same contract;
 *  - fetch_name_check accepts exactly 1..255 bytes of valid UTF-8 that do
 *    not start with '.', with no '/', '\\', C0, DEL or C1 control, bidi
 *    control (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) or
 *    U+2028/U+2029. */
#include "fuzz.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <strings.h>

#include "index.h"
#include "netcheck.h"
#include "validate.h"

struct cidr {
	unsigned char prefix[16];
	int bits;
};

static const struct cidr v4_refused[] = {
    {{0}, 8},	     {{10}, 8},	       {{100, 64}, 10}, {{127}, 8}, {{169, 254}, 16},
    {{172, 16}, 12}, {{192, 168}, 16}, {{224}, 4},	{{240}, 4},
};

static const struct cidr v6_refused[] = {
    {{0}, 96},			       /* ::, ::1, IPv4-compatible */
    {{0, 0x64, 0xff, 0x9b, 0, 1}, 48}, /* local-use NAT64 */
    {{0xfc}, 7},
    {{0xfe, 0x80}, 10},
    {{0xfe, 0xc0}, 10},
    {{0xff}, 8},
};

static bool in_cidr(const unsigned char *a, const struct cidr *c)
{
	int full = c->bits / 8, rest = c->bits % 8;

	if (memcmp(a, c->prefix, (size_t)full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ c->prefix[full]) & (0xff << (8 - rest))) == 0;
}

static bool ref_v4_refused(const unsigned char a[4])
{
	for (size_t i = 0; i < sizeof(v4_refused) / sizeof(v4_refused[0]); i++)
		if (in_cidr(a, &v4_refused[i]))
			return true;
	return false;
}

static bool ref_v6_refused(const unsigned char a[16])
{
	static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff},
				   nat64[12] = {0, 0x64, 0xff, 0x9b};

	if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
		return ref_v4_refused(a + 12);
	if (a[0] == 0x20 && a[1] == 0x02) /* 6to4 */
		return ref_v4_refused(a + 2);
	for (size_t i = 0; i < sizeof(v6_refused) / sizeof(v6_refused[0]); i++)
		if (in_cidr(a, &v6_refused[i]))
			return true;
	return false;
}

/* Whether the host text is a literal the reference refuses. */
static bool ref_host_refused(const char *host)
{
	char buf[256];
	size_t n = strlen(host);
	struct in_addr a4;
	struct in6_addr a6;

	if (host[0] == '[') {
		const char *end = strchr(host, ']');

		if (!end || (size_t)(end - host - 1) >= sizeof(buf))
			return false;
		memcpy(buf, host + 1, (size_t)(end - host - 1));
		buf[end - host - 1] = '\0';
		buf[strcspn(buf, "%")] = '\0';
		return inet_pton(AF_INET6, buf, &a6) == 1 && ref_v6_refused(a6.s6_addr);
	}
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, host, n + 1);
	if (buf[n - 1] == '.')
		buf[n - 1] = '\0';
	return inet_aton(buf, &a4) && ref_v4_refused((const unsigned char *)&a4.s_addr);
}

static bool has_seq(const char *s, const char *seq)
{
	return strstr(s, seq) != NULL;
}

static bool ref_name_ok(const char *s)
{
	size_t n = strlen(s);
	static const char *const bad[] = {
	    "\xd8\x9c",	    "\xe2\x80\x8e", "\xe2\x80\x8f", "\xe2\x80\xaa", "\xe2\x80\xab",
	    "\xe2\x80\xac", "\xe2\x80\xad", "\xe2\x80\xae", "\xe2\x81\xa6", "\xe2\x81\xa7",
	    "\xe2\x81\xa8", "\xe2\x81\xa9", "\xe2\x80\xa8", "\xe2\x80\xa9",
	};

	if (n < 1 || n > PATH_COMPONENT_MAX || s[0] == '.' || !valid_utf8(s, n) ||
	    fuzz_has_control(s, n, 0) || fuzz_has_c1(s, n) || strchr(s, '/') || strchr(s, '\\'))
		return false;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (has_seq(s, bad[i]))
			return false;
	return true;
}

/* curl's parts of an absolute URL (host NULL if it has none): 0 if it
 * parses. */
static int url_parts(const char *url, char **scheme, char **host, bool *creds)
{
	CURLU *u = curl_url();
	char *p = NULL;
	int rc = -1;

	*scheme = *host = NULL;
	*creds = false;
	if (!u)
		abort();
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_HOST, host, 0) != CURLUE_OK)
			*host = NULL; /* file:///x */
		CURLUPart parts[] = {CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_OPTIONS};

		for (size_t i = 0; i < 3; i++) {
			if (curl_url_get(u, parts[i], &p, 0) == CURLUE_OK)
				*creds = true;
			curl_free(p);
			p = NULL;
		}
		rc = 0;
	}
	curl_url_cleanup(u);
	return rc;
}

static char *url_password(const char *url)
{
	CURLU *u = curl_url();
	char *p = NULL, *res = NULL;

	if (!u)
		abort();
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PASSWORD, &p, 0) == CURLUE_OK)
		res = strdup(p);
	curl_free(p);
	curl_url_cleanup(u);
	return res;
}

/* What netcheck_url accepted (strict: without allow_private) is what the
 * contract says. */
static void check_accepted(const char *url, bool strict)
{
	char *scheme, *host;
	bool creds;

	FUZZ_CHECK(url_parts(url, &scheme, &host, &creds) == 0, "accepted \"%s\" unparsed", url);
	FUZZ_CHECK(strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0,
		   "accepted scheme %s", scheme);
	FUZZ_CHECK(!creds, "accepted credentials in \"%s\"", url);
	FUZZ_CHECK(host && host[0], "accepted \"%s\" without a host", url);
	FUZZ_CHECK(!strict || !ref_host_refused(host), "accepted host %s", host);
	curl_free(scheme);
	curl_free(host);
}

static void check_line(const char *s)
{
	const char *cls = netcheck_host(s);
	char why[256] = "", why2[256] = "", *target;
	int strict = netcheck_url(s, false, why, sizeof(why));
	int lax = netcheck_url(s, true, why2, sizeof(why2));

	FUZZ_CHECK((cls != NULL) == ref_host_refused(s), "netcheck_host(\"%s\") = %s", s,
		   cls ? cls : "public");
	FUZZ_CHECK(strict == 0 || strict == -1, "netcheck_url returned %d", strict);
	if (strict == 0) {
		FUZZ_CHECK(lax == 0, "\"%s\" accepted only without allow_private", s);
		check_accepted(s, true);
	}
	if (lax == 0) {
		char *scheme, *host;
		bool creds;

		check_accepted(s, false);
		/* With allow_private the only difference is the host. */
		url_parts(s, &scheme, &host, &creds);
		FUZZ_CHECK(strict == 0 || ref_host_refused(host), "refused public host %s: %s",
			   host, why);
		curl_free(scheme);
		curl_free(host);
	}
	if (strict < 0) {
		char *pw = url_password(s);

		FUZZ_CHECK(why[0] && !strchr(why, '\n'), "refusal \"%s\"", why);
		FUZZ_CHECK(!pw || strlen(pw) < 4 || !strstr(why, pw) ||
			       strcmp(why, "the URL carries credentials (user:password@)") == 0,
			   "password repeated: %s", why);
		free(pw);
	}

	/* A redirect target may be anything; what the policy then accepts
	 * keeps the contract. */
	target = netcheck_redirect_target("http://h.example/maps/index.html", s);
	if (target) {
		if (netcheck_url(target, false, why, sizeof(why)) == 0)
			check_accepted(target, true);
		free(target);
	}

	why[0] = '\0';
	FUZZ_CHECK((fetch_name_check(s, why, sizeof(why)) == 0) == ref_name_ok(s),
		   "fetch_name_check(\"%s\"): %s", s, why[0] ? why : "accepted");
	FUZZ_CHECK(fetch_safe_name(s) == ref_name_ok(s), "fetch_safe_name(\"%s\")", s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size), *line, *next;

	for (line = s; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		check_line(line);
	}
	free(s);
	return 0;
}
