/* The job queue in the jobs and job_log tables.
 *
 * Producers (left4me-web, left4mectl, the refresh timer) enqueue; consumers
 * (left4me-worker for the 'worker' queue, left4me-fetcher for 'fetcher')
 * claim with one atomic UPDATE ... RETURNING, so any number of consumer
 * processes is safe.  A claimer heartbeats, appends log lines as they
 * happen, and finishes the job with a state and one-line reason.  At start
 * a consumer recovers jobs whose worker died (stale heartbeat, or a local
 * pid that is gone).  Waiting for work uses db_watch (inotify on the WAL),
 * never a busy loop. */
#ifndef LEFT4ME_DB_JOB_H
#define LEFT4ME_DB_JOB_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum job_kind {
	JOB_START,
	JOB_STOP,
	JOB_RESTART,
	JOB_RESET,
	JOB_DELETE,
	JOB_INITIALIZE,
	JOB_INSTALL_GAME,
	JOB_BUILD_OVERLAY,
	JOB_REFRESH_GLOBAL_OVERLAYS,
	JOB_DELETE_OVERLAY, /* remove STATE/overlays/ID of a deleted overlay */
	JOB_SYNC_WORKSHOP,  /* fetcher: a workshop overlay (target ID) or all of them ("") */
	JOB_COMMAND,	    /* a schedule's console command (schedule_id names it) */
	JOB_BACKUP,	    /* a dated backup into backup.dir */
	JOB_EXPORT_SERVER,  /* runtime/NAME/upper as STATE/exports/JOBID.tar.zst */
	JOB_EXPORT_BACKUP,  /* backup.dir/NAME copied to STATE/exports/JOBID.tar.zst */
	JOB_KIND_COUNT
};

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_SUCCEEDED, JOB_FAILED, JOB_CANCELLED };

enum job_queue { QUEUE_WORKER, QUEUE_FETCHER };

enum job_stream { STREAM_STEP, STREAM_STDOUT, STREAM_STDERR, STREAM_INFO, STREAM_PROGRESS };

#define JOB_LOG_LINE_MAX 4096
#define JOB_REASON_MAX	 512
#define JOB_WORKER_MAX	 128

const char *job_kind_name(enum job_kind kind);
int job_kind_parse(const char *s, enum job_kind *out);
/* Which daemon runs a kind. */
enum job_queue job_kind_queue(enum job_kind kind);
/* true for kinds whose target is a server name (command included). */
bool job_kind_is_server(enum job_kind kind);
const char *job_state_name(enum job_state state);
int job_state_parse(const char *s, enum job_state *out);
bool job_state_is_final(enum job_state state);
const char *job_stream_name(enum job_stream stream);
int job_stream_parse(const char *s, enum job_stream *out);
const char *job_queue_name(enum job_queue queue);

struct job {
	int64_t id;
	enum job_kind kind;
	char *target;	 /* server name, overlay id, or "" */
	int64_t user_id; /* 0: a system job */
	char *user_name; /* NULL for a system job (shown as "system") */
	enum job_state state;
	char *worker; /* "HOST:PID" of the claimer, or NULL */
	int64_t created_at, started_at, heartbeat_at, finished_at; /* unix ms, 0 = unset */
	bool has_exit_code;
	int exit_code;
	char *reason;	     /* one line, or NULL */
	int64_t schedule_id; /* the schedule it came from; 0: none */
};

void job_fini(struct job *job);
void job_list_free(struct job *jobs, size_t n);

struct job_request {
	enum job_kind kind;
	const char *target;	  /* NULL or "" for none; validated per kind */
	int64_t user_id;	  /* 0 for a system job */
	const char *coalesce_key; /* NULL: never coalesced */
	int64_t schedule_id;	  /* 0: none; a command job needs one */
};

/* Enqueue.  With a coalesce key and a job already queued under it, that
 * job's id is returned and *coalesced set (may be NULL).  The target must
 * be a valid instance name for server kinds, a valid id for
 * build_overlay and delete_overlay, and a valid id or "" for
 * sync_workshop (DB_INVALID otherwise); a command job without a
 * schedule_id is DB_INVALID too. */
int db_job_enqueue(sqlite3 *db, const struct job_request *req, int64_t *id, bool *coalesced);

/* The newest succeeded job of kind on target, of user_id (0: anyone's).
 * DB_OK with *out (job_fini it), or DB_NOTFOUND. */
int db_job_latest_done(sqlite3 *db, enum job_kind kind, const char *target, int64_t user_id,
		       struct job *out);

