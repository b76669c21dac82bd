/* Fuzz target: workshop_id_parse() and workshop_ids_parse_list()
 * (libleft4me/workshop_ids.h), what the web, the API and left4mectl
 * accept as Workshop ids.  Properties: an accepted entry gives an id in
 * 1..WORKSHOP_ID_MAX; a refusal leaves *id alone and its message is one
 * NUL-terminated line that says what is accepted; the id's decimal and
 * its canonical page URL parse back to the same id; the list parser
 * gives at most max distinct ids, each of which is what parsing its entry
 * gives, and refuses exactly when some entry is refused or there are more
 * than max distinct ids. */
#include "fuzz.h"

#include <inttypes.h>
#include <stdbool.h>

#include "workshop_ids.h"

static void check_one(const char *s, size_t len)
{
	char err[512], buf[128];
	int64_t id = -7, back = 0;

	err[0] = '\0';
	if (workshop_id_parse(s, len, &id, err, sizeof(err)) < 0) {
		FUZZ_CHECK(id == -7, "id changed on refusal");
		FUZZ_CHECK(strstr(err, "expected a Workshop id") && !strchr(err, '\n'),
			   "message '%s'", err);
		return;
	}
	FUZZ_CHECK(id >= 1 && id <= WORKSHOP_ID_MAX, "id %" PRId64, id);
	snprintf(buf, sizeof(buf), "%" PRId64, id);
	FUZZ_CHECK(workshop_id_parse(buf, strlen(buf), &back, err, sizeof(err)) == 0 && back == id,
		   "decimal round trip");
	snprintf(buf, sizeof(buf),
		 "https://steamcommunity.com/sharedfiles/filedetails/?id=%" PRId64, id);
	FUZZ_CHECK(workshop_id_parse(buf, strlen(buf), &back, err, sizeof(err)) == 0 && back == id,
		   "URL round trip");
}

static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',';
}

static void check_list(const char *text, size_t max)
{
	char err[512];
	int64_t *ids = NULL, want[64];
	size_t n = 0, distinct = 0;
	bool bad = false;
	int rc = workshop_ids_parse_list(text, max, &ids, &n, err, sizeof(err));
	const char *p = text;

	/* the reference: split, parse each, drop duplicates */
	while (*p && !bad) {
		const char *start;
		int64_t id;
		char e2[512];
		size_t k;

		while (*p && is_sep(*p))
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && !is_sep(*p))
			p++;
		if (workshop_id_parse(start, (size_t)(p - start), &id, e2, sizeof(e2)) < 0) {
			bad = true;
			break;
		}
		for (k = 0; k < distinct && want[k] != id; k++)
			;
		if (k < distinct)
			continue;
		if (distinct == max) {
			bad = true;
			break;
		}
		want[distinct++] = id;
	}
	FUZZ_CHECK(rc == (bad ? -1 : 0), "rc %d, reference %s", rc, bad ? "refuses" : "accepts");
	if (rc < 0) {
		FUZZ_CHECK(ids == NULL && n == 0, "output on refusal");
		return;
	}
	FUZZ_CHECK(n == distinct, "%zu ids, reference %zu", n, distinct);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(ids[i] == want[i], "id %zu", i);
	free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size);

	check_one((const char *)data, size);
	check_list(s, 1 + (size % 5));
	free(s);
	return 0;
}
