/* The JSON API v1 (SPEC section 5) with json-c.  Same ownership rules as
 * the pages: another user's object is 404.  Errors are {"error": "..."}. */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "db_global.h"
#include "files.h"
#include "handlers.h"
#include "hub.h"
#include "ops.h"
#include "parse.h"
#include "validate.h"
#include "web.h"
#include "xalloc.h"

/* ---- plumbing ------------------------------------------------------------- */

static int api_send(struct req *r, unsigned status, json_object *o)
{
	struct strbuf sb;

	strbuf_init(&sb);
	strbuf_puts(&sb, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	strbuf_putc(&sb, '\n');
	json_object_put(o);
	return web_respond(r, status, "application/json", &sb);
}

int api_error(struct req *r, unsigned status, const char *msg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	return api_send(r, status, o);
}

static int api_db_fail(struct req *r, int rc)
{
	if (rc == DB_NOTFOUND)
		return api_error(r, 404, "not found");
	if (rc == DB_BUSY)
		return api_error(r, 503, "the database is busy");
	return api_error(r, 500, "database error");
}

static int api_job_id(struct req *r, unsigned status, int64_t job)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "job_id", json_object_new_int64(job));
	return api_send(r, status, o);
}

/* The body as a JSON object, or NULL after answering 400. */
static json_object *body_object(struct req *r, int *ret)
{
	struct json_tokener *tok;
	json_object *o;

	if (!valid_utf8(r->body.buf, r->body.len) || r->body.len == 0) {
		*ret = api_error(r, 400, "expected a JSON object");
		return NULL;
	}
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, r->body.buf, (int)r->body.len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    tok->char_offset != (int)r->body.len || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		json_tokener_free(tok);
		*ret = api_error(r, 400, "expected a JSON object");
		return NULL;
	}
	json_tokener_free(tok);
	return o;
}

static const char *get_string(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool has(json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

static bool get_int(json_object *o, const char *key, int64_t min, int64_t max, int64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	errno = 0;
	*out = json_object_get_int64(v);
	return errno == 0 && *out >= min && *out <= max;
}

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static void add_time(json_object *o, const char *k, int64_t ms)
{
	json_object_object_add(o, k, ms ? json_object_new_int64(ms) : NULL);
}

/* ---- objects ----------------------------------------------------------------- */

static json_object *server_json(const struct server *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(s->id));
	add_str(o, "name", s->name);
	add_str(o, "state", server_state_name(s->state));
	add_str(o, "state_reason", s->state_reason);
	json_object_object_add(o, "port", json_object_new_int(s->port));
	json_object_object_add(o, "blueprint_id", json_object_new_int64(s->blueprint_id));
	add_str(o, "blueprint", s->blueprint_name);
	json_object_object_add(o, "last_job_id",
			       s->last_job_id ? json_object_new_int64(s->last_job_id) : NULL);
	add_time(o, "created_at", s->created_at);
	add_time(o, "updated_at", s->updated_at);
	return o;
}

static json_object *blueprint_json(const struct blueprint *b, bool with_overlays)
{
	json_object *o = json_object_new_object(), *a;
	size_t i;

	json_object_object_add(o, "id", json_object_new_int64(b->id));
	add_str(o, "name", b->name);
	add_str(o, "config", b->config);
	if (with_overlays) {
		a = json_object_new_array();
		for (i = 0; i < b->n_overlays; i++) {
			json_object *e = json_object_new_object();

			json_object_object_add(e, "overlay_id",
					       json_object_new_int64(b->overlays[i].overlay_id));
			json_object_object_add(
			    e, "expose_server_cfg",
			    json_object_new_boolean(b->overlays[i].expose_server_cfg));
			add_str(e, "name", b->overlays[i].name);
			add_str(e, "kind", b->overlays[i].kind);
			json_object_array_add(a, e);
		}
		json_object_object_add(o, "overlays", a);
	}
	json_object_object_add(o, "servers", json_object_new_int64(b->n_servers));
	add_time(o, "created_at", b->created_at);
	add_time(o, "updated_at", b->updated_at);
	return o;
}

static json_object *overlay_json(const struct overlay *ov)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(ov->id));
	add_str(o, "name", ov->name);
	add_str(o, "kind", ov->kind);
	add_str(o, "build_script", ov->build_script);
	add_str(o, "build_status", ov->build_status);
	add_time(o, "built_at", ov->built_at);
	add_str(o, "source", ov->source_name);
	add_time(o, "created_at", ov->created_at);
	add_time(o, "updated_at", ov->updated_at);
	return o;
}

