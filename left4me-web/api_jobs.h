/* /api/v1/jobs and the game install. (api_jobs.c) */
#ifndef LEFT4ME_WEB_API_JOBS_H
#define LEFT4ME_WEB_API_JOBS_H

#include "web.h"

int api_jobs_list(struct req *r);
int api_job_get(struct req *r);
int api_job_log(struct req *r);
int api_job_events(struct req *r);
int api_install_game(struct req *r);
/* GET /api/v1/game: the installed builds, which servers run which, the
 * newest build Steam offers and whether an update is available. */
int api_game(struct req *r);

/* Backups (admins) and exports (issue 16; ops.h). */
int api_backups_list(struct req *r);
int api_backup_create(struct req *r);
int api_backup_export(struct req *r);
int api_backup_download(struct req *r);
int api_export_get(struct req *r);
int api_server_export(struct req *r);
int api_server_export_get(struct req *r);

#endif
