/* Reading audit_log; see db_audit.h. */
#include "db_audit.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "xalloc.h"

int db_audit_list(sqlite3 *db, const struct audit_filter *f, struct audit_entry **out, size_t *n,
		  int *more)
{
	static const char sql[] =
	    "SELECT id, at, coalesce(user_id, 0), actor, action, object, detail "
	    "FROM audit_log WHERE (?1 IS NULL OR actor = ?1) "
	    "AND (?2 IS NULL OR action = ?2) AND (?3 IS NULL OR object = ?3) "
	    "AND (?4 IS NULL OR at >= ?4) AND (?5 IS NULL OR at < ?5) "
	    "AND (?6 IS NULL OR id < ?6) ORDER BY id DESC LIMIT ?7";
	sqlite3_stmt *st = db_prepare(db, sql);
	struct audit_entry *list;
	int limit = f->limit < 1 || f->limit > AUDIT_PAGE_MAX ? AUDIT_PAGE_MAX : f->limit;
	size_t count = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (more)
		*more = 0;
	if (!st)
		return DB_ERROR;
	db_bind_text_or_null(st, 1, f->actor);
	db_bind_text_or_null(st, 2, f->action);
	db_bind_text_or_null(st, 3, f->object);
	if (f->since)
		sqlite3_bind_int64(st, 4, f->since);
	if (f->until)
		sqlite3_bind_int64(st, 5, f->until);
	if (f->before)
		sqlite3_bind_int64(st, 6, f->before);
	sqlite3_bind_int(st, 7, limit + 1); /* one more: is there another page? */
	list = xcalloc((size_t)limit, sizeof(*list));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct audit_entry *e = &list[count];

		if (count == (size_t)limit) {
			if (more)
				*more = 1;
			continue;
		}
		e->id = sqlite3_column_int64(st, 0);
		e->at = sqlite3_column_int64(st, 1);
		e->user_id = sqlite3_column_int64(st, 2);
		e->actor = db_column_strdup(st, 3);
		e->action = db_column_strdup(st, 4);
		e->object = db_column_strdup(st, 5);
		e->detail = db_column_strdup(st, 6);
		count++;
	}
	rc = db_rc_from(db, rc, "audit list");
	sqlite3_finalize(st);
	if (rc != DB_OK) {
		audit_list_free(list, count);
		return rc;
	}
	*out = list;
	*n = count;
	return DB_OK;
}

void audit_list_free(struct audit_entry *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(list[i].actor);
		free(list[i].action);
		free(list[i].object);
		free(list[i].detail);
	}
	free(list);
}
