/* left4me-web's startup: the contract of libleft4me/daemon.h on the real
 * binary (tests/support/startcheck.h). */
#include <check.h>

#include "startcheck.h"
#include "testutil.h"

static const struct startcheck web = {
    .rel = "left4me-web/left4me-web",
    .ident = "left4me-web",
    .args = {"--allow-root"},
    .refuses_root = true,
};

START_TEST(version)
{
	startcheck_version(&web);
}
END_TEST

START_TEST(help)
{
	startcheck_help(&web);
}
END_TEST

START_TEST(root_refused)
{
	startcheck_root(&web);
}
END_TEST

START_TEST(db_refused)
{
	startcheck_db(&web);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("left4me-web startup");
	TCase *tc = tcase_create("startup");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, version);
	tcase_add_test(tc, help);
	tcase_add_test(tc, root_refused);
	tcase_add_test(tc, db_refused);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
