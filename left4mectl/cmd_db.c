/* left4mectl db migrate, config check. */
#include <stdio.h>
#include <sysexits.h>

#include "args.h"
#include "config.h"
#include "ctl.h"
#include "ctl_cmds.h"
#include "db.h"
#include "log.h"

int cmd_db_migrate(struct ctl *ctl, int argc, char **argv)
{
	char err[512];
	int applied, before;

	if (args_scan(argc, argv, NULL, 0, NULL, 0) < 0)
		return EX_USAGE;
	before = db_schema_version(ctl->db);
	if (db_migrate(ctl->db, DB_SCHEMA_VERSION, &applied, err, sizeof(err)) < 0) {
		log_err("%s: %s", ctl->db_path, err);
		return EX_SOFTWARE;
	}
	if (applied == 0)
		fprintf(ctl->out, "%s: schema is up to date (version %d)\n", ctl->db_path,
			DB_SCHEMA_VERSION);
	else {
		char detail[64];

		snprintf(detail, sizeof(detail), "from=%d to=%d", before, DB_SCHEMA_VERSION);
		(void)db_audit(ctl->db, 0, "cli", "db_migrate", "", detail);
		fprintf(ctl->out, "%s: migrated schema from version %d to %d\n", ctl->db_path,
			before, DB_SCHEMA_VERSION);
	}
	return 0;
}

int cmd_config_check(struct ctl *ctl, int argc, char **argv)
{
	if (args_scan(argc, argv, NULL, 0, NULL, 0) < 0)
		return EX_USAGE;
	fprintf(ctl->out, "%s: ok (state_dir %s, %zu fetcher sources)\n", ctl->cfg->path,
		ctl->cfg->state_dir, ctl->cfg->fetcher.n_sources);
	return 0;
}
