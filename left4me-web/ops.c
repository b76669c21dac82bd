/* The actions shared by the pages and the API, and every message they
 * fail with; see ops.h. */
#include "ops.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup_dir.h"
#include "console.h"
#include "db.h"
#include "db_user.h"
#include "db_workshop.h"
#include "files.h"
#include "log.h"
#include "timeutil.h"
#include "parse.h"
#include "validate.h"
#include "xalloc.h"
#include "workshop_ids.h"

int ops_server(struct req *r, const char *name, struct server *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (!valid_instance_name(name))
		return DB_NOTFOUND;
	rc = db_server_get(web_db(r), name, out);
	if (rc == DB_OK && out->user_id != r->user.id) {
		server_fini(out);
		rc = DB_NOTFOUND;
	}
	return rc;
}

int ops_server_console(struct req *r, const char *name, struct server *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (!valid_instance_name(name))
		return DB_NOTFOUND;
	rc = db_server_get(web_db(r), name, out);
	if (rc == DB_OK && out->user_id != r->user.id && !r->user.admin) {
		server_fini(out);
		rc = DB_NOTFOUND;
	}
	return rc;
}

unsigned ops_console_send(struct req *r, const struct server *s, const char *cmd, size_t len,
			  char *msg, size_t msglen)
{
	sqlite3 *db = web_db(r);
	enum console_send_result res;
	char err[256], audit[CONSOLE_COMMAND_MAX + 32];
	bool nested;
	int rc;

	/* The rule first: a refused command is neither sent nor audited
	 * (and a NUL inside it must not shorten what is checked). */
	if (!console_command_ok(cmd, len, msg, msglen))
		return 400;
	console_audit_text(cmd, audit, sizeof(audit));
	rc = db_tx_begin(db, &nested);
	if (rc == DB_OK) {
		rc = db_audit(db, r->user.id, r->user.name, "console", s->name, audit);
		if (rc != DB_OK)
			(void)db_tx_end(db, nested, rc);
	}
	if (rc != DB_OK) {
		snprintf(msg, msglen, "%s",
			 rc == DB_BUSY ? "the database is busy; try again"
				       : "the audit log cannot be written");
		return rc == DB_BUSY ? 503 : 500;
	}
	res = console_send(r->w->cfg->state_dir, s->name, cmd, err, sizeof(err));
	rc = db_tx_end(db, nested, res == CONSOLE_SENT ? DB_OK : DB_ERROR);
	switch (res) {
	case CONSOLE_SENT:
		if (rc != DB_OK)
			log_err("server=%s user=%s: console command sent but not audited: %s",
				s->name, r->user.name, audit);
		return 204;
	case CONSOLE_INVALID:
		snprintf(msg, msglen, "%s", err);
		return 400;
	case CONSOLE_NOT_RUNNING:
		snprintf(msg, msglen, "%s", err);
		return 409;
	case CONSOLE_BUSY:
		snprintf(msg, msglen, "%s", err);
		return 503;
	default:
		log_warn("server=%s: console: %s", s->name, err);
		snprintf(msg, msglen, "the console of server %s cannot be written", s->name);
		return 500;
	}
}

int ops_blueprint(struct req *r, const char *id, struct blueprint *out)
{
	int64_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!valid_id(id, &n))
		return DB_NOTFOUND;
	rc = db_blueprint_get(web_db(r), n, out);
	if (rc == DB_OK && out->user_id != r->user.id) {
		blueprint_fini(out);
		rc = DB_NOTFOUND;
	}
	return rc;
}

int ops_overlay(struct req *r, const char *id, bool allow_global, struct overlay *out)
{
	int64_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!valid_id(id, &n))
		return DB_NOTFOUND;
	rc = db_overlay_get(web_db(r), n, out);
	if (rc == DB_OK) {
		bool global = strcmp(out->kind, "global") == 0;

		if (global ? !allow_global : out->user_id != r->user.id) {
			overlay_fini(out);
			rc = DB_NOTFOUND;
		}
	}
	return rc;
}

int ops_job(struct req *r, const char *id, struct job *out)
{
	int64_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!valid_id(id, &n))
		return DB_NOTFOUND;
	rc = db_job_get(web_db(r), n, out);
	if (rc == DB_OK && !r->user.admin && out->user_id != 0 && out->user_id != r->user.id) {
		job_fini(out);
		rc = DB_NOTFOUND;
	}
	return rc;
}

int ops_enqueue(struct req *r, enum job_kind kind, const char *target, const char *coalesce,
		int64_t *job_id)
{
	struct job_request jr = {kind, target, r->user.id, coalesce};
	char detail[64];
	int rc;

	rc = db_job_enqueue(web_db(r), &jr, job_id, NULL);
	if (rc == DB_OK) {
		snprintf(detail, sizeof(detail), "job=%" PRId64, *job_id);
		(void)db_audit(web_db(r), r->user.id, r->user.name, job_kind_name(kind),
			       target ? target : "", detail);
	}
	return rc;
}

int ops_server_action_kind(const char *action)
{
	static const struct {
		const char *name;
		enum job_kind kind;
	} actions[] = {{"start", JOB_START},
		       {"stop", JOB_STOP},
		       {"restart", JOB_RESTART},
		       {"reset", JOB_RESET},
		       {"delete", JOB_DELETE}};
	size_t i;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(action, actions[i].name) == 0)
			return (int)actions[i].kind;
	return -1;
}

void ops_preview(const struct blueprint_overlay *ov, size_t n, struct strbuf *out)
{
	size_t i;

	/* ov is top first; the lowest overlay's cfg is executed first. */
	for (i = n; i-- > 0;)
		if (ov[i].expose_server_cfg)
			strbuf_printf(out, "exec server_overlay_%" PRId64 "\n", ov[i].overlay_id);
}

int ops_enqueue_build(struct req *r, int64_t overlay_id, int64_t *job_id)
{
	char target[32], key[48];

	snprintf(target, sizeof(target), "%" PRId64, overlay_id);
	snprintf(key, sizeof(key), "build_overlay:%" PRId64, overlay_id);
	return ops_enqueue(r, JOB_BUILD_OVERLAY, target, key, job_id);
}

/* ---- errors ------------------------------------------------------------------ */

#define NAME_RULE "name: 1 to 64 printable characters"

