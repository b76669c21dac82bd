/* The worker loop; see worker.h. */
#include "worker.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "db.h"
#include "jobs.h"
#include "log.h"
#include "timeutil.h"

int worker_init(struct worker *w, const struct config *cfg, sqlite3 *db, const char *db_path,
		volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	uint64_t usec = 0;

	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	w->db = db;
	w->stop = stop;
	w->retry_delay_ms = 1000;
	job_worker_id(w->id, sizeof(w->id));
	w->watch = db_watch_new(db_path, err, errlen);
	if (!w->watch)
		return -1;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
		w->watchdog_ms = (int64_t)(usec / 2000);
	if (w->watchdog_ms == 0 && usec > 0)
		w->watchdog_ms = 1;
	return 0;
}

void worker_fini(struct worker *w)
{
	db_watch_free(w->watch);
	w->watch = NULL;
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
	int64_t now;

	if (w->watchdog_ms <= 0)
		return;
	now = mono_ms();
	if (now - w->last_ping >= w->watchdog_ms) {
		sd_notify(0, "WATCHDOG=1");
		w->last_ping = now;
	}
}

/* Wait for a change of the DB (or the fallback timeout, or a signal). */
static void wait_for_work(struct worker *w)
{
	struct pollfd pfd = {.fd = db_watch_fd(w->watch), .events = POLLIN};
	int64_t ms = DB_WATCH_FALLBACK_MS;
	struct timespec ts;
	sigset_t none;

	if (w->watchdog_ms > 0 && w->watchdog_ms < ms)
		ms = w->watchdog_ms;
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
	sd_notify(0, "READY=1\nSTATUS=waiting for jobs");
	log_info("worker=%s: ready", w->id);
	while (!worker_stopping(w)) {
		struct job job;

		worker_watchdog(w);
		rc = db_job_claim(w->db, QUEUE_WORKER, w->id, &job);
		if (rc == DB_OK) {
			sd_notifyf(0, "STATUS=running job %lld (%s %s)", (long long)job.id,
				   job_kind_name(job.kind), job.target);
			jobs_run(w, &job);
			job_fini(&job);
			sd_notify(0, "STATUS=waiting for jobs");
			continue;
		}
		if (rc == DB_NOTFOUND && w->once)
			break;
		if (rc != DB_NOTFOUND && rc != DB_BUSY)
			log_warn("worker=%s: claiming a job failed (%d); retrying", w->id, rc);
		wait_for_work(w);
	}
	sd_notify(0, "STOPPING=1");
	log_info("worker=%s: stopping", w->id);
	return 0;
}
