/* Live server state; see db_status.h.  Written by left4me-status only. */
#include "db_status.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "timeutil.h"
#include "xalloc.h"

static const char *const live_names[LIVE_STATE_COUNT] = {
    "stopped", "starting", "running", "ready", "restarting", "failed",
};

const char *live_state_name(enum live_state s)
{
	return (unsigned)s < LIVE_STATE_COUNT ? live_names[s] : "?";
}

int live_state_parse(const char *s, enum live_state *out)
{
	for (int i = 0; s && i < LIVE_STATE_COUNT; i++) {
		if (strcmp(s, live_names[i]) == 0) {
			*out = (enum live_state)i;
			return 0;
		}
	}
	return -1;
}

static void copy_col(char *dst, size_t len, sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

int db_status_targets(sqlite3 *db, struct status_target **list, size_t *n)
{
	static const char sql[] = "SELECT id, name, port FROM servers ORDER BY name";
	sqlite3_stmt *st = db_prepare(db, sql);
	struct status_target *out = NULL;
	size_t count = 0, cap = 0;
	int rc;

	*list = NULL;
	*n = 0;
	if (!st)
		return DB_ERROR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			out = xreallocarray(out, cap, sizeof(*out));
		}
		out[count].id = sqlite3_column_int64(st, 0);
		copy_col(out[count].name, sizeof(out[count].name), st, 1);
		out[count].port = sqlite3_column_int(st, 2);
		count++;
	}
	rc = db_rc_from(db, rc, "status targets");
	sqlite3_finalize(st);
	if (rc != DB_OK) {
		free(out);
		return rc;
	}
	*list = out;
	*n = count;
	return DB_OK;
}

static void bind_opt_u64(sqlite3_stmt *st, int idx, bool has, uint64_t v)
{
	if (has && v <= INT64_MAX)
		sqlite3_bind_int64(st, idx, (int64_t)v);
	else
		sqlite3_bind_null(st, idx);
}

static void bind_opt_int(sqlite3_stmt *st, int idx, bool has, int v)
{
	if (has)
		sqlite3_bind_int(st, idx, v);
	else
		sqlite3_bind_null(st, idx);
}

static void bind_a2s(sqlite3_stmt *st, const struct server_status *s)
{
	bool a = s->has_a2s;

	if (a) {
		sqlite3_bind_text(st, 12, s->map, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 16, s->name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 18, s->version, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 20, s->a2s_at);
	}
	bind_opt_int(st, 13, a, s->players);
	bind_opt_int(st, 14, a, s->bots);
	bind_opt_int(st, 15, a, s->max_players);
	bind_opt_int(st, 17, a, s->vac);
	bind_opt_int(st, 19, a, (int)s->rtt_ms);
	db_bind_text_or_null(st, 21, s->a2s_error[0] ? s->a2s_error : NULL);
}

int db_status_put(sqlite3 *db, int64_t server_id, const struct server_status *s)
{
	static const char sql[] =
	    "INSERT OR REPLACE INTO server_status (server_id, live_state, active_state, "
	    "sub_state, unit_result, restarts, exit_code, exit_signal, cpu_nsec, memory_bytes, "
	    "tasks, a2s_map, a2s_players, a2s_bots, a2s_max_players, a2s_name, a2s_vac, "
	    "a2s_version, a2s_rtt_ms, a2s_at, a2s_error, updated_at) VALUES (?1, ?2, ?3, ?4, "
	    "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)";
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, server_id);
	sqlite3_bind_text(st, 2, live_state_name(s->live_state), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, s->active_state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, s->sub_state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, s->unit_result, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, s->restarts);
	bind_opt_int(st, 7, s->has_exit_code, s->exit_code);
	bind_opt_int(st, 8, s->has_exit_signal, s->exit_signal);
	bind_opt_u64(st, 9, s->has_cpu, s->cpu_nsec);
	bind_opt_u64(st, 10, s->has_memory, s->memory_bytes);
	bind_opt_u64(st, 11, s->has_tasks, s->tasks);
	bind_a2s(st, s);
	sqlite3_bind_int64(st, 22, now_ms());
	return db_step_change(db, st, "status put");
}

static int delete_players(sqlite3 *db, int64_t server_id)
{
	static const char sql[] = "DELETE FROM server_players WHERE server_id = ?";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, server_id);
	rc = db_step_change(db, st, "status players");
	return rc == DB_NOTFOUND ? DB_OK : rc;
}

static int insert_players(sqlite3 *db, int64_t server_id, const struct a2s_player *p, size_t n)
{
	static const char sql[] = "INSERT INTO server_players (server_id, idx, name, score, "
				  "seconds) VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc = DB_OK;

	if (!st)
		return DB_ERROR;
	for (size_t i = 0; i < n && rc == DB_OK; i++) {
		float d = p[i].duration;

		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, server_id);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		sqlite3_bind_text(st, 3, p[i].name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 4, p[i].score);
		/* a float off the wire: NaN or huge is 0 */
		sqlite3_bind_int(st, 5, d >= 0 && d < 1e9f ? (int)d : 0);
		rc = db_rc_from(db, sqlite3_step(st), "status players");
	}
	sqlite3_finalize(st);
	return rc;
}

