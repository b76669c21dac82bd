/* The startup every left4me daemon shares (left4me-worker, left4me-fetcher,
 * left4me-fetcher-refresh, and left4me-web once it adopts it), the sibling
 * of the helpers' helper_start: the command line (-c/--config,
 * --allow-root, --help, --version and the daemon's own options, from one
 * table that also writes --help), root refusal, the config, the database
 * and its schema check, the log prefix and the stop signals.  left4mectl
 * uses the parts a CLI needs (the command line, the config, the database).
 * Library code: nothing here exits; every step says which code main
 * returns.  sd_notify is in daemon_notify.h (left4mectl links no
 * libsystemd).
 *
 * One exit-code policy (sysexits.h) for every daemon and left4mectl:
 *
 *   code              when
 *   0                 a clean stop; --help and --version (on stdout)
 *   64 EX_USAGE       a bad command line: unknown option, missing value,
 *                     unknown command, extra argument
 *   66 EX_NOINPUT     the database cannot be opened (missing: "run
 *                     'left4mectl db migrate'"; unreadable; not SQLite)
 *   70 EX_SOFTWARE    the main loop gave up (a DB error it cannot get past)
 *   71 EX_OSERR       a system call failed at start (prctl, inotify, ...)
 *   77 EX_NOPERM      run as root without --allow-root
 *   78 EX_CONFIG      the config is missing or invalid, or the database
 *                     schema is not this build's (older: "run 'left4mectl
 *                     db migrate'"; newer: "upgrade left4me"): an operator
 *                     must act, a restart alone cannot help
 *
 * Codes a program adds for its own work are named in its main.c
 * (left4me-fetcher-refresh: 1 refresh failed, 65 no such job) or header
 * (left4mectl: ctl.h).  Every refusal says why in one line on stderr (a
 * usage error adds the usage). */
#ifndef LEFT4ME_DAEMON_H
#define LEFT4ME_DAEMON_H

#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct config;

/* An option of the daemon's own, long form only (--NAME). */
struct daemon_option {
	const char *name;   /* "once" for --once */
	const char *arg;    /* "PATH" when it takes a value, NULL for a flag */
	const char *help;   /* one line for --help */
	bool *flag;	    /* a flag: set to true when given */
	const char **value; /* with arg: set to the value */
	bool required;	    /* with arg: the command line must give it */
};

/* A positional command (left4me-fetcher enqueue-refresh). */
struct daemon_command {
	const char *name;
	const char *help;
	bool root_ok; /* a one-shot command root may run (no --allow-root) */
};

enum daemon_flags {
	/* PR_SET_DUMPABLE 0 before the config is read: no ptrace, core or
	 * /proc/PID/{mem,fd,environ,root} for anyone but root, even of our
	 * own uid. */
	DAEMON_NONDUMPABLE = 1 << 0,
	/* SIGTERM/SIGINT stay blocked outside the loop's ppoll/sigtimedwait
	 * (no lost wake-up between testing *stop and sleeping). */
	DAEMON_BLOCK_STOP_SIGNALS = 1 << 1,
	/* Open the DB only to check its schema, then close it (the program
	 * opens its own connections). */
	DAEMON_DB_CHECK_ONLY = 1 << 2,
	/* The first non-option ends the options; it and what follows are
	 * the program's (d->argc, d->argv): left4mectl's commands. */
	DAEMON_ARGS_REST = 1 << 3,
	/* Root may run it: no --allow-root, no refusal (left4mectl). */
	DAEMON_ROOT_OK = 1 << 4,
};

struct daemon_spec {
	const char *ident;		       /* program name: log ident, --version, usage */
	const char *summary;		       /* one line under the usage line in --help */
	const struct daemon_option *options;   /* NULL-name terminated; may be NULL */
	const struct daemon_command *commands; /* NULL-name terminated; NULL: none */
	unsigned flags;			       /* enum daemon_flags */
	/* Called after the options are parsed: NULL if they go together,
	 * else one line saying why not (exit EX_USAGE).  May be NULL. */
	const char *(*check_args)(void);
	/* Writes --help instead of the generated text (left4mectl's command
	 * table).  May be NULL. */
	void (*usage)(FILE *f);
};

struct daemon {
	const struct daemon_spec *spec;
	/* from the command line */
	const char *config_arg; /* -c/--config, or NULL */
	bool allow_root;
	const struct daemon_command *command; /* the one given, or NULL */
	int argc;			      /* DAEMON_ARGS_REST: the rest */
	char **argv;
	/* opened by daemon_start, released by daemon_finish */
	struct config *cfg;
	char *db_path;
	sqlite3 *db;		     /* NULL with DAEMON_DB_CHECK_ONLY */
	volatile sig_atomic_t *stop; /* becomes 1 on SIGTERM or SIGINT */
	int status;		     /* the exit code when a step returns false */
};

/* The whole startup, in this order: the log prefix ("<N>" when stderr is
 * the journal), the command line (--help/--version: status 0),
 * PR_SET_DUMPABLE (DAEMON_NONDUMPABLE), root refusal, config (and its log
 * level), database and schema check, stop signals (SIGPIPE ignored).
 * true: run; false: return d->status from main, nothing is left open. */
bool daemon_start(struct daemon *d, const struct daemon_spec *spec, int argc, char **argv);

/* Release what daemon_start opened; returns status (for main's return). */
int daemon_finish(struct daemon *d, int status);

/* The command-line step alone (left4mectl, tests); sets the log ident.
 * true: go on; false:
 * return d->status (0 after --help or --version, which it printed;
 * EX_USAGE after one line and the usage on stderr). */
bool daemon_parse_args(struct daemon *d, const struct daemon_spec *spec, int argc, char **argv);

/* Whether d must refuse to run with effective uid euid. */
bool daemon_root_refused(const struct daemon *d, uid_t euid);

/* Load the config -c named (arg), else $LEFT4ME_CONFIG, else the default.
 * 0, or EX_CONFIG after logging why. */
int daemon_load_config(const char *arg, struct config **cfg);

/* Open the config's database and check its schema (create: create it if
 * missing, no schema check: left4mectl db migrate).  0 with *db and *path
 * (caller frees), or EX_NOINPUT / EX_CONFIG after logging why, with both
 * NULL. */
int daemon_open_db(const struct config *cfg, bool create, sqlite3 **db, char **path);

/* Write "IDENT VERSION\n" on stdout. */
void daemon_print_version(const char *ident);

#endif
