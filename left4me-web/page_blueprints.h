/* Blueprints: list, create, edit, delete. (page_blueprints.c) */
#ifndef LEFT4ME_WEB_PAGE_BLUEPRINTS_H
#define LEFT4ME_WEB_PAGE_BLUEPRINTS_H

#include "web.h"

int page_blueprints(struct req *r);
int page_blueprint_create(struct req *r);
int page_blueprint(struct req *r);
int page_blueprint_save(struct req *r);
int page_blueprint_delete(struct req *r);

#endif
