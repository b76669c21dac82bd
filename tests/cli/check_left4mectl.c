/* left4mectl, the real binary: every command's success path, --wait against
 * a stand-in worker process, server console against a FIFO the test reads,
 * and a table of bad input that must give one clear stderr line, a non-zero
 * exit and no change to the database. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "auth.h"
#include "db.h"
#include "db_job.h"
#include "rcon.h"
#include "testutil.h"
#include "xalloc.h"

static char *dir, *cfg, *ctl, *dbpath;

static void setup(void)
{
	char *text;

	dir = tu_mkdtemp();
	cfg = xasprintf("%s/left4me.yaml", dir);
	dbpath = xasprintf("%s/left4me.db", dir);
	text = xasprintf("state_dir: %s\nweb:\n  secure_cookies: false\n", dir);
	tu_write_file(cfg, text);
	free(text);
	ctl = tu_build_path("left4mectl/left4mectl");
}

static void teardown(void)
{
	tu_rmtree(dir);
	free(dir);
	free(cfg);
	free(dbpath);
	free(ctl);
}

/* Run left4mectl -c CFG ARGS... with input on stdin. */
static void run(struct tu_run *r, const char *input, const char *const *args)
{
	const char *argv[16];
	int n = 0;

	argv[n++] = ctl;
	argv[n++] = "-c";
	argv[n++] = cfg;
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	tu_run(r, (char *const *)argv, input, NULL);
}

#define RUN(r, input, ...) run(r, input, (const char *const[]){__VA_ARGS__, NULL})

static void migrate(void)
{
	struct tu_run r;

	RUN(&r, NULL, "db", "migrate");
	ck_assert_msg(r.status == 0, "migrate: %s", r.err);
	ck_assert_msg(strstr(r.out, "migrated schema from version 0 to"), "%s", r.out);
	tu_run_fini(&r);
}

/* users, jobs, servers, tokens, audit rows: what a refused command must
 * leave exactly as it was. */
static char *snapshot(void)
{
	char err[256];
	sqlite3 *db = db_open(dbpath, 0, err, sizeof(err));
	char *s;

	ck_assert_msg(db != NULL, "%s", err);
	s = xasprintf("%lld/%lld/%lld/%lld/%lld/%lld", tu_db_int(db, "SELECT count(*) FROM users"),
		      tu_db_int(db, "SELECT count(*) FROM jobs"),
		      tu_db_int(db, "SELECT count(*) FROM servers"),
		      tu_db_int(db, "SELECT count(*) FROM api_tokens"),
		      tu_db_int(db, "SELECT count(*) FROM audit_log"),
		      tu_db_int(db, "SELECT total(length(password_hash)) FROM users"));
	db_close(db);
	return s;
}

static void seed_server(void)
{
	char err[256];
	sqlite3 *db = db_open(dbpath, 0, err, sizeof(err));

	tu_db_exec(db, "INSERT INTO blueprints (user_id, name, created_at, updated_at) "
		       "VALUES (1, 'coop', 0, 0);"
		       "INSERT INTO servers (name, user_id, blueprint_id, port, created_at, "
		       "updated_at) VALUES ('alpha', 1, 1, 27015, 0, 0);");
	db_close(db);
}

/* One integer from the database at dbpath (a fresh connection). */
static long long db_int(const char *sql)
{
	char err[256];
	sqlite3 *db = db_open(dbpath, 0, err, sizeof(err));
	long long n;

	ck_assert_msg(db != NULL, "%s", err);
	n = tu_db_int(db, sql);
	db_close(db);
	return n;
}

