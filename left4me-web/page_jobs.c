/* Jobs: the list (paged) and one job with its live log (paged too). */
#include "page_jobs.h"

#include <inttypes.h>
#include <stdio.h>

#include "db.h"
#include "ops.h"
#include "page.h"
#include "validate.h"

int page_jobs(struct req *r)
{
	struct job_filter f = {r->user.admin ? 0 : r->user.id, NULL, 0, 50};
	const char *before = web_query(r, "before");
	struct job *jobs;
	size_t nj;
	struct html h;

	if (before && !valid_id(before, &f.before_id))
		return web_error(r, 400, "bad page");
	if (db_job_list(web_db(r), &f, &jobs, &nj) != DB_OK)
		return ops_db_fail(r, DB_ERROR);
	html_init(&h);
	page_begin(r, &h, "Jobs");
	html_printf(&h, "<h1>Jobs</h1><section class=\"card\">");
	page_jobs_table(r, &h, jobs, nj);
	if (nj == 50)
		html_printf(&h, "<p><a href=\"/jobs?before=%D\">Older</a></p>", jobs[nj - 1].id);
	html_printf(&h, "</section>");
	job_list_free(jobs, nj);
	return page_finish(r, &h, 200);
}

int page_job(struct req *r)
{
	const char *before = web_query(r, "log_before"), *after = web_query(r, "log_after");
	int64_t before_id = 0, after_id = 0;
	struct job j;
	struct html h;
	char title[32];
	int rc;

	if ((before && !valid_id(before, &before_id)) || (after && !valid_id(after, &after_id)) ||
	    (before && after))
		return web_error(r, 400, "bad page of the log: log_before=ID or log_after=ID");
	rc = ops_job(r, r->cap[0], &j);
	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	snprintf(title, sizeof(title), "Job #%" PRId64, j.id);
	html_init(&h);
	page_begin(r, &h, title);
	html_printf(&h,
		    "<h1>Job #%D <span class=\"muted\">%s %s</span></h1><section class=\"card\">"
		    "<dl class=\"facts\"><dt>State</dt><dd id=\"job-state\">",
		    j.id, job_kind_name(j.kind), j.target);
	page_state_badge(&h, job_state_name(j.state));
	html_printf(&h,
		    "</dd><dt>User</dt><dd>%s</dd><dt>Created</dt><dd>%T</dd><dt>Started</dt>"
		    "<dd>%T</dd><dt>Finished</dt><dd>%T</dd>",
		    j.user_name ? j.user_name : "system", j.created_at, j.started_at,
		    j.finished_at);
	if (j.has_exit_code)
		html_printf(&h, "<dt>Exit status</dt><dd>%d</dd>", j.exit_code);
	if (j.reason)
		html_printf(&h, "<dt>Reason</dt><dd>%s</dd>", j.reason);
	if (job_kind_is_server(j.kind) || j.kind == JOB_EXPORT_SERVER)
		html_printf(&h, "<dt>Server</dt><dd><a href=\"/servers/%u\">%s</a></dd>", j.target,
			    j.target);
	if (j.kind == JOB_EXPORT_SERVER || j.kind == JOB_EXPORT_BACKUP)
		html_printf(&h,
			    "<dt>Download</dt><dd><a id=\"export-download\" href=\"/exports/%D\">%s"
			    "</a> <span class=\"muted\">(once the job has succeeded; reload this "
			    "page)</span></dd>",
			    j.id, j.kind == JOB_EXPORT_SERVER ? "the server's data" : j.target);
	html_printf(&h, "</dl></section><section class=\"card\"><h2>Log</h2>");
	if (page_job_log(r, &h, &j, before_id, after_id) < 0) {
		html_fini(&h);
		job_fini(&j);
		return ops_db_fail(r, DB_ERROR);
	}
	html_printf(&h, "</section>");
	job_fini(&j);
	return page_finish(r, &h, 200);
}

/* GET /exports/ID: the file an export job wrote, streamed from disk. */
int page_export_download(struct req *r)
{
	char fname[96];
	struct ops_error err;
	struct job j;
	int rc = ops_job(r, r->cap[0], &j), fd;

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	fd = ops_export_open(r, &j, fname, sizeof(fname), &err);
	job_fini(&j);
	return fd < 0 ? ops_fail(r, &err) : web_respond_file(r, fd, fname);
}
