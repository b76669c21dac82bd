/* Integration tests of left4me-worker: the real binary against a temp DB
 * and state dir, with worker.sudo false, worker.helper_dir pointing at
 * recording stand-in helpers (tests/worker/stand-in-helper) and
 * worker.steamcmd at a stand-in SteamCMD (tests/worker/stand-in-steamcmd).
 * Also left4mectl server ... --wait end to end against it. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "db_job.h"
#include "db_overlay.h"
#include "db_rcon.h"
#include "mountinfo.h"
#include "notify.h"
#include "strbuf.h"
#include "testutil.h"
#include "timeutil.h"
#include "xalloc.h"

extern char **environ;

struct env {
	char *dir, *state, *cfg, *helpers;
	char *env_dir, *env_home; /* "L4M_TEST_DIR=...", "HOME=..." */
	sqlite3 *db;
};

struct setup_opts {
	int helper_timeout;
	const char *steamcmd; /* NULL: the stand-in */
	const char *extra;    /* more config (top-level sections) */
};

static char *path(const struct env *e, const char *rel)
{
	return xasprintf("%s/%s", e->dir, rel);
}

static void mkdirs(const char *p)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", p);
	for (char *s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(buf, 0755);
		*s = '/';
	}
	ck_assert_msg(mkdir(buf, 0755) == 0 || errno == EEXIST, "mkdir %s", buf);
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
	char *text = tu_read_file(from);

	ck_assert_msg(text != NULL, "read %s", from);
	tu_write_file(to, text);
	ck_assert(chmod(to, mode) == 0);
	free(text);
}

static void setup_with(struct env *e, const struct setup_opts *o)
{
	static const char *const helpers[] = {"left4me-overlay", "left4me-systemctl",
					      "left4me-script-sandbox"};
	char src[PATH_MAX], *p, *q, *yaml;

	memset(e, 0, sizeof(*e));
	e->dir = tu_mkdtemp();
	e->state = path(e, "state");
	e->helpers = path(e, "helpers");
	mkdirs(e->state);
	mkdirs(e->helpers);
	p = path(e, "rc");
	mkdirs(p);
	free(p);
	p = path(e, "sleep");
	mkdirs(p);
	free(p);
	ck_assert(realpath("tests/worker/stand-in-helper", src) != NULL);
	for (size_t i = 0; i < 3; i++) {
		p = xasprintf("%s/%s", e->helpers, helpers[i]);
		ck_assert(symlink(src, p) == 0);
		free(p);
	}
	/* SteamCMD: bin/steamcmd -> steam/steamcmd.sh, with linux32/ and
	 * linux64/ beside the real path */
	p = path(e, "steam/linux32");
	mkdirs(p);
	free(p);
	p = path(e, "steam/linux64");
	mkdirs(p);
	free(p);
	p = path(e, "steam/linux32/steamclient.so");
	tu_write_file(p, "ELF linux32 steamclient");
	free(p);
	p = path(e, "steam/linux64/steamclient.so");
	tu_write_file(p, "ELF linux64 steamclient");
	free(p);
	p = path(e, "steam/steamcmd.sh");
	copy_file("tests/worker/stand-in-steamcmd", p, 0755);
	q = path(e, "bin");
	mkdirs(q);
	free(q);
	q = path(e, "bin/steamcmd");
	ck_assert(symlink(p, q) == 0);
	free(p);
	p = path(e, "home");
	mkdirs(p);
	free(p);
	e->cfg = path(e, "left4me.yaml");
	yaml = xasprintf("state_dir: %s\n"
			 "log_level: debug\n"
			 "worker:\n"
			 "  helper_dir: %s\n"
			 "  sudo: false\n"
			 "  steamcmd: %s\n"
			 "  heartbeat_interval: 1\n"
			 "  stale_after: 3\n"
			 "  helper_timeout: %d\n"
			 "  steamcmd_tries: 3\n"
			 "  steamcmd_backoff: 0\n%s",
			 e->state, e->helpers, o && o->steamcmd ? o->steamcmd : q,
			 o && o->helper_timeout ? o->helper_timeout : 30,
			 o && o->extra ? o->extra : "");
	tu_write_file(e->cfg, yaml);
	free(yaml);
	free(q);
	e->env_dir = xasprintf("L4M_TEST_DIR=%s", e->dir);
	e->env_home = xasprintf("HOME=%s/home", e->dir);
	e->db = tu_db_new(e->state);
	tu_db_exec(e->db,
		   "INSERT INTO users (id, name, password_hash, created_at, updated_at) "
		   "VALUES (1, 'alice', '$y$x', 0, 0);"
		   "INSERT INTO blueprints (id, user_id, name, config, created_at, updated_at) "
		   "VALUES (1, 1, 'bp', 'hostname test\nsv_lan 0', 0, 0);");
}

static void setup(struct env *e)
{
	setup_with(e, NULL);
}

static void teardown(struct env *e)
{
	db_close(e->db);
	tu_rmtree(e->dir);
	free(e->dir);
	free(e->state);
	free(e->cfg);
	free(e->helpers);
	free(e->env_dir);
	free(e->env_home);
}

/* A published build 1: installation/builds/1 and current -> builds/1. */
static void install_fake_game(struct env *e)
{
	char *p = xasprintf("%s/installation/builds/1/bin", e->state);

	mkdirs(p);
	free(p);
	p = xasprintf("%s/installation/builds/1/srcds_run", e->state);
	tu_write_file(p, "#!/bin/sh\n");
	free(p);
	p = xasprintf("%s/installation/current", e->state);
	ck_assert(symlink("builds/1", p) == 0);
	free(p);
}

static void add_server(struct env *e, const char *name, int port)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "INSERT INTO servers (name, user_id, blueprint_id, port, created_at, updated_at) "
		 "VALUES ('%s', 1, 1, %d, 0, 0)",
		 name, port);
	tu_db_exec(e->db, sql);
}

/* A user or script overlay with a directory (and a server.cfg if cfg). */
static void add_overlay(struct env *e, int id, const char *kind, int pos, int expose,
			const char *cfg)
{
	char sql[512], *p;

	snprintf(sql, sizeof(sql),
		 "INSERT INTO overlays (id, user_id, name, kind, build_script, created_at, "
		 "updated_at) VALUES (%d, 1, 'o%d', '%s', %s, 0, 0);"
		 "INSERT INTO blueprint_overlays VALUES (1, %d, %d, %d);",
		 id, id, kind, strcmp(kind, "script") == 0 ? "'echo hi'" : "NULL", id, pos, expose);
	tu_db_exec(e->db, sql);
	p = xasprintf("%s/overlays/%d/left4dead2/cfg", e->state, id);
	mkdirs(p);
	free(p);
	if (cfg) {
		p = xasprintf("%s/overlays/%d/left4dead2/cfg/server.cfg", e->state, id);
		tu_write_file(p, cfg);
		free(p);
	}
}

static void add_global(struct env *e, int id, const char *source, int complete, int pos, int expose,
		       const char *cfg)
{
	char sql[512], *p;

	snprintf(sql, sizeof(sql),
		 "INSERT INTO global_overlay_sources (id, name, kind, complete, created_at) "
		 "VALUES (%d, '%s', 'url_list', %d, 0);"
		 "INSERT INTO overlays (id, name, kind, source_id, created_at, updated_at) "
		 "VALUES (%d, '%s', 'global', %d, 0, 0);"
		 "INSERT INTO blueprint_overlays VALUES (1, %d, %d, %d);",
		 id, source, complete, id, source, id, id, pos, expose);
	tu_db_exec(e->db, sql);
	p = xasprintf("%s/global_overlay_cache/%s/overlay/left4dead2/cfg", e->state, source);
	mkdirs(p);
	free(p);
	if (cfg) {
		p = xasprintf("%s/global_overlay_cache/%s/overlay/left4dead2/cfg/server.cfg",
			      e->state, source);
		tu_write_file(p, cfg);
		free(p);
	}
}

static int64_t enqueue(struct env *e, enum job_kind kind, const char *target)
{
	struct job_request req = {.kind = kind, .target = target, .user_id = 1};
	int64_t id;

	ck_assert_int_eq(db_job_enqueue(e->db, &req, &id, NULL), DB_OK);
	return id;
}

static void set_file(struct env *e, const char *rel, const char *text)
{
	char *p = path(e, rel);

	tu_write_file(p, text);
	free(p);
}

/* Run the worker with --once; returns its exit status. */
static int run_once(struct env *e)
{
	char *w = tu_build_path("left4me-worker/left4me-worker");
	char *argv[] = {w, (char *)"-c", e->cfg, (char *)"--allow-root", (char *)"--once", NULL};
	char *envp[] = {e->env_dir, e->env_home, NULL};
	struct tu_run r;
	int status;

	tu_run(&r, argv, NULL, envp);
	status = r.status;
	if (status != 0)
		fprintf(stderr, "worker stderr:\n%s\n", r.err);
	tu_run_fini(&r);
	free(w);
	return status;
}

/* Start the worker in the background; extra: one more env entry or NULL. */
static pid_t start_worker_env(struct env *e, bool once, char *const *extra)
{
	char *w = tu_build_path("left4me-worker/left4me-worker");
	char *argv[] = {
	    w, (char *)"-c", e->cfg, (char *)"--allow-root", once ? (char *)"--once" : NULL, NULL};
	size_t n = 0, i;
	char **envp;
	posix_spawn_file_actions_t fa;
	char *log = path(e, "worker.log");
	pid_t pid;

	size_t k = 0, x = 0;

	while (environ[n])
		n++;
	while (extra && extra[x])
		x++;
	envp = xcalloc(n + x + 3, sizeof(*envp));
	envp[k++] = e->env_dir;
	envp[k++] = e->env_home;
	for (i = 0; i < x; i++)
		envp[k++] = extra[i];
	for (i = 0; i < n; i++)
		envp[k++] = environ[i];
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	ck_assert(posix_spawn(&pid, w, &fa, NULL, argv, envp) == 0);
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
	free(w);
	free(log);
	return pid;
}

static pid_t start_worker(struct env *e, bool once)
{
	return start_worker_env(e, once, NULL);
}

static int wait_exit(pid_t pid, int timeout_ms)
{
	int64_t until = mono_ms() + timeout_ms;
	int status;

	while (mono_ms() < until) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	ck_abort_msg("process %d did not exit within %d ms", (int)pid, timeout_ms);
	return -1;
}

