/* left4me-worker/instance.c: the worker's own re-validation before any
 * path or helper argv is built (bad names from the DB, bad global source
 * names, lowerdirs outside the allowlist are refused and nothing is
 * written), the plan's exact output, removal, and no staging while
 * merged/ is mounted. */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../left4me-worker/instance.h"
#include "testutil.h"
#include "xalloc.h"

/* a stored RCON password (rcon_password_ok) */
#define PW "Abc123Abc123Abc123Abc123"

static char *dir, *state;

static void mk(const char *rel)
{
	char *p = xasprintf("%s/%s", state, rel);
	char *s;

	for (s = p + strlen(state) + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	}
	mkdir(p, 0755);
	free(p);
}

static void setup(void)
{
	char *p;

	dir = tu_mkdtemp();
	state = xasprintf("%s/state", dir);
	mkdir(state, 0755);
	mk("installation/builds/7");
	p = xasprintf("%s/installation/builds/7/srcds_run", state);
	tu_write_file(p, "");
	free(p);
	p = xasprintf("%s/installation/current", state);
	ck_assert(symlink("builds/7", p) == 0);
	free(p);
	mk("overlays/5/left4dead2/cfg");
	mk("global_overlay_cache/maps/overlay");
}

static void teardown(void)
{
	tu_rmtree(dir);
	free(dir);
	free(state);
}

static const char *const bad_names[] = {
    "",	   "../etc",
    "a/b", "Alpha",
    "-rf", "_x",
    "a b", "a\nb",
    ".",   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65 */
};

START_TEST(bad_server_name_refused)
{
	struct instance_spec spec = {
	    .name = (char *)bad_names[_i], .port = 27015, .config = "", .rcon_password = PW};
	struct instance_plan plan;
	bool removed;
	char err[256];

	ck_assert(!instance_name_ok(bad_names[_i]));
	ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "invalid server name") != NULL, "%s", err);
	ck_assert_int_eq(instance_remove(state, bad_names[_i], &removed, err, sizeof(err)), -1);
	ck_assert(!removed);
}
END_TEST

START_TEST(good_names)
{
	ck_assert(instance_name_ok("a"));
	ck_assert(instance_name_ok("alpha-1_x"));
	ck_assert(instance_name_ok("0"));
	ck_assert(!instance_name_ok(NULL));
}
END_TEST

static const char *const bad_sources[] = {"../../etc", "", "a/b", "Maps", ".."};

START_TEST(bad_source_name_refused)
{
	struct instance_overlay ov = {.id = 9,
				      .kind = OVERLAY_GLOBAL,
				      .source_name = (char *)bad_sources[_i],
				      .source_complete = true};
	struct instance_spec spec = {.name = (char *)"alpha",
				     .port = 27015,
				     .config = "",
				     .rcon_password = PW,
				     .overlays = &ov,
				     .n_overlays = 1};
	struct instance_plan plan;
	char err[256];

	ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "global overlay 9 has an invalid source name") != NULL, "%s",
		      err);
	ov.source_name = NULL;
	ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), -1);
}
END_TEST

START_TEST(symlink_outside_never_written)
{
	struct instance_overlay ov = {.id = 6, .kind = OVERLAY_USER};
	struct instance_spec spec = {.name = (char *)"alpha",
				     .port = 27015,
				     .config = "",
				     .rcon_password = PW,
				     .overlays = &ov,
				     .n_overlays = 1};
	struct instance_plan plan;
	char err[256], *p = xasprintf("%s/overlays/6", state);
	struct stat st;

	ck_assert(symlink("/etc", p) == 0);
	ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "outside the allowed directories") != NULL, "%s", err);
	unlink(p);
	/* a symlink to another overlay is inside the allowlist */
	ck_assert(symlink("5", p) == 0);
	ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), 0);
	instance_plan_fini(&plan);
	/* the build current names a symlink out */
	free(p);
	p = xasprintf("%s/installation/builds/7", state);
	{
		char *moved = xasprintf("%s.real", p);

		ck_assert(rename(p, moved) == 0);
		ck_assert(symlink("/etc", p) == 0);
		ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), -1);
		ck_assert_msg(strstr(err, "which is not a directory") != NULL, "%s", err);
		ck_assert(unlink(p) == 0 && rename(moved, p) == 0);
		free(moved);
	}
	free(p);
	p = xasprintf("%s/instances", state);
	ck_assert(stat(p, &st) < 0);
	free(p);
}
END_TEST

