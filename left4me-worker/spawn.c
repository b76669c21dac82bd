/* Subprocesses of a job; see spawn.h.  Runs in left4me-worker as the
 * left4me user; trusts nothing the child prints (lines are handed on as
 * bytes, the job log cleans them). */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "timeutil.h"

extern char **environ;

void line_splitter_feed(struct line_splitter *ls, const char *data, size_t n, splitter_fn fn,
			void *ctx)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = data[i];

		if (c == '\n' && ls->after_cr && ls->len == 0) {
			ls->after_cr = false; /* the '\n' of a "\r\n" */
			continue;
		}
		ls->after_cr = false;
		if (c == '\n' || c == '\r') {
			/* "\r\r" and progress redraws give empty pieces: skip them */
			if (c == '\n' || ls->len > 0) {
				ls->buf[ls->len] = '\0';
				fn(ctx, ls->buf);
			}
			ls->len = 0;
			ls->after_cr = c == '\r';
			continue;
		}
		if (ls->len == SPAWN_LINE_MAX) {
			ls->buf[ls->len] = '\0';
			fn(ctx, ls->buf);
			ls->len = 0;
		}
		ls->buf[ls->len++] = c;
	}
}

void line_splitter_flush(struct line_splitter *ls, splitter_fn fn, void *ctx)
{
	if (ls->len > 0) {
		ls->buf[ls->len] = '\0';
		fn(ctx, ls->buf);
	}
	ls->len = 0;
	ls->after_cr = false;
}

struct stream {
	int fd;
	enum job_stream kind;
	struct line_splitter ls;
	const struct spawn_opts *opts;
};

static void stream_line(void *ctx, const char *line)
{
	struct stream *s = ctx;

	if (s->opts->on_line)
		s->opts->on_line(s->opts->ctx, s->kind, line);
}

/* In the child: never returns.  Reports an exec failure's errno on errfd. */
static void child_exec(const struct spawn_opts *opts, int out, int err, int errfd)
{
	sigset_t none;
	int null, e;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		goto fail;
	/* Nothing of the worker's (DB, inotify) leaks into the child. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	execve(opts->argv[0], opts->argv, environ);
fail:
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0) {
		/* nothing left to report it to */
	}
	_exit(127);
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Start the child: fills pid and the read ends. */
static int start_child(const struct spawn_opts *opts, pid_t *pid, struct stream *st, int *nst,
		       int errpipe[2])
{
	int out[2] = {-1, -1}, err[2] = {-1, -1};

	if (opts->pty) {
		struct termios tio;
		struct winsize ws = {.ws_row = 50, .ws_col = 250};
		int master, slave;

		/* Raw: no "\n" -> "\r\n", no echo; the program still sees a tty. */
		memset(&tio, 0, sizeof(tio));
		cfmakeraw(&tio);
		if (openpty(&master, &slave, NULL, &tio, &ws) < 0) {
			log_err("openpty: %s", strerror(errno));
			return -1;
		}
		fcntl(master, F_SETFD, FD_CLOEXEC);
		*pid = fork();
		if (*pid < 0) {
			log_err("fork: %s", strerror(errno));
			close(master);
			close(slave);
			return -1;
		}
		if (*pid == 0) {
			close(master);
			close(errpipe[0]);
			if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
				_exit(127);
			child_exec(opts, slave, slave, errpipe[1]);
		}
		close(slave);
		st[0].fd = master;
		st[0].kind = STREAM_STDOUT;
		*nst = 1;
		return 0;
	}
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		log_err("pipe: %s", strerror(errno));
		goto fail;
	}
	*pid = fork();
	if (*pid < 0) {
		log_err("fork: %s", strerror(errno));
		goto fail;
	}
	if (*pid == 0) {
		setpgid(0, 0);
		close(errpipe[0]);
		child_exec(opts, out[1], err[1], errpipe[1]);
	}
	setpgid(*pid, *pid); /* also here: no race with an early kill */
	close(out[1]);
	close(err[1]);
	st[0].fd = out[0];
	st[0].kind = STREAM_STDOUT;
	st[1].fd = err[0];
	st[1].kind = STREAM_STDERR;
	*nst = 2;
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	return -1;
}

