/* The SSE fan-out hub; see hub.h.
 *
 * Locking: one mutex guards the source list, every source's buffer and
 * viewer list.  Sources are created by request threads but freed only by
 * the hub thread (after their last viewer left), so the hub thread may read
 * the database and the journal without the lock and append under it.  A
 * viewer is suspended only by its own content reader, under the lock, and
 * resumed by the hub thread under the lock; it is freed by the completion
 * callback, which MHD never runs while the connection is suspended.
 *
 * A console source belongs to one server row (id and created_at), not to
 * a name: it shows no journal entry older than the row, and ends when the
 * hub thread, re-checking after each database change, finds the row gone
 * (or the name taken by a newer row). */
#include "hub.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <json-c/json.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "db.h"
#include "db_job.h"
#include "db_server.h"
#include "db_session.h"
#include "db_status.h"
#include "db_user.h"
#include "db_watch.h"
#include "log.h"
#include "strbuf.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

#define READ_CHUNK	   1000
#define CONSOLE_HISTORY	   200
#define CONSOLE_LINE_MAX   4096
#define CONSOLE_KEEP_BYTES (256 * 1024)
#define VIEWER_MAX_LAG	   (8 * 1024 * 1024)
/* A job source reads its log in batches, the next only once its slowest
 * viewer is less than this far behind: a long log is never held whole. */
#define JOB_WINDOW (256 * 1024)

enum hub_source_kind { SRC_JOB, SRC_CONSOLE, SRC_STATUS };

/* What a status source last sent about one server. */
struct status_seen {
	char name[65];
	char *json;
};

struct ev_index {
	int64_t id;
	size_t off; /* absolute offset of the event's first byte */
};

struct source {
	enum hub_source_kind kind;
	int64_t job_id;
	char *server;
	int64_t server_id, created_at; /* the console's server row (created_at: ms) */
	int64_t checked_dv;	       /* data version of the last check that it exists */
	bool checked;
	struct strbuf buf; /* events; buf.buf[0] is absolute offset base */
	size_t base;
	struct ev_index *idx;
	size_t n_idx, cap_idx, idx_first; /* idx[idx_first..n_idx) are live */
	int64_t last_id;
	int64_t floor;	/* a job's: every line after it is in buf or unread */
	bool read_once; /* a job's first read is done */
	bool more;	/* a job's: lines are left to read (JOB_WINDOW) */
	bool done;
	struct sse_stream **viewers;
	size_t n_viewers, cap_viewers;
	sd_journal *j; /* hub thread only */
	bool journal_failed;
	/* A status source's: whose servers (0: every user's), what it last
	 * sent (hub thread only), and whether the next read sends all (a
	 * viewer joined: set under the lock). */
	int64_t scope_user;
	struct status_seen *seen;
	size_t n_seen;
	uint64_t joins, joins_sent; /* a viewer joined since the last full send */
	struct source *next;
};

struct sse_stream {
	struct source *src;
	struct MHD_Connection *conn;
	struct hub *h;
	int64_t after_id;
	size_t off; /* absolute; SIZE_MAX until placed */
	size_t slot;
	bool suspended;
	int64_t user_id, session_id; /* hub_claim's; user_id 0: unclaimed;
				      * session_id < 0: minus an API token's id */
	const char *end_why;	     /* ending: "event: end" with this, then EOF */
	size_t end_off;		     /* bytes of that end sent */
};

struct hub {
	char *journal_dir;		  /* tests: read consoles from this dir */
	atomic_uint_fast64_t *generation; /* bumped on every DB change */
	pthread_mutex_t lock;
	pthread_t thread;
	bool started, stopping;
	int wake_fd;
	struct db_watch *watch;
	sqlite3 *db;
	struct source *sources;
	size_t n_streams;
	struct MHD_Connection **wake_list; /* hub thread, see resume_all */
	size_t n_wake, cap_wake;
	bool recheck; /* a stream was claimed: check its owner soon */
};

struct hub *hub_new(const char *db_path, const char *journal_dir, atomic_uint_fast64_t *generation,
		    char *err, size_t errlen)
{
	struct hub *h = xcalloc(1, sizeof(*h));

	h->journal_dir = journal_dir ? xstrdup(journal_dir) : NULL;
	h->generation = generation;
	pthread_mutex_init(&h->lock, NULL);
	h->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->wake_fd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	h->watch = db_watch_new(db_path, err, errlen);
	if (!h->watch)
		goto fail;
	h->db = db_open(db_path, 0, err, errlen);
	if (!h->db)
		goto fail;
	return h;
fail:
	hub_free(h);
	return NULL;
}

static void wake(struct hub *h)
{
	uint64_t one = 1;

	(void)!write(h->wake_fd, &one, sizeof(one));
}

static void seen_free(struct status_seen *seen, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(seen[i].json);
	free(seen);
}

static void source_free(struct source *s)
{
	seen_free(s->seen, s->n_seen);
	if (s->j)
		sd_journal_close(s->j);
	strbuf_fini(&s->buf);
	free(s->idx);
	free(s->viewers);
	free(s->server);
	free(s);
}

