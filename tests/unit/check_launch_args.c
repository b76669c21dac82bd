/* launch_args: the allowlist of srcds options, the start map, max players
 * and tickrate rules, and the effective values a server inherits. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "launch_args.h"

struct good_case {
	const char *text, *canon;
};

static const struct good_case good[] = {
    {"", ""},
    {"  \n\t", ""},
    {"-nohltv", "-nohltv"},
    {" -nohltv\t+sv_pure   2\n", "-nohltv +sv_pure 2"},
    {"+sv_pure -1", "+sv_pure -1"},
    {"+sv_pure 0 +sv_lan 1 +sv_region 255", "+sv_pure 0 +sv_lan 1 +sv_region 255"},
    {"+sv_region 7", "+sv_region 7"},
    {"+mp_gamemode versus", "+mp_gamemode versus"},
    {"+mp_gamemode mutation12", "+mp_gamemode mutation12"},
    {"+mp_gamemode community5", "+mp_gamemode community5"},
    {"+sv_gametypes coop,realism,survival", "+sv_gametypes coop,realism,survival"},
    {"+exec pug_settings", "+exec pug_settings"},
    {"+exec pug.cfg", "+exec pug.cfg"},
    {"+fps_max 0 -nomaster -nowatchdog -insecure -condebug",
     "+fps_max 0 -nomaster -nowatchdog -insecure -condebug"},
    {"+sv_visiblemaxplayers -1 +log on +sv_consistency 0 +sv_hibernate_when_empty 1",
     "+sv_visiblemaxplayers -1 +log on +sv_consistency 0 +sv_hibernate_when_empty 1"},
};

START_TEST(test_good)
{
	const struct good_case *c = &good[_i];
	char err[512] = "", *canon = NULL;

	ck_assert_msg(launch_args_normalize(c->text, &canon, err, sizeof(err)) == 0,
		      "'%s' should be accepted: %s", c->text, err);
	ck_assert_str_eq(canon, c->canon);
	free(canon);
}
END_TEST

struct bad_case {
	const char *text, *why; /* why: the whole message */
};

static const struct bad_case bad[] = {
    {"-foo", "launch_args: -foo is not an allowed option (allowed: -nohltv -nomaster"},
    {"+exec", "launch_args: +exec needs a value (a cfg name"},
    {"+sv_pure 3", "launch_args: +sv_pure: '3' is not -1..2"},
    {"+sv_pure 02", "launch_args: +sv_pure: '02' is not -1..2"},
    {"+sv_pure", "launch_args: +sv_pure needs a value (-1..2)"},
    {"+sv_pure -nohltv", "launch_args: +sv_pure needs a value (-1..2)"},
    {"+sv_pure +sv_lan 1", "launch_args: +sv_pure needs a value (-1..2)"},
    {"+sv_lan 2", "launch_args: +sv_lan: '2' is not 0 or 1"},
    {"+sv_region 8", "launch_args: +sv_region: '8' is not 0..7 or 255"},
    {"+mp_gamemode deathmatch", "launch_args: +mp_gamemode: 'deathmatch' is not coop"},
    {"+mp_gamemode mutation0", "launch_args: +mp_gamemode: 'mutation0' is not coop"},
    {"+mp_gamemode mutation100", "launch_args: +mp_gamemode: 'mutation100' is not"},
    {"+sv_gametypes coop,,versus", "launch_args: +sv_gametypes: 'coop,,versus' is not"},
    {"+sv_gametypes coop,", "launch_args: +sv_gametypes: 'coop,' is not"},
    {"+exec ../../etc/passwd", "launch_args: +exec: '../../etc/passwd' is not a cfg name"},
    {"+exec a/b", "launch_args: +exec: 'a/b' is not a cfg name"},
    {"+exec .cfg", "launch_args: +exec: '.cfg' is not a cfg name"},
    {"+log maybe", "launch_args: +log: 'maybe' is not on or off"},
    {"-nohltv 1", "launch_args: '1' is not an option (options start with - or +)"},
    {"-nohltv -nohltv", "launch_args: -nohltv is given twice"},
    {"+sv_pure 1 +sv_pure 2", "launch_args: +sv_pure is given twice"},
    {"+map c2m1_highway", "launch_args: +map is not allowed here: set start_map instead"},
    {"-maxplayers 4", "launch_args: -maxplayers is not allowed here: set max_players instead"},
    {"+maxplayers 4", "launch_args: +maxplayers is not allowed here: set max_players instead"},
    {"-tickrate 100", "launch_args: -tickrate is not allowed here: set tickrate instead"},
    /* nothing that loads code, names a path, or moves the address or port */
    {"-game left4dead2", "launch_args: -game is not an allowed option"},
    {"-port 27016", "launch_args: -port is not an allowed option"},
    {"+ip 127.0.0.2", "launch_args: +ip is not an allowed option"},
    {"-ip 0.0.0.0", "launch_args: -ip is not an allowed option"},
    {"+hostport 1", "launch_args: +hostport is not an allowed option"},
    {"+tv_port 1", "launch_args: +tv_port is not an allowed option"},
    {"-debug", "launch_args: -debug is not an allowed option"},
    {"-autoupdate", "launch_args: -autoupdate is not an allowed option"},
    {"-steam_dir /tmp", "launch_args: -steam_dir is not an allowed option"},
    {"+plugin_load x", "launch_args: +plugin_load is not an allowed option"},
    {"+rcon_password x", "launch_args: +rcon_password is not an allowed option"},
    {"+con_logfile x", "launch_args: +con_logfile is not an allowed option"},
    {"-binary x", "launch_args: -binary is not an allowed option"},
    {"-nohltv\x01", "launch_args: character 0x01 not allowed"},
    {"-nohltv \xc3\xa9", "launch_args: character 0xc3 not allowed"},
};

