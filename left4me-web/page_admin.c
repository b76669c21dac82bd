/* The admin page: the game install with its last run, and the users
 * (add, enable, disable, reset a password).  Admins only (routes.c). */
#include "page_admin.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "db.h"
#include "db_game.h"
#include "ops.h"
#include "page.h"
#include "validate.h"

/* The installed builds, which servers run which, the newest available. */
static int game_builds(struct req *r, struct html *h)
{
	struct game_info g;

	const struct config *cfg = r->w->cfg;

	if (db_game_info(web_db(r), &g) != DB_OK)
		return -1;
	html_printf(h,
		    "<p id=\"update-policy\">Update policy: <strong>%s</strong>%s%s%s (set "
		    "<code>updates.policy</code> in the config: manual shows a new build, "
		    "when_empty installs it and restarts each server once it has no human "
		    "players, window restarts them in the daily window).</p>",
		    update_policy_name(cfg->updates.policy),
		    cfg->updates.policy == UPDATE_WINDOW ? ", window " : "",
		    cfg->updates.policy == UPDATE_WINDOW ? cfg->updates.window : "",
		    cfg->updates.policy == UPDATE_WINDOW ? " (host time)" : "");
	if (g.update_available)
		html_printf(h,
			    "<p class=\"notice\">An update is available: build %D (installed: "
			    "%D). Install it; servers move to it when they restart.</p>",
			    g.latest, g.current);
	else if (g.latest)
		html_printf(h, "<p class=\"muted\">Newest build on Steam: %D.</p>", g.latest);
	else
		html_printf(h, "<p class=\"muted\">The newest build on Steam has not been checked "
			       "yet (left4me-update-check.timer).</p>");
	if (g.n_builds == 0)
		html_printf(h, "<p class=\"muted\">No build installed.</p>");
	else
		html_printf(h, "<table><thead><tr><th>Build</th><th>Servers on it</th></tr></thead>"
			       "<tbody>");
	for (size_t i = 0; i < g.n_builds; i++) {
		html_printf(h, "<tr><td>%D%s</td><td>", g.builds[i].id,
			    g.builds[i].current ? " (current)" : "");
		for (size_t j = 0; j < g.builds[i].n_servers; j++)
			html_printf(h, "%s<a href=\"/servers/%u\">%s</a>", j ? ", " : "",
				    g.builds[i].servers[j], g.builds[i].servers[j]);
		html_printf(h, "</td></tr>");
	}
	if (g.n_builds)
		html_printf(h, "</tbody></table>");
	game_info_fini(&g);
	return 0;
}