/* True if PASSWORD verifies against the stored hash of user NAME. */
static bool password_is(const char *name, const char *password)
{
	char err[256];
	sqlite3 *db = db_open(dbpath, 0, err, sizeof(err));
	sqlite3_stmt *st;
	bool ok = false;

	ck_assert_msg(db != NULL, "%s", err);
	ck_assert(sqlite3_prepare_v2(db, "SELECT password_hash FROM users WHERE name = ?", -1, &st,
				     NULL) == SQLITE_OK);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ok = auth_verify_password(password, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	db_close(db);
	return ok;
}

/* The line of `user list` output that starts with NAME (new string). */
static char *list_line(const char *out, const char *name)
{
	size_t n = strlen(name);
	const char *l = out;

	while (*l) {
		size_t len = strcspn(l, "\n");

		if (strncmp(l, name, n) == 0 && l[n] == ' ')
			return xstrndup(l, len);
		l += len + (l[len] == '\n');
	}
	ck_abort_msg("no line for %s in:\n%s", name, out);
	return NULL;
}

START_TEST(test_happy_path)
{
	struct tu_run r;
	char err[256], hash[AUTH_SHA256_HEX + 1], *line;
	sqlite3 *db;

	RUN(&r, NULL, "db", "migrate");
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "migrated schema from version 0 to"), "%s", r.out);
	tu_run_fini(&r);
	RUN(&r, NULL, "db", "migrate");
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "up to date"), "%s", r.out);
	tu_run_fini(&r);

	RUN(&r, "s3cret-pass\n", "user", "add", "alice", "--admin", "--password-stdin");
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_msg(strstr(r.out, "added admin 'alice'"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "s3cret") == NULL && strstr(r.err, "s3cret") == NULL,
		      "password echoed");
	tu_run_fini(&r);
	RUN(&r, "another-pass", "user", "add", "bob", "--password-stdin");
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_msg(strstr(r.out, "added user 'bob'"), "%s", r.out);
	tu_run_fini(&r);
	ck_assert_int_eq(
	    db_int("SELECT count(*) FROM users WHERE name = 'alice' AND role = 'admin' "
		   "AND disabled = 0"),
	    1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM users WHERE name = 'bob' AND role = 'user' "
				"AND disabled = 0"),
			 1);
	ck_assert(password_is("bob", "another-pass"));
	RUN(&r, NULL, "user", "list");
	ck_assert_int_eq(r.status, 0);
	line = list_line(r.out, "alice");
	ck_assert_msg(strstr(line, "admin"), "%s", line);
	free(line);
	line = list_line(r.out, "bob");
	ck_assert_msg(strstr(line, "user") && !strstr(line, "disabled"), "%s", line);
	free(line);
	tu_run_fini(&r);

	db = db_open(dbpath, 0, err, sizeof(err));
	ck_assert(tu_db_int(db, "SELECT count(*) FROM users WHERE password_hash GLOB '$y$*'") == 2);
	db_close(db);

	/* a session each, and a token of bob's: what passwd and disable end */
	db = db_open(dbpath, 0, err, sizeof(err));
	tu_db_exec(db, "INSERT INTO sessions (user_id, token_hash, csrf_token, created_at, "
		       "expires_at, last_seen_at) SELECT id, printf('%064d', id), "
		       "printf('%032d', id), 1, 2, 1 FROM users;"
		       "INSERT INTO api_tokens (user_id, token_hash, created_at) "
		       "SELECT id, printf('%064d', 100 + id), 1 FROM users WHERE name = 'bob';");
	db_close(db);

	RUN(&r, "new-password\n", "user", "passwd", "bob", "--password-stdin");
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_msg(strstr(r.out, "password of 'bob' changed"), "%s", r.out);
	tu_run_fini(&r);
	ck_assert(password_is("bob", "new-password"));
	ck_assert(!password_is("bob", "another-pass"));
	ck_assert(password_is("alice", "s3cret-pass"));
	ck_assert_int_eq(db_int("SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id "
				"WHERE u.name = 'bob'"),
			 0);
	ck_assert_int_eq(db_int("SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id "
				"WHERE u.name = 'alice'"),
			 1);
	ck_assert_int_eq(db_int("SELECT count(*) FROM api_tokens"), 1); /* passwd keeps tokens */

	RUN(&r, NULL, "user", "disable", "bob");
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "user 'bob' disabled"), "%s", r.out);
	tu_run_fini(&r);
	ck_assert_int_eq(db_int("SELECT disabled FROM users WHERE name = 'bob'"), 1);
	ck_assert_int_eq(db_int("SELECT disabled FROM users WHERE name = 'alice'"), 0);
	ck_assert_int_eq(db_int("SELECT count(*) FROM api_tokens"), 0); /* bob's token ended */
	ck_assert_int_eq(db_int("SELECT count(*) FROM sessions"), 1);	/* alice's kept */
	RUN(&r, NULL, "user", "list");
	line = list_line(r.out, "bob");
	ck_assert_msg(strstr(line, "disabled"), "%s", line);
	free(line);
	line = list_line(r.out, "alice");
	ck_assert_msg(!strstr(line, "disabled"), "%s", line);
	free(line);
	tu_run_fini(&r);
	RUN(&r, NULL, "user", "enable", "bob");
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "user 'bob' enabled"), "%s", r.out);
	tu_run_fini(&r);
	ck_assert_int_eq(db_int("SELECT disabled FROM users WHERE name = 'bob'"), 0);
	RUN(&r, NULL, "user", "list");
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(!strstr(r.out, "disabled"), "%s", r.out);
	tu_run_fini(&r);

	RUN(&r, NULL, "token", "create", "alice", "--label", "ci runner");
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_uint_eq(strlen(r.out), AUTH_API_TOKEN_LEN + 1);
	r.out[AUTH_API_TOKEN_LEN] = '\0';
	auth_sha256_hex(r.out, hash);
	tu_run_fini(&r);
	db = db_open(dbpath, 0, err, sizeof(err));
	{
		char *q = xasprintf("SELECT count(*) FROM api_tokens WHERE token_hash = '%s' "
				    "AND label = 'ci runner'",
				    hash);

		ck_assert_int_eq(tu_db_int(db, q), 1);
		free(q);
	}
	db_close(db);
	RUN(&r, NULL, "token", "list", "alice");
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "\n2 ") && strstr(r.out, "ci runner") &&
			  strstr(r.out, "never") && !strstr(r.out, hash),
		      "%s", r.out);
	tu_run_fini(&r);
	/* bob's token (id 1) was ended by his disable: alice's is 2 */
	RUN(&r, NULL, "token", "revoke", "bob", "2");
	ck_assert_int_eq(r.status, EX_DATAERR); /* alice's token, not bob's */
	ck_assert_msg(strstr(r.err, "user 'bob' has no token 2"), "%s", r.err);
	tu_run_fini(&r);
	RUN(&r, NULL, "token", "revoke", "alice", "x1");
	ck_assert_int_eq(r.status, EX_USAGE);
	ck_assert_msg(strstr(r.err, "'x1' is not a token id"), "%s", r.err);
	tu_run_fini(&r);
	db = db_open(dbpath, 0, err, sizeof(err));
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM api_tokens"), 1);
	db_close(db);
	RUN(&r, NULL, "token", "revoke", "alice", "2");
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_msg(strstr(r.out, "token 2 of 'alice' revoked"), "%s", r.out);
	tu_run_fini(&r);
	db = db_open(dbpath, 0, err, sizeof(err));
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM api_tokens"), 0);
	/* db migrate, then each changing user and token command above: one row each */
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM audit_log WHERE actor = 'cli'"), 8);
	db_close(db);

	seed_server();
	RUN(&r, NULL, "server", "list");
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "alpha") && strstr(r.out, "27015") && strstr(r.out, "new"),
		      "%s", r.out);
	tu_run_fini(&r);
	RUN(&r, NULL, "server", "stop", "alpha");
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "job 1 queued: stop alpha"), "%s", r.out);
	tu_run_fini(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM jobs WHERE id = 1 AND kind = 'stop' AND "
				"target = 'alpha' AND state = 'queued' AND user_id IS NULL"),
			 1);
	RUN(&r, NULL, "job", "list");
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "stop") && strstr(r.out, "queued") && strstr(r.out, "system"),
		      "%s", r.out);
	tu_run_fini(&r);
	RUN(&r, NULL, "job", "show", "1");
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "job 1: stop alpha") && strstr(r.out, "state:    queued"), "%s",
		      r.out);
	tu_run_fini(&r);
	RUN(&r, NULL, "job", "wait", "1", "--timeout", "1");
	ck_assert_int_eq(r.status, EX_TEMPFAIL);
	ck_assert_msg(strstr(r.err, "still not finished after 1 s"), "%s", r.err);
	tu_run_fini(&r);
	RUN(&r, NULL, "config", "check");
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, ": ok"), "%s", r.out);
	tu_run_fini(&r);
}
END_TEST

