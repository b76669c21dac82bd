/* templates: the starter server.cfg of a new blueprint and the overlay
 * build scripts (pinned official URLs, valid sh). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "templates.h"
#include "testutil.h"

START_TEST(server_cfg)
{
	/* hostname, lobby connect off, the two commented lines */
	ck_assert(strstr(template_server_cfg, "\nhostname \""));
	ck_assert(strstr(template_server_cfg, "\nsv_allow_lobby_connect_only 0\n"));
	ck_assert(strstr(template_server_cfg, "\n// sv_steamgroup "));
	ck_assert(strstr(template_server_cfg, "\n// sv_search_key "));
	ck_assert(!strstr(template_server_cfg, "rcon_password"));
	ck_assert(template_server_cfg[strlen(template_server_cfg) - 1] == '\n');
}
END_TEST

START_TEST(scripts)
{
	ck_assert_uint_ge(overlay_templates_len, 1);
	for (size_t i = 0; i < overlay_templates_len; i++) {
		const struct overlay_template *t = &overlay_templates[i];
		char *const argv[] = {"/bin/sh", "-n", NULL};
		struct tu_run r;

		ck_assert_ptr_eq(overlay_template_find(t->id), t);
		ck_assert(strncmp(t->build_script, "#!/bin/sh\n", 10) == 0);
		tu_run(&r, argv, t->build_script, NULL);
		ck_assert_msg(r.status == 0, "template %s: sh -n: %s", t->id, r.err);
		tu_run_fini(&r);
	}
	ck_assert_ptr_null(overlay_template_find("nope"));
	ck_assert_ptr_null(overlay_template_find(NULL));
}
END_TEST

/* Metamod:Source and SourceMod from AlliedModders' own servers, each a
 * full pinned URL (a build number, never "latest"). */
START_TEST(mmsm_pinned)
{
	const struct overlay_template *t = overlay_template_find("metamod-sourcemod");

	ck_assert_ptr_nonnull(t);
	ck_assert(strstr(t->build_script, "\nMMS_URL=https://mms.alliedmods.net/mmsdrop/1.12/"
					  "mmsource-1.12.0-git1219-linux.tar.gz\n"));
	ck_assert(strstr(t->build_script, "\nSM_URL=https://sm.alliedmods.net/smdrop/1.12/"
					  "sourcemod-1.12.0-git7221-linux.tar.gz\n"));
	ck_assert(strstr(t->build_script, "To bump"));
	ck_assert(strstr(t->build_script, "set -eu\n"));
	/* Metamod first, into left4dead2/ */
	ck_assert(strstr(t->build_script, "cd left4dead2\n"));
	ck_assert(strstr(t->build_script, "\"$MMS_URL\" \"$SM_URL\""));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("templates");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, server_cfg);
	tcase_add_test(tc, scripts);
	tcase_add_test(tc, mmsm_pinned);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
