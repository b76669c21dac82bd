/* Job pickup latency: enqueue in one process -> claimed in another.
 *
 *   build/bench/job_pickup [JOBS] [STATE_DIR]
 *
 * A claimer process waits the way left4me-worker does (db_job_claim, then
 * db_watch_wait on the WAL's inotify with the slow fallback poll); the
 * parent enqueues JOBS jobs at random 5-50 ms intervals and records when
 * each enqueue started; the claimer reports when it claimed each.  Both use
 * CLOCK_MONOTONIC, which is system-wide.  Then the claimer idles for 5 s
 * and its CPU time over that window is reported. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db.h"
#include "db_job.h"
#include "db_watch.h"
#include "log.h"
#include "parse.h"
#include "timeutil.h"
#include "xalloc.h"

struct claim_msg {
	int64_t id;
	int64_t t_ns;
};

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void claimer(const char *path, int fd)
{
	char err[256];
	sqlite3 *db = db_open(path, 0, err, sizeof(err));
	struct db_watch *w = db_watch_new(path, err, sizeof(err));

	if (!db || !w)
		fatal("claimer: %s", err);
	signal(SIGTERM, on_term);
	while (!stop) {
		struct job job;
		int rc = db_job_claim(db, QUEUE_WORKER, "bench:1", &job);

		if (rc == DB_OK) {
			struct claim_msg m = {job.id, mono_ns()};

			if (write(fd, &m, sizeof(m)) != sizeof(m))
				fatal("claimer: write");
			db_job_finish(db, job.id, "bench:1", JOB_SUCCEEDED, 0, NULL);
			job_fini(&job);
			continue;
		}
		if (rc != DB_NOTFOUND)
			fatal("claimer: claim failed");
		db_watch_wait(w, DB_WATCH_FALLBACK_MS);
	}
	db_watch_free(w);
	db_close(db);
	_exit(0);
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static double cpu_seconds(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long ut = 0, st = 0;
	FILE *f;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		fatal("cannot read %s", path);
	fclose(f);
	p = strrchr(buf, ')');
	/* fields after ") ": state is 3; utime is 14, stime 15 */
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		fatal("cannot parse %s", path);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

int main(int argc, char **argv)
{
	long long jobs = 200;
	char err[256], *path, *dir;
	int fds[2], i;
	int64_t *enq, *lat;
	sqlite3 *db;
	pid_t pid;
	double cpu0, cpu1;

	log_init("job_pickup");
	if (argc > 1 && parse_int(argv[1], 1, 100000, &jobs) < 0)
		fatal("usage: job_pickup [JOBS] [STATE_DIR]");
	dir = argc > 2 ? xstrdup(argv[2]) : xstrdup("/tmp/left4me-bench-pickup.XXXXXX");
	if (argc <= 2 && !mkdtemp(dir))
		fatal("mkdtemp failed");
	path = xasprintf("%s/left4me.db", dir);
	unlink(path);
	db = db_open(path, DB_OPEN_CREATE, err, sizeof(err));
	if (!db || db_migrate(db, DB_SCHEMA_VERSION, NULL, err, sizeof(err)) < 0)
		fatal("%s", err);
	if (pipe(fds) < 0)
		fatal("pipe");
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		db_close(db);
		claimer(path, fds[1]);
	}
	close(fds[1]);
	usleep(300 * 1000); /* let the claimer reach its wait */
	enq = xcalloc((size_t)jobs + 1, sizeof(*enq));
	lat = xcalloc((size_t)jobs, sizeof(*lat));
	srand(42);
	for (i = 0; i < jobs; i++) {
		struct job_request req = {.kind = JOB_START, .target = "bench"};
		struct claim_msg m;
		int64_t id, t0;

		usleep((useconds_t)(5000 + rand() % 45000));
		t0 = mono_ns();
		if (db_job_enqueue(db, &req, &id, NULL) != DB_OK || id > jobs)
			fatal("enqueue failed");
		enq[id] = t0;
		if (read(fds[0], &m, sizeof(m)) != sizeof(m) || m.id != id)
			fatal("claimer lost job %lld", (long long)id);
		lat[i] = m.t_ns - enq[m.id];
	}
	cpu0 = cpu_seconds(pid);
	sleep(5);
	cpu1 = cpu_seconds(pid);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	qsort(lat, (size_t)jobs, sizeof(*lat), cmp64);
	printf("jobs: %lld\n", jobs);
	printf("pickup p50: %.2f ms\n", (double)lat[jobs / 2] / 1e6);
	printf("pickup p99: %.2f ms\n", (double)lat[(jobs * 99) / 100] / 1e6);
	printf("pickup max: %.2f ms\n", (double)lat[jobs - 1] / 1e6);
	printf("idle claimer CPU over 5 s: %.2f%%\n", (cpu1 - cpu0) / 5.0 * 100.0);
	db_close(db);
	if (argc <= 2) {
		char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);

		unlink(path);
		unlink(wal);
		unlink(shm);
		rmdir(dir);
		free(wal);
		free(shm);
	}
	free(enq);
	free(lat);
	free(path);
	free(dir);
	return 0;
}
