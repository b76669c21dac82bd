/* The job loop; see fetcher.h.  Links only SQLite, the config parser and
 * libsystemd: the refresh itself runs in left4me-fetcher-refresh. */
#include "fetcher.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_notify.h"
#include "db.h"
#include "db_global.h"
#include "db_job.h"
#include "db_watch.h"
#include "db_workshop.h"
#include "log.h"
#include "timeutil.h"
#include "xalloc.h"

#define REFRESH_COALESCE_KEY "refresh_global_overlays"
/* The child enforces refresh_timeout itself and reports what it got done;
 * the parent's deadline is a backstop for a child that hangs. */
#define REFRESH_GRACE_MS 5000
/* SIGTERM, then SIGKILL this long after. */
#define REFRESH_KILL_MS 3000
/* The longest wait between heartbeat and watchdog checks. */
#define REFRESH_TICK_MS 500

static const char *const kind_names[] = {"json_index", "url_list", "html_index"};

const char *fetcher_source_kind_name(enum source_kind kind)
{
	assert((size_t)kind < sizeof(kind_names) / sizeof(kind_names[0]));
	return kind_names[kind];
}

int fetcher_ensure_sources(sqlite3 *db, const struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->fetcher.n_sources; i++) {
		const struct config_source *s = &cfg->fetcher.sources[i];

		if (db_global_source_ensure(db, s->name, kind_names[s->kind], s->url, NULL) !=
		    DB_OK)
			return -1;
	}
	return 0;
}

int fetcher_enqueue_refresh(sqlite3 *db)
{
	struct job_request req = {.kind = JOB_REFRESH_GLOBAL_OVERLAYS,
				  .target = "",
				  .user_id = 0,
				  .coalesce_key = REFRESH_COALESCE_KEY};
	int64_t id = 0;
	bool coalesced = false;

	if (db_job_enqueue(db, &req, &id, &coalesced) != DB_OK) {
		log_err("cannot enqueue the refresh job");
		return -1;
	}
	if (coalesced)
		printf("refresh job %lld already queued\n", (long long)id);
	else
		printf("queued refresh job %lld\n", (long long)id);
	/* The workshop overlays are kept in sync on the same timer, when
	 * there are any (db_workshop.h). */
	{
		struct workshop_overlay *ov;
		size_t n = 0;

		if (db_workshop_sync_list(db, 0, &ov, &n) != DB_OK) {
			log_err("cannot list the workshop overlays");
			return -1;
		}
		workshop_overlay_list_free(ov, n);
		if (n && db_workshop_enqueue_sync(db, 0, 0, &id, &coalesced) != DB_OK) {
			log_err("cannot enqueue the workshop sync job");
			return -1;
		}
		if (n)
			printf("%s workshop sync job %lld%s\n", coalesced ? "" : "queued",
			       (long long)id, coalesced ? " already queued" : "");
	}
	return 0;
}

/* One running left4me-fetcher-refresh. */
struct child {
	pid_t pid;
	int out;		   /* read end of its stdout; -1 at EOF */
	char line[JOB_REASON_MAX]; /* the last complete line it printed */
	char part[JOB_REASON_MAX]; /* the line being read */
	size_t part_len;
	int64_t kill_at; /* 0, or when to SIGKILL after the SIGTERM */
};