static char *job_text(struct env *e, int64_t id, const char *col)
{
	char sql[128];
	sqlite3_stmt *st;
	char *v = NULL;

	snprintf(sql, sizeof(sql), "SELECT %s FROM jobs WHERE id = %lld", col, (long long)id);
	ck_assert(sqlite3_prepare_v2(e->db, sql, -1, &st, NULL) == SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v ? v : xstrdup("(null)");
}

static void assert_job(struct env *e, int64_t id, const char *state, const char *reason_part)
{
	char *s = job_text(e, id, "state"), *r = job_text(e, id, "reason");

	ck_assert_msg(strcmp(s, state) == 0, "job %lld: state %s, want %s (reason: %s)",
		      (long long)id, s, state, r);
	if (reason_part)
		ck_assert_msg(strstr(r, reason_part) != NULL, "job %lld: reason '%s' lacks '%s'",
			      (long long)id, r, reason_part);
	free(s);
	free(r);
}

/* Count job_log lines of job id on stream with line exactly (or containing). */
static long long log_count(struct env *e, int64_t id, const char *stream, const char *line,
			   bool exact)
{
	sqlite3_stmt *st;
	long long n;
	const char *sql = exact ? "SELECT count(*) FROM job_log WHERE job_id = ? AND stream = ? "
				  "AND line = ?"
				: "SELECT count(*) FROM job_log WHERE job_id = ? AND stream = ? "
				  "AND instr(line, ?) > 0";

	ck_assert(sqlite3_prepare_v2(e->db, sql, -1, &st, NULL) == SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, stream, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, line, -1, SQLITE_STATIC);
	ck_assert(sqlite3_step(st) == SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static char *calls(struct env *e)
{
	char *p = path(e, "calls.log");
	char *t = tu_read_file(p);

	free(p);
	return t ? t : xstrdup("");
}

static void assert_calls(struct env *e, const char *want)
{
	char *got = calls(e);

	ck_assert_msg(strcmp(got, want) == 0, "helper calls:\n%s\nwant:\n%s", got, want);
	free(got);
}

static void clear_calls(struct env *e)
{
	char *p = path(e, "calls.log");

	unlink(p);
	free(p);
}

static char *state_file(struct env *e, const char *rel)
{
	char *p = xasprintf("%s/%s", e->state, rel);
	char *t = tu_read_file(p);

	free(p);
	return t;
}

/* runtime/NAME/upper/left4dead2/cfg/server.cfg without its last line,
 * after checking that line is the server's RCON password from the
 * database (docs/SECURITY.md, "RCON"); NULL if the file is missing. */
static char *staged_cfg(struct env *e, const char *name)
{
	char *rel = xasprintf("runtime/%s/upper/left4dead2/cfg/server.cfg", name);
	char *t = state_file(e, rel), *q, *want, *last;
	sqlite3_stmt *st;

	free(rel);
	if (!t)
		return NULL;
	q = sqlite3_mprintf("SELECT r.password FROM server_rcon r JOIN servers s ON s.id = "
			    "r.server_id WHERE s.name = %Q",
			    name);
	ck_assert_int_eq(sqlite3_prepare_v2(e->db, q, -1, &st, NULL), SQLITE_OK);
	sqlite3_free(q);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	want = xasprintf("rcon_password \"%s\"\n", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	last = strstr(t, "rcon_password \"");
	while (last && strstr(last + 1, "rcon_password \""))
		last = strstr(last + 1, "rcon_password \"");
	ck_assert_msg(last && (last == t || last[-1] == '\n') && strcmp(last, want) == 0,
		      "server.cfg of %s does not end with its RCON password:\n%s", name, t);
	*last = '\0';
	free(want);
	return t;
}

static bool state_exists(struct env *e, const char *rel)
{
	char *p = xasprintf("%s/%s", e->state, rel);
	struct stat st;
	bool r = lstat(p, &st) == 0;

	free(p);
	return r;
}

static char *server_state(struct env *e, const char *name)
{
	char sql[128];
	sqlite3_stmt *st;
	char *v = NULL;

	snprintf(sql, sizeof(sql),
		 "SELECT state || ':' || ifnull(state_reason, '') FROM servers "
		 "WHERE name = '%s'",
		 name);
	ck_assert(sqlite3_prepare_v2(e->db, sql, -1, &st, NULL) == SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v ? v : xstrdup("(no row)");
}

static void assert_server(struct env *e, const char *name, const char *want_prefix)
{
	char *s = server_state(e, name);

	ck_assert_msg(strncmp(s, want_prefix, strlen(want_prefix)) == 0,
		      "server %s: '%s', want '%s...'", name, s, want_prefix);
	free(s);
}

/* The three-overlay blueprint: 11 (top, user, opted in), 12 (script, not
 * opted in), 13 (global "maps", bottom, opted in). */
static void three_overlays(struct env *e)
{
	add_overlay(e, 11, "user", 0, 1, "sm_cvar top 1\n");
	add_overlay(e, 12, "script", 1, 0, "never staged\n");
	add_global(e, 13, "maps", 1, 2, 1, "sv_maps 1\n");
}

START_TEST(start_initializes_and_enables)
{
	struct env e;
	char *got, *want;
	int64_t id;

	setup(&e);
	install_fake_game(&e);
	three_overlays(&e);
	add_server(&e, "alpha", 27015);
	id = enqueue(&e, JOB_START, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "started");
	assert_server(&e, "alpha", "running:");

	got = state_file(&e, "instances/alpha/instance.env");
	want =
	    xasprintf("# written by left4me-worker; read by left4me-overlay and left4me-launcher\n"
		      "L4D2_LOWERDIRS=\"%s/overlays/11:%s/overlays/12:"
		      "%s/global_overlay_cache/maps/overlay:%s/installation/builds/1\"\n"
		      "L4D2_PORT=27015\nL4D2_MAP=c1m1_hotel\nL4D2_MAXPLAYERS=8\n",
		      e.state, e.state, e.state, e.state);
	ck_assert_msg(got && strcmp(got, want) == 0, "instance.env:\n%s\nwant:\n%s", got, want);
	free(got);
	free(want);

	got = staged_cfg(&e, "alpha");
	ck_assert_str_eq(got, "exec server_overlay_13\nexec server_overlay_11\n"
			      "hostname test\nsv_lan 0\n");
	free(got);
	got = state_file(&e, "runtime/alpha/upper/left4dead2/cfg/server_overlay_11.cfg");
	ck_assert_str_eq(got, "sm_cvar top 1\n");
	free(got);
	got = state_file(&e, "runtime/alpha/upper/left4dead2/cfg/server_overlay_13.cfg");
	ck_assert_str_eq(got, "sv_maps 1\n");
	free(got);
	ck_assert(!state_exists(&e, "runtime/alpha/upper/left4dead2/cfg/server_overlay_12.cfg"));
	ck_assert(state_exists(&e, "runtime/alpha/work"));
	ck_assert(state_exists(&e, "runtime/alpha/merged"));
	/* " staged": the stand-in saw every file before the enable call */
	assert_calls(&e, "left4me-systemctl enable alpha staged\n");
	ck_assert_int_eq(log_count(&e, id, "stdout",
				   "left4me-systemctl enable alpha: stand-in "
				   "running",
				   true),
			 1);

	/* re-initialize after opting 11 out: its stale copy goes */
	tu_db_exec(e.db,
		   "UPDATE blueprint_overlays SET expose_server_cfg = 0 WHERE overlay_id = 11");
	id = enqueue(&e, JOB_RESTART, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "restarted");
	got = staged_cfg(&e, "alpha");
	ck_assert_str_eq(got, "exec server_overlay_13\nhostname test\nsv_lan 0\n");
	free(got);
	ck_assert(!state_exists(&e, "runtime/alpha/upper/left4dead2/cfg/server_overlay_11.cfg"));
	assert_calls(&e, "left4me-systemctl enable alpha staged\n"
			 "left4me-systemctl disable alpha\n"
			 "left4me-systemctl enable alpha staged\n");
	teardown(&e);
}
END_TEST

/* Issue 17: an overlay nobody wrote to yet (a row, no directory: never
 * uploaded to, never built) is an empty layer.  Starting a server on it
 * succeeds, its directory is made shared (02770) and the log says so; its
 * exposed server.cfg is staged empty. */
START_TEST(start_never_touched_overlay)
{
	struct env e;
	struct stat st;
	char *p, *got;
	int64_t id;

	setup(&e);
	install_fake_game(&e);
	p = xasprintf("%s/overlays", e.state);
	ck_assert(mkdir(p, 02770) == 0);
	free(p);
	tu_db_exec(e.db, "INSERT INTO overlays (id, user_id, name, kind, created_at, updated_at) "
			 "VALUES (21, 1, 'fresh', 'user', 0, 0);"
			 "INSERT INTO blueprint_overlays VALUES (1, 21, 0, 1);");
	ck_assert(!state_exists(&e, "overlays/21"));
	add_server(&e, "fresh", 27015);
	id = enqueue(&e, JOB_START, "fresh");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "started");
	assert_server(&e, "fresh", "running:");
	ck_assert_int_eq(log_count(&e, id, "step", "overlay 21 has no directory yet", false), 1);
	p = xasprintf("%s/overlays/21", e.state);
	ck_assert(lstat(p, &st) == 0 && S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 02770);
	free(p);
	got = state_file(&e, "runtime/fresh/upper/left4dead2/cfg/server_overlay_21.cfg");
	ck_assert_str_eq(got, "");
	free(got);
	got = staged_cfg(&e, "fresh");
	ck_assert_str_eq(got, "exec server_overlay_21\nhostname test\nsv_lan 0\n");
	free(got);
	teardown(&e);
}
END_TEST

/* The worker's stderr of one --once run, into *err (caller frees). */
static int run_once_err(struct env *e, char **err)
{
	char *w = tu_build_path("left4me-worker/left4me-worker");
	char *argv[] = {w, (char *)"-c", e->cfg, (char *)"--allow-root", (char *)"--once", NULL};
	char *envp[] = {e->env_dir, e->env_home, NULL};
	struct tu_run r;
	int status;

	tu_run(&r, argv, NULL, envp);
	status = r.status;
	*err = xasprintf("%s%s", r.err, r.out);
	tu_run_fini(&r);
	free(w);
	return status;
}

static char *rcon_of(struct env *e, const char *name)
{
	char *q = sqlite3_mprintf("SELECT r.password FROM server_rcon r JOIN servers s ON s.id = "
				  "r.server_id WHERE s.name = %Q",
				  name);
	sqlite3_stmt *st;
	char *pw;

	ck_assert_int_eq(sqlite3_prepare_v2(e->db, q, -1, &st, NULL), SQLITE_OK);
	sqlite3_free(q);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	pw = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return pw;
}

/* pw is in no job log line, job reason, audit row, nor in err (the
 * worker's stderr and stdout). */
static void assert_nowhere(struct env *e, const char *pw, const char *err)
{
	char *q = sqlite3_mprintf(
	    "SELECT (SELECT count(*) FROM job_log WHERE instr(line, %Q)) + (SELECT count(*) FROM "
	    "jobs WHERE instr(coalesce(reason, ''), %Q)) + (SELECT count(*) FROM audit_log "
	    "WHERE instr(actor || action || object || detail, %Q))",
	    pw, pw, pw);

	ck_assert_int_eq(tu_db_int(e->db, q), 0);
	sqlite3_free(q);
	ck_assert_msg(!strstr(err, pw), "the RCON password is in the worker's output:\n%s", err);
}

/* Issue 14, RCON: the password is made for the server on its first
 * start and staged as the last line of server.cfg (0600), after what an
 * overlay's server.cfg and the blueprint set; a rotation reaches the
 * next start; no log, job or audit row, nor the worker's output, ever
 * holds it; the delete takes it with the server. */
START_TEST(rcon_staged_last_never_logged)
{
	struct env e;
	struct stat st;
	char *got, *pw1, *pw2, *err, *p;
	struct rcon_row r;
	int64_t id;

	setup(&e);
	install_fake_game(&e);
	add_overlay(&e, 11, "user", 0, 1, "rcon_password \"from-overlay\"\nsm_cvar top 1\n");
	tu_db_exec(e.db, "UPDATE blueprints SET config = 'rcon_password \"from-blueprint\"' || "
			 "char(10) || 'hostname h'");
	add_server(&e, "alpha", 27015);
	ck_assert_int_eq(tu_db_int(e.db, "SELECT count(*) FROM server_rcon"), 0);
	id = enqueue(&e, JOB_START, "alpha");
	ck_assert_int_eq(run_once_err(&e, &err), 0);
	assert_job(&e, id, "succeeded", "started");
	pw1 = rcon_of(&e, "alpha");
	got = staged_cfg(&e, "alpha"); /* checks the last line is pw1 */
	ck_assert_str_eq(got, "exec server_overlay_11\nrcon_password \"from-blueprint\"\n"
			      "hostname h\n");
	free(got);
	got = state_file(&e, "runtime/alpha/upper/left4dead2/cfg/server_overlay_11.cfg");
	ck_assert_str_eq(got, "rcon_password \"from-overlay\"\nsm_cvar top 1\n");
	free(got);
	p = xasprintf("%s/runtime/alpha/upper/left4dead2/cfg/server.cfg", e.state);
	ck_assert(lstat(p, &st) == 0 && S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	free(p);
	assert_nowhere(&e, pw1, err);
	free(err);

	/* rotate (as left4mectl and the web do), then restart: the new one
	 * is staged, and neither is anywhere */
	tu_db_exec(e.db, "PRAGMA foreign_keys = ON");
	ck_assert_int_eq(
	    db_rcon_rotate(e.db, tu_db_int(e.db, "SELECT id FROM servers"), "alpha", 0, "cli", &r),
	    DB_OK);
	pw2 = xstrdup(r.password);
	ck_assert_str_ne(pw1, pw2);
	id = enqueue(&e, JOB_RESTART, "alpha");
	ck_assert_int_eq(run_once_err(&e, &err), 0);
	assert_job(&e, id, "succeeded", "restarted");
	got = staged_cfg(&e, "alpha");
	free(got);
	got = state_file(&e, "runtime/alpha/upper/left4dead2/cfg/server.cfg");
	ck_assert_ptr_null(strstr(got, pw1));
	free(got);
	assert_nowhere(&e, pw1, err);
	assert_nowhere(&e, pw2, err);
	free(err);

	/* the delete removes it with the row and the staged file */
	id = enqueue(&e, JOB_DELETE, "alpha");
	ck_assert_int_eq(run_once_err(&e, &err), 0);
	assert_job(&e, id, "succeeded", "deleted");
	ck_assert_int_eq(tu_db_int(e.db, "SELECT count(*) FROM server_rcon"), 0);
	ck_assert(!state_exists(&e, "runtime/alpha"));
	assert_nowhere(&e, pw2, err);
	free(err);
	free(pw1);
	free(pw2);
	teardown(&e);
}
END_TEST

START_TEST(stop_reset_delete)
{
	struct env e;
	int64_t id;

	setup(&e);
	install_fake_game(&e);
	three_overlays(&e);
	add_server(&e, "alpha", 27015);
	enqueue(&e, JOB_START, "alpha");
	id = enqueue(&e, JOB_STOP, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "stopped");
	assert_server(&e, "alpha", "stopped:");

	clear_calls(&e);
	id = enqueue(&e, JOB_RESET, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "reset");
	assert_calls(&e, "left4me-systemctl disable alpha\nleft4me-overlay umount alpha\n");
	assert_server(&e, "alpha", "new:");
	ck_assert(!state_exists(&e, "runtime/alpha"));
	ck_assert(!state_exists(&e, "instances/alpha"));
	ck_assert_int_eq(tu_db_int(e.db, "SELECT count(*) FROM servers"), 1);
	ck_assert_int_eq(tu_db_int(e.db, "SELECT count(*) FROM blueprint_overlays"), 3);

	/* start again, then delete: no row, no dirs */
	enqueue(&e, JOB_START, "alpha");
	id = enqueue(&e, JOB_DELETE, "alpha");
	clear_calls(&e);
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "deleted");
	assert_calls(&e, "left4me-systemctl enable alpha staged\n"
			 "left4me-systemctl disable alpha\nleft4me-overlay umount alpha\n");
	ck_assert_int_eq(tu_db_int(e.db, "SELECT count(*) FROM servers"), 0);
	ck_assert(!state_exists(&e, "runtime/alpha"));
	ck_assert(!state_exists(&e, "instances/alpha"));
	ck_assert(state_exists(&e, "runtime"));
	teardown(&e);
}
END_TEST

START_TEST(delete_never_initialized)
{
	struct env e;
	int64_t id;

	setup(&e);
	/* no game installed, never started; and the disable helper fails */
	add_server(&e, "fresh", 27016);
	add_server(&e, "fresh2", 27017);
	set_file(&e, "rc/left4me-systemctl.disable", "65\n");
	id = enqueue(&e, JOB_DELETE, "fresh");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "deleted");
	ck_assert_int_eq(tu_db_int(e.db, "SELECT count(*) FROM servers WHERE name = 'fresh'"), 0);
	ck_assert_int_gt(log_count(&e, id, "step", "never initialized", false), 0);
	set_file(&e, "rc/left4me-systemctl.disable", "0\n");
	id = enqueue(&e, JOB_DELETE, "fresh2");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "deleted");
	ck_assert_int_eq(tu_db_int(e.db, "SELECT count(*) FROM servers"), 0);
	ck_assert(!state_exists(&e, "runtime/fresh2"));
	teardown(&e);
}
END_TEST

/* A delete whose row is already gone succeeds ("already deleted"),
 * removes leftover dirs through the helpers only when there are any, and
 * never touches anything for a name that fails validation. */
START_TEST(delete_is_idempotent)
{
	struct env e;
	int64_t id1, id2, id3;
	char *p;

	setup(&e);
	install_fake_game(&e);
	add_server(&e, "alpha", 27015);
	enqueue(&e, JOB_START, "alpha");
	id1 = enqueue(&e, JOB_DELETE, "alpha");
	id2 = enqueue(&e, JOB_DELETE, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id1, "succeeded", "deleted");
	assert_job(&e, id2, "succeeded", "deleted");
	ck_assert_int_eq(log_count(&e, id2, "step", "server alpha: already deleted", true), 1);
	/* the second delete had nothing to undo: no helper ran for it */
	assert_calls(&e, "left4me-systemctl enable alpha staged\n"
			 "left4me-systemctl disable alpha\nleft4me-overlay umount alpha\n");

	/* no row, but leftover dirs: the helpers run, the dirs go */
	clear_calls(&e);
	p = xasprintf("%s/runtime/beta/upper", e.state);
	mkdirs(p);
	free(p);
	p = xasprintf("%s/instances/beta", e.state);
	mkdirs(p);
	free(p);
	set_file(&e, "state/runtime/beta/upper/x", "");
	set_file(&e, "state/instances/beta/instance.env", "");
	id3 = enqueue(&e, JOB_DELETE, "beta");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id3, "succeeded", "deleted");
	ck_assert_int_eq(log_count(&e, id3, "step", "server beta: already deleted", true), 1);
	assert_calls(&e, "left4me-systemctl disable beta\nleft4me-overlay umount beta\n");
	ck_assert(!state_exists(&e, "runtime/beta"));
	ck_assert(!state_exists(&e, "instances/beta"));
	ck_assert(state_exists(&e, "runtime"));

	/* a name that fails validation: nothing is touched */
	clear_calls(&e);
	p = xasprintf("%s/runtime/Beta", e.state);
	mkdirs(p);
	free(p);
	set_file(&e, "state/runtime/Beta/keep", "");
	tu_db_exec(e.db, "INSERT INTO jobs (id, kind, target, queue, lock_key, created_at) VALUES "
			 "(100, 'delete', 'Beta', 'worker', 'server:Beta', 0)");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, 100, "failed", "invalid server name 'Beta'");
	assert_calls(&e, "");
	ck_assert(state_exists(&e, "runtime/Beta/keep"));
	teardown(&e);
}
END_TEST

