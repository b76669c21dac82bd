/* The game's builds; see db_game.h. */
#include "db_game.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "xalloc.h"

int db_game_set_builds(sqlite3 *db, const int64_t *ids, size_t n, int64_t current)
{
	static const char del[] = "DELETE FROM game_builds";
	static const char ins[] = "INSERT INTO game_builds (build_id, current) VALUES (?, ?)";
	bool nested;
	int rc = db_tx_begin(db, &nested);
	sqlite3_stmt *st;

	if (rc != DB_OK)
		return rc;
	st = db_prepare(db, del);
	rc = st ? db_step_change(db, st, "game builds") : DB_ERROR;
	if (rc == DB_NOTFOUND)
		rc = DB_OK;
	for (size_t i = 0; i < n && rc == DB_OK; i++) {
		st = db_prepare(db, ins);
		if (!st) {
			rc = DB_ERROR;
			break;
		}
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int(st, 2, ids[i] == current);
		rc = db_step_change(db, st, "game build");
	}
	return db_tx_end(db, nested, rc);
}

int db_game_set_server_build(sqlite3 *db, const char *name, int64_t build)
{
	static const char sql[] = "UPDATE servers SET game_build = ? WHERE name = ?";
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	if (build > 0)
		sqlite3_bind_int64(st, 1, build);
	else
		sqlite3_bind_null(st, 1);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	return db_step_change(db, st, "server game build");
}

int db_game_set_latest(sqlite3 *db, int64_t build, int64_t checked_at)
{
	static const char sql[] = "INSERT INTO game_latest (id, build_id, checked_at) "
				  "VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET "
				  "build_id = excluded.build_id, checked_at = excluded.checked_at";
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	if (build > 0)
		sqlite3_bind_int64(st, 1, build);
	else
		sqlite3_bind_null(st, 1);
	sqlite3_bind_int64(st, 2, checked_at);
	return db_step_change(db, st, "game latest");
}

static int add_servers(sqlite3 *db, struct game_build *b)
{
	static const char sql[] = "SELECT name FROM servers WHERE game_build = ? ORDER BY name";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, b->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		b->servers = xreallocarray(b->servers, b->n_servers + 1, sizeof(*b->servers));
		b->servers[b->n_servers++] = db_column_strdup(st, 0);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? DB_OK : db_rc_from(db, rc, "game build servers");
}

int db_game_info(sqlite3 *db, struct game_info *out)
{
	static const char builds[] =
	    "SELECT build_id, current FROM game_builds ORDER BY build_id DESC";
	static const char latest[] = "SELECT coalesce(build_id, 0), checked_at FROM game_latest";
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	st = db_prepare(db, builds);
	if (!st)
		return DB_ERROR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct game_build *b;

		out->builds = xreallocarray(out->builds, out->n_builds + 1, sizeof(*out->builds));
		b = &out->builds[out->n_builds++];
		memset(b, 0, sizeof(*b));
		b->id = sqlite3_column_int64(st, 0);
		b->current = sqlite3_column_int(st, 1) != 0;
		if (b->current)
			out->current = b->id;
	}
	sqlite3_finalize(st);
	rc = rc == SQLITE_DONE ? DB_OK : db_rc_from(db, rc, "game builds");
	for (size_t i = 0; i < out->n_builds && rc == DB_OK; i++)
		rc = add_servers(db, &out->builds[i]);
	if (rc == DB_OK && (st = db_prepare(db, latest)) != NULL) {
		rc = db_step_one(db, st, "game latest");
		if (rc == DB_OK) {
			out->latest = sqlite3_column_int64(st, 0);
			out->checked_at = sqlite3_column_int64(st, 1);
		}
		if (rc == DB_NOTFOUND)
			rc = DB_OK;
		sqlite3_finalize(st);
	} else if (rc == DB_OK) {
		rc = DB_ERROR;
	}
	out->update_available = out->latest > 0 && out->current > 0 && out->latest > out->current;
	if (rc != DB_OK)
		game_info_fini(out);
	return rc;
}

void game_info_fini(struct game_info *g)
{
	for (size_t i = 0; i < g->n_builds; i++) {
		for (size_t j = 0; j < g->builds[i].n_servers; j++)
			free(g->builds[i].servers[j]);
		free(g->builds[i].servers);
	}
	free(g->builds);
	memset(g, 0, sizeof(*g));
}

int db_game_outdated_servers(sqlite3 *db, int64_t current, char ***names, size_t *n)
{
	static const char sql[] = "SELECT name FROM servers WHERE state = 'running' "
				  "AND game_build IS NOT NULL AND game_build <> ? ORDER BY name";
	sqlite3_stmt *st = db_prepare(db, sql);
	char **out = NULL;
	size_t count = 0;
	int rc;

	*names = NULL;
	*n = 0;
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, current);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		out = xreallocarray(out, count + 1, sizeof(*out));
		out[count++] = db_column_strdup(st, 0);
	}
	rc = db_rc_from(db, rc, "outdated servers");
	sqlite3_finalize(st);
	if (rc != DB_OK) {
		for (size_t i = 0; i < count; i++)
			free(out[i]);
		free(out);
		return rc;
	}
	*names = out;
	*n = count;
	return DB_OK;
}
