/* The schema, as forward-only numbered migrations.  Migration N brings a
 * database from PRAGMA user_version N-1 to N; only `left4mectl db migrate`
 * (run by the package's postinst and by `make run`) applies them.  Never
 * edit a migration that has shipped: add the next one.
 *
 * Every table names its writer(s) in a comment: daemons talk only through
 * this database, so each column has one owner. */
#include "db_schema.h"

#include <stddef.h>

/* clang-format off */
static const char migration_1[] =
/* Accounts.  Writers: left4mectl (user add/passwd), left4me-web (admin
 * pages: add, disable, reset password). */
"CREATE TABLE users ("
"  id            INTEGER PRIMARY KEY,"
"  name          TEXT NOT NULL UNIQUE"
"                CHECK (length(name) BETWEEN 1 AND 32"
"                       AND name NOT GLOB '*[^a-z0-9._-]*'"
"                       AND substr(name, 1, 1) GLOB '[a-z0-9]'),"
"  password_hash TEXT NOT NULL CHECK (password_hash GLOB '$y$*'),"
"  role          TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user')),"
"  disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),"
"  created_at    INTEGER NOT NULL,"
"  updated_at    INTEGER NOT NULL"
");"

/* Browser sessions; only a SHA-256 of the cookie value is stored.
 * Writer: left4me-web. */
"CREATE TABLE sessions ("
"  id           INTEGER PRIMARY KEY,"
"  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  token_hash   TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),"
"  csrf_token   TEXT NOT NULL CHECK (length(csrf_token) BETWEEN 32 AND 128),"
"  created_at   INTEGER NOT NULL,"
"  expires_at   INTEGER NOT NULL CHECK (expires_at > created_at),"
"  last_seen_at INTEGER NOT NULL"
");"
"CREATE INDEX sessions_user ON sessions(user_id);"
"CREATE INDEX sessions_expiry ON sessions(expires_at);"

/* API tokens (Bearer); only a SHA-256 of the token is stored.
 * Writers: left4mectl (token create), left4me-web (create, revoke,
 * last_used_at). */
"CREATE TABLE api_tokens ("
"  id           INTEGER PRIMARY KEY,"
"  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  token_hash   TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),"
"  label        TEXT NOT NULL DEFAULT '' CHECK (length(label) <= 64),"
"  created_at   INTEGER NOT NULL,"
"  last_used_at INTEGER"
");"
"CREATE INDEX api_tokens_user ON api_tokens(user_id);"

/* Global overlay sources, one per fetcher.sources entry in the config.
 * Writer: left4me-fetcher. */
"CREATE TABLE global_overlay_sources ("
"  id              INTEGER PRIMARY KEY,"
"  name            TEXT NOT NULL UNIQUE"
"                  CHECK (length(name) BETWEEN 1 AND 64"
"                         AND name NOT GLOB '*[^a-z0-9_-]*'"
"                         AND substr(name, 1, 1) GLOB '[a-z0-9]'),"
"  kind            TEXT NOT NULL CHECK (kind IN ('json_index', 'url_list', 'html_index')),"
"  url             TEXT,"
"  complete        INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),"
"  items_expected  INTEGER NOT NULL DEFAULT 0 CHECK (items_expected >= 0),"
"  items_present   INTEGER NOT NULL DEFAULT 0 CHECK (items_present >= 0),"
"  last_refresh_at INTEGER,"
"  last_success_at INTEGER,"
"  last_error      TEXT,"
"  index_etag      TEXT,"
"  index_last_modified TEXT,"
"  created_at      INTEGER NOT NULL"
");"

/* Overlays: a layer of files under the install root's shape.
 *   kind 'user'   hand-made (uploads), overlays/ID/
 *   kind 'script' built by its build_script in the sandbox, overlays/ID/
 *   kind 'global' kept by the fetcher, global_overlay_cache/SOURCE/overlay/
 * Writers: left4me-web (user and script rows), left4me-fetcher (global rows,
 * one per source), left4me-worker (built_at, build_status after a build). */
