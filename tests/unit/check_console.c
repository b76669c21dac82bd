/* console: the command rule and the FIFO writer (console_send). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console.h"

START_TEST(test_rule)
{
	char big[CONSOLE_COMMAND_MAX + 2];
	char why[200];

	ck_assert(console_command_ok("status", 6, why, sizeof(why)));
	ck_assert(console_command_ok("say héllo \"x\"; echo", 20, why, sizeof(why)));
	ck_assert(!console_command_ok("", 0, why, sizeof(why)));
	ck_assert_str_eq(why, "a console command must not be empty");
	ck_assert(!console_command_ok("say a\nquit", 10, why, sizeof(why)));
	ck_assert_str_eq(why, "a console command must not contain control characters "
			      "(byte 0x0a at offset 5)");
	ck_assert(!console_command_ok("a\rb", 3, why, sizeof(why)));
	ck_assert(!console_command_ok("a\x7f", 2, why, sizeof(why)));
	ck_assert(!console_command_ok("a\0b", 3, why, sizeof(why)));
	ck_assert(!console_command_ok("\x1b[2J", 4, why, sizeof(why)));
	memset(big, 'a', sizeof(big));
	ck_assert(console_command_ok(big, CONSOLE_COMMAND_MAX, why, sizeof(why)));
	ck_assert(!console_command_ok(big, CONSOLE_COMMAND_MAX + 1, why, sizeof(why)));
	ck_assert_str_eq(why, "a console command is at most 512 bytes (got 513)");
	ck_assert(!console_command_ok(NULL, 0, NULL, 0));
	/* left4me owns the RCON password: no command names it, in any case
	 * or place (the launcher echoes commands into the journal) */
	ck_assert(!console_command_ok("rcon_password x", 15, why, sizeof(why)));
	ck_assert_str_eq(why, "a console command must not name rcon_password: left4me sets it; "
			      "rotate it on the server's page or with left4mectl server rcon "
			      "rotate");
	ck_assert(!console_command_ok("say hi; RCON_Password \"x\"", 26, why, sizeof(why)));
	ck_assert(!console_command_ok("alias a rcon_password", 21, why, sizeof(why)));
	ck_assert(!console_command_ok("rcon_password", 13, NULL, 0));
	ck_assert(console_command_ok("rcon_passwor x", 14, why, sizeof(why)));
	ck_assert(console_command_ok("sv_password x", 13, why, sizeof(why)));
}
END_TEST

static char state[64];
static char cdir[128];

static void setup(void)
{
	strcpy(state, "/tmp/l4m-console-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(state));
	snprintf(cdir, sizeof(cdir), "%s/console", state);
	ck_assert_int_eq(mkdir(cdir, 0750), 0);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state);
	ck_assert_int_eq(system(cmd), 0);
}

static char *fifo_path(void)
{
	static char p[160];

	snprintf(p, sizeof(p), "%s/alpha", cdir);
	return p;
}

/* What the audit log keeps of a command: the values of secret settings
 * withheld, per ';'-separated statement. */
START_TEST(test_audit_text)
{
	static const char *const c[][2] = {
	    {"status", "status"},
	    {"changelevel c1m1_hotel", "changelevel c1m1_hotel"},
	    {"rcon_password hunter2", "rcon_password (withheld)"},
	    {"RCON_PASSWORD hunter2", "RCON_PASSWORD (withheld)"},
	    {"sv_password \"a b\"", "sv_password (withheld)"},
	    {"sv_setsteamaccount ABCDEF", "sv_setsteamaccount (withheld)"},
	    {"say hi; rcon_password x;status", "say hi; rcon_password (withheld);status"},
	    {"  sv_password\tx", "  sv_password (withheld)"},
	    {"sv_password", "sv_password"}, /* asks for the value, shows none */
	    {"sm_cvar my_api_key 123", "sm_cvar my_api_key 123"},
	    {"my_api_key 123", "my_api_key (withheld)"},
	    {"", ""},
	    {";;", ";;"},
	};
	char out[CONSOLE_COMMAND_MAX + 32];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		console_audit_text(c[i][0], out, sizeof(out));
		ck_assert_msg(strcmp(out, c[i][1]) == 0, "'%s': '%s', want '%s'", c[i][0], out,
			      c[i][1]);
	}
}
END_TEST

