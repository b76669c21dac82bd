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

/* Ids that name things are never reused.  Without AUTOINCREMENT SQLite
 * hands out max(id) + 1, so deleting the newest overlay gave its id, and
 * with it STATE/overlays/ID and every URL naming it, to the next overlay
 * made (another user's).  Rebuilt with AUTOINCREMENT: the tables whose ids
 * name a path or a URL, or are typed back by a person:
 *   overlays    /overlays/ID, STATE/overlays/ID, scripts/ID.sh,
 *               server_overlay_ID.cfg, build jobs' targets
 *   blueprints  /blueprints/ID
 *   servers     the API's id, which the web's console stream keys on
 *   jobs        /jobs/ID, /api/v1/jobs/ID/events
 *   users       /admin/users/ID/...
 *   api_tokens  revoked by id
 * Left as they are: sessions (the cookie names one, not the id),
 * job_log (an event id is only compared within its job's stream, and the
 * table is the largest to copy), audit_log (append only),
 * global_overlay_sources (never deleted; the name is the path) and
 * global_overlay_items/_files (the fetcher's own bookkeeping).
 *
 * Each table is rebuilt as https://www.sqlite.org/lang_altertable.html
 * ("Making Other Kinds Of Table Schema Changes") says: new table with the
 * same columns and constraints plus AUTOINCREMENT, copy, drop, rename,
 * indexes again.  db_migrate_list turns foreign keys off around the
 * transaction and runs foreign_key_check before the commit.  jobs also
 * learns kind 'delete_overlay' (enqueued by left4me-web with an overlay's
 * deletion, run by left4me-worker: it removes STATE/overlays/ID).  Writers
 * are as in migration 1.
 *
 * sqlite_sequence then starts each table above every id it ever handed
 * out that the database still knows of: its rows and every column or
 * text that names one of its ids (child rows; build_overlay jobs' targets
 * and the audit objects of overlay uploads, file deletes and builds; the
 * audit detail job=N).  An overlay that ever had a directory was uploaded
 * to (audited) or built (a job row), so its id stays taken even if the
 * row went before this migration.  What the database no longer knows (the
 * disk is not visible to a migration) cannot be seeded from. */
static const char migration_2[] =
"CREATE TABLE users_new ("
"  id            INTEGER PRIMARY KEY AUTOINCREMENT,"
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
"INSERT INTO users_new (id, name, password_hash, role, disabled, created_at, updated_at)"
"  SELECT id, name, password_hash, role, disabled, created_at, updated_at FROM users;"
"DROP TABLE users;"
"ALTER TABLE users_new RENAME TO users;"

"CREATE TABLE api_tokens_new ("
"  id           INTEGER PRIMARY KEY AUTOINCREMENT,"
"  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  token_hash   TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),"
"  label        TEXT NOT NULL DEFAULT '' CHECK (length(label) <= 64),"
"  created_at   INTEGER NOT NULL,"
"  last_used_at INTEGER"
");"
"INSERT INTO api_tokens_new (id, user_id, token_hash, label, created_at, last_used_at)"
"  SELECT id, user_id, token_hash, label, created_at, last_used_at FROM api_tokens;"
"DROP TABLE api_tokens;"
"ALTER TABLE api_tokens_new RENAME TO api_tokens;"
"CREATE INDEX api_tokens_user ON api_tokens(user_id);"

"CREATE TABLE overlays_new ("
"  id           INTEGER PRIMARY KEY AUTOINCREMENT,"
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
"INSERT INTO overlays_new (id, user_id, name, kind, build_script, source_id, build_status,"
"                         built_at, created_at, updated_at)"
"  SELECT id, user_id, name, kind, build_script, source_id, build_status, built_at,"
"         created_at, updated_at FROM overlays;"
"DROP TABLE overlays;"
"ALTER TABLE overlays_new RENAME TO overlays;"
"CREATE INDEX overlays_user ON overlays(user_id);"