void hub_free(struct hub *h)
{
	struct source *s, *next;

	if (!h)
		return;
	for (s = h->sources; s; s = next) {
		next = s->next;
		source_free(s);
	}
	db_watch_free(h->watch);
	db_close(h->db);
	free(h->wake_list);
	free(h->journal_dir);
	if (h->wake_fd >= 0)
		close(h->wake_fd);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

size_t hub_streams_open(struct hub *h)
{
	size_t n;

	pthread_mutex_lock(&h->lock);
	n = h->n_streams;
	pthread_mutex_unlock(&h->lock);
	return n;
}

/* ---- appending (lock held) ---------------------------------------------- */

/* Collect the suspended viewers of s into h->wake_list (lock held); they
 * are resumed by flush_resumes() after the lock is dropped.  Safe: a
 * connection stays suspended, and so alive, until it is resumed. */
static void wake_viewer(struct hub *h, struct sse_stream *v)
{
	if (!v->suspended)
		return;
	v->suspended = false;
	if (h->n_wake == h->cap_wake) {
		h->cap_wake = h->cap_wake ? h->cap_wake * 2 : 256;
		h->wake_list = xreallocarray(h->wake_list, h->cap_wake, sizeof(*h->wake_list));
	}
	h->wake_list[h->n_wake++] = v->conn;
}

static void resume_all(struct hub *h, struct source *s)
{
	size_t i;

	for (i = 0; i < s->n_viewers; i++)
		wake_viewer(h, s->viewers[i]);
}

/* Resume what resume_all collected; lock NOT held (hub thread only). */
static void flush_resumes(struct hub *h)
{
	size_t i;

	for (i = 0; i < h->n_wake; i++)
		MHD_resume_connection(h->wake_list[i]);
	h->n_wake = 0;
}

/* Append formatted events (with their ids and relative offsets). */
static void append_events(struct source *s, const struct strbuf *chunk, const struct ev_index *idx,
			  size_t n)
{
	size_t end = s->base + s->buf.len, i;

	if (s->n_idx + n > s->cap_idx) {
		s->cap_idx = (s->n_idx + n) * 2;
		s->idx = xreallocarray(s->idx, s->cap_idx, sizeof(*s->idx));
	}
	for (i = 0; i < n; i++) {
		s->idx[s->n_idx].id = idx[i].id;
		s->idx[s->n_idx].off = end + idx[i].off;
		s->n_idx++;
	}
	strbuf_append(&s->buf, chunk->buf, chunk->len);
}

/* First event of s with id > after, or the end. Lock held. */
static size_t place(struct source *s, int64_t after)
{
	size_t lo = s->idx_first, hi = s->n_idx;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->idx[mid].id <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n_idx ? s->idx[lo].off : s->base + s->buf.len;
}

/* Where viewer v is in s, placing it by its id if it has not read yet.
 * Lock held. */
static size_t viewer_off(struct source *s, const struct sse_stream *v)
{
	return v->off != SIZE_MAX ? v->off : place(s, v->after_id);
}

/* Drop what every viewer has read, keeping the console's recent history
 * (a job keeps none: a viewer that starts earlier gets a source of its
 * own, see serve).  Lock held. */
static void compact(struct source *s)
{
	size_t keep = s->kind == SRC_CONSOLE ? CONSOLE_KEEP_BYTES : 0;
	size_t end = s->base + s->buf.len, min = end, drop, i;

	if (s->buf.len < (s->kind == SRC_CONSOLE ? 2 * CONSOLE_KEEP_BYTES : JOB_WINDOW / 4))
		return;
	for (i = 0; i < s->n_viewers; i++) {
		size_t off = viewer_off(s, s->viewers[i]);

		if (off < min)
			min = off;
	}
	if (min > end - keep)
		min = end - keep;
	if (min == end && s->n_idx > s->idx_first) {
		/* Everything is read: drop it all. */
		s->idx_first = s->n_idx;
	} else {
		/* Cut at the last event that starts at or before min: the ones
		 * before it are read by every viewer. */
		while (s->idx_first + 1 < s->n_idx && s->idx[s->idx_first + 1].off <= min)
			s->idx_first++;
	}
	if (s->idx_first == 0)
		return;
	if (s->kind == SRC_JOB)
		s->floor = s->idx[s->idx_first - 1].id;
	drop = (s->idx_first < s->n_idx ? s->idx[s->idx_first].off : end) - s->base;
	memmove(s->buf.buf, s->buf.buf + drop, s->buf.len - drop + 1);
	s->buf.len -= drop;
	s->base += drop;
	memmove(s->idx, s->idx + s->idx_first, (s->n_idx - s->idx_first) * sizeof(*s->idx));
	s->n_idx -= s->idx_first;
	s->idx_first = 0;
}

/* How far s's slowest viewer is behind its end.  Lock held. */
static size_t backlog(struct source *s)
{
	size_t end = s->base + s->buf.len, min = end, i;

	for (i = 0; i < s->n_viewers; i++) {
		size_t off = viewer_off(s, s->viewers[i]);

		if (off < min)
			min = off;
	}
	return end - min;
}

/* ---- formatting ------------------------------------------------------------ */

/* One SSE event; data lines never contain CR or LF. */
static void format_event(struct strbuf *sb, int64_t id, const char *event, const char *data)
{
	const char *p;

	strbuf_printf(sb, "id: %" PRId64 "\n", id);
	if (event)
		strbuf_printf(sb, "event: %s\n", event);
	strbuf_puts(sb, "data: ");
	for (p = data; *p; p++)
		strbuf_putc(sb, (*p == '\r' || *p == '\n') ? ' ' : *p);
	strbuf_puts(sb, "\n\n");
}

/* ---- readers (hub thread, lock not held) ---------------------------------- */

/* long: the state, then one window of lines, then the append under the lock */
static void read_job(struct hub *h, struct source *s)
{
	struct strbuf chunk;
	struct ev_index *idx = NULL;
	size_t n_idx = 0, cap = 0, i, n = 0;
	struct job_log_line *lines;
	int64_t last;
	bool final = false, at_end = false, gone = false;
	struct job job;
	int rc;

	/* Read on only while the slowest viewer is near: the viewers wake
	 * the hub again as they catch up (sse_read). */
	pthread_mutex_lock(&h->lock);
	compact(s);
	last = s->last_id;
	if (backlog(s) > JOB_WINDOW) {
		pthread_mutex_unlock(&h->lock);
		return;
	}
	pthread_mutex_unlock(&h->lock);
	strbuf_init(&chunk);
	/* The state first: rows written before the job finished are visible
	 * to a read that starts after we saw it final. */
	memset(&job, 0, sizeof(job));
	rc = db_job_get(h->db, s->job_id, &job);
	if (rc == DB_OK)
		final = job_state_is_final(job.state);
	else if (rc == DB_NOTFOUND)
		final = gone = true;
	else {
		strbuf_fini(&chunk);
		return; /* busy: read again at the next wake-up */
	}
	while (chunk.len < JOB_WINDOW) {
		if (db_job_log_read(h->db, s->job_id, last, READ_CHUNK, &lines, &n) != DB_OK)
			break;
		for (i = 0; i < n; i++) {
			if (n_idx == cap) {
				cap = cap ? cap * 2 : 64;
				idx = xreallocarray(idx, cap, sizeof(*idx));
			}
			idx[n_idx].id = lines[i].id;
			idx[n_idx].off = chunk.len;
			n_idx++;
			format_event(&chunk, lines[i].id, job_stream_name(lines[i].stream),
				     lines[i].line);
			last = lines[i].id;
		}
		job_log_lines_free(lines, n);
		if (n < READ_CHUNK) {
			at_end = true;
			break;
		}
	}
	final = final && at_end;
	if (final)
		strbuf_printf(&chunk, "event: end\ndata: %s\n\n",
			      gone ? "deleted" : job_state_name(job.state));
	job_fini(&job);
	pthread_mutex_lock(&h->lock);
	s->read_once = true;
	s->more = !at_end;
	if (chunk.len) {
		append_events(s, &chunk, idx, n_idx);
		s->last_id = last;
		s->done = final;
	}
	resume_all(h, s);
	pthread_mutex_unlock(&h->lock);
	flush_resumes(h);
	free(idx);
	strbuf_fini(&chunk);
}

/* The first journal realtime (usec) a console may show: its server's
 * creation, so a server created under a deleted server's name shows none
 * of the old one's lines. */
static uint64_t console_since(const struct source *s)
{
	return s->created_at > 0 ? (uint64_t)s->created_at * 1000 : 0;
}

static int open_journal(struct hub *h, struct source *s)
{
	uint64_t usec = 0, since = console_since(s);
	char match[128], relayed[128];
	int rc;

	/* Only the game servers' own namespace (LogNamespace=), without the
	 * default one: the web is not in group systemd-journal. */
	if (h->journal_dir)
		rc = sd_journal_open_directory(&s->j, h->journal_dir, 0);
	else
		rc = sd_journal_open_namespace(&s->j, HUB_CONSOLE_NAMESPACE, SD_JOURNAL_LOCAL_ONLY);
	if (rc < 0) {
		log_warn("server=%s: cannot open the journal: %s", s->server, strerror(-rc));
		s->j = NULL;
		return -1;
	}
	snprintf(match, sizeof(match), "_SYSTEMD_UNIT=left4me-server@%s.service", s->server);
	snprintf(relayed, sizeof(relayed), "LEFT4ME_SERVER=%s", s->server);
	/* The game's own lines, or systemd's lines about it that
	 * left4me-status relayed (its unit, which journald names and a game
	 * cannot forge, and the server's field).  Stand just before the last
	 * CONSOLE_HISTORY entries; with fewer, or when that reaches before
	 * the server's creation, at its creation (else the first next() would
	 * skip the oldest line).  read_console skips anything older all the
	 * same. */
	if (sd_journal_add_match(s->j, match, 0) < 0 || sd_journal_add_disjunction(s->j) < 0 ||
	    sd_journal_add_match(s->j, "_SYSTEMD_UNIT=" HUB_RELAY_UNIT, 0) < 0 ||
	    sd_journal_add_match(s->j, relayed, 0) < 0 || sd_journal_seek_tail(s->j) < 0 ||
	    (rc = sd_journal_previous_skip(s->j, CONSOLE_HISTORY + 1)) < 0)
		goto fail;
	if (rc <= CONSOLE_HISTORY ||
	    (sd_journal_get_realtime_usec(s->j, &usec) >= 0 && usec < since)) {
		if ((since ? sd_journal_seek_realtime_usec(s->j, since)
			   : sd_journal_seek_head(s->j)) < 0)
			goto fail;
	}
	(void)sd_journal_get_fd(s->j);
	return 0;
fail:
	sd_journal_close(s->j);
	s->j = NULL;
	return -1;
}

/* A journal MESSAGE as one safe line (new string): control characters
 * (ANSI colours, bells, NUL, CR, LF) escaped as \xHH, bytes of invalid
 * UTF-8 as '?'; capped at CONSOLE_LINE_MAX input bytes. */
static char *console_clean(const char *msg, size_t len)
{
	struct strbuf sb;
	char *line;
	bool utf8;
	size_t i;

	if (len > CONSOLE_LINE_MAX)
		len = CONSOLE_LINE_MAX;
	utf8 = valid_utf8(msg, len);
	strbuf_init(&sb);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)msg[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			strbuf_printf(&sb, "\\x%02x", c);
		else if (c >= 0x80 && !utf8)
			strbuf_putc(&sb, '?');
		else
			strbuf_putc(&sb, (char)c);
	}
	line = strbuf_detach(&sb);
	strbuf_fini(&sb); /* detach leaves a fresh empty buffer */
	return line;
}

