/* GET /api/v1/audit?user=&action=&object=&since=&until=&before=&limit=:
 * {"entries": [...newest first], "next_before": ID or null}; pass
 * next_before as before for the next (older) page. */
#include "api_audit.h"

#include "api.h"
#include "db.h"
#include "ops.h"

int api_audit(struct req *r)
{
	struct audit_filter f;
	struct audit_entry *e;
	struct ops_error err;
	json_object *o, *a;
	size_t n, i;
	int more, rc;

	if (ops_audit_filter(r, &f, &err) < 0)
		return ops_fail(r, &err);
	rc = db_audit_list(web_db(r), &f, &e, &n, &more);
	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	a = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *x = json_object_new_object();

		json_object_object_add(x, "id", json_object_new_int64(e[i].id));
		api_add_time(x, "at", e[i].at);
		api_add_str(x, "user", e[i].actor);
		json_object_object_add(x, "user_id",
				       e[i].user_id ? json_object_new_int64(e[i].user_id) : NULL);
		api_add_str(x, "action", e[i].action);
		api_add_str(x, "object", e[i].object);
		api_add_str(x, "detail", e[i].detail);
		json_object_array_add(a, x);
	}
	o = json_object_new_object();
	json_object_object_add(o, "entries", a);
	json_object_object_add(o, "next_before",
			       more && n > 0 ? json_object_new_int64(e[n - 1].id) : NULL);
	audit_list_free(e, n);
	return api_send(r, 200, o);
}
