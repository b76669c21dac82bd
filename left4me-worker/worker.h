/* left4me-worker's loop: recover dead workers' jobs, then claim jobs of the
 * 'worker' queue one at a time (db_job_claim: any number of worker
 * processes is safe), run each to a final state, and wait for the next
 * with db_watch (inotify on the WAL) plus the slow fallback poll.  Talks
 * to systemd with sd_notify (READY, WATCHDOG, STOPPING).  A stop request
 * (SIGTERM) ends the running job as failed ("worker stopped") after its
 * subprocess is terminated. */
#ifndef LEFT4ME_WORKER_WORKER_H
#define LEFT4ME_WORKER_WORKER_H

#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "daemon_notify.h"
#include "db_job.h"
#include "db_watch.h"

struct worker {
	const struct config *cfg;
	sqlite3 *db;
	struct db_watch *watch;
	char id[JOB_WORKER_MAX];
	volatile sig_atomic_t *stop; /* set by the SIGTERM handler */
	bool once;		     /* exit when the queue is empty */
	struct daemon_notify notify; /* READY, STATUS, WATCHDOG, STOPPING */
	int retry_delay_ms;	     /* between helper attempts after EX_TEMPFAIL */
	char *test_clock;	     /* LEFT4ME_TEST_CLOCK's file, or NULL (sched.h) */
	int64_t policy_build;	     /* the build the update policy last installed */
};

/* Set up w (the watch on the DB's directory).  -1 with err. */
int worker_init(struct worker *w, const struct config *cfg, sqlite3 *db, const char *db_path,
		volatile sig_atomic_t *stop, char *err, size_t errlen);
void worker_fini(struct worker *w);

/* The loop.  Returns 0 on a clean stop (or an empty queue with once). */
int worker_run(struct worker *w);

/* true once a stop was asked for (flag set or SIGTERM/SIGINT pending). */
bool worker_stopping(struct worker *w);
/* Ping the systemd watchdog if it is due. */
void worker_watchdog(struct worker *w);

#endif
