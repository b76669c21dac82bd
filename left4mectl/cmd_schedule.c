/* left4mectl server schedule list|add|rm|enable|disable: a server's
 * schedules (db_schedule.h), with the web's rules (schedule_check,
 * schedules.max_per_server) and an audit row (actor "cli") per change.
 * left4me-worker fires them. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <stdlib.h>
#include <time.h>

#include "config.h"
#include "args.h"
#include "ctl.h"
#include "ctl_cmds.h"
#include "db.h"
#include "db_audit.h"
#include "db_schedule.h"
#include "db_server.h"
#include "log.h"
#include "parse.h"
#include "validate.h"

static const char *when(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !localtime_r(&tt, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M %Z", &tm) == 0)
		snprintf(buf, len, "-");
	return buf;
}

/* The server named pos (its id in *id), or an exit code. */
static int server_of(struct ctl *ctl, const char *name, int64_t *id)
{
	struct server srv;
	int rc;

	if (!valid_instance_name(name)) {
		log_err("invalid server name '%.64s' (want [a-z0-9][a-z0-9_-]{0,63})", name);
		return EX_USAGE;
	}
	rc = db_server_get(ctl->db, name, &srv);
	if (rc == DB_NOTFOUND) {
		log_err("no server named '%s'", name);
		return EX_DATAERR;
	}
	if (rc != DB_OK) {
		log_err("cannot read server '%s'", name);
		return EX_SOFTWARE;
	}
	*id = srv.id;
	server_fini(&srv);
	return 0;
}

static void audit(struct ctl *ctl, const char *action, const char *server, const struct schedule *c)
{
	char detail[CONSOLE_COMMAND_MAX + 192], cmd[CONSOLE_COMMAND_MAX + 16] = "";

	if (c->action == SCHED_COMMAND)
		console_audit_text(c->command, cmd, sizeof(cmd));
	snprintf(detail, sizeof(detail), "schedule=%lld %s '%s'%s%s", (long long)c->id,
		 sched_action_name(c->action), c->cron, cmd[0] ? " " : "",
		 cmd); /* an audit detail: a cut is fine */
	db_audit(ctl->db, 0, "cli", action, server, detail);
}

static int sched_list(struct ctl *ctl, int argc, char **argv)
{
	struct schedule *list;
	const char *name;
	char a[40], b[40];
	int64_t sid;
	size_t n;
	int ex;

	if (args_scan(argc, argv, NULL, 0, &name, 1) < 0)
		return EX_USAGE;
	if ((ex = server_of(ctl, name, &sid)) != 0)
		return ex;
	if (db_schedule_list(ctl->db, sid, &list, &n) != DB_OK) {
		log_err("cannot list the schedules of '%s'", name);
		return EX_SOFTWARE;
	}
	fprintf(ctl->out, "%-5s %-8s %-18s %-7s %-22s %-22s %s\n", "ID", "ACTION", "CRON",
		"ENABLED", "NEXT RUN", "LAST RUN", "LAST RESULT");
	for (size_t i = 0; i < n; i++)
		fprintf(ctl->out, "%-5lld %-8s %-18s %-7s %-22s %-22s %s\n", (long long)list[i].id,
			sched_action_name(list[i].action), list[i].cron,
			list[i].enabled ? "yes" : "no", when(list[i].next_run, a, sizeof(a)),
			when(list[i].last_run, b, sizeof(b)),
			list[i].last_result[0] ? list[i].last_result : "-");
	free(list);
	return 0;
}

