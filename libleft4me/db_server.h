/* Servers (table servers).  The web and left4mectl create rows; the worker
 * sets state and deletes rows at the end of a delete job. */
#ifndef LEFT4ME_DB_SERVER_H
#define LEFT4ME_DB_SERVER_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

enum server_state {
	SERVER_NEW,	    /* created, never initialized (or reset) */
	SERVER_INITIALIZED, /* instance.env and upper/ staged */
	SERVER_RUNNING,	    /* enabled and started */
	SERVER_STOPPED,	    /* disabled and stopped */
	SERVER_FAILED,	    /* the last lifecycle job failed */
};

const char *server_state_name(enum server_state s);
int server_state_parse(const char *s, enum server_state *out);

struct server {
	int64_t id;
	char *name;
	int64_t user_id;
	char *user_name;
	int64_t blueprint_id;
	char *blueprint_name;
	int port;
	enum server_state state;
	char *state_reason; /* NULL or one line */
	int64_t created_at;
	int64_t updated_at;
	int64_t last_job_id; /* newest job targeting this server, 0 if none */
	/* launch settings (launch_args.h): the server's own (NULL / 0: the
	 * blueprint's) and its blueprint's */
	char *start_map, *bp_start_map;
	int max_players, bp_max_players;
	int tickrate, bp_tickrate;
	char *launch_args, *bp_launch_args;
};

void server_fini(struct server *s);
void server_list_free(struct server *list, size_t n);

/* DB_EXISTS if the name or port is taken; DB_INVALID for a bad name, port,
 * user or blueprint (the blueprint must belong to user_id). */
int db_server_create(sqlite3 *db, const char *name, int64_t user_id, int64_t blueprint_id, int port,
		     int64_t *id);
int db_server_get(sqlite3 *db, const char *name, struct server *out);
/* user_id 0: every user's servers; ordered by name. */
int db_server_list(sqlite3 *db, int64_t user_id, struct server **list, size_t *n);
int db_server_set_state(sqlite3 *db, const char *name, enum server_state state, const char *reason);
/* Set the server's own launch settings (NULL / 0: inherit the
 * blueprint's).  DB_INVALID for a value launch_args.h refuses. */
struct launch_settings;
int db_server_set_launch(sqlite3 *db, const char *name, const struct launch_settings *ls);
/* DB_NOTFOUND if there is no such row. */
int db_server_delete(sqlite3 *db, const char *name);

#endif
