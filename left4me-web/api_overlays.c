/* /api/v1/overlays (list, create, get, replace, delete, build, files;
 * a workshop overlay's list and sync) and /api/v1/global-overlays (list,
 * refresh). */
#include "api_overlays.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "db.h"
#include "db_global.h"
#include "db_workshop.h"
#include "edit.h"
#include "files.h"
#include "ops.h"
#include "parse.h"
#include "strbuf.h"
#include "workshop_ids.h"

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

/* One row of a workshop overlay's list: what Steam said, the sync's
 * state, the Workshop page and the web's own copy of the preview. */
static json_object *workshop_item_json(int64_t overlay_id, const struct workshop_item *it)
{
	json_object *e = json_object_new_object();
	char url[96];

	json_object_object_add(e, "published_id", json_object_new_int64(it->published_id));
	json_object_object_add(e, "via", it->via ? json_object_new_int64(it->via) : NULL);
	json_object_object_add(e, "is_collection", json_object_new_boolean(it->is_collection));
	api_add_str(e, "title", it->title);
	json_object_object_add(e, "file_size",
			       it->file_size ? json_object_new_int64(it->file_size) : NULL);
	api_add_time(e, "time_updated", it->time_updated * 1000);
	api_add_str(e, "state", it->state);
	api_add_str(e, "error", it->error);
	api_add_time(e, "checked_at", it->checked_at);
	api_add_time(e, "cached_at", it->cached_at);
	workshop_page_url(it->published_id, url, sizeof(url));
	api_add_str(e, "url", url);
	if (it->preview_type) {
		snprintf(url, sizeof(url), "/overlays/%" PRId64 "/workshop/%" PRId64 "/preview",
			 overlay_id, it->published_id);
		api_add_str(e, "preview", url);
	} else {
		api_add_str(e, "preview", NULL);
	}
	return e;
}

/* A workshop overlay's "workshop_ids" (the user's list) and "items". */
static int add_workshop(struct req *r, json_object *o, int64_t id)
{
	struct workshop_item *items;
	json_object *a;
	int64_t *ids;
	size_t n, i;
	int rc = db_workshop_listed_ids(web_db(r), id, &ids, &n);

	if (rc != DB_OK)
		return rc;
	a = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_int64(ids[i]));
	free(ids);
	json_object_object_add(o, "workshop_ids", a);
	rc = db_workshop_items(web_db(r), id, &items, &n);
	if (rc != DB_OK)
		return rc;
	a = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(a, workshop_item_json(id, &items[i]));
	workshop_item_list_free(items, n);
	json_object_object_add(o, "items", a);
	return DB_OK;
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

static bool is_kind(json_object *o, const char *kind)
{
	const char *k = api_get_string(o, "kind");

	return k && strcmp(k, kind) == 0;
}

/* Whether the body's "kind" may stand: a new overlay's user, script or
 * workshop, an existing one's own kind.  Else false after answering 400
 * (*ret). */
static bool kind_ok(struct req *r, json_object *o, const struct overlay *cur, int *ret)
{
	const char *k = api_get_string(o, "kind");

	if (cur && (!k || strcmp(k, cur->kind) != 0)) {
		*ret = api_error(r, 400, "kind: an overlay's kind cannot be changed");
		return false;
	}
	if (!k ||
	    (strcmp(k, "user") != 0 && strcmp(k, "script") != 0 && strcmp(k, "workshop") != 0)) {
		*ret = api_error(r, 400, "kind: expected \"user\", \"script\" or \"workshop\"");
		return false;
	}
	return true;
}

/* The body's "workshop_ids": an array of ids (numbers or decimal strings)
 * or Workshop page URLs, each checked by workshop_ids.h and named by its
 * index when refused, then as one list (duplicates dropped, at most
 * fetcher.workshop.max_ids).  Absent is the empty list when !required.
 * 0 with *ids and *n, or -1 after answering 400 (*ret). */
