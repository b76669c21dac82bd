/* The dashboard and the new-API-token page. (page_dashboard.c) */
#ifndef LEFT4ME_WEB_PAGE_DASHBOARD_H
#define LEFT4ME_WEB_PAGE_DASHBOARD_H

#include "web.h"

int page_dashboard(struct req *r);
int page_tokens_create(struct req *r);

#endif
