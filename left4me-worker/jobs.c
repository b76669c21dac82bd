/* The job kinds; see jobs.h.  Runs in left4me-worker as the left4me user.
 * Trusts: its config.  Re-validates: the job's target and every name read
 * from the DB before it becomes a path or a helper argument. */
#include "jobs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "backup_dir.h"
#include "builds.h"
#include "console.h"
#include "db.h"
#include "db_game.h"
#include "db_instance.h"
#include "db_rcon.h"
#include "db_overlay.h"
#include "db_schedule.h"
#include "db_server.h"
#include "db_user.h"
#include "instance.h"
#include "log.h"
#include "rmtree.h"
#include "spawn.h"
#include "steamcmd.h"
#include "strbuf.h"
#include "timeutil.h"
#include "validate.h"
#include "xalloc.h"

#define SUDO		   "/usr/bin/sudo"
#define HELPER_ATTEMPTS	   3
#define PROGRESS_MIN_DELTA 0.1
#define STEAM_TAIL	   3 /* SteamCMD lines quoted in a failure's reason */

/* One running job: the owning struct of everything a job allocates. */
struct job_ctx {
	struct worker *w;
	const struct job *job;
	char reason[JOB_REASON_MAX];
	int exit_code; /* of the step that decided the outcome; -1 none */
	bool failed;
	bool lost;	 /* recovered by another process: never finish it */
	bool stopped;	 /* the worker is stopping */
	bool keep_state; /* refused before acting: leave the server's state alone */
	int64_t last_beat;
	/* per subprocess */
	char last_err[256]; /* last stderr (or output) line, for the reason */
	enum steam_result steam;
	char steam_msg[256];
	double last_percent;
	char last_label[64];
	struct steam_run *steam_run; /* install_game's current pass */
};

static void ctx_log(struct job_ctx *c, enum job_stream stream, const char *line)
{
	if (db_job_log(c->w->db, c->job->id, stream, line, NULL) != DB_OK)
		log_warn("job=%lld: cannot append to the job log", (long long)c->job->id);
}

