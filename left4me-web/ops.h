/* The actions of left4me-web, shared by the pages and the API: ownership
 * checks (another user's object is "not found"), creating, changing and
 * deleting servers, blueprints and overlays, writing and removing overlay
 * files, enqueuing a job with its audit row, console commands, and the
 * blueprint preview of the exec lines.  An action that fails says why in
 * a struct ops_error: every message the actions fail with is written in
 * ops.c, and a page and the API show the same one (through the route's
 * error renderer, web_error).  Reading a form or a JSON body, and what is
 * wrong with its shape, stays with the page or the API. */
#ifndef LEFT4ME_WEB_OPS_H
#define LEFT4ME_WEB_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backup_dir.h"
#include "db_audit.h"
#include "db_blueprint.h"
#include "db_job.h"
#include "db_overlay.h"
#include "db_schedule.h"
#include "db_rcon.h"
#include "db_server.h"
#include "launch_args.h"
#include "strbuf.h"
#include "web.h"

/* Why an action failed: an HTTP status and one line for the user (a
 * static string). */
struct ops_error {
	unsigned status;
	const char *msg;
};

/* The error for a db rc: 404 not found, 503 busy, 500 otherwise. */
void ops_db_error(int rc, struct ops_error *err);
/* Answer r with the error of a db rc (web_error). */
int ops_db_fail(struct req *r, int rc);
/* Answer r with err (web_error). */
int ops_fail(struct req *r, const struct ops_error *err);

/* ---- ownership ----------------------------------------------------------- */

/* DB_OK if the server exists and is the requester's, else DB_NOTFOUND. */
int ops_server(struct req *r, const char *name, struct server *out);
/* The same for the console (its stream, page and commands): the owner's
 * server, or any server for an admin. */
int ops_server_console(struct req *r, const char *name, struct server *out);
int ops_blueprint(struct req *r, const char *id, struct blueprint *out);
/* Own overlays; global ones too when allow_global (read access). */
int ops_overlay(struct req *r, const char *id, bool allow_global, struct overlay *out);
/* Own jobs and system jobs; an admin sees every job. */
int ops_job(struct req *r, const char *id, struct job *out);

/* ---- jobs and the console -------------------------------------------------- */

/* Enqueue and audit.  Returns a db rc. */
int ops_enqueue(struct req *r, enum job_kind kind, const char *target, const char *coalesce,
		int64_t *job_id);
/* Queue a job of the whole system (JOB_INSTALL_GAME,
 * JOB_REFRESH_GLOBAL_OVERLAYS), coalesced with one already queued: 0 and
 * *job_id, or -1 with err. */
int ops_enqueue_system(struct req *r, enum job_kind kind, int64_t *job_id, struct ops_error *err);
/* install_game; validate: SteamCMD checks every file of an update too
 * (target "validate").  Coalesced with a queued one of the same kind. */
int ops_install_game(struct req *r, bool validate, int64_t *job_id, struct ops_error *err);
/* Server action by name ("start", ...): the kind, or -1. */
int ops_server_action_kind(const char *action);
/* Queue a job of kind for the requester's server name: 0 and *job_id, or
 * -1 with err. */
int ops_server_enqueue(struct req *r, const char *name, enum job_kind kind, int64_t *job_id,
		       struct ops_error *err);
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

/* ---- RCON (docs/SECURITY.md, "RCON") ---------------------------------------- */

/* The RCON password of server name, for its owner or an admin (another
 * user's server is 404, as for the console): 0 with *out, or -1 with err.
 * The caller wipes *out (explicit_bzero) when done. */
int ops_rcon_get(struct req *r, const char *name, struct server *s, struct rcon_row *out,
		 struct ops_error *err);
/* Replace it by a new one (*out), with the audit row "rcon_rotate"
 * (detail "rotated", never the value) in the same transaction.  A running
 * server keeps the old one until its next start. */
int ops_rcon_rotate(struct req *r, const char *name, struct server *s, struct rcon_row *out,
		    struct ops_error *err);

/* ---- servers, blueprints, overlays --------------------------------------- */

/* Queue the delete of the requester's server name, but only when confirm
 * is its name: else 400 naming the confirm parameter (DESIGN.md §5). */
int ops_server_delete(struct req *r, const char *name, const char *confirm, int64_t *job_id,
		      struct ops_error *err);
/* The bytes of server s's writable data (STATE/runtime/NAME, its
 * upper/ and work/, not the mounted merged/): 0 and *bytes, 1 if it has
 * none yet, -1 if the web cannot read it (in a package install the dir
 * is the worker's, 0700). */
int ops_server_data_bytes(struct req *r, const struct server *s, int64_t *bytes);
/* The bytes of the regular files in overlay o (0 if it has no dir yet). */
int64_t ops_overlay_bytes(struct req *r, const struct overlay *o);
/* The address players type after "connect": HOST:PORT, HOST being
 * web.game_host or else the host of web.public_url (an IPv6 address in
 * brackets).  out should hold OPS_CONNECT_MAX bytes. */
