/* One sync_workshop job (issue 15): the Workshop overlays kept in sync
 * with Steam, run by left4me-fetcher-refresh for the fetcher daemon.
 *
 * For the overlay the job names (or every workshop overlay, target ""):
 *   1. resolve the listed ids that are collections with
 *      ISteamRemoteStorage/GetCollectionDetails/v1/ (POST, no key), nested
 *      collections (filetype 2) too, at most fetcher.workshop.max_depth
 *      deep and fetcher.workshop.max_items items per overlay; the
 *      flattened lists go to overlay_workshop (via = the listed collection);
 *   2. ask ISteamRemoteStorage/GetPublishedFileDetails/v1/ about every id;
 *   3. per item: removed (result != 1), another app (not 550), no file_url
 *      (newer UGC) and over fetcher.workshop.max_item_bytes are errors on
 *      that item alone; an item whose cached copy has its time_updated is
 *      kept; the rest are downloaded in parallel (libcurl, download.c);
 *   4. fetch each preview image once (an image type, at most
 *      fetcher.workshop.max_preview_bytes);
 *   5. bring each synced overlay's tree of links up to date;
 *   6. collect garbage: cache files and trees no overlay references.
 * Every transfer, the API's included, follows the fetcher's network rule
 * with fetcher.workshop.allow_private (docs/SECURITY.md).
 *
 * On disk, STATE/workshop_cache/ (db_workshop.h):
 *   ID.vpk, ID.preview      whole files only: written to .ID.*.tmpPID in
 *                           the same directory, size-checked, fsync'd,
 *                           renamed; a failed or truncated download
 *                           leaves the previous copy in place
 *   overlays/OVID/left4dead2/addons/ID.vpk -> STATE/workshop_cache/ID.vpk
 *                           made whole in overlays/.new-OVID and renamed
 *                           into place the first time; then reconciled in
 *                           place, one atomic symlink or unlink per change,
 *                           because a running server holds this directory
 *                           as its lowerdir (a swapped-out tree would be
 *                           removed under it)
 *   .lock                   flock: one sync at a time (the job's lock_key
 *                           'workshop' already serialises them) */
#ifndef LEFT4ME_FETCHER_WORKSHOP_H
#define LEFT4ME_FETCHER_WORKSHOP_H

#include <stddef.h>

#include "refresh.h"

/* Sync the workshop overlay target names (a decimal id) or, for "" or
 * NULL, every one and then collect the cache's garbage.  0 when Steam's
 * API answered and the trees were written (items may still have failed:
 * each has its error), -1 otherwise; err gets a one-line summary. */
int workshop_sync_run(struct refresh_ctx *ctx, const char *target, char *err, size_t errlen);

#endif
