/* strbuf and log_escape. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "strbuf.h"
#include "testutil.h"

START_TEST(test_append_grow)
{
	struct strbuf sb;
	int i;

	strbuf_init(&sb);
	ck_assert_str_eq(sb.buf, "");
	for (i = 0; i < 1000; i++)
		strbuf_puts(&sb, "abc");
	ck_assert_uint_eq(sb.len, 3000);
	ck_assert_uint_eq(strlen(sb.buf), 3000);
	strbuf_reset(&sb);
	ck_assert_str_eq(sb.buf, "");
	strbuf_printf(&sb, "%d-%s", 42, "x");
	strbuf_putc(&sb, '!');
	ck_assert_str_eq(sb.buf, "42-x!");
	strbuf_fini(&sb);
}
END_TEST

START_TEST(test_printf_large)
{
	struct strbuf sb;
	char big[5000];
	char *p;

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	strbuf_init(&sb);
	strbuf_puts(&sb, "<");
	strbuf_printf(&sb, "%s>", big);
	ck_assert_uint_eq(sb.len, 5000 + 1);
	ck_assert(sb.buf[0] == '<' && sb.buf[5000] == '>');
	p = strbuf_detach(&sb);
	ck_assert_str_eq(sb.buf, "");
	ck_assert_uint_eq(strlen(p), 5001);
	free(p);
	strbuf_fini(&sb);
}
END_TEST

struct ecase {
	const char *in;
	size_t size;
	const char *want;
};

static const struct ecase escape_cases[] = {
    {"plain", 64, "plain"},
    {"a\nb", 64, "a\\x0ab"},
    {"tab\t", 64, "tab\\x09"},
    {"back\\slash", 64, "back\\x5cslash"},
    {"caf\xc3\xa9", 64, "caf\\xc3\\xa9"},
    {"\x1b[31mred", 64, "\\x1b[31mred"},
    {"abcdefghij", 8, "abcd..."},
    {"abcdefg", 8, "abcdefg"},
    {"abc", 5, "abc"},
};

START_TEST(test_escape)
{
	const struct ecase *c = &escape_cases[_i];
	char buf[64];

	log_escape(buf, c->size, c->in, strlen(c->in));
	ck_assert_str_eq(buf, c->want);
	ck_assert_uint_lt(strlen(buf), c->size);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("strbuf");
	TCase *tc = tcase_create("strbuf");

	tcase_add_test(tc, test_append_grow);
	tcase_add_test(tc, test_printf_large);
	tcase_add_loop_test(tc, test_escape, 0,
			    (int)(sizeof(escape_cases) / sizeof(escape_cases[0])));
	suite_add_tcase(s, tc);
	return tu_main(s);
}
