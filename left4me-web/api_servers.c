/* /api/v1/servers: list, create, get, actions (jobs), the console's SSE
 * stream and its commands; the live state's SSE stream. */
#include "api_servers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "db.h"
#include "db_status.h"
#include "hub.h"
#include "ops.h"
#include "parse.h"

static void own_launch(const struct server *s, struct launch_settings *own)
{
	*own = (struct launch_settings){s->start_map, s->max_players, s->tickrate, s->launch_args};
}

/* The server's own launch settings (null: the blueprint's) and, under
 * "effective", what its next start uses. */
static void server_launch_json(json_object *o, const struct server *s)
{
	const struct launch_settings bp = {s->bp_start_map, s->bp_max_players, s->bp_tickrate,
					   s->bp_launch_args};
	struct launch_settings own, eff;
	json_object *e = json_object_new_object();

	own_launch(s, &own);
	api_launch_add(o, &own);
	launch_effective(&own, &bp, &eff);
	api_launch_add(e, &eff);
	json_object_object_add(o, "effective", e);
}

static json_object *server_json(const struct server *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(s->id));
	api_add_str(o, "name", s->name);
	api_add_str(o, "state", server_state_name(s->state));
	api_add_str(o, "state_reason", s->state_reason);
	json_object_object_add(o, "port", json_object_new_int(s->port));
	json_object_object_add(o, "blueprint_id", json_object_new_int64(s->blueprint_id));
	api_add_str(o, "blueprint", s->blueprint_name);
	json_object_object_add(o, "last_job_id",
			       s->last_job_id ? json_object_new_int64(s->last_job_id) : NULL);
	api_add_time(o, "created_at", s->created_at);
	api_add_time(o, "updated_at", s->updated_at);
	server_launch_json(o, s);
	return o;
}

int api_servers_list(struct req *r)
{
	struct server *list;
	json_object *a;
	size_t n, i;
	int rc = db_server_list(web_db(r), r->user.id, &list, &n);

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	a = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(a, server_json(&list[i]));
	server_list_free(list, n);
	return api_send(r, 200, a);
}

int api_servers_create(struct req *r)
{
	static const struct launch_settings inherit;
	struct ops_launch ls;
	struct ops_error err;
	int64_t bp, port;
	struct server s;
	json_object *o;
	char *joined;
	const char *why;
	int ret, rc;

	if (!(o = api_body_object(r, &ret)))
		return ret;
	/* A missing or mistyped number is 0, which ops refuses by its rule. */
	if (!api_get_int(o, "blueprint_id", 1, INT64_MAX, &bp))
		bp = 0;
	if (!api_get_int(o, "port", 0, 65535, &port))
		port = 0;
	if ((why = api_launch_read(o, &inherit, true, &ls, &joined)))
		ret = api_error(r, 400, why);
	else if (ops_server_create(r, api_get_string(o, "name"), bp, port, &ls, &err) < 0)
		ret = ops_fail(r, &err);
	else if ((rc = db_server_get(web_db(r), api_get_string(o, "name"), &s)) != DB_OK)
		ret = ops_db_fail(r, rc);
	else {
		ret = api_send(r, 201, server_json(&s));
		server_fini(&s);
	}
	free(joined);
	json_object_put(o);
	return ret;
}

/* PUT /api/v1/servers/NAME: the server's launch settings; what the body
 * leaves out stays, null inherits the blueprint's.  Name, port and
 * blueprint do not change.  The settings apply at the next start. */
int api_server_put(struct req *r)
{
	struct launch_settings own;
	struct ops_launch ls;
	struct ops_error err;
	struct server s, now;
	const char *why;
	char *joined = NULL;
	json_object *o;
	int rc = ops_server(r, r->cap[0], &s), ret;

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	if (!(o = api_body_object(r, &ret))) {
		server_fini(&s);
		return ret;
	}
	own_launch(&s, &own);
	if ((why = api_launch_read(o, &own, true, &ls, &joined)))
		ret = api_error(r, 400, why);
	else if (ops_server_launch(r, s.name, &ls, &err) < 0)
		ret = ops_fail(r, &err);
	else if ((rc = db_server_get(web_db(r), s.name, &now)) != DB_OK)
		ret = ops_db_fail(r, rc);
	else {
		ret = api_send(r, 200, server_json(&now));
		server_fini(&now);
	}
	free(joined);
	json_object_put(o);
	server_fini(&s);
	return ret;
}

static json_object *opt_int(bool has, int64_t v)
{
	return has ? json_object_new_int64(v) : NULL;
}

