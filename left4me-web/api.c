/* The renderer kit of the JSON API v1 (api_*.c) with json-c: answering
 * with a JSON value or {"error": "..."}, reading a request's JSON object.
 * The API's rules are the pages' (ops.h): another user's object is 404. */
#include "api.h"

#include <errno.h>
#include <string.h>

#include "validate.h"

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