"CREATE TABLE blueprints_new ("
"  id         INTEGER PRIMARY KEY AUTOINCREMENT,"
"  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
"  name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),"
"  config     TEXT NOT NULL DEFAULT '' CHECK (length(config) <= 262144),"
"  created_at INTEGER NOT NULL,"
"  updated_at INTEGER NOT NULL,"
"  UNIQUE (user_id, name)"
");"
"INSERT INTO blueprints_new (id, user_id, name, config, created_at, updated_at)"
"  SELECT id, user_id, name, config, created_at, updated_at FROM blueprints;"
"DROP TABLE blueprints;"
"ALTER TABLE blueprints_new RENAME TO blueprints;"

"CREATE TABLE servers_new ("
"  id           INTEGER PRIMARY KEY AUTOINCREMENT,"
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
"INSERT INTO servers_new (id, name, user_id, blueprint_id, port, state, state_reason,"
"                        created_at, updated_at)"
"  SELECT id, name, user_id, blueprint_id, port, state, state_reason, created_at,"
"         updated_at FROM servers;"
"DROP TABLE servers;"
"ALTER TABLE servers_new RENAME TO servers;"
"CREATE INDEX servers_user ON servers(user_id);"

"CREATE TABLE jobs_new ("
"  id           INTEGER PRIMARY KEY AUTOINCREMENT,"
"  kind         TEXT NOT NULL CHECK (kind IN ('start', 'stop', 'restart', 'reset', 'delete',"
"                 'initialize', 'install_game', 'build_overlay', 'refresh_global_overlays',"
"                 'delete_overlay')),"
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
"INSERT INTO jobs_new (id, kind, target, user_id, queue, lock_key, coalesce_key, state,"
"                     worker, created_at, started_at, heartbeat_at, finished_at, exit_code,"
"                     reason)"
"  SELECT id, kind, target, user_id, queue, lock_key, coalesce_key, state, worker,"
"         created_at, started_at, heartbeat_at, finished_at, exit_code, reason FROM jobs;"
"DROP TABLE jobs;"
"ALTER TABLE jobs_new RENAME TO jobs;"
"CREATE UNIQUE INDEX jobs_coalesce ON jobs(coalesce_key)"
"  WHERE state = 'queued' AND coalesce_key IS NOT NULL;"
"CREATE INDEX jobs_pending ON jobs(queue, id) WHERE state = 'queued';"
"CREATE INDEX jobs_running ON jobs(lock_key) WHERE state = 'running';"
"CREATE INDEX jobs_user ON jobs(user_id, id);"
"CREATE INDEX jobs_target ON jobs(target, id);"

/* Seed: one row per table (the copies above made some), each the highest
 * id named anywhere.  An id in text counts only as plain digits of at
 * most 16 (ids are below 2^53, validate.c). */
"DELETE FROM sqlite_sequence WHERE name IN"
"  ('users', 'api_tokens', 'overlays', 'blueprints', 'servers', 'jobs');"
"INSERT INTO sqlite_sequence (name, seq) VALUES"
"  ('users', max((SELECT coalesce(max(id), 0) FROM users),"
"                (SELECT coalesce(max(user_id), 0) FROM sessions),"
"                (SELECT coalesce(max(user_id), 0) FROM api_tokens),"
"                (SELECT coalesce(max(user_id), 0) FROM overlays),"
"                (SELECT coalesce(max(user_id), 0) FROM blueprints),"
"                (SELECT coalesce(max(user_id), 0) FROM servers),"
"                (SELECT coalesce(max(user_id), 0) FROM jobs),"
"                (SELECT coalesce(max(user_id), 0) FROM audit_log))),"
"  ('api_tokens', (SELECT coalesce(max(id), 0) FROM api_tokens)),"
"  ('overlays', max((SELECT coalesce(max(id), 0) FROM overlays),"
"                   (SELECT coalesce(max(overlay_id), 0) FROM blueprint_overlays),"
"                   (SELECT coalesce(max(CAST(target AS INTEGER)), 0) FROM jobs"
"                     WHERE kind = 'build_overlay' AND target <> ''"
"                       AND length(target) <= 16 AND target NOT GLOB '*[^0-9]*'),"
"                   (SELECT coalesce(max(CAST(object AS INTEGER)), 0) FROM audit_log"
"                     WHERE action IN ('build_overlay', 'overlay_upload', 'overlay_file_delete')"
"                       AND object <> '' AND length(object) <= 16"
"                       AND object NOT GLOB '*[^0-9]*'))),"
"  ('blueprints', max((SELECT coalesce(max(id), 0) FROM blueprints),"
"                     (SELECT coalesce(max(blueprint_id), 0) FROM servers),"
"                     (SELECT coalesce(max(blueprint_id), 0) FROM blueprint_overlays))),"
"  ('servers', (SELECT coalesce(max(id), 0) FROM servers)),"
"  ('jobs', max((SELECT coalesce(max(id), 0) FROM jobs),"
"               (SELECT coalesce(max(job_id), 0) FROM job_log),"
"               (SELECT coalesce(max(CAST(substr(detail, 5) AS INTEGER)), 0) FROM audit_log"
"                 WHERE detail GLOB 'job=[0-9]*' AND length(detail) <= 20"
"                   AND substr(detail, 5) NOT GLOB '*[^0-9]*')));";

