/* parse_int: the one way numbers enter from untrusted text. */
#include <check.h>
#include <limits.h>
#include <stdbool.h>
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

int main(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("parse_int");

	tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_length_delimited);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
