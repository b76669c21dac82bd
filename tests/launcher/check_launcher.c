/* Integration tests of left4me-launcher: the real binary, --allow-root and
 * --state-dir on a temp state dir, with tests/launcher/fake-srcds as
 * runtime/alpha/merged/srcds_run.  The fixture exits 3 unless its stdout is
 * a terminal, so every test that sees it run also proves the pty.  Waits
 * are on conditions (the output file, the exit) with generous deadlines;
 * nothing sleeps to synchronise.  Runs as root (CI does); one test drops
 * to an unprivileged uid to run the launcher the way its unit does. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "testutil.h"
#include "timeutil.h"
#include "xalloc.h"

extern char **environ;

#define NAME	    "alpha"
#define DEADLINE_MS 20000 /* an upper bound, never a sleep */
#define NOBODY	    65534

static const char good_env[] = "# written by left4me-worker\n"
			       "L4D2_LOWERDIRS=\"/var/lib/left4me/installation\"\n"
			       "L4D2_PORT=27016\n"
			       "L4D2_MAP=c2m1_highway\n"
			       "L4D2_MAXPLAYERS=8\n";

struct fx {
	char *dir, *state, *merged, *env_path, *fifo, *marker, *out, *err, *launcher;
	pid_t pid;
};

struct start_opts {
	bool no_allow_root;
	uid_t uid;		  /* 0: stay root */
	const char *extra_env[6]; /* added to the launcher's own environment */
	const char *args[4];	  /* instead of the NAME (NULL-terminated) */
};

static void mkdir_ok(const char *p, mode_t mode)
{
	ck_assert_msg(mkdir(p, mode) == 0, "mkdir %s: %s", p, strerror(errno));
}

static void write_mode(const char *path, const char *text, mode_t mode)
{
	tu_write_file(path, text);
	ck_assert(chmod(path, mode) == 0);
}

static void fx_setup(struct fx *f)
{
	char *p, *src;

	memset(f, 0, sizeof(*f));
	f->dir = tu_mkdtemp();
	f->state = xasprintf("%s/state", f->dir);
	mkdir_ok(f->state, 0755);
	p = xasprintf("%s/instances", f->state);
	mkdir_ok(p, 0755);
	free(p);
	p = xasprintf("%s/instances/" NAME, f->state);
	mkdir_ok(p, 0755);
	free(p);
	p = xasprintf("%s/runtime", f->state);
	mkdir_ok(p, 0755);
	free(p);
	p = xasprintf("%s/runtime/" NAME, f->state);
	mkdir_ok(p, 0755);
	free(p);
	p = xasprintf("%s/console", f->state);
	mkdir_ok(p, 0755);
	free(p);
	f->merged = xasprintf("%s/runtime/" NAME "/merged", f->state);
	mkdir_ok(f->merged, 0755);
	f->env_path = xasprintf("%s/instances/" NAME "/instance.env", f->state);
	write_mode(f->env_path, good_env, 0644);
	src = tu_read_file("tests/launcher/fake-srcds");
	ck_assert_msg(src != NULL, "tests/launcher/fake-srcds missing (run from the tree's top)");
	p = xasprintf("%s/srcds_run", f->merged);
	write_mode(p, src, 0755);
	free(p);
	free(src);
	f->fifo = xasprintf("%s/console/" NAME, f->state);
	ck_assert(mkfifo(f->fifo, 0664) == 0);
	ck_assert(chmod(f->fifo, 0664) == 0); /* past the umask */
	f->marker = xasprintf("%s/ran", f->merged);
	f->out = xasprintf("%s/out", f->dir);
	f->err = xasprintf("%s/err", f->dir);
	f->launcher = tu_build_path("left4me-launcher/left4me-launcher");
	ck_assert_msg(access(f->launcher, X_OK) == 0, "%s not built", f->launcher);
	f->pid = -1;
}

static void fx_teardown(struct fx *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
	}
	tu_rmtree(f->dir);
	free(f->dir);
	free(f->state);
	free(f->merged);
	free(f->env_path);
	free(f->fifo);
	free(f->marker);
	free(f->out);
	free(f->err);
	free(f->launcher);
}

/* Start the launcher with stdout and stderr in files, stdin /dev/null.
 * Its environment is the test's (minus JOURNAL_STREAM) plus extra_env. */
