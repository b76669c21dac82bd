/* left4me-launcher: instance.env, srcds's argv and environment, the
 * pseudo-terminal and the one event loop (poll over a signalfd, the pty
 * master and the console FIFO).  See launcher.h; who runs it and what it
 * trusts is in docs/HACKING.md. */
#include "launcher.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include "cmdin.h"
#include "console.h"
#include "log.h"
#include "rcon.h"
#include "relay.h"
#include "timeutil.h"
#include "xalloc.h"

/* The child's whole environment.  TERM=dumb: srcds and srcds_run see a
 * terminal (so stdout is line-buffered) that has no capabilities, so
 * well-behaved programs send no cursor or colour sequences; TERM unset
 * makes some tools complain, and a real terminal type would invite them. */
#define CHILD_PATH "PATH=/usr/local/bin:/usr/bin:/bin"
#define CHILD_LANG "LANG=C.UTF-8"
#define CHILD_TERM "TERM=dumb"

/* After srcds_run exits, output still in the pty is relayed until every
 * holder of the terminal has closed it, or for at most this long. */
#define DRAIN_MS 2000
/* Commands accepted but not yet taken by srcds (it reads its terminal
 * only when it is ready); beyond this they are dropped. */
#define TTY_IN_MAX 16384

#define NOT_STARTED ", the server does not start"

void launcher_init(struct launcher *l, const char *state_dir, const char *name)
{
	memset(l, 0, sizeof(*l));
	l->name = name;
	l->state_dir = state_dir;
	l->state_fd = l->console_fd = l->merged_fd = -1;
}

void launcher_fini(struct launcher *l)
{
	explicit_bzero(l->rcon, sizeof(l->rcon));
	if (l->merged_fd >= 0)
		close(l->merged_fd);
	if (l->console_fd >= 0)
		close(l->console_fd);
	if (l->state_fd >= 0)
		close(l->state_fd);
	instance_env_fini(&l->env);
	free(l->srcds);
	free(l->argv);
	free(l->envp[1]);
	launcher_init(l, l->state_dir, l->name);
}

