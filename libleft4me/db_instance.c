/* Worker-side queries of servers, blueprints and overlays; see
 * db_instance.h.  Read-only except overlays.build_status/built_at. */
#include "db_instance.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "timeutil.h"
#include "xalloc.h"

void instance_spec_fini(struct instance_spec *spec)
{
	size_t i;

	if (!spec)
		return;
	for (i = 0; i < spec->n_overlays; i++)
		free(spec->overlays[i].source_name);
	free(spec->overlays);
	free(spec->name);
	free(spec->state);
	free(spec->config);
	free(spec->start_map);
	free(spec->bp_start_map);
	free(spec->launch_args);
	free(spec->bp_launch_args);
	memset(spec, 0, sizeof(*spec));
}

static int kind_parse(const char *s, enum instance_overlay_kind *out)
{
	if (!s)
		return -1;
	if (strcmp(s, "user") == 0)
		*out = OVERLAY_USER;
	else if (strcmp(s, "script") == 0)
		*out = OVERLAY_SCRIPT;
	else if (strcmp(s, "global") == 0)
		*out = OVERLAY_GLOBAL;
	else if (strcmp(s, "workshop") == 0)
		*out = OVERLAY_WORKSHOP;
	else
		return -1;
	return 0;
}

static int read_overlays(sqlite3 *db, struct instance_spec *spec)
{
	static const char sql[] =
	    "SELECT o.id, bo.position, o.kind, bo.expose_server_cfg, g.name, g.complete "
	    "FROM blueprint_overlays bo JOIN overlays o ON o.id = bo.overlay_id "
	    "LEFT JOIN global_overlay_sources g ON g.id = o.source_id "
	    "WHERE bo.blueprint_id = ? ORDER BY bo.position";
	sqlite3_stmt *st = db_prepare(db, sql);
	size_t cap = 0;
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, spec->blueprint_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct instance_overlay *o;

		if (spec->n_overlays == cap) {
			cap = cap ? cap * 2 : 8;
			spec->overlays = xreallocarray(spec->overlays, cap, sizeof(*o));
		}
		o = &spec->overlays[spec->n_overlays];
		memset(o, 0, sizeof(*o));
		o->id = sqlite3_column_int64(st, 0);
		o->position = sqlite3_column_int(st, 1);
		if (kind_parse((const char *)sqlite3_column_text(st, 2), &o->kind) < 0) {
			rc = SQLITE_CORRUPT;
			break;
		}
		o->expose_server_cfg = sqlite3_column_int(st, 3) != 0;
		o->source_name = db_column_strdup(st, 4);
		o->source_complete = sqlite3_column_int(st, 5) != 0;
		spec->n_overlays++;
	}
	rc = db_rc_from(db, rc, "instance overlays");
	sqlite3_finalize(st);
	return rc;
}

int db_instance_get(sqlite3 *db, const char *name, struct instance_spec *out)
{
	static const char sql[] =
	    "SELECT s.id, s.name, s.port, s.state, b.id, b.config, s.start_map, "
	    "coalesce(s.max_players, 0), coalesce(s.tickrate, 0), s.launch_args, b.start_map, "
	    "b.max_players, coalesce(b.tickrate, 0), b.launch_args "
	    "FROM servers s JOIN blueprints b ON b.id = s.blueprint_id WHERE s.name = ?";
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	/* One read transaction: the server and its overlays from one snapshot. */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return db_rc_from(db, sqlite3_errcode(db), "instance get");
	st = db_prepare(db, sql);
	if (!st) {
		rc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = db_step_one(db, st, "instance get");
	if (rc == DB_OK) {
		out->server_id = sqlite3_column_int64(st, 0);
		out->name = db_column_strdup(st, 1);
		out->port = sqlite3_column_int(st, 2);
		out->state = db_column_strdup(st, 3);
		out->blueprint_id = sqlite3_column_int64(st, 4);
		out->config = db_column_strdup(st, 5);
		if (!out->config)
			out->config = xstrdup("");
		out->start_map = db_column_strdup(st, 6);
		out->max_players = sqlite3_column_int(st, 7);
		out->tickrate = sqlite3_column_int(st, 8);
		out->launch_args = db_column_strdup(st, 9);
		out->bp_start_map = db_column_strdup(st, 10);
		out->bp_max_players = sqlite3_column_int(st, 11);
		out->bp_tickrate = sqlite3_column_int(st, 12);
		out->bp_launch_args = db_column_strdup(st, 13);
	}
	sqlite3_finalize(st);
	if (rc == DB_OK)
		rc = read_overlays(db, out);
out:
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != DB_OK)
		instance_spec_fini(out);
	return rc;
}

int db_instance_build_script(sqlite3 *db, int64_t overlay_id, char **script)
{
	static const char sql[] =
	    "SELECT build_script FROM overlays WHERE id = ? AND kind = 'script' "
	    "AND build_script IS NOT NULL";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	*script = NULL;
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, overlay_id);
	rc = db_step_one(db, st, "overlay build script");
	if (rc == DB_OK)
		*script = db_column_strdup(st, 0);
	sqlite3_finalize(st);
	return rc;
}

int db_instance_set_build(sqlite3 *db, int64_t overlay_id, const char *status)
{
	static const char sql[] =
	    "UPDATE overlays SET build_status = ?1, "
	    "built_at = CASE WHEN ?1 = 'building' THEN built_at ELSE ?2 END WHERE id = ?3";
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms());
	sqlite3_bind_int64(st, 3, overlay_id);
	return db_step_change(db, st, "overlay build status");
}
