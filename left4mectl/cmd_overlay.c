/* left4mectl overlay workshop create|add|remove|sync|show: an operator's
 * way to the Workshop overlays (issue 15) without the web.  Ids are read
 * with workshop_ids.h (numbers or steamcommunity.com page URLs), the list
 * is bounded by fetcher.workshop.max_ids, and every change queues the
 * fetcher's sync_workshop job in the same transaction (db_workshop.h). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "ctl.h"
#include "ctl_cmds.h"
#include "db.h"
#include "db_overlay.h"
#include "db_user.h"
#include "db_workshop.h"
#include "log.h"
#include "strbuf.h"
#include "timeutil.h"
#include "validate.h"
#include "workshop_ids.h"
#include "xalloc.h"

/* argv[from..argc) joined and parsed as ids: 0 or EX_USAGE (logged). */
static int parse_ids(struct ctl *ctl, int argc, char **argv, int from, int64_t **ids, size_t *n)
{
	struct strbuf sb;
	char err[512];
	int rc = 0;

	strbuf_init(&sb);
	for (int i = from; i < argc; i++)
		strbuf_printf(&sb, "%s\n", argv[i]);
	if (workshop_ids_parse_list(sb.buf, (size_t)ctl->cfg->fetcher.workshop.max_ids, ids, n, err,
				    sizeof(err)) < 0) {
		log_err("%s", err);
		rc = EX_USAGE;
	}
	strbuf_fini(&sb);
	return rc;
}

static int overlay_arg(struct ctl *ctl, const char *s, int64_t *id, int64_t *user_id)
{
	struct overlay o;
	int rc;

	if (!valid_id(s, id)) {
		log_err("invalid overlay id '%.32s'", s);
		return EX_USAGE;
	}
	rc = db_overlay_get(ctl->db, *id, &o);
	if (rc == DB_OK && strcmp(o.kind, "workshop") != 0)
		rc = DB_INVALID;
	if (rc == DB_OK && user_id)
		*user_id = o.user_id;
	overlay_fini(&o);
	if (rc == DB_NOTFOUND || rc == DB_INVALID) {
		log_err("overlay %s is not a workshop overlay", s);
		return EX_DATAERR;
	}
	return rc == DB_OK ? 0 : EX_SOFTWARE;
}

static int report(struct ctl *ctl, int rc, int64_t overlay, int64_t job, const char *what)
{
	char object[24], detail[32];

	if (rc == DB_INVALID) {
		log_err("the list is not valid (more than fetcher.workshop.max_ids ids?)");
		return EX_DATAERR;
	}
	if (rc != DB_OK) {
		log_err("cannot change overlay %" PRId64, overlay);
		return rc == DB_BUSY ? EX_TEMPFAIL : EX_SOFTWARE;
	}
	snprintf(object, sizeof(object), "%" PRId64, overlay);
	snprintf(detail, sizeof(detail), "job=%" PRId64, job);
	db_audit(ctl->db, 0, "cli", what, object, detail);
	if (job)
		fprintf(ctl->out, "overlay %" PRId64 ": job %" PRId64 " queued: sync_workshop\n",
			overlay, job);
	else
		fprintf(ctl->out, "overlay %" PRId64 "\n", overlay);
	return 0;
}

/* create USER NAME [ID|URL...] */
static int ws_create(struct ctl *ctl, int argc, char **argv)
{
	struct user u;
	int64_t *ids = NULL, id = 0, job = 0;
	size_t n = 0;
	int rc;

	if (argc < 3) {
		log_err("usage: overlay workshop create USER NAME [ID|URL...]");
		return EX_USAGE;
	}
	if (db_user_get_by_name(ctl->db, argv[1], &u) != DB_OK) {
		log_err("no user named '%.32s'", argv[1]);
		return EX_DATAERR;
	}
	if ((rc = parse_ids(ctl, argc, argv, 3, &ids, &n)) == 0) {
		rc = db_workshop_create(ctl->db, u.id, argv[2], ids, n,
					(size_t)ctl->cfg->fetcher.workshop.max_ids, &id, &job);
		rc = rc == DB_INVALID && !valid_display_name(argv[2])
			 ? (log_err("invalid overlay name"), EX_USAGE)
			 : report(ctl, rc, id, job, "workshop_create");
	}
	user_fini(&u);
	free(ids);
	return rc;
}

