/* left4mectl server list/start/stop/restart/reset/delete and
 * job list/show/wait/tail.  Server commands only enqueue; --wait follows
 * the job through the database until the worker finishes it. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "args.h"
#include "ctl.h"
#include "ctl_cmds.h"
#include "db.h"
#include "db_job.h"
#include "db_server.h"
#include "db_watch.h"
#include "log.h"
#include "parse.h"
#include "timeutil.h"
#include "validate.h"

int cmd_server_list(struct ctl *ctl, int argc, char **argv)
{
	struct server *list;
	size_t n, i;

	if (args_scan(argc, argv, NULL, 0, NULL, 0) < 0)
		return EX_USAGE;
	if (db_server_list(ctl->db, 0, &list, &n) != DB_OK) {
		log_err("cannot list servers");
		return EX_SOFTWARE;
	}
	fprintf(ctl->out, "%-24s %-12s %-5s %-16s %-24s %s\n", "NAME", "STATE", "PORT", "USER",
		"BLUEPRINT", "LAST JOB");
	for (i = 0; i < n; i++) {
		char job[24] = "-";

		if (list[i].last_job_id)
			snprintf(job, sizeof(job), "%lld", (long long)list[i].last_job_id);
		fprintf(ctl->out, "%-24s %-12s %-5d %-16s %-24.24s %s\n", list[i].name,
			server_state_name(list[i].state), list[i].port, list[i].user_name,
			list[i].blueprint_name, job);
	}
	server_list_free(list, n);
	return 0;
}

static void print_log_line(FILE *out, const struct job_log_line *l)
{
	switch (l->stream) {
	case STREAM_STEP:
		fprintf(out, "==> %s\n", l->line);
		break;
	case STREAM_INFO:
		fprintf(out, "--- %s\n", l->line);
		break;
	case STREAM_PROGRESS:
		fprintf(out, "... %s\n", l->line);
		break;
	default:
		fprintf(out, "%s\n", l->line);
	}
}

/* Print the log lines of job id after *last; advance *last. */
static int print_new_lines(struct ctl *ctl, int64_t id, int64_t *last)
{
	struct job_log_line *lines;
	size_t n, i;

	do {
		if (db_job_log_read(ctl->db, id, *last, 500, &lines, &n) != DB_OK)
			return -1;
		for (i = 0; i < n; i++)
			print_log_line(ctl->out, &lines[i]);
		if (n > 0)
			*last = lines[n - 1].id;
		job_log_lines_free(lines, n);
	} while (n == 500);
	fflush(ctl->out);
	return 0;
}

/* Follow job id until it ends; print its log when show_log.  Returns the
 * exit code: 0 succeeded, CTL_JOB_FAILED failed or cancelled. */
static int follow_job(struct ctl *ctl, int64_t id, bool show_log, int timeout_s)
{
	int64_t deadline = timeout_s > 0 ? mono_ms() + (int64_t)timeout_s * 1000 : 0;
	struct db_watch *watch;
	int64_t last = 0;
	char err[256];
	int rc;

	watch = db_watch_new(ctl->db_path, err, sizeof(err));
	if (!watch) {
		log_err("%s", err);
		return EX_OSERR;
	}
	for (;;) {
		struct job job;
		int wait_ms = DB_WATCH_FALLBACK_MS;

		if (show_log && print_new_lines(ctl, id, &last) < 0) {
			rc = EX_SOFTWARE;
			break;
		}
		rc = db_job_get(ctl->db, id, &job);
		if (rc == DB_NOTFOUND) {
			log_err("no job %lld", (long long)id);
			rc = EX_DATAERR;
			break;
		}
		if (rc != DB_OK) {
			log_err("cannot read job %lld", (long long)id);
			rc = EX_SOFTWARE;
			break;
		}
		if (job_state_is_final(job.state)) {
			if (show_log)
				print_new_lines(ctl, id, &last);
			if (job.state == JOB_SUCCEEDED) {
				fprintf(ctl->out, "job %lld succeeded\n", (long long)id);
				rc = 0;
			} else {
				log_err("job %lld %s: %s", (long long)id, job_state_name(job.state),
					job.reason ? job.reason : "");
				rc = CTL_JOB_FAILED;
			}
			job_fini(&job);
			break;
		}
		job_fini(&job);
		if (deadline) {
			int64_t left = deadline - mono_ms();

			if (left <= 0) {
				log_err("job %lld still not finished after %d s", (long long)id,
					timeout_s);
				rc = CTL_TIMEOUT;
				break;
			}
			if (left < wait_ms)
				wait_ms = (int)left;
		}
		if (db_watch_wait(watch, wait_ms) < 0) {
			log_err("waiting for job %lld failed", (long long)id);
			rc = EX_OSERR;
			break;
		}
	}
	db_watch_free(watch);
	return rc;
}