static int body_ids(struct req *r, json_object *o, bool required, int64_t **ids, size_t *n,
		    int *ret)
{
	json_object *a = json_object_object_get(o, "workshop_ids");
	struct ops_error err;
	struct strbuf text;
	char why[512], msg[600];
	size_t i, len;

	*ids = NULL;
	*n = 0;
	if (!a && !required)
		return 0;
	if (!json_object_is_type(a, json_type_array)) {
		*ret = api_error(r, 400,
				 "workshop_ids: expected an array of Workshop ids or their URLs");
		return -1;
	}
	strbuf_init(&text);
	len = json_object_array_length(a);
	for (i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		int64_t id = 0;
		int bad = 0;

		if (json_object_is_type(e, json_type_int)) {
			errno = 0;
			id = json_object_get_int64(e);
			if (errno || id < 1 || id > WORKSHOP_ID_MAX) {
				snprintf(why, sizeof(why), "an id is 1 to %" PRId64,
					 (int64_t)WORKSHOP_ID_MAX);
				bad = 1;
			}
		} else if (json_object_is_type(e, json_type_string)) {
			bad = workshop_id_parse(json_object_get_string(e),
						(size_t)json_object_get_string_len(e), &id, why,
						sizeof(why)) < 0;
		} else {
			snprintf(why, sizeof(why),
				 "expected an id (a number or a string) or a "
				 "Workshop URL");
			bad = 1;
		}
		if (bad) {
			/* A cut is fine: one line for a person. */
			snprintf(msg, sizeof(msg), "workshop_ids[%zu]: %s", i, why);
			strbuf_fini(&text);
			*ret = api_error(r, 400, msg);
			return -1;
		}
		strbuf_printf(&text, "%" PRId64 "\n", id);
	}
	if (ops_workshop_parse(r, "workshop_ids", text.buf ? text.buf : "", ids, n, &err) < 0) {
		strbuf_fini(&text);
		*ret = ops_fail(r, &err);
		return -1;
	}
	strbuf_fini(&text);
	return 0;
}

/* The overlay (201) with its list and items, and the job that syncs it. */
static int send_workshop(struct req *r, int64_t id, int64_t job, unsigned status)
{
	struct overlay ov;
	json_object *j;
	int rc = db_overlay_get(web_db(r), id, &ov);

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	j = overlay_json(&ov);
	overlay_fini(&ov);
	if ((rc = add_workshop(r, j, id)) != DB_OK) {
		json_object_put(j);
		return ops_db_fail(r, rc);
	}
	json_object_object_add(j, "sync_job_id", job ? json_object_new_int64(job) : NULL);
	return api_send(r, status, j);
}

/* POST /api/v1/overlays with "kind": "workshop". */
static int workshop_create(struct req *r, json_object *o)
{
	struct ops_error err;
	int64_t *ids, id, job;
	size_t n;
	int ret;

	if (api_has(o, "build_script"))
		return api_error(r, 400, "build_script: a workshop overlay has no build script");
	if (body_ids(r, o, false, &ids, &n, &ret) < 0)
		return ret;
	ret = ops_workshop_create(r, api_get_string(o, "name"), ids, n, &id, &job, &err);
	free(ids);
	if (ret < 0)
		return ops_fail(r, &err);
	return send_workshop(r, id, job, 201);
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
	if (api_has(o, "kind") && !kind_ok(r, o, cur, &ret)) {
		json_object_put(o);
		return ret;
	}
	if (!cur && is_kind(o, "workshop")) {
		ret = workshop_create(r, o);
		json_object_put(o);
		return ret;
	}
	if (cur && strcmp(cur->kind, "workshop") == 0 && api_has(o, "build_script")) {
		json_object_put(o);
		return api_error(r, 400, "build_script: a workshop overlay has no build script");
	}
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
	json_object *j;
	int rc = ops_overlay(r, r->cap[0], true, &o);

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	j = overlay_json(&o);
	if (strcmp(o.kind, "workshop") == 0)
		rc = add_workshop(r, j, o.id);
	overlay_fini(&o);
	if (rc != DB_OK) {
		json_object_put(j);
		return ops_db_fail(r, rc);
	}
	return api_send(r, 200, j);
}

int api_overlay_workshop_put(struct req *r)
{
	struct ops_error err;
	int64_t *ids, id, job;
	json_object *o;
	size_t n;
	int ret;

	if (!(o = api_body_object(r, &ret)))
		return ret;
	if (body_ids(r, o, true, &ids, &n, &ret) < 0) {
		json_object_put(o);
		return ret;
	}
	json_object_put(o);
	ret = ops_workshop_set(r, r->cap[0], ids, n, &id, &job, &err);
	free(ids);
	if (ret < 0)
		return ops_fail(r, &err);
	return send_workshop(r, id, job, 200);
}

int api_overlay_sync(struct req *r)
{
	struct ops_error err;
	int64_t job;

	if (ops_workshop_sync(r, r->cap[0], &job, &err) < 0)
		return ops_fail(r, &err);
	return api_job_accepted(r, 202, job);
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
