/* Live server state (tables server_status, server_players, server_history,
 * migration 3).  The one writer is left4me-status: it follows each
 * server's unit through systemd's D-Bus signals and asks the game over
 * A2S.  left4me-web and left4mectl only read. */
#ifndef LEFT4ME_DB_STATUS_H
#define LEFT4ME_DB_STATUS_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "a2s.h"

/* What a server is doing now, as a person would say it. */
enum live_state {
	LIVE_STOPPED,
	LIVE_STARTING,	 /* the unit is activating */
	LIVE_RUNNING,	 /* the process is up, A2S does not answer (yet) */
	LIVE_READY,	 /* A2S answers */
	LIVE_RESTARTING, /* crashed; systemd starts it again */
	LIVE_FAILED,	 /* the unit failed (start limit hit, or not retried) */
};
#define LIVE_STATE_COUNT 6

const char *live_state_name(enum live_state s);
int live_state_parse(const char *s, enum live_state *out);

/* One server's row.  Strings are fixed-size (the table's CHECKs bound
 * them); has_* say whether the nullable columns are set. */
struct server_status {
	enum live_state live_state;
	char active_state[33], sub_state[33], unit_result[33];
	uint32_t restarts;
	bool has_exit_code, has_exit_signal;
	int exit_code, exit_signal;
	bool has_cpu, has_memory, has_tasks;
	uint64_t cpu_nsec, memory_bytes, tasks;
	bool has_a2s;	/* an A2S_INFO answer was ever kept */
	int64_t a2s_at; /* when it came (unix ms) */
	char map[128], name[256], version[64];
	int players, bots, max_players;
	bool vac;
	unsigned rtt_ms;
	char a2s_error[256]; /* "" when the last query answered */
	int64_t updated_at;  /* unix ms */
};

/* A server the poller watches. */
struct status_target {
	int64_t id;
	char name[65];
	int port;
};

/* Every server, ordered by name; *list is malloc'd (free it). */
int db_status_targets(sqlite3 *db, struct status_target **list, size_t *n);

/* Write server_id's row whole (insert or replace), with updated_at now.
 * DB_INVALID if the server is gone. */
int db_status_put(sqlite3 *db, int64_t server_id, const struct server_status *st);
/* Replace server_id's player list with players[0..n) (at most 256). */
int db_status_put_players(sqlite3 *db, int64_t server_id, const struct a2s_player *players,
			  size_t n);
/* The row of server NAME: DB_NOTFOUND when left4me-status has not written
 * one yet. */
int db_status_get(sqlite3 *db, const char *name, struct server_status *out);

/* Every server of user_id (0: every user's), ordered by name, each with
 * its status row when left4me-status has written one (has_status).  *list
 * is malloc'd (free it). */
struct status_entry {
	int64_t server_id, user_id;
	char name[65];
	bool has_status;
	struct server_status st;
};
int db_status_list(sqlite3 *db, int64_t user_id, struct status_entry **list, size_t *n);

/* What a person reads for a server's state, into buf: the state's name,
 * with the crash count when restarting ("restarting (3 crashes)") and the
 * last exit when failed ("failed (exit code 1)", "failed (signal 11, SIGSEGV)").
 * has_status false: "stopped" (left4me-status has written nothing yet). */
const char *live_state_label(const struct server_status *st, bool has_status, char *buf,
			     size_t len);

/* Whether st's A2S values are the server's now (it is ready): only then
 * do its map and player counts describe the running game. */
bool live_a2s_current(const struct server_status *st, bool has_status);

/* The player list of server NAME, in the game's order. */
struct status_player {
	char name[128];
	int score;
	int seconds;
};
int db_status_players(sqlite3 *db, const char *name, struct status_player **list, size_t *n);

/* One minute of history (minute = unix time / 60); a second write for the
 * same minute replaces the first.  Columns with has_* false are NULL. */
struct status_sample {
	int64_t minute;
	bool has_players, has_cpu, has_memory;
	int players;
	uint64_t cpu_nsec, memory_bytes;
};
int db_status_record(sqlite3 *db, int64_t server_id, const struct status_sample *s);
/* Delete history older than keep_minutes before now_minute; *deleted (may
 * be NULL) gets the count. */
int db_status_prune(sqlite3 *db, int64_t now_minute, int64_t keep_minutes, int *deleted);
/* The history of server NAME since since_minute, oldest first; *list is
 * malloc'd. */
int db_status_history(sqlite3 *db, const char *name, int64_t since_minute,
		      struct status_sample **list, size_t *n);

#endif
