/* Static assets, health check, metrics. (page_status.c) */
#ifndef LEFT4ME_WEB_PAGE_STATUS_H
#define LEFT4ME_WEB_PAGE_STATUS_H

#include "web.h"

int page_static(struct req *r);
int page_healthz(struct req *r);
int page_metrics(struct req *r);

#endif