/* A stand-in worker: claims one job after a delay, logs, finishes. */
static pid_t fake_worker(enum job_state end, const char *reason)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char err[256];
		sqlite3 *db = db_open(dbpath, 0, err, sizeof(err));
		struct job job;
		int i;

		for (i = 0; i < 200; i++) {
			if (db && db_job_claim(db, QUEUE_WORKER, "fake:1", &job) == DB_OK)
				break;
			usleep(20 * 1000);
		}
		if (i == 200)
			_exit(1);
		db_job_logf(db, job.id, STREAM_STEP, "initialize %s", job.target);
		usleep(100 * 1000);
		db_job_logf(db, job.id, STREAM_STDOUT, "helper output line");
		db_job_finish(db, job.id, "fake:1", end, end == JOB_SUCCEEDED ? 0 : 65, reason);
		job_fini(&job);
		db_close(db);
		_exit(0);
	}
	return pid;
}

START_TEST(test_wait)
{
	struct tu_run r;
	int status;
	pid_t w;

	migrate();
	RUN(&r, "password1", "user", "add", "alice", "--password-stdin");
	tu_run_fini(&r);
	seed_server();
	w = fake_worker(JOB_SUCCEEDED, "started");
	RUN(&r, NULL, "server", "start", "alpha", "--wait");
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.out, "==> initialize alpha") &&
			  strstr(r.out, "helper output line") && strstr(r.out, "job 1 succeeded"),
		      "%s", r.out);
	tu_run_fini(&r);
	ck_assert_int_eq(waitpid(w, &status, 0), w);
	ck_assert_int_eq(WEXITSTATUS(status), 0);

	w = fake_worker(JOB_FAILED, "left4me-overlay exited 65: bad lowerdir");
	RUN(&r, NULL, "server", "restart", "alpha", "--wait");
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "job 2 failed: left4me-overlay exited 65: bad lowerdir"), "%s",
		      r.err);
	tu_run_fini(&r);
	ck_assert_int_eq(waitpid(w, &status, 0), w);

	RUN(&r, NULL, "job", "wait", "2");
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.err, "job 2 failed: left4me-overlay exited 65: bad lowerdir"), "%s",
		      r.err);
	ck_assert_str_eq(r.out, "");
	tu_run_fini(&r);
	RUN(&r, NULL, "job", "tail", "1");
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "helper output line"), "%s", r.out);
	tu_run_fini(&r);
}
END_TEST