#define OPS_CONNECT_MAX 272
void ops_connect_address(struct req *r, int port, char *out, size_t len);
/* Launch settings as a page or the API read them, before the rules:
 * launch_args as typed (options separated by whitespace).  For a server
 * NULL / 0 mean "the blueprint's", for a blueprint tickrate 0 is none. */
struct ops_launch {
	const char *start_map;
	long long max_players, tickrate;
	const char *launch_args;
};
/* Check in against the rules of launch_args.h (a blueprint must have a
 * map, max players and args): 0 and out, whose launch_args is *canon
 * (the caller frees it), or -1 with err naming the field, and for
 * launch_args the option (400). */
int ops_launch_check(const struct ops_launch *in, bool server, struct launch_settings *out,
		     char **canon, struct ops_error *err);
/* Create the requester's server name on blueprint_id at port (audited)
 * with its own launch settings ls (NULL: all the blueprint's); the page
 * and the API pass what their body said, or 0 for "missing". */
int ops_server_create(struct req *r, const char *name, int64_t blueprint_id, long long port,
		      const struct ops_launch *ls, struct ops_error *err);
/* Replace the launch settings of the requester's server name (audited as
 * server_update); they take effect at its next start. */
int ops_server_launch(struct req *r, const char *name, const struct ops_launch *ls,
		      struct ops_error *err);
/* Create a blueprint (cur NULL; audited) or change cur: its name, its
 * config, when ls its launch settings and, when set_overlays, its overlays
 * ov[0..n) (top first), all in one transaction.  0 and the blueprint's id
 * in *id, or -1 with err. */
int ops_blueprint_save(struct req *r, const struct blueprint *cur, const char *name,
		       const char *config, const struct ops_launch *ls,
		       const struct blueprint_overlay *ov, size_t n, bool set_overlays, int64_t *id,
		       struct ops_error *err);
/* Delete the requester's blueprint id (409 while servers use it). */
int ops_blueprint_delete(struct req *r, const char *id, struct ops_error *err);
/* Create an overlay (cur NULL; audited) or change cur: its name and build
 * script (NULL: none; CRLF line ends are stored as LF).  When build and the script is not empty,
 * its build is queued (*job_id, else 0).  0 and the overlay's id in *id, or -1 with err. */
int ops_overlay_save(struct req *r, const struct overlay *cur, const char *name, const char *script,
		     bool build, int64_t *id, int64_t *job_id, struct ops_error *err);
/* Delete the requester's overlay id (409 while a blueprint links it). */
int ops_overlay_delete(struct req *r, const char *id, struct ops_error *err);
/* Queue the build of the requester's script overlay id. */
int ops_overlay_build(struct req *r, const char *id, int64_t *job_id, struct ops_error *err);
/* Queue the build of overlay overlay_id (coalesced with one already
 * queued); a db rc. */
int ops_enqueue_build(struct req *r, int64_t overlay_id, int64_t *job_id);
/* The exec lines the worker will prepend, lowest overlay first. */
void ops_preview(const struct blueprint_overlay *ov, size_t n, struct strbuf *out);

/* ---- workshop overlays (db_workshop.h) ------------------------------------- */

/* The ids of a workshop list as people type them (workshop_ids.h: ids or
 * their Workshop page URLs, separated by spaces, commas or newlines;
 * duplicates dropped), at most fetcher.workshop.max_ids: 0 with *ids
 * (free it) and *n, or -1 with err (400 naming field and the bad entry). */
int ops_workshop_parse(struct req *r, const char *field, const char *text, int64_t **ids, size_t *n,
		       struct ops_error *err);
/* Create the requester's workshop overlay name listing ids[0..n) with its
 * sync queued (quotas.overlays, and quotas.queued_jobs when n > 0; both
 * audited): 0 with *id and *job (0: nothing to sync), or -1 with err. */
int ops_workshop_create(struct req *r, const char *name, const int64_t *ids, size_t n, int64_t *id,
			int64_t *job_id, struct ops_error *err);
/* Replace the list of the requester's workshop overlay id and queue its
 * sync (audited): 0 with *overlay_id and *job, or -1 with err. */
int ops_workshop_set(struct req *r, const char *id, const int64_t *ids, size_t n,
		     int64_t *overlay_id, int64_t *job_id, struct ops_error *err);
/* The list of the requester's workshop overlay id (via 0, in order). */
int ops_workshop_listed(struct req *r, const char *id, int64_t **ids, size_t *n,
			struct ops_error *err);
/* Queue the sync of the requester's workshop overlay id (audited). */
int ops_workshop_sync(struct req *r, const char *id, int64_t *job_id, struct ops_error *err);
/* The cached preview image of item pub of the requester's workshop
 * overlay id (one its list holds): an fd with *type, or -1 with err. */
int ops_workshop_preview(struct req *r, const char *id, const char *pub, const char **type,
			 struct ops_error *err);

/* ---- overlay files --------------------------------------------------------- */

/* The message of a path that valid_overlay_path() refuses: the rule it
 * broke when that is a control character. */