/* Issue 13: which game builds are installed (the worker mirrors
 * STATE/installation/builds after each publish and removal), which build
 * each server's instance.env names, and the newest build Steam offers
 * (the update check; one row). */
static const char migration_3[] =
"CREATE TABLE game_builds ("
"  build_id INTEGER PRIMARY KEY CHECK (build_id BETWEEN 1 AND 9999999999),"
"  current  INTEGER NOT NULL DEFAULT 0 CHECK (current IN (0, 1))"
");"
"CREATE TABLE game_latest ("
"  id         INTEGER PRIMARY KEY CHECK (id = 1),"
"  build_id   INTEGER CHECK (build_id BETWEEN 1 AND 9999999999),"
"  checked_at INTEGER NOT NULL"
");"
"ALTER TABLE servers ADD COLUMN game_build INTEGER"
"  CHECK (game_build IS NULL OR game_build BETWEEN 1 AND 9999999999);";
/* clang-format on */

/* Migration 4: live server state (issue 14).  Writer of both tables:
 * left4me-status only (docs/DESIGN.md); left4me-web and left4mectl read
 * them.  The worker's servers.state stays what the operator asked for
 * (running/stopped); live_state is what systemd and the game say now.
 *
 * server_status: one row per server, made on left4me-status's first
 * sample and gone with the server (ON DELETE CASCADE).  live_state:
 * starting (the unit is activating), running (the process is up), ready
 * (A2S answers), restarting (systemd will start it again after a crash;
 * restarts counts them: the unit's NRestarts), failed (the unit failed:
 * the start limit was hit, or an exit status systemd does not retry),
 * stopped.  exit_code/exit_signal: the main process's last exit
 * (ExecMainCode/ExecMainStatus), one of them set.  unit_result: the unit's
 * Result ("success", "exit-code", "start-limit-hit", ...).  a2s_*: the
 * last A2S_INFO answer (kept when a query fails: a2s_error says why and
 * a2s_at when the last answer came); cpu_nsec, memory_bytes, tasks: the
 * unit's CPUUsageNSec, MemoryCurrent, TasksCurrent (NULL when systemd does
 * not know).
 *
 * server_players: the players of the last A2S_PLAYER answer, in the
 * order the game listed them; replaced whole on each answer.
 *
 * server_history: one row per server and minute (minute = unix time /
 * 60): players, cpu_nsec (cumulative, so a chart takes differences) and
 * memory_bytes at that minute.  left4me-status deletes rows older than
 * 24 hours. */
