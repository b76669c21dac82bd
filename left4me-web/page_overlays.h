/* Overlays: list, create, edit, build, delete, their files, and workshop
 * overlays' items. (page_overlays.c) */
#ifndef LEFT4ME_WEB_PAGE_OVERLAYS_H
#define LEFT4ME_WEB_PAGE_OVERLAYS_H

#include "web.h"

int page_overlays(struct req *r);
int page_overlay_create(struct req *r);
int page_overlay(struct req *r);
int page_overlay_save(struct req *r);
int page_overlay_build(struct req *r);
int page_overlay_delete(struct req *r);
int page_overlay_file(struct req *r);
/* The upload hook of the route below (struct route). */
int page_overlay_upload_begin(struct req *r);
int page_overlay_upload(struct req *r);
int page_overlay_delete_file(struct req *r);
/* A workshop overlay: add to or remove from its list, sync it, and the
 * cached preview image of one of its items. */
int page_overlay_workshop(struct req *r);
int page_overlay_sync(struct req *r);
int page_workshop_preview(struct req *r);

#endif