static void start(struct fx *f, const struct start_opts *o)
{
	static const struct start_opts none;
	const char *argv[12];
	char **envp;
	size_t n = 0, ne = 0, i;

	if (!o)
		o = &none;
	argv[n++] = f->launcher;
	if (!o->no_allow_root)
		argv[n++] = "--allow-root";
	argv[n++] = "--state-dir";
	argv[n++] = f->state;
	if (o->args[0])
		for (i = 0; o->args[i]; i++)
			argv[n++] = o->args[i];
	else
		argv[n++] = NAME;
	argv[n] = NULL;
	while (environ[ne])
		ne++;
	envp = xcalloc(ne + 8, sizeof(*envp));
	n = 0;
	for (i = 0; o->extra_env[i]; i++)
		envp[n++] = (char *)o->extra_env[i];
	for (i = 0; i < ne; i++)
		if (strncmp(environ[i], "JOURNAL_STREAM=", 15) != 0)
			envp[n++] = environ[i];
	envp[n] = NULL;

	f->pid = fork();
	ck_assert(f->pid >= 0);
	if (f->pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(f->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int err = open(f->err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
		    dup2(err, 2) < 0)
			_exit(120);
		signal(SIGPIPE, SIG_DFL);
		if (o->uid && (setgroups(0, NULL) < 0 || setresgid(o->uid, o->uid, o->uid) < 0 ||
			       setresuid(o->uid, o->uid, o->uid) < 0))
			_exit(121);
		execve(f->launcher, (char *const *)argv, envp);
		_exit(122);
	}
	free(envp);
}

/* Wait for the launcher to exit; its exit code, or 128+signal. */
static int finish(struct fx *f)
{
	int64_t until = mono_ms() + DEADLINE_MS;
	const struct timespec tick = {0, 10 * 1000 * 1000};
	char *err;
	int status;
	pid_t p;

	while ((p = waitpid(f->pid, &status, WNOHANG)) == 0 && mono_ms() < until)
		nanosleep(&tick, NULL);
	ck_assert_msg(p == f->pid, "the launcher did not exit within %d ms", DEADLINE_MS);
	f->pid = -1;
	/* Under ASan/UBSan a report must fail the test even when the exit
	 * code happens to be the one expected. */
	err = tu_read_file(f->err);
	ck_assert_msg(!err || (!strstr(err, "Sanitizer") && !strstr(err, "runtime error:")),
		      "sanitizer report:\n%s", err);
	free(err);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char *slurp(const char *path)
{
	char *s = tu_read_file(path);

	return s ? s : xstrdup("");
}

/* True once the file holds needle; polls until the deadline. */
static bool wait_for(const char *path, const char *needle)
{
	int64_t until = mono_ms() + DEADLINE_MS;
	const struct timespec tick = {0, 10 * 1000 * 1000};

	for (;;) {
		char *s = slurp(path);
		bool found = strstr(s, needle) != NULL;

		free(s);
		if (found)
			return true;
		if (mono_ms() >= until)
			return false;
		nanosleep(&tick, NULL);
	}
}

/* Offset of the whole line `line` in text, or -1. */
static long line_at(const char *text, const char *line)
{
	size_t ll = strlen(line);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, line, ll) == 0 && (p[ll] == '\n' || p[ll] == '\0'))
			return (long)(p - text);
	}
	return -1;
}

static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

#define ck_assert_line(text, line)                                                                 \
	ck_assert_msg(line_at((text), (line)) >= 0, "no line \"%s\" in:\n%s", (line), (text))
#define ck_assert_no_line(text, line)                                                              \
	ck_assert_msg(line_at((text), (line)) < 0, "unexpected line \"%s\" in:\n%s", (line), (text))

static void wait_out(struct fx *f, const char *needle)
{
	if (!wait_for(f->out, needle)) {
		char *o = slurp(f->out), *e = slurp(f->err);

		ck_abort_msg("no \"%s\" on stdout within %d ms\nstdout:\n%s\nstderr:\n%s", needle,
			     DEADLINE_MS, o, e);
	}
}

static void wait_err(struct fx *f, const char *needle)
{
	if (!wait_for(f->err, needle)) {
		char *e = slurp(f->err);

		ck_abort_msg("no \"%s\" on stderr within %d ms\nstderr:\n%s", needle, DEADLINE_MS,
			     e);
	}
}

/* The launcher holds the console FIFO open (it says so on stderr). */
static void wait_console(struct fx *f)
{
	wait_err(f, "alpha: console: reading ");
}

static void send_ok(struct fx *f, const char *cmd)
{
	char err[256];
	enum console_send_result res = console_send(f->state, NAME, cmd, err, sizeof(err));

	ck_assert_msg(res == CONSOLE_SENT, "console_send %s: %d %s", cmd, res, err);
}

/* Write raw bytes into the FIFO (what console_send would refuse). */
static void fifo_write(struct fx *f, const char *data, size_t len)
{
	int fd = open(f->fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "open %s: %s", f->fifo, strerror(errno));
	ck_assert(write(fd, data, len) == (ssize_t)len);
	close(fd);
}

/* The launcher refused before starting anything: code, one stderr line
 * (equal to want_err when given), nothing on stdout, no fixture run. */
