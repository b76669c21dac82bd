/* Jobs: the list and one job. (page_jobs.c) */
#ifndef LEFT4ME_WEB_PAGE_JOBS_H
#define LEFT4ME_WEB_PAGE_JOBS_H

#include "web.h"

int page_jobs(struct req *r);
int page_job(struct req *r);

int page_export_download(struct req *r);

#endif
