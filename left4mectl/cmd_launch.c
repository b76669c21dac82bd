/* left4mectl blueprint list, blueprint set ID and server set NAME: the
 * launch settings (libleft4me/launch_args.h) of a blueprint or a server,
 * with the same rules and messages as the web.  Each change is audited as
 * "cli"; it reaches a running game at its next start. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "args.h"
#include "ctl.h"
#include "ctl_cmds.h"
#include "db.h"
#include "db_audit.h"
#include "db_blueprint.h"
#include "db_server.h"
#include "launch_args.h"
#include "log.h"
#include "parse.h"
#include "validate.h"

enum { F_MAP, F_MAX, F_TICK, F_ARGS, F_COUNT };

/* The four flags over cur: "inherit" (a server) or "none" (a tickrate)
 * clears a value.  *canon holds the checked launch_args (caller frees).
 * 0, or -1 after one line naming the flag. */
static int read_flags(const struct arg_flag *f, bool server, struct launch_settings *ls,
		      char **canon)
{
	const char *clear = server ? "inherit" : "none";
	long long n;
	char err[512];

	*canon = NULL;
	if (f[F_MAP].seen)
		ls->start_map =
		    server && strcmp(f[F_MAP].value, clear) == 0 ? NULL : f[F_MAP].value;
	if (ls->start_map && !launch_map_ok(ls->start_map)) {
		log_err("--start-map: a map name of [A-Za-z0-9_], 1 to 64 of them%s",
			server ? ", or inherit" : "");
		return -1;
	}
	if (f[F_MAX].seen && server && strcmp(f[F_MAX].value, clear) == 0) {
		ls->max_players = 0;
	} else if (f[F_MAX].seen) {
		if (parse_int(f[F_MAX].value, LAUNCH_MAX_PLAYERS_MIN, LAUNCH_MAX_PLAYERS_MAX, &n) <
		    0) {
			log_err("--max-players: a number from 1 to 32%s",
				server ? ", or inherit" : "");
			return -1;
		}
		ls->max_players = (int)n;
	}
	if (f[F_TICK].seen && strcmp(f[F_TICK].value, clear) == 0) {
		ls->tickrate = 0;
	} else if (f[F_TICK].seen) {
		if (parse_int(f[F_TICK].value, LAUNCH_TICKRATE_MIN, LAUNCH_TICKRATE_MAX, &n) < 0) {
			log_err("--tickrate: a number from 30 to 128, or %s", clear);
			return -1;
		}
		ls->tickrate = (int)n;
	}
	if (f[F_ARGS].seen && server && strcmp(f[F_ARGS].value, clear) == 0) {
		ls->launch_args = NULL;
	} else if (f[F_ARGS].seen) {
		if (launch_args_normalize(f[F_ARGS].value, canon, err, sizeof(err)) < 0) {
			log_err("--launch-args: %s", err);
			return -1;
		}
		ls->launch_args = *canon;
	}
	return 0;
}

static bool any_seen(const struct arg_flag *f)
{
	for (int i = 0; i < F_COUNT; i++)
		if (f[i].seen)
			return true;
	return false;
}

/* "start_map=X max_players=N tickrate=T launch_args=ARGS" ("-" unset). */
static void print_launch(FILE *out, const char *label, const struct launch_settings *ls,
			 const char *unset)
{
	fprintf(out, "%-10s start_map=%s max_players=", label,
		ls->start_map ? ls->start_map : unset);
	if (ls->max_players)
		fprintf(out, "%d", ls->max_players);
	else
		fputs(unset, out);
	fputs(" tickrate=", out);
	if (ls->tickrate)
		fprintf(out, "%d", ls->tickrate);
	else
		fputs(strcmp(unset, "inherit") == 0 ? unset : "none", out);
	fprintf(out, " launch_args=%s\n",
		ls->launch_args ? (ls->launch_args[0] ? ls->launch_args : "none") : unset);
}

