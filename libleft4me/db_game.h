/* The game's builds in the DB (issue 13): the installed builds (mirrored
 * by left4me-worker from STATE/installation/builds), the build each
 * server's instance.env names, and the newest build Steam offers (the
 * update check).  Read by left4me-web for GET /api/v1/game and the admin
 * page. */
#ifndef LEFT4ME_DB_GAME_H
#define LEFT4ME_DB_GAME_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct game_build {
	int64_t id;
	bool current;
	char **servers; /* the servers whose instance.env names it, by name */
	size_t n_servers;
};

struct game_info {
	struct game_build *builds; /* newest first */
	size_t n_builds;
	int64_t current;       /* 0: not installed */
	int64_t latest;	       /* the public branch's build; 0: never checked or unknown */
	int64_t checked_at;    /* ms; 0: never checked */
	bool update_available; /* latest > current (and both known) */
};

/* Make game_builds exactly ids (current marked).  One transaction. */
int db_game_set_builds(sqlite3 *db, const int64_t *ids, size_t n, int64_t current);
/* servers.game_build of name (0: none, after a reset). */
int db_game_set_server_build(sqlite3 *db, const char *name, int64_t build);
/* The update check's answer (build 0: unknown) at checked_at (ms). */
int db_game_set_latest(sqlite3 *db, int64_t build, int64_t checked_at);
int db_game_info(sqlite3 *db, struct game_info *out);
/* The servers the worker last left running (servers.state 'running') whose
 * instance.env names a build other than current, by name: the update
 * policy's restarts.  *names malloc'd, each too (free both). */
int db_game_outdated_servers(sqlite3 *db, int64_t current, char ***names, size_t *n);
void game_info_fini(struct game_info *g);

#endif