static int open_dir_at(int dirfd, const char *name)
{
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Log why path could not be opened (err is its errno) and return the
 * exit code: missing 66, refused 77, anything else 71. */
static int open_failed(const struct launcher *l, const char *path, int err)
{
	switch (err) {
	case ENOENT:
		log_err("%s: %s: missing" NOT_STARTED, l->name, path);
		return EX_NOINPUT;
	case ELOOP:
		log_err("%s: %s: a symbolic link: refused" NOT_STARTED, l->name, path);
		return EX_NOPERM;
	case ENOTDIR:
	case EACCES:
	case EPERM:
		log_err("%s: %s: %s: refused" NOT_STARTED, l->name, path, strerror(err));
		return EX_NOPERM;
	default:
		log_err("%s: %s: %s" NOT_STARTED, l->name, path, strerror(err));
		return EX_OSERR;
	}
}

/* Read STATE/instances/NAME/instance.env into buf (INSTANCE_ENV_MAX_SIZE
 * bytes at most, not NUL-terminated); 0 and *len, or an exit code. */
static int read_env(struct launcher *l, char *buf, size_t *len)
{
	char path[4200];
	int inst = -1, dir = -1, fd = -1, code = 0;
	struct stat st;
	size_t got = 0;

	inst = open_dir_at(l->state_fd, "instances");
	if (inst < 0) {
		snprintf(path, sizeof(path), "%s/instances", l->state_dir);
		return open_failed(l, path, errno);
	}
	dir = open_dir_at(inst, l->name);
	if (dir < 0) {
		snprintf(path, sizeof(path), "%s/instances/%s", l->state_dir, l->name);
		code = open_failed(l, path, errno);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/instances/%s/instance.env", l->state_dir, l->name);
	/* O_NONBLOCK: a FIFO planted here must not hang the open. */
	fd = openat(dir, "instance.env", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		code = open_failed(l, path, errno);
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		code = open_failed(l, path, errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		log_err("%s: %s: not a regular file: refused" NOT_STARTED, l->name, path);
		code = EX_NOPERM;
		goto out;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		log_err("%s: %s: writable by group or others: refused" NOT_STARTED, l->name, path);
		code = EX_NOPERM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, INSTANCE_ENV_MAX_SIZE + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_err("%s: %s: %s" NOT_STARTED, l->name, path, strerror(errno));
			code = EX_OSERR;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > INSTANCE_ENV_MAX_SIZE) {
			log_err("%s: instance.env: larger than %d bytes: refused" NOT_STARTED,
				l->name, INSTANCE_ENV_MAX_SIZE);
			code = EX_DATAERR;
			goto out;
		}
	}
	*len = got;
out:
	if (fd >= 0)
		close(fd);
	if (dir >= 0)
		close(dir);
	close(inst);
	return code;
}

/* The RCON password the worker staged as the last line of server.cfg
 * (`rcon_password "X"`), so that out_line withholds it wherever the game
 * prints it.  Best effort: without it, lines naming the setting are still
 * cut (rcon_redact). */
static void load_rcon(struct launcher *l)
{
	static const char pre[] = RCON_SETTING " \"";
	char buf[RCON_PASSWORD_MAX + 64], *line, *end;
	int fd = openat(l->merged_fd, "left4dead2/cfg/server.cfg",
			O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	off_t off;
	ssize_t n;

	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	off = st.st_size > (off_t)(sizeof(buf) - 1) ? st.st_size - (off_t)(sizeof(buf) - 1) : 0;
	n = pread(fd, buf, sizeof(buf) - 1, off);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	line = strrchr(buf, '\n');
	line = line ? line + 1 : buf;
	if (strncmp(line, pre, sizeof(pre) - 1) != 0)
		return;
	line += sizeof(pre) - 1;
	end = strchr(line, '"');
	if (!end || end[1] != '\0')
		return;
	*end = '\0';
	if (rcon_password_ok(line))
		snprintf(l->rcon, sizeof(l->rcon), "%s", line);
	explicit_bzero(buf, sizeof(buf));
}

/* Open STATE/runtime/NAME/merged/ (the mounted overlay). */
static int open_runtime(struct launcher *l)
{
	char path[4200];
	int rt = open_dir_at(l->state_fd, "runtime"), inst;

	if (rt < 0) {
		snprintf(path, sizeof(path), "%s/runtime", l->state_dir);
		return open_failed(l, path, errno);
	}
	inst = open_dir_at(rt, l->name);
	close(rt);
	if (inst < 0) {
		snprintf(path, sizeof(path), "%s/runtime/%s", l->state_dir, l->name);
		return open_failed(l, path, errno);
	}
	l->merged_fd = open_dir_at(inst, "merged");
	close(inst);
	if (l->merged_fd < 0) {
		snprintf(path, sizeof(path), "%s/runtime/%s/merged", l->state_dir, l->name);
		return open_failed(l, path, errno);
	}
	load_rcon(l);
	return 0;
}

/* srcds_run -game left4dead2 -norestart -strictportbind -ip 0.0.0.0
 * -port P [-tickrate T] [allowlisted options] +map M -maxplayers N
 * +servercfgfile server.cfg: the user's options come before +map, so a
 * cvar they set (+sv_pure) is in place when the first map loads. */
static void build_argv(struct launcher *l)
{
	size_t i = 0, n = LAUNCHER_ARGC_FIXED + 2 + l->env.n_args + 1;

	snprintf(l->port, sizeof(l->port), "%d", l->env.port);			 /* 1024..65535 */
	snprintf(l->maxplayers, sizeof(l->maxplayers), "%d", l->env.maxplayers); /* 1..32 */
	snprintf(l->tickrate, sizeof(l->tickrate), "%d", l->env.tickrate);	 /* 0, 30..128 */
	l->srcds = xasprintf("%s/runtime/%s/merged/srcds_run", l->state_dir, l->name);
	l->argv = xcalloc(n, sizeof(*l->argv));
	l->argv[i++] = l->srcds;
	l->argv[i++] = "-game";
	l->argv[i++] = "left4dead2";
	l->argv[i++] = "-norestart"; /* systemd restarts it */
	l->argv[i++] = "-strictportbind";
	l->argv[i++] = "-ip";
	l->argv[i++] = "0.0.0.0";
	l->argv[i++] = "-port";
	l->argv[i++] = l->port;
	if (l->env.tickrate) {
		l->argv[i++] = "-tickrate";
		l->argv[i++] = l->tickrate;
	}
	for (size_t j = 0; j < l->env.n_args; j++)
		l->argv[i++] = l->env.args[j];
	l->argv[i++] = "+map";
	l->argv[i++] = l->env.map;
	l->argv[i++] = "-maxplayers";
	l->argv[i++] = l->maxplayers;
	l->argv[i++] = "+servercfgfile";
	l->argv[i++] = "server.cfg";
	assert(i < n);
	l->argv[i] = NULL;

	/* Nothing inherited: no LD_* or other loader variable from anywhere.
	 * HOME is the state dir, so ~/.steam/sdk32/steamclient.so is found. */
	l->envp[0] = CHILD_PATH;
	l->envp[1] = xasprintf("HOME=%s", l->state_dir);
	l->envp[2] = CHILD_LANG;
	l->envp[3] = CHILD_TERM;
	l->envp[4] = NULL;
}

int launcher_prepare(struct launcher *l)
{
	char *text = xmalloc(INSTANCE_ENV_MAX_SIZE + 1);
	char err[256];
	size_t len = 0;
	int code;

	l->state_fd = open(l->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->state_fd < 0) {
		code = open_failed(l, l->state_dir, errno);
		goto out;
	}
	code = read_env(l, text, &len);
	if (code != 0)
		goto out;
	if (instance_env_parse(text, len, &l->env, err, sizeof(err)) < 0) {
		/* err is "line N: reason" or a whole-file reason; the key in it
		 * is [A-Z0-9_] only, so it is safe to log as is. */
		log_err("%s: instance.env%s%s: refused" NOT_STARTED, l->name,
			strncmp(err, "line ", 5) == 0 ? " " : ": ", err);
		code = EX_DATAERR;
		goto out;
	}
	code = open_runtime(l);
	if (code != 0)
		goto out;
	build_argv(l);
out:
	free(text);
	return code;
}

/* ---- running ------------------------------------------------------------ */

enum child_stage { STAGE_SETSID, STAGE_CTTY, STAGE_STDIO, STAGE_CHDIR, STAGE_EXEC };

struct exec_report {
	int stage;
	int err;
};

struct run {
	struct launcher *l;
	int sfd, master, fifo;
	pid_t child;
	bool exited;
	int status;
	int64_t exited_at, last_out;
	bool out_broken;
	struct relay relay;
	struct cmdin cmdin;
	char tty_in[TTY_IN_MAX];
	size_t tty_in_len;
};

/* In the child between fork and exec: async-signal-safe calls only. */
static void report_and_exit(int fd, int stage) __attribute__((noreturn));

static void report_and_exit(int fd, int stage)
{
	struct exec_report rep = {stage, errno};
	ssize_t w = write(fd, &rep, sizeof(rep));

	(void)w;
	_exit(127);
}

static void child_exec(const struct launcher *l, int slave, int report) __attribute__((noreturn));

static void child_exec(const struct launcher *l, int slave, int report)
{
	sigset_t none;

	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL); /* fails harmlessly for SIGKILL, SIGSTOP */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setsid() < 0)
		report_and_exit(report, STAGE_SETSID);
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		report_and_exit(report, STAGE_CTTY);
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(slave, fd) < 0)
			report_and_exit(report, STAGE_STDIO);
	if (slave > 2)
		close(slave);
	/* Whatever the launcher inherited stays out of the game. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (fchdir(l->merged_fd) < 0)
		report_and_exit(report, STAGE_CHDIR);
	execve(l->srcds, l->argv, l->envp);
	report_and_exit(report, STAGE_EXEC);
}

/* A pseudo-terminal pair: master non-blocking, both close-on-exec, the
 * terminal without echo (a command written to it must not come back as
 * output) and with a size, as some programs divide by it. */
static int open_pty(const struct launcher *l, int *master, int *slave)
{
	struct winsize ws = {.ws_row = 24, .ws_col = 80};
	struct termios t;
	int m, s = -1;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		goto fail;
	if (grantpt(m) < 0 || unlockpt(m) < 0)
		goto fail;
	s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0 && (errno == EINVAL || errno == ENOTTY)) {
		char name[64];

		if (ptsname_r(m, name, sizeof(name)) != 0)
			goto fail;
		s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	}
	if (s < 0)
		goto fail;
	if (tcgetattr(s, &t) < 0)
		goto fail;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	if (tcsetattr(s, TCSANOW, &t) < 0 || ioctl(s, TIOCSWINSZ, &ws) < 0)
		goto fail;
	if (fcntl(m, F_SETFD, FD_CLOEXEC) < 0 || fcntl(m, F_SETFL, O_NONBLOCK) < 0)
		goto fail;
	*master = m;
	*slave = s;
	return 0;
fail:
	log_err("%s: cannot open a pseudo-terminal: %s" NOT_STARTED, l->name, strerror(errno));
	if (s >= 0)
		close(s);
	if (m >= 0)
		close(m);
	return -1;
}