/* Fork and exec the refresh program for job id; -1 (logged) if it cannot. */
static int child_start(struct child *ch, const struct fetcher_opts *o, int64_t id)
{
	const char *prog = getenv("LEFT4ME_FETCHER_REFRESH");
	char idbuf[24];
	char *argv[7];
	int n = 0, p[2];
	pid_t parent = getpid();

	if (!prog || !*prog)
		prog = FETCHER_REFRESH_PATH;
	if (snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id) >= (int)sizeof(idbuf))
		return -1;
	argv[n++] = (char *)prog;
	argv[n++] = "-c";
	argv[n++] = (char *)o->config_path;
	argv[n++] = "--job";
	argv[n++] = idbuf;
	if (o->allow_root)
		argv[n++] = "--allow-root";
	argv[n] = NULL;
	if (pipe2(p, O_CLOEXEC) < 0) {
		log_err("job=%lld: pipe: %s", (long long)id, strerror(errno));
		return -1;
	}
	ch->pid = fork();
	if (ch->pid < 0) {
		log_err("job=%lld: fork: %s", (long long)id, strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (ch->pid == 0) {
		/* A killed daemon takes its refresh with it (the next one
		 * recovers the job): never two refreshes of one job. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(127);
		if (dup2(p[1], STDOUT_FILENO) < 0)
			_exit(127);
		close_range(3, ~0U, 0);
		/* Only the daemon talks to systemd (NotifyAccess=main). */
		unsetenv("NOTIFY_SOCKET");
		unsetenv("WATCHDOG_PID");
		unsetenv("WATCHDOG_USEC");
		execv(prog, argv);
		fprintf(stderr, "left4me-fetcher: job=%s: cannot run %s: %s\n", idbuf, prog,
			strerror(errno));
		_exit(127);
	}
	close(p[1]);
	ch->out = p[0];
	ch->line[0] = '\0';
	ch->part_len = 0;
	ch->kill_at = 0;
	return 0;
}

/* Read what the child printed; keeps the last whole line (capped). */
static void child_read(struct child *ch)
{
	char buf[512];
	ssize_t r, i;

	while ((r = read(ch->out, buf, sizeof(buf))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			break;
		}
		for (i = 0; i < r; i++) {
			if (buf[i] == '\n') {
				ch->part[ch->part_len] = '\0';
				memcpy(ch->line, ch->part, ch->part_len + 1);
				ch->part_len = 0;
			} else if (ch->part_len + 1 < sizeof(ch->part)) {
				ch->part[ch->part_len++] = buf[i];
			}
		}
		return; /* one read per wake-up: poll says when there is more */
	}
	close(ch->out);
	ch->out = -1;
}

/* Ask the child to stop; it is SIGKILLed REFRESH_KILL_MS later. */
static void child_stop(struct child *ch)
{
	if (ch->kill_at)
		return;
	kill(ch->pid, SIGTERM);
	ch->kill_at = mono_ms() + REFRESH_KILL_MS;
}

static void run_job(sqlite3 *db, const struct config *cfg, const struct fetcher_opts *o,
		    const char *worker, volatile sig_atomic_t *stop, struct daemon_notify *notify,
		    struct job *job)
{
	enum { RUNNING, STOPPED, TIMED_OUT, LOST } why = RUNNING;
	char summary[JOB_REASON_MAX];
	struct child ch;
	int64_t now, deadline, next_hb = 0;
	int status = 0, exit_code = 1, ok = 0;
	pid_t w;

	log_info("job=%lld: %s%s%s", (long long)job->id, job_kind_name(job->kind),
		 job->target[0] ? " target=" : "", job->target);
	db_job_logf(db, job->id, STREAM_STEP, "%s%s%s (fetcher %s)",
		    job->kind == JOB_SYNC_WORKSHOP ? "sync workshop overlays"
						   : "refresh global overlays",
		    job->target[0] ? ": " : "", job->target, worker);
	if (child_start(&ch, o, job->id) < 0) {
		snprintf(summary, sizeof(summary), "cannot start the refresh program");
		goto finish;
	}
	deadline = mono_ms() + cfg->fetcher.refresh_timeout * 1000LL + REFRESH_GRACE_MS;
	for (;;) {
		struct pollfd pfd = {.fd = ch.out, .events = POLLIN};

		/* Its stdout closes when it exits (it may take a moment to
		 * become reapable); a child that closed it early is polled. */
		if (ch.out >= 0 && poll(&pfd, 1, REFRESH_TICK_MS) > 0)
			child_read(&ch);
		else if (ch.out < 0)
			poll(NULL, 0, 20);
		w = waitpid(ch.pid, &status, WNOHANG);
		if (w == ch.pid)
			break;
		if (w < 0 && errno != EINTR) {
			log_err("job=%lld: waitpid: %s", (long long)job->id, strerror(errno));
			status = 0x7f00; /* "exited 127": failed, reason below */
			break;
		}
		now = mono_ms();
		daemon_notify_watchdog(notify);
		if (why == RUNNING && now >= next_hb) {
			next_hb = now + cfg->worker.heartbeat_interval * 1000LL;
			if (db_job_heartbeat(db, job->id, worker) == DB_NOTFOUND) {
				log_warn("job=%lld: no longer ours; abandoning it",
					 (long long)job->id);
				why = LOST;
				child_stop(&ch);
			}
		}
		if (why == RUNNING && *stop) {
			why = STOPPED;
			child_stop(&ch);
		}
		if (why == RUNNING && now > deadline) {
			why = TIMED_OUT;
			child_stop(&ch);
		}
		if (ch.kill_at && now >= ch.kill_at)
			kill(ch.pid, SIGKILL);
	}
	while (ch.out >= 0)
		child_read(&ch);
	if (why == LOST)
		return; /* recovered by someone else: not ours to finish */
	ok = why == RUNNING && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (why == STOPPED)
		snprintf(summary, sizeof(summary), "stopped");
	else if (why == TIMED_OUT)
		snprintf(summary, sizeof(summary), "timed out after %d s",
			 cfg->fetcher.refresh_timeout);
	else if (ch.line[0])
		snprintf(summary, sizeof(summary), "%s", ch.line);
	else if (WIFEXITED(status))
		snprintf(summary, sizeof(summary), "the refresh program exited with status %d",
			 WEXITSTATUS(status));
	else
		snprintf(summary, sizeof(summary), "the refresh program was killed by signal %d",
			 WTERMSIG(status));
finish:
	db_job_logf(db, job->id, ok ? STREAM_STEP : STREAM_STDERR, "%s", summary);
	if (db_job_finish(db, job->id, worker, ok ? JOB_SUCCEEDED : JOB_FAILED, ok ? 0 : exit_code,
			  summary) != DB_OK)
		log_warn("job=%lld: could not record the end", (long long)job->id);
	log_info("job=%lld: %s: %s", (long long)job->id, ok ? "succeeded" : "failed", summary);
}

int fetcher_loop(sqlite3 *db, const struct config *cfg, const struct fetcher_opts *o,
		 volatile sig_atomic_t *stop)
{
	char worker[JOB_WORKER_MAX], err[256];
	struct db_watch *w = NULL;
	struct daemon_notify notify;
	char *dbpath = config_db_path(cfg);
	int recovered = 0, rc = 0;

	job_worker_id(worker, sizeof(worker));
	if (db_job_recover(db, QUEUE_FETCHER, cfg->worker.stale_after * 1000LL, NULL, &recovered) !=
	    DB_OK) {
		free(dbpath);
		return -1;
	}
	if (recovered)
		log_notice("recovered %d refresh job%s of a dead fetcher", recovered,
			   recovered == 1 ? "" : "s");
	if (!o->once) {
		w = db_watch_new(dbpath, err, sizeof(err));
		if (!w) {
			log_err("%s", err);
			free(dbpath);
			return -1;
		}
	}
	free(dbpath);
	if (fetcher_ensure_sources(db, cfg) < 0)
		log_warn("could not record every configured source");
	daemon_notify_init(&notify);
	daemon_notify_ready("waiting for refresh jobs");
	while (!*stop) {
		struct job job;
		int c = db_job_claim(db, QUEUE_FETCHER, worker, &job);

		if (c == DB_OK) {
			daemon_notify_status("refreshing global overlays");
			run_job(db, cfg, o, worker, stop, &notify, &job);
			job_fini(&job);
			daemon_notify_status("waiting for refresh jobs");
			continue;
		}
		if (c != DB_NOTFOUND && c != DB_BUSY) {
			rc = -1;
			break;
		}
		if (o->once)
			break;
		daemon_notify_watchdog(&notify);
		if (db_watch_wait(w, (int)daemon_notify_wait_ms(&notify, DB_WATCH_FALLBACK_MS)) <
		    0) {
			rc = -1;
			break;
		}
	}
	daemon_notify_stopping();
	db_watch_free(w);
	return rc;
}