static void expect_refusal(struct fx *f, const struct start_opts *o, int code, const char *want_err)
{
	char *out, *err;
	int rc;

	start(f, o);
	rc = finish(f);
	out = slurp(f->out);
	err = slurp(f->err);
	ck_assert_msg(rc == code, "exit %d, want %d; stderr: %s", rc, code, err);
	ck_assert_msg(count_lines(err) == 1, "want one stderr line, got:\n%s", err);
	ck_assert_msg(strncmp(err, "left4me-launcher: ", 18) == 0, "stderr: %s", err);
	if (want_err)
		ck_assert_str_eq(err, want_err);
	ck_assert_msg(out[0] == '\0', "stdout not empty: %s", out);
	ck_assert_msg(access(f->marker, F_OK) < 0, "srcds_run ran");
	free(out);
	free(err);
}

/* ---- starting: argv, environment, terminal ------------------------------ */

/* The launch settings of instance.env reach srcds's argv: -tickrate and
 * the allowlisted options before +map, the map and max players. */
START_TEST(test_argv_launch)
{
	struct fx f;
	char *out;

	fx_setup(&f);
	write_mode(f.env_path,
		   "L4D2_LOWERDIRS=\"/var/lib/left4me/installation\"\nL4D2_PORT=27016\n"
		   "L4D2_MAP=c5m1_waterfront\nL4D2_MAXPLAYERS=12\nL4D2_TICKRATE=100\n"
		   "L4D2_ARGS=\"-nohltv +sv_pure 2 +mp_gamemode versus\"\n",
		   0644);
	start(&f, NULL);
	wait_out(&f, "fake-srcds: ready\n");
	out = slurp(f.out);
	ck_assert_line(out, "fake-srcds: argc=21");
	ck_assert_line(out, "fake-srcds: argv=-game|left4dead2|-norestart|-strictportbind|-ip|"
			    "0.0.0.0|-port|27016|-tickrate|100|-nohltv|+sv_pure|2|+mp_gamemode|"
			    "versus|+map|c5m1_waterfront|-maxplayers|12|+servercfgfile|server.cfg");
	free(out);
	wait_console(&f);
	send_ok(&f, "exit 0");
	ck_assert_int_eq(finish(&f), 0);
	fx_teardown(&f);
}
END_TEST

START_TEST(test_argv_env)
{
	struct fx f;
	struct start_opts o = {.extra_env = {"LD_PRELOAD=/nonexistent/left4me-test/preload.so",
					     "LD_LIBRARY_PATH=/nonexistent/left4me-test/lib",
					     "LD_AUDIT=/nonexistent/left4me-test/audit.so",
					     "HOME=/root", "LEFT4ME_TEST_LEAK=1", NULL}};
	char *out, *want;

	fx_setup(&f);
	start(&f, &o);
	wait_out(&f, "fake-srcds: ready\n");
	out = slurp(f.out);
	want = xasprintf("fake-srcds: path=%s/srcds_run", f.merged);
	ck_assert_line(out, want);
	free(want);
	ck_assert_line(out, "fake-srcds: argc=14");
	ck_assert_line(out, "fake-srcds: argv=-game|left4dead2|-norestart|-strictportbind|-ip|"
			    "0.0.0.0|-port|27016|+map|c2m1_highway|-maxplayers|8|"
			    "+servercfgfile|server.cfg");
	/* Exactly these four, none inherited: no LD_*, no HOME=/root. */
	want = xasprintf("fake-srcds: env=HOME=%s", f.state);
	ck_assert_line(out, want);
	free(want);
	ck_assert_line(out, "fake-srcds: env=LANG=C.UTF-8");
	ck_assert_line(out, "fake-srcds: env=PATH=/usr/local/bin:/usr/bin:/bin");
	ck_assert_line(out, "fake-srcds: env=TERM=dumb");
	ck_assert_line(out, "fake-srcds: envc=4");
	ck_assert_msg(strstr(out, "LD_") == NULL && strstr(out, "LEFT4ME_TEST_LEAK") == NULL,
		      "inherited variable reached srcds: %s", out);
	want = xasprintf("fake-srcds: cwd=%s", f.merged);
	ck_assert_line(out, want);
	free(want);
	ck_assert_line(out, "fake-srcds: stdin-tty=yes");
	ck_assert_line(out, "fake-srcds: ctty=yes");
	ck_assert_msg(access(f.marker, F_OK) == 0, "no marker");
	free(out);
	wait_console(&f);
	send_ok(&f, "exit 0");
	ck_assert_int_eq(finish(&f), 0);
	fx_teardown(&f);
}
END_TEST

/* ---- output: clean, ordered, prompt, cut, journal prefix ---------------- */