/* Whether the current entry is one of systemd's lines that
 * left4me-status relayed (journald's _SYSTEMD_UNIT, not the sender's
 * word). */
static bool from_systemd(sd_journal *j)
{
	static const char want[] = "_SYSTEMD_UNIT=" HUB_RELAY_UNIT;
	const void *data;
	size_t len;

	return sd_journal_get_data(j, "_SYSTEMD_UNIT", &data, &len) >= 0 &&
	       len == sizeof(want) - 1 && memcmp(data, want, len) == 0;
}

static void read_console(struct hub *h, struct source *s)
{
	struct strbuf chunk;
	struct ev_index *idx = NULL;
	size_t n_idx = 0, cap = 0, count = 0;
	int64_t last = s->last_id;

	if (!s->j && !s->journal_failed && open_journal(h, s) < 0) {
		s->journal_failed = true;
		pthread_mutex_lock(&h->lock);
		strbuf_puts(&s->buf, "event: error\ndata: the journal cannot be read\n\n");
		s->done = true;
		resume_all(h, s);
		pthread_mutex_unlock(&h->lock);
		flush_resumes(h);
		return;
	}
	if (!s->j)
		return;
	(void)sd_journal_process(s->j);
	strbuf_init(&chunk);
	while (count < 5000 && sd_journal_next(s->j) > 0) {
		const void *data;
		size_t len;
		uint64_t usec = 0;
		char *line;

		int64_t id;

		if (sd_journal_get_realtime_usec(s->j, &usec) < 0 || usec < console_since(s))
			continue;
		/* The event id is the entry's realtime usec, made strictly
		 * increasing: journald stamps every line of one read from a
		 * stream with the same time (the launcher's "> CMD" and srcds's
		 * answer), and an id that did not grow would make the line look
		 * already sent and drop it. */
		id = (int64_t)usec > last ? (int64_t)usec : last + 1;
		if (sd_journal_get_data(s->j, "MESSAGE", &data, &len) < 0 || len < 8)
			continue;
		line = console_clean((const char *)data + 8, len - 8);
		if (from_systemd(s->j)) {
			char *marked = xasprintf("[systemd] %s", line);

			free(line);
			line = marked;
		}
		if (n_idx == cap) {
			cap = cap ? cap * 2 : 64;
			idx = xreallocarray(idx, cap, sizeof(*idx));
		}
		idx[n_idx].id = id;
		idx[n_idx].off = chunk.len;
		n_idx++;
		format_event(&chunk, id, NULL, line);
		free(line);
		last = id;
		count++;
	}
	if (chunk.len) {
		pthread_mutex_lock(&h->lock);
		append_events(s, &chunk, idx, n_idx);
		s->last_id = last;
		compact(s);
		resume_all(h, s);
		pthread_mutex_unlock(&h->lock);
		flush_resumes(h);
	}
	free(idx);
	strbuf_fini(&chunk);
}