struct bad {
	const char *args[6];
	const char *input;
	int status;
	const char *err;
};

static const struct bad bad_cases[] = {
    {{"bogus"}, NULL, EX_USAGE, "unknown command 'bogus'"},
    {{"user"}, NULL, EX_USAGE, "'user' needs a subcommand"},
    {{"user", "frobnicate"}, NULL, EX_USAGE, "unknown command 'user frobnicate'"},
    {{"server", "start", "Bad_Name"}, NULL, EX_USAGE, "invalid server name 'Bad_Name'"},
    {{"server", "start", "../etc"}, NULL, EX_USAGE, "invalid server name"},
    {{"server", "start", "caf\xc3\xa9"}, NULL, EX_USAGE, "invalid server name"},
    {{"server", "start", "-x"}, NULL, EX_USAGE, "unknown option '-x'"},
    {{"server", "start"}, NULL, EX_USAGE, "missing argument"},
    {{"server", "start", "alpha", "beta"}, NULL, EX_USAGE, "unexpected argument 'beta'"},
    {{"server", "start", "alpha", "--wait", "--wait"}, NULL, EX_USAGE, "given twice"},
    {{"server", "delete", "ghost"}, NULL, EX_DATAERR, "no server named 'ghost'"},
    {{"server", "console"}, NULL, EX_USAGE, "server console: expected NAME -- COMMAND..."},
    {{"server", "console", "alpha", "status"}, NULL, EX_USAGE, "expected NAME -- COMMAND..."},
    {{"server", "console", "alpha", "--"}, NULL, EX_USAGE, "expected NAME -- COMMAND..."},
    {{"server", "console", "Bad", "--", "status"}, NULL, EX_USAGE, "invalid server name 'Bad'"},
    {{"server", "console", "ghost", "--", "status"}, NULL, EX_DATAERR, "no server named 'ghost'"},
    {{"server", "console", "alpha", "--", ""}, NULL, EX_DATAERR, "must not be empty"},
    {{"server", "console", "alpha", "--", "say\ta"},
     NULL,
     EX_DATAERR,
     "server alpha: a console command must not contain control characters (byte 0x09 at "
     "offset 3)"},
    {{"server", "console", "alpha", "--", "say", "a\nquit"},
     NULL,
     EX_DATAERR,
     "control characters (byte 0x0a at offset 5)"},
    {{"server", "console", "alpha", "--", "status"},
     NULL,
     EX_UNAVAILABLE,
     "server alpha is not running"},
    {{"server", "console", "alpha", "--", "RCON_password", "x"},
     NULL,
     EX_DATAERR,
     "must not name rcon_password: left4me sets it"},
    {{"server", "rcon"}, NULL, EX_USAGE, "server rcon: expected show|rotate NAME"},
    {{"server", "rcon", "show"}, NULL, EX_USAGE, "expected show|rotate NAME"},
    {{"server", "rcon", "peek", "alpha"}, NULL, EX_USAGE, "expected show|rotate NAME"},
    {{"server", "rcon", "show", "alpha", "beta"}, NULL, EX_USAGE, "expected show|rotate NAME"},
    {{"server", "rcon", "show", "Bad"}, NULL, EX_USAGE, "invalid server name 'Bad'"},
    {{"server", "rcon", "rotate", "ghost"}, NULL, EX_DATAERR, "no server named 'ghost'"},
    {{"job", "show", "abc"}, NULL, EX_USAGE, "invalid job id 'abc'"},
    {{"job", "show", "0"}, NULL, EX_USAGE, "invalid job id '0'"},
    {{"job", "show", "99"}, NULL, EX_DATAERR, "no job 99"},
    {{"job", "wait", "1", "--timeout", "-5"}, NULL, EX_USAGE, "--timeout wants seconds"},
    {{"job", "wait", "1", "--timeout", "soon"}, NULL, EX_USAGE, "--timeout wants seconds"},
    {{"job", "list", "--limit", "0"}, NULL, EX_USAGE, "--limit wants a number"},
    {{"job", "list", "--limit"}, NULL, EX_USAGE, "needs a value"},
    {{"user", "add", "Bad", "--password-stdin"}, "password1", EX_USAGE, "invalid user name"},
    {{"user", "add", "carol"}, "password1", EX_USAGE, "--password-stdin"},
    {{"user", "add", "carol", "--password-stdin"}, "short", EX_DATAERR, "password must be"},
    {{"user", "add", "carol", "--password-stdin"}, "", EX_DATAERR, "no password"},
    {{"user", "add", "alice", "--password-stdin"}, "password1", EX_DATAERR, "already exists"},
    {{"user", "passwd", "nobody", "--password-stdin"},
     "password1",
     EX_NOUSER,
     "no user named 'nobody'"},
    {{"user", "disable", "nobody"}, NULL, EX_NOUSER, "no user named"},
    {{"token", "create", "nobody"}, NULL, EX_NOUSER, "no user named"},
    {{"token", "create", "alice", "--label", ""}, NULL, EX_USAGE, "invalid label"},
    {{"db", "migrate", "now"}, NULL, EX_USAGE, "unexpected argument 'now'"},
    {{"config", "check", "-v"}, NULL, EX_USAGE, "unknown option"},
};

