/* Schedules; see db_schedule.h.  All SQL for the schedules table. */
#include "db_schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "errbuf.h"
#include "xalloc.h"

static const char *const action_names[] = {"restart", "update", "command"};

const char *sched_action_name(enum sched_action a)
{
	return (unsigned)a < 3 ? action_names[a] : "?";
}

int sched_action_parse(const char *s, enum sched_action *out)
{
	for (int i = 0; s && i < 3; i++)
		if (strcmp(s, action_names[i]) == 0) {
			*out = (enum sched_action)i;
			return 0;
		}
	return -1;
}

static int bad(const char **field, const char *name)
{
	*field = name;
	return -1;
}

int schedule_check(const struct schedule_input *in, struct schedule *out, const char **field,
		   char *why, size_t whylen)
{
	char cw[256];
	struct cron c;

	memset(out, 0, sizeof(*out));
	if (sched_action_parse(in->action, &out->action) < 0) {
		err_set(why, whylen, "action: must be restart, update or command");
		return bad(field, "action");
	}
	if (!in->cron || cron_parse(in->cron, &c, cw, sizeof(cw)) < 0) {
		err_set(why, whylen, "cron: %s", in->cron ? cw : "a cron expression is required");
		return bad(field, "cron");
	}
	snprintf(out->cron, sizeof(out->cron), "%s", in->cron); /* cron_parse bounds it */
	if (out->action == SCHED_COMMAND) {
		if (!in->command ||
		    !console_command_ok(in->command, strlen(in->command), cw, sizeof(cw))) {
			err_set(why, whylen, "command: %s",
				in->command ? cw : "a command schedule needs a console command");
			return bad(field, "command");
		}
		snprintf(out->command, sizeof(out->command), "%s", in->command);
	} else if (in->command && in->command[0]) {
		err_set(why, whylen, "command: only a command schedule takes a console command");
		return bad(field, "command");
	}
	if (in->wait_minutes < 0 || in->wait_minutes > SCHED_WAIT_MAX) {
		err_set(why, whylen, "wait_minutes: must be 0..%d (got %lld)", SCHED_WAIT_MAX,
			in->wait_minutes);
		return bad(field, "wait_minutes");
	}
	if (in->on_timeout && strcmp(in->on_timeout, "skip") != 0 &&
	    strcmp(in->on_timeout, "force") != 0) {
		err_set(why, whylen, "on_timeout: must be skip or force");
		return bad(field, "on_timeout");
	}
	out->only_when_empty = in->only_when_empty;
	out->wait_minutes = (int)in->wait_minutes;
	out->force_on_timeout = in->on_timeout && strcmp(in->on_timeout, "force") == 0;
	out->enabled = in->enabled;
	return 0;
}

int64_t schedule_next_after(const char *text, int64_t now)
{
	struct cron c;
	time_t t;

	if (cron_parse(text, &c, NULL, 0) < 0 || cron_next(&c, (time_t)now, &t) < 0)
		return 0;
	return (int64_t)t;
}

#define SCHED_COLUMNS                                                                              \
	"c.id, c.server_id, s.name, s.user_id, c.action, c.cron, c.command, "                      \
	"c.only_when_empty, c.wait_minutes, c.on_timeout, c.enabled, c.next_run, "                 \
	"c.waiting_since, c.last_run, c.last_job_id, c.last_result, c.created_at, c.updated_at "
#define SCHED_FROM " FROM schedules c JOIN servers s ON s.id = c.server_id "

static void copy_text(char *dst, size_t len, sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(dst, len, "%s", t ? (const char *)t : ""); /* the CHECKs bound each */
}

static int row_to_schedule(sqlite3_stmt *st, struct schedule *s)
{
	const unsigned char *t;

	memset(s, 0, sizeof(*s));
	s->id = sqlite3_column_int64(st, 0);
	s->server_id = sqlite3_column_int64(st, 1);
	copy_text(s->server, sizeof(s->server), st, 2);
	s->owner_id = sqlite3_column_int64(st, 3);
	if (sched_action_parse((const char *)sqlite3_column_text(st, 4), &s->action) < 0)
		return DB_ERROR;
	copy_text(s->cron, sizeof(s->cron), st, 5);
	copy_text(s->command, sizeof(s->command), st, 6);
	s->only_when_empty = sqlite3_column_int(st, 7) != 0;
	s->wait_minutes = sqlite3_column_int(st, 8);
	t = sqlite3_column_text(st, 9);
	s->force_on_timeout = t && strcmp((const char *)t, "force") == 0;
	s->enabled = sqlite3_column_int(st, 10) != 0;
	s->next_run = sqlite3_column_int64(st, 11);
	s->waiting_since = sqlite3_column_int64(st, 12);
	s->last_run = sqlite3_column_int64(st, 13);
	s->last_job_id = sqlite3_column_int64(st, 14);
	copy_text(s->last_result, sizeof(s->last_result), st, 15);
	s->created_at = sqlite3_column_int64(st, 16);
	s->updated_at = sqlite3_column_int64(st, 17);
	return DB_OK;
}

