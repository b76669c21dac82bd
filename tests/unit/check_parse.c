/* parse.h: parse_int (the one way numbers enter from untrusted text), hex
 * digits, percent-decoding and the HOST:PORT grammar of web.listen. */
#include <arpa/inet.h>
#include <check.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "testutil.h"

struct pcase {
	const char *in;
	long long min, max;
	bool ok;
	long long want;
};

static const struct pcase cases[] = {
    {"0", 0, 10, true, 0},
    {"10", 0, 10, true, 10},
    {"11", 0, 10, false, 0},
    {"-1", -5, 5, true, -1},
    {"-5", -5, 5, true, -5},
    {"-6", -5, 5, false, 0},
    {"-1", 0, 5, false, 0},
    {"-0", -5, 5, false, 0},
    {"007", 0, 10, false, 0},
    {"+7", 0, 10, false, 0},
    {" 7", 0, 10, false, 0},
    {"7 ", 0, 10, false, 0},
    {"7\n", 0, 10, false, 0},
    {"", 0, 10, false, 0},
    {"-", -5, 5, false, 0},
    {"1.5", 0, 10, false, 0},
    {"0x1", 0, 10, false, 0},
    {"1e2", 0, 1000, false, 0},
    {"9223372036854775807", 0, LLONG_MAX, true, LLONG_MAX},
    {"9223372036854775808", 0, LLONG_MAX, false, 0},
    {"-9223372036854775808", LLONG_MIN, 0, true, LLONG_MIN},
    {"-9223372036854775809", LLONG_MIN, 0, false, 0},
    {"99999999999999999999999999", 0, LLONG_MAX, false, 0},
    {"\xd9\xa3", 0, 10, false, 0}, /* Arabic-Indic digit three */
    {"5", 10, 0, false, 0},	   /* empty range */
};

START_TEST(test_table)
{
	const struct pcase *c = &cases[_i];
	long long v = 12345;
	int rc = parse_int(c->in, c->min, c->max, &v);

	ck_assert_msg((rc == 0) == c->ok, "'%s' in [%lld,%lld]", c->in, c->min, c->max);
	ck_assert_int_eq(v, c->ok ? c->want : 12345);
}
END_TEST

START_TEST(test_length_delimited)
{
	long long v;

	ck_assert_int_eq(parse_int_n("1234abc", 4, 0, 10000, &v), 0);
	ck_assert_int_eq(v, 1234);
	ck_assert_int_eq(parse_int_n("1234abc", 5, 0, 10000, &v), -1);
	ck_assert_int_eq(parse_int_n("12", 0, 0, 10000, &v), -1);
	ck_assert_int_eq(parse_int(NULL, 0, 1, &v), -1);
}
END_TEST

START_TEST(test_hex_digit)
{
	static const char digits[] = "0123456789abcdefABCDEF";
	int c;

	for (c = -1; c < 256; c++) {
		const char *p = c > 0 ? strchr(digits, c) : NULL;
		int want = p ? (int)(p - digits) - ((p - digits) >= 16 ? 6 : 0) : -1;

		ck_assert_msg(parse_hex_digit(c) == want, "%d: %d", c, parse_hex_digit(c));
	}
}
END_TEST

/* Percent-decoding: in, flags, the result (NULL: refused) and its length. */
static const struct {
	const char *in;
	unsigned flags;
	const char *want;
	size_t want_len;
} pct_cases[] = {
    {"", 0, "", 0},
    {"plain", 0, "plain", 5},
    {"a%20b", 0, "a b", 3},
    {"%41%4a%4A", PARSE_PCT_STRICT, "AJJ", 3},
    {"caf%C3%A9", PARSE_PCT_STRICT, "caf\xc3\xa9", 5},
    {"%0A", PARSE_PCT_STRICT, "\n", 1},
    {"a+b", 0, "a+b", 3},
    {"a+b", PARSE_PCT_PLUS, "a b", 3},
    {"%2B", PARSE_PCT_PLUS | PARSE_PCT_STRICT, "+", 1},
    {"%00", 0, NULL, 0},
    {"a%00b", PARSE_PCT_PLUS | PARSE_PCT_STRICT, NULL, 0},
    {"100%", 0, "100%", 4},
    {"100%", PARSE_PCT_STRICT, NULL, 0},
    {"%4", 0, "%4", 2},
    {"%4", PARSE_PCT_STRICT, NULL, 0},
    {"%zz", 0, "%zz", 3},
    {"%zz", PARSE_PCT_STRICT, NULL, 0},
    {"%%41", 0, "%A", 2},
    {"%-1", 0, "%-1", 3},
    {"%2541", PARSE_PCT_STRICT, "%41", 3}, /* decoded once */
};

