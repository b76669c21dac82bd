/* left4mectl audit: the audit log, newest first, filtered like the web's
 * page and GET /api/v1/audit, one keyset page at a time (--before ID). */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "args.h"
#include "ctl.h"
#include "ctl_cmds.h"
#include "db.h"
#include "db_audit.h"
#include "log.h"
#include "parse.h"
#include "timeutil.h"
#include "validate.h"

int cmd_audit(struct ctl *ctl, int argc, char **argv)
{
	struct arg_flag flags[] = {{"--user", true},  {"--action", true}, {"--object", true},
				   {"--since", true}, {"--limit", true},  {"--before", true}};
	struct audit_filter f = {.limit = 50};
	struct audit_entry *e;
	const char *why;
	char t[32];
	long long v;
	size_t n, i;
	int more;

	if (args_scan(argc, argv, flags, 6, NULL, 0) < 0)
		return EX_USAGE;
	f.actor = flags[0].value;
	f.action = flags[1].value;
	f.object = flags[2].value;
	if (flags[3].value) {
		if (parse_since(flags[3].value, now_ms(), &v, &why) < 0) {
			log_err("audit: --since: %s", why);
			return EX_USAGE;
		}
		f.since = v > 0 ? v : 1;
	}
	if (flags[4].value) {
		if (parse_int(flags[4].value, 1, AUDIT_PAGE_MAX, &v) < 0) {
			log_err("audit: --limit: expected 1..%d", AUDIT_PAGE_MAX);
			return EX_USAGE;
		}
		f.limit = (int)v;
	}
	if (flags[5].value && !valid_id(flags[5].value, &f.before)) {
		log_err("audit: --before: expected an entry id");
		return EX_USAGE;
	}
	if (db_audit_list(ctl->db, &f, &e, &n, &more) != DB_OK) {
		log_err("cannot read the audit log");
		return EX_SOFTWARE;
	}
	fprintf(ctl->out, "%-8s %-20s %-16s %-22s %-24s %s\n", "ID", "TIME (UTC)", "USER", "ACTION",
		"OBJECT", "DETAIL");
	for (i = 0; i < n; i++)
		fprintf(ctl->out, "%-8lld %-20s %-16s %-22s %-24s %s\n", (long long)e[i].id,
			time_format_utc(e[i].at, t, sizeof(t)), e[i].actor, e[i].action,
			e[i].object[0] ? e[i].object : "-", e[i].detail);
	if (more && n > 0)
		fprintf(ctl->out, "(older entries: add --before %lld)\n", (long long)e[n - 1].id);
	audit_list_free(e, n);
	return 0;
}