static json_object *job_json(const struct job *j)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(j->id));
	add_str(o, "kind", job_kind_name(j->kind));
	add_str(o, "target", j->target);
	add_str(o, "user", j->user_name ? j->user_name : "system");
	add_str(o, "state", job_state_name(j->state));
	json_object_object_add(o, "exit_status",
			       j->has_exit_code ? json_object_new_int(j->exit_code) : NULL);
	add_str(o, "reason", j->reason);
	add_time(o, "created_at", j->created_at);
	add_time(o, "started_at", j->started_at);
	add_time(o, "finished_at", j->finished_at);
	return o;
}

/* ---- servers ------------------------------------------------------------------ */

int api_servers_list(struct req *r)
{
	struct server *list;
	json_object *a;
	size_t n, i;
	int rc = db_server_list(web_db(r), r->user.id, &list, &n);

	if (rc != DB_OK)
		return api_db_fail(r, rc);
	a = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(a, server_json(&list[i]));
	server_list_free(list, n);
	return api_send(r, 200, a);
}

int api_servers_create(struct req *r)
{
	const char *name;
	int64_t bp, port;
	struct server s;
	json_object *o;
	int ret, rc;

	if (!(o = body_object(r, &ret)))
		return ret;
	name = get_string(o, "name");
	if (!name || !valid_server_name(name))
		ret = api_error(r, 400,
				"name: expected [a-z0-9][a-z0-9_-]{0,26} (at most 27 bytes: each "
				"server runs as its own system user l4m-NAME)");
	else if (!get_int(o, "blueprint_id", 1, INT64_MAX, &bp))
		ret = api_error(r, 400, "blueprint_id: expected an id");
	else if (!get_int(o, "port", 1024, 65535, &port))
		ret = api_error(r, 400, "port: expected 1024..65535");
	else if ((rc = db_server_create(web_db(r), name, r->user.id, bp, (int)port, NULL)) ==
		 DB_EXISTS)
		ret = api_error(r, 409, "name or port already taken");
	else if (rc == DB_INVALID)
		ret = api_error(r, 400, "blueprint_id: no such blueprint");
	else if (rc != DB_OK)
		ret = api_db_fail(r, rc);
	else if ((rc = db_server_get(web_db(r), name, &s)) != DB_OK)
		ret = api_db_fail(r, rc);
	else {
		(void)db_audit(web_db(r), r->user.id, r->user.name, "server_create", name, "");
		ret = api_send(r, 201, server_json(&s));
		server_fini(&s);
	}
	json_object_put(o);
	return ret;
}

int api_server_get(struct req *r)
{
	struct server s;
	int rc = ops_server(r, r->cap[0], &s), ret;

	if (rc != DB_OK)
		return api_db_fail(r, rc);
	ret = api_send(r, 200, server_json(&s));
	server_fini(&s);
	return ret;
}

static int server_enqueue(struct req *r, enum job_kind kind)
{
	struct server s;
	int64_t job;
	int rc = ops_server(r, r->cap[0], &s);

	if (rc != DB_OK)
		return api_db_fail(r, rc);
	rc = ops_enqueue(r, kind, s.name, NULL, &job);
	server_fini(&s);
	if (rc != DB_OK)
		return api_db_fail(r, rc);
	return api_job_id(r, 202, job);
}

int api_server_delete(struct req *r)
{
	return server_enqueue(r, JOB_DELETE);
}

int api_server_action(struct req *r)
{
	int kind = ops_server_action_kind(r->cap[1]);

	if (kind < 0 || kind == JOB_DELETE)
		return api_error(r, 404, "not found");
	return server_enqueue(r, (enum job_kind)kind);
}

