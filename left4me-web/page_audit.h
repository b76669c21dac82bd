/* The audit log page (admins): who did what, filtered by user, action,
 * object and time, paged by id. */
#ifndef LEFT4ME_WEB_PAGE_AUDIT_H
#define LEFT4ME_WEB_PAGE_AUDIT_H

#include "web.h"

int page_audit(struct req *r);

#endif
