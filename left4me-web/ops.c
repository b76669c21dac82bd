/* Ownership checks, job enqueueing and console commands shared by pages
 * and the API. */
#include "ops.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "console.h"
#include "db.h"
#include "files.h"
#include "log.h"
#include "validate.h"

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
	char err[256];
	bool nested;
	int rc;

	/* The rule first: a refused command is neither sent nor audited
	 * (and a NUL inside it must not shorten what is checked). */
	if (!console_command_ok(cmd, len, msg, msglen))
		return 400;
	rc = db_tx_begin(db, &nested);
	if (rc == DB_OK) {
		rc = db_audit(db, r->user.id, r->user.name, "console", s->name, cmd);
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
				s->name, r->user.name, cmd);
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

int ops_overlay_file_open(struct req *r, const char *id, const char *path, struct ops_error *err)
{
	struct overlay o;
	bool is_dir = false;
	int rc = ops_overlay(r, id, true, &o), fd;

	if (rc != DB_OK) {
		ops_db_error(rc, err);
		return -1;
	}
	if (!valid_overlay_path(path)) {
		overlay_fini(&o);
		*err = (struct ops_error){400, "bad path"};
		return -1;
	}
	fd = files_open(r->w->cfg->state_dir, &o, path, &is_dir);
	overlay_fini(&o);
	if (fd < 0) {
		*err = errno == ENOENT ? (struct ops_error){404, "no such file"}
				       : (struct ops_error){403, "refused"};
		return -1;
	}
	if (is_dir) {
		close(fd);
		*err = (struct ops_error){400, "a directory"};
		return -1;
	}
	return fd;
}

void ops_db_error(int rc, struct ops_error *err)
{
	if (rc == DB_NOTFOUND)
		*err = (struct ops_error){404, "not found"};
	else if (rc == DB_BUSY)
		*err = (struct ops_error){503, "the database is busy; try again"};
	else
		*err = (struct ops_error){500, "database error"};
}
