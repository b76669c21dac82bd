/* /api/v1/blueprints. (api_blueprints.c) */
#ifndef LEFT4ME_WEB_API_BLUEPRINTS_H
#define LEFT4ME_WEB_API_BLUEPRINTS_H

#include "web.h"

int api_blueprints_list(struct req *r);
int api_blueprints_create(struct req *r);
int api_blueprint_get(struct req *r);
int api_blueprint_put(struct req *r);
int api_blueprint_delete(struct req *r);

#endif
