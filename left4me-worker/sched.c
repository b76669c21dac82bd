/* The scheduler and the update policy; see sched.h.  Runs in
 * left4me-worker.  Trusts: its config.  Re-checks each schedule's cron
 * text with cron_parse and each server name with valid_instance_name
 * before it becomes a job. */
#include "sched.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cron.h"
#include "db.h"
#include "db_game.h"
#include "db_job.h"
#include "db_schedule.h"
#include "db_server.h"
#include "log.h"
#include "parse.h"
#include "validate.h"
#include "xalloc.h"

#define SCHED_LINES 4

/* ---- the clock -------------------------------------------------------------- */

void sched_init(struct worker *w)
{
	const char *p = getenv(SCHED_TEST_CLOCK_ENV);

	if (!p || !p[0])
		return;
	w->test_clock = xstrdup(p);
	log_warn("worker=%s: %s is set: schedules use the time written in %s (for tests only)",
		 w->id, SCHED_TEST_CLOCK_ENV, p);
}

void sched_fini(struct worker *w)
{
	free(w->test_clock);
	w->test_clock = NULL;
}

/* The test clock's time, or -1 (logged) when the file is unfit. */
static int64_t read_test_clock(const char *path)
{
	char buf[32];
	struct stat st;
	long long v;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		log_warn("%s %s: %s", SCHED_TEST_CLOCK_ENV, path, strerror(errno));
		return -1;
	}
	n = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    !(st.st_mode & 022))
		n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		log_warn("%s %s: not a regular file of ours that only we may write",
			 SCHED_TEST_CLOCK_ENV, path);
		return -1;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (parse_int(buf, 0, INT64_MAX / 2, &v) < 0) {
		log_warn("%s %s: not a unix time", SCHED_TEST_CLOCK_ENV, path);
		return -1;
	}
	return v;
}

int64_t sched_now(struct worker *w)
{
	if (w->test_clock) {
		int64_t t = read_test_clock(w->test_clock);

		if (t >= 0)
			return t;
	}
	return (int64_t)time(NULL);
}

static const char *local_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M %Z", &tm) == 0)
		snprintf(buf, len, "@%lld", (long long)t);
	return buf;
}

/* ---- one firing's job ---------------------------------------------------------- */

/* What a firing (or its wait's end) writes: the job with its lines, and the
 * schedule's step, in one transaction, so a second worker process that
 * fired the same schedule first makes this one roll back. */
struct firing {
	const struct schedule *s;
	int64_t now, fired_at;
	char lines[SCHED_LINES][512];
	size_t n_lines;
	const char *cancel; /* non-NULL: the job is recorded cancelled, this the reason */
	struct schedule_step step;
	char result[SCHED_RESULT_MAX + 1];
};

