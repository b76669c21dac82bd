/* The renderer kit of the JSON API v1 (api.c): answering with JSON and
 * reading a request's JSON object with json-c.  Errors are
 * {"error": "..."}. */
#ifndef LEFT4ME_WEB_API_H
#define LEFT4ME_WEB_API_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "ops.h"
#include "web.h"

/* Answer with o (its reference is taken) and status. */
int api_send(struct req *r, unsigned status, json_object *o);
/* {"error": msg} with status: the error renderer of API routes. */
int api_error(struct req *r, unsigned status, const char *msg);
/* {"job_id": job} with status (202: the job is queued). */
int api_job_accepted(struct req *r, unsigned status, int64_t job);
/* The body as a JSON object (put it when done), or NULL after answering
 * 400 with the MHD result in *ret. */
json_object *api_body_object(struct req *r, int *ret);
/* o's string member key, or NULL if absent or not a string. */
const char *api_get_string(json_object *o, const char *key);
/* true if o has the member key, whatever its value. */
bool api_has(json_object *o, const char *key);
/* o's integer member key into *out if min <= it <= max. */
bool api_get_int(json_object *o, const char *key, int64_t min, int64_t max, int64_t *out);
/* Add k: v (a string; null for NULL) and k: ms (a number; null for 0). */
void api_add_str(json_object *o, const char *k, const char *v);
void api_add_time(json_object *o, const char *k, int64_t ms);

/* Launch settings (start_map, max_players, tickrate, launch_args) of o
 * into *ls, cur's where o leaves a member out.  launch_args is an array of
 * strings ("-nohltv", "+sv_pure 2"), joined with spaces into *joined (the
 * caller frees it).  A server's null means "the blueprint's", a
 * blueprint's tickrate null none.  NULL, or the message of a 400 that
 * names the member. */
const char *api_launch_read(json_object *o, const struct launch_settings *cur, bool server,
			    struct ops_launch *ls, char **joined);
/* Add the four members of ls (NULL / 0 as null); launch_args as an array
 * with each option and its value in one string. */
void api_launch_add(json_object *o, const struct launch_settings *ls);

#endif
