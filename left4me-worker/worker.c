/* The worker loop; see worker.h. */
#include "worker.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "jobs.h"
#include "log.h"
#include "sched.h"

int worker_init(struct worker *w, const struct config *cfg, sqlite3 *db, const char *db_path,
		volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	w->db = db;
	w->stop = stop;
	w->retry_delay_ms = 1000;
	job_worker_id(w->id, sizeof(w->id));
	w->watch = db_watch_new(db_path, err, errlen);
	if (!w->watch)
		return -1;
	daemon_notify_init(&w->notify);
	sched_init(w);
	return 0;
}

void worker_fini(struct worker *w)
{
	db_watch_free(w->watch);
	w->watch = NULL;
	sched_fini(w);
}

bool worker_stopping(struct worker *w)
{
	sigset_t pending;

	if (*w->stop)
		return true;
	/* SIGTERM is blocked outside ppoll: a pending one counts as asked */
	if (sigpending(&pending) == 0 &&
	    (sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1))
		return true;
	return false;
}

void worker_watchdog(struct worker *w)
{
	daemon_notify_watchdog(&w->notify);
}

/* Wait for a change of the DB (or the fallback timeout, or a signal). */
static void wait_for_work(struct worker *w)
{
	struct pollfd pfd = {.fd = db_watch_fd(w->watch), .events = POLLIN};
	int64_t ms = daemon_notify_wait_ms(&w->notify, DB_WATCH_FALLBACK_MS);
	struct timespec ts;
	sigset_t none;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	sigemptyset(&none);
	/* Signals are unblocked only here (and in spawn's ppoll): no race
	 * between checking the stop flag and sleeping. */
	if (ppoll(&pfd, 1, &ts, &none) > 0)
		db_watch_drain(w->watch);
}

int worker_run(struct worker *w)
{
	int recovered = 0, rc;

	rc = db_job_recover(w->db, QUEUE_WORKER, (int64_t)w->cfg->worker.stale_after * 1000, NULL,
			    &recovered);
	if (rc != DB_OK)
		log_warn("worker=%s: recovering dead workers' jobs failed (%d); continuing", w->id,
			 rc);
	else if (recovered > 0)
		log_notice("worker=%s: marked %d job(s) of dead workers failed", w->id, recovered);
	daemon_notify_ready("waiting for jobs");
	log_info("worker=%s: ready", w->id);
	while (!worker_stopping(w)) {
		struct job job;

		worker_watchdog(w);
		sched_tick(w);
		rc = db_job_claim(w->db, QUEUE_WORKER, w->id, &job);
		if (rc == DB_OK) {
			daemon_notify_status("running job %lld (%s %s)", (long long)job.id,
					     job_kind_name(job.kind), job.target);
			jobs_run(w, &job);
			job_fini(&job);
			daemon_notify_status("waiting for jobs");
			continue;
		}
		if (rc == DB_NOTFOUND && w->once)
			break;
		if (rc != DB_NOTFOUND && rc != DB_BUSY)
			log_warn("worker=%s: claiming a job failed (%d); retrying", w->id, rc);
		wait_for_work(w);
	}
	daemon_notify_stopping();
	log_info("worker=%s: stopping", w->id);
	return 0;
}
