/* /api/v1/overlays with their files, and /api/v1/global-overlays. (api_overlays.c) */
#ifndef LEFT4ME_WEB_API_OVERLAYS_H
#define LEFT4ME_WEB_API_OVERLAYS_H

#include "web.h"

int api_overlays_list(struct req *r);
int api_overlays_create(struct req *r);
int api_overlay_get(struct req *r);
int api_overlay_put(struct req *r);
int api_overlay_delete(struct req *r);
int api_overlay_build(struct req *r);
/* The upload hook of the route below (struct route). */
int api_overlay_file_begin(struct req *r);
/* PUT /api/v1/overlays/ID/workshop {"workshop_ids": [...]}: replace a
 * workshop overlay's list (and queue its sync). */
int api_overlay_workshop_put(struct req *r);
/* POST /api/v1/overlays/ID/sync: queue a workshop overlay's sync. */
int api_overlay_sync(struct req *r);
int api_overlay_file_put(struct req *r);
int api_overlay_file_get(struct req *r);
int api_globals(struct req *r);
int api_globals_refresh(struct req *r);

#endif