int api_console(struct req *r)
{
	const char *last = web_header(r, "Last-Event-ID");
	struct MHD_Response *resp;
	struct sse_stream *stream;
	struct server s;
	long long after = 0;
	int rc = ops_server_console(r, r->cap[0], &s);

	if (rc != DB_OK)
		return api_db_fail(r, rc);
	if (!last)
		last = web_query(r, "after");
	if (last && parse_int(last, 0, INT64_MAX, &after) < 0)
		after = 0;
	resp = hub_console_stream(r->w->hub, r->conn, s.id, s.name, s.created_at, after, &stream);
	server_fini(&s);
	return web_respond_stream(r, resp, stream);
}

/* {"command": "..."}: written straight into the server's console FIFO,
 * so the answer is 204 (no job); see ops_console_send for the others. */
int api_console_send(struct req *r)
{
	struct server s;
	json_object *o, *v;
	unsigned status;
	char msg[256];
	int rc = ops_server_console(r, r->cap[0], &s), ret;

	if (rc != DB_OK)
		return api_db_fail(r, rc);
	if (!(o = body_object(r, &ret))) {
		server_fini(&s);
		return ret;
	}
	if (!json_object_object_get_ex(o, "command", &v) ||
	    !json_object_is_type(v, json_type_string))
		ret = api_error(r, 400, "command: expected a string");
	else if ((status = ops_console_send(r, &s, json_object_get_string(v),
					    (size_t)json_object_get_string_len(v), msg,
					    sizeof(msg))) == 204) {
		struct strbuf none;

		strbuf_init(&none);
		ret = web_respond(r, 204, NULL, &none);
	} else {
		ret = api_error(r, status, msg);
	}
	json_object_put(o);
	server_fini(&s);
	return ret;
}

/* ---- blueprints ------------------------------------------------------------------ */

int api_blueprints_list(struct req *r)
{
	struct blueprint *list;
	json_object *a;
	size_t n, i;
	int rc = db_blueprint_list(web_db(r), r->user.id, &list, &n);

	if (rc != DB_OK)
		return api_db_fail(r, rc);
	a = json_object_new_array();
	for (i = 0; i < n; i++) {
		struct blueprint full;

		if (db_blueprint_get(web_db(r), list[i].id, &full) == DB_OK) {
			json_object_array_add(a, blueprint_json(&full, true));
			blueprint_fini(&full);
		}
	}
	blueprint_list_free(list, n);
	return api_send(r, 200, a);
}

/* Parse "overlays": [{overlay_id, expose_server_cfg}] into ov; -1 if bad. */
static int parse_overlays(json_object *o, struct blueprint_overlay *ov, size_t *n)
{
	json_object *a;
	size_t i, len;

	*n = 0;
	if (!json_object_object_get_ex(o, "overlays", &a))
		return 0;
	if (!json_object_is_type(a, json_type_array))
		return -1;
	len = json_object_array_length(a);
	if (len > BLUEPRINT_OVERLAYS_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(a, i), *x;
		int64_t id;

		if (!json_object_is_type(e, json_type_object) ||
		    !get_int(e, "overlay_id", 1, INT64_MAX, &id))
			return -1;
		memset(&ov[i], 0, sizeof(ov[i]));
		ov[i].overlay_id = id;
		if (json_object_object_get_ex(e, "expose_server_cfg", &x)) {
			if (!json_object_is_type(x, json_type_boolean))
				return -1;
			ov[i].expose_server_cfg = json_object_get_boolean(x);
		}
	}
	*n = len;
	return 0;
}

