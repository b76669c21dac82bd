/* daemon.h: the command line every daemon and left4mectl share, the root
 * policy, the exit codes of the config and DB steps, the whole startup,
 * and daemon_notify's wait for a stop signal with watchdog pings. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "daemon_notify.h"
#include "db.h"
#include "db_schema.h"
#include "notify.h"
#include "parse.h"
#include "strbuf.h"
#include "testutil.h"
#include "timeutil.h"
#include "xalloc.h"

/* ---- specs like the daemons' ------------------------------------------- */

static bool once;
static const char *port_file;

static const struct daemon_option options[] = {
    {.name = "once", .help = "stop when the queue is empty", .flag = &once},
    {.name = "port-file", .arg = "PATH", .help = "write the port there", .value = &port_file},
    {0},
};

static const struct daemon_command commands[] = {
    {.name = "enqueue", .help = "queue a job", .root_ok = true},
    {0},
};

/* A daemon with options and a command (left4me-fetcher's shape). */
static const struct daemon_spec spec_cmd = {
    .ident = "test-daemon",
    .summary = "A daemon for the tests.",
    .options = options,
    .commands = commands,
};

/* No command, no option of its own (left4me-worker's shape, less --once). */
static const struct daemon_spec spec_plain = {.ident = "test-plain"};

static const char *job_arg;
static long long job_id;

static const struct daemon_option job_options[] = {
    {.name = "job", .arg = "ID", .help = "the job", .value = &job_arg, .required = true},
    {0},
};

static const char *check_job(void)
{
	return parse_int(job_arg, 1, 1000, &job_id) < 0 ? "--job wants a job id" : NULL;
}

/* A required option with a check (left4me-fetcher-refresh's shape). */
static const struct daemon_spec spec_job = {
    .ident = "test-job",
    .options = job_options,
    .check_args = check_job,
};

static void ctl_like_usage(FILE *f)
{
	fputs("usage: test-ctl COMMAND\n", f);
}

/* left4mectl's shape: root may run it, the rest is the command's. */
static const struct daemon_spec spec_ctl = {
    .ident = "test-ctl",
    .flags = DAEMON_ROOT_OK | DAEMON_ARGS_REST,
    .usage = ctl_like_usage,
};

/* ---- the command line ---------------------------------------------------- */

#define GO (-1) /* the parse says: run */

struct pcase {
	const struct daemon_spec *spec;
	const char *argv[8]; /* after argv[0] */
	int want;	     /* GO or the exit code */
	const char *config;
	bool allow_root, once;
	const char *port_file, *command;
	int rest; /* DAEMON_ARGS_REST: how many are left, -1: not checked */
};