int ctl_follow_job(struct ctl *ctl, int64_t id, bool show_log, int timeout_s)
{
	return follow_job(ctl, id, show_log, timeout_s);
}

int cmd_server_job(struct ctl *ctl, int argc, char **argv)
{
	struct arg_flag flags[] = {{"--wait"}, {"--yes"}};
	struct job_request req = {0};
	struct server srv;
	const char *name;
	char detail[32];
	bool coalesced;
	int64_t id;
	int rc;

	if (args_scan(argc, argv, flags, 2, &name, 1) < 0)
		return EX_USAGE;
	if (job_kind_parse(argv[0], &req.kind) < 0 || !job_kind_is_server(req.kind))
		return EX_SOFTWARE; /* the command table only routes server verbs here */
	if (!valid_instance_name(name)) {
		log_err("invalid server name '%.64s' (want [a-z0-9][a-z0-9_-]{0,63})", name);
		return EX_USAGE;
	}
	rc = db_server_get(ctl->db, name, &srv);
	if (rc == DB_NOTFOUND) {
		log_err("no server named '%s'", name);
		return EX_DATAERR;
	}
	if (rc != DB_OK) {
		log_err("cannot read server '%s'", name);
		return EX_SOFTWARE;
	}
	server_fini(&srv);
	/* What cannot be undone is said first and needs --yes (the web asks
	 * on a confirmation page, the API for ?confirm=NAME). */
	if ((req.kind == JOB_DELETE || req.kind == JOB_RESET) && !flags[1].seen) {
		log_err("server %s %s: this removes %sthe server's writable data (SourceMod data, "
			"bans, logs; STATE/runtime/%s) for good; add --yes to confirm",
			argv[0], name, req.kind == JOB_DELETE ? "the server and " : "", name);
		return EX_USAGE;
	}
	req.target = name;
	rc = db_job_enqueue(ctl->db, &req, &id, &coalesced);
	if (rc != DB_OK) {
		log_err("cannot enqueue %s of server '%s'", argv[0], name);
		return rc == DB_BUSY ? EX_TEMPFAIL : EX_SOFTWARE;
	}
	snprintf(detail, sizeof(detail), "job=%lld", (long long)id);
	db_audit(ctl->db, 0, "cli", job_kind_name(req.kind), name, detail);
	fprintf(ctl->out, "job %lld queued: %s %s\n", (long long)id, argv[0], name);
	fflush(ctl->out);
	if (!flags[0].seen)
		return 0;
	return follow_job(ctl, id, true, 0);
}

