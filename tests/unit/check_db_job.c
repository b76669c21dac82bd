/* The job queue: enqueue, coalescing, claim order and serialisation,
 * heartbeat/finish ownership, log line cleaning, recovery of dead workers,
 * several processes claiming 1,000 jobs, and db_watch wake-ups. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "db.h"
#include "db_job.h"
#include "db_watch.h"
#include "testutil.h"
#include "timeutil.h"
#include "xalloc.h"

static char *dir;
static char *path;
static sqlite3 *db;

static void setup(void)
{
	dir = tu_mkdtemp();
	path = xasprintf("%s/left4me.db", dir);
	db = tu_db_new(dir);
}

static void teardown(void)
{
	db_close(db);
	tu_rmtree(dir);
	free(dir);
	free(path);
}

static int64_t enqueue(enum job_kind kind, const char *target, const char *coalesce)
{
	struct job_request req = {.kind = kind, .target = target, .coalesce_key = coalesce};
	int64_t id = 0;

	ck_assert_int_eq(db_job_enqueue(db, &req, &id, NULL), DB_OK);
	ck_assert_int_gt(id, 0);
	return id;
}

START_TEST(test_enqueue_get)
{
	struct job_request req = {.kind = JOB_START, .target = "alpha"};
	struct job job;
	int64_t id;

	tu_db_exec(db, "INSERT INTO users (name, password_hash, created_at, updated_at) "
		       "VALUES ('alice', '$y$x', 0, 0)");
	req.user_id = 1;
	ck_assert_int_eq(db_job_enqueue(db, &req, &id, NULL), DB_OK);
	ck_assert_int_eq(db_job_get(db, id, &job), DB_OK);
	ck_assert_int_eq(job.kind, JOB_START);
	ck_assert_str_eq(job.target, "alpha");
	ck_assert_int_eq(job.state, JOB_QUEUED);
	ck_assert_str_eq(job.user_name, "alice");
	ck_assert_int_eq(job.started_at, 0);
	ck_assert(!job.has_exit_code);
	job_fini(&job);
	/* a system job has no user */
	id = enqueue(JOB_INSTALL_GAME, NULL, NULL);
	ck_assert_int_eq(db_job_get(db, id, &job), DB_OK);
	ck_assert_ptr_null(job.user_name);
	ck_assert_int_eq(job.user_id, 0);
	job_fini(&job);
	ck_assert_int_eq(db_job_get(db, 9999, &job), DB_NOTFOUND);
}
END_TEST

struct bad_target {
	enum job_kind kind;
	const char *target;
};

static const struct bad_target bad_targets[] = {
    {JOB_START, ""},	       {JOB_START, "../etc"},	    {JOB_STOP, "Alpha"},
    {JOB_DELETE, "-x"},	       {JOB_BUILD_OVERLAY, "abc"},  {JOB_BUILD_OVERLAY, "0"},
    {JOB_BUILD_OVERLAY, ""},   {JOB_INSTALL_GAME, "alpha"}, {JOB_REFRESH_GLOBAL_OVERLAYS, "a/b"},
    {JOB_KIND_COUNT, "alpha"},
};

START_TEST(test_enqueue_bad_target)
{
	const struct bad_target *c = &bad_targets[_i];
	struct job_request req = {.kind = c->kind, .target = c->target};
	int64_t id = -1;

	ck_assert_int_eq(db_job_enqueue(db, &req, &id, NULL), DB_INVALID);
	ck_assert_int_eq(id, -1);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM jobs"), 0);
}
END_TEST