START_TEST(test_bad)
{
	const struct bad_case *c = &bad[_i];
	char err[512] = "", *canon = NULL;

	ck_assert_msg(launch_args_normalize(c->text, &canon, err, sizeof(err)) < 0,
		      "'%s' should be refused", c->text);
	ck_assert_ptr_null(canon);
	ck_assert_msg(strncmp(err, c->why, strlen(c->why)) == 0, "'%s': got '%s', want '%s'",
		      c->text, err, c->why);
}
END_TEST

START_TEST(test_limits)
{
	char *big = malloc(LAUNCH_ARGS_MAX + 2), *many, err[512], *canon;

	memset(big, ' ', LAUNCH_ARGS_MAX + 1);
	big[LAUNCH_ARGS_MAX + 1] = '\0';
	ck_assert_int_lt(launch_args_normalize(big, &canon, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "launch_args: longer than 1024 bytes");
	free(big);
	/* 65 words in under 1024 bytes */
	many = malloc(65 * 3 + 1);
	for (int i = 0; i < 65; i++)
		memcpy(many + i * 3, "+x ", 3);
	many[65 * 3] = '\0';
	ck_assert_int_lt(launch_args_normalize(many, &canon, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "launch_args: more than 64 words");
	free(many);
}
END_TEST

START_TEST(test_split)
{
	char **argv, err[512];
	size_t argc;

	ck_assert_int_eq(launch_args_split("-nohltv +sv_pure 2", &argv, &argc, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(argc, 3);
	ck_assert_str_eq(argv[0], "-nohltv");
	ck_assert_str_eq(argv[1], "+sv_pure");
	ck_assert_str_eq(argv[2], "2");
	ck_assert_ptr_null(argv[3]);
	launch_args_free(argv);
	ck_assert_int_eq(launch_args_split("", &argv, &argc, err, sizeof(err)), 0);
	ck_assert_uint_eq(argc, 0);
	ck_assert_ptr_null(argv[0]);
	launch_args_free(argv);
}
END_TEST

struct map_case {
	const char *map;
	bool ok;
};

static const struct map_case maps[] = {
    {"c1m1_hotel", true},
    {"C5M1_Waterfront", true},
    {"x", true},
    {"a234567890123456789012345678901234567890123456789012345678901234", true},
    {"a2345678901234567890123456789012345678901234567890123456789012345", false},
    {"", false},
    {"c1m1-hotel", false},
    {"../maps", false},
    {"c1m1 hotel", false},
    {"c1m1_hotel;quit", false},
};

START_TEST(test_map)
{
	ck_assert_msg(launch_map_ok(maps[_i].map) == maps[_i].ok, "'%s' should be %s", maps[_i].map,
		      maps[_i].ok ? "accepted" : "refused");
}
END_TEST

START_TEST(test_numbers)
{
	ck_assert(!launch_max_players_ok(0));
	ck_assert(launch_max_players_ok(1));
	ck_assert(launch_max_players_ok(32));
	ck_assert(!launch_max_players_ok(33));
	ck_assert(!launch_tickrate_ok(29));
	ck_assert(launch_tickrate_ok(30));
	ck_assert(launch_tickrate_ok(128));
	ck_assert(!launch_tickrate_ok(129));
	ck_assert(!launch_map_ok(NULL));
}
END_TEST

START_TEST(test_effective)
{
	struct launch_settings none = {0}, eff;
	struct launch_settings bp = {"c2m1_highway", 4, 100, "-nohltv"};
	struct launch_settings srv = {"c5m1_waterfront", 12, 60, ""};
	struct launch_settings part = {NULL, 16, 0, NULL};

	launch_effective(&none, &none, &eff); /* nothing set: the defaults */
	ck_assert_str_eq(eff.start_map, "c1m1_hotel");
	ck_assert_int_eq(eff.max_players, 8);
	ck_assert_int_eq(eff.tickrate, 0);
	ck_assert_str_eq(eff.launch_args, "");
	launch_effective(&none, &bp, &eff); /* the server inherits everything */
	ck_assert_str_eq(eff.start_map, "c2m1_highway");
	ck_assert_int_eq(eff.max_players, 4);
	ck_assert_int_eq(eff.tickrate, 100);
	ck_assert_str_eq(eff.launch_args, "-nohltv");
	launch_effective(&srv, &bp, &eff); /* the server's own win, "" included */
	ck_assert_str_eq(eff.start_map, "c5m1_waterfront");
	ck_assert_int_eq(eff.max_players, 12);
	ck_assert_int_eq(eff.tickrate, 60);
	ck_assert_str_eq(eff.launch_args, "");
	launch_effective(&part, &bp, &eff); /* field by field */
	ck_assert_str_eq(eff.start_map, "c2m1_highway");
	ck_assert_int_eq(eff.max_players, 16);
	ck_assert_int_eq(eff.tickrate, 100);
	ck_assert_str_eq(eff.launch_args, "-nohltv");
}
END_TEST

START_TEST(test_settings_ok)
{
	struct launch_settings ok = {"c1m1_hotel", 8, 0, "-nohltv +sv_pure 2"};
	struct launch_settings inherit = {0};
	struct launch_settings bad_map = {"a-b", 8, 0, ""};
	struct launch_settings bad_max = {"x", 33, 0, ""};
	struct launch_settings bad_tick = {"x", 8, 20, ""};
	struct launch_settings not_canon = {"x", 8, 0, "-nohltv  +sv_pure 2"};
	struct launch_settings bad_args = {"x", 8, 0, "+map x"};

	ck_assert(launch_settings_ok(&ok));
	ck_assert(launch_settings_ok(&inherit));
	ck_assert(!launch_settings_ok(&bad_map));
	ck_assert(!launch_settings_ok(&bad_max));
	ck_assert(!launch_settings_ok(&bad_tick));
	ck_assert(!launch_settings_ok(&not_canon));
	ck_assert(!launch_settings_ok(&bad_args));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("launch_args");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_good, 0, sizeof(good) / sizeof(good[0]));
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_split);
	tcase_add_loop_test(tc, test_map, 0, sizeof(maps) / sizeof(maps[0]));
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_effective);
	tcase_add_test(tc, test_settings_ok);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
