/* /api/v1/jobs: list, get, log, live events (SSE); and the game install,
 * which only queues a job. */
#include "api_jobs.h"

#include <stdint.h>
#include <string.h>

#include "api.h"
#include "db.h"
#include "db_game.h"
#include "hub.h"
#include "ops.h"
#include "parse.h"
#include "validate.h"

/* Lines a page of the log API answers at most. */
#define API_LOG_MAX   1000
#define API_LOG_MAX_S "1000"

static json_object *job_json(const struct job *j)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(j->id));
	api_add_str(o, "kind", job_kind_name(j->kind));
	api_add_str(o, "target", j->target);
	api_add_str(o, "user", j->user_name ? j->user_name : "system");
	api_add_str(o, "state", job_state_name(j->state));
	json_object_object_add(o, "exit_status",
			       j->has_exit_code ? json_object_new_int(j->exit_code) : NULL);
	api_add_str(o, "reason", j->reason);
	api_add_time(o, "created_at", j->created_at);
	api_add_time(o, "started_at", j->started_at);
	api_add_time(o, "finished_at", j->finished_at);
	return o;
}

int api_jobs_list(struct req *r)
{
	struct job_filter f = {r->user.admin ? 0 : r->user.id, NULL, 0, 100};
	const char *before = web_query(r, "before"), *limit = web_query(r, "limit");
	long long lim;
	struct job *jobs;
	json_object *a;
	size_t n, i;
	int rc;

	if (before && !valid_id(before, &f.before_id))
		return api_error(r, 400, "before: expected an id");
	if (limit) {
		if (parse_int(limit, 1, 1000, &lim) < 0)
			return api_error(r, 400, "limit: expected 1..1000");
		f.limit = (int)lim;
	}
	rc = db_job_list(web_db(r), &f, &jobs, &n);
	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	a = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(a, job_json(&jobs[i]));
	job_list_free(jobs, n);
	return api_send(r, 200, a);
}

int api_job_get(struct req *r)
{
	struct job j;
	int rc = ops_job(r, r->cap[0], &j), ret;

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	ret = api_send(r, 200, job_json(&j));
	job_fini(&j);
	return ret;
}

/* The lines of a log page as JSON objects into a. */
static void log_lines_json(json_object *a, const struct job_log_line *lines, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "id", json_object_new_int64(lines[i].id));
		json_object_object_add(e, "ts", json_object_new_int64(lines[i].ts));
		api_add_str(e, "stream", job_stream_name(lines[i].stream));
		api_add_str(e, "line", lines[i].line);
		json_object_array_add(a, e);
	}
}

/* A page of a job's log: ?after=ID (the lines after it, oldest first;
 * default) or ?before=ID (the lines just before it; 0: the newest), at
 * most ?limit=N of them (1..API_LOG_MAX, default API_LOG_MAX); "more" says
 * whether there are more lines in that direction. */
int api_job_log(struct req *r)
{
	const char *after = web_query(r, "after"), *before = web_query(r, "before"),
		   *lim = web_query(r, "limit");
	long long after_id = 0, before_id = 0, limit = API_LOG_MAX;
	struct job_log_line *lines;
	size_t n, first = 0;
	bool more;
	struct job j;
	json_object *o, *a;
	int rc;

	if ((after && parse_int(after, 0, INT64_MAX, &after_id) < 0) ||
	    (before && parse_int(before, 0, INT64_MAX, &before_id) < 0) || (after && before))
		return api_error(r, 400, "after or before: expected one id");
	if (lim && parse_int(lim, 1, API_LOG_MAX, &limit) < 0)
		return api_error(r, 400, "limit: expected 1 to " API_LOG_MAX_S);
	rc = ops_job(r, r->cap[0], &j);
	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	/* One line more than asked says whether there are more. */
	if (before)
		rc = db_job_log_read_before(web_db(r), j.id, before_id, (size_t)limit + 1, &lines,
					    &n);
	else
		rc = db_job_log_read(web_db(r), j.id, after_id, (size_t)limit + 1, &lines, &n);
	if (rc != DB_OK) {
		job_fini(&j);
		return ops_db_fail(r, rc);
	}
	more = n > (size_t)limit;
	if (more && before)
		first = 1; /* the extra one is the oldest */
	o = json_object_new_object();
	json_object_object_add(o, "job_id", json_object_new_int64(j.id));
	api_add_str(o, "state", job_state_name(j.state));
	a = json_object_new_array();
	log_lines_json(a, lines + first, more ? (size_t)limit : n);
	json_object_object_add(o, "lines", a);
	json_object_object_add(o, "more", json_object_new_boolean(more));
	job_log_lines_free(lines, n);
	job_fini(&j);
	return api_send(r, 200, o);
}

int api_job_events(struct req *r)
{
	const char *last = web_header(r, "Last-Event-ID");
	struct MHD_Response *resp;
	struct sse_stream *stream;
	struct job j;
	long long after = 0;
	int64_t id;
	int rc = ops_job(r, r->cap[0], &j);

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	if (!last)
		last = web_query(r, "after");
	if (last && parse_int(last, 0, INT64_MAX, &after) < 0)
		after = 0;
	id = j.id;
	job_fini(&j);
	resp = hub_job_stream(r->w->hub, r->conn, id, after, &stream);
	return web_respond_stream(r, resp, stream);
}

/* POST /api/v1/admin/install-game, body optional: {"validate": true}. */
int api_install_game(struct req *r)
{
	struct ops_error err;
	bool validate = false;
	int64_t job;

	if (r->body.len > 0) {
		json_object *o, *v;
		int ret;

		if (!(o = api_body_object(r, &ret)))
			return ret;
		if (json_object_object_get_ex(o, "validate", &v)) {
			if (!json_object_is_type(v, json_type_boolean)) {
				json_object_put(o);
				return api_error(r, 400, "validate: true or false");
			}
			validate = json_object_get_boolean(v);
		}
		json_object_put(o);
	}
	if (ops_install_game(r, validate, &job, &err) < 0)
		return ops_fail(r, &err);
	return api_job_accepted(r, 202, job);
}