static void ctx_step(struct job_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ctx_step(struct job_ctx *c, const char *fmt, ...)
{
	struct strbuf sb;
	va_list ap;

	strbuf_init(&sb);
	va_start(ap, fmt);
	strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	ctx_log(c, STREAM_STEP, sb.buf);
	log_info("job=%lld %s=%s: %s", (long long)c->job->id, job_kind_name(c->job->kind),
		 c->job->target, sb.buf);
	strbuf_fini(&sb);
}

static void say_step(void *arg, const char *line)
{
	ctx_step(arg, "%s", line);
}

/* Record the job's failure (the first reason wins) and log it. */
static int ctx_fail(struct job_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int ctx_fail(struct job_ctx *c, const char *fmt, ...)
{
	char buf[JOB_REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap); /* a reason is capped at 512 by design */
	va_end(ap);
	if (!c->failed) {
		c->failed = true;
		snprintf(c->reason, sizeof(c->reason), "%s", buf);
	}
	ctx_log(c, STREAM_INFO, buf);
	log_warn("job=%lld %s=%s: %s", (long long)c->job->id, job_kind_name(c->job->kind),
		 c->job->target, buf);
	return -1;
}

/* Heartbeat and watchdog; false when the job must be abandoned. */
static bool ctx_tick(void *arg)
{
	struct job_ctx *c = arg;
	int64_t now = mono_ms();

	worker_watchdog(c->w);
	if (c->lost)
		return false;
	if (now - c->last_beat >= (int64_t)c->w->cfg->worker.heartbeat_interval * 1000) {
		int rc = db_job_heartbeat(c->w->db, c->job->id, c->w->id);

		c->last_beat = now;
		if (rc == DB_NOTFOUND) {
			log_warn("job=%lld: no longer ours (recovered elsewhere); abandoning it",
				 (long long)c->job->id);
			c->lost = true;
			return false;
		}
		if (rc != DB_OK)
			log_warn("job=%lld: heartbeat failed (%d)", (long long)c->job->id, rc);
	}
	return true;
}

/* Between steps: false (with the reason set) when the job must end now. */
static bool ctx_go_on(struct job_ctx *c)
{
	if (!ctx_tick(c))
		return false;
	if (worker_stopping(c->w)) {
		c->stopped = true;
		ctx_fail(c, "worker stopped");
		return false;
	}
	return true;
}

const char *jobs_exit_meaning(int code)
{
	switch (code) {
	case EX_USAGE:
		return "usage error";
	case EX_DATAERR:
		return "bad data";
	case EX_NOINPUT:
		return "missing input";
	case EX_SOFTWARE:
		return "internal error";
	case EX_OSERR:
		return "system error";
	case EX_TEMPFAIL:
		return "temporary failure";
	case EX_NOPERM:
		return "permission denied";
	case EX_UNAVAILABLE:
		return "unavailable";
	case EX_CONFIG:
		return "configuration error";
	case 1:
		return "failed";
	default:
		return "error";
	}
}

/* ---- subprocesses ------------------------------------------------------ */

static void on_line(void *arg, enum job_stream stream, const char *line)
{
	struct job_ctx *c = arg;

	ctx_log(c, stream, line);
	if (stream == STREAM_STDERR || !c->last_err[0])
		snprintf(c->last_err, sizeof(c->last_err), "%s", line);
}

/* Run argv; logs the command and its end.  0 if it ran (see *res). */
static int run(struct job_ctx *c, char *const *argv, bool pty, int timeout_s,
	       void (*line_fn)(void *, enum job_stream, const char *), struct spawn_result *res)
{
	struct spawn_opts o = {
	    .argv = argv,
	    .pty = pty,
	    .timeout_s = timeout_s,
	    .tick_ms = 500,
	    .on_line = line_fn ? line_fn : on_line,
	    .on_tick = ctx_tick,
	    .stop = c->w->stop,
	    .ctx = c,
	};
	struct strbuf cmd;
	char how[128];

	strbuf_init(&cmd);
	for (size_t i = 0; argv[i]; i++)
		strbuf_printf(&cmd, "%s%s", i ? " " : "", argv[i]);
	ctx_step(c, "run: %s", cmd.buf);
	strbuf_fini(&cmd);
	c->last_err[0] = '\0';
	if (spawn_run(&o, res) < 0)
		return ctx_fail(c, "cannot start %s: out of processes or descriptors", argv[0]);
	ctx_step(c, "%s: %s", strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0],
		 spawn_describe(&o, res, how, sizeof(how)));
	if (res->end == SPAWN_STOPPED) {
		if (c->lost)
			return -1;
		c->stopped = true;
		return ctx_fail(c, "worker stopped");
	}
	return 0;
}

/* helper VERB ARG [ARG2] through sudo (or not); ARG2 is the sandbox's
 * optional allowance (digits only).  EX_TEMPFAIL is retried.  Returns 0
 * on success, else the failure is recorded and -1 returned. */
static int run_helper2(struct job_ctx *c, const char *helper, const char *verb, const char *arg,
		       const char *arg2, int timeout_s)
{
	const struct config *cfg = c->w->cfg;
	char *path = xasprintf("%s/%s", cfg->worker.helper_dir, helper);
	char *argv[7];
	struct spawn_result res;
	char how[128], what[160];
	int n = 0, rc = -1;

	/* Last line of defence: nothing unchecked reaches a root helper. */
	if ((strcmp(helper, "left4me-script-sandbox") == 0 ? !valid_id(arg, NULL)
							   : !instance_name_ok(arg)) ||
	    (arg2 &&
	     (!arg2[0] || strlen(arg2) > 19 || strspn(arg2, "0123456789") != strlen(arg2)))) {
		free(path);
		return ctx_fail(c, "refusing to run %s with an invalid argument", helper);
	}
	if (cfg->worker.sudo) {
		argv[n++] = (char *)SUDO;
		argv[n++] = (char *)"-n";
	}
	argv[n++] = path;
	if (verb) /* the sandbox takes only the id */
		argv[n++] = (char *)verb;
	argv[n++] = (char *)arg;
	if (arg2)
		argv[n++] = (char *)arg2;
	argv[n] = NULL;
	snprintf(what, sizeof(what), "%s%s%s %s", helper, verb ? " " : "", verb ? verb : "", arg);
	for (int attempt = 1; attempt <= HELPER_ATTEMPTS; attempt++) {
		if (run(c, argv, false, timeout_s, NULL, &res) < 0)
			goto out;
		if (res.end == SPAWN_EXITED && res.exit_code == 0) {
			c->exit_code = 0;
			rc = 0;
			goto out;
		}
		if (res.end == SPAWN_EXITED)
			c->exit_code = res.exit_code;
		if (res.end == SPAWN_EXITED && res.exit_code == EX_TEMPFAIL &&
		    attempt < HELPER_ATTEMPTS) {
			ctx_step(c, "%s: temporary failure; retrying (attempt %d of %d)", what,
				 attempt + 1, HELPER_ATTEMPTS);
			for (int64_t until = mono_ms() + c->w->retry_delay_ms; mono_ms() < until;) {
				struct timespec ts = {0, 50 * 1000000};

				if (!ctx_go_on(c))
					goto out;
				nanosleep(&ts, NULL);
			}
			continue;
		}
		break;
	}
	if (res.end == SPAWN_EXITED)
		ctx_fail(c, "%s: exit %d (%s)%s%s", what, res.exit_code,
			 jobs_exit_meaning(res.exit_code), c->last_err[0] ? ": " : "", c->last_err);
	else
		ctx_fail(c, "%s: %s", what,
			 spawn_describe(&(struct spawn_opts){.timeout_s = timeout_s}, &res, how,
					sizeof(how)));
out:
	free(path);
	return rc;
}

static int run_helper(struct job_ctx *c, const char *helper, const char *verb, const char *arg,
		      int timeout_s)
{
	return run_helper2(c, helper, verb, arg, NULL, timeout_s);
}

/* ---- server jobs --------------------------------------------------------- */

static int overlay_dir(struct job_ctx *c, const char *dir);

/* A user or script overlay nobody wrote to yet may have no directory (the
 * web makes it with the overlay, but an older web or a failed mkdir did
 * not): it is an empty layer, so make it (as before a build) and say so.
 * A global overlay's dir is the fetcher's: missing stays an error. */
static int empty_overlay_dirs(struct job_ctx *c, const struct instance_spec *spec)
{
	const char *state_dir = c->w->cfg->state_dir;
	struct stat st;
	int rc = 0;

	for (size_t i = 0; i < spec->n_overlays && rc == 0; i++) {
		const struct instance_overlay *o = &spec->overlays[i];
		char *dir;

		if (o->kind == OVERLAY_GLOBAL || o->kind == OVERLAY_WORKSHOP)
			continue;
		dir = xasprintf("%s/overlays/%lld", state_dir, (long long)o->id);
		if (lstat(dir, &st) < 0 && errno == ENOENT) {
			ctx_step(c,
				 "overlay %lld has no directory yet (nothing was written to it): "
				 "making overlays/%lld, an empty layer",
				 (long long)o->id, (long long)o->id);
			rc = overlay_dir(c, dir);
		}
		free(dir);
	}
	return rc;
}

static int do_initialize(struct job_ctx *c, const char *name)
{
	const char *state_dir = c->w->cfg->state_dir;
	struct instance_spec spec;
	struct instance_plan plan;
	struct rcon_row rcon;
	char err[JOB_REASON_MAX];
	int64_t build = 0;
	int rc, lock;

	ctx_step(c, "initialize %s: read the server and its blueprint", name);
	rc = db_instance_get(c->w->db, name, &spec);
	if (rc == DB_NOTFOUND)
		return ctx_fail(c, "no server named %s", name);
	if (rc != DB_OK)
		return ctx_fail(c, "cannot read server %s from the database", name);
	ctx_step(c, "blueprint %lld: %zu overlay(s), port %d", (long long)spec.blueprint_id,
		 spec.n_overlays, spec.port);
	/* the RCON password goes last into server.cfg; it is never logged */
	rc = db_rcon_get(c->w->db, spec.server_id, &rcon);
	if (rc != DB_OK) {
		instance_spec_fini(&spec);
		return ctx_fail(c, "cannot read server %s's RCON password from the database", name);
	}
	spec.rcon_password = rcon.password;
	if (empty_overlay_dirs(c, &spec) < 0) {
		instance_spec_fini(&spec);
		explicit_bzero(&rcon, sizeof(rcon));
		return -1;
	}
	/* shared: no build is published or removed between resolving
	 * installation/current and instance.env naming the build */
	lock = builds_lock(state_dir, false, err, sizeof(err));
	if (lock < 0) {
		instance_spec_fini(&spec);
		explicit_bzero(&rcon, sizeof(rcon));
		return ctx_fail(c, "%s", err);
	}
	rc = instance_plan(state_dir, &spec, &plan, err, sizeof(err));
	instance_spec_fini(&spec);
	explicit_bzero(&rcon, sizeof(rcon));
	if (rc < 0) {
		builds_unlock(lock);
		return ctx_fail(c, "%s", err);
	}
	for (size_t i = 0; i < plan.n_copies; i++) {
		if (plan.copies[i].missing)
			ctx_step(c,
				 "overlay %lld has no left4dead2/cfg/server.cfg; staging an "
				 "empty server_overlay_%lld.cfg",
				 (long long)plan.copies[i].overlay_id,
				 (long long)plan.copies[i].overlay_id);
	}
	ctx_step(c,
		 "stage runtime/%s/upper/left4dead2/cfg: server.cfg with %zu exec line(s), the "
		 "RCON password last",
		 name, plan.n_copies);
	if (!ctx_go_on(c)) {
		builds_unlock(lock);
		instance_plan_fini(&plan);
		return -1;
	}
	rc = instance_apply(state_dir, &plan, err, sizeof(err));
	builds_unlock(lock);
	if (rc == 0 && builds_of_instance(state_dir, name, &build, err, sizeof(err)) > 0) {
		ctx_step(c, "wrote instances/%s/instance.env (%zu lowerdirs): game build %lld",
			 name, plan.n_lowerdirs, (long long)build);
		if (db_game_set_server_build(c->w->db, name, build) != DB_OK)
			ctx_step(c, "cannot record server %s's game build", name);
	}
	instance_plan_fini(&plan);
	if (rc < 0)
		return ctx_fail(c, "initialize %s: %s", name, err);
	return 0;
}

static int do_remove(struct job_ctx *c, const char *name)
{
	const struct config *cfg = c->w->cfg;
	bool existed = instance_exists(cfg->state_dir, name), removed;
	char err[JOB_REASON_MAX];

	/* A never-initialized server has nothing to stop or unmount; a
	 * helper failing on it must not block its reset or deletion. */
	if (run_helper(c, "left4me-systemctl", "disable", name, cfg->worker.helper_timeout) < 0) {
		if (existed || c->stopped || c->lost)
			return -1;
		ctx_step(c, "never initialized: ignoring the failed disable");
		c->failed = false;
		c->reason[0] = '\0';
		c->exit_code = -1;
	}
	if (!ctx_go_on(c))
		return -1;
	if (run_helper(c, "left4me-overlay", "umount", name, cfg->worker.helper_timeout) < 0) {
		if (existed || c->stopped || c->lost)
			return -1;
		ctx_step(c, "never initialized: ignoring the failed umount");
		c->failed = false;
		c->reason[0] = '\0';
		c->exit_code = -1;
	}
	if (!ctx_go_on(c))
		return -1;
	ctx_step(c, "remove runtime/%s and instances/%s", name, name);
	if (instance_remove(cfg->state_dir, name, &removed, err, sizeof(err)) < 0)
		return ctx_fail(c, "reset %s: %s", name, err);
	if (!removed)
		ctx_step(c, "nothing to remove: %s was never initialized", name);
	return 0;
}

/* Delete is idempotent: a delete whose row is already gone (a second
 * delete queued before the first ran) succeeds, and undoes only what is
 * still on disk; the helpers run only when there is something for them to
 * undo.  name has been validated. */
static int delete_gone(struct job_ctx *c, const char *name)
{
	ctx_step(c, "server %s: already deleted", name);
	if (!instance_exists(c->w->cfg->state_dir, name))
		return 0;
	ctx_step(c, "runtime/%s or instances/%s is left over: removing it", name, name);
	return do_remove(c, name);
}

/* Initialize: stage the blueprint.  An initialize job on a mounted server
 * refuses ("stop it first") and leaves the server's state alone. */
static int server_initialize(struct job_ctx *c, const char *name, enum server_state *ok_state)
{
	char err[JOB_REASON_MAX];
	int mounted = instance_mounted(c->w->cfg->state_dir, name, err, sizeof(err));

	if (mounted < 0)
		return ctx_fail(c, "%s", err);
	if (mounted > 0) {
		c->keep_state = true;
		return ctx_fail(c,
				"runtime/%s/merged is mounted (the server is running): "
				"stop it first, or restart it to apply the blueprint",
				name);
	}
	if (do_initialize(c, name) < 0)
		return -1;
	if (*ok_state != SERVER_RUNNING)
		*ok_state = SERVER_INITIALIZED;
	return 0;
}

/* Start and restart: restart = disable (the unit's ExecStopPost unmounts)
 * + initialize + enable; a start of a server whose overlay is mounted (its
 * unit is running) is a restart, so a start always applies the current
 * blueprint. */
static int server_start(struct job_ctx *c, const char *name, enum server_state *ok_state)
{
	const struct config *cfg = c->w->cfg;
	bool restart = c->job->kind == JOB_RESTART;
	char err[JOB_REASON_MAX];
	int mounted;

	if (!valid_server_name(name)) {
		c->keep_state = true;
		return ctx_fail(c,
				"server %s cannot start: its name is longer than %d bytes, "
				"and each server runs as its own system user l4m-NAME "
				"(at most 31 bytes); delete it and create it again with a "
				"shorter name",
				name, SERVER_NAME_MAX);
	}
	mounted = instance_mounted(cfg->state_dir, name, err, sizeof(err));
	if (mounted < 0)
		return ctx_fail(c, "%s", err);
	if (restart || mounted > 0) {
		if (!restart)
			ctx_step(c,
				 "runtime/%s/merged is mounted (the server is running): "
				 "stopping it so the files are staged unmounted",
				 name);
		if (run_helper(c, "left4me-systemctl", "disable", name,
			       cfg->worker.helper_timeout) < 0 ||
		    !ctx_go_on(c))
			return -1;
	}
	if (do_initialize(c, name) < 0 || !ctx_go_on(c))
		return -1;
	if (run_helper(c, "left4me-systemctl", "enable", name, cfg->worker.helper_timeout) < 0)
		return -1;
	*ok_state = SERVER_RUNNING;
	return 0;
}

/* Reset and delete: undo what is on disk; delete also drops the row. */
static int server_remove(struct job_ctx *c, const char *name, enum server_state *ok_state)
{
	int rc;

	if (do_remove(c, name) < 0)
		return -1;
	*ok_state = SERVER_NEW;
	if (c->job->kind != JOB_DELETE)
		if (db_game_set_server_build(c->w->db, name, 0) == DB_ERROR) /* no instance.env */
			ctx_step(c, "cannot record that server %s has no game build", name);
	if (c->job->kind != JOB_DELETE)
		return 0;
	ctx_step(c, "delete the server row");
	rc = db_server_delete(c->w->db, name);
	if (rc != DB_OK && rc != DB_NOTFOUND)
		return ctx_fail(c, "cannot delete server %s from the database", name);
	return 0;
}

/* Mirror installation/builds and current into the DB (game_builds), for
 * the web; logged on failure, never failing the job. */
static void record_builds(struct job_ctx *c)
{
	const char *state_dir = c->w->cfg->state_dir;
	char err[JOB_REASON_MAX];
	int64_t *ids = NULL, cur = 0;
	size_t n = 0;

	if (builds_list(state_dir, &ids, &n, err, sizeof(err)) < 0 ||
	    builds_current(state_dir, &cur, err, sizeof(err)) < 0)
		ctx_step(c, "cannot list the game builds: %s", err);
	else if (db_game_set_builds(c->w->db, ids, n, cur) != DB_OK)
		ctx_step(c, "cannot record the game builds in the database");
	free(ids);
}

/* After a server job changed which build an instance.env names: remove
 * the builds no server uses any more (never current, never the newest).
 * A failure here is logged; the server job itself succeeded. */
static void gc_builds(struct job_ctx *c)
{
	char err[JOB_REASON_MAX];

	if (builds_gc(c->w->cfg->state_dir, say_step, c, err, sizeof(err)) < 0)
		ctx_step(c, "removing unused game builds failed: %s", err);
	record_builds(c);
}

/* A schedule's console command (kind command): read it from the schedule
 * the job names, check it again, and write it to the server's console
 * FIFO.  Never changes the server's state. */
static int send_command(struct job_ctx *c, const char *name, int64_t server_id)
{
	char err[256], shown[CONSOLE_COMMAND_MAX + 16];
	struct schedule s;
	int rc;

	c->keep_state = true;
	if (c->job->schedule_id <= 0)
		return ctx_fail(c, "the job's schedule was deleted: no command sent");
	rc = db_schedule_get(c->w->db, server_id, c->job->schedule_id, &s);
	if (rc == DB_NOTFOUND)
		return ctx_fail(c, "schedule %lld is not one of server %s's: no command sent",
				(long long)c->job->schedule_id, name);
	if (rc != DB_OK)
		return ctx_fail(c, "cannot read schedule %lld", (long long)c->job->schedule_id);
	if (s.action != SCHED_COMMAND ||
	    !console_command_ok(s.command, strlen(s.command), err, sizeof(err)))
		return ctx_fail(c, "schedule %lld holds no valid console command", (long long)s.id);
	console_audit_text(s.command, shown, sizeof(shown));
	ctx_step(c, "console %s: %s", name, shown);
	if (console_send(c->w->cfg->state_dir, name, s.command, err, sizeof(err)) != CONSOLE_SENT)
		return ctx_fail(c, "%s", err);
	c->exit_code = 0;
	return 0;
}

static int server_job(struct job_ctx *c, enum server_state *ok_state)
{
	const char *name = c->job->target;
	struct server srv;
	int64_t server_id;
	int rc;

	/* The target crossed a process boundary: check it before any path
	 * or helper argv is built from it. */
	if (!instance_name_ok(name)) {
		char esc[96];

		return ctx_fail(c, "invalid server name '%s'",
				log_escape(esc, sizeof(esc), name, strlen(name)));
	}
	rc = db_server_get(c->w->db, name, &srv);
	if (rc == DB_NOTFOUND && c->job->kind == JOB_DELETE)
		return delete_gone(c, name);
	if (rc == DB_NOTFOUND)
		return ctx_fail(c, "no server named %s", name);
	if (rc != DB_OK)
		return ctx_fail(c, "cannot read server %s from the database", name);
	*ok_state = srv.state;
	server_id = srv.id;
	server_fini(&srv);
	if (c->job->kind == JOB_COMMAND)
		return send_command(c, name, server_id);

	/* Staging writes into runtime/NAME/upper/, and overlayfs leaves
	 * changes to upper/ under a live mount undefined.  So the cfg files
	 * are staged only while runtime/NAME/merged is unmounted (per
	 * mountinfo), and instance_apply refuses on a mounted merged/ whatever
	 * the job, so a disable that left the overlay mounted fails the job
	 * instead. */
	switch (c->job->kind) {
	case JOB_INITIALIZE:
		rc = server_initialize(c, name, ok_state);
		break;
	case JOB_START:
	case JOB_RESTART:
		rc = server_start(c, name, ok_state);
		break;
	case JOB_STOP:
		if (run_helper(c, "left4me-systemctl", "disable", name,
			       c->w->cfg->worker.helper_timeout) < 0)
			return -1;
		*ok_state = SERVER_STOPPED;
		return 0;
	case JOB_RESET:
	case JOB_DELETE:
		rc = server_remove(c, name, ok_state);
		break;
	default:
		return ctx_fail(c, "not a server job");
	}
	if (rc == 0)
		gc_builds(c);
	return rc;
}

/* ---- install_game ------------------------------------------------------- */

/* One SteamCMD pass's run: what the progress bar and the reason need. */
struct steam_run {
	const char *platform;
	size_t pass, n_passes; /* 0-based pass, of n */
	int try_no;
	char tail[STEAM_TAIL][160]; /* SteamCMD's last lines, oldest first */
	size_t n_tail;
	int64_t done, total; /* its last progress line's bytes */
};

static void steam_tail(struct steam_run *sr, const char *line)
{
	if (!line[0])
		return;
	if (sr->n_tail == STEAM_TAIL) {
		memmove(sr->tail[0], sr->tail[1], sizeof(sr->tail[0]) * (STEAM_TAIL - 1));
		sr->n_tail--;
	}
	snprintf(sr->tail[sr->n_tail++], sizeof(sr->tail[0]), "%s", line);
}

static void steam_line(void *arg, enum job_stream stream, const char *line)
{
	struct job_ctx *c = arg;
	struct steam_run *sr = c->steam_run;
	struct steam_progress p;
	enum steam_result r;
	size_t off = 0;

	on_line(c, stream, line);
	steam_tail(sr, line);
	if (steamcmd_parse_progress(line, &p)) {
		/* one bar across the passes: pass i of n covers its share */
		double overall = (100.0 * (double)sr->pass + p.percent) / (double)sr->n_passes;
		char label[64];

		if (p.total > 0) {
			sr->done = p.done;
			sr->total = p.total;
		}
		if (sr->try_no > 1)
			snprintf(label, sizeof(label), "%s pass %zu/%zu, try %d: %s", sr->platform,
				 sr->pass + 1, sr->n_passes, sr->try_no, p.label);
		else
			snprintf(label, sizeof(label), "%s pass %zu/%zu: %s", sr->platform,
				 sr->pass + 1, sr->n_passes, p.label);
		if (overall - c->last_percent >= PROGRESS_MIN_DELTA || overall < c->last_percent ||
		    strcmp(label, c->last_label) != 0) {
			db_job_progress(c->w->db, c->job->id, overall, p.done, p.total, label);
			c->last_percent = overall;
			snprintf(c->last_label, sizeof(c->last_label), "%s", label);
		}
		return;
	}
	r = steamcmd_parse_result(line, &off);
	if (r == STEAM_RESULT_NONE)
		return;
	/* an error anywhere in a pass outweighs a success line */
	if (r == STEAM_RESULT_ERROR || c->steam != STEAM_RESULT_ERROR) {
		c->steam = r;
		snprintf(c->steam_msg, sizeof(c->steam_msg), "%s", line + off);
	}
}

static char *home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h && h[0] == '/')
		return xstrdup(h);
	pw = getpwuid(getuid());
	return xstrdup(pw && pw->pw_dir ? pw->pw_dir : "/var/lib/left4me");
}

