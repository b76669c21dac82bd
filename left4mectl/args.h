/* A tiny argument scanner for left4mectl commands: exact positional
 * counts, known flags only, every value validated by the caller. */
#ifndef LEFT4MECTL_ARGS_H
#define LEFT4MECTL_ARGS_H

#include <stdbool.h>

struct arg_flag {
	const char *name; /* "--wait" */
	bool takes_value; /* "--limit N" */
	bool seen;
	const char *value;
};

/* Scan argv[1..] (argv[0] is the verb).  Positional arguments go to pos[]
 * in order; exactly npos are required.  Returns 0, or -1 after logging
 * one line (unknown flag, missing value, wrong count). */
int args_scan(int argc, char **argv, struct arg_flag *flags, int nflags, const char **pos,
	      int npos);

#endif
