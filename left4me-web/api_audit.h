/* GET /api/v1/audit (admins): the audit log, filtered and paged. */
#ifndef LEFT4ME_WEB_API_AUDIT_H
#define LEFT4ME_WEB_API_AUDIT_H

#include "web.h"

int api_audit(struct req *r);

#endif
