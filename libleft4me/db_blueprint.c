/* Blueprints; see db_blueprint.h. */
#include "db_blueprint.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "launch_args.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

void blueprint_fini(struct blueprint *b)
{
	size_t i;

	if (!b)
		return;
	free(b->name);
	free(b->config);
	free(b->start_map);
	free(b->launch_args);
	for (i = 0; i < b->n_overlays; i++) {
		free(b->overlays[i].name);
		free(b->overlays[i].kind);
	}
	free(b->overlays);
	memset(b, 0, sizeof(*b));
}

void blueprint_list_free(struct blueprint *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		blueprint_fini(&list[i]);
	free(list);
}

static bool config_ok(const char *config)
{
	size_t len = strlen(config);

	return len <= BLUEPRINT_CONFIG_MAX && valid_utf8(config, len);
}

int db_blueprint_create(sqlite3 *db, int64_t user_id, const char *name, const char *config,
			int64_t *id)
{
	static const char sql[] = "INSERT INTO blueprints (user_id, name, config, created_at, "
				  "updated_at) VALUES (?, ?, ?, ?4, ?4) RETURNING id";
	sqlite3_stmt *st;

	if (!valid_display_name(name) || !config_ok(config))
		return DB_INVALID;
	st = db_prepare(db, sql);
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, config, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_ms());
	return db_step_insert(db, st, id, "blueprint create");
}

#define BP_COLUMNS                                                                                 \
	"b.id, b.user_id, b.name, b.config, b.created_at, b.updated_at, "                          \
	"(SELECT count(*) FROM servers s WHERE s.blueprint_id = b.id), "                           \
	"(SELECT count(*) FROM blueprint_overlays o WHERE o.blueprint_id = b.id), "                \
	"b.start_map, b.max_players, coalesce(b.tickrate, 0), b.launch_args "

static void row_to_bp(sqlite3_stmt *st, struct blueprint *b)
{
	memset(b, 0, sizeof(*b));
	b->id = sqlite3_column_int64(st, 0);
	b->user_id = sqlite3_column_int64(st, 1);
	b->name = db_column_strdup(st, 2);
	b->config = db_column_strdup(st, 3);
	b->created_at = sqlite3_column_int64(st, 4);
	b->updated_at = sqlite3_column_int64(st, 5);
	b->n_servers = sqlite3_column_int64(st, 6);
	b->n_linked = sqlite3_column_int64(st, 7);
	b->start_map = db_column_strdup(st, 8);
	b->max_players = sqlite3_column_int(st, 9);
	b->tickrate = sqlite3_column_int(st, 10);
	b->launch_args = db_column_strdup(st, 11);
}

int db_blueprint_get(sqlite3 *db, int64_t id, struct blueprint *out)
{
	static const char sql[] = "SELECT " BP_COLUMNS "FROM blueprints b WHERE b.id = ?";
	static const char ov_sql[] =
	    "SELECT bo.overlay_id, bo.expose_server_cfg, o.name, o.kind FROM "
	    "blueprint_overlays bo JOIN overlays o ON o.id = bo.overlay_id "
	    "WHERE bo.blueprint_id = ? ORDER BY bo.position";
	sqlite3_stmt *st = db_prepare(db, sql);
	size_t cap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	rc = db_step_one(db, st, "blueprint get");
	if (rc == DB_OK)
		row_to_bp(st, out);
	sqlite3_finalize(st);
	if (rc != DB_OK)
		return rc;
	st = db_prepare(db, ov_sql);
	if (!st) {
		blueprint_fini(out);
		return DB_ERROR;
	}
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct blueprint_overlay *o;

		if (out->n_overlays == cap) {
			cap = cap ? cap * 2 : 8;
			out->overlays = xreallocarray(out->overlays, cap, sizeof(*out->overlays));
		}
		o = &out->overlays[out->n_overlays++];
		o->overlay_id = sqlite3_column_int64(st, 0);
		o->expose_server_cfg = sqlite3_column_int(st, 1) != 0;
		o->name = db_column_strdup(st, 2);
		o->kind = db_column_strdup(st, 3);
	}
	rc = db_rc_from(db, rc, "blueprint overlays");
	sqlite3_finalize(st);
	if (rc != DB_OK)
		blueprint_fini(out);
	return rc;
}

