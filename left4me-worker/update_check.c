/* The update check; see update_check.h.  Trusts nothing SteamCMD prints:
 * the buildid goes through builds_id_ok. */
#include "update_check.h"

#include <string.h>
#include <sysexits.h>

#include "builds.h"
#include "db.h"
#include "db_game.h"
#include "log.h"
#include "spawn.h"
#include "steamcmd.h"
#include "strbuf.h"
#include "timeutil.h"

#define CHECK_OUTPUT_MAX (1024 * 1024)

static void collect(void *ctx, enum job_stream stream, const char *line)
{
	struct strbuf *sb = ctx;

	(void)stream;
	if (sb->len + strlen(line) + 1 <= CHECK_OUTPUT_MAX)
		strbuf_printf(sb, "%s\n", line);
}

int update_check(const struct config *cfg, sqlite3 *db, volatile sig_atomic_t *stop)
{
	static const char *const path[] = {STEAM_APP_ID, "depots", "branches", "public", "buildid"};
	char *argv[] = {cfg->worker.steamcmd,	    (char *)"+login", (char *)"anonymous",
			(char *)"+app_info_update", (char *)"1",      (char *)"+app_info_print",
			(char *)STEAM_APP_ID,	    (char *)"+quit",  NULL};
	struct spawn_opts o = {.argv = argv,
			       .pty = true,
			       .timeout_s = cfg->worker.helper_timeout,
			       .on_line = collect,
			       .stop = stop};
	struct spawn_result res;
	struct strbuf out;
	char buildid[32], how[128];
	int64_t id = 0;
	int rc = EX_UNAVAILABLE;

	strbuf_init(&out);
	o.ctx = &out;
	if (spawn_run(&o, &res) < 0) {
		log_err("update check: cannot run %s", argv[0]);
		strbuf_fini(&out);
		return EX_OSERR;
	}
	if (out.len && steamcmd_vdf_get(out.buf, path, 5, buildid, sizeof(buildid)) &&
	    builds_id_ok(buildid, &id)) {
		if (db_game_set_latest(db, id, now_ms()) == DB_OK) {
			log_info("update check: the public branch of app " STEAM_APP_ID
				 " is build %lld",
				 (long long)id);
			rc = 0;
		} else {
			log_err("update check: cannot record build %lld", (long long)id);
			rc = EX_SOFTWARE;
		}
	} else {
		log_err("update check: SteamCMD (%s) printed no depots > branches > public > "
			"buildid for app " STEAM_APP_ID,
			spawn_describe(&o, &res, how, sizeof(how)));
	}
	strbuf_fini(&out);
	return rc;
}