static void human_bytes(char *buf, size_t len, long long n)
{
	static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%lld bytes", n);
	else
		snprintf(buf, len, "%.1f %s (%lld bytes)", v, unit[u], n);
}

/* 0x202/0x212: the reason says what is free and what SteamCMD wanted. */
static int steam_disk_full(struct job_ctx *c, struct steam_run *sr, const char *dir)
{
	struct statvfs vfs;
	char freeb[64] = "unknown", need[64] = "unknown", total[64];

	if (statvfs(dir, &vfs) == 0)
		human_bytes(freeb, sizeof(freeb),
			    (long long)vfs.f_bavail * (long long)vfs.f_frsize);
	if (sr->total > 0) {
		human_bytes(need, sizeof(need), sr->total - sr->done);
		human_bytes(total, sizeof(total), sr->total);
		return ctx_fail(c,
				"SteamCMD (%s pass): %s: the disk is full: %s free in %s, "
				"SteamCMD still needed %s of its %s download; free space and "
				"run the install again",
				sr->platform, c->steam_msg, freeb, dir, need, total);
	}
	return ctx_fail(c,
			"SteamCMD (%s pass): %s: the disk is full: %s free in %s, needed: "
			"unknown (SteamCMD reported no size); free space and run the install "
			"again",
			sr->platform, c->steam_msg, freeb, dir);
}

