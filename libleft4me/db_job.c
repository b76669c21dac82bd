/* The job queue; see db_job.h.  All SQL for jobs and job_log lives here. */
#include "db_job.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "rcon.h"
#include "log.h"
#include "parse.h"
#include "strbuf.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

static const char *const kind_names[JOB_KIND_COUNT] = {
    [JOB_START] = "start",
    [JOB_STOP] = "stop",
    [JOB_RESTART] = "restart",
    [JOB_RESET] = "reset",
    [JOB_DELETE] = "delete",
    [JOB_INITIALIZE] = "initialize",
    [JOB_INSTALL_GAME] = "install_game",
    [JOB_BUILD_OVERLAY] = "build_overlay",
    [JOB_REFRESH_GLOBAL_OVERLAYS] = "refresh_global_overlays",
    [JOB_DELETE_OVERLAY] = "delete_overlay",
    [JOB_SYNC_WORKSHOP] = "sync_workshop",
    [JOB_COMMAND] = "command",
    [JOB_BACKUP] = "backup",
    [JOB_EXPORT_SERVER] = "export_server",
    [JOB_EXPORT_BACKUP] = "export_backup",
};

static const char *const state_names[] = {"queued", "running", "succeeded", "failed", "cancelled"};
static const char *const stream_names[] = {"step", "stdout", "stderr", "info", "progress"};

static int lookup(const char *const *names, size_t n, const char *s)
{
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

const char *job_kind_name(enum job_kind kind)
{
	return (unsigned)kind < JOB_KIND_COUNT ? kind_names[kind] : "?";
}

int job_kind_parse(const char *s, enum job_kind *out)
{
	int i = lookup(kind_names, JOB_KIND_COUNT, s);

	if (i < 0)
		return -1;
	*out = (enum job_kind)i;
	return 0;
}

enum job_queue job_kind_queue(enum job_kind kind)
{
	return kind == JOB_REFRESH_GLOBAL_OVERLAYS || kind == JOB_SYNC_WORKSHOP ? QUEUE_FETCHER
										: QUEUE_WORKER;
}

bool job_kind_is_server(enum job_kind kind)
{
	return kind <= JOB_INITIALIZE || kind == JOB_COMMAND;
}

const char *job_state_name(enum job_state state)
{
	return (unsigned)state < 5 ? state_names[state] : "?";
}

int job_state_parse(const char *s, enum job_state *out)
{
	int i = lookup(state_names, 5, s);

	if (i < 0)
		return -1;
	*out = (enum job_state)i;
	return 0;
}

bool job_state_is_final(enum job_state state)
{
	return state == JOB_SUCCEEDED || state == JOB_FAILED || state == JOB_CANCELLED;
}

const char *job_stream_name(enum job_stream stream)
{
	return (unsigned)stream < 5 ? stream_names[stream] : "?";
}

int job_stream_parse(const char *s, enum job_stream *out)
{
	int i = lookup(stream_names, 5, s);

	if (i < 0)
		return -1;
	*out = (enum job_stream)i;
	return 0;
}

const char *job_queue_name(enum job_queue queue)
{
	return queue == QUEUE_FETCHER ? "fetcher" : "worker";
}

void job_fini(struct job *job)
{
	if (!job)
		return;
	free(job->target);
	free(job->user_name);
	free(job->worker);
	free(job->reason);
	memset(job, 0, sizeof(*job));
}

void job_list_free(struct job *jobs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		job_fini(&jobs[i]);
	free(jobs);
}

/* The columns every job query selects, in the order row_to_job reads. */
#define JOB_COLUMNS                                                                                \
	"j.id, j.kind, j.target, j.user_id, u.name, j.state, j.worker, j.created_at, "             \
	"j.started_at, j.heartbeat_at, j.finished_at, j.exit_code, j.reason, j.schedule_id "
#define JOB_FROM " FROM jobs j LEFT JOIN users u ON u.id = j.user_id "

static int row_to_job(sqlite3_stmt *st, struct job *job)
{
	memset(job, 0, sizeof(*job));
	job->id = sqlite3_column_int64(st, 0);
	if (job_kind_parse((const char *)sqlite3_column_text(st, 1), &job->kind) < 0 ||
	    job_state_parse((const char *)sqlite3_column_text(st, 5), &job->state) < 0) {
		log_err("job=%lld: unknown kind or state in the database", (long long)job->id);
		return DB_ERROR;
	}
	job->target =
	    xstrdup(sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2) : "");
	job->user_id = sqlite3_column_int64(st, 3);
	job->user_name = db_column_strdup(st, 4);
	job->worker = db_column_strdup(st, 6);
	job->created_at = sqlite3_column_int64(st, 7);
	job->started_at = sqlite3_column_int64(st, 8);
	job->heartbeat_at = sqlite3_column_int64(st, 9);
	job->finished_at = sqlite3_column_int64(st, 10);
	job->has_exit_code = sqlite3_column_type(st, 11) != SQLITE_NULL;
	job->exit_code = sqlite3_column_int(st, 11);
	job->reason = db_column_strdup(st, 12);
	job->schedule_id = sqlite3_column_int64(st, 13);
	return DB_OK;
}