/* Staging never writes into a mounted upper/: in a private mount
 * namespace the stand-in mounts a tmpfs on runtime/NAME/merged at enable
 * and unmounts it at disable, as the unit's ExecStartPre/ExecStopPost do.
 * restart = disable + initialize + enable; start of a running server is a
 * restart; initialize on a running server refuses and keeps its state; a
 * disable that leaves the overlay mounted fails the job before staging. */
START_TEST(restage_only_unmounted)
{
	struct env e;
	char *merged, real[PATH_MAX], *got;
	int64_t id;

	ck_assert_int_eq(geteuid(), 0); /* CI runs as root: this must not skip */
	/* check forked this test: the namespace ends with it */
	ck_assert(unshare(CLONE_NEWNS) == 0);
	ck_assert(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	setup(&e);
	set_file(&e, "mount-sim", "");
	install_fake_game(&e);
	add_server(&e, "alpha", 27015);
	merged = xasprintf("%s/runtime/alpha/merged", e.state);

	id = enqueue(&e, JOB_START, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "started");
	ck_assert(realpath(merged, real) != NULL);
	ck_assert_int_eq(mountinfo_lookup(real, NULL, 0), 1);
	assert_calls(&e, "left4me-systemctl enable alpha staged\n");

	/* restart: unmounted (disable) before staging, mounted again after */
	tu_db_exec(e.db, "UPDATE blueprints SET config = 'hostname two'");
	clear_calls(&e);
	id = enqueue(&e, JOB_RESTART, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "restarted");
	assert_calls(&e, "left4me-systemctl disable alpha mounted\n"
			 "left4me-systemctl enable alpha staged\n");
	got = staged_cfg(&e, "alpha");
	ck_assert_str_eq(got, "hostname two\n");
	free(got);
	ck_assert_int_eq(mountinfo_lookup(real, NULL, 0), 1);

	/* start of a running server is a restart */
	tu_db_exec(e.db, "UPDATE blueprints SET config = 'hostname three'");
	clear_calls(&e);
	id = enqueue(&e, JOB_START, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "started");
	assert_calls(&e, "left4me-systemctl disable alpha mounted\n"
			 "left4me-systemctl enable alpha staged\n");
	ck_assert_int_eq(
	    log_count(&e, id, "step", "stopping it so the files are staged unmounted", false), 1);
	got = staged_cfg(&e, "alpha");
	ck_assert_str_eq(got, "hostname three\n");
	free(got);

	/* initialize while mounted: refused, nothing written, state kept */
	tu_db_exec(e.db, "UPDATE blueprints SET config = 'hostname four'");
	clear_calls(&e);
	id = enqueue(&e, JOB_INITIALIZE, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "failed",
		   "runtime/alpha/merged is mounted (the server is running): "
		   "stop it first");
	assert_calls(&e, "");
	assert_server(&e, "alpha", "running:");
	got = staged_cfg(&e, "alpha");
	ck_assert_str_eq(got, "hostname three\n");
	free(got);

	/* a disable that leaves the overlay mounted: no staging, no enable */
	set_file(&e, "stuck", "");
	id = enqueue(&e, JOB_RESTART, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "failed", "merged is mounted");
	assert_calls(&e, "left4me-systemctl disable alpha mounted\n");
	got = staged_cfg(&e, "alpha");
	ck_assert_str_eq(got, "hostname three\n");
	free(got);

	/* stopped (unmounted): initialize stages again */
	got = path(&e, "stuck");
	unlink(got);
	free(got);
	id = enqueue(&e, JOB_STOP, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	ck_assert_int_eq(mountinfo_lookup(real, NULL, 0), 0);
	id = enqueue(&e, JOB_INITIALIZE, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "initialized");
	got = staged_cfg(&e, "alpha");
	ck_assert_str_eq(got, "hostname four\n");
	free(got);
	umount2(real, MNT_DETACH);
	free(merged);
	teardown(&e);
}
END_TEST

/* Helper exit codes -> job outcome. */
static const struct {
	const char *codes; /* successive exit codes of `enable` */
	const char *state;
	const char *reason;
	int enable_calls;
	int exit_code;
} code_cases[] = {
    {"65\n", "failed",
     "left4me-systemctl enable alpha: exit 65 (bad data): "
     "left4me-systemctl: stand-in failing with 65",
     1, 65},
    {"64\n", "failed", "exit 64 (usage error)", 1, 64},
    {"77\n", "failed", "exit 77 (permission denied)", 1, 77},
    {"70\n", "failed", "exit 70 (internal error)", 1, 70},
    {"1\n", "failed", "exit 1 (failed)", 1, 1},
    {"75\n0\n", "succeeded", "started", 2, 0},
    {"75\n75\n0\n", "succeeded", "started", 3, 0},
    {"75\n", "failed", "exit 75 (temporary failure)", 3, 75},
};

START_TEST(helper_exit_codes)
{
	struct env e;
	char *got, *c, *ec;
	int64_t id;
	int n = 0;

	setup(&e);
	install_fake_game(&e);
	add_server(&e, "alpha", 27015);
	set_file(&e, "rc/left4me-systemctl.enable", code_cases[_i].codes);
	id = enqueue(&e, JOB_START, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, code_cases[_i].state, code_cases[_i].reason);
	got = calls(&e);
	for (c = got; (c = strstr(c, "enable alpha")); c++)
		n++;
	ck_assert_int_eq(n, code_cases[_i].enable_calls);
	free(got);
	ec = job_text(&e, id, "exit_code");
	ck_assert_int_eq(atoi(ec), code_cases[_i].exit_code);
	free(ec);
	if (strcmp(code_cases[_i].state, "failed") == 0)
		assert_server(&e, "alpha", "failed:left4me-systemctl enable alpha: exit");
	else
		assert_server(&e, "alpha", "running:");
	teardown(&e);
}
END_TEST

START_TEST(refusals_before_any_helper)
{
	struct env e;
	int64_t id;
	char *p;

	setup(&e);
	add_server(&e, "alpha", 27015);
	/* 1: the game is not installed */
	id = enqueue(&e, JOB_START, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "failed", "the game is not installed");
	assert_server(&e, "alpha", "failed:the game is not installed");

	/* 2: a global overlay's directory is missing (the fetcher's: a user
	 * overlay's is made empty, start_never_touched_overlay) */
	install_fake_game(&e);
	add_global(&e, 12, "gone", 1, 0, 0, NULL);
	p = xasprintf("%s/global_overlay_cache/gone/overlay", e.state);
	tu_rmtree(p);
	free(p);
	id = enqueue(&e, JOB_START, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "failed", "overlay 12 is missing");

	/* 3: an overlay dir that is a symlink to /etc */
	tu_db_exec(e.db, "DELETE FROM blueprint_overlays");
	add_overlay(&e, 11, "user", 0, 0, NULL);
	p = xasprintf("%s/overlays/11", e.state);
	tu_rmtree(p);
	ck_assert(symlink("/etc", p) == 0);
	free(p);
	id = enqueue(&e, JOB_START, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "failed", "resolves to /etc, outside the allowed directories");

	/* 4: an incomplete global overlay */
	tu_db_exec(e.db, "DELETE FROM blueprint_overlays");
	add_global(&e, 13, "maps", 0, 0, 0, NULL);
	id = enqueue(&e, JOB_INITIALIZE, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "failed", "global overlay 13 (source maps) is incomplete");

	/* 5: an opted-in overlay whose server.cfg is a symlink */
	tu_db_exec(e.db, "DELETE FROM blueprint_overlays");
	add_overlay(&e, 14, "user", 0, 1, NULL);
	p = xasprintf("%s/overlays/14/left4dead2/cfg/server.cfg", e.state);
	ck_assert(symlink("/etc/passwd", p) == 0);
	free(p);
	id = enqueue(&e, JOB_START, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "failed", "overlay 14: left4dead2/cfg/server.cfg cannot be read");

	/* nothing was ever written or called */
	ck_assert(!state_exists(&e, "instances/alpha"));
	ck_assert(!state_exists(&e, "runtime/alpha"));
	assert_calls(&e, "");
	teardown(&e);
}
END_TEST

START_TEST(bad_name_in_db)
{
	struct env e;

	setup(&e);
	install_fake_game(&e);
	/* the schema refuses such a server row outright */
	ck_assert(sqlite3_exec(e.db,
			       "INSERT INTO servers (name, user_id, blueprint_id, port, "
			       "created_at, updated_at) VALUES ('../etc', 1, 1, 27020, 0, 0)",
			       NULL, NULL, NULL) != SQLITE_OK);
	ck_assert(sqlite3_exec(e.db,
			       "INSERT INTO servers (name, user_id, blueprint_id, port, "
			       "created_at, updated_at) VALUES ('Alpha', 1, 1, 27020, 0, 0)",
			       NULL, NULL, NULL) != SQLITE_OK);
	/* jobs.target has no such CHECK: a job row written behind the
	 * enqueue function's back reaches the worker */
	tu_db_exec(e.db, "INSERT INTO jobs (id, kind, target, queue, lock_key, created_at) VALUES "
			 "(100, 'start', '../../etc', 'worker', 'x', 0),"
			 "(101, 'delete', 'a b', 'worker', 'y', 0),"
			 "(102, 'reset', '-rf', 'worker', 'z', 0),"
			 "(103, 'build_overlay', '1/../2', 'worker', 'w', 0)");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, 100, "failed", "invalid server name '../../etc'");
	assert_job(&e, 101, "failed", "invalid server name 'a b'");
	assert_job(&e, 102, "failed", "invalid server name '-rf'");
	assert_job(&e, 103, "failed", "invalid overlay id");
	assert_calls(&e, "");
	ck_assert(!state_exists(&e, "instances"));
	teardown(&e);
}
END_TEST

/* A server named before names were capped at 27 bytes (its dynamic user
 * l4m-NAME must be a strict <= 31-byte user name) is refused at start with
 * the reason, touches no helper, and can still be deleted. */
START_TEST(long_name_cannot_start)
{
	struct env e;

	setup(&e);
	install_fake_game(&e);
	tu_db_exec(e.db, "INSERT INTO servers (name, user_id, blueprint_id, port, created_at, "
			 "updated_at) VALUES ('evil-boundary-name-27-bytesx', 1, 1, 27021, 0, 0)");
	tu_db_exec(e.db, "INSERT INTO jobs (id, kind, target, queue, lock_key, created_at) VALUES "
			 "(200, 'start', 'evil-boundary-name-27-bytesx', 'worker', 'a', 0)");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, 200, "failed",
		   "server evil-boundary-name-27-bytesx cannot start: its name is longer than 27 "
		   "bytes, and each server runs as its own system user l4m-NAME (at most 31 "
		   "bytes); delete it and create it again with a shorter name");
	assert_calls(&e, "");
	tu_db_exec(e.db, "INSERT INTO jobs (id, kind, target, queue, lock_key, created_at) VALUES "
			 "(201, 'delete', 'evil-boundary-name-27-bytesx', 'worker', 'b', 0)");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, 201, "succeeded", NULL);
	ck_assert_int_eq(tu_db_int(e.db, "SELECT count(*) FROM servers WHERE name = "
					 "'evil-boundary-name-27-bytesx'"),
			 0);
	teardown(&e);
}
END_TEST

