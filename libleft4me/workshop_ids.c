/* Workshop ids and page URLs; see workshop_ids.h. */
#include "workshop_ids.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "xalloc.h"

#define ACCEPTED                                                                                   \
	"expected a Workshop id (digits) or a "                                                    \
	"https://steamcommunity.com/sharedfiles/filedetails/?id=N URL"

static int refuse(char *err, size_t errlen, const char *s, size_t len, const char *why)
{
	char esc[96];

	snprintf(err, errlen, "\"%s\": %s; %s", log_escape(esc, sizeof(esc), s, len), why,
		 ACCEPTED);
	return -1;
}

/* Decimal 1..WORKSHOP_ID_MAX, no sign, no leading zero: 0 or -1. */
static int parse_decimal(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;

	if (len == 0 || len > 16 || s[0] == '0')
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > WORKSHOP_ID_MAX)
		return -1;
	*out = v;
	return 0;
}

static bool has_prefix_ci(const char *s, size_t len, const char *p, size_t *used)
{
	size_t n = strlen(p);

	if (len < n || strncasecmp(s, p, n) != 0)
		return false;
	*used = n;
	return true;
}

/* The query string q (after '?', up to '#' or the end): exactly one
 * id=DECIMAL among &-separated parameters. */
static int parse_query(const char *q, size_t len, int64_t *id, const char **why)
{
	size_t i = 0;
	int found = 0;
	int64_t v = 0;

	while (i <= len) {
		size_t j = i;

		while (j < len && q[j] != '&')
			j++;
		if (j - i >= 3 && memcmp(q + i, "id=", 3) == 0) {
			if (found++) {
				*why = "the URL has more than one id=";
				return -1;
			}
			if (parse_decimal(q + i + 3, j - i - 3, &v) < 0) {
				*why = "the URL's id= is not a Workshop id";
				return -1;
			}
		}
		i = j + 1;
	}
	if (!found) {
		*why = "the URL has no id=";
		return -1;
	}
	*id = v;
	return 0;
}

int workshop_id_parse(const char *s, size_t len, int64_t *id, char *err, size_t errlen)
{
	static const char *const hosts[] = {"steamcommunity.com", "www.steamcommunity.com"};
	static const char *const paths[] = {"/sharedfiles/filedetails", "/workshop/filedetails"};
	const char *why = "not a number or a Workshop URL";
	size_t used, i, n;
	const char *p;

	if (len == 0)
		return refuse(err, errlen, s, len, "empty");
	if (len > WORKSHOP_ENTRY_MAX)
		return refuse(err, errlen, s, 64, "too long");
	if (memchr(s, '\0', len))
		return refuse(err, errlen, s, len, "contains a NUL byte");
	if (s[0] >= '0' && s[0] <= '9') {
		if (parse_decimal(s, len, id) == 0)
			return 0;
		return refuse(err, errlen, s, len,
			      "not a Workshop id (1 to 2^53, no leading zero)");
	}
	if (!has_prefix_ci(s, len, "https://", &used) && !has_prefix_ci(s, len, "http://", &used))
		return refuse(err, errlen, s, len, why);
	p = s + used;
	n = len - used;
	for (i = 0; i < 2; i++) {
		size_t hl = strlen(hosts[i]);

		if (n > hl && strncasecmp(p, hosts[i], hl) == 0 && p[hl] == '/')
			break;
	}
	if (i == 2)
		return refuse(err, errlen, s, len, "not a steamcommunity.com URL");
	p += strlen(hosts[i]);
	n -= strlen(hosts[i]);
	for (i = 0; i < 2; i++) {
		size_t pl = strlen(paths[i]);

		if (n >= pl && memcmp(p, paths[i], pl) == 0)
			break;
	}
	if (i == 2)
		return refuse(err, errlen, s, len,
			      "not a Workshop item's page (/sharedfiles/filedetails/)");
	p += strlen(paths[i]);
	n -= strlen(paths[i]);
	if (n && *p == '/') {
		p++;
		n--;
	}
	if (!n || *p != '?')
		return refuse(err, errlen, s, len, "the URL has no ?id=");
	p++;
	n--;
	{
		const char *hash = memchr(p, '#', n);
		size_t qlen = hash ? (size_t)(hash - p) : n;

		if (parse_query(p, qlen, id, &why) < 0)
			return refuse(err, errlen, s, len, why);
	}
	return 0;
}

static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',';
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int workshop_ids_parse_list(const char *text, size_t max, int64_t **ids, size_t *n, char *err,
			    size_t errlen)
{
	int64_t *v = NULL, *sorted = NULL;
	size_t count = 0, cap = 0, entry = 0;
	const char *p = text;
	char why[384];

	*ids = NULL;
	*n = 0;
	for (;;) {
		const char *start;
		int64_t id;

		while (*p && is_sep(*p))
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && !is_sep(*p))
			p++;
		entry++;
		if (workshop_id_parse(start, (size_t)(p - start), &id, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "entry %zu: %s", entry, why);
			free(v);
			free(sorted);
			return -1;
		}
		/* a duplicate is dropped: binary search of the sorted copy */
		if (sorted && bsearch(&id, sorted, count, sizeof(id), cmp_id))
			continue;
		if (count == max) {
			snprintf(err, errlen,
				 "more than %zu Workshop ids (fetcher.workshop.max_ids)", max);
			free(v);
			free(sorted);
			return -1;
		}
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
			sorted = xreallocarray(sorted, cap, sizeof(*sorted));
		}
		v[count] = id;
		{
			size_t k = count;

			while (k > 0 && sorted[k - 1] > id) {
				sorted[k] = sorted[k - 1];
				k--;
			}
			sorted[k] = id;
		}
		count++;
	}
	free(sorted);
	*ids = v;
	*n = count;
	return 0;
}
