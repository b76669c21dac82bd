/* Versioned game installations (issue 13).  STATE/installation/ holds
 *
 *   builds/ID/   one complete game tree per Steam build id, never changed
 *                once published (a server's lowest lowerdir is one of these)
 *   current      a symlink "builds/ID": the build a (re)start picks,
 *                replaced by rename, so it always names a complete build
 *   staging/     the tree an install or update is writing; never a lowerdir
 *                (the allowlist accepts only builds/ID), removed when the
 *                next install starts, so a killed update leaves nothing in use
 *   .lock        flock(2): shared while a start resolves current and writes
 *                its instance.env, exclusive while builds are published
 *                or garbage-collected
 *
 * Runs in left4me-worker as the left4me user.  Trusts its config's state
 * dir; re-validates every build id it reads (current's target, directory
 * names, instance.env lowerdirs) before it becomes a path. */
#ifndef LEFT4ME_WORKER_BUILDS_H
#define LEFT4ME_WORKER_BUILDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUILDS_STAGING "staging"

/* A build id's text: 1 to 10 digits, no leading zero (lowerdir.h). */
bool builds_id_ok(const char *s, int64_t *id);

/* Take installation/.lock (creating installation/); returns the fd to pass
 * to builds_unlock, or -1 with err. */
int builds_lock(const char *state_dir, bool exclusive, char *err, size_t errlen);
void builds_unlock(int fd);

/* The build installation/current names: 1 with *id, 0 if there is none
 * (never installed), -1 with err (a current that is not "builds/ID" or
 * names a missing build). */
int builds_current(const char *state_dir, int64_t *id, char *err, size_t errlen);

/* The build id an instance.env's lowest lowerdir names (0 if it names no
 * build: an install from before versioned builds). */
int64_t builds_of_lowerdir(const char *state_dir, const char *lowerdir);

/* The build instances/NAME/instance.env runs on: 1 with *id, 0 if there is
 * no instance.env or it names no build, -1 with err if it cannot be read. */
int builds_of_instance(const char *state_dir, const char *name, int64_t *id, char *err,
		       size_t errlen);

struct clone_stats {
	long long files, dirs, links;
	long long bytes;     /* of regular files */
	long long reflinked; /* bytes shared by FICLONE (no new data) */
	long long copied;    /* bytes written by a full copy */
};

/* Copy the tree src to dst (which must not exist), regular files by
 * FICLONE where the filesystem can, else byte by byte; symlinks as
 * symlinks; modes and mtimes kept; never following a symlink or crossing
 * into another filesystem.  -1 with err (dst is then partial: the caller
 * removes it). */
int builds_clone(const char *src, const char *dst, struct clone_stats *st, char *err,
		 size_t errlen);

/* Publish installation/staging as build id: renamed to builds/ID (or
 * dropped if builds/ID exists: a published build is complete and never
 * changes), then current is pointed at it by rename.  Under the exclusive
 * lock.  *existed tells which.  -1 with err. */
int builds_publish(const char *state_dir, int64_t id, bool *existed, char *err, size_t errlen);

/* The published builds (builds/ID directories), ascending; *ids is
 * malloc'd (NULL when none).  -1 with err. */
int builds_list(const char *state_dir, int64_t **ids, size_t *n, char *err, size_t errlen);

/* Remove every builds/ID that is neither current, nor the newest, nor
 * named by any instances/NAME/instance.env; say() gets a line per build
 * removed or kept for a server.  Under the exclusive lock.  -1 with err. */
int builds_gc(const char *state_dir, void (*say)(void *ctx, const char *line), void *ctx, char *err,
	      size_t errlen);

#endif