START_TEST(test_coalesce)
{
	struct job_request req = {.kind = JOB_REFRESH_GLOBAL_OVERLAYS,
				  .coalesce_key = "refresh_global_overlays"};
	int64_t a, b, c;
	bool co;
	struct job job;

	ck_assert_int_eq(db_job_enqueue(db, &req, &a, &co), DB_OK);
	ck_assert(!co);
	ck_assert_int_eq(db_job_enqueue(db, &req, &b, &co), DB_OK);
	ck_assert(co);
	ck_assert_int_eq(a, b);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM jobs"), 1);
	/* once claimed, it is no longer queued: a new refresh may queue */
	ck_assert_int_eq(db_job_claim(db, QUEUE_FETCHER, "h:1", &job), DB_OK);
	ck_assert_int_eq(job.id, a);
	job_fini(&job);
	ck_assert_int_eq(db_job_enqueue(db, &req, &c, &co), DB_OK);
	ck_assert(!co);
	ck_assert_int_ne(c, a);
	ck_assert_int_eq(db_job_enqueue(db, &req, &b, &co), DB_OK);
	ck_assert(co);
	ck_assert_int_eq(b, c);
	/* the unique index enforces it even against a raw insert */
	ck_assert(
	    (sqlite3_exec(db,
			  "INSERT INTO jobs (kind, queue, coalesce_key, created_at) VALUES "
			  "('refresh_global_overlays', 'fetcher', 'refresh_global_overlays', 0)",
			  NULL, NULL, NULL) &
	     0xff) == SQLITE_CONSTRAINT);
}
END_TEST

START_TEST(test_claim_order_and_queues)
{
	int64_t a = enqueue(JOB_START, "alpha", NULL);
	int64_t f = enqueue(JOB_REFRESH_GLOBAL_OVERLAYS, NULL, NULL);
	int64_t b = enqueue(JOB_START, "beta", NULL);
	struct job job;

	ck_assert_int_eq(db_job_claim(db, QUEUE_WORKER, "h:1", &job), DB_OK);
	ck_assert_int_eq(job.id, a);
	ck_assert_int_eq(job.state, JOB_RUNNING);
	ck_assert_str_eq(job.worker, "h:1");
	ck_assert_int_gt(job.started_at, 0);
	job_fini(&job);
	ck_assert_int_eq(db_job_claim(db, QUEUE_WORKER, "h:1", &job), DB_OK);
	ck_assert_int_eq(job.id, b);
	job_fini(&job);
	ck_assert_int_eq(db_job_claim(db, QUEUE_WORKER, "h:1", &job), DB_NOTFOUND);
	ck_assert_int_eq(db_job_claim(db, QUEUE_FETCHER, "h:2", &job), DB_OK);
	ck_assert_int_eq(job.id, f);
	job_fini(&job);
}
END_TEST

/* Two jobs on one server never run at once; other servers go ahead. */
START_TEST(test_claim_serialises_per_object)
{
	int64_t a1 = enqueue(JOB_START, "alpha", NULL);
	int64_t a2 = enqueue(JOB_STOP, "alpha", NULL);
	int64_t b = enqueue(JOB_START, "beta", NULL);
	struct job job;

	ck_assert_int_eq(db_job_claim(db, QUEUE_WORKER, "h:1", &job), DB_OK);
	ck_assert_int_eq(job.id, a1);
	job_fini(&job);
	ck_assert_int_eq(db_job_claim(db, QUEUE_WORKER, "h:2", &job), DB_OK);
	ck_assert_int_eq(job.id, b); /* a2 is skipped while a1 runs */
	job_fini(&job);
	ck_assert_int_eq(db_job_claim(db, QUEUE_WORKER, "h:2", &job), DB_NOTFOUND);
	ck_assert_int_eq(db_job_finish(db, a1, "h:1", JOB_SUCCEEDED, 0, "ok"), DB_OK);
	ck_assert_int_eq(db_job_claim(db, QUEUE_WORKER, "h:2", &job), DB_OK);
	ck_assert_int_eq(job.id, a2);
	job_fini(&job);
}
END_TEST