START_TEST(test_percent_table)
{
	char *out = (char *)"untouched";
	size_t len = 99;
	int rc = parse_percent_decode(pct_cases[_i].in, strlen(pct_cases[_i].in),
				      pct_cases[_i].flags, &out, &len);

	if (!pct_cases[_i].want) {
		ck_assert_msg(rc == -1, "'%s' decoded", pct_cases[_i].in);
		ck_assert_str_eq(out, "untouched");
		return;
	}
	ck_assert_msg(rc == 0, "'%s' refused", pct_cases[_i].in);
	ck_assert_uint_eq(len, pct_cases[_i].want_len);
	ck_assert_mem_eq(out, pct_cases[_i].want, len + 1);
	free(out);
}
END_TEST

START_TEST(test_percent_length)
{
	char *out;

	/* Only len bytes are read: "%4" of "%41" is not a whole escape. */
	ck_assert_int_eq(parse_percent_decode("%41", 2, PARSE_PCT_STRICT, &out, NULL), -1);
	ck_assert_int_eq(parse_percent_decode("%41", 2, 0, &out, NULL), 0);
	ck_assert_str_eq(out, "%4");
	free(out);
}
END_TEST

#define HP_SHAPE "expected HOST:PORT"
#define HP_HOST	 "expected HOST:PORT with HOST an IPv4 address, localhost or [IPv6]"
#define HP_PORT	 "expected a port between 0 and 65535"

/* HOST:PORT: the one table for web.listen (config) and the bind (web).
 * want is the address as inet_ntop writes it, or NULL with the reason. */
static const struct {
	const char *in;
	const char *want;
	int family, port;
	const char *why;
} hp_cases[] = {
    {"127.0.0.1:8080", "127.0.0.1", AF_INET, 8080, NULL},
    {"0.0.0.0:65535", "0.0.0.0", AF_INET, 65535, NULL},
    {"127.0.0.1:0", "127.0.0.1", AF_INET, 0, NULL},
    {"localhost:1", "127.0.0.1", AF_INET, 1, NULL},
    {"[::1]:9000", "::1", AF_INET6, 9000, NULL},
    {"[::]:80", "::", AF_INET6, 80, NULL},
    {"[::ffff:127.0.0.1]:80", "::ffff:127.0.0.1", AF_INET6, 80, NULL},
    {"", NULL, 0, 0, HP_SHAPE},
    {"127.0.0.1", NULL, 0, 0, HP_SHAPE},
    {"localhost", NULL, 0, 0, HP_SHAPE},
    {"[::1]", NULL, 0, 0, HP_SHAPE},
    {"[::1]8080", NULL, 0, 0, HP_SHAPE},
    {"[::1:80", NULL, 0, 0, HP_SHAPE},
    {":8080", NULL, 0, 0, HP_HOST},
    {"[]:80", NULL, 0, 0, HP_HOST},
    {"::1:8080", NULL, 0, 0, HP_HOST},
    {"127.1.2.3:5:6", NULL, 0, 0, HP_HOST},
    {"example.com:80", NULL, 0, 0, HP_HOST},
    {"256.1.1.1:80", NULL, 0, 0, HP_HOST},
    {"127.000.0.1:80", NULL, 0, 0, HP_HOST},
    {"127.1:80", NULL, 0, 0, HP_HOST},
    {" 127.0.0.1:80", NULL, 0, 0, HP_HOST},
    {"[fe80::1%eth0]:80", NULL, 0, 0, HP_HOST},
    {"[127.1.2.3]:80", NULL, 0, 0, HP_HOST},
    {"[::1]x:80", NULL, 0, 0, HP_SHAPE},
    {"LOCALHOST:80", NULL, 0, 0, HP_HOST},
    {"127.0.0.1:65536", NULL, 0, 0, HP_PORT},
    {"127.0.0.1:", NULL, 0, 0, HP_PORT},
    {"127.0.0.1:-1", NULL, 0, 0, HP_PORT},
    {"127.0.0.1:+80", NULL, 0, 0, HP_PORT},
    {"127.0.0.1:080", NULL, 0, 0, HP_PORT},
    {"127.0.0.1:80 ", NULL, 0, 0, HP_PORT},
    {"[::1]:http", NULL, 0, 0, HP_PORT},
};