START_TEST(test_output_clean)
{
	static const char *const in_order[] = {"line one",	    "line two in red and plain",
					       "line three",	    "<0>forged priority",
					       "fake-srcds: ready", "prompt> "};
	struct fx f;
	char *out, *want, x4096[4097], x904[905];
	long last = -1;

	fx_setup(&f);
	start(&f, NULL);
	/* The prompt has no line end: it arrives after the idle flush. */
	wait_out(&f, "\nprompt> \n");
	out = slurp(f.out);
	for (size_t i = 0; i < sizeof(in_order) / sizeof(in_order[0]); i++) {
		long at = line_at(out, in_order[i]);
		ck_assert_msg(at > last, "\"%s\" missing or out of order in:\n%s", in_order[i],
			      out);
		last = at;
	}
	ck_assert_msg(strpbrk(out, "\r\x1b\a") == NULL, "control bytes in output:\n%s", out);
	free(out);

	/* A line over the cap comes in two pieces, 4096 bytes and the rest. */
	wait_console(&f);
	send_ok(&f, "long");
	memset(x4096, 'x', 4096);
	x4096[4096] = '\0';
	memset(x904, 'x', 904);
	x904[904] = '\0';
	want = xasprintf("\n%s\n%s\n", x4096, x904);
	wait_out(&f, want);
	free(want);
	/* A partial line is flushed after a short idle, not at exit. */
	send_ok(&f, "partial");
	wait_out(&f, "\nno line end yet\n");
	send_ok(&f, "exit 0");
	ck_assert_int_eq(finish(&f), 0);
	fx_teardown(&f);
}
END_TEST

/* Under the journal every line carries our "<6>", so the game's own
 * "<0>" stays text instead of becoming a priority. */
START_TEST(test_journal_prefix)
{
	struct fx f;
	struct stat st;
	char *out, *js;
	struct start_opts o = {0};
	int fd;

	fx_setup(&f);
	/* The launcher truncates the file it is given; its dev:ino stays. */
	fd = open(f.out, O_WRONLY | O_CREAT, 0644);
	ck_assert(fd >= 0 && fstat(fd, &st) == 0);
	close(fd);
	js = xasprintf("JOURNAL_STREAM=%llu:%llu", (unsigned long long)st.st_dev,
		       (unsigned long long)st.st_ino);
	o.extra_env[0] = js;
	start(&f, &o);
	wait_out(&f, "<6>fake-srcds: ready\n");
	out = slurp(f.out);
	ck_assert_line(out, "<6><0>forged priority");
	ck_assert_line(out, "<6>line one");
	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		ck_assert_msg(strncmp(p, "<6>", 3) == 0, "line without <6>: %.40s", p);
	free(out);
	kill(f.pid, SIGTERM);
	ck_assert_int_eq(finish(&f), 43);
	free(js);
	fx_teardown(&f);
}
END_TEST

/* ---- console input ------------------------------------------------------ */

START_TEST(test_console)
{
	struct fx f;
	char *out;

	fx_setup(&f);
	start(&f, NULL);
	wait_out(&f, "fake-srcds: ready\n");
	wait_console(&f);
	send_ok(&f, "say hi");
	wait_out(&f, "\nConsole: hi\n");
	send_ok(&f, "status");
	wait_out(&f, "\nhostname: fake-srcds\n");
	/* Each writer opens and closes the FIFO: the launcher must take the
	 * next one too. */
	send_ok(&f, "say third");
	wait_out(&f, "\nConsole: third\n");
	out = slurp(f.out);
	ck_assert_msg(line_at(out, "> say hi") >= 0 &&
			  line_at(out, "> say hi") < line_at(out, "fake-srcds: stdin=say hi") &&
			  line_at(out, "fake-srcds: stdin=say hi") < line_at(out, "Console: hi"),
		      "command, input and answer out of order:\n%s", out);
	ck_assert_line(out, "> status");
	/* The terminal does not echo: the command is only ours "> ...". */
	ck_assert_no_line(out, "say hi");
	ck_assert_no_line(out, "status");
	free(out);
	send_ok(&f, "exit 0");
	ck_assert_int_eq(finish(&f), 0);
	fx_teardown(&f);
}
END_TEST

/* Read utime+stime (clock ticks) of pid from /proc. */
static long cpu_ticks(pid_t pid)
{
	char path[64], *s, *p;
	long ut = 0, st = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	s = tu_read_file(path);
	ck_assert(s != NULL);
	p = strrchr(s, ')');
	ck_assert(p != NULL);
	/* after ") ": state(3) ... utime(14) stime(15) */
	ck_assert(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &ut, &st) ==
		  2);
	free(s);
	return ut + st;
}

/* After a writer has come and gone the FIFO reports POLLHUP until the
 * launcher takes a fresh reader: it must not spin on it. */