const char *ops_bad_path(const char *path);
/* Begin streaming a file to path in the requester's overlay id, for a
 * route's upload hook: the checks of a write, then r->upload takes the
 * body into a nameless file beside the target, refusing it once
 * quotas.overlay_bytes or quotas.total_bytes would be passed.  size: the
 * file's length if known before (checked at once), else -1.  0, or -1 with
 * err. */
int ops_overlay_upload_begin(struct req *r, const char *id, const char *path, int64_t size,
			     struct ops_error *err);
/* Put the file of r's upload in place (audited): *overlay_id and *size
 * for the caller's answer.  0, or -1 with err (400 if no file came). */
int ops_overlay_upload_commit(struct req *r, int64_t *overlay_id, int64_t *size,
			      struct ops_error *err);
/* Write data (len bytes) to path in the requester's overlay id (audited)
 * through the same writer; *overlay_id gets its id for the caller's
 * redirect. */
int ops_overlay_file_write(struct req *r, const char *id, const char *path, const char *data,
			   size_t len, int64_t *overlay_id, struct ops_error *err);
/* Remove the file (never a directory) at path in the requester's overlay
 * id (audited). */
int ops_overlay_file_delete(struct req *r, const char *id, const char *path, int64_t *overlay_id,
			    struct ops_error *err);
/* Open path in overlay id (the requester's, or a global one) for a
 * download: a regular file's fd, or -1 with err. */
int ops_overlay_file_open(struct req *r, const char *id, const char *path, struct ops_error *err);

/* ---- the audit log ------------------------------------------------------------ */

#define OPS_AUDIT_PAGE 50
/* The audit filter of the request's query (page and API alike): user,
 * action, object (exact; empty is none), since and until (parse_since),
 * before (the cursor: an id), limit (1..AUDIT_PAGE_MAX, else
 * OPS_AUDIT_PAGE).  0, or -1 with err naming the parameter.  f's strings
 * point into the request. */
int ops_audit_filter(struct req *r, struct audit_filter *f, struct ops_error *err);

/* ---- API tokens --------------------------------------------------------------- */

/* Revoke the requester's token id (another user's is "no such token"),
 * with its audit row: 0, or -1 with err.  The hub then ends the streams
 * opened with it. */
int ops_token_revoke(struct req *r, const char *id, struct ops_error *err);
/* ---- backups and exports (docs/SECURITY.md "Backups and exports") ---------- */

/* The web reads neither a backup nor a server's upper/: the worker copies
 * what an allowed user asked for into STATE/exports/JOBID.tar.zst
 * (a job, audited), and the web streams that file from disk. */

/* Queue the export of server name's upper/ (its owner or an admin). */
int ops_export_server(struct req *r, const char *name, int64_t *job_id, struct ops_error *err);
/* Queue a backup now (admins; coalesced with one already queued). */
int ops_backup_create(struct req *r, int64_t *job_id, struct ops_error *err);
/* Queue the copy of backup name for download (admins): 400 for a name
 * that is not a backup's, 404 for one backup.dir does not hold. */
int ops_backup_export(struct req *r, const char *name, int64_t *job_id, struct ops_error *err);

struct ops_backup {
	char name[BACKUP_NAME_MAX];
	int64_t bytes, mtime;
	bool has_info; /* info read: the backup's schema version and counts */
	struct backup_info info;
};
/* The backups in backup.dir, newest first (free *out). */
int ops_backups_list(struct req *r, struct ops_backup **out, size_t *n);
/* The file of export job j, opened for reading (streamed with
 * web_respond_file), fname the name to offer: its requester's (a server's
 * export) or an admin's.  404 another's or not an export, 409 not done,
 * 410 past backup.export_ttl or removed.  The fd, or -1 with err. */
int ops_export_open(struct req *r, const struct job *j, char *fname, size_t fname_len,
		    struct ops_error *err);
/* The newest succeeded export job of kind on target that the requester
 * may download: 0 and *out (job_fini it), or -1 with err (404 naming the
 * POST to make one). */
int ops_export_latest(struct req *r, enum job_kind kind, const char *target, struct job *out,
		      struct ops_error *err);

/* ---- schedules -------------------------------------------------------------- */

/* Create (cur NULL) or replace (cur) a schedule of server s from in: its
 * next run is computed from now.  Returns the HTTP status: 201/200, 400
 * with the bad field's name in *field and one line in msg ("cron: field 2
 * (hour): '25' is out of range 0-23"), 409 at schedules.max_per_server,
 * or a DB error's status.  Audited (schedule_create/schedule_update). */
unsigned ops_schedule_save(struct req *r, const struct server *s, const struct schedule *cur,
			   const struct schedule_input *in, int64_t *id, const char **field,
			   char *msg, size_t msglen);
/* Enable or disable, or delete, schedule id of s: 0, or -1 with err.
 * Audited (schedule_enable, schedule_disable, schedule_delete). */
int ops_schedule_set_enabled(struct req *r, const struct server *s, int64_t id, bool enabled,
			     struct ops_error *err);
int ops_schedule_delete(struct req *r, const struct server *s, int64_t id, struct ops_error *err);
/* A schedule as an input (for a PUT that changes some fields). */
void ops_schedule_input(const struct schedule *cur, struct schedule_input *in);

#endif