START_TEST(test_host_port_table)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	const char *why = "untouched";
	char text[INET6_ADDRSTRLEN];
	int rc = parse_host_port(hp_cases[_i].in, &ss, &len, &why);

	if (!hp_cases[_i].want) {
		ck_assert_msg(rc == -1, "'%s' accepted", hp_cases[_i].in);
		ck_assert_str_eq(why, hp_cases[_i].why);
		ck_assert_int_eq(parse_host_port(hp_cases[_i].in, NULL, NULL, NULL), -1);
		return;
	}
	ck_assert_msg(rc == 0, "'%s': %s", hp_cases[_i].in, why);
	ck_assert_str_eq(why, "untouched");
	ck_assert_int_eq(ss.ss_family, hp_cases[_i].family);
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;

		ck_assert_uint_eq(len, sizeof(*in));
		ck_assert_int_eq(ntohs(in->sin_port), hp_cases[_i].port);
		inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;

		ck_assert_uint_eq(len, sizeof(*in6));
		ck_assert_int_eq(ntohs(in6->sin6_port), hp_cases[_i].port);
		inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
	}
	ck_assert_str_eq(text, hp_cases[_i].want);
	ck_assert_int_eq(parse_host_port(hp_cases[_i].in, NULL, NULL, NULL), 0);
}
END_TEST

/* web.game_host and the host of web.public_url (issue 18): what goes
 * before ":PORT" in "connect HOST:PORT", or NULL for a refusal. */
static const struct {
	const char *in, *want;
} gh_cases[] = {
    {"localhost", "localhost"},
    {"play.localhost", "play.localhost"},
    {"127.0.0.2", "127.0.0.2"},
    {"::1", "[::1]"},
    {"[::1]", "[::1]"},
    {"fe80::1", "[fe80::1]"},
    {"A-b.localhost", "A-b.localhost"},
    {"", NULL},
    {"[::1", NULL},
    {"::1]", NULL},
    {"[]", NULL},
    {"fe80::1%eth0", NULL},
    {"localhost:27015", NULL},
    {"-a.localhost", NULL},
    {"a-.localhost", NULL},
    {"a..localhost", NULL},
    {".localhost", NULL},
    {"localhost.", NULL},
    {"a b", NULL},
    {"a/b", NULL},
    {"a_b", NULL},
    {"a\"b", NULL},
    {"1234567890123456789012345678901234567890123456789012345678901234.x", NULL},
};

START_TEST(test_game_host_table)
{
	char out[PARSE_GAME_HOST_MAX] = "";
	const char *why = NULL;
	int rc = parse_game_host(gh_cases[_i].in, out, &why);

	if (!gh_cases[_i].want) {
		ck_assert_msg(rc == -1, "'%s' accepted as '%s'", gh_cases[_i].in, out);
		ck_assert_ptr_nonnull(why);
		return;
	}
	ck_assert_msg(rc == 0, "'%s' refused", gh_cases[_i].in);
	ck_assert_str_eq(out, gh_cases[_i].want);
}
END_TEST