/* lock_key: what object a job works on, so two never run at once on it. */
static char *job_lock_key(enum job_kind kind, const char *target)
{
	if (job_kind_is_server(kind))
		return xasprintf("server:%s", target);
	if (kind == JOB_BUILD_OVERLAY || kind == JOB_DELETE_OVERLAY)
		return xasprintf("overlay:%s", target);
	if (kind == JOB_INSTALL_GAME)
		return xstrdup("game");
	/* every sync shares workshop_cache/ (and the last one collects its
	 * garbage): one at a time */
	if (kind == JOB_SYNC_WORKSHOP)
		return xstrdup("workshop");
	if (kind == JOB_EXPORT_SERVER) /* not during a reset or delete of it */
		return xasprintf("server:%s", target);
	if (kind == JOB_BACKUP || kind == JOB_EXPORT_BACKUP)
		return xstrdup("backup");
	return xstrdup("global");
}

static bool target_ok(enum job_kind kind, const char *target)
{
	if (job_kind_is_server(kind))
		return valid_instance_name(target);
	if (kind == JOB_BUILD_OVERLAY || kind == JOB_DELETE_OVERLAY)
		return valid_id(target, NULL);
	if (kind == JOB_REFRESH_GLOBAL_OVERLAYS)
		return target[0] == '\0' || valid_source_name(target);
	if (kind == JOB_SYNC_WORKSHOP)
		return target[0] == '\0' || valid_id(target, NULL);
	if (kind == JOB_EXPORT_SERVER)
		return valid_instance_name(target);
	if (kind == JOB_EXPORT_BACKUP)
		return backup_name_ok(target);
	if (kind == JOB_INSTALL_GAME) /* "validate": SteamCMD checks every file */
		return target[0] == '\0' || strcmp(target, "validate") == 0;
	return target[0] == '\0';
}