int cmd_blueprint_list(struct ctl *ctl, int argc, char **argv)
{
	struct blueprint *list;
	size_t n;

	if (args_scan(argc, argv, NULL, 0, NULL, 0) < 0)
		return EX_USAGE;
	if (db_blueprint_list(ctl->db, 0, &list, &n) != DB_OK) {
		log_err("cannot list blueprints");
		return EX_SOFTWARE;
	}
	fprintf(ctl->out, "%-6s %-24s %-7s %-16s %-7s %-8s %s\n", "ID", "NAME", "SERVERS",
		"START_MAP", "PLAYERS", "TICKRATE", "LAUNCH_ARGS");
	for (size_t i = 0; i < n; i++) {
		char tick[8] = "-";

		if (list[i].tickrate)
			snprintf(tick, sizeof(tick), "%d", list[i].tickrate);
		fprintf(ctl->out, "%-6lld %-24.24s %-7lld %-16s %-7d %-8s %s\n",
			(long long)list[i].id, list[i].name, (long long)list[i].n_servers,
			list[i].start_map, list[i].max_players, tick,
			list[i].launch_args[0] ? list[i].launch_args : "-");
	}
	blueprint_list_free(list, n);
	return 0;
}

int cmd_blueprint_set(struct ctl *ctl, int argc, char **argv)
{
	struct arg_flag f[F_COUNT] = {{"--start-map", true},
				      {"--max-players", true},
				      {"--tickrate", true},
				      {"--launch-args", true}};
	const char *pos[1];
	struct launch_settings ls;
	struct blueprint b;
	char *canon = NULL, detail[64];
	int64_t id;
	int rc, code = EX_SOFTWARE;

	if (args_scan(argc, argv, f, F_COUNT, pos, 1) < 0)
		return EX_USAGE;
	if (!valid_id(pos[0], &id)) {
		log_err("invalid blueprint id '%.32s' (see left4mectl blueprint list)", pos[0]);
		return EX_USAGE;
	}
	rc = db_blueprint_get(ctl->db, id, &b);
	if (rc != DB_OK) {
		log_err(rc == DB_NOTFOUND ? "no blueprint %lld" : "cannot read blueprint %lld",
			(long long)id);
		return rc == DB_NOTFOUND ? EX_DATAERR : EX_SOFTWARE;
	}
	ls = (struct launch_settings){b.start_map, b.max_players, b.tickrate, b.launch_args};
	if (read_flags(f, false, &ls, &canon) < 0) {
		code = EX_USAGE;
		goto out;
	}
	if (any_seen(f)) {
		if (db_blueprint_set_launch(ctl->db, id, &ls) != DB_OK) {
			log_err("blueprint %lld: cannot store the launch settings", (long long)id);
			goto out;
		}
		snprintf(detail, sizeof(detail), "name=%.40s launch settings", b.name);
		(void)db_audit(ctl->db, 0, "cli", "blueprint_update", pos[0], detail);
	}
	print_launch(ctl->out, "blueprint", &ls, "-");
	code = 0;
out:
	free(canon);
	blueprint_fini(&b);
	return code;
}

int cmd_server_set(struct ctl *ctl, int argc, char **argv)
{
	struct arg_flag f[F_COUNT] = {{"--start-map", true},
				      {"--max-players", true},
				      {"--tickrate", true},
				      {"--launch-args", true}};
	const char *pos[1];
	struct launch_settings ls, bp, eff;
	struct server s;
	char *canon = NULL;
	int rc, code = EX_SOFTWARE;

	if (args_scan(argc, argv, f, F_COUNT, pos, 1) < 0)
		return EX_USAGE;
	if (!valid_instance_name(pos[0])) {
		log_err("invalid server name '%.64s' (want [a-z0-9][a-z0-9_-]{0,63})", pos[0]);
		return EX_USAGE;
	}
	rc = db_server_get(ctl->db, pos[0], &s);
	if (rc != DB_OK) {
		log_err(rc == DB_NOTFOUND ? "no server named '%s'" : "cannot read server '%s'",
			pos[0]);
		return rc == DB_NOTFOUND ? EX_DATAERR : EX_SOFTWARE;
	}
	ls = (struct launch_settings){s.start_map, s.max_players, s.tickrate, s.launch_args};
	bp = (struct launch_settings){s.bp_start_map, s.bp_max_players, s.bp_tickrate,
				      s.bp_launch_args};
	if (read_flags(f, true, &ls, &canon) < 0) {
		code = EX_USAGE;
		goto out;
	}
	if (any_seen(f)) {
		if (db_server_set_launch(ctl->db, s.name, &ls) != DB_OK) {
			log_err("server %s: cannot store the launch settings", s.name);
			goto out;
		}
		(void)db_audit(ctl->db, 0, "cli", "server_update", s.name, "launch settings");
	}
	print_launch(ctl->out, "server", &ls, "inherit");
	launch_effective(&ls, &bp, &eff);
	print_launch(ctl->out, "effective", &eff, "-");
	code = 0;
out:
	free(canon);
	server_fini(&s);
	return code;
}
