/* Fuzz target: parse_int()/parse_int_n() (libleft4me/parse.h), the one way
 * numbers enter, tried with the input text against a table of bounds.
 * Properties: an accepted text is exactly the %lld printing of its value,
 * which lies in [min, max]; every such printing is accepted (checked with
 * strtoll); *out is untouched on refusal; parse_int of a string agrees
 * with parse_int_n of the same bytes. */
#include "fuzz.h"

#include <errno.h>
#include <limits.h>

#include "parse.h"

static const struct {
	long long min, max;
} bounds[] = {
    {LLONG_MIN, LLONG_MAX},
    {0, LLONG_MAX},
    {1, 65535},
    {1024, 65535},
    {-100, 100},
    {-1, 1},
    {0, 0},
    {LLONG_MIN, -1},
    {LLONG_MIN, LLONG_MIN},
    {LLONG_MAX, LLONG_MAX},
    {1, 1LL << 53},
    {5, 3},
    {-LLONG_MAX, 0},
    {0, 1},
    {INT_MIN, INT_MAX},
    {10, 99},
};

#define SENTINEL 0x5a5a5a5a5a5aLL

/* Is the text (len bytes, no NUL) the %lld printing of a value in range? */
static int ref_parse(const char *s, size_t len, long long min, long long max, long long *out)
{
	char buf[32], back[32], *end;
	long long v;

	if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!(buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9')))
		return -1;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	snprintf(back, sizeof(back), "%lld", v);
	if (strcmp(back, buf) != 0)
		return -1;
	*out = v;
	return 0;
}

static void check_bytes(const char *s, size_t len)
{
	for (size_t b = 0; b < sizeof(bounds) / sizeof(bounds[0]); b++) {
		long long min = bounds[b].min, max = bounds[b].max;
		long long v = SENTINEL, ref = SENTINEL;
		int rc = parse_int_n(s, len, min, max, &v);
		int want = ref_parse(s, len, min, max, &ref);
		char back[32];

		FUZZ_CHECK(rc == 0 || rc == -1, "rc %d", rc);
		FUZZ_CHECK(rc == want, "parse_int_n(\"%.*s\", %lld, %lld) = %d, reference %d",
			   (int)(len > 40 ? 40 : len), s, min, max, rc, want);
		if (rc < 0) {
			FUZZ_CHECK(v == SENTINEL, "*out changed on error");
			continue;
		}
		FUZZ_CHECK(v >= min && v <= max, "%lld outside [%lld, %lld]", v, min, max);
		FUZZ_CHECK(v == ref, "%lld, reference %lld", v, ref);
		snprintf(back, sizeof(back), "%lld", v);
		FUZZ_CHECK(strlen(back) == len && memcmp(back, s, len) == 0,
			   "accepted text is not the %%lld printing %s of its value", back);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size);
	long long v = SENTINEL, w = SENTINEL;

	check_bytes((const char *)data, size);
	/* parse_int sees the text up to its first NUL. */
	for (size_t b = 0; b < sizeof(bounds) / sizeof(bounds[0]); b++) {
		int rc = parse_int(s, bounds[b].min, bounds[b].max, &v);

		FUZZ_CHECK(rc == parse_int_n(s, strlen(s), bounds[b].min, bounds[b].max, &w),
			   "parse_int and parse_int_n disagree on \"%s\"", s);
		FUZZ_CHECK(v == w, "parse_int and parse_int_n gave different values");
	}
	/* And every line of a multi-line seed on its own. */
	for (char *line = s, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		check_bytes(line, strlen(line));
	}
	FUZZ_CHECK(parse_int(NULL, 0, 1, &v) == -1, "parse_int(NULL)");
	free(s);
	return 0;
}
