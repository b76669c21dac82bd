/* /api/v1/overlays (list, create, get, replace, delete, build, files)
 * and /api/v1/global-overlays (list, refresh). */
#include "api_overlays.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "db.h"
#include "db_global.h"
#include "edit.h"
#include "files.h"
#include "ops.h"
#include "parse.h"

static json_object *overlay_json(const struct overlay *ov)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(ov->id));
	api_add_str(o, "name", ov->name);
	api_add_str(o, "kind", ov->kind);
	api_add_str(o, "build_script", ov->build_script);
	api_add_str(o, "build_status", ov->build_status);
	api_add_time(o, "built_at", ov->built_at);
	api_add_str(o, "source", ov->source_name);
	api_add_time(o, "created_at", ov->created_at);
	api_add_time(o, "updated_at", ov->updated_at);
	return o;
}

int api_overlays_list(struct req *r)
{
	struct overlay *list;
	json_object *a;
	size_t n, i;
	int rc = db_overlay_list(web_db(r), r->user.id, true, &list, &n);

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	a = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(a, overlay_json(&list[i]));
	overlay_list_free(list, n);
	return api_send(r, 200, a);
}

static int overlay_write(struct req *r, struct overlay *cur)
{
	const char *name, *script;
	struct ops_error err;
	struct overlay ov;
	json_object *o, *j;
	int64_t id, job;
	int ret, rc;

	if (!(o = api_body_object(r, &ret)))
		return ret;
	name = api_has(o, "name") ? api_get_string(o, "name") : (cur ? cur->name : NULL);
	script = api_has(o, "build_script") ? api_get_string(o, "build_script")
					    : (cur ? cur->build_script : NULL);
	if (api_has(o, "build_script") && !script &&
	    !json_object_is_type(json_object_object_get(o, "build_script"), json_type_null))
		ret = api_error(r, 400, "build_script: expected a string or null");
	else if (ops_overlay_save(r, cur, name, script, api_has(o, "build_script"), &id, &job,
				  &err) < 0)
		ret = ops_fail(r, &err);
	else if ((rc = db_overlay_get(web_db(r), id, &ov)) != DB_OK)
		ret = ops_db_fail(r, rc);
	else {
		j = overlay_json(&ov);
		if (job)
			json_object_object_add(j, "build_job_id", json_object_new_int64(job));
		ret = api_send(r, cur ? 200 : 201, j);
		overlay_fini(&ov);
	}
	json_object_put(o);
	return ret;
}

int api_overlays_create(struct req *r)
{
	return overlay_write(r, NULL);
}

int api_overlay_get(struct req *r)
{
	struct overlay o;
	int rc = ops_overlay(r, r->cap[0], true, &o), ret;

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	ret = api_send(r, 200, overlay_json(&o));
	overlay_fini(&o);
	return ret;
}

int api_overlay_put(struct req *r)
{
	struct overlay o;
	int rc = ops_overlay(r, r->cap[0], false, &o), ret;

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	ret = overlay_write(r, &o);
	overlay_fini(&o);
	return ret;
}

int api_overlay_delete(struct req *r)
{
	struct ops_error err;

	if (ops_overlay_delete(r, r->cap[0], &err) < 0)
		return ops_fail(r, &err);
	return api_send(r, 200, json_object_new_object());
}

int api_overlay_build(struct req *r)
{
	struct ops_error err;
	int64_t job;

	if (ops_overlay_build(r, r->cap[0], &job, &err) < 0)
		return ops_fail(r, &err);
	return api_job_accepted(r, 202, job);
}

/* A plain PUT's body begins: it streams into the file (the Content-Length,
 * when there is one, is checked against the quotas at once).  A
 * conditional PUT (r->edit_put) is kept in r->body instead. */
int api_overlay_file_begin(struct req *r)
{
	const char *cl = web_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	struct ops_error err;
	long long size = -1;

	if (cl && parse_int(cl, 0, (long long)1 << 62, &size) < 0)
		size = -1;
	if (ops_overlay_upload_begin(r, r->cap[0], r->cap[1], size, &err) < 0) {
		web_upload_fail(r, err.status, err.msg);
		return -1;
	}
	return 0;
}

/* PUT with If-Match (the ETag a GET gave, or *) or If-None-Match: *
 * (create only): the editor's checked save of a text file (edit.h),
 * whose whole text the transport kept (at most web.max_edit). */
