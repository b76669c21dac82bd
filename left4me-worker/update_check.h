/* left4me-worker --check-update (left4me-update-check.service, daily by
 * its timer): ask SteamCMD for the newest build of app 222860
 * (`+login anonymous +app_info_update 1 +app_info_print 222860 +quit`,
 * the public branch's buildid) and record it in the DB (game_latest),
 * where the web compares it with the installed build.  What to do when
 * an update is available (restart when empty, a maintenance window) is
 * left to schedules: this only records. */
#ifndef LEFT4ME_WORKER_UPDATE_CHECK_H
#define LEFT4ME_WORKER_UPDATE_CHECK_H

#include <signal.h>
#include <sqlite3.h>

#include "config.h"

/* 0 when a build was recorded; else a sysexits code (EX_UNAVAILABLE:
 * SteamCMD gave no public buildid; EX_OSERR: it could not run). */
int update_check(const struct config *cfg, sqlite3 *db, volatile sig_atomic_t *stop);

#endif