/* Where installation/current points ("" if nowhere). */
static char *current_build(struct env *e)
{
	char *p = xasprintf("%s/installation/current", e->state), buf[64];
	ssize_t n = readlink(p, buf, sizeof(buf) - 1);

	free(p);
	buf[n < 0 ? 0 : n] = '\0';
	return xstrdup(buf);
}

static void assert_current(struct env *e, const char *want)
{
	char *got = current_build(e);

	ck_assert_msg(strcmp(got, want) == 0, "installation/current: '%s', want '%s'", got, want);
	free(got);
}

static char *steam_log(struct env *e)
{
	char *p = path(e, "steamcmd.log"), *t = tu_read_file(p);

	free(p);
	return t ? t : xstrdup("");
}

static void clear_steam_log(struct env *e)
{
	char *p = path(e, "steamcmd.log");

	unlink(p);
	free(p);
}

START_TEST(install_game)
{
	struct env e;
	char *p, *want, *got, *t;
	struct stat st;
	int64_t id;

	setup(&e);
	id = enqueue(&e, JOB_INSTALL_GAME, "");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "game installed");
	/* a first install: the windows pass, then the linux pass, into the
	 * staging tree, which becomes build 100 */
	p = steam_log(&e);
	want = xasprintf("+force_install_dir %s/installation/staging +login anonymous "
			 "+@sSteamCmdForcePlatformType windows +app_update 222860 validate +quit\n"
			 "+force_install_dir %s/installation/staging +login anonymous "
			 "+@sSteamCmdForcePlatformType linux +app_update 222860 validate +quit\n",
			 e.state, e.state);
	ck_assert_str_eq(p, want);
	free(p);
	free(want);
	assert_current(&e, "builds/100");
	ck_assert(state_exists(&e, "installation/builds/100/srcds_run"));
	ck_assert(!state_exists(&e, "installation/builds/100/srcds.exe") ||
		  state_exists(&e, "installation/builds/100/srcds_run"));
	ck_assert(!state_exists(&e, "installation/staging"));
	ck_assert_int_eq(log_count(&e, id, "step", "published build 100 as ", false), 1);
	/* under a pty; \r-terminated progress lines split and parsed; one
	 * bar across both passes (each pass covers half) */
	ck_assert_int_eq(log_count(&e, id, "stdout", "stdout is a tty", true), 2);
	ck_assert_int_eq(log_count(&e, id, "stdout",
				   " Update state (0x61) downloading, progress: 2.73 (465905134 / "
				   "17058703111)",
				   true),
			 2);
	ck_assert_int_eq(log_count(&e, id, "progress",
				   "1.4 465905134 17058703111 windows pass 1/2: downloading", true),
			 1);
	ck_assert_int_eq(log_count(&e, id, "progress",
				   "51.4 465905134 17058703111 linux pass 2/2: downloading", true),
			 1);
	ck_assert_int_eq(log_count(&e, id, "progress",
				   "99.8 16973409595 17058703111 linux pass 2/2: verifying update",
				   true),
			 1);
	ck_assert_int_eq(
	    log_count(&e, id, "progress", "35.5 0 0 windows pass 1/2: steamcmd self-update", true),
	    1);
	/* steamclient.so copied (regular 0644 files, no link that would
	 * dangle in the game unit) from SteamCMD's linux32/linux64 beside its
	 * real path */
	p = path(&e, "home/.steam/sdk32/steamclient.so");
	ck_assert(lstat(p, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644);
	t = tu_read_file(p);
	ck_assert_str_eq(t, "ELF linux32 steamclient");
	free(t);
	free(p);
	p = path(&e, "home/.steam/sdk64/steamclient.so");
	ck_assert(lstat(p, &st) == 0 && S_ISREG(st.st_mode));
	t = tu_read_file(p);
	ck_assert_str_eq(t, "ELF linux64 steamclient");
	free(t);

	/* an update of an installed build: linux only, no validate; the same
	 * build is "already installed"; a wrong link is repaired, a right one
	 * left alone */
	unlink(p);
	ck_assert(symlink("/nonexistent/steamclient.so", p) == 0);
	free(p);
	clear_steam_log(&e);
	id = enqueue(&e, JOB_INSTALL_GAME, "");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "game installed");
	p = steam_log(&e);
	want = xasprintf("+force_install_dir %s/installation/staging +login anonymous "
			 "+@sSteamCmdForcePlatformType linux +app_update 222860 +quit\n",
			 e.state);
	ck_assert_str_eq(p, want);
	free(p);
	free(want);
	ck_assert_int_eq(log_count(&e, id, "step",
				   "linux pass: Success! App '222860' already up "
				   "to date.",
				   true),
			 1);
	ck_assert_int_eq(log_count(&e, id, "step", "build 100 is already installed", false), 1);
	/* the copy says what it cost: a reflink or a full copy with its size */
	ck_assert_int_eq(log_count(&e, id, "step", "shared by reflink (FICLONE)", false) +
			     log_count(&e, id, "step", "full copy of ", false),
			 1);
	ck_assert(!state_exists(&e, "installation/staging"));
	ck_assert_int_eq(log_count(&e, id, "step", "sdk64/steamclient.so: copied from ", false), 1);
	ck_assert_int_eq(
	    log_count(&e, id, "step", "sdk32/steamclient.so: already a copy of ", false), 1);
	p = path(&e, "home/.steam/sdk64/steamclient.so");
	ck_assert(lstat(p, &st) == 0 && S_ISREG(st.st_mode));
	free(p);

	/* validate on request; without SteamCMD's dirs: fall back to the
	 * build's bin/ */
	p = path(&e, "steam/linux32");
	tu_rmtree(p);
	free(p);
	p = path(&e, "steam/linux64");
	tu_rmtree(p);
	free(p);
	clear_steam_log(&e);
	id = enqueue(&e, JOB_INSTALL_GAME, "validate");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", NULL);
	p = steam_log(&e);
	ck_assert_msg(strstr(p, "+@sSteamCmdForcePlatformType linux +app_update 222860 validate "
				"+quit\n") != NULL,
		      "%s", p);
	free(p);
	p = path(&e, "home/.steam/sdk32/steamclient.so");
	ck_assert(lstat(p, &st) == 0 && S_ISREG(st.st_mode));
	t = tu_read_file(p);
	want = xasprintf("%s/installation/builds/100/bin/steamclient.so", e.state);
	got = tu_read_file(want);
	ck_assert_str_eq(t, got);
	ck_assert_str_eq(t, "ELF install steamclient 100\n");
	free(got);
	free(t);
	free(want);
	free(p);

	/* anything but a network or disk state: fail at once, SteamCMD's last
	 * lines in the reason; the staging tree goes, build 100 stays */
	set_file(&e, "steam-mode", "failother\n");
	set_file(&e, "steam-build", "101\n");
	clear_steam_log(&e);
	id = enqueue(&e, JOB_INSTALL_GAME, "");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "failed",
		   "SteamCMD (linux pass): ERROR! Failed to install app '222860' (No "
		   "subscription); its last lines: ");
	assert_job(&e, id, "failed", "Some other line | ERROR! Failed to install app");
	got = job_text(&e, id, "exit_code");
	ck_assert_str_eq(got, "8");
	free(got);
	p = steam_log(&e);
	ck_assert_int_eq((int)strlen(p) > 0 && strchr(p, '\n') == p + strlen(p) - 1, 1); /* 1 run */
	free(p);
	assert_current(&e, "builds/100");
	ck_assert(!state_exists(&e, "installation/staging"));
	ck_assert(!state_exists(&e, "installation/builds/101"));

	/* a success line with a manifest that is not StateFlags 4 publishes
	 * nothing */
	set_file(&e, "steam-mode", "badflags\n");
	id = enqueue(&e, JOB_INSTALL_GAME, "");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "failed", "has StateFlags 6, not 4 (fully installed)");
	assert_current(&e, "builds/100");
	ck_assert(!state_exists(&e, "installation/builds/101"));
	ck_assert(!state_exists(&e, "installation/staging"));
	teardown(&e);
}
END_TEST