static const struct pcase pcases[] = {
    {&spec_cmd, {NULL}, GO, NULL, false, false, NULL, NULL, -1},
    {&spec_cmd, {"-c", "x.yaml"}, GO, "x.yaml", false, false, NULL, NULL, -1},
    {&spec_cmd, {"--config=x.yaml"}, GO, "x.yaml", false, false, NULL, NULL, -1},
    {&spec_cmd, {"--config", "a", "-c", "b"}, GO, "b", false, false, NULL, NULL, -1},
    {&spec_cmd, {"--allow-root"}, GO, NULL, true, false, NULL, NULL, -1},
    {&spec_cmd, {"--once"}, GO, NULL, false, true, NULL, NULL, -1},
    {&spec_cmd, {"--port-file", "p"}, GO, NULL, false, false, "p", NULL, -1},
    {&spec_cmd, {"enqueue"}, GO, NULL, false, false, NULL, "enqueue", -1},
    {&spec_cmd, {"enqueue", "-c", "x"}, GO, "x", false, false, NULL, "enqueue", -1},
    {&spec_cmd, {"--help"}, 0, NULL, false, false, NULL, NULL, -1},
    {&spec_cmd, {"-h"}, 0, NULL, false, false, NULL, NULL, -1},
    {&spec_cmd, {"--version"}, 0, NULL, false, false, NULL, NULL, -1},
    {&spec_cmd, {"-V", "--bogus"}, 0, NULL, false, false, NULL, NULL, -1},
    {&spec_cmd, {"--bogus"}, EX_USAGE, NULL, false, false, NULL, NULL, -1},
    {&spec_cmd, {"--bogus", "--help"}, EX_USAGE, NULL, false, false, NULL, NULL, -1},
    {&spec_cmd, {"-c"}, EX_USAGE, NULL, false, false, NULL, NULL, -1},
    {&spec_cmd, {"--port-file"}, EX_USAGE, NULL, false, false, NULL, NULL, -1},
    {&spec_cmd, {"--once=yes"}, EX_USAGE, NULL, false, false, NULL, NULL, -1},
    {&spec_cmd, {"frobnicate"}, EX_USAGE, NULL, false, false, NULL, NULL, -1},
    {&spec_cmd, {"enqueue", "more"}, EX_USAGE, NULL, false, false, NULL, NULL, -1},
    {&spec_plain, {"anything"}, EX_USAGE, NULL, false, false, NULL, NULL, -1},
    {&spec_plain, {"--once"}, EX_USAGE, NULL, false, false, NULL, NULL, -1},
    {&spec_plain, {"-V"}, 0, NULL, false, false, NULL, NULL, -1},
    {&spec_ctl, {"-c", "x", "user", "list", "--admin"}, GO, "x", false, false, NULL, NULL, 3},
    {&spec_ctl, {"user", "-c", "x"}, GO, NULL, false, false, NULL, NULL, 3},
    {&spec_ctl, {NULL}, GO, NULL, false, false, NULL, NULL, 0},
    {&spec_ctl, {"--allow-root", "user"}, EX_USAGE, NULL, false, false, NULL, NULL, -1},
    {&spec_ctl, {"--help"}, 0, NULL, false, false, NULL, NULL, -1},
};

static int argv_of(const char *const in[8], const char *prog, char *argv[10])
{
	int n = 0;

	argv[n++] = (char *)prog;
	for (int i = 0; i < 8 && in[i]; i++)
		argv[n++] = (char *)in[i];
	argv[n] = NULL;
	return n;
}