START_TEST(test_ownership)
{
	int64_t id = enqueue(JOB_START, "alpha", NULL);
	struct job job;

	ck_assert_int_eq(db_job_heartbeat(db, id, "h:1"), DB_NOTFOUND); /* not running */
	ck_assert_int_eq(db_job_finish(db, id, "h:1", JOB_SUCCEEDED, 0, NULL), DB_NOTFOUND);
	ck_assert_int_eq(db_job_claim(db, QUEUE_WORKER, "h:1", &job), DB_OK);
	job_fini(&job);
	ck_assert_int_eq(db_job_heartbeat(db, id, "h:1"), DB_OK);
	ck_assert_int_eq(db_job_heartbeat(db, id, "h:2"), DB_NOTFOUND);
	ck_assert_int_eq(db_job_finish(db, id, "h:2", JOB_FAILED, 1, "x"), DB_NOTFOUND);
	ck_assert_int_eq(db_job_finish(db, id, "h:1", JOB_RUNNING, 1, "x"), DB_INVALID);
	ck_assert_int_eq(db_job_cancel(db, id, "no"), DB_NOTFOUND); /* running */
	ck_assert_int_eq(db_job_finish(db, id, "h:1", JOB_FAILED, 3, "helper said\nno"), DB_OK);
	ck_assert_int_eq(db_job_finish(db, id, "h:1", JOB_SUCCEEDED, 0, NULL), DB_NOTFOUND);
	ck_assert_int_eq(db_job_get(db, id, &job), DB_OK);
	ck_assert_int_eq(job.state, JOB_FAILED);
	ck_assert(job.has_exit_code);
	ck_assert_int_eq(job.exit_code, 3);
	ck_assert_str_eq(job.reason, "helper said?no");
	ck_assert_int_ge(job.finished_at, job.started_at);
	job_fini(&job);
}
END_TEST

START_TEST(test_cancel)
{
	int64_t id = enqueue(JOB_START, "alpha", NULL);
	struct job job;

	ck_assert_int_eq(db_job_cancel(db, id, "changed my mind"), DB_OK);
	ck_assert_int_eq(db_job_cancel(db, id, "again"), DB_NOTFOUND);
	ck_assert_int_eq(db_job_get(db, id, &job), DB_OK);
	ck_assert_int_eq(job.state, JOB_CANCELLED);
	ck_assert_str_eq(job.reason, "changed my mind");
	job_fini(&job);
	ck_assert_int_eq(db_job_claim(db, QUEUE_WORKER, "h:1", &job), DB_NOTFOUND);
}
END_TEST

struct log_case {
	const char *in;
	const char *want;
};

static const struct log_case log_cases[] = {
    {"plain line", "plain line"},
    {"crlf\r\n", "crlf"},
    {"progress\r", "progress"},
    {"tab\tkept", "tab\tkept"},
    {"bell\x07 esc\x1b[0m", "bell? esc?[0m"},
    {"caf\xc3\xa9 ok", "caf\xc3\xa9 ok"},
    {"bad \xff\xfe utf8", "bad ?? utf8"},
    {"cut \xe2\x9c", "cut ??"},
    {"c1 \xc2\x9b[31m nbsp\xc2\xa0", "c1 ?[31m nbsp\xc2\xa0"},
    {"", ""},
    /* no job log line holds an RCON password (docs/SECURITY.md, "RCON") */
    {"rcon_password \"Abc123Abc123Abc123Abc123\"", "rcon_password (withheld)"},
    {"+ echo RCON_PASSWORD=x; ls", "+ echo RCON_PASSWORD (withheld)"},
    {"setting rcon_password\r\n", "setting rcon_password (withheld)"},
};