START_TEST(test_game_host_length)
{
	char name[300], out[PARSE_GAME_HOST_MAX];
	size_t i;

	/* 253 bytes of 63-byte labels: fine; one more byte: refused. */
	for (i = 0; i < 253; i++)
		name[i] = (i % 64 == 63) ? '.' : 'a';
	name[253] = '\0';
	ck_assert_int_eq(parse_game_host(name, out, NULL), 0);
	ck_assert_str_eq(out, name);
	name[253] = 'a';
	name[254] = '\0';
	ck_assert_int_eq(parse_game_host(name, out, NULL), -1);
}
END_TEST

START_TEST(test_url_host)
{
	static const struct {
		const char *url, *want;
	} c[] = {
	    {"http://127.0.0.1:8080/", "127.0.0.1"},
	    {"https://localhost/left4me/", "localhost"},
	    {"http://[::1]:8080/", "[::1]"},
	    {"http://[::1]/", "[::1]"},
	    {"http://user:pw@localhost:1/", "localhost"},
	    {"http://localhost?x=1", "localhost"},
	    {"http://", NULL},
	    {"http://[::1/", NULL},
	    {"localhost", NULL},
	};
	char out[PARSE_GAME_HOST_MAX];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int rc = parse_url_host(c[i].url, out);

		if (!c[i].want) {
			ck_assert_msg(rc == -1, "%s: accepted", c[i].url);
			continue;
		}
		ck_assert_msg(rc == 0, "%s: refused", c[i].url);
		ck_assert_str_eq(out, c[i].want);
	}
}
END_TEST

START_TEST(test_since)
{
	static const struct {
		const char *in;
		long long want; /* -1: refused */
	} c[] = {
	    {"2023-11-14", 1699920000000LL},
	    {"2023-11-14T22:13", 1699999980000LL},
	    {"2023-11-14T22:13:20", 1700000000000LL},
	    {"2023-11-14T22:13:20Z", 1700000000000LL},
	    {"2023-11-14 22:13:20", 1700000000000LL},
	    {"90s", 1000000000000LL - 90000},
	    {"30m", 1000000000000LL - 1800000},
	    {"2h", 1000000000000LL - 7200000},
	    {"7d", 1000000000000LL - 604800000},
	    {"0m", 1000000000000LL},
	    {"", -1},
	    {"yesterday", -1},
	    {"2h ", -1},
	    {"-2h", -1},
	    {"2w", -1},
	    {"h", -1},
	    {"02h", -1},
	    {"2023-11-14T", -1},
	    {"2023-11-14T22", -1},
	    {"2023-11-14T22:13:20+01:00", -1},
	    {"2023-11-14Z", -1},
	    {"2023-13-01", -1},
	    {"23-11-14", -1},
	    {"1700000000", -1},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		long long got = -1;
		const char *why = NULL;
		int rc = parse_since(c[i].in, 1000000000000LL, &got, &why);

		if (c[i].want < 0) {
			ck_assert_msg(rc == -1, "'%s' accepted as %lld", c[i].in, got);
			ck_assert_ptr_nonnull(why);
			continue;
		}
		ck_assert_msg(rc == 0, "'%s' refused", c[i].in);
		ck_assert_msg(got == c[i].want, "'%s': %lld, want %lld", c[i].in, got, c[i].want);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("parse_int");

	tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_length_delimited);
	tcase_add_test(tc, test_hex_digit);
	tcase_add_loop_test(tc, test_percent_table, 0,
			    (int)(sizeof(pct_cases) / sizeof(pct_cases[0])));
	tcase_add_test(tc, test_percent_length);
	tcase_add_loop_test(tc, test_host_port_table, 0,
			    (int)(sizeof(hp_cases) / sizeof(hp_cases[0])));
	tcase_add_loop_test(tc, test_game_host_table, 0,
			    (int)(sizeof(gh_cases) / sizeof(gh_cases[0])));
	tcase_add_test(tc, test_game_host_length);
	tcase_add_test(tc, test_url_host);
	tcase_add_test(tc, test_since);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
