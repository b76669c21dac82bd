/* left4me-fetcher-refresh: runs one claimed refresh_global_overlays or
 * sync_workshop job (workshop.h)
 * for left4me-fetcher, which forks it per job so that only this program
 * maps libcurl, libarchive, json-c and libcrypto.  Runs as the daemon's
 * user (never root without --allow-root); trusts its config and the DB.
 * Logs to the job's log; prints a one-line summary on stdout.  Exit codes:
 * daemon.h's, and 0 when the refresh succeeded, 1 when it failed (the
 * daemon finishes the job and heartbeats it meanwhile), 65 (EX_DATAERR)
 * when there is no such job.  SIGTERM abandons the refresh.
 *
 *   left4me-fetcher-refresh -c CONFIG --job ID [--allow-root] */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "daemon.h"
#include "db.h"
#include "db_job.h"
#include "fetcher.h"
#include "log.h"
#include "parse.h"
#include "refresh.h"
#include "workshop.h"

static const char *job_arg;
static long long job_id;

static const struct daemon_option options[] = {
    {.name = "job",
     .arg = "ID",
     .help = "the refresh_global_overlays or sync_workshop job to run",
     .value = &job_arg,
     .required = true},
    {0},
};

static const char *check_job(void)
{
	if (parse_int(job_arg, 1, INT64_MAX, &job_id) < 0)
		return "--job wants a job id (a positive integer)";
	return NULL;
}

static const struct daemon_spec spec = {
    .ident = "left4me-fetcher-refresh",
    .summary = "Run one refresh job for left4me-fetcher (which starts it).",
    .options = options,
    .check_args = check_job,
};

int main(int argc, char **argv)
{
	struct daemon d;
	struct refresh_ctx ctx;
	struct job job;
	char summary[JOB_REASON_MAX];
	int r;

	if (!daemon_start(&d, &spec, argc, argv))
		return d.status;
	if (db_job_get(d.db, job_id, &job) != DB_OK) {
		log_err("job=%lld: no such job", job_id);
		printf("no such job\n");
		return daemon_finish(&d, EX_DATAERR);
	}
	/* A full disk or RLIMIT_FSIZE must fail a write, not kill us. */
	signal(SIGXFSZ, SIG_IGN);

	memset(&ctx, 0, sizeof(ctx));
	ctx.db = d.db;
	ctx.cfg = d.cfg;
	ctx.job_id = job_id;
	ctx.worker = NULL; /* the daemon heartbeats */
	ctx.stop = d.stop;
	if (job.kind == JOB_SYNC_WORKSHOP)
		r = workshop_sync_run(&ctx, job.target, summary, sizeof(summary));
	else
		r = refresh_run(&ctx, job.target, summary, sizeof(summary));
	printf("%s\n", summary);
	fflush(stdout);
	job_fini(&job);
	return daemon_finish(&d, r == 0 ? 0 : FETCHER_REFRESH_FAILED);
}
