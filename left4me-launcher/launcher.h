/* left4me-launcher's work: read a server's instance.env with the strict
 * parser, build srcds's argv and a clean environment, run srcds_run on a
 * pseudo-terminal, relay its output line by line to stdout (the journal)
 * and feed it the commands that arrive on the console FIFO STATE/console/
 * NAME (console.h).  Runs as the
 * game's own uid and trusts nothing under the state dir: instance.env is
 * parsed strictly, every console line is re-validated, the game's output
 * is filtered (relay.h) and written with the journal's priority prefix of
 * our choosing. */
#ifndef LEFT4ME_LAUNCHER_H
#define LEFT4ME_LAUNCHER_H

#include <stdbool.h>

#include "instance_env.h"
#include "rcon.h"

/* srcds's argv: the path and 14 fixed arguments, then -tickrate N and the
 * allowlisted options of instance.env (launch_args.h) when it has them. */
#define LAUNCHER_ARGC_FIXED 15

struct launcher {
	const char *name;      /* valid_instance_name */
	const char *state_dir; /* absolute */
	bool journal_out;      /* stdout is the journal: each line gets "<6>" */
	struct instance_env env;
	int state_fd;	/* STATE */
	int console_fd; /* STATE/console (opened when the server starts) */
	int merged_fd;	/* STATE/runtime/NAME/merged: srcds's cwd */
	char *srcds;	/* STATE/runtime/NAME/merged/srcds_run */
	char port[8], maxplayers[4], tickrate[4];
	char **argv;			  /* NULL-terminated; the strings borrow from l */
	char rcon[RCON_PASSWORD_MAX + 1]; /* the staged RCON password, or "" */
	char *envp[5];
};

/* name and state_dir must outlive l. */
void launcher_init(struct launcher *l, const char *state_dir, const char *name);
/* Read and check instance.env, open the runtime dirs, build argv and envp.
 * 0 when ready; otherwise one line is logged and the sysexits code is
 * returned (65 bad instance.env, 66 missing, 77 refused, 71 OS error). */
int launcher_prepare(struct launcher *l);
/* Run srcds_run on a pseudo-terminal until it exits and return the exit
 * code for the launcher: srcds's own, 128+signal if it was killed, or a
 * sysexits code (logged) if it could not be started. */
int launcher_run(struct launcher *l);
void launcher_fini(struct launcher *l);

#endif