"CREATE TABLE overlays ("
"  id           INTEGER PRIMARY KEY,"
"  user_id      INTEGER REFERENCES users(id) ON DELETE CASCADE,"
"  name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),"
"  kind         TEXT NOT NULL CHECK (kind IN ('user', 'script', 'global')),"
"  build_script TEXT CHECK (build_script IS NULL OR length(build_script) <= 1048576),"
"  source_id    INTEGER UNIQUE REFERENCES global_overlay_sources(id) ON DELETE CASCADE,"
"  build_status TEXT CHECK (build_status IN ('never', 'building', 'ok', 'failed')),"
"  built_at     INTEGER,"
"  created_at   INTEGER NOT NULL,"
"  updated_at   INTEGER NOT NULL,"
"  CHECK ((kind = 'global') = (user_id IS NULL)),"
"  CHECK ((kind = 'global') = (source_id IS NOT NULL)),"
"  CHECK (kind = 'script' OR build_script IS NULL)"
");"
"CREATE INDEX overlays_user ON overlays(user_id);"

/* Blueprints: a server.cfg body plus an ordered overlay list.
 * Writer: left4me-web. */
"CREATE TABLE blueprints ("
"  id         INTEGER PRIMARY KEY,"
"  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),"
"  config     TEXT NOT NULL DEFAULT '' CHECK (length(config) <= 262144),"
"  created_at INTEGER NOT NULL,"
"  updated_at INTEGER NOT NULL,"
"  UNIQUE (user_id, name)"
");"

/* A blueprint's overlays; position 0 is the top layer.  expose_server_cfg
 * opts the overlay's left4dead2/cfg/server.cfg in as server_overlay_ID.cfg.
 * Writer: left4me-web. */
"CREATE TABLE blueprint_overlays ("
"  blueprint_id      INTEGER NOT NULL REFERENCES blueprints(id) ON DELETE CASCADE,"
"  overlay_id        INTEGER NOT NULL REFERENCES overlays(id) ON DELETE RESTRICT,"
"  position          INTEGER NOT NULL CHECK (position BETWEEN 0 AND 127),"
"  expose_server_cfg INTEGER NOT NULL DEFAULT 0 CHECK (expose_server_cfg IN (0, 1)),"
"  PRIMARY KEY (blueprint_id, overlay_id),"
"  UNIQUE (blueprint_id, position)"
");"
"CREATE INDEX blueprint_overlays_overlay ON blueprint_overlays(overlay_id);"

/* Servers.  Writers: left4me-web and left4mectl (create: name, user,
 * blueprint, port), left4me-worker (state, state_reason; deletes the row at
 * the end of a delete job). */
"CREATE TABLE servers ("
"  id           INTEGER PRIMARY KEY,"
"  name         TEXT NOT NULL UNIQUE"
"               CHECK (length(name) BETWEEN 1 AND 64"
"                      AND name NOT GLOB '*[^a-z0-9_-]*'"
"                      AND substr(name, 1, 1) GLOB '[a-z0-9]'),"
"  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE RESTRICT,"
"  blueprint_id INTEGER NOT NULL REFERENCES blueprints(id) ON DELETE RESTRICT,"
"  port         INTEGER NOT NULL UNIQUE CHECK (port BETWEEN 1024 AND 65535),"
"  state        TEXT NOT NULL DEFAULT 'new'"
"               CHECK (state IN ('new', 'initialized', 'running', 'stopped', 'failed')),"
"  state_reason TEXT,"
"  created_at   INTEGER NOT NULL,"
"  updated_at   INTEGER NOT NULL"
");"
"CREATE INDEX servers_user ON servers(user_id);"

/* The job queue.  Writers: left4me-web, left4mectl and the refresh timer
 * (enqueue: kind, target, user_id, queue, lock_key, coalesce_key,
 * created_at); the claiming left4me-worker or left4me-fetcher (state,
 * worker, started_at, heartbeat_at, finished_at, exit_code, reason).
 * queue says which daemon claims it.  lock_key serialises jobs on one
 * object: no two running jobs share it.  coalesce_key: at most one queued
 * job per key.  user_id NULL is a system job. */
