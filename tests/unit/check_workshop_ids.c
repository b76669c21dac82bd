/* workshop_ids.c: what people type as Workshop ids (issue 15).  Every
 * accepted shape, every refusal with its message, and the list parser's
 * separators, duplicates and fetcher.workshop.max_ids bound. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "workshop_ids.h"

static const struct {
	const char *in;
	int64_t id;	 /* 0: refused */
	const char *why; /* a part of the refusal's message */
} cases[] = {
    {"123", 123, NULL},
    {"2503220021", 2503220021LL, NULL},
    {"9007199254740992", 9007199254740992LL, NULL}, /* 2^53 */
    {"https://steamcommunity.com/sharedfiles/filedetails/?id=123", 123, NULL},
    {"http://steamcommunity.com/sharedfiles/filedetails/?id=123", 123, NULL},
    {"https://www.steamcommunity.com/sharedfiles/filedetails/?id=123", 123, NULL},
    {"HTTPS://SteamCommunity.com/sharedfiles/filedetails/?id=123", 123, NULL},
    {"https://steamcommunity.com/sharedfiles/filedetails?id=123", 123, NULL},
    {"https://steamcommunity.com/workshop/filedetails/?id=456", 456, NULL},
    {"https://steamcommunity.com/sharedfiles/filedetails/?id=123&searchtext=", 123, NULL},
    {"https://steamcommunity.com/sharedfiles/filedetails/?id=123&searchtext=c2m1", 123, NULL},
    {"https://steamcommunity.com/sharedfiles/filedetails/?searchtext=x&id=77", 77, NULL},
    {"https://steamcommunity.com/sharedfiles/filedetails/?id=123#comments", 123, NULL},
    {"", 0, "empty"},
    {"0", 0, "not a Workshop id"},
    {"0123", 0, "no leading zero"},
    {"12a", 0, "not a Workshop id"},
    {"-5", 0, "not a number"},
    {"+5", 0, "not a number"},
    {"9007199254740993", 0, "not a Workshop id"}, /* 2^53 + 1 */
    {"99999999999999999999999", 0, "not a Workshop id"},
    {"ftp://steamcommunity.com/sharedfiles/filedetails/?id=1", 0, "not a number or"},
    {"steamcommunity.com/sharedfiles/filedetails/?id=1", 0, "not a number or"},
    {"https://evil.com/sharedfiles/filedetails/?id=1", 0, "not a steamcommunity.com URL"},
    {"https://steamcommunity.com.evil.com/sharedfiles/filedetails/?id=1", 0,
     "not a steamcommunity.com URL"},
    {"https://user@steamcommunity.com/sharedfiles/filedetails/?id=1", 0,
     "not a steamcommunity.com URL"},
    {"https://steamcommunity.com:8080/sharedfiles/filedetails/?id=1", 0,
     "not a steamcommunity.com URL"},
    {"https://steamcommunity.com/id/someone/?id=1", 0, "not a Workshop item's page"},
    {"https://steamcommunity.com/sharedfiles/filedetailsX/?id=1", 0, "no ?id="},
    {"https://steamcommunity.com/sharedfiles/filedetails/", 0, "no ?id="},
    {"https://steamcommunity.com/sharedfiles/filedetails/?x=1", 0, "has no id="},
    {"https://steamcommunity.com/sharedfiles/filedetails/?id=", 0, "id= is not"},
    {"https://steamcommunity.com/sharedfiles/filedetails/?id=1x", 0, "id= is not"},
    {"https://steamcommunity.com/sharedfiles/filedetails/?id=1&id=2", 0, "more than one id="},
    {"https://steamcommunity.com/sharedfiles/filedetails/?uid=1", 0, "has no id="},
};

