/* 5-field cron expressions for server schedules: "MIN HOUR DOM MONTH DOW"
 * in the host's time zone, as crontab(5) writes them: "*", "N", "N-M",
 * "*\/S", "N-M/S" and comma lists of those; month and day names (jan,
 * mon, ...); day of week 0 or 7 is Sunday.  When both day fields are
 * restricted, either one matching is enough (as Vixie cron).  A date that
 * can never happen ("0 0 30 2 *") is refused, not kept to never run. */
#ifndef LEFT4ME_CRON_H
#define LEFT4ME_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CRON_TEXT_MAX 128

struct cron {
	uint64_t minute; /* bit n: minute n */
	uint32_t hour;
	uint32_t dom;	/* bit n: day n (1..31) */
	uint16_t month; /* bit n: month n (1..12) */
	uint8_t dow;	/* bit n: weekday n (0 = Sunday .. 6) */
	bool dom_any, dow_any;
};

/* Parse text into c.  0, or -1 with one line in why naming the field:
 * "field 2 (hour): '25' is out of range 0-23". */
int cron_parse(const char *text, struct cron *c, char *why, size_t whylen);

/* The first minute strictly after `after` (local time) that c matches;
 * during the hour repeated when daylight saving time ends, a minute runs
 * once.  0 with *next, or -1 if none within 8 years (cannot happen for
 * what cron_parse accepts, bar a leap-day-only schedule far away). */
int cron_next(const struct cron *c, time_t after, time_t *next);

/* Does c match the local time t (its minute)? */
bool cron_matches(const struct cron *c, time_t t);

#endif