/* End s with "event: end" and data why (lock not held). */
static void end_source(struct hub *h, struct source *s, const char *why)
{
	pthread_mutex_lock(&h->lock);
	strbuf_printf(&s->buf, "event: end\ndata: %s\n\n", why);
	s->done = true;
	resume_all(h, s);
	pthread_mutex_unlock(&h->lock);
	flush_resumes(h);
}

/* Whether the console's server row (id and created_at) still exists; it
 * is read again only when the database changed since the last good check
 * (data version dv), so an idle hub costs no query.  A row that is gone,
 * or a newer row under the same name, ends the source. */
static bool console_alive(struct hub *h, struct source *s, int64_t dv)
{
	struct server srv;
	bool same;
	int rc;

	if (s->checked && s->checked_dv == dv)
		return true;
	rc = db_server_get(h->db, s->server, &srv);
	if (rc != DB_OK && rc != DB_NOTFOUND)
		return true; /* busy: checked again at the next wake-up */
	same = rc == DB_OK && srv.id == s->server_id && srv.created_at == s->created_at;
	if (rc == DB_OK)
		server_fini(&srv);
	if (!same) {
		log_info("server=%s: deleted, ending its console streams", s->server);
		end_source(h, s, "deleted");
		return false;
	}
	s->checked = true;
	s->checked_dv = dv;
	return true;
}

/* ---- the live state of servers (hub thread) ---------------------------------- */