int db_job_enqueue(sqlite3 *db, const struct job_request *req, int64_t *id, bool *coalesced)
{
	static const char find_sql[] =
	    "SELECT id FROM jobs WHERE coalesce_key = ? AND state = 'queued'";
	static const char insert_sql[] =
	    "INSERT INTO jobs (kind, target, user_id, queue, lock_key, coalesce_key, "
	    "created_at, schedule_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
	const char *target = req->target ? req->target : "";
	sqlite3_stmt *st = NULL;
	char *lock_key = NULL;
	bool nested;
	int rc;

	if (coalesced)
		*coalesced = false;
	if ((unsigned)req->kind >= JOB_KIND_COUNT || !target_ok(req->kind, target) ||
	    (req->kind == JOB_COMMAND && req->schedule_id <= 0))
		return DB_INVALID;
	rc = db_tx_begin(db, &nested);
	if (rc != DB_OK)
		return rc;
	if (req->coalesce_key) {
		st = db_prepare(db, find_sql);
		if (!st) {
			rc = DB_ERROR;
			goto out;
		}
		sqlite3_bind_text(st, 1, req->coalesce_key, -1, SQLITE_STATIC);
		rc = db_step_one(db, st, "enqueue");
		if (rc == DB_OK) {
			*id = sqlite3_column_int64(st, 0);
			if (coalesced)
				*coalesced = true;
			goto out;
		}
		if (rc != DB_NOTFOUND)
			goto out;
		sqlite3_finalize(st);
	}
	st = db_prepare(db, insert_sql);
	if (!st) {
		rc = DB_ERROR;
		goto out;
	}
	lock_key = job_lock_key(req->kind, target);
	sqlite3_bind_text(st, 1, job_kind_name(req->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
	if (req->user_id > 0)
		sqlite3_bind_int64(st, 3, req->user_id);
	sqlite3_bind_text(st, 4, job_queue_name(job_kind_queue(req->kind)), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, lock_key, -1, SQLITE_STATIC);
	db_bind_text_or_null(st, 6, req->coalesce_key);
	sqlite3_bind_int64(st, 7, now_ms());
	if (req->schedule_id > 0)
		sqlite3_bind_int64(st, 8, req->schedule_id);
	rc = db_step_insert(db, st, id, "enqueue");
	st = NULL;
out:
	sqlite3_finalize(st);
	free(lock_key);
	return db_tx_end(db, nested, rc);
}

int db_job_get(sqlite3 *db, int64_t id, struct job *out)
{
	static const char sql[] = "SELECT " JOB_COLUMNS JOB_FROM "WHERE j.id = ?";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	rc = db_step_one(db, st, "job get");
	if (rc == DB_OK)
		rc = row_to_job(st, out);
	sqlite3_finalize(st);
	return rc;
}

int db_job_latest_done(sqlite3 *db, enum job_kind kind, const char *target, int64_t user_id,
		       struct job *out)
{
	static const char sql[] = "SELECT " JOB_COLUMNS JOB_FROM
				  "WHERE j.kind = ?1 AND j.target = ?2 AND j.state = 'succeeded' "
				  "AND (?3 = 0 OR j.user_id = ?3) ORDER BY j.id DESC LIMIT 1";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, job_kind_name(kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, user_id);
	rc = db_step_one(db, st, "job latest");
	if (rc == DB_OK)
		rc = row_to_job(st, out);
	sqlite3_finalize(st);
	return rc;
}

int db_job_claim(sqlite3 *db, enum job_queue queue, const char *worker, struct job *out)
{
	/* One statement picks and takes the job; BEGIN IMMEDIATE makes the
	 * read of the queue and the write one locked step, so a competing
	 * claimer waits on busy_timeout instead of failing its snapshot. */
	static const char sql[] =
	    "UPDATE jobs SET state = 'running', worker = ?1, started_at = ?2, "
	    "heartbeat_at = ?2 "
	    "WHERE id = (SELECT q.id FROM jobs q WHERE q.state = 'queued' AND q.queue = ?3 "
	    "  AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.state = 'running' "
	    "                  AND r.lock_key = q.lock_key) "
	    "  ORDER BY q.id LIMIT 1) "
	    "RETURNING id";
	sqlite3_stmt *st = NULL;
	int64_t id = 0;
	bool nested;
	int rc;

	rc = db_tx_begin(db, &nested);
	if (rc != DB_OK)
		return rc;
	st = db_prepare(db, sql);
	if (!st) {
		rc = DB_ERROR;
		goto out;
	}
	sqlite3_bind_text(st, 1, worker, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms());
	sqlite3_bind_text(st, 3, job_queue_name(queue), -1, SQLITE_STATIC);
	rc = db_step_one(db, st, "job claim");
	if (rc == DB_OK) {
		id = sqlite3_column_int64(st, 0);
		/* run to completion before reading more */
		rc = db_rc_from(db, sqlite3_step(st), "job claim");
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc == DB_OK)
		rc = db_job_get(db, id, out);
out:
	sqlite3_finalize(st);
	if (db_tx_end(db, nested, rc) != DB_OK) {
		if (rc == DB_OK)
			job_fini(out);
		return rc == DB_OK ? DB_ERROR : rc;
	}
	return DB_OK;
}

int db_job_heartbeat(sqlite3 *db, int64_t id, const char *worker)
{
	static const char sql[] = "UPDATE jobs SET heartbeat_at = ? WHERE id = ? AND worker = ? "
				  "AND state = 'running'";
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, now_ms());
	sqlite3_bind_int64(st, 2, id);
	sqlite3_bind_text(st, 3, worker, -1, SQLITE_STATIC);
	return db_step_change(db, st, "job heartbeat");
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
	size_t n, k;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > avail)
		return 0;
	for (k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Clean one line of untrusted output for storage (see db_job_log). */
static void clean_line(struct strbuf *out, const char *line)
{
	const unsigned char *s = (const unsigned char *)line;
	size_t len = strlen(line), i = 0;
	long at = rcon_setting_at(line, len);

	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	/* No job log line or reason holds an RCON password (docs/SECURITY.md,
	 * "RCON"): whatever follows the setting's name is withheld. */
	if (at >= 0 && (size_t)at + strlen(RCON_SETTING) < len)
		len = (size_t)at + strlen(RCON_SETTING);
	while (i < len) {
		size_t n = utf8_seq_len(s + i, len - i);

		if (n == 0 || (n == 1 && ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)) ||
		    (n == 2 && s[i] == 0xc2 && s[i + 1] <= 0x9f)) {
			if (out->len + 1 > JOB_LOG_LINE_MAX)
				break;
			strbuf_putc(out, '?');
			i += n ? n : 1;
			continue;
		}
		if (out->len + n > JOB_LOG_LINE_MAX)
			break;
		strbuf_append(out, (const char *)s + i, n);
		i += n;
	}
	if (at >= 0 && i == len && out->len + strlen(RCON_WITHHELD) <= JOB_LOG_LINE_MAX)
		strbuf_puts(out, RCON_WITHHELD);
}

/* The log cap (db_job_set_log_max) and what this process knows of the
 * jobs it logs for: bytes stored up to row last_id, and whether the
 * truncation line is among them.  A few jobs at once (a worker runs one
 * per queue); the oldest slot is reused. */
#define LOG_SLOTS    8
#define TRUNC_PREFIX "log truncated at "
#define TRUNC_SUFFIX " bytes (worker.max_job_log); later lines are dropped"

static struct log_slot {
	sqlite3 *db;
	int64_t job_id, last_id, bytes;
	bool truncated;
	uint64_t used;
} log_slots[LOG_SLOTS];
static uint64_t log_clock;
static long long log_max = JOB_LOG_MAX_DEFAULT;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void db_job_set_log_max(long long bytes)
{
	pthread_mutex_lock(&log_lock);
	log_max = bytes > 0 ? bytes : JOB_LOG_MAX_DEFAULT;
	pthread_mutex_unlock(&log_lock);
}

/* Bring slot up to date with the rows of its job after slot->last_id
 * (all of them for a new slot; those of another process too). */
static int log_slot_sync(sqlite3 *db, struct log_slot *slot)
{
	static const char sql[] =
	    "SELECT coalesce(sum(length(CAST(line AS BLOB))), 0), coalesce(max(id), 0), "
	    "coalesce(max(stream = 'info' AND line LIKE '" TRUNC_PREFIX "%' "
	    "AND line LIKE '%" TRUNC_SUFFIX "'), 0) "
	    "FROM job_log WHERE job_id = ? AND id > ?";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, slot->job_id);
	sqlite3_bind_int64(st, 2, slot->last_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t last = sqlite3_column_int64(st, 1);

		slot->bytes += sqlite3_column_int64(st, 0);
		if (last > slot->last_id)
			slot->last_id = last;
		slot->truncated = slot->truncated || sqlite3_column_int(st, 2);
		rc = DB_OK;
	} else {
		rc = db_rc_from(db, rc, "job log size");
	}
	sqlite3_finalize(st);
	return rc;
}