int db_blueprint_list(sqlite3 *db, int64_t user_id, struct blueprint **list, size_t *n)
{
	static const char sql[] = "SELECT " BP_COLUMNS "FROM blueprints b "
				  "WHERE ?1 = 0 OR b.user_id = ?1 ORDER BY b.name, b.id";
	sqlite3_stmt *st = db_prepare(db, sql);
	size_t count = 0, cap = 0;
	struct blueprint *out = NULL;
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
		row_to_bp(st, &out[count]);
		count++;
	}
	rc = db_rc_from(db, rc, "blueprint list");
	sqlite3_finalize(st);
	if (rc != DB_OK) {
		blueprint_list_free(out, count);
		return rc;
	}
	*list = out;
	*n = count;
	return DB_OK;
}

int db_blueprint_update(sqlite3 *db, int64_t id, const char *name, const char *config)
{
	static const char sql[] =
	    "UPDATE blueprints SET name = ?, config = ?, updated_at = ? WHERE id = ?";
	sqlite3_stmt *st;
	int rc;

	if (!valid_display_name(name) || !config_ok(config))
		return DB_INVALID;
	st = db_prepare(db, sql);
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, config, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms());
	sqlite3_bind_int64(st, 4, id);
	rc = db_step_change(db, st, "blueprint update");
	return rc;
}

int db_blueprint_set_launch(sqlite3 *db, int64_t id, const struct launch_settings *ls)
{
	static const char sql[] = "UPDATE blueprints SET start_map = ?, max_players = ?, "
				  "tickrate = ?, launch_args = ?, updated_at = ? WHERE id = ?";
	sqlite3_stmt *st;

	if (!ls->start_map || !ls->max_players || !ls->launch_args || !launch_settings_ok(ls))
		return DB_INVALID;
	st = db_prepare(db, sql);
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, ls->start_map, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, ls->max_players);
	if (ls->tickrate)
		sqlite3_bind_int(st, 3, ls->tickrate);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_text(st, 4, ls->launch_args, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now_ms());
	sqlite3_bind_int64(st, 6, id);
	return db_step_change(db, st, "blueprint launch settings");
}

int db_blueprint_set_overlays(sqlite3 *db, int64_t id, int64_t user_id,
			      const struct blueprint_overlay *ov, size_t n)
{
	static const char del_sql[] = "DELETE FROM blueprint_overlays WHERE blueprint_id = ?";
	/* The SELECT inserts nothing for an overlay the user may not use. */
	static const char ins_sql[] =
	    "INSERT INTO blueprint_overlays (blueprint_id, overlay_id, position, "
	    "expose_server_cfg) SELECT ?1, o.id, ?3, ?4 FROM overlays o WHERE o.id = ?2 "
	    "AND (o.user_id = ?5 OR o.kind = 'global')";
	static const char touch_sql[] = "UPDATE blueprints SET updated_at = ? WHERE id = ?";
	sqlite3_stmt *st = NULL;
	bool nested;
	size_t i;
	int rc;

	if (n > BLUEPRINT_OVERLAYS_MAX)
		return DB_INVALID;
	rc = db_tx_begin(db, &nested);
	if (rc != DB_OK)
		return rc;
	st = db_prepare(db, touch_sql);
	if (!st) {
		rc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, now_ms());
	sqlite3_bind_int64(st, 2, id);
	rc = db_step_change(db, st, "blueprint touch");
	st = NULL;
	if (rc != DB_OK)
		goto out;
	st = db_prepare(db, del_sql);
	if (!st) {
		rc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_int64(st, 1, id);
	rc = db_rc_from(db, sqlite3_step(st), "blueprint overlays clear");
	sqlite3_finalize(st);
	st = NULL;
	if (rc != DB_OK)
		goto out;
	st = db_prepare(db, ins_sql);
	if (!st) {
		rc = DB_ERROR;
		goto out;
	}
	for (i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, ov[i].overlay_id);
		sqlite3_bind_int64(st, 3, (int64_t)i);
		sqlite3_bind_int(st, 4, ov[i].expose_server_cfg ? 1 : 0);
		sqlite3_bind_int64(st, 5, user_id);
		rc = db_rc_from(db, sqlite3_step(st), "blueprint overlay add");
		if (rc == DB_EXISTS)
			rc = DB_INVALID; /* the same overlay twice */
		if (rc == DB_OK && sqlite3_changes(db) == 0)
			rc = DB_INVALID;
		if (rc != DB_OK)
			goto out;
	}
out:
	sqlite3_finalize(st);
	return db_tx_end(db, nested, rc);
}

int db_blueprint_delete(sqlite3 *db, int64_t id)
{
	static const char sql[] = "DELETE FROM blueprints WHERE id = ?";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	rc = db_step_change(db, st, "blueprint delete");
	return rc;
}