static void bind_opt(sqlite3_stmt *st, int i, int64_t v)
{
	if (v > 0)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static int count_of(sqlite3 *db, int64_t server_id, int64_t *n)
{
	static const char sql[] = "SELECT count(*) FROM schedules WHERE server_id = ?";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, server_id);
	rc = db_step_one(db, st, "schedule count");
	if (rc == DB_OK)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

int db_schedule_create(sqlite3 *db, struct schedule *s, int max_per_server)
{
	static const char sql[] =
	    "INSERT INTO schedules (server_id, action, cron, command, only_when_empty, "
	    "wait_minutes, on_timeout, enabled, next_run, created_at, updated_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
	int64_t have = 0, now = (int64_t)time(NULL);
	sqlite3_stmt *st;
	bool nested;
	int rc = db_tx_begin(db, &nested);

	if (rc != DB_OK)
		return rc;
	rc = count_of(db, s->server_id, &have);
	if (rc == DB_OK && max_per_server > 0 && have >= max_per_server)
		rc = DB_EXISTS;
	if (rc != DB_OK)
		return db_tx_end(db, nested, rc);
	st = db_prepare(db, sql);
	if (!st)
		return db_tx_end(db, nested, DB_ERROR);
	sqlite3_bind_int64(st, 1, s->server_id);
	sqlite3_bind_text(st, 2, sched_action_name(s->action), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, s->cron, -1, SQLITE_STATIC);
	db_bind_text_or_null(st, 4, s->action == SCHED_COMMAND ? s->command : NULL);
	sqlite3_bind_int(st, 5, s->only_when_empty);
	sqlite3_bind_int(st, 6, s->wait_minutes);
	sqlite3_bind_text(st, 7, s->force_on_timeout ? "force" : "skip", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 8, s->enabled);
	bind_opt(st, 9, s->enabled ? s->next_run : 0);
	sqlite3_bind_int64(st, 10, now);
	sqlite3_bind_int64(st, 11, now);
	rc = db_step_insert(db, st, &s->id, "schedule create");
	return db_tx_end(db, nested, rc);
}

int db_schedule_update(sqlite3 *db, const struct schedule *s)
{
	static const char sql[] =
	    "UPDATE schedules SET action = ?, cron = ?, command = ?, only_when_empty = ?, "
	    "wait_minutes = ?, on_timeout = ?, enabled = ?, next_run = ?, waiting_since = NULL, "
	    "updated_at = ? WHERE id = ? AND server_id = ?";
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, sched_action_name(s->action), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->cron, -1, SQLITE_STATIC);
	db_bind_text_or_null(st, 3, s->action == SCHED_COMMAND ? s->command : NULL);
	sqlite3_bind_int(st, 4, s->only_when_empty);
	sqlite3_bind_int(st, 5, s->wait_minutes);
	sqlite3_bind_text(st, 6, s->force_on_timeout ? "force" : "skip", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, s->enabled);
	bind_opt(st, 8, s->enabled ? s->next_run : 0);
	sqlite3_bind_int64(st, 9, (int64_t)time(NULL));
	sqlite3_bind_int64(st, 10, s->id);
	sqlite3_bind_int64(st, 11, s->server_id);
	return db_step_change(db, st, "schedule update");
}

int db_schedule_get(sqlite3 *db, int64_t server_id, int64_t id, struct schedule *out)
{
	static const char sql[] =
	    "SELECT " SCHED_COLUMNS SCHED_FROM "WHERE c.id = ? AND c.server_id = ?";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, server_id);
	rc = db_step_one(db, st, "schedule get");
	if (rc == DB_OK)
		rc = row_to_schedule(st, out);
	sqlite3_finalize(st);
	return rc;
}

