/* Schedules per server (table schedules, migration 5; issue 16): a cron
 * expression in the host's time zone, an action (restart, update,
 * command) and an only-when-empty policy.  left4me-web and left4mectl
 * create, delete and enable/disable them; left4me-worker fires them
 * (left4me-worker/sched.c) and writes next_run, waiting_since and last_*.
 * Times are unix seconds. */
#ifndef LEFT4ME_DB_SCHEDULE_H
#define LEFT4ME_DB_SCHEDULE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "console.h"
#include "cron.h"

enum sched_action { SCHED_RESTART, SCHED_UPDATE, SCHED_COMMAND };

#define SCHED_WAIT_MAX	 1440 /* minutes an only_when_empty firing may wait */
#define SCHED_RESULT_MAX 512

const char *sched_action_name(enum sched_action a);
int sched_action_parse(const char *s, enum sched_action *out);

struct schedule {
	int64_t id, server_id;
	char server[65];  /* the server's name */
	int64_t owner_id; /* the server's owner */
	enum sched_action action;
	char cron[CRON_TEXT_MAX + 1];
	char command[CONSOLE_COMMAND_MAX + 1]; /* "" unless action command */
	bool only_when_empty;
	int wait_minutes;
	bool force_on_timeout; /* on_timeout force (else skip) */
	bool enabled;
	int64_t next_run;      /* 0: none (disabled) */
	int64_t waiting_since; /* 0: not waiting */
	int64_t last_run;      /* 0: never */
	int64_t last_job_id;   /* 0: none */
	char last_result[SCHED_RESULT_MAX + 1];
	int64_t created_at, updated_at;
};

/* What a person or the API gives to create one; strings may be NULL
 * (command, on_timeout) or out of range: schedule_check says which. */
struct schedule_input {
	const char *action;
	const char *cron;
	const char *command;
	bool only_when_empty;
	long long wait_minutes;
	const char *on_timeout; /* NULL: "skip" */
	bool enabled;
};

/* Check in and fill out (all but the ids and times).  0, or -1 with the
 * bad field's name ("cron", "command", ...) in *field and one line naming
 * the rule in why: "cron: field 2 (hour): '25' is out of range 0-23". */
int schedule_check(const struct schedule_input *in, struct schedule *out, const char **field,
		   char *why, size_t whylen);

/* The first firing of cron text strictly after now (unix s), or 0 when
 * the text does not parse. */
int64_t schedule_next_after(const char *cron, int64_t now);

/* Insert s for server_id (s->id set; next_run from s->next_run).
 * DB_EXISTS when the server already has max_per_server schedules (0: no
 * limit), DB_INVALID when a CHECK or the server refuses it. */
int db_schedule_create(sqlite3 *db, struct schedule *s, int max_per_server);
/* Replace the definition of schedule s->id of s->server_id (action,
 * cron, command, policy, enabled, next_run); a waiting firing is dropped. */
int db_schedule_update(sqlite3 *db, const struct schedule *s);
/* Schedule id of server_id: DB_NOTFOUND when it is not that server's. */
int db_schedule_get(sqlite3 *db, int64_t server_id, int64_t id, struct schedule *out);
/* Every schedule of server_id by id (*list malloc'd; free it). */
int db_schedule_list(sqlite3 *db, int64_t server_id, struct schedule **list, size_t *n);
/* Enable (with next_run) or disable (next_run 0: cleared, and a waiting
 * firing dropped). */
int db_schedule_set_enabled(sqlite3 *db, int64_t server_id, int64_t id, bool enabled,
			    int64_t next_run);
int db_schedule_delete(sqlite3 *db, int64_t server_id, int64_t id);

/* For the worker: the enabled schedules with next_run <= now or a firing
 * waiting, oldest due first (at most 1000 per call). */
int db_schedule_due(sqlite3 *db, int64_t now, struct schedule **list, size_t *n);
/* The earliest next_run of an enabled schedule (0: none); *waiting true
 * when some firing waits for an empty server. */
int db_schedule_next_due(sqlite3 *db, int64_t *next, bool *waiting);
/* The worker's write after a firing or a wait step: only when the row
 * still has next_run old_next and is enabled (another worker process may
 * have fired it first: DB_NOTFOUND).  last_result NULL keeps it;
 * last_run/last_job_id 0 keep them. */
struct schedule_step {
	int64_t old_next, next_run, waiting_since, last_run, last_job_id;
	const char *last_result;
};
int db_schedule_step(sqlite3 *db, int64_t id, const struct schedule_step *s);

/* Human players on server name now: A2S players minus bots from
 * server_status when the game answers (live state running or ready),
 * else 0. */
int db_schedule_humans(sqlite3 *db, const char *name, int *humans);

#endif
