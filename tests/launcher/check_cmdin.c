/* cmdin: console input lines of left4me-launcher (cmdin.h).  Table of FIFO
 * contents, fed whole and one byte at a time, against the commands
 * accepted and the rules named for the dropped ones. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cmdin.h"
#include "strbuf.h"
#include "testutil.h"

struct seen {
	struct strbuf ok, bad;
};

static void accept_cmd(void *ctx, const char *cmd, size_t len)
{
	struct seen *s = ctx;

	strbuf_append(&s->ok, cmd, len);
	strbuf_putc(&s->ok, '|');
}

static void reject_cmd(void *ctx, const char *why)
{
	struct seen *s = ctx;

	strbuf_puts(&s->bad, why);
	strbuf_putc(&s->bad, '|');
}

static const struct {
	const char *in;
	size_t len; /* 0: strlen */
	const char *ok;
	const char *bad;
} cases[] = {
    {"status\n", 0, "status|", ""},
    {"say hi\nstatus\n", 0, "say hi|status|", ""},
    {"say h\xc3\xa9llo \"x\"; quit\n", 0, "say h\xc3\xa9llo \"x\"; quit|", ""},
    {"\n", 0, "", "a console command must not be empty|"},
    {"say a\rb\n", 0, "",
     "a console command must not contain control characters (byte 0x0d at offset 5)|"},
    {"say \x1b[2J\nok\n", 0, "ok|",
     "a console command must not contain control characters (byte 0x1b at offset 4)|"},
    {"a\x7f\n", 0, "",
     "a console command must not contain control characters (byte 0x7f at offset 1)|"},
    {"say \0x\nok\n", 10, "ok|",
     "a console command must not contain control characters (byte 0x00 at offset 4)|"},
    {"unterminated", 0, "", ""},
};

static void run_case(int i, bool whole, struct seen *s, struct cmdin *c)
{
	size_t n = cases[i].len ? cases[i].len : strlen(cases[i].in);

	if (whole) {
		cmdin_feed(c, cases[i].in, n, accept_cmd, reject_cmd, s);
		return;
	}
	for (size_t k = 0; k < n; k++)
		cmdin_feed(c, cases[i].in + k, 1, accept_cmd, reject_cmd, s);
}

START_TEST(test_table)
{
	for (int whole = 0; whole < 2; whole++) {
		struct cmdin c;
		struct seen s;

		cmdin_init(&c);
		strbuf_init(&s.ok);
		strbuf_init(&s.bad);
		run_case(_i, whole, &s, &c);
		ck_assert_msg(strcmp(s.ok.buf, cases[_i].ok) == 0, "case %d: accepted \"%s\"", _i,
			      s.ok.buf);
		ck_assert_msg(strcmp(s.bad.buf, cases[_i].bad) == 0, "case %d: dropped \"%s\"", _i,
			      s.bad.buf);
		ck_assert(cmdin_discard(&c) == (strcmp(cases[_i].in, "unterminated") == 0));
		ck_assert(!cmdin_discard(&c));
		strbuf_fini(&s.ok);
		strbuf_fini(&s.bad);
	}
}
END_TEST

/* 512 bytes pass; 513 and 100,000 are dropped whole, named with their
 * real length, and the next line is read normally. */
START_TEST(test_length)
{
	char *in = malloc(100002);
	struct cmdin c;
	struct seen s;

	cmdin_init(&c);
	strbuf_init(&s.ok);
	strbuf_init(&s.bad);
	memset(in, 'a', CONSOLE_COMMAND_MAX);
	in[CONSOLE_COMMAND_MAX] = '\n';
	cmdin_feed(&c, in, CONSOLE_COMMAND_MAX + 1, accept_cmd, reject_cmd, &s);
	ck_assert_uint_eq(s.ok.len, CONSOLE_COMMAND_MAX + 1);
	ck_assert_uint_eq(s.bad.len, 0);
	memset(in, 'b', 513);
	in[513] = '\n';
	cmdin_feed(&c, in, 514, accept_cmd, reject_cmd, &s);
	memset(in, 'c', 100000);
	in[100000] = '\n';
	cmdin_feed(&c, in, 100001, accept_cmd, reject_cmd, &s);
	cmdin_feed(&c, "say ok\n", 7, accept_cmd, reject_cmd, &s);
	ck_assert_str_eq(s.bad.buf, "a console command is at most 512 bytes (got 513)|"
				    "a console command is at most 512 bytes (got 100000)|");
	ck_assert_str_eq(s.ok.buf + CONSOLE_COMMAND_MAX + 1, "say ok|");
	/* an over-long unterminated line counts for discard */
	cmdin_feed(&c, in, 100000, accept_cmd, reject_cmd, &s);
	ck_assert(cmdin_discard(&c));
	cmdin_feed(&c, "status\n", 7, accept_cmd, reject_cmd, &s);
	ck_assert_str_eq(s.ok.buf + CONSOLE_COMMAND_MAX + 1, "say ok|status|");
	strbuf_fini(&s.ok);
	strbuf_fini(&s.bad);
	free(in);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cmdin");
	TCase *tc = tcase_create("cmdin");

	tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_length);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