int db_status_put_players(sqlite3 *db, int64_t server_id, const struct a2s_player *players,
			  size_t n)
{
	bool nested;
	int rc;

	if (n > 256)
		return DB_INVALID;
	rc = db_tx_begin(db, &nested);
	if (rc != DB_OK)
		return rc;
	rc = delete_players(db, server_id);
	if (rc == DB_OK)
		rc = insert_players(db, server_id, players, n);
	return db_tx_end(db, nested, rc);
}

/* The columns of STATUS_COLS from column c0 on into o. */
/* A status row's columns, in row_to_status's order. */
#define STATUS_COLS                                                                                \
	"t.live_state, t.active_state, t.sub_state, t.unit_result, t.restarts, t.exit_code, "      \
	"t.exit_signal, t.cpu_nsec, t.memory_bytes, t.tasks, t.a2s_map, t.a2s_players, "           \
	"t.a2s_bots, t.a2s_max_players, t.a2s_name, t.a2s_vac, t.a2s_version, t.a2s_rtt_ms, "      \
	"t.a2s_error, t.a2s_at, t.updated_at"

static void row_to_status(sqlite3_stmt *st, int c0, struct server_status *o)
{
	memset(o, 0, sizeof(*o));
	if (live_state_parse((const char *)sqlite3_column_text(st, c0 + 0), &o->live_state) < 0)
		o->live_state = LIVE_FAILED;
	copy_col(o->active_state, sizeof(o->active_state), st, c0 + 1);
	copy_col(o->sub_state, sizeof(o->sub_state), st, c0 + 2);
	copy_col(o->unit_result, sizeof(o->unit_result), st, c0 + 3);
	o->restarts = (uint32_t)sqlite3_column_int64(st, c0 + 4);
#define OPT(i, has, field, T)                                                                      \
	if (sqlite3_column_type(st, i) != SQLITE_NULL) {                                           \
		o->has = true;                                                                     \
		o->field = (T)sqlite3_column_int64(st, i);                                         \
	}
	OPT(c0 + 5, has_exit_code, exit_code, int)
	OPT(c0 + 6, has_exit_signal, exit_signal, int)
	OPT(c0 + 7, has_cpu, cpu_nsec, uint64_t)
	OPT(c0 + 8, has_memory, memory_bytes, uint64_t)
	OPT(c0 + 9, has_tasks, tasks, uint64_t)
	OPT(c0 + 19, has_a2s, a2s_at, int64_t)
#undef OPT
	copy_col(o->map, sizeof(o->map), st, c0 + 10);
	o->players = sqlite3_column_int(st, c0 + 11);
	o->bots = sqlite3_column_int(st, c0 + 12);
	o->max_players = sqlite3_column_int(st, c0 + 13);
	copy_col(o->name, sizeof(o->name), st, c0 + 14);
	o->vac = sqlite3_column_int(st, c0 + 15) != 0;
	copy_col(o->version, sizeof(o->version), st, c0 + 16);
	o->rtt_ms = (unsigned)sqlite3_column_int(st, c0 + 17);
	copy_col(o->a2s_error, sizeof(o->a2s_error), st, c0 + 18);
	o->updated_at = sqlite3_column_int64(st, c0 + 20);
}

int db_status_get(sqlite3 *db, const char *name, struct server_status *out)
{
	static const char sql[] = "SELECT " STATUS_COLS " FROM server_status t "
				  "JOIN servers s ON s.id = t.server_id WHERE s.name = ?";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = db_step_one(db, st, "status get");
	if (rc == DB_OK)
		row_to_status(st, 0, out);
	sqlite3_finalize(st);
	return rc;
}

int db_status_list(sqlite3 *db, int64_t user_id, struct status_entry **list, size_t *n)
{
	static const char sql[] =
	    "SELECT s.id, s.user_id, s.name, t.server_id IS NOT NULL, " STATUS_COLS
	    " FROM servers s LEFT JOIN server_status t ON "
	    "t.server_id = s.id WHERE ?1 = 0 OR s.user_id = ?1 ORDER BY s.name";
	sqlite3_stmt *st = db_prepare(db, sql);
	struct status_entry *out = NULL;
	size_t count = 0, cap = 0;
	int rc;

	*list = NULL;
	*n = 0;
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct status_entry *e;

		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			out = xreallocarray(out, cap, sizeof(*out));
		}
		e = &out[count++];
		e->server_id = sqlite3_column_int64(st, 0);
		e->user_id = sqlite3_column_int64(st, 1);
		copy_col(e->name, sizeof(e->name), st, 2);
		e->has_status = sqlite3_column_int(st, 3) != 0;
		row_to_status(st, 4, &e->st);
		if (!e->has_status)
			e->st.live_state = LIVE_STOPPED;
	}
	rc = db_rc_from(db, rc, "status list");
	sqlite3_finalize(st);
	if (rc != DB_OK) {
		free(out);
		return rc;
	}
	*list = out;
	*n = count;
	return DB_OK;
}

