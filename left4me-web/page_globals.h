/* The global overlays and their refresh. (page_globals.c) */
#ifndef LEFT4ME_WEB_PAGE_GLOBALS_H
#define LEFT4ME_WEB_PAGE_GLOBALS_H

#include "web.h"

int page_globals(struct req *r);
int page_globals_refresh(struct req *r);

#endif
