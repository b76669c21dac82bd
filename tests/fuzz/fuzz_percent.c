/* Fuzz target: parse_percent_decode() and parse_hex_digit()
 * (libleft4me/parse.h), the one percent-decoder: the web's form fields
 * (strict, '+' a space) and the fetcher's URL file names (lenient), tried
 * with the input under every flag combination.  Properties: the result
 * and the refusals agree with a reference decoder written from the
 * header's contract (%XX with two hex digits decodes, %00 is always
 * refused, a bad '%' is refused under PARSE_PCT_STRICT and kept otherwise,
 * '+' is a space only under PARSE_PCT_PLUS); the output is NUL-terminated,
 * never longer than the input and holds no NUL that the input did not
 * hold as a raw byte (%00 never becomes one); *out is untouched on
 * refusal; and decoding the %XX-encoding of an output without NUL gives
 * it back. */
#include "fuzz.h"

#include "parse.h"

static int ref_hex(unsigned char c)
{
	static const char digits[] = "0123456789abcdef";
	const char *p;

	if (c >= 'A' && c <= 'F')
		c = (unsigned char)(c - 'A' + 'a');
	p = c ? strchr(digits, c) : NULL;
	return p ? (int)(p - digits) : -1;
}

/* The contract, written again: the decoded bytes into out (len + 1
 * bytes), their number, or -1. */
static long ref_decode(const unsigned char *s, size_t len, unsigned flags, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len && ref_hex(s[i + 1]) >= 0 &&
		    ref_hex(s[i + 2]) >= 0) {
			int v = ref_hex(s[i + 1]) * 16 + ref_hex(s[i + 2]);

			if (v == 0)
				return -1;
			out[o++] = (char)v;
			i += 2;
		} else if (s[i] == '%' && (flags & PARSE_PCT_STRICT)) {
			return -1;
		} else if (s[i] == '+' && (flags & PARSE_PCT_PLUS)) {
			out[o++] = ' ';
		} else {
			out[o++] = (char)s[i];
		}
	}
	out[o] = '\0';
	return (long)o;
}

static size_t count_nul(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\0';
	return n;
}

static void check(const uint8_t *data, size_t size, unsigned flags)
{
	char *ref = malloc(size + 1), *out = (char *)"sentinel", *again;
	long want = ref_decode(data, size, flags, ref);
	size_t len = 12345, len2;
	int rc = parse_percent_decode((const char *)data, size, flags, &out, &len);

	if (!ref)
		abort();
	FUZZ_CHECK(rc == (want < 0 ? -1 : 0), "flags %u: rc %d, reference %ld", flags, rc, want);
	if (rc < 0) {
		FUZZ_CHECK(strcmp(out, "sentinel") == 0 && len == 12345, "out changed on refusal");
		free(ref);
		return;
	}
	FUZZ_CHECK(len == (size_t)want && memcmp(out, ref, len + 1) == 0,
		   "flags %u: %zu bytes, reference %ld", flags, len, want);
	FUZZ_CHECK(len <= size && out[len] == '\0', "shape");
	FUZZ_CHECK(count_nul(out, len) == count_nul((const char *)data, size),
		   "a NUL that was not in the input (raw)");
	/* %XX-encode every byte and decode again (strict): the same bytes
	 * (but for a raw NUL, whose %00 is refused by the rule). */
	if (!memchr(out, '\0', len)) {
		char *enc = malloc(3 * len + 1);

		if (!enc)
			abort();
		for (size_t i = 0; i < len; i++)
			snprintf(enc + 3 * i, 4, "%%%02X", (unsigned char)out[i]);
		enc[3 * len] = '\0';
		FUZZ_CHECK(parse_percent_decode(enc, 3 * len, PARSE_PCT_STRICT | PARSE_PCT_PLUS,
						&again, &len2) == 0,
			   "the encoding of a result is refused");
		FUZZ_CHECK(len2 == len && memcmp(again, out, len) == 0, "round trip");
		free(again);
		free(enc);
	}
	free(out);
	free(ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (unsigned flags = 0; flags < 4; flags++)
		check(data, size, flags);
	for (size_t i = 0; i < size; i++)
		FUZZ_CHECK(parse_hex_digit(data[i]) == ref_hex(data[i]), "hex digit %u", data[i]);
	FUZZ_CHECK(parse_hex_digit(-1) == -1 && parse_hex_digit(256 + '1') == -1, "out of range");
	return 0;
}