/* What left4me-status last wrote (db_status.h): null until it has. */
static json_object *live_json(sqlite3 *db, const char *name)
{
	struct server_status st;
	struct status_player *pl;
	json_object *o, *a;
	size_t n;

	if (db_status_get(db, name, &st) != DB_OK)
		return NULL;
	o = json_object_new_object();
	api_add_str(o, "state", live_state_name(st.live_state));
	json_object_object_add(o, "restarts", json_object_new_int64(st.restarts));
	json_object_object_add(o, "exit_code", opt_int(st.has_exit_code, st.exit_code));
	json_object_object_add(o, "exit_signal", opt_int(st.has_exit_signal, st.exit_signal));
	json_object_object_add(o, "cpu_nsec", opt_int(st.has_cpu, (int64_t)st.cpu_nsec));
	json_object_object_add(o, "memory_bytes", opt_int(st.has_memory, (int64_t)st.memory_bytes));
	json_object_object_add(o, "tasks", opt_int(st.has_tasks, (int64_t)st.tasks));
	api_add_str(o, "map", st.has_a2s ? st.map : NULL);
	json_object_object_add(o, "players", opt_int(st.has_a2s, st.players));
	json_object_object_add(o, "bots", opt_int(st.has_a2s, st.bots));
	json_object_object_add(o, "max_players", opt_int(st.has_a2s, st.max_players));
	api_add_str(o, "a2s_error", st.a2s_error[0] ? st.a2s_error : NULL);
	api_add_time(o, "updated_at", st.updated_at);
	a = json_object_new_array();
	if (db_status_players(db, name, &pl, &n) == DB_OK) {
		for (size_t i = 0; i < n; i++) {
			json_object *p = json_object_new_object();

			api_add_str(p, "name", pl[i].name);
			json_object_object_add(p, "score", json_object_new_int(pl[i].score));
			json_object_object_add(p, "seconds", json_object_new_int(pl[i].seconds));
			json_object_array_add(a, p);
		}
		free(pl);
	}
	json_object_object_add(o, "player_list", a);
	return o;
}

int api_server_get(struct req *r)
{
	char addr[OPS_CONNECT_MAX], buf[OPS_CONNECT_MAX + 32];
	json_object *o, *c;
	struct server s;
	int rc = ops_server(r, r->cap[0], &s), ret;

	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	o = server_json(&s);
	/* How players join (the RCON state comes with live state, issue 14). */
	ops_connect_address(r, s.port, addr, sizeof(addr));
	c = json_object_new_object();
	api_add_str(c, "address", addr);
	snprintf(buf, sizeof(buf), "connect %s", addr);
	api_add_str(c, "command", buf);
	snprintf(buf, sizeof(buf), "steam://connect/%s", addr);
	api_add_str(c, "steam_url", buf);
	json_object_object_add(o, "connect", c);
	json_object_object_add(o, "live", live_json(web_db(r), s.name));
	ret = api_send(r, 200, o);
	server_fini(&s);
	return ret;
}

static int server_enqueue(struct req *r, enum job_kind kind)
{
	struct ops_error err;
	int64_t job;

	if (ops_server_enqueue(r, r->cap[0], kind, &job, &err) < 0)
		return ops_fail(r, &err);
	return api_job_accepted(r, 202, job);
}

/* DELETE /api/v1/servers/NAME?confirm=NAME: one request, but it must
 * name the server again, so that a stray id alone deletes nothing. */
int api_server_delete(struct req *r)
{
	struct ops_error err;
	int64_t job;

	if (ops_server_delete(r, r->cap[0], web_query(r, "confirm"), &job, &err) < 0)
		return ops_fail(r, &err);
	return api_job_accepted(r, 202, job);
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
		return ops_db_fail(r, rc);
	if (!last)
		last = web_query(r, "after");
	if (last && parse_int(last, 0, INT64_MAX, &after) < 0)
		after = 0;
	resp = hub_console_stream(r->w->hub, r->conn, s.id, s.name, s.created_at, after, &stream);
	server_fini(&s);
	return web_respond_stream(r, resp, stream);
}

/* GET /api/v1/status/events: the live state of the servers the user may
 * see (an admin: every user's) as an SSE stream (hub_status_stream). */
int api_status_events(struct req *r)
{
	struct sse_stream *stream;
	struct MHD_Response *resp =
	    hub_status_stream(r->w->hub, r->conn, r->user.admin ? 0 : r->user.id, &stream);

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
		return ops_db_fail(r, rc);
	if (!(o = api_body_object(r, &ret))) {
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

/* The answer of GET .../rcon and POST .../rcon/rotate: the password, the
 * TCP address external tools (HLSW, SourceBans) connect to (srcds serves
 * RCON on its game port), and when it takes effect. */
static int rcon_send(struct req *r, const struct server *s, const struct rcon_row *rc, bool rotated)
{
	char addr[OPS_CONNECT_MAX];
	json_object *o = json_object_new_object();

	ops_connect_address(r, s->port, addr, sizeof(addr));
	api_add_str(o, "server", s->name);
	api_add_str(o, "password", rc->password);
	api_add_str(o, "address", addr);
	json_object_object_add(o, "port", json_object_new_int(s->port));
	api_add_time(o, "rotated_at", rc->rotated_at);
	api_add_str(o, "note",
		    rotated ? "a new password: a running server keeps the old one until its next "
			      "start"
			    : "the password the server gets at its next start (a running server "
			      "rotated since its start still has the one it started with)");
	return api_send(r, 200, o);
}

/* GET /api/v1/servers/NAME/rcon: the owner's or an admin's. */
int api_server_rcon(struct req *r)
{
	struct ops_error err;
	struct rcon_row rc;
	struct server s;
	int ret;

	if (ops_rcon_get(r, r->cap[0], &s, &rc, &err) < 0)
		return ops_fail(r, &err);
	ret = rcon_send(r, &s, &rc, false);
	explicit_bzero(&rc, sizeof(rc));
	server_fini(&s);
	return ret;
}

/* POST /api/v1/servers/NAME/rcon/rotate: a new password, audited. */
int api_server_rcon_rotate(struct req *r)
{
	struct ops_error err;
	struct rcon_row rc;
	struct server s;
	int ret;

	if (ops_rcon_rotate(r, r->cap[0], &s, &rc, &err) < 0)
		return ops_fail(r, &err);
	ret = rcon_send(r, &s, &rc, true);
	explicit_bzero(&rc, sizeof(rc));
	server_fini(&s);
	return ret;
}
