/* One refresh_global_overlays job: for each configured source (or the one
 * the job names) fetch the index, download new and changed archives,
 * extract their vpks into the cache, drop items no longer listed, reconcile
 * the overlay's symlinks and record it all in the DB and the job log.
 *
 * On disk, under STATE/global_overlay_cache/SOURCE/:
 *   cache/NAME.vpk                       extracted vpks (only ours)
 *   overlay/left4dead2/addons/NAME.vpk   symlinks into cache/ (the lowerdir)
 *   tmp/                                 downloads and staging, wiped per run
 *   .lock                                flock: one refresh of a source at once
 * A vpk reaches cache/ only whole: extracted into tmp/, fsync'd, renamed
 * (copied, fsync'd and renamed when tmp/ is another filesystem). */
#ifndef LEFT4ME_FETCHER_REFRESH_H
#define LEFT4ME_FETCHER_REFRESH_H

#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "db_job.h"

struct refresh_ctx {
	sqlite3 *db;
	const struct config *cfg;
	int64_t job_id;		     /* 0: no job (bench, tests): log to stderr only */
	const char *worker;	     /* for heartbeats; NULL: the caller heartbeats */
	volatile sig_atomic_t *stop; /* set by a signal: abandon the refresh */
	int backoff_ms;		     /* first retry delay */
	/* filled in while running */
	int64_t next_heartbeat, deadline;
	bool lost; /* the job is no longer ours */
	int64_t bytes;
	int items_failed, sources_failed;
};

/* Refresh every source (only is NULL or "") or the one named.  0 when every
 * index was fetched (items may still have failed: see items_failed), -1
 * otherwise; err gets a one-line summary either way. */
int refresh_run(struct refresh_ctx *ctx, const char *only, char *err, size_t errlen);

/* The tick the job loop and downloads share: heartbeat, watchdog, stop
 * and deadline checks.  Non-zero: abandon. */
int refresh_tick(struct refresh_ctx *ctx);

/* One line into ctx's job log (when there is a job) and the daemon's log
 * (stderr lines as warnings, the rest at debug). */
void refresh_log(struct refresh_ctx *ctx, enum job_stream stream, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
