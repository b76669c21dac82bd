/* What pages and the API share: ownership checks (another user's object is
 * "not found"), enqueuing a job with its audit row, and the blueprint
 * preview of the exec lines. */
#ifndef LEFT4ME_WEB_OPS_H
#define LEFT4ME_WEB_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "db_blueprint.h"
#include "db_job.h"
#include "db_overlay.h"
#include "db_server.h"
#include "strbuf.h"
#include "web.h"

/* DB_OK if the server exists and is the requester's, else DB_NOTFOUND. */
int ops_server(struct req *r, const char *name, struct server *out);
int ops_blueprint(struct req *r, const char *id, struct blueprint *out);
/* Own overlays; global ones too when allow_global (read access). */
int ops_overlay(struct req *r, const char *id, bool allow_global, struct overlay *out);
/* Own jobs and system jobs; an admin sees every job. */
int ops_job(struct req *r, const char *id, struct job *out);
/* Enqueue and audit.  Returns a db rc. */
int ops_enqueue(struct req *r, enum job_kind kind, const char *target, const char *coalesce,
		int64_t *job_id);
/* Server action by name ("start", ...): the kind, or -1. */
int ops_server_action_kind(const char *action);
/* The exec lines the worker will prepend, lowest overlay first. */
void ops_preview(const struct blueprint_overlay *ov, size_t n, struct strbuf *out);
/* Save an overlay and, for a script overlay, enqueue its build. */
int ops_enqueue_build(struct req *r, int64_t overlay_id, int64_t *job_id);

#endif