START_TEST(test_bad_input)
{
	const struct bad *c = &bad_cases[_i];
	struct tu_run r;
	char *before, *after;

	migrate();
	RUN(&r, "password1", "user", "add", "alice", "--password-stdin");
	tu_run_fini(&r);
	seed_server();
	before = snapshot();
	run(&r, c->input, c->args);
	ck_assert_msg(r.status == c->status, "%s: status %d, want %d (%s)", c->args[0], r.status,
		      c->status, r.err);
	ck_assert_msg(strstr(r.err, c->err), "stderr '%s' lacks '%s'", r.err, c->err);
	/* one line on stderr, naming the program */
	ck_assert_msg(strncmp(r.err, "left4mectl: ", 12) == 0, "%s", r.err);
	ck_assert_msg(strchr(r.err, '\n') == r.err + strlen(r.err) - 1, "not one line: %s", r.err);
	ck_assert_str_eq(r.out, "");
	tu_run_fini(&r);
	after = snapshot();
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
}
END_TEST

/* STATE/console/NAME as a FIFO held open read-write (a reader, as the
 * launcher); the fd. */
static int console_fifo(const char *name)
{
	char *d = xasprintf("%s/console", dir), *p = xasprintf("%s/%s", d, name);
	int fd;

	(void)mkdir(d, 0750);
	ck_assert_int_eq(mkfifo(p, 0660), 0);
	fd = open(p, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	free(p);
	free(d);
	return fd;
}

/* Everything in the FIFO now (new string). */
static char *fifo_take(int fd)
{
	static char buf[70000];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return xstrdup(buf);
}

static long long console_audits(void)
{
	char err[256];
	sqlite3 *db = db_open(dbpath, 0, err, sizeof(err));
	long long n;

	ck_assert_msg(db != NULL, "%s", err);
	n = tu_db_int(db, "SELECT count(*) FROM audit_log WHERE action = 'console'");
	db_close(db);
	return n;
}

/* A failure: the exit code, one stderr line holding want, nothing sent,
 * no audit row. */
static void console_refused(struct tu_run *r, int fd, int status, const char *want)
{
	char *got = fifo_take(fd);

	ck_assert_msg(r->status == status, "status %d, want %d: %s", r->status, status, r->err);
	ck_assert_msg(strncmp(r->err, "left4mectl: ", 12) == 0 && strstr(r->err, want), "%s",
		      r->err);
	ck_assert_msg(strchr(r->err, '\n') == r->err + strlen(r->err) - 1, "not one line: %s",
		      r->err);
	ck_assert_str_eq(r->out, "");
	ck_assert_str_eq(got, "");
	free(got);
	tu_run_fini(r);
}

START_TEST(test_console)
{
	struct tu_run r;
	char err[256], *got, *big, *path;
	long long audits;
	sqlite3 *db;
	int fd;

	migrate();
	RUN(&r, "password1", "user", "add", "alice", "--password-stdin");
	tu_run_fini(&r);
	seed_server();
	fd = console_fifo("alpha");

	/* The words joined by single spaces, one line in the FIFO, exit 0,
	 * nothing printed, one audit row by "cli". */
	RUN(&r, NULL, "server", "console", "alpha", "--", "say", "hello  world", "-x", "--");
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, "");
	tu_run_fini(&r);
	got = fifo_take(fd);
	ck_assert_str_eq(got, "say hello  world -x --\n");
	free(got);
	db = db_open(dbpath, 0, err, sizeof(err));
	ck_assert_msg(db != NULL, "%s", err);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM audit_log WHERE action = 'console' "
				       "AND actor = 'cli' AND user_id IS NULL AND object = 'alpha' "
				       "AND detail = 'say hello  world -x --'"),
			 1);
	db_close(db);
	audits = console_audits();

	/* 65: the rule, named (here: too long once joined). */
	big = xmalloc(600);
	memset(big, 'x', 510);
	big[510] = '\0';
	RUN(&r, NULL, "server", "console", "alpha", "--", "say", big);
	console_refused(&r, fd, EX_DATAERR, "a console command is at most 512 bytes (got 514)");
	free(big);

	/* 75: the FIFO is full (nobody drains it). */
	{
		char chunk[4096];

		memset(chunk, 'f', sizeof(chunk));
		while (write(fd, chunk, sizeof(chunk)) > 0)
			;
		ck_assert_int_eq(errno, EAGAIN);
		RUN(&r, NULL, "server", "console", "alpha", "--", "status");
		ck_assert_int_eq(r.status, EX_TEMPFAIL);
		ck_assert_msg(strstr(r.err, "the console of server alpha is full"), "%s", r.err);
		tu_run_fini(&r);
		free(fifo_take(fd));
	}

	/* 69: no reader any more. */
	ck_assert_int_eq(close(fd), 0);
	RUN(&r, NULL, "server", "console", "alpha", "--", "status");
	ck_assert_int_eq(r.status, EX_UNAVAILABLE);
	ck_assert_msg(strstr(r.err, "server alpha is not running"), "%s", r.err);
	tu_run_fini(&r);

	/* 70: not a FIFO (a regular file in its place); nothing written. */
	path = xasprintf("%s/console/alpha", dir);
	ck_assert_int_eq(unlink(path), 0);
	tu_write_file(path, "");
	RUN(&r, NULL, "server", "console", "alpha", "--", "status");
	ck_assert_int_eq(r.status, EX_SOFTWARE);
	ck_assert_msg(strstr(r.err, "is not a FIFO"), "%s", r.err);
	tu_run_fini(&r);
	got = tu_read_file(path);
	ck_assert_str_eq(got, "");
	free(got);
	free(path);
	ck_assert_int_eq(console_audits(), audits);
}
END_TEST