int cmd_job_list(struct ctl *ctl, int argc, char **argv)
{
	struct arg_flag flags[] = {{"--limit", true}};
	struct job_filter f = {.limit = 50};
	struct job *jobs;
	size_t n, i;

	if (args_scan(argc, argv, flags, 1, NULL, 0) < 0)
		return EX_USAGE;
	if (flags[0].seen) {
		long long v;

		if (parse_int(flags[0].value, 1, 1000, &v) < 0) {
			log_err("job list: --limit wants a number from 1 to 1000");
			return EX_USAGE;
		}
		f.limit = (int)v;
	}
	if (db_job_list(ctl->db, &f, &jobs, &n) != DB_OK) {
		log_err("cannot list jobs");
		return EX_SOFTWARE;
	}
	fprintf(ctl->out, "%-8s %-24s %-20s %-10s %-16s %s\n", "ID", "KIND", "TARGET", "STATE",
		"USER", "CREATED");
	for (i = 0; i < n; i++) {
		char when[32];

		fprintf(ctl->out, "%-8lld %-24s %-20s %-10s %-16s %s\n", (long long)jobs[i].id,
			job_kind_name(jobs[i].kind), jobs[i].target[0] ? jobs[i].target : "-",
			job_state_name(jobs[i].state),
			jobs[i].user_name ? jobs[i].user_name : "system",
			time_format_utc(jobs[i].created_at, when, sizeof(when)));
	}
	job_list_free(jobs, n);
	return 0;
}

static int parse_job_id(const char *s, int64_t *id)
{
	if (!valid_id(s, id)) {
		log_err("invalid job id '%.32s'", s);
		return EX_USAGE;
	}
	return 0;
}

int cmd_job_show(struct ctl *ctl, int argc, char **argv)
{
	char c[32], s[32], f[32];
	const char *arg;
	struct job job;
	int64_t id, last = 0;
	int rc;

	if (args_scan(argc, argv, NULL, 0, &arg, 1) < 0)
		return EX_USAGE;
	if ((rc = parse_job_id(arg, &id)) != 0)
		return rc;
	rc = db_job_get(ctl->db, id, &job);
	if (rc == DB_NOTFOUND) {
		log_err("no job %lld", (long long)id);
		return EX_DATAERR;
	}
	if (rc != DB_OK) {
		log_err("cannot read job %lld", (long long)id);
		return EX_SOFTWARE;
	}
	fprintf(ctl->out, "job %lld: %s %s\n", (long long)job.id, job_kind_name(job.kind),
		job.target);
	fprintf(ctl->out, "state:    %s\nuser:     %s\nworker:   %s\n", job_state_name(job.state),
		job.user_name ? job.user_name : "system", job.worker ? job.worker : "-");
	fprintf(ctl->out, "created:  %s\nstarted:  %s\nfinished: %s\n",
		time_format_utc(job.created_at, c, sizeof(c)),
		time_format_utc(job.started_at, s, sizeof(s)),
		time_format_utc(job.finished_at, f, sizeof(f)));
	if (job.has_exit_code)
		fprintf(ctl->out, "exit:     %d\n", job.exit_code);
	if (job.reason)
		fprintf(ctl->out, "reason:   %s\n", job.reason);
	fprintf(ctl->out, "log:\n");
	job_fini(&job);
	if (print_new_lines(ctl, id, &last) < 0) {
		log_err("cannot read the log of job %lld", (long long)id);
		return EX_SOFTWARE;
	}
	return 0;
}

static int wait_or_tail(struct ctl *ctl, int argc, char **argv, bool show_log)
{
	struct arg_flag flags[] = {{"--timeout", true}};
	long long timeout = 0;
	const char *arg;
	int64_t id;
	int rc;

	if (args_scan(argc, argv, flags, 1, &arg, 1) < 0)
		return EX_USAGE;
	if ((rc = parse_job_id(arg, &id)) != 0)
		return rc;
	if (flags[0].seen && parse_int(flags[0].value, 1, 86400 * 7, &timeout) < 0) {
		log_err("%s: --timeout wants seconds from 1 to 604800", argv[0]);
		return EX_USAGE;
	}
	return follow_job(ctl, id, show_log, (int)timeout);
}

int cmd_job_wait(struct ctl *ctl, int argc, char **argv)
{
	return wait_or_tail(ctl, argc, argv, false);
}

int cmd_job_tail(struct ctl *ctl, int argc, char **argv)
{
	return wait_or_tail(ctl, argc, argv, true);
}