/* Create (id 0) or update blueprint id from the body. */
static int blueprint_write(struct req *r, struct blueprint *cur)
{
	struct blueprint_overlay ov[BLUEPRINT_OVERLAYS_MAX];
	const char *name, *config;
	size_t n = 0;
	json_object *o;
	int64_t id = cur ? cur->id : 0;
	bool nested;
	int ret, rc;

	if (!(o = body_object(r, &ret)))
		return ret;
	name = has(o, "name") ? get_string(o, "name") : (cur ? cur->name : NULL);
	config = has(o, "config") ? get_string(o, "config") : (cur ? cur->config : "");
	if (!name || !valid_display_name(name)) {
		ret = api_error(r, 400, "name: expected 1..64 printable characters");
		goto out;
	}
	if (!config) {
		ret = api_error(r, 400, "config: expected a string");
		goto out;
	}
	if (parse_overlays(o, ov, &n) < 0) {
		ret = api_error(r, 400, "overlays: expected [{overlay_id, expose_server_cfg}]");
		goto out;
	}
	rc = db_tx_begin(web_db(r), &nested);
	if (rc == DB_OK) {
		if (cur)
			rc = db_blueprint_update(web_db(r), id, name, config);
		else
			rc = db_blueprint_create(web_db(r), r->user.id, name, config, &id);
	}
	if (rc == DB_OK && (!cur || has(o, "overlays")))
		rc = db_blueprint_set_overlays(web_db(r), id, r->user.id, ov, n);
	rc = db_tx_end(web_db(r), nested, rc);
	if (rc == DB_EXISTS) {
		ret = api_error(r, 409, "a blueprint of that name exists");
	} else if (rc == DB_INVALID) {
		ret =
		    api_error(r, 400, "overlays: unknown or repeated overlay, or config too long");
	} else if (rc != DB_OK) {
		ret = api_db_fail(r, rc);
	} else {
		struct blueprint b;

		rc = db_blueprint_get(web_db(r), id, &b);
		if (rc != DB_OK) {
			ret = api_db_fail(r, rc);
		} else {
			ret = api_send(r, cur ? 200 : 201, blueprint_json(&b, true));
			blueprint_fini(&b);
		}
	}
out:
	json_object_put(o);
	return ret;
}

int api_blueprints_create(struct req *r)
{
	return blueprint_write(r, NULL);
}

int api_blueprint_get(struct req *r)
{
	struct blueprint b;
	int rc = ops_blueprint(r, r->cap[0], &b), ret;

	if (rc != DB_OK)
		return api_db_fail(r, rc);
	ret = api_send(r, 200, blueprint_json(&b, true));
	blueprint_fini(&b);
	return ret;
}

int api_blueprint_put(struct req *r)
{
	struct blueprint b;
	int rc = ops_blueprint(r, r->cap[0], &b), ret;

	if (rc != DB_OK)
		return api_db_fail(r, rc);
	ret = blueprint_write(r, &b);
	blueprint_fini(&b);
	return ret;
}

int api_blueprint_delete(struct req *r)
{
	struct blueprint b;
	int rc = ops_blueprint(r, r->cap[0], &b);

	if (rc != DB_OK)
		return api_db_fail(r, rc);
	rc = db_blueprint_delete(web_db(r), b.id);
	blueprint_fini(&b);
	if (rc == DB_INVALID)
		return api_error(r, 409, "servers still use this blueprint");
	if (rc != DB_OK)
		return api_db_fail(r, rc);
	return api_send(r, 200, json_object_new_object());
}

/* ---- overlays --------------------------------------------------------------------- */

int api_overlays_list(struct req *r)
{
	struct overlay *list;
	json_object *a;
	size_t n, i;
	int rc = db_overlay_list(web_db(r), r->user.id, true, &list, &n);

	if (rc != DB_OK)
		return api_db_fail(r, rc);
	a = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(a, overlay_json(&list[i]));
	overlay_list_free(list, n);
	return api_send(r, 200, a);
}