/* One server's status event data: {"server", "state", "label", "map",
 * "players", "max_players"}; map and the player counts are null unless
 * A2S answers now (live_a2s_current).  json-c escapes control bytes, so
 * it is one line.  Caller frees. */
static char *status_json(const struct status_entry *e)
{
	json_object *o = json_object_new_object();
	bool now = live_a2s_current(&e->st, e->has_status);
	char label[96], *out;

	json_object_object_add(o, "server", json_object_new_string(e->name));
	json_object_object_add(o, "state",
			       json_object_new_string(live_state_name(
				   e->has_status ? e->st.live_state : LIVE_STOPPED)));
	json_object_object_add(
	    o, "label",
	    json_object_new_string(live_state_label(&e->st, e->has_status, label, sizeof(label))));
	json_object_object_add(o, "map", now ? json_object_new_string(e->st.map) : NULL);
	json_object_object_add(o, "players", now ? json_object_new_int(e->st.players) : NULL);
	json_object_object_add(o, "max_players",
			       now ? json_object_new_int(e->st.max_players) : NULL);
	out = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return out;
}

static int seen_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct status_seen *)elem)->name);
}

/* Append one event to chunk and its index entry to idx. */
static void status_event(struct strbuf *chunk, struct ev_index *idx, size_t *n_idx, int64_t id,
			 const char *event, const char *data)
{
	idx[*n_idx].id = id;
	idx[*n_idx].off = chunk->len;
	(*n_idx)++;
	format_event(chunk, id, event, data);
}

/* Send what changed in the scope's servers since the last read (all of
 * them when a viewer joined): "status" events, and "removed" with the
 * name of a server gone from the scope.  Reads only when the database
 * changed (data version dv) or a viewer joined. */
static void read_status(struct hub *h, struct source *s, int64_t dv)
{
	struct status_entry *list;
	struct status_seen *seen;
	struct ev_index *idx;
	struct strbuf chunk;
	size_t n, i, n_idx = 0;
	uint64_t joins;
	int64_t id;
	bool all;

	pthread_mutex_lock(&h->lock);
	joins = s->joins;
	all = joins != s->joins_sent;
	id = s->last_id;
	pthread_mutex_unlock(&h->lock);
	if (!all && s->checked && s->checked_dv == dv)
		return;
	if (db_status_list(h->db, s->scope_user, &list, &n) != DB_OK)
		return; /* busy: read again at the next wake-up */
	seen = xcalloc(n + 1, sizeof(*seen));
	idx = xcalloc(n + s->n_seen + 1, sizeof(*idx));
	strbuf_init(&chunk);
	for (i = 0; i < n; i++) {
		const struct status_seen *old =
		    s->n_seen
			? bsearch(list[i].name, s->seen, s->n_seen, sizeof(*s->seen), seen_cmp)
			: NULL;

		snprintf(seen[i].name, sizeof(seen[i].name), "%s", list[i].name);
		seen[i].json = status_json(&list[i]);
		if (all || !old || strcmp(old->json, seen[i].json) != 0)
			status_event(&chunk, idx, &n_idx, ++id, "status", seen[i].json);
	}
	for (i = 0; i < s->n_seen; i++)
		if (!bsearch(s->seen[i].name, seen, n, sizeof(*seen), seen_cmp))
			status_event(&chunk, idx, &n_idx, ++id, "removed", s->seen[i].name);
	free(list);
	seen_free(s->seen, s->n_seen);
	s->seen = seen;
	s->n_seen = n;
	s->checked = true;
	s->checked_dv = dv;
	pthread_mutex_lock(&h->lock);
	s->joins_sent = joins;
	if (chunk.len) {
		append_events(s, &chunk, idx, n_idx);
		s->last_id = id;
		compact(s);
		resume_all(h, s);
	}
	pthread_mutex_unlock(&h->lock);
	flush_resumes(h);
	free(idx);
	strbuf_fini(&chunk);
}

/* ---- who may still watch (hub thread) ------------------------------------------ */

/* One owner of streams of one source: checked once for all its streams. */
struct owner_key {
	struct source *src;
	int64_t user_id, session_id;
	const char *why; /* NULL: may still watch */
};

static int key_cmp(const void *a, const void *b)
{
	const struct owner_key *x = a, *y = b;

	if (x->src != y->src)
		return (uintptr_t)x->src < (uintptr_t)y->src ? -1 : 1;
	if (x->user_id != y->user_id)
		return x->user_id < y->user_id ? -1 : 1;
	if (x->session_id != y->session_id)
		return x->session_id < y->session_id ? -1 : 1;
	return 0;
}

/* Whether the streamed object is still the user's to see (admin: true);
 * why not, or NULL.  A console's deleted server is console_alive's. */
static const char *object_verdict(struct hub *h, const struct owner_key *k, bool admin)
{
	int64_t owner;
	bool same = true;
	int rc;

	/* Every user's servers are an admin's to see; a user's own, the
	 * user's (the scope is the viewer's own id, see hub_status_stream). */
	if (k->src->kind == SRC_STATUS)
		return k->src->scope_user == 0 && !admin ? "access revoked" : NULL;
	if (k->src->kind == SRC_JOB) {
		struct job j;

		rc = db_job_get(h->db, k->src->job_id, &j);
		if (rc == DB_NOTFOUND)
			return "deleted";
		if (rc != DB_OK)
			return NULL;
		owner = j.user_id;
		job_fini(&j);
		if (owner == 0) /* a system job: every user's to see */
			return NULL;
	} else {
		struct server srv;

		if (db_server_get(h->db, k->src->server, &srv) != DB_OK)
			return NULL;
		owner = srv.user_id;
		same = srv.id == k->src->server_id;
		server_fini(&srv);
	}
	return same && !admin && owner != k->user_id ? "access revoked" : NULL;
}

