/* /api/v1/servers and a server's console. (api_servers.c) */
#ifndef LEFT4ME_WEB_API_SERVERS_H
#define LEFT4ME_WEB_API_SERVERS_H

#include "web.h"

int api_servers_list(struct req *r);
int api_servers_create(struct req *r);
int api_server_get(struct req *r);
int api_server_put(struct req *r);
int api_server_delete(struct req *r);
int api_server_action(struct req *r);
int api_console(struct req *r);
int api_console_send(struct req *r);
int api_status_events(struct req *r);
/* A server's RCON password: show, rotate (owner or admin). */
int api_server_rcon(struct req *r);
int api_server_rcon_rotate(struct req *r);

#endif
