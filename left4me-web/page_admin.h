/* The admin page: game install and users. (page_admin.c) */
#ifndef LEFT4ME_WEB_PAGE_ADMIN_H
#define LEFT4ME_WEB_PAGE_ADMIN_H

#include "web.h"

int page_admin(struct req *r);
int page_admin_install(struct req *r);
int page_admin_user_add(struct req *r);
int page_admin_user_action(struct req *r);
int page_admin_backups(struct req *r);
int page_admin_backup_create(struct req *r);
int page_admin_backup_export(struct req *r);

#endif
