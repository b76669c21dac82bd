/* Shared helpers for tests: temp dirs, a migrated temp database, running a
 * real binary with captured output. */
#ifndef LEFT4ME_TESTUTIL_H
#define LEFT4ME_TESTUTIL_H

#include <sqlite3.h>
#include <stddef.h>

/* A fresh directory under $TMPDIR (or /tmp); caller frees the string and
 * removes the tree with tu_rmtree. */
char *tu_mkdtemp(void);
/* rm -rf path (no shell). */
void tu_rmtree(const char *path);
/* Write text to path (0644), aborting the test on failure. */
void tu_write_file(const char *path, const char *text);
/* Read a whole file (NULL if missing); caller frees. */
char *tu_read_file(const char *path);

/* Create dir/left4me.db at the current schema; returns an open connection. */
sqlite3 *tu_db_new(const char *dir);
/* Run one SQL statement that returns a single integer. */
long long tu_db_int(sqlite3 *db, const char *sql);
/* Run SQL, failing the test on error. */
void tu_db_exec(sqlite3 *db, const char *sql);

struct tu_run {
	int status; /* exit code, or 128+signal */
	char *out;  /* captured stdout */
	char *err;  /* captured stderr */
};

/* Run argv (argv[0] a path) with stdin fed from input (may be NULL) and
 * env additions extra_env (NULL-terminated, may be NULL); waits. */
void tu_run(struct tu_run *r, char *const argv[], const char *input, char *const extra_env[]);
void tu_run_fini(struct tu_run *r);

/* Path of a built program: $LEFT4ME_BUILD/REL (LEFT4ME_BUILD defaults to build). */
char *tu_build_path(const char *rel);

/* Run every test of s, print check's summary; returns the exit code. */
struct Suite;
int tu_main(struct Suite *s);

#endif