static int steam_fail_tail(struct job_ctx *c, struct steam_run *sr, const char *what)
{
	struct strbuf sb;
	int rc;

	strbuf_init(&sb);
	for (size_t i = 0; i < sr->n_tail; i++)
		strbuf_printf(&sb, "%s%s", i ? " | " : "", sr->tail[i]);
	rc = ctx_fail(c, "SteamCMD (%s pass): %s; its last lines: %s", sr->platform, what,
		      sb.len ? sb.buf : "(none)");
	strbuf_fini(&sb);
	return rc;
}

/* Wait seconds, heartbeating; false when the job must end. */
static bool ctx_wait(struct job_ctx *c, long long seconds)
{
	for (int64_t until = mono_ms() + seconds * 1000; mono_ms() < until;) {
		struct timespec ts = {0, 50 * 1000000};

		if (!ctx_go_on(c))
			return false;
		nanosleep(&ts, NULL);
	}
	return ctx_go_on(c);
}

/* One platform pass into dir, retried by error class (see steamcmd.h). */
static int steam_pass(struct job_ctx *c, struct steam_run *sr, const char *dir, bool validate)
{
	const struct config *cfg = c->w->cfg;
	char *argv[] = {cfg->worker.steamcmd,
			(char *)"+force_install_dir",
			(char *)dir,
			(char *)"+login",
			(char *)"anonymous",
			(char *)"+@sSteamCmdForcePlatformType",
			(char *)sr->platform,
			(char *)"+app_update",
			(char *)STEAM_APP_ID,
			validate ? (char *)"validate" : (char *)"+quit",
			validate ? (char *)"+quit" : NULL,
			NULL};
	struct spawn_result res;
	long long wait = cfg->worker.steamcmd_backoff;
	const int tries = cfg->worker.steamcmd_tries;
	char what[256];

	c->steam_run = sr;
	for (sr->try_no = 1;; sr->try_no++) {
		if (!ctx_go_on(c))
			return -1;
		ctx_step(c, "SteamCMD pass %zu of %zu (platform %s), try %d of %d", sr->pass + 1,
			 sr->n_passes, sr->platform, sr->try_no, tries);
		c->steam = STEAM_RESULT_NONE;
		c->steam_msg[0] = '\0';
		sr->n_tail = 0;
		sr->done = sr->total = 0;
		if (run(c, argv, true, cfg->worker.install_timeout, steam_line, &res) < 0)
			return -1;
		if (res.end == SPAWN_EXITED)
			c->exit_code = res.exit_code;
		if (c->steam == STEAM_RESULT_INSTALLED || c->steam == STEAM_RESULT_UP_TO_DATE) {
			if (res.end != SPAWN_EXITED || res.exit_code != 0)
				ctx_log(c, STREAM_INFO,
					"SteamCMD reported success but did not exit 0; its exit "
					"codes are unreliable, so the success line counts");
			ctx_step(c, "%s pass: %s", sr->platform, c->steam_msg);
			return 0;
		}
		if (c->steam == STEAM_RESULT_ERROR &&
		    steamcmd_error_class(c->steam_msg) == STEAM_ERR_DISK)
			return steam_disk_full(c, sr, dir);
		if (res.end == SPAWN_TIMED_OUT)
			snprintf(what, sizeof(what),
				 "timed out after %d s (worker.install_timeout)",
				 cfg->worker.install_timeout);
		else if (c->steam == STEAM_RESULT_ERROR &&
			 steamcmd_error_class(c->steam_msg) == STEAM_ERR_RETRY)
			snprintf(what, sizeof(what), "%s", c->steam_msg);
		else if (c->steam == STEAM_RESULT_ERROR)
			return steam_fail_tail(c, sr, c->steam_msg);
		else
			return steam_fail_tail(c, sr, "reported no success");
		if (sr->try_no >= tries) {
			char why[320];

			snprintf(why, sizeof(why),
				 "failed after %d tries (worker.steamcmd_tries): %s", tries, what);
			return steam_fail_tail(c, sr, why);
		}
		ctx_step(c, "SteamCMD (%s pass) try %d of %d: %s; retrying in %lld s", sr->platform,
			 sr->try_no, tries, what, wait);
		if (!ctx_wait(c, wait))
			return -1;
		wait = wait * 2 > 3600 ? 3600 : wait * 2;
	}
}

