/* Accept/reject tables for every validator in libleft4me/validate.c. */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "validate.h"

struct vcase {
	const char *in;
	bool ok;
};

#define LONG64 "a123456789012345678901234567890123456789012345678901234567890123"
#define LONG65 LONG64 "4"

static const struct vcase instance_cases[] = {
    {"alpha", true},	    {"a", true},       {"0", true},	   {"srv-1_b", true},
    {LONG64, true},	    {LONG65, false},   {"", false},	   {"-alpha", false},
    {"_alpha", false},	    {"Alpha", false},  {"al pha", false},  {"al/pha", false},
    {"..", false},	    {"../etc", false}, {".hidden", false}, {"a.b", false},
    {"caf\xc3\xa9", false}, {"a\n", false},    {"a\tb", false},	   {"a;rm", false},
    {"a$b", false},
};

START_TEST(test_instance_name)
{
	const struct vcase *c = &instance_cases[_i];

	ck_assert_msg(valid_instance_name(c->in) == c->ok, "'%s' should be %s", c->in,
		      c->ok ? "accepted" : "refused");
	ck_assert_msg(valid_source_name(c->in) == c->ok, "source '%s'", c->in);
}
END_TEST

/* A new server's name: an instance name of at most 27 bytes, so that its
 * dynamic user l4m-NAME is a strict (<= 31-byte) user name. */
static const struct vcase server_cases[] = {
    {"alpha", true},
    {"a", true},
    {"evil-boundary-name-27-bytes", true},
    {"evil-boundary-name-27-bytesx", false},
    {LONG64, false},
    {"", false},
    {"Alpha", false},
    {"-a", false},
    {"a/b", false},
};

START_TEST(test_server_name)
{
	const struct vcase *c = &server_cases[_i];

	ck_assert_msg(valid_server_name(c->in) == c->ok, "'%s' should be %s", c->in,
		      c->ok ? "accepted" : "refused");
	/* every valid server name is a valid instance name */
	ck_assert(!c->ok || valid_instance_name(c->in));
}
END_TEST

static const struct vcase username_cases[] = {
    {"alice", true},
    {"a.b-c_d", true},
    {"0day", true},
    {"a1234567890123456789012345678901", true},	  /* 32 */
    {"a12345678901234567890123456789012", false}, /* 33 */
    {"", false},
    {".alice", false},
    {"-alice", false},
    {"Alice", false},
    {"al ice", false},
    {"al/ice", false},
    {"al\\ice", false},
    {"\xc3\xa9lise", false},
    {"alice\n", false},
};

START_TEST(test_username)
{
	const struct vcase *c = &username_cases[_i];

	ck_assert_msg(valid_username(c->in) == c->ok, "'%s'", c->in);
}
END_TEST

static const struct vcase id_cases[] = {
    {"1", true},
    {"42", true},
    {"9007199254740992", true},
    {"9007199254740993", false},
    {"0", false},
    {"-1", false},
    {"01", false},
    {"+1", false},
    {" 1", false},
    {"1 ", false},
    {"1a", false},
    {"", false},
    {"0x10", false},
    {"1e3", false},
    {"99999999999999999999999", false},
};

START_TEST(test_id)
{
	const struct vcase *c = &id_cases[_i];
	int64_t v = -7;

	ck_assert_msg(valid_id(c->in, &v) == c->ok, "'%s'", c->in);
	if (c->ok)
		ck_assert_int_eq(v, strtoll(c->in, NULL, 10));
	else
		ck_assert_int_eq(v, -7);
}
END_TEST

static const struct vcase port_cases[] = {
    {"1", true},      {"80", true},	 {"27015", true},   {"65535", true},
    {"65536", false}, {"0", false},	 {"-1", false},	    {"080", false},
    {"", false},      {"27015x", false}, {"2 7015", false},
};

START_TEST(test_port)
{
	const struct vcase *c = &port_cases[_i];
	int v = -1;

	ck_assert_msg(valid_port(c->in, &v) == c->ok, "'%s'", c->in);
	if (c->ok)
		ck_assert_int_eq(v, atoi(c->in));
}
END_TEST

START_TEST(test_server_port)
{
	ck_assert(valid_server_port(1024));
	ck_assert(valid_server_port(27015));
	ck_assert(valid_server_port(65535));
	ck_assert(!valid_server_port(1023));
	ck_assert(!valid_server_port(80));
	ck_assert(!valid_server_port(0));
	ck_assert(!valid_server_port(65536));
	ck_assert(!valid_server_port(-27015));
}
END_TEST

