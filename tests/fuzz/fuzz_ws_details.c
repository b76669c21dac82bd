/* Fuzz target: ws_parse_details() (left4me-fetcher/workshop_json.c), the
 * Steam Web API's GetPublishedFileDetails reply.  Properties: a refusal is
 * one non-empty line and no output; an accepted reply has at most
 * WS_JSON_MAX_ENTRIES entries, each with an id in 1..WORKSHOP_ID_MAX, a
 * title of valid UTF-8 without control characters and at most
 * WS_TITLE_MAX bytes, URLs of printable ASCII without spaces and at most
 * WS_URL_MAX bytes, and nothing but the id and result when the entry's
 * result is not 1. */
#include "fuzz.h"

#include "validate.h"
#include "workshop_ids.h"
#include "workshop_json.h"

static void check_text(const char *s)
{
	size_t len = strlen(s);

	FUZZ_CHECK(len <= WS_TITLE_MAX && valid_utf8(s, len), "title");
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f, "control in title");
}

static void check_url(const char *s)
{
	size_t len = strlen(s);

	FUZZ_CHECK(len <= WS_URL_MAX, "url length");
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK((unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f, "url byte");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ws_details *v = (struct ws_details *)1;
	char err[256] = "";
	size_t n = 99;

	if (ws_parse_details((const char *)data, size, &v, &n, err, sizeof(err)) < 0) {
		FUZZ_CHECK(v == NULL && n == 0, "output on refusal");
		FUZZ_CHECK(err[0] && !strchr(err, '\n'), "message '%s'", err);
		return 0;
	}
	FUZZ_CHECK(n <= WS_JSON_MAX_ENTRIES, "%zu entries", n);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(v[i].id >= 1 && v[i].id <= WORKSHOP_ID_MAX, "id");
		check_text(v[i].title);
		check_url(v[i].file_url);
		check_url(v[i].preview_url);
		if (v[i].result != 1)
			FUZZ_CHECK(!v[i].title[0] && !v[i].file_url[0] && v[i].file_size == -1 &&
				       !v[i].consumer_app_id,
				   "fields of a failed entry");
	}
	ws_details_free(v, n);
	return 0;
}