/* Claim the oldest queued job of queue whose lock_key no running job
 * holds.  DB_OK with *out filled (job_fini it), or DB_NOTFOUND. */
int db_job_claim(sqlite3 *db, enum job_queue queue, const char *worker, struct job *out);

/* Heartbeat a running job this worker holds; DB_NOTFOUND if it is no longer
 * ours (recovered by another process): the caller must stop working on it. */
int db_job_heartbeat(sqlite3 *db, int64_t id, const char *worker);

/* Append one line.  Trailing CR/LF are removed, invalid UTF-8 and control
 * characters (C0 except tab, DEL, C1) become '?', and lines are cut at
 * JOB_LOG_LINE_MAX bytes on a character boundary.  *log_id (may be NULL)
 * gets the row id, which is the SSE event id. */
int db_job_log(sqlite3 *db, int64_t job_id, enum job_stream stream, const char *line,
	       int64_t *log_id);
/* A job stores at most this many bytes of log lines (worker.max_job_log;
 * JOB_LOG_MAX_DEFAULT until a daemon sets it from its config).  The line
 * that would pass it is replaced by one info line, "log truncated at N
 * bytes (worker.max_job_log); later lines are dropped", and every later
 * line of that job is dropped: db_job_log returns DB_OK and *log_id 0.
 * The count is kept per process (one SUM over the job's lines the first
 * time, then only the rows added since), so writers in several processes
 * are all bounded; two racing writers may each add one line past it. */
#define JOB_LOG_MAX_DEFAULT (16LL * 1024 * 1024)
void db_job_set_log_max(long long bytes);
int db_job_logf(sqlite3 *db, int64_t job_id, enum job_stream stream, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A 'progress' line: "PERCENT DONE TOTAL LABEL" (percent with one decimal;
 * done/total may be 0 when unknown). */
int db_job_progress(sqlite3 *db, int64_t job_id, double percent, int64_t done, int64_t total,
		    const char *label);

/* Finish a job this worker holds: state is JOB_SUCCEEDED, JOB_FAILED or
 * JOB_CANCELLED; exit_code < 0 stores NULL.  DB_NOTFOUND if it is not ours
 * or not running. */
int db_job_finish(sqlite3 *db, int64_t id, const char *worker, enum job_state state, int exit_code,
		  const char *reason);

/* Cancel a queued job (not a running one): DB_NOTFOUND if not queued. */
int db_job_cancel(sqlite3 *db, int64_t id, const char *reason);

/* Liveness test for a worker id; NULL means job_worker_alive(). */
typedef bool (*job_alive_fn)(const char *worker);
/* Mark failed every running job of queue whose heartbeat is older than
 * stale_ms, or whose worker alive() says is dead.  *recovered (may be NULL)
 * gets the count.  Each gets a log line saying why. */
int db_job_recover(sqlite3 *db, enum job_queue queue, int64_t stale_ms, job_alive_fn alive,
		   int *recovered);

/* This process's worker id, "HOST:PID". */
void job_worker_id(char *buf, size_t len);
/* false only when the worker id names this host and a pid that is gone. */
bool job_worker_alive(const char *worker);

int db_job_get(sqlite3 *db, int64_t id, struct job *out);

struct job_filter {
	int64_t user_id;    /* 0: everyone's */
	const char *target; /* NULL: any */
	int64_t before_id;  /* 0: newest first from the top; else ids < before_id */
	int limit;	    /* 1..1000 */
};
/* Newest first.  *jobs is an array of *n jobs (job_list_free it). */
int db_job_list(sqlite3 *db, const struct job_filter *f, struct job **jobs, size_t *n);
/* Count of jobs in each state (array indexed by enum job_state, 5 long). */
int db_job_count_by_state(sqlite3 *db, int64_t counts[5]);

struct job_log_line {
	int64_t id;
	int64_t ts;
	enum job_stream stream;
	char *line;
};
/* Up to limit lines of job_id with id > after_id, oldest first. */
int db_job_log_read(sqlite3 *db, int64_t job_id, int64_t after_id, size_t limit,
		    struct job_log_line **lines, size_t *n);
/* Up to limit lines of job_id with id < before_id (0: the newest lines),
 * oldest first: the page of the log that ends just before before_id. */
int db_job_log_read_before(sqlite3 *db, int64_t job_id, int64_t before_id, size_t limit,
			   struct job_log_line **lines, size_t *n);
void job_log_lines_free(struct job_log_line *lines, size_t n);

#endif