START_TEST(test_send_to_reader)
{
	char err[256] = "", buf[64];
	int rd;
	ssize_t n;

	ck_assert_int_eq(mkfifo(fifo_path(), 0664), 0);
	rd = open(fifo_path(), O_RDWR | O_NONBLOCK);
	ck_assert_int_ge(rd, 0);
	ck_assert_int_eq(console_send(state, "alpha", "say hi", err, sizeof(err)), CONSOLE_SENT);
	ck_assert_int_eq(console_send(state, "alpha", "status", err, sizeof(err)), CONSOLE_SENT);
	n = read(rd, buf, sizeof(buf) - 1);
	ck_assert_int_eq(n, 14);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "say hi\nstatus\n");
	/* a bad command is refused before anything is opened or written */
	ck_assert_int_eq(console_send(state, "alpha", "say a\nquit", err, sizeof(err)),
			 CONSOLE_INVALID);
	ck_assert_ptr_nonnull(strstr(err, "control characters"));
	ck_assert_int_eq(read(rd, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(console_send(state, "../x", "status", err, sizeof(err)), CONSOLE_INVALID);
	close(rd);
}
END_TEST

START_TEST(test_not_running)
{
	char err[256] = "", other[200];

	/* no FIFO at all (never started) */
	ck_assert_int_eq(console_send(state, "alpha", "status", err, sizeof(err)),
			 CONSOLE_NOT_RUNNING);
	ck_assert_str_eq(err, "server alpha is not running (its console has no reader)");
	/* no console dir at all */
	snprintf(other, sizeof(other), "rmdir '%s'", cdir);
	ck_assert_int_eq(system(other), 0);
	ck_assert_int_eq(console_send(state, "alpha", "status", err, sizeof(err)),
			 CONSOLE_NOT_RUNNING);
	ck_assert_int_eq(mkdir(cdir, 0750), 0);
	/* a FIFO nobody reads: ENXIO at once, no hang */
	ck_assert_int_eq(mkfifo(fifo_path(), 0664), 0);
	ck_assert_int_eq(console_send(state, "alpha", "status", err, sizeof(err)),
			 CONSOLE_NOT_RUNNING);
}
END_TEST

START_TEST(test_refused_shapes)
{
	char err[256] = "", other[160], alt[160];
	int fd;

	/* a regular file in the FIFO's place */
	fd = open(fifo_path(), O_CREAT | O_WRONLY, 0664);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(console_send(state, "alpha", "status", err, sizeof(err)), CONSOLE_ERROR);
	ck_assert_ptr_nonnull(strstr(err, "is not a FIFO"));
	/* a symlink in the FIFO's place, to a FIFO with a reader */
	ck_assert_int_eq(unlink(fifo_path()), 0);
	snprintf(other, sizeof(other), "%s/elsewhere", state);
	ck_assert_int_eq(mkfifo(other, 0664), 0);
	fd = open(other, O_RDWR | O_NONBLOCK);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(symlink(other, fifo_path()), 0);
	ck_assert_int_eq(console_send(state, "alpha", "status", err, sizeof(err)), CONSOLE_ERROR);
	/* a symlinked console dir */
	ck_assert_int_eq(unlink(fifo_path()), 0);
	ck_assert_int_eq(rename(other, fifo_path()), 0);
	snprintf(alt, sizeof(alt), "%s/console-real", state);
	ck_assert_int_eq(rename(cdir, alt), 0);
	ck_assert_int_eq(symlink(alt, cdir), 0);
	ck_assert_int_eq(console_send(state, "alpha", "status", err, sizeof(err)), CONSOLE_ERROR);
	close(fd);
}
END_TEST

START_TEST(test_full_fifo)
{
	char err[256] = "", line[CONSOLE_COMMAND_MAX + 1];
	int rd, i, busy = 0;

	ck_assert_int_eq(mkfifo(fifo_path(), 0664), 0);
	rd = open(fifo_path(), O_RDWR | O_NONBLOCK);
	ck_assert_int_ge(rd, 0);
	memset(line, 'x', CONSOLE_COMMAND_MAX);
	line[CONSOLE_COMMAND_MAX] = '\0';
	/* 64 KiB pipe: about 128 lines fit; the rest get BUSY, never block */
	for (i = 0; i < 400; i++) {
		enum console_send_result r = console_send(state, "alpha", line, err, sizeof(err));
		ck_assert(r == CONSOLE_SENT || r == CONSOLE_BUSY);
		busy += r == CONSOLE_BUSY;
	}
	ck_assert_int_gt(busy, 0);
	ck_assert_ptr_nonnull(strstr(err, "is full"));
	close(rd);
}
END_TEST

START_TEST(test_reader_gone_no_sigpipe)
{
	char err[256] = "";
	int rd;

	/* With SIGPIPE at its default, a FIFO whose reader has gone is "not
	 * running", and the caller lives on. */
	signal(SIGPIPE, SIG_DFL);
	ck_assert_int_eq(mkfifo(fifo_path(), 0664), 0);
	rd = open(fifo_path(), O_RDONLY | O_NONBLOCK);
	ck_assert_int_ge(rd, 0);
	ck_assert_int_eq(console_send(state, "alpha", "status", err, sizeof(err)), CONSOLE_SENT);
	close(rd);
	ck_assert_int_eq(console_send(state, "alpha", "status", err, sizeof(err)),
			 CONSOLE_NOT_RUNNING);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("console");
	TCase *tc = tcase_create("rule");
	TCase *tf = tcase_create("fifo");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_rule);
	tcase_add_test(tc, test_audit_text);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tf, setup, teardown);
	tcase_add_test(tf, test_send_to_reader);
	tcase_add_test(tf, test_not_running);
	tcase_add_test(tf, test_refused_shapes);
	tcase_add_test(tf, test_full_fifo);
	tcase_add_test(tf, test_reader_gone_no_sigpipe);
	suite_add_tcase(s, tf);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
