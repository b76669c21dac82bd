/* Backups of a state dir (left4mectl backup, left4me-backup.timer).
 *
 * One .tar.zst (libarchive), written while everything runs:
 *   left4me.db            a consistent copy through SQLite's online backup API
 *   overlays/...          every overlay's files
 *   instances/...         each server's instance configuration
 *   runtime/NAME/upper/   each server's own data (SourceMod data, bans, logs)
 *   MANIFEST.json         last: format, versions, schema version, counts, and
 *                         the size and sha256 of every file above
 * and nothing that can be downloaded again (installation/,
 * global_overlay_cache/, workshop_cache/).  A file that changes while it
 * is read is stored as read (cut or zero-padded to the size it had when
 * its header was written) and named in the manifest's "changed" list; one
 * that cannot be read is left out and named in "unreadable".
 *
 * Restoring checks the whole archive against its manifest before anything
 * is written, extracts into a staging dir inside the state dir, and only
 * then moves it into place. */
#ifndef LEFT4ME_BACKUP_H
#define LEFT4ME_BACKUP_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#define BACKUP_FORMAT	      "left4me-backup"
#define BACKUP_FORMAT_VERSION 1
#define BACKUP_MANIFEST	      "MANIFEST.json"
#define BACKUP_MANIFEST_MAX   (64LL * 1024 * 1024)

struct backup_stats {
	int schema_version;
	long long users, overlays, blueprints, servers; /* rows in the DB copy */
	long long files;				/* regular files stored */
	long long bytes;				/* their sizes */
	long long changed;				/* files that changed while read */
	long long unreadable;				/* entries left out */
	char created_at[32];				/* from the manifest */
	char version[64];				/* left4me's, from the manifest */
	char replaced[4096]; /* restore --force: where the old state went, or "" */
};

/* Write a backup of state_dir (db open on its left4me.db) to out_path:
 * through a temp file beside it, mode 0600, renamed into place only when
 * complete.  0, or -1 with one line in err (nothing is left behind). */
int backup_create(sqlite3 *db, const char *state_dir, const char *out_path, struct backup_stats *st,
		  char *err, size_t errlen);

/* Read the whole archive at path and check it against its manifest (every
 * file's size and sha256, no file more or less, the format, and a schema
 * this left4me knows).  0, or -1 with err. */
int backup_check(const char *path, struct backup_stats *st, char *err, size_t errlen);

/* backup_check, then restore into state_dir: refused unless the state is
 * empty (no users, overlays, blueprints or servers in its DB, nothing in
 * overlays/, instances/, runtime/) or force is set; refused while any
 * process has the DB open or anything is mounted under runtime/.  With
 * force the replaced state is moved to state_dir/.replaced-TIME/ (named in
 * st->replaced), never deleted.  As root, what is restored belongs to the
 * state dir's owner.  The DB is left at the backup's schema: the caller
 * migrates it.  0, or -1 with err. */
int backup_restore(const char *path, const char *state_dir, bool force, struct backup_stats *st,
		   char *err, size_t errlen);

/* A server's own data, STATE/runtime/NAME/upper (name already validated),
 * as a .tar.zst at out_path (0640, through a temp file beside it, renamed in
 * only when complete) with every entry under NAME/.  upper/ is written by
 * the game, which is hostile: regular files and directories only (no
 * symlink followed or stored, no FIFO or device opened; each counted in
 * st->unreadable), a file that changes while read stored as read, at most
 * DEPTH_MAX levels, and max_bytes (> 0) of file sizes at most: over it the
 * export fails naming backup.export_max_bytes.  0, or -1 with err. */
int backup_export_server(const char *state_dir, const char *name, const char *out_path,
			 long long max_bytes, struct backup_stats *st, char *err, size_t errlen);

/* Called (when set) between every 64 KiB a create or export copies: a
 * long-running caller heartbeats there; false stops the write, which then
 * fails with "stopped".  One per process (the worker runs one job). */
void backup_set_progress(bool (*fn)(void *arg), void *arg);

/* Is path (as stored in an archive) a name a backup may hold, for an
 * entry of type (AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR)?  The rule
 * restore applies to every entry; NULL when allowed, else the reason. */
const char *backup_path_refused(const char *path, unsigned type);

#endif
