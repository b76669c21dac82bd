/* left4me-worker/spawn.c: line splitting ('\n', '\r', "\r\n", long lines),
 * stdout/stderr capture, the pty, timeouts, stop requests, exec failure. */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../../left4me-worker/spawn.h"
#include "strbuf.h"
#include "testutil.h"
#include "timeutil.h"

static void collect(void *ctx, const char *line)
{
	struct strbuf *sb = ctx;

	strbuf_printf(sb, "[%s]", line);
}

static const struct {
	const char *in;
	const char *out;
} split_cases[] = {
    {"a\nb\n", "[a][b]"},
    {"a\r\nb\r\n", "[a][b]"},
    {"p 1\rp 2\rp 3\n", "[p 1][p 2][p 3]"},
    {"a\n\nb", "[a][][b]"},
    {"\r\r\rx\r", "[x]"},
    {"tail", "[tail]"},
    {"", ""},
};

START_TEST(split)
{
	struct line_splitter ls = {0};
	struct strbuf sb;
	const char *in = split_cases[_i].in;

	strbuf_init(&sb);
	/* byte by byte: the splitter keeps state across reads */
	for (size_t i = 0; in[i]; i++)
		line_splitter_feed(&ls, in + i, 1, collect, &sb);
	line_splitter_flush(&ls, collect, &sb);
	ck_assert_str_eq(sb.buf, split_cases[_i].out);
	strbuf_fini(&sb);
}
END_TEST

START_TEST(split_long_line)
{
	struct line_splitter ls = {0};
	struct strbuf sb;
	size_t n = SPAWN_LINE_MAX + 10;
	char *big = malloc(n + 1);

	memset(big, 'x', n);
	big[n] = '\n';
	strbuf_init(&sb);
	line_splitter_feed(&ls, big, n + 1, collect, &sb);
	ck_assert_uint_eq(sb.len, n + 4); /* two pieces, each in [] */
	strbuf_fini(&sb);
	free(big);
}
END_TEST

struct capture {
	struct strbuf out;
	int ticks;
	volatile sig_atomic_t *stop_on_ready; /* set when a line "ready" comes */
};

static void on_line(void *ctx, enum job_stream s, const char *line)
{
	struct capture *c = ctx;

	strbuf_printf(&c->out, "%s:%s;", s == STREAM_STDERR ? "err" : "out", line);
	if (c->stop_on_ready && strcmp(line, "ready") == 0)
		*c->stop_on_ready = 1;
}

static bool on_tick(void *ctx)
{
	((struct capture *)ctx)->ticks++;
	return true;
}

static void run(char *const *argv, bool pty, int timeout, volatile sig_atomic_t *stop,
		struct capture *c, struct spawn_result *res)
{
	struct spawn_opts o = {.argv = argv,
			       .pty = pty,
			       .timeout_s = timeout,
			       .tick_ms = 100,
			       .on_line = on_line,
			       .on_tick = on_tick,
			       .stop = stop,
			       .ctx = c};

	strbuf_init(&c->out);
	c->ticks = 0;
	if (!stop)
		c->stop_on_ready = NULL;
	ck_assert_int_eq(spawn_run(&o, res), 0);
}

START_TEST(pipes_and_exit)
{
	char *argv[] = {(char *)"/bin/sh", (char *)"-c",
			(char *)"echo one; echo two >&2; [ -t 1 ] || echo notty; exit 3", NULL};
	struct spawn_result res;
	struct capture c;

	run(argv, false, 10, NULL, &c, &res);
	ck_assert_int_eq(res.end, SPAWN_EXITED);
	ck_assert_int_eq(res.exit_code, 3);
	ck_assert_msg(strstr(c.out.buf, "out:one;") && strstr(c.out.buf, "err:two;") &&
			  strstr(c.out.buf, "out:notty;"),
		      "%s", c.out.buf);
	strbuf_fini(&c.out);
}
END_TEST

START_TEST(pty)
{
	char *argv[] = {(char *)"/bin/sh", (char *)"-c",
			(char *)"[ -t 1 ] && echo tty; printf 'a\\rb\\r\\n'; echo e >&2", NULL};
	struct spawn_result res;
	struct capture c;

	run(argv, true, 10, NULL, &c, &res);
	ck_assert_int_eq(res.end, SPAWN_EXITED);
	ck_assert_int_eq(res.exit_code, 0);
	ck_assert_str_eq(c.out.buf, "out:tty;out:a;out:b;out:e;");
	strbuf_fini(&c.out);
}
END_TEST

START_TEST(timeout_kills_group)
{
	char *argv[] = {(char *)"/bin/sh", (char *)"-c", (char *)"sleep 30 & sleep 30", NULL};
	struct spawn_result res;
	struct capture c;
	int64_t t0 = mono_ms();

	run(argv, false, 1, NULL, &c, &res);
	ck_assert_int_eq(res.end, SPAWN_TIMED_OUT);
	ck_assert_int_lt(mono_ms() - t0, 3000);
	ck_assert_int_ge(c.ticks, 5);
	strbuf_fini(&c.out);
}
END_TEST

START_TEST(term_ignored_then_kill)
{
	char *argv[] = {(char *)"/bin/sh", (char *)"-c",
			(char *)"trap '' TERM; echo ready; while :; do sleep 0.1; done", NULL};
	volatile sig_atomic_t stop = 0;
	struct spawn_result res;
	struct capture c = {.stop_on_ready = &stop};
	int64_t t0 = mono_ms();

	run(argv, false, 0, &stop, &c, &res);
	ck_assert_int_eq(res.end, SPAWN_STOPPED);
	ck_assert_int_ge(mono_ms() - t0, SPAWN_KILL_GRACE_S * 1000 - 100);
	ck_assert_int_lt(mono_ms() - t0, SPAWN_KILL_GRACE_S * 1000 + 2000);
	strbuf_fini(&c.out);
}
END_TEST

START_TEST(exec_failure)
{
	char *argv[] = {(char *)"/nonexistent/prog", NULL};
	struct spawn_result res;
	struct capture c;

	run(argv, false, 10, NULL, &c, &res);
	ck_assert_int_eq(res.end, SPAWN_EXEC_FAILED);
	ck_assert_int_eq(res.err, ENOENT);
	strbuf_fini(&c.out);
	run(argv, true, 10, NULL, &c, &res);
	ck_assert_int_eq(res.end, SPAWN_EXEC_FAILED);
	strbuf_fini(&c.out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("worker_spawn");
	TCase *tc = tcase_create("spawn");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, split, 0, (int)(sizeof(split_cases) / sizeof(split_cases[0])));
	tcase_add_test(tc, split_long_line);
	tcase_add_test(tc, pipes_and_exit);
	tcase_add_test(tc, pty);
	tcase_add_test(tc, timeout_kills_group);
	tcase_add_test(tc, term_ignored_then_kill);
	tcase_add_test(tc, exec_failure);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