START_TEST(test_console_no_spin)
{
	const struct timespec second = {1, 0};
	struct fx f;
	long before, after;

	fx_setup(&f);
	start(&f, NULL);
	wait_out(&f, "fake-srcds: ready\n");
	wait_console(&f);
	send_ok(&f, "say one");
	wait_out(&f, "\nConsole: one\n");
	before = cpu_ticks(f.pid);
	nanosleep(&second, NULL); /* a measuring window, not a synchronisation */
	after = cpu_ticks(f.pid);
	ck_assert_msg(after - before < sysconf(_SC_CLK_TCK) / 4,
		      "the launcher used %ld ticks in an idle second", after - before);
	send_ok(&f, "exit 0");
	ck_assert_int_eq(finish(&f), 0);
	fx_teardown(&f);
}
END_TEST

START_TEST(test_console_bad)
{
	struct fx f;
	char big[5001], *out, *err;
	int fd;

	fx_setup(&f);
	start(&f, NULL);
	wait_out(&f, "fake-srcds: ready\n");
	wait_console(&f);
	memset(big, 'a', 600);
	big[600] = '\n';
	fifo_write(&f, big, 601);
	fifo_write(&f,
		   "say \x01"
		   "bad\n",
		   9);
	fifo_write(&f, "say \x1b[2Jclear\n", 14);
	memset(big, 'b', 5000);
	big[5000] = '\n';
	fifo_write(&f, big, 5001);
	fifo_write(&f, "\n", 1);
	/* One command in two writes by one writer is still one command. */
	fd = open(f.fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	ck_assert(fd >= 0);
	ck_assert(write(fd, "say split", 9) == 9);
	ck_assert(write(fd, " line\n", 6) == 6);
	close(fd);
	/* An unterminated command whose writer left is dropped, not glued
	 * to the next writer's. */
	fifo_write(&f, "say lost", 8);
	wait_err(&f, "without a line end");
	send_ok(&f, "say after");
	wait_out(&f, "\nConsole: after\n");
	out = slurp(f.out);
	err = slurp(f.err);
	ck_assert_line(out, "Console: split line");
	ck_assert_msg(strstr(out, "aaaa") == NULL && strstr(out, "bbbb") == NULL &&
			  strstr(out, "bad") == NULL && strstr(out, "clear") == NULL &&
			  strstr(out, "lost") == NULL,
		      "a dropped command reached srcds:\n%s", out);
	ck_assert_msg(strstr(err, "alpha: console: dropped a command: a console command is at "
				  "most 512 bytes (got 600)\n"),
		      "stderr:\n%s", err);
	ck_assert_msg(strstr(err, "(got 5000)\n"), "stderr:\n%s", err);
	ck_assert_msg(strstr(err, "alpha: console: dropped a command: a console command must "
				  "not contain control characters (byte 0x01 at offset 4)\n"),
		      "stderr:\n%s", err);
	ck_assert_msg(strstr(err, "(byte 0x1b at offset 4)\n"), "stderr:\n%s", err);
	ck_assert_msg(strstr(err, "alpha: console: dropped a command: a console command must "
				  "not be empty\n"),
		      "stderr:\n%s", err);
	free(out);
	free(err);
	send_ok(&f, "exit 0");
	ck_assert_int_eq(finish(&f), 0);
	fx_teardown(&f);
}
END_TEST

/* No RCON password reaches the journal (docs/SECURITY.md, "RCON"): the
 * launcher withholds what follows rcon_password on any line, and the
 * password it finds staged as server.cfg's last line wherever the game
 * prints it; a command naming rcon_password is dropped, not typed. */
START_TEST(test_rcon_withheld)
{
	static const char pw[] = "Zx9Zx9Zx9Zx9Zx9Zx9Zx9Zx9Zx9Zx9Q1";
	struct fx f;
	char *p, *out, *err;

	fx_setup(&f);
	p = xasprintf("%s/left4dead2", f.merged);
	mkdir_ok(p, 0755);
	free(p);
	p = xasprintf("%s/left4dead2/cfg", f.merged);
	mkdir_ok(p, 0755);
	free(p);
	p = xasprintf("%s/left4dead2/cfg/server.cfg", f.merged);
	write_mode(p, "hostname x\nrcon_password \"Zx9Zx9Zx9Zx9Zx9Zx9Zx9Zx9Zx9Zx9Q1\"\n", 0600);
	free(p);
	start(&f, NULL);
	wait_out(&f, "fake-srcds: ready\n");
	wait_console(&f);
	fifo_write(&f, "rcon_password mine\n", 19);
	wait_err(&f, "must not name rcon_password");
	send_ok(&f, "leak");
	wait_out(&f, "\nfake-srcds: leak done\n");
	out = slurp(f.out);
	err = slurp(f.err);
	ck_assert_line(out, "\"rcon_password (withheld)");
	ck_assert_line(out, "plugin: the secret is (withheld), keep it");
	ck_assert_msg(!strstr(out, pw) && !strstr(err, pw), "the password leaked:\n%s\n%s", out,
		      err);
	ck_assert_msg(!strstr(out, "mine"), "a command naming rcon_password was typed:\n%s", out);
	free(out);
	free(err);
	send_ok(&f, "exit 0");
	ck_assert_int_eq(finish(&f), 0);
	fx_teardown(&f);
}
END_TEST

/* Without its FIFO (or with something else there) the server still runs. */
START_TEST(test_console_missing)
{
	struct fx f;

	fx_setup(&f);
	ck_assert(unlink(f.fifo) == 0);
	if (_i == 1)
		write_mode(f.fifo, "not a fifo\n", 0644);
	start(&f, NULL);
	wait_out(&f, "fake-srcds: ready\n");
	wait_err(&f, _i == 1 ? "not a FIFO: running without console input\n"
			     : "No such file or directory: running without console input\n");
	kill(f.pid, SIGTERM);
	ck_assert_int_eq(finish(&f), 43);
	fx_teardown(&f);
}
END_TEST

/* ---- signals and exit status --------------------------------------------- */

START_TEST(test_signal_forwarded)
{
	static const struct {
		int sig;
		const char *name;
		int code;
	} t[] = {{SIGTERM, "SIGTERM", 43}, {SIGINT, "SIGINT", 44}, {SIGHUP, "SIGHUP", 45}};
	struct fx f;
	char *want;
	char err[256];

	fx_setup(&f);
	start(&f, NULL);
	wait_out(&f, "fake-srcds: ready\n");
	wait_console(&f);
	kill(f.pid, t[_i].sig);
	/* The launcher lives on until srcds is gone and returns its status. */
	ck_assert_int_eq(finish(&f), t[_i].code);
	/* It may follow the prompt on the same line. */
	want = xasprintf("fake-srcds: %s received, shutting down\n", t[_i].name);
	ck_assert(wait_for(f.out, want));
	free(want);
	want = xasprintf("alpha: %s received: forwarded to srcds_run", t[_i].name);
	ck_assert(wait_for(f.err, want));
	free(want);
	ck_assert(wait_for(f.err, "srcds_run exited with status"));
	/* Gone with the server: the console has no reader any more. */
	ck_assert_int_eq(console_send(f.state, NAME, "status", err, sizeof(err)),
			 CONSOLE_NOT_RUNNING);
	fx_teardown(&f);
}
END_TEST

START_TEST(test_exit_status)
{
	struct fx f;

	fx_setup(&f);
	start(&f, NULL);
	wait_out(&f, "fake-srcds: ready\n");
	wait_console(&f);
	send_ok(&f, _i == 0 ? "exit 5" : "kill9");
	ck_assert_int_eq(finish(&f), _i == 0 ? 5 : 128 + SIGKILL);
	ck_assert(wait_for(f.err, _i == 0 ? "alpha: srcds_run exited with status 5\n"
					  : "alpha: srcds_run was killed by signal 9\n"));
	fx_teardown(&f);
}
END_TEST

/* ---- refusals before anything runs -------------------------------------- */

static const struct {
	const char *text;
	const char *why;
} bad_envs[] = {
    {"L4D2_LOWERDIRS=\"/var/lib/left4me/installation\"\nL4D2_PORT=27016\n"
     "LD_PRELOAD=/var/lib/left4me/runtime/alpha/merged/evil.so\nL4D2_MAP=c2m1_highway\n"
     "L4D2_MAXPLAYERS=8\n",
     "instance.env line 3: unknown key LD_PRELOAD"},
    {"L4D2_LOWERDIRS=\"/var/lib/left4me/installation\"\nL4D2_PORT=27016\n"
     "L4D2_MAP=c2m1_highway\nL4D2_MAXPLAYERS=8\nLD_LIBRARY_PATH=/tmp\n",
     "instance.env line 5: unknown key LD_LIBRARY_PATH"},
    {"L4D2_LOWERDIRS=\"/var/lib/left4me/installation\"\nL4D2_PORT=27016\n"
     "L4D2_MAP=c2m1_highway\nL4D2_MAXPLAYERS=8\nSOMETHING_ELSE=1\n",
     "instance.env line 5: unknown key SOMETHING_ELSE"},
    {"L4D2_LOWERDIRS=\"/var/lib/left4me/installation\"\nL4D2_PORT=80\n"
     "L4D2_MAP=c2m1_highway\nL4D2_MAXPLAYERS=8\n",
     "instance.env line 2: L4D2_PORT: not a port in 1024..65535"},
    {"L4D2_LOWERDIRS=\"/var/lib/left4me/installation\"\nL4D2_PORT=27016\n"
     "L4D2_MAP=c2m1_highway; rm -rf /\nL4D2_MAXPLAYERS=8\n",
     "instance.env line 3: L4D2_MAP: character 0x3b not allowed"},
    {"L4D2_LOWERDIRS=\"/var/lib/left4me/installation\"\nL4D2_PORT=27016\n"
     "L4D2_MAXPLAYERS=8\n",
     "instance.env: missing key L4D2_MAP"},
    {"L4D2_LOWERDIRS=\"/var/lib/left4me/installation\"\nL4D2_PORT=27016\n"
     "L4D2_MAP=c2m1_highway\nL4D2_MAXPLAYERS=8\nL4D2_PORT=27017\n",
     "instance.env line 5: duplicate key L4D2_PORT"},
    {"L4D2_LOWERDIRS=\"/var/lib/left4me/installation\"\nL4D2_PORT=27016\n"
     "L4D2_MAP=c2m1_highway\nL4D2_MAXPLAYERS=8\nL4D2_ARGS=\"-nohltv -port 27099\"\n",
     "instance.env line 5: L4D2_ARGS: launch_args: -port is not an allowed option"},
    {"L4D2_LOWERDIRS=\"/var/lib/left4me/installation\"\nL4D2_PORT=27016\n"
     "L4D2_MAP=c2m1_highway\nL4D2_MAXPLAYERS=8\nL4D2_TICKRATE=1000\n",
     "instance.env line 5: L4D2_TICKRATE: not a number in 30..128"},
};

START_TEST(test_env_refused)
{
	struct fx f;
	char *want;

	fx_setup(&f);
	write_mode(f.env_path, bad_envs[_i].text, 0644);
	want = xasprintf("left4me-launcher: alpha: %s: refused, the server does not start\n",
			 bad_envs[_i].why);
	expect_refusal(&f, NULL, 65, want);
	free(want);
	fx_teardown(&f);
}
END_TEST

START_TEST(test_env_too_big)
{
	struct fx f;
	char *big = xmalloc(70001);

	fx_setup(&f);
	memset(big, '#', 70000);
	big[70000] = '\0';
	write_mode(f.env_path, big, 0644);
	expect_refusal(&f, NULL, 65,
		       "left4me-launcher: alpha: instance.env: larger than 65536 bytes: "
		       "refused, the server does not start\n");
	free(big);
	fx_teardown(&f);
}
END_TEST

START_TEST(test_env_missing)
{
	struct fx f;
	char *want, *p;

	fx_setup(&f);
	ck_assert(unlink(f.env_path) == 0);
	want = xasprintf("left4me-launcher: alpha: %s: missing, the server does not start\n",
			 f.env_path);
	expect_refusal(&f, NULL, 66, want);
	free(want);
	/* no instances/alpha at all */
	p = xasprintf("%s/instances/" NAME, f.state);
	ck_assert(rmdir(p) == 0);
	free(p);
	expect_refusal(&f, NULL, 66, NULL);
	fx_teardown(&f);
}
END_TEST

START_TEST(test_env_not_plain)
{
	struct fx f;
	char *other, *want;

	fx_setup(&f);
	ck_assert(unlink(f.env_path) == 0);
	other = xasprintf("%s/elsewhere.env", f.dir);
	write_mode(other, good_env, 0644);
	switch (_i) {
	case 0: /* a symlink to a perfectly good file */
		ck_assert(symlink(other, f.env_path) == 0);
		want = xasprintf("left4me-launcher: alpha: %s: a symbolic link: refused, the "
				 "server does not start\n",
				 f.env_path);
		break;
	case 1: /* a FIFO must not even hang the open */
		ck_assert(mkfifo(f.env_path, 0644) == 0);
		want = xasprintf("left4me-launcher: alpha: %s: not a regular file: refused, the "
				 "server does not start\n",
				 f.env_path);
		break;
	case 2:
		mkdir_ok(f.env_path, 0755);
		want = xasprintf("left4me-launcher: alpha: %s: not a regular file: refused, the "
				 "server does not start\n",
				 f.env_path);
		break;
	default: /* group-writable */
		write_mode(f.env_path, good_env, 0664);
		want = xasprintf("left4me-launcher: alpha: %s: writable by group or others: "
				 "refused, the server does not start\n",
				 f.env_path);
		break;
	}
	expect_refusal(&f, NULL, 77, want);
	free(want);
	free(other);
	fx_teardown(&f);
}
END_TEST

START_TEST(test_root_refused)
{
	struct fx f;
	struct start_opts o = {.no_allow_root = true};

	fx_setup(&f);
	expect_refusal(&f, &o, 77,
		       "left4me-launcher: refusing to run as root: the server runs as its own "
		       "unprivileged uid (--allow-root is for tests)\n");
	fx_teardown(&f);
}
END_TEST

START_TEST(test_usage)
{
	struct fx f;
	struct start_opts o = {0};

	fx_setup(&f);
	o.args[0] = "--bogus";
	o.args[1] = NAME;
	expect_refusal(&f, &o, 64, NULL);
	o.args[0] = NAME;
	o.args[1] = "beta";
	expect_refusal(&f, &o, 64, NULL);
	o.args[0] = "--state-dir";
	o.args[1] = "relative/dir";
	o.args[2] = NAME;
	expect_refusal(&f, &o, 64, NULL);
	o.args[1] = NULL;
	o.args[2] = NULL;
	for (size_t i = 0; i < 4; i++) {
		static const char *const names[] = {"../alpha", "Alpha", "-x", ""};
		o.args[0] = names[i];
		expect_refusal(&f, &o, names[i][0] == '-' ? 64 : 65, NULL);
	}
	fx_teardown(&f);
}
END_TEST

START_TEST(test_help_version)
{
	struct fx f;
	struct start_opts o = {.args = {"--help", NULL}};
	char *out;

	fx_setup(&f);
	start(&f, &o);
	ck_assert_int_eq(finish(&f), 0);
	out = slurp(f.out);
	ck_assert_msg(strncmp(out, "usage: left4me-launcher ", 24) == 0, "%s", out);
	free(out);
	o.args[0] = "--version";
	start(&f, &o);
	ck_assert_int_eq(finish(&f), 0);
	out = slurp(f.out);
	ck_assert_msg(strncmp(out, "left4me-launcher ", 17) == 0, "%s", out);
	free(out);
	ck_assert(access(f.marker, F_OK) < 0);
	fx_teardown(&f);
}
END_TEST

START_TEST(test_srcds_missing)
{
	struct fx f;
	char *p, *want;

	fx_setup(&f);
	p = xasprintf("%s/srcds_run", f.merged);
	ck_assert(unlink(p) == 0);
	want = xasprintf("left4me-launcher: alpha: %s: missing, the server does not start\n", p);
	expect_refusal(&f, NULL, 66, want);
	free(want);
	free(p);
	/* no merged/ (the overlay is not there) */
	ck_assert(rmdir(f.merged) == 0);
	want = xasprintf("left4me-launcher: alpha: %s: missing, the server does not start\n",
			 f.merged);
	expect_refusal(&f, NULL, 66, want);
	free(want);
	fx_teardown(&f);
}
END_TEST

/* ---- as the unit runs it: an unprivileged uid -------------------------- */

/* The launcher as "other" on a root-owned 0664 FIFO, the way it reads the
 * left4me-owned one in production, and the game (same uid) cannot look
 * into it through /proc. */
START_TEST(test_unprivileged)
{
	struct fx f;
	struct start_opts o = {.no_allow_root = true, .uid = NOBODY};

	fx_setup(&f);
	ck_assert(chmod(f.dir, 0755) == 0);
	ck_assert(chown(f.merged, NOBODY, NOBODY) == 0);
	start(&f, &o);
	wait_out(&f, "fake-srcds: ready\n");
	wait_console(&f);
	{
		char *out = slurp(f.out);
		ck_assert_msg(strstr(out, "\nfake-srcds: launcher-fd=denied") != NULL,
			      "the game can read the launcher's fds:\n%s", out);
		free(out);
	}
	send_ok(&f, "say hi");
	wait_out(&f, "\n> say hi\n");
	wait_out(&f, "\nConsole: hi\n");
	kill(f.pid, SIGTERM);
	ck_assert_int_eq(finish(&f), 43);
	fx_teardown(&f);
}
END_TEST

static Suite *launcher_suite(void)
{
	Suite *s = suite_create("left4me-launcher");
	TCase *tc = tcase_create("launcher");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_argv_env);
	tcase_add_test(tc, test_argv_launch);
	tcase_add_test(tc, test_output_clean);
	tcase_add_test(tc, test_journal_prefix);
	tcase_add_test(tc, test_console);
	tcase_add_test(tc, test_console_no_spin);
	tcase_add_test(tc, test_console_bad);
	tcase_add_test(tc, test_rcon_withheld);
	tcase_add_loop_test(tc, test_console_missing, 0, 2);
	tcase_add_loop_test(tc, test_signal_forwarded, 0, 3);
	tcase_add_loop_test(tc, test_exit_status, 0, 2);
	tcase_add_loop_test(tc, test_env_refused, 0, sizeof(bad_envs) / sizeof(bad_envs[0]));
	tcase_add_test(tc, test_env_too_big);
	tcase_add_test(tc, test_env_missing);
	tcase_add_loop_test(tc, test_env_not_plain, 0, 4);
	tcase_add_test(tc, test_root_refused);
	tcase_add_test(tc, test_usage);
	tcase_add_test(tc, test_help_version);
	tcase_add_test(tc, test_srcds_missing);
	tcase_add_test(tc, test_unprivileged);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr,
			"check_launcher: must run as root (CI does): it drops to uid %d "
			"and checks the refusal of root\n",
			NOBODY);
		return 1;
	}
	return tu_main(launcher_suite());
}
