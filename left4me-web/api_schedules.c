/* The schedules API; see api_schedules.h. */
#include "api_schedules.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "db.h"
#include "ops.h"
#include "validate.h"

static json_object *schedule_json(const struct schedule *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(c->id));
	api_add_str(o, "server", c->server);
	api_add_str(o, "action", sched_action_name(c->action));
	api_add_str(o, "cron", c->cron);
	api_add_str(o, "command", c->action == SCHED_COMMAND ? c->command : NULL);
	json_object_object_add(o, "only_when_empty", json_object_new_boolean(c->only_when_empty));
	json_object_object_add(o, "wait_minutes", json_object_new_int(c->wait_minutes));
	api_add_str(o, "on_timeout", c->force_on_timeout ? "force" : "skip");
	json_object_object_add(o, "enabled", json_object_new_boolean(c->enabled));
	api_add_time(o, "next_run", c->next_run * 1000);
	api_add_time(o, "waiting_since", c->waiting_since * 1000);
	api_add_time(o, "last_run", c->last_run * 1000);
	api_add_str(o, "last_result", c->last_result[0] ? c->last_result : NULL);
	json_object_object_add(o, "last_job_id",
			       c->last_job_id ? json_object_new_int64(c->last_job_id) : NULL);
	return o;
}

/* The server of the path (the requester's), or an answer in *ret. */
static bool own_server(struct req *r, struct server *s, int *ret)
{
	int rc = ops_server(r, r->cap[0], s);

	if (rc != DB_OK)
		*ret = ops_db_fail(r, rc);
	return rc == DB_OK;
}

static bool own_schedule(struct req *r, const struct server *s, struct schedule *c, int *ret)
{
	int64_t id;
	int rc = valid_id(r->cap[1], &id) ? db_schedule_get(web_db(r), s->id, id, c) : DB_NOTFOUND;

	if (rc != DB_OK)
		*ret = ops_db_fail(r, rc);
	return rc == DB_OK;
}

int api_schedules_list(struct req *r)
{
	struct schedule *list;
	struct server s;
	json_object *a;
	size_t n;
	int ret, rc;

	if (!own_server(r, &s, &ret))
		return ret;
	rc = db_schedule_list(web_db(r), s.id, &list, &n);
	server_fini(&s);
	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	a = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, schedule_json(&list[i]));
	free(list);
	return api_send(r, 200, a);
}

/* Read o's fields over in (a PUT keeps what it does not name).  false
 * with *field when a field has the wrong type. */
static bool read_input(json_object *o, struct schedule_input *in, const char **field)
{
	static const char *const strs[] = {"action", "cron", "command", "on_timeout"};
	const char **dst[] = {&in->action, &in->cron, &in->command, &in->on_timeout};
	json_object *v;
	int64_t wait;

	for (size_t i = 0; i < 4; i++) {
		if (!json_object_object_get_ex(o, strs[i], &v))
			continue;
		if (v && !json_object_is_type(v, json_type_string)) {
			*field = strs[i];
			return false;
		}
		*dst[i] = v ? json_object_get_string(v) : NULL;
	}
	if (json_object_object_get_ex(o, "only_when_empty", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			return (*field = "only_when_empty", false);
		in->only_when_empty = json_object_get_boolean(v);
	}
	if (json_object_object_get_ex(o, "enabled", &v)) {
		if (!json_object_is_type(v, json_type_boolean))
			return (*field = "enabled", false);
		in->enabled = json_object_get_boolean(v);
	}
	if (api_has(o, "wait_minutes")) {
		if (!api_get_int(o, "wait_minutes", INT32_MIN, INT32_MAX, &wait))
			return (*field = "wait_minutes", false);
		in->wait_minutes = wait;
	}
	return true;
}

static int field_error(struct req *r, unsigned status, const char *field, const char *msg)
{
	json_object *o = json_object_new_object();

	api_add_str(o, "error", msg);
	api_add_str(o, "field", field);
	return api_send(r, status, o);
}

/* POST (cur NULL) and PUT. */
static int save(struct req *r, const struct server *s, const struct schedule *cur)
{
	struct schedule_input in = {.enabled = true};
	const char *field = NULL;
	struct schedule c;
	char msg[512], bad[64];
	json_object *o;
	unsigned status;
	int64_t id = 0;
	int ret;

	if (cur)
		ops_schedule_input(cur, &in);
	if (!(o = api_body_object(r, &ret)))
		return ret;
	if (!read_input(o, &in, &field)) {
		snprintf(bad, sizeof(bad), "%s: wrong type", field);
		ret = field_error(r, 400, field, bad);
	} else if ((status = ops_schedule_save(r, s, cur, &in, &id, &field, msg, sizeof(msg))) >=
		   300) {
		ret = field ? field_error(r, status, field, msg) : api_error(r, status, msg);
	} else if (db_schedule_get(web_db(r), s->id, id, &c) != DB_OK) {
		ret = api_error(r, 500, "the schedule was saved but cannot be read back");
	} else {
		ret = api_send(r, status, schedule_json(&c));
	}
	json_object_put(o);
	return ret;
}

int api_schedule_create(struct req *r)
{
	struct server s;
	int ret;

	if (!own_server(r, &s, &ret))
		return ret;
	ret = save(r, &s, NULL);
	server_fini(&s);
	return ret;
}

int api_schedule_get(struct req *r)
{
	struct schedule c;
	struct server s;
	int ret;

	if (!own_server(r, &s, &ret))
		return ret;
	if (own_schedule(r, &s, &c, &ret))
		ret = api_send(r, 200, schedule_json(&c));
	server_fini(&s);
	return ret;
}

int api_schedule_update(struct req *r)
{
	struct schedule c;
	struct server s;
	int ret;

	if (!own_server(r, &s, &ret))
		return ret;
	if (own_schedule(r, &s, &c, &ret))
		ret = save(r, &s, &c);
	server_fini(&s);
	return ret;
}

int api_schedule_delete(struct req *r)
{
	struct ops_error err;
	struct schedule c;
	struct server s;
	int ret;

	if (!own_server(r, &s, &ret))
		return ret;
	if (own_schedule(r, &s, &c, &ret)) {
		if (ops_schedule_delete(r, &s, c.id, &err) < 0)
			ret = ops_fail(r, &err);
		else
			ret = api_send(r, 200, json_object_new_object());
	}
	server_fini(&s);
	return ret;
}
