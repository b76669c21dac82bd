/* left4me-web, issue 17: a new overlay comes with its directory (an empty
 * layer), and an overlay without one says so on its page. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "webtest.h"
#include "xalloc.h"

#define FORM "application/x-www-form-urlencoded"

static struct wt t;

static void start(void)
{
	char *p;

	wt_start(&t, NULL);
	p = xasprintf("%s/overlays", t.dir);
	ck_assert_int_eq(mkdir(p, 02770), 0); /* as the state-layout makes it */
	ck_assert_int_eq(chmod(p, 02770), 0);
	free(p);
}

static void stop(void)
{
	wt_stop(&t);
}

START_TEST(new_overlay_has_its_dir)
{
	struct wt_session s;
	struct wt_resp r;
	struct stat st;
	char *p;

	wt_user(&t, "alice", "password-alice", false);
	ck_assert_int_eq(wt_login(&t, "alice", "password-alice", &s), 303);
	wt_post(&t, &s, "/overlays", "name=fresh", true, &r);
	ck_assert_int_eq(r.status, 303);
	wt_resp_fini(&r);
	p = xasprintf("%s/overlays/1", t.dir);
	ck_assert_msg(lstat(p, &st) == 0 && S_ISDIR(st.st_mode), "%s was not made", p);
	ck_assert_uint_eq(st.st_mode & 07777, 02770);
	wt_get(&t, &s, "/overlays/1", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_null(strstr(r.body, "id=\"no-dir\""));
	wt_resp_fini(&r);
	/* Without its directory the page says so, and what makes it. */
	ck_assert_int_eq(rmdir(p), 0);
	wt_get(&t, &s, "/overlays/1", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "id=\"no-dir\""));
	ck_assert_ptr_nonnull(strstr(r.body, "no directory (<code>overlays/1</code>) yet"));
	wt_resp_fini(&r);
	free(p);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("web_edit");
	TCase *tc = tcase_create("web_edit");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, start, stop);
	tcase_add_test(tc, new_overlay_has_its_dir);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
