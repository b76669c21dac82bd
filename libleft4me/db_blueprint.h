/* Blueprints and their ordered overlay lists (tables blueprints,
 * blueprint_overlays).  Writer: left4me-web.  Position 0 is the top layer;
 * the worker reads these rows itself at initialize. */
#ifndef LEFT4ME_DB_BLUEPRINT_H
#define LEFT4ME_DB_BLUEPRINT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLUEPRINT_CONFIG_MAX   262144
#define BLUEPRINT_OVERLAYS_MAX 128

struct blueprint_overlay {
	int64_t overlay_id;
	bool expose_server_cfg;
	char *name; /* the overlay's name (read only) */
	char *kind; /* "user", "script" or "global" (read only) */
};

struct blueprint {
	int64_t id;
	int64_t user_id;
	char *name;
	char *config;
	int64_t created_at, updated_at;
	struct blueprint_overlay *overlays; /* top first */
	size_t n_overlays;
	int64_t n_servers; /* servers built from it */
	int64_t n_linked;  /* overlays linked (also set by list) */
	/* launch settings (launch_args.h): the servers' defaults */
	char *start_map;
	int max_players;
	int tickrate;	   /* 0: none */
	char *launch_args; /* canonical; "" none */
};

void blueprint_fini(struct blueprint *b);
void blueprint_list_free(struct blueprint *list, size_t n);

/* DB_EXISTS if user_id already has a blueprint of that name, DB_INVALID for
 * a bad name or an overlong config. */
int db_blueprint_create(sqlite3 *db, int64_t user_id, const char *name, const char *config,
			int64_t *id);
/* With its overlays, top first. */
int db_blueprint_get(sqlite3 *db, int64_t id, struct blueprint *out);
/* user_id 0: everyone's; ordered by name; overlays are not filled in. */
int db_blueprint_list(sqlite3 *db, int64_t user_id, struct blueprint **list, size_t *n);
int db_blueprint_update(sqlite3 *db, int64_t id, const char *name, const char *config);
/* Replace the overlay list (top first).  Every overlay must be user_id's
 * own or a global one and appear once: DB_INVALID otherwise, nothing
 * changed. */
int db_blueprint_set_overlays(sqlite3 *db, int64_t id, int64_t user_id,
			      const struct blueprint_overlay *ov, size_t n);
/* Set the launch settings (tickrate 0: none; launch_args canonical text,
 * checked again here).  DB_INVALID for a value launch_args.h refuses. */
struct launch_settings;
int db_blueprint_set_launch(sqlite3 *db, int64_t id, const struct launch_settings *ls);
/* DB_INVALID while a server uses it. */
int db_blueprint_delete(sqlite3 *db, int64_t id);

#endif