/* The slot of (db, job_id), synced; NULL on a db error (*rc). */
static struct log_slot *log_slot_get(sqlite3 *db, int64_t job_id, int *rc)
{
	struct log_slot *slot = NULL, *oldest = &log_slots[0];
	size_t i;

	for (i = 0; i < LOG_SLOTS; i++) {
		if (log_slots[i].db == db && log_slots[i].job_id == job_id)
			slot = &log_slots[i];
		if (log_slots[i].used < oldest->used)
			oldest = &log_slots[i];
	}
	if (!slot) {
		slot = oldest;
		*slot = (struct log_slot){.db = db, .job_id = job_id};
	}
	slot->used = ++log_clock;
	*rc = log_slot_sync(db, slot);
	if (*rc != DB_OK) {
		*slot = (struct log_slot){0};
		return NULL;
	}
	return slot;
}

static int log_insert(sqlite3 *db, int64_t job_id, enum job_stream stream, const char *line,
		      size_t len, int64_t *log_id)
{
	static const char sql[] = "INSERT INTO job_log (job_id, ts, stream, line) "
				  "VALUES (?, ?, ?, ?) RETURNING id";
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, job_id);
	sqlite3_bind_int64(st, 2, now_ms());
	sqlite3_bind_text(st, 3, job_stream_name(stream), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, line, (int)len, SQLITE_STATIC);
	return db_step_insert(db, st, log_id, "job log");
}

