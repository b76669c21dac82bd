/* left4me-worker's startup: the contract of libleft4me/daemon.h on the
 * real binary (tests/support/startcheck.h). */
#include <check.h>

#include "startcheck.h"
#include "testutil.h"

static const struct startcheck worker = {
    .rel = "left4me-worker/left4me-worker",
    .ident = "left4me-worker",
    .args = {"--allow-root", "--once"}, /* --once: a start that got through ends */
    .refuses_root = true,
};

START_TEST(version)
{
	startcheck_version(&worker);
}
END_TEST

START_TEST(help)
{
	startcheck_help(&worker);
}
END_TEST

START_TEST(root_refused)
{
	startcheck_root(&worker);
}
END_TEST

START_TEST(db_refused)
{
	startcheck_db(&worker);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("left4me-worker startup");
	TCase *tc = tcase_create("startup");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, version);
	tcase_add_test(tc, help);
	tcase_add_test(tc, root_refused);
	tcase_add_test(tc, db_refused);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