static const struct vcase display_cases[] = {
    {"Competitive maps", true},
    {"<script>alert(1)</script>", true}, /* escaped on output, not refused */
    {"caf\xc3\xa9 \xe2\x9c\x93", true},
    {"1234567890123456789012345678901234567890123456789012345678901234", true},
    {"12345678901234567890123456789012345678901234567890123456789012345", false},
    {"", false},
    {"   ", false},
    {"tab\there", false},
    {"new\nline", false},
    {"del\x7f", false},
    {"nel \xc2\x85", false},	  /* C1 control U+0085 */
    {"csi \xc2\x9b[0m", false},	  /* C1 control U+009B */
    {"nbsp\xc2\xa0ok", true},	  /* U+00A0 is not a control */
    {"bad \xc3", false},	  /* truncated sequence */
    {"overlong \xc0\xaf", false}, /* overlong '/' */
    {"surrogate \xed\xa0\x80", false},
    {"\xf4\x90\x80\x80", false}, /* > U+10FFFF */
};

START_TEST(test_display_name)
{
	const struct vcase *c = &display_cases[_i];

	ck_assert_msg(valid_display_name(c->in) == c->ok, "case %d", _i);
}
END_TEST

static const struct vcase path_cases[] = {
    {"left4dead2/addons/x.vpk", true},
    {"left4dead2/cfg/server.cfg", true},
    {"a", true},
    {"maps/my map v2.vpk", true},
    {"a/.hidden", true},
    {"a/..b", true},
    {"", false},
    {"/etc/passwd", false},
    {"..", false},
    {"../x", false},
    {"a/../b", false},
    {"a/..", false},
    {".", false},
    {"./a", false},
    {"a/./b", false},
    {"a//b", false},
    {"a/", false},
    {"a\\b", false},
    {"a\nb", false},
    {"caf\xc3\xa9.vpk", false},
    {"a\x01", false},
};

START_TEST(test_overlay_path)
{
	const struct vcase *c = &path_cases[_i];

	ck_assert_msg(valid_overlay_path(c->in) == c->ok, "'%s'", c->in);
}
END_TEST

START_TEST(test_overlay_path_lengths)
{
	char comp[300], path[1100];

	memset(comp, 'a', 255);
	comp[255] = '\0';
	ck_assert(valid_overlay_path(comp));
	comp[255] = 'a';
	comp[256] = '\0';
	ck_assert(!valid_overlay_path(comp));
	/* 1024 bytes total is the cap */
	memset(path, 'b', sizeof(path));
	for (int i = 100; i < 1024; i += 100)
		path[i] = '/';
	path[1024] = '\0';
	ck_assert(valid_overlay_path(path));
	path[1024] = 'b';
	path[1025] = '\0';
	ck_assert(!valid_overlay_path(path));
	ck_assert(!valid_overlay_path(NULL));
}
END_TEST

START_TEST(test_password)
{
	char big[1100];

	ck_assert(valid_password("12345678"));
	ck_assert(!valid_password("1234567"));
	ck_assert(!valid_password(""));
	ck_assert(!valid_password(NULL));
	memset(big, 'x', 1024);
	big[1024] = '\0';
	ck_assert(valid_password(big));
	big[1024] = 'x';
	big[1025] = '\0';
	ck_assert(!valid_password(big));
}
END_TEST

START_TEST(test_null_inputs)
{
	ck_assert(!valid_instance_name(NULL));
	ck_assert(!valid_server_name(NULL));
	ck_assert(!valid_username(NULL));
	ck_assert(!valid_id(NULL, NULL));
	ck_assert(!valid_port(NULL, NULL));
	ck_assert(!valid_display_name(NULL));
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

int main(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("tables");

	tcase_add_loop_test(tc, test_instance_name, 0, N(instance_cases));
	tcase_add_loop_test(tc, test_server_name, 0, N(server_cases));
	tcase_add_loop_test(tc, test_username, 0, N(username_cases));
	tcase_add_loop_test(tc, test_id, 0, N(id_cases));
	tcase_add_loop_test(tc, test_port, 0, N(port_cases));
	tcase_add_loop_test(tc, test_display_name, 0, N(display_cases));
	tcase_add_loop_test(tc, test_overlay_path, 0, N(path_cases));
	tcase_add_test(tc, test_server_port);
	tcase_add_test(tc, test_overlay_path_lengths);
	tcase_add_test(tc, test_password);
	tcase_add_test(tc, test_null_inputs);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