static int read_list(sqlite3 *db, sqlite3_stmt *st, struct schedule **list, size_t *n)
{
	struct schedule *out = NULL;
	size_t count = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out = xreallocarray(out, count + 1, sizeof(*out));
		if (row_to_schedule(st, &out[count]) == DB_OK)
			count++;
	}
	rc = db_rc_from(db, rc, "schedule list");
	sqlite3_finalize(st);
	if (rc != DB_OK) {
		free(out);
		return rc;
	}
	*list = out;
	*n = count;
	return DB_OK;
}

int db_schedule_list(sqlite3 *db, int64_t server_id, struct schedule **list, size_t *n)
{
	static const char sql[] =
	    "SELECT " SCHED_COLUMNS SCHED_FROM "WHERE c.server_id = ? ORDER BY c.id";
	sqlite3_stmt *st = db_prepare(db, sql);

	*list = NULL;
	*n = 0;
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, server_id);
	return read_list(db, st, list, n);
}

int db_schedule_set_enabled(sqlite3 *db, int64_t server_id, int64_t id, bool enabled,
			    int64_t next_run)
{
	static const char sql[] =
	    "UPDATE schedules SET enabled = ?, next_run = ?, "
	    "waiting_since = NULL, updated_at = ? WHERE id = ? AND server_id = ?";
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int(st, 1, enabled);
	bind_opt(st, 2, enabled ? next_run : 0);
	sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
	sqlite3_bind_int64(st, 4, id);
	sqlite3_bind_int64(st, 5, server_id);
	return db_step_change(db, st, "schedule enable");
}

int db_schedule_delete(sqlite3 *db, int64_t server_id, int64_t id)
{
	static const char sql[] = "DELETE FROM schedules WHERE id = ? AND server_id = ?";
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, server_id);
	return db_step_change(db, st, "schedule delete");
}

int db_schedule_due(sqlite3 *db, int64_t now, struct schedule **list, size_t *n)
{
	static const char sql[] = "SELECT " SCHED_COLUMNS SCHED_FROM
				  "WHERE c.enabled = 1 AND (c.next_run <= ? OR c.waiting_since "
				  "IS NOT NULL) ORDER BY coalesce(c.waiting_since, c.next_run), "
				  "c.id LIMIT 1000";
	sqlite3_stmt *st = db_prepare(db, sql);

	*list = NULL;
	*n = 0;
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, now);
	return read_list(db, st, list, n);
}

int db_schedule_next_due(sqlite3 *db, int64_t *next, bool *waiting)
{
	static const char sql[] =
	    "SELECT coalesce(min(next_run), 0), count(waiting_since) FROM schedules "
	    "WHERE enabled = 1";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	rc = db_step_one(db, st, "schedule next");
	if (rc == DB_OK) {
		*next = sqlite3_column_int64(st, 0);
		*waiting = sqlite3_column_int64(st, 1) > 0;
	}
	sqlite3_finalize(st);
	return rc;
}

int db_schedule_step(sqlite3 *db, int64_t id, const struct schedule_step *s)
{
	static const char sql[] =
	    "UPDATE schedules SET next_run = ?1, waiting_since = ?2, "
	    "last_run = coalesce(?3, last_run), last_job_id = coalesce(?4, last_job_id), "
	    "last_result = coalesce(?5, last_result) "
	    "WHERE id = ?6 AND enabled = 1 AND next_run IS ?7";
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	bind_opt(st, 1, s->next_run);
	bind_opt(st, 2, s->waiting_since);
	bind_opt(st, 3, s->last_run);
	bind_opt(st, 4, s->last_job_id);
	db_bind_text_or_null(st, 5, s->last_result);
	sqlite3_bind_int64(st, 6, id);
	bind_opt(st, 7, s->old_next);
	return db_step_change(db, st, "schedule step");
}

int db_schedule_humans(sqlite3 *db, const char *name, int *humans)
{
	static const char sql[] =
	    "SELECT max(coalesce(t.a2s_players, 0) - coalesce(t.a2s_bots, 0), 0) "
	    "FROM server_status t JOIN servers s ON s.id = t.server_id "
	    "WHERE s.name = ? AND t.live_state IN ('running', 'ready') "
	    "AND t.a2s_at IS NOT NULL";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	*humans = 0;
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = db_step_one(db, st, "schedule humans");
	if (rc == DB_OK)
		*humans = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == DB_NOTFOUND ? DB_OK : rc;
}