/* clang-format off */
static const char migration_4[] =
"CREATE TABLE server_status ("
"  server_id     INTEGER PRIMARY KEY REFERENCES servers(id) ON DELETE CASCADE,"
"  live_state    TEXT NOT NULL DEFAULT 'stopped'"
"                CHECK (live_state IN ('starting', 'running', 'ready', 'restarting',"
"                                      'failed', 'stopped')),"
"  active_state  TEXT NOT NULL DEFAULT '' CHECK (length(active_state) <= 32),"
"  sub_state     TEXT NOT NULL DEFAULT '' CHECK (length(sub_state) <= 32),"
"  unit_result   TEXT NOT NULL DEFAULT '' CHECK (length(unit_result) <= 32),"
"  restarts      INTEGER NOT NULL DEFAULT 0 CHECK (restarts >= 0),"
"  exit_code     INTEGER,"
"  exit_signal   INTEGER,"
"  cpu_nsec      INTEGER,"
"  memory_bytes  INTEGER,"
"  tasks         INTEGER,"
"  a2s_map       TEXT CHECK (length(a2s_map) <= 128),"
"  a2s_players   INTEGER,"
"  a2s_bots      INTEGER,"
"  a2s_max_players INTEGER,"
"  a2s_name      TEXT CHECK (length(a2s_name) <= 256),"
"  a2s_vac       INTEGER,"
"  a2s_version   TEXT CHECK (length(a2s_version) <= 64),"
"  a2s_rtt_ms    INTEGER,"
"  a2s_at        INTEGER,"
"  a2s_error     TEXT CHECK (length(a2s_error) <= 256),"
"  updated_at    INTEGER NOT NULL"
");"
"CREATE TABLE server_players ("
"  server_id     INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,"
"  idx           INTEGER NOT NULL CHECK (idx BETWEEN 0 AND 255),"
"  name          TEXT NOT NULL CHECK (length(name) <= 128),"
"  score         INTEGER NOT NULL,"
"  seconds       INTEGER NOT NULL,"
"  PRIMARY KEY (server_id, idx)"
");"
"CREATE TABLE server_history ("
"  server_id     INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,"
"  minute        INTEGER NOT NULL,"
"  players       INTEGER,"
"  cpu_nsec      INTEGER,"
"  memory_bytes  INTEGER,"
"  PRIMARY KEY (server_id, minute)"
") WITHOUT ROWID;"
"CREATE INDEX server_history_minute ON server_history(minute);";
/* clang-format on */

/* clang-format off */
/* Migration 5: Steam Workshop overlays (issue 15).
 *
 * overlays learns kind 'workshop': a user's overlay (user_id set, no
 * build_script, no source_id) whose tree the fetcher keeps in
 * STATE/workshop_cache/overlays/ID/left4dead2/addons/PUBLISHEDID.vpk
 * (absolute links into workshop_cache/PUBLISHEDID.vpk).  jobs learns
 * kind 'sync_workshop' (queue fetcher; target an overlay id, or '' for
 * every workshop overlay plus the cache's garbage collection).  Both
 * tables are rebuilt as in migration 2, keeping every id and each
 * table's AUTOINCREMENT high-water mark (sqlite_sequence), so an id
 * handed out before is still never handed out again.
 *
 * workshop_items: what Steam said about one published file, shared by
 * every overlay that lists it.  Writer: left4me-fetcher (rows are made
 * pending by whoever lists an id: left4me-web, left4mectl).
 *   is_collection  GetCollectionDetails answered with children
 *   state          pending (never synced), ok (the cached copy is the
 *                  current one), error (error says why; a cached copy of
 *                  an older time_updated may still serve: cached_*)
 *   cached_*       the copy in workshop_cache/ID.vpk: its time_updated,
 *                  size and when it was written (NULL: no copy)
 *   preview_type   the Content-Type of workshop_cache/ID.preview (NULL:
 *                  none cached)
 *
 * overlay_workshop: an overlay's list.  via 0 rows are the ids the user
 * gave, in their order (position); via N rows are the items the fetcher
 * resolved from the listed collection N (nested collections flattened, in
 * Steam's order).  Writers: left4me-web and left4mectl (via 0 rows),
 * left4me-fetcher (via N rows). */
static const char migration_5[] =
"CREATE TABLE overlays_new ("
"  id           INTEGER PRIMARY KEY AUTOINCREMENT,"
"  user_id      INTEGER REFERENCES users(id) ON DELETE CASCADE,"
"  name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),"
"  kind         TEXT NOT NULL CHECK (kind IN ('user', 'script', 'global', 'workshop')),"
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
"INSERT INTO overlays_new (id, user_id, name, kind, build_script, source_id, build_status,"
"                         built_at, created_at, updated_at)"
"  SELECT id, user_id, name, kind, build_script, source_id, build_status, built_at,"
"         created_at, updated_at FROM overlays;"
"DELETE FROM sqlite_sequence WHERE name = 'overlays_new';"
"INSERT INTO sqlite_sequence (name, seq) VALUES ('overlays_new',"
"  max((SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'overlays'),"
"      (SELECT coalesce(max(id), 0) FROM overlays_new)));"
"DROP TABLE overlays;"
"ALTER TABLE overlays_new RENAME TO overlays;"
"CREATE INDEX overlays_user ON overlays(user_id);"

