/* Fuzz target: ws_parse_collections() (left4me-fetcher/workshop_json.c),
 * the Steam Web API's GetCollectionDetails reply.  Properties: a refusal
 * is one non-empty line and no output; an accepted reply has at most
 * WS_JSON_MAX_ENTRIES entries and as many children each, every id in
 * 1..WORKSHOP_ID_MAX and every filetype in 0..1000; an entry whose result
 * is not 1 has no children. */
#include "fuzz.h"

#include "workshop_ids.h"
#include "workshop_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ws_collection *v = (struct ws_collection *)1;
	char err[256] = "";
	size_t n = 99;

	if (ws_parse_collections((const char *)data, size, &v, &n, err, sizeof(err)) < 0) {
		FUZZ_CHECK(v == NULL && n == 0, "output on refusal");
		FUZZ_CHECK(err[0] && !strchr(err, '\n'), "message '%s'", err);
		return 0;
	}
	FUZZ_CHECK(n <= WS_JSON_MAX_ENTRIES, "%zu entries", n);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(v[i].id >= 1 && v[i].id <= WORKSHOP_ID_MAX, "id");
		FUZZ_CHECK(v[i].n_children <= WS_JSON_MAX_ENTRIES, "children");
		FUZZ_CHECK(v[i].result == 1 || v[i].n_children == 0, "children of a failed entry");
		for (size_t k = 0; k < v[i].n_children; k++) {
			FUZZ_CHECK(v[i].children[k].id >= 1 &&
				       v[i].children[k].id <= WORKSHOP_ID_MAX,
				   "child id");
			FUZZ_CHECK(v[i].children[k].filetype >= 0 &&
				       v[i].children[k].filetype <= 1000,
				   "filetype");
		}
	}
	ws_collections_free(v, n);
	return 0;
}
