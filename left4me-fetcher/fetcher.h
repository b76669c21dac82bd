/* left4me-fetcher's daemon loop: claim refresh_global_overlays jobs from
 * the fetcher queue and run each in a left4me-fetcher-refresh child (the
 * only program that links libcurl, libarchive, json-c and libcrypto, so the
 * idle daemon maps none of them), heartbeating the job, and finish it;
 * wait for the next with db_watch and the DB_WATCH_FALLBACK_MS poll.  Also
 * the `enqueue-refresh` command the daily timer runs. */
#ifndef LEFT4ME_FETCHER_FETCHER_H
#define LEFT4ME_FETCHER_FETCHER_H

#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "config.h"

/* Where the daemon finds the refresh program: $LEFT4ME_FETCHER_REFRESH
 * (tests), else FETCHER_REFRESH_PATH (the build sets it from LIBEXECDIR). */
#ifndef FETCHER_REFRESH_PATH
#define FETCHER_REFRESH_PATH "/usr/libexec/left4me/left4me-fetcher-refresh"
#endif

/* Exit statuses of left4me-fetcher-refresh (0: the job succeeded). */
#define FETCHER_REFRESH_FAILED 1 /* the refresh failed: its stdout says why */

struct fetcher_opts {
	const char *config_path; /* passed to the refresh program as -c */
	bool allow_root;	 /* passed on as --allow-root */
	bool once;		 /* stop when the queue is empty */
};

/* Run until *stop is set (or, with once, until the queue is empty).
 * 0 on a clean exit, -1 on a fatal DB error. */
int fetcher_loop(sqlite3 *db, const struct config *cfg, const struct fetcher_opts *o,
		 volatile sig_atomic_t *stop);

/* Enqueue a coalesced system refresh job; prints what happened. */
int fetcher_enqueue_refresh(sqlite3 *db);

/* Make sure every configured source has its DB row. */
int fetcher_ensure_sources(sqlite3 *db, const struct config *cfg);

/* The name the DB uses for a source kind. */
const char *fetcher_source_kind_name(enum source_kind kind);

#endif