"CREATE TABLE jobs_new ("
"  id           INTEGER PRIMARY KEY AUTOINCREMENT,"
"  kind         TEXT NOT NULL CHECK (kind IN ('start', 'stop', 'restart', 'reset', 'delete',"
"                 'initialize', 'install_game', 'build_overlay', 'refresh_global_overlays',"
"                 'delete_overlay', 'sync_workshop')),"
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
"INSERT INTO jobs_new (id, kind, target, user_id, queue, lock_key, coalesce_key, state,"
"                     worker, created_at, started_at, heartbeat_at, finished_at, exit_code,"
"                     reason)"
"  SELECT id, kind, target, user_id, queue, lock_key, coalesce_key, state, worker,"
"         created_at, started_at, heartbeat_at, finished_at, exit_code, reason FROM jobs;"
"DELETE FROM sqlite_sequence WHERE name = 'jobs_new';"
"INSERT INTO sqlite_sequence (name, seq) VALUES ('jobs_new',"
"  max((SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'jobs'),"
"      (SELECT coalesce(max(id), 0) FROM jobs_new)));"
"DROP TABLE jobs;"
"ALTER TABLE jobs_new RENAME TO jobs;"
"CREATE UNIQUE INDEX jobs_coalesce ON jobs(coalesce_key)"
"  WHERE state = 'queued' AND coalesce_key IS NOT NULL;"
"CREATE INDEX jobs_pending ON jobs(queue, id) WHERE state = 'queued';"
"CREATE INDEX jobs_running ON jobs(lock_key) WHERE state = 'running';"
"CREATE INDEX jobs_user ON jobs(user_id, id);"
"CREATE INDEX jobs_target ON jobs(target, id);"

"CREATE TABLE workshop_items ("
"  published_id  INTEGER PRIMARY KEY CHECK (published_id > 0),"
"  is_collection INTEGER NOT NULL DEFAULT 0 CHECK (is_collection IN (0, 1)),"
"  title         TEXT CHECK (title IS NULL OR length(title) <= 512),"
"  file_size     INTEGER CHECK (file_size IS NULL OR file_size >= 0),"
"  time_updated  INTEGER,"
"  file_url      TEXT CHECK (file_url IS NULL OR length(file_url) <= 2048),"
"  preview_url   TEXT CHECK (preview_url IS NULL OR length(preview_url) <= 2048),"
"  app_id        INTEGER,"
"  state         TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'ok', 'error')),"
"  error         TEXT CHECK (error IS NULL OR length(error) <= 512),"
"  checked_at    INTEGER,"
"  cached_time_updated INTEGER,"
"  cached_size   INTEGER CHECK (cached_size IS NULL OR cached_size >= 0),"
"  cached_at     INTEGER,"
"  preview_type  TEXT CHECK (preview_type IS NULL OR (length(preview_type) <= 64"
"                            AND preview_type GLOB 'image/*')),"
"  created_at    INTEGER NOT NULL"
");"
"CREATE TABLE overlay_workshop ("
"  overlay_id   INTEGER NOT NULL REFERENCES overlays(id) ON DELETE CASCADE,"
"  via          INTEGER NOT NULL DEFAULT 0 CHECK (via >= 0),"
"  published_id INTEGER NOT NULL CHECK (published_id > 0),"
"  position     INTEGER NOT NULL CHECK (position >= 0),"
"  PRIMARY KEY (overlay_id, via, published_id)"
") WITHOUT ROWID;"
"CREATE INDEX overlay_workshop_item ON overlay_workshop(published_id);";
/* clang-format on */