static int file_put_checked(struct req *r, const char *if_match, const char *if_none)
{
	char etag[FILES_ETAG_SIZE];
	struct ops_error err;
	json_object *j;
	int64_t id;

	if (if_match && if_none)
		return api_error(r, 400, "give If-Match or If-None-Match, not both");
	if (if_none && strcmp(if_none, "*") != 0)
		return api_error(r, 400, "If-None-Match: only * (create a new file) is supported");
	if (edit_save(r, r->cap[0], r->cap[1], r->body.buf ? r->body.buf : "", r->body.len,
		      if_match ? if_match : "", etag, &id, &err) < 0)
		return ops_fail(r, &err);
	snprintf(r->etag, sizeof(r->etag), "%s", etag);
	j = json_object_new_object();
	api_add_str(j, "path", r->cap[1]);
	json_object_object_add(j, "size", json_object_new_int64((int64_t)r->body.len));
	api_add_str(j, "etag", etag);
	return api_send(r, if_none ? 201 : 200, j);
}

int api_overlay_file_put(struct req *r)
{
	struct ops_error err;
	json_object *j;
	int64_t id, size;

	if (r->edit_put)
		return file_put_checked(r, web_header(r, "If-Match"),
					web_header(r, "If-None-Match"));
	if (ops_overlay_upload_commit(r, &id, &size, &err) < 0)
		return ops_fail(r, &err);
	j = json_object_new_object();
	api_add_str(j, "path", r->cap[1]);
	json_object_object_add(j, "size", json_object_new_int64(size));
	return api_send(r, 201, j);
}

int api_overlay_file_get(struct req *r)
{
	struct ops_error err;
	int fd = ops_overlay_file_open(r, r->cap[0], r->cap[1], &err);
	size_t len;
	char *data;

	if (fd < 0)
		return ops_fail(r, &err);
	/* The ETag a PUT with If-Match names, for files the editor takes. */
	if (files_read_fd(fd, r->w->cfg->web.max_edit, &data, &len) == 0) {
		char etag[FILES_ETAG_SIZE];

		files_etag_of(data, len, etag);
		snprintf(r->etag, sizeof(r->etag), "%s", etag);
		free(data);
	}
	return web_respond_file(r, fd, r->cap[1]);
}

int api_globals(struct req *r)
{
	struct global_source *src;
	json_object *a;
	size_t n, i, k;
	int rc = db_global_source_list(web_db(r), &src, &n);

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	a = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *o = json_object_new_object(), *items = json_object_new_array();
		struct global_item *it;
		size_t ni;

		json_object_object_add(o, "id", json_object_new_int64(src[i].id));
		api_add_str(o, "name", src[i].name);
		api_add_str(o, "kind", src[i].kind);
		api_add_str(o, "url", src[i].url);
		json_object_object_add(o, "complete", json_object_new_boolean(src[i].complete));
		json_object_object_add(o, "items_expected",
				       json_object_new_int64(src[i].items_expected));
		json_object_object_add(o, "items_present",
				       json_object_new_int64(src[i].items_present));
		api_add_time(o, "last_refresh_at", src[i].last_refresh_at);
		api_add_time(o, "last_success_at", src[i].last_success_at);
		api_add_str(o, "last_error", src[i].last_error);
		json_object_object_add(o, "overlay_id",
				       src[i].overlay_id ? json_object_new_int64(src[i].overlay_id)
							 : NULL);
		if (db_global_item_list(web_db(r), src[i].id, &it, &ni) == DB_OK) {
			for (k = 0; k < ni; k++) {
				json_object *e = json_object_new_object();

				api_add_str(e, "name", it[k].name);
				api_add_str(e, "state", global_item_state_name(it[k].state));
				json_object_object_add(
				    e, "files", json_object_new_int64((int64_t)it[k].n_files));
				api_add_str(e, "error", it[k].error);
				json_object_array_add(items, e);
			}
			global_item_list_free(it, ni);
		}
		json_object_object_add(o, "items", items);
		json_object_array_add(a, o);
	}
	global_source_list_free(src, n);
	return api_send(r, 200, a);
}

int api_globals_refresh(struct req *r)
{
	struct ops_error err;
	int64_t job;

	if (ops_enqueue_system(r, JOB_REFRESH_GLOBAL_OVERLAYS, &job, &err) < 0)
		return ops_fail(r, &err);
	return api_job_accepted(r, 202, job);
}