START_TEST(test_log_cleaning)
{
	const struct log_case *c = &log_cases[_i];
	int64_t id = enqueue(JOB_START, "alpha", NULL), log_id = 0;
	struct job_log_line *lines;
	size_t n;

	ck_assert_int_eq(db_job_log(db, id, STREAM_STDOUT, c->in, &log_id), DB_OK);
	ck_assert_int_gt(log_id, 0);
	ck_assert_int_eq(db_job_log_read(db, id, 0, 10, &lines, &n), DB_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(lines[0].id, log_id);
	ck_assert_int_eq(lines[0].stream, STREAM_STDOUT);
	ck_assert_str_eq(lines[0].line, c->want);
	job_log_lines_free(lines, n);
}
END_TEST

/* A job's reason is cleaned like a log line: no RCON password either. */
START_TEST(test_reason_redacted)
{
	int64_t id = enqueue(JOB_START, "alpha", NULL);
	struct job j;

	ck_assert_int_eq(db_job_claim(db, QUEUE_WORKER, "h:1", &j), DB_OK);
	job_fini(&j);
	ck_assert_int_eq(db_job_finish(db, id, "h:1", JOB_FAILED, 1,
				       "helper said: rcon_password \"Abc123Abc123Abc123Abc123\""),
			 DB_OK);
	ck_assert_int_eq(db_job_get(db, id, &j), DB_OK);
	ck_assert_str_eq(j.reason, "helper said: rcon_password (withheld)");
	job_fini(&j);
}
END_TEST

START_TEST(test_log_long_line)
{
	int64_t id = enqueue(JOB_START, "alpha", NULL);
	char *big = xmalloc(3 * 2000 + 1);
	struct job_log_line *lines;
	size_t n, i;

	/* 2000 three-byte characters: 6000 bytes, cut on a boundary <= 4096 */
	for (i = 0; i < 2000; i++)
		memcpy(big + 3 * i, "\xe2\x9c\x93", 3);
	big[6000] = '\0';
	ck_assert_int_eq(db_job_log(db, id, STREAM_STDERR, big, NULL), DB_OK);
	ck_assert_int_eq(db_job_log_read(db, id, 0, 10, &lines, &n), DB_OK);
	ck_assert_uint_eq(strlen(lines[0].line), 4095);
	ck_assert_int_eq(lines[0].stream, STREAM_STDERR);
	job_log_lines_free(lines, n);
	free(big);
}
END_TEST

START_TEST(test_log_paging_and_progress)
{
	int64_t id = enqueue(JOB_INSTALL_GAME, NULL, NULL), other = enqueue(JOB_START, "x", NULL);
	struct job_log_line *lines;
	size_t n;
	int i;

	for (i = 0; i < 25; i++)
		ck_assert_int_eq(db_job_logf(db, id, STREAM_STEP, "step %d", i), DB_OK);
	ck_assert_int_eq(db_job_logf(db, other, STREAM_INFO, "elsewhere"), DB_OK);
	ck_assert_int_eq(db_job_progress(db, id, 2.734, 465905134, 17058703111LL, "downloading"),
			 DB_OK);
	ck_assert_int_eq(db_job_progress(db, id, 140, 1, 1, NULL), DB_OK);
	ck_assert_int_eq(db_job_log_read(db, id, 0, 10, &lines, &n), DB_OK);
	ck_assert_uint_eq(n, 10);
	ck_assert_str_eq(lines[9].line, "step 9");
	{
		int64_t last = lines[9].id;

		job_log_lines_free(lines, n);
		ck_assert_int_eq(db_job_log_read(db, id, last, 100, &lines, &n), DB_OK);
	}
	ck_assert_uint_eq(n, 17);
	ck_assert_str_eq(lines[0].line, "step 10");
	ck_assert_int_eq(lines[15].stream, STREAM_PROGRESS);
	ck_assert_str_eq(lines[15].line, "2.7 465905134 17058703111 downloading");
	ck_assert_str_eq(lines[16].line, "100.0 1 1 ");
	job_log_lines_free(lines, n);
}
END_TEST

static bool fake_alive(const char *worker)
{
	return strcmp(worker, "gone:1") != 0;
}

START_TEST(test_recover_stale)
{
	int64_t a = enqueue(JOB_START, "alpha", NULL), b = enqueue(JOB_START, "beta", NULL);
	int64_t c = enqueue(JOB_START, "gamma", NULL),
		f = enqueue(JOB_REFRESH_GLOBAL_OVERLAYS, NULL, NULL);
	struct job job;
	int n = -1;

	ck_assert_int_eq(db_job_claim(db, QUEUE_WORKER, "far:1", &job), DB_OK);
	job_fini(&job);
	ck_assert_int_eq(db_job_claim(db, QUEUE_WORKER, "near:2", &job), DB_OK);
	job_fini(&job);
	ck_assert_int_eq(db_job_claim(db, QUEUE_WORKER, "gone:1", &job), DB_OK);
	job_fini(&job);
	ck_assert_int_eq(db_job_claim(db, QUEUE_FETCHER, "far:1", &job), DB_OK);
	job_fini(&job);
	/* a's worker last beat a minute ago; b's just now; c's pid is gone */
	tu_db_exec(db, "UPDATE jobs SET heartbeat_at = heartbeat_at - 60000 WHERE id IN (1, 4)");
	ck_assert_int_eq(db_job_recover(db, QUEUE_WORKER, 30000, fake_alive, &n), DB_OK);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(db_job_get(db, a, &job), DB_OK);
	ck_assert_int_eq(job.state, JOB_FAILED);
	ck_assert_msg(strstr(job.reason, "stopped heartbeating 60 s ago"), "%s", job.reason);
	job_fini(&job);
	ck_assert_int_eq(db_job_get(db, b, &job), DB_OK);
	ck_assert_int_eq(job.state, JOB_RUNNING);
	job_fini(&job);
	ck_assert_int_eq(db_job_get(db, c, &job), DB_OK);
	ck_assert_int_eq(job.state, JOB_FAILED);
	ck_assert_msg(strstr(job.reason, "died"), "%s", job.reason);
	job_fini(&job);
	/* the fetcher's queue is the fetcher's business */
	ck_assert_int_eq(db_job_get(db, f, &job), DB_OK);
	ck_assert_int_eq(job.state, JOB_RUNNING);
	job_fini(&job);
	/* the dead worker's late heartbeat and finish are refused */
	ck_assert_int_eq(db_job_heartbeat(db, a, "far:1"), DB_NOTFOUND);
	ck_assert_int_eq(db_job_finish(db, a, "far:1", JOB_SUCCEEDED, 0, NULL), DB_NOTFOUND);
	ck_assert_int_eq(
	    tu_db_int(db,
		      "SELECT count(*) FROM job_log WHERE stream = 'info' AND job_id IN (1, 3)"),
	    2);
}
END_TEST

/* A real process claims a job and is SIGKILLed; the next recovery (as at a
 * worker's start) fails the job at once, by pid, without waiting for the
 * heartbeat to go stale. */
START_TEST(test_recover_sigkilled_claimer)
{
	int64_t id = enqueue(JOB_START, "alpha", NULL);
	int ready[2], status, n = -1;
	char byte;
	struct job job;
	pid_t pid;

	ck_assert_int_eq(pipe(ready), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char err[256], me[JOB_WORKER_MAX];
		sqlite3 *c = db_open(path, 0, err, sizeof(err));
		struct job j;

		job_worker_id(me, sizeof(me));
		if (!c || db_job_claim(c, QUEUE_WORKER, me, &j) != DB_OK)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(2);
		pause();
		_exit(3);
	}
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &byte, 1), 1);
	close(ready[0]);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(db_job_get(db, id, &job), DB_OK);
	ck_assert_int_eq(job.state, JOB_RUNNING);
	job_fini(&job);
	ck_assert_int_eq(db_job_recover(db, QUEUE_WORKER, 3600 * 1000, NULL, &n), DB_OK);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(db_job_get(db, id, &job), DB_OK);
	ck_assert_int_eq(job.state, JOB_FAILED);
	ck_assert_msg(strstr(job.reason, "died while running the job"), "%s", job.reason);
	job_fini(&job);
	/* recovering again finds nothing; our own live pid is never recovered */
	ck_assert_int_eq(db_job_recover(db, QUEUE_WORKER, 3600 * 1000, NULL, &n), DB_OK);
	ck_assert_int_eq(n, 0);
}
END_TEST

