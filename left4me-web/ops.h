/* What pages and the API share: ownership checks (another user's object is
 * "not found"), enqueuing a job with its audit row, and the blueprint
 * preview of the exec lines. */
#ifndef LEFT4ME_WEB_OPS_H
#define LEFT4ME_WEB_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db_blueprint.h"
#include "db_job.h"
#include "db_overlay.h"
#include "db_server.h"
#include "strbuf.h"
#include "web.h"

/* Why an action failed: an HTTP status and one line for the user (a
 * static string).  The messages live here, in ops.c, and the pages and the
 * API show the same ones through the route's error renderer. */
struct ops_error {
	unsigned status;
	const char *msg;
};

/* The error for a db rc: 404 not found, 503 busy, 500 otherwise. */
void ops_db_error(int rc, struct ops_error *err);

/* DB_OK if the server exists and is the requester's, else DB_NOTFOUND. */
int ops_server(struct req *r, const char *name, struct server *out);
/* The same for the console (its stream, page and commands): the owner's
 * server, or any server for an admin. */
int ops_server_console(struct req *r, const char *name, struct server *out);
/* Send cmd (the request's command, len bytes, may hold a NUL) to server
 * s's console and audit it (action "console", object the server, detail
 * the command).  The audit row is written in the same transaction as the
 * command and kept only if the command was written, so every command a
 * server received is in the audit log and a refused one is not.  Returns
 * an HTTP status: 204 sent, 400 (the rule broken), 409 not running, 503
 * FIFO full or database busy, 500 otherwise; msg gets one line for any
 * status but 204. */
unsigned ops_console_send(struct req *r, const struct server *s, const char *cmd, size_t len,
			  char *msg, size_t msglen);
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

/* Open path in overlay id (the requester's, or a global one) for a
 * download: a regular file's fd, or -1 with err. */
int ops_overlay_file_open(struct req *r, const char *id, const char *path, struct ops_error *err);

#endif