/* server rcon show|rotate: the password on stdout only, the same until
 * rotated, a new one after, and never on stderr. */
START_TEST(test_rcon)
{
	char first[80], second[80];
	struct tu_run r;

	migrate();
	RUN(&r, "password1", "user", "add", "alice", "--password-stdin");
	tu_run_fini(&r);
	seed_server();
	RUN(&r, NULL, "server", "rcon", "show", "alpha");
	ck_assert_msg(r.status == 0, "%s", r.err);
	ck_assert_uint_eq(strlen(r.out), RCON_PASSWORD_LEN + 1);
	ck_assert_int_eq(r.out[RCON_PASSWORD_LEN], '\n');
	snprintf(first, sizeof(first), "%.*s", RCON_PASSWORD_LEN, r.out);
	ck_assert(rcon_password_ok(first));
	ck_assert_str_eq(r.err, "");
	tu_run_fini(&r);
	RUN(&r, NULL, "server", "rcon", "show", "alpha");
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(strncmp(r.out, first, RCON_PASSWORD_LEN), 0);
	tu_run_fini(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit_log WHERE action = 'rcon_rotate'"), 0);
	RUN(&r, NULL, "server", "rcon", "rotate", "alpha");
	ck_assert_msg(r.status == 0, "%s", r.err);
	snprintf(second, sizeof(second), "%.*s", RCON_PASSWORD_LEN, r.out);
	ck_assert(rcon_password_ok(second));
	ck_assert_str_ne(first, second);
	ck_assert_msg(strstr(r.err, "RCON password rotated; it takes effect at the server's next "
				    "start"),
		      "%s", r.err);
	ck_assert_ptr_null(strstr(r.err, second));
	tu_run_fini(&r);
	RUN(&r, NULL, "server", "rcon", "show", "alpha");
	ck_assert_int_eq(strncmp(r.out, second, RCON_PASSWORD_LEN), 0);
	tu_run_fini(&r);
	ck_assert_int_eq(db_int("SELECT count(*) FROM audit_log WHERE action = 'rcon_rotate' AND "
				"actor = 'cli' AND detail = 'rotated'"),
			 1);
}
END_TEST

START_TEST(test_missing_db)
{
	struct tu_run r;
	struct stat st;

	RUN(&r, NULL, "user", "list");
	ck_assert_int_eq(r.status, EX_NOINPUT);
	ck_assert_msg(strstr(r.err, "does not exist (run 'left4mectl db migrate')"), "%s", r.err);
	tu_run_fini(&r);
	RUN(&r, "password1", "user", "add", "alice", "--password-stdin");
	ck_assert_int_eq(r.status, EX_NOINPUT);
	ck_assert_msg(strstr(r.err, "does not exist (run 'left4mectl db migrate')"), "%s", r.err);
	ck_assert_str_eq(r.out, "");
	tu_run_fini(&r);
	ck_assert_int_eq(stat(dbpath, &st), -1); /* nothing created */
}
END_TEST

START_TEST(test_bad_config)
{
	struct tu_run r;
	const char *argv[] = {ctl, "-c", "/nonexistent/left4me.yaml", "user", "list", NULL};
	const char *argv_dir[] = {ctl, "-c", "/", "user", "list", NULL};
	char *env_cfg = xasprintf("LEFT4ME_CONFIG=%s", cfg);
	char *env[] = {env_cfg, NULL};
	const char *argv_env[] = {ctl, "config", "check", NULL};

	tu_run(&r, (char *const *)argv, NULL, NULL);
	ck_assert_int_eq(r.status, EX_CONFIG);
	ck_assert_msg(strstr(r.err, "/nonexistent/left4me.yaml: cannot read"), "%s", r.err);
	tu_run_fini(&r);
	tu_run(&r, (char *const *)argv_dir, NULL, NULL);
	ck_assert_int_eq(r.status, EX_CONFIG);
	ck_assert_msg(strstr(r.err, "/: cannot read"), "%s", r.err);
	ck_assert_str_eq(r.out, "");
	tu_run_fini(&r);
	tu_write_file(cfg, "state_dir: /tmp\nweb:\n  bogus: 1\n");
	RUN(&r, NULL, "config", "check");
	ck_assert_int_eq(r.status, EX_CONFIG);
	ck_assert_msg(strstr(r.err, ":3:3: web.bogus: unknown key"), "%s", r.err);
	tu_run_fini(&r);
	/* $LEFT4ME_CONFIG is used when -c is absent */
	tu_run(&r, (char *const *)argv_env, NULL, env);
	ck_assert_int_eq(r.status, EX_CONFIG);
	ck_assert_msg(strstr(r.err, "web.bogus"), "%s", r.err);
	tu_run_fini(&r);
	free(env_cfg);
}
END_TEST

START_TEST(test_usage)
{
	struct tu_run r;
	const char *help[] = {ctl, "--help", NULL};
	const char *none[] = {ctl, NULL};
	const char *badopt[] = {ctl, "--frob", NULL};

	tu_run(&r, (char *const *)help, NULL, NULL);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "server start NAME [--wait]"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "server console NAME -- COMMAND..."), "%s", r.out);
	tu_run_fini(&r);
	/* no command and a bad option: the usage on stderr, nothing on stdout */
	tu_run(&r, (char *const *)none, NULL, NULL);
	ck_assert_int_eq(r.status, EX_USAGE);
	ck_assert_msg(strstr(r.err, "usage: left4mectl") && strstr(r.err, "server list"), "%s",
		      r.err);
	ck_assert_str_eq(r.out, "");
	tu_run_fini(&r);
	tu_run(&r, (char *const *)badopt, NULL, NULL);
	ck_assert_int_eq(r.status, EX_USAGE);
	ck_assert_msg(strstr(r.err, "--frob") && strstr(r.err, "usage: left4mectl"), "%s", r.err);
	ck_assert_str_eq(r.out, "");
	tu_run_fini(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("left4mectl");
	TCase *tc = tcase_create("cli");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_happy_path);
	tcase_add_test(tc, test_wait);
	tcase_add_loop_test(tc, test_bad_input, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_console);
	tcase_add_test(tc, test_rcon);
	tcase_add_test(tc, test_missing_db);
	tcase_add_test(tc, test_bad_config);
	tcase_add_test(tc, test_usage);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