START_TEST(plan_apply_remove)
{
	struct instance_overlay ov[2] = {
	    {.id = 5, .kind = OVERLAY_USER, .expose_server_cfg = true},
	    {.id = 7,
	     .kind = OVERLAY_GLOBAL,
	     .source_name = (char *)"maps",
	     .source_complete = true,
	     .expose_server_cfg = true},
	};
	struct instance_spec spec = {.name = (char *)"alpha",
				     .port = 27020,
				     .config = "hostname x",
				     .rcon_password = PW,
				     .overlays = ov,
				     .n_overlays = 2};
	struct instance_plan plan;
	char err[256], *want, *p, *t, *outside, *fifo;
	struct stat st;
	bool removed;

	ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), 0);
	want =
	    xasprintf("# written by left4me-worker; read by left4me-overlay and left4me-launcher\n"
		      "L4D2_LOWERDIRS=\"%s/overlays/5:%s/global_overlay_cache/maps/overlay:"
		      "%s/installation/builds/7\"\nL4D2_PORT=27020\nL4D2_MAP=c1m1_hotel\n"
		      "L4D2_MAXPLAYERS=8\n",
		      state, state, state);
	ck_assert_str_eq(plan.env_text, want);
	free(want);
	ck_assert_str_eq(plan.server_cfg, "exec server_overlay_7\nexec server_overlay_5\nhostname "
					  "x\nrcon_password \"" PW "\"\n");
	ck_assert_int_eq(plan.n_copies, 2);
	ck_assert(plan.copies[0].missing && plan.copies[1].missing);
	ck_assert_int_eq(instance_apply(state, &plan, err, sizeof(err)), 0);
	instance_plan_fini(&plan);
	p = xasprintf("%s/runtime/alpha/upper/left4dead2/cfg/server_overlay_5.cfg", state);
	t = tu_read_file(p);
	ck_assert_str_eq(t, "");
	free(t);
	ck_assert(stat(p, &st) == 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	free(p);
	/* server.cfg holds the RCON password: 0600 whatever the umask, and
	 * its last line (runtime/NAME stays 0700, as made) */
	p = xasprintf("%s/runtime/alpha/upper/left4dead2/cfg/server.cfg", state);
	ck_assert(stat(p, &st) == 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(st.st_uid, getuid());
	t = tu_read_file(p);
	ck_assert_ptr_nonnull(strstr(t, "\nrcon_password \"" PW "\"\n"));
	ck_assert_str_eq(strstr(t, "\nrcon_password") + 1, "rcon_password \"" PW "\"\n");
	free(t);
	free(p);
	/* the console FIFO: 0664 whatever the umask (the launcher reads it
	 * as "other"), and a re-apply keeps it a FIFO */
	p = xasprintf("%s/console", state);
	ck_assert(lstat(p, &st) == 0 && S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0750);
	free(p);
	p = xasprintf("%s/console/alpha", state);
	ck_assert(lstat(p, &st) == 0);
	ck_assert(S_ISFIFO(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0664);
	ck_assert(unlink(p) == 0);
	tu_write_file(p, "not a fifo");
	ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), 0);
	ck_assert_int_eq(instance_apply(state, &plan, err, sizeof(err)), 0);
	instance_plan_fini(&plan);
	ck_assert(lstat(p, &st) == 0 && S_ISFIFO(st.st_mode));
	fifo = p; /* the removal below takes it too */
	/* what a game leaves in its upper: a dir it made unreadable (chmod
	 * 000, nested), a FIFO, and a symlink out of the state dir, whose
	 * target must survive the removal */
	outside = tu_mkdtemp();
	p = xasprintf("%s/keep", outside);
	tu_write_file(p, "keep");
	free(p);
	p = xasprintf("%s/runtime/alpha/upper/left4dead2/locked", state);
	ck_assert(mkdir(p, 0755) == 0);
	t = xasprintf("%s/inner", p);
	ck_assert(mkdir(t, 0755) == 0);
	free(t);
	t = xasprintf("%s/inner/f", p);
	tu_write_file(t, "x");
	free(t);
	t = xasprintf("%s/inner/out", p);
	ck_assert(symlink(outside, t) == 0);
	free(t);
	t = xasprintf("%s/inner/fifo", p);
	ck_assert(mkfifo(t, 0600) == 0);
	free(t);
	t = xasprintf("%s/inner", p);
	ck_assert(chmod(t, 0) == 0);
	free(t);
	ck_assert(chmod(p, 0) == 0);
	free(p);
	ck_assert(instance_exists(state, "alpha"));
	ck_assert_int_eq(instance_remove(state, "alpha", &removed, err, sizeof(err)), 0);
	ck_assert(removed);
	ck_assert(!instance_exists(state, "alpha"));
	ck_assert(lstat(fifo, &st) < 0 && errno == ENOENT);
	free(fifo);
	p = xasprintf("%s/keep", outside);
	t = tu_read_file(p);
	ck_assert_str_eq(t, "keep");
	free(t);
	free(p);
	tu_rmtree(outside);
	free(outside);
	ck_assert_int_eq(instance_remove(state, "alpha", &removed, err, sizeof(err)), 0);
	ck_assert(!removed);
}
END_TEST