/* Run daemon_parse_args with stdout (help, version) into out; GO or status. */
static int parse(struct daemon *d, const struct daemon_spec *spec, int argc, char **argv,
		 char **out)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDOUT_FILENO), r;
	struct strbuf sb;
	char buf[512];
	size_t n;

	ck_assert(tmp != NULL && saved >= 0);
	fflush(stdout);
	ck_assert(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
	r = daemon_parse_args(d, spec, argc, argv) ? GO : d->status;
	fflush(stdout);
	ck_assert(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	strbuf_init(&sb);
	while ((n = fread(buf, 1, sizeof(buf), tmp)) > 0)
		strbuf_append(&sb, buf, n);
	fclose(tmp);
	*out = strbuf_detach(&sb);
	strbuf_fini(&sb);
	return r;
}

START_TEST(test_parse_table)
{
	const struct pcase *c = &pcases[_i];
	char *argv[10], *out;
	struct daemon d;
	int argc = argv_of(c->argv, "prog", argv), r;

	once = false;
	port_file = NULL;
	r = parse(&d, c->spec, argc, argv, &out);
	ck_assert_msg(r == c->want, "case %d: got %d, want %d", _i, r, c->want);
	if (r == GO) {
		ck_assert_pstr_eq(d.config_arg, c->config);
		ck_assert(d.allow_root == c->allow_root);
		ck_assert(once == c->once);
		ck_assert_pstr_eq(port_file, c->port_file);
		ck_assert_pstr_eq(d.command ? d.command->name : NULL, c->command);
		if (c->rest >= 0) {
			ck_assert_int_eq(d.argc, c->rest);
			if (c->rest > 0)
				ck_assert_str_eq(d.argv[0], "user");
		}
		ck_assert_str_eq(out, "");
	} else if (r == 0) {
		/* --help or --version, on stdout */
		ck_assert_msg(strstr(out, "usage: test-") || strstr(out, LEFT4ME_VERSION),
			      "case %d: %s", _i, out);
	} else {
		ck_assert_str_eq(out, ""); /* errors go to stderr */
	}
	ck_assert(d.cfg == NULL && d.db == NULL && d.db_path == NULL);
	free(out);
}
END_TEST

START_TEST(test_help_and_version_text)
{
	char *argv[] = {"prog", "--help", NULL}, *argv_v[] = {"prog", "--version", NULL}, *out;
	struct daemon d;

	ck_assert_int_eq(parse(&d, &spec_cmd, 2, argv, &out), 0);
	ck_assert_msg(strstr(out, "usage: test-daemon [-c CONFIG] [--allow-root] [--once] "
				  "[--port-file PATH] [COMMAND]\nA daemon for the tests.\n"),
		      "%s", out);
	ck_assert_msg(strstr(out, "--port-file PATH") && strstr(out, "write the port there"), "%s",
		      out);
	ck_assert_msg(strstr(out, "$LEFT4ME_CONFIG, then /etc/left4me/left4me.yaml"), "%s", out);
	ck_assert_msg(strstr(out, "-V, --version") && strstr(out, "-h, --help"), "%s", out);
	ck_assert_msg(strstr(out, "commands:\n  enqueue "), "%s", out);
	free(out);
	ck_assert_int_eq(parse(&d, &spec_job, 2, argv, &out), 0);
	ck_assert_msg(strstr(out, "usage: test-job [-c CONFIG] [--allow-root] --job ID\n"), "%s",
		      out);
	free(out);
	/* a spec's own usage replaces the generated one; no --allow-root */
	ck_assert_int_eq(parse(&d, &spec_ctl, 2, argv, &out), 0);
	ck_assert_str_eq(out, "usage: test-ctl COMMAND\n");
	free(out);
	ck_assert_int_eq(parse(&d, &spec_plain, 2, argv_v, &out), 0);
	ck_assert_str_eq(out, "test-plain " LEFT4ME_VERSION "\n");
	free(out);
}
END_TEST

START_TEST(test_required_and_check)
{
	char *none[] = {"prog", NULL}, *bad[] = {"prog", "--job", "abc", NULL},
	     *zero[] = {"prog", "--job", "0", NULL}, *ok[] = {"prog", "--job", "42", NULL}, *out;
	struct daemon d;

	job_arg = NULL;
	ck_assert_int_eq(parse(&d, &spec_job, 1, none, &out), EX_USAGE);
	free(out);
	job_arg = NULL;
	ck_assert_int_eq(parse(&d, &spec_job, 3, bad, &out), EX_USAGE);
	free(out);
	job_arg = NULL;
	ck_assert_int_eq(parse(&d, &spec_job, 3, zero, &out), EX_USAGE);
	free(out);
	job_arg = NULL;
	ck_assert_int_eq(parse(&d, &spec_job, 3, ok, &out), GO);
	ck_assert_int_eq(job_id, 42);
	free(out);
}
END_TEST

/* ---- root ------------------------------------------------------------------ */

struct rcase {
	const struct daemon_spec *spec;
	uid_t euid;
	bool allow_root;
	bool with_command;
	bool refused;
};

static const struct rcase rcases[] = {
    {&spec_cmd, 0, false, false, true},	    {&spec_cmd, 0, true, false, false},
    {&spec_cmd, 1000, false, false, false}, {&spec_cmd, 0, false, true, false},
    {&spec_plain, 0, false, false, true},   {&spec_ctl, 0, false, false, false},
};

START_TEST(test_root_policy)
{
	const struct rcase *c = &rcases[_i];
	struct daemon d = {.spec = c->spec, .allow_root = c->allow_root};

	if (c->with_command)
		d.command = &commands[0];
	ck_assert_msg(daemon_root_refused(&d, c->euid) == c->refused, "case %d", _i);
}
END_TEST

/* ---- config and database: the exit-code policy ---------------------------- */

static char *dir, *cfg_path, *db_path;

static void setup(void)
{
	dir = tu_mkdtemp();
	cfg_path = xasprintf("%s/left4me.yaml", dir);
	db_path = xasprintf("%s/left4me.db", dir);
	{
		char *text = xasprintf("state_dir: %s\n", dir);

		tu_write_file(cfg_path, text);
		free(text);
	}
}

static void teardown(void)
{
	tu_rmtree(dir);
	free(dir);
	free(cfg_path);
	free(db_path);
}

/* A fresh DB at the current schema, then marked user_version v. */
static void make_db(int v)
{
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	char *sql = xasprintf("PRAGMA user_version = %d", v);
	sqlite3 *db;

	for (size_t i = 0; i < 3; i++) {
		char *p = xasprintf("%s%s", db_path, suffixes[i]);

		unlink(p);
		free(p);
	}
	db = tu_db_new(dir);

	tu_db_exec(db, sql);
	free(sql);
	db_close(db);
}

START_TEST(test_config_and_db_codes)
{
	struct config *cfg = NULL;
	sqlite3 *db = (sqlite3 *)1;
	char *path = (char *)1, *missing = xasprintf("%s/nope.yaml", dir);
	struct stat st;

	ck_assert_int_eq(daemon_load_config(missing, &cfg), EX_CONFIG);
	ck_assert_ptr_null(cfg);
	tu_write_file(missing, "web:\n  bogus: 1\n");
	ck_assert_int_eq(daemon_load_config(missing, &cfg), EX_CONFIG);
	ck_assert_int_eq(daemon_load_config(cfg_path, &cfg), 0);
	ck_assert_ptr_nonnull(cfg);

	/* no DB file: 66, nothing left open, nothing created */
	ck_assert_int_eq(daemon_open_db(cfg, false, &db, &path), EX_NOINPUT);
	ck_assert(db == NULL && path == NULL);
	ck_assert_int_eq(stat(db_path, &st), -1);
	/* an older and a newer schema: 78 */
	make_db(DB_SCHEMA_VERSION - 1);
	ck_assert_int_eq(daemon_open_db(cfg, false, &db, &path), EX_CONFIG);
	ck_assert(db == NULL && path == NULL);
	make_db(DB_SCHEMA_VERSION + 1);
	ck_assert_int_eq(daemon_open_db(cfg, false, &db, &path), EX_CONFIG);
	/* ... which only db migrate (create: no check) opens */
	ck_assert_int_eq(daemon_open_db(cfg, true, &db, &path), 0);
	ck_assert_str_eq(path, db_path);
	db_close(db);
	free(path);
	make_db(DB_SCHEMA_VERSION);
	ck_assert_int_eq(daemon_open_db(cfg, false, &db, &path), 0);
	ck_assert_ptr_nonnull(db);
	db_close(db);
	free(path);
	config_free(cfg);
	free(missing);
}
END_TEST

/* ---- the whole startup ---------------------------------------------------- */

static const struct daemon_spec spec_check_only = {
    .ident = "test-web",
    .flags = DAEMON_DB_CHECK_ONLY | DAEMON_BLOCK_STOP_SIGNALS | DAEMON_NONDUMPABLE,
};

START_TEST(test_start)
{
	char *root_ok[] = {"prog", "-c", cfg_path, "--allow-root", NULL};
	char *plain[] = {"prog", "-c", cfg_path, NULL};
	struct daemon d;
	sigset_t mask;

	/* wrong schema: 78, nothing left open */
	make_db(DB_SCHEMA_VERSION - 1);
	ck_assert(!daemon_start(&d, &spec_plain, 4, root_ok));
	ck_assert_int_eq(d.status, EX_CONFIG);
	ck_assert(d.cfg == NULL && d.db == NULL && d.db_path == NULL);

	make_db(DB_SCHEMA_VERSION);
	/* as root without --allow-root: 77 before the config is read */
	ck_assert(daemon_start(&d, &spec_plain, 3, plain) == (geteuid() != 0));
	if (geteuid() == 0) {
		ck_assert_int_eq(d.status, EX_NOPERM);
		ck_assert_ptr_null(d.cfg);
	} else {
		daemon_finish(&d, 0);
	}

	ck_assert(daemon_start(&d, &spec_plain, 4, root_ok));
	ck_assert(d.cfg != NULL && d.db != NULL);
	ck_assert_str_eq(d.db_path, db_path);
	ck_assert_int_eq(*d.stop, 0);
	raise(SIGTERM); /* caught: sets the flag */
	ck_assert_int_eq(*d.stop, 1);
	ck_assert_int_eq(daemon_finish(&d, 3), 3);
	ck_assert(d.cfg == NULL && d.db == NULL && d.db_path == NULL);

	ck_assert(daemon_start(&d, &spec_check_only, 4, root_ok));
	ck_assert_ptr_null(d.db); /* checked, then closed */
	ck_assert_ptr_nonnull(d.cfg);
	ck_assert(sigprocmask(SIG_BLOCK, NULL, &mask) == 0);
	ck_assert_int_eq(sigismember(&mask, SIGTERM), 1);
	daemon_finish(&d, 0);
}
END_TEST

/* ---- daemon_notify --------------------------------------------------------- */

START_TEST(test_notify_wait_for_stop)
{
	char *sock = xasprintf("%s/notify", dir);
	int fd = notify_bind(sock), status, pings = 0;
	struct strbuf sb;
	pid_t pid;

	strbuf_init(&sb);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		struct daemon_notify n;
		sigset_t set;

		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigprocmask(SIG_BLOCK, &set, NULL);
		setenv("NOTIFY_SOCKET", sock, 1);
		setenv("WATCHDOG_USEC", "100000", 1);
		daemon_notify_init(&n);
		if (n.watchdog_ms != 50 || daemon_notify_wait_ms(&n, 2000) != 50)
			_exit(2);
		daemon_notify_ready("serving");
		daemon_notify_wait_for_stop(&n, NULL, NULL);
		daemon_notify_stopping();
		_exit(0);
	}
	notify_read(fd, &sb, 10000, "READY=1\nSTATUS=serving");
	/* every 50 ms (half of WATCHDOG_USEC) until the stop */
	for (int64_t until = mono_ms() + 10000; pings < 5 && mono_ms() < until;) {
		notify_read(fd, &sb, 100, NULL);
		pings = 0;
		for (const char *s = sb.buf; (s = strstr(s, "WATCHDOG=1")); s++)
			pings++;
	}
	ck_assert_msg(pings >= 5, "%d pings: %s", pings, sb.buf);
	ck_assert(kill(pid, SIGTERM) == 0);
	notify_read(fd, &sb, 10000, "STOPPING=1");
	ck_assert_msg(strstr(sb.buf, "STOPPING=1"), "%s", sb.buf);
	ck_assert(waitpid(pid, &status, 0) == pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	strbuf_fini(&sb);
	close(fd);
	free(sock);
}
END_TEST

START_TEST(test_notify_without_watchdog)
{
	struct daemon_notify n;

	unsetenv("WATCHDOG_USEC");
	daemon_notify_init(&n);
	ck_assert_int_eq(n.watchdog_ms, 0);
	ck_assert_int_eq(daemon_notify_wait_ms(&n, 2000), 2000);
	daemon_notify_watchdog(&n); /* no socket, no watchdog: nothing happens */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("daemon");
	TCase *args = tcase_create("args"), *res = tcase_create("resources");

	tcase_add_loop_test(args, test_parse_table, 0, (int)(sizeof(pcases) / sizeof(pcases[0])));
	tcase_add_test(args, test_help_and_version_text);
	tcase_add_test(args, test_required_and_check);
	tcase_add_loop_test(args, test_root_policy, 0, (int)(sizeof(rcases) / sizeof(rcases[0])));
	tcase_add_checked_fixture(res, setup, teardown);
	tcase_set_timeout(res, 30);
	tcase_add_test(res, test_config_and_db_codes);
	tcase_add_test(res, test_start);
	tcase_add_test(res, test_notify_wait_for_stop);
	tcase_add_test(res, test_notify_without_watchdog);
	suite_add_tcase(s, args);
	suite_add_tcase(s, res);
	return tu_main(s);
}