static void say(struct firing *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct firing *f, const char *fmt, ...)
{
	va_list ap;

	if (f->n_lines >= SCHED_LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(f->lines[f->n_lines++], sizeof(f->lines[0]), fmt, ap); /* a log line: cut ok */
	va_end(ap);
}

static int add_job(struct worker *w, struct firing *f, enum job_kind kind, int64_t user_id,
		   const char *coalesce, int64_t *id)
{
	struct job_request req = {.kind = kind,
				  .target = kind == JOB_INSTALL_GAME ? NULL : f->s->server,
				  .user_id = user_id,
				  .coalesce_key = coalesce,
				  .schedule_id = f->s->id};
	int rc = db_job_enqueue(w->db, &req, id, NULL);

	for (size_t i = 0; rc == DB_OK && i < f->n_lines; i++)
		rc = db_job_log(w->db, *id, STREAM_INFO, f->lines[i], NULL);
	return rc;
}

static enum job_kind action_kind(enum sched_action a)
{
	return a == SCHED_COMMAND ? JOB_COMMAND : JOB_RESTART;
}

/* Enqueue f's job(s) (or record it cancelled) and step the schedule. */
static int commit_firing(struct worker *w, struct firing *f, bool running)
{
	const struct schedule *s = f->s;
	int64_t id = 0, install = 0;
	bool nested;
	int rc = db_tx_begin(w->db, &nested);

	if (rc != DB_OK)
		return rc;
	if (!f->cancel && s->action == SCHED_UPDATE) {
		rc = add_job(w, f, JOB_INSTALL_GAME, 0, "install_game", &install);
		if (rc == DB_OK && running)
			say(f,
			    "then restart %s onto the newest build, after job %lld (install_game)",
			    s->server, (long long)install);
		id = install;
	}
	if (rc == DB_OK && (f->cancel || s->action != SCHED_UPDATE || running))
		rc = add_job(w, f, action_kind(s->action), s->owner_id, NULL, &id);
	if (rc == DB_OK && f->cancel)
		rc = db_job_cancel(w->db, id, f->cancel);
	if (rc == DB_OK) {
		f->step.last_job_id = id;
		f->step.last_run = f->fired_at;
		f->step.last_result = f->result;
		rc = db_schedule_step(w->db, s->id, &f->step);
	}
	rc = db_tx_end(w->db, nested, rc);
	if (rc == DB_OK)
		log_info("schedule=%lld server=%s: %s (job %lld)", (long long)s->id, s->server,
			 f->result, (long long)id);
	else if (rc != DB_NOTFOUND)
		log_warn("schedule=%lld server=%s: cannot record its firing (%d)", (long long)s->id,
			 s->server, rc);
	return rc;
}

/* Just the schedule's step (a wait begins, or a cron that no longer parses). */
static void commit_step(struct worker *w, const struct schedule *s, struct schedule_step *step)
{
	int rc = db_schedule_step(w->db, s->id, step);

	if (rc != DB_OK && rc != DB_NOTFOUND)
		log_warn("schedule=%lld server=%s: cannot record its state (%d)", (long long)s->id,
			 s->server, rc);
}

static const char *action_text(const struct schedule *s)
{
	switch (s->action) {
	case SCHED_RESTART:
		return "restarting";
	case SCHED_UPDATE:
		return "updating the game";
	default:
		return "sending the command";
	}
}

/* The firing runs: result and step for a job that will run. */
static void run(struct firing *f, const char *why)
{
	say(f, "%s: %s", why, action_text(f->s));
	snprintf(f->result, sizeof(f->result), "ran: %s", why); /* capped text: cut ok */
}

/* The firing is skipped (a cancelled job) for why. */
static void skip(struct firing *f, const char *why)
{
	snprintf(f->result, sizeof(f->result), "skipped: %s", why); /* capped: cut ok */
	say(f, "%s", f->result);
	f->cancel = f->result;
}

/* ---- firing ------------------------------------------------------------------- */

static int server_state(struct worker *w, const char *name, enum server_state *state)
{
	struct server srv;
	int rc = db_server_get(w->db, name, &srv);

	if (rc == DB_OK) {
		*state = srv.state;
		server_fini(&srv);
	}
	return rc;
}

/* A human-player count, or -1 when it cannot be read (then nobody waits:
 * a firing is not held up by a broken status table). */
static int humans_on(struct worker *w, const struct schedule *s)
{
	int h = 0;

	return db_schedule_humans(w->db, s->server, &h) == DB_OK ? h : -1;
}

/* The end of a wait (or a firing with no wait): run, force or skip. */
static void decide(struct firing *f, int humans, bool waited)
{
	const struct schedule *s = f->s;
	char why[160];

	if (humans <= 0) {
		snprintf(why, sizeof(why), "%s",
			 !s->only_when_empty ? "scheduled"
			 : waited	     ? "no human players any more"
					     : "no human players");
		run(f, why);
		return;
	}
	snprintf(why, sizeof(why), "still %d human player%s after %d min", humans,
		 humans == 1 ? "" : "s", s->wait_minutes);
	if (s->force_on_timeout) {
		say(f, "forced: %s (on_timeout force)", why);
		run(f, "forced");
	} else {
		skip(f, why);
	}
}

static void fire(struct worker *w, const struct schedule *s, int64_t now, int64_t next)
{
	struct firing f = {.s = s, .now = now, .fired_at = s->next_run};
	enum server_state state = SERVER_NEW;
	char when[64];
	bool running;
	int humans;

	f.step.old_next = s->next_run;
	f.step.next_run = next;
	say(&f, "schedule %lld '%s': fired at %s", (long long)s->id, s->cron,
	    local_time(s->next_run, when, sizeof(when)));
	if (server_state(w, s->server, &state) != DB_OK)
		return;
	running = state == SERVER_RUNNING;
	if (!running && s->action != SCHED_UPDATE) {
		char why[128];

		snprintf(why, sizeof(why), "server %s is %s, not running", s->server,
			 server_state_name(state));
		skip(&f, why);
		commit_firing(w, &f, running);
		return;
	}
	humans = s->only_when_empty && running ? humans_on(w, s) : 0;
	if (humans > 0 && s->wait_minutes > 0) {
		struct schedule_step step = {
		    .old_next = s->next_run, .next_run = next, .waiting_since = s->next_run};

		snprintf(f.result, sizeof(f.result),
			 "waiting: %d human player%s at %s, up to %d min for none", humans,
			 humans == 1 ? "" : "s", when, s->wait_minutes);
		step.last_result = f.result;
		commit_step(w, s, &step);
		log_info("schedule=%lld server=%s: %s", (long long)s->id, s->server, f.result);
		return;
	}
	decide(&f, humans, false);
	commit_firing(w, &f, running);
}

/* A firing that waits for an empty server: run, force, skip or wait on. */
static void wait_step(struct worker *w, const struct schedule *s, int64_t now, int64_t next)
{
	struct firing f = {.s = s, .now = now, .fired_at = s->waiting_since};
	enum server_state state = SERVER_NEW;
	int humans = humans_on(w, s);
	int64_t waited = now - s->waiting_since;
	bool running;
	char when[64];

	if (server_state(w, s->server, &state) != DB_OK)
		return;
	running = state == SERVER_RUNNING;
	if (!running)
		humans = 0;
	if (humans > 0 && waited < (int64_t)s->wait_minutes * 60) {
		if (s->next_run <= now) { /* a firing during the wait joins it */
			struct schedule_step step = {.old_next = s->next_run,
						     .next_run = next,
						     .waiting_since = s->waiting_since};

			commit_step(w, s, &step);
		}
		return;
	}
	f.step.old_next = s->next_run;
	f.step.next_run = s->next_run <= now ? next : s->next_run;
	say(&f, "schedule %lld '%s': fired at %s; human players were on, so it waited up to %d min",
	    (long long)s->id, s->cron, local_time(s->waiting_since, when, sizeof(when)),
	    s->wait_minutes);
	if (!running && s->action != SCHED_UPDATE) {
		char why[128];

		snprintf(why, sizeof(why), "server %s is %s, not running", s->server,
			 server_state_name(state));
		skip(&f, why);
	} else {
		if (humans <= 0)
			say(&f, "no human players after %lld min", (long long)(waited / 60));
		decide(&f, humans, true);
	}
	commit_firing(w, &f, running);
}

static void missed(struct worker *w, const struct schedule *s, int64_t now, int64_t next)
{
	struct firing f = {.s = s, .now = now, .fired_at = s->next_run};
	char when[64], why[256];

	f.step.old_next = s->next_run;
	f.step.next_run = next;
	say(&f, "schedule %lld '%s': due at %s", (long long)s->id, s->cron,
	    local_time(s->next_run, when, sizeof(when)));
	snprintf(why, sizeof(why),
		 "missed: the worker was not running then; %lld s late is more than "
		 "schedules.grace_seconds (%d)",
		 (long long)(now - s->next_run), w->cfg->schedules.grace_seconds);
	snprintf(f.result, sizeof(f.result), "%s", why);
	say(&f, "%s", why);
	f.cancel = f.result;
	commit_firing(w, &f, false);
}

static void sched_one(struct worker *w, const struct schedule *s, int64_t now)
{
	struct cron c;
	char why[256];
	int64_t next = 0;
	time_t t;

	if (!valid_instance_name(s->server))
		return;
	if (cron_parse(s->cron, &c, why, sizeof(why)) < 0 || cron_next(&c, (time_t)now, &t) < 0) {
		struct schedule_step step = {.old_next = s->next_run};

		snprintf(why, sizeof(why), "stopped: the cron expression no longer parses");
		step.last_result = why;
		commit_step(w, s, &step);
		return;
	}
	next = (int64_t)t;
	if (s->waiting_since)
		wait_step(w, s, now, next);
	else if (now - s->next_run > w->cfg->schedules.grace_seconds)
		missed(w, s, now, next);
	else
		fire(w, s, now, next);
}

/* ---- the update policy ------------------------------------------------------- */

static bool in_window(const char *window, int64_t now)
{
	time_t t = (time_t)now;
	struct tm tm;
	char why[128];
	int a, b, m;

	if (config_window_parse(window, &a, &b, why, sizeof(why)) < 0 || !localtime_r(&t, &tm))
		return false;
	m = tm.tm_hour * 60 + tm.tm_min;
	return a < b ? m >= a && m < b : m >= a || m < b;
}

static void policy_job(struct worker *w, enum job_kind kind, const char *target,
		       const char *coalesce, const char *line)
{
	struct job_request req = {.kind = kind, .target = target, .coalesce_key = coalesce};
	bool nested, coalesced = false;
	int64_t id = 0;
	int rc = db_tx_begin(w->db, &nested);

	if (rc == DB_OK)
		rc = db_job_enqueue(w->db, &req, &id, &coalesced);
	if (rc == DB_OK && !coalesced)
		rc = db_job_log(w->db, id, STREAM_INFO, line, NULL);
	rc = db_tx_end(w->db, nested, rc);
	if (rc != DB_OK)
		log_warn("update policy: cannot enqueue %s %s (%d)", job_kind_name(kind),
			 target ? target : "", rc);
	else if (!coalesced)
		log_info("update policy: job %lld: %s", (long long)id, line);
}

static void policy_restarts(struct worker *w, int64_t current, int64_t now)
{
	const struct config *cfg = w->cfg;
	char **names = NULL, line[512], key[96];
	size_t n = 0;
	bool window = cfg->updates.policy == UPDATE_WINDOW;

	if (window && !in_window(cfg->updates.window, now))
		return;
	if (db_game_outdated_servers(w->db, current, &names, &n) != DB_OK)
		return;
	for (size_t i = 0; i < n; i++) {
		int humans = 0;

		if (!valid_instance_name(names[i]) ||
		    db_schedule_humans(w->db, names[i], &humans) != DB_OK)
			continue;
		if (window)
			snprintf(line, sizeof(line),
				 "update policy window (%s): server %s runs an older build than "
				 "%lld; restarting it onto %lld",
				 cfg->updates.window, names[i], (long long)current,
				 (long long)current);
		else if (humans == 0)
			snprintf(line, sizeof(line),
				 "update policy when_empty: server %s runs an older build than "
				 "%lld and has no human players; restarting it onto %lld",
				 names[i], (long long)current, (long long)current);
		else
			continue;
		snprintf(key, sizeof(key), "policy-restart:%s", names[i]);
		policy_job(w, JOB_RESTART, names[i], key, line);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void policy_tick(struct worker *w, int64_t now)
{
	const struct config *cfg = w->cfg;
	struct game_info g;
	char line[256];

	if (cfg->updates.policy == UPDATE_MANUAL)
		return;
	if (db_game_info(w->db, &g) != DB_OK)
		return;
	if (g.current > 0 && g.latest > g.current && w->policy_build != g.latest) {
		w->policy_build = g.latest; /* once per build and worker start */
		snprintf(line, sizeof(line),
			 "update policy %s: build %lld is available (installed: %lld); "
			 "updating the game",
			 update_policy_name(cfg->updates.policy), (long long)g.latest,
			 (long long)g.current);
		policy_job(w, JOB_INSTALL_GAME, NULL, "install_game", line);
	} else if (g.current > 0) {
		policy_restarts(w, g.current, now);
	}
	game_info_fini(&g);
}

void sched_tick(struct worker *w)
{
	struct schedule *list = NULL;
	int64_t now = sched_now(w);
	size_t n = 0;

	if (db_schedule_due(w->db, now, &list, &n) == DB_OK)
		for (size_t i = 0; i < n && !worker_stopping(w); i++)
			sched_one(w, &list[i], now);
	free(list);
	policy_tick(w, now);
}
