/* The job loop; see fetcher.h. */
#include "fetcher.h"

#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "db.h"
#include "db_job.h"
#include "db_watch.h"
#include "log.h"
#include "refresh.h"
#include "xalloc.h"

#define REFRESH_COALESCE_KEY "refresh_global_overlays"

int fetcher_enqueue_refresh(sqlite3 *db)
{
	struct job_request req = {.kind = JOB_REFRESH_GLOBAL_OVERLAYS,
				  .target = "",
				  .user_id = 0,
				  .coalesce_key = REFRESH_COALESCE_KEY};
	int64_t id = 0;
	bool coalesced = false;

	if (db_job_enqueue(db, &req, &id, &coalesced) != DB_OK) {
		log_err("cannot enqueue the refresh job");
		return -1;
	}
	if (coalesced)
		printf("refresh job %lld already queued\n", (long long)id);
	else
		printf("queued refresh job %lld\n", (long long)id);
	return 0;
}

static void run_job(sqlite3 *db, const struct config *cfg, const char *worker,
		    volatile sig_atomic_t *stop, struct job *job)
{
	struct refresh_ctx rc = {
	    .db = db, .cfg = cfg, .job_id = job->id, .worker = worker, .stop = stop};
	char summary[JOB_REASON_MAX];
	int r;

	log_info("job=%lld: refresh_global_overlays%s%s", (long long)job->id,
		 job->target[0] ? " source=" : "", job->target);
	db_job_logf(db, job->id, STREAM_STEP, "refresh global overlays%s%s (fetcher %s)",
		    job->target[0] ? ": " : "", job->target, worker);
	r = refresh_run(&rc, job->target, summary, sizeof(summary));
	if (rc.lost)
		return; /* recovered by someone else: not ours to finish */
	db_job_logf(db, job->id, r == 0 ? STREAM_STEP : STREAM_STDERR, "%s", summary);
	if (db_job_finish(db, job->id, worker, r == 0 ? JOB_SUCCEEDED : JOB_FAILED, r == 0 ? 0 : 1,
			  summary) != DB_OK)
		log_warn("job=%lld: could not record the end", (long long)job->id);
	log_info("job=%lld: %s: %s", (long long)job->id, r == 0 ? "succeeded" : "failed", summary);
}

int fetcher_loop(sqlite3 *db, const struct config *cfg, bool once, volatile sig_atomic_t *stop)
{
	char worker[JOB_WORKER_MAX], err[256];
	struct db_watch *w = NULL;
	char *dbpath = config_db_path(cfg);
	int recovered = 0, rc = 0;

	job_worker_id(worker, sizeof(worker));
	if (db_job_recover(db, QUEUE_FETCHER, cfg->worker.stale_after * 1000LL, NULL, &recovered) !=
	    DB_OK) {
		free(dbpath);
		return -1;
	}
	if (recovered)
		log_notice("recovered %d refresh job%s of a dead fetcher", recovered,
			   recovered == 1 ? "" : "s");
	if (!once) {
		w = db_watch_new(dbpath, err, sizeof(err));
		if (!w) {
			log_err("%s", err);
			free(dbpath);
			return -1;
		}
	}
	free(dbpath);
	if (refresh_ensure_sources(db, cfg) < 0)
		log_warn("could not record every configured source");
	sd_notify(0, "READY=1\nSTATUS=waiting for refresh jobs");
	while (!*stop) {
		struct job job;
		int c = db_job_claim(db, QUEUE_FETCHER, worker, &job);

		if (c == DB_OK) {
			sd_notify(0, "STATUS=refreshing global overlays");
			run_job(db, cfg, worker, stop, &job);
			job_fini(&job);
			sd_notify(0, "STATUS=waiting for refresh jobs");
			continue;
		}
		if (c != DB_NOTFOUND && c != DB_BUSY) {
			rc = -1;
			break;
		}
		if (once)
			break;
		sd_notify(0, "WATCHDOG=1");
		if (db_watch_wait(w, DB_WATCH_FALLBACK_MS) < 0) {
			rc = -1;
			break;
		}
	}
	sd_notify(0, "STOPPING=1");
	db_watch_free(w);
	return rc;
}
