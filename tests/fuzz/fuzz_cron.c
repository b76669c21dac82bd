/* Fuzz target: cron_parse and cron_next (libleft4me/cron.h) in
 * Europe/Berlin (two DST changes a year).  Properties: a refusal is one
 * line naming a field or the whole expression; for an accepted
 * expression, cron_next from each of a few instants (around both DST
 * changes and a leap day) finds a time strictly after it, on a whole
 * minute, that cron_matches, within 8 years. */
#include "fuzz.h"

#include <stdbool.h>
#include <time.h>

#include "cron.h"

static const time_t starts[] = {
    1826067600, /* 2027-11-13 01:00 UTC */
    1806195540, /* 2027-03-28 00:59 UTC, a minute before spring forward */
    1824944340, /* 2027-10-31 00:59 UTC, before the repeated hour */
    1835395200, /* 2028-02-29 */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool tz;
	char text[CRON_TEXT_MAX + 8], why[256] = "";
	struct cron c;

	if (!tz) {
		setenv("TZ", "Europe/Berlin", 1);
		tzset();
		tz = true;
	}
	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';
	if (cron_parse(text, &c, why, sizeof(why)) < 0) {
		FUZZ_CHECK(why[0] && !strchr(why, '\n'), "reason '%s'", why);
		FUZZ_CHECK(strncmp(why, "field ", 6) == 0 ||
			       strncmp(why, "a cron expression", 17) == 0,
			   "reason '%s'", why);
		return 0;
	}
	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		time_t n;

		FUZZ_CHECK(cron_next(&c, starts[i], &n) == 0, "'%s' has no next after %lld", text,
			   (long long)starts[i]);
		FUZZ_CHECK(n > starts[i] && n % 60 == 0, "'%s': next %lld", text, (long long)n);
		FUZZ_CHECK(n - starts[i] <= 8LL * 366 * 86400, "'%s': too far", text);
		FUZZ_CHECK(cron_matches(&c, n), "'%s': next %lld does not match", text,
			   (long long)n);
	}
	return 0;
}
