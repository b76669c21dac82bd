/* Test helpers; see testutil.h. */
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db.h"
#include "strbuf.h"
#include "xalloc.h"

extern char **environ;

char *tu_mkdtemp(void)
{
	const char *tmp = getenv("TMPDIR");
	char *path = xasprintf("%s/left4me-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");

	ck_assert_msg(mkdtemp(path) != NULL, "mkdtemp: %s", strerror(errno));
	return path;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void tu_rmtree(const char *path)
{
	if (path)
		nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

void tu_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
	ck_assert(fputs(text, f) >= 0);
	ck_assert(fclose(f) == 0);
}

char *tu_read_file(const char *path)
{
	struct strbuf sb;
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	strbuf_init(&sb);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_append(&sb, buf, n);
	fclose(f);
	{
		char *text = strbuf_detach(&sb);

		strbuf_fini(&sb);
		return text;
	}
}

sqlite3 *tu_db_new(const char *dir)
{
	char *path = xasprintf("%s/left4me.db", dir);
	char err[256];
	sqlite3 *db = db_open(path, DB_OPEN_CREATE, err, sizeof(err));

	ck_assert_msg(db != NULL, "db_open: %s", err);
	ck_assert_msg(db_migrate(db, DB_SCHEMA_VERSION, NULL, err, sizeof(err)) == 0, "migrate: %s",
		      err);
	free(path);
	return db;
}

long long tu_db_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
		      sqlite3_errmsg(db));
	ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "%s: no row", sql);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

void tu_db_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK, "%s: %s", sql,
		      msg ? msg : "?");
}

void tu_run(struct tu_run *r, char *const argv[], const char *input, char *const extra_env[])
{
	int in[2], out[2], err[2];
	posix_spawn_file_actions_t fa;
	struct strbuf o, e;
	char **env;
	size_t n_env = 0, n_extra = 0, i;
	pid_t pid;
	int status;
	size_t in_off = 0, in_len = input ? strlen(input) : 0;

	ck_assert(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0 &&
		  pipe2(err, O_CLOEXEC) == 0);
	while (environ[n_env])
		n_env++;
	while (extra_env && extra_env[n_extra])
		n_extra++;
	env = xcalloc(n_env + n_extra + 1, sizeof(*env));
	for (i = 0; i < n_extra; i++)
		env[i] = extra_env[i];
	for (i = 0; i < n_env; i++)
		env[n_extra + i] = environ[i];
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	ck_assert_msg(posix_spawn(&pid, argv[0], &fa, NULL, argv, env) == 0, "spawn %s", argv[0]);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (in_len == 0) {
		close(in[1]);
		in[1] = -1;
	}
	strbuf_init(&o);
	strbuf_init(&e);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct pollfd p[3] = {
		    {out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
		int open_fds = (out[0] >= 0) + (err[0] >= 0);
		char buf[4096];

		if (open_fds == 0)
			break;
		p[0].fd = out[0];
		p[1].fd = err[0];
		p[2].fd = in[1];
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		for (i = 0; i < 2; i++) {
			int *fd = i == 0 ? &out[0] : &err[0];

			if (*fd >= 0 && (p[i].revents & (POLLIN | POLLHUP))) {
				ssize_t n = read(*fd, buf, sizeof(buf));

				if (n > 0)
					strbuf_append(i == 0 ? &o : &e, buf, (size_t)n);
				else {
					close(*fd);
					*fd = -1;
				}
			}
		}
		if (in[1] >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n = write(in[1], input + in_off, in_len - in_off);

			if (n > 0)
				in_off += (size_t)n;
			if (n <= 0 || in_off == in_len) {
				close(in[1]);
				in[1] = -1;
			}
		}
	}
	if (in[1] >= 0)
		close(in[1]);
	ck_assert(waitpid(pid, &status, 0) == pid);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	r->out = strbuf_detach(&o);
	r->err = strbuf_detach(&e);
	strbuf_fini(&o);
	strbuf_fini(&e);
}

void tu_run_fini(struct tu_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

char *tu_build_path(const char *rel)
{
	const char *b = getenv("LEFT4ME_BUILD");

	return xasprintf("%s/%s", b && *b ? b : "build", rel);
}

int tu_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
