/* Launch settings of a game server (issue 14): the start map, max players,
 * tickrate and the srcds options a user may add, from ONE allowlist table
 * (launch_args.c; docs/SECURITY.md, "Launch settings", says why each
 * option is there and why the others are not).  Pure (no I/O, libc only):
 * the web, left4mectl and the worker check what they store and write, and
 * the instance.env parser (read by left4me-launcher, the game's uid, and
 * the root overlay helper) checks it again.
 *
 * launch_args text: options separated by whitespace, each an option name
 * from the table followed, when the table says so, by one value token.
 * The canonical form (what the DB and instance.env hold) has the options
 * in the order given, one space between tokens, no duplicates. */
#ifndef LEFT4ME_LAUNCH_ARGS_H
#define LEFT4ME_LAUNCH_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#define LAUNCH_MAP_DEFAULT	   "c1m1_hotel"
#define LAUNCH_MAP_MAX		   64
#define LAUNCH_MAX_PLAYERS_DEFAULT 8
#define LAUNCH_MAX_PLAYERS_MIN	   1
#define LAUNCH_MAX_PLAYERS_MAX	   32
#define LAUNCH_TICKRATE_MIN	   30
#define LAUNCH_TICKRATE_MAX	   128
/* Longest canonical launch_args text and most tokens (fixed: the table is
 * finite and an option appears once, so these only bound hostile input). */
#define LAUNCH_ARGS_MAX	   1024
#define LAUNCH_ARGS_TOKENS 64

/* Values a server or blueprint sets.  For a server, NULL / 0 mean "inherit
 * from the blueprint"; for a blueprint, tickrate 0 means none. */
struct launch_settings {
	const char *start_map;
	int max_players;
	int tickrate;
	const char *launch_args; /* canonical text; "" none */
};

/* One allowlisted option (the table is launch_args_table[]). */
struct launch_opt {
	const char *name;  /* "-nohltv", "+sv_pure" */
	const char *value; /* the value's rule for people ("-1..2"), NULL: no value */
	bool (*valid)(const char *v);
	const char *what; /* one line: what it does */
};

extern const struct launch_opt launch_args_table[];
extern const size_t launch_args_table_len;

/* The table's entry for an option name, or NULL. */
const struct launch_opt *launch_opt_find(const char *name);

/* [A-Za-z0-9_]{1,64} */
bool launch_map_ok(const char *s);
bool launch_max_players_ok(long long n);
bool launch_tickrate_ok(long long n);

/* Check text (whitespace-separated) against the table: 0 and the canonical
 * form in *canon (caller frees; may be ""), or -1 with one line in err that
 * names the option ("launch_args: -foo is not an allowed option"). */
int launch_args_normalize(const char *text, char **canon, char *err, size_t errlen);
/* Check text and split it into tokens: 0 with *argv (NULL-terminated,
 * caller frees with launch_args_free) and *argc, or -1 with err. */
int launch_args_split(const char *text, char ***argv, size_t *argc, char *err, size_t errlen);
void launch_args_free(char **argv);

/* Every value set in ls is valid (NULL / 0 are "none" or "inherit") and
 * launch_args is in canonical form. */
bool launch_settings_ok(const struct launch_settings *ls);

/* The effective values: the server's, else the blueprint's, else the
 * defaults.  Pointers in out borrow from srv, bp or static strings. */
void launch_effective(const struct launch_settings *srv, const struct launch_settings *bp,
		      struct launch_settings *out);

#endif