/* runtime/ itself a symlink: nothing is removed through it */
/* The effective launch settings reach instance.env: the server's own
 * value, else the blueprint's; the DB's values are checked again. */
START_TEST(plan_launch_settings)
{
	struct instance_spec spec = {.name = (char *)"alpha",
				     .port = 27020,
				     .config = "",
				     .rcon_password = PW,
				     .max_players = 12,
				     .launch_args = "-nohltv +sv_pure 2",
				     .bp_start_map = "c2m1_highway",
				     .bp_max_players = 4,
				     .bp_tickrate = 100,
				     .bp_launch_args = "-nomaster"};
	struct instance_plan plan;
	char err[256];

	ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), 0);
	ck_assert_msg(strstr(plan.env_text,
			     "\nL4D2_MAP=c2m1_highway\nL4D2_MAXPLAYERS=12\n"
			     "L4D2_TICKRATE=100\nL4D2_ARGS=\"-nohltv +sv_pure 2\"\n"),
		      "%s", plan.env_text);
	instance_plan_fini(&plan);
	/* "" on the server: no options, whatever the blueprint has */
	spec.launch_args = "";
	spec.start_map = "c5m1_waterfront";
	ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), 0);
	ck_assert_msg(strstr(plan.env_text, "\nL4D2_MAP=c5m1_waterfront\n") &&
			  !strstr(plan.env_text, "L4D2_ARGS"),
		      "%s", plan.env_text);
	instance_plan_fini(&plan);
	/* what the DB holds is input: a forbidden option is refused */
	spec.launch_args = "-nohltv -port 1";
	ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "invalid launch settings in the database: launch_args: -port"),
		      "%s", err);
	spec.launch_args = NULL;
	spec.bp_tickrate = 500;
	ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "invalid launch settings"), "%s", err);
}
END_TEST

START_TEST(remove_refuses_symlinked_runtime)
{
	char err[256], *other = tu_mkdtemp(), *p, *t;
	bool removed;

	p = xasprintf("%s/alpha", other);
	ck_assert(mkdir(p, 0755) == 0);
	free(p);
	t = xasprintf("%s/alpha/f", other);
	tu_write_file(t, "x");
	p = xasprintf("%s/runtime", state);
	tu_rmtree(p);
	ck_assert(symlink(other, p) == 0);
	ck_assert_int_eq(instance_remove(state, "alpha", &removed, err, sizeof(err)), -1);
	ck_assert(access(t, F_OK) == 0);
	unlink(p);
	free(p);
	free(t);
	tu_rmtree(other);
	free(other);
}
END_TEST

/* No server.cfg is planned without a valid RCON password: a missing or
 * malformed one (it would break out of its quotes) is refused. */
START_TEST(rcon_password_required)
{
	static const char *const bad[] = {NULL, "", "short", "Abc123Abc123Abc123Abc12\"; quit",
					  "Abc123Abc123Abc123Abc123 x"};
	struct instance_spec spec = {.name = (char *)"alpha", .port = 27015, .config = ""};
	struct instance_plan plan;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		spec.rcon_password = bad[i];
		ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), -1);
		ck_assert_str_eq(err, "server alpha has no valid RCON password");
	}
	/* the blueprint's own rcon_password comes before the staged one */
	spec.rcon_password = PW;
	spec.config = (char *)"rcon_password \"mine\"\nhostname h";
	ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), 0);
	ck_assert_str_eq(plan.server_cfg,
			 "rcon_password \"mine\"\nhostname h\nrcon_password \"" PW "\"\n");
	instance_plan_fini(&plan);
}
END_TEST

