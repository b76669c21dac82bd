/* Fuzz target: the validators of libleft4me/validate.h against simple
 * reimplementations of their documented contracts, written here from the
 * header comments and not from validate.c.  Each is asked about the whole
 * input and about every '\n'-separated line of it (seed files hold one
 * candidate per line).  Properties: every validator agrees with its
 * reference, so an accepted instance name matches [a-z0-9][a-z0-9_-]{0,63},
 * an accepted overlay path has no "." or ".." component and no leading
 * '/', an accepted id or port is the %lld printing of its value, and
 * valid_utf8 accepts exactly the well-formed sequences of Unicode's
 * table 3-7. */
#include "fuzz.h"

#include <errno.h>
#include <stdbool.h>

#include "validate.h"

static bool in(char c, char lo, char hi)
{
	return c >= lo && c <= hi;
}

/* [a-z0-9][a-z0-9_-<extra>]{0,max-1} */
static bool ref_name(const char *s, size_t max, const char *extra)
{
	size_t n = strlen(s);

	if (n < 1 || n > max || !(in(s[0], 'a', 'z') || in(s[0], '0', '9')))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(in(s[i], 'a', 'z') || in(s[i], '0', '9') || s[i] == '_' || s[i] == '-' ||
		      (extra && strchr(extra, s[i]))))
			return false;
	return true;
}

/* Unicode 15, table 3-7 "Well-Formed UTF-8 Byte Sequences". */
static bool ref_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		unsigned char lo = 0x80, hi = 0xbf;
		size_t n;

		if (c <= 0x7f) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			return false;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		if (len - i - 1 < n)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k <= n; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return false;
		i += n + 1;
	}
	return true;
}

static bool ref_display_name(const char *s)
{
	size_t n = strlen(s);
	bool nonspace = false;

	if (n < 1 || n > DISPLAY_NAME_MAX || !ref_utf8((const unsigned char *)s, n) ||
	    fuzz_has_c1(s, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
		if (s[i] != ' ')
			nonspace = true;
	}
	return nonspace;
}

/* Relative, '/'-separated, components 1..255 bytes and not "." or "..",
 * printable ASCII without '\\', at most 1024 bytes. */
static bool ref_overlay_path(const char *s)
{
	size_t n = strlen(s);
	const char *p = s;

	if (n < 1 || n > OVERLAY_PATH_MAX || s[0] == '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!in(s[i], 0x20, 0x7e) || s[i] == '\\')
			return false;
	for (;;) {
		const char *end = strchrnul(p, '/');
		size_t clen = (size_t)(end - p);

		if (clen == 0 || clen > PATH_COMPONENT_MAX || (clen == 1 && p[0] == '.') ||
		    (clen == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!*end)
			return true;
		p = end + 1;
	}
}

/* The canonical decimal of a value in [min, max]: what %lld prints. */
static bool ref_canonical(const char *s, long long min, long long max, long long *out)
{
	char *end, back[32];
	long long v;

	if (!in(s[0], '0', '9') && s[0] != '-')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	snprintf(back, sizeof(back), "%lld", v);
	if (strcmp(back, s) != 0)
		return false;
	*out = v;
	return true;
}

static void check_string(const char *s)
{
	int64_t id = -7;
	int port = -7;
	long long ref;
	bool ok;

	FUZZ_CHECK(valid_instance_name(s) == ref_name(s, INSTANCE_NAME_MAX, NULL),
		   "valid_instance_name(\"%s\")", s);
	FUZZ_CHECK(valid_source_name(s) == ref_name(s, INSTANCE_NAME_MAX, NULL),
		   "valid_source_name(\"%s\")", s);
	FUZZ_CHECK(valid_username(s) == ref_name(s, USERNAME_MAX, "."), "valid_username(\"%s\")",
		   s);
	FUZZ_CHECK(valid_overlay_path(s) == ref_overlay_path(s), "valid_overlay_path(\"%s\")", s);
	if (valid_overlay_path(s))
		FUZZ_CHECK(s[0] != '/' && strcmp(s, ".") && strcmp(s, "..") &&
			       strncmp(s, "./", 2) && strncmp(s, "../", 3) && !strstr(s, "/./") &&
			       !strstr(s, "/../"),
			   "overlay path \"%s\"", s);
	FUZZ_CHECK(valid_display_name(s) == ref_display_name(s), "valid_display_name(\"%s\")", s);
	FUZZ_CHECK(valid_password(s) == (strlen(s) >= PASSWORD_MIN && strlen(s) <= PASSWORD_MAX),
		   "valid_password");

	ok = valid_id(s, &id);
	FUZZ_CHECK(ok == ref_canonical(s, 1, 1LL << 53, &ref), "valid_id(\"%s\")", s);
	FUZZ_CHECK(ok ? id == ref : id == -7, "valid_id(\"%s\") gave %lld", s, (long long)id);
	ok = valid_port(s, &port);
	FUZZ_CHECK(ok == ref_canonical(s, 1, 65535, &ref), "valid_port(\"%s\")", s);
	FUZZ_CHECK(ok ? port == ref : port == -7, "valid_port(\"%s\") gave %d", s, port);
	FUZZ_CHECK(valid_id(s, NULL) == valid_id(s, &id), "valid_id with NULL out");
	FUZZ_CHECK(valid_port(s, NULL) == valid_port(s, &port), "valid_port with NULL out");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size);
	char *line, *next;

	FUZZ_CHECK(valid_utf8((const char *)data, size) == ref_utf8(data, size),
		   "valid_utf8 of %zu bytes", size);
	for (size_t i = 0; i <= size && i < 8; i++)
		FUZZ_CHECK(valid_utf8((const char *)data, i) == ref_utf8(data, i),
			   "valid_utf8 prefix %zu", i);
	check_string(s);
	for (line = s; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		check_string(line);
		FUZZ_CHECK(valid_utf8(line, strlen(line)) ==
			       ref_utf8((const unsigned char *)line, strlen(line)),
			   "valid_utf8(\"%s\")", line);
	}
	free(s);
	return 0;
}
