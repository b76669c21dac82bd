/* Fuzz target: parse_host_port() (libleft4me/parse.h), the one HOST:PORT
 * grammar (web.listen in the config, the web's bind).  Properties: it
 * accepts exactly what the web's former second copy of the rule (its
 * bind_listen, strrchr-based, written separately) accepted; an accepted
 * address is AF_INET or AF_INET6 with the length of its family, and the
 * text printed back from it ("A.B.C.D:P", "[v6]:P") parses to the same
 * address; a refusal gives one of the three reasons; the NULL-addr form
 * agrees.  Each line of the input is tried too. */
#include "fuzz.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "parse.h"

/* The web's bind_listen before parse_host_port: 1 if it would bind. */
static int former_copy(const char *spec)
{
	char host[64];
	const char *colon;
	long long port;
	unsigned char a[16];

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (!close || (size_t)(close - spec - 1) >= sizeof(host))
			return 0;
		memcpy(host, spec + 1, (size_t)(close - spec - 1));
		host[close - spec - 1] = '\0';
		colon = close + 1;
		if (inet_pton(AF_INET6, host, a) != 1)
			return 0;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || (size_t)(colon - spec) >= sizeof(host))
			return 0;
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
		if (strcmp(host, "localhost") == 0)
			snprintf(host, sizeof(host), "127.0.0.1");
		if (inet_pton(AF_INET, host, a) != 1)
			return 0;
	}
	return *colon == ':' && parse_int(colon + 1, 0, 65535, &port) == 0;
}

static int same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	{
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
}

static void check(const char *s)
{
	struct sockaddr_storage ss, back;
	socklen_t len = 0, blen;
	const char *why = NULL;
	char text[INET6_ADDRSTRLEN], printed[INET6_ADDRSTRLEN + 16];
	int rc = parse_host_port(s, &ss, &len, &why);

	FUZZ_CHECK(rc == 0 || rc == -1, "rc %d", rc);
	FUZZ_CHECK((rc == 0) == former_copy(s), "\"%.80s\": %d, the former copy %d", s, rc,
		   former_copy(s));
	FUZZ_CHECK(parse_host_port(s, NULL, NULL, NULL) == rc, "NULL form disagrees");
	if (rc < 0) {
		FUZZ_CHECK(why && (strcmp(why, "expected HOST:PORT") == 0 ||
				   strcmp(why, "expected a port between 0 and 65535") == 0 ||
				   strncmp(why, "expected HOST:PORT with HOST", 28) == 0),
			   "reason \"%s\"", why ? why : "(null)");
		return;
	}
	FUZZ_CHECK(why == NULL, "a reason on success");
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)&ss;

		FUZZ_CHECK(len == sizeof(*in), "length %u", (unsigned)len);
		inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
		snprintf(printed, sizeof(printed), "%s:%u", text, ntohs(in->sin_port));
	} else {
		const struct sockaddr_in6 *in6 = (const void *)&ss;

		FUZZ_CHECK(ss.ss_family == AF_INET6, "family %d", ss.ss_family);
		FUZZ_CHECK(len == sizeof(*in6), "length %u", (unsigned)len);
		inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
		snprintf(printed, sizeof(printed), "[%s]:%u", text, ntohs(in6->sin6_port));
	}
	FUZZ_CHECK(parse_host_port(printed, &back, &blen, NULL) == 0 && blen == len &&
		       same(&ss, &back),
		   "\"%s\" printed back as \"%s\" does not parse to the same", s, printed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size);

	check(s);
	for (char *line = s, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		check(line);
	}
	free(s);
	return 0;
}