/* Migration 6: launch settings (issue 14).  Writers: left4me-web and
 * left4mectl; the worker reads them at initialize (launch_args.h).  On a
 * blueprint they are the server's defaults; on a server NULL means "the
 * blueprint's".  launch_args is the canonical text of launch_args_normalize
 * (allowlisted options, single spaces; '' none), checked again by the
 * worker and by the instance.env parser before the launcher uses it. */
/* clang-format off */
static const char migration_6[] =
"ALTER TABLE blueprints ADD COLUMN start_map TEXT NOT NULL DEFAULT 'c1m1_hotel'"
"  CHECK (length(start_map) BETWEEN 1 AND 64 AND start_map NOT GLOB '*[^A-Za-z0-9_]*');"
"ALTER TABLE blueprints ADD COLUMN max_players INTEGER NOT NULL DEFAULT 8"
"  CHECK (max_players BETWEEN 1 AND 32);"
"ALTER TABLE blueprints ADD COLUMN tickrate INTEGER"
"  CHECK (tickrate IS NULL OR tickrate BETWEEN 30 AND 128);"
"ALTER TABLE blueprints ADD COLUMN launch_args TEXT NOT NULL DEFAULT ''"
"  CHECK (length(launch_args) <= 1024);"
"ALTER TABLE servers ADD COLUMN start_map TEXT"
"  CHECK (start_map IS NULL OR (length(start_map) BETWEEN 1 AND 64"
"                               AND start_map NOT GLOB '*[^A-Za-z0-9_]*'));"
"ALTER TABLE servers ADD COLUMN max_players INTEGER"
"  CHECK (max_players IS NULL OR max_players BETWEEN 1 AND 32);"
"ALTER TABLE servers ADD COLUMN tickrate INTEGER"
"  CHECK (tickrate IS NULL OR tickrate BETWEEN 30 AND 128);"
"ALTER TABLE servers ADD COLUMN launch_args TEXT"
"  CHECK (launch_args IS NULL OR length(launch_args) <= 1024);";
/* Migration 7: schedules per server (issue 16).
 *
 * schedules: one row per schedule of a server, gone with it.  action
 * restart, update (install_game, then a restart onto the new build) or
 * command (a console command, `command`, checked by console_command_ok).
 * cron: 5 fields in the host's time zone (cron.h).  only_when_empty: a
 * firing waits up to wait_minutes for zero human players (A2S players
 * minus bots, from server_status), then on_timeout skips or forces it.
 * Times are unix seconds.  next_run: the next firing (NULL while
 * disabled); waiting_since: the firing now waiting for an empty server
 * (NULL when none); last_run, last_result, last_job_id: the last firing's
 * outcome.  Writers: left4me-web and left4mectl create, delete and
 * enable/disable (and set next_run then); left4me-worker writes next_run,
 * waiting_since and last_* as it fires them.
 *
 * jobs is rebuilt as in migrations 2, 5 and 6 (same rows, ids and sequence) for two
 * changes: kind 'command' (a scheduled console command, target the server)
 * and a schedule_id column naming the schedule a job came from (NULL for
 * every other job; a 'command' job reads its command from that row). */
/* clang-format off */
static const char migration_7[] =
"CREATE TABLE schedules ("
"  id              INTEGER PRIMARY KEY AUTOINCREMENT,"
"  server_id       INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,"
"  action          TEXT NOT NULL CHECK (action IN ('restart', 'update', 'command')),"
"  cron            TEXT NOT NULL CHECK (length(cron) BETWEEN 1 AND 128),"
"  command         TEXT CHECK (command IS NULL OR length(command) BETWEEN 1 AND 512),"
"  only_when_empty INTEGER NOT NULL DEFAULT 0 CHECK (only_when_empty IN (0, 1)),"
"  wait_minutes    INTEGER NOT NULL DEFAULT 0 CHECK (wait_minutes BETWEEN 0 AND 1440),"
"  on_timeout      TEXT NOT NULL DEFAULT 'skip' CHECK (on_timeout IN ('skip', 'force')),"
"  enabled         INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),"
"  next_run        INTEGER,"
"  waiting_since   INTEGER,"
"  last_run        INTEGER,"
"  last_result     TEXT CHECK (last_result IS NULL OR length(last_result) <= 512),"
"  last_job_id     INTEGER,"
"  created_at      INTEGER NOT NULL,"
"  updated_at      INTEGER NOT NULL,"
"  CHECK ((action = 'command') = (command IS NOT NULL))"
");"
"CREATE INDEX schedules_server ON schedules(server_id, id);"
"CREATE INDEX schedules_due ON schedules(next_run) WHERE enabled = 1;"

