/* The backup directory (backup.dir): the dated backups left4mectl, the
 * timer and the worker write there, the small info file beside each (the
 * web lists them without reading a backup), and retention.
 *
 *   left4me-YYYYMMDDTHHMMSSZ.tar.zst   the backup, 0600 left4me
 *   left4me-YYYYMMDDTHHMMSSZ.json      its info, 0640: schema version,
 *                                      left4me version, counts (no secret)
 *
 * The dir itself is 0750 (group left4me: the web lists and stats it, and
 * reads the info files; never a backup, docs/SECURITY.md "Backups"). */
#ifndef LEFT4ME_BACKUP_DIR_H
#define LEFT4ME_BACKUP_DIR_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "backup.h"
#include "validate.h"

#define BACKUP_NAME_PREFIX "left4me-"
/* Seconds backup_create_dated tries past a taken name. */
#define BACKUP_NAME_TRIES  60
#define BACKUP_NAME_SUFFIX ".tar.zst"
#define BACKUP_INFO_SUFFIX ".json"
#define BACKUP_NAME_MAX	   48 /* left4me-YYYYMMDDTHHMMSSZ.tar.zst (32) and room */
#define BACKUP_INFO_MAX	   4096

/* backup_name_ok (validate.h): left4me-YYYYMMDDTHHMMSSZ.tar.zst exactly,
 * the only names ever opened under backup.dir. */

/* The backup names in dir, sorted oldest first; *n of them (free with
 * backup_names_free).  A missing dir is an empty list. */
char **backup_names(const char *dir, size_t *n);
void backup_names_free(char **names, size_t n);

/* Write dir/left4me-NOW.tar.zst (dir made 0750 if missing) and its info
 * file, then keep the newest retention backups (each removal reported to
 * removed, which may be NULL).  name gets the new backup's name.  0, or -1
 * with err naming backup.dir when that is what failed. */
int backup_create_dated(sqlite3 *db, const char *state_dir, const char *dir, int retention,
			char name[BACKUP_NAME_MAX], struct backup_stats *st,
			void (*removed)(void *arg, const char *path), void *arg, char *err,
			size_t errlen);

/* The pieces of backup_create_dated (in backup.c, which links libarchive;
 * this file does not, so the web can list without it). */
void backup_info_write(const char *dir, const char *name, const struct backup_stats *st);
void backup_prune(const char *dir, int retention, void (*removed)(void *arg, const char *path),
		  void *arg);

/* What the info file beside a backup says.  0, or -1 (missing, unreadable,
 * over BACKUP_INFO_MAX, not the expected JSON). */
struct backup_info {
	int schema_version;
	long long files, bytes, servers;
	char version[64], created_at[32];
};
int backup_info_read(const char *dir, const char *name, struct backup_info *info);

#endif
