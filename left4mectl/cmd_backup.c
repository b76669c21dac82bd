/* left4mectl backup create|list|check|restore (libleft4me/backup.h).
 * create without --output writes backup.dir/left4me-TIME.tar.zst and then
 * keeps the newest backup.retention of those. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "backup.h"
#include "backup_dir.h"
#include "config.h"
#include "ctl.h"
#include "ctl_cmds.h"
#include "daemon.h"
#include "db.h"
#include "db_schema.h"
#include "log.h"
#include "xalloc.h"

/* An audit row naming the backup file in its detail (a path may be longer
 * than an object; cut at 1000 bytes). */
static void audit_file(struct ctl *ctl, const char *action, const char *file)
{
	char *detail = xasprintf("file=%.1000s", file);

	if (db_audit(ctl->db, 0, "cli", action, "", detail) != 0)
		log_warn("%s: the audit row was not written", action);
	free(detail);
}

static void print_stats(struct ctl *ctl, const char *verb, const char *path,
			const struct backup_stats *st)
{
	fprintf(ctl->out,
		"%s %s: %lld files, %lld bytes; schema %d; %lld users, %lld overlays, %lld "
		"blueprints, %lld servers\n",
		verb, path, st->files, st->bytes, st->schema_version, st->users, st->overlays,
		st->blueprints, st->servers);
}

static void say_removed(void *arg, const char *path)
{
	struct ctl *ctl = arg;

	fprintf(ctl->out, "removed %s (backup.retention: %d)\n", path, ctl->cfg->backup.retention);
}

int cmd_backup_create(struct ctl *ctl, int argc, char **argv)
{
	struct arg_flag flags[] = {{.name = "--output", .takes_value = true}};
	struct backup_stats st;
	char err[4096], name[BACKUP_NAME_MAX];
	char *out;
	int rc;

	if (args_scan(argc, argv, flags, 1, NULL, 0) < 0)
		return EX_USAGE;
	if (flags[0].seen) {
		out = xstrdup(flags[0].value);
		rc = backup_create(ctl->db, ctl->cfg->state_dir, out, &st, err, sizeof(err));
	} else {
		rc = backup_create_dated(ctl->db, ctl->cfg->state_dir, ctl->cfg->backup.dir,
					 ctl->cfg->backup.retention, name, &st, say_removed, ctl,
					 err, sizeof(err));
		out = xasprintf("%s/%s", ctl->cfg->backup.dir, name);
	}
	if (rc < 0) {
		log_err("backup: %s", err);
		free(out);
		return EX_CANTCREAT;
	}
	print_stats(ctl, "wrote", out, &st);
	if (st.changed || st.unreadable)
		log_warn("%s: %lld files changed while read, %lld entries left out (listed in its "
			 "MANIFEST.json)",
			 out, st.changed, st.unreadable);
	audit_file(ctl, "backup_create", out);
	free(out);
	return 0;
}

int cmd_backup_list(struct ctl *ctl, int argc, char **argv)
{
	size_t n;
	char **names;

	if (args_scan(argc, argv, NULL, 0, NULL, 0) < 0)
		return EX_USAGE;
	names = backup_names(ctl->cfg->backup.dir, &n);
	fprintf(ctl->out, "%-34s %14s\n", "NAME", "BYTES");
	for (size_t i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s", ctl->cfg->backup.dir, names[i]);
		struct stat st;

		if (stat(p, &st) == 0)
			fprintf(ctl->out, "%-34s %14lld\n", names[i], (long long)st.st_size);
		free(p);
	}
	backup_names_free(names, n);
	return 0;
}

int cmd_backup_check(struct ctl *ctl, int argc, char **argv)
{
	const char *pos[1];
	struct backup_stats st;
	char err[4096];

	if (args_scan(argc, argv, NULL, 0, pos, 1) < 0)
		return EX_USAGE;
	if (backup_check(pos[0], &st, err, sizeof(err)) < 0) {
		log_err("%s", err);
		return EX_DATAERR;
	}
	print_stats(ctl, "ok", pos[0], &st);
	fprintf(ctl->out, "made %s by left4me %s\n", st.created_at, st.version);
	return 0;
}

/* After the files are in place: the DB up to this left4me's schema. */
static int migrate_restored(struct ctl *ctl, const char *file)
{
	char err[512];
	int applied, rc;

	if ((rc = daemon_open_db(ctl->cfg, false, &ctl->db, &ctl->db_path)) != 0)
		return rc;
	if (db_migrate(ctl->db, DB_SCHEMA_VERSION, &applied, err, sizeof(err)) < 0) {
		log_err("%s: %s", ctl->db_path, err);
		return EX_SOFTWARE;
	}
	if (applied)
		fprintf(ctl->out, "%s: migrated to schema %d\n", ctl->db_path, DB_SCHEMA_VERSION);
	audit_file(ctl, "backup_restore", file);
	return 0;
}

int cmd_backup_restore(struct ctl *ctl, int argc, char **argv)
{
	struct arg_flag flags[] = {{.name = "--force"}};
	const char *pos[1];
	struct backup_stats st;
	char err[4096];

	if (args_scan(argc, argv, flags, 1, pos, 1) < 0)
		return EX_USAGE;
	if (backup_restore(pos[0], ctl->cfg->state_dir, flags[0].seen, &st, err, sizeof(err)) < 0) {
		log_err("restore: %s", err);
		return EX_DATAERR;
	}
	print_stats(ctl, "restored", pos[0], &st);
	if (st.replaced[0])
		fprintf(ctl->out, "the replaced state is in %s/%s; remove it when satisfied\n",
			ctl->cfg->state_dir, st.replaced);
	fprintf(ctl->out, "servers are not running: start them again (left4mectl server start "
			  "NAME)\n");
	return migrate_restored(ctl, pos[0]);
}
