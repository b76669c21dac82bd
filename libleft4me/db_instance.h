/* What left4me-worker reads to initialize a server and build an overlay,
 * and the overlay build columns it writes (overlays.build_status,
 * built_at).  Reader and writer: left4me-worker.  Every name read here is
 * untrusted: the caller re-validates it before building a path. */
#ifndef LEFT4ME_DB_INSTANCE_H
#define LEFT4ME_DB_INSTANCE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kinds of overlay, as in overlays.kind. */
enum instance_overlay_kind { OVERLAY_USER, OVERLAY_SCRIPT, OVERLAY_GLOBAL, OVERLAY_WORKSHOP };

/* One overlay of a blueprint, in position order (position 0 on top). */
struct instance_overlay {
	int64_t id;
	int position;
	enum instance_overlay_kind kind;
	bool expose_server_cfg;
	char *source_name;    /* global: its source's name (unvalidated), else NULL */
	bool source_complete; /* global: global_overlay_sources.complete */
};

/* A server row joined with its blueprint and overlays. */
struct instance_spec {
	int64_t server_id;
	char *name; /* as stored; re-validate before use */
	int port;
	char *state; /* servers.state */
	int64_t blueprint_id;
	char *config; /* the blueprint's server.cfg body */
	/* launch settings as stored (unvalidated): the server's own (NULL / 0:
	 * inherit) and the blueprint's */
	char *start_map, *bp_start_map;
	int max_players, bp_max_players, tickrate, bp_tickrate;
	char *launch_args, *bp_launch_args;
	struct instance_overlay *overlays; /* top first */
	size_t n_overlays;
	/* The server's RCON password: not read by db_instance_get; the
	 * worker sets it from db_rcon_get (a pointer to its own copy). */
	const char *rcon_password;
};

void instance_spec_fini(struct instance_spec *spec);

/* Read server name with its blueprint config and overlays, top first.
 * DB_NOTFOUND if there is no such server; DB_ERROR for an unknown overlay
 * kind. */
int db_instance_get(sqlite3 *db, const char *name, struct instance_spec *out);

/* The build script of a 'script' overlay (caller frees *script).
 * DB_NOTFOUND if the overlay is missing or is not a script overlay. */
int db_instance_build_script(sqlite3 *db, int64_t overlay_id, char **script);

/* Record a build's status: "building", "ok" or "failed".  built_at is set
 * to now unless status is "building".  DB_NOTFOUND if the overlay is gone. */
int db_instance_set_build(sqlite3 *db, int64_t overlay_id, const char *status);

#endif