int page_admin(struct req *r)
{
	struct user *users;
	size_t nu, i;
	struct job_filter f = {0, NULL, 0, 200};
	struct job *jobs;
	size_t nj;
	struct html h;

	if (db_user_list(web_db(r), &users, &nu) != DB_OK)
		return ops_db_fail(r, DB_ERROR);
	if (db_job_list(web_db(r), &f, &jobs, &nj) != DB_OK) {
		user_list_free(users, nu);
		return ops_db_fail(r, DB_ERROR);
	}
	html_init(&h);
	page_begin(r, &h, "Admin");
	html_printf(&h, "<h1>Admin</h1><section class=\"card\"><h2>Game installation</h2>"
			"<p class=\"muted\">SteamCMD installs or updates Left 4 Dead 2 "
			"(app 222860) as a new build; running servers keep theirs until "
			"they restart.</p><form class=\"inline\" method=\"post\" "
			"action=\"/admin/install-game\">");
	page_csrf_input(r, &h);
	html_printf(&h, "<label class=\"check\"><input type=\"checkbox\" name=\"validate\" "
			"value=\"1\"> validate every file (slower)</label> "
			"<button type=\"submit\" class=\"primary\">Install / update game"
			"</button></form>");
	if (game_builds(r, &h) < 0) {
		html_fini(&h);
		job_list_free(jobs, nj);
		user_list_free(users, nu);
		return ops_db_fail(r, DB_ERROR);
	}
	for (i = 0; i < nj; i++) {
		if (jobs[i].kind != JOB_INSTALL_GAME)
			continue;
		html_printf(&h, "<h3>Last run: <a href=\"/jobs/%D\">job #%D</a> ", jobs[i].id,
			    jobs[i].id);
		page_state_badge(&h, job_state_name(jobs[i].state));
		html_printf(&h, "</h3>");
		if (page_job_log(r, &h, &jobs[i], 0, 0) < 0) {
			html_fini(&h);
			job_list_free(jobs, nj);
			user_list_free(users, nu);
			return ops_db_fail(r, DB_ERROR);
		}
		break;
	}
	html_printf(&h, "</section><section class=\"card\"><h2>Backups</h2><p><a "
			"href=\"/admin/backups\">Backups</a>: list, make one now, download.</p>");
	html_printf(&h, "</section><section class=\"card\"><h2>Users</h2><table><thead><tr>"
			"<th>Name</th><th>Role</th><th>Status</th><th>Actions</th>"
			"<th>New password</th></tr></thead><tbody>");
	for (i = 0; i < nu; i++) {
		html_printf(&h, "<tr><td>%s</td><td>%s</td><td>", users[i].name,
			    users[i].admin ? "admin" : "user");
		page_state_badge(&h, users[i].disabled ? "disabled" : "active");
		html_printf(&h, "</td><td>");
		if (users[i].id != r->user.id)
			page_button(r, &h, users[i].disabled ? "Enable" : "Disable",
				    users[i].disabled ? "" : "danger", "/admin/users/%D/%u",
				    users[i].id, users[i].disabled ? "enable" : "disable");
		html_printf(&h,
			    "</td><td><form class=\"inline\" method=\"post\" "
			    "action=\"/admin/users/%D/password\">",
			    users[i].id);
		page_csrf_input(r, &h);
		html_printf(&h,
			    "<input type=\"password\" name=\"password\" minlength=\"8\" "
			    "required autocomplete=\"new-password\" aria-label=\"new password "
			    "for %a\"><button type=\"submit\">Reset</button></form></td></tr>",
			    users[i].name);
	}
	html_printf(&h, "</tbody></table><h3>Add user</h3><form method=\"post\" "
			"action=\"/admin/users\" class=\"grid\">");
	page_csrf_input(r, &h);
	html_printf(&h, "<label>Name <input name=\"username\" required maxlength=\"32\"></label>"
			"<label>Password <input type=\"password\" name=\"password\" "
			"minlength=\"8\" required autocomplete=\"new-password\"></label>"
			"<label class=\"check\"><input type=\"checkbox\" name=\"admin\" "
			"value=\"1\"> admin</label><button type=\"submit\" class=\"primary\">Add"
			"</button></form></section>");
	job_list_free(jobs, nj);
	user_list_free(users, nu);
	return page_finish(r, &h, 200);
}

int page_admin_install(struct req *r)
{
	const char *v = web_param(r, "validate");
	struct ops_error err;
	int64_t job;

	if (ops_install_game(r, v && strcmp(v, "1") == 0, &job, &err) < 0)
		return ops_fail(r, &err);
	return page_redirect_job(r, job);
}

int page_admin_user_add(struct req *r)
{
	const char *name = web_param(r, "username"), *pw = web_param(r, "password"),
		   *admin = web_param(r, "admin");
	char hash[AUTH_HASH_MAX];
	int rc;

	if (!name || !valid_username(name))
		return web_error(r, 400, "a user name is [a-z0-9][a-z0-9._-]{0,31}");
	if (!pw || !valid_password(pw))
		return web_error(r, 400, "a password is 8 to 1024 characters");
	if (auth_hash_password(pw, hash) < 0)
		return web_error(r, 500, "cannot hash the password");
	rc = db_user_add(web_db(r), name, hash, admin && strcmp(admin, "1") == 0, NULL);
	explicit_bzero(hash, sizeof(hash));
	if (rc == DB_EXISTS)
		return web_error(r, 409, "that user exists");
	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	(void)db_audit(web_db(r), r->user.id, r->user.name, "user_add", name,
		       admin && strcmp(admin, "1") == 0 ? "admin" : "user");
	return web_redirect(r, "/admin");
}

/* The confirmation page of disabling user u. */
static int confirm_disable(struct req *r, const struct user *u)
{
	char title[96], action[64];
	const char *lost[] = {"Their logins: every session ends now and they cannot log in "
			      "until enabled again.",
			      "Every API token of theirs, for good (enabling does not bring "
			      "them back)."};
	struct page_confirm c = {title, action, "Disable user", lost, 2, NULL, NULL, "/admin"};

	snprintf(title, sizeof(title), "Disable user %s?", u->name);
	snprintf(action, sizeof(action), "/admin/users/%" PRId64 "/disable", u->id);
	return page_confirm(r, 200, &c);
}