static int64_t min_pos(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/* One spawn_run: the child, its output streams and where its ending
 * stands.  Times are mono_ms(); -1 means "not set". */
struct run {
	const struct spawn_opts *opts;
	struct stream st[2];
	int nst, nopen;
	pid_t pid;
	int pidfd;  /* readable when the child exits; -1: poll waitpid */
	int status; /* waitpid's, once reaped */
	int tick_ms;
	int64_t next_tick, deadline, kill_at, linger_until;
	bool reaped, term_sent, killed;
	enum spawn_end why; /* SPAWN_EXITED until we decide to end it */
};

static void run_init(struct run *r, const struct spawn_opts *opts)
{
	int64_t now = mono_ms();

	memset(r, 0, sizeof(*r));
	r->opts = opts;
	for (int i = 0; i < 2; i++)
		r->st[i].opts = opts;
	r->pidfd = -1;
	r->tick_ms = opts->tick_ms > 0 ? opts->tick_ms : 1000;
	r->next_tick = now + r->tick_ms;
	r->deadline = opts->timeout_s > 0 ? now + (int64_t)opts->timeout_s * 1000 : -1;
	r->kill_at = r->linger_until = -1;
	r->why = SPAWN_EXITED;
}

/* Start the child and learn whether its exec worked: 0 running, 1 exec
 * failed (res filled, the child reaped), -1 no process (logged). */
static int run_start(struct run *r, struct spawn_result *res)
{
	int errpipe[2], e, i;
	ssize_t n;

	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		log_err("pipe: %s", strerror(errno));
		return -1;
	}
	if (start_child(r->opts, &r->pid, r->st, &r->nst, errpipe) < 0) {
		close(errpipe[0]);
		close(errpipe[1]);
		return -1;
	}
	close(errpipe[1]);
	/* The child closes its copy at exec: an errno here means exec failed. */
	do
		n = read(errpipe[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(errpipe[0]);
	if (n == (ssize_t)sizeof(e)) {
		for (i = 0; i < r->nst; i++)
			close(r->st[i].fd);
		while (waitpid(r->pid, &r->status, 0) < 0 && errno == EINTR)
			;
		res->end = SPAWN_EXEC_FAILED;
		res->err = e;
		return 1;
	}
	for (i = 0; i < r->nst; i++)
		set_nonblock(r->st[i].fd);
	r->nopen = r->nst;
	/* readable when the child exits: no waitpid polling (Linux >= 5.3) */
	r->pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
	return 0;
}

/* The caller's tick; a stop request or the timeout becomes SIGTERM to the
 * child's group, and SIGKILL SPAWN_KILL_GRACE_S later. */
static void run_signal(struct run *r, int64_t now)
{
	const struct spawn_opts *opts = r->opts;

	if (now >= r->next_tick) {
		r->next_tick = now + r->tick_ms;
		if (opts->on_tick && !opts->on_tick(opts->ctx) && !r->term_sent)
			r->why = SPAWN_STOPPED;
	}
	if (!r->term_sent && !r->reaped) {
		if (opts->stop && *opts->stop)
			r->why = SPAWN_STOPPED;
		else if (r->deadline >= 0 && now >= r->deadline)
			r->why = SPAWN_TIMED_OUT;
		if (r->why != SPAWN_EXITED) {
			kill(-r->pid, SIGTERM);
			r->term_sent = true;
			r->kill_at = now + SPAWN_KILL_GRACE_S * 1000;
		}
	}
	if (r->term_sent && !r->killed && !r->reaped && now >= r->kill_at) {
		kill(-r->pid, SIGKILL);
		r->killed = true;
	}
}

/* Reap the child if it has exited. */
static void run_reap(struct run *r, int64_t now)
{
	if (r->reaped || waitpid(r->pid, &r->status, WNOHANG) != r->pid)
		return;
	r->reaped = true;
	/* Output still in flight is read; a grandchild that keeps the pipe
	 * open does not hold us longer. */
	r->linger_until = now + 500;
	if (r->term_sent && !r->killed)
		kill(-r->pid, SIGKILL); /* leftovers of the group */
}

/* How long to sleep: until the next tick, the deadline, the SIGKILL or
 * the end of the linger, whichever comes first. */
static int64_t run_wait_ms(const struct run *r, int64_t now)
{
	int64_t wait = r->next_tick - now;

	if (!r->term_sent && !r->reaped && r->deadline >= 0)
		wait = min_pos(wait, r->deadline - now);
	if (r->term_sent && !r->killed && !r->reaped)
		wait = min_pos(wait, r->kill_at - now);
	if (r->reaped)
		wait = min_pos(wait, r->linger_until - now);
	if (!r->reaped && r->pidfd < 0)
		wait = min_pos(wait, r->nopen == 0 ? 20 : 250); /* no pidfd: poll waitpid */
	return wait < 0 ? 0 : wait;
}

/* Sleep in ppoll (the only place, with spawn's caller's, where SIGTERM is
 * unblocked: no race between testing *stop and sleeping), then hand on
 * what the child wrote.  -1 if poll fails. */
static int run_poll(struct run *r, int64_t wait)
{
	struct pollfd pfd[3];
	struct timespec ts = {.tv_sec = wait / 1000, .tv_nsec = (wait % 1000) * 1000000};
	sigset_t none;
	int np = 0, i;

	for (i = 0; i < r->nst; i++) {
		if (r->st[i].fd >= 0)
			pfd[np++] = (struct pollfd){.fd = r->st[i].fd, .events = POLLIN};
	}
	if (!r->reaped && r->pidfd >= 0)
		pfd[np++] = (struct pollfd){.fd = r->pidfd, .events = POLLIN};
	sigemptyset(&none);
	if (ppoll(pfd, (nfds_t)np, &ts, &none) < 0) {
		if (errno == EINTR)
			return 0;
		log_err("poll: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < r->nst; i++) {
		struct stream *s = &r->st[i];
		char buf[4096];
		ssize_t n;

		if (s->fd < 0)
			continue;
		n = read(s->fd, buf, sizeof(buf));
		if (n > 0) {
			line_splitter_feed(&s->ls, buf, (size_t)n, stream_line, s);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		/* EOF, or EIO on a pty whose last writer is gone */
		line_splitter_flush(&s->ls, stream_line, s);
		close(s->fd);
		s->fd = -1;
		r->nopen--;
	}
	return 0;
}

/* Hand on the last lines, make sure the child is reaped, and say how it
 * ended. */
static void run_finish(struct run *r, struct spawn_result *res)
{
	for (int i = 0; i < r->nst; i++) {
		if (r->st[i].fd >= 0) {
			line_splitter_flush(&r->st[i].ls, stream_line, &r->st[i]);
			close(r->st[i].fd);
		}
	}
	if (!r->reaped) {
		kill(-r->pid, SIGKILL);
		while (waitpid(r->pid, &r->status, 0) < 0 && errno == EINTR)
			;
	}
	if (r->pidfd >= 0)
		close(r->pidfd);
	if (r->why != SPAWN_EXITED) {
		res->end = r->why;
	} else if (WIFEXITED(r->status)) {
		res->end = SPAWN_EXITED;
	} else {
		res->end = SPAWN_SIGNALED;
		res->signal = WIFSIGNALED(r->status) ? WTERMSIG(r->status) : 0;
	}
	if (WIFEXITED(r->status))
		res->exit_code = WEXITSTATUS(r->status);
}

int spawn_run(const struct spawn_opts *opts, struct spawn_result *res)
{
	struct run r;
	int started;

	memset(res, 0, sizeof(*res));
	run_init(&r, opts);
	started = run_start(&r, res);
	if (started != 0)
		return started < 0 ? -1 : 0;
	for (;;) {
		int64_t now = mono_ms();

		run_signal(&r, now);
		run_reap(&r, now);
		if (r.reaped && (r.nopen == 0 || now >= r.linger_until))
			break;
		if (run_poll(&r, run_wait_ms(&r, now)) < 0)
			break;
	}
	run_finish(&r, res);
	return 0;
}

const char *spawn_describe(const struct spawn_opts *opts, const struct spawn_result *res, char *buf,
			   size_t len)
{
	switch (res->end) {
	case SPAWN_EXITED:
		snprintf(buf, len, "exit %d", res->exit_code);
		break;
	case SPAWN_SIGNALED:
		snprintf(buf, len, "killed by signal %d", res->signal);
		break;
	case SPAWN_TIMED_OUT:
		snprintf(buf, len, "timed out after %d s", opts->timeout_s);
		break;
	case SPAWN_STOPPED:
		snprintf(buf, len, "stopped");
		break;
	case SPAWN_EXEC_FAILED:
		snprintf(buf, len, "cannot execute: %s", strerror(res->err));
		break;
	}
	return buf;
}
