/* The renderer kit of the JSON API v1 (api_*.c) with json-c: answering
 * with a JSON value or {"error": "..."}, reading a request's JSON object.
 * The API's rules are the pages' (ops.h): another user's object is 404. */
#include "api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "launch_args.h"
#include "validate.h"
#include "xalloc.h"

int api_send(struct req *r, unsigned status, json_object *o)
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

int api_job_accepted(struct req *r, unsigned status, int64_t job)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "job_id", json_object_new_int64(job));
	return api_send(r, status, o);
}

/* The body as a JSON object, or NULL after answering 400. */
json_object *api_body_object(struct req *r, int *ret)
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

const char *api_get_string(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

bool api_has(json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

bool api_get_int(json_object *o, const char *key, int64_t min, int64_t max, int64_t *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	errno = 0;
	*out = json_object_get_int64(v);
	return errno == 0 && *out >= min && *out <= max;
}

void api_add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

void api_add_time(json_object *o, const char *k, int64_t ms)
{
	json_object_object_add(o, k, ms ? json_object_new_int64(ms) : NULL);
}

static const char *read_args(json_object *v, bool server, struct ops_launch *ls, char **joined)
{
	struct strbuf sb;
	size_t len;

	if (server && json_object_is_type(v, json_type_null)) {
		ls->launch_args = NULL;
		return NULL;
	}
	if (!json_object_is_type(v, json_type_array))
		return "launch_args: expected an array of strings";
	len = json_object_array_length(v);
	strbuf_init(&sb);
	for (size_t i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(v, i);

		if (!json_object_is_type(e, json_type_string) ||
		    strlen(json_object_get_string(e)) != (size_t)json_object_get_string_len(e)) {
			strbuf_fini(&sb);
			return "launch_args: expected an array of strings";
		}
		strbuf_printf(&sb, "%s%s", i ? " " : "", json_object_get_string(e));
	}
	*joined = strbuf_detach(&sb);
	strbuf_fini(&sb);
	ls->launch_args = *joined;
	return NULL;
}

const char *api_launch_read(json_object *o, const struct launch_settings *cur, bool server,
			    struct ops_launch *ls, char **joined)
{
	json_object *v;
	int64_t n;

	*joined = NULL;
	ls->start_map = cur->start_map;
	ls->max_players = cur->max_players;
	ls->tickrate = cur->tickrate;
	ls->launch_args = cur->launch_args;
	if (json_object_object_get_ex(o, "start_map", &v)) {
		if (server && json_object_is_type(v, json_type_null))
			ls->start_map = NULL;
		else if (!json_object_is_type(v, json_type_string))
			return "start_map: expected a map name";
		else
			ls->start_map = json_object_get_string(v);
	}
	if (json_object_object_get_ex(o, "max_players", &v)) {
		if (server && json_object_is_type(v, json_type_null))
			ls->max_players = 0;
		else if (!api_get_int(o, "max_players", 1, 32, &n))
			return "max_players: a number from 1 to 32";
		else
			ls->max_players = n;
	}
	if (json_object_object_get_ex(o, "tickrate", &v)) {
		if (json_object_is_type(v, json_type_null))
			ls->tickrate = 0;
		else if (!api_get_int(o, "tickrate", 30, 128, &n))
			return "tickrate: a number from 30 to 128 (or null)";
		else
			ls->tickrate = n;
	}
	if (json_object_object_get_ex(o, "launch_args", &v))
		return read_args(v, server, ls, joined);
	return NULL;
}

void api_launch_add(json_object *o, const struct launch_settings *ls)
{
	char **argv, err[512];
	size_t argc;
	json_object *a = NULL;

	api_add_str(o, "start_map", ls->start_map);
	json_object_object_add(o, "max_players",
			       ls->max_players ? json_object_new_int(ls->max_players) : NULL);
	json_object_object_add(o, "tickrate",
			       ls->tickrate ? json_object_new_int(ls->tickrate) : NULL);
	if (ls->launch_args &&
	    launch_args_split(ls->launch_args, &argv, &argc, err, sizeof(err)) == 0) {
		a = json_object_new_array();
		for (size_t i = 0; i < argc; i++) {
			const struct launch_opt *opt = launch_opt_find(argv[i]);

			if (opt && opt->value && i + 1 < argc) {
				char *both = xasprintf("%s %s", argv[i], argv[i + 1]);

				json_object_array_add(a, json_object_new_string(both));
				free(both);
				i++;
			} else {
				json_object_array_add(a, json_object_new_string(argv[i]));
			}
		}
		launch_args_free(argv);
	}
	json_object_object_add(o, "launch_args", a);
}
