/* left4mectl command dispatch and the resources commands share: the config
 * and the database, opened only by the commands that need them. */
#include "ctl.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "ctl_cmds.h"
#include "daemon.h"
#include "db.h"
#include "log.h"
#include "xalloc.h"

enum need { NEED_NOTHING, NEED_CONFIG, NEED_DB, NEED_DB_CREATE };

struct command {
	const char *group;
	const char *verb; /* NULL: the group alone is the command */
	const char *args; /* for the usage text */
	enum need need;
	int (*run)(struct ctl *ctl, int argc, char **argv);
};

static const struct command commands[] = {
    {"db", "migrate", "", NEED_DB_CREATE, cmd_db_migrate},
    {"config", "check", "", NEED_CONFIG, cmd_config_check},
    {"user", "add", "NAME [--admin] --password-stdin", NEED_DB, cmd_user_add},
    {"user", "passwd", "NAME --password-stdin", NEED_DB, cmd_user_passwd},
    {"user", "list", "", NEED_DB, cmd_user_list},
    {"user", "disable", "NAME", NEED_DB, cmd_user_disable},
    {"user", "enable", "NAME", NEED_DB, cmd_user_enable},
    {"token", "create", "USER [--label TEXT]", NEED_DB, cmd_token_create},
    {"token", "list", "USER", NEED_DB, cmd_token_list},
    {"token", "revoke", "USER ID", NEED_DB, cmd_token_revoke},
    {"server", "list", "", NEED_DB, cmd_server_list},
    {"server", "start", "NAME [--wait]", NEED_DB, cmd_server_job},
    {"server", "stop", "NAME [--wait]", NEED_DB, cmd_server_job},
    {"server", "restart", "NAME [--wait]", NEED_DB, cmd_server_job},
    {"server", "reset", "NAME --yes [--wait]", NEED_DB, cmd_server_job},
    {"server", "delete", "NAME --yes [--wait]", NEED_DB, cmd_server_job},
    {"server", "console", "NAME -- COMMAND...", NEED_DB, cmd_server_console},
    {"server", "set",
     "NAME [--start-map MAP|inherit] [--max-players N|inherit] [--tickrate N|inherit] "
     "[--launch-args 'OPTIONS'|inherit]",
     NEED_DB, cmd_server_set},
    {"blueprint", "list", "", NEED_DB, cmd_blueprint_list},
    {"blueprint", "set",
     "ID [--start-map MAP] [--max-players N] [--tickrate N|none] [--launch-args 'OPTIONS']",
     NEED_DB, cmd_blueprint_set},
    {"server", "schedule",
     "list NAME | add NAME --cron EXPR [--action restart|update|command] [--command CMD] "
     "[--only-when-empty] [--wait MIN] [--on-timeout skip|force] [--disabled] | "
     "rm|enable|disable NAME ID",
     NEED_DB, cmd_server_schedule},
    {"server", "rcon", "show|rotate NAME", NEED_DB, cmd_server_rcon},
    {"job", "list", "[--limit N]", NEED_DB, cmd_job_list},
    {"audit", NULL, "[--user U] [--action A] [--object O] [--since T] [--limit N]", NEED_DB,
     cmd_audit},
    {"job", "show", "ID", NEED_DB, cmd_job_show},
    {"job", "wait", "ID [--timeout SECONDS]", NEED_DB, cmd_job_wait},
    {"job", "tail", "ID [--timeout SECONDS]", NEED_DB, cmd_job_tail},
    {"overlay", "workshop",
     "create USER NAME [ID|URL...] | add|remove OVERLAY ID|URL... | sync [OVERLAY] [--wait] | "
     "show OVERLAY",
     NEED_DB, cmd_overlay_workshop},
    {"backup", "create", "[--output FILE]", NEED_DB, cmd_backup_create},
    {"backup", "list", "", NEED_CONFIG, cmd_backup_list},
    {"backup", "check", "FILE", NEED_NOTHING, cmd_backup_check},
    {"backup", "restore", "FILE [--force]", NEED_CONFIG, cmd_backup_restore},
};

void ctl_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: left4mectl [-c CONFIG] COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s%s%s %s\n", commands[i].group, commands[i].verb ? " " : "",
			commands[i].verb ? commands[i].verb : "", commands[i].args);
	fprintf(f, "\nCONFIG defaults to $%s, then %s.\n", CONFIG_ENV, CONFIG_DEFAULT_PATH);
}

int ctl_run(struct ctl *ctl, int argc, char **argv)
{
	const struct command *cmd = NULL;
	bool group_known = false;
	size_t i;
	int rc;

	if (argc < 1) {
		ctl_usage(stderr);
		return EX_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].group, argv[0]) != 0)
			continue;
		group_known = true;
		if (!commands[i].verb || (argc >= 2 && strcmp(commands[i].verb, argv[1]) == 0)) {
			cmd = &commands[i];
			break;
		}
	}
	if (!cmd) {
		if (!group_known)
			log_err("unknown command '%s' (see left4mectl --help)", argv[0]);
		else if (argc < 2)
			log_err("'%s' needs a subcommand (see left4mectl --help)", argv[0]);
		else
			log_err("unknown command '%s %s' (see left4mectl --help)", argv[0],
				argv[1]);
		return EX_USAGE;
	}
	/* Exit codes of both: daemon.h's policy (EX_CONFIG, EX_NOINPUT). */
	if (cmd->need >= NEED_CONFIG && (rc = daemon_load_config(ctl->config_arg, &ctl->cfg)) != 0)
		return rc;
	if (cmd->need >= NEED_DB && (rc = daemon_open_db(ctl->cfg, cmd->need == NEED_DB_CREATE,
							 &ctl->db, &ctl->db_path)) != 0)
		return rc;
	/* Commands see argv from the verb on: argv[0] is the verb (the group
	 * of a command without one). */
	if (!cmd->verb)
		return cmd->run(ctl, argc, argv);
	return cmd->run(ctl, argc - 1, argv + 1);
}

void ctl_fini(struct ctl *ctl)
{
	db_close(ctl->db);
	ctl->db = NULL;
	config_free(ctl->cfg);
	ctl->cfg = NULL;
	free(ctl->db_path);
	ctl->db_path = NULL;
}
