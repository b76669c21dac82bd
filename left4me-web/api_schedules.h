/* JSON API v1 of a server's schedules (issue 16):
 *   GET    /api/v1/servers/NAME/schedules       the list, with next runs
 *   POST   /api/v1/servers/NAME/schedules       create: {"action", "cron",
 *          "command", "only_when_empty", "wait_minutes", "on_timeout",
 *          "enabled"}; 201 with the schedule
 *   GET    /api/v1/servers/NAME/schedules/ID    one
 *   PUT    /api/v1/servers/NAME/schedules/ID    change the given fields
 *   DELETE /api/v1/servers/NAME/schedules/ID
 * A bad field is 400 {"error": "cron: field 2 (hour): ...", "field":
 * "cron"}.  Only the server's owner sees or changes them. */
#ifndef LEFT4ME_WEB_API_SCHEDULES_H
#define LEFT4ME_WEB_API_SCHEDULES_H

#include "web.h"

int api_schedules_list(struct req *r);
int api_schedule_create(struct req *r);
int api_schedule_get(struct req *r);
int api_schedule_update(struct req *r);
int api_schedule_delete(struct req *r);

#endif
