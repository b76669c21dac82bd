/* cron expressions: parse into bit sets, find the next matching minute by
 * jumping month, day, hour, minute in local time (see cron.h). */
#include "cron.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errbuf.h"

struct field {
	const char *name;
	int lo, hi;
	const char *const *names; /* names[i] is value lo + i, or NULL */
};

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
					  "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static const struct field fields[5] = {
    {"minute", 0, 59, NULL},	      {"hour", 0, 23, NULL},
    {"day of month", 1, 31, NULL},    {"month", 1, 12, month_names},
    {"day of week", 0, 7, day_names},
};

/* One value (a number or, where the field has them, a name) at *p;
 * advances *p.  -1 if there is none. */
static int value(const struct field *f, const char **p)
{
	const char *s = *p;
	long v = 0;

	if (isdigit((unsigned char)*s)) {
		while (isdigit((unsigned char)*s) && v < 1000)
			v = v * 10 + (*s++ - '0');
		*p = s;
		return (int)v;
	}
	if (f->names && isalpha((unsigned char)s[0]) && isalpha((unsigned char)s[1]) &&
	    isalpha((unsigned char)s[2]) && !isalpha((unsigned char)s[3]))
		for (int i = 0; i <= f->hi - f->lo; i++)
			if (strncasecmp(s, f->names[i], 3) == 0) {
				*p = s + 3;
				return f->lo + i;
			}
	return -1;
}

/* One comma-separated item: *, N, N-M, with an optional /S. */
static int item(const struct field *f, int idx, const char *s, uint64_t *bits, char *why,
		size_t whylen)
{
	const char *p = s;
	int lo = f->lo, hi = f->hi, step = 1;

	if (*p == '*') {
		p++;
	} else {
		if ((lo = value(f, &p)) < 0)
			return err_set(why, whylen, "field %d (%s): '%s' is not a number%s",
				       idx + 1, f->name, s, f->names ? " or a name" : "");
		hi = lo;
		if (*p == '-') {
			p++;
			if ((hi = value(f, &p)) < 0)
				return err_set(why, whylen, "field %d (%s): '%s': no end after '-'",
					       idx + 1, f->name, s);
		}
		if (lo < f->lo || hi > f->hi)
			return err_set(why, whylen, "field %d (%s): '%s' is out of range %d-%d",
				       idx + 1, f->name, s, f->lo, f->hi);
		if (lo > hi)
			return err_set(why, whylen, "field %d (%s): '%s': the range runs backwards",
				       idx + 1, f->name, s);
	}
	if (*p == '/') {
		const char *q = ++p;

		step = isdigit((unsigned char)*q) ? (int)strtol(q, (char **)&p, 10) : 0;
		if (step < 1 || step > f->hi || p == q)
			return err_set(why, whylen, "field %d (%s): '%s': bad step", idx + 1,
				       f->name, s);
		if (lo == hi && s[0] != '*')
			hi = f->hi; /* "N/S" is "N-max/S", as cronie reads it */
	}
	if (*p)
		return err_set(why, whylen, "field %d (%s): '%s': unexpected '%c'", idx + 1,
			       f->name, s, *p);
	for (int v = lo; v <= hi; v += step)
		*bits |= 1ULL << v;
	return 0;
}

/* A whole field: items separated by commas. */
static int field_parse(int idx, char *text, uint64_t *bits, bool *any, char *why, size_t whylen)
{
	char *save = NULL, *it;

	*bits = 0;
	/* As Vixie cron: a field that starts with '*' ("*", "*\/2") is
	 * unrestricted for the either-day rule. */
	*any = text[0] == '*';
	if (text[0] == ',' || text[strlen(text) - 1] == ',' || strstr(text, ",,"))
		return err_set(why, whylen, "field %d (%s): '%s': empty list item", idx + 1,
			       fields[idx].name, text);
	for (it = strtok_r(text, ",", &save); it; it = strtok_r(NULL, ",", &save))
		if (item(&fields[idx], idx, it, bits, why, whylen) < 0)
			return -1;
	return 0;
}