static int overlay_write(struct req *r, struct overlay *cur)
{
	const char *name, *script;
	json_object *o;
	int64_t id = cur ? cur->id : 0, job = 0;
	int ret, rc;

	if (!(o = body_object(r, &ret)))
		return ret;
	name = has(o, "name") ? get_string(o, "name") : (cur ? cur->name : NULL);
	script = has(o, "build_script") ? get_string(o, "build_script")
					: (cur ? cur->build_script : NULL);
	if (!name || !valid_display_name(name)) {
		ret = api_error(r, 400, "name: expected 1..64 printable characters");
		goto out;
	}
	if (has(o, "build_script") && !script &&
	    !json_object_is_type(json_object_object_get(o, "build_script"), json_type_null)) {
		ret = api_error(r, 400, "build_script: expected a string or null");
		goto out;
	}
	if (cur)
		rc = db_overlay_update(web_db(r), id, name, script);
	else
		rc = db_overlay_create(web_db(r), r->user.id, name, script, &id);
	if (rc == DB_OK && script && script[0] && has(o, "build_script"))
		rc = ops_enqueue_build(r, id, &job);
	if (rc == DB_INVALID) {
		ret = api_error(r, 400, "build_script: too long or not text");
	} else if (rc != DB_OK) {
		ret = api_db_fail(r, rc);
	} else {
		struct overlay ov;
		json_object *j;

		rc = db_overlay_get(web_db(r), id, &ov);
		if (rc != DB_OK) {
			ret = api_db_fail(r, rc);
		} else {
			j = overlay_json(&ov);
			if (job)
				json_object_object_add(j, "build_job_id",
						       json_object_new_int64(job));
			ret = api_send(r, cur ? 200 : 201, j);
			overlay_fini(&ov);
		}
	}
out:
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
		return api_db_fail(r, rc);
	ret = api_send(r, 200, overlay_json(&o));
	overlay_fini(&o);
	return ret;
}

int api_overlay_put(struct req *r)
{
	struct overlay o;
	int rc = ops_overlay(r, r->cap[0], false, &o), ret;

	if (rc != DB_OK)
		return api_db_fail(r, rc);
	ret = overlay_write(r, &o);
	overlay_fini(&o);
	return ret;
}

int api_overlay_delete(struct req *r)
{
	struct overlay o;
	int rc = ops_overlay(r, r->cap[0], false, &o);

	if (rc != DB_OK)
		return api_db_fail(r, rc);
	rc = db_overlay_delete(web_db(r), o.id);
	overlay_fini(&o);
	if (rc == DB_INVALID)
		return api_error(r, 409, "a blueprint still uses this overlay");
	if (rc != DB_OK)
		return api_db_fail(r, rc);
	return api_send(r, 200, json_object_new_object());
}

int api_overlay_build(struct req *r)
{
	struct overlay o;
	int64_t job;
	int rc = ops_overlay(r, r->cap[0], false, &o);

	if (rc != DB_OK)
		return api_db_fail(r, rc);
	if (strcmp(o.kind, "script") != 0) {
		overlay_fini(&o);
		return api_error(r, 400, "this overlay has no build script");
	}
	rc = ops_enqueue_build(r, o.id, &job);
	overlay_fini(&o);
	if (rc != DB_OK)
		return api_db_fail(r, rc);
	return api_job_id(r, 202, job);
}

int api_overlay_file_put(struct req *r)
{
	struct overlay o;
	json_object *j;
	int rc = ops_overlay(r, r->cap[0], false, &o);

	if (rc != DB_OK)
		return api_db_fail(r, rc);
	if (!valid_overlay_path(r->cap[1])) {
		overlay_fini(&o);
		return api_error(r, 400, "path: not a valid overlay path");
	}
	if (!files_overlay_writable(&o)) {
		overlay_fini(&o);
		return api_error(r, 409, "global overlays take no uploads");
	}
	rc = files_write(r->w->cfg->state_dir, &o, r->cap[1], r->body.buf, r->body.len);
	overlay_fini(&o);
	if (rc < 0)
		return api_error(r, errno == EINVAL ? 400 : 409, "cannot write that path");
	(void)db_audit(web_db(r), r->user.id, r->user.name, "overlay_upload", r->cap[0], "");
	j = json_object_new_object();
	add_str(j, "path", r->cap[1]);
	json_object_object_add(j, "size", json_object_new_int64((int64_t)r->body.len));
	return api_send(r, 201, j);
}

int api_overlay_file_get(struct req *r)
{
	return page_overlay_file(r);
}

