/* The API of a user's own API tokens (api_tokens.h). */
#include "api_tokens.h"

#include "api.h"
#include "db.h"
#include "db_user.h"
#include "ops.h"

int api_tokens_list(struct req *r)
{
	struct api_token *list;
	json_object *o, *a;
	size_t n, i;
	int rc;

	rc = db_token_list(web_db(r), r->user.id, &list, &n);
	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	a = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *x = json_object_new_object();

		json_object_object_add(x, "id", json_object_new_int64(list[i].id));
		api_add_str(x, "label", list[i].label);
		api_add_time(x, "created_at", list[i].created_at);
		api_add_time(x, "last_used_at", list[i].last_used_at);
		json_object_object_add(
		    x, "current",
		    json_object_new_boolean(r->via_token && r->token_id == list[i].id));
		json_object_array_add(a, x);
	}
	api_token_list_free(list, n);
	o = json_object_new_object();
	json_object_object_add(o, "tokens", a);
	return api_send(r, 200, o);
}

int api_token_revoke(struct req *r)
{
	struct ops_error err;

	if (ops_token_revoke(r, r->cap[0], &err) < 0)
		return ops_fail(r, &err);
	return api_send(r, 200, json_object_new_object());
}
