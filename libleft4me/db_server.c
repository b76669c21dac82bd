/* Servers; see db_server.h. */
#include "db_server.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "launch_args.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

static const char *const state_names[] = {"new", "initialized", "running", "stopped", "failed"};

const char *server_state_name(enum server_state s)
{
	return (unsigned)s < 5 ? state_names[s] : "?";
}

int server_state_parse(const char *s, enum server_state *out)
{
	int i;

	for (i = 0; s && i < 5; i++) {
		if (strcmp(s, state_names[i]) == 0) {
			*out = (enum server_state)i;
			return 0;
		}
	}
	return -1;
}

void server_fini(struct server *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->user_name);
	free(s->blueprint_name);
	free(s->state_reason);
	free(s->start_map);
	free(s->bp_start_map);
	free(s->launch_args);
	free(s->bp_launch_args);
	memset(s, 0, sizeof(*s));
}

void server_list_free(struct server *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		server_fini(&list[i]);
	free(list);
}

#define SERVER_COLUMNS                                                                             \
	"s.id, s.name, s.user_id, u.name, s.blueprint_id, b.name, s.port, s.state, "               \
	"s.state_reason, s.created_at, s.updated_at, "                                             \
	"(SELECT max(j.id) FROM jobs j WHERE j.target = s.name AND j.kind IN "                     \
	"('start', 'stop', 'restart', 'reset', 'delete', 'initialize')), "                         \
	"s.start_map, coalesce(s.max_players, 0), coalesce(s.tickrate, 0), s.launch_args, "        \
	"b.start_map, b.max_players, coalesce(b.tickrate, 0), b.launch_args "
#define SERVER_FROM                                                                                \
	"FROM servers s JOIN users u ON u.id = s.user_id "                                         \
	"JOIN blueprints b ON b.id = s.blueprint_id "

static void row_to_server(sqlite3_stmt *st, struct server *s)
{
	memset(s, 0, sizeof(*s));
	s->id = sqlite3_column_int64(st, 0);
	s->name = db_column_strdup(st, 1);
	s->user_id = sqlite3_column_int64(st, 2);
	s->user_name = db_column_strdup(st, 3);
	s->blueprint_id = sqlite3_column_int64(st, 4);
	s->blueprint_name = db_column_strdup(st, 5);
	s->port = sqlite3_column_int(st, 6);
	if (server_state_parse((const char *)sqlite3_column_text(st, 7), &s->state) < 0)
		s->state = SERVER_FAILED;
	s->state_reason = db_column_strdup(st, 8);
	s->created_at = sqlite3_column_int64(st, 9);
	s->updated_at = sqlite3_column_int64(st, 10);
	s->last_job_id = sqlite3_column_int64(st, 11);
	s->start_map = db_column_strdup(st, 12);
	s->max_players = sqlite3_column_int(st, 13);
	s->tickrate = sqlite3_column_int(st, 14);
	s->launch_args = db_column_strdup(st, 15);
	s->bp_start_map = db_column_strdup(st, 16);
	s->bp_max_players = sqlite3_column_int(st, 17);
	s->bp_tickrate = sqlite3_column_int(st, 18);
	s->bp_launch_args = db_column_strdup(st, 19);
}

int db_server_create(sqlite3 *db, const char *name, int64_t user_id, int64_t blueprint_id, int port,
		     int64_t *id)
{
	/* The SELECT makes a blueprint of another user insert no row. */
	static const char sql[] =
	    "INSERT INTO servers (name, user_id, blueprint_id, port, created_at, updated_at) "
	    "SELECT ?1, ?2, b.id, ?4, ?5, ?5 FROM blueprints b WHERE b.id = ?3 "
	    "AND b.user_id = ?2 RETURNING id";
	sqlite3_stmt *st;
	int rc;

	if (!valid_server_name(name) || !valid_server_port(port))
		return DB_INVALID;
	st = db_prepare(db, sql);
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, user_id);
	sqlite3_bind_int64(st, 3, blueprint_id);
	sqlite3_bind_int(st, 4, port);
	sqlite3_bind_int64(st, 5, now_ms());
	rc = db_step_one(db, st, "server create");
	if (rc == DB_OK) {
		if (id)
			*id = sqlite3_column_int64(st, 0);
		rc = db_rc_from(db, sqlite3_step(st), "server create");
	} else if (rc == DB_NOTFOUND) {
		rc = DB_INVALID; /* no such blueprint of this user */
	}
	sqlite3_finalize(st);
	return rc;
}

int db_server_get(sqlite3 *db, const char *name, struct server *out)
{
	static const char sql[] = "SELECT " SERVER_COLUMNS SERVER_FROM "WHERE s.name = ?";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = db_step_one(db, st, "server get");
	if (rc == DB_OK)
		row_to_server(st, out);
	sqlite3_finalize(st);
	return rc;
}

int db_server_list(sqlite3 *db, int64_t user_id, struct server **list, size_t *n)
{
	static const char sql[] =
	    "SELECT " SERVER_COLUMNS SERVER_FROM "WHERE ?1 = 0 OR s.user_id = ?1 ORDER BY s.name";
	sqlite3_stmt *st = db_prepare(db, sql);
	struct server *out = NULL;
	size_t count = 0, cap = 0;
	int rc;

	*list = NULL;
	*n = 0;
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			out = xreallocarray(out, cap, sizeof(*out));
		}
		row_to_server(st, &out[count++]);
	}
	rc = db_rc_from(db, rc, "server list");
	sqlite3_finalize(st);
	if (rc != DB_OK) {
		server_list_free(out, count);
		return rc;
	}
	*list = out;
	*n = count;
	return DB_OK;
}

int db_server_set_state(sqlite3 *db, const char *name, enum server_state state, const char *reason)
{
	static const char sql[] = "UPDATE servers SET state = ?, state_reason = ?, "
				  "updated_at = ? WHERE name = ?";
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, server_state_name(state), -1, SQLITE_STATIC);
	db_bind_text_or_null(st, 2, reason);
	sqlite3_bind_int64(st, 3, now_ms());
	sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
	return db_step_change(db, st, "server state");
}

static void bind_int_or_null(sqlite3_stmt *st, int idx, int v)
{
	if (v)
		sqlite3_bind_int(st, idx, v);
	else
		sqlite3_bind_null(st, idx);
}

int db_server_set_launch(sqlite3 *db, const char *name, const struct launch_settings *ls)
{
	static const char sql[] = "UPDATE servers SET start_map = ?, max_players = ?, "
				  "tickrate = ?, launch_args = ?, updated_at = ? WHERE name = ?";
	sqlite3_stmt *st;

	if (!launch_settings_ok(ls))
		return DB_INVALID;
	st = db_prepare(db, sql);
	if (!st)
		return DB_ERROR;
	db_bind_text_or_null(st, 1, ls->start_map);
	bind_int_or_null(st, 2, ls->max_players);
	bind_int_or_null(st, 3, ls->tickrate);
	db_bind_text_or_null(st, 4, ls->launch_args);
	sqlite3_bind_int64(st, 5, now_ms());
	sqlite3_bind_text(st, 6, name, -1, SQLITE_STATIC);
	return db_step_change(db, st, "server launch settings");
}

int db_server_delete(sqlite3 *db, const char *name)
{
	static const char sql[] = "DELETE FROM servers WHERE name = ?";
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return db_step_change(db, st, "server delete");
}