const char *ops_bad_path(const char *path)
{
	for (const char *c = path ? path : ""; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "path: must not contain a control character (bytes 0x00-0x1f, 0x7f)";
	return "path: not a valid overlay path";
}

/* Fill err and return -1, for "return fail(err, ...)". */
static int fail(struct ops_error *err, unsigned status, const char *msg)
{
	err->status = status;
	err->msg = msg;
	return -1;
}

void ops_db_error(int rc, struct ops_error *err)
{
	if (rc == DB_NOTFOUND)
		fail(err, 404, "not found");
	else if (rc == DB_BUSY)
		fail(err, 503, "the database is busy; try again");
	else
		fail(err, 500, "database error");
}

/* ops_db_error for the return statement. */
static int db_fail(int rc, struct ops_error *err)
{
	ops_db_error(rc, err);
	return -1;
}

/* ---- quotas (quotas.*: per non-admin user, 0 unlimited) ------------------------ */

enum quota { Q_SERVERS, Q_OVERLAYS, Q_BLUEPRINTS, Q_QUEUED_JOBS };

/* A quota's message names the key; it lives in this thread's buffer until
 * the thread's next refusal (a request is answered on the thread that
 * ran its action). */
static __thread char quota_msg[256];

static int quota_fail(struct ops_error *err, const char *key, const char *text)
{
	snprintf(quota_msg, sizeof(quota_msg), "quota: %s: %s (quotas.%s)", key, text, key);
	return fail(err, 409, quota_msg);
}

/* 0 if the requester may have one more of which (admins always may), or
 * -1 with err: 409 naming the quota, or the db error. */
static int quota_check(struct req *r, enum quota which, struct ops_error *err)
{
	static const char *const keys[] = {"servers", "overlays", "blueprints", "queued_jobs"};
	const struct config *cfg = r->w->cfg;
	struct user_usage u;
	long long limit = 0, used = 0;
	char text[96];
	int rc;

	switch (which) {
	case Q_SERVERS:
		limit = cfg->quotas.servers;
		break;
	case Q_OVERLAYS:
		limit = cfg->quotas.overlays;
		break;
	case Q_BLUEPRINTS:
		limit = cfg->quotas.blueprints;
		break;
	case Q_QUEUED_JOBS:
		limit = cfg->quotas.queued_jobs;
		break;
	}
	if (r->user.admin || limit == 0)
		return 0;
	rc = db_user_usage(web_db(r), r->user.id, &u);
	if (rc != DB_OK)
		return db_fail(rc, err);
	used = which == Q_SERVERS      ? u.servers
	       : which == Q_OVERLAYS   ? u.overlays
	       : which == Q_BLUEPRINTS ? u.blueprints
				       : u.queued_jobs;
	if (used < limit)
		return 0;
	snprintf(text, sizeof(text), "%lld of %lld used", used, limit);
	return quota_fail(err, keys[which], text);
}

/* Begin the transaction that creates one more of which, with its quota
 * checked inside it, so that two requests cannot both take the last one:
 * 0 (end it with db_tx_end), or -1 with err and no transaction. */
static int quota_tx_begin(struct req *r, enum quota which, bool *nested, struct ops_error *err)
{
	sqlite3 *db = web_db(r);
	int rc = db_tx_begin(db, nested);

	if (rc != DB_OK)
		return db_fail(rc, err);
	if (quota_check(r, which, err) < 0) {
		db_tx_end(db, *nested, DB_INVALID);
		return -1;
	}
	return 0;
}

int ops_fail(struct req *r, const struct ops_error *err)
{
	return web_error(r, err->status, err->msg);
}

int ops_db_fail(struct req *r, int rc)
{
	struct ops_error err;

	ops_db_error(rc, &err);
	return ops_fail(r, &err);
}

int ops_enqueue_system(struct req *r, enum job_kind kind, int64_t *job_id, struct ops_error *err)
{
	int rc = ops_enqueue(r, kind, NULL, job_kind_name(kind), job_id);

	return rc == DB_OK ? 0 : db_fail(rc, err);
}

int ops_install_game(struct req *r, bool validate, int64_t *job_id, struct ops_error *err)
{
	int rc = ops_enqueue(r, JOB_INSTALL_GAME, validate ? "validate" : NULL,
			     validate ? "install_game:validate" : "install_game", job_id);

	return rc == DB_OK ? 0 : db_fail(rc, err);
}

/* ---- servers, blueprints, overlays ------------------------------------------- */

int ops_server_enqueue(struct req *r, const char *name, enum job_kind kind, int64_t *job_id,
		       struct ops_error *err)
{
	struct server s;
	int rc = ops_server(r, name, &s);

	if (rc != DB_OK)
		return db_fail(rc, err);
	if (quota_check(r, Q_QUEUED_JOBS, err) < 0) {
		server_fini(&s);
		return -1;
	}
	rc = ops_enqueue(r, kind, s.name, NULL, job_id);
	server_fini(&s);
	return rc == DB_OK ? 0 : db_fail(rc, err);
}

int ops_server_delete(struct req *r, const char *name, const char *confirm, int64_t *job_id,
		      struct ops_error *err)
{
	struct server s;
	int rc = ops_server(r, name, &s);

	if (rc != DB_OK)
		return db_fail(rc, err);
	rc = confirm && strcmp(confirm, s.name) == 0;
	server_fini(&s);
	if (!rc)
		return fail(err, 400,
			    "confirm: a delete needs confirm=NAME, the server's name "
			    "(?confirm=NAME in the API); nothing was deleted");
	return ops_server_enqueue(r, name, JOB_DELETE, job_id, err);
}

void ops_connect_address(struct req *r, int port, char *out, size_t len)
{
	const struct config *cfg = r->w->cfg;
	char host[PARSE_GAME_HOST_MAX];
	int rc;

	if (cfg->web.game_host && cfg->web.game_host[0])
		rc = parse_game_host(cfg->web.game_host, host, NULL);
	else
		rc = parse_url_host(cfg->web.public_url, host);
	if (rc < 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	snprintf(out, len, "%s:%d", host, port);
}

int ops_rcon_get(struct req *r, const char *name, struct server *s, struct rcon_row *out,
		 struct ops_error *err)
{
	int rc = ops_server_console(r, name, s);

	memset(out, 0, sizeof(*out));
	if (rc == DB_OK)
		rc = db_rcon_get(web_db(r), s->id, out);
	if (rc != DB_OK) {
		server_fini(s);
		return db_fail(rc, err);
	}
	return 0;
}

int ops_rcon_rotate(struct req *r, const char *name, struct server *s, struct rcon_row *out,
		    struct ops_error *err)
{
	int rc = ops_server_console(r, name, s);

	memset(out, 0, sizeof(*out));
	if (rc == DB_OK)
		rc = db_rcon_rotate(web_db(r), s->id, s->name, r->user.id, r->user.name, out);
	if (rc != DB_OK) {
		server_fini(s);
		return db_fail(rc, err);
	}
	log_info("server=%s user=%s: RCON password rotated", s->name, r->user.name);
	return 0;
}

/* An audit row of the requester's whose object is an id, with the
 * object's name as the detail. */
static void audit_id(struct req *r, const char *action, int64_t id, const char *name)
{
	char object[32], detail[96];

	snprintf(object, sizeof(object), "%" PRId64, id);
	snprintf(detail, sizeof(detail), "name=%.64s", name ? name : "");
	(void)db_audit(web_db(r), r->user.id, r->user.name, action, object, detail);
}

/* launch_args' own message names the option: it cannot be a static one. */
static __thread char launch_msg[512];

int ops_launch_check(const struct ops_launch *in, bool server, struct launch_settings *out,
		     char **canon, struct ops_error *err)
{
	memset(out, 0, sizeof(*out));
	*canon = NULL;
	if ((in->start_map || !server) && !launch_map_ok(in->start_map))
		return fail(err, 400, "start_map: a map name of [A-Za-z0-9_], 1 to 64 of them");
	if ((in->max_players || !server) && !launch_max_players_ok(in->max_players))
		return fail(err, 400, "max_players: a number from 1 to 32");
	if (in->tickrate && !launch_tickrate_ok(in->tickrate))
		return fail(err, 400, "tickrate: a number from 30 to 128 (or none)");
	if ((in->launch_args || !server) &&
	    launch_args_normalize(in->launch_args ? in->launch_args : "", canon, launch_msg,
				  sizeof(launch_msg)) < 0)
		return fail(err, 400, launch_msg);
	out->start_map = in->start_map;
	out->max_players = (int)in->max_players;
	out->tickrate = (int)in->tickrate;
	out->launch_args = *canon;
	return 0;
}

int ops_server_create(struct req *r, const char *name, int64_t blueprint_id, long long port,
		      const struct ops_launch *ls, struct ops_error *err)
{
	static const struct ops_launch inherit;
	struct launch_settings set;
	char *canon;
	int64_t id = 0;
	bool nested;
	int rc;

	if (!name || !valid_server_name(name))
		return fail(err, 400,
			    "name: a server name is [a-z0-9][a-z0-9_-]{0,26}, at most 27 bytes, "
			    "because each server runs as its own system user l4m-NAME");
	if (blueprint_id < 1)
		return fail(err, 400, "blueprint_id: choose one of your blueprints");
	if (port < 1024 || port > 65535)
		return fail(err, 400, "port: a number from 1024 to 65535");
	if (ops_launch_check(ls ? ls : &inherit, true, &set, &canon, err) < 0)
		return -1;
	if (quota_tx_begin(r, Q_SERVERS, &nested, err) < 0) {
		free(canon);
		return -1;
	}
	rc = db_server_create(web_db(r), name, r->user.id, blueprint_id, (int)port, &id);
	if (rc == DB_OK)
		rc = db_server_set_launch(web_db(r), name, &set);
	if (rc == DB_OK) { /* its RCON password comes with it */
		struct rcon_row rcon;

		rc = db_rcon_get(web_db(r), id, &rcon);
		explicit_bzero(&rcon, sizeof(rcon));
	}
	rc = db_tx_end(web_db(r), nested, rc);
	free(canon);
	if (rc == DB_EXISTS)
		return fail(err, 409, "that name or port is already taken");
	if (rc == DB_INVALID)
		return fail(err, 400, "blueprint_id: no such blueprint");
	if (rc != DB_OK)
		return db_fail(rc, err);
	(void)db_audit(web_db(r), r->user.id, r->user.name, "server_create", name, "");
	return 0;
}

int ops_server_launch(struct req *r, const char *name, const struct ops_launch *ls,
		      struct ops_error *err)
{
	struct launch_settings set;
	struct server s;
	char *canon;
	int rc = ops_server(r, name, &s);

	if (rc != DB_OK)
		return db_fail(rc, err);
	server_fini(&s);
	if (ops_launch_check(ls, true, &set, &canon, err) < 0)
		return -1;
	rc = db_server_set_launch(web_db(r), name, &set);
	free(canon);
	if (rc != DB_OK)
		return db_fail(rc, err);
	(void)db_audit(web_db(r), r->user.id, r->user.name, "server_update", name,
		       "launch settings");
	return 0;
}

int ops_blueprint_save(struct req *r, const struct blueprint *cur, const char *name,
		       const char *config, const struct ops_launch *ls,
		       const struct blueprint_overlay *ov, size_t n, bool set_overlays, int64_t *id,
		       struct ops_error *err)
{
	sqlite3 *db = web_db(r);
	struct launch_settings set;
	char *canon = NULL;
	bool nested;
	int rc;

	if (!name || !valid_display_name(name))
		return fail(err, 400, NAME_RULE);
	if (ls && ops_launch_check(ls, false, &set, &canon, err) < 0)
		return -1;
	*id = cur ? cur->id : 0;
	if (!cur) {
		if (quota_tx_begin(r, Q_BLUEPRINTS, &nested, err) < 0) {
			free(canon);
			return -1;
		}
		rc = DB_OK;
	} else {
		rc = db_tx_begin(db, &nested);
	}
	if (rc == DB_OK)
		rc = cur ? db_blueprint_update(db, *id, name, config)
			 : db_blueprint_create(db, r->user.id, name, config, id);
	if (rc == DB_OK && ls)
		rc = db_blueprint_set_launch(db, *id, &set);
	if (rc == DB_OK && set_overlays)
		rc = db_blueprint_set_overlays(db, *id, r->user.id, ov, n);
	rc = db_tx_end(db, nested, rc);
	free(canon);
	if (rc == DB_EXISTS)
		return fail(err, 409, "you already have a blueprint of that name");
	if (rc == DB_INVALID)
		return fail(err, 400,
			    "overlays: an unknown or repeated overlay, or the config is too long "
			    "or not text");
	if (rc != DB_OK)
		return db_fail(rc, err);
	audit_id(r, cur ? "blueprint_update" : "blueprint_create", *id, name);
	return 0;
}

int ops_blueprint_delete(struct req *r, const char *id, struct ops_error *err)
{
	struct blueprint b;
	int rc = ops_blueprint(r, id, &b);

	if (rc != DB_OK)
		return db_fail(rc, err);
	rc = db_blueprint_delete(web_db(r), b.id);
	if (rc == DB_OK)
		audit_id(r, "blueprint_delete", b.id, b.name);
	blueprint_fini(&b);
	if (rc == DB_INVALID)
		return fail(err, 409, "servers still use this blueprint");
	return rc == DB_OK ? 0 : db_fail(rc, err);
}

static int overlay_save(struct req *r, const struct overlay *cur, const char *name,
			const char *script, bool build, int64_t *id, int64_t *job_id,
			struct ops_error *err);

/* A browser sends a textarea's lines ending in CRLF; /bin/sh would take
 * the CR as part of each command ("set -eu\r"), so a script keeps LF. */
static char *script_lf(const char *script)
{
	char *out = xstrdup(script), *w = out;

	for (const char *p = script; *p; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			*w++ = *p;
	*w = '\0';
	return out;
}

int ops_overlay_save(struct req *r, const struct overlay *cur, const char *name, const char *script,
		     bool build, int64_t *id, int64_t *job_id, struct ops_error *err)
{
	char *lf = script ? script_lf(script) : NULL;
	int rc = overlay_save(r, cur, name, lf, build, id, job_id, err);

	free(lf);
	return rc;
}

static int overlay_save(struct req *r, const struct overlay *cur, const char *name,
			const char *script, bool build, int64_t *id, int64_t *job_id,
			struct ops_error *err)
{
	sqlite3 *db = web_db(r);
	bool nested;
	int rc;

	*job_id = 0;
	if (!name || !valid_display_name(name))
		return fail(err, 400, NAME_RULE);
	*id = cur ? cur->id : 0;
	if (cur) {
		rc = db_overlay_update(db, *id, name, script);
	} else {
		if (quota_tx_begin(r, Q_OVERLAYS, &nested, err) < 0)
			return -1;
		rc = db_overlay_create(db, r->user.id, name, script, id);
		rc = db_tx_end(db, nested, rc);
	}
	if (rc == DB_INVALID)
		return fail(err, 400, "build_script: too long or not text");
	if (rc != DB_OK)
		return db_fail(rc, err);
	audit_id(r, cur ? "overlay_update" : "overlay_create", *id, name);
	if (!cur) {
		struct overlay o = {.id = *id, .kind = (char *)(script ? "script" : "user")};

		/* Its directory comes with it: a never-written overlay is an empty
		 * layer.  If this fails the overlay page says so, and the worker
		 * makes it at the next start (docs/SECURITY.md). */
		if (files_overlay_mkdir(r->w->cfg->state_dir, &o) < 0)
			log_warn("overlay %lld: cannot create %s/overlays/%lld: %s", (long long)*id,
				 r->w->cfg->state_dir, (long long)*id, strerror(errno));
	}
	if (build && script && script[0]) {
		if (quota_check(r, Q_QUEUED_JOBS, err) < 0)
			return -1;
		rc = ops_enqueue_build(r, *id, job_id);
		if (rc != DB_OK)
			return fail(err, rc == DB_BUSY ? 503 : 500,
				    "saved, but the build could not be queued");
	}
	return 0;
}

int ops_overlay_delete(struct req *r, const char *id, struct ops_error *err)
{
	struct overlay o;
	int rc = ops_overlay(r, id, false, &o);

	if (rc != DB_OK)
		return db_fail(rc, err);
	rc = db_overlay_delete(web_db(r), o.id);
	if (rc == DB_OK)
		audit_id(r, "overlay_delete", o.id, o.name);
	overlay_fini(&o);
	if (rc == DB_INVALID)
		return fail(err, 409, "a blueprint still uses this overlay");
	return rc == DB_OK ? 0 : db_fail(rc, err);
}

int ops_overlay_build(struct req *r, const char *id, int64_t *job_id, struct ops_error *err)
{
	struct overlay o;
	int rc = ops_overlay(r, id, false, &o);

	if (rc != DB_OK)
		return db_fail(rc, err);
	if (strcmp(o.kind, "script") != 0) {
		overlay_fini(&o);
		return fail(err, 400, "this overlay has no build script");
	}
	if (quota_check(r, Q_QUEUED_JOBS, err) < 0) {
		overlay_fini(&o);
		return -1;
	}
	rc = ops_enqueue_build(r, o.id, job_id);
	overlay_fini(&o);
	return rc == DB_OK ? 0 : db_fail(rc, err);
}

/* ---- workshop overlays ------------------------------------------------------- */

/* A refusal naming the bad entry lives in this thread's buffer until the
 * thread's next one, as quota_msg. */
static __thread char workshop_msg[512];

/* The audit row of a job queued by a db_workshop_* call. */
static void audit_job(struct req *r, enum job_kind kind, int64_t target, int64_t job)
{
	char object[32], detail[48];

	snprintf(object, sizeof(object), "%" PRId64, target);
	snprintf(detail, sizeof(detail), "job=%" PRId64, job);
	(void)db_audit(web_db(r), r->user.id, r->user.name, job_kind_name(kind), object, detail);
}

int ops_workshop_parse(struct req *r, const char *field, const char *text, int64_t **ids, size_t *n,
		       struct ops_error *err)
{
	char why[sizeof(workshop_msg) - 80];

	if (workshop_ids_parse_list(text ? text : "", (size_t)r->w->cfg->fetcher.workshop.max_ids,
				    ids, n, why, sizeof(why)) < 0) {
		/* A cut is fine: the message is one line for a person. */
		snprintf(workshop_msg, sizeof(workshop_msg), "%s: %s", field, why);
		return fail(err, 400, workshop_msg);
	}
	return 0;
}

/* The message of DB_INVALID from a list change: the list itself passed
 * ops_workshop_parse, so only its length can be wrong. */
static int workshop_invalid(struct req *r, struct ops_error *err)
{
	snprintf(workshop_msg, sizeof(workshop_msg),
		 "workshop_ids: at most %lld ids or URLs, none twice (fetcher.workshop.max_ids)",
		 (long long)r->w->cfg->fetcher.workshop.max_ids);
	return fail(err, 400, workshop_msg);
}

int ops_workshop_create(struct req *r, const char *name, const int64_t *ids, size_t n, int64_t *id,
			int64_t *job_id, struct ops_error *err)
{
	sqlite3 *db = web_db(r);
	bool nested;
	int rc;

	*job_id = 0;
	if (!name || !valid_display_name(name))
		return fail(err, 400, NAME_RULE);
	if (quota_tx_begin(r, Q_OVERLAYS, &nested, err) < 0)
		return -1;
	if (n > 0 && quota_check(r, Q_QUEUED_JOBS, err) < 0) {
		db_tx_end(db, nested, DB_INVALID);
		return -1;
	}
	rc = db_workshop_create(db, r->user.id, name, ids, n,
				(size_t)r->w->cfg->fetcher.workshop.max_ids, id, job_id);
	rc = db_tx_end(db, nested, rc);
	if (rc == DB_INVALID)
		return workshop_invalid(r, err);
	if (rc != DB_OK)
		return db_fail(rc, err);
	audit_id(r, "overlay_create", *id, name);
	if (*job_id)
		audit_job(r, JOB_SYNC_WORKSHOP, *id, *job_id);
	return 0;
}

/* The requester's workshop overlay id: 0, or -1 with err (404; 409 for
 * an overlay of another kind). */
static int workshop_overlay(struct req *r, const char *id, struct overlay *o, struct ops_error *err)
{
	int rc = ops_overlay(r, id, false, o);

	if (rc != DB_OK)
		return db_fail(rc, err);
	if (strcmp(o->kind, "workshop") != 0) {
		overlay_fini(o);
		return fail(err, 409, "not a workshop overlay");
	}
	return 0;
}

int ops_workshop_set(struct req *r, const char *id, const int64_t *ids, size_t n,
		     int64_t *overlay_id, int64_t *job_id, struct ops_error *err)
{
	struct overlay o;
	int rc;

	*job_id = 0;
	if (workshop_overlay(r, id, &o, err) < 0)
		return -1;
	*overlay_id = o.id;
	overlay_fini(&o);
	if (n > 0 && quota_check(r, Q_QUEUED_JOBS, err) < 0)
		return -1;
	rc = db_workshop_set_ids(web_db(r), *overlay_id, ids, n,
				 (size_t)r->w->cfg->fetcher.workshop.max_ids, job_id);
	if (rc == DB_INVALID)
		return workshop_invalid(r, err);
	if (rc != DB_OK)
		return db_fail(rc, err);
	{
		char object[32], detail[32];

		snprintf(object, sizeof(object), "%" PRId64, *overlay_id);
		snprintf(detail, sizeof(detail), "ids=%zu", n);
		(void)db_audit(web_db(r), r->user.id, r->user.name, "overlay_workshop_update",
			       object, detail);
	}
	if (*job_id)
		audit_job(r, JOB_SYNC_WORKSHOP, *overlay_id, *job_id);
	return 0;
}

int ops_workshop_listed(struct req *r, const char *id, int64_t **ids, size_t *n,
			struct ops_error *err)
{
	struct overlay o;
	int rc;

	if (workshop_overlay(r, id, &o, err) < 0)
		return -1;
	rc = db_workshop_listed_ids(web_db(r), o.id, ids, n);
	overlay_fini(&o);
	return rc == DB_OK ? 0 : db_fail(rc, err);
}

int ops_workshop_sync(struct req *r, const char *id, int64_t *job_id, struct ops_error *err)
{
	struct overlay o;
	int rc;

	if (workshop_overlay(r, id, &o, err) < 0)
		return -1;
	if (quota_check(r, Q_QUEUED_JOBS, err) < 0) {
		overlay_fini(&o);
		return -1;
	}
	rc = db_workshop_enqueue_sync(web_db(r), o.id, r->user.id, job_id, NULL);
	if (rc == DB_OK)
		audit_job(r, JOB_SYNC_WORKSHOP, o.id, *job_id);
	overlay_fini(&o);
	return rc == DB_OK ? 0 : db_fail(rc, err);
}

int ops_workshop_preview(struct req *r, const char *id, const char *pub, const char **type,
			 struct ops_error *err)
{
	struct overlay o;
	int64_t pid;
	bool lists = false;
	int rc, fd;

	if (workshop_overlay(r, id, &o, err) < 0)
		return -1;
	rc = valid_id(pub, &pid) ? db_workshop_overlay_lists(web_db(r), o.id, pid, &lists)
				 : DB_NOTFOUND;
	overlay_fini(&o);
	if (rc != DB_OK)
		return db_fail(rc, err);
	if (!lists)
		return fail(err, 404, "this overlay lists no such item");
	fd = files_workshop_preview_open(r->w->cfg->state_dir, pid, type);
	if (fd < 0)
		return fail(err, 404, "no preview image of this item is cached");
	return fd;
}

/* ---- overlay files ------------------------------------------------------------ */

/* The requester's overlay id if the web may change its files: 0, or -1
 * with err (why_global: the message for a global overlay). */
static int writable_overlay(struct req *r, const char *id, const char *path, struct overlay *o,
			    const char *why_global, struct ops_error *err)
{
	int rc = ops_overlay(r, id, false, o);

	if (rc != DB_OK)
		return db_fail(rc, err);
	if (!files_overlay_writable(o)) {
		overlay_fini(o);
		return fail(err, 409, why_global);
	}
	if (!path || !valid_overlay_path(path)) {
		overlay_fini(o);
		return fail(err, 400, ops_bad_path(path));
	}
	return 0;
}

/* The sizes of the regular files beneath dirfd (consumed), not following
 * symlinks and not crossing into another filesystem (a server's merged/
 * is a mount of the whole game); a directory deeper than 256 levels or
 * that cannot be read counts as empty. */
static int64_t tree_bytes(int dirfd, int depth)
{
	struct stat top;
	DIR *d = fdopendir(dirfd);
	struct dirent *e;
	int64_t sum = 0;

	if (!d) {
		close(dirfd);
		return 0;
	}
	if (fstat(dirfd, &top) < 0) {
		closedir(d);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		int fd;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode)) {
			sum += st.st_size;
		} else if (S_ISDIR(st.st_mode) && st.st_dev == top.st_dev && depth < 256) {
			fd = openat(dirfd, e->d_name,
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
			if (fd >= 0)
				sum += tree_bytes(fd, depth + 1);
		}
	}
	closedir(d);
	return sum;
}

/* Bytes of the regular files in overlay o (0 if it has no dir yet). */
static int64_t overlay_bytes(struct req *r, const struct overlay *o)
{
	bool is_dir = false;
	int fd = files_open(r->w->cfg->state_dir, o, "", &is_dir);

	if (fd < 0)
		return 0;
	if (!is_dir) {
		close(fd);
		return 0;
	}
	return tree_bytes(fd, 0);
}

int64_t ops_overlay_bytes(struct req *r, const struct overlay *o)
{
	return overlay_bytes(r, o);
}

int ops_server_data_bytes(struct req *r, const struct server *s, int64_t *bytes)
{
	int state, dir;

	*bytes = 0;
	state = open(r->w->cfg->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (state < 0)
		return -1;
	dir = openat(state, "runtime", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(state);
	if (dir < 0)
		return errno == ENOENT ? 1 : -1;
	state = dir;
	dir = openat(state, s->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	close(state);
	if (dir < 0)
		return errno == ENOENT ? 1 : -1;
	*bytes = tree_bytes(dir, 0);
	return 0;
}

/* An upload under way: its file and the room its quotas leave. */
struct upload {
	struct files_writer *fw;
	int64_t overlay_id;
	char *id;	     /* as the route named it, for the audit */
	int64_t here, total; /* bytes of the overlay and of all the user's
				overlays, without the file it replaces */
};

/* The bytes overlay o and all the requester's overlays hold, not counting
 * the file at path (which an upload replaces): 0, or -1 with err. */
static int upload_room(struct req *r, const struct overlay *o, const char *path, struct upload *u,
		       struct ops_error *err)
{
	const struct config *cfg = r->w->cfg;
	int64_t old = 0;
	struct overlay *list = NULL;
	struct stat st;
	bool is_dir = false;
	size_t n = 0, i;
	int fd, rc;

	u->here = u->total = 0;
	if (r->user.admin || (cfg->quotas.overlay_bytes == 0 && cfg->quotas.total_bytes == 0))
		return 0;
	fd = files_open(cfg->state_dir, o, path, &is_dir);
	if (fd >= 0) {
		if (!is_dir && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			old = st.st_size;
		close(fd);
	}
	u->here = overlay_bytes(r, o) - old;
	if (cfg->quotas.total_bytes == 0)
		return 0;
	rc = db_overlay_list(web_db(r), r->user.id, false, &list, &n);
	if (rc != DB_OK)
		return db_fail(rc, err);
	for (i = 0; i < n; i++)
		u->total += list[i].id == o->id ? u->here : overlay_bytes(r, &list[i]);
	overlay_list_free(list, n);
	return 0;
}

/* Whether an upload of size bytes keeps quotas.overlay_bytes and
 * quotas.total_bytes (exact: the whole file's size, else what has come so
 * far): 0, or -1 with err. */
static int upload_quota(struct req *r, const struct upload *u, int64_t size, bool exact,
			struct ops_error *err)
{
	const struct config *cfg = r->w->cfg;
	const char *how = exact ? "" : "at least ";
	char text[160];

	if (r->user.admin)
		return 0;
	if (cfg->quotas.overlay_bytes > 0 && u->here + size > cfg->quotas.overlay_bytes) {
		snprintf(text, sizeof(text),
			 "this upload would make overlay %" PRId64 " hold %s%" PRId64
			 " bytes, over %lld",
			 u->overlay_id, how, u->here + size, cfg->quotas.overlay_bytes);
		return quota_fail(err, "overlay_bytes", text);
	}
	if (cfg->quotas.total_bytes > 0 && u->total + size > cfg->quotas.total_bytes) {
		snprintf(text, sizeof(text),
			 "this upload would make your overlays hold %s%" PRId64 " bytes, over %lld",
			 how, u->total + size, cfg->quotas.total_bytes);
		return quota_fail(err, "total_bytes", text);
	}
	return 0;
}

static void upload_drop(struct req *r)
{
	struct upload *u = r->upload.ctx;

	if (!u)
		return;
	files_writer_free(u->fw); /* nameless: nothing is left */
	free(u->id);
	free(u);
	r->upload.ctx = NULL;
}

/* The upload's next bytes, refused once a quota would be passed. */
static int upload_write(struct req *r, const char *data, size_t len)
{
	struct upload *u = r->upload.ctx;
	struct ops_error err;

	if (upload_quota(r, u, files_writer_size(u->fw) + (int64_t)len, false, &err) < 0) {
		web_upload_fail(r, err.status, err.msg);
		return -1;
	}
	if (files_writer_write(u->fw, data, len) < 0) {
		log_warn("overlay=%" PRId64 ": cannot write an upload: %s", u->overlay_id,
			 strerror(errno));
		web_upload_fail(r, 500, "cannot write the file");
		return -1;
	}
	return 0;
}

int ops_overlay_upload_begin(struct req *r, const char *id, const char *path, int64_t size,
			     struct ops_error *err)
{
	struct upload *u = xcalloc(1, sizeof(*u));
	struct overlay o;

	if (writable_overlay(r, id, path, &o, "global overlays take no uploads", err) < 0) {
		free(u);
		return -1;
	}
	u->overlay_id = o.id;
	if (upload_room(r, &o, path, u, err) < 0 ||
	    (size >= 0 && upload_quota(r, u, size, true, err) < 0)) {
		overlay_fini(&o);
		free(u);
		return -1;
	}
	if (files_writer_open(r->w->cfg->state_dir, &o, path, &u->fw) < 0) {
		overlay_fini(&o);
		free(u);
		return fail(err, errno == EINVAL ? 400 : 409, "cannot write that path");
	}
	overlay_fini(&o);
	u->id = xstrdup(id);
	r->upload.write = upload_write;
	r->upload.drop = upload_drop;
	r->upload.ctx = u;
	return 0;
}

int ops_overlay_upload_commit(struct req *r, int64_t *overlay_id, int64_t *size,
			      struct ops_error *err)
{
	struct upload *u = r->upload.ctx;
	int rc;

	if (!u)
		return fail(err, 400, "no file in the request");
	*overlay_id = u->overlay_id;
	*size = files_writer_size(u->fw);
	rc = files_writer_commit(u->fw); /* frees it */
	u->fw = NULL;
	if (rc < 0)
		log_warn("overlay=%" PRId64 ": cannot commit an upload: %s", u->overlay_id,
			 strerror(errno));
	else
		(void)db_audit(web_db(r), r->user.id, r->user.name, "overlay_upload", u->id, "");
	free(u->id);
	free(u);
	memset(&r->upload, 0, sizeof(r->upload));
	return rc < 0 ? fail(err, 409, "cannot write that path") : 0;
}

int ops_overlay_file_write(struct req *r, const char *id, const char *path, const char *data,
			   size_t len, int64_t *overlay_id, struct ops_error *err)
{
	int64_t size;

	if (ops_overlay_upload_begin(r, id, path, (int64_t)len, err) < 0)
		return -1;
	if (upload_write(r, data, len) < 0) {
		/* upload_write failed it: its answer is the one kept */
		return fail(err, r->upload_status, r->upload_msg);
	}
	return ops_overlay_upload_commit(r, overlay_id, &size, err);
}

int ops_overlay_file_delete(struct req *r, const char *id, const char *path, int64_t *overlay_id,
			    struct ops_error *err)
{
	struct overlay o;
	int rc;

	if (writable_overlay(r, id, path, &o, "global overlays cannot be changed", err) < 0)
		return -1;
	*overlay_id = o.id;
	rc = files_delete(r->w->cfg->state_dir, &o, path);
	overlay_fini(&o);
	if (rc < 0)
		return errno == ENOENT ? fail(err, 404, "no such file")
				       : fail(err, 409, "cannot delete that path");
	(void)db_audit(web_db(r), r->user.id, r->user.name, "overlay_file_delete", id, "");
	return 0;
}

int ops_overlay_file_open(struct req *r, const char *id, const char *path, struct ops_error *err)
{
	struct overlay o;
	bool is_dir = false;
	int rc = ops_overlay(r, id, true, &o), fd;

	if (rc != DB_OK)
		return db_fail(rc, err);
	if (!valid_overlay_path(path)) {
		overlay_fini(&o);
		return fail(err, 400, ops_bad_path(path));
	}
	fd = files_open(r->w->cfg->state_dir, &o, path, &is_dir);
	overlay_fini(&o);
	if (fd < 0)
		return errno == ENOENT ? fail(err, 404, "no such file") : fail(err, 403, "refused");
	if (is_dir) {
		close(fd);
		return fail(err, 400, "a directory");
	}
	return fd;
}

/* ---- the audit log ------------------------------------------------------------- */

/* One optional text filter of at most max bytes, printable ASCII. */
static bool audit_text_ok(const char *v, size_t max)
{
	size_t len = v ? strlen(v) : 0;

	if (!v)
		return true;
	if (len == 0 || len > max)
		return false;
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || (unsigned char)*v >= 0x7f)
			return false;
	return true;
}

int ops_audit_filter(struct req *r, struct audit_filter *f, struct ops_error *err)
{
	const char *since = web_query(r, "since"), *until = web_query(r, "until"),
		   *before = web_query(r, "before"), *limit = web_query(r, "limit"), *why;
	long long v;

	memset(f, 0, sizeof(*f));
	f->limit = OPS_AUDIT_PAGE;
	f->actor = web_query(r, "user");
	f->action = web_query(r, "action");
	f->object = web_query(r, "object");
	/* An empty field of the page's filter form is no filter. */
	if (f->actor && !f->actor[0])
		f->actor = NULL;
	if (f->action && !f->action[0])
		f->action = NULL;
	if (f->object && !f->object[0])
		f->object = NULL;
	if (!audit_text_ok(f->actor, 64))
		return fail(err, 400, "user: a user name, cli or system");
	if (!audit_text_ok(f->action, 64))
		return fail(err, 400, "action: 1 to 64 printable characters");
	if (!audit_text_ok(f->object, 128))
		return fail(err, 400, "object: 1 to 128 printable characters");
	if (since && since[0]) {
		if (parse_since(since, now_ms(), &v, &why) < 0)
			return fail(err, 400,
				    "since: expected YYYY-MM-DD[THH:MM[:SS]] (UTC) or an "
				    "age such as 30m, 2h, 7d");
		f->since = v > 0 ? v : 1;
	}
	if (until && until[0]) {
		if (parse_since(until, now_ms(), &v, &why) < 0)
			return fail(err, 400,
				    "until: expected YYYY-MM-DD[THH:MM[:SS]] (UTC) or an "
				    "age such as 30m, 2h, 7d");
		f->until = v > 0 ? v : 1;
	}
	if (before && before[0] && !valid_id(before, &f->before))
		return fail(err, 400, "before: expected an id (next_before of the last page)");
	if (limit && limit[0]) {
		if (parse_int(limit, 1, AUDIT_PAGE_MAX, &v) < 0)
			return fail(err, 400, "limit: expected 1..500");
		f->limit = (int)v;
	}
	return 0;
}

/* ---- API tokens --------------------------------------------------------------- */

int ops_token_revoke(struct req *r, const char *id, struct ops_error *err)
{
	int64_t n;
	int rc;

	if (!valid_id(id, &n))
		return fail(err, 404, "no such token");
	rc = db_token_revoke(web_db(r), r->user.id, n);
	if (rc == DB_NOTFOUND)
		return fail(err, 404, "no such token");
	if (rc != DB_OK)
		return db_fail(rc, err);
	audit_id(r, "token_revoke", n, "");
	return 0;
}

/* ---- schedules -------------------------------------------------------------- */

static void audit_schedule(struct req *r, const char *action, const struct server *s,
			   const struct schedule *c)
{
	char detail[CONSOLE_COMMAND_MAX + 192], cmd[CONSOLE_COMMAND_MAX + 16] = "";

	if (c->action == SCHED_COMMAND)
		console_audit_text(c->command, cmd, sizeof(cmd));
	snprintf(detail, sizeof(detail), "schedule=%" PRId64 " %s '%s'%s%s", c->id,
		 sched_action_name(c->action), c->cron, cmd[0] ? " " : "",
		 cmd); /* an audit detail: a cut is fine */
	(void)db_audit(web_db(r), r->user.id, r->user.name, action, s->name, detail);
}

void ops_schedule_input(const struct schedule *cur, struct schedule_input *in)
{
	in->action = sched_action_name(cur->action);
	in->cron = cur->cron;
	in->command = cur->action == SCHED_COMMAND ? cur->command : NULL;
	in->only_when_empty = cur->only_when_empty;
	in->wait_minutes = cur->wait_minutes;
	in->on_timeout = cur->force_on_timeout ? "force" : "skip";
	in->enabled = cur->enabled;
}

unsigned ops_schedule_save(struct req *r, const struct server *s, const struct schedule *cur,
			   const struct schedule_input *in, int64_t *id, const char **field,
			   char *msg, size_t msglen)
{
	const struct config *cfg = r->w->cfg;
	struct schedule c;
	int rc;

	*field = NULL;
	if (schedule_check(in, &c, field, msg, msglen) < 0)
		return 400;
	c.server_id = s->id;
	c.next_run = schedule_next_after(c.cron, (int64_t)time(NULL));
	if (cur) {
		c.id = cur->id;
		rc = db_schedule_update(web_db(r), &c);
	} else {
		rc = db_schedule_create(web_db(r), &c, cfg->schedules.max_per_server);
	}
	if (rc == DB_EXISTS) {
		snprintf(msg, msglen,
			 "server %s has %d schedules, the most it may have "
			 "(schedules.max_per_server)",
			 s->name, cfg->schedules.max_per_server);
		return 409;
	}
	if (rc != DB_OK) {
		struct ops_error err;

		ops_db_error(rc, &err);
		snprintf(msg, msglen, "%s", err.msg);
		return err.status;
	}
	*id = c.id;
	audit_schedule(r, cur ? "schedule_update" : "schedule_create", s, &c);
	return cur ? 200 : 201;
}

int ops_schedule_set_enabled(struct req *r, const struct server *s, int64_t id, bool enabled,
			     struct ops_error *err)
{
	struct schedule c;
	int rc = db_schedule_get(web_db(r), s->id, id, &c);

	if (rc == DB_OK)
		rc = db_schedule_set_enabled(
		    web_db(r), s->id, id, enabled,
		    enabled ? schedule_next_after(c.cron, (int64_t)time(NULL)) : 0);
	if (rc != DB_OK)
		return db_fail(rc, err);
	audit_schedule(r, enabled ? "schedule_enable" : "schedule_disable", s, &c);
	return 0;
}

int ops_schedule_delete(struct req *r, const struct server *s, int64_t id, struct ops_error *err)
{
	struct schedule c;
	int rc = db_schedule_get(web_db(r), s->id, id, &c);

	if (rc == DB_OK)
		rc = db_schedule_delete(web_db(r), s->id, id);
	if (rc != DB_OK)
		return db_fail(rc, err);
	audit_schedule(r, "schedule_delete", s, &c);
	return 0;
}

/* ---- backups and exports (issue 16; docs/SECURITY.md "Backups and exports") ---- */

int ops_export_server(struct req *r, const char *name, int64_t *job_id, struct ops_error *err)
{
	struct server s;
	int rc = ops_server_console(r, name, &s);

	if (rc != DB_OK)
		return db_fail(rc, err);
	if (quota_check(r, Q_QUEUED_JOBS, err) < 0) {
		server_fini(&s);
		return -1;
	}
	rc = ops_enqueue(r, JOB_EXPORT_SERVER, s.name, NULL, job_id);
	server_fini(&s);
	return rc == DB_OK ? 0 : db_fail(rc, err);
}

int ops_backup_create(struct req *r, int64_t *job_id, struct ops_error *err)
{
	int rc = ops_enqueue(r, JOB_BACKUP, NULL, "backup", job_id);

	return rc == DB_OK ? 0 : db_fail(rc, err);
}

/* 0 if name is a backup's name and backup.dir holds it as a regular file
 * (looked at, never opened: it is left4me's, 0600). */
static int backup_exists(struct req *r, const char *name, struct ops_error *err)
{
	struct stat st;
	char *path;
	int rc;

	if (!backup_name_ok(name))
		return fail(err, 400,
			    "backup: expected a name like left4me-YYYYMMDDTHHMMSSZ.tar.zst");
	path = xasprintf("%s/%s", r->w->cfg->backup.dir, name);
	rc = lstat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	return rc ? 0 : fail(err, 404, "no such backup");
}

int ops_backup_export(struct req *r, const char *name, int64_t *job_id, struct ops_error *err)
{
	int rc;

	if (backup_exists(r, name, err) < 0)
		return -1;
	rc = ops_enqueue(r, JOB_EXPORT_BACKUP, name, NULL, job_id);
	return rc == DB_OK ? 0 : db_fail(rc, err);
}

static int by_name_desc(const void *a, const void *b)
{
	return strcmp(((const struct ops_backup *)b)->name, ((const struct ops_backup *)a)->name);
}

int ops_backups_list(struct req *r, struct ops_backup **out, size_t *n)
{
	const char *dir = r->w->cfg->backup.dir;
	size_t nn, k = 0;
	char **names = backup_names(dir, &nn);
	struct ops_backup *list = xcalloc(nn ? nn : 1, sizeof(*list));

	for (size_t i = 0; i < nn; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		struct stat st;

		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			snprintf(list[k].name, sizeof(list[k].name), "%s", names[i]);
			list[k].bytes = st.st_size;
			list[k].mtime = st.st_mtime;
			list[k].has_info = backup_info_read(dir, names[i], &list[k].info) == 0;
			k++;
		}
		free(path);
	}
	backup_names_free(names, nn);
	qsort(list, k, sizeof(*list), by_name_desc);
	*out = list;
	*n = k;
	return 0;
}

/* STATE/exports as a directory fd (exports/ not followed if a symlink). */
static int exports_dir_open(const char *state_dir)
{
	int state = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;

	if (state < 0)
		return -1;
	fd = openat(state, "exports", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(state);
	return fd;
}

int ops_export_open(struct req *r, const struct job *j, char *fname, size_t fname_len,
		    struct ops_error *err)
{
	static __thread char msg[160];
	bool server = j->kind == JOB_EXPORT_SERVER;
	char file[48];
	struct stat st;
	int dir, fd;

	if ((!server && j->kind != JOB_EXPORT_BACKUP) || (!server && !r->user.admin) ||
	    (!r->user.admin && j->user_id != r->user.id))
		return fail(err, 404, "not found");
	if (j->state != JOB_SUCCEEDED)
		return fail(err, 409, "the export is not ready: its job has not succeeded");
	if (now_ms() - j->finished_at > (int64_t)r->w->cfg->backup.export_ttl * 1000) {
		snprintf(msg, sizeof(msg),
			 "the export expired (backup.export_ttl: %d s); make a new one",
			 r->w->cfg->backup.export_ttl);
		return fail(err, 410, msg);
	}
	snprintf(file, sizeof(file), "%lld.tar.zst", (long long)j->id);
	if (server)
		snprintf(fname, fname_len, "%s-data-%lld.tar.zst", j->target, (long long)j->id);
	else
		snprintf(fname, fname_len, "%s", j->target);
	dir = exports_dir_open(r->w->cfg->state_dir);
	fd = dir < 0 ? -1 : openat(dir, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (dir >= 0)
		close(dir);
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
	}
	return fd >= 0 ? fd : fail(err, 410, "the export is gone; make a new one");
}

int ops_export_latest(struct req *r, enum job_kind kind, const char *target, struct job *out,
		      struct ops_error *err)
{
	int rc = db_job_latest_done(web_db(r), kind, target, r->user.admin ? 0 : r->user.id, out);

	if (rc == DB_NOTFOUND)
		return fail(err, 404,
			    kind == JOB_EXPORT_SERVER
				? "no export of this server is ready: POST "
				  "/api/v1/servers/NAME/export first, then wait for its job"
				: "no copy of this backup is ready: POST "
				  "/api/v1/admin/backups/NAME/export first, then wait for its job");
	return rc == DB_OK ? 0 : db_fail(rc, err);
}