int db_job_log(sqlite3 *db, int64_t job_id, enum job_stream stream, const char *line,
	       int64_t *log_id)
{
	struct log_slot *slot;
	struct strbuf clean;
	int64_t id = 0;
	int rc;

	if (log_id)
		*log_id = 0;
	strbuf_init(&clean);
	clean_line(&clean, line);
	pthread_mutex_lock(&log_lock);
	slot = log_slot_get(db, job_id, &rc);
	if (!slot || slot->truncated)
		goto out;
	/* rows added here are counted by the next sync, like another
	 * process's */
	if (slot->bytes + (int64_t)clean.len <= log_max) {
		rc = log_insert(db, job_id, stream, clean.buf, clean.len, &id);
		if (rc == DB_OK && log_id)
			*log_id = id;
	} else {
		char msg[128];
		int n = snprintf(msg, sizeof(msg), TRUNC_PREFIX "%lld" TRUNC_SUFFIX, log_max);

		rc = log_insert(db, job_id, STREAM_INFO, msg, (size_t)n, &id);
		if (rc == DB_OK)
			slot->truncated = true;
	}
out:
	pthread_mutex_unlock(&log_lock);
	strbuf_fini(&clean);
	return rc;
}

int db_job_logf(sqlite3 *db, int64_t job_id, enum job_stream stream, const char *fmt, ...)
{
	struct strbuf sb;
	va_list ap;
	int rc;

	strbuf_init(&sb);
	va_start(ap, fmt);
	strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	rc = db_job_log(db, job_id, stream, sb.buf, NULL);
	strbuf_fini(&sb);
	return rc;
}

int db_job_progress(sqlite3 *db, int64_t job_id, double percent, int64_t done, int64_t total,
		    const char *label)
{
	if (!(percent >= 0))
		percent = 0;
	if (percent > 100)
		percent = 100;
	return db_job_logf(db, job_id, STREAM_PROGRESS, "%.1f %lld %lld %s", percent,
			   (long long)done, (long long)total, label ? label : "");
}

static void cap_reason(char *buf, size_t size, const char *reason)
{
	struct strbuf sb;

	strbuf_init(&sb);
	clean_line(&sb, reason ? reason : "");
	if (sb.len >= size) {
		/* cut on a character boundary */
		size_t n = size - 1;

		while (n > 0 && ((unsigned char)sb.buf[n] & 0xc0) == 0x80)
			n--;
		sb.buf[n] = '\0';
	}
	snprintf(buf, size, "%s", sb.buf);
	strbuf_fini(&sb);
}