static bool exists_in(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	struct stat st;
	bool ok = lstat(p, &st) == 0;

	free(p);
	return ok;
}

/* A linux-only first install is what the real SteamCMD refuses ("Invalid
 * platform"): the stand-in is as strict, so the windows pass must come
 * first; it deletes the Linux binaries, which the linux pass restores. */
START_TEST(steamcmd_standin_is_strict)
{
	struct env e;
	char *sc, *dir, *argv[12];
	struct tu_run r;

	setup(&e);
	sc = path(&e, "bin/steamcmd");
	dir = path(&e, "tree");
	mkdirs(dir);
	argv[0] = sc;
	argv[1] = (char *)"+force_install_dir";
	argv[2] = dir;
	argv[3] = (char *)"+login";
	argv[4] = (char *)"anonymous";
	argv[5] = (char *)"+@sSteamCmdForcePlatformType";
	argv[6] = (char *)"linux";
	argv[7] = (char *)"+app_update";
	argv[8] = (char *)"222860";
	argv[9] = (char *)"+quit";
	argv[10] = NULL;
	{
		char *envp[] = {e.env_dir, NULL};

		tu_run(&r, argv, NULL, envp);
		ck_assert_msg(strstr(r.out, "(Invalid platform)") != NULL, "%s", r.out);
		ck_assert_int_eq(r.status, 8);
		tu_run_fini(&r);
		argv[6] = (char *)"windows";
		tu_run(&r, argv, NULL, envp);
		ck_assert_msg(strstr(r.out, "fully installed") != NULL, "%s", r.out);
		tu_run_fini(&r);
		ck_assert(!exists_in(dir, "srcds_run"));
		ck_assert(exists_in(dir, "srcds.exe"));
		argv[6] = (char *)"linux";
		tu_run(&r, argv, NULL, envp);
		ck_assert_msg(strstr(r.out, "fully installed") != NULL, "%s", r.out);
		tu_run_fini(&r);
		ck_assert(exists_in(dir, "srcds_run"));
		/* app_info_print: the public branch's build */
		set_file(&e, "steam-public", "4242\n");
		argv[1] = (char *)"+login";
		argv[2] = (char *)"anonymous";
		argv[3] = (char *)"+app_info_update";
		argv[4] = (char *)"1";
		argv[5] = (char *)"+app_info_print";
		argv[6] = (char *)"222860";
		argv[7] = (char *)"+quit";
		argv[8] = NULL;
		tu_run(&r, argv, NULL, envp);
		ck_assert_msg(strstr(r.out, "\"buildid\"\t\t\"4242\"") != NULL, "%s", r.out);
		tu_run_fini(&r);
	}
	free(sc);
	free(dir);
	teardown(&e);
}
END_TEST

/* 0x602 twice, then success: both retries in the log, one bar. */
START_TEST(install_retries_network_errors)
{
	struct env e;
	char *p;
	int64_t id;

	setup(&e);
	set_file(&e, "steam-mode", "ok\nfail602\nfail402\nok\n");
	id = enqueue(&e, JOB_INSTALL_GAME, "");
	ck_assert_int_eq(run_once(&e), 0); /* build 100 */
	assert_job(&e, id, "succeeded", NULL);
	set_file(&e, "steam-mode", "fail602\nfail602\nok\n");
	set_file(&e, "steam-build", "101\n");
	id = enqueue(&e, JOB_INSTALL_GAME, "");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "game installed");
	ck_assert_int_eq(log_count(&e, id, "step",
				   "SteamCMD (linux pass) try 1 of 3: Error! App '222860' state is "
				   "0x602 after update job.; retrying in 0 s",
				   true),
			 1);
	ck_assert_int_eq(log_count(&e, id, "step",
				   "SteamCMD (linux pass) try 2 of 3: Error! App '222860' state is "
				   "0x602 after update job.; retrying in 0 s",
				   true),
			 1);
	ck_assert_int_eq(log_count(&e, id, "progress",
				   "2.7 465905134 17058703111 linux pass 1/1, try 3: downloading",
				   true),
			 1);
	assert_current(&e, "builds/101");
	p = steam_log(&e);
	ck_assert_int_eq((int)(strlen(p) > 0), 1);
	free(p);

	/* 0x402 on every try: it gives up after worker.steamcmd_tries */
	set_file(&e, "steam-mode", "fail402\n");
	set_file(&e, "steam-build", "102\n");
	id = enqueue(&e, JOB_INSTALL_GAME, "");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "failed",
		   "SteamCMD (linux pass): failed after 3 tries (worker.steamcmd_tries): Error! "
		   "App '222860' state is 0x402 after update job.; its last lines: ");
	ck_assert_int_eq(log_count(&e, id, "step", "retrying in 0 s", false), 2);
	assert_current(&e, "builds/101");
	ck_assert(!state_exists(&e, "installation/builds/102"));
	teardown(&e);
}
END_TEST

/* 0x202 and 0x212 (disk full): one run, at once, with the space. */
START_TEST(install_disk_full_stops_at_once)
{
	static const char *const modes[] = {"fail202\n", "fail212\n"};
	struct env e;
	int64_t id;

	setup(&e);
	for (size_t i = 0; i < 2; i++) {
		char *p;

		set_file(&e, "steam-mode", modes[i]);
		clear_steam_log(&e);
		id = enqueue(&e, JOB_INSTALL_GAME, "");
		ck_assert_int_eq(run_once(&e), 0);
		assert_job(&e, id, "failed",
			   "SteamCMD (windows pass): Error! App '222860' state is 0x2");
		assert_job(&e, id, "failed", ": the disk is full: ");
		assert_job(&e, id, "failed",
			   "SteamCMD still needed 15.5 GiB (16592797977 bytes) of its 15.9 GiB "
			   "(17058703111 bytes) download");
		assert_job(&e, id, "failed", " free in ");
		ck_assert_int_eq(log_count(&e, id, "step", "retrying", false), 0);
		p = steam_log(&e);
		ck_assert_msg(strchr(p, '\n') == p + strlen(p) - 1, "more than one run:\n%s", p);
		free(p);
		ck_assert(!state_exists(&e, "installation/current"));
		ck_assert(!state_exists(&e, "installation/staging"));
	}
	teardown(&e);
}
END_TEST

/* A timeout is retried like a network error. */
START_TEST(install_timeout_is_retried)
{
	struct env e;
	char *yaml, *old;
	int64_t id;

	setup(&e);
	old = tu_read_file(e.cfg);
	yaml = xasprintf("%s  install_timeout: 1\n", old);
	tu_write_file(e.cfg, yaml);
	free(yaml);
	free(old);
	set_file(&e, "steam-mode", "timeout\nok\n");
	id = enqueue(&e, JOB_INSTALL_GAME, "");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", NULL);
	ck_assert_int_eq(log_count(&e, id, "step",
				   "SteamCMD (windows pass) try 1 of 3: timed out after 1 s "
				   "(worker.install_timeout); retrying in 0 s",
				   true),
			 1);
	assert_current(&e, "builds/100");
	teardown(&e);
}
END_TEST

/* sha-like digest of every path, mode, link target and byte under dir. */
static char *tree_digest(const char *dir)
{
	char *argv[] = {(char *)"/bin/sh",
			(char *)"-c",
			(char *)"cd \"$1\" && find . -printf '%p %m %y %l\\n' | LC_ALL=C sort && "
				"find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum",
			(char *)"sh",
			(char *)dir,
			NULL};
	struct tu_run r;
	char *out;

	tu_run(&r, argv, NULL, NULL);
	ck_assert_int_eq(r.status, 0);
	out = xstrdup(r.out);
	tu_run_fini(&r);
	return out;
}

/* Issue 13's contract with the real worker and the stand-ins: build 100
 * is installed and alpha started; 101 is installed while alpha runs;
 * alpha's lowerdir path and every byte under it are unchanged; a restart
 * moves alpha to 101; 100 is removed after the restart and not before. */
