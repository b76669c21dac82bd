/* left4me-fetcher's and left4me-fetcher-refresh's startup: the contract
 * of libleft4me/daemon.h on the real binaries (tests/support/startcheck.h). */
#include <check.h>

#include "startcheck.h"
#include "testutil.h"

static const struct startcheck progs[] = {
    {.rel = "left4me-fetcher/left4me-fetcher",
     .ident = "left4me-fetcher",
     .args = {"--allow-root", "--once"},
     .refuses_root = true},
    {.rel = "left4me-fetcher/left4me-fetcher-refresh",
     .ident = "left4me-fetcher-refresh",
     .args = {"--allow-root", "--job", "1"},
     .refuses_root = true},
};

START_TEST(version)
{
	startcheck_version(&progs[_i]);
}
END_TEST

START_TEST(help)
{
	startcheck_help(&progs[_i]);
}
END_TEST

START_TEST(root_refused)
{
	startcheck_root(&progs[_i]);
}
END_TEST

START_TEST(db_refused)
{
	startcheck_db(&progs[_i]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fetcher startup");
	TCase *tc = tcase_create("startup");
	int n = (int)(sizeof(progs) / sizeof(progs[0]));

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, version, 0, n);
	tcase_add_loop_test(tc, help, 0, n);
	tcase_add_loop_test(tc, root_refused, 0, n);
	tcase_add_loop_test(tc, db_refused, 0, n);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
