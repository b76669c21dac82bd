/* cron: the parser's refusals (each naming its field), the either-day
 * rule, and cron_next across month ends, leap years and both daylight
 * saving changes of Europe/Berlin. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cron.h"

static time_t local(int y, int mon, int d, int h, int min, int isdst)
{
	struct tm tm = {.tm_year = y - 1900,
			.tm_mon = mon - 1,
			.tm_mday = d,
			.tm_hour = h,
			.tm_min = min,
			.tm_isdst = isdst};

	return mktime(&tm);
}

static char *fmt(time_t t)
{
	static char buf[64];
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M %Z", &tm);
	return buf;
}

static const char *next_of(const char *expr, time_t after)
{
	struct cron c;
	char why[256];
	time_t n;

	ck_assert_msg(cron_parse(expr, &c, why, sizeof(why)) == 0, "%s: %s", expr, why);
	ck_assert_int_eq(cron_next(&c, after, &n), 0);
	ck_assert(n > after);
	ck_assert(cron_matches(&c, n));
	return fmt(n);
}

static void setup(void)
{
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
}

START_TEST(test_refusals)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
	    {"", "a cron expression has 5 fields (minute hour day-of-month month day-of-week), "
		 "got none"},
	    {"* * * *", "a cron expression has 5 fields (minute hour day-of-month month "
			"day-of-week), got fewer"},
	    {"* * * * * *", "a cron expression has 5 fields (minute hour day-of-month month "
			    "day-of-week), got more"},
	    {"60 * * * *", "field 1 (minute): '60' is out of range 0-59"},
	    {"0 25 * * *", "field 2 (hour): '25' is out of range 0-23"},
	    {"0 0 0 * *", "field 3 (day of month): '0' is out of range 1-31"},
	    {"0 0 * 13 *", "field 4 (month): '13' is out of range 1-12"},
	    {"0 0 * * 8", "field 5 (day of week): '8' is out of range 0-7"},
	    {"0 0 * foo *", "field 4 (month): 'foo' is not a number or a name"},
	    {"x * * * *", "field 1 (minute): 'x' is not a number"},
	    {"5-1 * * * *", "field 1 (minute): '5-1': the range runs backwards"},
	    {"1- * * * *", "field 1 (minute): '1-': no end after '-'"},
	    {"*/0 * * * *", "field 1 (minute): '*/0': bad step"},
	    {"*/ * * * *", "field 1 (minute): '*/': bad step"},
	    {"1,,2 * * * *", "field 1 (minute): '1,,2': empty list item"},
	    {"1, * * * *", "field 1 (minute): '1,': empty list item"},
	    {"1x * * * *", "field 1 (minute): '1x': unexpected 'x'"},
	    {"0 0 30 2 *", "field 3 (day of month): '30' never happens in the months of field 4"},
	    {"0 0 31 4,6,9,11 *", "field 3 (day of month): '31' never happens in the months of "
				  "field 4"},
	    {"0 0 * * mondays", "field 5 (day of week): 'mondays' is not a number or a name"},
	    {"0\n0 * * *", "a cron expression is printable ASCII"},
	};
	struct cron c;
	char why[256], big[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(cron_parse(bad[i].text, &c, why, sizeof(why)) == -1, "accepted '%s'",
			      bad[i].text);
		ck_assert_str_eq(why, bad[i].why);
	}
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(cron_parse(big, &c, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "a cron expression is at most 128 bytes");
	/* Accepted: names, lists, steps, 7 as Sunday, Feb 29 (leap years),
	 * an impossible day rescued by the day of week (either rule). */
	ck_assert_int_eq(cron_parse("*/15 9-17/2 * JAN-mar Mon,fri", &c, why, sizeof(why)), 0);
	ck_assert(c.minute == (1ULL | 1ULL << 15 | 1ULL << 30 | 1ULL << 45));
	ck_assert_uint_eq(c.hour, 1U << 9 | 1U << 11 | 1U << 13 | 1U << 15 | 1U << 17);
	ck_assert_uint_eq(c.month, 1U << 1 | 1U << 2 | 1U << 3);
	ck_assert_uint_eq(c.dow, 1U << 1 | 1U << 5);
	ck_assert_int_eq(cron_parse("0 0 * * 7", &c, why, sizeof(why)), 0);
	ck_assert_uint_eq(c.dow, 1U);
	ck_assert_int_eq(cron_parse("5/20 * * * *", &c, why, sizeof(why)), 0);
	ck_assert(c.minute == (1ULL << 5 | 1ULL << 25 | 1ULL << 45));
	ck_assert_int_eq(cron_parse("0 0 29 2 *", &c, why, sizeof(why)), 0);
	ck_assert_int_eq(cron_parse("0 0 30 2 mon", &c, why, sizeof(why)), 0);
}
END_TEST