/* The staged tree's build id, if its appmanifest says it is complete
 * (StateFlags 4, "fully installed"): 0 with *id, else -1 (reason set). */
static int staged_build(struct job_ctx *c, const char *dir, int64_t *id)
{
	static const char *const bpath[] = {"AppState", "buildid"};
	static const char *const fpath[] = {"AppState", "StateFlags"};
	char *mf = xasprintf("%s/steamapps/appmanifest_" STEAM_APP_ID ".acf", dir);
	char *text = NULL, buildid[32], flags[32];
	struct stat st;
	int fd = open(mf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc = -1;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > 1024 * 1024) {
		ctx_fail(c, "SteamCMD reported success but %s is %s", mf,
			 fd < 0 ? "missing" : "not a manifest (a regular file up to 1 MiB)");
		goto out;
	}
	text = xcalloc(1, (size_t)st.st_size + 1);
	if (read(fd, text, (size_t)st.st_size) != st.st_size) {
		ctx_fail(c, "read %s: %s", mf, strerror(errno));
		goto out;
	}
	if (!steamcmd_vdf_get(text, fpath, 2, flags, sizeof(flags)) || strcmp(flags, "4") != 0) {
		ctx_fail(c,
			 "SteamCMD reported success but %s has StateFlags %s, not 4 (fully "
			 "installed): the tree is incomplete and is not published",
			 mf,
			 steamcmd_vdf_get(text, fpath, 2, flags, sizeof(flags)) ? flags : "(none)");
		goto out;
	}
	if (!steamcmd_vdf_get(text, bpath, 2, buildid, sizeof(buildid)) ||
	    !builds_id_ok(buildid, id)) {
		char esc[64];

		ctx_fail(c, "%s has no valid buildid ('%s')", mf,
			 log_escape(esc, sizeof(esc), buildid, strlen(buildid)));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(text);
	free(mf);
	return rc;
}

/* Make installation/staging: a copy of the current build (a reflink where
 * the filesystem can), or an empty dir on a first install.  A staging
 * tree left by a killed update is removed first: it was never in use. */
static int stage_tree(struct job_ctx *c, int64_t from, const char *staging)
{
	const char *state_dir = c->w->cfg->state_dir;
	char err[JOB_REASON_MAX], a[64], b[64];
	struct clone_stats cs;
	bool removed = false;
	char *src;
	int rc;

	if (rmtree_under(state_dir, "installation", BUILDS_STAGING, &removed, err, sizeof(err)) < 0)
		return ctx_fail(c, "remove the old staging tree: %s", err);
	if (removed)
		ctx_step(c, "removed installation/staging left by an interrupted install (never "
			    "in use)");
	if (from == 0) {
		if (mkdir(staging, 0755) < 0)
			return ctx_fail(c, "mkdir %s: %s", staging, strerror(errno));
		return 0;
	}
	src = xasprintf("%s/installation/builds/%lld", state_dir, (long long)from);
	ctx_step(c, "copy build %lld to installation/staging", (long long)from);
	rc = builds_clone(src, staging, &cs, err, sizeof(err));
	free(src);
	if (rc < 0)
		return ctx_fail(c, "copy build %lld: %s", (long long)from, err);
	human_bytes(a, sizeof(a), cs.reflinked);
	human_bytes(b, sizeof(b), cs.copied);
	if (cs.copied == 0)
		ctx_step(c,
			 "copied %lld files, %lld dirs: %s shared by reflink (FICLONE), no new "
			 "data written",
			 cs.files, cs.dirs, a);
	else
		ctx_step(c,
			 "copied %lld files, %lld dirs: full copy of %s (this filesystem cannot "
			 "reflink; xfs or btrfs would share the unchanged data)%s%s",
			 cs.files, cs.dirs, b, cs.reflinked ? ", reflinked " : "",
			 cs.reflinked ? a : "");
	return 0;
}

static int install_game(struct job_ctx *c)
{
	static const char *const both[] = {"windows", "linux"}, *const linux_only[] = {"linux"};
	const struct config *cfg = c->w->cfg;
	const char *state_dir = cfg->state_dir;
	char *inst = xasprintf("%s/installation", state_dir);
	char *staging = xasprintf("%s/" BUILDS_STAGING, inst);
	char *home = home_dir(), *build_dir = NULL, *srcds = NULL;
	bool validate = strcmp(c->job->target, "validate") == 0, existed;
	struct steam_run sr = {0};
	const char *const *platforms;
	char err[JOB_REASON_MAX];
	int64_t from = 0, id = 0;
	struct stat st;
	int rc = -1;

	if (access(cfg->worker.steamcmd, X_OK) < 0) {
		ctx_fail(
		    c,
		    "SteamCMD not found at %s (worker.steamcmd): install Debian's steamcmd "
		    "package (non-free; `apt install steamcmd` puts it at /usr/games/steamcmd) "
		    "or set worker.steamcmd to your steamcmd.sh",
		    cfg->worker.steamcmd);
		goto out;
	}
	if (builds_current(state_dir, &from, err, sizeof(err)) < 0) {
		ctx_fail(c, "%s", err);
		goto out;
	}
	if (mkdir(inst, 0755) < 0 && errno != EEXIST) {
		ctx_fail(c, "mkdir %s: %s", inst, strerror(errno));
		goto out;
	}
	if (stage_tree(c, from, staging) < 0)
		goto out;
	/* Since Nov 2024 an anonymous Linux-only first install fails with
	 * "Invalid platform": a windows pass first, then linux into the same
	 * dir.  An update of an installed tree is linux-only (the windows
	 * pass would swap the Linux binaries out for a while). */
	platforms = from ? linux_only : both;
	sr.n_passes = from ? 1 : 2;
	c->last_percent = -1;
	c->last_label[0] = '\0';
	if (from)
		ctx_step(c, "update of build %lld: linux pass only%s", (long long)from,
			 validate ? ", with validate" : "");
	else
		ctx_step(c, "first install: a windows pass, then a linux pass");
	for (sr.pass = 0; sr.pass < sr.n_passes; sr.pass++) {
		sr.platform = platforms[sr.pass];
		if (steam_pass(c, &sr, staging, validate || !from) < 0)
			goto out;
	}
	if (staged_build(c, staging, &id) < 0)
		goto out;
	srcds = xasprintf("%s/srcds_run", staging);
	if (stat(srcds, &st) < 0 || !S_ISREG(st.st_mode)) {
		ctx_fail(c, "SteamCMD reported success but %s is missing", srcds);
		goto out;
	}
	if (!ctx_go_on(c) || builds_publish(state_dir, id, &existed, err, sizeof(err)) < 0) {
		if (!c->failed)
			ctx_fail(c, "publish build %lld: %s", (long long)id, err);
		goto out;
	}
	if (existed)
		ctx_step(c, "build %lld is already installed: installation/current names it",
			 (long long)id);
	else
		ctx_step(c,
			 "published build %lld as installation/builds/%lld; servers pick it up "
			 "when they (re)start, running ones keep their build",
			 (long long)id, (long long)id);
	build_dir = xasprintf("%s/installation/builds/%lld", state_dir, (long long)id);
	ctx_step(c, "copy steamclient.so into %s/.steam/sdk32 and sdk64", home);
	if (steamcmd_sdk_copies(home, cfg->worker.steamcmd, build_dir, say_step, c, err,
				sizeof(err)) < 0) {
		ctx_fail(c, "steamclient.so copies: %s", err);
		goto out;
	}
	gc_builds(c);
	c->exit_code = 0;
	rc = 0;
out:
	if (rc < 0 && !c->lost) {
		bool removed = false;

		/* never published, never in use: drop it (a killed worker's is
		 * dropped by the next install) */
		if (rmtree_under(state_dir, "installation", BUILDS_STAGING, &removed, err,
				 sizeof(err)) < 0)
			log_warn("job=%lld: %s", (long long)c->job->id, err);
	}
	free(inst);
	free(staging);
	free(srcds);
	free(build_dir);
	free(home);
	return rc;
}

/* ---- build_overlay --------------------------------------------------------- */

/* STATE/scripts/ID.sh from the DB: temp + rename, 0644 (the helper wants it
 * not group/other-writable and readable by the sandbox user). */
static int write_script(struct job_ctx *c, const char *id, const char *script)
{
	const char *state_dir = c->w->cfg->state_dir;
	char *dir = xasprintf("%s/scripts", state_dir);
	char *tmp = xasprintf("%s/.%s.sh.tmp", dir, id);
	char *path = xasprintf("%s/%s.sh", dir, id);
	size_t len = strlen(script), off = 0;
	int fd = -1, rc = -1;
	struct stat st;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		ctx_fail(c, "mkdir %s: %s", dir, strerror(errno));
		goto out;
	}
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		ctx_fail(c, "%s is not a directory", dir);
		goto out;
	}
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || fchmod(fd, 0644) < 0) {
		ctx_fail(c, "create %s: %s", tmp, strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, script + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ctx_fail(c, "write %s: %s", tmp, strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0) {
		fd = -1;
		ctx_fail(c, "write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		ctx_fail(c, "rename %s: %s", path, strerror(errno));
		goto out;
	}
	ctx_step(c, "wrote scripts/%s.sh (%zu bytes)", id, len);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	free(dir);
	free(tmp);
	free(path);
	return rc;
}

/* Make sure dir exists as a shared overlay dir: 02770, group left4me (from
 * the setgid parent), so left4me-web can upload into and delete from what
 * the sandbox builds, and the sandbox can write what the web uploaded
 * (docs/SECURITY.md).  A dir of ours from before that model (0755) is
 * brought into it; one the web created is already 02770. */
static int overlay_dir(struct job_ctx *c, const char *dir)
{
	struct stat st;
	int fd, rc = 0;

	if (mkdir(dir, 0770) < 0 && errno != EEXIST)
		return ctx_fail(c, "mkdir %s: %s", dir, strerror(errno));
	/* Through an O_NOFOLLOW fd: the web may rename entries in overlays/. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		rc = ctx_fail(c, "open %s: %s", dir, strerror(errno));
	else if (st.st_uid == geteuid() && (st.st_mode & 07777) != 02770 && fchmod(fd, 02770) < 0)
		rc = ctx_fail(c, "chmod %s: %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

/* What quotas.build_output_bytes leaves overlay oid of the job's user: the
 * quota less what the user's other script overlays take on disk, into
 * allow (empty: no limit; admins and system jobs have none).  -1 with the
 * failure recorded when nothing is left. */
static int build_allowance(struct job_ctx *c, int64_t oid, char *allow, size_t len)
{
	long long quota = c->w->cfg->quotas.build_output_bytes, others = 0;
	struct overlay *list = NULL;
	struct user u;
	size_t n = 0, i;
	bool admin;
	char id[32];

	allow[0] = '\0';
	if (quota == 0 || c->job->user_id == 0)
		return 0;
	if (db_user_get(c->w->db, c->job->user_id, &u) != DB_OK)
		return ctx_fail(c, "cannot read user %lld from the database",
				(long long)c->job->user_id);
	admin = u.admin;
	user_fini(&u);
	if (admin)
		return 0;
	if (db_overlay_list(c->w->db, c->job->user_id, false, &list, &n) != DB_OK)
		return ctx_fail(c, "cannot list the overlays of user %lld",
				(long long)c->job->user_id);
	for (i = 0; i < n; i++) {
		if (list[i].id == oid || strcmp(list[i].kind, "script") != 0)
			continue;
		snprintf(id, sizeof(id), "%lld", (long long)list[i].id);
		others += du_under(c->w->cfg->state_dir, "overlays", id);
	}
	overlay_list_free(list, n);
	if (others >= quota)
		return ctx_fail(c,
				"quota: build_output_bytes: your other script overlays take %lld "
				"bytes, of %lld (quotas.build_output_bytes); nothing is left for "
				"this build",
				others, quota);
	snprintf(allow, len, "%lld", quota - others);
	ctx_step(c, "quotas.build_output_bytes leaves this build %lld bytes", quota - others);
	return 0;
}

static int build_overlay(struct job_ctx *c)
{
	const struct config *cfg = c->w->cfg;
	const char *id = c->job->target;
	char *script = NULL, *odir = NULL, allow[32];
	int64_t oid;
	int rc;

	if (!valid_id(id, &oid))
		return ctx_fail(c, "invalid overlay id '%.32s'", id);
	rc = db_instance_build_script(c->w->db, oid, &script);
	if (rc == DB_NOTFOUND)
		return ctx_fail(c, "overlay %s does not exist or has no build script", id);
	if (rc != DB_OK)
		return ctx_fail(c, "cannot read overlay %s from the database", id);
	db_instance_set_build(c->w->db, oid, "building");
	rc = -1;
	if (build_allowance(c, oid, allow, sizeof(allow)) < 0)
		goto out;
	odir = xasprintf("%s/overlays", cfg->state_dir);
	if (overlay_dir(c, odir) < 0)
		goto out;
	free(odir);
	odir = xasprintf("%s/overlays/%s", cfg->state_dir, id);
	if (overlay_dir(c, odir) < 0)
		goto out;
	if (write_script(c, id, script) < 0 || !ctx_go_on(c))
		goto out;
	rc = run_helper2(c, "left4me-script-sandbox", NULL, id, allow[0] ? allow : NULL,
			 cfg->worker.build_timeout);
out:
	if (!c->lost)
		db_instance_set_build(c->w->db, oid, rc == 0 ? "ok" : "failed");
	free(script);
	free(odir);
	return rc;
}

/* ---- delete_overlay -------------------------------------------------------- */

/* The overlay's row is gone (db_overlay_delete queued this job with the
 * delete): remove STATE/overlays/ID and scripts/ID.sh.  What left4me-web
 * made there is group left4me in group-writable dirs (docs/SECURITY.md,
 * "Shared overlays"), so this user can empty it; rmtree_under follows no
 * symlink and crosses no mount.  Refused while the row exists: this job
 * never takes a live overlay's files. */
static int delete_overlay(struct job_ctx *c)
{
	const char *state_dir = c->w->cfg->state_dir;
	char id[32], script[40], err[JOB_REASON_MAX];
	bool removed = false;
	struct overlay o;
	int64_t oid;
	int rc;

	if (!valid_id(c->job->target, &oid))
		return ctx_fail(c, "invalid overlay id '%.32s'", c->job->target);
	rc = db_overlay_get(c->w->db, oid, &o);
	if (rc == DB_OK) {
		overlay_fini(&o);
		return ctx_fail(c, "overlay %lld still exists: its files stay", (long long)oid);
	}
	if (rc != DB_NOTFOUND)
		return ctx_fail(c, "cannot read overlay %lld from the database", (long long)oid);
	/* the canonical spelling (valid_id may accept "007") */
	snprintf(id, sizeof(id), "%lld", (long long)oid);
	snprintf(script, sizeof(script), "%s.sh", id);
	ctx_step(c, "remove overlays/%s", id);
	if (rmtree_under(state_dir, "overlays", id, &removed, err, sizeof(err)) < 0)
		return ctx_fail(c, "%s", err);
	if (!removed)
		ctx_step(c, "overlays/%s was not there", id);
	removed = false;
	if (rmtree_under(state_dir, "scripts", script, &removed, err, sizeof(err)) < 0)
		return ctx_fail(c, "%s", err);
	if (removed)
		ctx_step(c, "removed scripts/%s", script);
	c->exit_code = 0;
	return 0;
}

/* ---- backups and exports (issue 16) ----------------------------------------- */

/* STATE/exports: the one place the web reads what the worker copies for
 * it (docs/SECURITY.md "Backups and exports"): 02750 left4me:left4me,
 * each file 0640, named JOBID.tar.zst or JOBID.tar.zst. */
#define EXPORTS_DIR "exports"

static char *exports_dir(struct job_ctx *c)
{
	char *dir = xasprintf("%s/" EXPORTS_DIR, c->w->cfg->state_dir);

	if (mkdir(dir, 02750) < 0 && errno != EEXIST)
		log_warn("%s: %s", dir, strerror(errno));
	return dir;
}

/* Remove exports older than backup.export_ttl (the web serves none of
 * them past it either), and partial ones a killed job left. */
static void sweep_exports(struct job_ctx *c)
{
	char *dir = xasprintf("%s/" EXPORTS_DIR, c->w->cfg->state_dir);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	time_t cutoff = time(NULL) - c->w->cfg->backup.export_ttl;
	struct dirent *de;
	DIR *d;

	free(dir);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.' ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode) || st.st_mtime > cutoff)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			log_info("removed export %s (backup.export_ttl: %d s)", de->d_name,
				 c->w->cfg->backup.export_ttl);
	}
	closedir(d);
}

static void say_removed(void *arg, const char *path)
{
	ctx_step(arg, "removed %s (backup.retention: %d)", path,
		 ((struct job_ctx *)arg)->w->cfg->backup.retention);
}

static int run_backup(struct job_ctx *c)
{
	const struct config *cfg = c->w->cfg;
	char name[BACKUP_NAME_MAX], err[JOB_REASON_MAX];
	struct backup_stats st;

	ctx_step(c, "back up %s into %s", cfg->state_dir, cfg->backup.dir);
	backup_set_progress(ctx_tick, c);
	if (backup_create_dated(c->w->db, cfg->state_dir, cfg->backup.dir, cfg->backup.retention,
				name, &st, say_removed, c, err, sizeof(err)) < 0) {
		backup_set_progress(NULL, NULL);
		return ctx_fail(c, "backup: %s", err);
	}
	backup_set_progress(NULL, NULL);
	ctx_step(c, "wrote %s: %lld files, %lld bytes; schema %d; %lld servers", name, st.files,
		 st.bytes, st.schema_version, st.servers);
	if (st.changed || st.unreadable)
		ctx_step(c,
			 "%lld files changed while read, %lld entries left out (its MANIFEST.json "
			 "names them)",
			 st.changed, st.unreadable);
	c->exit_code = 0;
	return 0;
}

static int export_server(struct job_ctx *c)
{
	const struct config *cfg = c->w->cfg;
	const char *name = c->job->target;
	char err[JOB_REASON_MAX], *dir, *out;
	struct backup_stats st;
	struct server srv;
	int rc;

	if (!instance_name_ok(name))
		return ctx_fail(c, "invalid server name '%.64s'", name);
	rc = db_server_get(c->w->db, name, &srv);
	if (rc != DB_OK)
		return ctx_fail(c, "server %s: %s", name,
				rc == DB_NOTFOUND ? "no such server" : "cannot read it");
	server_fini(&srv);
	dir = exports_dir(c);
	out = xasprintf("%s/%lld.tar.zst", dir, (long long)c->job->id);
	ctx_step(c, "export runtime/%s/upper (regular files and directories only)", name);
	backup_set_progress(ctx_tick, c);
	rc = backup_export_server(cfg->state_dir, name, out, cfg->backup.export_max_bytes, &st, err,
				  sizeof(err));
	backup_set_progress(NULL, NULL);
	free(out);
	free(dir);
	if (rc < 0)
		return ctx_fail(c, "export: %s", err);
	ctx_step(c,
		 "exported %lld files, %lld bytes; %lld entries left out (symlinks, FIFOs, "
		 "devices, unreadable)",
		 st.files, st.bytes, st.unreadable);
	c->exit_code = 0;
	return 0;
}

/* backup.dir/NAME to exports/JOBID.tar.zst, through a temp file. */
static int copy_backup(struct job_ctx *c, int in, const char *out)
{
	char *tmp = xasprintf("%s.partial-XXXXXX", out);
	int fd = mkostemp(tmp, O_CLOEXEC), rc = -1;
	ssize_t n = 0;

	if (fd < 0 || fchmod(fd, 0640) < 0) {
		ctx_fail(c, "%s: %s", out, strerror(errno));
		goto out;
	}
	while ((n = copy_file_range(in, NULL, fd, NULL, 1 << 24, 0)) > 0)
		if (!ctx_tick(c))
			goto out;
	if (n < 0 || fsync(fd) < 0 || rename(tmp, out) < 0) {
		ctx_fail(c, "%s: %s", out, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && fd >= 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

static int export_backup(struct job_ctx *c)
{
	const char *name = c->job->target;
	char *path, *dir, *out;
	struct stat st;
	int in, rc;

	if (!backup_name_ok(name))
		return ctx_fail(c, "invalid backup name '%.64s'", name);
	path = xasprintf("%s/%s", c->w->cfg->backup.dir, name);
	in = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = ctx_fail(c, "%s: %s", path, in < 0 ? strerror(errno) : "not a regular file");
		if (in >= 0)
			close(in);
		free(path);
		return rc;
	}
	dir = exports_dir(c);
	out = xasprintf("%s/%lld.tar.zst", dir, (long long)c->job->id);
	ctx_step(c, "copy %s (%lld bytes) for download", path, (long long)st.st_size);
	rc = copy_backup(c, in, out);
	close(in);
	free(out);
	free(dir);
	free(path);
	if (rc == 0)
		c->exit_code = 0;
	return rc;
}

/* ---- dispatch ------------------------------------------------------------- */

void jobs_run(struct worker *w, const struct job *job)
{
	struct job_ctx c = {.w = w, .job = job, .exit_code = -1, .last_beat = mono_ms()};
	enum server_state ok_state = SERVER_NEW;
	bool is_server = job_kind_is_server(job->kind);
	int rc;

	ctx_step(&c, "%s %s claimed by %s", job_kind_name(job->kind), job->target, w->id);
	sweep_exports(&c);
	switch (job->kind) {
	case JOB_INSTALL_GAME:
		rc = install_game(&c);
		break;
	case JOB_BUILD_OVERLAY:
		rc = build_overlay(&c);
		break;
	case JOB_DELETE_OVERLAY:
		rc = delete_overlay(&c);
		break;
	case JOB_BACKUP:
		rc = run_backup(&c);
		break;
	case JOB_EXPORT_SERVER:
		rc = export_server(&c);
		break;
	case JOB_EXPORT_BACKUP:
		rc = export_backup(&c);
		break;
	default:
		rc = is_server ? server_job(&c, &ok_state)
			       : ctx_fail(&c, "the worker does not run %s jobs",
					  job_kind_name(job->kind));
		break;
	}
	if (c.lost)
		return; /* another process owns its outcome now */
	if (rc == 0 && c.failed)
		rc = -1;
	if (is_server && instance_name_ok(job->target) && !c.keep_state) {
		int src;

		if (rc == 0 && job->kind == JOB_DELETE)
			src = DB_OK;
		else if (rc == 0)
			src = db_server_set_state(w->db, job->target, ok_state, NULL);
		else
			src = db_server_set_state(w->db, job->target, SERVER_FAILED, c.reason);
		if (src != DB_OK && src != DB_NOTFOUND)
			log_warn("job=%lld: cannot record the state of server %s",
				 (long long)job->id, job->target);
	}
	if (rc == 0) {
		const char *done;

		switch (job->kind) {
		case JOB_START:
			done = "started";
			break;
		case JOB_STOP:
			done = "stopped";
			break;
		case JOB_RESTART:
			done = "restarted";
			break;
		case JOB_RESET:
			done = "reset";
			break;
		case JOB_DELETE:
			done = "deleted";
			break;
		case JOB_INITIALIZE:
			done = "initialized";
			break;
		case JOB_INSTALL_GAME:
			done = "game installed";
			break;
		case JOB_DELETE_OVERLAY:
			done = "overlay files removed";
			break;
		case JOB_COMMAND:
			done = "command sent";
			break;
		case JOB_BACKUP:
			done = "backup written";
			break;
		case JOB_EXPORT_SERVER:
		case JOB_EXPORT_BACKUP:
			done = "ready to download";
			break;
		default:
			done = "built";
			break;
		}
		ctx_step(&c, "done: %s", done);
		rc = db_job_finish(w->db, job->id, w->id, JOB_SUCCEEDED,
				   c.exit_code < 0 ? 0 : c.exit_code, done);
	} else {
		rc = db_job_finish(w->db, job->id, w->id, JOB_FAILED, c.exit_code,
				   c.reason[0] ? c.reason : "failed");
	}
	if (rc != DB_OK)
		log_warn("job=%lld: cannot finish the job (%d)", (long long)job->id, rc);
}
