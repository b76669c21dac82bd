/* The lowerdir allowlist; see lowerdir.h. */
#include "lowerdir.h"

#include <stddef.h>
#include <string.h>

/* `below`: only what is under the root may be a layer, not the root.
 * installation/ has its own rule (build_dir_ok). */
static const struct {
	const char *dir;
	bool below;
} lower_roots[] = {
    {"overlays", true},
    {"global_overlay_cache", true},
    {"workshop_cache", false},
};

/* true if every '/'-separated component of s is non-empty, "." or ".."
 * free; counts them into *n. */
static bool components_ok(const char *s, size_t *n)
{
	*n = 0;
	for (;;) {
		size_t len = strcspn(s, "/");

		if (len == 0 || (len == 1 && s[0] == '.') ||
		    (len == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		(*n)++;
		if (s[len] == '\0')
			return true;
		s += len + 1;
	}
}

/* "installation/builds/ID" exactly, ID 1 to 10 digits without a leading
 * zero: a complete game build, never installation/ as a whole (where the
 * staging tree of an update lives) nor a directory inside a build. */
static bool build_dir_ok(const char *r)
{
	static const char pre[] = "installation/builds/";
	size_t n;

	if (strncmp(r, pre, sizeof(pre) - 1) != 0)
		return false;
	r += sizeof(pre) - 1;
	n = strspn(r, "0123456789");
	return n >= 1 && n <= LOWERDIR_BUILD_ID_MAX && r[n] == '\0' && r[0] != '0';
}

bool lowerdir_allowed(const char *state_dir, const char *path, const char **rel)
{
	size_t sl, n;
	const char *r;

	if (!state_dir || !path || state_dir[0] != '/')
		return false;
	sl = strlen(state_dir);
	if (strncmp(path, state_dir, sl) != 0 || path[sl] != '/')
		return false;
	r = path + sl + 1;
	if (!components_ok(r, &n))
		return false;
	if (build_dir_ok(r)) {
		if (rel)
			*rel = r;
		return true;
	}
	for (size_t i = 0; i < sizeof(lower_roots) / sizeof(lower_roots[0]); i++) {
		size_t rl = strlen(lower_roots[i].dir);

		if (strncmp(r, lower_roots[i].dir, rl) != 0 || (r[rl] != '\0' && r[rl] != '/'))
			continue;
		if (lower_roots[i].below && n < 2)
			return false;
		if (rel)
			*rel = r;
		return true;
	}
	return false;
}
