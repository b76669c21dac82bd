/* The one route table: {method, path pattern, handler, auth, csrf, body,
 * cache, error renderer}, and the hooks that plug it, the session checks
 * and the error renderers into the transport (web.h).  Pages answer
 * errors with page_error, the API with api_error, and a path no route has
 * by its prefix.
 * "{}" matches one non-empty path segment (captured, already URL-decoded
 * by libmicrohttpd); a trailing "*" captures the rest of the path.  The
 * login form checks its own pre-login CSRF token (signed double submit),
 * so its csrf column is false.  The upload form is multipart/form-data
 * (max_upload); its fields, csrf_token included, are parsed from it as it
 * comes, and its file streams to the route's upload hook.  The editor's
 * form may be larger than other forms (BODY_EDIT: web.max_edit). */
#include "routes.h"

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_audit.h"
#include "api_blueprints.h"
#include "api_jobs.h"
#include "api_overlays.h"
#include "api_schedules.h"
#include "api_servers.h"
#include "api_tokens.h"
#include "page.h"
#include "page_admin.h"
#include "page_audit.h"
#include "page_blueprints.h"
#include "page_dashboard.h"
#include "page_editor.h"
#include "page_globals.h"
#include "page_jobs.h"
#include "page_login.h"
#include "page_overlays.h"
#include "page_servers.h"
#include "page_status.h"
#include "page_tokens.h"
#include "session.h"
#include "xalloc.h"

/* A page: a form body, HTML errors. */
#define P(m, path, h, auth, csrf)                                                                  \
	{                                                                                          \
		m, path, h, auth, csrf, BODY_FORM, false, page_error                               \
	}
/* A page kept per session until the database changes (cache.h). */
#define C(m, path, h, auth, csrf)                                                                  \
	{                                                                                          \
		m, path, h, auth, csrf, BODY_FORM, true, page_error                                \
	}
/* The API: a JSON body, JSON errors. */
#define A(m, path, h, auth, csrf)                                                                  \
	{                                                                                          \
		m, path, h, auth, csrf, BODY_JSON, false, api_error                                \
	}

