/* /api/v1/blueprints: list, create, get, replace (PUT), delete. */
#include "api_blueprints.h"

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "db.h"
#include "ops.h"
#include "templates.h"

static json_object *blueprint_json(const struct blueprint *b, bool with_overlays)
{
	json_object *o = json_object_new_object(), *a;
	size_t i;

	json_object_object_add(o, "id", json_object_new_int64(b->id));
	api_add_str(o, "name", b->name);
	api_add_str(o, "config", b->config);
	api_launch_add(o, &(struct launch_settings){b->start_map, b->max_players, b->tickrate,
						    b->launch_args});
	if (with_overlays) {
		a = json_object_new_array();
		for (i = 0; i < b->n_overlays; i++) {
			json_object *e = json_object_new_object();

			json_object_object_add(e, "overlay_id",
					       json_object_new_int64(b->overlays[i].overlay_id));
			json_object_object_add(
			    e, "expose_server_cfg",
			    json_object_new_boolean(b->overlays[i].expose_server_cfg));
			api_add_str(e, "name", b->overlays[i].name);
			api_add_str(e, "kind", b->overlays[i].kind);
			json_object_array_add(a, e);
		}
		json_object_object_add(o, "overlays", a);
	}
	json_object_object_add(o, "servers", json_object_new_int64(b->n_servers));
	api_add_time(o, "created_at", b->created_at);
	api_add_time(o, "updated_at", b->updated_at);
	return o;
}

int api_blueprints_list(struct req *r)
{
	struct blueprint *list;
	json_object *a;
	size_t n, i;
	int rc = db_blueprint_list(web_db(r), r->user.id, &list, &n);

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
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
		    !api_get_int(e, "overlay_id", 1, INT64_MAX, &id))
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

/* Create (cur NULL) or update cur from the body: what the body leaves
 * out stays (a new blueprint: the starter server.cfg, no overlays, the
 * default launch settings). */
static int blueprint_write(struct req *r, struct blueprint *cur)
{
	static const struct launch_settings defaults = {LAUNCH_MAP_DEFAULT,
							LAUNCH_MAX_PLAYERS_DEFAULT, 0, ""};
	struct blueprint_overlay ov[BLUEPRINT_OVERLAYS_MAX];
	const char *name, *config, *why;
	struct ops_launch ls;
	struct ops_error err;
	struct blueprint b;
	char *joined = NULL;
	size_t n = 0;
	json_object *o;
	int64_t id;
	int ret, rc;

	if (!(o = api_body_object(r, &ret)))
		return ret;
	name = api_has(o, "name") ? api_get_string(o, "name") : (cur ? cur->name : NULL);
	config = api_has(o, "config") ? api_get_string(o, "config")
				      : (cur ? cur->config : template_server_cfg);
	why = api_launch_read(o,
			      cur ? &(struct launch_settings){cur->start_map, cur->max_players,
							      cur->tickrate, cur->launch_args}
				  : &defaults,
			      false, &ls, &joined);
	if (!config)
		ret = api_error(r, 400, "config: expected a string");
	else if (why)
		ret = api_error(r, 400, why);
	else if (parse_overlays(o, ov, &n) < 0)
		ret = api_error(r, 400, "overlays: expected [{overlay_id, expose_server_cfg}]");
	else if (ops_blueprint_save(r, cur, name, config, &ls, ov, n,
				    !cur || api_has(o, "overlays"), &id, &err) < 0)
		ret = ops_fail(r, &err);
	else if ((rc = db_blueprint_get(web_db(r), id, &b)) != DB_OK)
		ret = ops_db_fail(r, rc);
	else {
		ret = api_send(r, cur ? 200 : 201, blueprint_json(&b, true));
		blueprint_fini(&b);
	}
	free(joined);
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
		return ops_db_fail(r, rc);
	ret = api_send(r, 200, blueprint_json(&b, true));
	blueprint_fini(&b);
	return ret;
}

int api_blueprint_put(struct req *r)
{
	struct blueprint b;
	int rc = ops_blueprint(r, r->cap[0], &b), ret;

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	ret = blueprint_write(r, &b);
	blueprint_fini(&b);
	return ret;
}

int api_blueprint_delete(struct req *r)
{
	struct ops_error err;

	if (ops_blueprint_delete(r, r->cap[0], &err) < 0)
		return ops_fail(r, &err);
	return api_send(r, 200, json_object_new_object());
}
