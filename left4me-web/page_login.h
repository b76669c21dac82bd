/* The login form (GET /login), logging in (POST /login) and out. */
#ifndef LEFT4ME_WEB_PAGE_LOGIN_H
#define LEFT4ME_WEB_PAGE_LOGIN_H

#include "web.h"

int page_login_form(struct req *r);
int page_login(struct req *r);
int page_logout(struct req *r);

#endif