START_TEST(test_next)
{
	time_t t = local(2026, 11, 30, 4, 7, -1); /* a Monday */

	ck_assert_str_eq(next_of("* * * * *", t), "2026-11-30 04:08 CET");
	ck_assert_str_eq(next_of("0 4 * * *", t), "2026-12-01 04:00 CET");
	ck_assert_str_eq(next_of("30 3 * * *", t), "2026-12-01 03:30 CET");
	ck_assert_str_eq(next_of("0 0 1 * *", t), "2026-12-01 00:00 CET");
	ck_assert_str_eq(next_of("0 12 31 * *", t), "2026-12-31 12:00 CET");
	ck_assert_str_eq(next_of("0 0 * * sun", t), "2026-12-06 00:00 CET");
	ck_assert_str_eq(next_of("0 0 1 1 *", t), "2027-01-01 00:00 CET");
	ck_assert_str_eq(next_of("0 0 29 2 *", t), "2028-02-29 00:00 CET");
	/* Either day: the 13th or any Friday, whichever comes first. */
	ck_assert_str_eq(next_of("0 0 13 * fri", t), "2026-12-04 00:00 CET");
	/* Both "*"-led: both must match (a Friday that is an odd day). */
	ck_assert_str_eq(next_of("0 0 */2 * fri", t), "2026-12-11 00:00 CET");
	/* Exactly on a match: strictly after. */
	ck_assert_str_eq(next_of("7 4 * * *", t), "2026-12-01 04:07 CET");
}
END_TEST

START_TEST(test_dst)
{
	/* Spring forward, 2027-03-28 02:00 CET -> 03:00 CEST: 02:30 does not
	 * exist that day; the next 02:30 is the day after. */
	time_t before = local(2027, 3, 28, 1, 0, 0), fall, first;
	struct cron c;
	char why[128];

	ck_assert_str_eq(next_of("30 2 * * *", before), "2027-03-29 02:30 CEST");
	ck_assert_str_eq(next_of("0 3 * * *", before), "2027-03-28 03:00 CEST");
	/* Fall back, 2027-10-31 03:00 CEST -> 02:00 CET: 02:30 happens twice
	 * on the wall clock and runs once, in its first pass. */
	fall = local(2027, 10, 31, 1, 0, 1);
	ck_assert_str_eq(next_of("30 2 * * *", fall), "2027-10-31 02:30 CEST");
	ck_assert_int_eq(cron_parse("30 2 * * *", &c, why, sizeof(why)), 0);
	ck_assert_int_eq(cron_next(&c, fall, &first), 0);
	ck_assert_str_eq(next_of("30 2 * * *", first), "2027-11-01 02:30 CET");
	/* Hourly: once per wall-clock minute, so the repeated 02:45 is
	 * skipped. */
	ck_assert_str_eq(next_of("45 * * * *", first), "2027-10-31 02:45 CEST");
	ck_assert_str_eq(next_of("45 * * * *", first + 3600), "2027-10-31 03:45 CET");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cron");
	TCase *tc = tcase_create("cron");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_next);
	tcase_add_test(tc, test_dst);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