int page_admin_user_action(struct req *r)
{
	const char *act = r->cap[1];
	char hash[AUTH_HASH_MAX];
	int64_t id;
	struct user u;
	int rc;

	if (!valid_id(r->cap[0], &id) || db_user_get(web_db(r), id, &u) != DB_OK)
		return web_error(r, 404, "not found");
	if (strcmp(act, "disable") == 0 || strcmp(act, "enable") == 0) {
		if (id == r->user.id) {
			user_fini(&u);
			return web_error(r, 400, "you cannot disable yourself");
		}
		if (act[0] == 'd' && !web_param(r, "confirm")) {
			rc = confirm_disable(r, &u);
			user_fini(&u);
			return rc;
		}
		rc = db_user_set_disabled(web_db(r), id, act[0] == 'd');
	} else if (strcmp(act, "password") == 0) {
		const char *pw = web_param(r, "password");

		if (!pw || !valid_password(pw)) {
			user_fini(&u);
			return web_error(r, 400, "a password is 8 to 1024 characters");
		}
		if (auth_hash_password(pw, hash) < 0) {
			user_fini(&u);
			return web_error(r, 500, "cannot hash the password");
		}
		rc = db_user_set_password(web_db(r), id, hash);
		explicit_bzero(hash, sizeof(hash));
	} else {
		user_fini(&u);
		return web_error(r, 404, "not found");
	}
	if (rc == DB_OK)
		(void)db_audit(web_db(r), r->user.id, r->user.name,
			       act[0] == 'p'   ? "user_password"
			       : act[0] == 'd' ? "user_disable"
					       : "user_enable",
			       u.name, "");
	user_fini(&u);
	if (rc != DB_OK)
		return ops_db_fail(r, rc);
	return web_redirect(r, "/admin");
}

/* ---- backups (issue 16) ------------------------------------------------------ */

/* GET /admin/backups: what backup.dir holds (names, sizes and the info
 * beside each: the web cannot read a backup itself), make one now, and
 * download one (a copy the worker makes into STATE/exports). */
int page_admin_backups(struct req *r)
{
	struct ops_backup *list;
	char size[32];
	struct html h;
	size_t n;

	ops_backups_list(r, &list, &n);
	html_init(&h);
	page_begin(r, &h, "Backups");
	html_printf(&h,
		    "<h1>Backups</h1><section class=\"card\"><p class=\"muted\">In %s: the "
		    "database, overlays, instance configuration and each server's own data; "
		    "the newest %d are kept (backup.retention). left4me-backup.timer makes one "
		    "daily. <code>left4mectl backup check NAME</code> verifies one against its "
		    "manifest.</p>",
		    r->w->cfg->backup.dir, r->w->cfg->backup.retention);
	page_button(r, &h, "Make one now", "primary", "/admin/backups");
	if (n == 0)
		html_printf(&h, "<p class=\"muted\" id=\"no-backups\">No backup yet.</p>");
	else
		html_printf(&h, "<table id=\"backups\"><thead><tr><th>Name</th><th>Size</th>"
				"<th>Made</th><th>Schema</th><th>Servers</th><th></th></tr></thead>"
				"<tbody>");
	for (size_t i = 0; i < n; i++) {
		html_printf(&h, "<tr><td>%s</td><td>%s</td><td>%T</td>", list[i].name,
			    page_bytes(list[i].bytes, size, sizeof(size)),
			    (int64_t)(list[i].mtime * 1000));
		if (list[i].has_info)
			html_printf(&h, "<td>%d</td><td>%D</td><td>", list[i].info.schema_version,
				    (int64_t)list[i].info.servers);
		else
			html_printf(&h, "<td class=\"muted\">?</td><td class=\"muted\">?</td><td>");
		page_button(r, &h, "Download", "", "/admin/backups/%u/download", list[i].name);
		html_printf(&h, "</td></tr>");
	}
	if (n)
		html_printf(&h, "</tbody></table>");
	html_printf(&h, "</section>");
	free(list);
	return page_finish(r, &h, 200);
}

/* POST /admin/backups: a backup now, by the worker (a job). */
int page_admin_backup_create(struct req *r)
{
	struct ops_error err;
	int64_t job;

	if (ops_backup_create(r, &job, &err) < 0)
		return ops_fail(r, &err);
	return page_redirect_job(r, job);
}

/* POST /admin/backups/NAME/download: the worker copies it for download. */
int page_admin_backup_export(struct req *r)
{
	struct ops_error err;
	int64_t job;

	if (ops_backup_export(r, r->cap[0], &job, &err) < 0)
		return ops_fail(r, &err);
	return page_redirect_job(r, job);
}