bool live_a2s_current(const struct server_status *st, bool has_status)
{
	return has_status && st->live_state == LIVE_READY && st->has_a2s;
}

const char *live_state_label(const struct server_status *st, bool has_status, char *buf, size_t len)
{
	enum live_state s = has_status ? st->live_state : LIVE_STOPPED;

	/* A cut label is still a label: the state's name comes first. */
	if (s == LIVE_RESTARTING && st->restarts > 0)
		snprintf(buf, len, "restarting (%u crash%s)", st->restarts,
			 st->restarts == 1 ? "" : "es");
	else if (s == LIVE_FAILED && st->has_exit_signal && sigabbrev_np(st->exit_signal))
		snprintf(buf, len, "failed (signal %d, SIG%s)", st->exit_signal,
			 sigabbrev_np(st->exit_signal));
	else if (s == LIVE_FAILED && st->has_exit_signal)
		snprintf(buf, len, "failed (signal %d)", st->exit_signal);
	else if (s == LIVE_FAILED && st->has_exit_code)
		snprintf(buf, len, "failed (exit code %d)", st->exit_code);
	else
		snprintf(buf, len, "%s", live_state_name(s));
	return buf;
}

int db_status_players(sqlite3 *db, const char *name, struct status_player **list, size_t *n)
{
	static const char sql[] = "SELECT p.name, p.score, p.seconds FROM server_players p "
				  "JOIN servers s ON s.id = p.server_id WHERE s.name = ? "
				  "ORDER BY p.idx";
	sqlite3_stmt *st = db_prepare(db, sql);
	struct status_player *out = NULL;
	size_t count = 0;
	int rc;

	*list = NULL;
	*n = 0;
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out = xreallocarray(out, count + 1, sizeof(*out));
		copy_col(out[count].name, sizeof(out[count].name), st, 0);
		out[count].score = sqlite3_column_int(st, 1);
		out[count].seconds = sqlite3_column_int(st, 2);
		count++;
	}
	rc = db_rc_from(db, rc, "status players");
	sqlite3_finalize(st);
	if (rc != DB_OK) {
		free(out);
		return rc;
	}
	*list = out;
	*n = count;
	return DB_OK;
}

int db_status_record(sqlite3 *db, int64_t server_id, const struct status_sample *s)
{
	static const char sql[] = "INSERT OR REPLACE INTO server_history (server_id, minute, "
				  "players, cpu_nsec, memory_bytes) VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, server_id);
	sqlite3_bind_int64(st, 2, s->minute);
	bind_opt_int(st, 3, s->has_players, s->players);
	bind_opt_u64(st, 4, s->has_cpu, s->cpu_nsec);
	bind_opt_u64(st, 5, s->has_memory, s->memory_bytes);
	return db_step_change(db, st, "status record");
}

int db_status_prune(sqlite3 *db, int64_t now_minute, int64_t keep_minutes, int *deleted)
{
	static const char sql[] = "DELETE FROM server_history WHERE minute < ?";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (deleted)
		*deleted = 0;
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, now_minute - keep_minutes);
	rc = db_step_change(db, st, "status prune");
	if (rc == DB_OK && deleted)
		*deleted = sqlite3_changes(db);
	return rc == DB_NOTFOUND ? DB_OK : rc;
}

int db_status_history(sqlite3 *db, const char *name, int64_t since_minute,
		      struct status_sample **list, size_t *n)
{
	static const char sql[] = "SELECT h.minute, h.players, h.cpu_nsec, h.memory_bytes "
				  "FROM server_history h JOIN servers s ON s.id = h.server_id "
				  "WHERE s.name = ? AND h.minute >= ? ORDER BY h.minute";
	sqlite3_stmt *st = db_prepare(db, sql);
	struct status_sample *out = NULL;
	size_t count = 0, cap = 0;
	int rc;

	*list = NULL;
	*n = 0;
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since_minute);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct status_sample *o;

		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			out = xreallocarray(out, cap, sizeof(*out));
		}
		o = &out[count++];
		memset(o, 0, sizeof(*o));
		o->minute = sqlite3_column_int64(st, 0);
		o->has_players = sqlite3_column_type(st, 1) != SQLITE_NULL;
		o->players = sqlite3_column_int(st, 1);
		o->has_cpu = sqlite3_column_type(st, 2) != SQLITE_NULL;
		o->cpu_nsec = (uint64_t)sqlite3_column_int64(st, 2);
		o->has_memory = sqlite3_column_type(st, 3) != SQLITE_NULL;
		o->memory_bytes = (uint64_t)sqlite3_column_int64(st, 3);
	}
	rc = db_rc_from(db, rc, "status history");
	sqlite3_finalize(st);
	if (rc != DB_OK) {
		free(out);
		return rc;
	}
	*list = out;
	*n = count;
	return DB_OK;
}
