/* left4mectl server console NAME -- COMMAND...: one console command,
 * written straight into the running server's console FIFO (console.h),
 * with an audit row (actor "cli") in the same transaction, kept only if
 * the command was written.  No job: the command is one line for the game,
 * its answer goes to the server's journal. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "console.h"
#include "ctl.h"
#include "ctl_cmds.h"
#include "db.h"
#include "db_server.h"
#include "log.h"
#include "strbuf.h"
#include "validate.h"

/* The exit code for each console_send result. */
static int console_exit(enum console_send_result res)
{
	switch (res) {
	case CONSOLE_SENT:
		return 0;
	case CONSOLE_INVALID:
		return EX_DATAERR;
	case CONSOLE_NOT_RUNNING:
		return EX_UNAVAILABLE;
	case CONSOLE_BUSY:
		return EX_TEMPFAIL;
	default:
		return EX_SOFTWARE;
	}
}

int cmd_server_console(struct ctl *ctl, int argc, char **argv)
{
	enum console_send_result res;
	struct server srv;
	struct strbuf cmd;
	char why[256], audit[CONSOLE_COMMAND_MAX + 32];
	bool nested;
	int i, rc, ex;

	/* argv: console NAME -- WORD...; the "--" keeps words that look like
	 * options ("-x") part of the command. */
	if (argc < 4 || strcmp(argv[2], "--") != 0) {
		log_err("server console: expected NAME -- COMMAND... (see left4mectl --help)");
		return EX_USAGE;
	}
	if (!valid_instance_name(argv[1])) {
		log_err("invalid server name '%.64s' (want [a-z0-9][a-z0-9_-]{0,63})", argv[1]);
		return EX_USAGE;
	}
	strbuf_init(&cmd);
	for (i = 3; i < argc; i++) {
		if (i > 3)
			strbuf_putc(&cmd, ' ');
		strbuf_puts(&cmd, argv[i]);
	}
	if (!console_command_ok(cmd.buf, cmd.len, why, sizeof(why))) {
		log_err("server %s: %s", argv[1], why);
		ex = EX_DATAERR;
		goto out;
	}
	rc = db_server_get(ctl->db, argv[1], &srv);
	if (rc != DB_OK) {
		if (rc == DB_NOTFOUND)
			log_err("no server named '%s'", argv[1]);
		else
			log_err("cannot read server '%s'", argv[1]);
		ex = rc == DB_NOTFOUND ? EX_DATAERR : rc == DB_BUSY ? EX_TEMPFAIL : EX_SOFTWARE;
		goto out;
	}
	server_fini(&srv);
	console_audit_text(cmd.buf, audit, sizeof(audit));
	rc = db_tx_begin(ctl->db, &nested);
	if (rc == DB_OK) {
		rc = db_audit(ctl->db, 0, "cli", "console", argv[1], audit);
		if (rc != DB_OK)
			(void)db_tx_end(ctl->db, nested, rc);
	}
	if (rc != DB_OK) {
		log_err("server %s: cannot write the audit log%s; nothing sent", argv[1],
			rc == DB_BUSY ? " (the database is busy)" : "");
		ex = rc == DB_BUSY ? EX_TEMPFAIL : EX_SOFTWARE;
		goto out;
	}
	res = console_send(ctl->cfg->state_dir, argv[1], cmd.buf, why, sizeof(why));
	rc = db_tx_end(ctl->db, nested, res == CONSOLE_SENT ? DB_OK : DB_ERROR);
	ex = console_exit(res);
	if (res != CONSOLE_SENT)
		log_err("%s", why);
	else if (rc != DB_OK)
		log_warn("server %s: the command was sent but its audit row was not written",
			 argv[1]);
out:
	strbuf_fini(&cmd);
	return ex;
}
