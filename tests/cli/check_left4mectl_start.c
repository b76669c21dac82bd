/* left4mectl's share of libleft4me/daemon.h on the real binary
 * (tests/support/startcheck.h): --version, --help, and the DB refusals
 * with the daemons' codes.  Root is not refused: an operator runs it. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "startcheck.h"
#include "testutil.h"
#include "xalloc.h"

static const struct startcheck ctl = {
    .rel = "left4mectl/left4mectl",
    .ident = "left4mectl",
    .args = {"user", "list"},
};

START_TEST(version)
{
	startcheck_version(&ctl);
}
END_TEST

START_TEST(help)
{
	startcheck_help(&ctl);
}
END_TEST

START_TEST(db_refused)
{
	startcheck_db(&ctl);
}
END_TEST

/* Root runs it without a flag (a config error, not a refusal, here), and
 * --allow-root is not one of its options. */
START_TEST(root_runs_it)
{
	char *bin = tu_build_path("left4mectl/left4mectl");
	char *argv[] = {bin,
			(char *)"-c",
			(char *)"/nonexistent/left4me.yaml",
			(char *)"config",
			(char *)"check",
			NULL};
	char *argv_ar[] = {bin, (char *)"--allow-root", (char *)"config", (char *)"check", NULL};
	struct tu_run r;

	ck_assert_int_eq(geteuid(), 0); /* CI runs as root: this must not skip */
	tu_run(&r, argv, NULL, NULL);
	ck_assert_int_eq(r.status, 78);
	ck_assert_msg(strstr(r.err, "/nonexistent/left4me.yaml") && !strstr(r.err, "root"), "%s",
		      r.err);
	tu_run_fini(&r);
	tu_run(&r, argv_ar, NULL, NULL);
	ck_assert_int_eq(r.status, 64);
	ck_assert_msg(strstr(r.err, "allow-root"), "%s", r.err);
	tu_run_fini(&r);
	free(bin);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("left4mectl startup");
	TCase *tc = tcase_create("startup");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, version);
	tcase_add_test(tc, help);
	tcase_add_test(tc, db_refused);
	tcase_add_test(tc, root_runs_it);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