/* Why k may no longer watch, or NULL (also when the database is busy:
 * checked again at the next change). */
static const char *verdict(struct hub *h, const struct owner_key *k)
{
	struct user u;
	bool admin, disabled;
	int rc;

	if (k->session_id > 0) {
		rc = db_session_live(h->db, k->session_id);
		if (rc == DB_NOTFOUND)
			return "logged out";
		if (rc != DB_OK)
			return NULL;
	}
	rc = db_user_get(h->db, k->user_id, &u);
	if (rc == DB_NOTFOUND)
		return "user deleted";
	if (rc != DB_OK)
		return NULL;
	admin = u.admin;
	disabled = u.disabled;
	user_fini(&u);
	if (disabled)
		return "user disabled";
	if (k->session_id < 0) { /* after the user's checks: disabling revokes tokens too */
		rc = db_token_live(h->db, -k->session_id);
		if (rc == DB_NOTFOUND)
			return "token revoked";
		if (rc != DB_OK)
			return NULL;
	}
	return object_verdict(h, k, admin);
}

/* End viewer v with "event: end" and data why (lock held). */
static void end_viewer(struct hub *h, struct sse_stream *v, const char *why)
{
	v->end_why = why;
	v->end_off = 0;
	wake_viewer(h, v);
}

/* Check every claimed stream's owner (distinct source, user and session
 * once) and end the streams that may no longer be watched. */
static void recheck_owners(struct hub *h)
{
	struct owner_key *keys = NULL, probe, *k;
	size_t n = 0, cap = 0, i, ended = 0;
	struct source *s;

	pthread_mutex_lock(&h->lock);
	h->recheck = false;
	for (s = h->sources; s; s = s->next)
		for (i = 0; i < s->n_viewers; i++) {
			const struct sse_stream *v = s->viewers[i];

			if (v->user_id == 0 || v->end_why)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				keys = xreallocarray(keys, cap, sizeof(*keys));
			}
			keys[n++] = (struct owner_key){s, v->user_id, v->session_id, NULL};
		}
	pthread_mutex_unlock(&h->lock);
	if (n == 0)
		return;
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 0; i < n; i++)
		if (i == 0 || key_cmp(&keys[i], &keys[i - 1]) != 0)
			keys[i].why = verdict(h, &keys[i]);
		else
			keys[i].why = keys[i - 1].why;
	pthread_mutex_lock(&h->lock);
	for (s = h->sources; s; s = s->next)
		for (i = 0; i < s->n_viewers; i++) {
			struct sse_stream *v = s->viewers[i];

			if (v->user_id == 0 || v->end_why)
				continue;
			probe = (struct owner_key){s, v->user_id, v->session_id, NULL};
			k = bsearch(&probe, keys, n, sizeof(*keys), key_cmp);
			if (k && k->why) {
				end_viewer(h, v, k->why);
				ended++;
			}
		}
	pthread_mutex_unlock(&h->lock);
	flush_resumes(h);
	if (ended)
		log_info("ended %zu stream(s) whose viewer may no longer watch "
			 "(logged out, token revoked, user disabled or deleted, object deleted or "
			 "given away)",
			 ended);
	free(keys);
}

/* ---- the hub thread ----------------------------------------------------------- */

/* A keepalive comment to every live source's viewers. */
static void keepalive_all(struct hub *h)
{
	struct source *s;

	pthread_mutex_lock(&h->lock);
	for (s = h->sources; s; s = s->next) {
		if (s->done)
			continue;
		strbuf_puts(&s->buf, ": keepalive\n\n");
		compact(s);
		resume_all(h, s);
	}
	pthread_mutex_unlock(&h->lock);
	flush_resumes(h);
}

