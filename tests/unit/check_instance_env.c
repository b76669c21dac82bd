/* instance_env: the strict parser the root overlay helper trusts. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "instance_env.h"
#include "strbuf.h"
#include "xalloc.h"

#define TAIL "L4D2_PORT=27015\nL4D2_MAP=c1m1_hotel\nL4D2_MAXPLAYERS=8\n"
#define LOW  "L4D2_LOWERDIRS=\"/s/overlays/7:/s/installation\"\n"

struct good_case {
	const char *text;
	size_t n_lowerdirs;
	const char *first;
	int port;
};

static const struct good_case good[] = {
    {LOW TAIL, 2, "/s/overlays/7", 27015},
    {"# comment\n\n" LOW "   \n" TAIL, 2, "/s/overlays/7", 27015},
    {"L4D2_LOWERDIRS=/a/b\nL4D2_PORT=1024\nL4D2_MAP=x\nL4D2_MAXPLAYERS=1", 1, "/a/b", 1024},
    {"L4D2_MAXPLAYERS=32\nL4D2_MAP=Map_9\nL4D2_PORT=65535\nL4D2_LOWERDIRS=\"/a b/c\"\n", 1,
     "/a b/c", 65535},
    {"L4D2_LOWERDIRS=/x/y-z/@v%1+2=3,4.5\n" TAIL, 1, "/x/y-z/@v%1+2=3,4.5", 27015},
};

START_TEST(test_good)
{
	const struct good_case *c = &good[_i];
	struct instance_env env;
	char err[256] = "";

	ck_assert_msg(instance_env_parse(c->text, strlen(c->text), &env, err, sizeof(err)) == 0,
		      "case %d: %s", _i, err);
	ck_assert_uint_eq(env.n_lowerdirs, c->n_lowerdirs);
	ck_assert_str_eq(env.lowerdirs[0], c->first);
	ck_assert_int_eq(env.port, c->port);
	instance_env_fini(&env);
}
END_TEST

struct bad_case {
	const char *text;
	const char *why; /* substring of the error */
};

static const struct bad_case bad[] = {
    {"", "missing key"},
    {"# only a comment\n", "missing key"},
    {LOW TAIL "L4D2_EXTRA=1\n", "unknown key L4D2_EXTRA"},
    {LOW TAIL "L4D2_PORT=27016\n", "duplicate key L4D2_PORT"},
    {LOW LOW TAIL, "duplicate key L4D2_LOWERDIRS"},
    {"L4D2_LOWERDIRS=\"/a\n" TAIL, "unbalanced quote"},
    {"L4D2_LOWERDIRS=/a\"\n" TAIL, "stray quote"},
    {"L4D2_LOWERDIRS=\"/a\"b\"\n" TAIL, "stray quote"},
    {"L4D2_LOWERDIRS='/a'\n" TAIL, "stray quote"},
    {"L4D2_LOWERDIRS=\"\n" TAIL, "unbalanced quote"},
    {"L4D2_LOWERDIRS=/a\\:b\n" TAIL, "escapes"},
    {"L4D2_LOWERDIRS=/a$HOME\n" TAIL, "0x24"},
    {"L4D2_LOWERDIRS=/a b\n" TAIL, "0x20"},
    {"L4D2_LOWERDIRS=/a\r\n" TAIL, "0x0d"},
    {"L4D2_LOWERDIRS=\n" TAIL, "empty value"},
    {"L4D2_LOWERDIRS=\"\"\n" TAIL, "empty value"},
    {"L4D2_LOWERDIRS=a/b\n" TAIL, "clean absolute"},
    {"L4D2_LOWERDIRS=/a/../etc\n" TAIL, "clean absolute"},
    {"L4D2_LOWERDIRS=/a/./b\n" TAIL, "clean absolute"},
    {"L4D2_LOWERDIRS=/a//b\n" TAIL, "clean absolute"},
    {"L4D2_LOWERDIRS=/a/\n" TAIL, "clean absolute"},
    {"L4D2_LOWERDIRS=/a::/b\n" TAIL, "lowerdir 2"},
    {"L4D2_LOWERDIRS=/a:\n" TAIL, "lowerdir 2"},
    {"L4D2_LOWERDIRS=/\n" TAIL, "clean absolute"},
    {LOW "L4D2_PORT=80\nL4D2_MAP=x\nL4D2_MAXPLAYERS=8\n", "L4D2_PORT"},
    {LOW "L4D2_PORT=027015\nL4D2_MAP=x\nL4D2_MAXPLAYERS=8\n", "L4D2_PORT"},
    {LOW "L4D2_PORT=65536\nL4D2_MAP=x\nL4D2_MAXPLAYERS=8\n", "L4D2_PORT"},
    {LOW "L4D2_PORT=27015\nL4D2_MAP=c1m1-hotel\nL4D2_MAXPLAYERS=8\n", "L4D2_MAP"},
    {LOW "L4D2_PORT=27015\nL4D2_MAP=x\nL4D2_MAXPLAYERS=33\n", "L4D2_MAXPLAYERS"},
    {LOW "L4D2_PORT=27015\nL4D2_MAP=x\nL4D2_MAXPLAYERS=0\n", "L4D2_MAXPLAYERS"},
    {" " LOW TAIL, "leading whitespace"},
    {"l4d2_port=1\n", "expected KEY=VALUE"},
    {"L4D2_PORT 27015\n", "expected KEY=VALUE"},
    {"=1\n", "expected KEY=VALUE"},
    {"export L4D2_PORT=1\n", "expected KEY=VALUE"},
    /* the optional launch settings (launch_args.h) */
    {LOW TAIL "L4D2_TICKRATE=29\n", "L4D2_TICKRATE: not a number in 30..128"},
    {LOW TAIL "L4D2_TICKRATE=129\n", "L4D2_TICKRATE"},
    {LOW TAIL "L4D2_TICKRATE=100\nL4D2_TICKRATE=100\n", "duplicate key L4D2_TICKRATE"},
    {LOW TAIL "L4D2_ARGS=-nohltv\nL4D2_ARGS=-nohltv\n", "duplicate key L4D2_ARGS"},
    {LOW TAIL "L4D2_ARGS=\"-game left4dead2\"\n",
     "L4D2_ARGS: launch_args: -game is not an allowed option"},
    {LOW TAIL "L4D2_ARGS=\"+map c1m2_streets\"\n", "L4D2_ARGS: launch_args: +map is not"},
    {LOW TAIL "L4D2_ARGS=\"+sv_pure 9\"\n", "L4D2_ARGS: launch_args: +sv_pure: '9'"},
    {LOW TAIL "L4D2_ARGS=\"+exec ../x\"\n", "L4D2_ARGS: launch_args: +exec: '../x'"},
    {LOW TAIL "L4D2_ARGS=-nohltv +sv_lan 1\n", "L4D2_ARGS: character 0x20"},
    {LOW TAIL "L4D2_ARGS=\"\"\n", "L4D2_ARGS: empty value"},
};

