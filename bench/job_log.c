/* Job log append: what one db_job_log() call costs, with the per-job cap
 * (worker.max_job_log) counting the stored bytes.
 *
 *   build/bench/job_log [LINES]
 *
 * A fresh DB in a temp dir, one job, LINES lines of 100 bytes appended as
 * a worker does (stdout of a child); prints microseconds per line (median
 * of 5 rounds of LINES/5) and the job's stored bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "db_job.h"
#include "log.h"
#include "parse.h"
#include "timeutil.h"
#include "xalloc.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/left4me-bench-joblog.XXXXXX", err[256], line[101], *path, *cmd;
	long long lines = 50000;
	struct job_request req = {.kind = JOB_START, .target = "bench"};
	double us[5];
	int64_t id;
	sqlite3 *db;

	log_init("job_log");
	if (argc > 1 && parse_int(argv[1], 5, 10000000, &lines) < 0)
		fatal("usage: job_log [LINES]");
	if (!mkdtemp(dir))
		fatal("mkdtemp failed");
	path = xasprintf("%s/left4me.db", dir);
	db = db_open(path, DB_OPEN_CREATE, err, sizeof(err));
	if (!db || db_migrate(db, DB_SCHEMA_VERSION, NULL, err, sizeof(err)) < 0)
		fatal("%s", err);
	if (db_job_enqueue(db, &req, &id, NULL) != DB_OK)
		fatal("enqueue failed");
	memset(line, 'x', 100);
	line[100] = '\0';
	for (int r = 0; r < 5; r++) {
		int64_t t0 = mono_ns();

		for (long long i = 0; i < lines / 5; i++)
			if (db_job_log(db, id, STREAM_STDOUT, line, NULL) != DB_OK)
				fatal("db_job_log failed");
		us[r] = (double)(mono_ns() - t0) / 1000.0 / (double)(lines / 5);
	}
	qsort(us, 5, sizeof(us[0]), cmp);
	printf("job_log: %lld lines of 100 bytes: %.1f us/line median (min %.1f, max %.1f)\n",
	       lines, us[2], us[0], us[4]);
	db_close(db);
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fatal("cannot remove %s", dir);
	free(cmd);
	free(path);
	return 0;
}