int db_job_finish(sqlite3 *db, int64_t id, const char *worker, enum job_state state, int exit_code,
		  const char *reason)
{
	static const char sql[] =
	    "UPDATE jobs SET state = ?, finished_at = ?, exit_code = ?, reason = ? "
	    "WHERE id = ? AND worker = ? AND state = 'running'";
	char why[JOB_REASON_MAX + 1];
	sqlite3_stmt *st;

	if (!job_state_is_final(state))
		return DB_INVALID;
	st = db_prepare(db, sql);
	if (!st)
		return DB_ERROR;
	cap_reason(why, sizeof(why), reason);
	sqlite3_bind_text(st, 1, job_state_name(state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms());
	if (exit_code >= 0)
		sqlite3_bind_int(st, 3, exit_code);
	else
		sqlite3_bind_null(st, 3);
	if (reason)
		sqlite3_bind_text(st, 4, why, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, id);
	sqlite3_bind_text(st, 6, worker, -1, SQLITE_STATIC);
	return db_step_change(db, st, "job finish");
}

int db_job_cancel(sqlite3 *db, int64_t id, const char *reason)
{
	static const char sql[] =
	    "UPDATE jobs SET state = 'cancelled', started_at = ?1, "
	    "finished_at = ?1, reason = ?2 WHERE id = ?3 AND state = 'queued'";
	char why[JOB_REASON_MAX + 1];
	sqlite3_stmt *st = db_prepare(db, sql);

	if (!st)
		return DB_ERROR;
	cap_reason(why, sizeof(why), reason ? reason : "cancelled");
	sqlite3_bind_int64(st, 1, now_ms());
	sqlite3_bind_text(st, 2, why, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, id);
	return db_step_change(db, st, "job cancel");
}

void job_worker_id(char *buf, size_t len)
{
	char host[64];

	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(buf, len, "%s:%ld", host, (long)getpid());
}

bool job_worker_alive(const char *worker)
{
	char host[64];
	const char *colon;
	long long pid;

	if (!worker || !(colon = strrchr(worker, ':')))
		return false;
	if (gethostname(host, sizeof(host)) < 0)
		return true;
	host[sizeof(host) - 1] = '\0';
	if ((size_t)(colon - worker) != strlen(host) || strncmp(worker, host, strlen(host)) != 0)
		return true; /* another host: only the heartbeat can tell */
	if (parse_int(colon + 1, 1, 1 << 30, &pid) < 0)
		return false;
	return !(kill((pid_t)pid, 0) < 0 && errno == ESRCH);
}

struct dead_job {
	int64_t id;
	char *worker;
	char why[256];
};

int db_job_recover(sqlite3 *db, enum job_queue queue, int64_t stale_ms, job_alive_fn alive,
		   int *recovered)
{
	static const char list_sql[] = "SELECT id, worker, heartbeat_at FROM jobs "
				       "WHERE state = 'running' AND queue = ?";
	static const char fail_sql[] =
	    "UPDATE jobs SET state = 'failed', finished_at = ?, reason = ? "
	    "WHERE id = ? AND state = 'running' AND worker IS ?";
	int64_t now = now_ms();
	struct dead_job *dead = NULL;
	size_t n_dead = 0, cap = 0, i;
	sqlite3_stmt *st = NULL;
	bool nested;
	int rc;

	if (!alive)
		alive = job_worker_alive;
	if (recovered)
		*recovered = 0;
	rc = db_tx_begin(db, &nested);
	if (rc != DB_OK)
		return rc;
	st = db_prepare(db, list_sql);
	if (!st) {
		rc = DB_ERROR;
		goto out;
	}
	/* Collect first, update after: no writes to jobs while reading it. */
	sqlite3_bind_text(st, 1, job_queue_name(queue), -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *worker = (const char *)sqlite3_column_text(st, 1);
		int64_t beat = sqlite3_column_int64(st, 2);
		struct dead_job *d;

		if (alive(worker) && now - beat <= stale_ms)
			continue;
		if (n_dead == cap) {
			cap = cap ? cap * 2 : 8;
			dead = xreallocarray(dead, cap, sizeof(*dead));
		}
		d = &dead[n_dead++];
		d->id = sqlite3_column_int64(st, 0);
		d->worker = worker ? xstrdup(worker) : NULL;
		if (!alive(worker))
			snprintf(d->why, sizeof(d->why), "worker %s died while running the job",
				 worker ? worker : "?");
		else
			snprintf(d->why, sizeof(d->why),
				 "worker %s stopped heartbeating %lld s ago; presumed dead", worker,
				 (long long)((now - beat) / 1000));
	}
	rc = db_rc_from(db, rc, "job recover");
	sqlite3_finalize(st);
	st = NULL;
	for (i = 0; rc == DB_OK && i < n_dead; i++) {
		st = db_prepare(db, fail_sql);
		if (!st) {
			rc = DB_ERROR;
			break;
		}
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_text(st, 2, dead[i].why, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, dead[i].id);
		db_bind_text_or_null(st, 4, dead[i].worker);
		rc = db_rc_from(db, sqlite3_step(st), "job recover");
		sqlite3_finalize(st);
		st = NULL;
		if (rc == DB_OK)
			rc = db_job_log(db, dead[i].id, STREAM_INFO, dead[i].why, NULL);
		if (rc == DB_OK)
			log_warn("job=%lld: %s", (long long)dead[i].id, dead[i].why);
	}
out:
	sqlite3_finalize(st);
	for (i = 0; i < n_dead; i++)
		free(dead[i].worker);
	free(dead);
	rc = db_tx_end(db, nested, rc);
	if (rc == DB_OK && recovered)
		*recovered = (int)n_dead;
	return rc;
}

int db_job_list(sqlite3 *db, const struct job_filter *f, struct job **jobs, size_t *n)
{
	static const char sql[] =
	    "SELECT " JOB_COLUMNS JOB_FROM
	    "WHERE (?1 = 0 OR j.user_id = ?1) AND (?2 IS NULL OR j.target = ?2) "
	    "AND (?3 = 0 OR j.id < ?3) ORDER BY j.id DESC LIMIT ?4";
	sqlite3_stmt *st = db_prepare(db, sql);
	struct job *list = NULL;
	size_t count = 0, cap = 0;
	int rc;

	*jobs = NULL;
	*n = 0;
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, f->user_id);
	db_bind_text_or_null(st, 2, f->target);
	sqlite3_bind_int64(st, 3, f->before_id);
	sqlite3_bind_int(st, 4, f->limit > 0 && f->limit <= 1000 ? f->limit : 50);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			list = xreallocarray(list, cap, sizeof(*list));
		}
		if (row_to_job(st, &list[count]) != DB_OK) {
			rc = SQLITE_CORRUPT;
			break;
		}
		count++;
	}
	rc = db_rc_from(db, rc, "job list");
	sqlite3_finalize(st);
	if (rc != DB_OK) {
		job_list_free(list, count);
		return rc;
	}
	*jobs = list;
	*n = count;
	return DB_OK;
}