"CREATE TABLE jobs_new ("
"  id           INTEGER PRIMARY KEY AUTOINCREMENT,"
"  kind         TEXT NOT NULL CHECK (kind IN ('start', 'stop', 'restart', 'reset', 'delete',"
"                 'initialize', 'install_game', 'build_overlay', 'refresh_global_overlays',"
"                 'delete_overlay', 'sync_workshop', 'command')),"
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
"  schedule_id  INTEGER REFERENCES schedules(id) ON DELETE SET NULL,"
"  CHECK ((state = 'queued') = (started_at IS NULL)),"
"  CHECK ((state IN ('succeeded', 'failed', 'cancelled')) = (finished_at IS NOT NULL))"
");"
"CREATE TEMP TABLE jobs_seq AS"
"  SELECT coalesce(max(seq), 0) AS seq FROM sqlite_sequence WHERE name = 'jobs';"
"INSERT INTO jobs_new (id, kind, target, user_id, queue, lock_key, coalesce_key, state,"
"                     worker, created_at, started_at, heartbeat_at, finished_at, exit_code,"
"                     reason)"
"  SELECT id, kind, target, user_id, queue, lock_key, coalesce_key, state, worker,"
"         created_at, started_at, heartbeat_at, finished_at, exit_code, reason FROM jobs;"
"DROP TABLE jobs;"
"ALTER TABLE jobs_new RENAME TO jobs;"
"CREATE UNIQUE INDEX jobs_coalesce ON jobs(coalesce_key)"
"  WHERE state = 'queued' AND coalesce_key IS NOT NULL;"
"CREATE INDEX jobs_pending ON jobs(queue, id) WHERE state = 'queued';"
"CREATE INDEX jobs_running ON jobs(lock_key) WHERE state = 'running';"
"CREATE INDEX jobs_user ON jobs(user_id, id);"
"CREATE INDEX jobs_target ON jobs(target, id);"
"CREATE INDEX jobs_schedule ON jobs(schedule_id) WHERE schedule_id IS NOT NULL;"
/* DROP TABLE forgets the old sequence and the copy's is only max(id):
 * keep the larger, so no id is handed out twice (migration 2's rule). */
"DELETE FROM sqlite_sequence WHERE name = 'jobs';"
"INSERT INTO sqlite_sequence (name, seq) SELECT 'jobs',"
"  max((SELECT seq FROM temp.jobs_seq), (SELECT coalesce(max(id), 0) FROM jobs));"
"DROP TABLE temp.jobs_seq;";
/* clang-format on */

/* Migration 8: each server's RCON password (issue 14; docs/SECURITY.md,
 * "RCON").  One row per server, made when the server is created (web,
 * left4mectl) or, for a server older than this migration, by the first
 * reader that asks for it (the worker's initialize, the web's RCON view);
 * replaced by a rotation (web, left4mectl); gone with the server (ON
 * DELETE CASCADE; server ids are never reused, migration 2).  Writers:
 * left4me-web, left4mectl, left4me-worker (db_rcon.c only).  password:
 * [A-Za-z0-9]{24,64} (rcon.h), never logged or audited. */
/* clang-format off */
static const char migration_8[] =
"CREATE TABLE server_rcon ("
"  server_id  INTEGER PRIMARY KEY REFERENCES servers(id) ON DELETE CASCADE,"
"  password   TEXT NOT NULL CHECK (length(password) BETWEEN 24 AND 64"
"                                  AND password NOT GLOB '*[^A-Za-z0-9]*'),"
"  rotated_at INTEGER NOT NULL"
");";
/* clang-format on */

