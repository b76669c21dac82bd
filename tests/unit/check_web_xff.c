/* The trusted-proxy grammar: netaddr.c's addresses and blocks
 * (web.trusted_proxies) and left4me-web's X-Forwarded-For reader
 * (xff.c), table-driven.  Every address is a loopback or documentation-free
 * one: 127.0.0.0/8 and ::1 spellings. */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../left4me-web/xff.h"
#include "netaddr.h"
#include "testutil.h"

static const struct {
	const char *text;
	int ok;
	const char *in, *out; /* an address inside the block, one outside */
} blocks[] = {
    {"127.0.0.1", 1, "127.0.0.1", "127.0.0.2"},
    {"127.0.0.0/8", 1, "127.255.1.2", "::1"},
    {"127.0.0.0/24", 1, "127.0.0.200", "127.0.1.1"},
    {"127.0.0.3/31", 0, NULL, NULL}, /* host bits set */
    {"127.0.0.2/31", 1, "127.0.0.3", "127.0.0.4"},
    {"127.0.0.1/8", 0, NULL, NULL},
    {"0.0.0.0/0", 1, "127.1.2.3", "::1"},
    {"::1", 1, "::1", "::2"},
    {"::/127", 1, "::1", "::2"},
    {"::ffff:127.0.0.1", 1, "127.0.0.1", "127.0.0.3"}, /* mapped: the IPv4 address */
    {"127.0.0.1/33", 0, NULL, NULL},
    {"::1/129", 0, NULL, NULL},
    {"127.0.0.0/08", 0, NULL, NULL},
    {"127.0.0.0/", 0, NULL, NULL},
    {"127.0.0.01", 0, NULL, NULL},
    {"localhost", 0, NULL, NULL},
    {"[::1]", 0, NULL, NULL},
    {"127.0.0.1 ", 0, NULL, NULL},
    {"", 0, NULL, NULL},
};

START_TEST(block_table)
{
	struct netaddr_block b;
	struct netaddr a;
	const char *why = NULL;
	int rc = netaddr_parse_block(blocks[_i].text, &b, &why);

	ck_assert_msg((rc == 0) == blocks[_i].ok, "%s: rc %d", blocks[_i].text, rc);
	if (rc < 0) {
		ck_assert_ptr_nonnull(why);
		return;
	}
	ck_assert_int_eq(netaddr_parse(blocks[_i].in, strlen(blocks[_i].in), &a), 0);
	ck_assert_msg(netaddr_in_block(&a, &b), "%s in %s", blocks[_i].in, blocks[_i].text);
	ck_assert_int_eq(netaddr_parse(blocks[_i].out, strlen(blocks[_i].out), &a), 0);
	ck_assert_msg(!netaddr_in_block(&a, &b), "%s not in %s", blocks[_i].out, blocks[_i].text);
}
END_TEST

/* Trusted: 127.0.0.1 and 127.0.1.0/24. */
static const struct {
	const char *header;
	const char *client; /* NULL: refused */
} xffs[] = {
    {"127.0.0.7", "127.0.0.7"},
    {"127.0.0.5, 127.0.0.7", "127.0.0.7"},
    {"127.0.0.5, 127.0.0.7, 127.0.1.9, 127.0.0.1", "127.0.0.7"},
    {"127.0.0.5,127.0.0.7,127.0.0.1", "127.0.0.7"},
    {" \t127.0.0.7 \t", "127.0.0.7"},
    {"garbage, 127.0.0.7", "127.0.0.7"}, /* the client's own words: never read */
    {"127.0.0.7, garbage", NULL},
    {"127.0.0.7, ", NULL},
    {"", NULL},
    {",", NULL},
    {"127.0.0.1, 127.0.1.2", "127.0.0.1"}, /* all trusted: the left-most */
    {"127.0.0.7:4711", "127.0.0.7"},
    {"127.0.0.7:65536", NULL},
    {"127.0.0.7:", NULL},
    {"[::1]", "::1"},
    {"[::1]:80", "::1"},
    {"::1", "::1"},
    {"[127.0.0.7]", NULL},
    {"[::1", NULL},
    {"[::1]x", NULL},
    {"::ffff:127.0.0.7", "127.0.0.7"},
    {"127.0.0.7 127.0.0.8", NULL},
    {"unknown", NULL},
    {"127.0.0.07", NULL},
};

START_TEST(xff_table)
{
	struct netaddr_block trusted[2];
	struct netaddr client;
	char text[NETADDR_TEXT_MAX];
	const char *h = xffs[_i].header;
	int rc;

	ck_assert_int_eq(netaddr_parse_block("127.0.0.1", &trusted[0], NULL), 0);
	ck_assert_int_eq(netaddr_parse_block("127.0.1.0/24", &trusted[1], NULL), 0);
	rc = xff_client(h, strlen(h), trusted, 2, &client);
	if (!xffs[_i].client) {
		ck_assert_msg(rc < 0, "'%s' accepted", h);
		return;
	}
	ck_assert_msg(rc == 0, "'%s' refused", h);
	netaddr_format(&client, text, sizeof(text));
	ck_assert_str_eq(text, xffs[_i].client);
}
END_TEST

START_TEST(xff_no_header)
{
	struct netaddr client;

	ck_assert_int_lt(xff_client(NULL, 0, NULL, 0, &client), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("trusted proxies");
	TCase *tc = tcase_create("xff");

	tcase_add_loop_test(tc, block_table, 0, sizeof(blocks) / sizeof(blocks[0]));
	tcase_add_loop_test(tc, xff_table, 0, sizeof(xffs) / sizeof(xffs[0]));
	tcase_add_test(tc, xff_no_header);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
