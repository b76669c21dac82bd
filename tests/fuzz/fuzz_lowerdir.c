/* Fuzz target: lowerdir_allowed() (libleft4me/lowerdir.h), the lowerdir
 * allowlist that left4me-overlay applies to instance.env's text before it
 * opens anything, against a reference written from the header comment.
 * Each '\n'-separated line of the input is tried as the path, under two
 * state dirs.  Properties: the answer agrees with the reference, so an
 * accepted path is STATE/installation/builds/ID exactly (ID 1 to 10
 * digits, no leading zero) or STATE/ROOT[/...] with ROOT one of the three
 * other roots (two of them only with something below), no empty, "." or
 * ".." component;
 * *rel points into the path just after "STATE/" and is untouched on
 * refusal. */
#include "fuzz.h"

#include <stdbool.h>

#include "lowerdir.h"

static const char *const states[] = {"/var/lib/left4me", "/s"};

static bool ref_allowed(const char *state, const char *path)
{
	static const struct {
		const char *root;
		size_t min_parts;
	} roots[] = {
	    {"overlays", 2},
	    {"global_overlay_cache", 2},
	    {"workshop_cache", 1},
	};
	size_t sl = strlen(state), parts = 0, first = 0;
	const char *p;

	if (strncmp(path, state, sl) != 0 || path[sl] != '/')
		return false;
	p = path + sl + 1;
	for (;;) {
		size_t len = strcspn(p, "/");

		if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && memcmp(p, "..", 2) == 0))
			return false;
		if (parts++ == 0)
			first = len;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	p = path + sl + 1;
	if (strncmp(p, "installation/builds/", 20) == 0) {
		const char *id = p + 20;
		size_t n = strspn(id, "0123456789");

		return n >= 1 && n <= 10 && id[n] == '\0' && id[0] != '0';
	}
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (strlen(roots[i].root) == first && memcmp(p, roots[i].root, first) == 0)
			return parts >= roots[i].min_parts;
	return false;
}

static void check_path(const char *path)
{
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		const char *rel = NULL;
		bool got = lowerdir_allowed(states[i], path, &rel);
		bool want = ref_allowed(states[i], path);

		FUZZ_CHECK(got == want, "lowerdir_allowed(\"%s\", \"%.80s\") = %d, reference %d",
			   states[i], path, got, want);
		FUZZ_CHECK(lowerdir_allowed(states[i], path, NULL) == got, "rel NULL changes it");
		if (!got) {
			FUZZ_CHECK(rel == NULL, "rel set on refusal");
			continue;
		}
		FUZZ_CHECK(rel == path + strlen(states[i]) + 1, "rel does not follow STATE/");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size);
	char *line, *next;

	check_path(s);
	for (line = s; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		check_path(line);
	}
	free(s);
	return 0;
}
