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

int spawn_run(const struct spawn_opts *opts, struct spawn_result *res)
{
	struct stream st[2];
	int errpipe[2], pidfd;
	int nst = 0, nopen, status = 0, i, e;
	int tick_ms = opts->tick_ms > 0 ? opts->tick_ms : 1000;
	int64_t now = mono_ms(), next_tick = now + tick_ms;
	int64_t deadline = opts->timeout_s > 0 ? now + (int64_t)opts->timeout_s * 1000 : -1;
	int64_t kill_at = -1, linger_until = -1;
	bool reaped = false, term_sent = false, killed = false;
	enum spawn_end why = SPAWN_EXITED;
	sigset_t none;
	pid_t pid;
	ssize_t n;

	memset(res, 0, sizeof(*res));
	memset(st, 0, sizeof(st));
	for (i = 0; i < 2; i++)
		st[i].opts = opts;
	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		log_err("pipe: %s", strerror(errno));
		return -1;
	}
	if (start_child(opts, &pid, st, &nst, errpipe) < 0) {
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
		for (i = 0; i < nst; i++)
			close(st[i].fd);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		res->end = SPAWN_EXEC_FAILED;
		res->err = e;
		return 0;
	}
	for (i = 0; i < nst; i++)
		set_nonblock(st[i].fd);
	nopen = nst;
	/* readable when the child exits: no waitpid polling (Linux >= 5.3) */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	sigemptyset(&none);
	for (;;) {
		struct pollfd pfd[3];
		struct timespec ts;
		int64_t wait;
		int np = 0;

		now = mono_ms();
		if (now >= next_tick) {
			next_tick = now + tick_ms;
			if (opts->on_tick && !opts->on_tick(opts->ctx) && !term_sent)
				why = SPAWN_STOPPED;
		}
		if (!term_sent && !reaped) {
			if (opts->stop && *opts->stop)
				why = SPAWN_STOPPED;
			else if (deadline >= 0 && now >= deadline)
				why = SPAWN_TIMED_OUT;
			if (why != SPAWN_EXITED) {
				kill(-pid, SIGTERM);
				term_sent = true;
				kill_at = now + SPAWN_KILL_GRACE_S * 1000;
			}
		}
		if (term_sent && !killed && !reaped && now >= kill_at) {
			kill(-pid, SIGKILL);
			killed = true;
		}
		if (!reaped) {
			pid_t r = waitpid(pid, &status, WNOHANG);

			if (r == pid) {
				reaped = true;
				/* Output still in flight is read; a grandchild that
				 * keeps the pipe open does not hold us longer. */
				linger_until = now + 500;
				if (term_sent && !killed)
					kill(-pid, SIGKILL); /* leftovers of the group */
			}
		}
		if (reaped && (nopen == 0 || now >= linger_until))
			break;
		wait = next_tick - now;
		if (!term_sent && !reaped && deadline >= 0)
			wait = min_pos(wait, deadline - now);
		if (term_sent && !killed && !reaped)
			wait = min_pos(wait, kill_at - now);
		if (reaped)
			wait = min_pos(wait, linger_until - now);
		if (!reaped && pidfd < 0)
			wait = min_pos(wait, nopen == 0 ? 20 : 250); /* no pidfd: poll waitpid */
		if (wait < 0)
			wait = 0;
		for (i = 0; i < nst; i++) {
			if (st[i].fd < 0)
				continue;
			pfd[np].fd = st[i].fd;
			pfd[np].events = POLLIN;
			pfd[np].revents = 0;
			np++;
		}
		if (!reaped && pidfd >= 0) {
			pfd[np].fd = pidfd;
			pfd[np].events = POLLIN;
			pfd[np].revents = 0;
			np++;
		}
		ts.tv_sec = wait / 1000;
		ts.tv_nsec = (wait % 1000) * 1000000;
		if (ppoll(pfd, (nfds_t)np, &ts, &none) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			break;
		}
		for (i = 0; i < nst; i++) {
			char buf[4096];

			if (st[i].fd < 0)
				continue;
			n = read(st[i].fd, buf, sizeof(buf));
			if (n > 0) {
				line_splitter_feed(&st[i].ls, buf, (size_t)n, stream_line, &st[i]);
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			/* EOF, or EIO on a pty whose last writer is gone */
			line_splitter_flush(&st[i].ls, stream_line, &st[i]);
			close(st[i].fd);
			st[i].fd = -1;
			nopen--;
		}
	}
	for (i = 0; i < nst; i++) {
		if (st[i].fd >= 0) {
			line_splitter_flush(&st[i].ls, stream_line, &st[i]);
			close(st[i].fd);
		}
	}
	if (!reaped) {
		kill(-pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (pidfd >= 0)
		close(pidfd);
	if (why != SPAWN_EXITED) {
		res->end = why;
	} else if (WIFEXITED(status)) {
		res->end = SPAWN_EXITED;
		res->exit_code = WEXITSTATUS(status);
	} else {
		res->end = SPAWN_SIGNALED;
		res->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	}
	if (WIFEXITED(status))
		res->exit_code = WEXITSTATUS(status);
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