/* add|remove OVERLAY ID|URL... */
static int ws_change(struct ctl *ctl, int argc, char **argv, bool add)
{
	int64_t *cur = NULL, *ids = NULL, *next, overlay, job = 0;
	size_t n_cur = 0, n = 0, k = 0;
	int rc;

	if (argc < 3) {
		log_err("usage: overlay workshop %s OVERLAY ID|URL...", argv[0]);
		return EX_USAGE;
	}
	if ((rc = overlay_arg(ctl, argv[1], &overlay, NULL)) != 0)
		return rc;
	if ((rc = parse_ids(ctl, argc, argv, 2, &ids, &n)) != 0)
		return rc;
	if (db_workshop_listed_ids(ctl->db, overlay, &cur, &n_cur) != DB_OK) {
		free(ids);
		return EX_SOFTWARE;
	}
	next = xcalloc(n_cur + n + 1, sizeof(*next));
	for (size_t i = 0; i < n_cur; i++) {
		bool named = false;

		for (size_t j = 0; j < n; j++)
			named |= ids[j] == cur[i];
		if (add || !named)
			next[k++] = cur[i];
	}
	for (size_t j = 0; add && j < n; j++) {
		bool have = false;

		for (size_t i = 0; i < n_cur; i++)
			have |= ids[j] == cur[i];
		if (!have)
			next[k++] = ids[j];
	}
	rc = db_workshop_set_ids(ctl->db, overlay, next, k,
				 (size_t)ctl->cfg->fetcher.workshop.max_ids, &job);
	if (rc == DB_INVALID)
		log_err("overlay %" PRId64 " would list %zu ids, more than "
			"fetcher.workshop.max_ids (%d)",
			overlay, k, ctl->cfg->fetcher.workshop.max_ids);
	rc = rc == DB_INVALID
		 ? EX_DATAERR
		 : report(ctl, rc, overlay, job, add ? "workshop_add" : "workshop_remove");
	free(cur);
	free(ids);
	free(next);
	return rc;
}

/* sync [OVERLAY] [--wait] */
static int ws_sync(struct ctl *ctl, int argc, char **argv)
{
	int64_t overlay = 0, job = 0;
	bool wait = false, coalesced = false;
	const char *which = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--wait") == 0)
			wait = true;
		else if (!which && argv[i][0] != '-')
			which = argv[i];
		else {
			log_err("usage: overlay workshop sync [OVERLAY] [--wait]");
			return EX_USAGE;
		}
	}
	if (which && (rc = overlay_arg(ctl, which, &overlay, NULL)) != 0)
		return rc;
	rc = db_workshop_enqueue_sync(ctl->db, overlay, 0, &job, &coalesced);
	if (rc != DB_OK) {
		log_err("cannot enqueue the sync");
		return rc == DB_BUSY ? EX_TEMPFAIL : EX_SOFTWARE;
	}
	fprintf(ctl->out, "job %" PRId64 " %s: sync_workshop %s\n", job,
		coalesced ? "already queued" : "queued", which ? which : "(all)");
	fflush(ctl->out);
	return wait ? ctl_follow_job(ctl, job, true, 0) : 0;
}

/* show OVERLAY: each item with its state */
static int ws_show(struct ctl *ctl, int argc, char **argv)
{
	struct workshop_item *it;
	int64_t overlay;
	size_t n;
	int rc;

	if (argc != 2) {
		log_err("usage: overlay workshop show OVERLAY");
		return EX_USAGE;
	}
	if ((rc = overlay_arg(ctl, argv[1], &overlay, NULL)) != 0)
		return rc;
	if (db_workshop_items(ctl->db, overlay, &it, &n) != DB_OK)
		return EX_SOFTWARE;
	fprintf(ctl->out, "%-14s %-12s %-8s %12s %-40s %s\n", "ID", "VIA", "STATE", "BYTES",
		"TITLE", "ERROR");
	for (size_t i = 0; i < n; i++) {
		char via[24] = "-";

		if (it[i].via)
			snprintf(via, sizeof(via), "%" PRId64, it[i].via);
		fprintf(ctl->out, "%-14" PRId64 " %-12s %-8s %12" PRId64 " %-40.40s %s\n",
			it[i].published_id, via, it[i].is_collection ? "coll" : it[i].state,
			it[i].file_size, it[i].title ? it[i].title : "",
			it[i].error ? it[i].error : "");
	}
	workshop_item_list_free(it, n);
	return 0;
}

int cmd_overlay_workshop(struct ctl *ctl, int argc, char **argv)
{
	/* argv[0] is "workshop" */
	if (argc >= 2 && strcmp(argv[1], "create") == 0)
		return ws_create(ctl, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return ws_change(ctl, argc - 1, argv + 1, true);
	if (argc >= 2 && strcmp(argv[1], "remove") == 0)
		return ws_change(ctl, argc - 1, argv + 1, false);
	if (argc >= 2 && strcmp(argv[1], "sync") == 0)
		return ws_sync(ctl, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "show") == 0)
		return ws_show(ctl, argc - 1, argv + 1);
	log_err("usage: overlay workshop create|add|remove|sync|show ...");
	return EX_USAGE;
}