"CREATE TABLE jobs ("
"  id           INTEGER PRIMARY KEY,"
"  kind         TEXT NOT NULL CHECK (kind IN ('start', 'stop', 'restart', 'reset', 'delete',"
"                 'initialize', 'install_game', 'build_overlay', 'refresh_global_overlays')),"
"  target       TEXT NOT NULL DEFAULT '' CHECK (length(target) <= 64),"
"  user_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,"
"  queue        TEXT NOT NULL CHECK (queue IN ('worker', 'fetcher')),"
"  lock_key     TEXT,"
"  coalesce_key TEXT,"
"  state        TEXT NOT NULL DEFAULT 'queued'"
"               CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),"
"  worker       TEXT,"
"  created_at   INTEGER NOT NULL,"
"  started_at   INTEGER,"
"  heartbeat_at INTEGER,"
"  finished_at  INTEGER,"
"  exit_code    INTEGER,"
"  reason       TEXT CHECK (reason IS NULL OR length(reason) <= 512),"
"  CHECK ((state = 'queued') = (started_at IS NULL)),"
"  CHECK ((state IN ('succeeded', 'failed', 'cancelled')) = (finished_at IS NOT NULL))"
");"
"CREATE UNIQUE INDEX jobs_coalesce ON jobs(coalesce_key)"
"  WHERE state = 'queued' AND coalesce_key IS NOT NULL;"
"CREATE INDEX jobs_pending ON jobs(queue, id) WHERE state = 'queued';"
"CREATE INDEX jobs_running ON jobs(lock_key) WHERE state = 'running';"
"CREATE INDEX jobs_user ON jobs(user_id, id);"
"CREATE INDEX jobs_target ON jobs(target, id);"

/* Every step and output line of a job, in order; id is the SSE event id.
 * Writer: the job's claimer (left4me-worker or left4me-fetcher), and
 * whoever recovers a dead worker's job. */
"CREATE TABLE job_log ("
"  id     INTEGER PRIMARY KEY,"
"  job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,"
"  ts     INTEGER NOT NULL,"
"  stream TEXT NOT NULL CHECK (stream IN ('step', 'stdout', 'stderr', 'info', 'progress')),"
"  line   TEXT NOT NULL CHECK (length(line) <= 4096)"
");"
"CREATE INDEX job_log_job ON job_log(job_id, id);"

/* Items of a global source (one map or campaign archive).
 * Writer: left4me-fetcher. */
"CREATE TABLE global_overlay_items ("
"  id            INTEGER PRIMARY KEY,"
"  source_id     INTEGER NOT NULL REFERENCES global_overlay_sources(id) ON DELETE CASCADE,"
"  name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 255),"
"  url           TEXT NOT NULL CHECK (length(url) <= 2048),"
"  size          INTEGER CHECK (size IS NULL OR size >= 0),"
"  md5           TEXT CHECK (md5 IS NULL OR (length(md5) = 32 AND md5 NOT GLOB '*[^0-9a-f]*')),"
"  etag          TEXT,"
"  last_modified TEXT,"
"  state         TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'ok', 'failed')),"
"  error         TEXT,"
"  fetched_at    INTEGER,"
"  created_at    INTEGER NOT NULL,"
"  UNIQUE (source_id, name)"
");"

/* The vpk files extracted from an item, as they sit in the cache.
 * Writer: left4me-fetcher. */
"CREATE TABLE global_overlay_item_files ("
"  id      INTEGER PRIMARY KEY,"
"  item_id INTEGER NOT NULL REFERENCES global_overlay_items(id) ON DELETE CASCADE,"
"  path    TEXT NOT NULL CHECK (length(path) BETWEEN 1 AND 255 AND path NOT LIKE '%/%'),"
"  size    INTEGER NOT NULL CHECK (size >= 0),"
"  md5     TEXT CHECK (md5 IS NULL OR length(md5) = 32),"
"  UNIQUE (item_id, path)"
");"

/* Who did what.  Writers: left4me-web, left4mectl (append only). */
"CREATE TABLE audit_log ("
"  id      INTEGER PRIMARY KEY,"
"  at      INTEGER NOT NULL,"
"  user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
"  actor   TEXT NOT NULL CHECK (length(actor) BETWEEN 1 AND 64),"
"  action  TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 64),"
"  object  TEXT NOT NULL DEFAULT '' CHECK (length(object) <= 128),"
"  detail  TEXT NOT NULL DEFAULT '' CHECK (length(detail) <= 1024)"
");"
"CREATE INDEX audit_log_at ON audit_log(at);";
/* clang-format on */

const struct db_migration db_migrations[] = {
    {1,
     "complete schema: users, sessions, tokens, overlays, blueprints, servers, jobs, "
     "global overlays, audit log",
     migration_1},
};

const size_t db_n_migrations = sizeof(db_migrations) / sizeof(db_migrations[0]);
