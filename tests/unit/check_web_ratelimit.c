/* left4me-web's failed-login throttle (ratelimit.c) on a clock the test
 * drives: free failures, then delays that double up to the cap and never
 * become a lock, forgetting, clearing, keys kept apart, and a full table
 * that evicts its stalest key and keeps limiting new ones. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../left4me-web/ratelimit.h"
#include "testutil.h"

static const struct rl_policy pol = {.free = 3, .delay_ms = 1000, .max_delay_ms = 8000};

START_TEST(delays_grow_to_the_cap)
{
	struct ratelimit *rl = ratelimit_new(64, 900000);
	int64_t now = 1000000, expect[] = {1000, 2000, 4000, 8000, 8000, 8000};
	size_t i;

	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(ratelimit_wait(rl, "k", &pol, now), 0);
		ratelimit_fail(rl, "k", now);
	}
	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		ck_assert_int_eq(ratelimit_wait(rl, "k", &pol, now), expect[i]);
		ck_assert_int_eq(ratelimit_wait(rl, "k", &pol, now + expect[i] - 1), 1);
		/* Never a lock: once the delay is over, the key may try. */
		now += expect[i];
		ck_assert_int_eq(ratelimit_wait(rl, "k", &pol, now), 0);
		ratelimit_fail(rl, "k", now);
	}
	/* Other keys are not touched by k's failures. */
	ck_assert_int_eq(ratelimit_wait(rl, "other", &pol, now), 0);
	ratelimit_free(rl);
}
END_TEST

START_TEST(forget_and_clear)
{
	struct ratelimit *rl = ratelimit_new(64, 60000);
	int64_t now = 5000;
	int i;

	for (i = 0; i < 5; i++)
		ratelimit_fail(rl, "k", now);
	ck_assert_int_gt(ratelimit_wait(rl, "k", &pol, now), 0);
	/* Forgotten a window after the last failure, not the first. */
	ck_assert_int_eq(ratelimit_wait(rl, "k", &pol, now + 59999), 0); /* delay over */
	ck_assert_uint_eq(ratelimit_size(rl), 1);
	ratelimit_fail(rl, "k", now + 59999);
	ck_assert_int_eq(ratelimit_wait(rl, "k", &pol, now + 59999), 8000); /* 6th failure */
	now += 59999;
	ck_assert_int_eq(ratelimit_wait(rl, "k", &pol, now + 60000), 0);
	ck_assert_uint_eq(ratelimit_size(rl), 0);
	for (i = 0; i < 5; i++)
		ratelimit_fail(rl, "k", now);
	ratelimit_clear(rl, "k");
	ck_assert_int_eq(ratelimit_wait(rl, "k", &pol, now), 0);
	ck_assert_uint_eq(ratelimit_size(rl), 0);
	ratelimit_clear(rl, "never-seen");
	ratelimit_free(rl);
}
END_TEST

/* Today's main stopped counting new keys at 16,384: a full table must
 * evict its stalest key and go on limiting. */
START_TEST(full_table_evicts_oldest)
{
	enum { CAP = 100 };
	struct ratelimit *rl = ratelimit_new(CAP, 3600000);
	int64_t now = 1;
	char key[32];
	int i, j;

	for (i = 0; i < 3 * CAP; i++) {
		snprintf(key, sizeof(key), "filler-%d", i);
		ratelimit_fail(rl, key, now++);
	}
	ck_assert_uint_eq(ratelimit_size(rl), CAP);
	/* New keys beyond capacity are still counted and throttled. */
	for (j = 0; j < 3; j++)
		ratelimit_fail(rl, "late", now);
	ck_assert_int_eq(ratelimit_wait(rl, "late", &pol, now), 1000);
	ck_assert_uint_eq(ratelimit_size(rl), CAP);
	/* The evicted ones are the oldest; the newest fillers are kept. */
	ck_assert_int_eq(ratelimit_wait(rl, "filler-0", &(struct rl_policy){1, 1000, 1000}, now),
			 0);
	ck_assert_int_gt(
	    ratelimit_wait(rl, "filler-299", &(struct rl_policy){1, 1000000, 1000000}, now), 0);
	/* A key that keeps failing stays: fillers do not push it out. */
	for (i = 0; i < 10 * CAP; i++) {
		if (i % (CAP / 2) == 0)
			ratelimit_fail(rl, "late", now);
		snprintf(key, sizeof(key), "more-%d", i);
		ratelimit_fail(rl, key, now++);
	}
	ck_assert_int_gt(ratelimit_wait(rl, "late", &pol, now), 0);
	ratelimit_free(rl);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("web ratelimit");
	TCase *tc = tcase_create("ratelimit");

	tcase_add_test(tc, delays_grow_to_the_cap);
	tcase_add_test(tc, forget_and_clear);
	tcase_add_test(tc, full_table_evicts_oldest);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
