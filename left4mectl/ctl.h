/* left4mectl: the operator's CLI (docs/DESIGN.md §5).  It reads the config,
 * opens the database and enqueues jobs; it never acts behind the worker's
 * back (a console command goes, as from the web, into the running
 * server's console FIFO).  Every failure is one line on stderr and a
 * non-zero exit. */
#ifndef LEFT4MECTL_CTL_H
#define LEFT4MECTL_CTL_H

#include <sqlite3.h>
#include <stdio.h>

struct config;

/* Exit codes (sysexits.h, plus 1 for a job that ended failed). */
#define CTL_OK	       0
#define CTL_JOB_FAILED 1
#define CTL_TIMEOUT    75 /* EX_TEMPFAIL: --timeout ran out */

struct ctl {
	const char *config_arg; /* -c value or NULL */
	struct config *cfg;
	sqlite3 *db;
	char *db_path;
	FILE *in; /* stdin, for --password-stdin */
	FILE *out;
};

/* Run argv (after the global options) and return the exit code. */
int ctl_run(struct ctl *ctl, int argc, char **argv);
void ctl_fini(struct ctl *ctl);
void ctl_usage(FILE *f);

#endif
