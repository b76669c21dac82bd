/* Servers: list, create, one server, its actions and its console. (page_servers.c) */
#ifndef LEFT4ME_WEB_PAGE_SERVERS_H
#define LEFT4ME_WEB_PAGE_SERVERS_H

#include "web.h"

int page_servers(struct req *r);
int page_server_create(struct req *r);
int page_server(struct req *r);
int page_server_settings(struct req *r);
int page_server_action(struct req *r);
/* The server page's schedules: create (a refusal shows the page again
 * with the bad field marked), and enable, disable, delete. */
int page_schedule_create(struct req *r);
int page_schedule_action(struct req *r);
int page_server_export(struct req *r);
int page_console(struct req *r);
int page_console_send(struct req *r);
/* POST /servers/NAME/rcon: rotate the RCON password, after a confirmation. */
int page_server_rcon_rotate(struct req *r);

#endif