int api_game(struct req *r)
{
	json_object *o, *a;
	struct game_info g;
	int rc = db_game_info(web_db(r), &g);

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	o = json_object_new_object();
	a = json_object_new_array();
	for (size_t i = 0; i < g.n_builds; i++) {
		json_object *b = json_object_new_object(), *s = json_object_new_array();

		json_object_object_add(b, "build_id", json_object_new_int64(g.builds[i].id));
		json_object_object_add(b, "current", json_object_new_boolean(g.builds[i].current));
		for (size_t j = 0; j < g.builds[i].n_servers; j++)
			json_object_array_add(s, json_object_new_string(g.builds[i].servers[j]));
		json_object_object_add(b, "servers", s);
		json_object_array_add(a, b);
	}
	json_object_object_add(o, "builds", a);
	json_object_object_add(o, "current_build",
			       g.current ? json_object_new_int64(g.current) : NULL);
	json_object_object_add(o, "latest_build",
			       g.latest ? json_object_new_int64(g.latest) : NULL);
	json_object_object_add(o, "checked_at",
			       g.checked_at ? json_object_new_int64(g.checked_at / 1000) : NULL);
	json_object_object_add(o, "update_available", json_object_new_boolean(g.update_available));
	api_add_str(o, "update_policy", update_policy_name(r->w->cfg->updates.policy));
	api_add_str(o, "update_window", r->w->cfg->updates.window);
	game_info_fini(&g);
	return api_send(r, 200, o);
}

/* ---- backups and exports (issue 16) -------------------------------------------- */

/* Stream the file of export job j (ops_export_open). */
static int send_export(struct req *r, const struct job *j)
{
	struct ops_error err;
	char fname[96];
	int fd = ops_export_open(r, j, fname, sizeof(fname), &err);

	return fd < 0 ? ops_fail(r, &err) : web_respond_file(r, fd, fname);
}

/* GET /api/v1/admin/backups */
int api_backups_list(struct req *r)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	struct ops_backup *list;
	size_t n;

	ops_backups_list(r, &list, &n);
	for (size_t i = 0; i < n; i++) {
		json_object *b = json_object_new_object();

		json_object_object_add(b, "name", json_object_new_string(list[i].name));
		json_object_object_add(b, "bytes", json_object_new_int64(list[i].bytes));
		json_object_object_add(b, "modified_at", json_object_new_int64(list[i].mtime));
		json_object_object_add(
		    b, "schema_version",
		    list[i].has_info ? json_object_new_int(list[i].info.schema_version) : NULL);
		json_object_object_add(
		    b, "servers",
		    list[i].has_info ? json_object_new_int64(list[i].info.servers) : NULL);
		json_object_object_add(
		    b, "left4me_version",
		    list[i].has_info ? json_object_new_string(list[i].info.version) : NULL);
		json_object_array_add(a, b);
	}
	free(list);
	json_object_object_add(o, "dir", json_object_new_string(r->w->cfg->backup.dir));
	json_object_object_add(o, "backups", a);
	return api_send(r, 200, o);
}

/* POST /api/v1/admin/backups: a backup now (a job). */
int api_backup_create(struct req *r)
{
	struct ops_error err;
	int64_t job;

	if (ops_backup_create(r, &job, &err) < 0)
		return ops_fail(r, &err);
	return api_job_accepted(r, 202, job);
}

/* POST /api/v1/admin/backups/NAME/export: a copy for download (a job). */
int api_backup_export(struct req *r)
{
	struct ops_error err;
	int64_t job;

	if (ops_backup_export(r, r->cap[0], &job, &err) < 0)
		return ops_fail(r, &err);
	return api_job_accepted(r, 202, job);
}

/* GET /api/v1/admin/backups/NAME: the newest ready copy, streamed. */
int api_backup_download(struct req *r)
{
	struct ops_error err;
	struct job j;
	int ret;

	if (!backup_name_ok(r->cap[0]))
		return api_error(r, 400,
				 "backup: expected a name like "
				 "left4me-YYYYMMDDTHHMMSSZ.tar.zst");
	if (ops_export_latest(r, JOB_EXPORT_BACKUP, r->cap[0], &j, &err) < 0)
		return ops_fail(r, &err);
	ret = send_export(r, &j);
	job_fini(&j);
	return ret;
}

/* GET /api/v1/exports/JOBID: an export job's file, streamed. */
int api_export_get(struct req *r)
{
	struct job j;
	int rc = ops_job(r, r->cap[0], &j), ret;

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	ret = send_export(r, &j);
	job_fini(&j);
	return ret;
}

/* POST /api/v1/servers/NAME/export: archive its upper/ (a job). */
int api_server_export(struct req *r)
{
	struct ops_error err;
	int64_t job;

	if (ops_export_server(r, r->cap[0], &job, &err) < 0)
		return ops_fail(r, &err);
	return api_job_accepted(r, 202, job);
}

/* GET /api/v1/servers/NAME/export: the newest ready export, streamed. */
int api_server_export_get(struct req *r)
{
	struct ops_error err;
	struct job j;
	int ret;

	if (!valid_instance_name(r->cap[0]))
		return api_error(r, 400, "name: not a server name");
	if (ops_export_latest(r, JOB_EXPORT_SERVER, r->cap[0], &j, &err) < 0)
		return ops_fail(r, &err);
	ret = send_export(r, &j);
	job_fini(&j);
	return ret;
}
