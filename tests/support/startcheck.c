/* Startup contract checks; see startcheck.h. */
#include "startcheck.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "db.h"
#include "db_schema.h"
#include "testutil.h"
#include "xalloc.h"

/* Run the program with argv[1..] = args (NULL-terminated). */
static void run(const struct startcheck *p, struct tu_run *r, const char *const *args)
{
	char *argv[16];
	int n = 0;

	argv[n++] = tu_build_path(p->rel);
	while (*args && n < 15)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	tu_run(r, argv, NULL, NULL);
	free(argv[0]);
}

/* Run "-c cfg" and the program's own args. */
static void run_with_config(const struct startcheck *p, struct tu_run *r, const char *cfg)
{
	const char *args[10] = {"-c", cfg};
	int n = 2;

	for (int i = 0; p->args[i] && n < 9; i++)
		args[n++] = p->args[i];
	args[n] = NULL;
	run(p, r, args);
}

void startcheck_version(const struct startcheck *p)
{
	static const char *const args[] = {"--version", NULL};
	char *want = xasprintf("%s %s\n", p->ident, LEFT4ME_VERSION);
	struct tu_run r;

	run(p, &r, args);
	ck_assert_msg(r.status == 0, "%s --version: exit %d: %s", p->ident, r.status, r.err);
	ck_assert_str_eq(r.out, want);
	ck_assert_str_eq(r.err, "");
	tu_run_fini(&r);
	free(want);
}

void startcheck_help(const struct startcheck *p)
{
	static const char *const args[] = {"--help", NULL};
	char *want = xasprintf("usage: %s ", p->ident);
	struct tu_run r;

	run(p, &r, args);
	ck_assert_msg(r.status == 0, "%s --help: exit %d: %s", p->ident, r.status, r.err);
	ck_assert_msg(strncmp(r.out, want, strlen(want)) == 0, "%s", r.out);
	ck_assert_msg(strstr(r.out, "-c CONFIG"), "%s", r.out);
	if (p->refuses_root)
		ck_assert_msg(strstr(r.out, "--allow-root") && strstr(r.out, "--version") &&
				  strstr(r.out, "$LEFT4ME_CONFIG"),
			      "%s", r.out);
	ck_assert_str_eq(r.err, "");
	tu_run_fini(&r);
	free(want);
}

void startcheck_root(const struct startcheck *p)
{
	const char *args[8] = {"-c", "/nonexistent/left4me.yaml"};
	struct tu_run r;
	int n = 2;

	ck_assert_int_eq(geteuid(), 0); /* CI runs as root: this must not skip */
	ck_assert(p->refuses_root);
	/* the program's args but --allow-root */
	for (int i = 0; p->args[i] && n < 7; i++)
		if (strcmp(p->args[i], "--allow-root") != 0)
			args[n++] = p->args[i];
	args[n] = NULL;
	run(p, &r, args);
	ck_assert_msg(r.status == EX_NOPERM, "%s as root: exit %d: %s", p->ident, r.status, r.err);
	ck_assert_msg(strstr(r.err, "refusing to run as root") && strstr(r.err, "--allow-root"),
		      "%s", r.err);
	/* one line, and the config was never read */
	ck_assert_msg(!strstr(r.err, "nonexistent") &&
			  strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
		      "%s", r.err);
	tu_run_fini(&r);
}

/* Give the DB in dir user_version v. */
static void set_version(const char *dir, int v)
{
	char *path = xasprintf("%s/left4me.db", dir),
	     *sql = xasprintf("PRAGMA user_version = %d", v);
	char err[256];
	sqlite3 *db = db_open(path, 0, err, sizeof(err));

	ck_assert_msg(db != NULL, "%s", err);
	tu_db_exec(db, sql);
	db_close(db);
	free(sql);
	free(path);
}

void startcheck_db(const struct startcheck *p)
{
	char *dir = tu_mkdtemp(), *cfg = xasprintf("%s/left4me.yaml", dir);
	char *text = xasprintf("state_dir: %s\n", dir), *want;
	struct tu_run r;
	struct stat st;
	sqlite3 *db;

	tu_write_file(cfg, text);
	/* no DB: 66, and none created */
	run_with_config(p, &r, cfg);
	ck_assert_msg(r.status == EX_NOINPUT, "%s without a DB: exit %d: %s", p->ident, r.status,
		      r.err);
	want =
	    xasprintf("database %s/left4me.db does not exist (run 'left4mectl db migrate')", dir);
	ck_assert_msg(strstr(r.err, want), "%s", r.err);
	free(want);
	tu_run_fini(&r);
	free(text);
	text = xasprintf("%s/left4me.db", dir);
	ck_assert_int_eq(stat(text, &st), -1);

	/* one version older: 78, "run 'left4mectl db migrate'" */
	db = tu_db_new(dir);
	db_close(db);
	set_version(dir, DB_SCHEMA_VERSION - 1);
	run_with_config(p, &r, cfg);
	ck_assert_msg(r.status == EX_CONFIG, "%s on an old schema: exit %d: %s", p->ident, r.status,
		      r.err);
	want = xasprintf("%s: database schema is version %d, this build needs %d (run "
			 "'left4mectl db migrate')",
			 text, DB_SCHEMA_VERSION - 1, DB_SCHEMA_VERSION);
	ck_assert_msg(strstr(r.err, want), "%s", r.err);
	free(want);
	tu_run_fini(&r);

	/* one version newer: 78, "upgrade left4me" */
	set_version(dir, DB_SCHEMA_VERSION + 1);
	run_with_config(p, &r, cfg);
	ck_assert_msg(r.status == EX_CONFIG, "%s on a newer schema: exit %d: %s", p->ident,
		      r.status, r.err);
	want = xasprintf("%s: database schema is version %d, newer than this build's %d "
			 "(upgrade left4me)",
			 text, DB_SCHEMA_VERSION + 1, DB_SCHEMA_VERSION);
	ck_assert_msg(strstr(r.err, want), "%s", r.err);
	free(want);
	tu_run_fini(&r);
	/* refused before touching it: still the version we left */
	db = db_open(text, 0, NULL, 0);
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(db_schema_version(db), DB_SCHEMA_VERSION + 1);
	db_close(db);

	free(text);
	free(cfg);
	tu_rmtree(dir);
	free(dir);
}