START_TEST(test_worker_id_alive)
{
	char me[JOB_WORKER_MAX];

	job_worker_id(me, sizeof(me));
	ck_assert(strchr(me, ':') != NULL);
	ck_assert(job_worker_alive(me));
	ck_assert(job_worker_alive("some-other-host:1"));
	ck_assert(!job_worker_alive(NULL));
	ck_assert(!job_worker_alive("nocolon"));
}
END_TEST

/* The concurrency test the issue asks for: several processes claim from
 * 1,000 queued jobs; every job is claimed exactly once. */
START_TEST(test_concurrent_claims)
{
	enum { JOBS = 1000, PROCS = 4 };
	int fds[2], i, status;
	pid_t pids[PROCS];
	int *seen = xcalloc(JOBS + 1, sizeof(int));
	int64_t got;
	size_t total = 0;

	tu_db_exec(db, "BEGIN");
	for (i = 0; i < JOBS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "s%d", i);
		enqueue(JOB_START, name, NULL);
	}
	tu_db_exec(db, "COMMIT");
	ck_assert_int_eq(pipe(fds), 0);
	for (i = 0; i < PROCS; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			char err[256], me[32];
			sqlite3 *c = db_open(path, 0, err, sizeof(err));
			struct job j;
			int rc;

			close(fds[0]);
			free(seen); /* inherited; valgrind checks children too */
			snprintf(me, sizeof(me), "test:%d", i);
			if (!c)
				_exit(1);
			while ((rc = db_job_claim(c, QUEUE_WORKER, me, &j)) == DB_OK) {
				if (write(fds[1], &j.id, sizeof(j.id)) != sizeof(j.id))
					_exit(2);
				if (db_job_finish(c, j.id, me, JOB_SUCCEEDED, 0, NULL) != DB_OK)
					_exit(3);
				job_fini(&j);
			}
			db_close(c);
			_exit(rc == DB_NOTFOUND ? 0 : 4);
		}
	}
	close(fds[1]);
	while (read(fds[0], &got, sizeof(got)) == sizeof(got)) {
		ck_assert(got >= 1 && got <= JOBS);
		seen[got]++;
		total++;
	}
	close(fds[0]);
	for (i = 0; i < PROCS; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "claimer %d exited with %d", i, WEXITSTATUS(status));
	}
	ck_assert_uint_eq(total, JOBS);
	for (i = 1; i <= JOBS; i++)
		ck_assert_msg(seen[i] == 1, "job %d claimed %d times", i, seen[i]);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM jobs WHERE state = 'succeeded'"),
			 JOBS);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(DISTINCT worker) FROM jobs") > 1, 1);
	free(seen);
}
END_TEST

