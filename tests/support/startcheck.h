/* The startup contract of libleft4me/daemon.h, checked on a built program
 * (tests/worker, tests/fetcher, tests/cli): --version and --help answer on
 * stdout with 0, root is refused with 77 before the config is read, and a
 * missing DB (66) or one at another schema version (78) is refused with
 * the message that says what to do. */
#ifndef LEFT4ME_STARTCHECK_H
#define LEFT4ME_STARTCHECK_H

#include <stdbool.h>

struct startcheck {
	const char *rel;   /* the binary under $LEFT4ME_BUILD */
	const char *ident; /* its name in --version and messages */
	/* Arguments after "-c CONFIG" for a run that would reach the DB
	 * (NULL-terminated): --allow-root for a daemon, a command that needs
	 * the DB for left4mectl. */
	const char *args[6];
	bool refuses_root; /* a daemon: refuses root without --allow-root */
};

/* --version: exit 0, stdout "IDENT VERSION\n", nothing on stderr. */
void startcheck_version(const struct startcheck *p);
/* --help: exit 0, a usage line naming IDENT and the shared options on
 * stdout, nothing on stderr. */
void startcheck_help(const struct startcheck *p);
/* As root without --allow-root: 77 and one line, before the config is
 * read (the test runs as root, as CI does: it fails otherwise). */
void startcheck_root(const struct startcheck *p);
/* No DB: 66; a DB one schema version older or newer: 78, each with the
 * message naming the file and what to do; nothing changed in the DB. */
void startcheck_db(const struct startcheck *p);

#endif