START_TEST(test_parse_one)
{
	const char *in = cases[_i].in;
	char err[512] = "";
	int64_t id = -1;
	int rc = workshop_id_parse(in, strlen(in), &id, err, sizeof(err));

	if (cases[_i].id) {
		ck_assert_msg(rc == 0, "%s: %s", in, err);
		ck_assert_int_eq(id, cases[_i].id);
	} else {
		ck_assert_msg(rc == -1, "%s accepted as %lld", in, (long long)id);
		ck_assert_msg(strstr(err, cases[_i].why), "%s: message '%s' lacks '%s'", in, err,
			      cases[_i].why);
		ck_assert_msg(strstr(err, "expected a Workshop id"), "%s: %s", in, err);
	}
}
END_TEST

START_TEST(test_parse_bounds)
{
	char err[512], *big = malloc(WORKSHOP_ENTRY_MAX + 2);
	int64_t id;

	/* a NUL inside the entry is refused, not cut */
	ck_assert_int_eq(workshop_id_parse("12\0"
					   "3",
					   4, &id, err, sizeof(err)),
			 -1);
	ck_assert(strstr(err, "NUL"));
	memset(big, '1', WORKSHOP_ENTRY_MAX + 1);
	ck_assert_int_eq(workshop_id_parse(big, WORKSHOP_ENTRY_MAX + 1, &id, err, sizeof(err)), -1);
	ck_assert(strstr(err, "too long"));
	/* the message escapes what it quotes */
	ck_assert_int_eq(workshop_id_parse("a\x1b[2J", 5, &id, err, sizeof(err)), -1);
	ck_assert_ptr_null(strchr(err, '\x1b'));
	free(big);
}
END_TEST

START_TEST(test_parse_list)
{
	char err[512];
	int64_t *ids;
	size_t n;

	ck_assert_int_eq(
	    workshop_ids_parse_list(
		" 5,https://steamcommunity.com/sharedfiles/filedetails/?id=7\n\r\t9 ,, 5 "
		"http://www.steamcommunity.com/workshop/filedetails/?id=7&searchtext=",
		10, &ids, &n, err, sizeof(err)),
	    0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(ids[0], 5);
	ck_assert_int_eq(ids[1], 7);
	ck_assert_int_eq(ids[2], 9);
	free(ids);
	ck_assert_int_eq(workshop_ids_parse_list(" \n,", 10, &ids, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(ids);
	/* the first bad entry is named */
	ck_assert_int_eq(workshop_ids_parse_list("1 2 https://example.com/?id=3 x", 10, &ids, &n,
						 err, sizeof(err)),
			 -1);
	ck_assert_msg(strstr(err, "entry 3: ") && strstr(err, "example.com"), "%s", err);
	ck_assert_ptr_null(ids);
	/* max counts distinct ids: 3 of them with duplicates fit in 3 */
	ck_assert_int_eq(workshop_ids_parse_list("1 2 1 3 2", 3, &ids, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 3);
	free(ids);
	ck_assert_int_eq(workshop_ids_parse_list("1 2 3 4", 3, &ids, &n, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "more than 3") && strstr(err, "fetcher.workshop.max_ids"), "%s",
		      err);
}
END_TEST

START_TEST(test_parse_list_large)
{
	/* 1000 distinct ids in reverse order, each twice */
	size_t cap = 2000 * 12 + 1, len = 0;
	char err[512], *text = malloc(cap);
	int64_t *ids;
	size_t n;

	for (int r = 0; r < 2; r++)
		for (int i = 1000; i >= 1; i--)
			len += (size_t)snprintf(text + len, cap - len, "%d ", i);
	ck_assert_int_eq(workshop_ids_parse_list(text, 1000, &ids, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 1000);
	ck_assert_int_eq(ids[0], 1000);
	ck_assert_int_eq(ids[999], 1);
	free(ids);
	free(text);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("workshop_ids");
	TCase *tc = tcase_create("ids");

	tcase_add_loop_test(tc, test_parse_one, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_parse_bounds);
	tcase_add_test(tc, test_parse_list);
	tcase_add_test(tc, test_parse_list_large);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
