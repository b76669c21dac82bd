/* Reading the audit log (audit_log; db_audit() in db.h writes it): newest
 * first, filtered, one page at a time.  Pages are keyset pages on the id
 * (WHERE id < cursor), never OFFSET, so a page costs the same however long
 * the log has grown and rows appended meanwhile do not shift it. */
#ifndef LEFT4ME_DB_AUDIT_H
#define LEFT4ME_DB_AUDIT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define AUDIT_PAGE_MAX 500

struct audit_entry {
	int64_t id;
	int64_t at;	 /* Unix ms */
	int64_t user_id; /* 0: none (left4mectl, the system, a deleted user) */
	char *actor, *action, *object, *detail;
};

/* NULL or 0 leaves a filter out. */
struct audit_filter {
	const char *actor;  /* exact: a user name, "cli" or "system" */
	const char *action; /* exact */
	const char *object; /* exact */
	int64_t since;	    /* at >= since (Unix ms) */
	int64_t until;	    /* at < until */
	int64_t before;	    /* the cursor: id < before */
	int limit;	    /* 1..AUDIT_PAGE_MAX */
};

/* The newest matching rows, at most f->limit.  When *more (may be NULL)
 * is set there are older ones: the next page's cursor is the last row's
 * id. */
int db_audit_list(sqlite3 *db, const struct audit_filter *f, struct audit_entry **out, size_t *n,
		  int *more);
void audit_list_free(struct audit_entry *list, size_t n);

#endif
