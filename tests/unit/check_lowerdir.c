/* lowerdir_allowed: the one allowlist of overlay lower layers, shared by
 * left4me-worker (canonical paths) and left4me-overlay (instance.env text,
 * checked before anything is opened), so every escape is tested here once. */
#include <check.h>
#include <stdbool.h>
#include <string.h>

#include "lowerdir.h"
#include "testutil.h"

#define ST "/var/lib/left4me"

static const struct {
	const char *path;
	bool ok;
	const char *rel; /* what *rel points at when ok */
} cases[] = {
    {ST "/installation/builds/100", true, "installation/builds/100"},
    {ST "/installation/builds/4294967295", true, "installation/builds/4294967295"},
    {ST "/installation/builds/1", true, "installation/builds/1"},
    /* installation/ itself, its staging tree, its pointer, inside a build */
    {ST "/installation", false, NULL},
    {ST "/installation/left4dead2", false, NULL},
    {ST "/installation/staging", false, NULL},
    {ST "/installation/current", false, NULL},
    {ST "/installation/builds", false, NULL},
    {ST "/installation/builds/", false, NULL},
    {ST "/installation/builds/100/left4dead2", false, NULL},
    {ST "/installation/builds/100/", false, NULL},
    {ST "/installation/builds/0100", false, NULL},
    {ST "/installation/builds/0", false, NULL},
    {ST "/installation/builds/12345678901", false, NULL},
    {ST "/installation/builds/10x", false, NULL},
    {ST "/installation/builds/-1", false, NULL},
    {ST "/installation/builds/+1", false, NULL},
    {ST "/installation/builds/..", false, NULL},
    {ST "/installation/builds/100/..", false, NULL},
    {ST "/installation/builds//100", false, NULL},
    {ST "/installation/builds/current", false, NULL},
    {ST "/installation-evil/builds/100", false, NULL},
    {ST "/overlays/5", true, "overlays/5"},
    {ST "/overlays/5/left4dead2/addons", true, "overlays/5/left4dead2/addons"},
    {ST "/overlays/..foo", true, "overlays/..foo"}, /* a name, not a parent */
    {ST "/overlays/a..b", true, "overlays/a..b"},
    {ST "/global_overlay_cache/maps/overlay", true, "global_overlay_cache/maps/overlay"},
    {ST "/global_overlay_cache/maps", true, "global_overlay_cache/maps"},
    {ST "/workshop_cache", true, "workshop_cache"},
    {ST "/workshop_cache/123", true, "workshop_cache/123"},
    /* every user's overlays at once */
    {ST "/overlays", false, NULL},
    {ST "/overlays/", false, NULL},
    {ST "/global_overlay_cache", false, NULL},
    {ST "/global_overlay_cache/", false, NULL},
    /* not layers */
    {ST, false, NULL},
    {ST "/", false, NULL},
    {ST "/instances/a", false, NULL},
    {ST "/runtime/a/upper", false, NULL},
    {ST "/scripts", false, NULL},
    {ST "/console", false, NULL},
    {ST "/left4me.db", false, NULL},
    /* look-alikes */
    {ST "/installationx", false, NULL},
    {ST "/installation-evil", false, NULL},
    {ST "/overlays-evil/5", false, NULL},
    {ST "/Installation", false, NULL},
    {ST "2/installation", false, NULL},
    {"/var/lib/left4", false, NULL},
    /* outside */
    {"/etc", false, NULL},
    {"/", false, NULL},
    {"", false, NULL},
    {"installation", false, NULL},
    {"var/lib/left4me/installation", false, NULL},
    {"/var/lib/left4me/../left4me/installation", false, NULL},
    /* dot components: the check the worker's copy had and the helper's lacked */
    {ST "/overlays/..", false, NULL},
    {ST "/overlays/../runtime/a/upper", false, NULL},
    {ST "/overlays/5/../../runtime/a/upper", false, NULL},
    {ST "/installation/..", false, NULL},
    {ST "/installation/../../../etc", false, NULL},
    {ST "/workshop_cache/..", false, NULL},
    {ST "/overlays/.", false, NULL},
    {ST "/installation/.", false, NULL},
    {ST "/./installation", false, NULL},
    /* empty components and a trailing slash */
    {ST "//installation", false, NULL},
    {ST "/installation//left4dead2", false, NULL},
    {ST "/installation/", false, NULL},
    {ST "/overlays//5", false, NULL},
    {ST "/overlays/5/", false, NULL},
};

START_TEST(table)
{
	const char *rel = "unset";
	bool got = lowerdir_allowed(ST, cases[_i].path, &rel);

	ck_assert_msg(got == cases[_i].ok, "'%s': got %d", cases[_i].path, got);
	if (cases[_i].ok)
		ck_assert_str_eq(rel, cases[_i].rel);
	else
		ck_assert_str_eq(rel, "unset"); /* untouched on refusal */
	ck_assert(lowerdir_allowed(ST, cases[_i].path, NULL) == cases[_i].ok);
}
END_TEST

/* The state dir is compared as a whole path, never as a prefix. */
START_TEST(state_dir)
{
	ck_assert(lowerdir_allowed("/srv/l4m", "/srv/l4m/installation/builds/7", NULL));
	ck_assert(!lowerdir_allowed("/srv/l4m", ST "/installation/builds/7", NULL));
	ck_assert(!lowerdir_allowed("/srv", "/srv/l4m/installation/builds/7", NULL));
	ck_assert(!lowerdir_allowed("/srv", "/srv/l4m/overlays/7", NULL));
	ck_assert(!lowerdir_allowed("srv/l4m", "srv/l4m/installation", NULL));
	ck_assert(!lowerdir_allowed("", "/installation", NULL));
	ck_assert(!lowerdir_allowed(NULL, ST "/installation", NULL));
	ck_assert(!lowerdir_allowed(ST, NULL, NULL));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lowerdir");
	TCase *tc = tcase_create("allowlist");

	tcase_add_loop_test(tc, table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, state_dir);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