START_TEST(update_never_touches_a_running_server)
{
	struct env e;
	char *env1, *env2, *dig1, *dig2, *b100, *merged, real[PATH_MAX];
	int64_t id;

	ck_assert_int_eq(geteuid(), 0);	      /* CI runs as root: this must not skip */
	ck_assert(unshare(CLONE_NEWNS) == 0); /* check forked this test */
	ck_assert(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	setup(&e);
	set_file(&e, "mount-sim", "");
	b100 = xasprintf("%s/installation/builds/100", e.state);
	id = enqueue(&e, JOB_INSTALL_GAME, "");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", NULL);
	add_server(&e, "alpha", 27015);
	id = enqueue(&e, JOB_START, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "started");
	ck_assert_int_eq(log_count(&e, id, "step", "(1 lowerdirs): game build 100", false), 1);
	merged = xasprintf("%s/runtime/alpha/merged", e.state);
	ck_assert(realpath(merged, real) != NULL);
	ck_assert_int_eq(mountinfo_lookup(real, NULL, 0), 1);
	env1 = state_file(&e, "instances/alpha/instance.env");
	ck_assert_msg(strstr(env1, "/installation/builds/100\"\n") != NULL, "%s", env1);
	dig1 = tree_digest(b100);

	/* 101 while alpha runs */
	set_file(&e, "steam-build", "101\n");
	id = enqueue(&e, JOB_INSTALL_GAME, "");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "game installed");
	assert_current(&e, "builds/101");
	ck_assert(state_exists(&e, "installation/builds/101/srcds_run"));
	ck_assert_int_eq(
	    log_count(&e, id, "step", "build 100: kept, a server's instance.env names it", true),
	    1);
	ck_assert_int_eq(mountinfo_lookup(real, NULL, 0), 1);
	env2 = state_file(&e, "instances/alpha/instance.env");
	ck_assert_str_eq(env1, env2);
	free(env2);
	dig2 = tree_digest(b100);
	ck_assert_str_eq(dig1, dig2);
	free(dig2);
	{
		char *t = state_file(&e, "installation/builds/101/left4dead2/build.txt");

		ck_assert_str_eq(t, "101\n");
		free(t);
	}
	/* a stop and an unrelated job keep 100: alpha's instance.env names it */
	id = enqueue(&e, JOB_STOP, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", NULL);
	ck_assert(state_exists(&e, "installation/builds/100/srcds_run"));
	dig2 = tree_digest(b100);
	ck_assert_str_eq(dig1, dig2);
	free(dig2);

	/* the restart moves alpha to 101, and then 100 goes */
	id = enqueue(&e, JOB_RESTART, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "restarted");
	env2 = state_file(&e, "instances/alpha/instance.env");
	ck_assert_msg(strstr(env2, "/installation/builds/101\"\n") != NULL, "%s", env2);
	free(env2);
	ck_assert_int_eq(log_count(&e, id, "step", "(1 lowerdirs): game build 101", false), 1);
	ck_assert_int_eq(log_count(&e, id, "step", "build 100: removed (no server uses it)", true),
			 1);
	ck_assert(!state_exists(&e, "installation/builds/100"));
	ck_assert(state_exists(&e, "installation/builds/101/srcds_run"));
	free(env1);
	free(dig1);
	free(b100);
	free(merged);
	teardown(&e);
}
END_TEST

/* The DB mirrors the builds (for the web): installed ones, the current
 * one, the build each server's instance.env names; --check-update
 * records the public branch's build from app_info_print. */
START_TEST(builds_recorded_and_update_check)
{
	struct env e;
	char *w = tu_build_path("left4me-worker/left4me-worker");
	char *argv[] = {w,   (char *)"-c", NULL, (char *)"--allow-root", (char *)"--check-update",
			NULL};
	struct tu_run r;
	int64_t id;

	setup(&e);
	argv[2] = e.cfg;
	id = enqueue(&e, JOB_INSTALL_GAME, "");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", NULL);
	ck_assert_int_eq(tu_db_int(e.db, "SELECT count(*) FROM game_builds WHERE build_id = 100 "
					 "AND current = 1"),
			 1);
	add_server(&e, "alpha", 27015);
	id = enqueue(&e, JOB_START, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	ck_assert_int_eq(tu_db_int(e.db, "SELECT game_build FROM servers WHERE name = 'alpha'"),
			 100);
	set_file(&e, "steam-build", "101\n");
	id = enqueue(&e, JOB_INSTALL_GAME, "");
	ck_assert_int_eq(run_once(&e), 0);
	ck_assert_int_eq(tu_db_int(e.db, "SELECT (SELECT group_concat(build_id || ':' || current) "
					 "FROM (SELECT * FROM game_builds ORDER BY build_id)) = "
					 "'100:0,101:1'"),
			 1);
	id = enqueue(&e, JOB_RESET, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", NULL);
	ck_assert_int_eq(
	    tu_db_int(e.db, "SELECT game_build IS NULL FROM servers WHERE name = 'alpha'"), 1);
	ck_assert_int_eq(tu_db_int(e.db, "SELECT group_concat(build_id) FROM game_builds") == 101,
			 1);

	/* the update check */
	ck_assert_int_eq(tu_db_int(e.db, "SELECT count(*) FROM game_latest"), 0);
	set_file(&e, "steam-public", "105\n");
	{
		char *envp[] = {e.env_dir, e.env_home, NULL};

		tu_run(&r, argv, NULL, envp);
		ck_assert_msg(r.status == 0, "check-update: %s", r.err);
		tu_run_fini(&r);
		ck_assert_int_eq(tu_db_int(e.db, "SELECT build_id FROM game_latest"), 105);
		ck_assert_int_gt(tu_db_int(e.db, "SELECT checked_at FROM game_latest"), 0);
		/* it ran SteamCMD's app_info lines, nothing else */
		{
			char *log = steam_log(&e), *last = strrchr(log, '\n');

			*last = '\0';
			last = strrchr(log, '\n');
			ck_assert_str_eq(last ? last + 1 : log,
					 "+login anonymous +app_info_update 1 "
					 "+app_info_print 222860 +quit");
			free(log);
		}
		/* a garbage build id is refused and not recorded */
		set_file(&e, "steam-public", "0105\n");
		tu_run(&r, argv, NULL, envp);
		ck_assert_int_eq(r.status, 69);
		ck_assert_msg(strstr(r.err, "printed no depots > branches > public > buildid"),
			      "%s", r.err);
		tu_run_fini(&r);
		ck_assert_int_eq(tu_db_int(e.db, "SELECT build_id FROM game_latest"), 105);
	}
	free(w);
	teardown(&e);
}
END_TEST

/* A worker killed in the middle of an update: the previous build keeps
 * serving (current, alpha's instance.env), the half tree is in no
 * lowerdir, and the next install removes it and publishes. */
START_TEST(killed_update_keeps_previous_build)
{
	struct env e;
	char *env1, *env2, *p, *t;
	pid_t w, s;
	int64_t id;

	setup(&e);
	id = enqueue(&e, JOB_INSTALL_GAME, "");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", NULL);
	add_server(&e, "alpha", 27015);
	id = enqueue(&e, JOB_START, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	env1 = state_file(&e, "instances/alpha/instance.env");

	set_file(&e, "steam-build", "101\n");
	set_file(&e, "steam-mode", "hang\nok\n");
	id = enqueue(&e, JOB_INSTALL_GAME, "");
	w = start_worker(&e, false);
	p = path(&e, "steam-pid");
	for (int64_t until = mono_ms() + 20000; !(t = tu_read_file(p)); usleep(10000))
		ck_assert_msg(mono_ms() < until, "SteamCMD never started");
	s = (pid_t)atoi(t);
	free(t);
	free(p);
	ck_assert(kill(w, SIGKILL) == 0);
	wait_exit(w, 5000);
	kill(-s, SIGKILL);
	kill(s, SIGKILL);
	assert_current(&e, "builds/100");
	ck_assert(state_exists(&e, "installation/staging/left4dead2/half.txt"));
	ck_assert(!state_exists(&e, "installation/builds/101"));
	env2 = state_file(&e, "instances/alpha/instance.env");
	ck_assert_str_eq(env1, env2);
	free(env2);
	/* a restart meanwhile still gets the complete build 100 */
	id = enqueue(&e, JOB_RESTART, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "restarted");
	env2 = state_file(&e, "instances/alpha/instance.env");
	ck_assert_str_eq(env1, env2);
	free(env2);
	/* the next install drops the half tree and publishes 101 */
	id = enqueue(&e, JOB_INSTALL_GAME, "");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", NULL);
	ck_assert_int_eq(log_count(&e, id, "step",
				   "removed installation/staging left by an "
				   "interrupted install",
				   false),
			 1);
	assert_current(&e, "builds/101");
	ck_assert(!state_exists(&e, "installation/builds/101/left4dead2/half.txt"));
	free(env1);
	teardown(&e);
}
END_TEST

START_TEST(install_game_without_steamcmd)
{
	struct setup_opts o = {.steamcmd = "/nonexistent/steamcmd"};
	struct env e;
	int64_t id;

	setup_with(&e, &o);
	id = enqueue(&e, JOB_INSTALL_GAME, "");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "failed",
		   "SteamCMD not found at /nonexistent/steamcmd (worker.steamcmd)");
	assert_job(&e, id, "failed", "apt install steamcmd");
	teardown(&e);
}
END_TEST

START_TEST(build_overlay)
{
	struct env e;
	struct stat st;
	char *p, *t;
	int64_t id;

	setup(&e);
	tu_db_exec(e.db, "INSERT INTO overlays (id, user_id, name, kind, build_script, "
			 "build_status, created_at, updated_at) VALUES (21, 1, 'sm', 'script', "
			 "'#!/bin/sh\necho building', 'never', 0, 0)");
	id = enqueue(&e, JOB_BUILD_OVERLAY, "21");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "built");
	/* alice has no other script overlay: all of the default
	 * quotas.build_output_bytes (32 GiB) is this build's */
	assert_calls(&e, "left4me-script-sandbox 21 34359738368\n");
	t = state_file(&e, "scripts/21.sh");
	ck_assert_str_eq(t, "#!/bin/sh\necho building");
	free(t);
	p = xasprintf("%s/scripts/21.sh", e.state);
	ck_assert(stat(p, &st) == 0);
	ck_assert_int_eq(st.st_mode & 07777, 0644);
	free(p);
	ck_assert_int_eq(log_count(&e, id, "stdout", "script mode 644", true), 1);
	ck_assert_int_eq(log_count(&e, id, "stdout", "script: echo building", true), 1);
	ck_assert_int_eq(tu_db_int(e.db, "SELECT build_status = 'ok' AND built_at > 0 FROM "
					 "overlays WHERE id = 21"),
			 1);
	/* The shared-overlay model (docs/SECURITY.md): overlays/ID is 02770,
	 * and a dir of ours from before it (0755) is brought into it. */
	p = xasprintf("%s/overlays/21", e.state);
	ck_assert(stat(p, &st) == 0);
	ck_assert_int_eq(st.st_mode & 07777, 02770);
	ck_assert(chmod(p, 0755) == 0);
	id = enqueue(&e, JOB_BUILD_OVERLAY, "21");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "built");
	ck_assert(stat(p, &st) == 0);
	ck_assert_int_eq(st.st_mode & 07777, 02770);
	free(p);
	/* a failing build */
	set_file(&e, "rc/left4me-script-sandbox.21", "1\n");
	id = enqueue(&e, JOB_BUILD_OVERLAY, "21");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "failed", "left4me-script-sandbox 21: exit 1");
	ck_assert_int_eq(
	    log_count(&e, id, "stderr", "left4me-script-sandbox: stand-in failing with 1", true),
	    1);
	ck_assert_int_eq(
	    tu_db_int(e.db, "SELECT build_status = 'failed' FROM overlays WHERE id = 21"), 1);
	/* not a script overlay */
	add_overlay(&e, 22, "user", 0, 0, NULL);
	id = enqueue(&e, JOB_BUILD_OVERLAY, "22");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "failed", "overlay 22 does not exist or has no build script");
	teardown(&e);
}
END_TEST

/* Bytes allocated on disk for path (st_blocks * 512). */
static long long allocated(const char *p)
{
	struct stat st;

	ck_assert(lstat(p, &st) == 0);
	return (long long)st.st_blocks * 512;
}

/* quotas.build_output_bytes: the worker passes the sandbox what the
 * user's other script overlays leave (not user overlays, not another
 * user's), fails the build naming the key when nothing is left, and
 * passes nothing for an admin. */
START_TEST(build_output_quota)
{
	struct setup_opts o = {.extra = "quotas:\n  build_output_bytes: 1000000\n"};
	struct env e;
	long long others;
	char *p, want[128];
	int64_t id;

	setup_with(&e, &o);
	tu_db_exec(e.db,
		   "INSERT INTO users (id, name, password_hash, created_at, updated_at) "
		   "VALUES (2, 'bob', '$y$x', 0, 0);"
		   "INSERT INTO overlays (id, user_id, name, kind, build_script, build_status, "
		   "created_at, updated_at) VALUES "
		   "(21, 1, 'sm', 'script', '#!/bin/sh\necho building', 'never', 0, 0), "
		   "(23, 1, 'old', 'script', '#!/bin/sh\n', 'ok', 0, 0), "
		   "(25, 2, 'bobs', 'script', '#!/bin/sh\n', 'ok', 0, 0)");
	add_overlay(&e, 24, "user", 0, 0, NULL);
	/* 300 KB in alice's other script overlay, as much in her user
	 * overlay and in bob's (neither counts), some in 21 itself (the
	 * sandbox counts that). */
	p = path(&e, "state/overlays/23");
	mkdirs(p);
	free(p);
	p = path(&e, "state/overlays/25");
	mkdirs(p);
	free(p);
	p = path(&e, "state/overlays/24");
	mkdirs(p);
	free(p);
	p = path(&e, "state/overlays/21");
	mkdirs(p);
	free(p);
	{
		static char data[300000];

		memset(data, 'x', sizeof(data));
		for (int i = 0; i < 4; i++) {
			static const char *const f[] = {
			    "state/overlays/23/a", "state/overlays/24/a", "state/overlays/25/a",
			    "state/overlays/21/a"};
			FILE *fp;

			p = path(&e, f[i]);
			fp = fopen(p, "w");
			ck_assert_ptr_nonnull(fp);
			ck_assert_uint_eq(fwrite(data, 1, sizeof(data), fp), sizeof(data));
			ck_assert_int_eq(fclose(fp), 0);
			free(p);
		}
	}
	p = path(&e, "state/overlays/23");
	others = allocated(p);
	free(p);
	p = path(&e, "state/overlays/23/a");
	others += allocated(p);
	free(p);
	id = enqueue(&e, JOB_BUILD_OVERLAY, "21");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "built");
	snprintf(want, sizeof(want), "left4me-script-sandbox 21 %lld\n", 1000000 - others);
	assert_calls(&e, want);
	snprintf(want, sizeof(want), "quotas.build_output_bytes leaves this build %lld bytes",
		 1000000 - others);
	ck_assert_int_eq(log_count(&e, id, "step", want, true), 1);
	teardown(&e);

	/* Nothing left: the build fails before the sandbox, naming the key. */
	o.extra = "quotas:\n  build_output_bytes: 4096\n";
	setup_with(&e, &o);
	tu_db_exec(e.db,
		   "INSERT INTO overlays (id, user_id, name, kind, build_script, build_status, "
		   "created_at, updated_at) VALUES "
		   "(21, 1, 'sm', 'script', '#!/bin/sh\necho building', 'never', 0, 0), "
		   "(23, 1, 'old', 'script', '#!/bin/sh\n', 'ok', 0, 0)");
	p = path(&e, "state/overlays/23");
	mkdirs(p);
	free(p);
	p = path(&e, "state/overlays/23/a");
	tu_write_file(p, "some bytes of an earlier build");
	free(p);
	id = enqueue(&e, JOB_BUILD_OVERLAY, "21");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "failed", "quota: build_output_bytes: your other script overlays take ");
	assert_job(&e, id, "failed", "of 4096 (quotas.build_output_bytes)");
	assert_calls(&e, "");
	ck_assert_int_eq(
	    tu_db_int(e.db, "SELECT build_status = 'failed' FROM overlays WHERE id = 21"), 1);

	/* An admin has no quota: the sandbox gets no allowance. */
	tu_db_exec(e.db, "UPDATE users SET role = 'admin' WHERE id = 1");
	id = enqueue(&e, JOB_BUILD_OVERLAY, "21");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "succeeded", "built");
	assert_calls(&e, "left4me-script-sandbox 21\n");
	teardown(&e);
}
END_TEST