START_TEST(not_installed)
{
	struct instance_spec spec = {
	    .name = (char *)"alpha", .port = 27015, .config = "", .rcon_password = PW};
	struct instance_plan plan;
	char err[256], *p = xasprintf("%s/installation/builds/7/srcds_run", state);

	/* a build without srcds_run is not a complete build */
	unlink(p);
	free(p);
	ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "game build 7 is incomplete") != NULL, "%s", err);
	/* no current: never installed */
	p = xasprintf("%s/installation/current", state);
	unlink(p);
	ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "the game is not installed") != NULL, "%s", err);
	/* a current that names no build dir, or a build outside builds/ */
	ck_assert(symlink("builds/8", p) == 0);
	ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "which is not a directory") != NULL, "%s", err);
	unlink(p);
	ck_assert(symlink("../overlays/5", p) == 0);
	ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "does not name builds/ID") != NULL, "%s", err);
	unlink(p);
	ck_assert(symlink("builds/07", p) == 0);
	ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "does not name builds/ID") != NULL, "%s", err);
	free(p);
	spec.port = 80;
	ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), -1);
}
END_TEST

/* Nothing is staged into upper/ while merged/ is mounted (overlayfs
 * leaves that undefined); removal refuses too. */
START_TEST(apply_refused_while_mounted)
{
	struct instance_spec spec = {
	    .name = (char *)"alpha", .port = 27015, .config = "one", .rcon_password = PW};
	struct instance_plan plan;
	char err[256], *merged, *cfg, *t, real[PATH_MAX];
	bool removed;

	ck_assert_int_eq(geteuid(), 0); /* CI runs as root: this must not skip */
	/* check forked this test: the namespace ends with it */
	ck_assert(unshare(CLONE_NEWNS) == 0);
	ck_assert(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), 0);
	ck_assert_int_eq(instance_apply(state, &plan, err, sizeof(err)), 0);
	instance_plan_fini(&plan);
	ck_assert_int_eq(instance_mounted(state, "alpha", err, sizeof(err)), 0);
	merged = xasprintf("%s/runtime/alpha/merged", state);
	cfg = xasprintf("%s/runtime/alpha/upper/left4dead2/cfg/server.cfg", state);
	ck_assert(mount("tmpfs", merged, "tmpfs", 0, "size=64k") == 0);
	ck_assert(realpath(merged, real) != NULL);
	ck_assert_int_eq(instance_mounted(state, "alpha", err, sizeof(err)), 1);
	spec.config = "two";
	ck_assert_int_eq(instance_plan(state, &spec, &plan, err, sizeof(err)), 0);
	ck_assert_int_eq(instance_apply(state, &plan, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "runtime/alpha/merged is mounted (the server is running): stop it "
			      "first");
	t = tu_read_file(cfg);
	ck_assert_str_eq(t, "one\nrcon_password \"" PW "\"\n");
	free(t);
	ck_assert_int_eq(instance_remove(state, "alpha", &removed, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "still mounted") != NULL, "%s", err);
	ck_assert(umount(real) == 0);
	ck_assert_int_eq(instance_apply(state, &plan, err, sizeof(err)), 0);
	t = tu_read_file(cfg);
	ck_assert_str_eq(t, "two\nrcon_password \"" PW "\"\n");
	free(t);
	instance_plan_fini(&plan);
	free(merged);
	free(cfg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("worker_instance");
	TCase *tc = tcase_create("instance");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, bad_server_name_refused, 0,
			    (int)(sizeof(bad_names) / sizeof(bad_names[0])));
	tcase_add_test(tc, good_names);
	tcase_add_loop_test(tc, bad_source_name_refused, 0,
			    (int)(sizeof(bad_sources) / sizeof(bad_sources[0])));
	tcase_add_test(tc, symlink_outside_never_written);
	tcase_add_test(tc, plan_apply_remove);
	tcase_add_test(tc, plan_launch_settings);
	tcase_add_test(tc, remove_refuses_symlinked_runtime);
	tcase_add_test(tc, not_installed);
	tcase_add_test(tc, rcon_password_required);
	tcase_add_test(tc, apply_refused_while_mounted);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