static const struct route routes[] = {
    P("GET", "/healthz", page_healthz, AUTH_NONE, false),
    P("GET", "/metrics", page_metrics, AUTH_METRICS, false),
    P("GET", "/static/*", page_static, AUTH_NONE, false),
    P("GET", "/login", page_login_form, AUTH_NONE, false),
    P("POST", "/login", page_login, AUTH_NONE, false),
    P("POST", "/logout", page_logout, AUTH_USER, true),
    C("GET", "/", page_dashboard, AUTH_USER, false),
    C("GET", "/servers", page_servers, AUTH_USER, false),
    P("POST", "/servers", page_server_create, AUTH_USER, true),
    P("GET", "/servers/{}", page_server, AUTH_USER, false),
    P("GET", "/servers/{}/console", page_console, AUTH_USER, false),
    P("POST", "/servers/{}/console", page_console_send, AUTH_USER, true),
    P("POST", "/servers/{}/settings", page_server_settings, AUTH_USER, true),
    P("POST", "/servers/{}/schedules", page_schedule_create, AUTH_USER, true),
    P("POST", "/servers/{}/schedules/{}/{}", page_schedule_action, AUTH_USER, true),
    P("POST", "/servers/{}/rcon", page_server_rcon_rotate, AUTH_USER, true),
    P("POST", "/servers/{}/export", page_server_export, AUTH_USER, true),
    P("POST", "/servers/{}/{}", page_server_action, AUTH_USER, true),
    C("GET", "/blueprints", page_blueprints, AUTH_USER, false),
    P("POST", "/blueprints", page_blueprint_create, AUTH_USER, true),
    P("GET", "/blueprints/{}", page_blueprint, AUTH_USER, false),
    P("POST", "/blueprints/{}", page_blueprint_save, AUTH_USER, true),
    P("POST", "/blueprints/{}/delete", page_blueprint_delete, AUTH_USER, true),
    /* not cached: ?template= fills the form (the cache keys on the path) */
    P("GET", "/overlays", page_overlays, AUTH_USER, false),
    P("POST", "/overlays", page_overlay_create, AUTH_USER, true),
    P("GET", "/overlays/{}", page_overlay, AUTH_USER, false),
    P("POST", "/overlays/{}", page_overlay_save, AUTH_USER, true),
    P("POST", "/overlays/{}/build", page_overlay_build, AUTH_USER, true),
    P("POST", "/overlays/{}/delete", page_overlay_delete, AUTH_USER, true),
    P("POST", "/overlays/{}/workshop", page_overlay_workshop, AUTH_USER, true),
    P("POST", "/overlays/{}/sync", page_overlay_sync, AUTH_USER, true),
    P("GET", "/overlays/{}/workshop/{}/preview", page_workshop_preview, AUTH_USER, false),
    P("GET", "/overlays/{}/files/*", page_overlay_file, AUTH_USER, false),
    {"POST", "/overlays/{}/upload", page_overlay_upload, AUTH_USER, true, BODY_MULTIPART, false,
     page_error, page_overlay_upload_begin},
    P("POST", "/overlays/{}/delete-file", page_overlay_delete_file, AUTH_USER, true),
    P("GET", "/overlays/{}/edit", page_editor, AUTH_USER, false),
    {"POST", "/overlays/{}/edit", page_editor_save, AUTH_USER, true, BODY_EDIT, false, page_error},
    P("GET", "/global-overlays", page_globals, AUTH_USER, false),
    P("POST", "/global-overlays/refresh", page_globals_refresh, AUTH_ADMIN, true),
    P("GET", "/jobs", page_jobs, AUTH_USER, false),
    P("GET", "/jobs/{}", page_job, AUTH_USER, false),
    P("GET", "/exports/{}", page_export_download, AUTH_USER, false),
    P("GET", "/admin", page_admin, AUTH_ADMIN, false),
    P("GET", "/admin/audit", page_audit, AUTH_ADMIN, false),
    P("POST", "/admin/install-game", page_admin_install, AUTH_ADMIN, true),
    P("POST", "/admin/users", page_admin_user_add, AUTH_ADMIN, true),
    P("POST", "/admin/users/{}/{}", page_admin_user_action, AUTH_ADMIN, true),
    P("GET", "/tokens", page_tokens, AUTH_USER, false),
    P("GET", "/admin/backups", page_admin_backups, AUTH_ADMIN, false),
    P("POST", "/admin/backups", page_admin_backup_create, AUTH_ADMIN, true),
    P("POST", "/admin/backups/{}/download", page_admin_backup_export, AUTH_ADMIN, true),
    P("POST", "/tokens", page_tokens_create, AUTH_USER, true),
    P("POST", "/tokens/{}/revoke", page_token_revoke, AUTH_USER, true),

    A("GET", "/api/v1/servers", api_servers_list, AUTH_USER, false),
    A("POST", "/api/v1/servers", api_servers_create, AUTH_USER, true),
    A("GET", "/api/v1/servers/{}", api_server_get, AUTH_USER, false),
    A("PUT", "/api/v1/servers/{}", api_server_put, AUTH_USER, true),
    A("DELETE", "/api/v1/servers/{}", api_server_delete, AUTH_USER, true),
    A("GET", "/api/v1/servers/{}/console", api_console, AUTH_USER, false),
    A("POST", "/api/v1/servers/{}/console", api_console_send, AUTH_USER, true),
    A("GET", "/api/v1/servers/{}/schedules", api_schedules_list, AUTH_USER, false),
    A("POST", "/api/v1/servers/{}/schedules", api_schedule_create, AUTH_USER, true),
    A("GET", "/api/v1/servers/{}/schedules/{}", api_schedule_get, AUTH_USER, false),
    A("PUT", "/api/v1/servers/{}/schedules/{}", api_schedule_update, AUTH_USER, true),
    A("DELETE", "/api/v1/servers/{}/schedules/{}", api_schedule_delete, AUTH_USER, true),
    A("GET", "/api/v1/servers/{}/rcon", api_server_rcon, AUTH_USER, false),
    A("POST", "/api/v1/servers/{}/rcon/rotate", api_server_rcon_rotate, AUTH_USER, true),
    A("POST", "/api/v1/servers/{}/export", api_server_export, AUTH_USER, true),
    A("GET", "/api/v1/servers/{}/export", api_server_export_get, AUTH_USER, false),
    A("POST", "/api/v1/servers/{}/{}", api_server_action, AUTH_USER, true),
    A("GET", "/api/v1/status/events", api_status_events, AUTH_USER, false),
    A("GET", "/api/v1/blueprints", api_blueprints_list, AUTH_USER, false),
    A("POST", "/api/v1/blueprints", api_blueprints_create, AUTH_USER, true),
    A("GET", "/api/v1/blueprints/{}", api_blueprint_get, AUTH_USER, false),
    A("PUT", "/api/v1/blueprints/{}", api_blueprint_put, AUTH_USER, true),
    A("DELETE", "/api/v1/blueprints/{}", api_blueprint_delete, AUTH_USER, true),
    A("GET", "/api/v1/overlays", api_overlays_list, AUTH_USER, false),
    A("POST", "/api/v1/overlays", api_overlays_create, AUTH_USER, true),
    A("GET", "/api/v1/overlays/{}", api_overlay_get, AUTH_USER, false),
    A("PUT", "/api/v1/overlays/{}", api_overlay_put, AUTH_USER, true),
    A("DELETE", "/api/v1/overlays/{}", api_overlay_delete, AUTH_USER, true),
    A("POST", "/api/v1/overlays/{}/build", api_overlay_build, AUTH_USER, true),
    A("PUT", "/api/v1/overlays/{}/workshop", api_overlay_workshop_put, AUTH_USER, true),
    A("POST", "/api/v1/overlays/{}/sync", api_overlay_sync, AUTH_USER, true),
    {"PUT", "/api/v1/overlays/{}/files/*", api_overlay_file_put, AUTH_USER, true, BODY_FILE, false,
     api_error, api_overlay_file_begin},
    A("GET", "/api/v1/overlays/{}/files/*", api_overlay_file_get, AUTH_USER, false),
    A("GET", "/api/v1/global-overlays", api_globals, AUTH_USER, false),
    A("POST", "/api/v1/global-overlays/refresh", api_globals_refresh, AUTH_ADMIN, true),
    A("GET", "/api/v1/jobs", api_jobs_list, AUTH_USER, false),
    A("GET", "/api/v1/jobs/{}", api_job_get, AUTH_USER, false),
    A("GET", "/api/v1/jobs/{}/log", api_job_log, AUTH_USER, false),
    A("GET", "/api/v1/jobs/{}/events", api_job_events, AUTH_USER, false),
    A("GET", "/api/v1/audit", api_audit, AUTH_ADMIN, false),
    A("GET", "/api/v1/tokens", api_tokens_list, AUTH_USER, false),
    A("DELETE", "/api/v1/tokens/{}", api_token_revoke, AUTH_USER, true),
    A("POST", "/api/v1/admin/install-game", api_install_game, AUTH_ADMIN, true),
    A("GET", "/api/v1/game", api_game, AUTH_ADMIN, false),
    A("GET", "/api/v1/admin/backups", api_backups_list, AUTH_ADMIN, false),
    A("POST", "/api/v1/admin/backups", api_backup_create, AUTH_ADMIN, true),
    A("POST", "/api/v1/admin/backups/{}/export", api_backup_export, AUTH_ADMIN, true),
    A("GET", "/api/v1/admin/backups/{}", api_backup_download, AUTH_ADMIN, false),
    A("GET", "/api/v1/exports/{}", api_export_get, AUTH_USER, false),
};

