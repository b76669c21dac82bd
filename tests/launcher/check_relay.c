/* relay: the console output filter of left4me-launcher (relay.h).  Table:
 * input bytes, fed whole and then one byte at a time (a sequence split
 * across reads must be handled the same), against the lines emitted. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"
#include "strbuf.h"
#include "testutil.h"

/* Lines joined with '|' so a table row is one string. */
static void collect(void *ctx, const char *line, size_t len)
{
	struct strbuf *sb = ctx;

	strbuf_append(sb, line, len);
	strbuf_putc(sb, '|');
}

static const struct {
	const char *in;
	const char *lines; /* emitted, each followed by '|' */
	const char *rest;  /* the partial line relay_flush emits */
} cases[] = {
    {"plain\n", "plain|", ""},
    {"a\nb\n", "a|b|", ""},
    {"\n\n", "||", ""},
    {"crlf\r\n", "crlf|", ""},
    {"double\r\r\n", "double|", ""},
    {"car\rriage\n", "carriage|", ""},
    {"tab\tkept\n", "tab\tkept|", ""},
    {"bell\a back\bspace del\x7f\n", "bell backspace del|", ""},
    {"\x1b[1;31mred\x1b[0m\n", "red|", ""},
    {"\x1b[38;5;208morange\x1b[m\n", "orange|", ""},
    {"\x1b[?25lcursor\x1b[?25h\n", "cursor|", ""},
    {"\x1b[2J\x1b[Hclear\n", "clear|", ""},
    {"\x1b]0;title\aafter osc\n", "after osc|", ""},
    {"\x1b]0;title\x1b\\after st\n", "after st|", ""},
    {"\x1bPdcs data\x1b\\after dcs\n", "after dcs|", ""},
    {"\x1b_apc\x07x\n", "x|", ""},
    {"\x1b"
     "7save\x1b"
     "8\n",
     "save|", ""},
    {"\x1b(Bcharset\n", "charset|", ""},
    {"\x1b#8dec\n", "dec|", ""},
    /* an escape cut short by a line end: the line still ends */
    {"csi \x1b[12\nnext\n", "csi |next|", ""},
    {"osc \x1b]0;never ends\nnext\n", "osc |next|", ""},
    {"esc \x1b\nnext\n", "esc |next|", ""},
    {"esc-esc \x1b\x1b[1mbold\n", "esc-esc bold|", ""},
    {"str-esc \x1b]x\x1b[1mbold\n", "str-esc bold|", ""},
    {"<0>forged\n", "<0>forged|", ""},
    {"h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac\n", "h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac|", ""},
    {"prompt> ", "", "prompt> "},
    {"one\ntwo", "one|", "two"},
    {"\x1b[1mbold pending", "", "bold pending"},
};

START_TEST(test_table)
{
	for (int whole = 0; whole < 2; whole++) {
		struct relay r;
		struct strbuf out, rest;
		size_t n = strlen(cases[_i].in);

		relay_init(&r);
		strbuf_init(&out);
		strbuf_init(&rest);
		if (whole) {
			relay_feed(&r, cases[_i].in, n, collect, &out);
		} else {
			for (size_t k = 0; k < n; k++)
				relay_feed(&r, cases[_i].in + k, 1, collect, &out);
		}
		ck_assert_msg(strcmp(out.buf, cases[_i].lines) == 0, "case %d (%s): got \"%s\"", _i,
			      whole ? "whole" : "bytewise", out.buf);
		ck_assert(relay_pending(&r) == (cases[_i].rest[0] != '\0'));
		relay_flush(&r, collect, &rest);
		if (cases[_i].rest[0]) {
			ck_assert_uint_eq(rest.len, strlen(cases[_i].rest) + 1);
			ck_assert(memcmp(rest.buf, cases[_i].rest, rest.len - 1) == 0);
		} else {
			ck_assert_uint_eq(rest.len, 0);
		}
		ck_assert(!relay_pending(&r));
		strbuf_fini(&out);
		strbuf_fini(&rest);
	}
}
END_TEST

/* Lines over RELAY_LINE_MAX are cut at the cap, never inside a UTF-8
 * character, and nothing is lost. */
START_TEST(test_cap)
{
	struct relay r;
	struct strbuf out;
	char *in = malloc(3 * RELAY_LINE_MAX);
	size_t n;

	relay_init(&r);
	strbuf_init(&out);
	memset(in, 'x', 5000);
	in[5000] = '\n';
	relay_feed(&r, in, 5001, collect, &out);
	ck_assert_uint_eq(out.len, 5000 + 2);
	ck_assert_int_eq(out.buf[RELAY_LINE_MAX], '|');
	ck_assert_int_eq(out.buf[out.len - 1], '|');
	strbuf_reset(&out);

	/* "é" (2 bytes) straddling the cap moves whole to the next piece */
	n = RELAY_LINE_MAX - 1;
	memset(in, 'y', n);
	memcpy(in + n, "\xc3\xa9z\n", 4);
	relay_feed(&r, in, n + 4, collect, &out);
	ck_assert_uint_eq(out.len, (RELAY_LINE_MAX - 1) + 1 + 3 + 1);
	ck_assert_int_eq(out.buf[RELAY_LINE_MAX - 1], '|');
	ck_assert(memcmp(out.buf + RELAY_LINE_MAX, "\xc3\xa9z|", 4) == 0);
	strbuf_reset(&out);

	/* the same with a 4-byte character cut after 3 of its bytes */
	n = RELAY_LINE_MAX - 3;
	memset(in, 'y', n);
	memcpy(in + n, "\xf0\x9f\x98\x80!\n", 6);
	relay_feed(&r, in, n + 6, collect, &out);
	ck_assert_int_eq(out.buf[RELAY_LINE_MAX - 3], '|');
	ck_assert(memcmp(out.buf + RELAY_LINE_MAX - 2, "\xf0\x9f\x98\x80!|", 6) == 0);
	strbuf_reset(&out);

	/* a long run of escape sequences takes no room */
	for (n = 0; n + 4 <= 2 * RELAY_LINE_MAX; n += 4)
		memcpy(in + n, "\x1b[0m", 4);
	in[n++] = 'k';
	in[n++] = '\n';
	relay_feed(&r, in, n, collect, &out);
	ck_assert_str_eq(out.buf, "k|");
	strbuf_fini(&out);
	free(in);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("relay");
	TCase *tc = tcase_create("relay");

	tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_cap);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