START_TEST(test_list_and_counts)
{
	struct job_filter f = {.limit = 2};
	struct job *jobs;
	int64_t counts[5];
	size_t n;
	struct job job;

	enqueue(JOB_START, "alpha", NULL);
	enqueue(JOB_STOP, "alpha", NULL);
	enqueue(JOB_START, "beta", NULL);
	ck_assert_int_eq(db_job_claim(db, QUEUE_WORKER, "h:1", &job), DB_OK);
	job_fini(&job);
	ck_assert_int_eq(db_job_list(db, &f, &jobs, &n), DB_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(jobs[0].id, 3); /* newest first */
	ck_assert_int_eq(jobs[1].id, 2);
	f.before_id = jobs[1].id;
	job_list_free(jobs, n);
	ck_assert_int_eq(db_job_list(db, &f, &jobs, &n), DB_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(jobs[0].id, 1);
	job_list_free(jobs, n);
	f = (struct job_filter){.target = "alpha", .limit = 10};
	ck_assert_int_eq(db_job_list(db, &f, &jobs, &n), DB_OK);
	ck_assert_uint_eq(n, 2);
	job_list_free(jobs, n);
	ck_assert_int_eq(db_job_count_by_state(db, counts), DB_OK);
	ck_assert_int_eq(counts[JOB_QUEUED], 2);
	ck_assert_int_eq(counts[JOB_RUNNING], 1);
	ck_assert_int_eq(counts[JOB_SUCCEEDED], 0);
}
END_TEST

START_TEST(test_names)
{
	int k;

	for (k = 0; k < JOB_KIND_COUNT; k++) {
		enum job_kind back;

		ck_assert_int_eq(job_kind_parse(job_kind_name(k), &back), 0);
		ck_assert_int_eq(back, k);
	}
	ck_assert_int_eq(job_kind_queue(JOB_REFRESH_GLOBAL_OVERLAYS), QUEUE_FETCHER);
	ck_assert_int_eq(job_kind_queue(JOB_BUILD_OVERLAY), QUEUE_WORKER);
	ck_assert(job_kind_is_server(JOB_DELETE));
	ck_assert(!job_kind_is_server(JOB_INSTALL_GAME));
	{
		enum job_kind k2;
		enum job_state s;
		enum job_stream st;

		ck_assert_int_eq(job_kind_parse("rm -rf", &k2), -1);
		ck_assert_int_eq(job_state_parse("done", &s), -1);
		ck_assert_int_eq(job_stream_parse("progress", &st), 0);
		ck_assert_int_eq(st, STREAM_PROGRESS);
	}
}
END_TEST

/* db_watch wakes a waiter when another process commits, and times out
 * when nothing happens. */
START_TEST(test_watch)
{
	char err[256];
	struct db_watch *w = db_watch_new(path, err, sizeof(err));
	int64_t t0;
	pid_t pid;
	int status;

	ck_assert_msg(w != NULL, "%s", err);
	db_watch_drain(w);
	t0 = mono_ms();
	ck_assert_int_eq(db_watch_wait(w, 200), 0);
	ck_assert_int_ge(mono_ms() - t0, 150);
	/* writes to unrelated files in the directory do not wake it */
	{
		char *other = xasprintf("%s/unrelated.txt", dir);

		tu_write_file(other, "x");
		free(other);
	}
	ck_assert_int_eq(db_watch_wait(w, 100), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		sqlite3 *c = db_open(path, 0, err, sizeof(err));
		struct job_request req = {.kind = JOB_START, .target = "alpha"};
		int64_t id;
		int ok;

		db_watch_free(w); /* inherited; valgrind checks children too */
		usleep(100 * 1000);
		ok = c && db_job_enqueue(c, &req, &id, NULL) == DB_OK;
		db_close(c);
		_exit(ok ? 0 : 1);
	}
	t0 = mono_ms();
	ck_assert_int_eq(db_watch_wait(w, 5000), 1);
	ck_assert_int_lt(mono_ms() - t0, 2000);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM jobs"), 1);
	db_watch_free(w);
	ck_assert_ptr_null(db_watch_new("/nonexistent-dir/x.db", err, sizeof(err)));
	ck_assert_msg(strstr(err, "cannot watch /nonexistent-dir"), "%s", err);
}
END_TEST

/* worker.max_job_log: lines up to the cap are stored, the one that would
 * pass it becomes one info line naming the key, and nothing follows,
 * whether written through this handle or another connection (another
 * process) that starts counting from the rows. */
START_TEST(test_log_cap)
{
	int64_t id = enqueue(JOB_BUILD_OVERLAY, "1", NULL), other = enqueue(JOB_START, "b", NULL);
	int64_t log_id = -1;
	char line[1001];
	struct job_log_line *lines;
	char err[256];
	sqlite3 *db2;
	size_t n;
	int i;

	db_job_set_log_max(65536);
	memset(line, 'x', 1000);
	line[1000] = '\0';
	for (i = 0; i < 65; i++) /* 65,000 bytes */
		ck_assert_int_eq(db_job_log(db, id, STREAM_STDOUT, line, NULL), DB_OK);
	/* a second writer sees the same total: one line of 536 fits, not 537 */
	db2 = db_open(path, 0, err, sizeof(err));
	ck_assert_msg(db2 != NULL, "%s", err);
	line[536] = '\0';
	ck_assert_int_eq(db_job_log(db2, id, STREAM_STDOUT, line, &log_id), DB_OK);
	ck_assert_int_gt(log_id, 0);
	ck_assert_int_eq(db_job_log(db, id, STREAM_STDERR, "y", &log_id), DB_OK);
	ck_assert_int_eq(log_id, 0);
	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(db_job_log(db, id, STREAM_STDOUT, line, &log_id), DB_OK);
		ck_assert_int_eq(db_job_logf(db2, id, STREAM_STEP, "step %d", i), DB_OK);
	}
	ck_assert_int_eq(log_id, 0);
	ck_assert_int_eq(db_job_log(db, other, STREAM_STDOUT, "other job", &log_id), DB_OK);
	ck_assert_int_gt(log_id, 0);
	ck_assert_int_eq(db_job_log_read(db, id, 0, 1000, &lines, &n), DB_OK);
	ck_assert_uint_eq(n, 67);
	ck_assert_uint_eq(strlen(lines[65].line), 536);
	ck_assert_int_eq(lines[66].stream, STREAM_INFO);
	ck_assert_str_eq(
	    lines[66].line,
	    "log truncated at 65536 bytes (worker.max_job_log); later lines are dropped");
	job_log_lines_free(lines, n);
	ck_assert_int_eq(
	    tu_db_int(db, "SELECT sum(length(line)) FROM job_log WHERE stream != 'info'"),
	    65536 + 9);
	db_close(db2);
	db_job_set_log_max(JOB_LOG_MAX_DEFAULT);
}
END_TEST

/* A daemon's config sets the cap: daemon_load_config applies
 * worker.max_job_log (every daemon and left4mectl load through it). */
START_TEST(test_log_cap_from_config)
{
	int64_t id = enqueue(JOB_BUILD_OVERLAY, "1", NULL);
	char *cfg_path = xasprintf("%s/left4me.yaml", dir), line[1001];
	struct config *cfg = NULL;
	FILE *f = fopen(cfg_path, "w");
	int i;

	ck_assert_ptr_nonnull(f);
	fputs("worker:\n  max_job_log: 65536\n", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(daemon_load_config(cfg_path, &cfg), 0);
	ck_assert_int_eq(cfg->worker.max_job_log, 65536);
	memset(line, 'x', 1000);
	line[1000] = '\0';
	for (i = 0; i < 70; i++)
		ck_assert_int_eq(db_job_log(db, id, STREAM_STDOUT, line, NULL), DB_OK);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM job_log"), 66);
	ck_assert_int_eq(tu_db_int(db, "SELECT count(*) FROM job_log WHERE stream = 'info' AND "
				       "line LIKE 'log truncated at 65536 bytes%'"),
			 1);
	config_free(cfg);
	free(cfg_path);
	db_job_set_log_max(JOB_LOG_MAX_DEFAULT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("db_job");
	TCase *tc = tcase_create("queue");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_enqueue_get);
	tcase_add_loop_test(tc, test_enqueue_bad_target, 0,
			    (int)(sizeof(bad_targets) / sizeof(bad_targets[0])));
	tcase_add_test(tc, test_coalesce);
	tcase_add_test(tc, test_claim_order_and_queues);
	tcase_add_test(tc, test_claim_serialises_per_object);
	tcase_add_test(tc, test_ownership);
	tcase_add_test(tc, test_cancel);
	tcase_add_loop_test(tc, test_log_cleaning, 0,
			    (int)(sizeof(log_cases) / sizeof(log_cases[0])));
	tcase_add_test(tc, test_log_long_line);
	tcase_add_test(tc, test_reason_redacted);
	tcase_add_test(tc, test_log_paging_and_progress);
	tcase_add_test(tc, test_log_cap);
	tcase_add_test(tc, test_log_cap_from_config);
	tcase_add_test(tc, test_recover_stale);
	tcase_add_test(tc, test_recover_sigkilled_claimer);
	tcase_add_test(tc, test_worker_id_alive);
	tcase_add_test(tc, test_concurrent_claims);
	tcase_add_test(tc, test_list_and_counts);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_watch);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