int db_job_count_by_state(sqlite3 *db, int64_t counts[5])
{
	static const char sql[] = "SELECT state, count(*) FROM jobs GROUP BY state";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc;

	memset(counts, 0, 5 * sizeof(counts[0]));
	if (!st)
		return DB_ERROR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		enum job_state s;

		if (job_state_parse((const char *)sqlite3_column_text(st, 0), &s) == 0)
			counts[s] = sqlite3_column_int64(st, 1);
	}
	rc = db_rc_from(db, rc, "job count");
	sqlite3_finalize(st);
	return rc;
}

/* The rows of st (bound: job, id bound, limit) into *lines, reversed when
 * the query ran newest first. */
static int log_rows(sqlite3 *db, sqlite3_stmt *st, bool newest_first, struct job_log_line **lines,
		    size_t *n)
{
	struct job_log_line *list = NULL;
	size_t count = 0, cap = 0, i;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct job_log_line *l;

		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			list = xreallocarray(list, cap, sizeof(*list));
		}
		l = &list[count++];
		l->id = sqlite3_column_int64(st, 0);
		l->ts = sqlite3_column_int64(st, 1);
		if (job_stream_parse((const char *)sqlite3_column_text(st, 2), &l->stream) < 0)
			l->stream = STREAM_INFO;
		l->line = db_column_strdup(st, 3);
		if (!l->line)
			l->line = xstrdup("");
	}
	rc = db_rc_from(db, rc, "job log read");
	sqlite3_finalize(st);
	if (rc != DB_OK) {
		job_log_lines_free(list, count);
		return rc;
	}
	for (i = 0; newest_first && i < count / 2; i++) {
		struct job_log_line tmp = list[i];

		list[i] = list[count - 1 - i];
		list[count - 1 - i] = tmp;
	}
	*lines = list;
	*n = count;
	return DB_OK;
}

int db_job_log_read(sqlite3 *db, int64_t job_id, int64_t after_id, size_t limit,
		    struct job_log_line **lines, size_t *n)
{
	static const char sql[] = "SELECT id, ts, stream, line FROM job_log "
				  "WHERE job_id = ? AND id > ? ORDER BY id LIMIT ?";
	sqlite3_stmt *st = db_prepare(db, sql);

	*lines = NULL;
	*n = 0;
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, job_id);
	sqlite3_bind_int64(st, 2, after_id);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)(limit ? limit : 1000));
	return log_rows(db, st, false, lines, n);
}

int db_job_log_read_before(sqlite3 *db, int64_t job_id, int64_t before_id, size_t limit,
			   struct job_log_line **lines, size_t *n)
{
	static const char sql[] = "SELECT id, ts, stream, line FROM job_log "
				  "WHERE job_id = ? AND id < ? ORDER BY id DESC LIMIT ?";
	sqlite3_stmt *st = db_prepare(db, sql);

	*lines = NULL;
	*n = 0;
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, job_id);
	sqlite3_bind_int64(st, 2, before_id > 0 ? before_id : INT64_MAX);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)(limit ? limit : 1000));
	return log_rows(db, st, true, lines, n);
}

void job_log_lines_free(struct job_log_line *lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(lines[i].line);
	free(lines);
}
