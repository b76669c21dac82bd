/* left4me-fetcher's daemon loop: claim refresh_global_overlays jobs from
 * the fetcher queue, run each (refresh.h), finish it; wait for the next
 * with db_watch and the DB_WATCH_FALLBACK_MS poll.  Also the
 * `enqueue-refresh` command the daily timer runs. */
#ifndef LEFT4ME_FETCHER_FETCHER_H
#define LEFT4ME_FETCHER_FETCHER_H

#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "config.h"

/* Run until *stop is set (or, with once, until the queue is empty).
 * 0 on a clean exit, -1 on a fatal DB error. */
int fetcher_loop(sqlite3 *db, const struct config *cfg, bool once, volatile sig_atomic_t *stop);

/* Enqueue a coalesced system refresh job; prints what happened. */
int fetcher_enqueue_refresh(sqlite3 *db);

#endif