/* ---- delete_overlay: the worker as a user of its own ------------------- */

/* The shared-overlay model (docs/SECURITY.md) has two users in one group:
 * the worker (left4me) and the web (left4me-web).  These tests run the
 * worker as OV_WORKER and make files as OV_WEB, both in group OV_GROUP,
 * so what the worker removes it removes through the group bits. */
#define OV_WORKER 61234
#define OV_WEB	  61235
#define OV_GROUP  61234

static int chown_worker(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return lchown(p, OV_WORKER, OV_GROUP);
}

/* mkdir/write as uid (owner) in group OV_GROUP with exactly mode. */
static void make_dir_as(const char *p, uid_t uid, mode_t mode)
{
	ck_assert_msg(mkdir(p, 0700) == 0, "mkdir %s", p);
	ck_assert(chown(p, uid, OV_GROUP) == 0);
	ck_assert(chmod(p, mode) == 0);
}

static void make_file_as(const char *p, uid_t uid, mode_t mode, const char *text)
{
	tu_write_file(p, text);
	ck_assert(chown(p, uid, OV_GROUP) == 0);
	ck_assert(chmod(p, mode) == 0);
}

/* Everything in the test dir becomes the worker's (the DB, its WAL, the
 * config, the state dir), as the package makes it. */
static void give_to_worker(struct env *e)
{
	ck_assert_int_eq(geteuid(), 0); /* CI runs as root: this must not skip */
	ck_assert_int_eq(nftw(e->dir, chown_worker, 16, FTW_PHYS), 0);
}

static int run_once_as_worker(struct env *e)
{
	char *w = tu_build_path("left4me-worker/left4me-worker");
	char *argv[] = {(char *)"/usr/bin/setpriv",
			(char *)"--reuid=61234",
			(char *)"--regid=61234",
			(char *)"--clear-groups",
			w,
			(char *)"-c",
			e->cfg,
			(char *)"--once",
			NULL};
	char *envp[] = {e->env_dir, e->env_home, NULL};
	struct tu_run r;
	int status;

	tu_run(&r, argv, NULL, envp);
	status = r.status;
	if (status != 0)
		fprintf(stderr, "worker stderr:\n%s\n", r.err);
	tu_run_fini(&r);
	free(w);
	return status;
}

static void add_plain_overlay(struct env *e, int id)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "INSERT INTO overlays (id, user_id, name, kind, created_at, updated_at) "
		 "VALUES (%d, 1, 'o%d', 'user', 0, 0)",
		 id, id);
	tu_db_exec(e->db, sql);
}

/* Delete overlay id through the DB API (as the web does) and return the
 * delete_overlay job it queued. */
static int64_t delete_overlay_row(struct env *e, int id)
{
	char sql[128];

	ck_assert_int_eq(db_overlay_delete(e->db, id), DB_OK);
	snprintf(sql, sizeof(sql),
		 "SELECT id FROM jobs WHERE kind = 'delete_overlay' AND target = '%d'", id);
	return tu_db_int(e->db, sql);
}

/* Deleting an overlay removes STATE/overlays/ID and scripts/ID.sh, what
 * the web made there too (its uid, group-writable dirs and files); a
 * symlink inside is removed, never followed. */
START_TEST(delete_overlay_removes_dir)
{
	struct env e;
	char *ov, *p, *t;
	struct stat st;
	int64_t id;

	setup(&e);
	ov = xasprintf("%s/overlays", e.state);
	make_dir_as(ov, OV_WORKER, 02770);
	add_plain_overlay(&e, 31);
	p = path(&e, "outside");
	mkdirs(p);
	free(p);
	set_file(&e, "outside/keep.txt", "not the overlay's");
	set_file(&e, "secret.cfg", "rcon_password outside");
	give_to_worker(&e);
	/* the web uploaded first: overlays/31 and a subtree are its own */
	p = xasprintf("%s/31", ov);
	make_dir_as(p, OV_WEB, 02770);
	free(p);
	p = xasprintf("%s/31/left4dead2", ov);
	make_dir_as(p, OV_WEB, 02770);
	free(p);
	p = xasprintf("%s/31/left4dead2/cfg", ov);
	make_dir_as(p, OV_WEB, 02770);
	free(p);
	p = xasprintf("%s/31/left4dead2/cfg/server.cfg", ov);
	make_file_as(p, OV_WEB, 0660, "rcon_password alice\n");
	free(p);
	/* the sandbox built next to it (stored as the worker) */
	p = xasprintf("%s/31/left4dead2/addons", ov);
	make_dir_as(p, OV_WORKER, 02775);
	free(p);
	p = xasprintf("%s/31/left4dead2/addons/a.vpk", ov);
	make_file_as(p, OV_WORKER, 0664, "vpk");
	free(p);
	/* symlinks out of the overlay, to a dir and to a file */
	p = xasprintf("%s/31/left4dead2/cfg/escape", ov);
	t = path(&e, "outside");
	ck_assert(symlink(t, p) == 0);
	ck_assert(lchown(p, OV_WEB, OV_GROUP) == 0);
	free(t);
	free(p);
	p = xasprintf("%s/31/left4dead2/cfg/escape.cfg", ov);
	t = path(&e, "secret.cfg");
	ck_assert(symlink(t, p) == 0);
	free(t);
	free(p);
	p = xasprintf("%s/scripts", e.state);
	make_dir_as(p, OV_WORKER, 0755);
	free(p);
	p = xasprintf("%s/scripts/31.sh", e.state);
	make_file_as(p, OV_WORKER, 0644, "echo hi\n");
	free(p);

	id = delete_overlay_row(&e, 31);
	ck_assert_int_eq(run_once_as_worker(&e), 0);
	assert_job(&e, id, "succeeded", "overlay files removed");
	ck_assert(!state_exists(&e, "overlays/31"));
	ck_assert(!state_exists(&e, "scripts/31.sh"));
	ck_assert(state_exists(&e, "overlays"));
	p = path(&e, "outside/keep.txt");
	t = tu_read_file(p);
	ck_assert_str_eq(t, "not the overlay's");
	free(t);
	free(p);
	p = path(&e, "secret.cfg");
	ck_assert(stat(p, &st) == 0 && st.st_uid == OV_WORKER);
	t = tu_read_file(p);
	ck_assert_str_eq(t, "rcon_password outside");
	free(t);
	free(p);
	ck_assert_int_eq(log_count(&e, id, "step", "remove overlays/31", true), 1);
	ck_assert_int_eq(log_count(&e, id, "step", "removed scripts/31.sh", true), 1);
	free(ov);
	teardown(&e);
}
END_TEST

/* A symlink in place of overlays/ID is removed, not followed; a mount
 * inside the overlay is not crossed (the job fails and keeps it); a job
 * for an overlay whose row still exists touches nothing. */
START_TEST(delete_overlay_follows_nothing)
{
	struct env e;
	char *ov, *p, *t;
	int64_t id;

	ck_assert(unshare(CLONE_NEWNS) == 0); /* check forked this test */
	ck_assert(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	setup(&e);
	ov = xasprintf("%s/overlays", e.state);
	make_dir_as(ov, OV_WORKER, 02770);
	add_plain_overlay(&e, 32);
	add_plain_overlay(&e, 33);
	add_plain_overlay(&e, 34);
	p = path(&e, "elsewhere");
	mkdirs(p);
	free(p);
	set_file(&e, "elsewhere/data", "someone else's");
	p = xasprintf("%s/34", ov);
	mkdirs(p);
	free(p);
	give_to_worker(&e);

	/* overlays/32 is a symlink to a dir the worker could empty */
	p = xasprintf("%s/32", ov);
	t = path(&e, "elsewhere");
	ck_assert(symlink(t, p) == 0);
	ck_assert(lchown(p, OV_WEB, OV_GROUP) == 0);
	free(t);
	free(p);
	id = delete_overlay_row(&e, 32);
	ck_assert_int_eq(run_once_as_worker(&e), 0);
	assert_job(&e, id, "succeeded", "overlay files removed");
	ck_assert(!state_exists(&e, "overlays/32"));
	p = path(&e, "elsewhere/data");
	t = tu_read_file(p);
	ck_assert_str_eq(t, "someone else's");
	free(t);
	free(p);

	/* overlays/33/mnt is another filesystem */
	p = xasprintf("%s/33", ov);
	make_dir_as(p, OV_WORKER, 02770);
	free(p);
	p = xasprintf("%s/33/mnt", ov);
	make_dir_as(p, OV_WORKER, 02770);
	ck_assert(mount("tmpfs", p, "tmpfs", 0, "mode=0777") == 0);
	t = xasprintf("%s/kept", p);
	make_file_as(t, OV_WORKER, 0664, "on the mount");
	free(t);
	id = delete_overlay_row(&e, 33);
	ck_assert_int_eq(run_once_as_worker(&e), 0);
	assert_job(&e, id, "failed", "another filesystem");
	ck_assert(state_exists(&e, "overlays/33/mnt/kept"));
	ck_assert(umount(p) == 0);
	free(p);

	/* the row is still there: refused, its files stay */
	id = enqueue(&e, JOB_DELETE_OVERLAY, "34");
	ck_assert_int_eq(run_once_as_worker(&e), 0);
	assert_job(&e, id, "failed", "overlay 34 still exists");
	ck_assert(state_exists(&e, "overlays/34"));
	free(ov);
	teardown(&e);
}
END_TEST

static void wait_running(struct env *e, int64_t id)
{
	int64_t until = mono_ms() + 10000;
	char *p = path(e, "pid");

	for (;;) {
		char *s = job_text(e, id, "state");
		bool running = strcmp(s, "running") == 0;
		struct stat st;

		free(s);
		if (running && stat(p, &st) == 0 && st.st_size > 0)
			break;
		ck_assert_msg(mono_ms() < until, "job %lld never ran its helper", (long long)id);
		usleep(20000);
	}
	free(p);
}

/* Wait (10 s at most) until job id has a heartbeat after its claim. */
static void wait_heartbeat(struct env *e, int64_t id)
{
	int64_t until = mono_ms() + 10000;
	char *sql =
	    xasprintf("SELECT heartbeat_at > started_at FROM jobs WHERE id = %lld", (long long)id);

	while (tu_db_int(e->db, sql) != 1) {
		ck_assert_msg(mono_ms() < until, "job %lld: no heartbeat within 10 s",
			      (long long)id);
		usleep(20000);
	}
	free(sql);
}

static pid_t helper_pid(struct env *e)
{
	char *p = path(e, "pid");
	char *t = tu_read_file(p);
	pid_t pid = t ? (pid_t)atoi(t) : 0;

	free(t);
	free(p);
	return pid;
}

START_TEST(sigterm_fails_job_and_stops_helper)
{
	struct env e;
	pid_t w, h;
	int64_t id;

	setup(&e);
	install_fake_game(&e);
	add_server(&e, "alpha", 27015);
	set_file(&e, "sleep/left4me-systemctl.enable", "60\n");
	id = enqueue(&e, JOB_START, "alpha");
	w = start_worker(&e, false);
	wait_running(&e, id);
	h = helper_pid(&e);
	ck_assert_int_gt(h, 0);
	/* heartbeats continue while the helper runs (every second here) */
	wait_heartbeat(&e, id);
	ck_assert(kill(w, SIGTERM) == 0);
	ck_assert_int_eq(wait_exit(w, 10000), 0);
	assert_job(&e, id, "failed", "worker stopped");
	assert_server(&e, "alpha", "failed:worker stopped");
	ck_assert(kill(h, 0) < 0 && errno == ESRCH);
	teardown(&e);
}
END_TEST

START_TEST(job_taken_away_is_abandoned)
{
	struct env e;
	int64_t id, until;
	pid_t w, h;

	setup(&e);
	install_fake_game(&e);
	add_server(&e, "alpha", 27015);
	set_file(&e, "sleep/left4me-systemctl.enable", "60\n");
	id = enqueue(&e, JOB_START, "alpha");
	w = start_worker(&e, false);
	wait_running(&e, id);
	h = helper_pid(&e);
	/* another process recovers the job (as a worker start would) */
	tu_db_exec(e.db, "UPDATE jobs SET state = 'failed', finished_at = 1, reason = 'taken', "
			 "worker = 'elsewhere:1' WHERE id = 1");
	/* the next heartbeat notices: the helper is stopped, the job left alone */
	until = mono_ms() + 8000;
	while (kill(h, 0) == 0 && mono_ms() < until)
		usleep(20000);
	ck_assert_msg(kill(h, 0) < 0 && errno == ESRCH, "helper still running");
	/* the worker has written all it will once it has exited: then
	 * neither the job nor the server may carry its outcome */
	kill(w, SIGTERM);
	ck_assert_int_eq(wait_exit(w, 10000), 0);
	assert_job(&e, id, "failed", "taken");
	assert_server(&e, "alpha", "new:");
	teardown(&e);
}
END_TEST

START_TEST(helper_timeout)
{
	struct setup_opts o = {.helper_timeout = 1};
	struct env e;
	int64_t id;

	setup_with(&e, &o);
	install_fake_game(&e);
	add_server(&e, "alpha", 27015);
	set_file(&e, "sleep/left4me-systemctl.enable", "30\n");
	id = enqueue(&e, JOB_START, "alpha");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "failed", "left4me-systemctl enable alpha: timed out after 1 s");
	ck_assert(kill(helper_pid(&e), 0) < 0 && errno == ESRCH);
	teardown(&e);
}
END_TEST