/* ---- global overlays --------------------------------------------------------------- */

int api_globals(struct req *r)
{
	struct global_source *src;
	json_object *a;
	size_t n, i, k;
	int rc = db_global_source_list(web_db(r), &src, &n);

	if (rc != DB_OK)
		return api_db_fail(r, rc);
	a = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *o = json_object_new_object(), *items = json_object_new_array();
		struct global_item *it;
		size_t ni;

		json_object_object_add(o, "id", json_object_new_int64(src[i].id));
		add_str(o, "name", src[i].name);
		add_str(o, "kind", src[i].kind);
		add_str(o, "url", src[i].url);
		json_object_object_add(o, "complete", json_object_new_boolean(src[i].complete));
		json_object_object_add(o, "items_expected",
				       json_object_new_int64(src[i].items_expected));
		json_object_object_add(o, "items_present",
				       json_object_new_int64(src[i].items_present));
		add_time(o, "last_refresh_at", src[i].last_refresh_at);
		add_time(o, "last_success_at", src[i].last_success_at);
		add_str(o, "last_error", src[i].last_error);
		json_object_object_add(o, "overlay_id",
				       src[i].overlay_id ? json_object_new_int64(src[i].overlay_id)
							 : NULL);
		if (db_global_item_list(web_db(r), src[i].id, &it, &ni) == DB_OK) {
			for (k = 0; k < ni; k++) {
				json_object *e = json_object_new_object();

				add_str(e, "name", it[k].name);
				add_str(e, "state", global_item_state_name(it[k].state));
				json_object_object_add(
				    e, "files", json_object_new_int64((int64_t)it[k].n_files));
				add_str(e, "error", it[k].error);
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
	int64_t job;
	int rc = ops_enqueue(r, JOB_REFRESH_GLOBAL_OVERLAYS, NULL, "refresh_global_overlays", &job);

	if (rc != DB_OK)
		return api_db_fail(r, rc);
	return api_job_id(r, 202, job);
}

int api_install_game(struct req *r)
{
	int64_t job;
	int rc = ops_enqueue(r, JOB_INSTALL_GAME, NULL, "install_game", &job);

	if (rc != DB_OK)
		return api_db_fail(r, rc);
	return api_job_id(r, 202, job);
}

/* ---- jobs ------------------------------------------------------------------------- */

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
		return api_db_fail(r, rc);
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
		return api_db_fail(r, rc);
	ret = api_send(r, 200, job_json(&j));
	job_fini(&j);
	return ret;
}

int api_job_log(struct req *r)
{
	const char *after = web_query(r, "after");
	int64_t after_id = 0;
	struct job_log_line *lines;
	struct job j;
	json_object *o, *a;
	size_t n, i;
	int rc = ops_job(r, r->cap[0], &j);

	if (rc != DB_OK)
		return api_db_fail(r, rc);
	if (after && strcmp(after, "0") != 0 && !valid_id(after, &after_id)) {
		job_fini(&j);
		return api_error(r, 400, "after: expected an id");
	}
	rc = db_job_log_read(web_db(r), j.id, after_id, 10000, &lines, &n);
	if (rc != DB_OK) {
		job_fini(&j);
		return api_db_fail(r, rc);
	}
	o = json_object_new_object();
	json_object_object_add(o, "job_id", json_object_new_int64(j.id));
	add_str(o, "state", job_state_name(j.state));
	a = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "id", json_object_new_int64(lines[i].id));
		json_object_object_add(e, "ts", json_object_new_int64(lines[i].ts));
		add_str(e, "stream", job_stream_name(lines[i].stream));
		add_str(e, "line", lines[i].line);
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "lines", a);
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
		return api_db_fail(r, rc);
	if (!last)
		last = web_query(r, "after");
	if (last && parse_int(last, 0, INT64_MAX, &after) < 0)
		after = 0;
	id = j.id;
	job_fini(&j);
	resp = hub_job_stream(r->w->hub, r->conn, id, after, &stream);
	return web_respond_stream(r, resp, stream);
}
