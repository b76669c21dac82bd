/* left4me-worker: initialize + stage for a blueprint with 20 overlays, and
 * reset of an initialized instance (DESIGN.md §6: < 50 ms, < 100 ms).
 *
 *   build/bench/worker_lifecycle [RUNS]
 *
 * Builds a temp state dir (fake installation, 20 overlays, 10 of them
 * opting their server.cfg in, one of them global) and a migrated DB, then
 * runs real worker jobs in-process through jobs_run() (claim, every DB
 * read, job_log writes, staging, instance.env, finish), with worker.sudo
 * false and the helpers replaced by /bin/true, so each helper call costs a
 * real fork+exec but no systemd.  Before each reset the instance's upper/
 * gets 200 small files (logs, SourceMod data) to delete.  Mounting is
 * measured separately (bench/overlay-mount.sh). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../left4me-worker/jobs.h"
#include "../left4me-worker/worker.h"
#include "config.h"
#include "db.h"
#include "db_job.h"
#include "log.h"
#include "parse.h"
#include "timeutil.h"
#include "xalloc.h"

#define N_OVERLAYS 20

static void die(const char *what)
{
	fprintf(stderr, "worker_lifecycle: %s\n", what);
	exit(1);
}

static void mkdirs(const char *p)
{
	char *s, *b = xstrdup(p);

	for (s = b + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(b, 0755);
			*s = '/';
		}
	}
	mkdir(b, 0755);
	free(b);
}

static void write_file(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		die(p);
}

static void exec_sql(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(sqlite3_errmsg(db));
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *ms, int n, double target)
{
	double sum = 0;

	qsort(ms, (size_t)n, sizeof(*ms), cmp);
	for (int i = 0; i < n; i++)
		sum += ms[i];
	printf("%-32s runs %d  mean %.2f  p50 %.2f  p99 %.2f  max %.2f ms  (target < %.0f)\n", what,
	       n, sum / n, ms[n / 2], ms[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], ms[n - 1],
	       target);
}

static double run_job(struct worker *w, enum job_kind kind, const char *target)
{
	struct job_request req = {.kind = kind, .target = target};
	struct job job;
	int64_t id, t0 = mono_ns();

	if (db_job_enqueue(w->db, &req, &id, NULL) != DB_OK)
		die("enqueue");
	t0 = mono_ns();
	if (db_job_claim(w->db, QUEUE_WORKER, w->id, &job) != DB_OK)
		die("claim");
	jobs_run(w, &job);
	job_fini(&job);
	{
		double ms = (double)(mono_ns() - t0) / 1e6;
		struct job j;

		if (db_job_get(w->db, id, &j) != DB_OK || j.state != JOB_SUCCEEDED) {
			fprintf(stderr, "job %lld: %s\n", (long long)id, j.reason ? j.reason : "?");
			die("job failed");
		}
		job_fini(&j);
		return ms;
	}
}

int main(int argc, char **argv)
{
	static volatile sig_atomic_t stop;
	long long runs = 50;
	char tmpl[] = "/tmp/left4me-bench.XXXXXX";
	char *dir, *state, *helpers, *p, *dbp, err[256];
	const char *names[] = {"left4me-overlay", "left4me-systemctl", "left4me-script-sandbox"};
	struct config *cfg;
	struct worker w;
	double *init_ms, *reset_ms;
	sqlite3 *db;
	int i;

	if (argc > 1 && parse_int(argv[1], 1, 100000, &runs) < 0)
		die("usage: worker_lifecycle [RUNS]");
	log_init("worker_lifecycle");
	log_set_max_level(LOG_LEVEL_WARNING);
	dir = mkdtemp(tmpl);
	if (!dir)
		die("mkdtemp");
	state = xasprintf("%s/state", dir);
	helpers = xasprintf("%s/helpers", dir);
	mkdirs(helpers);
	for (i = 0; i < 3; i++) {
		p = xasprintf("%s/%s", helpers, names[i]);
		if (symlink("/bin/true", p) < 0)
			die("symlink");
		free(p);
	}
	p = xasprintf("%s/installation/builds/1/bin", state);
	mkdirs(p);
	free(p);
	p = xasprintf("%s/installation/builds/1/srcds_run", state);
	write_file(p, "#!/bin/sh\n");
	free(p);
	p = xasprintf("%s/installation/current", state);
	if (symlink("builds/1", p) < 0)
		die("symlink");
	free(p);

	dbp = xasprintf("%s/left4me.db", state);
	db = db_open(dbp, DB_OPEN_CREATE, err, sizeof(err));
	if (!db || db_migrate(db, DB_SCHEMA_VERSION, NULL, err, sizeof(err)) < 0)
		die(err);
	exec_sql(db, "INSERT INTO users VALUES (1, 'bench', '$y$x', 'user', 0, 0, 0);"
		     "INSERT INTO blueprints (id, user_id, name, config, created_at, updated_at) "
		     "VALUES (1, 1, 'bp', 'hostname bench\nsv_lan 0\n', 0, 0);"
		     "INSERT INTO servers (name, user_id, blueprint_id, port, created_at, "
		     "updated_at) VALUES ('bench', 1, 1, 27015, 0, 0);"
		     "INSERT INTO global_overlay_sources (id, name, kind, complete, created_at) "
		     "VALUES (1, 'maps', 'url_list', 1, 0);"
		     "INSERT INTO overlays (id, name, kind, source_id, created_at, updated_at) "
		     "VALUES (100, 'maps', 'global', 1, 0, 0);"
		     "INSERT INTO blueprint_overlays VALUES (1, 100, 19, 0);");
	p = xasprintf("%s/global_overlay_cache/maps/overlay/left4dead2/addons", state);
	mkdirs(p);
	free(p);
	for (i = 1; i < N_OVERLAYS; i++) {
		char sql[256];

		snprintf(sql, sizeof(sql),
			 "INSERT INTO overlays (id, user_id, name, kind, created_at, updated_at) "
			 "VALUES (%d, 1, 'o%d', 'user', 0, 0);"
			 "INSERT INTO blueprint_overlays VALUES (1, %d, %d, %d);",
			 i, i, i, i - 1, i % 2);
		exec_sql(db, sql);
		p = xasprintf("%s/overlays/%d/left4dead2/cfg", state, i);
		mkdirs(p);
		free(p);
		p = xasprintf("%s/overlays/%d/left4dead2/cfg/server.cfg", state, i);
		write_file(p, "sm_cvar sv_something 1\nsm_cvar sv_other 2\n");
		free(p);
	}

	cfg = config_defaults();
	free(cfg->state_dir);
	cfg->state_dir = xstrdup(state);
	free(cfg->worker.helper_dir);
	cfg->worker.helper_dir = xstrdup(helpers);
	cfg->worker.sudo = false;
	if (worker_init(&w, cfg, db, dbp, &stop, err, sizeof(err)) < 0)
		die(err);

	init_ms = xcalloc((size_t)runs, sizeof(double));
	reset_ms = xcalloc((size_t)runs, sizeof(double));
	for (i = 0; i < runs; i++) {
		init_ms[i] = run_job(&w, JOB_INITIALIZE, "bench");
		/* game state the reset has to delete */
		p = xasprintf("%s/runtime/bench/upper/left4dead2/addons/sourcemod/logs", state);
		mkdirs(p);
		for (int k = 0; k < 200; k++) {
			char *f = xasprintf("%s/L%03d.log", p, k);

			write_file(f, "L 01/02/2000 - 03:04:00: message\n");
			free(f);
		}
		free(p);
		reset_ms[i] = run_job(&w, JOB_RESET, "bench");
	}
	printf("worker jobs in-process, %d overlays (10 opted in), helpers = /bin/true\n",
	       N_OVERLAYS);
	report("initialize + stage (job)", init_ms, (int)runs, 50);
	report("reset, 200 files in upper (job)", reset_ms, (int)runs, 100);

	worker_fini(&w);
	db_close(db);
	config_free(cfg);
	free(init_ms);
	free(reset_ms);
	{
		char *argv_rm[] = {(char *)"/bin/rm", (char *)"-rf", dir, NULL};
		pid_t pid = fork();

		if (pid == 0) {
			execv(argv_rm[0], argv_rm);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	free(state);
	free(helpers);
	free(dbp);
	return 0;
}