/* clang-format off */
/* Migration 9: jobs learn the kinds of backups and exports (issue 16),
 * run by left4me-worker as left4me, which alone reads what they copy:
 *   'backup'         target '': a dated backup into backup.dir
 *   'export_server'  target a server name: its upper/ as
 *                    STATE/exports/JOBID.tar.zst, for its owner or an admin
 *   'export_backup'  target a backup's name: a copy into
 *                    STATE/exports/JOBID.tar.zst, for an admin
 * The table is rebuilt as in migration 7 (schedule_id kept), keeping every id and its
 * AUTOINCREMENT high-water mark. */
static const char migration_9[] =
"CREATE TABLE jobs_new ("
"  id           INTEGER PRIMARY KEY AUTOINCREMENT,"
"  kind         TEXT NOT NULL CHECK (kind IN ('start', 'stop', 'restart', 'reset', 'delete',"
"                 'initialize', 'install_game', 'build_overlay', 'refresh_global_overlays',"
"                 'delete_overlay', 'sync_workshop', 'command', 'backup',"
"                 'export_server', 'export_backup')),"
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
"  schedule_id  INTEGER REFERENCES schedules(id) ON DELETE SET NULL,"
"  CHECK ((state = 'queued') = (started_at IS NULL)),"
"  CHECK ((state IN ('succeeded', 'failed', 'cancelled')) = (finished_at IS NOT NULL))"
");"
"CREATE TEMP TABLE jobs_seq AS"
"  SELECT coalesce(max(seq), 0) AS seq FROM sqlite_sequence WHERE name = 'jobs';"
"INSERT INTO jobs_new (id, kind, target, user_id, queue, lock_key, coalesce_key, state,"
"                     worker, created_at, started_at, heartbeat_at, finished_at, exit_code,"
"                     reason, schedule_id)"
"  SELECT id, kind, target, user_id, queue, lock_key, coalesce_key, state, worker,"
"         created_at, started_at, heartbeat_at, finished_at, exit_code, reason,"
"         schedule_id FROM jobs;"
"DROP TABLE jobs;"
"ALTER TABLE jobs_new RENAME TO jobs;"
"CREATE UNIQUE INDEX jobs_coalesce ON jobs(coalesce_key)"
"  WHERE state = 'queued' AND coalesce_key IS NOT NULL;"
"CREATE INDEX jobs_pending ON jobs(queue, id) WHERE state = 'queued';"
"CREATE INDEX jobs_running ON jobs(lock_key) WHERE state = 'running';"
"CREATE INDEX jobs_user ON jobs(user_id, id);"
"CREATE INDEX jobs_target ON jobs(target, id);"
"CREATE INDEX jobs_schedule ON jobs(schedule_id) WHERE schedule_id IS NOT NULL;"
/* DROP TABLE forgets the old sequence and the copy's is only max(id):
 * keep the larger, so no id is handed out twice (migration 2's rule). */
"DELETE FROM sqlite_sequence WHERE name = 'jobs';"
"INSERT INTO sqlite_sequence (name, seq) SELECT 'jobs',"
"  max((SELECT seq FROM temp.jobs_seq), (SELECT coalesce(max(id), 0) FROM jobs));"
"DROP TABLE temp.jobs_seq;";
/* clang-format on */

const struct db_migration db_migrations[] = {
    {1,
     "complete schema: users, sessions, tokens, overlays, blueprints, servers, jobs, "
     "global overlays, audit log",
     migration_1},
    {2,
     "ids are never reused: AUTOINCREMENT for users, api_tokens, overlays, blueprints, "
     "servers, jobs; job kind delete_overlay",
     migration_2},
    {3, "game builds: installed, per server, newest available", migration_3},
    {4, "live server state: server_status, server_players, server_history (left4me-status)",
     migration_4},
    {5, "workshop overlays: overlay kind and job kind, workshop_items, overlay_workshop",
     migration_5},
    {6, "launch settings: start_map, max_players, tickrate, launch_args on blueprints and servers",
     migration_6},
    {7, "schedules per server; job kind command and jobs.schedule_id", migration_7},
    {8, "RCON passwords: server_rcon, one per server", migration_8},
    {9, "job kinds backup, export_server, export_backup (issue 16)", migration_9},
};

const size_t db_n_migrations = sizeof(db_migrations) / sizeof(db_migrations[0]);