/* Open STATE/console/NAME for reading.  O_RDONLY, not O_RDWR: the FIFO
 * is mode 0664 owned by left4me, and the launcher (another uid) may only
 * read it.  With no writer, poll reports nothing until a writer has come
 * and gone; then POLLHUP, and fifo_reopen takes a fresh reader. */
static int fifo_open(struct launcher *l, bool quiet)
{
	struct stat st;
	int fd = -1;

	if (l->console_fd < 0)
		l->console_fd = open_dir_at(l->state_fd, CONSOLE_DIR);
	if (l->console_fd >= 0)
		fd = openat(l->console_fd, l->name,
			    O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("%s: console: %s/%s/%s: %s: running without console input", l->name,
			 l->state_dir, CONSOLE_DIR, l->name, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		log_warn("%s: console: %s/%s/%s: not a FIFO: running without console input",
			 l->name, l->state_dir, CONSOLE_DIR, l->name);
		close(fd);
		return -1;
	}
	if (!quiet)
		log_info("%s: console: reading %s/%s/%s", l->name, l->state_dir, CONSOLE_DIR,
			 l->name);
	return fd;
}

/* The last writer has gone: take a new reader before dropping the old, so
 * a writer never finds the FIFO without one (it would get ENXIO). */
static void fifo_reopen(struct run *r)
{
	int fd = fifo_open(r->l, true);

	close(r->fifo);
	r->fifo = fd;
	if (cmdin_discard(&r->cmdin))
		log_warn("%s: console: dropped a command without a line end (its writer "
			 "closed the FIFO)",
			 r->l->name);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			poll(&p, 1, -1);
			continue;
		}
		if (w < 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* One console line to stdout.  Under the journal each line starts with
 * our own "<6>", so a "<0>" the game prints is text, not a priority. */
static void out_line(struct run *r, const char *lead, const char *line, size_t len)
{
	char buf[8 + RELAY_LINE_MAX + CONSOLE_COMMAND_MAX + 16];
	size_t n = 0, ll = strlen(lead);

	if (r->out_broken)
		return;
	if (r->l->journal_out) {
		memcpy(buf, "<6>", 3);
		n = 3;
	}
	if (ll + len > sizeof(buf) - n - 1)
		len = sizeof(buf) - n - 1 - ll; /* cannot happen: relay and cmdin cap */
	memcpy(buf + n, lead, ll);
	n += ll;
	/* no RCON password reaches the journal (docs/SECURITY.md, "RCON") */
	n += rcon_redact(line, len, r->l->rcon, buf + n, sizeof(buf) - n - 1);
	buf[n++] = '\n';
	if (write_all(STDOUT_FILENO, buf, n) < 0) {
		r->out_broken = true;
		log_err("%s: stdout: %s: console output is no longer relayed", r->l->name,
			strerror(errno));
	}
}

static void emit_output(void *ctx, const char *line, size_t len)
{
	out_line(ctx, "", line, len);
}

static void accept_command(void *ctx, const char *cmd, size_t len)
{
	struct run *r = ctx;

	if (r->exited)
		return;
	if (r->tty_in_len + len + 1 > sizeof(r->tty_in)) {
		log_warn("%s: console: dropped a command: srcds is not reading its console",
			 r->l->name);
		return;
	}
	/* A prompt waiting for its line end goes first, then the command as
	 * its own console line, as on a terminal. */
	relay_flush(&r->relay, emit_output, r);
	out_line(r, "> ", cmd, len);
	memcpy(r->tty_in + r->tty_in_len, cmd, len);
	r->tty_in[r->tty_in_len + len] = '\n';
	r->tty_in_len += len + 1;
}

static void reject_command(void *ctx, const char *why)
{
	struct run *r = ctx;

	log_warn("%s: console: dropped a command: %s", r->l->name, why);
}

static const char *sig_name(int sig)
{
	switch (sig) {
	case SIGTERM:
		return "SIGTERM";
	case SIGINT:
		return "SIGINT";
	case SIGHUP:
		return "SIGHUP";
	default:
		return "signal";
	}
}

static void reap(struct run *r)
{
	int status;
	pid_t p;

	while ((p = waitpid(r->child, &status, WNOHANG)) < 0 && errno == EINTR)
		;
	if (p != r->child)
		return;
	r->exited = true;
	r->status = status;
	r->exited_at = mono_ms();
	/* The console is closed with the server: writers get "not running". */
	if (r->fifo >= 0) {
		close(r->fifo);
		r->fifo = -1;
	}
	r->tty_in_len = 0;
}

static void on_signals(struct run *r)
{
	struct signalfd_siginfo si;

	while (read(r->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int sig = (int)si.ssi_signo;

		if (sig == SIGCHLD) {
			reap(r);
			continue;
		}
		if (r->exited)
			continue;
		/* srcds_run is a session leader: its pgid is its pid. */
		if (kill(-r->child, sig) < 0 && errno == ESRCH)
			kill(r->child, sig);
		log_info("%s: %s received: forwarded to srcds_run (process group %d)", r->l->name,
			 sig_name(sig), (int)r->child);
	}
}

static void on_master(struct run *r)
{
	char buf[16384];
	ssize_t n = read(r->master, buf, sizeof(buf));

	if (n > 0) {
		relay_feed(&r->relay, buf, (size_t)n, emit_output, r);
		r->last_out = mono_ms();
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* EIO (or 0): every holder of the terminal has closed it. */
	close(r->master);
	r->master = -1;
	relay_flush(&r->relay, emit_output, r);
}

static void on_master_writable(struct run *r)
{
	ssize_t w = write(r->master, r->tty_in, r->tty_in_len);

	if (w < 0) {
		if (errno != EAGAIN && errno != EINTR)
			r->tty_in_len = 0; /* the terminal is gone; so are the commands */
		return;
	}
	memmove(r->tty_in, r->tty_in + w, r->tty_in_len - (size_t)w);
	r->tty_in_len -= (size_t)w;
}

static void on_fifo(struct run *r)
{
	char buf[4096];
	ssize_t n = read(r->fifo, buf, sizeof(buf));

	if (n > 0) {
		cmdin_feed(&r->cmdin, buf, (size_t)n, accept_command, reject_command, r);
	} else if (n == 0) {
		fifo_reopen(r); /* the last writer closed it */
	} else if (errno != EAGAIN && errno != EINTR) {
		log_warn("%s: console: %s: running without console input", r->l->name,
			 strerror(errno));
		close(r->fifo);
		r->fifo = -1;
	}
}

static int poll_timeout(const struct run *r, int64_t now)
{
	int64_t t = -1;

	if (relay_pending(&r->relay))
		t = r->last_out + RELAY_IDLE_MS - now;
	if (r->exited) {
		int64_t d = r->exited_at + DRAIN_MS - now;
		if (t < 0 || d < t)
			t = d;
	}
	if (t < 0 && (relay_pending(&r->relay) || r->exited))
		t = 0;
	return t > INT32_MAX ? INT32_MAX : (int)t;
}

static void loop(struct run *r)
{
	for (;;) {
		struct pollfd p[3];
		int64_t now = mono_ms();
		int np = 0, im = -1, iff = -1;

		if (r->exited && (r->master < 0 || now >= r->exited_at + DRAIN_MS))
			break;
		if (relay_pending(&r->relay) && now >= r->last_out + RELAY_IDLE_MS)
			relay_flush(&r->relay, emit_output, r);
		p[np++] = (struct pollfd){.fd = r->sfd, .events = POLLIN};
		if (r->master >= 0) {
			im = np;
			p[np++] = (struct pollfd){.fd = r->master,
						  .events = POLLIN | (r->tty_in_len ? POLLOUT : 0)};
		}
		if (r->fifo >= 0) {
			iff = np;
			p[np++] = (struct pollfd){.fd = r->fifo, .events = POLLIN};
		}
		if (poll(p, (nfds_t)np, poll_timeout(r, now)) < 0) {
			if (errno == EINTR)
				continue;
			fatal("%s: poll: %s", r->l->name, strerror(errno));
		}
		if (p[0].revents)
			on_signals(r);
		if (im >= 0 && r->master >= 0 && (p[im].revents & POLLOUT))
			on_master_writable(r);
		if (im >= 0 && r->master >= 0 && (p[im].revents & (POLLIN | POLLHUP | POLLERR)))
			on_master(r);
		if (iff >= 0 && r->fifo >= 0 && p[iff].revents)
			on_fifo(r);
	}
	relay_flush(&r->relay, emit_output, r);
}

/* Wait for the child's exec: 0 once it has happened, or the exit code
 * after logging why it did not. */
static int wait_exec(struct run *r, int report)
{
	struct exec_report rep;
	static const char *const what[] = {
	    [STAGE_SETSID] = "start a session",
	    [STAGE_CTTY] = "take the terminal",
	    [STAGE_STDIO] = "connect the terminal",
	    [STAGE_CHDIR] = "enter its directory",
	    [STAGE_EXEC] = "execute",
	};
	ssize_t n;

	while ((n = read(report, &rep, sizeof(rep))) < 0 && errno == EINTR)
		;
	if (n == 0)
		return 0; /* close-on-exec closed it: srcds_run runs */
	while (waitpid(r->child, NULL, 0) < 0 && errno == EINTR)
		;
	r->exited = true;
	if (n != (ssize_t)sizeof(rep) || rep.stage < 0 || rep.stage > STAGE_EXEC) {
		log_err("%s: srcds_run: the child failed before exec" NOT_STARTED, r->l->name);
		return EX_OSERR;
	}
	if (rep.stage == STAGE_EXEC)
		return open_failed(r->l, r->l->srcds, rep.err);
	log_err("%s: srcds_run: cannot %s: %s" NOT_STARTED, r->l->name, what[rep.stage],
		strerror(rep.err));
	return EX_OSERR;
}

int launcher_run(struct launcher *l)
{
	struct run *r = xcalloc(1, sizeof(*r));
	sigset_t handled, blocked, old;
	int slave = -1, report[2] = {-1, -1}, code = EX_OSERR;

	r->l = l;
	r->sfd = r->master = r->fifo = -1;
	relay_init(&r->relay);
	cmdin_init(&r->cmdin);

	sigemptyset(&handled);
	sigaddset(&handled, SIGTERM);
	sigaddset(&handled, SIGINT);
	sigaddset(&handled, SIGHUP);
	sigaddset(&handled, SIGCHLD);
	/* SIGPIPE blocked too: a broken stdout is an EPIPE, not a death. */
	blocked = handled;
	sigaddset(&blocked, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &blocked, &old) < 0) {
		log_err("%s: sigprocmask: %s" NOT_STARTED, l->name, strerror(errno));
		goto out;
	}
	r->sfd = signalfd(-1, &handled, SFD_NONBLOCK | SFD_CLOEXEC);
	if (r->sfd < 0) {
		log_err("%s: signalfd: %s" NOT_STARTED, l->name, strerror(errno));
		goto out;
	}
	if (open_pty(l, &r->master, &slave) < 0)
		goto out;
	if (pipe2(report, O_CLOEXEC) < 0) {
		log_err("%s: pipe: %s" NOT_STARTED, l->name, strerror(errno));
		goto out;
	}
	r->child = fork();
	if (r->child < 0) {
		log_err("%s: fork: %s" NOT_STARTED, l->name, strerror(errno));
		goto out;
	}
	if (r->child == 0)
		child_exec(l, slave, report[1]);
	close(slave);
	slave = -1;
	close(report[1]);
	report[1] = -1;
	code = wait_exec(r, report[0]);
	if (code != 0)
		goto out;
	r->fifo = fifo_open(l, false);
	log_info("%s: srcds_run started (pid %d, port %s, map %s, %s players, tickrate %s, "
		 "%zu extra argument(s))",
		 l->name, (int)r->child, l->port, l->env.map, l->maxplayers,
		 l->env.tickrate ? l->tickrate : "default", l->env.n_args);
	r->last_out = mono_ms();
	loop(r);
	if (WIFSIGNALED(r->status)) {
		code = 128 + WTERMSIG(r->status);
		log_info("%s: srcds_run was killed by signal %d", l->name, WTERMSIG(r->status));
	} else {
		code = WEXITSTATUS(r->status);
		log_info("%s: srcds_run exited with status %d", l->name, code);
	}
	/* Nothing of the game outlives its launcher. */
	kill(-r->child, SIGKILL);
out:
	if (slave >= 0)
		close(slave);
	for (int i = 0; i < 2; i++)
		if (report[i] >= 0)
			close(report[i]);
	if (r->fifo >= 0)
		close(r->fifo);
	if (r->master >= 0)
		close(r->master);
	if (r->sfd >= 0)
		close(r->sfd);
	free(r);
	return code;
}
