/* Every route handler, by file. */
#ifndef LEFT4ME_WEB_HANDLERS_H
#define LEFT4ME_WEB_HANDLERS_H

#include <stddef.h>

#include "web.h"

/* pages.c */
int page_dashboard(struct req *r);
int page_servers(struct req *r);
int page_server_create(struct req *r);
int page_server(struct req *r);
int page_server_action(struct req *r);
int page_console(struct req *r);
int page_console_send(struct req *r);
int page_blueprints(struct req *r);
int page_blueprint_create(struct req *r);
int page_blueprint(struct req *r);
int page_blueprint_save(struct req *r);
int page_blueprint_delete(struct req *r);
int page_overlays(struct req *r);
int page_overlay_create(struct req *r);
int page_overlay(struct req *r);
int page_overlay_save(struct req *r);
int page_overlay_build(struct req *r);
int page_overlay_delete(struct req *r);
int page_overlay_file(struct req *r);
int page_overlay_upload(struct req *r);
int page_overlay_delete_file(struct req *r);
int page_globals(struct req *r);
int page_globals_refresh(struct req *r);
int page_jobs(struct req *r);
int page_job(struct req *r);
int page_admin(struct req *r);
int page_admin_install(struct req *r);
int page_admin_user_add(struct req *r);
int page_admin_user_action(struct req *r);
int page_tokens_create(struct req *r);
int page_static(struct req *r);
int page_healthz(struct req *r);
int page_metrics(struct req *r);

/* api.c */
int api_error(struct req *r, unsigned status, const char *msg);
int api_servers_list(struct req *r);
int api_servers_create(struct req *r);
int api_server_get(struct req *r);
int api_server_delete(struct req *r);
int api_server_action(struct req *r);
int api_blueprints_list(struct req *r);
int api_blueprints_create(struct req *r);
int api_blueprint_get(struct req *r);
int api_blueprint_put(struct req *r);
int api_blueprint_delete(struct req *r);
int api_overlays_list(struct req *r);
int api_overlays_create(struct req *r);
int api_overlay_get(struct req *r);
int api_overlay_put(struct req *r);
int api_overlay_delete(struct req *r);
int api_overlay_build(struct req *r);
int api_overlay_file_put(struct req *r);
int api_overlay_file_get(struct req *r);
int api_globals(struct req *r);
int api_globals_refresh(struct req *r);
int api_jobs_list(struct req *r);
int api_job_get(struct req *r);
int api_job_log(struct req *r);
int api_job_events(struct req *r);
int api_console(struct req *r);
int api_console_send(struct req *r);
int api_install_game(struct req *r);

#endif