/* Match path against pattern; captures are new strings. */
static bool match(const char *pat, const char *path, char **cap, int *n_cap)
{
	int n = 0;

	while (*pat && *path) {
		if (pat[0] == '*' && pat[1] == '\0') {
			if (n >= WEB_ROUTE_CAPTURES)
				goto fail;
			cap[n++] = xstrdup(path);
			*n_cap = n;
			return true;
		}
		if (pat[0] == '{' && pat[1] == '}') {
			size_t len = strcspn(path, "/");

			if (len == 0 || n >= WEB_ROUTE_CAPTURES)
				goto fail;
			cap[n++] = xstrndup(path, len);
			path += len;
			pat += 2;
			continue;
		}
		if (*pat != *path)
			goto fail;
		pat++;
		path++;
	}
	if (*pat || *path)
		goto fail;
	*n_cap = n;
	return true;
fail:
	while (n > 0)
		free(cap[--n]);
	*n_cap = 0;
	return false;
}

const struct route *route_match(const char *method, const char *path, char **cap, int *n_cap,
				bool *method_mismatch, web_error_fn *error)
{
	size_t i;

	*method_mismatch = false;
	*error = strncmp(path, "/api/", 5) == 0 ? api_error : page_error;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		char *tmp[WEB_ROUTE_CAPTURES];
		int n = 0;

		if (!match(routes[i].pattern, path, tmp, &n))
			continue;
		if (strcmp(routes[i].method, method) != 0) {
			*method_mismatch = true;
			while (n > 0)
				free(tmp[--n]);
			continue;
		}
		memcpy(cap, tmp, sizeof(tmp[0]) * (size_t)n);
		*n_cap = n;
		return &routes[i];
	}
	return NULL;
}

const struct web_hooks routes_hooks = {
    .match = route_match,
    .authenticate = session_authenticate,
    .csrf_ok = session_csrf_ok,
};