static int sched_add(struct ctl *ctl, int argc, char **argv)
{
	struct arg_flag f[] = {{"--cron", true},      {"--action", true}, {"--command", true},
			       {"--only-when-empty"}, {"--wait", true},	  {"--on-timeout", true},
			       {"--disabled"}};
	struct schedule_input in = {0};
	const char *name, *field;
	struct schedule c;
	char why[512];
	long long wait = 0;
	int ex, rc;

	if (args_scan(argc, argv, f, 7, &name, 1) < 0)
		return EX_USAGE;
	if (f[4].seen && parse_int(f[4].value, 0, SCHED_WAIT_MAX, &wait) < 0) {
		log_err("--wait: minutes 0..%d (got '%.32s')", SCHED_WAIT_MAX, f[4].value);
		return EX_USAGE;
	}
	in.cron = f[0].value;
	in.action = f[1].seen ? f[1].value : "restart";
	in.command = f[2].value;
	in.only_when_empty = f[3].seen;
	in.wait_minutes = wait;
	in.on_timeout = f[5].value;
	in.enabled = !f[6].seen;
	if (schedule_check(&in, &c, &field, why, sizeof(why)) < 0) {
		log_err("--%s: %s", strcmp(field, "wait_minutes") == 0 ? "wait" : field, why);
		return EX_USAGE;
	}
	if ((ex = server_of(ctl, name, &c.server_id)) != 0)
		return ex;
	c.next_run = schedule_next_after(c.cron, (int64_t)time(NULL));
	rc = db_schedule_create(ctl->db, &c, ctl->cfg->schedules.max_per_server);
	if (rc == DB_EXISTS) {
		log_err("server %s has %d schedules, the most it may have "
			"(schedules.max_per_server)",
			name, ctl->cfg->schedules.max_per_server);
		return EX_DATAERR;
	}
	if (rc != DB_OK) {
		log_err("cannot add the schedule of '%s'", name);
		return rc == DB_BUSY ? EX_TEMPFAIL : EX_SOFTWARE;
	}
	audit(ctl, "schedule_create", name, &c);
	fprintf(ctl->out, "schedule %lld added to %s\n", (long long)c.id, name);
	return 0;
}

/* rm, enable, disable NAME ID. */
static int sched_change(struct ctl *ctl, int argc, char **argv)
{
	const char *pos[2], *verb = argv[0];
	struct schedule c;
	int64_t sid, id;
	int ex, rc;

	if (args_scan(argc, argv, NULL, 0, pos, 2) < 0)
		return EX_USAGE;
	if (!valid_id(pos[1], &id)) {
		log_err("invalid schedule id '%.32s'", pos[1]);
		return EX_USAGE;
	}
	if ((ex = server_of(ctl, pos[0], &sid)) != 0)
		return ex;
	rc = db_schedule_get(ctl->db, sid, id, &c);
	if (rc == DB_OK && strcmp(verb, "rm") == 0)
		rc = db_schedule_delete(ctl->db, sid, id);
	else if (rc == DB_OK)
		rc = db_schedule_set_enabled(ctl->db, sid, id, strcmp(verb, "enable") == 0,
					     schedule_next_after(c.cron, (int64_t)time(NULL)));
	if (rc == DB_NOTFOUND) {
		log_err("server %s has no schedule %lld", pos[0], (long long)id);
		return EX_DATAERR;
	}
	if (rc != DB_OK) {
		log_err("cannot change schedule %lld", (long long)id);
		return rc == DB_BUSY ? EX_TEMPFAIL : EX_SOFTWARE;
	}
	audit(ctl,
	      strcmp(verb, "rm") == 0	    ? "schedule_delete"
	      : strcmp(verb, "enable") == 0 ? "schedule_enable"
					    : "schedule_disable",
	      pos[0], &c);
	fprintf(ctl->out, "schedule %lld of %s: %s\n", (long long)id, pos[0],
		strcmp(verb, "rm") == 0 ? "removed" : verb);
	return 0;
}

int cmd_server_schedule(struct ctl *ctl, int argc, char **argv)
{
	/* argv: schedule VERB ... */
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return sched_list(ctl, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return sched_add(ctl, argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "rm") == 0 || strcmp(argv[1], "enable") == 0 ||
			  strcmp(argv[1], "disable") == 0))
		return sched_change(ctl, argc - 1, argv + 1);
	log_err("server schedule: expected list, add, rm, enable or disable (see left4mectl "
		"--help)");
	return EX_USAGE;
}