/* The optional keys: absent, or present and checked against the table. */
START_TEST(test_launch_keys)
{
	static const char with[] =
	    LOW TAIL "L4D2_TICKRATE=100\n"
		     "L4D2_ARGS=\"-nohltv  +sv_pure 2 +mp_gamemode versus\"\n";
	struct instance_env env;
	char err[256] = "";

	ck_assert_msg(instance_env_parse(LOW TAIL, strlen(LOW TAIL), &env, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_int_eq(env.tickrate, 0);
	ck_assert_uint_eq(env.n_args, 0);
	instance_env_fini(&env);
	ck_assert_msg(instance_env_parse(with, strlen(with), &env, err, sizeof(err)) == 0, "%s",
		      err);
	ck_assert_int_eq(env.tickrate, 100);
	ck_assert_uint_eq(env.n_args, 5);
	ck_assert_str_eq(env.args[0], "-nohltv");
	ck_assert_str_eq(env.args[2], "2");
	ck_assert_str_eq(env.args[4], "versus");
	ck_assert_ptr_null(env.args[5]);
	instance_env_fini(&env);
}
END_TEST

START_TEST(test_bad)
{
	const struct bad_case *c = &bad[_i];
	struct instance_env env;
	char err[256] = "";

	ck_assert_msg(instance_env_parse(c->text, strlen(c->text), &env, err, sizeof(err)) < 0,
		      "case %d accepted", _i);
	ck_assert_msg(strstr(err, c->why) != NULL, "case %d: error '%s' lacks '%s'", _i, err,
		      c->why);
	ck_assert_ptr_null(env.lowerdirs);
	ck_assert_ptr_null(env.map);
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char text[] = "L4D2_PORT=1\0\n";
	struct instance_env env;
	char err[128];

	ck_assert_int_lt(instance_env_parse(text, sizeof(text) - 1, &env, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "NUL"));
}
END_TEST

/* A value longer than INSTANCE_ENV_MAX_VALUE and a file over the size cap. */
START_TEST(test_overlong)
{
	struct strbuf sb;
	struct instance_env env;
	char err[128];

	strbuf_init(&sb);
	strbuf_puts(&sb, "L4D2_LOWERDIRS=");
	for (int i = 0; i < INSTANCE_ENV_MAX_VALUE / 8 + 1; i++)
		strbuf_puts(&sb, "/aaaaaa:");
	strbuf_puts(&sb, "/b\n" TAIL);
	ck_assert_int_lt(instance_env_parse(sb.buf, sb.len, &env, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "longer than"), "%s", err);

	strbuf_reset(&sb);
	while (sb.len <= INSTANCE_ENV_MAX_SIZE)
		strbuf_puts(&sb, "# padding padding padding padding\n");
	strbuf_puts(&sb, LOW TAIL);
	ck_assert_int_lt(instance_env_parse(sb.buf, sb.len, &env, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "larger than"), "%s", err);
	strbuf_fini(&sb);
}
END_TEST

START_TEST(test_too_many_lowerdirs)
{
	struct strbuf sb;
	struct instance_env env;
	char err[128];
	int i;

	strbuf_init(&sb);
	strbuf_puts(&sb, "L4D2_LOWERDIRS=/l0");
	for (i = 1; i < INSTANCE_ENV_MAX_LOWERDIRS; i++)
		strbuf_printf(&sb, ":/l%d", i);
	strbuf_puts(&sb, "\n" TAIL);
	ck_assert_int_eq(instance_env_parse(sb.buf, sb.len, &env, err, sizeof(err)), 0);
	ck_assert_uint_eq(env.n_lowerdirs, INSTANCE_ENV_MAX_LOWERDIRS);
	instance_env_fini(&env);

	strbuf_reset(&sb);
	strbuf_puts(&sb, "L4D2_LOWERDIRS=/l0");
	for (i = 1; i <= INSTANCE_ENV_MAX_LOWERDIRS; i++)
		strbuf_printf(&sb, ":/l%d", i);
	strbuf_puts(&sb, "\n" TAIL);
	ck_assert_int_lt(instance_env_parse(sb.buf, sb.len, &env, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "more than"), "%s", err);
	strbuf_fini(&sb);
}
END_TEST

START_TEST(test_round_trip)
{
	char *dirs[] = {"/var/lib/left4me/overlays/7", "/var/lib/left4me/global_overlay_cache/a/b",
			"/var/lib/left4me/installation"};
	char *args[] = {"-nohltv", "+sv_pure", "1", NULL};
	struct instance_env in = {dirs, 3, 27015, "c2m1_highway", 4, 66, args, 3}, out;
	char err[128];
	char *text = instance_env_format(&in, err, sizeof(err));

	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(instance_env_parse(text, strlen(text), &out, err, sizeof(err)), 0);
	ck_assert_uint_eq(out.n_lowerdirs, 3);
	for (size_t i = 0; i < 3; i++)
		ck_assert_str_eq(out.lowerdirs[i], dirs[i]);
	ck_assert_int_eq(out.port, 27015);
	ck_assert_str_eq(out.map, "c2m1_highway");
	ck_assert_int_eq(out.maxplayers, 4);
	ck_assert_int_eq(out.tickrate, 66);
	ck_assert_uint_eq(out.n_args, 3);
	ck_assert_str_eq(out.args[1], "+sv_pure");
	ck_assert(strstr(text, "\nL4D2_TICKRATE=66\nL4D2_ARGS=\"-nohltv +sv_pure 1\"\n"));
	instance_env_fini(&out);
	free(text);
}
END_TEST

/* format refuses what would not parse back. */
START_TEST(test_format_refuses)
{
	char *rel[] = {"relative/dir"};
	char *colon[] = {"/a:b/.."};
	char *ok[] = {"/a"};
	char *bad_args[] = {"-port", "1", NULL};
	struct instance_env cases[] = {
	    {rel, 1, 27015, "m", 4},	  {colon, 1, 27015, "m", 4},
	    {ok, 0, 27015, "m", 4},	  {ok, 1, 80, "m", 4},
	    {ok, 1, 27015, "bad map", 4}, {ok, 1, 27015, "m", 40},
	    {ok, 1, 27015, "m", 4, 200},  {ok, 1, 27015, "m", 4, 0, bad_args, 2},
	};
	char err[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(instance_env_format(&cases[i], err, sizeof(err)) == NULL,
			      "case %zu formatted", i);
		ck_assert_msg(err[0] != '\0', "case %zu: no error", i);
	}
}
END_TEST

static Suite *instance_env_suite(void)
{
	Suite *s = suite_create("instance_env");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_good, 0, sizeof(good) / sizeof(good[0]));
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_launch_keys);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_overlong);
	tcase_add_test(tc, test_too_many_lowerdirs);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_format_refuses);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(instance_env_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
