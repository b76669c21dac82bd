/* Running one subprocess for a job: fork + exec of an argv array (never a
 * shell), stdin from /dev/null, stdout and stderr read line by line as they
 * come (or one pty for both, so programs such as SteamCMD do not buffer),
 * '\n' and '\r' both ending a line.  The read loop is poll()-based and
 * calls a tick function at least every tick_ms, which is where the caller
 * heartbeats; a timeout or a stop request sends SIGTERM to the child's
 * process group and SIGKILL a few seconds later. */
#ifndef LEFT4ME_WORKER_SPAWN_H
#define LEFT4ME_WORKER_SPAWN_H

#include <signal.h>
#include <stdbool.h>

#include "db_job.h"

/* Longest line handed to on_line; longer output is cut into pieces. */
#define SPAWN_LINE_MAX JOB_LOG_LINE_MAX
/* Seconds between SIGTERM and SIGKILL. */
#define SPAWN_KILL_GRACE_S 3

struct spawn_opts {
	char *const *argv; /* argv[0] is an absolute path */
	bool pty;	   /* stdout+stderr through one pty (STREAM_STDOUT) */
	int timeout_s;	   /* 0: none */
	int tick_ms;	   /* on_tick interval; 0: 1000 */
	/* One line of output, without its terminator.  May be NULL. */
	void (*on_line)(void *ctx, enum job_stream stream, const char *line);
	/* Called periodically; returning false asks the child to stop (as
	 * does *stop becoming non-zero).  May be NULL. */
	bool (*on_tick)(void *ctx);
	volatile sig_atomic_t *stop;
	void *ctx;
};

enum spawn_end {
	SPAWN_EXITED,	   /* exit_code is valid */
	SPAWN_SIGNALED,	   /* killed by signal (not by us) */
	SPAWN_TIMED_OUT,   /* we killed it after timeout_s */
	SPAWN_STOPPED,	   /* we killed it on request */
	SPAWN_EXEC_FAILED, /* could not start; err is the errno */
};

struct spawn_result {
	enum spawn_end end;
	int exit_code;
	int signal;
	int err;
};

/* Run to completion.  Returns 0 with *res filled (whatever the child did),
 * or -1 if no process could be created (fork/pipe failure, logged). */
int spawn_run(const struct spawn_opts *opts, struct spawn_result *res);

/* One line describing res ("exit 0", "killed by signal 9", "timed out
 * after 30 s", ...) into buf. */
const char *spawn_describe(const struct spawn_opts *opts, const struct spawn_result *res, char *buf,
			   size_t len);

/* Split a byte stream into lines; exposed for tests. */
struct line_splitter {
	char buf[SPAWN_LINE_MAX + 1];
	size_t len;
	bool after_cr; /* the last byte ended a line with '\r' */
};
typedef void (*splitter_fn)(void *ctx, const char *line);
void line_splitter_feed(struct line_splitter *ls, const char *data, size_t n, splitter_fn fn,
			void *ctx);
/* Hand out a last unterminated line, if any. */
void line_splitter_flush(struct line_splitter *ls, splitter_fn fn, void *ctx);

#endif