static void *hub_main(void *arg)
{
	struct hub *h = arg;
	int64_t next_keepalive = mono_ms() + HUB_KEEPALIVE_MS;
	int64_t last_dv = db_data_version(h->db), dv, recheck_at = 0;
	int64_t owners_dv = last_dv, owners_next = 0;
	bool owners_due;

	for (;;) {
		struct pollfd pfd[66];
		struct source **prev, *s, *snap[64];
		size_t n_snap = 0, nfd = 0, i;
		int64_t now = mono_ms();
		int timeout;
		uint64_t v;

		pfd[nfd++] = (struct pollfd){.fd = h->wake_fd, .events = POLLIN};
		pfd[nfd++] = (struct pollfd){.fd = db_watch_fd(h->watch), .events = POLLIN};
		pthread_mutex_lock(&h->lock);
		if (h->stopping) {
			pthread_mutex_unlock(&h->lock);
			break;
		}
		/* Free the sources nobody watches any more. */
		prev = &h->sources;
		while ((s = *prev)) {
			if (s->n_viewers == 0) {
				*prev = s->next;
				source_free(s);
				continue;
			}
			prev = &s->next;
		}
		for (s = h->sources; s; s = s->next) {
			if (n_snap < 64)
				snap[n_snap++] = s;
			if (s->j && nfd < 66)
				pfd[nfd++] =
				    (struct pollfd){.fd = sd_journal_get_fd(s->j),
						    .events = (short)sd_journal_get_events(s->j)};
		}
		pthread_mutex_unlock(&h->lock);

		/* Read every source once per wake-up. */
		for (i = 0; i < n_snap; i++) {
			if (snap[i]->done)
				continue;
			if (snap[i]->kind == SRC_JOB)
				read_job(h, snap[i]);
			else if (snap[i]->kind == SRC_STATUS)
				read_status(h, snap[i], last_dv);
			else if (console_alive(h, snap[i], last_dv))
				read_console(h, snap[i]);
		}
		now = mono_ms();
		pthread_mutex_lock(&h->lock);
		owners_due = h->recheck || owners_dv != last_dv;
		pthread_mutex_unlock(&h->lock);
		if (owners_due && now >= owners_next) {
			owners_dv = last_dv;
			recheck_owners(h);
			owners_next = now + HUB_RECHECK_MS;
			owners_due = false;
		}
		if (now >= next_keepalive) {
			keepalive_all(h);
			next_keepalive = now + HUB_KEEPALIVE_MS;
		}
		timeout = (int)(next_keepalive - now);
		if (timeout > DB_WATCH_FALLBACK_MS)
			timeout = DB_WATCH_FALLBACK_MS;
		if (owners_due && owners_next - now < timeout)
			timeout = owners_next - now < 0 ? 0 : (int)(owners_next - now);
		if (recheck_at) {
			if (now >= recheck_at)
				recheck_at = 0;
			else if (recheck_at - now < timeout)
				timeout = (int)(recheck_at - now);
		}
		if (poll(pfd, nfd, timeout) < 0 && errno != EINTR) {
			log_err("hub: poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents & POLLIN)
			(void)!read(h->wake_fd, &v, sizeof(v));
		if (pfd[1].revents & POLLIN) {
			(void)db_watch_drain(h->watch);
			/* inotify fires when the WAL is written, which can be
			 * just before the commit is visible (the -shm index is
			 * updated after): read once more a moment later. */
			recheck_at = mono_ms() + 5;
		}
		/* Any commit by any connection (ours or another process's):
		 * invalidate the read caches (cache.h).  Checked at every
		 * wake-up, so the fallback poll bounds a missed inotify. */
		dv = db_data_version(h->db);
		if (dv != last_dv) {
			last_dv = dv;
			atomic_fetch_add(h->generation, 1);
		}
	}
	return NULL;
}

int hub_start(struct hub *h, char *err, size_t errlen)
{
	int rc = pthread_create(&h->thread, NULL, hub_main, h);

	if (rc != 0) {
		snprintf(err, errlen, "pthread_create: %s", strerror(rc));
		return -1;
	}
	h->started = true;
	return 0;
}

void hub_shutdown(struct hub *h)
{
	struct source *s;

	pthread_mutex_lock(&h->lock);
	h->stopping = true;
	pthread_mutex_unlock(&h->lock);
	wake(h);
	if (h->started) {
		pthread_join(h->thread, NULL);
		h->started = false;
	}
	/* The thread is gone: resume everything here. */
	pthread_mutex_lock(&h->lock);
	for (s = h->sources; s; s = s->next)
		resume_all(h, s);
	pthread_mutex_unlock(&h->lock);
	flush_resumes(h);
}

/* ---- viewers (request threads) ---------------------------------------------------- */

/* The end of a viewer ended by recheck_owners: a blank line first (it may
 * be cut mid-event), "event: end" with why, then the end of the stream. */
static ssize_t read_end(struct sse_stream *v, char *buf, size_t max)
{
	char end[128];
	size_t len = (size_t)snprintf(end, sizeof(end), "\n\nevent: end\ndata: %s\n\n", v->end_why);
	size_t n = len - v->end_off;

	if (v->end_off >= len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n > max)
		n = max;
	memcpy(buf, end + v->end_off, n);
	v->end_off += n;
	return (ssize_t)n;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse_stream *v = cls;
	struct hub *h = v->h;
	struct source *s = v->src;
	size_t end, n;
	ssize_t ret;

	(void)pos;
	pthread_mutex_lock(&h->lock);
	if (h->stopping) {
		ret = MHD_CONTENT_READER_END_OF_STREAM;
		goto out;
	}
	if (v->end_why) {
		ret = read_end(v, buf, max);
		goto out;
	}
	if (v->off == SIZE_MAX) {
		/* Not placed until the source has read up to now. */
		if (s->kind == SRC_JOB && !s->read_once)
			goto suspend;
		v->off = place(s, v->after_id);
	}
	if (v->off < s->base)
		v->off = s->base; /* fell behind the console's kept history */
	end = s->base + s->buf.len;
	if (end - v->off > VIEWER_MAX_LAG) {
		ret = MHD_CONTENT_READER_END_WITH_ERROR;
		goto out;
	}
	if (v->off < end) {
		n = end - v->off;
		if (n > max)
			n = max;
		memcpy(buf, s->buf.buf + (v->off - s->base), n);
		v->off += n;
		ret = (ssize_t)n;
		goto out;
	}
	if (s->done) {
		ret = MHD_CONTENT_READER_END_OF_STREAM;
		goto out;
	}
	if (s->more)
		wake(h); /* read the next window of the log */
suspend:
	v->suspended = true;
	MHD_suspend_connection(v->conn);
	ret = 0;
out:
	pthread_mutex_unlock(&h->lock);
	return ret;
}

/* Which source a viewer wants: a job's log, a server row's console
 * (server_id, created_at, named server), or the status of a scope's
 * servers. */
struct source_key {
	enum hub_source_kind kind;
	int64_t job_id, server_id, created_at, scope_user;
	const char *server;
};

static bool source_is(const struct source *s, const struct source_key *k, int64_t after_id)
{
	if (s->kind != k->kind)
		return false;
	switch (k->kind) {
	case SRC_JOB:
		return s->job_id == k->job_id && after_id >= s->floor;
	case SRC_CONSOLE:
		return s->server_id == k->server_id && s->created_at == k->created_at;
	default:
		return s->scope_user == k->scope_user;
	}
}

/* Attach a viewer on conn to the source k names and make its response.
 * A status viewer starts at the source's end and makes its next read
 * send every server. */
static struct MHD_Response *serve(struct hub *h, struct MHD_Connection *conn,
				  const struct source_key *k, int64_t after_id,
				  struct sse_stream **stream)
{
	enum hub_source_kind kind = k->kind;
	struct sse_stream *v = xcalloc(1, sizeof(*v));
	struct MHD_Response *resp;
	struct source *s;
	bool created = false;

	v->h = h;
	v->conn = conn;
	v->after_id = after_id;
	v->off = SIZE_MAX;
	pthread_mutex_lock(&h->lock);
	/* A job's viewer shares a source that still has (or has yet to read)
	 * every line after its id; one that starts earlier reads its own. */
	for (s = h->sources; s; s = s->next)
		if (source_is(s, k, after_id))
			break;
	if (!s) {
		s = xcalloc(1, sizeof(*s));
		s->kind = kind;
		s->job_id = k->job_id;
		s->floor = s->last_id = kind == SRC_JOB ? after_id : 0;
		s->server = k->server ? xstrdup(k->server) : NULL;
		s->server_id = k->server_id;
		s->created_at = k->created_at;
		s->scope_user = k->scope_user;
		strbuf_init(&s->buf);
		s->next = h->sources;
		h->sources = s;
		created = true;
	}
	if (s->n_viewers == s->cap_viewers) {
		s->cap_viewers = s->cap_viewers ? s->cap_viewers * 2 : 8;
		s->viewers = xreallocarray(s->viewers, s->cap_viewers, sizeof(*s->viewers));
	}
	v->src = s;
	v->slot = s->n_viewers;
	s->viewers[s->n_viewers++] = v;
	h->n_streams++;
	if (kind == SRC_STATUS) {
		v->after_id = s->last_id;
		s->joins++;
	}
	pthread_mutex_unlock(&h->lock);
	if (created || kind == SRC_STATUS)
		wake(h);

	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 512, sse_read, v, NULL);
	if (!resp) {
		hub_detach(h, v);
		v = NULL;
	}
	*stream = v;
	return resp;
}

struct MHD_Response *hub_job_stream(struct hub *h, struct MHD_Connection *conn, int64_t job_id,
				    int64_t after_id, struct sse_stream **stream)
{
	struct source_key k = {.kind = SRC_JOB, .job_id = job_id};

	return serve(h, conn, &k, after_id, stream);
}

struct MHD_Response *hub_console_stream(struct hub *h, struct MHD_Connection *conn,
					int64_t server_id, const char *server, int64_t created_at,
					int64_t after_id, struct sse_stream **stream)
{
	struct source_key k = {.kind = SRC_CONSOLE,
			       .server_id = server_id,
			       .created_at = created_at,
			       .server = server};

	return serve(h, conn, &k, after_id, stream);
}

struct MHD_Response *hub_status_stream(struct hub *h, struct MHD_Connection *conn,
				       int64_t scope_user, struct sse_stream **stream)
{
	struct source_key k = {.kind = SRC_STATUS, .scope_user = scope_user};

	return serve(h, conn, &k, 0, stream);
}

int hub_claim(struct hub *h, struct sse_stream *v, int64_t user_id, int64_t session_id, int max)
{
	struct source *s;
	int n = 0;
	size_t i;

	pthread_mutex_lock(&h->lock);
	for (s = h->sources; s; s = s->next)
		for (i = 0; i < s->n_viewers; i++)
			if (s->viewers[i]->user_id == user_id && !s->viewers[i]->end_why)
				n++;
	if (n >= max) {
		pthread_mutex_unlock(&h->lock);
		return -1;
	}
	v->user_id = user_id;
	v->session_id = session_id;
	/* The session may have ended since the request was authenticated:
	 * check it, as after a database change. */
	h->recheck = true;
	pthread_mutex_unlock(&h->lock);
	wake(h);
	return 0;
}

void hub_detach(struct hub *h, struct sse_stream *v)
{
	struct source *s;

	pthread_mutex_lock(&h->lock);
	s = v->src;
	s->viewers[v->slot] = s->viewers[--s->n_viewers];
	s->viewers[v->slot]->slot = v->slot;
	h->n_streams--;
	pthread_mutex_unlock(&h->lock);
	free(v);
}