static const int month_days[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

int cron_parse(const char *text, struct cron *c, char *why, size_t whylen)
{
	char buf[CRON_TEXT_MAX + 1], *f[6], *save = NULL;
	uint64_t bits[5];
	bool any[5];
	int n = 0;

	if (strlen(text) > CRON_TEXT_MAX)
		return err_set(why, whylen, "a cron expression is at most %d bytes", CRON_TEXT_MAX);
	for (const char *p = text; *p; p++)
		if (!isprint((unsigned char)*p) && *p != '\t')
			return err_set(why, whylen, "a cron expression is printable ASCII");
	strcpy(buf, text);
	for (char *t = strtok_r(buf, " \t", &save); t && n < 6; t = strtok_r(NULL, " \t", &save))
		f[n++] = t;
	if (n != 5)
		return err_set(why, whylen,
			       "a cron expression has 5 fields (minute hour day-of-month month "
			       "day-of-week), got %s",
			       n > 5	? "more"
			       : n == 0 ? "none"
					: "fewer");
	for (int i = 0; i < 5; i++)
		if (field_parse(i, f[i], &bits[i], &any[i], why, whylen) < 0)
			return -1;
	*c = (struct cron){.minute = bits[0],
			   .hour = (uint32_t)bits[1],
			   .dom = (uint32_t)bits[2],
			   .month = (uint16_t)bits[3],
			   .dow = (uint8_t)((bits[4] | (bits[4] >> 7)) & 0x7F), /* 7 is Sunday */
			   .dom_any = any[2],
			   .dow_any = any[4]};
	if (c->dow_any || !c->dom_any) { /* the day of month alone decides */
		for (int m = 1; m <= 12; m++)
			if ((c->month >> m & 1) && (c->dom & ((1ULL << (month_days[m] + 1)) - 2)))
				return 0;
		if (c->dow_any)
			return err_set(
			    why, whylen,
			    "field 3 (day of month): '%s' never happens in the months of "
			    "field 4",
			    f[2]);
	}
	return 0;
}

bool cron_matches(const struct cron *c, time_t t)
{
	struct tm tm;
	bool dom, dow;

	localtime_r(&t, &tm);
	dom = c->dom >> tm.tm_mday & 1;
	dow = c->dow >> tm.tm_wday & 1;
	if (!(c->minute >> tm.tm_min & 1) || !(c->hour >> tm.tm_hour & 1) ||
	    !(c->month >> (tm.tm_mon + 1) & 1))
		return false;
	if (c->dom_any || c->dow_any)
		return dom && dow;
	return dom || dow;
}

/* The start of the next day (level 2) or month (level 3) after the local
 * time tm, as a time_t. */
static time_t advance(struct tm tm, int level)
{
	tm.tm_sec = 0;
	tm.tm_min = 0;
	tm.tm_hour = 0;
	if (level == 3) {
		tm.tm_mday = 1;
		tm.tm_mon++;
	} else {
		tm.tm_mday++;
	}
	tm.tm_isdst = -1;
	return mktime(&tm);
}

int cron_next(const struct cron *c, time_t after, time_t *next)
{
	time_t t = after - after % 60 + 60, limit = after + 8LL * 366 * 86400;
	struct tm tm;

	while (t <= limit) {
		time_t n;
		int level;

		localtime_r(&t, &tm);
		if (!(c->month >> (tm.tm_mon + 1) & 1))
			level = 3;
		else if (!cron_matches(&(struct cron){.minute = ~0ULL,
						      .hour = ~0U,
						      .dom = c->dom,
						      .month = 0xFFFF,
						      .dow = c->dow,
						      .dom_any = c->dom_any,
						      .dow_any = c->dow_any},
				       t))
			level = 2;
		else if (!(c->hour >> tm.tm_hour & 1))
			level = 1;
		else if (!(c->minute >> tm.tm_min & 1))
			level = 0;
		else {
			struct tm prev;
			time_t back = t - 3600;

			/* The repeated hour at the end of DST: its second pass
			 * shows the same wall clock as an hour before. */
			localtime_r(&back, &prev);
			if (!(prev.tm_isdst > 0 && tm.tm_isdst == 0 && prev.tm_hour == tm.tm_hour &&
			      prev.tm_min == tm.tm_min && prev.tm_mday == tm.tm_mday)) {
				*next = t;
				return 0;
			}
			level = 0;
		}
		/* Minutes and hours step in absolute time (a wall-clock hour
		 * may repeat or vanish); days and months through mktime. */
		if (level == 0)
			n = t + 60 - tm.tm_sec;
		else if (level == 1)
			n = t + (60 - tm.tm_min) * 60 - tm.tm_sec;
		else
			n = advance(tm, level);
		t = n > t ? n : t + 60;
	}
	return -1;
}