START_TEST(sigkilled_worker_recovered)
{
	struct env e;
	pid_t w, h;
	int64_t id, id2;

	setup(&e);
	install_fake_game(&e);
	add_server(&e, "alpha", 27015);
	add_server(&e, "beta", 27016);
	set_file(&e, "sleep/left4me-systemctl.enable", "60\n");
	id = enqueue(&e, JOB_START, "alpha");
	w = start_worker(&e, false);
	wait_running(&e, id);
	h = helper_pid(&e);
	ck_assert(kill(w, SIGKILL) == 0);
	wait_exit(w, 5000);
	kill(-h, SIGKILL); /* the orphaned stand-in, in its own group */
	kill(h, SIGKILL);
	assert_job(&e, id, "running", NULL);
	/* the next worker marks it failed at start, then runs new work */
	{
		char *p = path(&e, "sleep/left4me-systemctl.enable");

		unlink(p);
		free(p);
	}
	id2 = enqueue(&e, JOB_STOP, "beta");
	ck_assert_int_eq(run_once(&e), 0);
	assert_job(&e, id, "failed", "died while running the job");
	assert_job(&e, id2, "succeeded", "stopped");
	teardown(&e);
}
END_TEST

START_TEST(two_workers_never_share_a_job)
{
	struct env e;
	char name[16], *got, *line;
	pid_t w1, w2;
	int i;

	setup(&e);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "s%02d", i);
		add_server(&e, name, 27100 + i);
		enqueue(&e, JOB_STOP, name);
	}
	w1 = start_worker(&e, true);
	w2 = start_worker(&e, true);
	ck_assert_int_eq(wait_exit(w1, 60000), 0);
	ck_assert_int_eq(wait_exit(w2, 60000), 0);
	ck_assert_int_eq(tu_db_int(e.db, "SELECT count(*) FROM jobs WHERE state = 'succeeded'"),
			 40);
	fprintf(
	    stderr, "two workers: %lld and %lld of 40 jobs\n",
	    tu_db_int(e.db, "SELECT count(*) FROM jobs GROUP BY worker ORDER BY 1 LIMIT 1"),
	    tu_db_int(e.db, "SELECT count(*) FROM jobs GROUP BY worker ORDER BY 1 DESC LIMIT 1"));
	got = calls(&e);
	for (i = 0; i < 40; i++) {
		char want[64];
		int n = 0;

		snprintf(want, sizeof(want), "left4me-systemctl disable s%02d\n", i);
		for (line = got; (line = strstr(line, want)); line++)
			n++;
		ck_assert_msg(n == 1, "s%02d disabled %d times", i, n);
	}
	free(got);
	teardown(&e);
}
END_TEST

START_TEST(left4mectl_wait_end_to_end)
{
	struct env e;
	struct tu_run r;
	char *ctl = tu_build_path("left4mectl/left4mectl");
	const char *verbs[] = {"start", "stop", "restart", "reset", "delete"};
	pid_t w;

	setup(&e);
	install_fake_game(&e);
	three_overlays(&e);
	add_server(&e, "alpha", 27015);
	w = start_worker(&e, false);
	for (size_t i = 0; i < 5; i++) {
		/* reset and delete need --yes (an extra --yes is fine) */
		char *argv[] = {ctl,
				(char *)"-c",
				e.cfg,
				(char *)"server",
				(char *)verbs[i],
				(char *)"alpha",
				(char *)"--wait",
				(char *)"--yes",
				NULL};

		tu_run(&r, argv, NULL, NULL);
		ck_assert_msg(r.status == 0, "server %s: %d %s", verbs[i], r.status, r.err);
		ck_assert_msg(strstr(r.out, "succeeded") != NULL, "%s", r.out);
		tu_run_fini(&r);
	}
	/* a failing job: --wait exits non-zero with the reason */
	add_server(&e, "beta", 27016);
	set_file(&e, "rc/left4me-systemctl.disable", "77\n");
	{
		char *argv[] = {ctl,
				(char *)"-c",
				e.cfg,
				(char *)"server",
				(char *)"stop",
				(char *)"beta",
				(char *)"--wait",
				NULL};

		tu_run(&r, argv, NULL, NULL);
		ck_assert_int_ne(r.status, 0);
		ck_assert_msg(strstr(r.err, "exit 77 (permission denied)") != NULL, "%s", r.err);
		tu_run_fini(&r);
	}
	assert_calls(&e, "left4me-systemctl enable alpha staged\n"
			 "left4me-systemctl disable alpha\n"
			 "left4me-systemctl disable alpha\n"
			 "left4me-systemctl enable alpha staged\n"
			 "left4me-systemctl disable alpha\nleft4me-overlay umount alpha\n"
			 "left4me-systemctl disable alpha\nleft4me-overlay umount alpha\n"
			 "left4me-systemctl disable beta\n");
	ck_assert_int_eq(tu_db_int(e.db, "SELECT count(*) FROM servers WHERE name = 'alpha'"), 0);
	kill(w, SIGTERM);
	ck_assert_int_eq(wait_exit(w, 10000), 0);
	free(ctl);
	teardown(&e);
}
END_TEST

START_TEST(sd_notify_ready_watchdog_stopping)
{
	struct env e;
	struct strbuf sb;
	char *sock, *env_sock, *extra[3];
	int fd, pings = 0;
	pid_t w;

	setup(&e);
	sock = path(&e, "notify");
	fd = notify_bind(sock);
	env_sock = xasprintf("NOTIFY_SOCKET=%s", sock);
	extra[0] = env_sock;
	extra[1] = (char *)"WATCHDOG_USEC=200000";
	extra[2] = NULL;
	strbuf_init(&sb);
	w = start_worker_env(&e, false, extra);
	notify_read(fd, &sb, 1500, NULL);
	ck_assert_msg(strstr(sb.buf, "READY=1") != NULL, "%s", sb.buf);
	for (const char *s = sb.buf; (s = strstr(s, "WATCHDOG=1")); s++)
		pings++;
	/* every 100 ms (half of WatchdogSec) while idle */
	ck_assert_msg(pings >= 5, "%d pings: %s", pings, sb.buf);
	kill(w, SIGTERM);
	notify_read(fd, &sb, 5000, "STOPPING=1");
	ck_assert_msg(strstr(sb.buf, "STOPPING=1") != NULL, "%s", sb.buf);
	ck_assert_int_eq(wait_exit(w, 5000), 0);
	strbuf_fini(&sb);
	close(fd);
	free(sock);
	free(env_sock);
	teardown(&e);
}
END_TEST

START_TEST(refuses_root_without_flag)
{
	struct env e;
	struct tu_run r;
	char *wk = tu_build_path("left4me-worker/left4me-worker");
	char *argv[] = {wk, (char *)"-c", (char *)"/nonexistent.yaml", NULL};
	char *argv2[] = {wk, (char *)"-c", (char *)"/nonexistent.yaml", (char *)"--allow-root",
			 NULL};

	setup(&e);
	ck_assert_int_eq(geteuid(), 0); /* CI runs as root: this must not skip */
	tu_run(&r, argv, NULL, NULL);
	ck_assert_int_ne(r.status, 0);
	ck_assert_msg(strstr(r.err, "refusing to run as root") != NULL, "%s", r.err);
	tu_run_fini(&r);
	tu_run(&r, argv2, NULL, NULL);
	ck_assert_int_ne(r.status, 0);
	ck_assert_msg(strstr(r.err, "/nonexistent.yaml") != NULL, "%s", r.err);
	tu_run_fini(&r);
	free(wk);
	teardown(&e);
}
END_TEST

static Suite *worker_suite(void)
{
	Suite *s = suite_create("left4me-worker");
	TCase *tc = tcase_create("jobs");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, start_initializes_and_enables);
	tcase_add_test(tc, rcon_staged_last_never_logged);
	tcase_add_test(tc, start_never_touched_overlay);
	tcase_add_test(tc, stop_reset_delete);
	tcase_add_test(tc, delete_never_initialized);
	tcase_add_test(tc, delete_is_idempotent);
	tcase_add_test(tc, restage_only_unmounted);
	tcase_add_loop_test(tc, helper_exit_codes, 0,
			    (int)(sizeof(code_cases) / sizeof(code_cases[0])));
	tcase_add_test(tc, refusals_before_any_helper);
	tcase_add_test(tc, bad_name_in_db);
	tcase_add_test(tc, long_name_cannot_start);
	tcase_add_test(tc, install_game);
	tcase_add_test(tc, install_game_without_steamcmd);
	tcase_add_test(tc, steamcmd_standin_is_strict);
	tcase_add_test(tc, install_retries_network_errors);
	tcase_add_test(tc, install_disk_full_stops_at_once);
	tcase_add_test(tc, install_timeout_is_retried);
	tcase_add_test(tc, update_never_touches_a_running_server);
	tcase_add_test(tc, killed_update_keeps_previous_build);
	tcase_add_test(tc, builds_recorded_and_update_check);
	tcase_add_test(tc, build_overlay);
	tcase_add_test(tc, build_output_quota);
	tcase_add_test(tc, delete_overlay_removes_dir);
	tcase_add_test(tc, delete_overlay_follows_nothing);
	tcase_add_test(tc, sigterm_fails_job_and_stops_helper);
	tcase_add_test(tc, helper_timeout);
	tcase_add_test(tc, job_taken_away_is_abandoned);
	tcase_add_test(tc, sigkilled_worker_recovered);
	tcase_add_test(tc, two_workers_never_share_a_job);
	tcase_add_test(tc, left4mectl_wait_end_to_end);
	tcase_add_test(tc, sd_notify_ready_watchdog_stopping);
	tcase_add_test(tc, refuses_root_without_flag);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(worker_suite());
}
